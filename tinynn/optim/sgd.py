"""``SGD``: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .._device import get_array_module
from .._parallel import run_in_chunks
from .._tensor import Tensor
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, with torch's update rule.

    For each parameter p with gradient g (negated if ``maximize``)::

        g = g + weight_decay * p                       (if weight_decay)
        buf = g                                        (first step)
        buf = momentum * buf + (1 - dampening) * g     (later steps)
        g = g + momentum * buf if nesterov else buf    (if momentum)
        p = p - lr * g

    The update is done in place on the parameter's array, in its dtype.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._begin_step(closure)
        for group in self.param_groups:
            # float() keeps NumPy scalars (which are not "weak") from promoting float32 arrays to float64.
            lr, momentum = float(group["lr"]), float(group["momentum"])
            dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
            nesterov, maximize = group["nesterov"], group["maximize"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                p = param.array
                xp = get_array_module(p)
                grad = -param.grad.array if maximize else param.grad.array
                if weight_decay != 0:
                    grad = grad + weight_decay * p
                if momentum != 0:
                    state = self.state[param]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = Tensor._wrap(grad.copy())
                        state["momentum_buffer"] = buf
                    else:
                        xp.multiply(buf.array, momentum, out=buf.array)
                        xp.add(buf.array, (1 - dampening) * grad if dampening != 0 else grad, out=buf.array)
                    grad = grad + momentum * buf.array if nesterov else buf.array
                run_in_chunks(lambda rows: xp.subtract(p[rows], lr * grad[rows], out=p[rows]), p)  # p -= lr g
        return loss
