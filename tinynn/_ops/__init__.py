"""The differentiable operations behind ``Tensor``'s methods and ``tinynn``'s functions."""
import sys as _sys

from .. import _creation, _printing, _tensor
from ..autograd import engine as _engine, version as _version
from .arithmetic import (add, allclose, div, eq, equal, floor_divide, ge, gt, le, logical_and, logical_not,
                         logical_or, lt, matmul, mul, ne, neg, pow, remainder, sub)
from .inplace import check_inplace, inplace, inplace_apply
from .indexing import (argwhere, gather, index_select, masked_fill, masked_fill_, nonzero, scatter,
                       scatter_, scatter_add, scatter_add_)
from .linear_algebra import bmm, diag, dot, einsum, ger, mm, outer, tril, triu
from .pointwise import (abs, ceil, clamp, clamp_max, clamp_min, cos, erf, exp, exp2, expm1, floor, isfinite,
                        isinf, isnan, log, log1p, maximum, minimum, reciprocal, relu, round, rsqrt, sigmoid,
                        sign, sin, sqrt, square, tanh, trunc)
from .reduction import (all, amax, amin, any, argmax, argmin, bincount, count_nonzero, cumsum, logsumexp,
                        max, mean, min, norm, prod, std, sum, var)
from .shape import (Clone, ToDevice, ToDtype, cat, chunk, contiguous, expand, flatten, flip, getitem, index_put, narrow,
                    permute, repeat, reshape, roll, setitem, split, squeeze, stack, t, tile, transpose,
                    unbind, unsqueeze, view, where)
from .sorting import argsort, median, sort, topk, unique


def softmax(x, dim):
    """Softmax along ``dim`` (see ``tinynn.nn.functional.softmax``)."""
    from ..nn.functional import softmax as _softmax
    return _softmax(x, dim)


def log_softmax(x, dim):
    """Log-softmax along ``dim`` (see ``tinynn.nn.functional.log_softmax``)."""
    from ..nn.functional import log_softmax as _log_softmax
    return _log_softmax(x, dim)


# Tensor's methods call the ops and the other layers built on Tensor, which Tensor itself cannot import
# (they all import it): hand them over.
_tensor.connect(_sys.modules[__name__], _engine, _version, _creation, _printing)
