"""``Tensor``: an array (NumPy or CuPy) plus what autograd needs to know about it.

The methods here are thin: each one hands its work to a differentiable op in
``tinynn._ops`` (or ``tinynn.nn.functional``), so the arithmetic of every op is
found in one place, next to its backward.

Tensor is the bottom layer: autograd (``Function``, the backward engine), the
factories, the printer and the ops all build on it and import it; it imports
none of them. Its methods reach them through the module names ``ops``,
``engine``, ``versions``, ``creation`` and ``printing`` below, which the ops
package hands over once they are all loaded (``connect``, called at the end of
``tinynn/_ops/__init__.py``).
"""
from __future__ import annotations

import weakref

import numpy as np

from ._device import CPU, device, device_of, to_device
from ._size import Size
from .random import get_rng

_size = tuple.__new__     # Size(shape) without re-checking the ints: x.shape is read in hot loops

# The layers above Tensor, as modules (see the module doc and ``connect``).
ops = None                # tinynn._ops: the differentiable operations behind the methods
engine = None             # tinynn.autograd.engine: backward
versions = None           # tinynn.autograd.version: storage version counters (a leaf module, but
                          # importing it runs tinynn/autograd/__init__.py, which loads Function)
creation = None           # tinynn._creation: Tensor(data) and the new_* factories
printing = None           # tinynn._printing: repr


def connect(ops_package, engine_module, versions_module, creation_module, printing_module) -> None:
    """Give Tensor's methods the layers built on Tensor (called once, by ``tinynn/_ops/__init__.py``)."""
    global ops, engine, versions, creation, printing
    ops, engine, versions = ops_package, engine_module, versions_module
    creation, printing = creation_module, printing_module


