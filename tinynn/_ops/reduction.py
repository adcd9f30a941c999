"""Reductions: sum, mean, prod, cumsum, logsumexp, var, std, max, min, amax, amin, argmax, all, any, norm..."""
from __future__ import annotations

import builtins

import numpy as np

from .. import return_types
from .._device import get_array_module, on_tensors_device
from .._tensor import Tensor
from ..autograd.function import Function
from .out import write_out
from .pointwise import Sqrt, maximum, minimum
from .promotion import float_input


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
        if d % rank in out:
            raise RuntimeError(f"dim {d % rank} appears multiple times in the list of dims")
        out.append(d % rank)
    return tuple(out) if ndim else ()


def _expand_back(gy, shape, axes, keepdim):
    """Broadcast the gradient of a reduction back to the input's ``shape``."""
    if not keepdim:
        gy = gy.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return get_array_module(gy).broadcast_to(gy, shape)


class Sum(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        self.shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdim)

    def backward(self, gy):
        return (_expand_back(gy, self.shape, self.axes, self.keepdim),)   # d(sum x)/dx_i = 1


class Mean(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        self.shape = x.shape
        self.count = _count(x.shape, self.axes)
        return x.mean(axis=self.axes, keepdims=self.keepdim)

    def backward(self, gy):
        return (_expand_back(gy / self.count, self.shape, self.axes, self.keepdim),)  # d(mean x)/dx_i = 1/n


class Var(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

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

    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

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

    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

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


class Prod(Function):
    saves_output = False                        # backward reads the inputs, not the output

    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        self.x = x
        y = x.prod(axis=self.axes, keepdims=True)
        return y if self.keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, gy):
        xp, x, axes = get_array_module(gy), self.x, self.axes
        gy = _expand_back(gy, x.shape, axes, self.keepdim)
        zero = x == 0
        zeros = zero.sum(axis=axes, keepdims=True)
        others = xp.where(zero, 1, x).prod(axis=axes, keepdims=True)    # product of the non-zero elements
        # d(prod x)/dx_i = prod_{j != i} x_j: prod / x_i without zeros, the others' product at a lone 0, else 0
        local = xp.where(zero, xp.where(zeros == 1, others, 0),
                         xp.where(zeros == 0, others / xp.where(zero, 1, x), 0))
        return (gy * local,)


class Cumsum(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return get_array_module(x).cumsum(x, axis=self.axis)

    def backward(self, gy):
        xp, axis = get_array_module(gy), self.axis
        # d(y_j)/d(x_i) = 1 for j >= i: the gradient is the reversed cumulative sum of gy
        return (xp.flip(xp.cumsum(xp.flip(gy, axis), axis=axis), axis),)


class Logsumexp(Function):
    def __init__(self, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        peak = x.max(axis=self.axes, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
        peak = xp.where(xp.isfinite(peak), peak, 0)        # shift by the max: exp never overflows
        self.x = x
        with np.errstate(divide="ignore"):                # all -inf: log 0 = -inf, as torch
            self.y = xp.log(xp.exp(x - peak).sum(axis=self.axes, keepdims=True)) + peak
        y = self.y
        return y if self.keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, gy):
        gy = _expand_back(gy, self.x.shape, self.axes, self.keepdim)
        return (gy * get_array_module(gy).exp(self.x - self.y),)   # d(logsumexp x)/dx_i = softmax(x)_i


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


def _finish(result, out, name: str):
    return result if out is None else write_out(result, out, name)


def _accumulating(x: Tensor, dtype) -> Tensor:
    """``x`` cast to ``dtype``, or bool and integer tensors widened to int64 (as sum and prod do)."""
    if dtype is not None:
        return x.to(dtype)
    if x.array.dtype.kind in "bu" or x.array.dtype.kind == "i" and x.array.dtype.itemsize < 8:
        return x.to(np.int64)
    return x


def sum(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """Sum over ``dim`` (all dims by default); bool and integer tensors sum to int64."""
    x = _accumulating(x, dtype)
    node = Sum(_axes(dim, x.ndim), keepdim).named("SumBackward0" if dim is None else "SumBackward1")
    return _finish(node(x), out, "sum")


def mean(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """Mean over ``dim`` (all dims by default)."""
    if dtype is not None:
        x = x.to(dtype)
    _check_float(x, "mean")
    node = Mean(_axes(dim, x.ndim), keepdim).named("MeanBackward0" if dim is None else "MeanBackward1")
    return _finish(node(x), out, "mean")


def prod(x: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """Product over one dimension ``dim`` (all elements by default); bool and integers give int64.

    The gradient is the product of the other elements, also where some are 0.
    """
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    x = _accumulating(x, dtype)
    node = Prod(_axes(dim, x.ndim), keepdim).named("ProdBackward0" if dim is None else "ProdBackward1")
    return _finish(node(x), out, "prod")


def cumsum(x: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    """Running sum along ``dim``: y_j = x_0 + ... + x_j; bool and integers give int64."""
    x = _accumulating(x, dtype)
    (axis,) = _axes(dim, x.ndim) or (None,)
    result = x.clone() if x.ndim == 0 else Cumsum(axis)(x)
    return _finish(result, out, "cumsum")


def logsumexp(x: Tensor, dim, keepdim: bool = False, *, out=None) -> Tensor:
    """log(sum(exp(x))) over ``dim``, computed stably (shifted by the maximum)."""
    x = float_input(x)
    return _finish(Logsumexp(_axes(dim, x.ndim), keepdim)(x), out, "logsumexp")


@on_tensors_device
def count_nonzero(x: Tensor, dim=None) -> Tensor:
    """How many elements are not zero, over ``dim`` (int or tuple; all by default), as int64."""
    axes = None if dim is None else _axes(dim, x.ndim)
    xp = get_array_module(x.array)
    return Tensor._wrap(xp.asarray((x.array != 0).sum(axis=axes), dtype=np.int64))


def var(x: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None,
        out=None) -> Tensor:
    """Variance over ``dim``; unbiased (divides by n - 1) by default, as torch."""
    _check_float(x, "var")
    correction = (1 if unbiased else 0) if correction is None else correction
    return _finish(Var(_axes(dim, x.ndim), correction, keepdim)(x), out, "var")


def std(x: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None,
        out=None) -> Tensor:
    """Standard deviation over ``dim``: sqrt of ``var``; unbiased by default."""
    variance = var(x, dim, unbiased, keepdim, correction=correction)
    return _finish(Sqrt().named("StdBackward0")(variance), out, "std")


@on_tensors_device
def _max_or_min(x, dim, keepdim, largest):
    if isinstance(dim, Tensor):                       # torch.max(a, b): elementwise
        return maximum(x, dim) if largest else minimum(x, dim)
    if x.array.size == 0:
        raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0.")
    if dim is None:                                   # torch's nodes: x.max() MaxBackward1, x.max(0) MaxBackward0
        return Amax(_axes(None, x.ndim), False, largest).named("MaxBackward1" if largest else "MinBackward1")(x)
    (axis,) = _axes(dim, x.ndim)
    values = Max(axis, keepdim, largest).named("MaxBackward0" if largest else "MinBackward0")(x)
    xp = get_array_module(x.array)
    indices = (xp.argmax if largest else xp.argmin)(x.array, axis=axis)
    if keepdim:
        indices = xp.expand_dims(indices, axis)
    result_type = return_types.max if largest else return_types.min
    return result_type((values, Tensor._wrap(indices.astype("int64", copy=False))))


def max(x: Tensor, dim=None, keepdim: bool = False, *, out=None):
    """The largest element, or ``(values, indices)`` along ``dim``, or the elementwise max of two tensors."""
    return _finish(_max_or_min(x, dim, keepdim, True), out, "max")


def min(x: Tensor, dim=None, keepdim: bool = False, *, out=None):
    """The smallest element, or ``(values, indices)`` along ``dim``, or the elementwise min of two tensors."""
    return _finish(_max_or_min(x, dim, keepdim, False), out, "min")


def amax(x: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """Largest values over ``dim`` (ties share the gradient)."""
    return _finish(Amax(_axes(dim, x.ndim), keepdim, True)(x), out, "amax")


def amin(x: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """Smallest values over ``dim`` (ties share the gradient)."""
    return _finish(Amax(_axes(dim, x.ndim), keepdim, False).named("AminBackward0")(x), out, "amin")


@on_tensors_device
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


def argmax(x: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """Index of the largest element (flattened when ``dim`` is None)."""
    return _finish(_arg(x, dim, keepdim, True), out, "argmax")


def argmin(x: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """Index of the smallest element (flattened when ``dim`` is None)."""
    return _finish(_arg(x, dim, keepdim, False), out, "argmin")


@on_tensors_device
def all(x: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """True where every element is non-zero."""
    axes = None if dim is None else _axes(dim, x.ndim)
    result = Tensor._wrap(get_array_module(x.array).asarray(x.array.all(axis=axes, keepdims=keepdim)))
    return _finish(result, out, "all")


@on_tensors_device
def any(x: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """True where some element is non-zero."""
    axes = None if dim is None else _axes(dim, x.ndim)
    result = Tensor._wrap(get_array_module(x.array).asarray(x.array.any(axis=axes, keepdims=keepdim)))
    return _finish(result, out, "any")


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None) -> Tensor:
    """torch.norm: a vector norm for a number ``p`` or 'fro'; 'nuc' (and 'fro' over >2 dims) as matrix norms.

    See ``tinynn.linalg.vector_norm`` and ``tinynn.linalg.matrix_norm``.
    """
    from ..linalg import matrix_norm, vector_norm   # (linalg builds on this module: torch.norm calls up to it)
    dims = [dim] if isinstance(dim, int) else dim
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(input, 2, dims, keepdim, dtype=dtype, out=out)
        return matrix_norm(input, p, list(range(input.ndim)) if dims is None else dims, keepdim,
                           dtype=dtype, out=out)
    return vector_norm(input, 2.0 if p is None else p, dims, keepdim, dtype=dtype, out=out)


@on_tensors_device
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in a 1-D non-negative integer tensor (or the sum of its weights)."""
    if input.array.dtype.kind not in "biu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{input.array.dtype.name.capitalize()}'")
    xp = get_array_module(input.array)
    if input.ndim != 1 or (input.array.size and bool(input.array.min() < 0)):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return Tensor._wrap(xp.bincount(input.array, minlength=minlength).astype(np.int64, copy=False))
    dtype = weights.array.dtype if weights.array.dtype.kind == "f" else np.float64
    counts = xp.bincount(input.array, weights=weights.array, minlength=minlength)
    return Tensor._wrap(counts.astype(dtype, copy=False))
