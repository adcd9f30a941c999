"""BatchNorm1d/2d/3d, F.batch_norm, LayerNorm and F.layer_norm: values against NumPy formulas,
gradients against finite differences, running statistics, errors, and torch (when installed)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.autograd import gradcheck
from helpers import host, leaf


def values(shape, seed, scale=1.0, shift=0.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale + shift


def bn_reference(x, weight, bias, eps):
    """Batch norm of (N, C, ...) with the batch's statistics, straight from the definition."""
    axes = (0,) + tuple(range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)                  # biased
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)


bn_shapes = st.tuples(st.integers(1, 4), st.integers(1, 3), st.sampled_from([(), (3,), (2, 3)]))


@given(dims=bn_shapes, seed=st.integers(0, 2**16), affine=st.booleans(), training=st.booleans())
def test_batch_norm_values_and_gradcheck(dims, seed, affine, training, device):
    n, c, spatial = dims
    if training and n * int(np.prod(spatial)) == 1:
        n = 2
    shape = (n, c) + spatial
    v = values(shape, seed, scale=2.0, shift=1.0)
    x = leaf(v, device)
    w, b = (leaf(values(c, seed + 1), device), leaf(values(c, seed + 2), device)) if affine else (None, None)
    mean_v, var_v = values(c, seed + 3), np.abs(values(c, seed + 4)) + 0.5
    running_mean = tinynn.tensor(mean_v, device=device)
    running_var = tinynn.tensor(var_v, device=device)

    def fn(x, *wb):
        return F.batch_norm(x, running_mean.clone(), running_var.clone(), *wb, training=training, eps=1e-3)

    args = (x, w, b) if affine else (x,)
    wv = host(w) if affine else np.ones(c)
    bv = host(b) if affine else np.zeros(c)
    if training:
        expected = bn_reference(v, wv, bv, 1e-3)
    else:
        shape_c = (1, -1) + (1,) * len(spatial)
        expected = ((v - mean_v.reshape(shape_c)) / np.sqrt(var_v.reshape(shape_c) + 1e-3) * wv.reshape(shape_c)
                    + bv.reshape(shape_c))
    np.testing.assert_allclose(host(fn(*args)), expected, rtol=1e-10, atol=1e-12)
    assert gradcheck(fn, args)


@given(dims=bn_shapes, seed=st.integers(0, 2**16), momentum=st.sampled_from([0.1, 0.5, 1.0]))
def test_batch_norm_updates_running_stats_with_the_unbiased_variance(dims, seed, momentum, device):
    n, c, spatial = dims
    n = max(n, 2)
    v = values((n, c) + spatial, seed, scale=3.0, shift=-2.0)
    running_mean = tinynn.tensor(values(c, seed + 1), device=device)
    running_var = tinynn.tensor(np.abs(values(c, seed + 2)) + 0.1, device=device)
    before_mean, before_var = host(running_mean).copy(), host(running_var).copy()
    F.batch_norm(tinynn.tensor(v, device=device), running_mean, running_var, training=True, momentum=momentum)
    axes = (0,) + tuple(range(2, v.ndim))
    np.testing.assert_allclose(host(running_mean), (1 - momentum) * before_mean + momentum * v.mean(axis=axes),
                               rtol=1e-12)
    np.testing.assert_allclose(host(running_var), (1 - momentum) * before_var + momentum * v.var(axis=axes, ddof=1),
                               rtol=1e-12)


def test_batchnorm_module_buffers_and_modes():
    bn = nn.BatchNorm2d(3)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.shape == ()
    assert bn.weight.dtype == np.float32 and bn.running_var.tolist() == [1.0, 1.0, 1.0]
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    x = tinynn.tensor(values((4, 3, 2, 2), 0, 2.0, 5.0).astype(np.float32))
    y = bn(x)
    assert bn.num_batches_tracked.item() == 1
    np.testing.assert_allclose(y.detach().numpy().mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.detach().numpy().var(axis=(0, 2, 3)), 1, atol=1e-3)
    bn.eval()
    y_eval = bn(x).detach().numpy()                            # normalised with the running statistics now
    rm, rv = bn.running_mean.numpy(), bn.running_var.numpy()
    np.testing.assert_allclose(y_eval, (x.numpy() - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5),
                               rtol=1e-5, atol=1e-5)
    assert bn.num_batches_tracked.item() == 1         # eval mode does not count batches
    bn.double()                                       # floats cast, the int64 counter kept
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64


