"""Dropout: zero each element with probability p, scale the rest by 1/(1-p).

The same Function serves element dropout (a mask of the input's shape) and
channel dropout (``dropout2d``: a mask of shape (N, C, 1, 1), broadcast over
each feature map). Channel dropout's mask is small, so it is scaled once and
each element then costs one product; the products run on the batch chunks of
``_fast/threads.py``, as the other elementwise layers do.
"""
from __future__ import annotations

from ..._device import get_array_module
from ..._fast.threads import run_in_chunks
from ...autograd.function import Function


class Dropout(Function):
    torch_name = "MulBackward0"                 # torch's CPU dropout multiplies by the mask
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, mask, scale):
        self.mask, self.scale = mask, scale

    def forward(self, x):
        return self._times_mask(x)                                           # y = x * mask / (1 - p)

    def backward(self, gy):
        return (self._times_mask(gy),)                                       # dx = gy * mask / (1 - p)

    def _times_mask(self, a):
        """a * mask / (1 - p), chunk by chunk of the batch (the mask has the input's first axis)."""
        xp, scale = get_array_module(a), a.dtype.type(self.scale)
        small = self.mask.size < a.size
        factor = self.mask * scale if small else self.mask                   # channel dropout: scaled once
        out = xp.empty(a.shape, dtype=a.dtype)

        def chunk(rows):
            xp.multiply(a[rows], factor[rows], out=out[rows])
            if not small:
                out[rows] *= scale

        run_in_chunks(chunk, a)
        return out
