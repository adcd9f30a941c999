"""Shape and indexing: view/reshape, permute, expand, squeeze, indexing, cat, stack, split, flip, roll, repeat."""
from __future__ import annotations

import numpy as np

from .._device import cuda_index_of, device, get_array_module, mixed_devices_error, on_device_of, to_device
from .._tensor import Tensor
from ..autograd.function import Function
from .arithmetic import _operands
from .inplace import inplace_apply
from .out import write_out
from .reduction import _axes


class Reshape(Function):
    torch_name = "ViewBackward0"                # (reshape, squeeze, unsqueeze name their nodes as torch's)
    saved_inputs, saves_output = (), False      # reads no values (the output may be a view of x)

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return (gy.reshape(self.in_shape),)          # reshape back: the gradient is laid out like x


class Permute(Function):
    saved_inputs, saves_output = (), False      # reads no values (the output may be a view of x)

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return x.transpose(self.dims)

    def backward(self, gy):
        return (gy.transpose(np.argsort(self.dims)),)  # the inverse permutation


class Expand(Function):
    saved_inputs, saves_output = (), False      # reads no values (the output may be a view of x)

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return (gy,)                                  # the engine sums the broadcast axes back (sum_to)


class Contiguous(Function):
    torch_name = "CloneBackward0"               # torch's contiguous() is a clone
    saved_inputs, saves_output = (), False      # reads no values (the output may be a view of x)

    def forward(self, x):
        return get_array_module(x).ascontiguousarray(x)

    def backward(self, gy):
        return (gy,)                                  # identity


