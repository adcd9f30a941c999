"""2-D convolution as one matrix product: im2col.

A convolution slides a (C, KH, KW) filter over the padded input and, at each
output position, multiplies and adds. im2col turns that into one product:

1. every receptive field of the padded input becomes a column, read through a
   strided *view* of the input, (N, C, KH, KW, OH, OW), with no copy and no
   Python loop (``windows``); one copy of that view gives the columns
   ``cols`` (N, G, C/G*KH*KW, OH*OW), G being the groups;
2. the filters, reshaped to a matrix (G, O/G, C/G*KH*KW), multiply the
   columns: ``y = W cols + b``, one (batched) product for the whole batch.

So a convolution is a ``Linear`` applied to every receptive field with the same
weights, and its gradients are ``Linear``'s:

- ``dL/dW = gy cols^T``, summed over the images;
- ``dL/db`` = ``gy`` summed over the images and positions;
- ``dL/dx``: output p read input ``p*s + i*d`` through weight (i, j), so input
  q gathers ``gy`` from the outputs that read it: a convolution of ``gy``
  (with stride - 1 zeros put between its values, and padded by the kernel's
  reach) with the kernel flipped and its in/out channels swapped. It is im2col
  and one product again, of ``gy``'s columns this time
  (``input_gradient_as_convolution``).

This is the reference kernel, and what runs on the GPU, where its few big
operations (5 forward, 8 backward) suit a device that pays per kernel launch.
On the CPU, fast mode runs ``tinynn/_fast/conv.py`` instead: the same result
computed in batch chunks on threads, by shifted rows for stride 1.
"""
from __future__ import annotations

import math

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


def strided_view(x, shape, strides, writeable: bool = False):
    """A view of ``x``'s memory with the given shape and byte strides (NumPy or CuPy).

    Read-only on NumPy unless ``writeable`` (write through it only where no two
    of its elements share memory); CuPy's views are always writable.
    """
    xp = get_array_module(x)
    if xp is np:
        return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=writeable)
    return xp.lib.stride_tricks.as_strided(x, shape, strides)


def windows(x, kernel, stride, dilation, out_hw, writeable: bool = False):
    """A strided view (N, C, KH, KW, OH, OW) of the receptive fields of ``x`` (N, C, H, W)."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    n_, c_, h_, w_ = x.strides
    shape = (x.shape[0], x.shape[1], kh, kw, oh, ow)
    strides = (n_, c_, h_ * dh, w_ * dw, h_ * sh, w_ * sw)
    return strided_view(x, shape, strides, writeable)


def window_slice(i, j, stride, dilation, out_hw):
    """The (rows, cols) slices that kernel offset (i, j) reads from a padded input."""
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out_hw
    return (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


class Conv2dFunction(Function):
    """y = conv(x, W) + b: im2col and one product (see the module doc), on the CPU and the GPU."""

    torch_name = "ConvolutionBackward0"
    saves_output = False                        # backward reads the inputs, not the output

    def __init__(self, stride, pads, dilation, groups, out_hw):
        self.stride, self.pads, self.dilation = stride, pads, dilation
        self.groups, self.out_hw = groups, out_hw

    def forward(self, x, weight, bias=None):
        xp = get_array_module(x)
        n, o, g, (oh, ow) = x.shape[0], weight.shape[0], self.groups, self.out_hw
        self.bias, self.weight = bias, weight
        self.kernel = weight.shape[2:]
        fields = windows(pad2d(x, self.pads), self.kernel, self.stride, self.dilation, self.out_hw)
        k = math.prod(weight.shape[1:])                                   # column rows per group: C/G*KH*KW
        self.cols = xp.ascontiguousarray(fields).reshape(n, g, k, oh * ow)   # (N, G, C/G*KH*KW, OH*OW)
        y = weight.reshape(g, o // g, k) @ self.cols                     # y = W cols, per image and group
        y = y.reshape(n, o, oh, ow)
        if bias is not None:
            y += bias.reshape(-1, 1, 1)                                   # + b
        return y

    def backward(self, gy):
        weight = self.weight
        n, o, oh, ow = gy.shape
        g = self.groups
        gy_groups = gy.reshape(n, g, o // g, oh * ow)
        gw = gb = gx = None
        if self.needs_grad(1):                                            # dL/dW = sum over images of gy cols^T
            gw = (gy_groups @ self.cols.swapaxes(-1, -2)).reshape(n, *weight.shape).sum(axis=0)
        if self.bias_needs_grad():
            gb = gy.sum(axis=(0, 2, 3))                                   # dL/db = sum of gy
        if self.needs_grad(0):
            gx = self.input_gradient_as_convolution(gy, weight)           # dL/dx = conv(gy spread, W flipped)
        return gx, gw, gb

    def bias_needs_grad(self) -> bool:
        """Is there a bias, and does it want a gradient?"""
        return self.bias is not None and self.needs_grad(2)

    def input_gradient_as_convolution(self, gy, weight):
        """dL/dx[h] = sum_i gy_up[h + top - i*dh] W[i] (gy_up: gy with stride - 1 zeros between rows; the
        same for columns): a stride-1 convolution of gy_up, padded by the kernel's reach, with W
        flipped and its in/out channels swapped."""
        xp = get_array_module(gy)
        n, o, oh, ow = gy.shape
        _, c, h, w = self.inputs[0].shape
        g, (kh, kw), (sh, sw), (dh, dw) = self.groups, self.kernel, self.stride, self.dilation
        top, _, left, _ = self.pads
        reach_h, reach_w = dh * (kh - 1), dw * (kw - 1)
        # gy_full[q] = gy[r] at q = r*s + reach - top (rows falling outside read only padding: dropped)
        gy_full = xp.zeros((n, o, h + reach_h, w + reach_w), dtype=gy.dtype)
        rows, r = _spread(oh, sh, reach_h - top, h + reach_h)
        cols, cc = _spread(ow, sw, reach_w - left, w + reach_w)
        gy_full[:, :, rows, cols] = gy[:, :, r, cc]
        fields = windows(gy_full, self.kernel, (1, 1), self.dilation, (h, w))      # (N, O, KH, KW, H, W)
        gy_cols = xp.ascontiguousarray(fields).reshape(n, g, o // g * kh * kw, h * w)   # (N, G, O/G*KH*KW, H*W)
        # flipped[g, c, (o, i, j)] = W[g*O/G + o, c, KH-1-i, KW-1-j]
        flipped = weight.reshape(g, o // g, c // g, kh, kw)[:, :, :, ::-1, ::-1].transpose(0, 2, 1, 3, 4)
        gx = xp.ascontiguousarray(flipped).reshape(g, c // g, -1) @ gy_cols   # dL/dx = W_flip^T gy_full's columns
        return gx.reshape(n, c, h, w)


def _spread(count: int, stride: int, start: int, size: int) -> tuple[slice, slice]:
    """Values r = 0..count-1 placed at ``start + r*stride``: (the positions inside ``[0, size)``,
    the values that land there), as slices."""
    first = 0 if start >= 0 else (-start + stride - 1) // stride           # the first r at a position >= 0
    stop = 0 if start >= size else min(count, (size - start + stride - 1) // stride)   # the first r at >= size
    if stop <= first:
        return slice(0, 0), slice(0, 0)
    return slice(start + first * stride, start + (stop - 1) * stride + 1, stride), slice(first, stop)
