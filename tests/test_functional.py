"""tinynn.nn.functional: forward values against direct NumPy formulas, gradients by gradcheck."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynn
import tinynn.nn.functional as F
from tinynn.autograd import gradcheck
from helpers import host, leaf


def naive_conv2d(x, w, b, stride, pads, dilation, groups):
    """Direct definition: y[n,o,i,j] = b[o] + sum_{c,p,q} w[o,c,p,q] x_pad[n, g*C/G + c, i*s + p*d, j*s + q*d]."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    top, bottom, left, right = pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    oh = (h + top + bottom - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + left + right - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, oh, ow))
    per_group = o // groups
    for oc in range(o):
        g = oc // per_group
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg,
                           i * stride[0]:i * stride[0] + dilation[0] * (kh - 1) + 1:dilation[0],
                           j * stride[1]:j * stride[1] + dilation[1] * (kw - 1) + 1:dilation[1]]
                y[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3)) + (b[oc] if b is not None else 0)
    return y


conv_cases = st.fixed_dictionaries({
    "n": st.integers(1, 2), "groups": st.sampled_from([1, 2]), "cg": st.integers(1, 2), "og": st.integers(1, 2),
    "h": st.integers(3, 6), "w": st.integers(3, 6), "kh": st.integers(1, 3), "kw": st.integers(1, 3),
    "stride": st.integers(1, 2), "padding": st.integers(0, 2), "dilation": st.integers(1, 2),
    "bias": st.booleans(), "seed": st.integers(0, 2**16)})


@given(case=conv_cases)
def test_conv2d_matches_the_definition_and_gradcheck(case, device):
    rng = np.random.default_rng(case["seed"])
    c, o = case["cg"] * case["groups"], case["og"] * case["groups"]
    x_np = rng.standard_normal((case["n"], c, case["h"], case["w"]))
    w_np = rng.standard_normal((o, case["cg"], case["kh"], case["kw"]))
    b_np = rng.standard_normal(o) if case["bias"] else None
    s, p, d = case["stride"], case["padding"], case["dilation"]
    if (case["h"] + 2 * p - d * (case["kh"] - 1) - 1) < 0 or (case["w"] + 2 * p - d * (case["kw"] - 1) - 1) < 0:
        return   # the kernel does not fit: covered by test_conv2d_errors
    x, w = leaf(x_np, device), leaf(w_np, device)
    args = (x, w) + ((leaf(b_np, device),) if b_np is not None else ())

    def f(x, w, b=None):
        return F.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=case["groups"])

    expected = naive_conv2d(x_np, w_np, b_np, (s, s), (p, p, p, p), (d, d), case["groups"])
    np.testing.assert_allclose(host(f(*args)), expected, rtol=1e-10, atol=1e-12)
    assert gradcheck(f, args)


@pytest.mark.parametrize("kernel,dilation", [(3, 1), (2, 1), (4, 1), (3, 2), ((2, 3), (1, 2))])
def test_conv2d_same_and_valid_padding(kernel, dilation, device):
    rng = np.random.default_rng(0)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    x_np, w_np = rng.standard_normal((1, 2, 6, 7)), rng.standard_normal((3, 2, kh, kw))
    x, w = leaf(x_np, device), leaf(w_np, device)
    y = F.conv2d(x, w, padding="same", dilation=dilation)
    assert y.shape == (1, 3, 6, 7)
    th, tw = dh * (kh - 1), dw * (kw - 1)   # torch puts the odd extra pixel at the bottom/right
    expected = naive_conv2d(x_np, w_np, None, (1, 1), (th // 2, th - th // 2, tw // 2, tw - tw // 2), (dh, dw), 1)
    np.testing.assert_allclose(host(y), expected, rtol=1e-10)
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding="same", dilation=dilation), (x, w))
    assert F.conv2d(x, w, padding="valid", dilation=dilation).shape == (1, 3, 6 - dh * (kh - 1), 7 - dw * (kw - 1))


def test_conv2d_errors_name_the_shapes():
    x = tinynn.ones(1, 3, 8, 8)
    with pytest.raises(RuntimeError, match=r"expected input\[1, 3, 8, 8\] to have 4 channels"):
        F.conv2d(x, tinynn.ones(2, 4, 3, 3))
    with pytest.raises(RuntimeError, match="4-D input"):
        F.conv2d(tinynn.ones(3, 8, 8), tinynn.ones(2, 3, 3, 3))
    with pytest.raises(ValueError, match="strided"):
        F.conv2d(x, tinynn.ones(2, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="too small"):
        F.conv2d(tinynn.ones(1, 3, 2, 2), tinynn.ones(2, 3, 3, 3))


def naive_pool(x, k, s, p, d, reduce, pad_value):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=pad_value)
    oh, ow = (h + 2 * p - d * (k - 1) - 1) // s + 1, (w + 2 * p - d * (k - 1) - 1) // s + 1
    y = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = reduce(xp[:, :, i * s:i * s + d * (k - 1) + 1:d, j * s:j * s + d * (k - 1) + 1:d], axis=(2, 3))
    return y


