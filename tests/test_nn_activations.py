"""The pointwise activations (LeakyReLU, ELU, GELU, SiLU, Softplus, Hardtanh, ReLU6, ...): values against NumPy
formulas, gradients against finite differences, in-place behaviour, reprs and torch (when installed)."""
import math
import warnings

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

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
_erf = np.vectorize(math.erf)


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def softplus(v):
    return np.log1p(np.exp(v))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

# name -> (tinynn function, NumPy reference, kinks to keep finite differences away from)
ACTIVATIONS = {
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.2), lambda v: np.where(v > 0, v, 0.2 * v), [0]),
    "elu": (lambda t: F.elu(t, 1.5), lambda v: np.where(v > 0, v, 1.5 * (np.exp(v) - 1)), [0]),
    "selu": (F.selu, lambda v: SELU_SCALE * np.where(v > 0, v, SELU_ALPHA * (np.exp(v) - 1)), [0]),
    "celu": (lambda t: F.celu(t, 0.7), lambda v: np.where(v > 0, v, 0.7 * (np.exp(v / 0.7) - 1)), [0]),
    "gelu": (F.gelu, lambda v: v * 0.5 * (1 + _erf(v / math.sqrt(2))), []),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"),
                  lambda v: 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3))), []),
    "silu": (F.silu, lambda v: v * sigmoid(v), []),
    "softplus": (lambda t: F.softplus(t, beta=2.0, threshold=3.0),
                 lambda v: np.where(2 * v > 3, v, np.log1p(np.exp(2 * v)) / 2), [1.5]),
    "hardtanh": (lambda t: F.hardtanh(t, -0.5, 0.8), lambda v: np.clip(v, -0.5, 0.8), [-0.5, 0.8]),
    "relu6": (lambda t: F.relu6(t * 4), lambda v: np.clip(v * 4, 0, 6), [0, 1.5]),
    "softsign": (F.softsign, lambda v: v / (1 + np.abs(v)), [0]),
    "hardswish": (lambda t: F.hardswish(t * 3), lambda v: 3 * v * np.clip(3 * v + 3, 0, 6) / 6, [-1, 1]),
    "hardsigmoid": (lambda t: F.hardsigmoid(t * 3), lambda v: np.clip(3 * v + 3, 0, 6) / 6, [-1, 1]),
    "mish": (F.mish, lambda v: v * np.tanh(softplus(v)), []),
    "logsigmoid": (F.logsigmoid, lambda v: np.log(sigmoid(v)), []),
    "tanhshrink": (F.tanhshrink, lambda v: v - np.tanh(v), []),
    "softmin": (lambda t: F.softmin(t, dim=-1), lambda v: np.exp(-v) / np.exp(-v).sum(-1, keepdims=True), []),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_activation_values_and_gradcheck(name, shape, seed, device):
    op, ref, kinks = ACTIVATIONS[name]
    v = np.random.default_rng(seed).standard_normal(shape) * 2
    for kink in kinks:                                   # finite differences across a kink are meaningless
        v = np.where(np.abs(v - kink) < 1e-3, kink + 0.5, v)
    x = leaf(v, device)
    np.testing.assert_allclose(host(op(x)), ref(v), rtol=1e-12, atol=1e-14)
    assert gradcheck(op, (x,))


@given(shape=hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=3), seed=st.integers(0, 2**16),
       per_channel=st.booleans())
def test_prelu_values_and_gradcheck(shape, seed, per_channel, device):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(shape)
    v = np.where(np.abs(v) < 1e-3, 0.5, v)
    channels = shape[1] if per_channel else 1
    w = rng.standard_normal(channels)
    x, weight = leaf(v, device), leaf(w, device)
    slope = w.reshape((1, -1) + (1,) * (len(shape) - 2)) if per_channel else w
    np.testing.assert_allclose(host(F.prelu(x, weight)), np.where(v > 0, v, slope * v), rtol=1e-12)
    assert gradcheck(F.prelu, (x, weight))


def test_extreme_inputs_stay_finite():
    x = tinynn.tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=tinynn.float64)
    for fn in (F.silu, F.softplus, F.mish, F.logsigmoid, F.gelu, F.elu, F.softsign, F.hardswish):
        y = fn(x)
        assert np.all(np.isfinite(y.numpy())), fn.__name__
    np.testing.assert_allclose(F.logsigmoid(x).numpy(), [-1000, -30, -math.log(2), -9.357622968839299e-14, 0],
                               rtol=1e-12)
    np.testing.assert_allclose(F.gelu(x).numpy(), [0, 0, 0, 30, 1000], atol=1e-12)


