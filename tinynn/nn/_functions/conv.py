"""2-D convolution as matrix products: im2col, or KH*KW shifted products for many channels.

im2col: every receptive field of the padded input becomes a column, read
through a strided *view* (no loops), so a convolution is
``weight (O, C*KH*KW) @ columns (C*KH*KW, OH*OW)``. Backward turns the
column gradients back into an image with KH*KW strided additions (col2im).

Shifted products (stride 1, one group, at least ``SHIFTED_MIN_CHANNELS``
input channels): lay channel c of all N padded images end to end in one row
(length N*Hp*Wp). Kernel offset (i, j) then reads, for every output pixel,
the element ``i*Wp + j`` further along that row, so its contribution to the
whole batch is one matrix product on a view, no im2col copy:
``W[:, :, i, j] (O, C) @ rows[:, off:off + N*Hp*Wp]``. The result has a value
for every padded position; those past OH x OW read across a row's or an
image's end and are dropped. Backward runs the same KH*KW products in reverse.
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
        """(i, j, how far kernel offset (i, j) reads ahead in a flattened padded image)."""
        (kh, kw), (dh, dw), wp = self.kernel, self.dilation, self.padded_hw[1]
        return [(i, j, i * dh * wp + j * dw) for i in range(kh) for j in range(kw)]

    def forward_shifted(self, x, weight, bias):
        xp = get_array_module(x)
        n, c, h, w = x.shape
        o, _, kh, kw = weight.shape
        oh, ow = self.out_hw
        top, bottom, left, right = self.pads
        hp, wp = h + top + bottom, w + left + right
        self.padded_hw, self.kernel = (hp, wp), (kh, kw)
        size = n * hp * wp                                                  # all padded images, end to end
        # rows: channel c of every padded image in one row, plus room for the largest offset
        self.rows = xp.zeros((c, size + self.offsets()[-1][2]), dtype=x.dtype)
        self.rows[:, :size].reshape(c, n, hp, wp)[:, :, top:top + h, left:left + w] = x.transpose(1, 0, 2, 3)
        self.w = xp.ascontiguousarray(weight.transpose(2, 3, 0, 1))         # (KH, KW, O, C)
        y = xp.zeros((o, size), dtype=x.dtype)
        product = xp.empty_like(y)
        for i, j, off in self.offsets():
            xp.matmul(self.w[i, j], self.rows[:, off:off + size], out=product)
            y += product                                                    # y += W_ij x shifted by (i, j)
        y = xp.ascontiguousarray(y.reshape(o, n, hp, wp)[:, :, :oh, :ow].transpose(1, 0, 2, 3))
        if bias is not None:
            y += bias.reshape(1, o, 1, 1)
        return y

    def backward_shifted(self, gy):
        xp = get_array_module(gy)
        n, o, oh, ow = gy.shape
        hp, wp = self.padded_hw
        size = n * hp * wp
        g = xp.zeros((o, n, hp, wp), dtype=gy.dtype)                         # zero at the dropped positions
        g[:, :, :oh, :ow] = gy.transpose(1, 0, 2, 3)
        g = g.reshape(o, size)
        gx = gw = gb = None
        if self.needs_grad(1):
            gw = xp.empty(self.w.shape, dtype=gy.dtype)                       # (KH, KW, O, C)
            for i, j, off in self.offsets():
                gw[i, j] = g @ self.rows[:, off:off + size].T                # dL/dW_ij = gy (x shifted by (i, j))^T
            gw = gw.transpose(2, 3, 0, 1)
        if len(self.inputs) > 2 and self.needs_grad(2):
            gb = gy.sum(axis=(0, 2, 3))                                      # dL/db = sum of gy
        if self.needs_grad(0):
            c = self.rows.shape[0]
            grows = xp.zeros(self.rows.shape, dtype=gy.dtype)
            product = xp.empty((c, size), dtype=gy.dtype)
            for i, j, off in self.offsets():
                xp.matmul(self.w[i, j].T, g, out=product)
                grows[:, off:off + size] += product                          # dL/dx shifted by (i, j) += W_ij^T gy
            top, bottom, left, right = self.pads
            gx = grows[:, :size].reshape(c, n, hp, wp)[:, :, top:hp - bottom, left:wp - right]
            gx = xp.ascontiguousarray(gx.transpose(1, 0, 2, 3))             # NCHW, as the ops before expect
        return gx, gw, gb
