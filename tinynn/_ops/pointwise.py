"""Elementwise math: exp, log, sqrt, abs, tanh, relu, sigmoid, clamp, sin, erf, rounding, maximum..."""
from __future__ import annotations

import math

import numpy as np

from .._device import get_array_module, on_tensors_device
from .._tensor import Tensor
from ..autograd.function import Function
from .out import write_out
from .promotion import float_input, promote, quiet_float_errors


@quiet_float_errors
class Exp(Function):
    saved_inputs = ()                           # backward reads the output only

    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return (gy * self.y,)                 # d(e^x)/dx = e^x


@quiet_float_errors
class Log(Function):
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, gy):
        return (gy / self.x,)                 # d(ln x)/dx = 1/x


@quiet_float_errors
class Sqrt(Function):
    saved_inputs = ()                           # backward reads the output only

    def forward(self, x):
        self.y = get_array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        return (gy / (2 * self.y),)           # d(sqrt x)/dx = 1 / (2 sqrt x)


class Abs(Function):
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x):
        self.x = x
        return get_array_module(x).abs(x)

    def backward(self, gy):
        return (gy * get_array_module(gy).sign(self.x),)   # d|x|/dx = sign(x) (0 at 0, as torch)


class TanhFunction(Function):
    torch_name = "TanhBackward0"
    saved_inputs = ()                           # backward reads the output only

    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return (gy * (1 - self.y * self.y),)  # d(tanh x)/dx = 1 - tanh^2 x


class ReluFunction(Function):
    torch_name = "ReluBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def forward(self, x):
        self.positive = x > 0
        return get_array_module(x).maximum(x, 0)

    def backward(self, gy):
        return (gy * self.positive,)          # d(relu x)/dx = 1 if x > 0 else 0


class SigmoidFunction(Function):
    torch_name = "SigmoidBackward0"
    saved_inputs = ()                           # backward reads the output only

    def forward(self, x):
        xp = get_array_module(x)
        # 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0: neither overflows.
        z = xp.exp(-xp.abs(x))
        self.y = xp.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)
        return self.y

    def backward(self, gy):
        return (gy * self.y * (1 - self.y),)  # d(sigmoid x)/dx = s (1 - s)


class Clamp(Function):
    torch_name = "ClampBackward1"               # (clamp_min/clamp_max name their nodes ClampMin/ClampMaxBackward0)
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        xp = get_array_module(x)
        self.inside = xp.ones(x.shape, dtype=bool)
        if self.low is not None:
            self.inside &= x >= self.low
        if self.high is not None:
            self.inside &= x <= self.high
        return xp.clip(x, self.low, self.high).astype(x.dtype, copy=False)

    def backward(self, gy):
        return (gy * self.inside,)            # d(clamp x)/dx = 1 inside [low, high], else 0


class Square(Function):
    torch_name = "PowBackward0"                 # torch computes square(x) as x ** 2
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return (2 * gy * self.x,)             # d(x^2)/dx = 2x


@quiet_float_errors
class Log1p(Function):
    torch_name = "Log1PBackward0"               # (torch's spelling)
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x):
        self.x = x
        return get_array_module(x).log1p(x)

    def backward(self, gy):
        return (gy / (1 + self.x),)           # d ln(1+x)/dx = 1/(1+x)


@quiet_float_errors
class Expm1(Function):
    saved_inputs = ()                           # backward reads the output only

    def forward(self, x):
        self.y = get_array_module(x).expm1(x)
        return self.y

    def backward(self, gy):
        return (gy * (self.y + 1),)           # d(e^x - 1)/dx = e^x


@quiet_float_errors
class Exp2(Function):
    saved_inputs = ()                           # backward reads the output only

    def forward(self, x):
        self.y = get_array_module(x).exp2(x)
        return self.y

    def backward(self, gy):
        return (gy * self.y * math.log(2),)   # d(2^x)/dx = 2^x ln 2


