"""The tensor side of ``functional``: ops on raw ``(..., C, H, W)`` image arrays (torchvision's ``_functional_tensor``).

Every function here takes and returns NumPy or CuPy arrays (the data of a
``tinynn.Tensor``); ``functional`` unwraps and wraps the tensors. Arithmetic
follows torchvision's step by step, in the same dtypes (integer images are
computed in float32 and rounded or truncated back as torchvision does), so
results equal torchvision's up to float rounding. Random numbers are never
drawn here.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..._device import get_array_module


def _xp(array):
    """NumPy or CuPy, whichever holds ``array``."""
    return get_array_module(array)


def _is_float(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def _compute_dtype(array) -> np.dtype:
    """The dtype torchvision computes in: the image's own if floating point, float32 otherwise."""
    return array.dtype if array.dtype.kind == "f" else np.dtype(np.float32)


def _dtype_name(dtype) -> str:
    """``tinynn.float32`` for float32: how tinynn names a dtype in messages (torch says ``torch.float32``)."""
    return f"tinynn.{np.dtype(dtype).name}"


def _assert_image_tensor(img) -> None:
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a ``... x H x W`` image (one channel for an H x W one)."""
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else int(img.shape[-3])
    return [channels, int(img.shape[-2]), int(img.shape[-1])]


def get_image_size(img) -> list[int]:
    """[width, height]."""
    _assert_image_tensor(img)
    return [int(img.shape[-1]), int(img.shape[-2])]


def get_image_num_channels(img) -> int:
    """The number of channels (1 for an H x W image)."""
    _assert_image_tensor(img)
    return 1 if img.ndim == 2 else int(img.shape[-3])


_MAX_VALUES = {np.dtype(np.uint8): 255, np.dtype(np.int8): 127, np.dtype(np.int16): 32767,
               np.dtype(np.uint16): 65535, np.dtype(np.int32): 2147483647, np.dtype(np.int64): 9223372036854775807}


def _max_value(dtype) -> int:
    """The value of full intensity: the largest integer of an integer dtype, 1 for floats."""
    return _MAX_VALUES.get(np.dtype(dtype), 1)


def _assert_channels(img, permitted: list[int]) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def convert_image_dtype(image, dtype):
    """``image`` in ``dtype``, rescaled from [0, max of its dtype] to [0, max of ``dtype``] (max 1 for floats)."""
    dtype = np.dtype(dtype)
    if image.dtype == dtype:
        return image
    if _is_float(image.dtype):
        if _is_float(dtype):
            return image.astype(dtype)
        if (image.dtype == np.float32 and dtype in (np.int32, np.int64)) or \
                (image.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"The cast from {_dtype_name(image.dtype)} to {_dtype_name(dtype)} cannot be "
                               "performed safely.")
        # max + 1 - eps: only exactly 1.0 maps to the maximum, the rest of [0, 1] is spread evenly.
        eps = 1e-3
        max_val = float(_max_value(dtype))
        return (image * image.dtype.type(max_val + 1.0 - eps)).astype(dtype)  # truncated, as torch's .to()
    input_max = float(_max_value(image.dtype))
    if _is_float(dtype):
        return image.astype(dtype) / dtype.type(input_max)
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return (image // factor).astype(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.astype(dtype) * dtype.type(factor)


def vflip(img):
    """Upside down: the rows in reverse order."""
    _assert_image_tensor(img)
    return _xp(img).ascontiguousarray(img[..., ::-1, :])


def hflip(img):
    """Mirrored: the columns in reverse order."""
    _assert_image_tensor(img)
    return _xp(img).ascontiguousarray(img[..., ::-1])


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height`` x ``width`` window at (``top``, ``left``); parts outside the image are zeros."""
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return _xp(img).ascontiguousarray(img[..., top:bottom, left:right])


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """ITU-R 601-2 luma ``0.2989 R + 0.587 G + 0.114 B`` (a one-channel image is copied)."""
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    xp = _xp(img)
    if img.shape[-3] == 3:
        dtype = _compute_dtype(img)  # an integer image times a float is float32 in torch
        r, g, b = (img[..., c, :, :].astype(dtype, copy=False) for c in range(3))
        scalar = dtype.type
        l_img = (r * scalar(0.2989) + g * scalar(0.587) + b * scalar(0.114)).astype(img.dtype)  # truncated to ints
        l_img = l_img[..., None, :, :]
    else:
        l_img = img.copy()
    if num_output_channels == 3:
        return xp.ascontiguousarray(xp.broadcast_to(l_img, img.shape))  # as torch's expand (1 channel stays 1)
    return l_img