class Clone(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return (gy,)                                  # identity


class GetItem(Function):
    saved_inputs, saves_output = (), False      # reads no values (the output may be a view of x)

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.shape = x.shape
        return x[self.index]

    def backward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_basic(self.index):
            gx[self.index] = gy                       # slices pick each element at most once
        else:
            _scatter_add(xp, gx, self.index, gy)      # fancy indices may repeat: scatter-add
        return (gx,)


class Cat(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        xp = get_array_module(xs[0])
        return xp.ascontiguousarray(xp.concatenate(xs, axis=self.axis))   # NumPy keeps a transposed input's layout

    def backward(self, gy):
        bounds = np.cumsum(self.sizes)[:-1].tolist()
        return tuple(get_array_module(gy).split(gy, bounds, axis=self.axis))   # each input gets its slice


class Stack(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        xp = get_array_module(xs[0])
        return xp.ascontiguousarray(xp.stack(xs, axis=self.axis))        # (as torch: a contiguous result)

    def backward(self, gy):
        return tuple(gy.take(i, axis=self.axis) for i in range(gy.shape[self.axis]))  # each input gets its slice


class IndexPut(Function):
    """``out = x.copy(); out[index] = value``: the value written over part of x."""

    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, index, accumulate: bool = False):
        self.index, self.accumulate = index, accumulate

    def forward(self, x, value):
        out = x.copy()
        if self.accumulate:                     # out[index] += value, repeated indices adding up
            xp = get_array_module(out)
            _scatter_add(xp, out, self.index, xp.broadcast_to(value, out[self.index].shape))
        else:
            out[self.index] = value
        return out

    def backward(self, gy):
        gx = gy.copy()
        if not self.accumulate:
            gx[self.index] = 0                  # d(out)/dx = 1 except where overwritten
        return gx, gy[self.index]               # d(out)/d(value) = 1 where written (the engine sums a broadcast)


class Where(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return get_array_module(self.condition).where(self.condition, a, b)

    def backward(self, gy):
        c = self.condition
        return gy * c, gy * ~c                        # the gradient follows the chosen side


class Flip(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return get_array_module(x).flip(x, self.axes).copy()   # a copy, as torch's flip

    def backward(self, gy):
        return (get_array_module(gy).flip(gy, self.axes),)    # flip the gradient back


class Roll(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, shifts, axes):
        self.shifts, self.axes = shifts, axes

    def forward(self, x):
        return get_array_module(x).roll(x, self.shifts, self.axes)

    def backward(self, gy):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return (get_array_module(gy).roll(gy, back, self.axes),)   # roll the gradient back


class Repeat(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, repeats):
        self.repeats = repeats

    def forward(self, x):
        self.in_shape = x.shape
        x = x.reshape((1,) * (len(self.repeats) - x.ndim) + x.shape)
        self.shape = x.shape
        return get_array_module(x).tile(x, self.repeats)

    def backward(self, gy):
        # Split each dimension into (copy, element) and add the copies up.
        interleaved = [n for r, s in zip(self.repeats, self.shape) for n in (r, s)]
        gx = gy.reshape(interleaved).sum(axis=tuple(range(0, len(interleaved), 2)))
        return (gx.reshape(self.in_shape),)


class ToDtype(Function):
    torch_name = "ToCopyBackward0"              # torch's x.to(dtype) and x.to(device) are both _to_copy
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return (gy.astype(self.in_dtype) if self.in_dtype.kind == "f" else None,)   # cast back


class ToDevice(Function):
    torch_name = "ToCopyBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, target: device):
        self.target = target

    def forward(self, x):
        self.source = device(str(Tensor._wrap(x).device))
        return to_device(x, self.target)

    def backward(self, gy):
        return (to_device(gy, self.source),)         # copy the gradient back


def _scatter_add(xp, target, index, values) -> None:
    """``target[index] += values`` where repeated indices add up (NumPy's ``add.at``, CuPy's ``scatter_add``)."""
    if xp is np:
        np.add.at(target, index, values)
    else:
        import cupyx
        cupyx.scatter_add(target, index, values)


def _is_basic(index) -> bool:
    """True for indices made only of ints, slices, None and Ellipsis (no repeats possible)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice, type(None), type(Ellipsis))) and not isinstance(i, bool)
               for i in items)


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _resolve_shape(x: Tensor, shape) -> tuple:
    """Fill in a -1 and check that ``shape`` holds exactly ``x.numel()`` elements."""
    size = x.array.size
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
    return shape


def view(x: Tensor, *shape) -> Tensor:
    """The same data with a new shape (no copy); -1 infers one dimension."""
    shape = _resolve_shape(x, _shape_arg(shape))
    if not x.array.flags.c_contiguous and x.array.size > 1:
        try:
            x.array.view().shape = shape            # succeeds only if no copy is needed
        except AttributeError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least "
                               "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                               "instead.") from None
    return Reshape(shape)(x)


def reshape(x: Tensor, *shape) -> Tensor:
    """A tensor with the same elements in a new shape (a view when possible)."""
    return _reshaped(x, _resolve_shape(x, _shape_arg(shape)))


def _reshaped(x: Tensor, shape: tuple) -> Tensor:
    """``x`` reshaped, its node named as torch's: a contiguous x is viewed (ViewBackward0); another is
    viewed with new strides when it can be (ReshapeAliasBackward0), else copied (UnsafeViewBackward0)."""
    node = Reshape(shape)
    y = node(x)
    if y.grad_fn is node and not x.array.flags.c_contiguous:
        node.named("ReshapeAliasBackward0" if y._base is not None else "UnsafeViewBackward0")
    return y


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim`` to ``end_dim`` into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = _axes(start_dim, x.ndim)[0], _axes(end_dim, x.ndim)[0]
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return x                                  # nothing to merge: the tensor itself, as torch
    merged = 1
    for s in x.shape[start:end + 1]:
        merged *= s
    return _reshaped(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``."""
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-x.ndim - 1}, {x.ndim}], but got {dim})")
    dim = dim % (x.ndim + 1)
    return Reshape(x.shape[:dim] + (1,) + x.shape[dim:]).named("UnsqueezeBackward0")(x)


def squeeze(x: Tensor, dim=None) -> Tensor:
    """Remove dimensions of size 1 (all of them, or only ``dim``)."""
    axes = _axes(dim, x.ndim) if dim is not None else tuple(range(x.ndim))
    node = Reshape(tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1)))
    # torch's node: squeeze() SqueezeBackward0, squeeze(dim) SqueezeBackward1, squeeze(dims) SqueezeBackward2
    return node.named(_SQUEEZE_NAMES[0 if dim is None else 1 if isinstance(dim, int) else 2])(x)


_SQUEEZE_NAMES = ("SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2")


def permute(x: Tensor, *dims) -> Tensor:
    """Reorder the dimensions."""
    dims = _shape_arg(dims)
    if sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                           f"the length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} "
                           f"is not equal to len(dims) = {len(dims)}" if len(dims) != x.ndim
                           else f"permute(): duplicate or invalid dims {dims}")
    return Permute(tuple(d % x.ndim for d in dims))(x)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    dims = list(range(x.ndim))
    a, b = _axes(dim0, x.ndim)[0], _axes(dim1, x.ndim)[0]
    dims[a], dims[b] = dims[b], dims[a]
    return Permute(tuple(dims)).named("TransposeBackward0")(x)


def t(x: Tensor) -> Tensor:
    """Transpose a matrix (a 0-d or 1-d tensor comes back unchanged, as a view)."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return Permute((1, 0) if x.ndim == 2 else tuple(range(x.ndim))).named("TBackward0")(x)   # (a view, as torch's)


def contiguous(x: Tensor) -> Tensor:
    """A row-major copy, or the tensor itself if it already is."""
    return x if x.array.flags.c_contiguous else Contiguous()(x)


def expand(x: Tensor, *sizes) -> Tensor:
    """Broadcast size-1 dimensions to ``sizes`` without copying (-1 keeps a size)."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor {list(shape)} must match the existing "
                           f"size {list(x.shape)} at non-singleton dimensions") from None
    return Expand(shape)(x)


