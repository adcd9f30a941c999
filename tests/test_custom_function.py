"""torch-style custom Functions: static forward(ctx, ...) / backward(ctx, ...) called through apply."""
import re

import numpy as np
import pytest

import tinynn
from tinynn.autograd import Function, gradcheck
from helpers import leaf


class Legendre3(Function):
    """P3(x) = (5x^3 - 3x) / 2, as in PyTorch's "Learning PyTorch with Examples"."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)     # dP3/dx = (15x^2 - 3) / 2


class ScaledBy(Function):
    """x * k for a number k; records which inputs want gradients."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k, ctx.seen = k, ctx.needs_input_grad
        return x * k

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.k, None


def test_apply_gives_values_gradients_and_a_named_node(device):
    x = leaf(np.linspace(-1, 1, 7), device)
    y = Legendre3.apply(x)
    np.testing.assert_allclose(y.detach().cpu().numpy(), 0.5 * (5 * np.linspace(-1, 1, 7) ** 3 - 3 * np.linspace(-1, 1, 7)))
    assert y.grad_fn.name() == "Legendre3Backward"                 # as torch's custom nodes
    assert re.fullmatch(r"<tinynn\.autograd\.function\.Legendre3Backward object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert gradcheck(Legendre3.apply, (x,))
    assert gradcheck(lambda t: ScaledBy.apply(t, 2.5) * t, (x,))


def test_ctx_knows_which_inputs_need_gradients_and_non_tensors_pass_through():
    x = tinynn.ones(3, requires_grad=True)
    y = ScaledBy.apply(x, 4.0)
    assert y.grad_fn.ctx.seen == (True, False)
    y.sum().backward()
    assert x.grad.tolist() == [4.0, 4.0, 4.0]
    with tinynn.no_grad():
        assert ScaledBy.apply(x, 2.0).grad_fn is None


def test_a_saved_tensor_changed_in_place_is_caught():
    x = tinynn.ones(3, requires_grad=True)
    h = x * 2
    y = Legendre3.apply(h)
    with tinynn.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_a_gradient_of_the_wrong_shape_is_refused():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g.sum()

    x = tinynn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
        Wrong.apply(x).sum().backward()


def test_same_gradients_as_torch():
    torch = pytest.importorskip("torch")
    values = np.linspace(-1.2, 0.9, 5)

    class TorchLegendre3(torch.autograd.Function):
        forward = staticmethod(Legendre3.forward)
        backward = staticmethod(Legendre3.backward)

    grads = []
    for lib, fn in ((tinynn, Legendre3), (torch, TorchLegendre3)):
        x = lib.tensor(values, requires_grad=True)
        (fn.apply(x * 2) ** 2).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
