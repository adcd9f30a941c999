"""``Dropout``: randomly zero activations while training (identity in eval mode)."""
from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """In training mode, zero each element with probability ``p`` and scale the rest by 1/(1-p).

    In eval mode (``model.eval()``) it returns its input unchanged. The random
    mask comes from tinynn's generator, so ``tinynn.manual_seed`` reproduces it.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply dropout if ``self.training``, else return ``input``."""
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"p={self.p}, inplace={self.inplace}"
