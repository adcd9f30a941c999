"""In-place changes: version counters catch a saved value changed before backward, and in-place ops on
tensors in a graph are recorded as torch records them."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.autograd import gradcheck
from helpers import host, leaf

MODIFIED = "modified by an inplace operation"


# ------------------------------------------------ a saved value changed in place: an error, not a wrong gradient
def test_an_input_changed_after_the_forward_pass_is_caught():
    w = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = tinynn.tensor([1.0, 2.0, 3.0])
    y = (w * x).sum()
    x.add_(10)
    with pytest.raises(RuntimeError, match=MODIFIED + r".*\[tinynn.FloatTensor \[3\]\].* is at version 1; "
                                           r"expected version 0"):
        y.backward()
    assert w.grad is None


def test_a_weight_changed_under_no_grad_is_caught():
    lin = nn.Linear(3, 2)
    inp = tinynn.ones(4, 3, requires_grad=True)
    out = lin(inp).sum()
    with tinynn.no_grad():
        lin.weight.mul_(0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        out.backward()


def test_a_saved_output_changed_is_caught():
    a = tinynn.ones(3, requires_grad=True)
    y = a.tanh()
    with tinynn.no_grad():
        y.zero_()
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_an_optimizer_step_between_forward_and_backward_is_caught():
    model = nn.Linear(3, 1)
    opt = tinynn.optim.SGD(model.parameters(), lr=0.1)
    loss = model(tinynn.ones(2, 3)).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_changing_a_view_bumps_its_base_and_detach_shares_the_version():
    x = tinynn.zeros(3)
    v, d = x[1:], x.detach()
    assert x._version == v._version == d._version == 0
    v.add_(1)
    d.mul_(2)
    x[0] = 5
    assert x._version == v._version == d._version == 3
    assert x.tolist() == [5.0, 2.0, 2.0]


def test_changes_that_backward_does_not_need_are_fine():
    a = tinynn.tensor([1.0, 2.0], requires_grad=True)
    b = tinynn.tensor([3.0, 4.0])
    y = (a + b).sum()                             # Add saves nothing
    b.add_(1)
    y.backward()
    assert a.grad.tolist() == [1.0, 1.0]


# ------------------------------------------------ in-place on tensors in a graph, as torch
def test_a_leaf_that_requires_grad_is_refused_while_recording_and_allowed_under_no_grad():
    w = tinynn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable"):
        w.relu_()
    with tinynn.no_grad():
        w.add_(1)
    assert w.tolist() == [2.0, 2.0, 2.0] and w.grad_fn is None and w.requires_grad


INPLACE_CASES = {
    "iadd": (lambda h, o: h.__iadd__(o), lambda h, o: h + o),
    "isub": (lambda h, o: h.__isub__(o), lambda h, o: h - o),
    "imul": (lambda h, o: h.__imul__(o), lambda h, o: h * o),
    "idiv": (lambda h, o: h.__itruediv__(o), lambda h, o: h / o),
    "add_alpha": (lambda h, o: h.add_(o, alpha=-2.5), lambda h, o: h - 2.5 * o),
    "addcmul": (lambda h, o: h.addcmul_(o, o, value=0.5), lambda h, o: h + 0.5 * o * o),
    "copy": (lambda h, o: h.copy_(o), lambda h, o: o * 1 + h * 0),
    "relu": (lambda h, o: h.relu_().mul_(o), lambda h, o: h.relu() * o),
    "tanh": (lambda h, o: h.tanh_().add_(o), lambda h, o: h.tanh() + o),
    "sigmoid": (lambda h, o: h.sigmoid_().mul_(o), lambda h, o: h.sigmoid() * o),
    "clamp": (lambda h, o: h.clamp_(-0.5, 0.5).mul_(o), lambda h, o: h.clamp(-0.5, 0.5) * o),
    "masked_fill": (lambda h, o: h.masked_fill_(o > 0, 0.25).add_(o),
                    lambda h, o: h.masked_fill(o > 0, 0.25) + o),
    "setitem": (lambda h, o: (h.__setitem__((0,), o[0] * 3), h)[1], None),
}


@pytest.mark.parametrize("name", sorted(INPLACE_CASES))
@given(shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16))
def test_inplace_ops_on_graph_tensors_give_the_out_of_place_values_and_gradients(name, shape, seed, device):
    rng = np.random.default_rng(seed)
    a = leaf(rng.standard_normal(shape), device)
    other = leaf(rng.uniform(0.5, 1.5, shape), device)
    inplace, out_of_place = INPLACE_CASES[name]

    def with_inplace(a, other):
        hidden = a * 1.5                          # a tensor in the graph, not a leaf
        result = inplace(hidden, other)
        assert result is hidden
        return hidden

    if out_of_place is not None:
        np.testing.assert_allclose(host(with_inplace(a, other)), host(out_of_place(a * 1.5, other)), rtol=1e-12)
    assert gradcheck(with_inplace, (a, other))


def test_a_residual_block_with_inplace_relu_and_add_trains_like_the_out_of_place_one():
    class Block(nn.Module):
        def __init__(self, inplace):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)
            self.conv2, self.bn2 = nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)
            self.relu, self.inplace = nn.ReLU(inplace=inplace), inplace

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.inplace:
                out += x                                        # torchvision's BasicBlock
            else:
                out = out + x
            return self.relu(out)

    tinynn.manual_seed(0)
    fast, plain = Block(True), Block(False)
    plain.load_state_dict(fast.state_dict())
    x = tinynn.randn(3, 4, 6, 6)
    for model in (fast, plain):
        model(x).square().mean().backward()
    for (name, p), q in zip(fast.named_parameters(), plain.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_torch_accepts_what_tinynn_accepts():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).standard_normal((3, 4))
    grads = []
    for lib in (tinynn, torch):
        a = lib.tensor(values, requires_grad=True)
        h = a * 2
        h[1] = h[0] * 3
        h += a
        h.clamp_(max=2.0)
        h.relu_()
        (h * a).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_a_view_changed_in_place_while_recording_is_refused():
    a = tinynn.ones(2, 3, requires_grad=True)
    h = a * 2
    with pytest.raises(RuntimeError, match="a view of another tensor"):
        h[0].add_(1)
    with pytest.raises(RuntimeError, match="a view of another tensor"):
        h.view(-1).relu_()
    view = tinynn.zeros(4, 3)[1:]                 # a leaf that views memory it does not own
    with pytest.raises(RuntimeError, match="a view of another tensor"):
        view.add_(a)


def test_a_view_of_a_changed_tensor_cannot_backward_with_stale_history():
    a = tinynn.ones(2, 3, requires_grad=True)
    h = a * 2
    v = h.view(-1)
    h.mul_(3)
    with pytest.raises(RuntimeError, match="a view .* is used after the tensor it views was changed in place"):
        v.sum().backward()
    with pytest.raises(RuntimeError, match="a view .* is used after the tensor it views was changed in place"):
        v.backward(tinynn.ones(6))


def test_inplace_functional_and_module_forms():
    a = tinynn.tensor([-1.0, 2.0], requires_grad=True)
    h = a * 1
    assert F.relu(h, inplace=True) is h and F.relu_(h) is h
    assert nn.ReLU(inplace=True)(h) is h and nn.Dropout(0.0, inplace=True)(h) is h
    h.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0]


# ------------------------------------------------ an empty batch goes through every layer
EMPTY_BATCH_LAYERS = [
    ("Linear", lambda nn: nn.Linear(5, 3), (0, 5)),
    ("Conv2d", lambda nn: nn.Conv2d(3, 4, 3, padding=1), (0, 3, 8, 8)),
    ("Conv2d narrowing", lambda nn: nn.Conv2d(16, 8, 3, padding=1), (0, 16, 8, 8)),
    ("Conv1d", lambda nn: nn.Conv1d(3, 4, 3), (0, 3, 8)),
    ("MaxPool2d", lambda nn: nn.MaxPool2d(2), (0, 3, 8, 8)),
    ("MaxPool2d padded", lambda nn: nn.MaxPool2d(3, 2, 1), (0, 3, 8, 8)),
    ("AvgPool2d", lambda nn: nn.AvgPool2d(2), (0, 3, 8, 8)),
    ("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d(1), (0, 3, 8, 8)),
    ("BatchNorm2d eval", lambda nn: nn.BatchNorm2d(3).eval(), (0, 3, 8, 8)),
    ("LayerNorm", lambda nn: nn.LayerNorm(5), (0, 5)),
    ("Dropout", lambda nn: nn.Dropout(0.5), (0, 5)),
    ("Dropout2d", lambda nn: nn.Dropout2d(0.5), (0, 3, 8, 8)),
    ("Tanh", lambda nn: nn.Tanh(), (0, 5)),
    ("ReLU", lambda nn: nn.ReLU(), (0, 5)),
    ("Flatten", lambda nn: nn.Flatten(), (0, 3, 8, 8)),
    ("LogSoftmax", lambda nn: nn.LogSoftmax(dim=1), (0, 5)),
    ("Embedding", lambda nn: nn.Embedding(10, 4), (0, 7)),
    ("LSTM", lambda nn: nn.LSTM(5, 4, batch_first=True), (0, 7, 5)),
]


@pytest.mark.parametrize("name, make, shape", EMPTY_BATCH_LAYERS, ids=[c[0] for c in EMPTY_BATCH_LAYERS])
def test_an_empty_batch_goes_through_every_layer(name, make, shape):
    layer = make(nn)
    if name == "Embedding":
        x = tinynn.zeros(*shape, dtype=tinynn.int64)
    else:
        x = tinynn.zeros(*shape, requires_grad=True)
    out = layer(x)
    out = out[0] if isinstance(out, tuple) else out
    out.sum().backward()
    for p in layer.parameters():
        assert p.grad is not None and p.grad.shape == p.shape and float(p.grad.abs().sum()) == 0
    torch = pytest.importorskip("torch")
    reference = make(torch.nn)
    t_in = torch.zeros(*shape, dtype=torch.int64) if name == "Embedding" else torch.zeros(*shape)
    t_out = reference(t_in)
    t_out = t_out[0] if isinstance(t_out, tuple) else t_out
    assert tuple(out.shape) == tuple(t_out.shape)
