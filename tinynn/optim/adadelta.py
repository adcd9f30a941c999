"""``Adadelta``: steps scaled by running averages of squared gradients and updates (Zeiler), as torch."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .._device import get_array_module
from .._fast.threads import run_blockwise
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
            # float() keeps NumPy scalars (which are not "weak") from promoting float32 arrays to float64.
            hyper = dict(lr=float(group["lr"]), rho=float(group["rho"]), eps=float(group["eps"]),
                         weight_decay=float(group["weight_decay"]), maximize=group["maximize"])
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param] or self._init_state(param)
                state["step"].array += 1
                run_blockwise(lambda p, g, v, u: adadelta_update(p, g, v, u, **hyper),
                              param.array, param.grad.array, state["square_avg"].array, state["acc_delta"].array)
        return loss


def adadelta_update(p, g, square_avg, acc_delta, *, lr: float, rho: float, eps: float, weight_decay: float,
                    maximize: bool) -> None:
    """One Adadelta update of the array ``p`` (or a block of it) and its averages, in place, from its
    gradient ``g``; each line keeps torch's order of operations."""
    xp = get_array_module(p)
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p                                     # g += weight_decay p
    tmp = xp.multiply(g, 1 - rho)
    tmp *= g
    square_avg *= rho
    square_avg += tmp                                                # v = rho v + (1 - rho) g^2
    std = xp.add(square_avg, eps)
    xp.sqrt(std, out=std)                                            # std = sqrt(v + eps)
    delta = xp.add(acc_delta, eps, out=tmp)
    xp.sqrt(delta, out=delta)
    delta /= std
    delta *= g                                                       # delta = sqrt(u + eps) / std * g
    scaled_square = xp.multiply(delta, 1 - rho, out=std)             # std is free again: reuse it
    scaled_square *= delta
    acc_delta *= rho
    acc_delta += scaled_square                                       # u = rho u + (1 - rho) delta^2
    delta *= -lr
    p += delta                                                       # p -= lr delta
