"""Max and average pooling over 2-D windows, as KH*KW strided slices (no im2col copy)."""
from __future__ import annotations

import sys

import numpy as np

from ..._device import get_array_module
from ..._fast.threads import run_in_chunks
from ...autograd.function import Function
from .conv import pad2d, window_slice, windows


class MaxPool2d(Function):
    torch_name = "MaxPool2DWithIndicesBackward0"

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
                      and x.shape[2:] == (oh * kh, ow * kw) and x.size > 0)
        self.padded = pad2d(x, self.pads, value=-xp.inf)
        # on the GPU, windows that do not overlap take the gathered path (a few kernels in all)
        self.gathered = xp is not np and x.size > 0 and self.windows_are_disjoint()
        if self.gathered:
            self.y = self.forward_gathered(self.padded)
            return self.y
        if self.tiled:
            self.y = self.forward_tiled(self.padded)
            return self.y
        views = [self.padded[:, :, r, c] for r, c in self._offsets()]
        y = views[0].copy()
        for v in views[1:]:
            xp.maximum(y, v, out=y)                                          # y = max over the window
        self.y = y
        return y

    def forward_tiled(self, x):
        """Windows tile the input: the maximum over each window's rows (whole image rows), then its columns."""
        xp = get_array_module(x)
        (kh, kw), (oh, ow) = self.kernel, self.out_hw
        y = xp.empty((*x.shape[:2], oh, ow), dtype=x.dtype)

        def chunk(images):
            rows = x[images, :, 0::kh, :].copy()                             # (n, C, OH, W)
            for i in range(1, kh):
                xp.maximum(rows, x[images, :, i::kh, :], out=rows)           # max over the window's rows
            y[images] = rows[..., 0::kw]
            for j in range(1, kw):
                xp.maximum(y[images], rows[..., j::kw], out=y[images])       # then over its columns

        run_in_chunks(chunk, x)                                              # (in threads: see _fast/threads.py)
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        if self.gathered:
            return (self.backward_gathered(gy),)
        if self.tiled:
            gpad = self.backward_tiled(gy, xp)
            self.route_to_nans(gy, gpad)
            return (gpad,)
        gpad = xp.zeros(self.padded.shape, dtype=gy.dtype)
        unclaimed = xp.ones(gy.shape, dtype=bool)
        for r, c in self._offsets():
            # the gradient goes to the first maximum of each window (as torch)
            hit = (self.padded[:, :, r, c] == self.y) & unclaimed
            gpad[:, :, r, c] += gy * hit
            unclaimed &= ~hit
        self.route_to_nans(gy, gpad)
        top, bottom, left, right = self.pads
        h, w = gpad.shape[2:]
        return (gpad[:, :, top:h - bottom, left:w - right],)

    def route_to_nans(self, gy, gpad) -> None:
        """A window holding a NaN has NaN as its maximum; as torch, its gradient goes to its last NaN.

        (``x == y`` is never true for NaN, so the passes above gave such windows
        nothing.) On the CPU the passes run only when some window is NaN.
        """
        xp = get_array_module(gy)
        if xp is np and not np.isnan(self.y).any():
            return
        unclaimed = xp.isnan(self.y)
        for r, c in reversed(self._offsets()):
            hit = xp.isnan(self.padded[:, :, r, c]) & unclaimed
            gpad[:, :, r, c] += gy * hit                                     # dx = gy at the window's last NaN
            unclaimed &= ~hit

    def backward_tiled(self, gy, xp):
        """Windows tile the input: each input's gradient is gy at its window's first maximum, else 0.

        Usually each window holds its maximum once, and ``unique_max_gradient``
        needs only a few passes over whole arrays. A chunk of images with a tie
        (or a NaN), and any chunk on the GPU (where checking for ties would wait
        for the device), goes to ``first_max_gradient`` instead.
        """
        n, c, oh, ow = gy.shape
        kh, kw = self.kernel
        gx = xp.empty((n, c, oh, kh, ow * kw), dtype=gy.dtype)       # (window row, offset i, image column)
        x = self.padded.reshape(gx.shape)

        def chunk(images):
            if xp is not np or not unique_max_gradient(x[images], self.y[images], gy[images], out=gx[images]):
                first_max_gradient(x[images], self.y[images], gy[images], out=gx[images])

        run_in_chunks(chunk, gx)
        return gx.reshape(self.padded.shape)

    # ------------------------------------------------------ GPU: gathered windows
    # On a GPU each array operation is a kernel launch, and the per-offset passes above take
    # several per kernel offset (KH*KW). When no two windows share an input (stride >= the
    # dilated kernel: the usual 2x2 pooling), the GPU instead copies every window's values side
    # by side once and works on all of them together: 2 calls forward, 12 backward, whatever
    # the kernel size. Windows that overlap keep the passes above.
    def windows_are_disjoint(self) -> bool:
        """Does every input belong to one window at most?"""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        return sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1

    def gpu_windows(self, padded):
        """The windows of ``padded`` as a strided view (N, C, OH, OW, KH, KW) (writable on the GPU)."""
        return windows(padded, self.kernel, self.stride, self.dilation, self.out_hw).transpose(0, 1, 4, 5, 2, 3)

    def forward_gathered(self, padded):
        """GPU: the windows copied side by side, (N, C, OH, OW, KH*KW), and their maximum."""
        xp = get_array_module(padded)
        n, c, (oh, ow) = *padded.shape[:2], self.out_hw
        self.cols = xp.ascontiguousarray(self.gpu_windows(padded)).reshape(n, c, oh, ow, -1)
        return self.cols.max(axis=-1)                                        # y = max over the window (NaN if any)

    def backward_gathered(self, gy):
        """GPU: gy goes to each window's first maximum, or to its last NaN when it holds one (as torch)."""
        xp = get_array_module(gy)
        cols, k = self.cols, self.cols.shape[-1]
        position = xp.arange(k)
        # argmax gives each window's first maximum, or, in a window holding NaN, one of its NaNs
        # (NumPy the first, CuPy any): never after its last NaN, which the second argmax finds
        # (0 in a window without NaN). The later of the two is the one torch picks in every window.
        at = cols.argmax(axis=-1)
        last_nan = (xp.isnan(cols) * position).argmax(axis=-1)
        xp.maximum(at, last_nan, out=at)
        hit = at[..., None] == position                                      # one-hot over the window
        kh, kw = self.kernel
        # tiling windows cover every input once: nothing is left for zeros
        gpad = (xp.empty if self.tiled else xp.zeros)(self.padded.shape, dtype=gy.dtype)
        n, c, oh, ow = gy.shape
        xp.multiply(hit.reshape(n, c, oh, ow, kh, kw), gy[..., None, None],
                    out=self.gpu_windows(gpad))                              # dx = gy at the input picked, else 0
        top, bottom, left, right = self.pads
        h, w = gpad.shape[2:]
        return gpad[:, :, top:h - bottom, left:w - right]