class Sin(Function):
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x):
        self.x = x
        return get_array_module(x).sin(x)

    def backward(self, gy):
        return (gy * get_array_module(gy).cos(self.x),)    # d(sin x)/dx = cos x


class Cos(Function):
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x):
        self.x = x
        return get_array_module(x).cos(x)

    def backward(self, gy):
        return (-gy * get_array_module(gy).sin(self.x),)   # d(cos x)/dx = -sin x


@quiet_float_errors
class Reciprocal(Function):
    saved_inputs = ()                           # backward reads the output only

    def forward(self, x):
        self.y = 1 / x
        return self.y

    def backward(self, gy):
        return (-gy * self.y * self.y,)       # d(1/x)/dx = -1/x^2


@quiet_float_errors
class Rsqrt(Function):
    saved_inputs = ()                           # backward reads the output only

    def forward(self, x):
        self.y = 1 / get_array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        return (-0.5 * gy * self.y ** 3,)     # d(x^-1/2)/dx = -1/2 x^-3/2


# Cephes' rational approximations of erf (S. L. Moshier, public domain; the ones SciPy uses):
# erf x = x T(x^2) / U(x^2) for |x| <= 1, erfc x = e^-x^2 P(x) / Q(x) for 1 < x < 8 (U, Q monic).
# Relative error below 1e-15 in float64; erfc(8) = 1e-29, so erf is exactly +-1 beyond 8.
_ERF_T = (9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3,
          7.00332514112805075473E3, 5.55923013010394962768E4)
_ERF_U = (1.0, 3.35617141647503099647E1, 5.21357949780152679795E2, 4.59432382970980127987E3,
          2.26290000613890934246E4, 4.92673942608635921086E4)
_ERFC_P = (2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
           4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
           9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2)
_ERFC_Q = (1.0, 1.32281951154744992508E1, 8.67072140885989742329E1, 3.54937778887819891062E2,
           9.75708501743205489753E2, 1.82390916687909736289E3, 2.24633760818710981792E3,
           1.65666309194161350182E3, 5.57535340817727675546E2)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _polynomial(x, coefficients):
    """c0 x^n + c1 x^(n-1) + ... + cn by Horner's rule."""
    y = coefficients[0] * x + coefficients[1]
    for c in coefficients[2:]:
        y = y * x + c
    return y


def _erf(x):
    """erf on a float array (NumPy or CuPy), in the array's precision."""
    xp = get_array_module(x)
    z = xp.abs(x)
    inner = xp.clip(x, -1, 1)                 # each branch on its own range: no overflow warnings
    small = inner * _polynomial(inner * inner, _ERF_T) / _polynomial(inner * inner, _ERF_U)
    clipped = xp.clip(z, 1, 8)
    erfc = xp.exp(-clipped * clipped) * _polynomial(clipped, _ERFC_P) / _polynomial(clipped, _ERFC_Q)
    large = xp.sign(x) * (1 - xp.where(z >= 8, 0, erfc))
    return xp.where(z <= 1, small, large).astype(x.dtype, copy=False)


class Erf(Function):
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x):
        self.x = x
        if x.dtype.itemsize < 4:              # float16: compute in float32
            return _erf(x.astype("float32")).astype(x.dtype)
        return _erf(x)

    def backward(self, gy):
        xp = get_array_module(gy)
        return (gy * _TWO_OVER_SQRT_PI * xp.exp(-self.x * self.x),)   # d(erf x)/dx = 2/sqrt(pi) e^-x^2


class Rounding(Function):
    """floor, ceil, trunc and round: piecewise constant, so the gradient is 0 (as torch)."""

    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    array_function = ""                       # the NumPy/CuPy function of the same name

    def forward(self, x):
        return getattr(get_array_module(x), self.array_function)(x)

    def backward(self, gy):
        return (get_array_module(gy).zeros_like(gy),)  # d(floor x)/dx = 0 almost everywhere


class Floor(Rounding):
    array_function = "floor"


class Ceil(Rounding):
    array_function = "ceil"


class Trunc(Rounding):
    array_function = "trunc"


