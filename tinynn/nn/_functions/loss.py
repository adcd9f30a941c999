"""Losses: negative log-likelihood, cross-entropy (log-softmax and NLL fused), mean squared error."""
from __future__ import annotations

from ..._device import get_array_module
from ...autograd.function import Function
from .activation import stable_log_softmax


def _reduce(per_sample, weights, reduction):
    """Apply torch's reduction: 'none', 'sum', or 'mean' (weighted by the targets' class weights)."""
    if reduction == "none":
        return per_sample
    if reduction == "sum":
        return per_sample.sum()
    return per_sample.sum() / weights.sum()


class NLLLoss(Function):
    """loss_n = -w[t_n] * logp[n, t_n]; input (N, C) with target (N,) (other layouts are reshaped)."""

    def __init__(self, target, weight, ignore_index, reduction):
        self.target, self.weight = target, weight
        self.ignore_index, self.reduction = ignore_index, reduction

    def _sample_weights(self, xp, dtype):
        t = self.target
        keep = t != self.ignore_index
        safe = xp.where(keep, t, 0)
        w = self.weight[safe] if self.weight is not None else xp.ones(t.shape, dtype)
        return safe, (w * keep).astype(dtype, copy=False)

    def forward(self, logp):
        xp = get_array_module(logp)
        self.shape = logp.shape
        self.safe, self.w = self._sample_weights(xp, logp.dtype)
        picked = logp[xp.arange(len(self.safe)), self.safe]
        return _reduce(-picked * self.w, self.w, self.reduction)

    def backward(self, gy):
        xp = get_array_module(gy)
        scale = -self.w * (gy if self.reduction == "none" else gy / (self.w.sum() if self.reduction == "mean" else 1))
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        gx[xp.arange(len(self.safe)), self.safe] = scale                    # d(-w logp_t)/dlogp_t = -w
        return (gx,)


class CrossEntropy(NLLLoss):
    """NLL of log_softmax(x), fused: the gradient is (softmax(x) - onehot(t)) * w."""

    def forward(self, x):
        self.logp = stable_log_softmax(x, axis=1)
        return super().forward(self.logp)

    def backward(self, gy):
        xp = get_array_module(gy)
        (g_nll,) = super().backward(gy)                                      # -w * scale at the targets
        row_scale = -g_nll.sum(axis=1, keepdims=True)                        # w * scale for each row
        return (xp.exp(self.logp) * row_scale + g_nll,)                      # dx = w (softmax - onehot) * scale


class MSELoss(Function):
    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, x, y):
        self.diff = x - y
        squares = self.diff * self.diff
        if self.reduction == "none":
            return squares
        return squares.sum() if self.reduction == "sum" else squares.mean()

    def backward(self, gy):
        scale = 2 / self.diff.size if self.reduction == "mean" else 2
        g = gy * self.diff * self.diff.dtype.type(scale)                   # d(x-y)^2/dx = 2 (x - y)
        return g, -g
