"""Image grids and image files from tensors, as ``torchvision.utils``.

    grid = make_grid(images, nrow=8, padding=2)     # B x C x H x W -> C x H' x W'
    save_image(images, "samples.png", nrow=4)      # the same grid, written as a PNG

``make_grid`` lays the images out row by row with ``padding`` pixels of
``pad_value`` around each, exactly as torchvision does (one-channel images
become three channels). It is built from differentiable tinynn ops, so a grid
of tensors that require grad stays in the graph, as in torch.

``save_image`` rounds the grid to 8-bit pixels as torchvision does
(``x * 255 + 0.5`` clamped to [0, 255], then truncated) and writes it with
Pillow. A file path is written atomically: the image goes to a temporary file
in the same folder, renamed to its final name once it is complete.
"""
from __future__ import annotations

import math
import os
from typing import IO, Any

import numpy as np
from PIL import Image

from .._device import CPU, get_array_module, to_device
from ..utils import _arrays
from .datasets.utils import atomic_write


def _stack(tensors: list) -> Any:
    from .. import stack
    return stack(tensors, 0)


def _cat(tensors: list, dim: int) -> Any:
    from .. import cat
    return cat(tensors, dim)


def _normalize(tensor: Any, value_range: tuple | None, scale_each: bool) -> Any:
    """``tensor`` shifted to [0, 1]: clamped to ``value_range`` (its own min and max by default), per image if asked."""
    def norm_range(t):
        low, high = value_range if value_range is not None else (float(t.min()), float(t.max()))
        # As torchvision's norm_ip: clamp to [low, high], subtract low, divide by the span (at least 1e-5).
        return t.clamp(min=low, max=high).sub(low).div(max(high - low, 1e-5))

    if scale_each:
        return _stack([norm_range(t) for t in tensor])
    return norm_range(tensor)


def make_grid(tensor: Any, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Any:
    """A grid of images as one C x H' x W' tensor, as ``torchvision.utils.make_grid``.

    - ``tensor``: a B x C x H x W batch, a list of C x H x W (or H x W) tensors
      of one size, or a single C x H x W or H x W image.
    - ``nrow``: images per row; there are ``ceil(B / nrow)`` rows.
    - ``padding``: pixels of ``pad_value`` between the images and around the grid.
    - ``normalize``: shift the values to [0, 1] using ``value_range`` (a tuple
      (min, max)) or the tensor's own min and max; ``scale_each`` does it for
      each image separately.

    One-channel images become three channels (the channel repeated). A batch of
    one image is returned as that image (C x H x W), without padding.
    """
    if not _arrays.is_tensor(tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not _arrays.is_tensor(t):
                    raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):  # a list of images: one 4-D mini-batch
        tensor = _stack(tensor)

    if tensor.dim() == 2:  # a single H x W image
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:  # a single C x H x W image
        if tensor.size(0) == 1:  # one channel: repeat it as RGB
            tensor = _cat([tensor, tensor, tensor], 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != 4:
        raise ValueError(f"make_grid expects a B x C x H x W batch, a C x H x W or H x W image, or a list of "
                         f"images, got a tensor of shape {tuple(tensor.shape)}")
    if tensor.size(1) == 1:  # one-channel images: repeat the channel as RGB
        tensor = _cat([tensor, tensor, tensor], 1)

    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        tensor = _normalize(tensor, value_range, scale_each)

    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    if nrow < 1:
        raise ValueError(f"make_grid: nrow must be a positive number of images per row, got {nrow}")
    if padding < 0:
        raise ValueError(f"make_grid: padding must be non-negative, got {padding}")

    from ..nn.functional import pad
    nmaps, channels, height, width = tensor.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    if ymaps * xmaps > nmaps:  # the last row is short: fill its empty cells with pad_value
        from .._creation import full
        blank = full((ymaps * xmaps - nmaps, channels, height, width), pad_value, dtype=tensor.dtype,
                     device=tensor.device)
        tensor = _cat([tensor, blank], 0)
    # Each cell is an image with ``padding`` pixels above and to its left; the
    # cells are laid out row by row, then the grid gets its bottom and right border.
    cells = pad(tensor, (padding, 0, padding, 0), value=pad_value)
    cell_h, cell_w = height + padding, width + padding
    rows = cells.reshape(ymaps, xmaps, channels, cell_h, cell_w).permute(2, 0, 3, 1, 4)
    grid = rows.reshape(channels, ymaps * cell_h, xmaps * cell_w)
    return pad(grid, (0, padding, 0, padding), value=pad_value)


def _resolve_format(path: str, format: str | None) -> str:
    """The Pillow format to write ``path`` in: ``format``, or the one its extension names (as ``Image.save``)."""
    if format is not None:
        return format.upper()
    ext = os.path.splitext(path)[1].lower()
    Image.init()
    if ext not in Image.EXTENSION:
        raise ValueError(f"unknown file extension: {ext}")
    return Image.EXTENSION[ext]


def _to_pixels(grid: Any) -> np.ndarray:
    """A C x H x W grid as H x W x C uint8 pixels, rounded as torchvision's ``save_image``."""
    array = grid.detach().array
    if array.dtype.kind != "f":
        raise TypeError(f"save_image expects a floating-point tensor with values in [0, 1], got {array.dtype} "
                        "(convert it with .float() / 255)")
    scaled = array * 255  # as grid.mul(255).add_(0.5).clamp_(0, 255): +0.5 rounds to the nearest integer
    scaled += 0.5
    scaled = get_array_module(scaled).clip(scaled, 0, 255)
    pixels = to_device(scaled.astype(np.uint8), CPU)
    return np.ascontiguousarray(pixels.transpose(1, 2, 0))


def save_image(tensor: Any, fp: str | os.PathLike | IO[bytes], format: str | None = None, **kwargs: Any) -> None:
    """Save a tensor (or a batch, as a ``make_grid`` grid) as an image file, as ``torchvision.utils.save_image``.

    - ``fp``: a file name (the format comes from its extension) or a binary file
      object (then give ``format``, e.g. ``"PNG"``).
    - ``kwargs``: passed to ``make_grid`` (``nrow``, ``padding``, ``normalize``, ...).

    Values in [0, 1] become 8-bit pixels (``x * 255 + 0.5``, clamped, truncated).
    A file name is written atomically: to a temporary file in the same folder,
    renamed into place when complete, so an existing image is never left half
    written. A path that cannot be written (missing folder, no permission)
    raises one ``OSError`` naming it.
    """
    grid = make_grid(tensor, **kwargs)
    image = Image.fromarray(_to_pixels(grid))
    if not isinstance(fp, (str, os.PathLike)):  # a file object: write to it directly, as torchvision
        image.save(fp, format=format)
        return
    path = os.fspath(fp)
    image_format = _resolve_format(path, format)
    with atomic_write(path) as out:
        image.save(out, format=image_format)


__all__ = ["make_grid", "save_image"]