class Round(Rounding):
    def __init__(self, decimals=0):
        self.decimals = decimals

    def forward(self, x):
        return get_array_module(x).round(x, self.decimals)   # halves to even, as torch


class Maximum(Function):
    """Elementwise max (or min) of two tensors; on ties each side gets half the gradient, as torch."""

    saves_output = False                        # backward reads the inputs, not the output

    def __init__(self, largest):
        self.largest = largest

    def forward(self, a, b):
        xp = get_array_module(a)
        self.a, self.b = a, b
        return xp.maximum(a, b) if self.largest else xp.minimum(a, b)

    def backward(self, gy):
        xp = get_array_module(gy)
        a_wins = self.a > self.b if self.largest else self.a < self.b
        share = xp.where(self.a == self.b, 0.5, a_wins).astype(gy.dtype, copy=False)
        return gy * share, gy * (1 - share)   # d max(a, b)/da = 1 where a wins, 1/2 on a tie


def _finish(result: Tensor, out, name: str) -> Tensor:
    return result if out is None else write_out(result, out, name)


def exp(x: Tensor, *, out=None) -> Tensor:
    """e^x elementwise."""
    return _finish(Exp()(float_input(x)), out, "exp")


def log(x: Tensor, *, out=None) -> Tensor:
    """Natural logarithm elementwise."""
    return _finish(Log()(float_input(x)), out, "log")


def sqrt(x: Tensor, *, out=None) -> Tensor:
    """Square root elementwise."""
    return _finish(Sqrt()(float_input(x)), out, "sqrt")


def abs(x: Tensor, *, out=None) -> Tensor:
    """|x| elementwise."""
    return _finish(Abs()(x), out, "abs")


def tanh(x: Tensor, *, out=None) -> Tensor:
    """Hyperbolic tangent elementwise (an integer tensor gives float32, as torch)."""
    return _finish(TanhFunction()(float_input(x)), out, "tanh")


def relu(x: Tensor) -> Tensor:
    """max(x, 0) elementwise."""
    return ReluFunction()(x)


def sigmoid(x: Tensor, *, out=None) -> Tensor:
    """1 / (1 + e^-x) elementwise, computed without overflow (an integer tensor gives float32, as torch)."""
    return _finish(SigmoidFunction()(float_input(x)), out, "sigmoid")


def clamp(x: Tensor, min=None, max=None, *, out=None) -> Tensor:
    """Clip to [min, max] (numbers or tensors); the gradient is 1 inside the range and 0 outside."""
    return _clamp(x, min, max, out, "clamp", "ClampBackward1")


def _clamp(x: Tensor, min, max, out, name: str, torch_name: str) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        result = _clamp_by_tensors(x, min, max)
    else:
        if x.array.dtype.kind in "biu" and any(isinstance(v, float) for v in (min, max)):
            x = x.to(np.float32)              # an integer tensor clamped to a float bound is float
        result = Clamp(min, max).named(torch_name)(x)
    return _finish(result, out, name)


def _clamp_by_tensors(x: Tensor, low, high) -> Tensor:
    """clamp with tensor bounds: x where it is inside, the bound where it is outside (x wins ties)."""
    from .shape import where
    if low is not None:
        x = where(x < low, low, x)
    if high is not None:
        x = where(x > high, high, x)
    return x


def clamp_min(x: Tensor, min, *, out=None) -> Tensor:
    """max(x, min) elementwise (``clamp(x, min=min)``)."""
    return _clamp(x, min, None, out, "clamp_min", "ClampMinBackward0")


def clamp_max(x: Tensor, max, *, out=None) -> Tensor:
    """min(x, max) elementwise (``clamp(x, max=max)``)."""
    return _clamp(x, None, max, out, "clamp_max", "ClampMaxBackward0")


@on_tensors_device
def sign(x: Tensor, *, out=None) -> Tensor:
    """-1, 0 or 1 elementwise (not differentiable)."""
    return _finish(Tensor._wrap(get_array_module(x.array).sign(x.array)), out, "sign")


