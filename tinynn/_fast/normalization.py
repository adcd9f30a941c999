"""Batch norm's passes over the data on the batch chunks of ``threads.py``, with few temporaries.

The same formulas as the references in ``nn/_functions/normalization.py``.
Training mode's forward pass is the two-pass formula over the whole batch: the
per-channel sums give the mean; ``x - mean`` is written into a buffer that is
kept for backward, and its squares' sums give the variance; then
``y = (x - mean) * (weight / std) + bias``, ``weight / std`` one factor per
channel, so x_hat itself is never written (one pass fewer). The backward pass
reads x_hat as ``(x - mean) / std`` through the same per-channel factors, and
folds ``weight`` into the two per-channel sums it needs. Each
pass runs on the batch chunks, in threads, for inputs of more than
``SPLIT_ABOVE`` values (below that, handing its three short passes to a
thread costs more than it saves), and on one chunk below. The per-channel
sums of the chunks are added up at the end, so they round differently from
the reference's in float32. On the GPU (CuPy arrays) the same formulas run on
whole arrays, written in place where they can, in fewer kernel launches than the
reference (``forward_whole``, ``backward_whole``); eval mode takes the reference.
"""
from __future__ import annotations

import numpy as np

from .._device import get_array_module
from .._kernels import register_fast
from ..nn._functions.normalization import BatchNormFixedStats, BatchNormFunction, as_ncl, per_channel
from .threads import batch_chunks, run_parallel

# up to this many values batch norm runs on one thread (measured: (64, 64, 8, 8), 262,144 values, took
# 338 us forward and 279 us backward on two threads, 278 and 208 on one; (64, 32, 16, 16) tied and
# (64, 16, 32, 32) ran 25-35% faster on two)
SPLIT_ABOVE = 1 << 18


def _chunks(a) -> list:
    """The batch chunks batch norm's passes over ``a`` (N, C, L) run on: one for small inputs."""
    return batch_chunks(a) if a.size > SPLIT_ABOVE else [...]


def _channel_sum(a, b=None, chunks=None):
    """sum over N and L of a (or of a * b), per channel: (C,), summed chunk by chunk in threads."""
    chunks = _chunks(a) if chunks is None else chunks
    if b is None:
        parts = run_parallel(lambda rows: np.einsum("ncl->c", a[rows]), chunks)
    else:
        parts = run_parallel(lambda rows: np.einsum("ncl,ncl->c", a[rows], b[rows]), chunks)
    return sum(parts[1:], parts[0])


