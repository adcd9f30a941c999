"""``SGD``: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .._device import get_array_module
from .._parallel import run_blockwise
from .._tensor import Tensor
from .optimizer import Optimizer, _check_implementation_options

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, with torch's update rule.

    For each parameter p with gradient g (negated if ``maximize``)::

        g = g + weight_decay * p                       (if weight_decay)
        buf = g                                        (first step)
        buf = momentum * buf + (1 - dampening) * g     (later steps)
        g = g + momentum * buf if nesterov else buf    (if momentum)
        p = p - lr * g

    The update is done in place on the parameter's array, in its dtype. ``foreach`` and
    ``fused`` choose among torch's equivalent kernels and change nothing here;
    ``differentiable=True`` is not supported.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_implementation_options(foreach, fused, differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._begin_step(closure)
        for group in self.param_groups:
            # float() keeps NumPy scalars (which are not "weak") from promoting float32 arrays to float64.
            hyper = dict(lr=float(group["lr"]), momentum=float(group["momentum"]),
                         dampening=float(group["dampening"]), weight_decay=float(group["weight_decay"]),
                         nesterov=group["nesterov"], maximize=group["maximize"])
            for param in group["params"]:
                if param.grad is None:
                    continue
                p, g = param.array, param.grad.array
                if hyper["momentum"] == 0:
                    run_blockwise(lambda p, g: sgd_update(p, g, None, False, **hyper), p, g)
                    continue
                state = self.state[param]
                first = state.get("momentum_buffer") is None
                if first:                                    # filled with the first step's g below
                    state["momentum_buffer"] = Tensor._wrap(get_array_module(p).empty_like(g))
                buf = state["momentum_buffer"].array
                run_blockwise(lambda p, g, buf: sgd_update(p, g, buf, first, **hyper), p, g, buf)
        return loss


def sgd_update(p, g, buf, first: bool, *, lr: float, momentum: float, dampening: float,
               weight_decay: float, nesterov: bool, maximize: bool) -> None:
    """One SGD update of the array ``p`` (or a block of it) in place, from its gradient ``g``
    and momentum buffer ``buf`` (None without momentum; ``first``: the buffer is new)."""
    xp = get_array_module(p)
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p                                  # g += weight_decay p
    if momentum != 0:
        if first:
            buf[...] = g                                          # buf = g
        else:
            buf *= momentum
            buf += (1 - dampening) * g if dampening != 0 else g   # buf = momentum buf + (1 - dampening) g
        g = g + momentum * buf if nesterov else buf
    xp.subtract(p, lr * g, out=p)                                 # p -= lr g
