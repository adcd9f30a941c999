"""Softmax and log-softmax along one dimension (computed with the maximum subtracted), and the
pointwise activations (LeakyReLU, ELU, GELU, SiLU, Softplus, Hardtanh, ...)."""
from __future__ import annotations

import math

from ..._device import get_array_module
from ..._ops.pointwise import _erf as erf
from ...autograd.engine import sum_to
from ...autograd.function import Function


def stable_log_softmax(x, axis):
    """log(softmax(x)) = (x - m) - log(sum(exp(x - m))) with m = max(x): exp never overflows."""
    xp = get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class SoftmaxFunction(Function):
    torch_name = "SoftmaxBackward0"
    saved_inputs = ()                           # backward reads the output only

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, gy):
        y = self.y
        return (y * (gy - (gy * y).sum(axis=self.axis, keepdims=True)),)     # dx = y (gy - sum(gy y))


class LogSoftmaxFunction(Function):
    torch_name = "LogSoftmaxBackward0"
    saved_inputs = ()                           # backward reads the output only

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        self.y = stable_log_softmax(x, self.axis)
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return (gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True),)  # dx = gy - softmax * sum(gy)


# ----------------------------------------------------------- pointwise activations
class LeakyReLUFunction(Function):
    torch_name = "LeakyReluBackward0"           # (torch's spelling)
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, negative_slope):
        self.slope = negative_slope

    def forward(self, x):
        self.positive = x > 0
        return get_array_module(x).where(self.positive, x, x * x.dtype.type(self.slope))

    def backward(self, gy):
        xp = get_array_module(gy)
        return (xp.where(self.positive, gy, gy * gy.dtype.type(self.slope)),)   # dy/dx = 1 if x > 0 else slope


class ELUFunction(Function):
    """scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1)): ELU, SELU and CELU."""

    torch_name = "EluBackward0"                 # (also SELU's; celu() names its node CeluBackward0)
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, alpha, scale=1.0, input_scale=1.0):
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale

    def forward(self, x):
        xp, t = get_array_module(x), x.dtype.type
        self.positive = x > 0
        self.exp = xp.exp(xp.minimum(x, 0) * t(self.input_scale))        # (clipped: no overflow where unused)
        return xp.where(self.positive, x, (self.exp - 1) * t(self.alpha)) * t(self.scale)

    def backward(self, gy):
        xp, t = get_array_module(gy), gy.dtype.type
        slope = xp.where(self.positive, t(self.scale),                   # dy/dx = scale if x > 0
                         self.exp * t(self.alpha * self.scale * self.input_scale))  # else alpha scale s exp(s x)
        return (gy * slope,)


class GELUFunction(Function):
    """x * Phi(x), Phi the standard normal CDF: exactly (with erf) or with torch's tanh approximation."""

    torch_name = "GeluBackward0"
    saves_output = False                        # backward reads the inputs, not the output

    SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
    SQRT_1_2 = math.sqrt(0.5)

    def __init__(self, approximate):
        self.approximate = approximate

    def forward(self, x):
        xp, t = get_array_module(x), x.dtype.type
        self.x = x
        if self.approximate == "tanh":
            inner = t(self.SQRT_2_OVER_PI) * (x + t(0.044715) * x * x * x)
            self.tanh = xp.tanh(inner)
            return t(0.5) * x * (1 + self.tanh)                           # 0.5 x (1 + tanh(k (x + 0.044715 x^3)))
        self.cdf = t(0.5) * (1 + erf(x * t(self.SQRT_1_2)))
        return x * self.cdf                                              # x Phi(x), Phi = (1 + erf(x / sqrt 2)) / 2

    def backward(self, gy):
        xp, t, x = get_array_module(gy), gy.dtype.type, self.x
        if self.approximate == "tanh":
            th = self.tanh
            d_inner = t(self.SQRT_2_OVER_PI) * (1 + t(3 * 0.044715) * x * x)
            # dy/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) du/dx
            return (gy * (t(0.5) * (1 + th) + t(0.5) * x * (1 - th * th) * d_inner),)
        pdf = xp.exp(t(-0.5) * x * x) * t(1 / math.sqrt(2 * math.pi))
        return (gy * (self.cdf + x * pdf),)                              # dy/dx = Phi(x) + x phi(x)


class SiLUFunction(Function):
    torch_name = "SiluBackward0"
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x):
        self.x, self.s = x, stable_sigmoid(x)
        return x * self.s                                                # x sigmoid(x)

    def backward(self, gy):
        s = self.s
        return (gy * (s * (1 + self.x * (1 - s))),)                      # dy/dx = s (1 + x (1 - s))


