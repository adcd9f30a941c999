"""Fast optimizer updates: torch's single-tensor loops of ``tinynn/optim``, in cache-sized blocks on threads.

Each optimizer's reference is its ``_single_tensor_*`` loop, in its own file
(``tinynn/optim/sgd.py``...). The variants here compute the same values, bit
for bit:

- on the CPU, each parameter is updated in blocks of ``BLOCK_ELEMENTS``
  (``run_blockwise``), its stretches on several threads, so that a temporary
  such as ``lr * g`` is still in the cache when the next line reads it, and the
  lines write into temporaries they already have instead of making new ones;
- on the GPU, where every array operation is a kernel launch, SGD and Adam
  update all the parameters that share a device and a dtype at once
  (``sgd_update_foreach``, ``adam_update_foreach``), as torch's ``foreach`` does.

Each ``*_block`` function below is one update of one array, or of a block of
it, with the reference's operations in the reference's order.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .._device import cuda_index_of, get_array_module, on_device_of
from .._kernels import register_fast
from ..optim.adadelta import _single_tensor_adadelta
from ..optim.adagrad import _single_tensor_adagrad
from ..optim.adam import _single_tensor_adam
from ..optim.rmsprop import _single_tensor_rmsprop
from ..optim.sgd import _single_tensor_sgd
from .threads import batch_chunks, run_parallel

# elementwise work over many arrays (an optimizer's update) runs in blocks this long, so that its
# temporaries (1 MiB each in float32) stay in the caches; 1 << 17 and 1 << 16 were measured slower
BLOCK_ELEMENTS = 1 << 18


def run_blockwise(work: Callable[..., object], *arrays) -> None:
    """Call ``work(*parts)`` on matching flat blocks of same-shaped ``arrays``, covering them all.

    For elementwise work that writes into some of the arrays in place, such as
    ``p -= lr * g``: each thread takes one stretch of the flattened arrays
    (``batch_chunks``), in blocks of ``BLOCK_ELEMENTS``, so a temporary such as
    ``lr * g`` is a block, still in cache when the next line reads it, instead
    of a whole parameter written out to memory and read back. Arrays that are
    not C-contiguous (which cannot be flattened in place), and CuPy arrays,
    go to ``work`` whole.
    """
    if not all(isinstance(a, np.ndarray) and a.flags.c_contiguous for a in arrays):
        work(*arrays)
        return
    flat = [a.reshape(-1) for a in arrays]

    def run_stretch(stretch):
        start, stop, _ = stretch.indices(flat[0].size)
        for lo in range(start, stop, BLOCK_ELEMENTS):
            block = slice(lo, min(lo + BLOCK_ELEMENTS, stop))
            work(*(f[block] for f in flat))

    run_parallel(run_stretch, [slice(None) if s is ... else s for s in batch_chunks(flat[0])])


def _on_gpu_by_kind(params: list) -> dict:
    """The indices of the GPU (CuPy) arrays in ``params``, grouped by device and dtype."""
    kinds: dict = {}
    for i, p in enumerate(params):
        if not isinstance(p, np.ndarray):
            kinds.setdefault((cuda_index_of(p), p.dtype), []).append(i)
    return kinds


# ------------------------------------------------------------------ shared by the updates
def regularised_gradient(p, g, weight_decay: float, maximize: bool):
    """The gradient an update uses: ``-g`` to maximize, plus ``weight_decay * p`` (new arrays: ``g`` is
    the parameter's own gradient and stays as it is)."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p                                     # g += weight_decay p
    return g


def add_to_average_of_squares(avg, g, beta: float, out=None):
    """``avg = beta avg + (1 - beta) g^2`` in place, in torch's order of operations; ``(1 - beta) g^2``
    is formed in ``out`` (a new array when None), which is returned for reuse as scratch."""
    tmp = get_array_module(avg).multiply(g, 1 - beta, out=out)
    tmp *= g
    avg *= beta
    avg += tmp
    return tmp


# ------------------------------------------------------------------ SGD
@register_fast(_single_tensor_sgd)
def blocked_sgd(params: list, grads: list, momentum_buffers: list, *, lr: float, momentum: float,
                dampening: float, weight_decay: float, nesterov: bool, maximize: bool) -> None:
    """``_single_tensor_sgd``: NumPy parameters in blocks on threads, GPU ones together (``sgd_update_foreach``)."""
    hyper = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                 maximize=maximize)
    for i, (p, g) in enumerate(zip(params, grads)):
        if not isinstance(p, np.ndarray):
            continue
        if momentum == 0:
            run_blockwise(lambda p, g: sgd_block(p, g, None, False, **hyper), p, g)
            continue
        first = momentum_buffers[i] is None
        if first:                                    # filled with the first step's g by sgd_block
            momentum_buffers[i] = np.empty_like(g)
        run_blockwise(lambda p, g, buf: sgd_block(p, g, buf, first, **hyper), p, g, momentum_buffers[i])
    for indices in _on_gpu_by_kind(params).values():
        _sgd_together(params, grads, momentum_buffers, indices, hyper)


