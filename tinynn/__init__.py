"""tinynn: a small deep-learning library with PyTorch's API, on NumPy (CPU) and CuPy (GPU).

``import tinynn as torch`` and most of a beginner's PyTorch program runs as written.
"""
import numpy as _np

from . import accelerator, autograd, backends, cuda, random, return_types  # noqa: E402
from ._creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                        get_default_device, get_default_dtype, linspace, ones, ones_like, rand, rand_like,
                        randint, randint_like, randn, randn_like, randperm, set_default_device,
                        set_default_dtype, tensor, zeros, zeros_like)
from ._device import device
from ._printing import get_printoptions, set_printoptions
from ._kernels import get_kernels, set_kernels
from ._ops import (abs, add, all, allclose, amax, amin, any, argmax, argmin, cat, clamp, div, eq, equal,
                   exp, flatten, ge, gt, le, log, log_softmax, lt, matmul, max, mean, min, mul, ne, neg,
                   permute, pow, relu, reshape, sigmoid, sign, softmax, sqrt, squeeze, stack, std, sub,
                   sum, tanh, transpose, unsqueeze, var, where)
from ._ops import (argsort, argwhere, bincount, bmm, ceil, chunk, clamp_max, clamp_min, cos, count_nonzero,
                   cumsum, diag, dot, einsum, erf, exp2, expm1, flip, floor, floor_divide, gather, ger,
                   index_select, isfinite, isinf, isnan, log1p, logsumexp, masked_fill, maximum, median,
                   minimum, mm, narrow, nonzero, norm, outer, prod, reciprocal, remainder, roll, round, rsqrt,
                   scatter, scatter_add, sin, sort, split, square, tile, topk, tril, triu, trunc, unbind,
                   unique)
from . import linalg  # noqa: E402
from ._size import Size
from ._tensor import Tensor
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                                 no_grad, set_grad_enabled)
from .random import Generator, default_generator, initial_seed, manual_seed, seed

float32 = _np.float32
float = _np.float32
float64 = _np.float64
double = _np.float64
float16 = _np.float16
half = _np.float16
int64 = _np.int64
long = _np.int64
int32 = _np.int32
int = _np.int32
uint8 = _np.uint8
int8 = _np.int8
int16 = _np.int16
short = _np.int16
uint16 = _np.uint16
uint32 = _np.uint32
uint64 = _np.uint64
complex64 = _np.complex64
cfloat = _np.complex64
complex128 = _np.complex128
cdouble = _np.complex128
bool = _np.bool_

clip = clamp
concat = cat
concatenate = cat


def is_tensor(obj) -> "bool":
    """True if ``obj`` is a tinynn Tensor."""
    return isinstance(obj, Tensor)


def numel(x: Tensor) -> "int":
    """Number of elements of ``x``."""
    return x.numel()


def clone(x: Tensor) -> Tensor:
    """A copy of ``x`` with its own storage."""
    return x.clone()


def detach(x: Tensor) -> Tensor:
    """``x`` cut from the graph."""
    return x.detach()


__version__ = "0.1.0"

# The subpackages build on everything above, so they are imported last.
from . import nn, optim, utils  # noqa: E402
from .serialization import load, save  # noqa: E402
from .utils.summary import summary  # noqa: E402
from . import _fast  # noqa: E402,F401  (registers the fast kernels: see tinynn/_kernels.py)
# (imported after tinynn's core: tinynn/_fast's kernels subclass the ops' reference Functions)
from ._fast.threads import get_num_threads, set_num_threads  # noqa: E402
