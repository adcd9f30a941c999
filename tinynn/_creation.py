"""Tensor factories: ``tensor``, ``zeros``, ``ones``, ``arange``, ``randn`` ...

Dtypes follow torch: Python floats become float32, ints int64, bools bool;
NumPy arrays keep their dtype (``from_numpy`` also keeps their memory).
"""
from __future__ import annotations

import warnings

import numpy as np

from ._device import CPU, cuda_context, device as _device, device_module, on_device_of, to_device
from ._tensor import Tensor
from .random import get_rng


class _Defaults:
    """What factories use when not told: ``set_default_dtype`` / ``set_default_device`` change it."""
    float_dtype = np.dtype(np.float32)      # for floats: zeros(...), tensor(1.5), rand(...), nn layers' weights
    device = None                           # None: the CPU


def set_default_dtype(d) -> None:
    """The dtype of floating-point tensors made without a ``dtype`` (float32 at start), as torch's."""
    dtype = np.dtype(d)
    if dtype.kind != "f":
        raise TypeError("only floating-point types are supported as the default type")
    _Defaults.float_dtype = dtype
    _SCALAR_DTYPES[float] = dtype
    _SCALAR_DTYPES[complex] = np.dtype(np.complex128 if dtype == np.float64 else np.complex64)


def get_default_dtype():
    """The dtype of floating-point tensors made without a ``dtype`` (``tinynn.float32`` unless changed)."""
    return _Defaults.float_dtype.type


def set_default_device(device) -> None:
    """The device of tensors made without a ``device`` (None: the CPU), as torch's."""
    _Defaults.device = None if device is None else _device(device)


def get_default_device() -> _device:
    """The device of tensors made without a ``device``."""
    return _Defaults.device or CPU


def _float(dtype):
    """``dtype``, or the default floating-point dtype."""
    return dtype if dtype is not None else _Defaults.float_dtype


def _finish(array, dtype, device, requires_grad) -> Tensor:
    """``array`` (cast to ``dtype`` and copied to ``device`` when given) as a tensor."""
    if dtype is not None and array.dtype != np.dtype(dtype):
        array = array.astype(dtype)
    device = device if device is not None else _Defaults.device
    if device is not None:
        array = to_device(array, _device(device))
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


# ----------------------------------------------------------- data -> array
# Python scalars count as these dtypes; the dtype of nested data is the
# promotion of its elements' (and of the tensors' and NumPy values' inside it).
_SCALAR_DTYPES = {bool: np.dtype(np.bool_), int: np.dtype(np.int64), float: np.dtype(np.float32),
                  complex: np.dtype(np.complex64)}
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_SEQUENCES = (list, tuple, range)


def _promote(a: np.dtype | None, b: np.dtype) -> np.dtype:
    """torch's promotion of two element dtypes: the higher category wins (int32 and float16 give float16)."""
    if a is None or a == b:
        return b
    category_a, category_b = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if category_a != category_b and not category_a + category_b == 5:     # float with complex: NumPy's rule
        return a if category_a > category_b else b
    return np.promote_types(a, b)


def _element_dtype(x) -> np.dtype:
    """The dtype one element of nested data adds to the promotion."""
    if isinstance(x, Tensor):
        return x.array.dtype
    if isinstance(x, (np.generic, np.ndarray)) and x.dtype.kind in _CATEGORY:
        return x.dtype
    if isinstance(x, str):
        raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    for kind in (bool, int, float, complex):          # subclasses (bool before int)
        if isinstance(x, kind):
            return _SCALAR_DTYPES[kind]
    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")


def _infer_dtype(data: list | tuple) -> tuple[np.dtype, bool]:
    """The dtype of nested lists, and whether tensors are among the elements."""
    result, has_tensors, todo = None, False, [data]
    while todo:
        seq = todo.pop()
        if not seq:                                    # an empty list counts as the default dtype
            result = _promote(result, _SCALAR_DTYPES[float])
        for kind in set(map(type, seq)):               # one look per type: fast for long lists of numbers
            if kind in _SCALAR_DTYPES:
                result = _promote(result, _SCALAR_DTYPES[kind])
            elif issubclass(kind, _SEQUENCES):
                todo.extend(x for x in seq if type(x) is kind)
            else:
                for x in (x for x in seq if type(x) is kind):
                    has_tensors = has_tensors or isinstance(x, Tensor)
                    result = _promote(result, _element_dtype(x))
    return result, has_tensors