def _blend(img1, img2, ratio: float):
    """``ratio * img1 + (1 - ratio) * img2`` clamped to the dtype's range, in ``img1``'s dtype."""
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    dtype = _compute_dtype(img1)
    scalar = dtype.type
    mixed = img1.astype(dtype, copy=False) * scalar(ratio) + img2.astype(dtype, copy=False) * scalar(1.0 - ratio)
    return _xp(img1).clip(mixed, 0, bound).astype(img1.dtype)


def adjust_brightness(img, brightness_factor: float):
    """Blend with black: ``factor * img`` (clamped)."""
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, _xp(img).zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level of each image."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    c = get_dimensions(img)[0]
    dtype = _compute_dtype(img)
    grey = rgb_to_grayscale(img) if c == 3 else img
    # The mean accumulated in float64 and rounded once to ``dtype``.
    mean = grey.astype(dtype, copy=False).mean(axis=(-3, -2, -1), keepdims=True, dtype=np.float64).astype(dtype)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the grey image (a one-channel image is returned as it is)."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # as PIL
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    """RGB in [0, 1] to HSV in [0, 1] (Pillow's formulas, torchvision's float steps)."""
    xp = _xp(img)
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    eqc = maxc == minc  # grey: hue and saturation 0 (the divisors below are replaced by 1)
    cr = maxc - minc
    ones = xp.ones_like(maxc)
    s = cr / xp.where(eqc, ones, maxc)
    cr_divisor = xp.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = xp.fmod(((hr + hg + hb) / 6.0 + 1.0), 1.0)
    return xp.stack((h, s, maxc), axis=-3)


