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
        (kh, kw), (oh, ow) = self.kernel, self.out_hw
        # tiling windows (kernel == stride, no padding or dilation, nothing left over):
        # every input element is in exactly one window, which backward_tiled exploits
        self.tiled = (self.stride == self.kernel and self.pads == (0, 0, 0, 0) and self.dilation == (1, 1)
                      and x.shape[2:] == (oh * kh, ow * kw))
        self.padded = pad2d(x, self.pads, value=-xp.inf)
        views = [self.padded[:, :, r, c] for r, c in self._offsets()]
        y = views[0].copy()
        for v in views[1:]:
            xp.maximum(y, v, out=y)                                          # y = max over the window
        self.y = y
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        if self.tiled:
            return (self.backward_tiled(gy, xp),)
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


    def backward_tiled(self, gy, xp):
        """Windows tile the input: write each input's gradient once, gy at its window's first maximum, else 0."""
        n, c, oh, ow = gy.shape
        (kh, kw), x = self.kernel, self.padded
        gx = xp.empty((n, c, oh, kh, ow, kw), dtype=gy.dtype)   # (window row, offset i, window col, offset j)
        claimed = None                                          # windows whose maximum was already found
        for i in range(kh):
            for j in range(kw):
                hit = x[:, :, i::kh, j::kw] == self.y
                if claimed is not None:
                    xp.greater(hit, claimed, out=hit)           # hit and not claimed: first maximum only
                xp.multiply(gy, hit, out=gx[:, :, :, i, :, j])  # dx = gy where x is the window's first max
                claimed = hit if claimed is None else xp.logical_or(claimed, hit, out=claimed)
        return gx.reshape(x.shape)


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
