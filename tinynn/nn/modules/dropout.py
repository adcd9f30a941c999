"""``Dropout`` (elements) and ``Dropout1d`` / ``2d`` / ``3d`` (whole channels): random zeros while training,
the identity in eval mode."""
from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]


class _DropoutNd(Module):
    """What every dropout layer shares (as torch's ``_DropoutNd``): the checked ``p``, ``inplace`` and ``repr``."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training mode, zero each element with probability ``p`` and scale the rest by 1/(1-p).

    In eval mode (``model.eval()``) it returns its input unchanged. The random
    mask comes from tinynn's generator, so ``tinynn.manual_seed`` reproduces it.
    """

    def forward(self, input: Tensor) -> Tensor:
        """Apply dropout if ``self.training``, else return ``input``."""
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """In training mode, zero whole channels of (N, C, L) or (C, L) with probability ``p``, the rest scaled by 1/(1-p).

    Eval mode: the identity. The mask comes from tinynn's generator (``tinynn.manual_seed``).
    """

    def forward(self, input: Tensor) -> Tensor:
        """Apply channel dropout if ``self.training``, else return ``input``."""
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """In training mode, zero whole channels (feature maps) of a (N, C, H, W) input with probability ``p``.

    The kept channels are scaled by 1/(1-p); eval mode is the identity. As
    torch, a 3-D input is taken as (N, C, L) (with a warning: use
    ``Dropout1d``), other sizes warn.
    """

    def forward(self, input: Tensor) -> Tensor:
        """Apply channel dropout if ``self.training``, else return ``input``."""
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """In training mode, zero whole channels of a (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply channel dropout if ``self.training``, else return ``input``."""
        return F.dropout3d(input, self.p, self.training, self.inplace)
