"""The PIL side of ``functional``: image ops on ``PIL.Image.Image`` s, as torchvision's ``_functional_pil``.

Each op is the Pillow call torchvision makes, so results are identical to
torchvision's for the same Pillow.
"""
from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


def _is_pil_image(img: Any) -> bool:
    return isinstance(img, Image.Image)


def _check(img: Any) -> None:
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def get_dimensions(img: Any) -> list[int]:
    """[channels, height, width]."""
    if _is_pil_image(img):
        width, height = img.size
        return [len(img.getbands()), height, width]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img: Any) -> list[int]:
    """[width, height]."""
    if _is_pil_image(img):
        return list(img.size)
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_num_channels(img: Any) -> int:
    """The number of bands."""
    if _is_pil_image(img):
        return len(img.getbands())
    raise TypeError(f"Unexpected type {type(img)}")


def image_fromarray(array: np.ndarray, mode: str) -> Image.Image:
    """``array``'s bytes read as a ``mode`` image (Pillow's old ``Image.fromarray(array, mode)``, as torchvision)."""
    height, width = array.shape[:2]
    return Image.frombuffer(mode, (width, height), np.ascontiguousarray(array).tobytes(), "raw", mode, 0, 1)


def hflip(img: Image.Image) -> Image.Image:
    """Mirrored left-right."""
    _check(img)
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img: Image.Image) -> Image.Image:
    """Upside down."""
    _check(img)
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def adjust_brightness(img: Image.Image, brightness_factor: float) -> Image.Image:
    """Pillow's ``ImageEnhance.Brightness``."""
    _check(img)
    return ImageEnhance.Brightness(img).enhance(brightness_factor)


def adjust_contrast(img: Image.Image, contrast_factor: float) -> Image.Image:
    """Pillow's ``ImageEnhance.Contrast``."""
    _check(img)
    return ImageEnhance.Contrast(img).enhance(contrast_factor)


def adjust_saturation(img: Image.Image, saturation_factor: float) -> Image.Image:
    """Pillow's ``ImageEnhance.Color``."""
    _check(img)
    return ImageEnhance.Color(img).enhance(saturation_factor)


def adjust_hue(img: Image.Image, hue_factor: float) -> Image.Image:
    """Shift the H band of the HSV image by ``hue_factor * 255`` (wrapping); grey modes are returned as they are."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _check(img)
    input_mode = img.mode
    if input_mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    np_h += np.int32(hue_factor * 255).astype(np.uint8)  # overflows and underflows, as wanted
    h = image_fromarray(np_h, "L")
    return Image.merge("HSV", (h, s, v)).convert(input_mode)


def adjust_gamma(img: Image.Image, gamma: float, gain: float = 1.0) -> Image.Image:
    """``255 * gain * (x / 255) ** gamma`` through a lookup table (in RGB)."""
    _check(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    input_mode = img.mode
    img = img.convert("RGB")
    gamma_map = [int((255 + 1 - 1e-3) * gain * pow(ele / 255.0, gamma)) for ele in range(256)] * 3
    return img.point(gamma_map).convert(input_mode)


def _parse_fill(fill: Any, img: Image.Image, name: str = "fillcolor") -> dict[str, Any]:
    """``fill`` as the keyword Pillow expects: one value per band (ints unless the mode is "F")."""
    num_channels = get_image_num_channels(img)
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and num_channels > 1:
        fill = tuple([fill] * num_channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * num_channels
        elif len(fill) != num_channels:
            raise ValueError("The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fill)} != {num_channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, (list, tuple)) else int(fill)
    return {name: fill}


def pad(img: Image.Image, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant") -> Image.Image:
    """Pad (or, with negative padding, crop) the image: ``ImageOps.expand`` or ``numpy.pad`` as torchvision."""
    _check(img)
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, list):
        padding = tuple(padding)
    if isinstance(padding, tuple) and len(padding) not in [1, 2, 4]:
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if padding_mode == "constant":
        opts = _parse_fill(fill, img, name="fill")
        if img.mode == "P":
            palette = img.getpalette()
            image = ImageOps.expand(img, border=padding, **opts)
            image.putpalette(palette)
            return image
        return ImageOps.expand(img, border=padding, **opts)
    if isinstance(padding, int):
        pad_left = pad_right = pad_top = pad_bottom = padding
    elif len(padding) == 2:
        pad_left = pad_right = padding[0]
        pad_top = pad_bottom = padding[1]
    else:
        pad_left, pad_top, pad_right, pad_bottom = padding
    p = [pad_left, pad_top, pad_right, pad_bottom]
    cropping = -np.minimum(p, 0)
    if cropping.any():
        crop_left, crop_top, crop_right, crop_bottom = cropping
        img = img.crop((crop_left, crop_top, img.width - crop_right, img.height - crop_bottom))
    pad_left, pad_top, pad_right, pad_bottom = np.maximum(p, 0)
    if img.mode == "P":
        palette = img.getpalette()
        padded = Image.fromarray(np.pad(np.asarray(img), ((pad_top, pad_bottom), (pad_left, pad_right)),
                                        mode=padding_mode))
        padded.putpalette(palette)
        return padded
    pixels = np.asarray(img)
    widths = ((pad_top, pad_bottom), (pad_left, pad_right)) + (((0, 0),) if pixels.ndim == 3 else ())
    return Image.fromarray(np.pad(pixels, widths, padding_mode))


def crop(img: Image.Image, top: int, left: int, height: int, width: int) -> Image.Image:
    """The box; Pillow fills what lies outside the image with zeros."""
    _check(img)
    return img.crop((left, top, left + width, top + height))


def resize(img: Image.Image, size: list[int], interpolation: int = Image.Resampling.BILINEAR) -> Image.Image:
    """Pillow's ``resize`` to ``size`` = [h, w] with the Pillow filter ``interpolation``."""
    _check(img)
    if not (isinstance(size, list) and len(size) == 2):
        raise TypeError(f"Got inappropriate size arg: {size}")
    return img.resize(tuple(size[::-1]), interpolation)