def _infer_shape(data: list | tuple) -> tuple:
    """The shape of nested lists, read along their first elements (as torch does)."""
    shape, x = [], data
    while isinstance(x, (*_SEQUENCES, np.ndarray, str)):
        if isinstance(x, str):
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        if isinstance(x, np.ndarray):
            return tuple(shape) + x.shape
        shape.append(len(x))
        if not x:
            break
        x = x[0]
    return tuple(shape)


def _check_shape(x, shape: tuple, dim: int = 0) -> None:
    """Raise torch's error where nested lists are ragged (a row's length or depth differs)."""
    if isinstance(x, np.ndarray):
        if x.shape != shape[dim:]:
            got = x.shape[0] if x.ndim else 0
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {got})")
        return
    if not isinstance(x, _SEQUENCES):
        raise TypeError("not a sequence")
    if len(x) != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})")
    if dim + 1 < len(shape):
        for row in x:
            _check_shape(row, shape, dim + 1)
        return
    for kind in set(map(type, x)):
        if issubclass(kind, _SEQUENCES):
            raise TypeError(f"must be real number, not {kind.__name__}")
        if issubclass(kind, np.ndarray) and any(type(a) is kind and a.ndim for a in x):
            raise TypeError("only 0-dimensional arrays can be converted to Python scalars")


def _as_scalars(x, target: np.dtype):
    """Nested data with each tensor replaced by its Python number (torch reads tensors inside lists as scalars)."""
    if isinstance(x, _SEQUENCES):
        return [_as_scalars(item, target) for item in x]
    if not isinstance(x, Tensor):
        return x
    if x.array.size != 1:
        raise ValueError("only one element tensors can be converted to Python scalars")
    if x.requires_grad:
        warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                      "Consider using tensor.detach() first.", UserWarning, stacklevel=2)
    if target.kind in "iu" and x.array.dtype.kind in "fc":   # as torch, which reads it as an index here
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return x.item()


def _to_dtype_checked(values, target: np.dtype) -> np.ndarray:
    """``values`` (numbers) as an array of an integer dtype; values out of range raise, as in torch."""
    try:
        wide = np.array(values)
    except OverflowError:
        wide = np.array([], dtype=object)
    if wide.dtype.kind == "O" or wide.dtype == np.uint64 and target != np.uint64:
        raise ValueError("Overflow when unpacking long long")        # a Python int beyond int64
    if wide.size and wide.dtype.kind in "biuf":
        low, high = int(np.iinfo(target).min), int(np.iinfo(target).max)
        if target.kind == "u" and wide.dtype.kind in "iu":
            low = -(high + 1) // 2                    # negative ints wrap around (-1 -> 255), as in torch
        finite = np.isfinite(wide).all() if wide.dtype.kind == "f" else True
        if not finite or wide.min() < low or wide.max() > high:
            raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")
    return wide.astype(target)


def _infer_array(data, dtype=None) -> np.ndarray:
    """A NumPy array (a new one for Python data) with torch's dtype rules, as ``dtype`` if given.

    Python floats become float32, ints int64, bools bool; NumPy values keep
    their dtype; a tensor inside a list counts as a scalar of its dtype (it
    must hold one element); mixed elements promote as in torch (an int with a
    float gives a float; float32 with float64 gives float64).
    """
    target = None if dtype is None else np.dtype(dtype)
    if isinstance(data, Tensor):
        array = to_device(data.array, CPU)
    elif isinstance(data, np.ndarray):
        if data.dtype.kind not in _CATEGORY:
            raise TypeError(f"can't convert np.ndarray of type numpy.{data.dtype.type.__name__}. The only "
                            "supported types are: float64, float32, float16, complex64, complex128, int64, "
                            "int32, int16, int8, uint64, uint32, uint16, uint8, and bool.")
        array = data
    elif type(data).__module__.startswith("cupy"):
        array = data.get()
    elif isinstance(data, _SEQUENCES):
        shape = _infer_shape(data)
        inferred, has_tensors = _infer_dtype(data)
        target = inferred if target is None else target
        if 0 in shape:                                 # torch checks nothing more in empty data
            return np.zeros(shape, dtype=target)
        if has_tensors:
            data = _as_scalars(data, target)
        try:
            array = _build(data, target)
        except (ValueError, TypeError):
            _check_shape(data, shape)                  # ragged data: say where, in torch's words
            raise
        if array.shape != shape:
            _check_shape(data, shape)
        return array
    else:
        inferred = _element_dtype(data)
        return _build(data, inferred if target is None else target)
    return array if target is None or array.dtype == target else array.astype(target)


