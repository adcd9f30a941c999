"""Image transforms, as ``torchvision.transforms``: callables applied to a sample before it is returned.

    transform = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ColorJitter(0.4, 0.4, 0.4, 0.1),
        transforms.ToTensor(),                                   # H x W x C uint8 -> C x H x W float32 in [0, 1]
        transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])

Images are PIL images or ``tinynn.Tensor`` s of shape ``(..., C, H, W)``
(``RandomHorizontalFlip``, ``RandomVerticalFlip``, ``RandomCrop`` and
``CenterCrop`` also take H x W (x C) NumPy arrays). Each transform does what
the ``functional`` function of the same name does, with torchvision's
arguments, defaults, reprs and errors; the transforms that torchvision makes
``nn.Module`` s are ``tinynn.nn.Module`` s.

Random transforms draw from tinynn's default generator (``tinynn.random.get_rng()``),
so ``tinynn.manual_seed`` makes them reproducible. They draw the same kinds of
numbers in the same order as torchvision, but from NumPy's generator, so a
seed does not give torchvision's crops, angles or colours.

Whole batches: ``ToTensor``, ``PILToTensor``, ``ConvertImageDtype``,
``Normalize``, ``RandomHorizontalFlip``, ``RandomVerticalFlip``, ``RandomCrop``,
``CenterCrop`` and ``ToPILImage`` (and any ``Compose`` made only of them) can
also transform N images in one vectorised NumPy step (``_batch_plan`` and
``_run_batch``). Datasets such as ``CIFAR10`` use it in ``__getitems__``.
Deterministic transforms give exactly the per-image results; random ones draw
their random numbers in a different order (one draw per transform for the
whole batch), so they are reproducible but not equal to applying the transform
image by image.
"""
from __future__ import annotations

import bisect
import itertools
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np
from PIL import Image

from ..._device import CPU, device_of, on_device_of, to_device
from ...nn import Module
from ...random import get_rng
from ...utils import _arrays
from . import _functional_tensor as F_t
from . import functional as F
from .functional import InterpolationMode, _interpolation_modes_from_int

# Layouts of a batch flowing through ``_run_batch``:
IMAGES = "NHWC"   # images (a PIL image or H x W x C array per sample)
TENSORS = "NCHW"  # tensors (a C x H x W Tensor per sample)


def _interpolation(interpolation: Any) -> InterpolationMode:
    """Pillow's integer constants as modes, as torchvision's constructors convert them."""
    if isinstance(interpolation, int) and not isinstance(interpolation, InterpolationMode):
        return _interpolation_modes_from_int(interpolation)
    return interpolation


