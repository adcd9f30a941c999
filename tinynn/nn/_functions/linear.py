"""Linear layer op: y = x W^T + b."""
from __future__ import annotations

from ..._parallel import matmul
from ...autograd.function import Function


class Linear(Function):
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        y = matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        x, w = self.x, self.weight
        gy2 = gy.reshape(-1, gy.shape[-1])
        gx = matmul(gy, w) if self.needs_grad(0) else None                                 # dL/dx = gy W
        gw = matmul(gy2.T, x.reshape(-1, x.shape[-1])) if self.needs_grad(1) else None   # dL/dW = gy^T x
        gb = gy2.sum(axis=0) if len(self.inputs) > 2 and self.needs_grad(2) else None      # dL/db = sum of gy
        return gx, gw, gb
