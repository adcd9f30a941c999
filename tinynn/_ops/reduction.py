"""Reductions: sum, mean, var, std, max, min, amax, amin, argmax, argmin, all, any."""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from .._device import get_array_module
from .._tensor import Tensor
from ..autograd.function import Function
from .pointwise import sqrt


def _axes(dim, ndim):
    """Normalise ``dim`` (None, int or sequence) to a tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    rank = builtins.max(ndim, 1)   # a 0-d tensor accepts dim 0 and -1, as in torch
    for d in dims:
        if not -rank <= d < rank:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-rank}, {rank - 1}], but got {d})")
        out.append(d % rank)
    return tuple(out) if ndim else ()


def _expand_back(gy, shape, axes, keepdim):
    """Broadcast the gradient of a reduction back to the input's ``shape``."""
    if not keepdim:
        gy = gy.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return get_array_module(gy).broadcast_to(gy, shape)


class Sum(Function):
    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        self.shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdim)

    def backward(self, gy):
        return (_expand_back(gy, self.shape, self.axes, self.keepdim),)   # d(sum x)/dx_i = 1


class Mean(Function):
    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        self.shape = x.shape
        self.count = _count(x.shape, self.axes)
        return x.mean(axis=self.axes, keepdims=self.keepdim)

    def backward(self, gy):
        return (_expand_back(gy / self.count, self.shape, self.axes, self.keepdim),)  # d(mean x)/dx_i = 1/n


class Var(Function):
    def __init__(self, axes, correction, keepdim):
        self.axes, self.correction, self.keepdim = axes, correction, keepdim

    def forward(self, x):
        n = _count(x.shape, self.axes)
        self.centered = x - x.mean(axis=self.axes, keepdims=True)
        self.denominator = builtins.max(0, n - self.correction)
        squares = (self.centered * self.centered).sum(axis=self.axes, keepdims=self.keepdim)
        return squares / self.denominator if self.denominator else squares * float("nan")

    def backward(self, gy):
        gy = _expand_back(gy, self.centered.shape, self.axes, self.keepdim)
        return (gy * 2 * self.centered / self.denominator,)   # d(var)/dx_i = 2 (x_i - mean) / (n - correction)


class Max(Function):
    """Max or min along one dimension; the gradient goes to the chosen element."""

    def __init__(self, axis, keepdim, largest):
        self.axis, self.keepdim, self.largest = axis, keepdim, largest

    def forward(self, x):
        xp = get_array_module(x)
        pick = xp.argmax if self.largest else xp.argmin
        self.indices = xp.expand_dims(pick(x, axis=self.axis), self.axis)
        self.shape = x.shape
        values = xp.take_along_axis(x, self.indices, axis=self.axis)
        return values if self.keepdim else values.squeeze(self.axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        gy = gy if self.keepdim else xp.expand_dims(gy, self.axis)
        positions = xp.arange(self.shape[self.axis]).reshape(
            [-1 if i == self.axis else 1 for i in range(len(self.shape))])
        return ((positions == self.indices) * gy,)    # d(max x)/dx_i = 1 at the argmax, 0 elsewhere


class Amax(Function):
    """amax/amin over several dimensions; ties share the gradient equally (as torch)."""

    def __init__(self, axes, keepdim, largest):
        self.axes, self.keepdim, self.largest = axes, keepdim, largest

    def forward(self, x):
        xp = get_array_module(x)
        reduce = xp.max if self.largest else xp.min
        y = reduce(x, axis=self.axes, keepdims=True)
        self.mask = x == y
        return y if self.keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, gy):
        share = self.mask / self.mask.sum(axis=self.axes, keepdims=True)
        gy = _expand_back(gy, self.mask.shape, self.axes, self.keepdim)
        return ((gy * share).astype(gy.dtype, copy=False),)   # d(max x)/dx_i = 1/#ties at the maxima