def _setup_size(size: Any, error_msg: str) -> Any:
    """(h, w) from an int or a one-element sequence; a two-element sequence is kept as it is."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _check_sequence_input(x: Any, name: str, req_sizes: tuple[int, ...]) -> None:
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join([str(s) for s in req_sizes])
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def _setup_angle(x: Any, name: str, req_sizes: tuple[int, ...] = (2,)) -> list[float]:
    """[-x, x] from a number, or the sequence as floats."""
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _setup_fill(fill: Any) -> Any:
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def _tensor_fill(img: Any, fill: Any, channels: int) -> Any:
    """For tensors, ``fill`` as one float per channel (as torchvision's random warps pass it)."""
    if not _arrays.is_tensor(img):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    return [float(f) for f in fill]


def _uniform(low: float, high: float) -> float:
    return float(get_rng().uniform(low, high))


def _randint(low: int, high: int) -> int:
    """An int in [low, high)."""
    return int(get_rng().integers(low, high))


# ----------------------------------------------------------------------------- composition
class Compose:
    """Apply several transforms one after the other: ``Compose([t1, t2])(x) == t2(t1(x))``."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = transforms

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return "\n".join([f"{type(self).__name__}("] + [f"    {t}" for t in self.transforms] + [")"])


class Lambda:
    """Apply a user function as a transform: ``Lambda(lambda x: x.view(-1))``."""

    def __init__(self, lambd: Callable[[Any], Any]):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RandomTransforms:
    """Base of ``RandomOrder`` and ``RandomChoice``: a sequence of transforms."""

    def __init__(self, transforms: Sequence[Callable]):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError()

    def __repr__(self) -> str:
        return "\n".join([f"{type(self).__name__}("] + [f"    {t}" for t in self.transforms] + [")"])


class RandomApply(Module):
    """Apply all of ``transforms`` (in order) with probability ``p``, else none of them."""

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, img: Any) -> Any:
        if self.p < get_rng().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return "\n".join([f"{type(self).__name__}(", f"    p={self.p}"]
                         + [f"    {t}" for t in self.transforms] + [")"])


class RandomOrder(RandomTransforms):
    """Apply ``transforms`` in a random order (a permutation from tinynn's generator, not Python's ``random``)."""

    def __call__(self, img: Any) -> Any:
        for i in get_rng().permutation(len(self.transforms)).tolist():
            img = self.transforms[i](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one of ``transforms``, picked with the weights ``p`` (equal weights by default).

    The pick follows ``random.choices`` (cumulative weights, one uniform draw),
    drawn from tinynn's generator.
    """

    def __init__(self, transforms: Sequence[Callable], p: Sequence[float] | None = None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args: Any) -> Any:
        n = len(self.transforms)
        if self.p is None:
            index = math.floor(get_rng().random() * n)
        else:
            cum_weights = list(itertools.accumulate(self.p))
            if len(cum_weights) != n:
                raise ValueError("The number of weights does not match the population")
            total = cum_weights[-1] + 0.0
            if total <= 0.0:
                raise ValueError("Total of weights must be greater than zero")
            index = bisect.bisect(cum_weights, get_rng().random() * total, 0, n - 1)
        return self.transforms[index](*args)

    def __repr__(self) -> str:
        return f"{super().__repr__()}(p={self.p})"


# ----------------------------------------------------------------------------- conversions
class ToTensor:
    """PIL image or H x W x C array to a C x H x W Tensor; uint8 values become float32 in [0, 1].

    Arrays of other dtypes keep their values and dtype (as in torchvision).
    """

    def __call__(self, pic: Any) -> Any:
        return F.to_tensor(pic)

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        if layout != IMAGES:
            raise TypeError("pic should be PIL Image or ndarray. Got a Tensor")
        return F._hwc_to_float_chw(x), TENSORS

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PILToTensor:
    """PIL image to a C x H x W Tensor of the same pixel type (uint8 for "L" and "RGB"), values unchanged."""

    def __call__(self, pic: Any) -> Any:
        return F.pil_to_tensor(pic)

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        if layout != IMAGES:
            raise TypeError("pic should be PIL Image. Got a Tensor")
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2)), TENSORS

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ConvertImageDtype(Module):
    """Convert a tensor image to ``dtype``, rescaling its values (uint8 [0, 255] <-> float [0, 1])."""

    def __init__(self, dtype: Any) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image: Any) -> Any:
        return F.convert_image_dtype(image, self.dtype)

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        if layout != TENSORS:
            raise TypeError("Input img should be Tensor Image")
        return F_t.convert_image_dtype(x, np.dtype(self.dtype)), TENSORS


def _chw_to_image_array(array) -> np.ndarray:
    """``... x C x H x W`` tensor data to ``... x H x W x C`` NumPy pixels.

    Floats are scaled by 255 and truncated to uint8; other dtypes are kept.
    """
    array = to_device(array, CPU)
    if array.dtype.kind == "f":
        array = (array * 255).astype(np.uint8)  # as torchvision's ``(pic * 255).astype(np.uint8)``
    return np.moveaxis(array, -3, -1)


def _array_to_pil(array: np.ndarray) -> Image.Image:
    """An H x W x C array (C in 1..4) as a PIL image of the default mode (what ``ToPILImage()`` gives)."""
    return F.to_pil_image(array)


class ToPILImage:
    """A C x H x W Tensor (floats in [0, 1] are scaled by 255) or an H x W x C array to a PIL image.

    ``mode``: the PIL mode to give the result (see ``functional.to_pil_image``).
    """

    def __init__(self, mode: str | None = None):
        self.mode = mode

    def __call__(self, pic: Any) -> Image.Image:
        return F.to_pil_image(pic, self.mode)

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        return (_chw_to_image_array(x) if layout == TENSORS else x), IMAGES

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + (f"mode={self.mode}" if self.mode is not None else "") + ")"