class Tensor:
    """A multi-dimensional array that can record how it was computed.

    ``Tensor(data)`` builds a float32 tensor, as ``torch.Tensor`` does; prefer
    ``tinynn.tensor(data)``, which infers the dtype.
    """

    __array_priority__ = 1000      # make ``ndarray * Tensor`` defer to Tensor.__rmul__
    grad: "Tensor | None" = None   # d(loss)/d(self) after backward, for leaves (and retain_grad)
    grad_fn = None                 # the Function that produced this tensor; None for leaves
    requires_grad: bool = False    # record operations on this tensor?
    _retains_grad: bool = False    # keep .grad although not a leaf (retain_grad)
    _base: "Tensor | None" = None  # the tensor whose memory a recorded view op made this one share
    _base_version: int = 0         # the memory's version when that view was made

    def __init__(self, data=(), *, requires_grad: bool = False):
        self.array = creation._new_tensor(data, np.float32, None, False).array
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array) -> "Tensor":
        """Wrap an array without copying or checks (the fast path used by ops)."""
        t = object.__new__(cls)
        if isinstance(array, np.generic):   # NumPy turns 0-d results into scalars
            array = np.asarray(array)
        t.array = array
        return t

    # ----------------------------------------------------------------- metadata
    @property
    def shape(self) -> Size:
        """The sizes of the dimensions, a ``tinynn.Size`` (a tuple of ints), as torch's ``x.shape``."""
        return _size(Size, self.array.shape)

    def size(self, dim: int | None = None):
        """The shape (a ``tinynn.Size``), or the length of dimension ``dim`` (an int)."""
        return _size(Size, self.array.shape) if dim is None else self.array.shape[dim]

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def device(self) -> device:
        return device_of(self.array)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def dim(self) -> int:
        """Number of dimensions."""
        return self.array.ndim

    def numel(self) -> int:
        """Number of elements."""
        return int(self.array.size)

    nelement = numel

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def is_floating_point(self) -> bool:
        """True for float16/32/64 tensors."""
        return self.array.dtype.kind == "f"

    def element_size(self) -> int:
        """Bytes per element."""
        return self.array.itemsize

    def is_contiguous(self) -> bool:
        """True if the elements are laid out in row-major order without gaps."""
        return bool(self.array.flags.c_contiguous)

    def stride(self, dim: int | None = None):
        """Strides in elements, as torch reports them."""
        strides = tuple(s // self.array.itemsize for s in self.array.strides)
        return strides if dim is None else strides[dim]

    @property
    def _version(self) -> int:
        """How many times this tensor's memory has been changed in place (as torch's ``t._version``)."""
        return versions.version_of(self.array)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by a recorded op."""
        return self.grad_fn is None

    # ------------------------------------------------------------------ autograd
    @property
    def data(self) -> "Tensor":
        """The same storage without autograd history (as torch's ``.data``)."""
        return Tensor._wrap(self.array)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self.array = value.array if isinstance(value, Tensor) else value

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad."""
        engine.run_backward(self, gradient, retain_graph)

    def detach(self) -> "Tensor":
        """A tensor sharing this one's storage, cut from the graph."""
        return Tensor._wrap(self.array)

    def detach_(self) -> "Tensor":
        """Cut this tensor from the graph in place."""
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Start (or stop) recording operations on this leaf tensor."""
        if requires_grad and self.array.dtype.kind not in "fc":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (got {self.array.dtype})")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn.retained_output = weakref.ref(self)
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf tensor that called ``retain_grad()``."""
        return self._retains_grad

    # ------------------------------------------------------------ conversions
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory on the CPU)."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self.device.type != "cpu":
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. "
                            "Use Tensor.cpu() to copy the tensor to host memory first.")
        return self.array

    def __array__(self, dtype=None, copy=None):
        array = to_device(self.array, CPU)
        return array if dtype is None else array.astype(dtype)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise RuntimeError(f"a Tensor with {self.array.size} elements cannot be converted to Scalar")
        return self.array.reshape(()).item()

    def tolist(self):
        """The data as (nested) Python lists."""
        return to_device(self.array, CPU).tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(device)``, ``to(dtype)`` or ``to(device, dtype)``, differentiable, as in torch."""
        dev, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("copy", None)
        if kwargs:
            raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dev, dtype = arg.device, arg.dtype
            elif isinstance(arg, (str, device)):
                dev = arg
            else:
                dtype = arg
        out = self
        if dtype is not None and np.dtype(dtype) != self.array.dtype:
            out = ops.ToDtype(dtype)(out)
        if dev is not None and device(dev) != out.device:
            out = ops.ToDevice(device(dev))(out)
        return out

    def cpu(self) -> "Tensor":
        """A copy on the CPU (or this tensor if it is there already)."""
        return self.to("cpu")

    def cuda(self, device_index: int | None = None) -> "Tensor":
        """A copy on the GPU (CuPy)."""
        return self.to("cuda" if device_index is None else f"cuda:{device_index}")

    def type(self, dtype=None):
        """The type name (``'torch.FloatTensor'`` style), or a cast to ``dtype``."""
        if dtype is None:
            names = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
                     "int32": "IntTensor", "bool": "BoolTensor", "uint8": "ByteTensor", "float16": "HalfTensor"}
            prefix = "tinynn.cuda." if self.is_cuda else "tinynn."
            return prefix + names.get(self.array.dtype.name, self.array.dtype.name)
        return self.to(dtype)

    def float(self) -> "Tensor":
        """Cast to float32."""
        return self.to(np.float32)

    def double(self) -> "Tensor":
        """Cast to float64."""
        return self.to(np.float64)

    def long(self) -> "Tensor":
        """Cast to int64."""
        return self.to(np.int64)

    def int(self) -> "Tensor":
        """Cast to int32."""
        return self.to(np.int32)

    def bool(self) -> "Tensor":
        """Cast to bool."""
        return self.to(np.bool_)

    def half(self) -> "Tensor":
        """Cast to float16."""
        return self.to(np.float16)

    def clone(self) -> "Tensor":
        """A copy with its own storage (differentiable)."""
        return ops.Clone()(self)

    # ------------------------------------------- new tensors with this one's dtype and device
    def new_tensor(self, data, *, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """A copy of ``data`` with this tensor's dtype and device (unless given)."""
        return creation.new_tensor(self, data, dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """A tensor of ``size`` (a tuple) filled with ``fill_value``, with this tensor's dtype and device."""
        return creation.new_full(self, size, fill_value, dtype, device, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """Zeros of ``size`` (``new_zeros(2, 3)`` or ``new_zeros((2, 3))``), this tensor's dtype and device."""
        return self._new_filled("new_zeros", lambda xp, shape, dt: xp.zeros(shape, dt), size, dtype, device,
                                requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """Ones of ``size`` (``new_ones(2, 3)`` or ``new_ones((2, 3))``), this tensor's dtype and device."""
        return self._new_filled("new_ones", lambda xp, shape, dt: xp.ones(shape, dt), size, dtype, device,
                                requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """An uninitialised tensor of ``size``, with this tensor's dtype and device."""
        return self._new_filled("new_empty", lambda xp, shape, dt: xp.empty(shape, dt), size, dtype, device,
                                requires_grad)

    def _new_filled(self, name, maker, size, dtype, device, requires_grad) -> "Tensor":
        if not size:
            raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
        return creation.new_filled(self, maker, size, dtype, device, requires_grad)

    # ------------------------------------------------------------------ display
    def __repr__(self):
        return printing.tensor_repr(self)

    def __format__(self, spec):
        # As torch: a 0-d tensor formats its number (f"{loss:.4f}", f"Label: {label}" -> "Label: 5");
        # any other tensor (and a Parameter) formats as str() and refuses a format spec.
        if self.array.ndim == 0 and type(self) is Tensor:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    def __reduce_ex__(self, protocol):
        # Pickling is used by copy.deepcopy and multiprocessing; never by tinynn.save.
        return (_rebuild_tensor, (to_device(self.array, CPU), str(self.device), self.requires_grad))

    # -------------------------------------------------------------- arithmetic
    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.sub(self, other)
    def __rsub__(self, other): return ops.sub(other, self)
    def __mul__(self, other): return ops.mul(self, other)
    def __rmul__(self, other): return ops.mul(other, self)
    def __truediv__(self, other): return ops.div(self, other)
    def __rtruediv__(self, other): return ops.div(other, self)
    def __pow__(self, other): return ops.pow(self, other)
    def __rpow__(self, other): return ops.pow(other, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return ops.abs(self)
    def __floordiv__(self, other): return ops.floor_divide(self, other)
    def __mod__(self, other): return ops.remainder(self, other)
    def __invert__(self): return ops.logical_not(self)
    def __and__(self, other): return ops.logical_and(self, other)
    def __or__(self, other): return ops.logical_or(self, other)

    def __eq__(self, other): return ops.eq(self, other)
    def __ne__(self, other): return ops.ne(self, other)
    def __lt__(self, other): return ops.lt(self, other)
    def __le__(self, other): return ops.le(self, other)
    def __gt__(self, other): return ops.gt(self, other)
    def __ge__(self, other): return ops.ge(self, other)

    # In-place arithmetic changes this tensor's array (see ``ops.inplace``).
    def __iadd__(self, other): return ops.inplace(self, "add", other)
    def __isub__(self, other): return ops.inplace(self, "sub", other)
    def __imul__(self, other): return ops.inplace(self, "mul", other)
    def __itruediv__(self, other): return ops.inplace(self, "div", other)

    def add_(self, other, *, alpha=1):
        """In place: self += alpha * other."""
        return ops.inplace(self, "add", other if alpha == 1 else ops.mul(other, alpha))

    def sub_(self, other, *, alpha=1):
        """In place: self -= alpha * other."""
        return ops.inplace(self, "sub", other if alpha == 1 else ops.mul(other, alpha))

    def mul_(self, other):
        """In place: self *= other."""
        return ops.inplace(self, "mul", other)

    def div_(self, other):
        """In place: self /= other."""
        return ops.inplace(self, "div", other)

    def addcmul_(self, t1, t2, *, value=1):
        """In place: self += value * t1 * t2."""
        return ops.inplace(self, "add", ops.mul(ops.mul(t1, t2), value))

    def addcdiv_(self, t1, t2, *, value=1):
        """In place: self += value * t1 / t2."""
        return ops.inplace(self, "add", ops.mul(ops.div(t1, t2), value))

    def copy_(self, src):
        """In place: copy ``src`` (broadcast) into this tensor."""
        return ops.inplace(self, "copy", src)

    def zero_(self):
        """In place: fill with zeros."""
        return ops.inplace(self, "copy", 0, copy_name="ZeroBackward0")

    def fill_(self, value):
        """In place: fill with ``value``."""
        node_name = "FillBackward3" if isinstance(value, Tensor) else "FillBackward2"     # (torch's)
        return ops.inplace(self, "copy", value, copy_name=node_name)

    def clamp_(self, min=None, max=None):
        """In place: clip to [min, max]."""
        return ops.inplace_apply(self, lambda old: ops.clamp(old, min, max), _tensor_among(min, max))

    # In place through a differentiable op (see ``ops.inplace_apply``): x.relu_() is x = relu(x) in x's memory.
    def relu_(self): return ops.inplace_apply(self, ops.relu)
    def sigmoid_(self): return ops.inplace_apply(self, ops.sigmoid)
    def tanh_(self): return ops.inplace_apply(self, ops.tanh)
    def exp_(self): return ops.inplace_apply(self, ops.exp)
    def log_(self): return ops.inplace_apply(self, ops.log)
    def sqrt_(self): return ops.inplace_apply(self, ops.sqrt)
    def abs_(self): return ops.inplace_apply(self, ops.abs)
    def neg_(self): return ops.inplace_apply(self, ops.neg)
    def square_(self): return ops.inplace_apply(self, ops.square)
    def pow_(self, exponent): return ops.inplace_apply(self, lambda old: ops.pow(old, exponent), exponent)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
        """In place: fill with samples from U(a, b) (the same values on every device for one seed)."""
        return ops.inplace(self, "copy", self._drawn(get_rng(generator).uniform(a, b, self.shape)))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
        """In place: fill with samples from N(mean, std^2) (the same values on every device for one seed)."""
        return ops.inplace(self, "copy", self._drawn(get_rng(generator).normal(mean, std, self.shape)))

    def _drawn(self, values: np.ndarray) -> "Tensor":
        """Random ``values`` drawn on the host by tinynn's generator, in this tensor's dtype and on its
        device (one copy to the GPU)."""
        return Tensor._wrap(to_device(values.astype(self.dtype, copy=False), self.device))

    # ---------------------------------------------------------- math methods
    def exp(self): return ops.exp(self)
    def log(self): return ops.log(self)
    def sqrt(self): return ops.sqrt(self)
    def abs(self): return ops.abs(self)
    def tanh(self): return ops.tanh(self)
    def relu(self): return ops.relu(self)
    def sigmoid(self): return ops.sigmoid(self)
    def sign(self): return ops.sign(self)
    def square(self): return ops.square(self)
    def clamp(self, min=None, max=None): return ops.clamp(self, min, max)
    clip = clamp
    def pow(self, exponent): return ops.pow(self, exponent)
    def add(self, other, *, alpha=1): return ops.add(self, other, alpha=alpha)
    def sub(self, other, *, alpha=1): return ops.sub(self, other, alpha=alpha)
    def mul(self, other): return ops.mul(self, other)
    def div(self, other): return ops.div(self, other)
    def matmul(self, other): return ops.matmul(self, other)
    def mm(self, other): return ops.mm(self, other)
    def eq(self, other): return ops.eq(self, other)
    def ne(self, other): return ops.ne(self, other)
    def lt(self, other): return ops.lt(self, other)
    def le(self, other): return ops.le(self, other)
    def gt(self, other): return ops.gt(self, other)
    def ge(self, other): return ops.ge(self, other)
    def softmax(self, dim): return ops.softmax(self, dim)
    def log_softmax(self, dim): return ops.log_softmax(self, dim)

    def sum(self, dim=None, keepdim=False, *, dtype=None): return ops.sum(self, dim, keepdim, dtype=dtype)
    def mean(self, dim=None, keepdim=False, *, dtype=None): return ops.mean(self, dim, keepdim, dtype=dtype)
    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        return ops.var(self, dim, unbiased, keepdim, correction=correction)
    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        return ops.std(self, dim, unbiased, keepdim, correction=correction)
    def max(self, dim=None, keepdim=False): return ops.max(self, dim, keepdim)
    def min(self, dim=None, keepdim=False): return ops.min(self, dim, keepdim)
    def amax(self, dim=None, keepdim=False): return ops.amax(self, dim, keepdim)
    def amin(self, dim=None, keepdim=False): return ops.amin(self, dim, keepdim)
    def argmax(self, dim=None, keepdim=False): return ops.argmax(self, dim, keepdim)
    def argmin(self, dim=None, keepdim=False): return ops.argmin(self, dim, keepdim)
    def all(self, dim=None, keepdim=False): return ops.all(self, dim, keepdim)
    def any(self, dim=None, keepdim=False): return ops.any(self, dim, keepdim)

    # ---------------------------------------------------------------- shape
    def view(self, *shape): return ops.view(self, *shape)
    def reshape(self, *shape): return ops.reshape(self, *shape)
    def view_as(self, other): return ops.view(self, other.shape)
    def reshape_as(self, other): return ops.reshape(self, other.shape)
    def flatten(self, start_dim=0, end_dim=-1): return ops.flatten(self, start_dim, end_dim)
    def unsqueeze(self, dim): return ops.unsqueeze(self, dim)
    def squeeze(self, dim=None): return ops.squeeze(self, dim)
    def permute(self, *dims): return ops.permute(self, *dims)
    def transpose(self, dim0, dim1): return ops.transpose(self, dim0, dim1)
    def t(self): return ops.t(self)
    @property
    def T(self): return ops.permute(self, *reversed(range(self.ndim)))
    @property
    def mT(self):
        """The last two dimensions swapped (a batch of matrices transposed)."""
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor.")
        return ops.transpose(self, -2, -1)
    def type_as(self, other): return self.to(other.dtype)
    def index_put(self, indices, values, accumulate=False):
        """A copy with ``values`` written at ``indices`` (a tuple of index tensors), as ``x[indices] = values``."""
        return ops.index_put(self, tuple(indices), values, accumulate)
    def index_put_(self, indices, values, accumulate=False):
        """In place: ``self[indices] = values`` (added to what is there with ``accumulate=True``)."""
        return ops.inplace_apply(self, lambda old: ops.index_put(old, tuple(indices), values, accumulate), values)
    def contiguous(self): return ops.contiguous(self)
    def expand(self, *sizes): return ops.expand(self, *sizes)
    def expand_as(self, other): return ops.expand(self, other.shape)
    def __getitem__(self, index): return ops.getitem(self, index)
    def __setitem__(self, index, value): ops.setitem(self, index, value)

    # ------------------------------------------------ more math, indexing and ordering
    def norm(self, p="fro", dim=None, keepdim=False, dtype=None): return ops.norm(self, p, dim, keepdim, dtype=dtype)
    def prod(self, dim=None, keepdim=False, *, dtype=None): return ops.prod(self, dim, keepdim, dtype=dtype)
    def cumsum(self, dim, *, dtype=None): return ops.cumsum(self, dim, dtype=dtype)
    def logsumexp(self, dim, keepdim=False): return ops.logsumexp(self, dim, keepdim)
    def median(self, dim=None, keepdim=False): return ops.median(self, dim, keepdim)
    def count_nonzero(self, dim=None): return ops.count_nonzero(self, dim)
    def bincount(self, weights=None, minlength=0): return ops.bincount(self, weights, minlength)
    def log1p(self): return ops.log1p(self)
    def expm1(self): return ops.expm1(self)
    def exp2(self): return ops.exp2(self)
    def sin(self): return ops.sin(self)
    def cos(self): return ops.cos(self)
    def erf(self): return ops.erf(self)
    def reciprocal(self): return ops.reciprocal(self)
    def rsqrt(self): return ops.rsqrt(self)
    def floor(self): return ops.floor(self)
    def ceil(self): return ops.ceil(self)
    def trunc(self): return ops.trunc(self)
    def round(self, decimals=0): return ops.round(self, decimals=decimals)
    def isfinite(self): return ops.isfinite(self)
    def isnan(self): return ops.isnan(self)
    def isinf(self): return ops.isinf(self)
    def maximum(self, other): return ops.maximum(self, other)
    def minimum(self, other): return ops.minimum(self, other)
    def clamp_min(self, min): return ops.clamp_min(self, min)
    def clamp_max(self, max): return ops.clamp_max(self, max)
    def clamp_min_(self, min): return ops.inplace_apply(self, lambda old: ops.clamp_min(old, min), min)
    def clamp_max_(self, max): return ops.inplace_apply(self, lambda old: ops.clamp_max(old, max), max)
    def bmm(self, mat2): return ops.bmm(self, mat2)
    def dot(self, other): return ops.dot(self, other)
    def outer(self, vec2): return ops.outer(self, vec2)
    ger = outer
    def diag(self, diagonal=0): return ops.diag(self, diagonal)
    def tril(self, diagonal=0): return ops.tril(self, diagonal)
    def triu(self, diagonal=0): return ops.triu(self, diagonal)
    def split(self, split_size, dim=0): return ops.split(self, split_size, dim)
    def chunk(self, chunks, dim=0): return ops.chunk(self, chunks, dim)
    def unbind(self, dim=0): return ops.unbind(self, dim)
    def narrow(self, dim, start, length): return ops.narrow(self, dim, start, length)
    def flip(self, *dims): return ops.flip(self, _sizes(dims))
    def roll(self, shifts, dims=None): return ops.roll(self, shifts, dims)
    def repeat(self, *sizes): return ops.repeat(self, *sizes)
    def tile(self, *dims): return ops.tile(self, _sizes(dims))
    def gather(self, dim, index, *, sparse_grad=False): return ops.gather(self, dim, index)
    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return ops.scatter(self, dim, index, src, value=value, reduce=reduce)
    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return ops.scatter_(self, dim, index, src, value=value, reduce=reduce)
    def scatter_add(self, dim, index, src): return ops.scatter_add(self, dim, index, src)
    def scatter_add_(self, dim, index, src): return ops.scatter_add_(self, dim, index, src)
    def index_select(self, dim, index): return ops.index_select(self, dim, index)
    def masked_fill(self, mask, value): return ops.masked_fill(self, mask, value)
    def masked_fill_(self, mask, value): return ops.masked_fill_(self, mask, value)
    def nonzero(self, *, as_tuple=False): return ops.nonzero(self, as_tuple=as_tuple)
    def argwhere(self): return ops.argwhere(self)
    def sort(self, dim=-1, descending=False, *, stable=False): return ops.sort(self, dim, descending, stable)
    def argsort(self, dim=-1, descending=False, *, stable=False): return ops.argsort(self, dim, descending, stable)
    def topk(self, k, dim=-1, largest=True, sorted=True): return ops.topk(self, k, dim, largest, sorted)
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return ops.unique(self, sorted, return_inverse, return_counts, dim)


Tensor.__module__ = "tinynn"     # printed as torch's <class 'torch.Tensor'>: <class 'tinynn.Tensor'>


def _sizes(args):
    """``f(0, 1)`` or ``f((0, 1))``: the sizes/dims as one tuple."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def _tensor_among(*values):
    """The first tensor among ``values`` (None if there is none)."""
    return next((v for v in values if isinstance(v, Tensor)), None)


def _rebuild_tensor(array, device_name, requires_grad):
    t = Tensor._wrap(to_device(array, device(device_name)))
    t.requires_grad = requires_grad
    return t
