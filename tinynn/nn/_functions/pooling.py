"""Max and average pooling over 2-D windows, read through a strided view of the input.

The windows of the (padded) input are a strided view, (N, C, KH, KW, OH, OW),
as im2col reads a convolution's receptive fields (``windows`` in ``conv.py``).

Max pooling copies that view once, as (N, C, KH*KW, OH, OW), and takes the
maximum over the window axis. The derivative of a maximum is 1 for the input
that won and 0 for the others, so backward sends each ``gy`` to its window's
winner, as torch picks it: the first maximum (``argmax``), or, in a window
holding a NaN (which is then the maximum), its last NaN, as torch's
``val > max || isnan(val)`` does.

Average pooling sums each window and divides; each input of a window gets
``gy / divisor``.

The gradients go back into the padded input through the same view: in one
assignment where no two windows share an input (2x2 pooling, say), else one
strided addition per kernel offset. This is the reference kernel, and what runs
on the GPU; on the CPU, fast mode runs ``tinynn/_fast/pooling.py`` for max pooling.
"""
from __future__ import annotations

from ..._device import get_array_module
from ...autograd.function import Function
from .conv import pad2d, window_slice, windows


def windows_are_disjoint(kernel, stride, dilation) -> bool:
    """Does every input belong to one window at most (the stride at least the dilated kernel)?"""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    return sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1


class _Pool2d(Function):
    """What max and average pooling share: the windows, and handing each window's gradient to its inputs."""

    def window_view(self, padded, writeable: bool = False):
        """The windows of ``padded`` as a strided view (N, C, KH, KW, OH, OW): no copy."""
        return windows(padded, self.kernel, self.stride, self.dilation, self.out_hw, writeable)

    def input_gradient(self, gy, mask=None):
        """dL/dx when each window hands ``gy`` (N, C, OH, OW) to each of its inputs (only to those where
        ``mask`` (N, C, KH, KW, OH, OW) is True, when given): every input gets the sum of what its windows
        hand it, 0 outside every window; the padding is dropped."""
        xp = get_array_module(gy)
        kh, kw = self.kernel
        gpad = xp.zeros(self.padded_shape, dtype=gy.dtype)
        share = gy[:, :, None, None]                                     # (N, C, 1, 1, OH, OW)
        if windows_are_disjoint(self.kernel, self.stride, self.dilation):   # one window per input at most:
            view = self.window_view(gpad, writeable=True)                   # write them all through the view
            if mask is None:
                view[...] = share                                        # dx = its window's gy
            else:
                xp.multiply(mask, share, out=view)                       # dx = its window's gy where mask, else 0
        else:
            for i in range(kh):
                for j in range(kw):
                    rows, cols = window_slice(i, j, self.stride, self.dilation, self.out_hw)
                    gpad[:, :, rows, cols] += gy if mask is None else mask[:, :, i, j] * gy   # dx = sum over windows
        top, bottom, left, right = self.pads
        h, w = gpad.shape[2:]
        return gpad[:, :, top:h - bottom, left:w - right]


class MaxPool2dFunction(_Pool2d):
    """y = the maximum of each window; backward sends gy to the window's first maximum (see the module doc)."""

    torch_name = "MaxPool2DWithIndicesBackward0"
    saved_inputs, saves_output = (), False      # backward reads its copy of the windows

    def __init__(self, kernel, stride, pads, dilation, out_hw):
        self.kernel, self.stride, self.pads = kernel, stride, pads
        self.dilation, self.out_hw = dilation, out_hw

    def forward(self, x):
        xp = get_array_module(x)
        (kh, kw), (oh, ow) = self.kernel, self.out_hw
        padded = pad2d(x, self.pads, value=-xp.inf)
        self.padded_shape = padded.shape
        # the windows: (N, C, KH*KW, OH, OW), offset k of every window in one (OH, OW) plane; one copy of the view
        self.cols = xp.ascontiguousarray(self.window_view(padded)).reshape(*x.shape[:2], kh * kw, oh, ow)
        return self.cols.max(axis=2)                                     # y = max over the window (NaN if any)

    def backward(self, gy):
        xp = get_array_module(gy)
        kh, kw = self.kernel
        position = xp.arange(kh * kw).reshape(-1, 1, 1)
        won = self.cols.argmax(axis=2)                                   # the window's winner: its first maximum...
        last_nan = (xp.isnan(self.cols) * position).max(axis=2)          # ...or its last NaN, as torch picks (0: none)
        xp.maximum(won, last_nan, out=won)       # (argmax found a NaN of a window holding one: none after its last)
        mask = (won[:, :, None] == position).reshape(gy.shape[:2] + (kh, kw) + gy.shape[2:])   # one-hot over the window
        return (self.input_gradient(gy, mask),)                          # dx = gy at the winner (d max/dx = 1), else 0


class AvgPool2dFunction(_Pool2d):
    """y = the mean of each window (its sum over ``divisor``); each input of a window gets gy / divisor."""

    torch_name = "AvgPool2DBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output
    dilation = (1, 1)

    def __init__(self, kernel, stride, pads, out_hw, divisor):
        self.kernel, self.stride, self.pads = kernel, stride, pads
        self.out_hw, self.divisor = out_hw, divisor

    def forward(self, x):
        xp = get_array_module(x)
        padded = pad2d(x, self.pads)
        self.padded_shape = padded.shape
        y = self.window_view(padded).sum(axis=(2, 3))                     # the sum over each window
        in_place = y if y.dtype.kind in "fc" else None                   # (integers: a float mean)
        return xp.true_divide(y, y.dtype.type(self.divisor), out=in_place)    # y = mean over the window

    def backward(self, gy):
        return (self.input_gradient(gy / gy.dtype.type(self.divisor)),)  # each input of a window: gy / divisor