def _hsv2rgb(img):
    """HSV in [0, 1] back to RGB: the sector ``floor(6 h)`` picks which of v, p, q, t each channel is."""
    xp = _xp(img)
    h, s, v = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    i = xp.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.astype(np.int32) % 6
    p = xp.clip((v * (1.0 - s)), 0.0, 1.0)
    q = xp.clip((v * (1.0 - s * f)), 0.0, 1.0)
    t = xp.clip((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    sector = i[..., None, :, :]
    channels = [xp.take_along_axis(xp.stack(candidates, axis=-3), sector, axis=-3)
                for candidates in ((v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q))]
    return xp.concatenate(channels, axis=-3)


def adjust_hue(img, hue_factor: float):
    """Rotate the hue by ``hue_factor`` turns (in [-0.5, 0.5]); computed in float32 HSV."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # as PIL
        return img
    orig_dtype = img.dtype
    hsv = _rgb2hsv(convert_image_dtype(img, np.float32))
    xp = _xp(img)
    h = (hsv[..., 0, :, :] + np.float32(hue_factor)) % 1.0
    hsv = xp.stack((h, hsv[..., 1, :, :], hsv[..., 2, :, :]), axis=-3)
    return convert_image_dtype(_hsv2rgb(hsv), orig_dtype)


def adjust_gamma(img, gamma: float, gain: float = 1):
    """``gain * img ** gamma`` in [0, 1] (integer images are converted to float32 and back)."""
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img.dtype
    result = img if _is_float(dtype) else convert_image_dtype(img, np.float32)
    scalar = result.dtype.type
    result = _xp(img).clip(result ** scalar(gamma) * scalar(gain), 0, 1)
    return convert_image_dtype(result, dtype)


def _parse_pad_padding(padding) -> list[int]:
    """(left, right, top, bottom) from an int, [all], [left/right, top/bottom] or [left, top, right, bottom]."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _crop_negative_padding(img, p: list[int]):
    """``img`` cut by the negative entries of ``p`` = (left, right, top, bottom), and ``p`` without them."""
    if min(p) >= 0:
        return img, p
    left, right, top, bottom = (-min(x, 0) for x in p)
    img = img[..., top:img.shape[-2] - bottom, left:img.shape[-1] - right]
    return img, [max(x, 0) for x in p]


def pad(img, padding, fill: float | None = 0, padding_mode: str = "constant"):
    """Pad the last two axes of ``img`` (negative padding crops), as torchvision pads a tensor.

    ``constant`` fills with ``fill``; ``edge`` repeats the border pixel; ``reflect``
    mirrors without repeating it (each pad must be smaller than the image, as in
    torch); ``symmetric`` mirrors repeating it (at most the image's size).
    """
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    xp = _xp(img)
    img, (left, right, top, bottom) = _crop_negative_padding(img, [int(v) for v in _parse_pad_padding(padding)])
    height, width = img.shape[-2], img.shape[-1]
    if padding_mode == "reflect":
        batched = (1,) * max(4 - img.ndim, 0) + img.shape
        for pads, size, dim in (((left, right), width, len(batched) - 1), ((top, bottom), height, len(batched) - 2)):
            if max(pads) >= size:
                raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                                   f"but got: padding {pads} at dimension {dim} of input {list(batched)}")
    if padding_mode == "symmetric":
        for pads, size in (((left, right), width), ((top, bottom), height)):
            if max(pads) > size:
                raise IndexError(f"index {size} is out of bounds for dimension 0 with size {size}")
    widths = [(0, 0)] * (img.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        return xp.pad(img, widths, mode="constant", constant_values=fill)
    return xp.pad(img, widths, mode=padding_mode)


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


def resize(img, size: Sequence[int], interpolation: str = "bilinear", antialias: bool | None = True):
    """``img`` (``... x H x W``) resized to ``size`` = (h, w) as torchvision resizes a tensor.

    ``interpolation`` is ``"nearest"``, ``"nearest-exact"`` or ``"bilinear"``
    (others raise NotImplementedError). Integer images are resized in float32
    and rounded back.
    """
    _assert_image_tensor(img)
    xp = _xp(img)
    out_dtype = img.dtype
    x = img if img.dtype in (np.float32, np.float64) else img.astype(np.float32)
    if interpolation in ("nearest", "nearest-exact"):
        exact = interpolation == "nearest-exact"
        rows = xp.asarray(_nearest_indices(x.shape[-2], size[0], exact))
        cols = xp.asarray(_nearest_indices(x.shape[-1], size[1], exact))
        out = x[..., rows[:, None], cols[None, :]]
    elif interpolation == "bilinear":
        antialias = bool(antialias)  # None means False for tensors
        rows = xp.asarray(_linear_weights(x.shape[-2], size[0], antialias).astype(x.dtype))
        cols = xp.asarray(_linear_weights(x.shape[-1], size[1], antialias).T.astype(x.dtype))
        out = rows @ (x @ cols)  # along the width first, then the height, as torch's separable passes
    else:
        raise NotImplementedError(f"Resize: interpolation {interpolation!r} is not supported on tensors by tinynn "
                                  "(nearest, nearest-exact and bilinear are); resize a PIL image instead")
    if out_dtype.kind in "iu":
        out = xp.round(out)
    return xp.ascontiguousarray(out.astype(out_dtype, copy=False))


# ----------------------------------------------------------------------------- affine warps (rotate, affine)
def _assert_grid_transform_inputs(img, matrix, interpolation: str, fill, supported: list[str]) -> None:
    _assert_image_tensor(img)
    if matrix is not None and not isinstance(matrix, list):
        raise TypeError("Argument matrix should be a list")
    if matrix is not None and len(matrix) != 6:
        raise ValueError("Argument matrix should have 6 float values")
    num_channels = get_dimensions(img)[0]
    if fill is not None and isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != num_channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels of the "
                         f"image ({len(fill)} != {num_channels})")
    if interpolation not in supported:
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def _linspace(start: float, end: float, steps: int, dtype) -> np.ndarray:
    """torch's ``linspace``: the first half counted up from ``start``, the second half down from ``end``.

    The ends are rounded to ``dtype`` first and the points computed in float64
    (torch's vectorised kernel can differ in the last bit).
    """
    dtype = np.dtype(dtype)
    if steps == 1:
        return np.array([start], dtype=dtype)
    first, last = float(dtype.type(start)), float(dtype.type(end))
    step = (last - first) / (steps - 1)
    index = np.arange(steps)
    values = np.where(index < steps // 2, first + step * index, last - step * (steps - 1 - index))
    return values.astype(dtype)


def _affine_grid(theta: np.ndarray, w: int, h: int, ow: int, oh: int) -> np.ndarray:
    """The sampling grid (``oh x ow x 2``, in [-1, 1] of the input) of the inverse affine map ``theta`` (2 x 3).

    Output pixel centres are taken relative to the output's centre, mapped by
    ``theta`` and scaled by the input's half size (torchvision's ``_gen_affine_grid``).
    """
    dtype = theta.dtype
    base = np.empty((oh, ow, 3), dtype=dtype)
    base[..., 0] = _linspace(-ow * 0.5 + 0.5, ow * 0.5 + 0.5 - 1, ow, dtype)
    base[..., 1] = _linspace(-oh * 0.5 + 0.5, oh * 0.5 + 0.5 - 1, oh, dtype)[:, None]
    base[..., 2] = 1
    rescaled_theta = theta.T / np.array([0.5 * w, 0.5 * h], dtype=dtype)
    return (base.reshape(-1, 3) @ rescaled_theta).reshape(oh, ow, 2)


def _grid_sample(img, grid, mode: str):
    """torch's ``grid_sample`` of ``N x C x H x W`` ``img`` at ``grid`` (``H' x W' x 2``, the same for every image).

    align_corners=False and zeros outside: ``x = ((g + 1) * W - 1) / 2``;
    ``nearest`` rounds half to even, ``bilinear`` weighs the four neighbours.
    """
    xp = _xp(img)
    height, width = img.shape[-2], img.shape[-1]
    scalar = img.dtype.type
    gx, gy = xp.asarray(grid[..., 0]), xp.asarray(grid[..., 1])
    ix = ((gx + scalar(1)) * scalar(width) - scalar(1)) / scalar(2)
    iy = ((gy + scalar(1)) * scalar(height) - scalar(1)) / scalar(2)

    def taps(rows, cols):
        """The pixels at integer (rows, cols), zero where outside, as ``N x C x H' x W'``."""
        inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
        values = img[..., xp.clip(rows, 0, height - 1), xp.clip(cols, 0, width - 1)]
        return values * inside.astype(img.dtype)

    if mode == "nearest":
        return taps(xp.rint(iy).astype(np.int64), xp.rint(ix).astype(np.int64))
    x0, y0 = xp.floor(ix), xp.floor(iy)
    wx1, wy1 = ix - x0, iy - y0  # weights of the right and lower neighbours
    wx0, wy0 = (x0 + 1) - ix, (y0 + 1) - iy
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    return (taps(y0, x0) * (wx0 * wy0) + taps(y0, x0 + 1) * (wx1 * wy0)
            + taps(y0 + 1, x0) * (wx0 * wy1) + taps(y0 + 1, x0 + 1) * (wx1 * wy1))


def _apply_grid_transform(img, grid, mode: str, fill):
    """Sample ``img`` at ``grid``; with ``fill``, pixels from outside the input get it (torchvision's mask trick)."""
    xp = _xp(img)
    squeeze = img.ndim < 4
    x = img[None] if squeeze else img
    lead = x.shape[:-3]
    x = x.reshape((-1,) + x.shape[-3:])
    out_dtype = x.dtype
    if x.dtype != grid.dtype:
        x = x.astype(grid.dtype)
    if fill is not None:  # a channel of ones shows how much of each output pixel came from inside the image
        x = xp.concatenate([x, xp.ones_like(x[:, :1])], axis=1)
    x = _grid_sample(x, grid, mode)
    if fill is not None:
        mask, x = x[:, -1:], x[:, :-1]
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = xp.asarray(np.array(fill_list, dtype=x.dtype).reshape(1, -1, 1, 1))
        if mode == "nearest":
            x = xp.where(mask < 0.5, fill_img, x)
        else:
            x = x * mask + (1.0 - mask) * fill_img
    x = x.reshape(lead + x.shape[-3:])
    if squeeze:
        x = x[0]
    if out_dtype != x.dtype:
        if out_dtype.kind in "iu":
            x = xp.round(x)
        x = x.astype(out_dtype)
    return xp.ascontiguousarray(x)


def _compute_affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """(w, h) that holds the whole warped image (``expand=True``), as Pillow computes it."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    theta = np.array(matrix, dtype=np.float32).reshape(2, 3)
    new_pts = pts @ theta.T
    min_vals = new_pts.min(axis=0) + np.array((w * 0.5, h * 0.5), dtype=np.float32)
    max_vals = new_pts.max(axis=0) + np.array((w * 0.5, h * 0.5), dtype=np.float32)
    tol = np.float32(1e-4)  # truncate to 1e-4 so that 1e-15 above an integer does not round up
    cmax = np.ceil(np.trunc(max_vals / tol) * tol)
    cmin = np.floor(np.trunc(min_vals / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def affine(img, matrix: list[float], interpolation: str = "nearest", fill=None):
    """Warp ``img`` by the inverse affine ``matrix`` (6 values, centre-relative), keeping its size."""
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    theta = np.array(matrix, dtype=_compute_dtype(img)).reshape(2, 3)
    h, w = img.shape[-2], img.shape[-1]
    return _apply_grid_transform(img, _affine_grid(theta, w, h, w, h), interpolation, fill)


def rotate(img, matrix: list[float], interpolation: str = "nearest", expand: bool = False, fill=None):
    """Warp ``img`` by the inverse rotation ``matrix``; ``expand`` grows the output to hold the whole image."""
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    w, h = img.shape[-1], img.shape[-2]
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    theta = np.array(matrix, dtype=_compute_dtype(img)).reshape(2, 3)
    return _apply_grid_transform(img, _affine_grid(theta, w, h, ow, oh), interpolation, fill)


def _perspective_grid(coeffs: list[float], ow: int, oh: int, dtype) -> np.ndarray:
    """The sampling grid of Pillow's perspective map: ``x' = (a x + b y + c) / (g x + h y + 1)``, same for ``y'``."""
    dtype = np.dtype(dtype)
    theta1 = np.array([[coeffs[0], coeffs[1], coeffs[2]], [coeffs[3], coeffs[4], coeffs[5]]], dtype=dtype)
    theta2 = np.array([[coeffs[6], coeffs[7], 1.0], [coeffs[6], coeffs[7], 1.0]], dtype=dtype)
    base = np.empty((oh, ow, 3), dtype=dtype)
    base[..., 0] = _linspace(0.5, ow * 1.0 + 0.5 - 1.0, ow, dtype)
    base[..., 1] = _linspace(0.5, oh * 1.0 + 0.5 - 1.0, oh, dtype)[:, None]
    base[..., 2] = 1
    rescaled_theta1 = theta1.T / np.array([0.5 * ow, 0.5 * oh], dtype=dtype)
    grid1 = base.reshape(-1, 3) @ rescaled_theta1
    grid2 = base.reshape(-1, 3) @ theta2.T
    return (grid1 / grid2 - 1.0).reshape(oh, ow, 2)


def perspective(img, perspective_coeffs: list[float], interpolation: str = "bilinear", fill=None):
    """Warp ``img`` by the 8 perspective coefficients (output pixel -> input pixel), keeping its size."""
    if perspective_coeffs is not None and len(perspective_coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    _assert_grid_transform_inputs(img, None, interpolation, fill, ["nearest", "bilinear"])
    grid = _perspective_grid(perspective_coeffs, img.shape[-1], img.shape[-2], _compute_dtype(img))
    return _apply_grid_transform(img, grid, interpolation, fill)


def elastic_transform(img, displacement, interpolation: str = "bilinear", fill=None):
    """Sample ``img`` at the identity grid plus ``displacement`` (``1 x H x W x 2``, in [-1, 1] units)."""
    xp = _xp(img)
    height, width = img.shape[-2], img.shape[-1]
    ys, xs = (_linspace((-s + 1) / s, (s - 1) / s, s, np.float32) for s in (height, width))
    grid_y, grid_x = np.meshgrid(ys, xs, indexing="ij")
    identity = xp.asarray(np.stack([grid_x, grid_y], -1))
    grid = identity + xp.asarray(displacement)[0]
    return _apply_grid_transform(img, grid, interpolation, fill)


# ----------------------------------------------------------------------------- filters
def _filter2d(img, kernel: np.ndarray):
    """Correlate each channel of ``img`` (already padded, in float) with ``kernel``; 'valid' output.

    Accumulated in float64 and rounded once to the image's dtype.
    """
    xp = _xp(img)
    kh, kw = kernel.shape
    out_h, out_w = img.shape[-2] - kh + 1, img.shape[-1] - kw + 1
    wide = img.astype(np.float64)
    acc = xp.zeros(img.shape[:-2] + (out_h, out_w), dtype=np.float64)
    for u in range(kh):
        for v in range(kw):
            acc += wide[..., u:u + out_h, v:v + out_w] * float(kernel[u, v])
    return acc.astype(img.dtype)


def _gaussian_kernel1d(kernel_size: int, sigma: float, dtype) -> np.ndarray:
    half = (kernel_size - 1) * 0.5
    x = _linspace(-half, half, kernel_size, dtype)
    scaled = x / np.asarray(sigma, dtype)
    pdf = np.exp(scaled * scaled * np.asarray(-0.5, dtype))
    return pdf / pdf.sum()


def _gaussian_kernel2d(kernel_size: list[int], sigma: list[float], dtype) -> np.ndarray:
    kernel_x = _gaussian_kernel1d(kernel_size[0], sigma[0], dtype)
    kernel_y = _gaussian_kernel1d(kernel_size[1], sigma[1], dtype)
    return kernel_y[:, None] * kernel_x[None, :]


def gaussian_blur(img, kernel_size: list[int], sigma: list[float]):
    """Blur with a ``kernel_size`` = (kx, ky) Gaussian of std ``sigma`` = (sx, sy); borders reflected."""
    _assert_image_tensor(img)
    dtype = _compute_dtype(img)
    kernel = _gaussian_kernel2d(kernel_size, sigma, dtype)
    x = img.astype(dtype, copy=False)
    x = pad(x, [kernel_size[0] // 2, kernel_size[1] // 2], padding_mode="reflect")
    out = _filter2d(x, kernel)
    if out.dtype != img.dtype:
        out = _xp(img).round(out).astype(img.dtype) if img.dtype.kind in "iu" else out.astype(img.dtype)
    return out


def invert(img):
    """``max - img`` (max 1 for floats, 255 for uint8)."""
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    return (img.dtype.type(_max_value(img.dtype)) - img).astype(img.dtype)


def posterize(img, bits: int):
    """Keep the ``bits`` highest bits of each uint8 value."""
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    if img.dtype != np.uint8:
        raise TypeError(f"Only tinynn.uint8 image tensors are supported, but found {_dtype_name(img.dtype)}")
    _assert_channels(img, [1, 3])
    mask = np.uint8((0xFF << (8 - bits)) & 0xFF)
    return img & mask


def solarize(img, threshold: float):
    """Invert the values at or above ``threshold``."""
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if threshold > _max_value(img.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return _xp(img).where(img >= threshold, invert(img), img)


def adjust_sharpness(img, sharpness_factor: float):
    """Blend with a smoothed copy (3 x 3 kernel, centre 5, borders kept); factor > 1 sharpens."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    dtype = _compute_dtype(img)
    kernel = np.ones((3, 3), dtype=dtype)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    smooth = _filter2d(img.astype(dtype, copy=False), kernel)
    if img.dtype.kind in "iu":
        smooth = _xp(img).round(smooth)
    blurred = img.copy()
    blurred[..., 1:-1, 1:-1] = smooth.astype(img.dtype)
    return _blend(img, blurred, sharpness_factor)


def autocontrast(img):
    """Stretch each channel so that its minimum becomes 0 and its maximum full intensity."""
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    xp = _xp(img)
    bound = _max_value(img.dtype)
    dtype = _compute_dtype(img)
    minimum = img.min(axis=(-2, -1), keepdims=True).astype(dtype)
    maximum = img.max(axis=(-2, -1), keepdims=True).astype(dtype)
    flat = maximum == minimum  # a constant channel is left as it is
    scale = xp.true_divide(dtype.type(bound), xp.where(flat, dtype.type(1), maximum - minimum))
    minimum = xp.where(flat, dtype.type(0), minimum)
    scale = xp.where(flat, dtype.type(1), scale)
    return xp.clip((img - minimum) * scale, 0, bound).astype(img.dtype)


def _equalize_channel(channel):
    """Histogram equalisation of one uint8 channel (Pillow's lookup table)."""
    xp = _xp(channel)
    hist = xp.bincount(channel.reshape(-1).astype(np.int64), minlength=256)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum()) // 255
    if step == 0:
        return channel
    lut = (xp.cumsum(hist) + step // 2) // step
    lut = xp.clip(xp.concatenate([xp.zeros(1, dtype=lut.dtype), lut[:-1]]), 0, 255)
    return lut[channel.astype(np.int64)].astype(np.uint8)


def equalize(img):
    """Equalise the histogram of each channel of a uint8 image."""
    _assert_image_tensor(img)
    if not 3 <= img.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {img.ndim}")
    if img.dtype != np.uint8:
        raise TypeError(f"Only tinynn.uint8 image tensors are supported, but found {_dtype_name(img.dtype)}")
    _assert_channels(img, [1, 3])
    xp = _xp(img)
    images = img[None] if img.ndim == 3 else img
    out = xp.stack([xp.stack([_equalize_channel(images[n, c]) for c in range(images.shape[1])])
                    for n in range(images.shape[0])])
    return out[0] if img.ndim == 3 else out


def normalize(tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
    """``(tensor - mean[c]) / std[c]`` per channel; ``inplace`` writes into ``tensor``."""
    _assert_image_tensor(tensor)
    if tensor.dtype.kind != "f":
        raise TypeError(f"Input tensor should be a float tensor. Got {_dtype_name(tensor.dtype)}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tuple(tensor.shape)}")
    mean_c, std_c = _normalize_constants(tensor, np.asarray(mean, dtype=np.float64),
                                         np.asarray(std, dtype=np.float64))
    if inplace:
        tensor -= mean_c
        tensor /= std_c
        return tensor
    return (tensor - mean_c) / std_c


def _normalize_constants(tensor, mean: np.ndarray, std: np.ndarray):
    """``mean`` and ``std`` as C x 1 x 1 arrays of ``tensor``'s dtype on its device (checked)."""
    channels = tensor.shape[-3]
    for name, values in (("mean", mean), ("std", std)):
        if values.ndim == 1 and len(values) not in (1, channels):
            raise ValueError(f"Normalize: {name} has {len(values)} values but the image has {channels} channels")
    mean, std = mean.astype(tensor.dtype), std.astype(tensor.dtype)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {_dtype_name(tensor.dtype)}, leading to "
                         "division by zero.")
    if mean.ndim == 1:
        mean = mean.reshape(-1, 1, 1)
    if std.ndim == 1:
        std = std.reshape(-1, 1, 1)
    xp = _xp(tensor)
    return xp.asarray(mean), xp.asarray(std)


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """``img`` with the ``h`` x ``w`` box at (``i``, ``j``) set to ``v`` (broadcast)."""
    _assert_image_tensor(img)
    if not inplace:
        img = img.copy()
    img[..., i:i + h, j:j + w] = _xp(img).asarray(v)
    return img


__all__ = ["adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue", "adjust_saturation",
           "adjust_sharpness", "affine", "autocontrast", "convert_image_dtype", "crop", "elastic_transform",
           "equalize", "erase", "gaussian_blur", "get_dimensions", "get_image_num_channels", "get_image_size",
           "hflip", "invert", "normalize", "pad", "perspective", "posterize", "resize", "rgb_to_grayscale", "rotate",
           "solarize", "vflip"]
