"""Image functions, as ``torchvision.transforms.functional`` (imported as ``TF`` or ``F`` by most programs).

    import tinynn.vision.transforms.functional as TF
    i, j, h, w = transforms.RandomCrop.get_params(image, output_size=(256, 256))
    image, mask = TF.crop(image, i, j, h, w), TF.crop(mask, i, j, h, w)
    image = TF.adjust_brightness(TF.rotate(image, 30.0), 1.2)

Each function takes a PIL image (and returns one, computed by the Pillow call
torchvision makes) or a ``tinynn.Tensor`` image of shape ``(..., C, H, W)``
(computed by ``_functional_tensor`` on its NumPy/CuPy data, on the tensor's
device, as torchvision computes it). ``hflip``, ``vflip``, ``crop``, ``pad``
and ``center_crop`` also take H x W (x C) NumPy arrays (a tinynn extension).
Results are new tensors outside the autograd graph.
"""
from __future__ import annotations

import math
import numbers
import warnings
from enum import Enum
from typing import Any, Sequence

import numpy as np
from PIL import Image

from ..._device import CPU, device_of, on_device_of, to_device
from ...utils import _arrays
from . import _functional_pil as F_pil
from . import _functional_tensor as F_t


class InterpolationMode(Enum):
    """How resampling computes new pixels, as ``torchvision.transforms.InterpolationMode``."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _interpolation_modes_from_int(i: int) -> InterpolationMode:
    """The mode for one of Pillow's integer filter constants."""
    return _MODES_FROM_INT[i]


# Pillow's filter for each mode, and the mode for each of Pillow's integer constants (as torchvision).
pil_modes_mapping = {InterpolationMode.NEAREST: 0, InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3,
                     InterpolationMode.NEAREST_EXACT: 0, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
                     InterpolationMode.LANCZOS: 1}
_PIL_FILTERS = pil_modes_mapping
_MODES_FROM_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
                   4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _interpolation_mode(interpolation: InterpolationMode | int) -> InterpolationMode:
    """``interpolation`` as an ``InterpolationMode`` (Pillow's integer constants are accepted)."""
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, numbers.Integral) and int(interpolation) in _MODES_FROM_INT:
        return _MODES_FROM_INT[int(interpolation)]
    raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer constant")


_is_pil_image = F_pil._is_pil_image
_is_tensor = _arrays.is_tensor


def _on_tensor(img: Any, op, *args, **kwargs) -> Any:
    """``op`` applied to the data of tensor ``img``, wrapped (``img`` itself when ``op`` returned its data)."""
    array = img.array
    with on_device_of(array):                 # on the tensor's GPU (cuda:1 too)
        out = op(array, *args, **kwargs)
    return img if out is array else _arrays.wrap(out)


def _default_float_dtype() -> np.dtype:
    from ... import get_default_dtype
    return np.dtype(get_default_dtype())


def _dimensions(img: Any) -> list[int]:
    """[channels, height, width] of a tensor, PIL image or H x W (x C) array."""
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"an image array must be H x W or H x W x C, got shape {img.shape}")
        return [1 if img.ndim == 2 else img.shape[2], img.shape[0], img.shape[1]]
    return get_dimensions(img)


def get_dimensions(img: Any) -> list[int]:
    """[channels, height, width] of a tensor or PIL image."""
    if _is_tensor(img):
        return F_t.get_dimensions(img.array)
    return F_pil.get_dimensions(img)


def get_image_size(img: Any) -> list[int]:
    """[width, height] of a tensor or PIL image."""
    if _is_tensor(img):
        return F_t.get_image_size(img.array)
    return F_pil.get_image_size(img)


def get_image_num_channels(img: Any) -> int:
    """The number of channels of a tensor or PIL image."""
    if _is_tensor(img):
        return F_t.get_image_num_channels(img.array)
    return F_pil.get_image_num_channels(img)


# ----------------------------------------------------------------------------- conversions
def _hwc_to_float_chw(images: np.ndarray) -> np.ndarray:
    """``... x H x W x C`` to ``... x C x H x W``; uint8 becomes the default float dtype in [0, 1], others are kept."""
    n = images.ndim
    chw = images.transpose(*range(n - 3), n - 1, n - 3, n - 2)
    if chw.dtype != np.uint8:
        return chw.copy(order="C")  # a copy, so the tensor never shares a (possibly read-only) image buffer
    dtype = _default_float_dtype()
    out = chw.astype(dtype, order="C")
    out /= dtype.type(255)  # a division in that dtype, as torchvision's ``img.to(dtype).div(255)``
    return out