def test_batchnorm_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [values((5, 2), seed) for seed in range(3)]
    for b in batches:
        bn(tinynn.tensor(b))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([b.mean(0) for b in batches], axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([b.var(0, ddof=1) for b in batches], axis=0),
                               rtol=1e-5)
    assert bn.num_batches_tracked.item() == 3


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False).eval()
    assert bn.running_mean is None and bn.num_batches_tracked is None and list(bn.state_dict()) == []
    v = values((6, 3), 1, 3.0, 2.0)
    np.testing.assert_allclose(bn(tinynn.tensor(v)).detach().numpy(), bn_reference(v, np.ones(3), np.zeros(3), 1e-5),
                               rtol=1e-6)


def test_batchnorm_reset_and_bias_false():
    bn = nn.BatchNorm1d(2, bias=False)
    assert bn.bias is None and list(bn.state_dict()) == ["weight", "running_mean", "running_var",
                                                          "num_batches_tracked"]
    bn(tinynn.tensor(values((4, 2), 0)))
    bn.reset_running_stats()
    assert bn.running_mean.tolist() == [0, 0] and bn.running_var.tolist() == [1, 1]
    assert bn.num_batches_tracked.item() == 0


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size"):
        nn.BatchNorm1d(3)(tinynn.ones(1, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm2d(3)(tinynn.ones(1, 3, 1, 1))
    nn.BatchNorm1d(3).eval()(tinynn.ones(1, 3))             # one sample is fine in eval mode
    nn.BatchNorm1d(3)(tinynn.ones(1, 3, 2))                 # and two values per channel in training
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(tinynn.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(tinynn.ones(2, 3, 4))
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        nn.BatchNorm2d(3)(tinynn.ones(2, 4, 4, 4))
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        F.batch_norm(tinynn.ones(2, 3), None, None)
    with pytest.raises(RuntimeError, match="weight should contain 3 elements not 4"):
        F.batch_norm(tinynn.ones(2, 3), None, None, tinynn.ones(4), training=True)


def test_batch_norm_costs_a_fraction_of_the_convolution_before_it():
    """Chapter 8's NetBatchNorm puts a BatchNorm2d after each conv: its forward and backward (whole-array passes,
    no loop over channels) must cost far less than the 3x3 convolution's (about a tenth when measured)."""
    import time
    x = tinynn.tensor(values((16, 32, 32, 32), 0).astype(np.float32), requires_grad=True)
    gy = tinynn.ones(16, 32, 32, 32)
    bn, conv = nn.BatchNorm2d(32), nn.Conv2d(32, 32, 3, padding=1)

    def best_time(step):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            step()
            best = min(best, time.perf_counter() - start)
        return best

    threads = tinynn.get_num_threads()
    tinynn.set_num_threads(1)                      # (one thread: no waiting for helpers on a busy machine)
    try:
        bn_time = best_time(lambda: bn(x).backward(gy))
        conv_time = best_time(lambda: conv(x).backward(gy))
    finally:
        tinynn.set_num_threads(threads)
    assert bn_time < 0.3 * conv_time, (bn_time, conv_time)


@given(shape=st.sampled_from([(3,), (2, 4), (2, 3, 4), (1, 2, 2, 3)]), k=st.integers(1, 2),
       seed=st.integers(0, 2**16), affine=st.sampled_from(["both", "weight", "none"]))
def test_layer_norm_values_and_gradcheck(shape, k, seed, affine, device):
    k = min(k, len(shape))
    normalized = shape[len(shape) - k:]
    v = values(shape, seed, 2.0, 1.0)
    x = leaf(v, device)
    w = leaf(values(normalized, seed + 1), device) if affine != "none" else None
    b = leaf(values(normalized, seed + 2), device) if affine == "both" else None
    axes = tuple(range(len(shape) - k, len(shape)))
    expected = (v - v.mean(axis=axes, keepdims=True)) / np.sqrt(v.var(axis=axes, keepdims=True) + 1e-5)
    if w is not None:
        expected = expected * host(w)
    if b is not None:
        expected = expected + host(b)
    np.testing.assert_allclose(host(F.layer_norm(x, normalized, w, b)), expected, rtol=1e-10, atol=1e-12)
    args = tuple(t for t in (x, w, b) if t is not None)
    assert gradcheck(lambda *a: F.layer_norm(a[0], normalized, *(list(a[1:]) + [None] * (3 - len(a)))), args)


def test_layer_norm_module_and_errors():
    ln = nn.LayerNorm((3, 4))
    assert ln.weight.shape == (3, 4) and ln.bias.shape == (3, 4) and list(ln.state_dict()) == ["weight", "bias"]
    assert repr(ln) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    assert nn.LayerNorm(4, bias=False).bias is None
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], "
                                           r"but got input of size\[2, 3\]"):
        nn.LayerNorm(4)(tinynn.ones(2, 3))
    with pytest.raises(RuntimeError, match="Expected weight to be of same shape as normalized_shape"):
        F.layer_norm(tinynn.ones(2, 3), (3,), tinynn.ones(4))


# ------------------------------------------------------------------------------ torch comparisons
def _copy_into_torch(torch, ours, theirs):
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()})