@register_fast(BatchNormFunction)
class ThreadedBatchNorm(BatchNormFunction):
    """Training-mode batch norm, its passes on the batch chunks (in threads above ``SPLIT_ABOVE`` values)."""

    def forward(self, x, weight=None, bias=None):
        if not isinstance(x, np.ndarray):
            return self.forward_whole(x, weight, bias)
        x3 = as_ncl(x)
        chunks = _chunks(x3)
        self.count = x3.shape[0] * x3.shape[2]                          # M values per channel
        self.mean = _channel_sum(x3, chunks=chunks) / self.count         # mean = sum(x) / M
        centred, y = np.empty_like(x3), np.empty_like(x3)
        mean = per_channel(self.mean)

        def centre(rows):
            np.subtract(x3[rows], mean, out=centred[rows])               # x - mean
            return np.einsum("ncl,ncl->c", centred[rows], centred[rows])

        squares = run_parallel(centre, chunks)
        self.var = sum(squares[1:], squares[0]) / self.count             # biased var = sum((x - mean)^2) / M
        self.inv_std = 1 / np.sqrt(self.var + x.dtype.type(self.eps))   # 1 / sqrt(var + eps)
        self.weight = weight
        scale = per_channel(self.inv_std if weight is None else weight * self.inv_std)   # weight / std

        def normalise(rows):
            np.multiply(centred[rows], scale, out=y[rows])               # y = weight * (x - mean) / std
            if bias is not None:
                y[rows] += per_channel(bias)                              #     + bias

        run_parallel(normalise, chunks)
        self.centred = centred
        return y.reshape(x.shape)

    def backward(self, gy):
        if not isinstance(gy, np.ndarray):
            return self.backward_whole(gy)
        g3, centred, weight = as_ncl(gy), self.centred, self.weight
        chunks = _chunks(g3)
        parts = run_parallel(lambda rows: (np.einsum("ncl->c", g3[rows]),
                                           np.einsum("ncl,ncl->c", g3[rows], centred[rows])), chunks)
        gbias = sum(p[0] for p in parts[1:]) + parts[0][0]               # dbias = sum(gy)
        gweight = (sum(p[1] for p in parts[1:]) + parts[0][1]) * self.inv_std   # dweight = sum(gy * x_hat)
        gx = None
        if self.needs_grad(0):
            # With g_hat = gy * weight: sum(g_hat) = weight * dbias, sum(g_hat * x_hat) = weight * dweight, so
            # dx = inv_std / M * (M g_hat - sum(g_hat) - x_hat sum(g_hat x_hat))
            #    = weight * inv_std * (gy - dbias / M - x_hat * dweight / M)
            count = self.count
            scale = per_channel(self.inv_std if weight is None else weight * self.inv_std)
            mean_gy = per_channel(gbias / count)
            per_centred = per_channel(self.inv_std * gweight / count)     # x_hat * dweight / M = (x - mean) * that
            gx3 = np.empty_like(g3)

            def input_grad(rows):
                np.multiply(centred[rows], per_centred, out=gx3[rows])    # x_hat * dweight / M
                np.subtract(g3[rows], gx3[rows], out=gx3[rows])            # gy - that
                gx3[rows] -= mean_gy                                       #    - dbias / M
                gx3[rows] *= scale                                         # times weight * inv_std

            run_parallel(input_grad, chunks)
            gx = gx3.reshape(gy.shape)
        return (gx, gweight if weight is not None else None, gbias)


    # ---------------------------------------------------------------- the GPU: whole arrays, in place
    def forward_whole(self, x, weight, bias):
        """The same formulas on whole arrays (CuPy), each line writing into an array it already has where
        it can: 14 kernel launches where the reference makes 17."""
        xp = get_array_module(x)
        x3 = as_ncl(x)
        self.count = x3.shape[0] * x3.shape[2]                          # M values per channel
        self.mean = x3.mean(axis=(0, 2))                                 # mean = sum(x) / M
        self.centred = x3 - per_channel(self.mean)
        squares = self.centred * self.centred
        self.var = squares.mean(axis=(0, 2))                             # biased var = sum((x - mean)^2) / M
        self.inv_std = self.var + x.dtype.type(self.eps)
        xp.sqrt(self.inv_std, out=self.inv_std)
        xp.reciprocal(self.inv_std, out=self.inv_std)                    # 1 / sqrt(var + eps)
        self.weight = weight
        self.scale = self.inv_std if weight is None else weight * self.inv_std   # weight / std
        y = xp.multiply(self.centred, per_channel(self.scale), out=squares)     # y = weight * (x - mean) / std
        if bias is not None:
            y += per_channel(bias)                                       #     + bias
        return y.reshape(x.shape)

    def backward_whole(self, gy):
        """The CPU variant's backward on whole arrays (CuPy): 14 launches where the reference makes 18."""
        xp = get_array_module(gy)
        g3, centred = as_ncl(gy), self.centred
        gbias = g3.sum(axis=(0, 2))                                      # dbias = sum(gy)
        work = g3 * centred
        gweight = work.sum(axis=(0, 2))
        gweight *= self.inv_std                                          # dweight = sum(gy * (x - mean)) / std
        gx = None
        if self.needs_grad(0):                                           # dx = weight / std * (gy - dbias / M
            per_centred = self.inv_std * gweight                         #      - (x - mean) / std * dweight / M)
            per_centred /= self.count
            xp.multiply(centred, per_channel(per_centred), out=work)
            xp.subtract(g3, work, out=work)
            work -= per_channel(gbias / self.count)
            work *= per_channel(self.scale)
            gx = work.reshape(gy.shape)
        return (gx, gweight if self.weight is not None else None, gbias)

@register_fast(BatchNormFixedStats)
class ThreadedBatchNormFixedStats(BatchNormFixedStats):
    """Eval-mode batch norm, ``y = x * scale + shift`` and the sums of its gradients on the batch chunks."""

    def forward(self, x, weight=None, bias=None):
        if not isinstance(x, np.ndarray):
            return super().forward(x, weight, bias)
        self.x, self.weight = x, weight
        scale, shift = self.scale_and_shift(x.dtype, weight, bias)
        x3 = as_ncl(x)
        y = np.empty_like(x3)

        def affine(rows):
            np.multiply(x3[rows], per_channel(scale), out=y[rows])      # y = x * weight / std
            y[rows] += per_channel(shift)                               #     + bias - mean * weight / std

        run_parallel(affine, _chunks(x3))
        return y.reshape(x.shape)

    def backward(self, gy):
        if not isinstance(gy, np.ndarray):
            return super().backward(gy)
        g3, weight = as_ncl(gy), self.weight
        inv_std = self.inv_std.astype(gy.dtype, copy=False)
        gbias = _channel_sum(g3)                                         # dbias = sum(gy)
        gweight = None
        if weight is not None and self.needs_grad(1):
            x_hat = (as_ncl(self.x) - per_channel(self.mean.astype(gy.dtype, copy=False))) * per_channel(inv_std)
            gweight = _channel_sum(g3, x_hat)                            # dweight = sum(gy * x_hat)
        gx = None
        if self.needs_grad(0):
            scale = inv_std if weight is None else weight * inv_std
            gx = (g3 * per_channel(scale)).reshape(gy.shape)             # dx = gy * weight / std
        return (gx, gweight, gbias)
