"""Vector and matrix norms: ``vector_norm``, ``matrix_norm`` and ``norm`` (torch.linalg's)."""
from __future__ import annotations

import math

import numpy as np

from .._device import get_array_module
from .._ops.out import write_out
from .._ops.promotion import dtype_name
from .._ops.reduction import _axes, _expand_back, amax, amin, sum
from .._ops.pointwise import abs
from .._ops.shape import permute, reshape
from .._tensor import Tensor
from ..autograd.function import Function

INF = math.inf


class VectorNorm(Function):
    """(sum |x_i|^p)^(1/p) over some dimensions; p = inf/-inf is max/min |x_i|, p = 0 counts non-zeros."""

    torch_name = "LinalgVectorNormBackward0"

    def __init__(self, ord, axes, keepdim):
        self.ord, self.axes, self.keepdim = ord, axes, keepdim

    def forward(self, x):
        xp, p, axes = get_array_module(x), self.ord, self.axes
        a = xp.abs(x)
        if p == 2:
            y = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        elif p == 1:
            y = a.sum(axis=axes, keepdims=True)
        elif p == INF:
            y = a.max(axis=axes, keepdims=True)
        elif p == -INF:
            y = a.min(axis=axes, keepdims=True)
        elif p == 0:
            y = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        else:
            with np.errstate(divide="ignore", over="ignore"):   # 0 ** negative p is inf; inf ** (1/p) is 0
                y = ((a ** p).sum(axis=axes, keepdims=True) ** (1 / p)).astype(x.dtype, copy=False)
        self.x, self.y = x, y
        return y if self.keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in axes])

    def backward(self, gy):
        xp, p, x, y = get_array_module(gy), self.ord, self.x, self.y
        gy = _expand_back(gy, x.shape, self.axes, self.keepdim)
        sign = xp.sign(x)
        if p == 0:
            return (None,)                            # a count: no gradient (as torch)
        if p == 1:
            return (gy * sign,)                       # d|x|_1/dx_i = sign(x_i)
        safe_y = xp.where(y == 0, 1, y)
        if p == 2:
            return (gy * x / safe_y * (y != 0),)      # d|x|_2/dx_i = x_i / |x|_2 (0 at x = 0, as torch)
        if p in (INF, -INF):
            hits = (xp.abs(x) == y) | xp.isnan(x)
            # d max|x|/dx_i = sign(x_i) at the extremes, shared equally between ties
            return ((gy * sign * hits / hits.sum(axis=self.axes, keepdims=True)).astype(gy.dtype, copy=False),)
        a = xp.abs(x)
        safe_a = xp.where(x == 0, 1, a)
        # d|x|_p/dx_i = sign(x_i) |x_i|^(p-1) / |x|_p^(p-1), 0 where that is 0/0
        local = sign * safe_a ** (p - 1) * (x != 0) / safe_y ** (p - 1) * (y != 0)
        return ((gy * local).astype(gy.dtype, copy=False),)


