"""Batch and layer normalisation, each ONE Function with the closed-form gradient.

Batch norm normalises each channel (axis 1) over the batch and the spatial
positions: the input is viewed as (N, C, L), L the positions (1 for (N, C)),
and M = N * L values per channel. Layer norm normalises each sample over its
last D values: the input is viewed as (M, D). Both then scale by ``weight``
and shift by ``bias``. With x_hat = (x - mean) / sqrt(var + eps) (biased var)
and g_hat = dL/dx_hat = gy * weight, the input gradient is

    dx = inv_std / M * (M * g_hat - sum(g_hat) - x_hat * sum(g_hat * x_hat))

(sums over the values normalised together), dweight = sum(gy * x_hat) and
dbias = sum(gy) (sums over everything but the channel / the normalised values).

Batch norm's passes over the data run on the batch chunks of ``_fast/threads.py``,
as the hot ops do, for inputs of more than ``SPLIT_ABOVE`` values (below
that, handing its three short passes to a thread costs more than it saves).
The forward pass is the two-pass formula over the whole batch: the per-channel
sums give the mean; ``x - mean`` is written into x_hat's buffer, and its
squares' sums give the variance; x_hat is then scaled in place.
"""
from __future__ import annotations

import math

from ..._device import get_array_module
from ..._fast.threads import batch_chunks, run_parallel
from ...autograd.function import Function


def _as_ncl(x):
    """(N, C, *spatial) as a (N, C, L) view; (N, C) as (N, C, 1)."""
    return x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))     # (explicit: -1 fails for N = 0)


# up to this many values batch norm runs on one thread (measured: (64, 64, 8, 8), 262,144 values, took
# 338 us forward and 279 us backward on two threads, 278 and 208 on one; (64, 32, 16, 16) tied and
# (64, 16, 32, 32) ran 25-35% faster on two)
SPLIT_ABOVE = 1 << 18


def _chunks(a) -> list:
    """The batch chunks batch norm's passes over ``a`` (N, C, L) run on: one for small inputs."""
    return batch_chunks(a) if a.size > SPLIT_ABOVE else [...]


def _channel_sum(xp, a, b=None, chunks=None):
    """sum over N and L of a (or of a * b), per channel: (C,), summed chunk by chunk in threads."""
    chunks = _chunks(a) if chunks is None else chunks
    if b is None:
        parts = run_parallel(lambda rows: xp.einsum("ncl->c", a[rows]), chunks)
    else:
        parts = run_parallel(lambda rows: xp.einsum("ncl,ncl->c", a[rows], b[rows]), chunks)
    return sum(parts[1:], parts[0])


def _per_channel(v):
    """(C,) -> (C, 1), to broadcast against (N, C, L)."""
    return v.reshape(-1, 1)


class BatchNorm(Function):
    """Training mode: normalise with the batch's own mean and biased variance.

    After forward, ``self.mean`` and ``self.var`` (biased) are the batch
    statistics, for the caller's running averages.
    """

    torch_name = "NativeBatchNormBackward0"
    saved_inputs, saves_output = (1,), False    # backward reads the weight (x_hat is its own copy)

    def __init__(self, eps):
        self.eps = eps

    def forward(self, x, weight=None, bias=None):
        xp = get_array_module(x)
        x3 = _as_ncl(x)
        chunks = _chunks(x3)
        self.count = x3.shape[0] * x3.shape[2]                          # M values per channel
        self.mean = _channel_sum(xp, x3, chunks=chunks) / self.count     # mean = sum(x) / M
        x_hat, y = xp.empty_like(x3), xp.empty_like(x3)
        mean = _per_channel(self.mean)

        def centre(rows):
            xp.subtract(x3[rows], mean, out=x_hat[rows])                 # x - mean (x_hat's buffer)
            return xp.einsum("ncl,ncl->c", x_hat[rows], x_hat[rows])

        squares = run_parallel(centre, chunks)
        self.var = sum(squares[1:], squares[0]) / self.count             # biased var = sum((x - mean)^2) / M
        self.inv_std = 1 / xp.sqrt(self.var + x.dtype.type(self.eps))   # 1 / sqrt(var + eps)
        self.weight = weight
        inv_std = _per_channel(self.inv_std)

        def normalise(rows):
            x_hat[rows] *= inv_std                                        # x_hat = (x - mean) / std
            if weight is None:
                y[rows] = x_hat[rows]
            else:
                xp.multiply(x_hat[rows], _per_channel(weight), out=y[rows])   # y = weight * x_hat
            if bias is not None:
                y[rows] += _per_channel(bias)                             #     + bias

        run_parallel(normalise, chunks)
        self.x_hat = x_hat
        return y.reshape(x.shape)

    def backward(self, gy):
        xp = get_array_module(gy)
        g3, x_hat, weight = _as_ncl(gy), self.x_hat, self.weight
        chunks = _chunks(g3)
        parts = run_parallel(lambda rows: (xp.einsum("ncl->c", g3[rows]),
                                           xp.einsum("ncl,ncl->c", g3[rows], x_hat[rows])), chunks)
        gbias = sum(p[0] for p in parts[1:]) + parts[0][0]               # dbias = sum(gy)
        gweight = sum(p[1] for p in parts[1:]) + parts[0][1]             # dweight = sum(gy * x_hat)
        gx = None
        if self.needs_grad(0):
            # With g_hat = gy * weight: sum(g_hat) = weight * dbias, sum(g_hat * x_hat) = weight * dweight, so
            # dx = inv_std / M * (M g_hat - sum(g_hat) - x_hat sum(g_hat x_hat))
            #    = weight * inv_std * (gy - dbias / M - x_hat * dweight / M)
            count = self.count
            scale = _per_channel(self.inv_std if weight is None else weight * self.inv_std)
            mean_gy, mean_gy_x_hat = _per_channel(gbias / count), _per_channel(gweight / count)
            gx3 = xp.empty_like(g3)

            def input_grad(rows):
                xp.multiply(x_hat[rows], mean_gy_x_hat, out=gx3[rows])     # x_hat * dweight / M
                xp.subtract(g3[rows], gx3[rows], out=gx3[rows])            # gy - that
                gx3[rows] -= mean_gy                                       #    - dbias / M
                gx3[rows] *= scale                                         # times weight * inv_std

            run_parallel(input_grad, chunks)
            gx = gx3.reshape(gy.shape)
        return (gx, gweight if weight is not None else None, gbias)


