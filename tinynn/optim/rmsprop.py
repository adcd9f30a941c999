"""``RMSprop``: gradients divided by a running root mean square (Hinton), with torch's update rule."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .._device import get_array_module
from .._kernels import kernel
from .._tensor import Tensor
from .optimizer import Optimizer, _check_implementation_options

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, computed in torch's order so that results match torch to float32 rounding.

    For each parameter p with gradient g (negated if ``maximize``)::

        g = g + weight_decay * p                            (if weight_decay)
        v = alpha * v + (1 - alpha) * g * g                 (square_avg)
        m = alpha * m + (1 - alpha) * g                     (grad_avg, if centered)
        avg = sqrt(v - m * m) + eps   if centered   else   sqrt(v) + eps
        buf = momentum * buf + g / avg;  p = p - lr * buf   (if momentum > 0)
        p = p - lr * g / avg                                (otherwise)

    The state per parameter is ``step`` (a float32 scalar tensor, as in torch),
    ``square_avg`` and, as the options ask, ``momentum_buffer`` and ``grad_avg``.
    ``foreach`` and ``capturable`` choose among torch's equivalent kernels and
    change nothing here; ``differentiable=True`` is not supported.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_implementation_options(foreach, None, differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Tensor]:
        """Zero averages (and buffer) and ``step = 0`` for a parameter's first update."""
        xp = get_array_module(param.array)
        state = self.state[param]
        state["step"] = Tensor._wrap(np.zeros((), dtype=np.float32))
        state["square_avg"] = Tensor._wrap(xp.zeros_like(param.array))
        if group["momentum"] > 0:
            state["momentum_buffer"] = Tensor._wrap(xp.zeros_like(param.array))
        if group["centered"]:
            state["grad_avg"] = Tensor._wrap(xp.zeros_like(param.array))
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._begin_step(closure)
        for group in self.param_groups:
            with_grad = [param for param in group["params"] if param.grad is not None]
            states = [self.state[param] or self._init_state(param, group) for param in with_grad]
            centered, momentum = group["centered"], float(group["momentum"])
            # float() keeps NumPy scalars (which are not "weak") from promoting float32 arrays to float64.
            kernel(_single_tensor_rmsprop)(
                [p.array for p in with_grad], [p.grad.array for p in with_grad],
                [s["square_avg"].array for s in states],
                [s["grad_avg"].array for s in states] if centered else [],
                [s["momentum_buffer"].array for s in states] if momentum > 0 else [],
                [s["step"].array for s in states], lr=float(group["lr"]), alpha=float(group["alpha"]),
                eps=float(group["eps"]), weight_decay=float(group["weight_decay"]), momentum=momentum,
                centered=centered, maximize=group["maximize"])
        return loss


def _single_tensor_rmsprop(params: list, grads: list, square_avgs: list, grad_avgs: list,
                           momentum_buffer_list: list, state_steps: list, *, lr: float, alpha: float, eps: float,
                           weight_decay: float, momentum: float, centered: bool, maximize: bool) -> None:
    """RMSprop's update of each parameter array and its averages in turn, in place: torch's single-tensor loop.

    ``grad_avgs`` is used when ``centered``, ``momentum_buffer_list`` when
    ``momentum > 0``; ``state_steps[i]`` is parameter i's step count, counted up
    here. ``a[...] = ...`` writes into the array ``a`` itself (the optimizer's
    state). The fast variant (``tinynn/_fast/optim.py``) computes the same, in blocks on threads.
    """
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = -grads[i] if maximize else grads[i]
        square_avg, step_t = square_avgs[i], state_steps[i]
        step_t += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param                                  # g = g + weight_decay p
        square_avg[...] = alpha * square_avg + (1 - alpha) * grad * grad        # v = alpha v + (1 - alpha) g^2
        if centered:
            grad_avg = grad_avgs[i]
            grad_avg += (1 - alpha) * (grad - grad_avg)                         # m = m + (1 - alpha)(g - m)
            avg = xp.sqrt(square_avg - grad_avg * grad_avg) + eps               # avg = sqrt(v - m^2) + eps
        else:
            avg = xp.sqrt(square_avg) + eps                                     # avg = sqrt(v) + eps
        if momentum > 0:
            buf = momentum_buffer_list[i]
            buf[...] = momentum * buf + grad / avg                              # buf = momentum buf + g / avg
            param -= lr * buf                                                   # p = p - lr buf
        else:
            param -= lr * (grad / avg)                                          # p = p - lr g / avg
