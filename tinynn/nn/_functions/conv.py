"""2-D convolution as matrix products: im2col, or KH*KW shifted products for many channels.

im2col: every receptive field of the padded input becomes a column, read
through a strided *view* (no loops), so a convolution is
``weight (O, C*KH*KW) @ columns (C*KH*KW, OH*OW)``. Backward turns the
column gradients back into an image with KH*KW strided additions (col2im).

Shifted products (stride 1, one group, at least ``SHIFTED_MIN_CHANNELS``
input channels): flatten each padded channel to one row of length Hp*Wp.
Kernel offset (i, j) then reads, for every output pixel, the element
``i*Wp + j`` further along that row, so its contribution to all outputs is
``W[:, :, i, j] (O, C) @ rows[:, off:off + OH*Wp] (C, OH*Wp)``: a plain
matrix product on a view, no im2col copy. The output comes out "wide"
(OH x Wp: the last Wp - OW columns of each row read across the row's end and
are dropped). Backward runs the same KH*KW products in reverse.
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


SHIFTED_MIN_CHANNELS = 8   # below this, K = C is too small for efficient products: use im2col


class Conv2d(Function):
    def __init__(self, stride, pads, dilation, groups, out_hw):
        self.stride, self.pads, self.dilation = stride, pads, dilation
        self.groups, self.out_hw = groups, out_hw
        self.shifted = False

    def forward(self, x, weight, bias=None):
        if self.stride == (1, 1) and self.groups == 1 and x.shape[1] >= SHIFTED_MIN_CHANNELS:
            self.shifted = True
            return self.forward_shifted(x, weight, bias)
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
        if self.shifted:
            return self.backward_shifted(gy)
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

    # ---------------------------------------------------------------- shifted products (stride 1)
    def offsets(self):
        """(i, j, where kernel offset (i, j) starts in a flattened padded channel)."""
        (kh, kw), (dh, dw), wp = self.kernel, self.dilation, self.padded_shape[3]
        return [(i, j, i * dh * wp + j * dw) for i in range(kh) for j in range(kw)]

    def forward_shifted(self, x, weight, bias):
        xp = get_array_module(x)
        n, c, h, w = x.shape
        o, _, kh, kw = weight.shape
        oh, ow = self.out_hw
        top, bottom, left, right = self.pads
        # one spare zero row at the bottom: the last offset's run of OH*Wp elements must fit
        padded = xp.zeros((n, c, h + top + bottom + 1, w + left + right), dtype=x.dtype)
        padded[:, :, top:top + h, left:left + w] = x
        self.padded_shape, self.kernel = padded.shape, (kh, kw)
        self.rows = padded.reshape(n, c, -1)                                # (N, C, Hp*Wp)
        self.w = xp.ascontiguousarray(weight.transpose(2, 3, 0, 1))         # (KH, KW, O, C)
        wide = oh * padded.shape[3]
        y = xp.zeros((n, o, wide), dtype=x.dtype)
        product = xp.empty_like(y)
        for i, j, off in self.offsets():
            xp.matmul(self.w[i, j], self.rows[:, :, off:off + wide], out=product)
            y += product                                                    # y += W_ij x shifted by (i, j)
        y = xp.ascontiguousarray(y.reshape(n, o, oh, -1)[:, :, :, :ow])
        if bias is not None:
            y += bias.reshape(1, o, 1, 1)
        return y

    def backward_shifted(self, gy):
        xp = get_array_module(gy)
        n, o, oh, ow = gy.shape
        wp = self.padded_shape[3]
        wide = oh * wp
        g = xp.zeros((n, o, oh, wp), dtype=gy.dtype)                         # zero in the dropped columns
        g[:, :, :, :ow] = gy
        g = g.reshape(n, o, wide)
        gx = gw = gb = None
        if self.needs_grad(1):
            gw = xp.empty(self.w.shape, dtype=gy.dtype)                       # (KH, KW, O, C)
            for i, j, off in self.offsets():
                # dL/dW_ij = sum over images of gy (x shifted by (i, j))^T
                gw[i, j] = (g @ self.rows[:, :, off:off + wide].swapaxes(1, 2)).sum(axis=0)
            gw = gw.transpose(2, 3, 0, 1)
        if len(self.inputs) > 2 and self.needs_grad(2):
            gb = gy.sum(axis=(0, 2, 3))                                      # dL/db = sum of gy
        if self.needs_grad(0):
            c = self.rows.shape[1]
            grows = xp.zeros(self.rows.shape, dtype=gy.dtype)
            product = xp.empty((n, c, wide), dtype=gy.dtype)
            for i, j, off in self.offsets():
                xp.matmul(self.w[i, j].T, g, out=product)
                grows[:, :, off:off + wide] += product                       # dL/dx shifted by (i, j) += W_ij^T gy
            top, bottom, left, right = self.pads
            hp = self.padded_shape[2] - 1
            gx = grows.reshape(self.padded_shape)[:, :, top:hp - bottom, left:wp - right]
        return gx, gw, gb