def square(x: Tensor, *, out=None) -> Tensor:
    """x * x elementwise (bool becomes int64, as torch)."""
    if x.array.dtype.kind == "b":
        x = x.to(np.int64)
    return _finish(Square()(x), out, "square")


def log1p(x: Tensor, *, out=None) -> Tensor:
    """ln(1 + x), accurate for small x."""
    return _finish(Log1p()(float_input(x)), out, "log1p")


def expm1(x: Tensor, *, out=None) -> Tensor:
    """e^x - 1, accurate for small x."""
    return _finish(Expm1()(float_input(x)), out, "expm1")


def exp2(x: Tensor, *, out=None) -> Tensor:
    """2^x elementwise."""
    return _finish(Exp2()(float_input(x)), out, "exp2")


def sin(x: Tensor, *, out=None) -> Tensor:
    """Sine elementwise (radians)."""
    return _finish(Sin()(float_input(x)), out, "sin")


def cos(x: Tensor, *, out=None) -> Tensor:
    """Cosine elementwise (radians)."""
    return _finish(Cos()(float_input(x)), out, "cos")


def reciprocal(x: Tensor, *, out=None) -> Tensor:
    """1 / x elementwise."""
    return _finish(Reciprocal()(float_input(x)), out, "reciprocal")


def rsqrt(x: Tensor, *, out=None) -> Tensor:
    """1 / sqrt(x) elementwise."""
    return _finish(Rsqrt()(float_input(x)), out, "rsqrt")


def erf(x: Tensor, *, out=None) -> Tensor:
    """The error function 2/sqrt(pi) * integral_0^x e^-t^2 dt (Cephes' approximation, float64-accurate)."""
    return _finish(Erf()(float_input(x)), out, "erf")


def _rounding(x: Tensor, function: Rounding, out, name: str) -> Tensor:
    result = x.clone() if x.array.dtype.kind in "biu" else function(x)   # integers stay as they are
    return _finish(result, out, name)


def floor(x: Tensor, *, out=None) -> Tensor:
    """The largest integer <= x, elementwise (gradient 0)."""
    return _rounding(x, Floor(), out, "floor")


def ceil(x: Tensor, *, out=None) -> Tensor:
    """The smallest integer >= x, elementwise (gradient 0)."""
    return _rounding(x, Ceil(), out, "ceil")


def trunc(x: Tensor, *, out=None) -> Tensor:
    """x rounded towards zero, elementwise (gradient 0)."""
    return _rounding(x, Trunc(), out, "trunc")


def round(x: Tensor, *, decimals: int = 0, out=None) -> Tensor:
    """x rounded to ``decimals`` decimal places, halves to even (gradient 0)."""
    return _rounding(x, Round(decimals), out, "round")


def _check_tensor_pair(name: str, a, b) -> None:
    for position, (arg, value) in enumerate((("input", a), ("other", b)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
                            f"not {type(value).__name__}")


def maximum(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Elementwise max of two tensors (NaN propagates; ties split the gradient)."""
    _check_tensor_pair("maximum", input, other)
    return _finish(Maximum(True)(*promote(input, other)), out, "maximum")


def minimum(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Elementwise min of two tensors (NaN propagates; ties split the gradient)."""
    _check_tensor_pair("minimum", input, other)
    return _finish(Maximum(False).named("MinimumBackward0")(*promote(input, other)), out, "minimum")


@on_tensors_device
def isfinite(x: Tensor) -> Tensor:
    """True where x is neither infinite nor NaN."""
    return Tensor._wrap(get_array_module(x.array).isfinite(x.array))


@on_tensors_device
def isnan(x: Tensor) -> Tensor:
    """True where x is NaN."""
    return Tensor._wrap(get_array_module(x.array).isnan(x.array))


@on_tensors_device
def isinf(x: Tensor) -> Tensor:
    """True where x is +inf or -inf."""
    return Tensor._wrap(get_array_module(x.array).isinf(x.array))