_PIL_DTYPES = {"I": np.int32, "I;16": np.int16, "F": np.float32}


def _pil_to_hwc(pic: Image.Image, convert: bool) -> np.ndarray:
    """The pixels as an H x W x C array: as ``to_tensor`` reads them (``convert``) or as stored (``pil_to_tensor``)."""
    if convert:
        array = np.array(pic, _PIL_DTYPES.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            array = 255 * array
    else:
        array = np.array(pic, copy=True)
    return array.reshape(pic.size[1], pic.size[0], F_pil.get_image_num_channels(pic))


def to_tensor(pic: Any) -> Any:
    """A PIL image or H x W (x C) array as a C x H x W tensor; uint8 values become floats in [0, 1].

    Other dtypes keep their values (PIL modes "I", "I;16", "F" give int32, int16, float32).
    """
    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        array = _pil_to_hwc(pic, convert=True)
    return _arrays.wrap(_hwc_to_float_chw(array))


def pil_to_tensor(pic: Any) -> Any:
    """A PIL image as a C x H x W tensor of its own pixel type (uint8 for "L", "RGB", ...), values unchanged."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    return _arrays.wrap(np.ascontiguousarray(_pil_to_hwc(pic, convert=False).transpose(2, 0, 1)))


def convert_image_dtype(image: Any, dtype: Any = np.float32) -> Any:
    """A tensor image in ``dtype``, its values rescaled between the dtypes' ranges ([0, 1] for floats)."""
    if not _is_tensor(image):
        raise TypeError("Input img should be Tensor Image")
    return _on_tensor(image, F_t.convert_image_dtype, np.dtype(dtype))


_PERMITTED_MODES = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}
_DEFAULT_MODES = {2: "LA", 3: "RGB", 4: "RGBA"}


def to_pil_image(pic: Any, mode: str | None = None) -> Image.Image:
    """A C x H x W tensor or H x W x C array as a PIL image; floats are scaled by 255 and truncated to uint8.

    The mode comes from the channels and dtype (1 channel: "L", "I;16", "I" or
    "F"; 2: "LA"; 3: "RGB"; 4: "RGBA") unless ``mode`` names another allowed one.
    tinynn extension: a uint8 picture asked for a mode torchvision refuses for
    its number of channels (``mode="L"`` for an RGB tensor) is converted to it by Pillow.
    """
    if _is_tensor(pic):
        array = pic.array
        if array.ndim == 3:
            array = array.transpose(1, 2, 0)
        pic = to_device(array, CPU)  # on the host
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = np.expand_dims(pic, 2)
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    channels = npimg.shape[2]
    convert_to = None
    if channels == 1:
        npimg = npimg[:, :, 0]
        expected_mode = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16", np.dtype(np.int32): "I",
                         np.dtype(np.float32): "F"}.get(npimg.dtype)
        if mode is not None and mode != expected_mode:
            if expected_mode != "L":
                raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. "
                                 f"Should be {expected_mode}")
            convert_to = mode
        mode = expected_mode
    else:
        if mode is not None and mode not in _PERMITTED_MODES[channels]:
            if npimg.dtype != np.uint8:
                raise ValueError(f"Only modes {_PERMITTED_MODES[channels]} are supported for {channels}D inputs")
            convert_to, mode = mode, None
        if mode is None and npimg.dtype == np.uint8:
            mode = _DEFAULT_MODES[channels]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    img = F_pil.image_fromarray(npimg, mode)
    return img if convert_to is None else img.convert(convert_to)


