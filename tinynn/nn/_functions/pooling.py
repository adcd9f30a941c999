"""Max and average pooling over 2-D windows, as KH*KW strided slices (no im2col copy)."""
from __future__ import annotations

from ..._device import get_array_module
from ...autograd.function import Function
from .conv import pad2d, window_slice


class MaxPool2d(Function):
    def __init__(self, kernel, stride, pads, dilation, out_hw):
        self.kernel, self.stride, self.pads = kernel, stride, pads
        self.dilation, self.out_hw = dilation, out_hw

    def _offsets(self):
        kh, kw = self.kernel
        return [window_slice(i, j, self.stride, self.dilation, self.out_hw)
                for i in range(kh) for j in range(kw)]

    def forward(self, x):
        xp = get_array_module(x)
        self.padded = pad2d(x, self.pads, value=-xp.inf)
        views = [self.padded[:, :, r, c] for r, c in self._offsets()]
        y = views[0].copy()
        for v in views[1:]:
            xp.maximum(y, v, out=y)                                          # y = max over the window
        self.y = y
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        gpad = xp.zeros(self.padded.shape, dtype=gy.dtype)
        unclaimed = xp.ones(gy.shape, dtype=bool)
        for r, c in self._offsets():
            # the gradient goes to the first maximum of each window (as torch)
            hit = (self.padded[:, :, r, c] == self.y) & unclaimed
            gpad[:, :, r, c] += gy * hit
            unclaimed &= ~hit
        top, bottom, left, right = self.pads
        h, w = gpad.shape[2:]
        return (gpad[:, :, top:h - bottom, left:w - right],)


class AvgPool2d(Function):
    def __init__(self, kernel, stride, pads, out_hw, divisor):
        self.kernel, self.stride, self.pads = kernel, stride, pads
        self.out_hw, self.divisor = out_hw, divisor

    def _offsets(self):
        kh, kw = self.kernel
        return [window_slice(i, j, self.stride, (1, 1), self.out_hw) for i in range(kh) for j in range(kw)]

    def forward(self, x):
        padded = pad2d(x, self.pads)
        self.padded_shape = padded.shape
        y = None
        for r, c in self._offsets():
            y = padded[:, :, r, c].copy() if y is None else y + padded[:, :, r, c]
        return y / y.dtype.type(self.divisor)                                # y = mean over the window

    def backward(self, gy):
        xp = get_array_module(gy)
        gpad = xp.zeros(self.padded_shape, dtype=gy.dtype)
        share = gy / gy.dtype.type(self.divisor)
        for r, c in self._offsets():
            gpad[:, :, r, c] += share                                        # each input gets gy / (KH*KW)
        top, bottom, left, right = self.pads
        h, w = gpad.shape[2:]
        return (gpad[:, :, top:h - bottom, left:w - right],)
