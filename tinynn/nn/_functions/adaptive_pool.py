"""Adaptive average and max pooling over (N, C, H, W): the output size is given, the windows follow.

Output row i covers input rows floor(i * H / OH) to ceil((i + 1) * H / OH)
(exclusive), as in torch; the same for columns. When OH divides H (and OW
divides W) the windows tile the input, and the pooling is a reshape to
(N, C, OH, H/OH, OW, W/OW) and a reduction.
"""
from __future__ import annotations

from ..._device import get_array_module
from ...autograd.function import Function


def window_bounds(size, out_size):
    """[(start, end)] of torch's adaptive windows along one axis of ``size``, ``out_size`` of them."""
    return [((i * size) // out_size, -(-((i + 1) * size) // out_size)) for i in range(out_size)]


def averaging_matrix(xp, size, out_size, dtype):
    """(out_size, size) matrix whose row i averages window i: y = A @ x averages along one axis."""
    i = xp.arange(out_size).reshape(-1, 1)
    j = xp.arange(size).reshape(1, -1)
    start, end = (i * size) // out_size, -(-((i + 1) * size) // out_size)
    inside = (j >= start) & (j < end)
    return (inside / (end - start)).astype(dtype)


def tiles(x_shape, out_hw):
    """True when the output size divides the input size along both axes (the windows tile the input)."""
    (h, w), (oh, ow) = x_shape[2:], out_hw
    return oh > 0 and ow > 0 and h % oh == 0 and w % ow == 0


class AdaptiveAvgPool2dFunction(Function):
    """The mean of each adaptive window: a reshape and a mean when the windows tile the input, else
    ``A_h x A_w^T`` with averaging matrices."""

    torch_name = "AdaptiveAvgPool2DBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, out_hw):
        self.out_hw = out_hw
        if tuple(out_hw) == (1, 1):
            self.torch_name = "MeanBackward1"           # torch averages to 1x1 with mean()

    def forward(self, x):
        xp = get_array_module(x)
        n, c, h, w = self.x_shape = x.shape
        oh, ow = self.out_hw
        self.tiled = tiles(x.shape, self.out_hw)
        if self.tiled:                                                   # mean over each (H/OH, W/OW) tile
            return x.reshape(n, c, oh, h // oh, ow, w // ow).mean(axis=(3, 5))
        # separable: average the rows of each window, then its columns: y = A_h x A_w^T
        self.a_h = averaging_matrix(xp, h, oh, x.dtype)
        self.a_w = averaging_matrix(xp, w, ow, x.dtype)
        return self.a_h @ (x @ self.a_w.T)

    def backward(self, gy):
        xp = get_array_module(gy)
        n, c, h, w = self.x_shape
        oh, ow = self.out_hw
        if self.tiled:
            kh, kw = h // oh, w // ow
            share = gy[:, :, :, None, :, None] / gy.dtype.type(kh * kw)   # dx = gy / (window size), spread over it
            return (xp.broadcast_to(share, (n, c, oh, kh, ow, kw)).reshape(self.x_shape),)
        return (self.a_h.T @ (gy @ self.a_w),)                           # dx = A_h^T gy A_w


class AdaptiveMaxPool2dFunction(Function):
    """The maximum of each adaptive window; ``self.indices`` (N, C, OH, OW): where, in the flattened H*W plane."""

    torch_name = "AdaptiveMaxPool2DBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, out_hw):
        self.out_hw = out_hw

    def forward(self, x):
        xp = get_array_module(x)
        n, c, h, w = self.x_shape = x.shape
        oh, ow = self.out_hw
        if tiles(x.shape, self.out_hw):
            kh, kw = h // oh, w // ow
            cells = x.reshape(n, c, oh, kh, ow, kw).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, kh * kw)
            at = cells.argmax(axis=-1)                                   # first maximum, in row-major order (torch)
            rows = xp.arange(oh).reshape(-1, 1) * kh + at // kw
            cols = xp.arange(ow) * kw + at % kw
        else:
            rows = xp.empty((n, c, oh, ow), dtype=xp.int64)
            cols = xp.empty((n, c, oh, ow), dtype=xp.int64)
            for i, (top, bottom) in enumerate(window_bounds(h, oh)):     # (a loop over output cells)
                for j, (left, right) in enumerate(window_bounds(w, ow)):
                    at = x[:, :, top:bottom, left:right].reshape(n, c, -1).argmax(axis=-1)
                    rows[:, :, i, j] = top + at // (right - left)
                    cols[:, :, i, j] = left + at % (right - left)
        self.indices = (rows * w + cols).astype(xp.int64)
        flat = x.reshape(n, c, h * w)
        return xp.take_along_axis(flat, self.indices.reshape(n, c, -1), axis=2).reshape(n, c, oh, ow)

    def backward(self, gy):
        xp = get_array_module(gy)
        n, c, h, w = self.x_shape
        # dx = gy at each window's maximum (summed where windows overlap), 0 elsewhere
        plane = xp.arange(n * c).reshape(n, c, 1, 1) * (h * w)
        gx = xp.bincount((self.indices + plane).reshape(-1), weights=gy.reshape(-1), minlength=n * c * h * w)
        return (gx.astype(gy.dtype, copy=False).reshape(self.x_shape),)