class BatchNormFixedStats(Function):
    """Eval mode: normalise with given (running) mean and variance: y = weight * (x - mean) / sqrt(var + eps) + bias."""

    torch_name = "NativeBatchNormBackward0"
    saves_output = False                        # backward reads the inputs, not the output

    def __init__(self, mean, var, eps):
        xp = get_array_module(mean)
        self.mean = mean.copy()                     # (the running mean changes in place while training)
        self.inv_std = 1 / xp.sqrt(var + var.dtype.type(eps))

    def forward(self, x, weight=None, bias=None):
        xp = get_array_module(x)
        self.x, self.weight = x, weight
        mean, inv_std = self.mean.astype(x.dtype, copy=False), self.inv_std.astype(x.dtype, copy=False)
        scale = inv_std if weight is None else inv_std * weight
        shift = -mean * scale if bias is None else bias - mean * scale
        x3 = _as_ncl(x)
        y = xp.empty_like(x3)

        def affine(rows):
            xp.multiply(x3[rows], _per_channel(scale), out=y[rows])      # y = x * weight / std
            y[rows] += _per_channel(shift)                               #     + bias - mean * weight / std

        run_parallel(affine, _chunks(x3))
        return y.reshape(x.shape)

    def backward(self, gy):
        xp = get_array_module(gy)
        g3, weight = _as_ncl(gy), self.weight
        inv_std = self.inv_std.astype(gy.dtype, copy=False)
        gbias = _channel_sum(xp, g3)                                     # dbias = sum(gy)
        gweight = None
        if weight is not None and self.needs_grad(1):
            x_hat = (_as_ncl(self.x) - _per_channel(self.mean.astype(gy.dtype, copy=False))) * _per_channel(inv_std)
            gweight = _channel_sum(xp, g3, x_hat)                        # dweight = sum(gy * x_hat)
        gx = None
        if self.needs_grad(0):
            scale = inv_std if weight is None else weight * inv_std
            gx = (g3 * _per_channel(scale)).reshape(gy.shape)            # dx = gy * weight / std
        return (gx, gweight, gbias)


class LayerNorm(Function):
    """Normalise each sample over its last D values (viewed as (M, D)), then scale and shift elementwise."""

    torch_name = "NativeLayerNormBackward0"
    saved_inputs, saves_output = (1,), False    # backward reads the weight (x_hat is its own copy)

    def __init__(self, normalized_size, eps):
        self.size, self.eps = normalized_size, eps

    def forward(self, x, weight=None, bias=None):
        xp = get_array_module(x)
        x2 = x.reshape(-1, self.size)
        mean = x2.mean(axis=1, keepdims=True)                             # mean over the D values
        x_hat = x2 - mean
        var = xp.einsum("md,md->m", x_hat, x_hat)[:, None] / self.size   # biased var = mean((x - mean)^2)
        self.inv_std = 1 / xp.sqrt(var + x.dtype.type(self.eps))         # 1 / sqrt(var + eps)
        x_hat *= self.inv_std                                            # x_hat = (x - mean) / std
        self.x_hat, self.weight = x_hat, weight
        y = x_hat if weight is None else x_hat * weight.reshape(-1)       # y = weight * x_hat
        if bias is not None:
            y = y + bias.reshape(-1)                                     #     + bias
        elif y is x_hat:
            y = x_hat.copy()
        return y.reshape(x.shape)

    def backward(self, gy):
        xp = get_array_module(gy)
        g2, x_hat, weight = gy.reshape(-1, self.size), self.x_hat, self.weight
        gweight = gbias = gx = None
        if weight is not None and self.needs_grad(1):
            gweight = xp.einsum("md,md->d", g2, x_hat).reshape(weight.shape)   # dweight = sum(gy * x_hat)
        if self.needs_grad(2):
            gbias = g2.sum(axis=0).reshape(self.inputs[2].shape)         # dbias = sum(gy)
        if self.needs_grad(0):
            g_hat = g2 if weight is None else g2 * weight.reshape(-1)    # g_hat = gy * weight
            mean_g_hat = g_hat.mean(axis=1, keepdims=True)
            mean_g_hat_x_hat = xp.einsum("md,md->m", g_hat, x_hat)[:, None] / self.size
            # dx = inv_std / D * (D g_hat - sum(g_hat) - x_hat sum(g_hat x_hat))
            gx = ((g_hat - mean_g_hat - x_hat * mean_g_hat_x_hat) * self.inv_std).reshape(gy.shape)
        return (gx, gweight, gbias)