def _index_arrays(index, x: Tensor):
    """Replace tensors inside an index by their arrays (checking the device)."""
    def convert(i):
        if isinstance(i, Tensor):
            if type(i.array) is not type(x.array) and i.array.ndim > 0:
                i = Tensor._wrap(to_device(i.array, x.device))
            return i.array
        if isinstance(i, list):
            return np.asarray(i)
        return i
    return tuple(convert(i) for i in index) if isinstance(index, tuple) else convert(index)


def getitem(x: Tensor, index, torch_name: str | None = None) -> Tensor:
    """``x[index]``: ints, slices, None, Ellipsis, bool masks and integer index tensors.

    ``torch_name`` names the node for an op that indexes on its behalf (split: "SplitBackward0").
    """
    node = GetItem(_index_arrays(index, x))
    if x.requires_grad:                           # (a name only matters on a recorded node)
        node.named(torch_name or _index_name(node.index, x.shape))
    return node(x)


def _index_name(index, shape: tuple) -> str:
    """torch's node for ``x[index]``: an index tensor or list makes it IndexBackward0; otherwise the last
    step torch takes names it: an int SelectBackward0, a slice SliceBackward0, None UnsqueezeBackward0 (in
    a tuple, a slice that keeps a whole dimension is no step; no step at all is AliasBackward0)."""
    if not isinstance(index, tuple):
        return ("UnsqueezeBackward0" if index is None else "AliasBackward0" if index is Ellipsis
                else "SliceBackward0" if isinstance(index, slice)
                else "SelectBackward0" if _is_int_index(index) else "IndexBackward0")
    if not all(i is None or i is Ellipsis or isinstance(i, slice) or _is_int_index(i) for i in index):
        return "IndexBackward0"
    name, dim = "AliasBackward0", 0
    for i in index:
        if i is Ellipsis:                         # skips the dimensions no other item takes
            dim = len(shape) - sum(1 for j in index if j is not None and j is not Ellipsis) + dim
        elif i is None:
            name = "UnsqueezeBackward0"
        elif isinstance(i, slice):
            length = shape[dim] if dim < len(shape) else None        # (too many indices: forward raises)
            keeps_all = ((i.start is None or i.start == 0) and (i.step is None or i.step == 1)
                         and (i.stop is None or length is not None and i.stop >= length))
            if not keeps_all:
                name = "SliceBackward0"
            dim += 1
        else:
            name, dim = "SelectBackward0", dim + 1
    return name


def _is_int_index(i) -> bool:
    """An int (not a bool), a NumPy integer or a 0-d integer array (a 0-d integer tensor's)."""
    if isinstance(i, (bool, np.bool_)):
        return False
    return isinstance(i, (int, np.integer)) or getattr(i, "ndim", None) == 0 and i.dtype.kind in "iu"


def index_put(x: Tensor, index, value, accumulate: bool = False, torch_name: str = "IndexPutBackward0") -> Tensor:
    """A copy of ``x`` with ``value`` written at ``index`` (added there with ``accumulate=True``);
    differentiable in both."""
    index = _index_arrays(index, x)
    if isinstance(value, Tensor):
        if cuda_index_of(value.array) != cuda_index_of(x.array):
            value = value.to(x.device)                   # as torch, the values may come from another device
        return IndexPut(index, accumulate).named(torch_name)(x, value)
    # Host values (numbers, lists, NumPy arrays) become an array of x's dtype on x's device: one copy
    # to the GPU, made in its context (CuPy allocates on the current device).
    with on_device_of(x.array):
        value = get_array_module(x.array).asarray(value, dtype=x.dtype)
    return IndexPut(index, accumulate).named(torch_name)(x, value)


def setitem(x: Tensor, index, value) -> None:
    """``x[index] = value``, in place (see ``inplace.py``: recorded when x or value is in a graph)."""
    # torch's node for x[index] = value on a graph tensor: CopySlices
    inplace_apply(x, lambda old: index_put(old, index, value, torch_name="tinynn::autograd::CopySlices"), value)


def _same_device(tensors, name):
    kinds = {type(t.array) for t in tensors}
    if len(kinds) > 1 or np.ndarray not in kinds and len({cuda_index_of(t.array) for t in tensors}) > 1:
        devices = list(dict.fromkeys(str(t.device) for t in tensors))
        raise RuntimeError(f"{name}: expected all tensors to be on the same device, but found "
                           + " and ".join(devices[:2]))


