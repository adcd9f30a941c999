"""2-D convolution as one matrix product per image (im2col).

im2col: every receptive field of the padded input becomes a column, read
through a strided *view* (no loops), so a convolution is
``weight (O, C*KH*KW) @ columns (C*KH*KW, OH*OW)``. Backward turns the
column gradients back into an image with KH*KW strided additions (col2im).
"""
from __future__ import annotations

import numpy as np

from ..._device import get_array_module
from ...autograd.function import Function


def pad2d(x, pads, value=0.0):
    """Pad the last two axes by (top, bottom, left, right)."""
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return x
    xp = get_array_module(x)
    n, c, h, w = x.shape
    out = xp.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def windows(x, kernel, stride, dilation, out_hw):
    """A strided view (N, C, KH, KW, OH, OW) of the receptive fields of ``x`` (N, C, H, W)."""
    xp = get_array_module(x)
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    n_, c_, h_, w_ = x.strides
    shape = (x.shape[0], x.shape[1], kh, kw, oh, ow)
    strides = (n_, c_, h_ * dh, w_ * dw, h_ * sh, w_ * sw)
    if xp is np:
        return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(x, shape, strides)


def window_slice(i, j, stride, dilation, out_hw):
    """The (rows, cols) slices that kernel offset (i, j) reads from a padded input."""
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out_hw
    return (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


class Conv2d(Function):
    def __init__(self, stride, pads, dilation, groups, out_hw):
        self.stride, self.pads, self.dilation = stride, pads, dilation
        self.groups, self.out_hw = groups, out_hw

    def forward(self, x, weight, bias=None):
        xp = get_array_module(x)
        n, g = x.shape[0], self.groups
        o, cg, kh, kw = weight.shape
        oh, ow = self.out_hw
        padded = pad2d(x, self.pads)
        self.padded_shape = padded.shape
        # columns: (N, G, C/G*KH*KW, OH*OW), one copy of the strided view
        cols = windows(padded, (kh, kw), self.stride, self.dilation, self.out_hw)
        self.cols = xp.ascontiguousarray(cols).reshape(n, g, cg * kh * kw, oh * ow)
        self.w = weight.reshape(g, o // g, cg * kh * kw)
        y = (self.w @ self.cols).reshape(n, o, oh, ow)                     # y = W cols  (per image and group)
        if bias is not None:
            y += bias.reshape(1, o, 1, 1)
        self.kernel = (kh, kw)
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        n, o, oh, ow = gy.shape
        g = self.groups
        gy = gy.reshape(n, g, o // g, oh * ow)
        gx = gw = gb = None
        if self.needs_grad(1):
            # dL/dW = sum over images of gy cols^T
            gw = (gy @ self.cols.swapaxes(-1, -2)).sum(axis=0).reshape(self.inputs[1].shape)
        if len(self.inputs) > 2 and self.needs_grad(2):
            gb = gy.sum(axis=(0, 3)).reshape(o)                             # dL/db = sum of gy
        if self.needs_grad(0):
            gcols = self.w.transpose(0, 2, 1) @ gy                          # dL/dcols = W^T gy
            gx = self.col2im(gcols, xp)
        return gx, gw, gb

    def col2im(self, gcols, xp):
        """Add each column's gradient back to the pixels it was read from (KH*KW strided adds)."""
        n, c, hp, wp = self.padded_shape
        kh, kw = self.kernel
        gcols = gcols.reshape(n, c, kh, kw, *self.out_hw)
        gpad = xp.zeros(self.padded_shape, dtype=gcols.dtype)
        for i in range(kh):
            for j in range(kw):
                rows, cols = window_slice(i, j, self.stride, self.dilation, self.out_hw)
                gpad[:, :, rows, cols] += gcols[:, :, i, j]
        top, bottom, left, right = self.pads
        return gpad[:, :, top:hp - bottom, left:wp - right]
