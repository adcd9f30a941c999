"""Linear layer op: y = x W^T + b."""
from __future__ import annotations

from ...autograd.function import Function


class LinearFunction(Function):
    torch_name = "AddmmBackward0"               # for a matrix input with a bias (see LINEAR_NAMES)
    saves_output = False                        # backward reads the inputs, not the output

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        y = x @ weight.T                        # y = x W^T
        if bias is not None:
            y += bias                           #     + b
        return y

    def backward(self, gy):
        x, w = self.x, self.weight
        gy2 = gy.reshape(-1, gy.shape[-1])
        gx = gy @ w if self.needs_grad(0) else None                                      # dL/dx = gy W
        gw = gy2.T @ x.reshape(-1, x.shape[-1]) if self.needs_grad(1) else None          # dL/dW = gy^T x
        gb = gy2.sum(axis=0) if len(self.inputs) > 2 and self.needs_grad(2) else None      # dL/db = sum of gy
        return gx, gw, gb

    @property
    def next_functions(self) -> tuple:
        """The input edges; for a matrix with a bias in the order of torch's addmm(bias, x, W^T): the bias
        first (torch reaches W through a transpose node, tinynn directly)."""
        edges = Function.next_functions.fget(self)
        return edges[2:] + edges[:2] if len(edges) == 3 and self.name() == "AddmmBackward0" else edges


# torch's node for linear, by (input dimensions (3: three or more), has a bias): addmm or mm for a matrix;
# a vector or a batch of matrices is reshaped around that product, and the reshape names the node
LINEAR_NAMES = {(2, True): "AddmmBackward0", (2, False): "MmBackward0", (1, True): "ViewBackward0",
                (1, False): "SqueezeBackward4", (3, True): "ViewBackward0", (3, False): "UnsafeViewBackward0"}
