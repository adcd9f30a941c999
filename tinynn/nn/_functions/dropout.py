"""Dropout: zero each element with probability p, scale the rest by 1/(1-p)."""
from __future__ import annotations

from ...autograd.function import Function


class Dropout(Function):
    torch_name = "MulBackward0"                 # torch's CPU dropout multiplies by the mask
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, mask, scale):
        self.mask, self.scale = mask, scale

    def forward(self, x):
        return x * self.mask * x.dtype.type(self.scale)

    def backward(self, gy):
        return (gy * self.mask * gy.dtype.type(self.scale),)                # dx = gy * mask / (1 - p)
