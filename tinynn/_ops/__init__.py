"""The differentiable operations behind ``Tensor``'s methods and ``tinynn``'s functions."""
from .arithmetic import (add, allclose, check_inplace, div, eq, equal, floor_divide, ge, gt, inplace,
                         le, logical_and, logical_not, logical_or, lt, matmul, mul, ne, neg, pow,
                         remainder, sub)
from .pointwise import abs, clamp, exp, log, relu, sigmoid, sign, sqrt, tanh
from .reduction import all, amax, amin, any, argmax, argmin, max, mean, min, std, sum, var
from .shape import (Clone, ToDevice, ToDtype, cat, contiguous, expand, flatten, getitem, permute,
                    reshape, setitem, squeeze, stack, t, transpose, unsqueeze, view, where)


def softmax(x, dim):
    """Softmax along ``dim`` (see ``tinynn.nn.functional.softmax``)."""
    from ..nn.functional import softmax as _softmax
    return _softmax(x, dim)


def log_softmax(x, dim):
    """Log-softmax along ``dim`` (see ``tinynn.nn.functional.log_softmax``)."""
    from ..nn.functional import log_softmax as _log_softmax
    return _log_softmax(x, dim)
