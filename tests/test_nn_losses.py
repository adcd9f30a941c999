"""Losses: L1, smooth L1, Huber, BCE, BCE with logits, KL divergence, cross-entropy's label smoothing and
probability targets: values against NumPy formulas, gradients by gradcheck, and torch for the exact formulas."""
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
reductions = st.sampled_from(["none", "mean", "sum"])


def reduce(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def away_from(values, kinks, margin=1e-2):
    """Move values that sit within ``margin`` of a kink (where the loss is not differentiable) to 0.5 past it."""
    for k in kinks:
        values = np.where(np.abs(values - k) < margin, k + 0.5, values)
    return values


# ------------------------------------------------------------------ regression losses
@given(shape=shapes, reduction=reductions, seed=st.integers(0, 2**16))
def test_l1_loss(shape, reduction, seed, device):
    rng = np.random.default_rng(seed)
    y_np = rng.standard_normal(shape)
    x_np = y_np + away_from(rng.standard_normal(shape), [0.0])
    x, y = leaf(x_np, device), leaf(y_np, device)
    np.testing.assert_allclose(host(F.l1_loss(x, y, reduction=reduction)), reduce(np.abs(x_np - y_np), reduction),
                               rtol=1e-12)
    assert gradcheck(lambda a, b: F.l1_loss(a, b, reduction=reduction), (x, y))
    np.testing.assert_allclose(host(nn.L1Loss(reduction=reduction)(x, y)), host(F.l1_loss(x, y, reduction=reduction)))


@given(shape=shapes, reduction=reductions, beta=st.sampled_from([0.0, 0.5, 1.0, 2.0]), seed=st.integers(0, 2**16))
def test_smooth_l1_and_huber(shape, reduction, beta, seed, device):
    rng = np.random.default_rng(seed)
    y_np = rng.standard_normal(shape)
    d = away_from(2 * rng.standard_normal(shape), [0.0, beta, -beta])
    x_np = y_np + d
    x, y = leaf(x_np, device), leaf(y_np, device)
    a = np.abs(d)
    smooth = a if beta == 0 else np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)
    got = F.smooth_l1_loss(x, y, reduction=reduction, beta=beta)
    np.testing.assert_allclose(host(got), reduce(smooth, reduction), rtol=1e-12)
    assert gradcheck(lambda p, q: F.smooth_l1_loss(p, q, reduction=reduction, beta=beta), (x, y))
    if beta > 0:
        huber = np.where(a < beta, 0.5 * d * d, beta * (a - 0.5 * beta))
        np.testing.assert_allclose(host(F.huber_loss(x, y, reduction=reduction, delta=beta)),
                                   reduce(huber, reduction), rtol=1e-12)
        np.testing.assert_allclose(host(nn.HuberLoss(reduction, beta)(x, y)), beta * host(got), rtol=1e-12)
        assert gradcheck(lambda p, q: F.huber_loss(p, q, reduction=reduction, delta=beta), (x, y))


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_elementwise_weight_argument(name, reduction, device):
    rng = np.random.default_rng(3)
    x, y = leaf(rng.standard_normal((3, 4)), device), leaf(rng.standard_normal((3, 4)), device)
    w_np = rng.random((3, 4)) + 0.1
    w = tinynn.tensor(w_np, device=device)
    fn = getattr(F, name)
    loss = host(fn(x, y, reduction="none")) * w_np
    expected = {"none": loss, "sum": loss.sum(),
                "mean": loss.mean() if name == "huber_loss" else loss.sum() / w_np.sum()}[reduction]
    np.testing.assert_allclose(host(fn(x, y, reduction=reduction, weight=w)), expected, rtol=1e-12)
    assert gradcheck(lambda a, b: fn(a, b, reduction=reduction, weight=w), (x, y))
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        fn(x, y, weight=tinynn.ones(4, dtype=tinynn.float64, device=device))