pool_cases = st.fixed_dictionaries({
    "h": st.integers(2, 7), "w": st.integers(2, 7), "k": st.integers(1, 3), "stride": st.one_of(st.none(), st.integers(1, 3)),
    "padding": st.integers(0, 1), "dilation": st.integers(1, 2), "seed": st.integers(0, 2**16)})


@given(case=pool_cases)
def test_max_pool2d_matches_the_definition_and_gradcheck(case, device):
    k, s, p, d = case["k"], case["stride"], case["padding"], case["dilation"]
    if p > k // 2 or case["h"] + 2 * p < d * (k - 1) + 1 or case["w"] + 2 * p < d * (k - 1) + 1:
        return
    x_np = np.random.default_rng(case["seed"]).permutation(2 * 2 * case["h"] * case["w"]).reshape(
        2, 2, case["h"], case["w"]) / 10.0                   # distinct values: the max is unique
    x = leaf(x_np, device)
    y = F.max_pool2d(x, k, s, padding=p, dilation=d)
    np.testing.assert_array_equal(host(y), naive_pool(x_np, k, s or k, p, d, np.max, -np.inf))
    assert gradcheck(lambda t: F.max_pool2d(t, k, s, padding=p, dilation=d), (x,))


@given(case=pool_cases)
def test_avg_pool2d_matches_the_definition_and_gradcheck(case, device):
    k, s, p = case["k"], case["stride"], case["padding"]
    if p > k // 2 or case["h"] + 2 * p < k or case["w"] + 2 * p < k:
        return
    x_np = np.random.default_rng(case["seed"]).standard_normal((2, 2, case["h"], case["w"]))
    x = leaf(x_np, device)
    y = F.avg_pool2d(x, k, s, padding=p)
    np.testing.assert_allclose(host(y), naive_pool(x_np, k, s or k, p, 1, np.mean, 0.0), rtol=1e-12)
    assert gradcheck(lambda t: F.avg_pool2d(t, k, s, padding=p), (x,))