def _count(shape, axes):
    """How many elements a reduction over ``axes`` combines into one."""
    n = 1
    for i in axes:
        n *= shape[i]
    return n


def _check_float(x: Tensor, name: str):
    if x.array.dtype.kind not in "fc":
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be floating "
                           f"point, but got {x.array.dtype}. Use .float() first.")


def sum(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (all dims by default); bool and integer tensors sum to int64."""
    if dtype is not None:
        x = x.to(dtype)
    elif x.array.dtype.kind in "bu" or x.array.dtype.kind == "i" and x.array.dtype.itemsize < 8:
        x = x.to(np.int64)
    return Sum(_axes(dim, x.ndim), keepdim)(x)


def mean(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` (all dims by default)."""
    if dtype is not None:
        x = x.to(dtype)
    _check_float(x, "mean")
    return Mean(_axes(dim, x.ndim), keepdim)(x)


def var(x: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over ``dim``; unbiased (divides by n - 1) by default, as torch."""
    _check_float(x, "var")
    correction = (1 if unbiased else 0) if correction is None else correction
    return Var(_axes(dim, x.ndim), correction, keepdim)(x)


def std(x: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation over ``dim``: sqrt of ``var``; unbiased by default."""
    return sqrt(var(x, dim, unbiased, keepdim, correction=correction))


values_indices = namedtuple("values_indices", ["values", "indices"])


def _max_or_min(x, dim, keepdim, largest):
    if isinstance(dim, Tensor):                       # torch.max(a, b): elementwise
        from .shape import where
        return where(x >= dim, x, dim) if largest else where(x <= dim, x, dim)
    if x.array.size == 0:
        raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0.")
    if dim is None:
        return Amax(_axes(None, x.ndim), False, largest)(x)
    (axis,) = _axes(dim, x.ndim)
    values = Max(axis, keepdim, largest)(x)
    xp = get_array_module(x.array)
    indices = (xp.argmax if largest else xp.argmin)(x.array, axis=axis)
    if keepdim:
        indices = xp.expand_dims(indices, axis)
    return values_indices(values, Tensor._wrap(indices.astype("int64", copy=False)))


def max(x: Tensor, dim=None, keepdim: bool = False):
    """The largest element, or ``(values, indices)`` along ``dim``, or the elementwise max of two tensors."""
    return _max_or_min(x, dim, keepdim, True)


def min(x: Tensor, dim=None, keepdim: bool = False):
    """The smallest element, or ``(values, indices)`` along ``dim``, or the elementwise min of two tensors."""
    return _max_or_min(x, dim, keepdim, False)


def amax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Largest values over ``dim`` (ties share the gradient)."""
    return Amax(_axes(dim, x.ndim), keepdim, True)(x)


def amin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Smallest values over ``dim`` (ties share the gradient)."""
    return Amax(_axes(dim, x.ndim), keepdim, False)(x)


def _arg(x, dim, keepdim, largest):
    xp = get_array_module(x.array)
    pick = xp.argmax if largest else xp.argmin
    if dim is None:
        out = pick(x.array)
        if keepdim:
            out = out.reshape((1,) * x.ndim)
    else:
        (axis,) = _axes(dim, x.ndim)
        out = pick(x.array, axis=axis)
        if keepdim:
            out = xp.expand_dims(out, axis)
    return Tensor._wrap(xp.asarray(out, dtype="int64"))


def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (flattened when ``dim`` is None)."""
    return _arg(x, dim, keepdim, True)


def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (flattened when ``dim`` is None)."""
    return _arg(x, dim, keepdim, False)


def all(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element is non-zero."""
    axes = None if dim is None else _axes(dim, x.ndim)
    return Tensor._wrap(get_array_module(x.array).asarray(x.array.all(axis=axes, keepdims=keepdim)))


def any(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element is non-zero."""
    axes = None if dim is None else _axes(dim, x.ndim)
    return Tensor._wrap(get_array_module(x.array).asarray(x.array.any(axis=axes, keepdims=keepdim)))