class SoftplusFunction(Function):
    torch_name = "SoftplusBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp, t = get_array_module(x), x.dtype.type
        bx = x * t(self.beta)
        self.linear = bx > t(self.threshold)                             # torch: x where beta x > threshold
        self.bx = bx
        return xp.where(self.linear, x, xp.logaddexp(t(0), bx) / t(self.beta))   # log(1 + e^(beta x)) / beta

    def backward(self, gy):
        xp = get_array_module(gy)
        return (xp.where(self.linear, gy, gy * stable_sigmoid(self.bx)),)   # dy/dx = sigmoid(beta x) (1 if linear)


class HardtanhFunction(Function):
    torch_name = "HardtanhBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, min_val, max_val):
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        xp = get_array_module(x)
        self.inside = (x > self.min_val) & (x < self.max_val)
        return xp.clip(x, self.min_val, self.max_val).astype(x.dtype, copy=False)

    def backward(self, gy):
        return (gy * self.inside,)                                       # dy/dx = 1 strictly inside, else 0 (torch)


class SoftsignFunction(Function):
    torch_name = "DivBackward0"                 # torch computes x / (1 + |x|)
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def forward(self, x):
        self.denominator = 1 + get_array_module(x).abs(x)
        return x / self.denominator                                      # x / (1 + |x|)

    def backward(self, gy):
        return (gy / (self.denominator * self.denominator),)             # dy/dx = 1 / (1 + |x|)^2


class HardswishFunction(Function):
    torch_name = "HardswishBackward0"
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x):
        xp, t = get_array_module(x), x.dtype.type
        self.x = x
        return x * xp.clip(x + t(3), 0, 6).astype(x.dtype, copy=False) / t(6)   # x relu6(x + 3) / 6

    def backward(self, gy):
        xp, t, x = get_array_module(gy), gy.dtype.type, self.x
        # dy/dx = 0 for x <= -3, x / 3 + 1/2 for -3 < x < 3, 1 for x >= 3 (torch's sides)
        slope = xp.where(x <= -3, t(0), xp.where(x < 3, x / t(3) + t(0.5), t(1)))
        return (gy * slope,)


class HardsigmoidFunction(Function):
    torch_name = "HardsigmoidBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def forward(self, x):
        xp, t = get_array_module(x), x.dtype.type
        self.inside = (x > -3) & (x < 3)
        return xp.clip(x + t(3), 0, 6).astype(x.dtype, copy=False) / t(6)        # relu6(x + 3) / 6

    def backward(self, gy):
        return (gy * self.inside / gy.dtype.type(6),)                    # dy/dx = 1/6 strictly inside (-3, 3), else 0


class MishFunction(Function):
    torch_name = "MishBackward0"
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x):
        xp, t = get_array_module(x), x.dtype.type
        self.x = x
        self.tanh_sp = xp.tanh(xp.logaddexp(t(0), x))                    # tanh(softplus(x))
        return x * self.tanh_sp                                          # x tanh(softplus(x))

    def backward(self, gy):
        x, th = self.x, self.tanh_sp
        # dy/dx = tanh(sp) + x sigmoid(x) (1 - tanh^2(sp)), sp = softplus(x)
        return (gy * (th + x * stable_sigmoid(x) * (1 - th * th)),)


class LogSigmoidFunction(Function):
    torch_name = "LogSigmoidBackward0"
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))         # log(sigmoid x) = -softplus(-x), stably

    def backward(self, gy):
        return (gy * stable_sigmoid(-self.x),)                           # dy/dx = 1 - sigmoid(x) = sigmoid(-x)


class PReLUFunction(Function):
    """x if x > 0 else weight * x, with one learned slope per channel (axis 1), or one shared slope."""

    torch_name = "PreluKernelBackward0"
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x, weight):
        self.positive = x > 0
        self.x, self.weight_shape = x, weight.shape
        self.slope = weight.reshape(prelu_weight_shape(x.ndim, weight.size))
        return get_array_module(x).where(self.positive, x, x * self.slope)

    def backward(self, gy):
        xp = get_array_module(gy)
        gx = xp.where(self.positive, gy, gy * self.slope)                # dy/dx = 1 if x > 0 else weight
        gw = None
        if self.needs_grad(1):
            gw = xp.where(self.positive, 0, gy * self.x)                 # dy/dweight = x where x <= 0, else 0
            gw = sum_to(gw, self.slope.shape).reshape(self.weight_shape)
        return gx, gw


def prelu_weight_shape(ndim, num_parameters):
    """How PReLU's (num_parameters,) weight broadcasts: along axis 1 (the channels) of a 2-D or bigger input."""
    if num_parameters == 1 or ndim < 2:
        return (1,) * ndim if ndim else ()
    return (1, num_parameters) + (1,) * (ndim - 2)


def stable_sigmoid(x):
    """1 / (1 + e^-x) without overflow, as an array."""
    xp = get_array_module(x)
    z = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)

