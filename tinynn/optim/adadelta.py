"""``Adadelta``: steps scaled by running averages of squared gradients and updates (Zeiler), as torch."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .._device import get_array_module
from .._kernels import kernel
from .._tensor import Tensor
from .optimizer import Optimizer, _check_implementation_options

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, computed in torch's order so that results match torch to float32 rounding.

    For each parameter p with gradient g (negated if ``maximize``)::

        g = g + weight_decay * p                             (if weight_decay)
        v = rho * v + (1 - rho) * g * g                      (square_avg)
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta              (acc_delta)
        p = p - lr * delta

    The state per parameter is ``step`` (a float32 scalar tensor, as in torch),
    ``square_avg`` and ``acc_delta``. ``foreach`` and ``capturable`` choose among
    torch's equivalent kernels and change nothing here; ``differentiable=True``
    is not supported.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False, differentiable: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_implementation_options(foreach, None, differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor) -> dict[str, Tensor]:
        """Zero averages and ``step = 0`` for a parameter's first update."""
        xp = get_array_module(param.array)
        state = self.state[param]
        state["step"] = Tensor._wrap(np.zeros((), dtype=np.float32))
        state["square_avg"] = Tensor._wrap(xp.zeros_like(param.array))
        state["acc_delta"] = Tensor._wrap(xp.zeros_like(param.array))
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._begin_step(closure)
        for group in self.param_groups:
            with_grad = [param for param in group["params"] if param.grad is not None]
            states = [self.state[param] or self._init_state(param) for param in with_grad]
            # float() keeps NumPy scalars (which are not "weak") from promoting float32 arrays to float64.
            kernel(_single_tensor_adadelta)(
                [p.array for p in with_grad], [p.grad.array for p in with_grad],
                [s["square_avg"].array for s in states], [s["acc_delta"].array for s in states],
                [s["step"].array for s in states], lr=float(group["lr"]), rho=float(group["rho"]),
                eps=float(group["eps"]), weight_decay=float(group["weight_decay"]), maximize=group["maximize"])
        return loss


def _single_tensor_adadelta(params: list, grads: list, square_avgs: list, acc_deltas: list, state_steps: list, *,
                            lr: float, rho: float, eps: float, weight_decay: float, maximize: bool) -> None:
    """Adadelta's update of each parameter array and its averages in turn, in place: torch's single-tensor loop.

    ``state_steps[i]`` is parameter i's step count, counted up here. ``a[...] = ...``
    writes into the array ``a`` itself (the optimizer's state). The fast variant
    (``tinynn/_fast/optim.py``) computes the same, in blocks on threads.
    """
    for i, param in enumerate(params):
        xp = get_array_module(param)
        grad = -grads[i] if maximize else grads[i]
        square_avg, acc_delta, step_t = square_avgs[i], acc_deltas[i], state_steps[i]
        step_t += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param                                  # g = g + weight_decay p
        square_avg[...] = rho * square_avg + (1 - rho) * grad * grad            # v = rho v + (1 - rho) g^2
        std = xp.sqrt(square_avg + eps)
        delta = xp.sqrt(acc_delta + eps) / std * grad                           # delta = sqrt(u + eps) / sqrt(v + eps) g
        acc_delta[...] = rho * acc_delta + (1 - rho) * delta * delta            # u = rho u + (1 - rho) delta^2
        param -= lr * delta                                                     # p = p - lr delta
