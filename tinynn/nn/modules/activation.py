"""Activation layers: ``Tanh``, ``ReLU``, ``Sigmoid``, ``Softmax``, ``LogSoftmax``."""
from __future__ import annotations

from ..._device import get_array_module
from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled
from .. import functional as F
from .module import Module

__all__ = ["LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Tanh"]


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
    """Element-wise max(x, 0).

    ``inplace=True`` overwrites the input when no graph is being recorded (under
    ``no_grad`` or for inputs that do not require grad). tinynn's autograd does
    not track in-place changes, so while recording it returns a new tensor
    instead: the values and gradients are the same as torch's.
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``max(input, 0)``."""
        if self.inplace and not (is_grad_enabled() and input.requires_grad):
            get_array_module(input.array).maximum(input.array, 0, out=input.array)
            return input
        return F.relu(input)

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