def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    _same_device(tensors, "cat")
    ndim = tensors[0].ndim
    (axis,) = _axes(dim, ndim)
    for i, t_ in enumerate(tensors):
        if t_.ndim != ndim or any(a != b for j, (a, b) in enumerate(zip(t_.shape, tensors[0].shape)) if j != axis):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. Expected size "
                               f"{list(tensors[0].shape)} but got size {list(t_.shape)} for tensor number {i} in the list.")
    result = Cat(axis)(*tensors)
    return result if out is None else write_out(result, out, "cat")


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join tensors of equal shape along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    _same_device(tensors, "stack")
    for i, t_ in enumerate(tensors):
        if t_.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} "
                               f"at entry 0 and {list(t_.shape)} at entry {i}")
    (axis,) = _axes(dim, tensors[0].ndim + 1)
    result = Stack(axis)(*tensors)
    return result if out is None else write_out(result, out, "stack")


def where(condition, a, b) -> Tensor:
    """Elementwise ``a`` where ``condition`` is true, else ``b``."""
    a, b = _operands(a, b)                     # numbers and dtypes promoted as for a + b
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError("where() needs at least one tensor among a and b")
    ref = a if isinstance(a, Tensor) else b
    xp = get_array_module(ref.array)
    if isinstance(condition, Tensor) and cuda_index_of(condition.array) != cuda_index_of(ref.array):
        raise mixed_devices_error(ref.device, condition.device)
    with on_device_of(ref.array):
        if isinstance(a, float) and ref.dtype.kind == "f":
            a = xp.asarray(a, dtype=ref.dtype)
        if isinstance(b, float) and ref.dtype.kind == "f":
            b = xp.asarray(b, dtype=ref.dtype)
        cond = condition.array if isinstance(condition, Tensor) else xp.asarray(condition)
        cond = cond.astype(bool, copy=False)
    return Where(cond)(a, b)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or pieces of the listed sizes."""
    (axis,) = _axes(dim, tensor.ndim)
    size = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sizes = [min(step, size - start) for start in range(0, size, step)] if size else [0]
    else:
        sizes = [int(n) for n in split_size_or_sections]
        if any(n < 0 for n in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={sizes}")
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                               f"size at dimension {axis}), but got split_sizes={sizes}")
    torch_name = "SplitBackward0" if isinstance(split_size_or_sections, int) else "SplitWithSizesBackward0"
    pieces, start = [], 0
    for n in sizes:
        pieces.append(getitem(tensor, (slice(None),) * axis + (slice(start, start + n),), torch_name))
        start += n
    return tuple(pieces)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` equal pieces along ``dim`` (each ceil(size / chunks) long, the last shorter)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    (axis,) = _axes(dim, input.ndim)
    size = input.shape[axis]
    if size == 0:
        return split(input, [0] * chunks, axis)
    return split(input, -(-size // chunks), axis)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along ``dim``, each without that dimension."""
    (axis,) = _axes(dim, input.ndim)
    return tuple(getitem(input, (slice(None),) * axis + (i,), "UnbindBackward0") for i in range(input.shape[axis]))


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """The ``length`` elements from ``start`` along ``dim`` (a view, sharing memory)."""
    (axis,) = _axes(dim, input.ndim)
    size, start = input.shape[axis], int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(input, (slice(None),) * axis + (slice(start, start + length),), "SliceBackward0")


def flip(input: Tensor, dims) -> Tensor:
    """A copy with the order of elements reversed along each of ``dims``."""
    if isinstance(dims, int):
        raise TypeError("flip(): argument 'dims' (position 2) must be tuple of ints, not int")
    return Flip(_axes(tuple(dims), input.ndim))(input)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (the flattened tensor when ``dims`` is None)."""
    shift_list = [shifts] if isinstance(shifts, int) else list(shifts)
    dim_list = [] if dims is None else [dims] if isinstance(dims, int) else list(dims)
    if dims is None and len(shift_list) == 1:
        return Roll(shift_list[0], None)(input)
    if len(shift_list) != len(dim_list):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shift_list)}, dims:{len(dim_list)}")
    axes = tuple(_axes(d, input.ndim)[0] for d in dim_list)
    return Roll(tuple(shift_list), axes)(input)


def repeat(input: Tensor, *sizes) -> Tensor:
    """The tensor tiled ``sizes[i]`` times along dimension i (extra leading sizes add dimensions)."""
    sizes = _shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                           "of tensor")
    if any(n < 0 for n in sizes):
        shape = [n * r for n, r in zip((1,) * (len(sizes) - input.ndim) + input.shape, sizes)]
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {shape}")
    return Repeat(sizes)(input)


def tile(input: Tensor, dims) -> Tensor:
    """``repeat`` where ``dims`` may be shorter than the tensor's dimensions (ones are prepended)."""
    if isinstance(dims, int):
        raise TypeError("tile(): argument 'dims' (position 2) must be tuple of ints, not int")
    dims = tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)
