"""Elementwise ops on the batch chunks of ``threads.py``: tanh, ReLU and dropout.

Each computes what its reference computes (``tanh``, ``max(x, 0)``,
``x * mask * scale``), chunk by chunk of the batch, on several threads when
the array is big enough (``batch_chunks``), writing into preallocated outputs
(``out=``) so that no temporary array is made. Elementwise results are
bit-identical to the reference's. CuPy arrays take the reference: the GPU
already runs each elementwise kernel in parallel.
"""
from __future__ import annotations

import numpy as np

from .._device import get_array_module
from .._kernels import register_fast
from .._ops.pointwise import ReluFunction, TanhFunction
from ..nn._functions.dropout import DropoutFunction
from .threads import run_in_chunks


@register_fast(TanhFunction)
class ThreadedTanh(TanhFunction):
    """tanh on the batch chunks, in threads; backward ``gy (1 - y^2)`` in place, with no temporaries."""

    def forward(self, x):
        if not isinstance(x, np.ndarray):
            return super().forward(x)
        self.y = y = np.empty_like(x)
        run_in_chunks(lambda rows: np.tanh(x[rows], out=y[rows]), x)
        return y

    def backward(self, gy):
        y = self.y
        if not isinstance(gy, np.ndarray):    # on the GPU: the same lines in one array, so two launches fewer
            xp = get_array_module(gy)
            g = y * y
            xp.subtract(1, g, out=g)
            g *= gy
            return (g,)                       # d(tanh x)/dx = 1 - tanh^2 x
        g = np.empty_like(y)

        def chunk(rows):                      # g = gy (1 - y y), in place
            np.multiply(y[rows], y[rows], out=g[rows])
            np.subtract(1, g[rows], out=g[rows])
            g[rows] *= gy[rows]

        run_in_chunks(chunk, y)
        return (g,)                           # d(tanh x)/dx = 1 - tanh^2 x


@register_fast(ReluFunction)
class ThreadedRelu(ReluFunction):
    """max(x, 0) and its mask ``x > 0`` on the batch chunks, in threads."""

    def forward(self, x):
        if not isinstance(x, np.ndarray):
            return super().forward(x)
        self.positive, y = np.empty(x.shape, dtype=bool), np.empty_like(x)

        def chunk(rows):                      # positive = x > 0; y = max(x, 0)
            np.greater(x[rows], 0, out=self.positive[rows])
            np.maximum(x[rows], 0, out=y[rows])

        run_in_chunks(chunk, x)
        return y

    def backward(self, gy):
        if not isinstance(gy, np.ndarray):
            return super().backward(gy)
        positive = self.positive
        g = np.empty_like(gy)
        run_in_chunks(lambda rows: np.multiply(gy[rows], positive[rows], out=g[rows]), gy)
        return (g,)                           # d(relu x)/dx = 1 if x > 0 else 0


@register_fast(DropoutFunction)
class ThreadedDropout(DropoutFunction):
    """``x * mask * scale`` on the batch chunks, in threads; channel dropout's small mask is scaled once."""

    def forward(self, x):
        if not isinstance(x, np.ndarray):
            return super().forward(x)
        return self._times_mask(x)                                           # y = x * mask / (1 - p)

    def backward(self, gy):
        if not isinstance(gy, np.ndarray):
            return super().backward(gy)
        return (self._times_mask(gy),)                                       # dx = gy * mask / (1 - p)

    def _times_mask(self, a):
        """a * mask / (1 - p), chunk by chunk of the batch (the mask has the input's first axis)."""
        scale = a.dtype.type(self.scale)
        small = self.mask.size < a.size
        factor = self.mask * scale if small else self.mask                   # channel dropout: scaled once
        out = np.empty(a.shape, dtype=a.dtype)

        def chunk(rows):
            np.multiply(a[rows], factor[rows], out=out[rows])
            if not small:
                out[rows] *= scale

        run_in_chunks(chunk, a)
        return out
