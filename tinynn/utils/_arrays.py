"""The one bridge between raw arrays and tensors used by the data layer.

Datasets, collation and transforms do their work on raw NumPy (or CuPy)
arrays, where it is fast and simple, and wrap the result in a ``Tensor`` only
at the end. Keeping that wrapping here means the rest of ``tinynn.utils`` and
``tinynn.vision`` never touches the tensor core's internals.
"""
from __future__ import annotations

from typing import Any


_Tensor: type | None = None


def tensor_type() -> type:
    """The ``tinynn.Tensor`` class (imported on first use, so this module never imports the core early)."""
    global _Tensor
    if _Tensor is None:
        from tinynn._tensor import Tensor
        _Tensor = Tensor
    return _Tensor


def is_tensor(obj: Any) -> bool:
    """True for a ``tinynn.Tensor``."""
    return isinstance(obj, tensor_type())


def wrap(array) -> Any:
    """A ``Tensor`` that shares memory with ``array`` (NumPy or CuPy), without a copy.

    The result is a leaf that does not require grad, like a tensor built by
    ``tinynn.from_numpy``, but it works for arrays on any device.
    """
    return tensor_type()._wrap(array)
