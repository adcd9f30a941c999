"""``SGD``: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .._device import get_array_module, on_device_of
from .._fast.threads import run_blockwise
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
            on_gpu = []
            for param in group["params"]:
                if param.grad is None:
                    continue
                p, g = param.array, param.grad.array
                if not isinstance(p, np.ndarray):            # updated together below (sgd_update_foreach)
                    on_gpu.append(param)
                    continue
                if hyper["momentum"] == 0:
                    run_blockwise(lambda p, g: sgd_update(p, g, None, False, **hyper), p, g)
                    continue
                state = self.state[param]
                first = state.get("momentum_buffer") is None
                if first:                                    # filled with the first step's g below
                    state["momentum_buffer"] = Tensor._wrap(get_array_module(p).empty_like(g))
                buf = state["momentum_buffer"].array
                run_blockwise(lambda p, g, buf: sgd_update(p, g, buf, first, **hyper), p, g, buf)
            for same_kind in _by_device_and_dtype(on_gpu):
                self._step_together(same_kind, hyper)
        return loss

    def _step_together(self, params: list[Tensor], hyper: dict) -> None:
        """``sgd_update_foreach`` of GPU parameters that share a device and a dtype (their momentum
        buffers made on the first step); one at a time with ``sgd_update`` when some buffers are new
        and some are not, or when a parameter is listed twice (its updates then compound)."""
        p0 = params[0].array
        with on_device_of(p0):
            arrays = [p.array for p in params]
            grads = [p.grad.array for p in params]
            if hyper["momentum"] == 0:
                sgd_update_foreach(arrays, grads, None, False, **hyper)
                return
            states = [self.state[p] for p in params]
            new = [state.get("momentum_buffer") is None for state in states]
            for state, is_new, g in zip(states, new, grads):
                if is_new:
                    state["momentum_buffer"] = Tensor._wrap(get_array_module(g).empty_like(g))
            bufs = [state["momentum_buffer"].array for state in states]
            if len(set(new)) == 1 and len({id(p) for p in params}) == len(params):
                sgd_update_foreach(arrays, grads, bufs, new[0], **hyper)
                return
            for p, g, buf, first in zip(arrays, grads, bufs, new):
                sgd_update(p, g, buf, first, **hyper)


def _by_device_and_dtype(params: list[Tensor]) -> list[list[Tensor]]:
    """``params`` split into lists that share a device and a dtype, each in the original order."""
    kinds: dict = {}
    for param in params:
        kinds.setdefault((param.device, param.array.dtype), []).append(param)
    return list(kinds.values())


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


def sgd_update_foreach(params: list, grads: list, bufs: list | None, first: bool, *, lr: float, momentum: float,
                       dampening: float, weight_decay: float, nesterov: bool, maximize: bool) -> None:
    """``sgd_update`` of several parameters at once, for the GPU, where every array operation is a
    kernel launch: the gradients are copied into one flat array, each line of the update runs once
    over all of them, and only the last, ``p -= lr g``, once per parameter (for 8 parameters, 10
    launches instead of 24). The same operations in the same order as ``sgd_update``, so the same
    values. ``params``, ``grads`` (and ``bufs``) share one device and dtype; ``bufs`` as ``sgd_update``'s,
    all new (``first``) or all not.
    """
    xp = get_array_module(params[0])
    g = xp.concatenate([g.reshape(-1) for g in grads])         # every gradient, end to end
    if maximize:
        xp.negative(g, out=g)                                   # g = -g
    if weight_decay != 0:
        decay = xp.concatenate([p.reshape(-1) for p in params])
        decay *= weight_decay
        g += decay                                              # g += weight_decay p
    if momentum != 0:
        if first:
            buf = g.copy()                                      # buf = g
        else:
            buf = xp.concatenate([b.reshape(-1) for b in bufs])
            buf *= momentum
            if dampening != 0:
                g_damped = g * (1 - dampening)
                buf += g_damped                                 # buf = momentum buf + (1 - dampening) g
            else:
                buf += g                                        # buf = momentum buf + g
        for b, b_flat in zip(bufs, _pieces(buf, bufs)):
            b[...] = b_flat
        if nesterov:
            momentum_buf = buf * momentum
            g += momentum_buf                                   # g = g + momentum buf
        else:
            g = buf                                             # g = buf
    g *= lr                                                     # (a flat copy: no gradient or buffer changes)
    for p, step_p in zip(params, _pieces(g, params)):
        xp.subtract(p, step_p, out=p)                           # p -= lr g


def _pieces(flat, arrays: list) -> list:
    """Views of ``flat`` shaped as ``arrays``, one after another (``flat`` holds them end to end)."""
    pieces, start = [], 0
    for a in arrays:
        pieces.append(flat[start:start + a.size].reshape(a.shape))
        start += a.size
    return pieces
