"""Image transforms, as ``torchvision.transforms``: callables applied to a sample before it is returned.

    transform = transforms.Compose([
        transforms.ToTensor(),                                   # H x W x C uint8 -> C x H x W float32 in [0, 1]
        transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    ])

Images are PIL images or H x W x C NumPy arrays; tensors are C x H x W
``tinynn.Tensor`` s. Random transforms draw from tinynn's default generator,
so ``tinynn.manual_seed`` makes them reproducible.

Whole batches: ``ToTensor``, ``Normalize``, ``RandomHorizontalFlip``,
``RandomCrop``, ``CenterCrop`` and ``ToPILImage`` (and any ``Compose`` made only of them) can
also transform N images in one vectorised NumPy step (``_batch_plan`` and
``_run_batch``).
Datasets such as ``CIFAR10`` use it in ``__getitems__``. Deterministic
transforms give exactly the per-image results; random ones draw their random
numbers in a different order (one draw per transform for the whole batch), so
they are reproducible but not equal to applying the transform image by image.
"""
from __future__ import annotations

import numbers
import warnings
from enum import Enum
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image

from .._device import CPU, device_of, get_array_module, to_device
from ..random import get_rng
from ..utils import _arrays

# Layouts of a batch flowing through ``_run_batch``:
IMAGES = "NHWC"   # images (a PIL image or H x W x C array per sample)
TENSORS = "NCHW"  # tensors (a C x H x W Tensor per sample)


def _xp(array):
    """NumPy or CuPy, whichever holds ``array``."""
    return get_array_module(array)


def _pil_to_array(pic: Image.Image) -> np.ndarray:
    """The pixels of a PIL image as an H x W x C array (C = 1 for single-band images)."""
    array = np.asarray(pic)
    if pic.mode == "1":
        array = array.astype(np.uint8) * 255
    if array.ndim == 2:
        array = array[:, :, None]
    return array


def _as_image_array(img: Any, who: str) -> np.ndarray:
    """A PIL image or H x W (x C) array as an H x W x C array."""
    if isinstance(img, Image.Image):
        return _pil_to_array(img)
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"{who}: an image array must be H x W or H x W x C, got shape {img.shape}")
        return img[:, :, None] if img.ndim == 2 else img
    raise TypeError(f"{who}: pic should be PIL Image or ndarray. Got {type(img)}")


def _to_float_chw(images: np.ndarray) -> np.ndarray:
    """``... x H x W x C`` to ``... x C x H x W``; uint8 becomes float32 in [0, 1], other dtypes are kept."""
    n = images.ndim
    chw = images.transpose(*range(n - 3), n - 1, n - 3, n - 2)
    if chw.dtype != np.uint8:
        return chw.copy(order="C")  # a copy, so the tensor never shares a (possibly read-only) image buffer
    out = chw.astype(np.float32, order="C")
    out /= 255  # a float32 division, as torchvision's ``img.float().div(255)``
    return out


