"""``Linear`` (y = x W^T + b), ``Identity`` and ``Flatten``."""
from __future__ import annotations

from typing import Any

from ..._creation import empty
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Flatten", "Identity", "Linear"]


def _new_parameter(*shape: int, device=None, dtype=None) -> Parameter:
    """An uninitialised float32 (or ``dtype``) Parameter, on ``device``."""
    return Parameter(empty(*shape, dtype=dtype, device=device))


class Linear(Module):
    """Fully connected layer: ``y = x @ weight.T + bias``.

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,),
    both initialised as in torch: U(-1/sqrt(in_features), 1/sqrt(in_features))
    (kaiming-uniform with a=sqrt(5) for the weight).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _new_parameter(out_features, in_features, device=device, dtype=dtype)
        if bias:
            self.bias = _new_parameter(out_features, device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh initial values, with torch's default scheme."""
        init.layer_defaults_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Apply the affine map to the last dimension of ``input``."""
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a layer). Ignores any arguments."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()

    def forward(self, input: Any) -> Any:
        """Return ``input``."""
        return input


class Flatten(Module):
    """Flattens dimensions ``start_dim``..``end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        """``input.flatten(start_dim, end_dim)``."""
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