def normalize(tensor: Any, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> Any:
    """``(tensor - mean[c]) / std[c]`` for each channel of a float ``(..., C, H, W)`` tensor."""
    if not _is_tensor(tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    return _on_tensor(tensor, F_t.normalize, mean, std, inplace)


# ----------------------------------------------------------------------------- geometry
def _compute_resized_output_size(image_size: tuple[int, int], size: list[int] | None,
                                 max_size: int | None = None) -> list[int]:
    """[h, w] of the resized image: ``size`` itself, or the smaller edge to ``size[0]`` keeping the aspect ratio."""
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:  # the smaller edge
        requested_new_short = size if isinstance(size, int) else size[0]
        new_short, new_long = requested_new_short, int(requested_new_short * long / short)
        if max_size is not None:
            if max_size <= requested_new_short:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                                 f"size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def resize(img: Any, size: int | Sequence[int], interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True) -> Any:
    """Resize a PIL image (any mode, always antialiased) or a ``(..., H, W)`` tensor.

    ``size``: (h, w), or an int / one-element sequence for the smaller edge
    (the other keeps the aspect ratio, truncated; ``max_size`` caps the longer
    edge). Tensors support NEAREST, NEAREST_EXACT and BILINEAR (``antialias``
    widens the bilinear filter when shrinking). An image already of that size
    is returned as it is.
    """
    interpolation = _interpolation_mode(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in [1, 2]:
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    if not (_is_tensor(img) or _is_pil_image(img)):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    _, image_height, image_width = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((image_height, image_width), list(size), max_size)
    if [image_height, image_width] == output_size:
        return img
    if _is_pil_image(img):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.")
        return F_pil.resize(img, size=output_size, interpolation=pil_modes_mapping[interpolation])
    return _on_tensor(img, F_t.resize, output_size, interpolation.value, antialias)


def _parse_array_padding(padding) -> tuple[int, int, int, int]:
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * 4
    p = [int(v) for v in padding]
    if len(p) == 1:
        return (p[0],) * 4
    if len(p) == 2:
        return p[0], p[1], p[0], p[1]
    return p[0], p[1], p[2], p[3]


def _pad_array(img: np.ndarray, padding, fill, padding_mode: str) -> np.ndarray:
    """Pad an H x W (x C) array as a PIL image would be padded (negative padding crops)."""
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_array_padding(padding)
    img = img[max(-top, 0):img.shape[0] - max(-bottom, 0), max(-left, 0):img.shape[1] - max(-right, 0)]
    widths = [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))] + [(0, 0)] * (img.ndim - 2)
    if padding_mode != "constant":
        return np.pad(img, widths, mode=padding_mode)
    if isinstance(fill, (tuple, list)):  # one value per channel
        channels = img.shape[2] if img.ndim == 3 else 1
        fills = list(fill) * channels if len(fill) == 1 else list(fill)
        if len(fills) != channels:
            raise ValueError("The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fills)} != {channels})")
        if img.ndim == 2:
            return np.pad(img, widths, mode="constant", constant_values=fills[0])
        return np.stack([np.pad(img[:, :, c], widths[:2], constant_values=fills[c]) for c in range(channels)], axis=2)
    return np.pad(img, widths, mode="constant", constant_values=0 if fill is None else fill)


def pad(img: Any, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant") -> Any:
    """Pad each border: ``padding`` is an int, (left/right, top/bottom) or (left, top, right, bottom).

    ``padding_mode``: "constant" (``fill``: a number, or one per band for PIL
    images), "edge", "reflect" (mirror, edge not repeated) or "symmetric" (edge
    repeated). Negative padding crops.
    """
    if _is_tensor(img):
        return _on_tensor(img, F_t.pad, padding=padding, fill=fill, padding_mode=padding_mode)
    if isinstance(img, np.ndarray):
        return _pad_array(img, padding, fill, padding_mode)
    return F_pil.pad(img, padding=padding, fill=fill, padding_mode=padding_mode)


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height`` x ``width`` box whose top-left corner is (``top``, ``left``); zeros outside the image."""
    if _is_tensor(img):
        return _on_tensor(img, F_t.crop, top, left, height, width)
    if isinstance(img, np.ndarray):
        h, w = img.shape[:2]
        right, bottom = left + width, top + height
        if left < 0 or top < 0 or right > w or bottom > h:
            ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                    max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
            return _pad_array(img[max(top, 0):bottom, max(left, 0):right], ltrb, 0, "constant")
        return np.ascontiguousarray(img[top:bottom, left:right])
    return F_pil.crop(img, top, left, height, width)


def center_crop(img: Any, output_size: int | Sequence[int]) -> Any:
    """The central ``output_size`` (h, w) box; a smaller image is first padded with zeros (extra pixel right/bottom)."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = _dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height) // 2 if crop_height > image_height else 0,
                        (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height + 1) // 2 if crop_height > image_height else 0]
        img = pad(img, padding_ltrb, fill=0)  # PIL uses fill value 0
        _, image_height, image_width = _dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img: Any, top: int, left: int, height: int, width: int, size: int | Sequence[int],
                 interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> Any:
    """``crop`` then ``resize`` to ``size``."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img: Any) -> Any:
    """Mirror left-right."""
    if _is_tensor(img):
        return _on_tensor(img, F_t.hflip)
    if isinstance(img, np.ndarray):
        return np.ascontiguousarray(img[:, ::-1])
    return F_pil.hflip(img)


def vflip(img: Any) -> Any:
    """Flip upside down."""
    if _is_tensor(img):
        return _on_tensor(img, F_t.vflip)
    if isinstance(img, np.ndarray):
        return np.ascontiguousarray(img[::-1])
    return F_pil.vflip(img)


def _crop_size(size: int | Sequence[int]) -> Sequence[int]:
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) == 1:
        size = (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return size


def five_crop(img: Any, size: int | Sequence[int]) -> tuple:
    """The four corner crops and the central crop: (top-left, top-right, bottom-left, bottom-right, center)."""
    size = _crop_size(size)
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = size
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(image_height, image_width)}")
    tl = crop(img, 0, 0, crop_height, crop_width)
    tr = crop(img, 0, image_width - crop_width, crop_height, crop_width)
    bl = crop(img, image_height - crop_height, 0, crop_height, crop_width)
    br = crop(img, image_height - crop_height, image_width - crop_width, crop_height, crop_width)
    center = center_crop(img, [crop_height, crop_width])
    return tl, tr, bl, br, center


def ten_crop(img: Any, size: int | Sequence[int], vertical_flip: bool = False) -> tuple:
    """``five_crop`` of the image and of its mirror image (flipped upside down with ``vertical_flip``)."""
    size = _crop_size(size)
    first_five = five_crop(img, size)
    img = vflip(img) if vertical_flip else hflip(img)
    return first_five + five_crop(img, size)


def _get_inverse_affine_matrix(center: list[float], angle: float, translate: list[float], scale: float,
                               shear: list[float], inverted: bool = True) -> list[float]:
    """The 2 x 3 matrix (6 floats) of ``T * C * R * S * Sh * C^-1`` (or its inverse, which warps need).

    ``T`` translates, ``C`` moves the centre, ``R`` rotates by ``angle`` degrees,
    ``S`` scales and ``Sh`` shears by ``shear`` = (x, y) degrees.
    """
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # R * Sh without scale: [a b 0; c d 0; 0 0 1]
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        matrix = [d, -b, 0.0, -c, a, 0.0]
        matrix = [x / scale for x in matrix]
        matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
        matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
        matrix[2] += cx
        matrix[5] += cy
    else:
        matrix = [a, b, 0.0, c, d, 0.0]
        matrix = [x * scale for x in matrix]
        matrix[2] += matrix[0] * (-cx) + matrix[1] * (-cy)
        matrix[5] += matrix[3] * (-cx) + matrix[4] * (-cy)
        matrix[2] += cx + tx
        matrix[5] += cy + ty
    return matrix


def _get_perspective_coeffs(startpoints: Sequence[Sequence[int]], endpoints: Sequence[Sequence[int]]) -> list[float]:
    """The 8 coefficients (a, ..., h) mapping each of the 4 ``endpoints`` to its ``startpoint``.

    ``(x, y) -> ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))``,
    solved by least squares in float64 and rounded to float32, as torchvision.
    """
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} startpoints and "
                         f"{len(endpoints)} endpoints.")
    a_matrix = np.zeros((2 * len(startpoints), 8), dtype=np.float64)
    for i, (p1, p2) in enumerate(zip(endpoints, startpoints)):
        a_matrix[2 * i, :] = [p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]]
        a_matrix[2 * i + 1, :] = [0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]]
    b_matrix = np.array(startpoints, dtype=np.float64).reshape(8)
    solution = np.linalg.lstsq(a_matrix, b_matrix, rcond=None)[0]
    return solution.astype(np.float32).tolist()


def perspective(img: Any, startpoints: Sequence[Sequence[int]], endpoints: Sequence[Sequence[int]],
                interpolation: InterpolationMode | int = InterpolationMode.BILINEAR, fill: Any = None) -> Any:
    """Warp so that the four ``startpoints`` corners ([x, y]: top-left, top-right, bottom-right, bottom-left)
    land on ``endpoints``."""
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    interpolation = _interpolation_mode(interpolation)
    if not _is_tensor(img):
        return F_pil.perspective(img, coeffs, interpolation=pil_modes_mapping[interpolation], fill=fill)
    return _on_tensor(img, F_t.perspective, coeffs, interpolation=interpolation.value, fill=fill)


def elastic_transform(img: Any, displacement: Any,
                      interpolation: InterpolationMode | int = InterpolationMode.BILINEAR, fill: Any = None) -> Any:
    """Move each pixel by ``displacement`` (a ``1 x H x W x 2`` tensor, in units of half the image size)."""
    if isinstance(interpolation, int) and not isinstance(interpolation, InterpolationMode):
        warnings.warn("Argument interpolation should be of type InterpolationMode instead of int. "
                      "Please, use InterpolationMode enum.")
        interpolation = _interpolation_modes_from_int(interpolation)
    if not _is_tensor(displacement):
        raise TypeError("Argument displacement should be a Tensor")
    t_img = img
    if not _is_tensor(img):
        if not _is_pil_image(img):
            raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
        t_img = pil_to_tensor(img)
    shape = (1,) + tuple(t_img.shape[-2:]) + (2,)
    if shape != tuple(displacement.shape):
        raise ValueError(f"Argument displacement shape should be {shape}, but given {tuple(displacement.shape)}")
    moved = to_device(displacement.array, device_of(t_img.array))
    output = _on_tensor(t_img, F_t.elastic_transform, moved, interpolation=interpolation.value, fill=fill)
    if not _is_tensor(img):
        output = to_pil_image(output, mode=img.mode)
    return output


def rotate(img: Any, angle: float, interpolation: InterpolationMode | int = InterpolationMode.NEAREST,
           expand: bool = False, center: Sequence[int] | None = None, fill: Any = None) -> Any:
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (the image centre by default).

    ``expand`` makes the output large enough for the whole rotated image;
    ``fill`` colours what comes from outside (0 by default). Tensors support
    NEAREST and BILINEAR.
    """
    interpolation = _interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not _is_tensor(img):
        return F_pil.rotate(img, angle=angle, interpolation=pil_modes_mapping[interpolation], expand=expand,
                            center=center, fill=fill)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]  # relative to the image centre
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return _on_tensor(img, F_t.rotate, matrix=matrix, interpolation=interpolation.value, expand=expand, fill=fill)