class Normalize(Module):
    """``(x - mean[c]) / std[c]`` for each channel ``c`` of a float ``(..., C, H, W)`` Tensor.

    ``mean`` and ``std`` are sequences with one value per channel (or a single
    value for all). They are converted to the tensor's dtype first, so a
    float32 tensor stays float32. With ``inplace=True`` the tensor itself is
    modified and returned.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        super().__init__()
        self.mean = mean
        self.std = std
        self.inplace = inplace
        self._mean = np.asarray(mean, dtype=np.float64)
        self._std = np.asarray(std, dtype=np.float64)
        self._cache: dict = {}  # (dtype, device, channels) -> (mean, std) as C x 1 x 1 arrays

    def _constants(self, array):
        """Mean and std as C x 1 x 1 arrays of ``array``'s dtype, on its device."""
        key = (array.dtype, str(device_of(array)), array.shape[-3])
        if key not in self._cache:
            self._cache[key] = F_t._normalize_constants(array, self._mean, self._std)
        return self._cache[key]

    @staticmethod
    def _check(array) -> None:
        if array.dtype.kind != "f":
            raise TypeError(f"Input tensor should be a float tensor. Got {F_t._dtype_name(array.dtype)}.")
        if array.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                             f"{tuple(array.shape)}")

    def forward(self, tensor: Any) -> Any:
        if not _arrays.is_tensor(tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        array = tensor.array
        self._check(array)
        with on_device_of(array):  # on the tensor's GPU (cuda:1 too)
            mean, std = self._constants(array)
            if self.inplace:
                array -= mean
                array /= std
                return tensor
            return _arrays.wrap((array - mean) / std)

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        if layout != TENSORS:
            raise TypeError("img should be Tensor Image. Got an image (apply ToTensor first)")
        self._check(x)
        mean, std = self._constants(x)
        return (x - mean) / std, TENSORS

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Grayscale(Module):
    """Convert to grey: one channel, or three equal ones with ``num_output_channels=3``."""

    def __init__(self, num_output_channels: int = 1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img: Any) -> Any:
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale(Module):
    """Convert to grey with probability ``p``, keeping the number of channels."""

    def __init__(self, p: float = 0.1):
        super().__init__()
        self.p = p

    def forward(self, img: Any) -> Any:
        num_output_channels, _, _ = F.get_dimensions(img)
        if get_rng().random() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=num_output_channels)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class LinearTransformation(Module):
    """Flatten each image, subtract ``mean_vector`` and multiply by ``transformation_matrix`` (e.g. ZCA whitening)."""

    def __init__(self, transformation_matrix: Any, mean_vector: Any):
        super().__init__()
        if transformation_matrix.shape[0] != transformation_matrix.shape[1]:
            raise ValueError("transformation_matrix should be square. Got "
                             f"{tuple(transformation_matrix.shape)} rectangular matrix.")
        if mean_vector.shape[0] != transformation_matrix.shape[0]:
            raise ValueError(f"mean_vector should have the same length {mean_vector.shape[0]}"
                             f" as any one of the dimensions of the transformation_matrix "
                             f"[{tuple(transformation_matrix.shape)}]")
        if transformation_matrix.device != mean_vector.device:
            raise ValueError(f"Input tensors should be on the same device. Got {transformation_matrix.device} and "
                             f"{mean_vector.device}")
        if transformation_matrix.dtype != mean_vector.dtype:
            raise ValueError(f"Input tensors should have the same dtype. Got {transformation_matrix.dtype} and "
                             f"{mean_vector.dtype}")
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def forward(self, tensor: Any) -> Any:
        shape = tuple(tensor.shape)
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError("Input tensor and transformation matrix have incompatible shape."
                             f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != {self.transformation_matrix.shape[0]}")
        if tensor.device.type != self.mean_vector.device.type:
            raise ValueError("Input tensor should be on the same device as transformation matrix and mean vector. "
                             f"Got {tensor.device} vs {self.mean_vector.device}")
        with on_device_of(tensor.array):
            flat = tensor.array.reshape(-1, n) - self.mean_vector.array
            matrix = self.transformation_matrix.array.astype(flat.dtype, copy=False)
            return _arrays.wrap((flat @ matrix).reshape(shape))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(transformation_matrix={self.transformation_matrix.tolist()}, "
                f"mean_vector={self.mean_vector.tolist()})")


# ----------------------------------------------------------------------------- geometry
class Resize(Module):
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
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = F._interpolation_mode(interpolation)
        self.antialias = antialias

    def forward(self, img: Any) -> Any:
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop(Module):
    """Cut the central ``size`` (h, w) window out of the image, as ``torchvision.transforms.CenterCrop``.

    ``size`` is an int (a square) or (h, w). An image smaller than ``size`` is
    first padded with zeros (the extra pixel, if any, at the right and bottom).
    The window's corner is ``round((H - h) / 2)``, ``round((W - w) / 2)``.
    Works on PIL images (returns a PIL image), H x W x C arrays and ``... x H x W`` Tensors.
    """

    def __init__(self, size: int | Sequence[int]):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def forward(self, img: Any) -> Any:
        return F.center_crop(img, self.size)

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        chw = x.transpose(0, 3, 1, 2) if layout == IMAGES else x  # crop the last two axes
        out = F.center_crop(_arrays.wrap(chw), self.size).array
        return np.ascontiguousarray(out.transpose(0, 2, 3, 1) if layout == IMAGES else out), layout

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class Pad(Module):
    """Pad each border: ``padding`` is an int, (left/right, top/bottom) or (left, top, right, bottom).

    ``padding_mode``: "constant" (with ``fill``: a number, or one value per
    band for PIL images), "edge", "reflect" or "symmetric".
    """

    def __init__(self, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant"):
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in [1, 2, 4]:
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} "
                             "element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img: Any) -> Any:
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


def _padding_ltrb(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """Padding as (left, top, right, bottom) from an int, (all), (left/right, top/bottom) or (l, t, r, b)."""
    if isinstance(padding, numbers.Number):
        return (int(padding),) * 4
    p = [int(v) for v in padding]
    if len(p) == 1:
        return (p[0],) * 4
    if len(p) == 2:
        return p[0], p[1], p[0], p[1]
    return p[0], p[1], p[2], p[3]


class RandomCrop(Module):
    """Cut a random ``size`` (h, w) window out of the image, after optional padding.

    - ``padding``: an int (all sides), (left/right, top/bottom) or (left, top, right, bottom).
    - ``pad_if_needed``: pad images smaller than ``size`` up to it.
    - ``fill`` and ``padding_mode``: as in ``Pad``.

    Works on PIL images (returns a PIL image), H x W x C arrays and ``... x H x W`` Tensors.
    """

    _modes = ("constant", "edge", "reflect", "symmetric")

    def __init__(self, size: int | Sequence[int], padding: int | Sequence[int] | None = None,
                 pad_if_needed: bool = False, fill: Any = 0, padding_mode: str = "constant"):
        super().__init__()
        self.size = tuple(_setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."))
        if padding_mode not in self._modes:  # checked here already (torchvision checks when called)
            raise ValueError(f"padding_mode should be one of {self._modes}, got {padding_mode!r}")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img: Any, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """A random (top, left, height, width) of an ``output_size`` window inside ``img``."""
        _, h, w = F._dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = _randint(0, h - th + 1)
        j = _randint(0, w - tw + 1)
        return i, j, th, tw

    def forward(self, img: Any) -> Any:
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F._dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    # The batch path: N images padded at once with numpy.pad, one corner drawn per image.
    def _can_batch(self) -> bool:
        padding_ok = self.padding is None or min(_padding_ltrb(self.padding)) >= 0
        return isinstance(self.fill, numbers.Number) and padding_ok

    def _pad_batch(self, x: np.ndarray, h_axis: int, ltrb: tuple[int, int, int, int]) -> np.ndarray:
        left, top, right, bottom = ltrb
        if not any(ltrb):
            return x
        widths = [(0, 0)] * x.ndim
        widths[h_axis], widths[h_axis + 1] = (top, bottom), (left, right)
        kwargs = {"constant_values": self.fill} if self.padding_mode == "constant" else {}
        return np.pad(x, widths, mode=self.padding_mode, **kwargs)

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        h_axis = 1 if layout == IMAGES else 2
        if self.padding is not None:
            x = self._pad_batch(x, h_axis, _padding_ltrb(self.padding))
        th, tw = self.size
        if self.pad_if_needed:
            dw, dh = max(tw - x.shape[h_axis + 1], 0), max(th - x.shape[h_axis], 0)
            x = self._pad_batch(x, h_axis, (dw, dh, dw, dh))
        h, w = x.shape[h_axis], x.shape[h_axis + 1]
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if (h, w) == (th, tw):
            return x.copy(), layout
        rng = get_rng()
        i, j = rng.integers(0, h - th + 1, size=len(x)), rng.integers(0, w - tw + 1, size=len(x))
        if len(x) == 0:
            return (x[:, :th, :tw] if layout == IMAGES else x[..., :th, :tw]).copy(), layout
        if layout == IMAGES:
            crops = [x[k, i[k]:i[k] + th, j[k]:j[k] + tw] for k in range(len(x))]
        else:
            crops = [x[k, :, i[k]:i[k] + th, j[k]:j[k] + tw] for k in range(len(x))]
        return np.stack(crops), layout

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(Module):
    """Mirror the image left-right with probability ``p`` (PIL image, H x W (x C) array or Tensor)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, img: Any) -> Any:
        if get_rng().random() < self.p:
            return F.hflip(img)
        return img

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        flip = get_rng().random(len(x)) < self.p
        flipped = x[:, :, ::-1, :] if layout == IMAGES else x[..., ::-1]
        return np.where(flip[:, None, None, None], flipped, x), layout

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(Module):
    """Flip the image upside down with probability ``p`` (PIL image, H x W (x C) array or Tensor)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, img: Any) -> Any:
        if get_rng().random() < self.p:
            return F.vflip(img)
        return img

    def _batch(self, x: np.ndarray, layout: str) -> tuple[np.ndarray, str]:
        flip = get_rng().random(len(x)) < self.p
        flipped = x[:, ::-1, :, :] if layout == IMAGES else x[..., ::-1, :]
        return np.where(flip[:, None, None, None], flipped, x), layout

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomResizedCrop(Module):
    """Crop a random part (``scale`` of the area, aspect ratio in ``ratio``) and resize it to ``size``.

    Ten tries at a random box that fits; after that, the largest central box of
    an allowed ratio (as torchvision).
    """

    def __init__(self, size: int | Sequence[int], scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: InterpolationMode | int = InterpolationMode.BILINEAR, antialias: bool | None = True):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img: Any, scale: Sequence[float], ratio: Sequence[float]) -> tuple[int, int, int, int]:
        """A random (top, left, height, width) box for a random sized crop."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = _randint(0, height - h + 1)
                j = _randint(0, width - w + 1)
                return i, j, h, w
        in_ratio = float(width) / float(height)  # fallback: a central crop
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:  # the whole image
            w = width
            h = height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img: Any) -> Any:
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


class FiveCrop(Module):
    """The four corner crops and the central crop of ``size``, as a tuple of 5 images."""

    def __init__(self, size: int | Sequence[int]):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def forward(self, img: Any) -> tuple:
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class TenCrop(Module):
    """``FiveCrop`` of the image and of its mirror image (upside-down with ``vertical_flip``): 10 images."""

    def __init__(self, size: int | Sequence[int], vertical_flip: bool = False):
        super().__init__()
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        self.vertical_flip = vertical_flip

    def forward(self, img: Any) -> tuple:
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class RandomRotation(Module):
    """Rotate by a random angle in ``degrees`` (a number d means (-d, d)), counter-clockwise.

    ``interpolation`` NEAREST or BILINEAR (tensors; PIL images accept the Pillow
    filters too), ``expand`` to hold the whole rotated image, ``center`` (x, y)
    of the rotation, ``fill`` for the area from outside the image.
    """

    def __init__(self, degrees: float | Sequence[float],
                 interpolation: InterpolationMode | int = InterpolationMode.NEAREST, expand: bool = False,
                 center: Sequence[int] | None = None, fill: Any = 0):
        super().__init__()
        interpolation = _interpolation(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.interpolation = interpolation
        self.expand = expand
        self.fill = _setup_fill(fill)

    @staticmethod
    def get_params(degrees: Sequence[float]) -> float:
        """A random angle in [degrees[0], degrees[1]]."""
        return _uniform(float(degrees[0]), float(degrees[1]))

    def forward(self, img: Any) -> Any:
        channels, _, _ = F.get_dimensions(img)
        fill = _tensor_fill(img, self.fill, channels)
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        s = f"{type(self).__name__}(degrees={self.degrees}, interpolation={self.interpolation.value}, " \
            f"expand={self.expand}"
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


class RandomAffine(Module):
    """A random affine map keeping the centre: rotation in ``degrees``, shift up to ``translate``
    (fractions of width and height), ``scale`` in a range, ``shear`` in degrees (x, or x and y ranges).
    """

    def __init__(self, degrees: float | Sequence[float], translate: Sequence[float] | None = None,
                 scale: Sequence[float] | None = None, shear: float | Sequence[float] | None = None,
                 interpolation: InterpolationMode | int = InterpolationMode.NEAREST, fill: Any = 0,
                 center: Sequence[int] | None = None):
        super().__init__()
        interpolation = _interpolation(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence_input(translate, "translate", req_sizes=(2,))
            for t in translate:
                if not (0.0 <= t <= 1.0):
                    raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            _check_sequence_input(scale, "scale", req_sizes=(2,))
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = _setup_angle(shear, name="shear", req_sizes=(2, 4)) if shear is not None else shear
        self.interpolation = interpolation
        self.fill = _setup_fill(fill)
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    @staticmethod
    def get_params(degrees: Sequence[float], translate: Sequence[float] | None, scale_ranges: Sequence[float] | None,
                   shears: Sequence[float] | None,
                   img_size: Sequence[int]) -> tuple[float, tuple[int, int], float, tuple[float, float]]:
        """Random (angle, (tx, ty), scale, (shear_x, shear_y)); ``img_size`` is [width, height]."""
        angle = _uniform(float(degrees[0]), float(degrees[1]))
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            translations = (int(round(_uniform(-max_dx, max_dx))), int(round(_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = _uniform(scale_ranges[0], scale_ranges[1]) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img: Any) -> Any:
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(img, self.fill, channels)
        ret = self.get_params(self.degrees, self.translate, self.scale, self.shear, [width, height])
        return F.affine(img, *ret, interpolation=self.interpolation, fill=fill, center=self.center)

    def __repr__(self) -> str:
        s = f"{type(self).__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        s += f", interpolation={self.interpolation.value}" if self.interpolation != InterpolationMode.NEAREST else ""
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"


class RandomPerspective(Module):
    """With probability ``p``, move each corner inwards by up to ``distortion_scale`` of half the size (a random
    perspective warp); ``fill`` colours the area from outside the image."""

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5,
                 interpolation: InterpolationMode | int = InterpolationMode.BILINEAR, fill: Any = 0):
        super().__init__()
        self.p = p
        self.interpolation = _interpolation(interpolation)
        self.distortion_scale = distortion_scale
        self.fill = _setup_fill(fill)

    def forward(self, img: Any) -> Any:
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(img, self.fill, channels)
        if get_rng().random() < self.p:
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return F.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    @staticmethod
    def get_params(width: int, height: int, distortion_scale: float) -> tuple[list[list[int]], list[list[int]]]:
        """The image corners and where they go: ([top-left, top-right, bottom-right, bottom-left] as [x, y]) x 2."""
        half_height, half_width = height // 2, width // 2
        dx, dy = int(distortion_scale * half_width), int(distortion_scale * half_height)
        topleft = [_randint(0, dx + 1), _randint(0, dy + 1)]
        topright = [_randint(width - dx - 1, width), _randint(0, dy + 1)]
        botright = [_randint(width - dx - 1, width), _randint(height - dy - 1, height)]
        botleft = [_randint(0, dx + 1), _randint(height - dy - 1, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class ElasticTransform(Module):
    """Move each pixel by a random smooth displacement field: uniform noise in [-1, 1] blurred with std ``sigma``
    and scaled by ``alpha`` (pixels), as in "Best Practices for CNNs applied to Visual Document Analysis"."""

    def __init__(self, alpha: float | Sequence[float] = 50.0, sigma: float | Sequence[float] = 5.0,
                 interpolation: InterpolationMode | int = InterpolationMode.BILINEAR, fill: Any = 0):
        super().__init__()
        self.alpha = self._pair(alpha, "alpha")
        self.sigma = self._pair(sigma, "sigma")
        self.interpolation = _interpolation(interpolation)
        if isinstance(fill, (int, float)):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            raise TypeError(f"fill should be int or float or a list or tuple of them. Got {type(fill)}")
        self.fill = fill

    @staticmethod
    def _pair(value: Any, name: str) -> Any:
        if not isinstance(value, (float, Sequence)):
            raise TypeError(f"{name} should be float or a sequence of floats. Got {type(value)}")
        if isinstance(value, Sequence) and len(value) != 2:
            raise ValueError(f"If {name} is a sequence its length should be 2. Got {len(value)}")
        if isinstance(value, Sequence):
            for element in value:
                if not isinstance(element, float):
                    raise TypeError(f"{name} should be a sequence of floats. Got {type(element)}")
        if isinstance(value, float):
            value = [float(value), float(value)]
        return value

    @staticmethod
    def get_params(alpha: Sequence[float], sigma: Sequence[float], size: Sequence[int]) -> Any:
        """A random displacement field, a ``1 x H x W x 2`` tensor (x then y, in [-1, 1] units of the image)."""
        fields = []
        for k, extent in ((0, size[1]), (1, size[0])):
            d = _arrays.wrap(get_rng().random((1, 1, size[0], size[1]), dtype=np.float32) * 2 - 1)
            if sigma[k] > 0.0:
                ksize = int(8 * sigma[k] + 1)
                if ksize % 2 == 0:  # kernel sizes must be odd
                    ksize += 1
                d = F.gaussian_blur(d, [ksize, ksize], list(sigma))
            fields.append(d.array * np.float32(alpha[k]) / np.float32(extent))
        return _arrays.wrap(np.ascontiguousarray(np.concatenate(fields, 1).transpose(0, 2, 3, 1)))

    def forward(self, tensor: Any) -> Any:
        _, height, width = F.get_dimensions(tensor)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return F.elastic_transform(tensor, displacement, self.interpolation, self.fill)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(alpha={self.alpha}, sigma={self.sigma}, interpolation={self.interpolation}, "
                f"fill={self.fill})")


# ----------------------------------------------------------------------------- colour and filters
class ColorJitter(Module):
    """Random brightness, contrast, saturation and hue changes, applied in a random order.

    Each of ``brightness``, ``contrast``, ``saturation`` is a number x (a factor
    drawn from [max(0, 1 - x), 1 + x]) or a (min, max) range; ``hue`` is x in
    [0, 0.5] (a shift drawn from [-x, x]) or a range within [-0.5, 0.5].
    """

    def __init__(self, brightness: float | tuple[float, float] = 0, contrast: float | tuple[float, float] = 0,
                 saturation: float | tuple[float, float] = 0, hue: float | tuple[float, float] = 0) -> None:
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    def _check_input(self, value: Any, name: str, center: float = 1, bound: tuple[float, float] = (0, float("inf")),
                     clip_first_on_zero: bool = True) -> tuple[float, float] | None:
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:  # no change: nothing to draw
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness: Sequence[float] | None, contrast: Sequence[float] | None,
                   saturation: Sequence[float] | None, hue: Sequence[float] | None) -> tuple:
        """(order of the four adjustments as an int64 Tensor, brightness, contrast, saturation, hue factors)."""
        fn_idx = _arrays.wrap(get_rng().permutation(4))
        b = None if brightness is None else _uniform(brightness[0], brightness[1])
        c = None if contrast is None else _uniform(contrast[0], contrast[1])
        s = None if saturation is None else _uniform(saturation[0], saturation[1])
        h = None if hue is None else _uniform(hue[0], hue[1])
        return fn_idx, b, c, s, h

    def forward(self, img: Any) -> Any:
        fn_idx, brightness_factor, contrast_factor, saturation_factor, hue_factor = self.get_params(
            self.brightness, self.contrast, self.saturation, self.hue)
        for fn_id in (int(k) for k in fn_idx):
            if fn_id == 0 and brightness_factor is not None:
                img = F.adjust_brightness(img, brightness_factor)
            elif fn_id == 1 and contrast_factor is not None:
                img = F.adjust_contrast(img, contrast_factor)
            elif fn_id == 2 and saturation_factor is not None:
                img = F.adjust_saturation(img, saturation_factor)
            elif fn_id == 3 and hue_factor is not None:
                img = F.adjust_hue(img, hue_factor)
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class GaussianBlur(Module):
    """Blur with a ``kernel_size`` Gaussian whose std is drawn from ``sigma`` = (min, max) (or fixed)."""

    def __init__(self, kernel_size: int | Sequence[int], sigma: float | tuple[float, float] = (0.1, 2.0)):
        super().__init__()
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        """A random std in [sigma_min, sigma_max]."""
        return _uniform(sigma_min, sigma_max)

    def forward(self, img: Any) -> Any:
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomErasing(Module):
    """With probability ``p``, erase a random box of a tensor image (``scale`` of the area, aspect ``ratio``).

    ``value``: a number, one per channel, or "random" (standard normal noise,
    drawn from tinynn's generator). Tensors only, as in torchvision.
    """

    def __init__(self, p: float = 0.5, scale: tuple[float, float] = (0.02, 0.33),
                 ratio: tuple[float, float] = (0.3, 3.3), value: Any = 0, inplace: bool = False):
        super().__init__()
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img: Any, scale: tuple[float, float], ratio: tuple[float, float],
                   value: list[float] | None = None) -> tuple[int, int, int, int, Any]:
        """A random box (i, j, h, w) and its values (a tensor), or the whole image when ten tries fail."""
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = get_rng().standard_normal((img_c, h, w), dtype=np.float32)
            else:
                v = np.asarray(value, dtype=np.float32)[:, None, None]
            i = _randint(0, img_h - h + 1)
            j = _randint(0, img_w - w + 1)
            return i, j, h, w, _arrays.wrap(v)
        return 0, 0, img_h, img_w, img

    def forward(self, img: Any) -> Any:
        if get_rng().random() < self.p:
            if not _arrays.is_tensor(img):
                raise TypeError(f"img should be Tensor Image. Got {type(img)}")
            if isinstance(self.value, (int, float)):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            elif isinstance(self.value, (list, tuple)):
                value = [float(v) for v in self.value]
            else:
                value = self.value
            if value is not None and len(value) not in (1, img.shape[-3]):
                raise ValueError("If value is a sequence, it should have either a single value or "
                                 f"{img.shape[-3]} (number of input channels)")
            x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return F.erase(img, x, y, h, w, v, self.inplace)
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value}, "
                f"inplace={self.inplace})")


class _RandomColorOp(Module):
    """Base of the transforms that apply one ``functional`` colour op with probability ``p``."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def _apply(self, img: Any) -> Any:
        raise NotImplementedError

    def forward(self, img: Any) -> Any:
        if get_rng().random() < self.p:
            return self._apply(img)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomInvert(_RandomColorOp):
    """Invert the colours with probability ``p``."""

    def _apply(self, img: Any) -> Any:
        return F.invert(img)


class RandomAutocontrast(_RandomColorOp):
    """Stretch each channel to the full range with probability ``p``."""

    def _apply(self, img: Any) -> Any:
        return F.autocontrast(img)


class RandomEqualize(_RandomColorOp):
    """Equalise the histogram with probability ``p``."""

    def _apply(self, img: Any) -> Any:
        return F.equalize(img)


class RandomPosterize(_RandomColorOp):
    """Keep ``bits`` bits per channel with probability ``p``."""

    def __init__(self, bits: int, p: float = 0.5):
        super().__init__(p)
        self.bits = bits

    def _apply(self, img: Any) -> Any:
        return F.posterize(img, self.bits)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(bits={self.bits},p={self.p})"


class RandomSolarize(_RandomColorOp):
    """Invert the pixels at or above ``threshold`` with probability ``p``."""

    def __init__(self, threshold: float, p: float = 0.5):
        super().__init__(p)
        self.threshold = threshold

    def _apply(self, img: Any) -> Any:
        return F.solarize(img, self.threshold)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(threshold={self.threshold},p={self.p})"


class RandomAdjustSharpness(_RandomColorOp):
    """Change the sharpness by ``sharpness_factor`` with probability ``p``."""

    def __init__(self, sharpness_factor: float, p: float = 0.5):
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def _apply(self, img: Any) -> Any:
        return F.adjust_sharpness(img, self.sharpness_factor)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sharpness_factor={self.sharpness_factor},p={self.p})"


# ----------------------------------------------------------------------------- whole batches
# The transforms whose ``_batch`` reproduces ``__call__`` on a whole batch.
_BATCHABLE = (ToTensor, PILToTensor, ConvertImageDtype, Normalize, RandomHorizontalFlip, RandomVerticalFlip,
              RandomCrop, CenterCrop, ToPILImage)


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
    kind = type(transform)
    if kind is ToPILImage and transform.mode is not None:
        return None  # mode conversions are left to the per-image path
    if kind is RandomCrop and not transform._can_batch():
        return None
    if isinstance(transform, Module) and (transform._forward_hooks or transform._forward_pre_hooks):
        return None  # hooks run only through __call__
    return [transform] if kind in _BATCHABLE else None


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
    return [_array_to_pil(sample) for sample in x]


__all__ = ["Compose", "ToTensor", "PILToTensor", "ConvertImageDtype", "ToPILImage", "Normalize", "Resize",
           "CenterCrop", "Pad", "Lambda", "RandomApply", "RandomChoice", "RandomOrder", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomResizedCrop", "FiveCrop", "TenCrop",
           "LinearTransformation", "ColorJitter", "RandomRotation", "RandomAffine", "Grayscale", "RandomGrayscale",
           "RandomErasing", "GaussianBlur", "InterpolationMode", "RandomInvert", "RandomPosterize",
           "RandomSolarize", "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize", "RandomPerspective",
           "ElasticTransform"]