def _sgd_together(params: list, grads: list, momentum_buffers: list, indices: list[int], hyper: dict) -> None:
    """``sgd_update_foreach`` of the GPU parameters at ``indices`` (one device and dtype), their momentum
    buffers made on a first step; one at a time with ``sgd_block`` when some buffers are new and some
    are not, or when a parameter is listed twice (its updates then compound)."""
    ps, gs = [params[i] for i in indices], [grads[i] for i in indices]
    with on_device_of(ps[0]):
        if hyper["momentum"] == 0:
            sgd_update_foreach(ps, gs, None, False, **hyper)
            return
        new = [momentum_buffers[i] is None for i in indices]
        for i, is_new in zip(indices, new):
            if is_new:
                momentum_buffers[i] = get_array_module(grads[i]).empty_like(grads[i])
        bufs = [momentum_buffers[i] for i in indices]
        if len(set(new)) == 1 and len({id(p) for p in ps}) == len(ps):
            sgd_update_foreach(ps, gs, bufs, new[0], **hyper)
            return
        for p, g, buf, first in zip(ps, gs, bufs, new):
            sgd_block(p, g, buf, first, **hyper)


def sgd_block(p, g, buf, first: bool, *, lr: float, momentum: float, dampening: float,
              weight_decay: float, nesterov: bool, maximize: bool) -> None:
    """One SGD update of the array ``p`` (or a block of it) in place, from its gradient ``g``
    and momentum buffer ``buf`` (None without momentum; ``first``: the buffer is new)."""
    xp = get_array_module(p)
    g = regularised_gradient(p, g, weight_decay, maximize)
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
    """``sgd_block`` of several parameters at once, for the GPU, where every array operation is a
    kernel launch: the gradients are copied into one flat array, each line of the update runs once
    over all of them, and only the last, ``p -= lr g``, once per parameter (for 8 parameters, 10
    launches instead of 24). The same operations in the same order as ``sgd_block``, so the same
    values. ``params``, ``grads`` (and ``bufs``) share one device and dtype; ``bufs`` as ``sgd_block``'s,
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


# ------------------------------------------------------------------ Adam (and AdamW)
@register_fast(_single_tensor_adam)
def blocked_adam(params: list, grads: list, exp_avgs: list, exp_avg_sqs: list, max_exp_avg_sqs: list,
                 state_steps: list, *, amsgrad: bool, beta1: float, beta2: float, lr: float, weight_decay: float,
                 eps: float, maximize: bool, decoupled_weight_decay: bool) -> None:
    """``_single_tensor_adam``: NumPy parameters in blocks on threads, GPU ones that share a device, a dtype
    and a step count together (``adam_update_foreach``)."""
    on_gpu: dict = {}
    for i, param in enumerate(params):
        step_t = state_steps[i]
        step_t += 1
        step = float(step_t)
        hyper = dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, maximize=maximize,
                     decoupled=decoupled_weight_decay, step_size=lr / (1 - beta1 ** step),
                     bias_correction2_sqrt=(1 - beta2 ** step) ** 0.5)
        arrays = [param, grads[i], exp_avgs[i], exp_avg_sqs[i]] + ([max_exp_avg_sqs[i]] if amsgrad else [])
        if not isinstance(param, np.ndarray):
            on_gpu.setdefault((cuda_index_of(param), param.dtype, step), (hyper, []))[1].append(arrays)
            continue
        run_blockwise(lambda *blocks: adam_block(*blocks, **hyper), *arrays)
    for hyper, arrays in on_gpu.values():
        with on_device_of(arrays[0][0]):
            adam_update_foreach(arrays, **hyper)


def adam_block(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq=None, *, lr: float, beta1: float, beta2: float,
               eps: float, weight_decay: float, maximize: bool, decoupled: bool, step_size: float,
               bias_correction2_sqrt: float) -> None:
    """One Adam update of the array ``p`` (or a block of it) and its moments, in place, from its
    gradient ``g``; each line keeps torch's order of operations. ``max_exp_avg_sq`` with amsgrad."""
    xp = get_array_module(p)
    if weight_decay != 0 and decoupled:
        xp.multiply(p, 1 - lr * weight_decay, out=p)                 # p *= 1 - lr weight_decay (AdamW)
    g = regularised_gradient(p, g, 0 if decoupled else weight_decay, maximize)
    tmp = xp.subtract(g, exp_avg)
    tmp *= 1 - beta1
    exp_avg += tmp                                                   # exp_avg.lerp_(g, 1 - beta1)
    add_to_average_of_squares(exp_avg_sq, g, beta2, out=tmp)        # exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
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
    """``adam_block`` of several parameters at once, for the GPU, where every array operation is a
    kernel launch: each of the arrays (parameter, gradient, moments) of all the parameters copied
    end to end into one flat array, ``adam_block`` run once on those, and the parameters and moments
    copied back: 3 or 4 launches per parameter and about 16 in all, instead of about 12 per parameter.
    The same operations in the same order, so the same values. ``arrays``: per parameter,
    ``[p, g, exp_avg, exp_avg_sq(, max_exp_avg_sq)]``, all on one device, with one dtype and step.
    """
    xp = get_array_module(arrays[0][0])
    flat = [xp.concatenate([a[k].reshape(-1) for a in arrays]) for k in range(len(arrays[0]))]
    adam_block(*flat, **hyper)
    for k in [0] + list(range(2, len(flat))):          # the parameters and moments (not the gradients)
        start = 0
        for a in arrays:
            a[k][...] = flat[k][start:start + a[k].size].reshape(a[k].shape)
            start += a[k].size


