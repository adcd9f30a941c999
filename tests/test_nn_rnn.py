"""Recurrent layers: RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU: the step formulas against NumPy, gradients
(through time) by gradcheck, parameter names/shapes/init, errors, and torch's layers on a copied state_dict."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynn
import tinynn.nn as nn
from tinynn.autograd import gradcheck
from helpers import host, leaf


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def numpy_params(cell):
    return [host(p) for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]


# ------------------------------------------------------------------ one step against the formulas
cell_sizes = st.fixed_dictionaries({"batch": st.integers(1, 3), "inp": st.integers(1, 3), "hidden": st.integers(1, 3),
                                    "seed": st.integers(0, 2**16)})


@given(sizes=cell_sizes, kind=st.sampled_from(["tanh", "relu", "lstm", "gru"]))
def test_cells_match_the_formulas_and_gradcheck(sizes, kind, device):
    b, i, h = sizes["batch"], sizes["inp"], sizes["hidden"]
    tinynn.manual_seed(sizes["seed"])
    cell = {"tanh": lambda: nn.RNNCell(i, h), "relu": lambda: nn.RNNCell(i, h, nonlinearity="relu"),
            "lstm": lambda: nn.LSTMCell(i, h), "gru": lambda: nn.GRUCell(i, h)}[kind]().double().to(device)
    rng = np.random.default_rng(sizes["seed"])
    x_np, h_np, c_np = rng.standard_normal((b, i)), rng.standard_normal((b, h)), rng.standard_normal((b, h))
    x, hx, cx = leaf(x_np, device), leaf(h_np, device), leaf(c_np, device)
    w_ih, w_hh, b_ih, b_hh = numpy_params(cell)
    gi, gh = x_np @ w_ih.T + b_ih, h_np @ w_hh.T + b_hh
    if kind == "lstm":
        ig, fg, gg, og = np.split(gi + gh, 4, axis=1)
        c_new = sigmoid(fg) * c_np + sigmoid(ig) * np.tanh(gg)
        expected = (sigmoid(og) * np.tanh(c_new), c_new)
        got = cell(x, (hx, cx))
        fn, inputs = (lambda a, p, q, *ps: cell(a, (p, q))), (x, hx, cx)
    else:
        if kind == "gru":
            r = sigmoid(gi[:, :h] + gh[:, :h])
            z = sigmoid(gi[:, h:2 * h] + gh[:, h:2 * h])
            n = np.tanh(gi[:, 2 * h:] + r * gh[:, 2 * h:])
            expected = ((1 - z) * n + z * h_np,)
        else:
            pre = gi + gh
            expected = (np.tanh(pre) if kind == "tanh" else np.maximum(pre, 0),)
        got = (cell(x, hx),)
        fn, inputs = (lambda a, p, *ps: cell(a, p)), (x, hx)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(host(g), e, rtol=1e-10, atol=1e-12)
    if kind == "relu" and np.any(np.abs(gi + gh) < 1e-4):
        return                  # relu's kink within reach of the finite differences
    assert gradcheck(fn, (*inputs, *cell.parameters()))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_cells_accept_unbatched_input_and_default_state(kind):
    cell = getattr(nn, kind + "Cell")(3, 2)
    x = tinynn.randn(3)
    out = cell(x)
    batched = cell(x.unsqueeze(0))
    if kind == "LSTM":
        assert out[0].shape == (2,) and out[1].shape == (2,)
        np.testing.assert_allclose(out[0].detach().numpy(), batched[0].detach().numpy()[0], rtol=1e-6)
    else:
        assert out.shape == (2,)
        np.testing.assert_allclose(out.detach().numpy(), batched.detach().numpy()[0], rtol=1e-6)


# ------------------------------------------------------------------ whole sequences: gradients through time
@pytest.mark.parametrize("config", [
    dict(mode="RNN", num_layers=2, bidirectional=True),
    dict(mode="RNN", nonlinearity="relu", batch_first=True),
    dict(mode="LSTM", num_layers=2, bidirectional=True, batch_first=True),
    dict(mode="LSTM", proj_size=1, bias=False),
    dict(mode="GRU", num_layers=2, bidirectional=True),
])
def test_sequence_layers_gradcheck(config, device):
    config = dict(config)
    mode = config.pop("mode")
    tinynn.manual_seed(0)
    layer = getattr(nn, mode)(2, 2, **config).double().to(device)
    rng = np.random.default_rng(1)
    shape = (2, 5, 2) if layer.batch_first else (5, 2, 2)
    x = leaf(rng.standard_normal(shape), device)
    num_states = layer.num_layers * (2 if layer.bidirectional else 1)
    h0 = leaf(rng.standard_normal((num_states, 2, layer.proj_size or 2)), device)
    if mode == "RNN" and layer.nonlinearity == "relu":
        x = leaf(np.abs(host(x)) + 0.5, device)          # positive pre-activations: no kink in reach
        with tinynn.no_grad():
            for p in layer.parameters():
                p.copy_(p.abs())
    if mode == "LSTM":
        c0 = leaf(rng.standard_normal((num_states, 2, 2)), device)
        fn, inputs = (lambda a, h, c, *ps: flat(layer(a, (h, c)))), (x, h0, c0)
    else:
        fn, inputs = (lambda a, h, *ps: layer(a, h)), (x, h0)
    assert gradcheck(fn, (*inputs, *layer.parameters()))


def flat(result):
    """(output, (h_n, c_n)) -> (output, h_n, c_n), for gradcheck."""
    output, (h_n, c_n) = result
    return output, h_n, c_n


def reference_lstm(x, h, c, params):
    """A one-layer unidirectional LSTM in NumPy, step by step."""
    w_ih, w_hh, b_ih, b_hh = params
    outs = []
    for x_t in x:
        ig, fg, gg, og = np.split(x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)
        c = sigmoid(fg) * c + sigmoid(ig) * np.tanh(gg)
        h = sigmoid(og) * np.tanh(c)
        outs.append(h)
    return np.stack(outs), h, c


def test_lstm_matches_a_numpy_loop_and_its_cell(device):
    tinynn.manual_seed(3)
    lstm = nn.LSTM(3, 4).double().to(device)
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((6, 2, 3))
    out, (h_n, c_n) = lstm(tinynn.tensor(x_np, device=device))
    params = [host(p) for p in lstm.all_weights[0]]
    ref_out, ref_h, ref_c = reference_lstm(x_np, np.zeros((2, 4)), np.zeros((2, 4)), params)
    np.testing.assert_allclose(host(out), ref_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(h_n)[0], ref_h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(c_n)[0], ref_c, rtol=1e-10, atol=1e-12)


def test_unbatched_input_equals_a_batch_of_one():
    for layer in (nn.GRU(3, 4, 2, bidirectional=True), nn.LSTM(3, 4, batch_first=True)):
        x = tinynn.randn(5, 3)
        out, state = layer(x)
        out_b, state_b = layer(x.unsqueeze(0 if layer.batch_first else 1))
        np.testing.assert_allclose(out.detach().numpy(), out_b.squeeze(0 if layer.batch_first else 1).detach().numpy(),
                                   rtol=1e-6)
        h, h_b = (state[0], state_b[0]) if isinstance(state, tuple) else (state, state_b)
        assert h.shape == (h_b.shape[0], h_b.shape[2])


def test_dropout_between_layers_only_in_training():
    tinynn.manual_seed(0)
    gru = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = tinynn.randn(4, 2, 3)
    plain = nn.GRU(3, 4, num_layers=2)
    plain.load_state_dict(gru.state_dict())
    gru.eval()
    np.testing.assert_allclose(gru(x)[0].detach().numpy(), plain(x)[0].detach().numpy(), rtol=1e-6)
    gru.train()
    tinynn.manual_seed(5)
    first = gru(x)[0].detach().numpy()
    tinynn.manual_seed(5)
    np.testing.assert_array_equal(gru(x)[0].detach().numpy(), first)
    assert not np.allclose(first, plain(x)[0].detach().numpy())


# ------------------------------------------------------------------ parameters, init, repr
def test_parameter_names_shapes_and_init():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    names = [f"{kind}_{part}_l{layer}{suffix}" for layer in range(2) for suffix in ("", "_reverse")
             for kind, part in (("weight", "ih"), ("weight", "hh"), ("bias", "ih"), ("bias", "hh"))]
    assert list(lstm.state_dict()) == names
    assert lstm.weight_ih_l0.shape == (20, 3) and lstm.weight_ih_l1.shape == (20, 10)
    assert lstm.weight_hh_l1_reverse.shape == (20, 5) and lstm.bias_hh_l0.shape == (20,)
    assert [len(w) for w in lstm.all_weights] == [4, 4, 4, 4]
    bound = 1 / math.sqrt(5)
    values = np.concatenate([p.detach().numpy().ravel() for p in lstm.parameters()])
    assert np.abs(values).max() <= bound and values.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    proj = nn.LSTM(3, 5, proj_size=2, bias=False)
    assert list(proj.state_dict()) == ["weight_ih_l0", "weight_hh_l0", "weight_hr_l0"]
    assert proj.weight_hh_l0.shape == (20, 2) and proj.weight_hr_l0.shape == (2, 5)
    assert list(nn.GRUCell(2, 3).state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert nn.GRUCell(2, 3).weight_ih.shape == (9, 2) and nn.RNNCell(2, 3, bias=False).bias_ih is None
    assert repr(nn.LSTM(3, 4, 2, batch_first=True, dropout=0.1, bidirectional=True, bias=False)) == \
        "LSTM(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.1, bidirectional=True)"
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert nn.RNN(3, 4, 1, "relu").mode == "RNN_RELU" and nn.GRU(3, 4).mode == "GRU"
    nn.LSTM(3, 4).flatten_parameters()


def test_argument_errors_as_torch():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'foo'. Select from 'tanh' or 'relu'."):
        nn.RNN(3, 4, nonlinearity="foo")
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.RNN(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.GRU(3, 0)
    with pytest.raises(TypeError, match="hidden_size should be of type int, got: float"):
        nn.GRU(3, 4.0)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    lstm = nn.LSTM(3, 4, 2)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        lstm(tinynn.zeros(1, 2, 3, 3))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 5"):
        lstm(tinynn.zeros(5, 2, 5))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 2, 4\), got \[1, 2, 4\]"):
        lstm(tinynn.zeros(5, 2, 3), (tinynn.zeros(1, 2, 4), tinynn.zeros(2, 2, 4)))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx and cx should also be 2-D"):
        lstm(tinynn.zeros(5, 3), (tinynn.zeros(2, 1, 4), tinynn.zeros(2, 1, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        nn.GRU(3, 4)(tinynn.zeros(5, 2, 3), tinynn.zeros(1, 3, 4))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        nn.RNN(3, 4)(tinynn.zeros(5, 2, 3), tinynn.zeros(1, 4))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        nn.RNN(3, 4)(tinynn.zeros(5, 2, 3, dtype=tinynn.float64))
    with pytest.raises(ValueError, match="RNNCell: Expected input to be 1D or 2D, got 3D instead"):
        nn.RNNCell(3, 4)(tinynn.zeros(1, 2, 3))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 expected 3"):
        nn.GRUCell(3, 4)(tinynn.zeros(2, 5))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        nn.RNNCell(3, 4)(tinynn.zeros(2, 3), tinynn.zeros(3, 4))
    with pytest.raises(RuntimeError, match="hidden0 has inconsistent hidden_size: got 5, expected 4"):
        nn.LSTMCell(3, 4)(tinynn.zeros(2, 3), (tinynn.zeros(2, 5), tinynn.zeros(2, 4)))
    with pytest.raises(RuntimeError, match="hidden0 has inconsistent hidden_size: got 1, expected 4"):
        nn.LSTMCell(3, 4)(tinynn.zeros(3), (tinynn.zeros(1, 4), tinynn.zeros(1, 4)))   # unbatched input, 2-D state
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: foo"):
        nn.RNNCell(3, 4, nonlinearity="foo")(tinynn.zeros(2, 3))


# ------------------------------------------------------------------ against torch (skipped without it)
TORCH_CONFIGS = [
    ("RNN", dict(num_layers=2, bidirectional=True)),
    ("RNN", dict(nonlinearity="relu", batch_first=True)),
    ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", dict(proj_size=2, num_layers=2)),
    ("GRU", dict(num_layers=2, bidirectional=True, bias=False)),
    ("GRU", dict(batch_first=True)),
]


@pytest.mark.parametrize("mode,config", TORCH_CONFIGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_sequence_layers_match_torch(mode, config, with_state):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, mode)(3, 4, **config).double()
    theirs = getattr(torch.nn, mode)(3, 4, **config).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(v.shape) for v in ours.state_dict().values()] == \
        [tuple(v.shape) for v in theirs.state_dict().values()]
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 6, 3) if ours.batch_first else (6, 2, 3))
    states = ours.num_layers * (2 if ours.bidirectional else 1)
    h0 = rng.standard_normal((states, 2, ours.proj_size or 4))
    c0 = rng.standard_normal((states, 2, 4))
    arrays = [x]
    if with_state:
        arrays += [h0, c0] if mode == "LSTM" else [h0]
    ours_in = [tinynn.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]

    def run(layer, inputs):
        if len(inputs) == 1:
            out, state = layer(inputs[0])
        else:
            out, state = layer(inputs[0], tuple(inputs[1:]) if mode == "LSTM" else inputs[1])
        return [out] + (list(state) if mode == "LSTM" else [state])

    got, expected = run(ours, ours_in), run(theirs, theirs_in)
    total, ref_total = 0, 0
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), rtol=1e-10, atol=1e-12)
        w = rng.standard_normal(tuple(e.shape))
        total = total + (g * tinynn.tensor(w)).sum()
        ref_total = ref_total + (e * torch.tensor(w)).sum()
    total.backward()
    ref_total.backward()
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(kind):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, kind)(3, 4).double(), getattr(torch.nn, kind)(3, 4).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(4).standard_normal((2, 3))
    out, ref = ours(tinynn.tensor(x)), theirs(torch.tensor(x))
    out, ref = (out, ref) if kind != "LSTMCell" else (out[0] + out[1], ref[0] + ref[1])
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