class Compose:
    """Apply several transforms one after the other: ``Compose([t1, t2])(x) == t2(t1(x))``."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}("] + [f"    {t}" for t in self.transforms] + [")"]
        return "\n".join(lines)


class ToTensor:
    """PIL image or H x W x C array to a C x H x W Tensor; uint8 values become float32 in [0, 1].

    Arrays of other dtypes keep their values and dtype (as in torchvision).
    """

    def __call__(self, pic: Any) -> Any:
        return _arrays.wrap(_to_float_chw(_as_image_array(pic, "ToTensor")))

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        if layout != IMAGES:
            raise TypeError("ToTensor: pic should be PIL Image or ndarray. Got a Tensor")
        return _to_float_chw(x), TENSORS

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` for each channel ``c`` of a float C x H x W Tensor.

    ``mean`` and ``std`` are sequences with one value per channel (or a single
    value for all). They are converted to the tensor's dtype first, so a
    float32 tensor stays float32. With ``inplace=True`` the tensor itself is
    modified and returned.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean = mean
        self.std = std
        self.inplace = inplace
        self._mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        self._std = np.asarray(std, dtype=np.float64).reshape(-1)
        self._cache: dict = {}  # (dtype, device) -> (mean, std) as C x 1 x 1 arrays

    def _constants(self, array, channels: int):
        """Mean and std as C x 1 x 1 arrays of ``array``'s dtype, on its device."""
        for name, values in (("mean", self._mean), ("std", self._std)):
            if len(values) not in (1, channels):
                raise ValueError(f"Normalize: {name} has {len(values)} values but the image has {channels} channels")
        xp = _xp(array)
        key = (array.dtype, str(device_of(array)))
        if key not in self._cache:
            mean, std = self._mean.astype(array.dtype), self._std.astype(array.dtype)
            if (std == 0).any():
                raise ValueError(f"std evaluated to zero after conversion to {array.dtype}, "
                                 "leading to division by zero.")
            self._cache[key] = xp.asarray(mean).reshape(-1, 1, 1), xp.asarray(std).reshape(-1, 1, 1)
        return self._cache[key]

    def _check(self, array) -> None:
        if array.dtype.kind != "f":
            raise TypeError(f"Input tensor should be a float tensor. Got {array.dtype}.")
        if array.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                             f"{tuple(array.shape)}")

    def __call__(self, tensor: Any) -> Any:
        if not _arrays.is_tensor(tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        array = tensor.array
        self._check(array)
        mean, std = self._constants(array, array.shape[-3])
        if self.inplace:
            array -= mean
            array /= std
            return tensor
        return _arrays.wrap((array - mean) / std)

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        if layout != TENSORS:
            raise TypeError("img should be Tensor Image. Got an image (apply ToTensor first)")
        self._check(x)
        mean, std = self._constants(x, x.shape[-3])
        return (x - mean) / std, TENSORS

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Lambda:
    """Apply a user function as a transform: ``Lambda(lambda x: x.view(-1))``."""

    def __init__(self, lambd: Callable[[Any], Any]):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p`` (PIL image, H x W x C array or C x H x W Tensor)."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img: Any) -> Any:
        if not get_rng().random() < self.p:
            return img
        if isinstance(img, Image.Image):
            return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if isinstance(img, np.ndarray):
            return np.ascontiguousarray(_as_image_array(img, "RandomHorizontalFlip")[:, ::-1]).reshape(img.shape)
        if _arrays.is_tensor(img):
            array = img.array
            return _arrays.wrap(_xp(array).ascontiguousarray(array[..., ::-1]))
        raise TypeError(f"RandomHorizontalFlip: img should be PIL Image, ndarray or Tensor. Got {type(img)}")

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        flip = get_rng().random(len(x)) < self.p
        flipped = x[:, :, ::-1, :] if layout == IMAGES else x[..., ::-1]
        return np.where(flip[:, None, None, None], flipped, x), layout

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


def _pair(size: int | Sequence[int], name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, Sequence) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{name} should be an int or a sequence of one or two ints, got {size!r}")


def _padding_ltrb(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """Padding as (left, top, right, bottom) from an int, (left/right, top/bottom) or (l, t, r, b)."""
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * 4
    if isinstance(padding, Sequence) and len(padding) in (1, 2, 4):
        p = [int(v) for v in padding]
        if len(p) == 1:
            return (p[0],) * 4
        if len(p) == 2:
            return p[0], p[1], p[0], p[1]
        return p[0], p[1], p[2], p[3]
    raise ValueError(f"padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}")


class RandomCrop:
    """Cut a random ``size`` (h, w) window out of the image, after optional padding.

    - ``padding``: an int (all sides), (left/right, top/bottom) or (left, top, right, bottom).
    - ``pad_if_needed``: pad images smaller than ``size`` up to it.
    - ``fill`` (a number) and ``padding_mode``: "constant", "edge", "reflect" or "symmetric" (as ``numpy.pad``).

    Works on PIL images (returns a PIL image), H x W x C arrays and C x H x W Tensors.
    """

    _modes = ("constant", "edge", "reflect", "symmetric")

    def __init__(self, size: int | Sequence[int], padding: int | Sequence[int] | None = None,
                 pad_if_needed: bool = False, fill: float = 0, padding_mode: str = "constant"):
        self.size = _pair(size, "size")
        self.padding = padding
        self._ltrb = _padding_ltrb(padding) if padding is not None else (0, 0, 0, 0)
        if any(v < 0 for v in self._ltrb):
            raise ValueError(f"padding must be non-negative, got {padding!r}")
        if padding_mode not in self._modes:
            raise ValueError(f"padding_mode should be one of {self._modes}, got {padding_mode!r}")
        if not isinstance(fill, numbers.Number):
            raise TypeError(f"fill should be a number, got {fill!r}")
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def _pad(self, x, h_axis: int, ltrb: tuple[int, int, int, int]):
        left, top, right, bottom = ltrb
        if not any(ltrb):
            return x
        widths = [(0, 0)] * x.ndim
        widths[h_axis], widths[h_axis + 1] = (top, bottom), (left, right)
        kwargs = {"constant_values": self.fill} if self.padding_mode == "constant" else {}
        return _xp(x).pad(x, widths, mode=self.padding_mode, **kwargs)

    def _padded(self, x, h_axis: int):
        """``x`` with ``padding`` and, when asked, enough extra padding to reach ``size``."""
        x = self._pad(x, h_axis, self._ltrb)
        if self.pad_if_needed:
            th, tw = self.size
            h, w = x.shape[h_axis], x.shape[h_axis + 1]
            dw, dh = max(tw - w, 0), max(th - h, 0)
            x = self._pad(x, h_axis, (dw, dh, dw, dh))
        h, w = x.shape[h_axis], x.shape[h_axis + 1]
        if h < self.size[0] or w < self.size[1]:
            raise ValueError(f"Required crop size {self.size} is larger than input image size {(h, w)}")
        return x

    def _offsets(self, h: int, w: int, n: int | None = None):
        """Random top-left corners (i, j); ``n`` of them for a batch, one pair otherwise."""
        th, tw = self.size
        if (h, w) == (th, tw):
            zeros = 0 if n is None else np.zeros(n, dtype=np.int64)
            return zeros, zeros
        rng = get_rng()
        return rng.integers(0, h - th + 1, size=n), rng.integers(0, w - tw + 1, size=n)

    def _crop_one(self, x, h_axis: int):
        x = self._padded(x, h_axis)
        i, j = self._offsets(x.shape[h_axis], x.shape[h_axis + 1])
        th, tw = self.size
        window = [slice(None)] * x.ndim
        window[h_axis], window[h_axis + 1] = slice(i, i + th), slice(j, j + tw)
        return _xp(x).ascontiguousarray(x[tuple(window)])

    def __call__(self, img: Any) -> Any:
        if isinstance(img, Image.Image):
            return Image.fromarray(self._crop_one(np.asarray(img), 0))
        if isinstance(img, np.ndarray):
            return self._crop_one(img, 0)
        if _arrays.is_tensor(img):
            if img.ndim < 2:
                raise ValueError(f"RandomCrop: expected a ... x H x W tensor, got shape {tuple(img.shape)}")
            return _arrays.wrap(self._crop_one(img.array, img.ndim - 2))
        raise TypeError(f"RandomCrop: img should be PIL Image, ndarray or Tensor. Got {type(img)}")

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        h_axis = 1 if layout == IMAGES else 2
        x = self._padded(x, h_axis)
        i, j = self._offsets(x.shape[h_axis], x.shape[h_axis + 1], len(x))
        th, tw = self.size
        if len(x) == 0:
            return (x[:, :th, :tw] if layout == IMAGES else x[..., :th, :tw]).copy(), layout
        if layout == IMAGES:
            crops = [x[k, i[k]:i[k] + th, j[k]:j[k] + tw] for k in range(len(x))]
        else:
            crops = [x[k, :, i[k]:i[k] + th, j[k]:j[k] + tw] for k in range(len(x))]
        return np.stack(crops), layout

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


def _chw_to_image_array(array) -> np.ndarray:
    """``... x C x H x W`` tensor data to ``... x H x W x C`` NumPy pixels.

    Floats are scaled by 255 and truncated to uint8; other dtypes are kept.
    """
    array = to_device(array, CPU)
    if array.dtype.kind == "f":
        array = (array * 255).astype(np.uint8)  # as torchvision's ``pic.mul(255).byte()``
    return np.moveaxis(array, -3, -1)


def _array_to_pil(array: np.ndarray, mode: str | None) -> Image.Image:
    """An H x W x C array (C in 1..4) as a PIL image."""
    if array.ndim != 3 or not 1 <= array.shape[2] <= 4:
        raise ValueError(f"ToPILImage: expected an image with 1 to 4 channels, got shape {array.shape}")
    if array.shape[2] == 1:
        array = array[:, :, 0]
    elif array.dtype != np.uint8:
        raise TypeError(f"ToPILImage: Input type {array.dtype} is not supported for {array.shape[2]} channels "
                        "(use uint8 pixels or a float tensor in [0, 1])")
    img = Image.fromarray(np.ascontiguousarray(array))
    return img if mode is None or img.mode == mode else img.convert(mode)


class ToPILImage:
    """A C x H x W Tensor (floats in [0, 1] are scaled by 255) or an H x W x C array to a PIL image.

    ``mode`` converts the result to that PIL mode (``"L"``, ``"RGB"``, ...).
    """

    def __init__(self, mode: str | None = None):
        self.mode = mode

    def __call__(self, pic: Any) -> Image.Image:
        if _arrays.is_tensor(pic):
            array = pic.array
            if array.ndim == 2:
                array = array[None]
            if array.ndim != 3:
                raise ValueError(f"pic should be 2 or 3 dimensional. Got {array.ndim} dimensions.")
            return _array_to_pil(_chw_to_image_array(array), self.mode)
        if isinstance(pic, np.ndarray):
            return _array_to_pil(_as_image_array(pic, "ToPILImage"), self.mode)
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        return (_chw_to_image_array(x) if layout == TENSORS else x), IMAGES

    def __repr__(self) -> str:
        return "ToPILImage()" if self.mode is None else f"ToPILImage(mode={self.mode!r})"


class InterpolationMode(Enum):
    """How ``Resize`` computes new pixels, as ``torchvision.transforms.InterpolationMode``."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's filter for each mode, and the mode for each of Pillow's integer constants (as torchvision).
_PIL_FILTERS = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0, InterpolationMode.BILINEAR: 2,
                InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
                InterpolationMode.LANCZOS: 1}
_MODES_FROM_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
                   4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _interpolation_mode(interpolation: InterpolationMode | int) -> InterpolationMode:
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, numbers.Integral) and int(interpolation) in _MODES_FROM_INT:
        return _MODES_FROM_INT[int(interpolation)]
    raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer constant")


def _resized_size(height: int, width: int, size: Sequence[int], max_size: int | None) -> tuple[int, int]:
    """The (h, w) that ``Resize`` gives an h x w image (torchvision's ``_compute_resized_output_size``)."""
    if len(size) == 2:
        return int(size[0]), int(size[1])
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = int(size[0]), int(int(size[0]) * long / short)
    if max_size is not None:
        if max_size <= new_short:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {list(size)}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    return new_h, new_w


def _nearest_indices(in_size: int, out_size: int, exact: bool) -> np.ndarray:
    """Source index of each output pixel: floor(i * s) (``nearest``) or floor((i + .5) * s) (``nearest-exact``)."""
    scale = np.float32(in_size) / np.float32(out_size)  # torch computes the scale and positions in float32
    positions = (np.arange(out_size, dtype=np.float32) + np.float32(0.5 if exact else 0)) * scale
    return np.minimum(np.floor(positions).astype(np.int64), in_size - 1)


def _linear_weights(in_size: int, out_size: int, antialias: bool) -> np.ndarray:
    """The out x in matrix of bilinear weights along one axis (torch's ``interpolate``, align_corners=False).

    Output pixel ``i`` is centred at ``(i + 0.5) * scale`` in input pixels; each
    input pixel ``j`` within the filter's reach weighs ``1 - |j + 0.5 - centre| / s``,
    normalised to sum to 1. Without antialiasing ``s = 1`` (the usual two-tap
    interpolation); with it, a downscale widens the filter to ``s = scale``, as
    Pillow and torch's ``antialias=True`` do.
    """
    scale = in_size / out_size
    stretch = max(scale, 1.0) if antialias else 1.0  # how much the triangle filter is widened
    centers = (np.arange(out_size) + 0.5) * scale
    distance = np.abs(np.arange(in_size)[None, :] + 0.5 - centers[:, None]) / stretch
    weights = np.clip(1.0 - distance, 0.0, None)
    return weights / weights.sum(axis=1, keepdims=True)


def _resize_array(x, size: tuple[int, int], mode: InterpolationMode, antialias: bool | None):
    """``x`` (``... x H x W``, NumPy or CuPy) resized to ``size`` = (h, w) as torchvision resizes a tensor."""
    xp = _xp(x)
    out_dtype = x.dtype
    if x.dtype not in (np.float32, np.float64):  # as torchvision: compute in float32, round back to integers
        x = x.astype(np.float32)
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        exact = mode is InterpolationMode.NEAREST_EXACT
        rows = xp.asarray(_nearest_indices(x.shape[-2], size[0], exact))
        cols = xp.asarray(_nearest_indices(x.shape[-1], size[1], exact))
        out = x[..., rows[:, None], cols[None, :]]
    elif mode is InterpolationMode.BILINEAR:
        antialias = bool(antialias)  # None means False for tensors
        rows = xp.asarray(_linear_weights(x.shape[-2], size[0], antialias).astype(x.dtype))
        cols = xp.asarray(_linear_weights(x.shape[-1], size[1], antialias).T.astype(x.dtype))
        out = rows @ (x @ cols)  # along the width first, then the height, as torch's separable passes
    else:
        raise NotImplementedError(f"Resize: interpolation {mode.value!r} is not supported on tensors by tinynn "
                                  "(nearest, nearest-exact and bilinear are); resize a PIL image instead")
    if out_dtype.kind in "iu":
        out = xp.round(out)
    return xp.ascontiguousarray(out.astype(out_dtype, copy=False))


class Resize:
    """Resize a PIL image or a ``... x H x W`` Tensor, as ``torchvision.transforms.Resize``.

    - ``size``: (h, w), or an int (or one-element sequence): the smaller edge
      becomes ``size`` and the other keeps the aspect ratio (truncated).
    - ``interpolation``: an ``InterpolationMode`` or a Pillow constant; PIL
      images accept every mode, tensors ``NEAREST``, ``NEAREST_EXACT`` and ``BILINEAR``.
    - ``max_size``: with an int ``size``, the longer edge is capped at ``max_size``.
    - ``antialias``: for tensors, widen the bilinear filter when shrinking (PIL
      images are always antialiased).

    An image that already has the requested size is returned as it is.
    Integer tensors are resized in float32 and rounded back, as in torchvision.
    """

    def __init__(self, size: int | Sequence[int], interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True):
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = _interpolation_mode(interpolation)
        self.antialias = antialias

    def __call__(self, img: Any) -> Any:
        size = [self.size] if isinstance(self.size, int) else list(self.size)
        if self.max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
        if isinstance(img, Image.Image):
            height, width = img.height, img.width
        elif _arrays.is_tensor(img):
            if img.ndim < 2:
                raise TypeError(f"Tensor is not a torch image: expected ... x H x W, got shape {tuple(img.shape)}")
            height, width = img.shape[-2:]
        else:
            raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
        out_size = _resized_size(height, width, size, self.max_size)
        if out_size == (height, width):
            return img
        if isinstance(img, Image.Image):
            if self.antialias is False:
                warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.")
            return img.resize(out_size[::-1], _PIL_FILTERS[self.interpolation])
        return _arrays.wrap(_resize_array(img.array, out_size, self.interpolation, self.antialias))

    def __repr__(self) -> str:
        return (f"Resize(size={self.size}, interpolation={self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class CenterCrop:
    """Cut the central ``size`` (h, w) window out of the image, as ``torchvision.transforms.CenterCrop``.

    ``size`` is an int (a square) or (h, w). An image smaller than ``size`` is
    first padded with zeros (the extra pixel, if any, at the right and bottom).
    The window's corner is ``round((H - h) / 2)``, ``round((W - w) / 2)``.
    Works on PIL images (returns a PIL image), H x W x C arrays and ``... x H x W`` Tensors.
    """

    def __init__(self, size: int | Sequence[int]):
        if isinstance(size, numbers.Number):
            size = (int(size), int(size))
        elif isinstance(size, Sequence) and len(size) == 1:
            size = (size[0], size[0])
        if not isinstance(size, Sequence) or len(size) != 2:
            raise ValueError("Please provide only two dimensions (h, w) for size.")
        self.size = tuple(size)

    def _box(self, height: int, width: int) -> tuple[int, int, int, int]:
        """(top, left, bottom padding, right padding) of the window in an image of ``height`` x ``width``.

        Top and left are in the unpadded image's coordinates: negative when the
        image is padded on that side.
        """
        th, tw = self.size
        pad_top = (th - height) // 2 if th > height else 0
        pad_left = (tw - width) // 2 if tw > width else 0
        pad_bottom = (th - height + 1) // 2 if th > height else 0
        pad_right = (tw - width + 1) // 2 if tw > width else 0
        padded_h, padded_w = height + pad_top + pad_bottom, width + pad_left + pad_right
        top = int(round((padded_h - th) / 2.0)) - pad_top
        left = int(round((padded_w - tw) / 2.0)) - pad_left
        return top, left, pad_bottom, pad_right

    def _crop(self, x, h_axis: int):
        """The window of ``x`` whose height axis is ``h_axis`` (width follows), zero-padded where needed."""
        height, width = x.shape[h_axis], x.shape[h_axis + 1]
        top, left, pad_bottom, pad_right = self._box(height, width)
        if top < 0 or left < 0 or pad_bottom or pad_right:
            widths = [(0, 0)] * x.ndim
            widths[h_axis], widths[h_axis + 1] = (max(-top, 0), pad_bottom), (max(-left, 0), pad_right)
            x = _xp(x).pad(x, widths)
            top, left = max(top, 0), max(left, 0)
        window = [slice(None)] * x.ndim
        window[h_axis], window[h_axis + 1] = slice(top, top + self.size[0]), slice(left, left + self.size[1])
        return _xp(x).ascontiguousarray(x[tuple(window)])

    def __call__(self, img: Any) -> Any:
        if isinstance(img, Image.Image):
            top, left, _, _ = self._box(img.height, img.width)
            return img.crop((left, top, left + self.size[1], top + self.size[0]))  # Pillow fills outside with 0
        if isinstance(img, np.ndarray):
            return self._crop(img, 0)
        if _arrays.is_tensor(img):
            if img.ndim < 2:
                raise ValueError(f"CenterCrop: expected a ... x H x W tensor, got shape {tuple(img.shape)}")
            return _arrays.wrap(self._crop(img.array, img.ndim - 2))
        raise TypeError(f"img should be PIL Image, ndarray or Tensor. Got {type(img)}")

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        return self._crop(x, 1 if layout == IMAGES else 2), layout

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


# The transforms whose ``_batch`` reproduces ``__call__`` on a whole batch.
_BATCHABLE = (ToTensor, Normalize, RandomHorizontalFlip, RandomCrop, CenterCrop, ToPILImage)


def _batch_plan(transform: Any) -> list | None:
    """The simple transforms that make up ``transform`` in order, or None if one cannot run on a batch.

    ``None`` (no transform) gives None too: the samples are then PIL images,
    made one by one.
    """
    if type(transform) is Compose:
        plan: list = []
        for t in transform.transforms:
            inner = _batch_plan(t)
            if inner is None:
                return None
            plan += inner
        return plan
    if type(transform) is ToPILImage and transform.mode is not None:
        return None  # mode conversions are left to the per-image path
    return [transform] if type(transform) in _BATCHABLE else None


def _run_batch(plan: list, images: np.ndarray) -> list:
    """Apply the transforms of ``plan`` (from ``_batch_plan``) to N x H x W x C uint8 ``images`` at once.

    Returns the N results, each what the transform gives for one PIL image:
    a C x H x W Tensor, or a PIL image when the pipeline ends on images.
    """
    x, layout = images, IMAGES
    for t in plan:
        x, layout = t._batch(x, layout)
    if layout == TENSORS:
        return [_arrays.wrap(sample) for sample in x]
    return [_array_to_pil(sample, None) for sample in x]


__all__ = ["CenterCrop", "Compose", "InterpolationMode", "Lambda", "Normalize", "RandomCrop", "RandomHorizontalFlip",
           "Resize", "ToPILImage", "ToTensor"]