def _build(values, target: np.dtype) -> np.ndarray:
    """Python numbers (possibly nested lists) as an array of ``target``."""
    if target.kind in "iu":
        return _to_dtype_checked(values, target)
    try:
        with np.errstate(over="ignore"):              # 1e40 as float32 is inf, silently, as in torch
            return np.array(values, dtype=target)
    except OverflowError:                             # an int beyond int64 meeting floats
        raise ValueError("Overflow when unpacking long long") from None


def _allocated(make, device, requires_grad: bool = False) -> Tensor:
    """The tensor ``make(xp)`` builds with the array module of ``device``, directly where it lives.

    Deterministic factories (zeros, ones, full, arange, eye ...) use this: on
    a GPU, CuPy fills the memory itself (inside that GPU's context, where
    CuPy allocates), instead of a host array being built and copied over.
    """
    device = device if device is not None else _Defaults.device
    dev = CPU if device is None else _device(device)
    xp = device_module(dev)
    if xp is np:
        array = make(np)
    else:
        with cuda_context(dev.index or 0):
            array = make(xp)
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays or tensors).

    A CuPy array or a GPU tensor is copied on its own GPU (unless ``device``
    says otherwise), as ``torch.tensor(cuda_tensor)`` stays on the GPU.

    Copying a tensor this way warns, as in torch: ``t.detach().clone()`` says
    the same thing without the surprise.
    """
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "tinynn.tensor(sourceTensor).", UserWarning, stacklevel=2)
    return _new_tensor(data, dtype, device, requires_grad)


def _new_tensor(data, dtype, device, requires_grad: bool) -> Tensor:
    """``tensor`` without the warning: a copy of ``data``, on the device of a tensor (or CuPy array) given as
    ``data``."""
    if _is_cupy(data):
        data = Tensor._wrap(data)
    if isinstance(data, Tensor):
        array, device = data.array, device or data.device
        with on_device_of(array):                     # (CuPy copies onto the current device)
            array = array.astype(dtype) if dtype is not None and array.dtype != np.dtype(dtype) else array.copy()
        return _finish(array, None, device, requires_grad)
    array = _infer_array(data, dtype)
    if array is data or isinstance(data, np.ndarray) and np.shares_memory(array, data):
        array = array.copy()
    return _finish(array, None, device, requires_grad)


def _is_cupy(data) -> bool:
    return type(data).__module__.startswith("cupy")


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy or CuPy array or a tensor when it can."""
    if _is_cupy(data):
        data = Tensor._wrap(data)
    if isinstance(data, Tensor):
        return data.to(device or data.device, dtype) if dtype is not None else data.to(device or data.device)
    return _finish(_infer_array(data, dtype), None, device, False)


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
    shape = _shape(size)
    return _allocated(lambda xp: xp.zeros(shape, _float(dtype)), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    shape = _shape(size)
    return _allocated(lambda xp: xp.ones(shape, _float(dtype)), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor."""
    shape = _shape(size)
    return _allocated(lambda xp: xp.empty(shape, _float(dtype)), device, requires_grad)


def _size_tuple(size, fn: str) -> tuple:
    """``size`` of ``full``/``new_full``, which torch wants as a tuple or list."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    return tuple(size)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype inferred as in ``tensor``: 2 gives int64, 2. float32)."""
    dtype = dtype or _infer_array(fill_value).dtype
    shape, value = _size_tuple(size, "full"), _fill_number(fill_value)
    return _allocated(lambda xp: xp.full(shape, value, dtype), device, requires_grad)


def _fill_number(value):
    """A fill value as a number (a one-element tensor gives its value), which CuPy's fill takes."""
    return value.item() if isinstance(value, Tensor) else value


def _like(x: Tensor, maker, dtype, device, requires_grad):
    """``maker(xp, shape, dtype)`` with ``x``'s shape, and its dtype and device unless given."""
    shape, dtype = x.shape, dtype or x.dtype
    return _allocated(lambda xp: maker(xp, shape, dtype), device or x.device, requires_grad)


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape, dtype and device of ``input``."""
    return _like(input, lambda xp, shape, dt: xp.zeros(shape, dt), dtype, device, requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape, dtype and device of ``input``."""
    return _like(input, lambda xp, shape, dt: xp.ones(shape, dt), dtype, device, requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor like ``input``."""
    return _like(input, lambda xp, shape, dt: xp.empty(shape, dt), dtype, device, requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, with the shape, dtype and device of ``input`` (2.5 in an int64 tensor is 2)."""
    value = _fill_number(fill_value)
    return _like(input, lambda xp, shape, dt: xp.full(shape, value, dt), dtype, device, requires_grad)


def _floating_dtype(dtype, fn: str, sampler: str) -> np.dtype:
    """``dtype``, which must be floating point for random floats."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        from ._ops.promotion import dtype_name   # (the ops build on these factories: loaded on this error only)
        raise NotImplementedError(f"{fn}(): \"{sampler}\" is not implemented for '{dtype_name(dtype)}': "
                                  "random floats need a floating-point dtype")
    return dtype


def rand_like(input: Tensor, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1) with the shape, dtype and device of ``input``."""
    dtype = _floating_dtype(dtype or input.dtype, "rand_like", "uniform")
    return rand(input.shape, generator=generator, dtype=dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples with the shape, dtype and device of ``input``."""
    dtype = _floating_dtype(dtype or input.dtype, "randn_like", "normal")
    return randn(input.shape, generator=generator, dtype=dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint_like(input: Tensor, low: int | None = None, high: int | None = None, *, generator=None,
                 dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Random integers from [low, high) (``randint_like(x, high)`` starts at 0), in the dtype of ``input``.

    A float ``input`` gives whole numbers stored as floats, as in torch.
    """
    if high is None:
        if low is None:
            raise TypeError("randint_like() missing 1 required positional argument: 'high'")
        low, high = 0, low
    elif low is None:
        low = 0
    array = _random_integers(get_rng(generator), low, high, input.shape)
    return _finish(array.astype(dtype or input.dtype), None, device or input.device, requires_grad)


def _random_integers(rng: np.random.Generator, low: int, high: int, shape: tuple) -> np.ndarray:
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return rng.integers(low, high, shape, dtype=np.int64)


# ------------------------------------------------- Tensor.new_* (this tensor's dtype and device)
def new_tensor(self: Tensor, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``self.new_tensor(data)``: a copy of ``data`` with ``self``'s dtype and device unless given."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "tensor.new_tensor(sourceTensor).", UserWarning, stacklevel=3)
    return _new_tensor(data, dtype or self.dtype, device or self.device, requires_grad)


def new_filled(self: Tensor, maker, size: tuple, dtype, device, requires_grad: bool) -> Tensor:
    """A tensor of ``size`` made by ``maker(xp, shape, dtype)``, with ``self``'s dtype and device unless given."""
    shape, dtype = _shape(size), dtype or self.dtype
    return _allocated(lambda xp: maker(xp, shape, dtype), device or self.device, requires_grad)


def new_full(self: Tensor, size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``self.new_full(size, fill_value)``: ``fill_value`` everywhere, in ``self``'s dtype and device unless given."""
    shape, value = _size_tuple(size, "new_full"), _fill_number(fill_value)
    return new_filled(self, lambda xp, s, dt: xp.full(s, value, dt), (shape,), dtype, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for ints, float32 otherwise."""
    if end is None:
        start, end = 0, start
    is_float = any(isinstance(v, float) for v in (start, end, step))
    dtype = dtype or (_Defaults.float_dtype if is_float else np.int64)
    return _allocated(lambda xp: xp.arange(start, end, step, dtype=dtype), device, requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return _allocated(lambda xp: xp.linspace(start, end, steps, dtype=_float(dtype)), device, requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (``n`` rows, ``m`` columns, default ``n``)."""
    return _allocated(lambda xp: xp.eye(n, m, dtype=_float(dtype)), device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    dtype = _floating_dtype(_float(dtype), "rand", "uniform")
    array = get_rng(generator).random(_shape(size), dtype=np.float32)
    return _finish(array, dtype, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    dtype = _floating_dtype(_float(dtype), "randn", "normal")
    array = get_rng(generator).standard_normal(_shape(size), dtype=np.float32)
    return _finish(array, dtype, device, requires_grad)


def randint(low: int, high: int | None = None, size=(), *, generator=None, dtype=None, device=None) -> Tensor:
    """Random integers from [low, high) (``randint(high, size)`` starts at 0)."""
    if high is None or isinstance(high, (tuple, list)):
        low, high, size = 0, low, high if high is not None else size
    array = _random_integers(get_rng(generator), low, high, tuple(size))
    return _finish(array, dtype, device, False)


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0 .. n-1 (int64)."""
    return _finish(get_rng(generator).permutation(n).astype(np.int64), dtype, device, False)