def affine(img: Any, angle: float, translate: Sequence[int], scale: float, shear: float | Sequence[float],
           interpolation: InterpolationMode | int = InterpolationMode.NEAREST, fill: Any = None,
           center: Sequence[int] | None = None) -> Any:
    """Rotate by ``angle``, translate by ``translate`` (pixels), scale and shear (degrees), about ``center``."""
    interpolation = _interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, (list, tuple))):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    angle = float(angle)
    translate = list(translate)
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _, height, width = get_dimensions(img)
    if not _is_tensor(img):
        if center is None:
            center = [width * 0.5, height * 0.5]
        matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        return F_pil.affine(img, matrix=matrix, interpolation=pil_modes_mapping[interpolation], fill=fill)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    translate_f = [1.0 * t for t in translate]
    matrix = _get_inverse_affine_matrix(center_f, angle, translate_f, scale, shear)
    return _on_tensor(img, F_t.affine, matrix=matrix, interpolation=interpolation.value, fill=fill)


# ----------------------------------------------------------------------------- colour
def to_grayscale(img: Any, num_output_channels: int = 1) -> Image.Image:
    """A PIL image in grey ("L"), or three equal bands ("RGB") when ``num_output_channels`` is 3."""
    if isinstance(img, Image.Image):
        return F_pil.to_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


