"""Ordering: sort, argsort, topk, median, unique.

Values come out through ``Gather``, so each one's gradient goes back to the
element it was taken from. Sorting is stable (equal elements keep their order,
also when descending) and puts NaN above every number, as torch.
"""
from __future__ import annotations

import numpy as np

from .. import return_types
from .._device import get_array_module, on_tensors_device
from .._tensor import Tensor
from ..autograd.function import Function
from .indexing import Gather, _positions
from .out import write_out
from .reduction import _axes
from .shape import Reshape

def _stable_argsort(array, axis: int, descending: bool):
    """Indices that sort ``array`` along ``axis``, ties in their original order (NaN counts as largest)."""
    xp = get_array_module(array)
    kind = {"kind": "stable"} if xp is np else {}      # CuPy's sort is always stable
    if not descending:
        return xp.argsort(array, axis=axis, **kind)
    # Descending and stable: sort the reversed array ascending, then reverse back.
    order = xp.argsort(xp.flip(array, axis), axis=axis, **kind)
    return (array.shape[axis] - 1) - xp.flip(order, axis)


def _take(input: Tensor, order, axis: int, torch_name: str) -> Tensor:
    """``input``'s elements at ``order`` along ``axis`` (differentiable; the node named ``torch_name``)."""
    return Gather(_positions(get_array_module(order), order, axis)).named(torch_name)(input)


@on_tensors_device
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False, *, out=None):
    """``(values, indices)`` of ``input`` sorted along ``dim`` (always stable)."""
    if input.ndim == 0:
        zero = Tensor._wrap(get_array_module(input.array).zeros((), np.int64))
        result = return_types.sort((input.clone(), zero))
    else:
        (axis,) = _axes(dim, input.ndim)
        order = _stable_argsort(input.array, axis, descending)
        indices = Tensor._wrap(order.astype(np.int64, copy=False))
        result = return_types.sort((_take(input, order, axis, "SortBackward0"), indices))
    return result if out is None else write_out(result, out, "sort")


@on_tensors_device
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (always stable)."""
    return sort(input, dim, descending, stable).indices


@on_tensors_device
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *, out=None):
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``, in order."""
    (axis,) = _axes(dim, input.ndim) or (0,)
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        values, indices = sort(input)
        result = return_types.topk((values, indices))
    else:
        order = _stable_argsort(input.array, axis, largest)
        order = order[(slice(None),) * axis + (slice(0, k),)]
        indices = Tensor._wrap(order.astype(np.int64, copy=False))
        result = return_types.topk((_take(input, order, axis, "TopkBackward0"), indices))
    return result if out is None else write_out(result, out, "topk")


class MedianAll(Function):
    """The lower median of all elements; ties share the gradient equally (as torch)."""

    torch_name = "MedianBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def forward(self, x):
        xp = get_array_module(x)
        flat = xp.sort(x.reshape(-1))                # NaN sorts last
        if flat.size == 0:
            y = xp.asarray(float("nan"), dtype=x.dtype)
        else:
            y = flat[(flat.size - 1) // 2]
            if flat.dtype.kind == "f":               # a NaN anywhere makes the median NaN
                y = xp.where(xp.isnan(flat[-1]), flat[-1], y)
        self.picked = (x == y) | (xp.isnan(x) & xp.isnan(y)) if x.dtype.kind == "f" else x == y
        return xp.asarray(y)

    def backward(self, gy):
        share = self.picked / self.picked.sum()
        return ((gy * share).astype(gy.dtype, copy=False),)   # d(median)/dx_i = 1/#ties at the median


@on_tensors_device
def median(input: Tensor, dim: int | None = None, keepdim: bool = False, *, out=None):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``; NaN propagates."""
    if dim is None:
        result = MedianAll()(input)
        return result if out is None else write_out(result, out, "median")
    if input.ndim == 0:
        result = return_types.median((input.clone(),
                                      Tensor._wrap(get_array_module(input.array).zeros((), np.int64))))
        return result if out is None else write_out(result, out, "median")
    (axis,) = _axes(dim, input.ndim)
    size = input.shape[axis]
    if size == 0:
        raise IndexError(f"median(): Expected reduction dim {axis} to have non-zero size.")
    xp = get_array_module(input.array)
    order = _stable_argsort(input.array, axis, False)
    middle = (size - 1) // 2
    picked = order[(slice(None),) * axis + (slice(middle, middle + 1),)]
    if input.dtype.kind == "f":                    # rows with a NaN: the first NaN
        nan = xp.isnan(input.array)
        first_nan = xp.expand_dims(xp.argmax(nan, axis=axis), axis)
        picked = xp.where(xp.expand_dims(nan.any(axis=axis), axis), first_nan, picked)
    values = _take(input, picked, axis, "MedianBackward1")
    indices = Tensor._wrap(picked.astype(np.int64, copy=False))
    if not keepdim:
        values = Reshape(values.shape[:axis] + values.shape[axis + 1:]).named("MedianBackward1")(values)
        indices = Tensor._wrap(indices.array.squeeze(axis))
    result = return_types.median((values, indices))
    return result if out is None else write_out(result, out, "median")


@on_tensors_device
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim: int | None = None):
    """The distinct elements (sorted), optionally with each element's position among them and the counts."""
    xp = get_array_module(input.array)
    axis = None if dim is None else _axes(dim, input.ndim)[0]
    nan_rule = {"equal_nan": False} if xp is np else {}    # NaNs stay distinct, as torch
    values, inverse, counts = xp.unique(input.array, return_inverse=True, return_counts=True, axis=axis,
                                        **nan_rule)
    if axis is None:
        inverse = inverse.reshape(input.shape)
    outputs = [Tensor._wrap(values)]
    if return_inverse:
        outputs.append(Tensor._wrap(inverse.astype(np.int64, copy=False).reshape(-1) if axis is not None
                                    else inverse.astype(np.int64, copy=False)))
    if return_counts:
        outputs.append(Tensor._wrap(counts.astype(np.int64, copy=False)))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)