def widen(a, kw):
    """Each value of ``a`` (m, C, OH, OW) repeated ``kw`` times along its rows: (m, C, OH, OW*KW)."""
    return get_array_module(a).stack([a] * kw, axis=-1).reshape(*a.shape[:3], -1)


def upsample_into(out, a) -> None:
    """Windows tile ``out`` (m, C, OH, KH, OW*KW): fill each window with its value in ``a`` (m, C, OH, OW)."""
    out[...] = widen(a, out.shape[-1] // a.shape[-1])[:, :, :, None, :]


def unique_max_gradient(x, y, gy, out) -> bool:
    """``out`` = gy at the input equal to its window's maximum, 0 elsewhere, for tiling windows
    (``x``, ``out``: (m, C, OH, KH, OW*KW); ``y``, ``gy``: (m, C, OH, OW)).

    Right when every window holds its maximum once; returns False (``out`` then
    holds garbage) when some window holds it more than once, or holds a NaN.
    """
    xp = get_array_module(x)
    upsample_into(out, y)
    hits = x == out
    # each window without NaN has at least one hit, so as many hits as windows means one each
    if int(xp.count_nonzero(hits)) != y.size or bool(xp.isnan(y).any()):
        return False
    upsample_into(out, gy)
    out *= hits                                                      # dx = gy at the window's maximum, else 0
    return True


def first_max_gradient(x, y, gy, out) -> None:
    """``out`` = gy at each window's first maximum (row by row), 0 elsewhere, for tiling windows
    (shapes as ``unique_max_gradient``), as torch breaks ties.

    Works one window row i at a time on whole image rows: ``hit`` marks the
    inputs of row i equal to their window's maximum, and the first hit of the
    first row that has one receives the gradient.
    """
    xp = get_array_module(x)
    kh, kw = x.shape[-2], x.shape[-1] // y.shape[-1]
    y_wide, gy_wide = widen(y, kw), widen(gy, kw)
    hit = xp.empty(y_wide.shape, dtype=bool)
    unclaimed = xp.ones(y.shape, dtype=bool)                         # windows whose maximum is not found yet
    for i in range(kh):
        xp.equal(x[:, :, :, i, :], y_wide, out=hit)
        first = first_hit_in_windows(hit, kw, unclaimed)             # also clears unclaimed where row i has a hit
        xp.multiply(gy_wide, first, out=out[:, :, :, i, :])          # dx = gy at the window's first max, else 0


# unsigned integers as wide as kw booleans: the flags of one window row read as one number
_FLAGS_AS_UINT = {2: "uint16", 4: "uint32", 8: "uint64"}


def first_hit_in_windows(hit, kw, unclaimed):
    """Keep, in each window of ``kw`` neighbouring flags of ``hit`` (..., OW*KW), only the first True,
    and only in windows still ``unclaimed`` (..., OW); windows with a hit are then marked claimed.
    """
    if kw in _FLAGS_AS_UINT and sys.byteorder == "little":
        flags = hit.view(_FLAGS_AS_UINT[kw])                 # one number per window, first flag in its lowest byte
        first = flags & (~flags + 1)                         # v & -v (two's complement) keeps the lowest set bit
        first *= unclaimed
        unclaimed &= flags == 0
        return first.view(bool)
    flags = hit.reshape(*unclaimed.shape, kw)
    first = flags & (flags.cumsum(axis=-1) == 1) & unclaimed[..., None]   # the hit that makes the count 1
    unclaimed &= ~flags.any(axis=-1)
    return first.reshape(hit.shape)


class AvgPool2d(Function):
    torch_name = "AvgPool2DBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, kernel, stride, pads, out_hw, divisor):
        self.kernel, self.stride, self.pads = kernel, stride, pads
        self.out_hw, self.divisor = out_hw, divisor

    def _offsets(self):
        kh, kw = self.kernel
        return [window_slice(i, j, self.stride, (1, 1), self.out_hw) for i in range(kh) for j in range(kw)]

    def forward(self, x):
        padded = pad2d(x, self.pads)
        self.padded_shape = padded.shape
        if get_array_module(x) is not np:
            return self.forward_gathered(padded)
        y = None
        for r, c in self._offsets():
            y = padded[:, :, r, c].copy() if y is None else y + padded[:, :, r, c]
        return y / y.dtype.type(self.divisor)                                # y = mean over the window

    def backward(self, gy):
        xp = get_array_module(gy)
        if xp is not np and self.windows_are_disjoint():
            return (self.backward_gathered(gy),)
        gpad = xp.zeros(self.padded_shape, dtype=gy.dtype)
        share = gy / gy.dtype.type(self.divisor)
        for r, c in self._offsets():
            gpad[:, :, r, c] += share                                        # each input gets gy / (KH*KW)
        top, bottom, left, right = self.pads
        h, w = gpad.shape[2:]
        return (gpad[:, :, top:h - bottom, left:w - right],)

    # ------------------------------------------------------ GPU: whole windows at once
    # As for max pooling: on a GPU one sum over a strided view of all windows, and, when no two
    # windows share an input, one assignment through that view for the gradient, instead of
    # KH*KW passes. (Windows that overlap keep the passes above for the gradient.)
    def windows_are_disjoint(self) -> bool:
        """Does every input belong to one window at most?"""
        (kh, kw), (sh, sw) = self.kernel, self.stride
        return sh >= kh and sw >= kw

    def window_view(self, padded):
        """The windows of ``padded`` as a strided view (N, C, OH, OW, KH, KW) (writable on the GPU)."""
        return windows(padded, self.kernel, self.stride, (1, 1), self.out_hw).transpose(0, 1, 4, 5, 2, 3)

    def forward_gathered(self, padded):
        """GPU: y = the sum over each window / divisor, in one reduction over the strided view."""
        xp = get_array_module(padded)
        y = self.window_view(padded).sum(axis=(4, 5))
        in_place = y if y.dtype.kind in "fc" else None                       # (integers: a float mean, as above)
        return xp.true_divide(y, y.dtype.type(self.divisor), out=in_place)    # y = mean over the window

    def backward_gathered(self, gy):
        """GPU: each input of a window gets gy / divisor (0 outside every window), in one assignment."""
        xp = get_array_module(gy)
        gpad = xp.zeros(self.padded_shape, dtype=gy.dtype)
        share = gy / gy.dtype.type(self.divisor)
        self.window_view(gpad)[...] = share[..., None, None]                 # each input gets gy / (KH*KW)
        top, bottom, left, right = self.pads
        h, w = gpad.shape[2:]
        return gpad[:, :, top:h - bottom, left:w - right]