def rgb_to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """Grey level ``0.2989 R + 0.587 G + 0.114 B`` (Pillow's "L" conversion for PIL images)."""
    if not _is_tensor(img):
        return F_pil.to_grayscale(img, num_output_channels)
    return _on_tensor(img, F_t.rgb_to_grayscale, num_output_channels)


def adjust_brightness(img: Any, brightness_factor: float) -> Any:
    """Multiply by ``brightness_factor`` (0: black, 1: unchanged), clamped."""
    if not _is_tensor(img):
        return F_pil.adjust_brightness(img, brightness_factor)
    return _on_tensor(img, F_t.adjust_brightness, brightness_factor)


def adjust_contrast(img: Any, contrast_factor: float) -> Any:
    """Blend with the mean grey level (0: flat grey, 1: unchanged, 2: twice the contrast)."""
    if not _is_tensor(img):
        return F_pil.adjust_contrast(img, contrast_factor)
    return _on_tensor(img, F_t.adjust_contrast, contrast_factor)


def adjust_saturation(img: Any, saturation_factor: float) -> Any:
    """Blend with the grey image (0: grey, 1: unchanged, 2: twice the saturation)."""
    if not _is_tensor(img):
        return F_pil.adjust_saturation(img, saturation_factor)
    return _on_tensor(img, F_t.adjust_saturation, saturation_factor)


