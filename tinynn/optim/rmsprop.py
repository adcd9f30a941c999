"""``RMSprop``: gradients divided by a running root mean square (Hinton), with torch's update rule."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .._device import get_array_module
from .._fast.threads import run_blockwise
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
            # float() keeps NumPy scalars (which are not "weak") from promoting float32 arrays to float64.
            hyper = dict(lr=float(group["lr"]), alpha=float(group["alpha"]), eps=float(group["eps"]),
                         weight_decay=float(group["weight_decay"]), momentum=float(group["momentum"]),
                         maximize=group["maximize"])
            centered, has_momentum = group["centered"], hyper["momentum"] > 0

            def work(p, g, square_avg, *extra, hyper=hyper, centered=centered, has_momentum=has_momentum):
                rmsprop_update(p, g, square_avg, extra[0] if centered else None,
                               extra[-1] if has_momentum else None, **hyper)

            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param] or self._init_state(param, group)
                state["step"].array += 1
                arrays = [param.array, param.grad.array, state["square_avg"].array]
                if centered:
                    arrays.append(state["grad_avg"].array)
                if has_momentum:
                    arrays.append(state["momentum_buffer"].array)
                run_blockwise(work, *arrays)
        return loss


def rmsprop_update(p, g, square_avg, grad_avg=None, momentum_buffer=None, *, lr: float, alpha: float,
                   eps: float, weight_decay: float, momentum: float, maximize: bool) -> None:
    """One RMSprop update of the array ``p`` (or a block of it) and its averages, in place, from its
    gradient ``g``; ``grad_avg`` when centered, ``momentum_buffer`` when momentum > 0."""
    xp = get_array_module(p)
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p                                     # g += weight_decay p
    tmp = xp.multiply(g, 1 - alpha)
    tmp *= g
    square_avg *= alpha
    square_avg += tmp                                                # v = alpha v + (1 - alpha) g^2
    if grad_avg is not None:
        xp.subtract(g, grad_avg, out=tmp)
        tmp *= 1 - alpha
        grad_avg += tmp                                              # m = m + (1 - alpha)(g - m)  (lerp)
        xp.multiply(grad_avg, grad_avg, out=tmp)
        xp.subtract(square_avg, tmp, out=tmp)
        avg = xp.sqrt(tmp, out=tmp)                                  # sqrt(v - m^2)
    else:
        avg = xp.sqrt(square_avg, out=tmp)                           # sqrt(v)
    avg += eps
    if momentum_buffer is not None:
        momentum_buffer *= momentum
        momentum_buffer += g / avg                                   # buf = momentum buf + g / avg
        xp.subtract(p, lr * momentum_buffer, out=p)                  # p -= lr buf
    else:
        update = xp.divide(g, avg, out=avg)
        update *= -lr
        p += update                                                  # p -= lr g / avg
