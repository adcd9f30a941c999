"""Every differentiable tensor op: forward against NumPy, backward against finite differences."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinynn
from tinynn.autograd import gradcheck
from helpers import host, leaf

small_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def values(shape, seed, positive=False):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(shape)
    return np.abs(v) + 0.5 if positive else v


BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a ** b, np.power),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_binary_ops_broadcast(name, shapes, seed, device):
    op, ref = BINARY[name]
    sa, sb = shapes.input_shapes
    positive = name in ("div", "pow")
    a, b = leaf(values(sa, seed, positive), device), leaf(values(sb, seed + 1, positive), device)
    np.testing.assert_allclose(host(op(a, b)), ref(host(a), host(b)), rtol=1e-12)
    assert gradcheck(op, (a, b))


@pytest.mark.parametrize("scalar", [2.0, -0.5, 3])
def test_reflected_ops_with_python_numbers(scalar, device):
    x = leaf(values((2, 3), 0, positive=True), device)
    for f, ref in [(lambda t: scalar + t, lambda v: scalar + v), (lambda t: scalar - t, lambda v: scalar - v),
                   (lambda t: scalar * t, lambda v: scalar * v), (lambda t: scalar / t, lambda v: scalar / v),
                   (lambda t: t ** scalar, lambda v: v ** scalar), (lambda t: -t, lambda v: -v)]:
        np.testing.assert_allclose(host(f(x)), ref(host(x)), rtol=1e-12)
        assert gradcheck(f, (x,))


UNARY = {
    "exp": (tinynn.exp, np.exp, False),
    "log": (tinynn.log, np.log, True),
    "sqrt": (tinynn.sqrt, np.sqrt, True),
    "abs": (tinynn.abs, np.abs, False),
    "tanh": (tinynn.tanh, np.tanh, False),
    "relu": (tinynn.relu, lambda v: np.maximum(v, 0), False),
    "sigmoid": (tinynn.sigmoid, lambda v: 1 / (1 + np.exp(-v)), False),
    "clamp": (lambda t: t.clamp(-0.3, 0.4), lambda v: np.clip(v, -0.3, 0.4), False),
    "clamp_min": (lambda t: tinynn.clamp(t, min=0.1), lambda v: np.maximum(v, 0.1), False),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=small_shapes, seed=st.integers(0, 2**16))
def test_unary_ops(name, shape, seed, device):
    op, ref, positive = UNARY[name]
    v = values(shape, seed, positive)
    if name in ("abs", "relu", "clamp", "clamp_min"):      # keep clear of the kinks
        v = np.where(np.abs(v) < 1e-3, 0.5, v)
        v = np.where(np.abs(v - 0.4) < 1e-3, 0.5, np.where(np.abs(v + 0.3) < 1e-3, 0.5, v))
        v = np.where(np.abs(v - 0.1) < 1e-3, 0.5, v)
    x = leaf(v, device)
    np.testing.assert_allclose(host(op(x)), ref(v), rtol=1e-12, atol=1e-15)
    assert gradcheck(op, (x,))


def test_sigmoid_and_exp_log_stay_finite_for_extreme_inputs():
    x = tinynn.tensor([-1000.0, 0.0, 1000.0])
    assert np.all(np.isfinite(x.sigmoid().numpy())) and x.sigmoid().tolist() == [0.0, 0.5, 1.0]


REDUCTIONS = {
    "sum": (lambda t, d, k: t.sum(d, keepdim=k), lambda v, d, k: v.sum(axis=d, keepdims=k)),
    "mean": (lambda t, d, k: t.mean(d, keepdim=k), lambda v, d, k: v.mean(axis=d, keepdims=k)),
    "var": (lambda t, d, k: t.var(d, keepdim=k), lambda v, d, k: v.var(axis=d, keepdims=k, ddof=1)),
    "std": (lambda t, d, k: t.std(d, keepdim=k), lambda v, d, k: v.std(axis=d, keepdims=k, ddof=1)),
    "amax": (lambda t, d, k: t.amax(d, keepdim=k), lambda v, d, k: v.max(axis=d, keepdims=k)),
    "amin": (lambda t, d, k: t.amin(d, keepdim=k), lambda v, d, k: v.min(axis=d, keepdims=k)),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4), data=st.data())
def test_reductions(name, shape, data, device):
    op, ref = REDUCTIONS[name]
    dim = data.draw(st.sampled_from([None] + list(range(-len(shape), len(shape)))))
    keepdim = data.draw(st.booleans()) if dim is not None else False
    v = values(shape, data.draw(st.integers(0, 2**16)))
    x = leaf(v, device)
    np.testing.assert_allclose(host(op(x, dim, keepdim)), ref(v, dim, keepdim), rtol=1e-10)
    assert gradcheck(lambda t: op(t, dim, keepdim), (x,))


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_max_min_along_a_dim(shape, data, device):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    v = values(shape, data.draw(st.integers(0, 2**16)))
    x = leaf(v, device)
    values_, indices = x.max(dim, keepdim)
    np.testing.assert_array_equal(host(values_), v.max(axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(host(indices), np.argmax(v, axis=dim) if not keepdim
                                  else np.expand_dims(np.argmax(v, axis=dim), dim))
    assert gradcheck(lambda t: t.max(dim, keepdim)[0], (x,))
    assert gradcheck(lambda t: tinynn.min(t, dim=dim, keepdim=keepdim).values, (x,))


def test_std_is_unbiased_by_default_and_matches_the_seed_formula():
    imgs = tinynn.tensor(values((3, 4, 5), 0).astype(np.float32))
    np.testing.assert_allclose(imgs.view(3, -1).std(dim=1).numpy(),
                               imgs.numpy().reshape(3, -1).std(axis=1, ddof=1), rtol=1e-5)
    assert imgs.std(unbiased=False).item() == pytest.approx(float(imgs.numpy().std()), rel=1e-5)


SHAPE_OPS = [
    lambda t: t.reshape(-1),
    lambda t: t.view(t.shape[0], -1),
    lambda t: t.flatten(),
    lambda t: t.unsqueeze(0).unsqueeze(-1),
    lambda t: t.unsqueeze(1).squeeze(1),
    lambda t: t.permute(*reversed(range(t.ndim))),
    lambda t: t.transpose(0, -1).contiguous(),
    lambda t: t.T.reshape(-1),
    lambda t: t[0],
    lambda t: t[..., ::2],
    lambda t: t[-1:, None],
    lambda t: t[t > 0],
    lambda t: t[tinynn.tensor([0, 0, -1])],               # repeated fancy index: scatter-add
    lambda t: tinynn.cat([t, t * 2], dim=-1),              # a tensor used twice
    lambda t: tinynn.stack([t, t.exp()], dim=1),
    lambda t: t.expand(2, *t.shape),
    lambda t: tinynn.where(t > 0, t, t * t),
]


@pytest.mark.parametrize("index", range(len(SHAPE_OPS)))
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16))
def test_shape_and_indexing_ops(index, shape, seed, device):
    op = SHAPE_OPS[index]
    v = values(shape, seed)
    x = leaf(v, device)
    expected = op(tinynn.tensor(v)).numpy()                  # the same op on the CPU, without grad
    np.testing.assert_array_equal(host(op(x)), expected)
    assert gradcheck(op, (x,))


def test_indexing_forward_matches_numpy():
    v = np.arange(24.0).reshape(2, 3, 4)
    x = tinynn.tensor(v)
    for index in [(0,), (slice(None), 1), (Ellipsis, -1), (slice(None), [0, 2]), (v > 5,), (None, 1, slice(1, 3))]:
        np.testing.assert_array_equal(x[index].numpy(), v[index])
    np.testing.assert_array_equal(x[tinynn.tensor([1, 0])].numpy(), v[[1, 0]])


@given(shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=4), seed=st.integers(0, 2**16))
def test_non_contiguous_views_as_inputs(shape, seed, device):
    base = leaf(values(shape, seed), device)
    assert gradcheck(lambda t: (t.transpose(0, 1) * t.transpose(0, 1).exp()).sum(0), (base,))


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                 ((2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((1, 2, 3), (4, 3, 2))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_with_batch_broadcasting(sa, sb, device):
    a, b = leaf(values(sa, 1), device), leaf(values(sb, 2), device)
    np.testing.assert_allclose(host(a @ b), host(a) @ host(b), rtol=1e-12)
    assert gradcheck(lambda x, y: x @ y, (a, b))
    assert gradcheck(lambda x, y: tinynn.matmul(x, y), (a, b))


def test_matmul_shape_error_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"\(2x3 and 4x5\)"):
        tinynn.ones(2, 3) @ tinynn.ones(4, 5)