def adjust_hue(img: Any, hue_factor: float) -> Any:
    """Rotate the hue by ``hue_factor`` turns, in [-0.5, 0.5] (through HSV)."""
    if not _is_tensor(img):
        return F_pil.adjust_hue(img, hue_factor)
    return _on_tensor(img, F_t.adjust_hue, hue_factor)


def adjust_gamma(img: Any, gamma: float, gain: float = 1) -> Any:
    """``gain * img ** gamma`` on intensities in [0, 1]."""
    if not _is_tensor(img):
        return F_pil.adjust_gamma(img, gamma, gain)
    return _on_tensor(img, F_t.adjust_gamma, gamma, gain)


def adjust_sharpness(img: Any, sharpness_factor: float) -> Any:
    """Blend with a smoothed copy (0: smooth, 1: unchanged, 2: sharper)."""
    if not _is_tensor(img):
        return F_pil.adjust_sharpness(img, sharpness_factor)
    return _on_tensor(img, F_t.adjust_sharpness, sharpness_factor)


def invert(img: Any) -> Any:
    """The negative image."""
    if not _is_tensor(img):
        return F_pil.invert(img)
    return _on_tensor(img, F_t.invert)


def posterize(img: Any, bits: int) -> Any:
    """Keep the ``bits`` (0 to 8) highest bits of each channel."""
    if not (0 <= bits <= 8):
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if not _is_tensor(img):
        return F_pil.posterize(img, bits)
    return _on_tensor(img, F_t.posterize, bits)


def solarize(img: Any, threshold: float) -> Any:
    """Invert the pixels at or above ``threshold``."""
    if not _is_tensor(img):
        return F_pil.solarize(img, threshold)
    return _on_tensor(img, F_t.solarize, threshold)


def autocontrast(img: Any) -> Any:
    """Stretch each channel to the full range."""
    if not _is_tensor(img):
        return F_pil.autocontrast(img)
    return _on_tensor(img, F_t.autocontrast)


def equalize(img: Any) -> Any:
    """Equalise each channel's histogram (uint8 images)."""
    if not _is_tensor(img):
        return F_pil.equalize(img)
    return _on_tensor(img, F_t.equalize)


def gaussian_blur(img: Any, kernel_size: int | Sequence[int], sigma: float | Sequence[float] | None = None) -> Any:
    """Blur with a Gaussian kernel (``kernel_size`` = (kx, ky), odd; ``sigma`` = (sx, sy)); borders reflected.

    Without ``sigma``, it is ``0.15 * k + 0.35`` for each size k.
    PIL images are blurred as uint8 tensors and converted back (as torchvision).
    """
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if _is_tensor(img):
        return _on_tensor(img, F_t.gaussian_blur, kernel_size, sigma)
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    blurred = F_t.gaussian_blur(pil_to_tensor(img).array, kernel_size, sigma)
    return to_pil_image(_arrays.wrap(blurred), mode=img.mode)


def erase(img: Any, i: int, j: int, h: int, w: int, v: Any, inplace: bool = False) -> Any:
    """The tensor with its ``h`` x ``w`` box at (``i``, ``j``) replaced by ``v`` (a tensor broadcast to the box)."""
    if not _is_tensor(img):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    value = v.array if _is_tensor(v) else v
    return _on_tensor(img, F_t.erase, i, j, h, w, value, inplace=inplace)


__all__ = ["InterpolationMode", "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
           "adjust_saturation", "adjust_sharpness", "affine", "autocontrast", "center_crop", "convert_image_dtype",
           "crop", "elastic_transform", "equalize", "erase", "five_crop", "gaussian_blur", "get_dimensions",
           "get_image_num_channels", "get_image_size", "hflip", "invert", "normalize", "pad", "perspective",
           "pil_modes_mapping", "pil_to_tensor", "posterize", "resize", "resized_crop", "rgb_to_grayscale", "rotate",
           "solarize", "ten_crop", "to_grayscale", "to_pil_image", "to_tensor", "vflip"]
