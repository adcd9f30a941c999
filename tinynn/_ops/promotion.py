"""dtype rules shared by the ops: torch's dtype names, how mixed inputs are promoted, and quiet inf/nan."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor

_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def dtype_name(dtype) -> str:
    """The name torch's error messages give a dtype: ``Float`` for float32, ``Long`` for int64."""
    name = np.dtype(dtype).name
    return _TORCH_NAMES.get(name, name)


def float_input(x: Tensor) -> Tensor:
    """An integer or bool tensor as float32, as torch's float-valued functions (exp, sin...) take it."""
    return x.to(np.float32) if x.array.dtype.kind in "biu" else x


def promote(a: Tensor, b: Tensor) -> tuple:
    """Cast an integer/bool tensor to the other's float dtype when they meet (int + float32 is float32)."""
    kind_a, kind_b = a.array.dtype.kind, b.array.dtype.kind
    if kind_a in "biu" and kind_b in "fc":
        a = a.to(b.array.dtype)
    elif kind_b in "biu" and kind_a in "fc":
        b = b.to(a.array.dtype)
    return a, b


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}     # bool < integer < floating < complex


def result_dtype(a: Tensor, b: Tensor) -> np.dtype:
    """The dtype of ``a op b`` by torch's rules, which differ from NumPy's in two ways.

    An integer meets a float: the float's dtype wins (int64 + float32 is float32;
    NumPy says float64). A 0-d tensor meets a tensor with dimensions: the 0-d one
    counts only when its category (bool < integer < float < complex) is higher
    (float32 vector + float64 scalar tensor is float32).
    """
    da, db = a.array.dtype, b.array.dtype
    ca, cb = _CATEGORY[da.kind], _CATEGORY[db.kind]
    if (a.ndim == 0) != (b.ndim == 0):                  # one 0-d tensor, one with dimensions
        (dim, d_cat), (zero, z_cat) = ((da, ca), (db, cb)) if b.ndim == 0 else ((db, cb), (da, ca))
        return zero if z_cat > d_cat else dim
    if ca != cb:
        return da if ca > cb else db
    return np.result_type(da, db)


def promote_tensors(a: Tensor, b: Tensor) -> tuple:
    """``a`` and ``b`` cast to their common dtype by torch's rules (see ``result_dtype``)."""
    dtype = result_dtype(a, b)
    return (a if a.array.dtype == dtype else a.to(dtype)), (b if b.array.dtype == dtype else b.to(dtype))


def quiet_float_errors(cls):
    """Run ``cls``'s forward and backward without NumPy's floating-point warnings.

    ``log(0) = -inf``, ``1 / 0 = inf`` and ``sqrt(-1) = nan`` are the IEEE
    answers; torch returns them silently, and so does tinynn (NumPy would
    print "RuntimeWarning: divide by zero encountered in log").
    """
    for name in ("forward", "backward"):
        method = getattr(cls, name)

        def quiet(*args, _method=method):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return _method(*args)

        quiet.__name__, quiet.__qualname__, quiet.__doc__ = method.__name__, method.__qualname__, method.__doc__
        setattr(cls, name, quiet)
    return cls
