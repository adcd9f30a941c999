"""``Adam``: adaptive moment estimation (Kingma & Ba), with torch's update rule."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from .._device import get_array_module, on_device_of
from .._fast.threads import run_blockwise
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
            # float() keeps NumPy scalars (which are not "weak") from promoting float32 arrays to float64.
            lr, beta1, beta2 = float(group["lr"]), float(group["betas"][0]), float(group["betas"][1])
            amsgrad = group["amsgrad"]
            on_gpu: dict = {}                                # updated together below (adam_update_foreach)
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param] or self._init_state(param, amsgrad)
                step_t = state["step"].array
                step_t += 1
                step = float(step_t)
                hyper = dict(lr=lr, beta1=beta1, beta2=beta2, eps=float(group["eps"]),
                             weight_decay=float(group["weight_decay"]), maximize=group["maximize"],
                             decoupled=group.get("decoupled_weight_decay", False),
                             step_size=lr / (1 - beta1 ** step), bias_correction2_sqrt=(1 - beta2 ** step) ** 0.5)
                arrays = [param.array, param.grad.array, state["exp_avg"].array, state["exp_avg_sq"].array]
                if amsgrad:
                    arrays.append(state["max_exp_avg_sq"].array)
                if not isinstance(param.array, np.ndarray):    # same device, dtype and step: one update
                    kind = (param.device, param.array.dtype, step)
                    on_gpu.setdefault(kind, (hyper, []))[1].append(arrays)
                    continue
                run_blockwise(lambda *blocks: adam_update(*blocks, **hyper), *arrays)
            for hyper, arrays in on_gpu.values():
                with on_device_of(arrays[0][0]):
                    adam_update_foreach(arrays, **hyper)
        return loss


def adam_update(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq=None, *, lr: float, beta1: float, beta2: float,
                eps: float, weight_decay: float, maximize: bool, decoupled: bool, step_size: float,
                bias_correction2_sqrt: float) -> None:
    """One Adam update of the array ``p`` (or a block of it) and its moments, in place, from its
    gradient ``g``; each line keeps torch's order of operations. ``max_exp_avg_sq`` with amsgrad."""
    xp = get_array_module(p)
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled:
            xp.multiply(p, 1 - lr * weight_decay, out=p)             # p *= 1 - lr weight_decay (AdamW)
        else:
            g = g + weight_decay * p                                 # g += weight_decay p
    tmp = xp.subtract(g, exp_avg)
    tmp *= 1 - beta1
    exp_avg += tmp                                                   # exp_avg.lerp_(g, 1 - beta1)
    xp.multiply(g, 1 - beta2, out=tmp)
    tmp *= g
    exp_avg_sq *= beta2
    exp_avg_sq += tmp                                                # exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    if max_exp_avg_sq is not None:
        xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        denom = xp.sqrt(max_exp_avg_sq, out=tmp)
    else:
        denom = xp.sqrt(exp_avg_sq, out=tmp)
    denom /= bias_correction2_sqrt
    denom += eps                                                     # denom = sqrt(v) / sqrt(bias_correction2) + eps
    update = xp.multiply(exp_avg, -step_size)
    update /= denom
    p += update                                                      # p.addcdiv_(exp_avg, denom, value=-step_size)


def adam_update_foreach(arrays: list[list], **hyper) -> None:
    """``adam_update`` of several parameters at once, for the GPU, where every array operation is a
    kernel launch: each of the arrays (parameter, gradient, moments) of all the parameters copied
    end to end into one flat array, ``adam_update`` run once on those, and the parameters and moments
    copied back: 3 or 4 launches per parameter and about 16 in all, instead of about 12 per parameter.
    The same operations in the same order, so the same values. ``arrays``: per parameter,
    ``[p, g, exp_avg, exp_avg_sq(, max_exp_avg_sq)]``, all on one device, with one dtype and step.
    """
    xp = get_array_module(arrays[0][0])
    flat = [xp.concatenate([a[k].reshape(-1) for a in arrays]) for k in range(len(arrays[0]))]
    adam_update(*flat, **hyper)
    for k in [0] + list(range(2, len(flat))):          # the parameters and moments (not the gradients)
        start = 0
        for a in arrays:
            a[k][...] = flat[k][start:start + a[k].size].reshape(a[k].shape)
            start += a[k].size
