"""``SGD``: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .._kernels import kernel
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
            with_grad = [param for param in group["params"] if param.grad is not None]
            momentum = float(group["momentum"])
            momentum_buffers = []
            if momentum != 0:
                for param in with_grad:
                    buf = self.state[param].get("momentum_buffer")
                    momentum_buffers.append(None if buf is None else buf.array)
            # float() keeps NumPy scalars (which are not "weak") from promoting float32 arrays to float64.
            kernel(_single_tensor_sgd)([p.array for p in with_grad], [p.grad.array for p in with_grad],
                                       momentum_buffers, lr=float(group["lr"]), momentum=momentum,
                                       dampening=float(group["dampening"]),
                                       weight_decay=float(group["weight_decay"]), nesterov=group["nesterov"],
                                       maximize=group["maximize"])
            for param, buf in zip(with_grad, momentum_buffers):     # the buffers made on a first step
                state = self.state[param]
                if state.get("momentum_buffer") is None or state["momentum_buffer"].array is not buf:
                    state["momentum_buffer"] = Tensor._wrap(buf)
        return loss


def _single_tensor_sgd(params: list, grads: list, momentum_buffers: list, *, lr: float, momentum: float,
                       dampening: float, weight_decay: float, nesterov: bool, maximize: bool) -> None:
    """SGD's update of each parameter array in turn, in place: torch's single-tensor loop.

    ``momentum_buffers[i]`` is None before parameter i's first step with
    momentum; the buffer made then is put in the list. ``a[...] = ...`` writes
    into the array ``a`` itself (the optimizer's state), instead of naming a new one.
    The fast variant (``tinynn/_fast/optim.py``) computes the same, in blocks on threads.
    """
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        if weight_decay != 0:
            grad = grad + weight_decay * param                          # g = g + weight_decay p
        if momentum != 0:
            buf = momentum_buffers[i]
            if buf is None:
                buf = momentum_buffers[i] = grad.copy()                 # buf = g  (first step)
            else:
                buf[...] = momentum * buf + (1 - dampening) * grad      # buf = momentum buf + (1 - dampening) g
            grad = grad + momentum * buf if nesterov else buf           # g = g + momentum buf, or buf
        param -= lr * grad                                              # p = p - lr g
