"""The engine: accumulation, graph release, errors, deep graphs, grad modes."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import GradcheckError, gradcheck


def test_gradient_of_a_tensor_used_twice_accumulates():
    x = tinynn.tensor([2.0, 3.0], requires_grad=True)
    y = (x * x + x).sum()          # dy/dx = 2x + 1
    y.backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_gradients_accumulate_across_backward_calls_and_are_not_aliased():
    a = tinynn.tensor([1.0, 2.0], requires_grad=True)
    b = tinynn.tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()
    (a + b).sum().backward()
    assert a.grad.tolist() == [2.0, 2.0] and b.grad.tolist() == [2.0, 2.0]
    a.grad.zero_()                 # a and b received the same array from Add: must not be shared
    assert b.grad.tolist() == [2.0, 2.0]


def test_broadcasting_gradients_are_summed_back_to_the_input_shape():
    x = tinynn.ones(3, 1, requires_grad=True)
    b = tinynn.ones(4, requires_grad=True)
    (x * b).sum().backward()
    assert x.grad.shape == (3, 1) and x.grad.tolist() == [[4.0]] * 3
    assert b.grad.shape == (4,) and b.grad.tolist() == [3.0] * 4


def test_second_backward_through_a_released_graph_raises():
    x = tinynn.tensor([1.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = tinynn.tensor([1.0], requires_grad=True)
    y = (x * 3).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 6.0


def test_backward_on_non_scalar_needs_a_gradient():
    x = tinynn.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(tinynn.tensor([1.0, 2.0, 3.0]))
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_backward_without_grad_raises_torchs_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tinynn.ones(2).sum().backward()


def test_ten_thousand_node_graph_has_no_recursion_limit():
    x = tinynn.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-3)


def test_no_grad_context_and_decorator():
    x = tinynn.ones(2, requires_grad=True)
    with tinynn.no_grad():
        assert not tinynn.is_grad_enabled()
        y = x * 2
        with tinynn.enable_grad():
            z = x * 2
    assert tinynn.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad

    @tinynn.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad and tinynn.is_grad_enabled()
    with tinynn.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tinynn.is_grad_enabled()


def test_retain_grad_and_leaves():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    out = (h * h).sum()
    out.backward()
    assert x.is_leaf and not h.is_leaf and h.retains_grad
    assert h.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]


def test_detach_and_requires_grad_rules():
    x = tinynn.ones(2, requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    with pytest.raises(RuntimeError, match="floating point"):
        tinynn.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x += 1
    with tinynn.no_grad():
        x -= 1
    assert x.tolist() == [0.0, 0.0]


def test_max_dim_gradient_goes_to_the_argmax():
    x = tinynn.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    values.sum().backward()
    assert indices.tolist() == [1, 0]
    assert x.grad.tolist() == [[0, 1, 0], [1, 0, 0]]


def test_gradcheck_catches_a_wrong_backward_and_names_the_element():
    class WrongSquare(tinynn.autograd.Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, gy):
            return (gy * self.x,)          # should be 2x

    x = tinynn.tensor([[0.5, -1.0]], dtype=tinynn.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0 .* element \(0, 0\)"):
        gradcheck(lambda t: WrongSquare()(t), (x,))
    assert gradcheck(lambda t: WrongSquare()(t), (x,), raise_exception=False) is False
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda t: t * 2, (tinynn.ones(2, requires_grad=True),))


def test_grad_fn_names_and_next_functions():
    x = tinynn.ones(2, 3, requires_grad=True)
    w = tinynn.ones(4, 3, requires_grad=True)
    y = tinynn.nn.functional.linear(x, w).tanh().sum()
    assert y.grad_fn.name() == "SumBackward0"                      # torch's names
    assert y.grad_fn.next_functions[0][0].name() == "TanhBackward0"
    assert y.grad_fn.next_functions[0][0].next_functions[0][0].name() == "MmBackward0"   # linear without bias


def test_in_place_on_plain_tensors_and_setitem():
    x = tinynn.zeros(3)
    x[1] = 5
    x.add_(1).mul_(2)
    assert x.tolist() == [2.0, 12.0, 2.0]
    x[x > 3] = 0
    assert x.tolist() == [2.0, 0.0, 2.0]
    x.copy_(tinynn.tensor([1.0, 2.0, 3.0]))
    assert x.tolist() == [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(x.clone().numpy(), x.numpy())
