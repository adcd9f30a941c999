"""Matrix products split over threads: ``threaded_matmul``, and the MatMul and Linear ops that use it.

NumPy's BLAS runs on one thread here (see ``threads.py``), so a big product is
cut into blocks of rows (or of columns) and each thread multiplies its block.
The references (``a @ b`` in ``_ops/arithmetic.py``, ``x @ W^T + b`` in
``nn/_functions/linear.py``) run on CuPy arrays, where the GPU already runs
the product in parallel.
"""
from __future__ import annotations

import math

import numpy as np

from .._kernels import register_fast
from .._ops.arithmetic import MatMul, as_input_shapes, as_matrices
from ..nn._functions.linear import LinearFunction
from .threads import get_num_threads, run_parallel

# a product with fewer multiply-adds per thread than this runs on one thread
MIN_MACS_PER_THREAD = 1 << 25


def threaded_matmul(a, b):
    """``a @ b``, split over threads when the product is big enough.

    Each thread computes a block of the result's rows, or of its columns when
    ``b`` is the bigger operand: every thread reads all of the smaller operand
    and only its own part of the bigger one.
    """
    num_threads = get_num_threads()
    if not isinstance(a, np.ndarray) or a.ndim < 2 or b.ndim < 2 or num_threads == 1:
        return a @ b
    (m, k), n = a.shape[-2:], b.shape[-1]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (m, n)
    by_columns = n * b.shape[-2] > m * k
    threads = min(num_threads, math.prod(shape) * k // MIN_MACS_PER_THREAD, (n if by_columns else m) // 8)
    if threads <= 1:
        return a @ b
    out = np.empty(shape, dtype=np.result_type(a, b))
    length = n if by_columns else m
    bounds = [length * i // threads for i in range(threads + 1)]

    def block(part):
        if by_columns:
            np.matmul(a, b[..., part], out=out[..., part])
        else:
            np.matmul(a[..., part, :], b, out=out[..., part, :])

    run_parallel(block, [slice(lo, hi) for lo, hi in zip(bounds, bounds[1:])])
    return out


@register_fast(MatMul)
class ThreadedMatMul(MatMul):
    """``a @ b`` and its two gradient products, each split over threads (``threaded_matmul``)."""

    def forward(self, a, b):
        if not isinstance(a, np.ndarray):
            return super().forward(a, b)
        self.a, self.b = a, b
        return threaded_matmul(a, b)

    def backward(self, gy):
        if not isinstance(gy, np.ndarray):
            return super().backward(gy)
        a2, b2, g2 = as_matrices(self.a, self.b, gy)
        ga = threaded_matmul(g2, b2.swapaxes(-1, -2))   # d(ab)/da = gy b^T
        gb = threaded_matmul(a2.swapaxes(-1, -2), g2)   # d(ab)/db = a^T gy
        return as_input_shapes(ga, gb, self.a, self.b)


@register_fast(LinearFunction)
class ThreadedLinear(LinearFunction):
    """``x W^T + b`` and its gradients, the products split over threads (``threaded_matmul``)."""

    def forward(self, x, weight, bias=None):
        if not isinstance(x, np.ndarray):
            return super().forward(x, weight, bias)
        self.x, self.weight = x, weight
        y = threaded_matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        if not isinstance(gy, np.ndarray):
            return super().backward(gy)
        x, w = self.x, self.weight
        gy2 = gy.reshape(-1, gy.shape[-1])
        gx = threaded_matmul(gy, w) if self.needs_grad(0) else None                                 # dL/dx = gy W
        gw = threaded_matmul(gy2.T, x.reshape(-1, x.shape[-1])) if self.needs_grad(1) else None   # dL/dW = gy^T x
        gb = gy2.sum(axis=0) if len(self.inputs) > 2 and self.needs_grad(2) else None               # dL/db = sum of gy
        return gx, gw, gb
