"""Activation layers: ``Tanh``, ``ReLU``, ``Sigmoid``, ``Softmax``, ``LogSoftmax``, ``LeakyReLU``, ``ELU``,
``GELU``, ``SiLU``, ``Softplus``, ``Hardtanh``, ``ReLU6``, ... (as torch.nn's)."""
from __future__ import annotations

from ..._creation import full
from ..._tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = ["CELU", "ELU", "GELU", "Hardsigmoid", "Hardswish", "Hardtanh", "LeakyReLU", "LogSigmoid", "LogSoftmax",
           "Mish", "PReLU", "ReLU", "ReLU6", "SELU", "SiLU", "Sigmoid", "Softmax", "Softmin", "Softplus", "Softsign",
           "Tanh", "Tanhshrink"]


class Tanh(Module):
    """Element-wise hyperbolic tangent, squashing values into (-1, 1)."""

    def forward(self, input: Tensor) -> Tensor:
        """``tanh(input)``."""
        return F.tanh(input)


class Sigmoid(Module):
    """Element-wise logistic function 1 / (1 + exp(-x)), squashing values into (0, 1)."""

    def forward(self, input: Tensor) -> Tensor:
        """``sigmoid(input)``."""
        return F.sigmoid(input)


class ReLU(Module):
    """Element-wise max(x, 0). ``inplace=True`` writes the result into the input
    (also in a recorded graph, as torch: see ``tinynn/_ops/inplace.py``)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``max(input, 0)``."""
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return "inplace=True" if self.inplace else ""


class Softmax(Module):
    """Softmax along ``dim``: exponentiate and normalise so the values along ``dim`` sum to 1."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """``softmax(input, dim)``."""
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably; pair it with ``NLLLoss``."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """``log_softmax(input, dim)``."""
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"dim={self.dim}"


def _inplace_repr(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x. ``inplace=True``: as ``ReLU``'s."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``leaky_relu(input, negative_slope)``."""
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``elu(input, alpha)``."""
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(Module):
    """x if x > 0 else alpha * (exp(x / alpha) - 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``celu(input, alpha)``."""
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(Module):
    """1.0507 * (x if x > 0 else 1.6733 * (exp(x) - 1)): the self-normalising ELU."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``selu(input)``."""
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return _inplace_repr(self.inplace)


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF; ``approximate='tanh'`` uses torch's tanh formula."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        """``gelu(input, approximate)``."""
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x) (swish)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``silu(input)``."""
        return F.silu(input, self.inplace)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return _inplace_repr(self.inplace)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, a smooth ReLU; x itself where beta * x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        """``softplus(input, beta, threshold)``."""
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if max_val <= min_val:
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``hardtanh(input, min_val, max_val)``."""
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return _inplace_repr(self.inplace)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input: Tensor) -> Tensor:
        """``softsign(input)``."""
        return F.softsign(input)


class Hardswish(Module):
    """x * relu6(x + 3) / 6."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``hardswish(input)``."""
        return F.hardswish(input, self.inplace)


class Hardsigmoid(Module):
    """relu6(x + 3) / 6."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``hardsigmoid(input)``."""
        return F.hardsigmoid(input, self.inplace)


class Mish(Module):
    """x * tanh(softplus(x))."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``mish(input)``."""
        return F.mish(input, self.inplace)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return _inplace_repr(self.inplace)


class PReLU(Module):
    """x if x > 0 else a * x with a learned slope ``a``: one shared (``num_parameters=1``) or one per channel.

    ``weight`` has shape (num_parameters,), initialised to ``init`` (0.25), as torch.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight to ``init``, as torch."""
        self.weight.array.fill(self.init)

    def forward(self, input: Tensor) -> Tensor:
        """``prelu(input, weight)``."""
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"num_parameters={self.num_parameters}"


class LogSigmoid(Module):
    """log(sigmoid(x)), computed without overflow."""

    def forward(self, input: Tensor) -> Tensor:
        """``logsigmoid(input)``."""
        return F.logsigmoid(input)


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, input: Tensor) -> Tensor:
        """``tanhshrink(input)``."""
        return F.tanhshrink(input)


class Softmin(Module):
    """softmax(-x) along ``dim``: the smallest values get the largest weights."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """``softmin(input, dim)``."""
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"dim={self.dim}"
