"""``tinynn.vision.io``: read and write image files as uint8 tensors, as ``torchvision.io``.

    img = read_image("cat.png")                  # (C, H, W) uint8 tensor, C = 1, 2, 3 or 4
    img = read_image("cat.png", ImageReadMode.RGB)
    write_png(img, "copy.png")

Decoding and encoding are Pillow's; files are written atomically.
"""
from __future__ import annotations

import io
import os
from enum import Enum

import numpy as np
from PIL import Image, UnidentifiedImageError

from .._tensor import Tensor
from .datasets.utils import atomic_write

__all__ = ["ImageReadMode", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg", "encode_png", "read_file",
           "read_image", "write_file", "write_jpeg", "write_png"]


class ImageReadMode(Enum):
    """What ``read_image`` converts the picture to (``UNCHANGED``: as stored)."""
    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
              ImageReadMode.RGB_ALPHA: "RGBA"}


def read_file(path: str) -> Tensor:
    """The bytes of a file as a 1-D uint8 tensor."""
    with open(path, "rb") as f:
        return Tensor._wrap(np.frombuffer(f.read(), dtype=np.uint8).copy())


def write_file(filename: str, data: Tensor) -> None:
    """Write a 1-D uint8 tensor's bytes to ``filename`` (atomically)."""
    _check_bytes(data, "write_file")
    with atomic_write(filename) as f:
        f.write(np.asarray(data.cpu().array).tobytes())


def decode_image(input: Tensor | str, mode: ImageReadMode = ImageReadMode.UNCHANGED) -> Tensor:
    """Decode an encoded image (a uint8 tensor of file bytes, or a path) to a (C, H, W) uint8 tensor."""
    if isinstance(input, (str, os.PathLike)):
        return read_image(input, mode)
    _check_bytes(input, "decode_image")
    return _decode(io.BytesIO(np.asarray(input.cpu().array).tobytes()), mode, "<bytes>")


decode_jpeg = decode_png = decode_image


def read_image(path: str, mode: ImageReadMode = ImageReadMode.UNCHANGED) -> Tensor:
    """Read an image file as a (C, H, W) uint8 tensor (uint16 for 16-bit greyscale PNGs read UNCHANGED)."""
    if isinstance(mode, str):
        mode = ImageReadMode[mode.upper()]
    with open(path, "rb") as f:
        return _decode(f, mode, os.fspath(path))


def _decode(stream, mode: ImageReadMode, name: str) -> Tensor:
    try:
        with Image.open(stream) as img:
            img.load()
            if mode is not ImageReadMode.UNCHANGED:
                img = img.convert(_PIL_MODES[mode])
            elif img.mode == "P":
                img = img.convert("RGBA" if "transparency" in img.info else "RGB")
            elif img.mode not in ("L", "LA", "RGB", "RGBA") and not img.mode.startswith("I;16"):
                img = img.convert("RGB")
            array = np.asarray(img)
    except (UnidentifiedImageError, OSError) as exc:
        raise RuntimeError(f"read_image: cannot decode {name} as an image: {exc}") from None
    if img.mode.startswith("I;16"):
        array = array.astype(np.uint16)
    if array.ndim == 2:
        array = array[:, :, None]
    return Tensor._wrap(np.ascontiguousarray(array.transpose(2, 0, 1)))


def encode_png(input: Tensor, compression_level: int = 6) -> Tensor:
    """A (C, H, W) uint8 image (C = 1, 3 or 4) encoded as PNG bytes in a uint8 tensor."""
    buffer = io.BytesIO()
    _to_pil(input, "encode_png").save(buffer, format="PNG", compress_level=compression_level)
    return Tensor._wrap(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())


def encode_jpeg(input: Tensor, quality: int = 75) -> Tensor:
    """A (C, H, W) uint8 image (C = 1 or 3) encoded as JPEG bytes in a uint8 tensor."""
    if not 1 <= quality <= 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    buffer = io.BytesIO()
    _to_pil(input, "encode_jpeg").save(buffer, format="JPEG", quality=quality)
    return Tensor._wrap(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())


def write_png(input: Tensor, filename: str, compression_level: int = 6) -> None:
    """Write a (C, H, W) uint8 image to ``filename`` as PNG (atomically)."""
    data = encode_png(input, compression_level)
    with atomic_write(filename) as f:
        f.write(data.array.tobytes())


def write_jpeg(input: Tensor, filename: str, quality: int = 75) -> None:
    """Write a (C, H, W) uint8 image to ``filename`` as JPEG (atomically)."""
    data = encode_jpeg(input, quality)
    with atomic_write(filename) as f:
        f.write(data.array.tobytes())


def _check_bytes(data: Tensor, name: str) -> None:
    if not isinstance(data, Tensor) or data.dtype != np.uint8 or data.ndim != 1:
        raise RuntimeError(f"{name}: expected a 1-D uint8 tensor of bytes")


def _to_pil(input: Tensor, name: str) -> Image.Image:
    if not isinstance(input, Tensor) or input.dtype != np.uint8 or input.ndim != 3 or input.shape[0] not in (1, 3, 4):
        raise RuntimeError(f"{name}: expected a (C, H, W) uint8 tensor with C = 1, 3 or 4, got "
                           f"{getattr(input, 'dtype', type(input).__name__)} of shape "
                           f"{tuple(getattr(input, 'shape', ()))}")
    array = np.asarray(input.cpu().array).transpose(1, 2, 0)
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else np.ascontiguousarray(array))