def affine(img: Image.Image, matrix: list[float], interpolation: int = Image.Resampling.NEAREST,
           fill: Any = None) -> Image.Image:
    """Pillow's affine ``transform`` with the inverse ``matrix`` (output pixel -> input pixel)."""
    _check(img)
    opts = _parse_fill(fill, img)
    return img.transform(img.size, Image.Transform.AFFINE, matrix, interpolation, **opts)


def rotate(img: Image.Image, angle: float, interpolation: int = Image.Resampling.NEAREST, expand: bool = False,
           center: Sequence[int] | None = None, fill: Any = None) -> Image.Image:
    """Pillow's ``rotate`` (counter-clockwise degrees)."""
    _check(img)
    opts = _parse_fill(fill, img)
    return img.rotate(angle, interpolation, expand, center, **opts)


def perspective(img: Image.Image, perspective_coeffs: list[float], interpolation: int = Image.Resampling.BICUBIC,
                fill: Any = None) -> Image.Image:
    """Pillow's perspective ``transform`` with the 8 coefficients (output pixel -> input pixel)."""
    _check(img)
    opts = _parse_fill(fill, img)
    return img.transform(img.size, Image.Transform.PERSPECTIVE, perspective_coeffs, interpolation, **opts)


def to_grayscale(img: Image.Image, num_output_channels: int) -> Image.Image:
    """Pillow's "L" conversion, repeated into three bands when ``num_output_channels`` is 3."""
    _check(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        np_img = np.array(img.convert("L"), dtype=np.uint8)
        return image_fromarray(np.dstack([np_img, np_img, np_img]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def invert(img: Image.Image) -> Image.Image:
    """Pillow's ``ImageOps.invert``."""
    _check(img)
    return ImageOps.invert(img)


def posterize(img: Image.Image, bits: int) -> Image.Image:
    """Pillow's ``ImageOps.posterize``."""
    _check(img)
    return ImageOps.posterize(img, bits)


def solarize(img: Image.Image, threshold: int) -> Image.Image:
    """Pillow's ``ImageOps.solarize``."""
    _check(img)
    return ImageOps.solarize(img, threshold)


def adjust_sharpness(img: Image.Image, sharpness_factor: float) -> Image.Image:
    """Pillow's ``ImageEnhance.Sharpness``."""
    _check(img)
    return ImageEnhance.Sharpness(img).enhance(sharpness_factor)


def autocontrast(img: Image.Image) -> Image.Image:
    """Pillow's ``ImageOps.autocontrast``."""
    _check(img)
    return ImageOps.autocontrast(img)


def equalize(img: Image.Image) -> Image.Image:
    """Pillow's ``ImageOps.equalize``."""
    _check(img)
    return ImageOps.equalize(img)
