"""Index-driven ops: gather, scatter, scatter_add, index_select, masked_fill, nonzero/argwhere.

``gather``/``scatter`` address one element per entry of ``index``: along ``dim``
the position is ``index[i]``, along every other dimension it is ``i`` itself
(``out[i][j] = input[i][index[i][j]]`` for ``dim=1``).
"""
from __future__ import annotations

import warnings

import numpy as np

from .._device import cuda_index_of, get_array_module, on_tensors_device, to_device
from .._tensor import Tensor
from ..autograd.function import Function
from .inplace import inplace_apply
from .out import write_out
from .reduction import _axes
from .shape import Where, _scatter_add, getitem, reshape


class Gather(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, positions):
        self.positions = positions

    def forward(self, x):
        self.shape = x.shape
        return x[self.positions]

    def backward(self, gy):
        gx = get_array_module(gy).zeros(self.shape, dtype=gy.dtype)
        _scatter_add(get_array_module(gy), gx, self.positions, gy)   # each pick sends its gradient home
        return (gx,)


class Scatter(Function):
    """``x`` with ``src``'s elements (or one ``value``) written at the addressed positions."""

    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, positions, src_region, value=None, reduce=None):
        self.positions, self.src_region, self.value, self.reduce = positions, src_region, value, reduce

    def forward(self, x, src=None):
        xp = get_array_module(x)
        y = x.copy()
        values = self.value if src is None else src[self.src_region]
        self.src_shape = None if src is None else src.shape
        if self.reduce is None:
            y[self.positions] = values
        elif self.reduce == "add":
            index_shape = tuple(region.stop for region in self.src_region)
            _scatter_add(xp, y, self.positions, xp.broadcast_to(xp.asarray(values, dtype=y.dtype), index_shape))
        elif xp is np:
            np.multiply.at(y, self.positions, values)
        else:
            raise NotImplementedError("scatter(reduce='multiply') is not implemented on the GPU in tinynn")
        return y

    def backward(self, gy):
        if self.reduce is not None:
            raise RuntimeError("derivative for aten::scatter is not implemented")
        xp = get_array_module(gy)
        gx = gy.copy()
        gx[self.positions] = 0                # d(y)/d(x) = 0 where x was overwritten, 1 elsewhere
        if self.src_shape is None:
            return (gx,)
        gsrc = xp.zeros(self.src_shape, dtype=gy.dtype)
        gsrc[self.src_region] = gy[self.positions]   # d(y)/d(src) = 1 at the position each element went to
        return gx, gsrc


class ScatterAdd(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, positions, src_region):
        self.positions, self.src_region = positions, src_region

    def forward(self, x, src):
        y = x.copy()
        _scatter_add(get_array_module(x), y, self.positions, src[self.src_region])
        self.src_shape = src.shape
        return y

    def backward(self, gy):
        gsrc = get_array_module(gy).zeros(self.src_shape, dtype=gy.dtype)
        gsrc[self.src_region] = gy[self.positions]   # d(y)/d(src) = 1 at the position it is added to
        return gy, gsrc                              # d(y)/d(x) = 1


def _positions(xp, index, axis: int) -> tuple:
    """The fancy index addressing ``index[i]`` along ``axis`` and ``i`` along every other dimension."""
    ndim = index.ndim
    return tuple(index if d == axis else xp.arange(n).reshape([-1 if k == d else 1 for k in range(ndim)])
                 for d, n in enumerate(index.shape))


def _check_index_dtype(name: str, index) -> None:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.array.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _check_bounds(index_array, axis: int, size: int) -> None:
    """Refuse indices outside [0, size) (checked on the CPU; a GPU check would stall the device)."""
    if get_array_module(index_array) is np and index_array.size:
        low, high = int(index_array.min()), int(index_array.max())
        if low < 0 or high >= size:
            raise RuntimeError(f"index {low if low < 0 else high} is out of bounds for dimension {axis} "
                               f"with size {size}")


