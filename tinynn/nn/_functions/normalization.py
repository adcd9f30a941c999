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
"""
from __future__ import annotations

import math

from ..._device import get_array_module
from ...autograd.function import Function


def as_ncl(x):
    """(N, C, *spatial) as a (N, C, L) view; (N, C) as (N, C, 1)."""
    return x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))     # (explicit: -1 fails for N = 0)


def per_channel(v):
    """(C,) -> (C, 1), to broadcast against (N, C, L)."""
    return v.reshape(-1, 1)


class BatchNormFunction(Function):
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
        x3 = as_ncl(x)
        self.count = x3.shape[0] * x3.shape[2]                            # M values per channel
        self.mean = x3.mean(axis=(0, 2))                                  # mean = sum(x) / M
        centred = x3 - per_channel(self.mean)
        self.var = (centred * centred).mean(axis=(0, 2))                  # biased var = sum((x - mean)^2) / M
        self.inv_std = 1 / xp.sqrt(self.var + x.dtype.type(self.eps))    # 1 / sqrt(var + eps)
        self.x_hat = centred * per_channel(self.inv_std)                  # x_hat = (x - mean) / std
        self.weight = weight
        y = self.x_hat.copy() if weight is None else self.x_hat * per_channel(weight)   # y = weight * x_hat
        if bias is not None:
            y += per_channel(bias)                                       #     + bias
        return y.reshape(x.shape)

    def backward(self, gy):
        g3, x_hat, weight = as_ncl(gy), self.x_hat, self.weight
        gbias = g3.sum(axis=(0, 2))                                      # dbias = sum(gy)
        gweight = (g3 * x_hat).sum(axis=(0, 2)) if weight is not None else None   # dweight = sum(gy * x_hat)
        gx = None
        if self.needs_grad(0):
            g_hat = g3 if weight is None else g3 * per_channel(weight)   # g_hat = dL/dx_hat = gy * weight
            mean_g_hat = g_hat.mean(axis=(0, 2), keepdims=True)
            mean_g_hat_x_hat = (g_hat * x_hat).mean(axis=(0, 2), keepdims=True)
            # dx = inv_std / M * (M g_hat - sum(g_hat) - x_hat sum(g_hat x_hat))
            gx3 = per_channel(self.inv_std) * (g_hat - mean_g_hat - x_hat * mean_g_hat_x_hat)
            gx = gx3.reshape(gy.shape)
        return (gx, gweight, gbias)


class BatchNormFixedStats(Function):
    """Eval mode: normalise with given (running) mean and variance: y = weight * (x - mean) / sqrt(var + eps) + bias."""

    torch_name = "NativeBatchNormBackward0"
    saves_output = False                        # backward reads the inputs, not the output

    def __init__(self, mean, var, eps):
        xp = get_array_module(mean)
        self.mean = mean.copy()                     # (the running mean changes in place while training)
        self.inv_std = 1 / xp.sqrt(var + var.dtype.type(eps))

    def forward(self, x, weight=None, bias=None):
        self.x, self.weight = x, weight
        scale, shift = self.scale_and_shift(x.dtype, weight, bias)
        return (as_ncl(x) * per_channel(scale) + per_channel(shift)).reshape(x.shape)   # y = x * scale + shift

    def scale_and_shift(self, dtype, weight, bias) -> tuple:
        """Per channel: scale = weight / std and shift = bias - mean * weight / std, so that y = x * scale + shift."""
        mean, inv_std = self.mean.astype(dtype, copy=False), self.inv_std.astype(dtype, copy=False)
        scale = inv_std if weight is None else inv_std * weight
        shift = -mean * scale if bias is None else bias - mean * scale
        return scale, shift

    def backward(self, gy):
        g3, weight = as_ncl(gy), self.weight
        inv_std = self.inv_std.astype(gy.dtype, copy=False)
        gbias = g3.sum(axis=(0, 2))                                      # dbias = sum(gy)
        gweight = None
        if weight is not None and self.needs_grad(1):
            x_hat = (as_ncl(self.x) - per_channel(self.mean.astype(gy.dtype, copy=False))) * per_channel(inv_std)
            gweight = (g3 * x_hat).sum(axis=(0, 2))                      # dweight = sum(gy * x_hat)
        gx = None
        if self.needs_grad(0):
            scale = inv_std if weight is None else weight * inv_std
            gx = (g3 * per_channel(scale)).reshape(gy.shape)             # dx = gy * weight / std
        return (gx, gweight, gbias)


class LayerNormFunction(Function):
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
