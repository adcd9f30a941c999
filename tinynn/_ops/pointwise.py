"""Elementwise math: exp, log, sqrt, abs, tanh, relu, sigmoid, clamp."""
from __future__ import annotations

from .._device import get_array_module
from .._parallel import run_in_chunks
from .._tensor import Tensor
from ..autograd.function import Function


class Exp(Function):
    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return (gy * self.y,)                 # d(e^x)/dx = e^x


class Log(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, gy):
        return (gy / self.x,)                 # d(ln x)/dx = 1/x


class Sqrt(Function):
    def forward(self, x):
        self.y = get_array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        return (gy / (2 * self.y),)           # d(sqrt x)/dx = 1 / (2 sqrt x)


class Abs(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).abs(x)

    def backward(self, gy):
        return (gy * get_array_module(gy).sign(self.x),)   # d|x|/dx = sign(x) (0 at 0, as torch)


class Tanh(Function):
    def forward(self, x):
        xp = get_array_module(x)
        self.y = y = xp.empty_like(x)
        run_in_chunks(lambda rows: xp.tanh(x[rows], out=y[rows]), x)     # (in threads: see _parallel)
        return y

    def backward(self, gy):
        xp, y = get_array_module(gy), self.y
        g = xp.empty_like(y)

        def chunk(rows):                      # in place: no temporaries
            xp.multiply(y[rows], y[rows], out=g[rows])
            xp.subtract(1, g[rows], out=g[rows])
            g[rows] *= gy[rows]

        run_in_chunks(chunk, y)
        return (g,)                           # d(tanh x)/dx = 1 - tanh^2 x


class Relu(Function):
    def forward(self, x):
        self.positive = x > 0
        return get_array_module(x).maximum(x, 0)

    def backward(self, gy):
        return (gy * self.positive,)          # d(relu x)/dx = 1 if x > 0 else 0


class Sigmoid(Function):
    def forward(self, x):
        xp = get_array_module(x)
        # 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0: neither overflows.
        z = xp.exp(-xp.abs(x))
        self.y = xp.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)
        return self.y

    def backward(self, gy):
        return (gy * self.y * (1 - self.y),)  # d(sigmoid x)/dx = s (1 - s)


class Clamp(Function):
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


def exp(x: Tensor) -> Tensor:
    """e^x elementwise."""
    return Exp()(x)


def log(x: Tensor) -> Tensor:
    """Natural logarithm elementwise."""
    return Log()(x)


def sqrt(x: Tensor) -> Tensor:
    """Square root elementwise."""
    return Sqrt()(x)


def abs(x: Tensor) -> Tensor:
    """|x| elementwise."""
    return Abs()(x)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent elementwise."""
    return Tanh()(x)


def relu(x: Tensor) -> Tensor:
    """max(x, 0) elementwise."""
    return Relu()(x)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x) elementwise, computed without overflow."""
    return Sigmoid()(x)


def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Clip to [min, max]; the gradient is 1 inside the range and 0 outside."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return Clamp(min, max)(x)


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 elementwise (not differentiable)."""
    return Tensor._wrap(get_array_module(x.array).sign(x.array))
