"""The fast CPU max pooling: tiling windows on threads, and a backward that needs no argmax.

What max pooling computes is its reference, ``MaxPool2dFunction`` in
``tinynn/nn/_functions/pooling.py``: each window's maximum, and backward
sending gy to the window's first maximum (its last NaN, in a window holding
one). ``TiledMaxPool2d`` computes the same on the CPU without copying the
windows side by side:

- Forward, as KH*KW running maxima over strided slices of the input; when the
  windows tile the input (kernel == stride, no padding or dilation, nothing
  left over, as the seeds' 2x2 pooling), over each window's rows (whole image
  rows) and then its columns, in batch chunks on threads.
- Backward of tiling windows (``backward_tiled``): each input's gradient is gy
  where it equals its window's maximum, 0 elsewhere. When every window holds
  its maximum once, that is a few passes over whole arrays
  (``unique_max_gradient``); a chunk with a tie or a NaN takes
  ``first_max_gradient``, which keeps each window's first hit with a bit trick.
- Backward of other windows: KH*KW passes over strided slices, each claiming
  the windows whose maximum it holds first.

CuPy arrays, and empty inputs, take the reference (``super()``).
"""
from __future__ import annotations

import sys

import numpy as np

from .._device import get_array_module
from .._kernels import register_fast
from ..nn._functions.conv import pad2d, window_slice
from ..nn._functions.pooling import MaxPool2dFunction
from .threads import run_in_chunks


@register_fast(MaxPool2dFunction)
class TiledMaxPool2d(MaxPool2dFunction):
    """Max pooling on the CPU: tiling windows in chunks on threads, other windows by strided slices."""

    on_slices = False                           # did forward take these paths (else the reference's)?

    def _offsets(self):
        kh, kw = self.kernel
        return [window_slice(i, j, self.stride, self.dilation, self.out_hw)
                for i in range(kh) for j in range(kw)]

    def forward(self, x):
        xp = get_array_module(x)
        if xp is not np or x.size == 0:
            return super().forward(x)                                    # the GPU, an empty input: the reference
        self.on_slices = True
        (kh, kw), (oh, ow) = self.kernel, self.out_hw
        # tiling windows (kernel == stride, no padding or dilation, nothing left over):
        # every input element is in exactly one window, which backward_tiled exploits
        self.tiled = (self.stride == self.kernel and self.pads == (0, 0, 0, 0) and self.dilation == (1, 1)
                      and x.shape[2:] == (oh * kh, ow * kw))
        self.padded = pad2d(x, self.pads, value=-xp.inf)
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

        run_in_chunks(chunk, x)                                              # (in threads: see threads.py)
        return y

    def backward(self, gy):
        if not self.on_slices:
            return super().backward(gy)
        xp = get_array_module(gy)
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
        nothing.) The passes run only when some window is NaN.
        """
        xp = get_array_module(gy)
        if not xp.isnan(self.y).any():
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
        (or a NaN) goes to ``first_max_gradient`` instead.
        """
        n, c, oh, ow = gy.shape
        kh, kw = self.kernel
        gx = xp.empty((n, c, oh, kh, ow * kw), dtype=gy.dtype)       # (window row, offset i, image column)
        x = self.padded.reshape(gx.shape)

        def chunk(images):
            if not unique_max_gradient(x[images], self.y[images], gy[images], out=gx[images]):
                first_max_gradient(x[images], self.y[images], gy[images], out=gx[images])

        run_in_chunks(chunk, gx)
        return gx.reshape(self.padded.shape)


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
