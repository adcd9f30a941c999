"""The inference transforms that pretrained weights carry (``weights.transforms()``), as torchvision's ``_presets``.

Private in torchvision too: reached through the ``transforms`` of model weights.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...nn import Module
from ...utils import _arrays
from . import functional as F
from .functional import InterpolationMode

__all__ = ["ObjectDetection", "ImageClassification", "VideoClassification", "SemanticSegmentation", "OpticalFlow"]


def _as_float_tensor(img: Any) -> Any:
    """A PIL image or tensor as a float32 tensor in [0, 1]."""
    if not _arrays.is_tensor(img):
        img = F.pil_to_tensor(img)
    return F.convert_image_dtype(img, np.float32)


class ObjectDetection(Module):
    """Rescale to float in [0, 1]."""

    def forward(self, img: Any) -> Any:
        return _as_float_tensor(img)

    def __repr__(self) -> str:
        return type(self).__name__ + "()"

    def describe(self) -> str:
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image ``torch.Tensor`` "
                "objects. The images are rescaled to ``[0.0, 1.0]``.")


class ImageClassification(Module):
    """Resize the smaller edge to ``resize_size``, crop the centre ``crop_size``, rescale to [0, 1] and normalize."""

    def __init__(self, *, crop_size: int, resize_size: int = 256, mean: tuple[float, ...] = (0.485, 0.456, 0.406),
                 std: tuple[float, ...] = (0.229, 0.224, 0.225),
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR, antialias: bool | None = True) -> None:
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img: Any) -> Any:
        img = F.resize(img, self.resize_size, interpolation=self.interpolation, antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        return F.normalize(_as_float_tensor(img), mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(\n    crop_size={self.crop_size}\n    resize_size={self.resize_size}\n"
                f"    mean={self.mean}\n    std={self.std}\n    interpolation={self.interpolation}\n)")

    def describe(self) -> str:
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image ``torch.Tensor`` "
                f"objects. The images are resized to ``resize_size={self.resize_size}`` using "
                f"``interpolation={self.interpolation}``, followed by a central crop of "
                f"``crop_size={self.crop_size}``. "
                "Finally the values are first rescaled to ``[0.0, 1.0]`` and then normalized using "
                f"``mean={self.mean}`` and ``std={self.std}``.")


class VideoClassification(Module):
    """Per frame: resize, centre crop, rescale and normalize; then (..., T, C, H, W) -> (..., C, T, H, W)."""

    def __init__(self, *, crop_size: tuple[int, int], resize_size: tuple[int] | tuple[int, int],
                 mean: tuple[float, ...] = (0.43216, 0.394666, 0.37645),
                 std: tuple[float, ...] = (0.22803, 0.22145, 0.216989),
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR) -> None:
        super().__init__()
        self.crop_size = list(crop_size)
        self.resize_size = list(resize_size)
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation

    def forward(self, vid: Any) -> Any:
        frames = vid.array if vid.ndim == 5 else vid.array[None]
        n, t, c, h, w = frames.shape
        out = _arrays.wrap(frames.reshape(-1, c, h, w))
        out = F.resize(out, self.resize_size, interpolation=self.interpolation, antialias=False)
        out = F.center_crop(out, self.crop_size)
        out = F.normalize(F.convert_image_dtype(out, np.float32), mean=self.mean, std=self.std).array
        out = out.reshape(n, t, c, *self.crop_size).transpose(0, 2, 1, 3, 4)  # (N, T, C, H, W) -> (N, C, T, H, W)
        out = out if vid.ndim == 5 else out[0]
        return _arrays.wrap(out.copy())

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(\n    crop_size={self.crop_size}\n    resize_size={self.resize_size}\n"
                f"    mean={self.mean}\n    std={self.std}\n    interpolation={self.interpolation}\n)")

    def describe(self) -> str:
        return ("Accepts batched ``(B, T, C, H, W)`` and single ``(T, C, H, W)`` video frame ``torch.Tensor`` "
                f"objects. The frames are resized to ``resize_size={self.resize_size}`` using "
                f"``interpolation={self.interpolation}``, followed by a central crop of "
                f"``crop_size={self.crop_size}``. "
                "Finally the values are first rescaled to ``[0.0, 1.0]`` and then normalized using "
                f"``mean={self.mean}`` and ``std={self.std}``. Finally the output dimensions are permuted to "
                "``(..., C, T, H, W)`` tensors.")


class SemanticSegmentation(Module):
    """Resize the smaller edge to ``resize_size`` (if given), rescale to [0, 1] and normalize."""

    def __init__(self, *, resize_size: int | None, mean: tuple[float, ...] = (0.485, 0.456, 0.406),
                 std: tuple[float, ...] = (0.229, 0.224, 0.225),
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR, antialias: bool | None = True) -> None:
        super().__init__()
        self.resize_size = [resize_size] if resize_size is not None else None
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img: Any) -> Any:
        if isinstance(self.resize_size, list):
            img = F.resize(img, self.resize_size, interpolation=self.interpolation, antialias=self.antialias)
        return F.normalize(_as_float_tensor(img), mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(\n    resize_size={self.resize_size}\n    mean={self.mean}\n"
                f"    std={self.std}\n    interpolation={self.interpolation}\n)")

    def describe(self) -> str:
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image ``torch.Tensor`` "
                f"objects. The images are resized to ``resize_size={self.resize_size}`` using "
                f"``interpolation={self.interpolation}``. Finally the values are first rescaled to ``[0.0, 1.0]`` and "
                f"then normalized using ``mean={self.mean}`` and ``std={self.std}``.")


class OpticalFlow(Module):
    """Both images rescaled to [-1, 1]."""

    def forward(self, img1: Any, img2: Any) -> tuple[Any, Any]:
        half = [0.5, 0.5, 0.5]
        return (F.normalize(_as_float_tensor(img1), mean=half, std=half),
                F.normalize(_as_float_tensor(img2), mean=half, std=half))

    def __repr__(self) -> str:
        return type(self).__name__ + "()"

    def describe(self) -> str:
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image ``torch.Tensor`` "
                "objects. The images are rescaled to ``[-1.0, 1.0]``.")