def test_regression_losses_warn_and_broadcast_on_size_mismatch():
    x, y = tinynn.zeros(2, 3), tinynn.ones(3)
    for fn in (F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.mse_loss):
        with pytest.warns(UserWarning, match="Using a target size .* different to the input size"):
            out = fn(x, y, reduction="none")
        assert out.shape == (2, 3)
    with pytest.raises(RuntimeError, match="cannot be broadcast"), pytest.warns(UserWarning):
        F.l1_loss(tinynn.zeros(2, 3), tinynn.zeros(4))


def test_regression_loss_argument_errors():
    x = tinynn.zeros(2, 3)
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values for delta"):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.l1_loss(x, x, reduction="foo")
    with pytest.warns(UserWarning, match="reduction='sum' instead"):
        assert F.l1_loss(x, x + 1, size_average=False).item() == 6.0


# ------------------------------------------------------------------ binary cross-entropy
@given(shape=shapes, reduction=reductions, weighted=st.booleans(), seed=st.integers(0, 2**16))
def test_binary_cross_entropy(shape, reduction, weighted, seed, device):
    rng = np.random.default_rng(seed)
    p_np = rng.uniform(0.05, 0.95, shape)
    y_np = rng.uniform(0, 1, shape)
    w_np = rng.uniform(0.5, 2, shape[-1:]) if weighted else None
    p, y = leaf(p_np, device), leaf(y_np, device)
    w = tinynn.tensor(w_np, device=device) if weighted else None
    loss = -(y_np * np.log(p_np) + (1 - y_np) * np.log(1 - p_np)) * (1 if w_np is None else w_np)
    np.testing.assert_allclose(host(F.binary_cross_entropy(p, y, w, reduction=reduction)),
                               reduce(loss, reduction), rtol=1e-12)
    np.testing.assert_allclose(host(nn.BCELoss(w, reduction=reduction)(p, y)), reduce(loss, reduction), rtol=1e-12)
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, w, reduction=reduction), (p, y))


@given(shape=shapes, reduction=reductions, weighted=st.booleans(), pos=st.booleans(), seed=st.integers(0, 2**16))
def test_binary_cross_entropy_with_logits(shape, reduction, weighted, pos, seed, device):
    rng = np.random.default_rng(seed)
    x_np = 3 * rng.standard_normal(shape)
    y_np = rng.uniform(0, 1, shape)
    w_np = rng.uniform(0.5, 2, shape) if weighted else None
    pw_np = rng.uniform(0.5, 3, shape[-1:]) if pos else None
    x, y = leaf(x_np, device), leaf(y_np, device)
    w = tinynn.tensor(w_np, device=device) if weighted else None
    pw = tinynn.tensor(pw_np, device=device) if pos else None
    s = 1 / (1 + np.exp(-x_np))
    loss = -((1 if pw_np is None else pw_np) * y_np * np.log(s) + (1 - y_np) * np.log(1 - s))
    loss = loss * (1 if w_np is None else w_np)
    got = F.binary_cross_entropy_with_logits(x, y, w, reduction=reduction, pos_weight=pw)
    np.testing.assert_allclose(host(got), reduce(loss, reduction), rtol=1e-10)
    module = nn.BCEWithLogitsLoss(w, reduction=reduction, pos_weight=pw)
    np.testing.assert_allclose(host(module(x, y)), host(got), rtol=1e-12)
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, reduction=reduction, pos_weight=pw),
                     (x, y))