def test_inplace_behaviour_matches_relu():
    x = tinynn.tensor([-2.0, 0.5, 3.0])
    y = nn.LeakyReLU(0.1, inplace=True)(x)               # no graph recorded: in place, as torch
    assert y is x and x.tolist() == pytest.approx([-0.2, 0.5, 3.0])
    for make in (nn.ELU, nn.SiLU, nn.Hardtanh, nn.ReLU6, nn.Hardswish, nn.Hardsigmoid, nn.Mish, nn.SELU, nn.CELU):
        before = tinynn.tensor([-2.0, 0.5, 7.0])
        expected = make()(before.clone())
        assert make(inplace=True)(before) is before and np.allclose(before.numpy(), expected.numpy())
    leaf_ = tinynn.tensor([-2.0, 0.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        nn.LeakyReLU(0.1, inplace=True)(leaf_)                 # as torch
    hidden = leaf_ * 1                                         # while recording: in place, and gradients flow
    out = nn.LeakyReLU(0.1, inplace=True)(hidden)
    assert out is hidden and hidden.tolist() == pytest.approx([-0.2, 0.5])
    out.sum().backward()
    assert leaf_.grad.tolist() == pytest.approx([0.1, 1.0])
    with tinynn.no_grad():
        assert F.elu(leaf_, inplace=True) is leaf_


def test_argument_errors():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(tinynn.ones(2), approximate="fast")
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size. Found parameter "
                                           "numbers = 3 and channel size = 4."):
        nn.PReLU(3)(tinynn.ones(2, 4))
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val \(2\)"):
        nn.Hardtanh(2, 1)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(tinynn.ones(2), 2, 1)


def test_prelu_module_parameter():
    m = nn.PReLU(3, init=0.1)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [("weight", (3,))]
    assert m.weight.tolist() == pytest.approx([0.1] * 3) and m.weight.requires_grad
    y = m(tinynn.tensor([[-1.0, 2.0, -3.0]]))
    assert y.tolist()[0] == pytest.approx([-0.1, 2.0, -0.3])
    y.sum().backward()
    assert m.weight.grad.tolist() == pytest.approx([-1.0, 0.0, -3.0])


# ------------------------------------------------------------------------------ torch comparisons
MODULES = [
    lambda n: n.LeakyReLU(), lambda n: n.LeakyReLU(0.2, inplace=True), lambda n: n.ELU(), lambda n: n.ELU(2.0),
    lambda n: n.SELU(), lambda n: n.CELU(0.5), lambda n: n.GELU(), lambda n: n.GELU("tanh"), lambda n: n.SiLU(),
    lambda n: n.Softplus(), lambda n: n.Softplus(2, 1), lambda n: n.Hardtanh(), lambda n: n.Hardtanh(-2, 0.5),
    lambda n: n.ReLU6(), lambda n: n.ReLU6(inplace=True), lambda n: n.Softsign(), lambda n: n.Hardswish(),
    lambda n: n.Hardsigmoid(), lambda n: n.Mish(), lambda n: n.PReLU(), lambda n: n.PReLU(4, 0.1),
    lambda n: n.LogSigmoid(), lambda n: n.Tanhshrink(), lambda n: n.Softmin(dim=1), lambda n: n.SiLU(inplace=True),
    lambda n: n.Mish(inplace=True), lambda n: n.Hardswish(inplace=True), lambda n: n.ELU(inplace=True),
]


@pytest.mark.parametrize("index", range(len(MODULES)))
def test_activation_modules_match_torch(index):
    torch = pytest.importorskip("torch")
    ours, theirs = MODULES[index](nn), MODULES[index](torch.nn)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    theirs.double()
    ours.double()
    v = np.random.default_rng(index).standard_normal((3, 4, 5)) * 4
    v[0, 0, :3] = [-3.0, 0.0, 3.0]                                  # torch's sides at the kinks
    g = np.random.default_rng(index + 100).standard_normal((3, 4, 5))
    x, t = tinynn.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                              # (Softmin's implicit dim, in torch)
        y, z = ours(x.clone()), theirs(t.clone())                  # (torch modifies a non-leaf in place)
    y.backward(tinynn.tensor(g))
    z.backward(torch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-12, atol=1e-14)
    # (torch's hardsigmoid gradient uses 1/6 rounded to float32, even in float64)
    rtol = 1e-7 if isinstance(ours, nn.Hardsigmoid) else 1e-10
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-14)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10)
    v32 = v.astype(np.float32)                                        # float32 too (the default)
    y32 = MODULES[index](nn)(tinynn.tensor(v32))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.detach().numpy(), MODULES[index](torch.nn)(torch.tensor(v32)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