@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (6, 3, 5)),
                                       ("BatchNorm2d", (4, 3, 5, 6)), ("BatchNorm3d", (2, 3, 2, 3, 2))])
@pytest.mark.parametrize("kwargs", [{}, dict(momentum=None), dict(affine=False), dict(track_running_stats=False),
                                    dict(bias=False), dict(eps=1e-3, momentum=0.3)])
def test_batchnorm_matches_torch_over_train_and_eval_steps(cls, shape, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours, theirs = getattr(nn, cls)(3, **kwargs), getattr(torch.nn, cls)(3, **kwargs)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    if ours.weight is not None:                        # non-trivial affine parameters, the same in both
        with tinynn.no_grad():
            ours.weight.copy_(tinynn.tensor(rng.uniform(0.5, 1.5, 3)))
    _copy_into_torch(torch, ours, theirs)
    for step in range(4):
        if step == 3:
            ours.eval(), theirs.eval()
        x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        xo, xt = tinynn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yo, yt = ours(xo), theirs(xt)
        yo.backward(tinynn.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), atol=2e-5)
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), atol=2e-5)
        for p, q in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-4)
        for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


def test_batch_norm_net_trains_like_torch():
    """Chapter 8's NetBatchNorm (conv, BatchNorm2d, tanh, max-pool twice, then linear layers): two SGD steps and
    an eval pass agree with torch."""
    torch = pytest.importorskip("torch")

    def build(n):
        return n.Sequential(n.Conv2d(3, 8, 3, padding=1), n.BatchNorm2d(8), n.Tanh(), n.MaxPool2d(2),
                            n.Conv2d(8, 4, 3, padding=1), n.BatchNorm2d(4), n.Tanh(), n.MaxPool2d(2),
                            n.Flatten(), n.Linear(4 * 4 * 4, 8), n.BatchNorm1d(8), n.Tanh(), n.Linear(8, 2))

    ours, theirs = build(nn), build(torch.nn)
    _copy_into_torch(torch, ours, theirs)
    opt_o = tinynn.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    for _ in range(2):
        x = rng.standard_normal((6, 3, 16, 16)).astype(np.float32)
        y = rng.integers(0, 2, 6)
        for model, opt, lib in ((ours, opt_o, tinynn), (theirs, opt_t, torch)):
            opt.zero_grad()
            loss = (nn if lib is tinynn else torch.nn).functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            opt.step()
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=k)
    ours.eval(), theirs.eval()
    x = rng.standard_normal((3, 3, 16, 16)).astype(np.float32)
    np.testing.assert_allclose(ours(tinynn.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               atol=1e-4)


@pytest.mark.parametrize("kwargs", [{}, dict(elementwise_affine=False), dict(bias=False), dict(eps=1e-3)])
def test_layer_norm_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for normalized in (5, (4, 5)):
        ours, theirs = nn.LayerNorm(normalized, **kwargs), torch.nn.LayerNorm(normalized, **kwargs)
        assert repr(ours) == repr(theirs)
        if ours.weight is not None:
            with tinynn.no_grad():
                ours.weight.copy_(tinynn.tensor(rng.uniform(0.5, 1.5, ours.weight.shape)))
        _copy_into_torch(torch, ours, theirs)
        x = rng.standard_normal((2, 3, 4, 5))
        g = rng.standard_normal((2, 3, 4, 5))
        xo, xt = tinynn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours.double(), theirs.double()
        yo, yt = ours(xo), theirs(xt)
        yo.backward(tinynn.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
        for p, q in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12)
