"""The layers and losses of tinynn.nn: gradients (gradcheck through the Module API), init, behaviour."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynn
import tinynn.nn as nn
from tinynn.autograd import gradcheck

FEW = settings(max_examples=15, deadline=None)


def double_input(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return tinynn.from_numpy(rng.standard_normal(shape)).requires_grad_()


def check_layer(layer, x, *extra):
    """gradcheck w.r.t. the input and every parameter of ``layer`` (float64, through ``layer(x)``)."""
    layer.double()
    params = list(layer.parameters())
    assert all(p.dtype == np.float64 for p in params)
    assert gradcheck(lambda inp, *ps: layer(inp, *extra), (x, *params))


# ------------------------------------------------------------------ gradchecks
@FEW
@given(n=st.integers(1, 3), fin=st.integers(1, 4), fout=st.integers(1, 4), bias=st.booleans(),
       extra_dim=st.booleans())
def test_linear_gradcheck(n, fin, fout, bias, extra_dim):
    shape = (n, 2, fin) if extra_dim else (n, fin)
    check_layer(nn.Linear(fin, fout, bias=bias), double_input(*shape))


@FEW
@given(n=st.integers(1, 2), groups=st.sampled_from([1, 2]), cin=st.integers(1, 2), cout=st.integers(1, 2),
       k=st.sampled_from([1, 2, 3]), stride=st.sampled_from([1, 2]), padding=st.sampled_from([0, 1, "same", "valid"]),
       dilation=st.sampled_from([1, 2]), bias=st.booleans(), size=st.integers(4, 6))
def test_conv2d_gradcheck(n, groups, cin, cout, k, stride, padding, dilation, bias, size):
    if padding == "same":
        stride = 1
    size = max(size, dilation * (k - 1) + 1)        # the kernel must fit in the (unpadded) input
    layer = nn.Conv2d(cin * groups, cout * groups, k, stride=stride, padding=padding, dilation=dilation,
                      groups=groups, bias=bias)
    check_layer(layer, double_input(n, cin * groups, size, size + 1))


@FEW
@given(k=st.sampled_from([1, 2, 3]), stride=st.sampled_from([None, 1, 2]), padding=st.sampled_from([0, 1]),
       size=st.integers(3, 6), avg=st.booleans())
def test_pooling_gradcheck(k, stride, padding, size, avg):
    padding = min(padding, k // 2)
    layer = nn.AvgPool2d(k, stride, padding) if avg else nn.MaxPool2d(k, stride, padding)
    # distinct values so the maximum is never tied (finite differences would straddle a kink)
    rng = np.random.default_rng(size)
    x = tinynn.from_numpy(rng.permutation(2 * 2 * size * size).reshape(2, 2, size, size) / 7.0).requires_grad_()
    check_layer(layer, x)


@FEW
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       which=st.sampled_from(["Tanh", "Sigmoid", "ReLU", "Softmax", "LogSoftmax", "Identity"]))
def test_activation_gradcheck(shape, which):
    x = double_input(*shape, seed=len(shape))
    if which == "ReLU":   # keep away from the kink at 0
        with tinynn.no_grad():
            x.array[np.abs(x.array) < 1e-3] = 0.5
    layer = {"Softmax": lambda: nn.Softmax(dim=-1), "LogSoftmax": lambda: nn.LogSoftmax(dim=0)}.get(
        which, getattr(nn, which))()
    check_layer(layer, x)


@FEW
@given(shape=st.lists(st.integers(1, 3), min_size=2, max_size=4), start=st.integers(0, 1))
def test_flatten_gradcheck(shape, start):
    layer = nn.Flatten(start_dim=start)
    x = double_input(*shape)
    assert layer(x).shape == tuple(shape[:start]) + (int(np.prod(shape[start:])),)
    check_layer(layer, x)


def test_dropout_gradcheck_with_a_fixed_mask():
    layer = nn.Dropout(0.3).double()

    def with_fixed_seed(x):
        tinynn.manual_seed(5)
        return layer(x)

    assert gradcheck(with_fixed_seed, (double_input(4, 5),))


@FEW
@given(n=st.integers(1, 4), classes=st.integers(2, 4), reduction=st.sampled_from(["mean", "sum", "none"]),
       weighted=st.booleans(), ignore=st.booleans(), which=st.sampled_from(["nll", "ce"]))
def test_classification_loss_gradcheck(n, classes, reduction, weighted, ignore, which):
    rng = np.random.default_rng(n * 10 + classes)
    target = tinynn.from_numpy(rng.integers(0, classes, n))
    ignore_index = int(target.array[0]) if ignore and n > 1 else -100
    if ignore_index != -100:
        target.array[1:] = (ignore_index + 1) % classes        # keep at least one counted target
    weight = tinynn.from_numpy(rng.uniform(0.5, 2.0, classes)) if weighted else None
    cls = nn.NLLLoss if which == "nll" else nn.CrossEntropyLoss
    loss = cls(weight=weight, ignore_index=ignore_index, reduction=reduction)
    x = double_input(n, classes, seed=n)
    check_layer(loss, x, target)


@FEW
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), reduction=st.sampled_from(["mean", "sum", "none"]))
def test_mse_loss_gradcheck(shape, reduction):
    target = tinynn.from_numpy(np.random.default_rng(1).standard_normal(shape))
    check_layer(nn.MSELoss(reduction=reduction), double_input(*shape), target)


# --------------------------------------------------------------- initialisation
def test_parameters_are_float32_with_torchs_shapes():
    lin, conv = nn.Linear(5, 3), nn.Conv2d(4, 6, (3, 2), groups=2)
    assert lin.weight.shape == (3, 5) and lin.bias.shape == (3,)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias.shape == (6,)
    assert all(p.dtype == np.float32 for p in [*lin.parameters(), *conv.parameters()])
    assert nn.Linear(2, 2, dtype=tinynn.float64).weight.dtype == np.float64
    assert nn.Linear(2, 2, bias=False).bias is None


@pytest.mark.parametrize("make, fan_in", [
    (lambda: nn.Linear(1000, 400), 1000),
    (lambda: nn.Conv2d(16, 64, 3), 16 * 9),
    (lambda: nn.Conv2d(16, 64, 5, groups=4), 4 * 25),
])
def test_default_init_statistics(make, fan_in):
    tinynn.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.98 * bound                    # uniform over the whole range
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)
    assert abs(w.mean()) < 0.02 * bound


def test_init_statistics_match_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tinynn.manual_seed(0)
    for make in (lambda n: n.Linear(3072, 512), lambda n: n.Conv2d(3, 16, 3, padding=1)):
        ours, theirs = make(nn), make(torch.nn)
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q = q.detach().numpy()
            p = p.detach().numpy()
            assert p.shape == q.shape and p.dtype == q.dtype
            assert np.abs(p).max() == pytest.approx(np.abs(q).max(), rel=0.05)
            assert p.std() == pytest.approx(q.std(), rel=0.1)


def test_manual_seed_reproduces_init():
    tinynn.manual_seed(42)
    a = nn.Linear(8, 4)
    tinynn.manual_seed(42)
    b = nn.Linear(8, 4)
    c = nn.Linear(8, 4)
    assert np.array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    assert not np.array_equal(b.weight.detach().numpy(), c.weight.detach().numpy())


def test_init_functions():
    init = nn.init
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1 and init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    w = tinynn.empty(30, 20, 3, 3)
    assert init._calculate_fan_in_and_fan_out(w) == (180, 270)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(tinynn.empty(5))

    tinynn.manual_seed(0)
    big = tinynn.empty(400, 600)
    a = math.sqrt(6 / 1000)
    init.xavier_uniform_(big)
    assert np.abs(big.numpy()).max() <= a and big.numpy().std() == pytest.approx(a / math.sqrt(3), rel=0.03)
    init.xavier_normal_(big, gain=2.0)
    assert big.numpy().std() == pytest.approx(2 * math.sqrt(2 / 1000), rel=0.03)
    init.kaiming_normal_(big, mode="fan_out", nonlinearity="relu")
    assert big.numpy().std() == pytest.approx(math.sqrt(2 / 400), rel=0.03)
    init.kaiming_uniform_(big, nonlinearity="relu")
    assert np.abs(big.numpy()).max() <= math.sqrt(6 / 600)
    init.normal_(big, 3.0, 0.5)
    assert big.numpy().mean() == pytest.approx(3.0, abs=0.01)
    init.uniform_(big, -2, -1)
    assert big.numpy().min() >= -2 and big.numpy().max() <= -1
    init.constant_(big, 0.25)
    assert np.all(big.numpy() == 0.25)
    init.ones_(big)
    assert np.all(big.numpy() == 1)
    init.zeros_(big)
    assert np.all(big.numpy() == 0)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(big, mode="fan_avg")

    gen = tinynn.Generator().manual_seed(3)
    p = nn.Parameter(tinynn.empty(3, 3))
    init.uniform_(p, generator=gen)          # works on parameters (no graph is recorded)
    again = init.uniform_(tinynn.empty(3, 3), generator=tinynn.Generator().manual_seed(3))
    assert np.array_equal(p.detach().numpy(), again.numpy()) and p.requires_grad


# ------------------------------------------------------------------- behaviour
def test_layers_match_torch_numerically():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 9, 8)).astype(np.float32)
    configs = [dict(kernel_size=3), dict(kernel_size=3, padding="same", dilation=2),
               dict(kernel_size=(2, 3), stride=2, padding=(1, 0), groups=2, bias=False),
               dict(kernel_size=3, padding="valid"), dict(kernel_size=4, padding="same")]
    for cfg in configs:
        ours = nn.Conv2d(4, 6, **cfg)
        theirs = torch.nn.Conv2d(4, 6, **cfg)
        theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
        got = ours(tinynn.from_numpy(x)).detach().numpy()
        want = theirs(torch.from_numpy(x)).detach().numpy()
        assert got.shape == want.shape, cfg
        assert np.allclose(got, want, atol=1e-5), cfg
    for ours, theirs in [(nn.MaxPool2d(2), torch.nn.MaxPool2d(2)), (nn.AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1)),
                         (nn.MaxPool2d((2, 3), stride=1), torch.nn.MaxPool2d((2, 3), stride=1))]:
        assert np.allclose(ours(tinynn.from_numpy(x)).numpy(), theirs(torch.from_numpy(x)).numpy(), atol=1e-6)

    logits = rng.standard_normal((6, 3)).astype(np.float32)
    target = np.array([0, 2, 1, 1, 2, 0])
    weight = np.array([0.2, 1.0, 3.0], np.float32)
    for kwargs in [{}, dict(reduction="sum"), dict(reduction="none"), dict(ignore_index=1),
                   dict(weight="w"), dict(weight="w", ignore_index=2, reduction="mean")]:
        ours_kw = {k: (tinynn.from_numpy(weight) if v == "w" else v) for k, v in kwargs.items()}
        theirs_kw = {k: (torch.from_numpy(weight) if v == "w" else v) for k, v in kwargs.items()}
        got = nn.CrossEntropyLoss(**ours_kw)(tinynn.from_numpy(logits), tinynn.from_numpy(target))
        want = torch.nn.CrossEntropyLoss(**theirs_kw)(torch.from_numpy(logits), torch.from_numpy(target))
        assert np.allclose(got.detach().numpy(), want.numpy(), atol=1e-6), kwargs
        log_probs = nn.LogSoftmax(dim=1)(tinynn.from_numpy(logits))
        got = nn.NLLLoss(**ours_kw)(log_probs, tinynn.from_numpy(target))
        want = torch.nn.NLLLoss(**theirs_kw)(torch.log_softmax(torch.from_numpy(logits), 1), torch.from_numpy(target))
        assert np.allclose(got.detach().numpy(), want.numpy(), atol=1e-6), kwargs
    a, b = rng.standard_normal((2, 5)).astype(np.float32), rng.standard_normal((2, 5)).astype(np.float32)
    for reduction in ("mean", "sum", "none"):
        got = nn.MSELoss(reduction=reduction)(tinynn.from_numpy(a), tinynn.from_numpy(b)).numpy()
        want = torch.nn.MSELoss(reduction=reduction)(torch.from_numpy(a), torch.from_numpy(b)).numpy()
        assert np.allclose(got, want, atol=1e-6)


def test_loss_modules_keep_weight_as_a_buffer():
    loss = nn.CrossEntropyLoss(weight=tinynn.tensor([1.0, 2.0]))
    assert list(loss.state_dict()) == ["weight"]
    assert nn.CrossEntropyLoss().weight is None and list(nn.NLLLoss().state_dict()) == []
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MSELoss(size_average=False).reduction == "sum"


def test_dropout_in_train_and_eval():
    tinynn.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = tinynn.ones(200, 100)
    y = drop(x).numpy()
    kept = y != 0
    assert kept.mean() == pytest.approx(0.75, abs=0.01)
    assert np.allclose(y[kept], 1 / 0.75)
    drop.eval()
    assert np.array_equal(drop(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


def test_relu_inplace():
    x = tinynn.tensor([-1.0, 2.0])
    out = nn.ReLU(inplace=True)(x)
    assert out is x and x.tolist() == [0.0, 2.0]
    leaf = tinynn.tensor([-1.0, 2.0], requires_grad=True)
    y = leaf * 1
    out = nn.ReLU(inplace=True)(y)              # recording a graph: computed out of place, same values
    out.sum().backward()
    assert out.tolist() == [0.0, 2.0] and leaf.grad.tolist() == [0.0, 1.0]


def test_softmax_modules():
    x = tinynn.tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    assert np.allclose(nn.Softmax(dim=1)(x).sum(1).numpy(), 1.0)
    assert np.allclose(nn.Softmax(dim=0)(x).sum(0).numpy(), 1.0)
    assert np.allclose(nn.LogSoftmax(dim=1)(x).exp().numpy(), nn.Softmax(dim=1)(x).numpy(), atol=1e-6)
    assert np.allclose(nn.Softmax(dim=0)(tinynn.tensor([1.0, 2.0, 3.0])).numpy(), [0.0900, 0.2447, 0.6652], atol=1e-4)


def test_identity_and_flatten():
    x = tinynn.randn(2, 3, 4, 5)
    assert nn.Identity(54, unused=True)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)


def test_conv2d_argument_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match="not supported for strided convolutions"):
        nn.Conv2d(3, 6, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(3, 6, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode='reflect' is not implemented"):
        nn.Conv2d(3, 6, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        nn.Conv2d(3, 6, (3, 3, 3))
    conv = nn.Conv2d(3, 2, 3, padding="same")
    assert conv(tinynn.randn(1, 3, 7, 5)).shape == (1, 2, 7, 5)
    assert nn.Conv2d(3, 2, 3, padding="valid")(tinynn.randn(1, 3, 7, 5)).shape == (1, 2, 5, 3)


def test_pool_module_shapes():
    x = tinynn.randn(1, 3, 32, 32)
    assert nn.MaxPool2d(2)(x).shape == (1, 3, 16, 16)
    assert nn.MaxPool2d(3, stride=1, padding=1)(x).shape == (1, 3, 32, 32)
    assert nn.AvgPool2d(4)(x).shape == (1, 3, 8, 8)
