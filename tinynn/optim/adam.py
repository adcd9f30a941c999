"""``Adam``: adaptive moment estimation (Kingma & Ba), with torch's update rule."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .._device import get_array_module
from .._kernels import kernel
from .._tensor import Tensor
from .optimizer import Optimizer, _check_implementation_options

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, computed in torch's order so that results match torch to float32 rounding.

    For each parameter p with gradient g (negated if ``maximize``), at step t::

        g = g + weight_decay * p                   (if weight_decay; with decoupled_weight_decay
                                                    p = p * (1 - lr * weight_decay) instead, as AdamW)
        m = m + (1 - beta1) * (g - m)              (first moment, exp_avg)
        v = beta2 * v + (1 - beta2) * g * g        (second moment, exp_avg_sq)
        v_max = max(v_max, v)                      (if amsgrad; then used in place of v)
        denom = sqrt(v) / sqrt(1 - beta2^t) + eps
        p = p - (lr / (1 - beta1^t)) * m / denom

    ``foreach``, ``capturable`` and ``fused`` choose among torch's equivalent kernels and
    change nothing here; ``differentiable=True`` is not supported.

    The state per parameter is ``step`` (a float32 scalar tensor, as in torch),
    ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 amsgrad: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_implementation_options(foreach, fused, differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, amsgrad: bool) -> dict[str, Tensor]:
        """Zero moments and ``step = 0`` for a parameter's first update."""
        xp = get_array_module(param.array)
        state = self.state[param]
        state["step"] = Tensor._wrap(np.zeros((), dtype=np.float32))
        state["exp_avg"] = Tensor._wrap(xp.zeros_like(param.array))
        state["exp_avg_sq"] = Tensor._wrap(xp.zeros_like(param.array))
        if amsgrad:
            state["max_exp_avg_sq"] = Tensor._wrap(xp.zeros_like(param.array))
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._begin_step(closure)
        for group in self.param_groups:
            amsgrad = group["amsgrad"]
            with_grad = [param for param in group["params"] if param.grad is not None]
            states = [self.state[param] or self._init_state(param, amsgrad) for param in with_grad]
            # float() keeps NumPy scalars (which are not "weak") from promoting float32 arrays to float64.
            kernel(_single_tensor_adam)(
                [p.array for p in with_grad], [p.grad.array for p in with_grad],
                [s["exp_avg"].array for s in states], [s["exp_avg_sq"].array for s in states],
                [s["max_exp_avg_sq"].array for s in states] if amsgrad else [],
                [s["step"].array for s in states],
                amsgrad=amsgrad, beta1=float(group["betas"][0]), beta2=float(group["betas"][1]),
                lr=float(group["lr"]), weight_decay=float(group["weight_decay"]), eps=float(group["eps"]),
                maximize=group["maximize"], decoupled_weight_decay=group.get("decoupled_weight_decay", False))
        return loss


def _single_tensor_adam(params: list, grads: list, exp_avgs: list, exp_avg_sqs: list, max_exp_avg_sqs: list,
                        state_steps: list, *, amsgrad: bool, beta1: float, beta2: float, lr: float,
                        weight_decay: float, eps: float, maximize: bool, decoupled_weight_decay: bool) -> None:
    """Adam's update of each parameter array and its moments in turn, in place: torch's single-tensor loop.

    ``state_steps[i]`` is parameter i's step count, a float32 0-d array, counted
    up here. ``a[...] = ...`` writes into the array ``a`` itself (the optimizer's
    state), instead of naming a new one. The fast variant
    (``tinynn/_fast/optim.py``) computes the same, in blocks on threads.
    """
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = -grads[i] if maximize else grads[i]
        exp_avg, exp_avg_sq, step_t = exp_avgs[i], exp_avg_sqs[i], state_steps[i]
        step_t += 1
        if weight_decay != 0:
            if decoupled_weight_decay:
                param *= 1 - lr * weight_decay                                  # p = p (1 - lr weight_decay)  (AdamW)
            else:
                grad = grad + weight_decay * param                              # g = g + weight_decay p
        exp_avg += (1 - beta1) * (grad - exp_avg)                               # m = m + (1 - beta1)(g - m)
        exp_avg_sq[...] = beta2 * exp_avg_sq + (1 - beta2) * grad * grad        # v = beta2 v + (1 - beta2) g^2
        step = float(step_t)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5
        if amsgrad:
            xp.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=max_exp_avg_sqs[i])  # v_max = max(v_max, v)
            denom = xp.sqrt(max_exp_avg_sqs[i]) / bias_correction2_sqrt + eps   # sqrt(v_max / (1 - beta2^t)) + eps
        else:
            denom = xp.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps           # sqrt(v / (1 - beta2^t)) + eps
        param -= step_size * exp_avg / denom                                    # p = p - lr / (1 - beta1^t) m / denom