def test_max_pool_gradient_goes_to_the_first_maximum_on_ties():
    x = tinynn.ones(1, 1, 2, 2, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.view(-1).tolist() == [1.0, 0.0, 0.0, 0.0]


@given(rows=st.integers(1, 4), cols=st.integers(1, 5), dim=st.sampled_from([0, 1, -1]), seed=st.integers(0, 2**16))
def test_softmax_and_log_softmax(rows, cols, dim, seed, device):
    v = np.random.default_rng(seed).standard_normal((rows, cols)) * 3
    x = leaf(v, device)
    e = np.exp(v - v.max(axis=dim, keepdims=True))
    soft = e / e.sum(axis=dim, keepdims=True)
    np.testing.assert_allclose(host(F.softmax(x, dim)), soft, rtol=1e-12)
    np.testing.assert_allclose(host(F.log_softmax(x, dim)), np.log(soft), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda t: F.softmax(t, dim), (x,))
    assert gradcheck(lambda t: F.log_softmax(t, dim=dim), (x,))


def test_softmax_family_is_stable_for_huge_logits():
    x = tinynn.tensor([[0.0, 104.0], [1000.0, -1000.0]])
    log_p = F.log_softmax(x, dim=1).numpy()
    assert np.all(np.isfinite(log_p))
    np.testing.assert_allclose(log_p, [[-104.0, 0.0], [0.0, -2000.0]], rtol=1e-6)
    np.testing.assert_allclose(F.softmax(x, 1).numpy(), [[np.exp(-104.0), 1.0], [1.0, 0.0]], rtol=1e-5, atol=1e-30)
    loss = F.cross_entropy(x, tinynn.tensor([0, 1]), reduction="none").numpy()
    np.testing.assert_allclose(loss, [104.0, 2000.0], rtol=1e-6)


def numpy_nll(logp, target, weight, ignore_index, reduction):
    w = np.ones(logp.shape[1]) if weight is None else weight
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    per = -logp[np.arange(len(target)), safe] * w[safe] * keep
    if reduction == "none":
        return per
    return per.sum() if reduction == "sum" else per.sum() / (w[safe] * keep).sum()


loss_cases = st.fixed_dictionaries({
    "n": st.integers(1, 5), "c": st.integers(2, 4), "weighted": st.booleans(), "ignore": st.booleans(),
    "reduction": st.sampled_from(["mean", "sum", "none"]), "seed": st.integers(0, 2**16)})


@given(case=loss_cases)
def test_nll_and_cross_entropy_match_numpy(case, device):
    rng = np.random.default_rng(case["seed"])
    n, c = case["n"], case["c"]
    logits = rng.standard_normal((n, c))
    target_np = rng.integers(0, c, n)
    if case["ignore"]:
        target_np[0] = -100 if n > 1 else target_np[0]
    weight_np = rng.random(c) + 0.1 if case["weighted"] else None
    target = tinynn.tensor(target_np, device=device)
    weight = tinynn.tensor(weight_np, device=device) if weight_np is not None else None
    x = leaf(logits, device)
    logp = logits - logits.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    red = case["reduction"]
    expected = numpy_nll(logp, target_np, weight_np, -100, red)
    np.testing.assert_allclose(host(F.cross_entropy(x, target, weight, reduction=red)), expected, rtol=1e-10)
    np.testing.assert_allclose(host(F.nll_loss(F.log_softmax(x, 1), target, weight, reduction=red)), expected,
                               rtol=1e-10)
    assert gradcheck(lambda t: F.cross_entropy(t, target, weight, reduction=red), (x,))
    assert gradcheck(lambda t: F.nll_loss(t, target, weight, reduction=red), (x,))


def test_losses_on_spatial_targets(device):
    rng = np.random.default_rng(0)
    x = leaf(rng.standard_normal((2, 3, 2, 2)), device)
    target = tinynn.tensor(rng.integers(0, 3, (2, 2, 2)), device=device)
    assert F.cross_entropy(x, target, reduction="none").shape == (2, 2, 2)
    assert gradcheck(lambda t: F.cross_entropy(t, target), (x,))


def test_nll_loss_errors_name_the_bad_value_and_shapes():
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        F.nll_loss(tinynn.zeros(2, 3), tinynn.tensor([0, 5]))
    with pytest.raises(ValueError, match=r"expected target of shape \(2,\)"):
        F.nll_loss(tinynn.zeros(2, 3), tinynn.tensor([0, 1, 1]))
    with pytest.raises(RuntimeError, match="int64"):
        F.cross_entropy(tinynn.zeros(2, 3), tinynn.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.nll_loss(tinynn.zeros(2, 3), tinynn.tensor([0, 1]), reduction="avg")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction, device):
    rng = np.random.default_rng(1)
    a_np, b_np = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    a, b = leaf(a_np, device), leaf(b_np, device)
    sq = (a_np - b_np) ** 2
    expected = {"mean": sq.mean(), "sum": sq.sum(), "none": sq}[reduction]
    np.testing.assert_allclose(host(F.mse_loss(a, b, reduction=reduction)), expected, rtol=1e-12)
    assert gradcheck(lambda x, y: F.mse_loss(x, y, reduction=reduction), (a, b))


@given(batch=st.integers(1, 3), fin=st.integers(1, 5), fout=st.integers(1, 4), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_linear(batch, fin, fout, bias, seed, device):
    rng = np.random.default_rng(seed)
    x_np, w_np, b_np = rng.standard_normal((batch, fin)), rng.standard_normal((fout, fin)), rng.standard_normal(fout)
    args = (leaf(x_np, device), leaf(w_np, device)) + ((leaf(b_np, device),) if bias else ())
    np.testing.assert_allclose(host(F.linear(*args)), x_np @ w_np.T + (b_np if bias else 0), rtol=1e-12)
    assert gradcheck(F.linear, args)


def test_linear_error_names_the_shapes_as_torch():
    with pytest.raises(RuntimeError, match=r"^mat1 and mat2 shapes cannot be multiplied \(64x8 and 3072x512\)$"):
        F.linear(tinynn.ones(64, 8), tinynn.ones(512, 3072))
    with pytest.raises(RuntimeError, match=r"^mat1 and mat2 shapes cannot be multiplied \(64x8 and 512x32\)$"):
        F.linear(tinynn.ones(1, 8, 8, 8), tinynn.ones(32, 512))          # the book's missing view()
    with pytest.raises(RuntimeError, match="both arguments to linear need to be at least 1D"):
        F.linear(tinynn.ones(()), tinynn.ones(32, 512))


def test_dropout_scales_and_is_identity_when_not_training():
    tinynn.manual_seed(0)
    x = tinynn.ones(100_000)
    y = F.dropout(x, 0.3, training=True)
    kept = (y != 0).float().mean().item()
    assert kept == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(np.unique(y.numpy()), [0.0, 1 / 0.7], rtol=1e-6)
    assert F.dropout(x, 0.3, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)
    z = leaf(np.ones((3, 4)))
    tinynn.manual_seed(5)
    mask = F.dropout(z, 0.5).detach().numpy() != 0
    tinynn.manual_seed(5)
    assert gradcheck(lambda t: F.dropout(t, 0.5) if tinynn.manual_seed(5) else None, (z,))
    assert mask.any()


def test_functional_activations_are_the_tensor_ops():
    x = tinynn.tensor([-1.0, 0.5])
    assert F.relu(x).tolist() == [0.0, 0.5]
    np.testing.assert_allclose(F.tanh(x).numpy(), np.tanh([-1.0, 0.5]), rtol=1e-6)
    assert F.sigmoid(x).shape == (2,)
