"""The ``out=`` keyword: write a function's result into a tensor the caller provides.

Every function that takes ``out`` ends with
``return result if out is None else write_out(result, out, "name")``, so the
rules live here once, as torch's:

* ``out`` (or, for functions returning ``(values, indices)``, a tuple of two
  tensors) receives the result and is what the function returns;
* an ``out`` of another shape is resized, with torch's deprecation warning
  unless it was empty;
* the result must be castable to ``out``'s dtype (float into int is refused);
* ``out=`` does not record gradients, so it is refused while gradients are
  being recorded and an input (or ``out``) requires grad.
"""
from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import _GradMode
from .._device import get_array_module
from .promotion import dtype_name
from ..autograd.version import bump_version
from ..return_types import _OUT_TYPES


def write_out(result, out, name: str):
    """Copy ``result`` (a tensor or a named tuple of tensors) into ``out`` and return ``out``."""
    results = tuple(result) if isinstance(result, tuple) else (result,)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if len(outs) != len(results) or not all(isinstance(o, Tensor) for o in outs):
        expected = "Tensor" if len(results) == 1 else f"tuple of {len(results)} Tensors"
        raise TypeError(f"{name}(): argument 'out' must be {expected}, not {type(out).__name__}")
    if _GradMode.enabled and any(t.requires_grad for t in results + outs):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    for r, o in zip(results, outs):
        _copy_into(r, o)
    if not isinstance(result, tuple):
        return out
    out_type = _OUT_TYPES.get(type(result))       # tinynn.return_types.max -> max_out, as torch
    return outs if out_type is None else out_type(outs)


def _copy_into(result: Tensor, out: Tensor) -> None:
    if type(result.array) is not type(out.array):
        raise RuntimeError(f"Expected out tensor to have device {result.device}, but got {out.device} instead")
    if not np.can_cast(result.array.dtype, out.array.dtype, casting="same_kind"):   # no float -> int
        raise RuntimeError(f"result type {dtype_name(result.array.dtype)} can't be cast to the desired "
                           f"output type {dtype_name(out.array.dtype)}")
    if out.shape != result.shape:
        if out.array.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape {list(out.shape)}, "
                f"which does not match the required output shape {list(result.shape)}. This behavior is "
                "deprecated, and in a future PyTorch release outputs will not be resized unless they have "
                "zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                "elements with t.resize_(0).", UserWarning, stacklevel=_caller_level())
        out.array = get_array_module(out.array).empty(result.shape, dtype=out.array.dtype)
    out.array[...] = result.array
    bump_version(out.array)                     # an in-place change (see autograd/version.py)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _caller_level() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside tinynn (the user's line)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR + os.sep):
        frame, level = frame.f_back, level + 1
    return level
