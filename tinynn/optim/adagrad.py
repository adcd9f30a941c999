"""``Adagrad``: per-weight rates from the sum of squared gradients (Duchi et al.), with torch's update rule."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .._device import get_array_module, on_device_of
from .._kernels import kernel
from .._tensor import Tensor
from .optimizer import Optimizer, _check_implementation_options

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, computed in torch's order so that results match torch to float32 rounding.

    For each parameter p with gradient g (negated if ``maximize``), at step t::

        g = g + weight_decay * p                   (if weight_decay)
        clr = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g * g                          (starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(sum) + eps)

    As in torch, the state of every parameter (``step``, a float32 scalar
    tensor, and ``sum``) is created when the optimizer is built.
    ``foreach`` and ``fused`` choose among torch's equivalent kernels and
    change nothing here; ``differentiable=True`` is not supported.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False, differentiable: bool = False,
                 fused: bool | None = None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_implementation_options(foreach, fused, differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param)

    def _init_state(self, param: Tensor) -> dict[str, Tensor]:
        """``step = 0`` and ``sum`` filled with the (optimizer-wide) initial accumulator value."""
        xp = get_array_module(param.array)
        state = self.state[param]
        state["step"] = Tensor._wrap(np.zeros((), dtype=np.float32))
        with on_device_of(param.array):               # (made in the constructor: on the parameter's GPU)
            state["sum"] = Tensor._wrap(xp.full_like(param.array, self.defaults["initial_accumulator_value"]))
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._begin_step(closure)
        for group in self.param_groups:
            with_grad = [param for param in group["params"] if param.grad is not None]
            states = [self.state[param] or self._init_state(param) for param in with_grad]   # (a group added later)
            kernel(_single_tensor_adagrad)(
                [p.array for p in with_grad], [p.grad.array for p in with_grad], [s["sum"].array for s in states],
                [s["step"].array for s in states], lr=float(group["lr"]), weight_decay=float(group["weight_decay"]),
                lr_decay=float(group["lr_decay"]), eps=float(group["eps"]), maximize=group["maximize"])
        return loss


def _single_tensor_adagrad(params: list, grads: list, state_sums: list, state_steps: list, *, lr: float,
                           weight_decay: float, lr_decay: float, eps: float, maximize: bool) -> None:
    """Adagrad's update of each parameter array and its sum of squares in turn, in place: torch's
    single-tensor loop. ``state_steps[i]`` is parameter i's step count, a float32 0-d array, counted up
    here. The fast variant (``tinynn/_fast/optim.py``) computes the same, in blocks on threads."""
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = -grads[i] if maximize else grads[i]
        state_sum, step_t = state_sums[i], state_steps[i]
        step_t += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param                          # g = g + weight_decay p
        clr = lr / (1 + (float(step_t) - 1) * lr_decay)                 # clr = lr / (1 + (t - 1) lr_decay)
        state_sum += grad * grad                                        # sum = sum + g^2
        std = xp.sqrt(state_sum) + eps
        param -= clr * (grad / std)                                     # p = p - clr g / (sqrt(sum) + eps)
