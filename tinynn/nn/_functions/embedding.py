"""Embedding lookup: rows of a (V, D) weight picked by integer indices; backward adds gy into those rows."""
from __future__ import annotations

from ..._device import get_array_module
from ..._ops.shape import _scatter_add
from ...autograd.function import Function


class EmbeddingFunction(Function):
    torch_name = "EmbeddingBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, indices, padding_idx=None, scale_grad_by_freq=False):
        self.indices, self.padding_idx, self.scale_grad_by_freq = indices, padding_idx, scale_grad_by_freq

    def forward(self, weight):
        self.weight_shape = weight.shape
        return weight[self.indices]                                      # y[...] = weight[indices[...]]

    def backward(self, gy):
        xp = get_array_module(gy)
        rows = self.indices.reshape(-1)
        gy2 = gy.reshape(rows.size, self.weight_shape[1])
        if self.scale_grad_by_freq:
            counts = xp.bincount(rows, minlength=self.weight_shape[0])
            gy2 = gy2 / counts[rows].reshape(-1, 1).astype(gy.dtype)      # each use weighs 1 / (uses in the batch)
        gw = xp.zeros(self.weight_shape, dtype=gy.dtype)
        _scatter_add(xp, gw, rows, gy2)                                  # dweight[i] = sum of gy where indices == i
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0                                     # the padding row never learns
        return (gw,)