# ------------------------------------------------------------------ Adagrad
@register_fast(_single_tensor_adagrad)
def blocked_adagrad(params: list, grads: list, state_sums: list, state_steps: list, *, lr: float,
                    weight_decay: float, lr_decay: float, eps: float, maximize: bool) -> None:
    """``_single_tensor_adagrad``, each NumPy parameter in blocks on threads."""
    for i, param in enumerate(params):
        step_t = state_steps[i]
        step_t += 1
        clr = lr / (1 + (float(step_t) - 1) * lr_decay)
        run_blockwise(lambda p, g, total: adagrad_block(p, g, total, clr=clr, eps=eps, weight_decay=weight_decay,
                                                        maximize=maximize),
                      param, grads[i], state_sums[i])


def adagrad_block(p, g, state_sum, *, clr: float, eps: float, weight_decay: float, maximize: bool) -> None:
    """One Adagrad update of the array ``p`` (or a block of it) and its sum of squares, in place,
    from its gradient ``g`` with the decayed rate ``clr``."""
    xp = get_array_module(p)
    g = regularised_gradient(p, g, weight_decay, maximize)
    state_sum += g * g                                               # sum += g^2
    std = xp.sqrt(state_sum)
    std += eps                                                       # std = sqrt(sum) + eps
    update = xp.divide(g, std, out=std)
    update *= -clr
    p += update                                                      # p -= clr g / std


# ------------------------------------------------------------------ RMSprop
@register_fast(_single_tensor_rmsprop)
def blocked_rmsprop(params: list, grads: list, square_avgs: list, grad_avgs: list, momentum_buffer_list: list,
                    state_steps: list, *, lr: float, alpha: float, eps: float, weight_decay: float,
                    momentum: float, centered: bool, maximize: bool) -> None:
    """``_single_tensor_rmsprop``, each NumPy parameter in blocks on threads."""
    hyper = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, maximize=maximize)

    def work(p, g, square_avg, *extra):
        rmsprop_block(p, g, square_avg, extra[0] if centered else None, extra[-1] if momentum > 0 else None,
                      **hyper)

    for i, param in enumerate(params):
        state_steps[i] += 1
        arrays = [param, grads[i], square_avgs[i]]
        if centered:
            arrays.append(grad_avgs[i])
        if momentum > 0:
            arrays.append(momentum_buffer_list[i])
        run_blockwise(work, *arrays)


def rmsprop_block(p, g, square_avg, grad_avg=None, momentum_buffer=None, *, lr: float, alpha: float,
                  eps: float, weight_decay: float, momentum: float, maximize: bool) -> None:
    """One RMSprop update of the array ``p`` (or a block of it) and its averages, in place, from its
    gradient ``g``; ``grad_avg`` when centered, ``momentum_buffer`` when momentum > 0."""
    xp = get_array_module(p)
    g = regularised_gradient(p, g, weight_decay, maximize)
    tmp = add_to_average_of_squares(square_avg, g, alpha)            # v = alpha v + (1 - alpha) g^2
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


# ------------------------------------------------------------------ Adadelta
@register_fast(_single_tensor_adadelta)
def blocked_adadelta(params: list, grads: list, square_avgs: list, acc_deltas: list, state_steps: list, *,
                     lr: float, rho: float, eps: float, weight_decay: float, maximize: bool) -> None:
    """``_single_tensor_adadelta``, each NumPy parameter in blocks on threads."""
    hyper = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
    for i, param in enumerate(params):
        state_steps[i] += 1
        run_blockwise(lambda p, g, v, u: adadelta_block(p, g, v, u, **hyper),
                      param, grads[i], square_avgs[i], acc_deltas[i])


def adadelta_block(p, g, square_avg, acc_delta, *, lr: float, rho: float, eps: float, weight_decay: float,
                   maximize: bool) -> None:
    """One Adadelta update of the array ``p`` (or a block of it) and its averages, in place, from its
    gradient ``g``; each line keeps torch's order of operations."""
    xp = get_array_module(p)
    g = regularised_gradient(p, g, weight_decay, maximize)
    tmp = add_to_average_of_squares(square_avg, g, rho)              # v = rho v + (1 - rho) g^2
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
