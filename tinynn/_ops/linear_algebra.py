"""Matrix products and matrix-shaped ops: mm, bmm, dot, outer, einsum, diag, tril, triu."""
from __future__ import annotations

import string

from .._device import get_array_module
from .._tensor import Tensor
from ..autograd.function import Function
from .arithmetic import MatMul, matmul, mul
from .indexing import _C10_NAMES
from .out import write_out
from .promotion import dtype_name, promote
from .shape import reshape


def _finish(result, out, name: str):
    return result if out is None else write_out(result, out, name)


def _c10(dtype) -> str:
    return _C10_NAMES.get(dtype.name, dtype.name)


def mm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """The matrix product of two 2-D tensors."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input.dtype != mat2.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_c10(input.dtype)} != "
                           f"{_c10(mat2.dtype)}")
    return matmul(input, mat2, out=out)


def bmm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Matrix products of two batches of matrices: (b, n, m) @ (b, m, p) -> (b, n, p)."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if mat2.shape[:2] != (input.shape[0], input.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    if input.dtype != mat2.dtype:
        raise RuntimeError(f"expected scalar type {dtype_name(input.dtype)} but found {dtype_name(mat2.dtype)}")
    return _finish(MatMul().named("BmmBackward0")(input, mat2), out, "bmm")


def dot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """The inner product of two 1-D tensors of the same length and dtype."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape != other.shape:
        n, m = input.shape[0], other.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
                           f"number of elements, but got {n} and {m} elements respectively")
    if input.dtype != other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {dtype_name(input.dtype)} "
                           f"and {dtype_name(other.dtype)}")
    return _finish(MatMul().named("DotBackward0")(input, other), out, "dot")


def outer(input: Tensor, vec2: Tensor, *, out=None) -> Tensor:
    """The outer product of two 1-D tensors: ``out[i][j] = input[i] * vec2[j]``."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    a, b = promote(input, vec2)
    return _finish(mul(reshape(a, (-1, 1)), b), out, "outer")


ger = outer


class Diag(Function):
    """A vector on the ``k``-th diagonal of a square matrix, or a matrix's ``k``-th diagonal as a vector."""

    def __init__(self, k):
        self.k = k

    def forward(self, x):
        self.shape = x.shape
        return get_array_module(x).diag(x, self.k).copy()

    def backward(self, gy):
        xp = get_array_module(gy)
        if len(self.shape) == 1:
            return (xp.diag(gy, self.k).copy(),)     # the gradient of each entry sits on the diagonal
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        i = xp.arange(gy.shape[0])
        rows, cols = (i, i + self.k) if self.k >= 0 else (i - self.k, i)
        gx[rows, cols] = gy                          # each diagonal element gets its gradient, others 0
        return (gx,)