def _index_array(index: Tensor, x: Tensor):
    array = index.array
    return array if cuda_index_of(array) == cuda_index_of(x.array) else to_device(array, x.device)


@on_tensors_device
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False, out=None) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` (for dim=1): pick one element per index entry along ``dim``."""
    _check_index_dtype("gather", index)
    if index.ndim == 0 and input.ndim <= 1:      # torch counts a 0-d index as 1-d here: a 0-d result
        result = reshape(gather(reshape(input, -1), 0, reshape(index, 1)), ())
        return result if out is None else write_out(result, out, "gather")
    (axis,) = _axes(dim, input.ndim)
    if index.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d, (i, n) in enumerate(zip(index.shape, input.shape)):
        if d != axis and i > n:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index.shape)} to be "
                               f"no larger than self {list(input.shape)} apart from dimension {axis}")
    array = _index_array(index, input)
    _check_bounds(array, axis, input.shape[axis])
    result = Gather(_positions(get_array_module(array), array, axis))(input)
    return result if out is None else write_out(result, out, "gather")


def _as_1d_when_0d(input: Tensor, index: Tensor, src):
    """torch counts a 0-d index (and a 0-d src) as 1-d when scattering into a 1-d tensor."""
    if isinstance(index, Tensor) and index.ndim == 0 and input.ndim == 1:
        index = reshape(index, 1)
        if isinstance(src, Tensor) and src.ndim == 0:
            src = reshape(src, 1)
    return index, src


def _scatter_arguments(name: str, input: Tensor, dim: int, index: Tensor, src):
    """Check scatter's arguments as torch does; return (positions, src region)."""
    _check_index_dtype(name, index)
    (axis,) = _axes(dim, input.ndim)
    if index.ndim != max(input.ndim, 1) and index.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor):
        if src.ndim != index.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        if src.dtype != input.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    too_big = any(d != axis and i > n for d, (i, n) in enumerate(zip(index.shape, input.shape)))
    if isinstance(src, Tensor) and (too_big or any(i > n for i, n in zip(index.shape, src.shape))):
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(input.shape)} "
                           f"apart from dimension {axis} and to be no larger size than src {list(src.shape)}")
    if too_big:
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                           f"{list(input.shape)} apart from dimension {axis}")
    array = _index_array(index, input)
    _check_bounds(array, axis, input.shape[axis] if input.ndim else 1)
    return _positions(get_array_module(array), array, axis), tuple(slice(0, n) for n in index.shape)


@on_tensors_device
def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce: str | None = None,
            out=None) -> Tensor:
    """A copy of ``input`` with ``src[i][j]`` (or ``value``) written at ``[i][index[i][j]]`` (for dim=1).

    ``reduce='add'`` or ``'multiply'`` combines with the existing elements instead
    (not differentiable, as in torch). Differentiable in ``input`` and ``src``.
    """
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src                # scatter(dim, index, 2.0): a number is a value
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if reduce is not None and src is not None:
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed "
                      "in a future PyTorch release. Use torch.scatter_reduce instead for more reduction "
                      "options.", UserWarning, stacklevel=2)
    if input.ndim == 0:
        flat = scatter(reshape(input, 1), 0, reshape(index, 1), None if src is None else reshape(src, 1),
                       value=value, reduce=reduce)
        result = reshape(flat, ())
        return result if out is None else write_out(result, out, "scatter")
    index, src = _as_1d_when_0d(input, index, src)
    positions, region = _scatter_arguments("scatter", input, dim, index, src)
    if src is None:
        fill = get_array_module(input.array).asarray(value, dtype=input.dtype)
        result = Scatter(positions, region, value=fill, reduce=reduce)(input)
    else:
        result = Scatter(positions, region, reduce=reduce)(input, src)
    return result if out is None else write_out(result, out, "scatter")


@on_tensors_device
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor, *, out=None) -> Tensor:
    """A copy of ``input`` with ``src[i][j]`` added at ``[i][index[i][j]]`` (for dim=1); repeats add up."""
    if input.ndim == 0:
        result = reshape(scatter_add(reshape(input, 1), 0, reshape(index, 1), reshape(src, 1)), ())
        return result if out is None else write_out(result, out, "scatter_add")
    index, src = _as_1d_when_0d(input, index, src)
    positions, region = _scatter_arguments("scatter_add", input, dim, index, src)
    result = ScatterAdd(positions, region)(input, src)
    return result if out is None else write_out(result, out, "scatter_add")


def scatter_(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce: str | None = None):
    """In place: ``scatter`` into ``input`` itself."""
    return inplace_apply(input, lambda old: scatter(old, dim, index, src, value=value, reduce=reduce), src)


def scatter_add_(input: Tensor, dim: int, index: Tensor, src: Tensor):
    """In place: ``scatter_add`` into ``input`` itself."""
    return inplace_apply(input, lambda old: scatter_add(old, dim, index, src), src)


@on_tensors_device
def index_select(input: Tensor, dim: int, index: Tensor, *, out=None) -> Tensor:
    """The slices of ``input`` at positions ``index`` (a vector) along ``dim``."""
    if not isinstance(index, Tensor) or index.array.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if input.ndim == 0:
        result = reshape(index_select(reshape(input, 1), 0, index), ())
        return result if out is None else write_out(result, out, "index_select")
    (axis,) = _axes(dim, input.ndim)
    array = _index_array(index, input).reshape(-1)
    size = input.shape[axis]
    if get_array_module(array) is np and array.size and (array.min() < 0 or array.max() >= size):
        bad = int(array.min()) if array.min() < 0 else int(array.max())
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
    result = getitem(input, (slice(None),) * axis + (array,), "IndexSelectBackward0")
    return result if out is None else write_out(result, out, "index_select")


_C10_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
              "int32": "int", "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double"}


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    """np.broadcast_shapes with torch's error message."""
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        for i in range(1, min(len(a), len(b)) + 1):
            if a[-i] != b[-i] and 1 not in (a[-i], b[-i]):
                raise RuntimeError(f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) "
                                   f"at non-singleton dimension {max(len(a), len(b)) - i}") from None
        raise


def _masked_fill_arguments(input: Tensor, mask: Tensor, value):
    if mask.array.dtype.kind != "b":
        name = _C10_NAMES.get(mask.array.dtype.name, mask.array.dtype.name)
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {name}")
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        return value if value.dtype == input.dtype else value.to(input.dtype)
    return get_array_module(input.array).asarray(value, dtype=input.dtype)


@on_tensors_device
def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``input`` with ``value`` where ``mask`` (bool, broadcast) is True.

    ``value`` may be a number or a 0-d tensor; the gradient reaches ``input``
    where the mask is False and a tensor ``value`` from every filled element.
    """
    fill = _masked_fill_arguments(input, mask, value)
    _broadcast_shape(mask.shape, input.shape)
    condition = _index_array(mask, input)
    return Where(condition).named("MaskedFillBackward0")(fill, input)


def masked_fill_(input: Tensor, mask: Tensor, value) -> Tensor:
    """In place: ``input`` set to ``value`` where ``mask`` is True (the mask broadcasts to input's shape)."""
    shape = _broadcast_shape(mask.shape, input.shape)
    if shape != input.shape:
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape {list(shape)}")
    return inplace_apply(input, lambda old: masked_fill(old, mask, value), value)


@on_tensors_device
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one index tensor per dimension."""
    xp = get_array_module(input.array)
    array = input.array.reshape(1) if input.ndim == 0 else input.array
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64, copy=False)) for i in xp.nonzero(array))
    return Tensor._wrap(xp.argwhere(input.array).astype(np.int64, copy=False))


@on_tensors_device
def argwhere(input: Tensor) -> Tensor:
    """Indices of the non-zero elements as an (n, ndim) int64 tensor (``nonzero(input)``)."""
    return nonzero(input)
