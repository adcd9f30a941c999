"""``AdamW``: Adam with decoupled weight decay (Loshchilov & Hutter), with torch's update rule."""
from __future__ import annotations

from typing import Any, Iterable

from .._tensor import Tensor
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """AdamW: the weight decay shrinks the parameters directly instead of entering the moments.

    For each parameter p with gradient g (negated if ``maximize``), at step t::

        p = p * (1 - lr * weight_decay)            (decoupled weight decay, before the Adam step)
        m = beta1 * m + (1 - beta1) * g            (exp_avg)
        v = beta2 * v + (1 - beta2) * g * g        (exp_avg_sq)
        v_max = max(v_max, v)                      (if amsgrad; then used in place of v)
        p = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

    This is ``Adam(..., decoupled_weight_decay=True)``, as in torch, with
    ``weight_decay`` defaulting to 1e-2. The state per parameter is Adam's:
    ``step``, ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.
    ``foreach``, ``capturable`` and ``fused`` choose among torch's equivalent
    kernels and change nothing here; ``differentiable=True`` is not supported.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False, foreach: bool | None = None,
                 capturable: bool = False, differentiable: bool = False, fused: bool | None = None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``; the weight decay stays decoupled whatever the saved groups say."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