class SingularValueNorm(Function):
    """'nuc' (the sum of the singular values), 2 (the largest) or -2 (the smallest) of the last two dims."""

    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, ord):
        self.ord = ord

    def forward(self, a):
        xp = get_array_module(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        if self.ord == "nuc":
            weights = xp.ones_like(s)
        else:
            pick = xp.argmax(s, axis=-1) if self.ord == 2 else xp.argmin(s, axis=-1)
            weights = (xp.arange(s.shape[-1]) == pick[..., None]).astype(s.dtype)
        self.u, self.weights, self.vh = u, weights, vh
        return (s * weights).sum(axis=-1)

    def backward(self, gy):
        # d(sum_i w_i s_i)/dA = U diag(w) V^T
        return (gy[..., None, None] * ((self.u * self.weights[..., None, :]) @ self.vh),)


def _ord_text(ord) -> str:
    if ord in (INF, -INF):
        return "inf" if ord > 0 else "-inf"
    return str(int(ord)) if float(ord).is_integer() else str(ord)


def _floating(A: Tensor, dtype, name: str) -> Tensor:
    """``A`` (which must be floating point) cast to ``dtype`` when given."""
    if A.array.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {dtype_name(A.array.dtype)}")
    if dtype is None:
        return A
    target = np.dtype(dtype)
    if target.kind not in "fc" or target.itemsize < A.array.dtype.itemsize:
        raise RuntimeError(f"{name}: the dtype of the input ({dtype_name(A.array.dtype)}) should be convertible "
                           f"without narrowing to the specified dtype ({dtype_name(target)})")
    return A.to(target)


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements by default).

    ``ord``: any number; inf is max |x|, -inf min |x|, 0 the number of non-zeros.
    The gradient of the 2-norm at 0 is 0, as torch's.
    """
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    x = _floating(x, dtype, "linalg.vector_norm")
    axes = _axes(None if dim is None or (not isinstance(dim, int) and len(dim) == 0) else dim, x.ndim)
    if (ord < 0 or ord == INF) and any(x.shape[i] == 0 for i in axes):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_text(ord)} norm on an empty tensor "
                           "because the operation does not have an identity")
    result = VectorNorm(float(ord), axes, keepdim)(x)
    return result if out is None else write_out(result, out, "linalg_vector_norm")


def _matrix_dims(A: Tensor, dim) -> tuple:
    if isinstance(dim, int):
        raise TypeError("linalg_matrix_norm(): argument 'dim' must be tuple of ints, not int")
    dims = tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    return _axes(dims, A.ndim)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """A matrix norm over the two dimensions ``dim`` (the last two by default).

    ``ord``: 'fro' (sqrt of the sum of squares), 'nuc' (sum of singular values),
    2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum of
    |A|), inf / -inf (max / min row sum of |A|).
    """
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if ord not in ("fro", "nuc", 2, -2, 1, -1, INF, -INF):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    rows, cols = _matrix_dims(A, dim)
    A = _floating(A, dtype, "linalg.matrix_norm")
    if ord == "fro":
        result = vector_norm(A, 2, (rows, cols), keepdim)
    elif ord in ("nuc", 2, -2):
        rest = [i for i in range(A.ndim) if i not in (rows, cols)]
        # torch computes these from the singular values: their sum (nuc), max (2) or min (-2)
        node = SingularValueNorm(ord).named({"nuc": "SumBackward1", 2: "AmaxBackward0", -2: "AminBackward0"}[ord])
        result = node(permute(A, *rest, rows, cols))
        if keepdim:
            result = reshape(result, [1 if i in (rows, cols) else n for i, n in enumerate(A.shape)])
    else:
        summed, picked = (rows, cols) if ord in (1, -1) else (cols, rows)   # 1: columns, inf: rows
        extreme = amax if ord > 0 else amin
        result = extreme(sum(abs(A), summed, keepdim=True), (rows, cols), keepdim=keepdim)   # (summed has size 1)
    return result if out is None else write_out(result, out, "linalg_matrix_norm")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, out=None, dtype=None) -> Tensor:
    """A vector or matrix norm, as ``torch.linalg.norm``.

    With ``dim`` an int (or 1-tuple) a vector norm, a 2-tuple a matrix norm;
    without ``dim``: the 2-norm of all elements when ``ord`` is None, else a
    vector norm of a 1-D or a matrix norm of a 2-D input.
    """
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}")
    else:
        dims = None
        if ord is not None and A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.ndim}D.")
    matrix = dims is not None and len(dims) == 2 or dims is None and A.ndim == 2
    if isinstance(ord, str) or ord is not None and matrix:
        result = matrix_norm(A, ord, (-2, -1) if dims is None else dims, keepdim, dtype=dtype)
    else:
        result = vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    return result if out is None else write_out(result, out, "linalg_norm")
