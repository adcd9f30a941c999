"""Dropout: zero each element with probability p, scale the rest by 1/(1-p).

The same Function serves element dropout (a mask of the input's shape) and
channel dropout (``dropout2d``: a mask of shape (N, C, 1, 1), broadcast over
each feature map).
"""
from __future__ import annotations

from ...autograd.function import Function


class DropoutFunction(Function):
    torch_name = "MulBackward0"                 # torch's CPU dropout multiplies by the mask
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, mask, scale):
        self.mask, self.scale = mask, scale     # mask: True where an element (or a channel) is kept

    def forward(self, x):
        return x * self.mask * x.dtype.type(self.scale)                      # y = x * mask / (1 - p)

    def backward(self, gy):
        return (gy * self.mask * gy.dtype.type(self.scale),)                 # dx = gy * mask / (1 - p)
