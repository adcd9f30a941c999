"""Softmax and log-softmax along one dimension, computed with the maximum subtracted."""
from __future__ import annotations

from ..._device import get_array_module


def stable_log_softmax(x, axis):
    """log(softmax(x)) = (x - m) - log(sum(exp(x - m))) with m = max(x): exp never overflows."""
    xp = get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


from ...autograd.function import Function  # noqa: E402


class Softmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, gy):
        y = self.y
        return (y * (gy - (gy * y).sum(axis=self.axis, keepdims=True)),)     # dx = y (gy - sum(gy y))


class LogSoftmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        self.y = stable_log_softmax(x, self.axis)
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return (gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True),)  # dx = gy - softmax * sum(gy)