def test_binary_cross_entropy_extremes_stay_finite():
    # torch clamps each log at -100: a certain wrong answer costs 100, not inf
    loss = F.binary_cross_entropy(tinynn.tensor([0.0, 1.0]), tinynn.tensor([1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0])
    x = tinynn.tensor([0.0, 1.0], requires_grad=True)
    F.binary_cross_entropy(x, tinynn.tensor([0.0, 1.0]), reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    x = tinynn.tensor([-1000.0, 1000.0, 0.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, tinynn.tensor([1.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(host(loss), [1000.0, 1000.0, np.log(2)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1.0, 1.0, -0.5], rtol=1e-6)


def test_binary_cross_entropy_errors():
    p = tinynn.full((2,), 0.5)
    with pytest.raises(ValueError, match=r"Using a target size \(\(1,\)\) that is different to the input size"):
        F.binary_cross_entropy(p, tinynn.ones(1))
    with pytest.raises(ValueError, match=r"Target size \(\(1,\)\) must be the same as input size \(\(2,\)\)"):
        F.binary_cross_entropy_with_logits(p, tinynn.ones(1))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(tinynn.tensor([1.5]), tinynn.tensor([1.0]))
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(tinynn.tensor([0.5]), tinynn.tensor([1.5]))
    w = tinynn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.binary_cross_entropy(p, p, w)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'pos_weight'"):
        F.binary_cross_entropy_with_logits(p, p, pos_weight=w)
    with pytest.raises(RuntimeError, match=r"weight of shape \(3,\) cannot be broadcast"):
        F.binary_cross_entropy_with_logits(p, p, tinynn.ones(3))


def test_loss_modules_keep_weights_as_buffers():
    loss = nn.BCEWithLogitsLoss(weight=tinynn.ones(3), pos_weight=tinynn.full((3,), 2.0))
    assert list(loss.state_dict()) == ["weight", "pos_weight"]
    assert list(nn.BCEWithLogitsLoss().state_dict()) == []
    assert list(nn.BCELoss(tinynn.ones(2)).state_dict()) == ["weight"]
    assert nn.SmoothL1Loss(beta=0.5).beta == 0.5 and nn.HuberLoss(delta=2.0).delta == 2.0
    assert nn.KLDivLoss(reduction="batchmean", log_target=True).log_target
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.L1Loss(reduction="batchmean")


# ------------------------------------------------------------------ KL divergence
@given(shape=shapes, reduction=st.sampled_from(["none", "mean", "sum", "batchmean"]), log_target=st.booleans(),
       seed=st.integers(0, 2**16))
def test_kl_div(shape, reduction, log_target, seed, device):
    rng = np.random.default_rng(seed)
    x_np = np.log(rng.uniform(0.1, 1, shape))
    y_np = rng.uniform(0.1, 1, shape)
    if log_target:
        y_np = np.log(y_np)
    x, y = leaf(x_np, device), leaf(y_np, device)
    loss = np.exp(y_np) * (y_np - x_np) if log_target else y_np * (np.log(y_np) - x_np)
    expected = loss.sum() / shape[0] if reduction == "batchmean" else reduce(loss, reduction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(host(F.kl_div(x, y, reduction=reduction, log_target=log_target)), expected,
                                   rtol=1e-12, atol=1e-12 * np.abs(loss).max())   # y log y - y x cancels near 0
        assert gradcheck(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target), (x, y))


def test_kl_div_zero_target_counts_as_zero_and_mean_warns():
    x = tinynn.tensor([-2.0, -0.5])
    loss = F.kl_div(x, tinynn.tensor([0.0, 0.5]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.5 * (np.log(0.5) + 0.5)], rtol=1e-6)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(x, tinynn.tensor([0.5, 0.5]))
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        nn.KLDivLoss()(x, tinynn.tensor([0.5, 0.5]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(x, tinynn.tensor([0.5, 0.5]), reduction="batchmean")


# ------------------------------------------------------------------ cross-entropy: label smoothing, probabilities
def numpy_log_softmax(x, axis=1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def numpy_smoothed_ce(logits, target, weight, ignore_index, reduction, eps):
    """torch's formula, written out: (1 - eps) * nll + eps / C * sum_c w_c (-logp_c), ignored samples 0."""
    logp = numpy_log_softmax(logits)
    c = logits.shape[1]
    w = np.ones(c) if weight is None else weight
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    nll = -logp[np.arange(len(target)), safe] * w[safe] * keep
    smooth = -(logp * w).sum(1) * keep
    per = (1 - eps) * nll + eps / c * smooth
    if reduction == "none":
        return per
    return per.sum() if reduction == "sum" else per.sum() / (w[safe] * keep).sum()


@given(n=st.integers(1, 5), c=st.integers(2, 4), weighted=st.booleans(), ignore=st.booleans(),
       reduction=reductions, eps=st.sampled_from([0.0, 0.1, 0.5, 1.0]), seed=st.integers(0, 2**16))
def test_cross_entropy_label_smoothing(n, c, weighted, ignore, reduction, eps, seed, device):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c))
    target_np = rng.integers(0, c, n)
    if ignore and n > 1:
        target_np[0] = -100
    weight_np = rng.random(c) + 0.1 if weighted else None
    target = tinynn.tensor(target_np, device=device)
    weight = tinynn.tensor(weight_np, device=device) if weighted else None
    x = leaf(logits, device)
    expected = numpy_smoothed_ce(logits, target_np, weight_np, -100, reduction, eps)
    got = F.cross_entropy(x, target, weight, reduction=reduction, label_smoothing=eps)
    np.testing.assert_allclose(host(got), expected, rtol=1e-10)
    module = nn.CrossEntropyLoss(weight, reduction=reduction, label_smoothing=eps)
    np.testing.assert_allclose(host(module(x, target)), expected, rtol=1e-10)
    assert gradcheck(lambda t: F.cross_entropy(t, target, weight, reduction=reduction, label_smoothing=eps), (x,))


@given(dims=st.sampled_from([(4,), (3, 4), (2, 3, 2)]), weighted=st.booleans(), reduction=reductions,
       eps=st.sampled_from([0.0, 0.2]), seed=st.integers(0, 2**16))
def test_cross_entropy_probability_targets(dims, weighted, reduction, eps, seed, device):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(dims)
    probs = rng.random(dims)
    axis = 0 if len(dims) == 1 else 1
    probs /= probs.sum(axis=axis, keepdims=True)
    c = dims[axis]
    weight_np = rng.random(c) + 0.1 if weighted else None
    x, y = leaf(logits, device), leaf(probs, device)
    weight = tinynn.tensor(weight_np, device=device) if weighted else None
    smoothed = probs * (1 - eps) + eps / c
    w = np.ones(c) if weight_np is None else weight_np
    w = w.reshape((c,) + (1,) * (len(dims) - axis - 1))
    per = -(numpy_log_softmax(logits, axis) * smoothed * w).sum(axis=axis)
    expected = {"none": per, "sum": per.sum(), "mean": per.sum() / max(per.size, 1)}[reduction]
    got = F.cross_entropy(x, y, weight, reduction=reduction, label_smoothing=eps)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(host(got), expected, rtol=1e-10)
    assert gradcheck(lambda a, b: F.cross_entropy(a, b, weight, reduction=reduction, label_smoothing=eps), (x, y))


def test_cross_entropy_errors_and_unbatched_shape():
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(tinynn.zeros(2, 3), tinynn.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(tinynn.zeros(2, 3), tinynn.zeros(2, 3), ignore_index=1)
    with pytest.raises(RuntimeError, match="int64"):
        F.cross_entropy(tinynn.zeros(2, 3), tinynn.zeros(2, 4))
    assert F.cross_entropy(tinynn.zeros(3), tinynn.tensor(1), reduction="none").shape == ()
    assert F.cross_entropy(tinynn.zeros(3), tinynn.full((3,), 1 / 3), reduction="none").shape == ()


# ------------------------------------------------------------------ against torch (skipped without it)
# name -> (call with the functional module m, the class weights w and pos_weight pw; which inputs to build)
TORCH_CASES = {
    "l1": (lambda m, a, b, w, pw: m.l1_loss(a, b), ("x", "y")),
    "smooth_l1": (lambda m, a, b, w, pw: m.smooth_l1_loss(a, b, beta=0.7, reduction="sum"), ("2x", "y")),
    "huber": (lambda m, a, b, w, pw: m.huber_loss(a, b, delta=0.7, reduction="none"), ("2x", "y")),
    "bce": (lambda m, a, b, w, pw: m.binary_cross_entropy(a, b, weight=w), ("p", "y")),
    "bce_logits": (lambda m, a, b, w, pw: m.binary_cross_entropy_with_logits(a, b, weight=w, pos_weight=pw,
                                                                           reduction="sum"), ("3x", "y")),
    "kl": (lambda m, a, b, w, pw: m.kl_div(a, b, reduction="batchmean"), ("logp", "y")),
    "kl_log": (lambda m, a, b, w, pw: m.kl_div(a, b, reduction="sum", log_target=True), ("logp", "logy")),
    "ce_probs": (lambda m, a, b, w, pw: m.cross_entropy(a, b, weight=w, label_smoothing=0.1), ("x", "y")),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_losses_match_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, p, y = rng.standard_normal((4, 3)), rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0.05, 1, (4, 3))
    arrays = {"x": x, "2x": 2 * x, "3x": 3 * x, "p": p, "y": y, "logp": np.log(p), "logy": np.log(y)}
    w, pw = rng.uniform(0.5, 2, 3), rng.uniform(0.5, 3, 3)
    fn, names = TORCH_CASES[name]
    ours = [tinynn.tensor(arrays[n], requires_grad=True) for n in names]
    theirs = [torch.tensor(arrays[n], requires_grad=True) for n in names]
    out = fn(F, *ours, tinynn.tensor(w), tinynn.tensor(pw))
    expected = fn(torch.nn.functional, *theirs, torch.tensor(w), torch.tensor(pw))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(tuple(expected.shape))
    out.backward(tinynn.tensor(g))
    expected.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_label_smoothing_matches_torch(reduction, weighted):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    logits = rng.standard_normal((3, 4, 2, 2))
    target = rng.integers(0, 4, (3, 2, 2))
    target[0, 0, 0] = target[2, 1, 1] = 255
    weight = rng.random(4) + 0.1 if weighted else None
    x, tx = tinynn.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    kwargs = dict(ignore_index=255, reduction=reduction, label_smoothing=0.3)
    out = F.cross_entropy(x, tinynn.tensor(target), None if weight is None else tinynn.tensor(weight), **kwargs)
    ref = torch.nn.functional.cross_entropy(tx, torch.tensor(target), None if weight is None else torch.tensor(weight),
                                            **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
    g = rng.standard_normal(ref.shape)
    out.backward(tinynn.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss", "cross_entropy_smoothed"])
@pytest.mark.parametrize("weighted", [False, True])
def test_every_target_ignored_gives_a_nan_mean_and_zero_gradients_as_torch(loss, weighted, device):
    """torch: 'mean' over no counted target is 0 / 0 = NaN, but an ignored sample's gradient is 0, even then
    (nothing is learnt from the batch), quietly. Counted targets of total weight 0 get NaN gradients, as in torch."""
    x = leaf(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32), device)
    weight = tinynn.tensor([1.0, 0.0, 2.0, 1.0], device=device) if weighted else None
    all_weight_zero = weighted                              # targets [1, -100, 1] with weight[1] = 0
    for targets, nan_loss, finite_grad in (([-100, -100, -100], True, True), ([1, -100, 1], all_weight_zero,
                                           not all_weight_zero), ([1, -100, 2], False, True)):
        x.grad = None
        t = tinynn.tensor(targets, device=device)
        with warnings.catch_warnings():
            if device == "cpu":                          # (the CuPy stand-in's NumPy warns of 0 / 0; CuPy does not)
                warnings.simplefilter("error")
            if loss == "nll_loss":
                out = F.nll_loss(F.log_softmax(x, dim=1), t, weight=weight)
            else:
                out = F.cross_entropy(x, t, weight=weight, label_smoothing=0.1 if loss.endswith("smoothed") else 0.0)
            out.backward()
        grad = host(x.grad)
        assert np.isnan(host(out)) == nan_loss
        assert np.isfinite(grad).all() == finite_grad
        if targets == [-100, -100, -100]:
            assert not grad.any()
        assert not grad[1].any()                             # the ignored sample: gradient 0