def diag(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """1-D input: a square matrix with it on the ``diagonal``-th diagonal; 2-D: that diagonal as a vector."""
    if input.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    # torch's node: diag_embed for a vector, a copy of the diagonal for a matrix
    node = Diag(diagonal).named("DiagEmbedBackward0" if input.ndim == 1 else "DiagonalBackward0_copy")
    return _finish(node(input), out, "diag")


class Triangle(Function):
    def __init__(self, lower, k):
        self.lower, self.k = lower, k

    def forward(self, x):
        xp = get_array_module(x)
        return (xp.tril if self.lower else xp.triu)(x, self.k)

    def backward(self, gy):
        xp = get_array_module(gy)
        return ((xp.tril if self.lower else xp.triu)(gy, self.k),)   # kept elements pass the gradient, others 0


def tril(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """The lower triangle of the last two dimensions (on and below the ``diagonal``-th diagonal); the rest 0."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return _finish(Triangle(True, diagonal).named("TrilBackward0")(input), out, "tril")


def triu(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """The upper triangle of the last two dimensions (on and above the ``diagonal``-th diagonal); the rest 0."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return _finish(Triangle(False, diagonal).named("TriuBackward0")(input), out, "triu")


# ---------------------------------------------------------------------- einsum
class Einsum(Function):
    """``einsum`` with every subscript spelled out (no ellipsis) and every operand at full size.

    The gradient of operand k is the einsum of the other operands and the
    output gradient, written to operand k's subscripts; subscripts that only
    operand k has are broadcast back, and a repeated subscript (a diagonal)
    receives its gradient on that diagonal.
    """

    def __init__(self, inputs: list, output: str, sizes: dict):
        self.subscripts, self.output, self.sizes = inputs, output, sizes

    def forward(self, *arrays):
        xp = get_array_module(arrays[0])
        arrays = [xp.broadcast_to(a, [self.sizes[c] for c in s]) for a, s in zip(arrays, self.subscripts)]
        self.arrays = arrays
        equation = ",".join(self.subscripts) + "->" + self.output
        return xp.einsum(equation, *arrays, optimize=len(arrays) > 1)

    def backward(self, gy):
        return tuple(self._gradient(k, gy) if self.needs_grad(k) else None for k in range(len(self.arrays)))

    def _gradient(self, k, gy):
        xp = get_array_module(gy)
        own = self.subscripts[k]
        letters = "".join(dict.fromkeys(own))            # each subscript once, in order
        others = [s for i, s in enumerate(self.subscripts) if i != k] + [self.output]
        seen = set("".join(others))
        kept = "".join(c for c in letters if c in seen)
        operands = [a for i, a in enumerate(self.arrays) if i != k] + [gy]
        # d(out)/d(operand k): contract the others with gy onto operand k's subscripts
        g = xp.einsum(",".join(others) + "->" + kept, *operands, optimize=len(operands) > 1)
        # subscripts only operand k has were summed away: the gradient is the same along them
        g = g.reshape([self.sizes[c] if c in seen else 1 for c in letters])
        g = xp.broadcast_to(g, [self.sizes[c] for c in letters])
        if len(letters) == len(own):
            return g
        # a repeated subscript reads a diagonal: its gradient lands on that diagonal
        grid = {c: xp.arange(self.sizes[c]).reshape([-1 if j == i else 1 for j in range(len(letters))])
                for i, c in enumerate(letters)}
        full = xp.zeros([self.sizes[c] for c in own], dtype=gy.dtype)
        full[tuple(grid[c] for c in own)] = g
        return full


def _parse_einsum(equation: str, operands) -> tuple:
    """Subscripts per operand and for the output, with any ellipsis replaced by spare letters."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    spare = [c for c in string.ascii_letters if c not in equation]
    ellipsis_dims = max((x.ndim - len(t.replace("...", "")) for t, x in zip(terms, operands) if "..." in t),
                        default=0)
    ellipsis = "".join(spare[:ellipsis_dims])
    inputs = []
    for k, (term, x) in enumerate(zip(terms, operands)):
        named = len(term.replace("...", ""))
        if "..." in term:
            term = term.replace("...", ellipsis[len(ellipsis) - (x.ndim - named):] if x.ndim > named else "")
        elif named != x.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not match the "
                               f"number of dimensions ({x.ndim}) for operand {k} and no ellipsis was given")
        inputs.append(term)
    if arrow:
        output = rhs.replace("...", ellipsis)
    else:
        counts = "".join(t for t in inputs)
        output = ellipsis + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ellipsis))
    return inputs, output


def einsum(equation: str, *operands) -> Tensor:
    """Sums of products over the subscripts in ``equation`` (NumPy's einsum), differentiable.

    ``einsum("ij,jk->ik", a, b)`` is ``a @ b``; operands may also be passed as one list.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, output = _parse_einsum(equation, operands)
    sizes = {}
    for k, (term, x) in enumerate(zip(inputs, operands)):
        if x.dtype != operands[0].dtype:
            raise RuntimeError(f"expected scalar type {dtype_name(operands[0].dtype)} but found "
                               f"{dtype_name(x.dtype)}")
        for c, n in zip(term, x.shape):
            if c in sizes and n != sizes[c] and 1 not in (n, sizes[c]):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not "
                                   f"broadcast with previously seen size {sizes[c]}")
            if c not in sizes or sizes[c] == 1:       # a size-1 subscript broadcasts to the others' size
                sizes[c] = n
    for c in output:
        if c not in sizes:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                               "operand")
    return Einsum(inputs, output, sizes).named(_einsum_name(inputs, output))(*operands)


def _einsum_name(inputs: list, output: str) -> str:
    """torch's node for an einsum, which torch computes with other ops and names after the last: one
    operand is summed (SumBackward1) or permuted (PermuteBackward0); several are multiplied pairwise, and
    a pair that sums a subscript away is a bmm reshaped to the result (ViewBackward0), else a product."""
    summed = any(c not in output for term in inputs for c in term)
    if len(inputs) == 1:
        return "SumBackward1" if summed else "PermuteBackward0"
    return "ViewBackward0" if summed else "MulBackward0"
