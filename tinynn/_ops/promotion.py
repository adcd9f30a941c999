"""dtype rules shared by the ops: torch's dtype names and how mixed inputs are promoted."""
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
