"""Tensor factories: ``tensor``, ``zeros``, ``ones``, ``arange``, ``randn`` ...

Dtypes follow torch: Python floats become float32, ints int64, bools bool;
NumPy arrays keep their dtype (``from_numpy`` also keeps their memory).
"""
from __future__ import annotations

import numpy as np

from ._device import CPU, device as _device, to_device
from ._tensor import Tensor
from .random import get_rng


def _finish(array, dtype, device, requires_grad) -> Tensor:
    if dtype is not None and array.dtype != np.dtype(dtype):
        array = array.astype(dtype)
    if device is not None:
        array = to_device(array, _device(device))
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_array(data):
    """A NumPy array with torch's dtype rules for Python data."""
    if isinstance(data, Tensor):
        return to_device(data.array, CPU)
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, (list, tuple)) and data and all(isinstance(d, Tensor) for d in data):
        return np.stack([np.asarray(d) for d in data])
    if type(data).__module__.startswith("cupy"):
        return data.get()
    array = np.array(data)
    if array.dtype == np.float64 and not isinstance(data, np.generic):
        array = array.astype(np.float32)               # Python floats are float32, as in torch
    elif array.dtype.kind in "iu" and not isinstance(data, np.generic):
        array = array.astype(np.int64)
    elif array.dtype.kind not in "biufc":
        raise TypeError(f"can't convert {type(data).__name__} of dtype {array.dtype} to a tensor; "
                        "only numbers, bools and nested lists of them are supported")
    return array


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays or tensors)."""
    if isinstance(data, Tensor):
        array, device = data.array.copy(), device or data.device
    else:
        array = np.array(_infer_array(data), copy=True)
    return _finish(array, dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(device or data.device, dtype) if dtype is not None else data.to(device or data.device)
    return _finish(_infer_array(data), dtype, device, False)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (same dtype)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._wrap(array)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    return _finish(np.zeros(_shape(size), dtype or np.float32), None, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    return _finish(np.ones(_shape(size), dtype or np.float32), None, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor."""
    return _finish(np.empty(_shape(size), dtype or np.float32), None, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype inferred as in ``tensor``)."""
    dtype = dtype or _infer_array(fill_value).dtype
    return _finish(np.full(tuple(size), fill_value, dtype), None, device, requires_grad)


def _like(x: Tensor, maker, dtype, device, requires_grad):
    array = maker(x.shape, dtype or x.dtype)
    return _finish(array, None, device or x.device, requires_grad)


def zeros_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape, dtype and device of ``x``."""
    return _like(x, np.zeros, dtype, device, requires_grad)


def ones_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape, dtype and device of ``x``."""
    return _like(x, np.ones, dtype, device, requires_grad)


def empty_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor like ``x``."""
    return _like(x, np.empty, dtype, device, requires_grad)


def full_like(x: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, with the shape, dtype and device of ``x``."""
    return _finish(np.full(x.shape, fill_value, dtype or x.dtype), None, device or x.device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for ints, float32 otherwise."""
    if end is None:
        start, end = 0, start
    is_float = any(isinstance(v, float) for v in (start, end, step))
    array = np.arange(start, end, step, dtype=dtype or (np.float32 if is_float else np.int64))
    return _finish(array, None, device, requires_grad)


def linspace(start: float, end: float, steps: int, dtype=None, device=None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return _finish(np.linspace(start, end, steps, dtype=dtype or np.float32), None, device, False)


def eye(n: int, m: int | None = None, dtype=None, device=None) -> Tensor:
    """The identity matrix."""
    return _finish(np.eye(n, m, dtype=dtype or np.float32), None, device, False)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    array = get_rng(generator).random(_shape(size), dtype=np.float32)
    return _finish(array, dtype, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    array = get_rng(generator).standard_normal(_shape(size), dtype=np.float32)
    return _finish(array, dtype, device, requires_grad)


def randint(low: int, high: int | None = None, size=(), *, generator=None, dtype=None, device=None) -> Tensor:
    """Random integers from [low, high) (``randint(high, size)`` starts at 0)."""
    if high is None or isinstance(high, (tuple, list)):
        low, high, size = 0, low, high if high is not None else size
    array = get_rng(generator).integers(low, high, tuple(size), dtype=np.int64)
    return _finish(array, dtype, device, False)


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0 .. n-1 (int64)."""
    return _finish(get_rng(generator).permutation(n).astype(np.int64), dtype, device, False)
