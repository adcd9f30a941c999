"""The tensor ops beyond the basics: values against NumPy formulas, gradients against finite differences."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinynn
from tinynn.autograd import gradcheck
from conftest import GPU_STAND_IN
from helpers import host, leaf

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
matrix_shapes = hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4)


def values(shape, seed, positive=False):
    v = np.random.default_rng(seed).standard_normal(shape)
    return np.abs(v) + 0.5 if positive else v


def some_dim(data, ndim):
    return data.draw(st.integers(-ndim, ndim - 1))


# ------------------------------------------------------------------ pointwise
_erf = np.vectorize(math.erf)

UNARY = {   # name: (reference formula, needs positive inputs)
    "square": (np.square, False),
    "log1p": (np.log1p, True),
    "expm1": (np.expm1, False),
    "exp2": (np.exp2, False),
    "sin": (np.sin, False),
    "cos": (np.cos, False),
    "reciprocal": (lambda v: 1 / v, True),
    "rsqrt": (lambda v: 1 / np.sqrt(v), True),
    "erf": (_erf, False),
    "floor": (np.floor, False),
    "ceil": (np.ceil, False),
    "trunc": (np.trunc, False),
    "round": (np.round, False),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_unary_ops(name, shape, seed, device):
    ref, positive = UNARY[name]
    v = values(shape, seed, positive)
    x = leaf(v, device)
    np.testing.assert_allclose(host(getattr(tinynn, name)(x)), ref(v), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(host(getattr(x, name)()), ref(v), rtol=1e-13, atol=1e-15)
    assert gradcheck(getattr(tinynn, name), (x,))


def test_erf_matches_the_math_module_to_float_precision():
    v = np.concatenate([np.linspace(-9, 9, 20001), [0.0, 1.0, -1.0, 8.0, 1e-300, np.inf, -np.inf]])
    np.testing.assert_allclose(tinynn.erf(tinynn.tensor(v)).numpy(), _erf(v), rtol=1e-15, atol=3e-16)
    v32 = v.astype(np.float32)
    got = tinynn.erf(tinynn.tensor(v32)).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, _erf(v32.astype(np.float64)), rtol=0, atol=3e-7)
    assert np.isnan(tinynn.erf(tinynn.tensor([np.nan])).item())


def test_rounding_keeps_integers_rounds_halves_to_even_and_has_zero_gradient():
    assert tinynn.round(tinynn.tensor([0.5, 1.5, 2.5, -0.5])).tolist() == [0.0, 2.0, 2.0, -0.0]
    assert tinynn.round(tinynn.tensor([1.2345, -2.5678]), decimals=2).tolist() == pytest.approx([1.23, -2.57])
    ints = tinynn.tensor([1, -2])
    for name in ("floor", "ceil", "trunc", "round"):
        assert getattr(tinynn, name)(ints).dtype == np.int64
    x = tinynn.tensor([1.5, -2.5], requires_grad=True)
    y = tinynn.floor(x)
    assert y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_float_functions_of_integer_tensors_are_float32():
    ints = tinynn.tensor([1, 2])
    for name in ("exp", "log", "sqrt", "sin", "cos", "log1p", "expm1", "exp2", "reciprocal", "rsqrt", "erf"):
        assert getattr(tinynn, name)(ints).dtype == np.float32, name
    assert tinynn.square(ints).dtype == np.int64 and tinynn.square(ints).tolist() == [1, 4]
    assert tinynn.square(tinynn.tensor([True])).dtype == np.int64


def test_isfinite_isnan_isinf():
    v = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])
    x = tinynn.tensor(v)
    for name in ("isfinite", "isnan", "isinf"):
        np.testing.assert_array_equal(getattr(tinynn, name)(x).numpy(), getattr(np, name)(v))
        np.testing.assert_array_equal(getattr(x, name)().numpy(), getattr(np, name)(v))
    assert tinynn.isfinite(tinynn.tensor([1, 2])).tolist() == [True, True]


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_maximum_minimum(name, shapes, seed, device):
    sa, sb = shapes.input_shapes
    a, b = leaf(values(sa, seed), device), leaf(values(sb, seed + 1), device)
    np.testing.assert_array_equal(host(getattr(tinynn, name)(a, b)), getattr(np, name)(host(a), host(b)))
    assert gradcheck(getattr(tinynn, name), (a, b))


def test_maximum_ties_split_the_gradient_and_nan_propagates():
    a = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tinynn.tensor([1.0, 0.0, 3.0], requires_grad=True)
    tinynn.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.5] and b.grad.tolist() == [0.5, 0.0, 0.5]
    assert math.isnan(tinynn.maximum(tinynn.tensor([np.nan]), tinynn.tensor([1.0])).item())
    assert tinynn.maximum(tinynn.tensor([1, 2]), tinynn.tensor([1.5, 1.0])).dtype == np.float32
    with pytest.raises(TypeError, match="must be Tensor, not int"):
        tinynn.maximum(tinynn.tensor([1.0]), 1)


@given(shape=shapes, seed=st.integers(0, 2**16))
def test_clamp_min_max_with_numbers_and_tensors(shape, seed, device):
    v = values(shape, seed)
    v = np.where(np.abs(v - 0.2) < 1e-3, 0.5, v)
    low = values(shape, seed + 1)
    low = np.where(np.abs(v - low) < 1e-3, low + 0.1, low)
    x, bound = leaf(v, device), leaf(low, device)
    np.testing.assert_array_equal(host(tinynn.clamp_min(x, 0.2)), np.maximum(v, 0.2))
    np.testing.assert_array_equal(host(x.clamp_max(0.2)), np.minimum(v, 0.2))
    np.testing.assert_array_equal(host(x.clamp_min(bound)), np.maximum(v, low))
    np.testing.assert_array_equal(host(tinynn.clamp(x, max=bound)), np.minimum(v, low))
    assert gradcheck(lambda t: t.clamp_max(0.2), (x,))
    assert gradcheck(lambda t, b: t.clamp_min(b), (x, bound))
    assert gradcheck(lambda t, b: tinynn.clamp(t, min=b - 0.3, max=b + 0.3), (x, bound))


def test_clamp_of_integers_with_a_float_bound_is_float_and_in_place_variants():
    assert tinynn.clamp_min(tinynn.tensor([1, 2, 3]), 2.5).tolist() == [2.5, 2.5, 3.0]
    assert tinynn.clamp_min(tinynn.tensor([1, 2, 3]), 2).tolist() == [2, 2, 3]
    x = tinynn.tensor([1.0, 2.0, 3.0])
    assert x.clamp_min_(2) is x and x.tolist() == [2.0, 2.0, 3.0]
    assert x.clamp_max_(2.5) is x and x.tolist() == [2.0, 2.0, 2.5]
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tinynn.ones(2, requires_grad=True).clamp_min_(0)


# ----------------------------------------------------------------- reductions
@given(shape=shapes, data=st.data())
def test_prod(shape, data, device):
    dim = data.draw(st.sampled_from([None] + list(range(-len(shape), len(shape)))))
    keepdim = data.draw(st.booleans()) if dim is not None else False
    v = values(shape, data.draw(st.integers(0, 2**16)))
    x = leaf(v, device)
    expected = v.prod() if dim is None else v.prod(axis=dim, keepdims=keepdim)
    np.testing.assert_allclose(host(x.prod(dim, keepdim)), expected, rtol=1e-12)
    assert gradcheck(lambda t: tinynn.prod(t, dim, keepdim), (x,))


@pytest.mark.parametrize("row,expected", [([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]), ([0.0, 0.0, 3.0], [0.0, 0.0, 0.0]),
                                           ([2.0, 5.0, 3.0], [15.0, 6.0, 10.0])])
def test_prod_gradient_with_zeros_is_the_product_of_the_others(row, expected, device):
    x = leaf([row, row[::-1]], device)
    x.prod(1).sum().backward()
    np.testing.assert_array_equal(host(x.grad), [expected, expected[::-1]])
    assert gradcheck(lambda t: t.prod(1), (x,))


def test_prod_and_cumsum_dtypes():
    assert tinynn.prod(tinynn.tensor([1, 2, 3], dtype=tinynn.int32)).dtype == np.int64
    assert tinynn.prod(tinynn.tensor([True, True])).item() == 1
    assert tinynn.prod(tinynn.ones(2, 3), 1, keepdim=True, dtype=tinynn.float64).dtype == np.float64
    assert tinynn.cumsum(tinynn.tensor([1, 2, 3], dtype=tinynn.int32), 0).tolist() == [1, 3, 6]
    assert tinynn.cumsum(tinynn.tensor([True, True]), 0).dtype == np.int64
    assert tinynn.cumsum(tinynn.ones(2, 3), 1, dtype=tinynn.float64).dtype == np.float64
    assert tinynn.cumsum(tinynn.tensor(2.0), 0).item() == 2.0
    with pytest.raises(TypeError):
        tinynn.prod(tinynn.ones(2, 3), (0, 1))


@given(shape=shapes, data=st.data())
def test_cumsum(shape, data, device):
    dim = some_dim(data, len(shape))
    v = values(shape, data.draw(st.integers(0, 2**16)))
    x = leaf(v, device)
    np.testing.assert_allclose(host(x.cumsum(dim)), np.cumsum(v, axis=dim), rtol=1e-12)
    assert gradcheck(lambda t: tinynn.cumsum(t, dim), (x,))


@given(shape=shapes, data=st.data())
def test_logsumexp(shape, data, device):
    dim = data.draw(st.sampled_from(list(range(-len(shape), len(shape))) + [tuple(range(len(shape)))]))
    keepdim = data.draw(st.booleans())
    v = values(shape, data.draw(st.integers(0, 2**16))) * 3
    x = leaf(v, device)
    np.testing.assert_allclose(host(x.logsumexp(dim, keepdim)),
                               np.log(np.exp(v).sum(axis=dim, keepdims=keepdim)), rtol=1e-12)
    assert gradcheck(lambda t: tinynn.logsumexp(t, dim, keepdim), (x,))


def test_logsumexp_is_stable_and_handles_infinities():
    x = tinynn.tensor([1000.0, 1000.0, -1000.0])
    assert tinynn.logsumexp(x, 0).item() == pytest.approx(1000 + math.log(2))
    assert tinynn.logsumexp(tinynn.tensor([-np.inf, -np.inf]), 0).item() == -np.inf
    assert tinynn.logsumexp(tinynn.tensor([np.inf, 1.0]), 0).item() == np.inf
    assert tinynn.logsumexp(tinynn.tensor([1, 2, 3]), 0).dtype == np.float32


def test_count_nonzero_and_bincount():
    v = np.array([[0, 1], [2, 0], [3, 4]])
    x = tinynn.tensor(v)
    assert tinynn.count_nonzero(x).item() == 4
    np.testing.assert_array_equal(x.count_nonzero(0).numpy(), np.count_nonzero(v, axis=0))
    assert tinynn.count_nonzero(x, dim=(0, 1)).dtype == np.int64
    i = tinynn.tensor([0, 1, 1, 3])
    assert tinynn.bincount(i).tolist() == [1, 2, 0, 1]
    assert i.bincount(minlength=6).tolist() == [1, 2, 0, 1, 0, 0]
    weighted = tinynn.bincount(i, weights=tinynn.tensor([0.5, 1.0, 1.0, 2.0]))
    assert weighted.dtype == np.float32 and weighted.tolist() == [0.5, 2.0, 0.0, 2.0]
    with pytest.raises(RuntimeError, match="non-negative integral"):
        tinynn.bincount(tinynn.tensor([0, -1]))


@given(shape=shapes, data=st.data())
def test_median(shape, data, device):
    v = values(shape, data.draw(st.integers(0, 2**16)))
    x = leaf(v, device)
    flat = np.sort(v.reshape(-1))
    assert host(x.median()) == flat[(flat.size - 1) // 2]
    assert gradcheck(tinynn.median, (x,))
    dim = some_dim(data, len(shape))
    keepdim = data.draw(st.booleans())
    values_, indices = tinynn.median(x, dim, keepdim)
    n = v.shape[dim]
    expected = np.take(np.sort(v, axis=dim), [(n - 1) // 2], axis=dim)
    np.testing.assert_array_equal(host(values_), expected if keepdim else expected.squeeze(dim))
    picked = np.take_along_axis(v, host(indices) if keepdim else np.expand_dims(host(indices), dim), dim)
    np.testing.assert_array_equal(picked, expected)
    assert gradcheck(lambda t: t.median(dim, keepdim).values, (x,))


def test_median_ties_nan_and_empty():
    x = tinynn.tensor([[3.0, 1.0, 1.0, 4.0]], requires_grad=True)
    assert x.median(1).indices.tolist() == [2]          # torch's choice among equal values
    x.median().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5, 0.0]]     # ties share the gradient
    assert math.isnan(tinynn.tensor([3.0, np.nan, 1.0]).median().item())
    row = tinynn.tensor([[3.0, np.nan, 1.0, np.nan]]).median(1)
    assert math.isnan(row.values.item()) and row.indices.item() == 1
    assert math.isnan(tinynn.tensor([]).median().item())
    with pytest.raises(IndexError, match="non-zero size"):
        tinynn.median(tinynn.ones(1, 0), 1)


# ---------------------------------------------------------------------- norms
VECTOR_ORDS = [2, 1, 3, 0.5, -1, math.inf, -math.inf, 0]


def _vector_norm(v, p, axis, keepdim):
    a = np.abs(v)
    if p == math.inf:
        return a.max(axis=axis, keepdims=keepdim)
    if p == -math.inf:
        return a.min(axis=axis, keepdims=keepdim)
    if p == 0:
        return (v != 0).sum(axis=axis, keepdims=keepdim).astype(v.dtype)
    return (a ** p).sum(axis=axis, keepdims=keepdim) ** (1 / p)


@pytest.mark.parametrize("p", VECTOR_ORDS)
@given(shape=shapes, data=st.data())
def test_vector_norm(p, shape, data, device):
    dim = data.draw(st.sampled_from([None, -1, tuple(range(len(shape)))]))
    keepdim = data.draw(st.booleans())
    v = values(shape, data.draw(st.integers(0, 2**16)))
    x = leaf(v, device)
    got = tinynn.linalg.vector_norm(x, p, dim, keepdim)
    axis = None if dim is None else dim
    expected = _vector_norm(v, p, axis, keepdim) if dim is not None or not keepdim else \
        _vector_norm(v, p, None, True)
    np.testing.assert_allclose(host(got), expected, rtol=1e-12)
    if p != 0:
        assert gradcheck(lambda t: tinynn.linalg.vector_norm(t, p, dim, keepdim), (x,))


@pytest.mark.parametrize("p", [2, 3, 1.5, 1, 0.5])
def test_norm_gradient_at_zero_is_zero(p, device):
    x = leaf(np.zeros(3), device)
    tinynn.linalg.vector_norm(x, p).backward()
    np.testing.assert_array_equal(host(x.grad), np.zeros(3))


def test_tensor_norm_forms():
    v = np.arange(24.0).reshape(2, 3, 4) - 11
    x = tinynn.tensor(v)
    assert x.norm().item() == pytest.approx(np.sqrt((v ** 2).sum()))
    np.testing.assert_allclose(x.norm(1, 2).numpy(), np.abs(v).sum(2))
    np.testing.assert_allclose(tinynn.norm(x, p="fro", dim=(1, 2)).numpy(), np.sqrt((v ** 2).sum((1, 2))))
    np.testing.assert_allclose(tinynn.norm(x, p=1, dim=(1, 2)).numpy(), np.abs(v).sum((1, 2)))
    np.testing.assert_allclose(tinynn.norm(x, float("inf")).numpy(), np.abs(v).max())
    assert x.norm(keepdim=True).shape == (1, 1, 1)
    assert x.float().norm(dtype=tinynn.float64).dtype == np.float64
    np.testing.assert_allclose(tinynn.norm(x[0], p="nuc").numpy(), np.linalg.norm(v[0], "nuc"))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        tinynn.tensor([1, 2]).norm()
    with pytest.raises(RuntimeError, match="Order abc not supported"):
        tinynn.norm(x, p="abc")


MATRIX_ORDS = ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf]


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@given(shape=matrix_shapes, data=st.data())
def test_matrix_norm(ord, shape, data, device):
    if device == "cuda" and ord in ("nuc", 2, -2) and GPU_STAND_IN:
        pytest.skip("these norms use an SVD, which the CuPy stand-in does not emulate")
    keepdim = data.draw(st.booleans())
    v = values(shape, data.draw(st.integers(0, 2**16)))
    x = leaf(v, device)
    expected = np.linalg.norm(v, ord, axis=(-2, -1), keepdims=keepdim)
    np.testing.assert_allclose(host(tinynn.linalg.matrix_norm(x, ord, keepdim=keepdim)), expected, rtol=1e-10)
    assert gradcheck(lambda t: tinynn.linalg.matrix_norm(t, ord, keepdim=keepdim), (x,))


def test_matrix_norm_over_other_dims_and_linalg_norm_dispatch():
    v = np.random.default_rng(0).standard_normal((3, 2, 4))
    x = tinynn.tensor(v)
    for ord in MATRIX_ORDS:
        np.testing.assert_allclose(tinynn.linalg.matrix_norm(x, ord, dim=(0, 2)).numpy(),
                                   np.linalg.norm(v, ord, axis=(0, 2)), rtol=1e-10)
        np.testing.assert_allclose(tinynn.linalg.norm(x[0], ord).numpy(), np.linalg.norm(v[0], ord), rtol=1e-10)
    assert tinynn.linalg.norm(x).item() == pytest.approx(np.sqrt((v ** 2).sum()))
    np.testing.assert_allclose(tinynn.linalg.norm(x, 3, dim=1).numpy(), _vector_norm(v, 3, 1, False))
    with pytest.raises(RuntimeError, match="input must be 1D or 2D. Got 3D"):
        tinynn.linalg.norm(x, 2)
    with pytest.raises(RuntimeError, match="must have at least 2 dimensions"):
        tinynn.linalg.matrix_norm(x[0, 0])
    with pytest.raises(RuntimeError, match="Order 3 not supported"):
        tinynn.linalg.matrix_norm(x, 3)
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        tinynn.linalg.vector_norm(tinynn.empty(0), math.inf)


# ------------------------------------------------------- gather / scatter / select
def _index(rng, shape, axis, size, unique=False):
    """Random indices into ``size`` along ``axis`` (each row a permutation prefix when ``unique``)."""
    if not unique:
        return rng.integers(0, size, shape)
    picks = np.argsort(rng.random(shape[:axis] + (size,) + shape[axis + 1:]), axis=axis)
    return np.take(picks, range(shape[axis]), axis=axis)


@given(shape=shapes, data=st.data())
def test_gather(shape, data, device):
    axis = data.draw(st.integers(0, len(shape) - 1))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    index_shape = tuple(data.draw(st.integers(1, n)) if d != axis else data.draw(st.integers(1, 5))
                        for d, n in enumerate(shape))
    index = rng.integers(0, shape[axis], index_shape)
    v = rng.standard_normal(shape)
    x = leaf(v, device)
    region = v[tuple(slice(0, n) if d != axis else slice(None) for d, n in enumerate(index_shape))]
    got = tinynn.gather(x, axis, tinynn.tensor(index, device=device))
    np.testing.assert_array_equal(host(got), np.take_along_axis(region, index, axis))
    assert gradcheck(lambda t: t.gather(axis, tinynn.tensor(index, device=device)), (x,))


def _scatter_reference(v, axis, index, src, add):
    out = v.copy()
    for position in np.ndindex(*index.shape):
        target = list(position)
        target[axis] = index[position]
        if add:
            out[tuple(target)] += src[position]
        else:
            out[tuple(target)] = src[position]
    return out


@pytest.mark.parametrize("add", [False, True])
@given(shape=shapes, data=st.data())
def test_scatter_and_scatter_add(add, shape, data, device):
    axis = data.draw(st.integers(0, len(shape) - 1))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    index_shape = tuple(data.draw(st.integers(1, n)) for n in shape)
    index = _index(rng, index_shape, axis, shape[axis], unique=not add)   # scatter: one writer per place
    src_shape = tuple(n + data.draw(st.integers(0, 1)) for n in index_shape)
    v, s = rng.standard_normal(shape), rng.standard_normal(src_shape)
    x, src, i = leaf(v, device), leaf(s, device), tinynn.tensor(index, device=device)
    op = tinynn.scatter_add if add else tinynn.scatter
    np.testing.assert_allclose(host(op(x, axis, i, src)), _scatter_reference(v, axis, index, s, add), rtol=1e-14)
    assert gradcheck(lambda a, b: op(a, axis, i, b), (x, src))
    if not add:
        filled = x.scatter(axis, i, value=2.5)
        np.testing.assert_array_equal(host(filled), _scatter_reference(v, axis, index, np.full(index.shape, 2.5),
                                                                       False))
        assert gradcheck(lambda a: a.scatter(axis, i, 2.5), (x,))


def test_scatter_reduce_in_place_and_errors():
    index = tinynn.tensor([[0, 0], [2, 3]])
    src = tinynn.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.warns(UserWarning, match="deprecated"):
        added = tinynn.zeros(3, 4).scatter(1, index, src, reduce="add")
    assert added.tolist() == [[3, 0, 0, 0], [0, 0, 3, 4], [0, 0, 0, 0]]
    assert tinynn.ones(3, 4).scatter(1, index, 3.0, reduce="multiply")[0].tolist() == [9, 1, 1, 1]
    x = tinynn.zeros(3, 4)
    assert x.scatter_(1, tinynn.tensor([[0, 1], [2, 3]]), src) is x and x[:2].tolist() == [[1, 2, 0, 0],
                                                                                          [0, 0, 3, 4]]
    assert x.scatter_add_(1, index, src) is x and x[0].tolist() == [4, 2, 0, 0]
    assert tinynn.ones(2, dtype=tinynn.int64).scatter(0, tinynn.tensor([1]), 2.7).tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        x.scatter(1, index, 1.0, reduce="max")
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        x.scatter(1, index, src.double())
    with pytest.raises(RuntimeError, match="index 9 is out of bounds for dimension 1 with size 4"):
        x.scatter_add(1, tinynn.tensor([[0, 9]]), src)
    with pytest.raises(RuntimeError, match=r"Expected index \[2, 2\] to be no larger than self \[3, 4\] apart "
                                           r"from dimension 1 and to be no larger size than src \[1, 1\]"):
        x.scatter(1, index, tinynn.ones(1, 1))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tinynn.zeros(3, 4, requires_grad=True).scatter_(1, index, src)
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        with pytest.warns(UserWarning):
            tinynn.zeros(3, 4, requires_grad=True).scatter(1, index, src, reduce="add").sum().backward()


def test_gather_errors_match_torch():
    x = tinynn.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        x.gather(1, tinynn.tensor([[0.0]]))
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 1 with size 3"):
        x.gather(1, tinynn.tensor([[0, 3]]))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        x.gather(1, tinynn.tensor([[-1]]))
    with pytest.raises(RuntimeError, match="same number of dimensions as input tensor"):
        x.gather(1, tinynn.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"Size does not match at dimension 0 expected index \[3, 2\]"):
        x.gather(1, tinynn.tensor([[0, 1]] * 3))
    assert tinynn.gather(tinynn.tensor(5.0), 0, tinynn.tensor(0)).item() == 5.0


@given(shape=shapes, data=st.data())
def test_index_select(shape, data, device):
    axis = some_dim(data, len(shape))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    index = rng.integers(0, shape[axis], data.draw(st.integers(0, 5)))
    v = rng.standard_normal(shape)
    x = leaf(v, device)
    i = tinynn.tensor(index, dtype=tinynn.int64, device=device)
    np.testing.assert_array_equal(host(x.index_select(axis, i)), np.take(v, index, axis=axis))
    assert gradcheck(lambda t: tinynn.index_select(t, axis, i), (x,))


def test_index_select_errors():
    x = tinynn.ones(2, 3)
    assert x.index_select(1, tinynn.tensor(2)).shape == (2, 1)
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(1, tinynn.tensor([[2, 0]]))
    with pytest.raises(RuntimeError, match="Expected dtype int32 or int64 for index"):
        x.index_select(1, tinynn.tensor([2.0]))
    with pytest.raises(RuntimeError, match="out of DATA bounds, id=3 axis_dim=3"):
        x.index_select(1, tinynn.tensor([3]))


# ------------------------------------------------------------------ masked_fill
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), data=st.data())
def test_masked_fill(shapes, data, device):
    x_shape, mask_shape = shapes.input_shapes
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    v, mask = rng.standard_normal(x_shape), rng.random(mask_shape) < 0.5
    x, m = leaf(v, device), tinynn.tensor(mask, device=device)
    value = leaf(np.array(1.5), device)
    np.testing.assert_array_equal(host(x.masked_fill(m, -2.0)), np.where(mask, -2.0, v))
    np.testing.assert_array_equal(host(tinynn.masked_fill(x, m, value)), np.where(mask, 1.5, v))
    assert gradcheck(lambda a, b: a.masked_fill(m, b), (x, value))


def test_masked_fill_dtypes_in_place_and_errors():
    x = tinynn.arange(6.0).reshape(2, 3)
    mask = tinynn.tensor([True, False, True])
    assert x.masked_fill(x > 2, float("-inf"))[1].tolist() == [-math.inf] * 3
    assert tinynn.arange(3).masked_fill(mask, 2.7).tolist() == [2, 1, 2]
    assert x.masked_fill(mask, tinynn.tensor(9)).dtype == np.float32
    x.masked_fill_(mask, 7.0)
    assert x.tolist() == [[7, 1, 7], [7, 4, 7]]
    with pytest.raises(RuntimeError, match="only supports boolean masks, but got mask with dtype long int"):
        x.masked_fill(tinynn.tensor([1, 0, 1]), 9)
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor"):
        x.masked_fill(mask, tinynn.tensor([9.0]))
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\)"):
        x.masked_fill(tinynn.tensor([True, False]), 9)
    with pytest.raises(RuntimeError, match=r"doesn't match the broadcast shape \[3, 2, 3\]"):
        x.masked_fill_(tinynn.ones(3, 2, 3, dtype=tinynn.bool), 1.0)
    assert x.masked_fill(tinynn.ones(3, 2, 3, dtype=tinynn.bool), 1.0).shape == (3, 2, 3)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tinynn.ones(3, requires_grad=True).masked_fill_(mask, 0.0)


# ------------------------------------------------------- split, chunk, unbind...
@given(shape=shapes, data=st.data())
def test_split_chunk_unbind(shape, data, device):
    axis = some_dim(data, len(shape))
    n = shape[axis]
    size = data.draw(st.integers(1, n + 1))
    sizes = data.draw(st.lists(st.integers(0, n), min_size=1, max_size=3).filter(lambda s: sum(s) <= n))
    sizes = sizes + [n - sum(sizes)]
    chunks = data.draw(st.integers(1, n + 1))
    v = values(shape, data.draw(st.integers(0, 2**16)))
    x = leaf(v, device)
    bounds = list(range(size, n, size))
    for got, want in [(x.split(size, axis), np.split(v, bounds, axis=axis)),
                      (tinynn.split(x, sizes, axis), np.split(v, np.cumsum(sizes)[:-1], axis=axis)),
                      (x.chunk(chunks, axis), np.split(v, list(range(-(-n // chunks), n, -(-n // chunks))), axis)),
                      (x.unbind(axis), [np.take(v, i, axis=axis) for i in range(n)])]:
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(host(g), w)
    weights = [float(k + 1) for k in range(len(sizes))]
    assert gradcheck(lambda t: tinynn.cat([p * w for p, w in zip(t.split(sizes, axis), weights)], axis), (x,))
    assert gradcheck(lambda t: tinynn.stack([p * (k + 1) for k, p in enumerate(t.unbind(axis))]), (x,))


def test_split_and_chunk_edge_cases():
    assert [p.tolist() for p in tinynn.arange(7).split(3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [p.tolist() for p in tinynn.arange(6).chunk(4)] == [[0, 1], [2, 3], [4, 5]]
    assert len(tinynn.arange(0).chunk(2)) == 2 and len(tinynn.arange(0).split(2)) == 1
    with pytest.raises(RuntimeError, match="split_sizes to sum exactly to 7"):
        tinynn.arange(7).split([3, 3])
    with pytest.raises(RuntimeError, match="split_size can only be 0 if dimension size is 0"):
        tinynn.arange(7).split(0)
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        tinynn.arange(5).chunk(0)


# ------------------------------------------------------------- sort / topk
@given(shape=shapes, data=st.data())
def test_sort_argsort_topk(shape, data, device):
    axis = some_dim(data, len(shape))
    descending = data.draw(st.booleans())
    v = values(shape, data.draw(st.integers(0, 2**16)))
    x = leaf(v, device)
    values_, indices = x.sort(axis, descending)
    expected = np.sort(v, axis=axis)
    expected = np.flip(expected, axis) if descending else expected
    np.testing.assert_array_equal(host(values_), expected)
    np.testing.assert_array_equal(np.take_along_axis(v, host(indices), axis), expected)
    np.testing.assert_array_equal(host(tinynn.argsort(x, axis, descending)), host(indices))
    assert gradcheck(lambda t: tinynn.sort(t, axis, descending).values, (x,))
    k = data.draw(st.integers(0, shape[axis]))
    largest = data.draw(st.booleans())
    top = tinynn.topk(x, k, axis, largest)
    ordered = np.flip(np.sort(v, axis=axis), axis) if largest else np.sort(v, axis=axis)
    np.testing.assert_array_equal(host(top.values), np.take(ordered, range(k), axis=axis))
    np.testing.assert_array_equal(np.take_along_axis(v, host(top.indices), axis), host(top.values))
    assert gradcheck(lambda t: t.topk(k, axis, largest)[0], (x,))


def test_sort_is_stable_both_ways_and_nan_is_largest():
    x = tinynn.tensor([3.0, 1.0, 2.0, 3.0, 0.0])
    assert x.sort().indices.tolist() == [4, 1, 2, 0, 3]
    assert x.sort(descending=True).indices.tolist() == [0, 3, 2, 1, 4]
    assert x.argsort(descending=True, stable=True).tolist() == [0, 3, 2, 1, 4]
    assert tinynn.topk(x, 2).indices.tolist() == [0, 3]
    nan = tinynn.tensor([1.0, np.nan, 0.0])
    assert nan.sort().indices.tolist() == [2, 0, 1] and nan.sort(descending=True).indices.tolist() == [1, 0, 2]
    assert tinynn.topk(nan, 1).indices.tolist() == [1]
    assert type(x.sort()).__name__ == "sort" and type(x.topk(1)).__name__ == "topk"
    assert tinynn.sort(tinynn.tensor([True, False])).indices.tolist() == [1, 0]
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(6)


# ------------------------------------------------ flip, roll, repeat, tile, narrow
SHAPE_OPS = {
    "flip": (lambda t, a: t.flip(a), lambda v, a: np.flip(v, a)),
    "flip_all": (lambda t, a: tinynn.flip(t, tuple(range(t.ndim))), lambda v, a: np.flip(v)),
    "roll": (lambda t, a: t.roll(2, a), lambda v, a: np.roll(v, 2, a)),
    "roll_flat": (lambda t, a: tinynn.roll(t, -1), lambda v, a: np.roll(v, -1)),
    "roll_many": (lambda t, a: t.roll((1, -1), (a, 0)), lambda v, a: np.roll(v, (1, -1), (a, 0))),
    "repeat": (lambda t, a: t.repeat(2, *([1] * (t.ndim - 1)), 3),
               lambda v, a: np.tile(v, (2,) + (1,) * (v.ndim - 1) + (3,))),
    "tile": (lambda t, a: t.tile((2, 1)), lambda v, a: np.tile(v, (2, 1))),
    "narrow": (lambda t, a: t.narrow(a, t.shape[a] // 2, (t.shape[a] + 1) // 2),
               lambda v, a: np.take(v, range(v.shape[a] // 2, v.shape[a]), axis=a)),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
@given(shape=shapes, data=st.data())
def test_shape_ops(name, shape, data, device):
    op, ref = SHAPE_OPS[name]
    axis = some_dim(data, len(shape))
    v = values(shape, data.draw(st.integers(0, 2**16)))
    x = leaf(v, device)
    np.testing.assert_array_equal(host(op(x, axis)), ref(v, axis))
    assert gradcheck(lambda t: op(t, axis), (x,))


def test_flip_copies_and_shape_op_errors():
    x = tinynn.arange(6.0).reshape(2, 3)
    y = x.flip(0)
    y[0, 0] = 100.0
    assert x[1, 0].item() == 3.0                      # a copy, as torch's flip
    assert x.narrow(1, -2, 2).tolist() == [[1, 2], [4, 5]]
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        tinynn.flip(x, 0)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        x.flip((0, 0))
    with pytest.raises(RuntimeError, match="shifts and dimensions must align. shifts: 1, dims:2"):
        x.roll(1, (0, 1))
    with pytest.raises(RuntimeError, match="can not be smaller than number of dimensions"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"):
        x.narrow(1, 2, 2)
    assert tinynn.tile(x, (2, 1, 1)).shape == (2, 2, 3)


# ----------------------------------------------------------- matrices
@given(shape=matrix_shapes, data=st.data())
def test_tril_triu_diag(shape, data, device):
    k = data.draw(st.integers(-2, 2))
    v = values(shape, data.draw(st.integers(0, 2**16)))
    x = leaf(v, device)
    np.testing.assert_array_equal(host(x.tril(k)), np.tril(v, k))
    np.testing.assert_array_equal(host(tinynn.triu(x, k)), np.triu(v, k))
    assert gradcheck(lambda t: t.tril(k), (x,))
    assert gradcheck(lambda t: tinynn.triu(t, diagonal=k), (x,))
    m = leaf(v.reshape(-1, v.shape[-1]), device)
    np.testing.assert_array_equal(host(tinynn.diag(m, k)), np.diag(host(m), k))
    np.testing.assert_array_equal(host(m[0].diag(k)), np.diag(host(m)[0], k))
    assert gradcheck(lambda t: t.diag(k), (m,))
    vector = leaf(v.reshape(-1)[:3], device)
    assert gradcheck(lambda t: tinynn.diag(t, k), (vector,))


@given(n=st.integers(1, 4), m=st.integers(1, 4), p=st.integers(1, 4), b=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_mm_bmm_dot_outer(n, m, p, b, seed, device):
    rng = np.random.default_rng(seed)
    A, B = leaf(rng.standard_normal((n, m)), device), leaf(rng.standard_normal((m, p)), device)
    np.testing.assert_allclose(host(tinynn.mm(A, B)), host(A) @ host(B), rtol=1e-12)
    assert gradcheck(tinynn.mm, (A, B))
    U, V = leaf(rng.standard_normal((b, n, m)), device), leaf(rng.standard_normal((b, m, p)), device)
    np.testing.assert_allclose(host(U.bmm(V)), host(U) @ host(V), rtol=1e-12)
    assert gradcheck(tinynn.bmm, (U, V))
    u, w = leaf(rng.standard_normal(m), device), leaf(rng.standard_normal(m), device)
    assert host(tinynn.dot(u, w)) == pytest.approx(host(u) @ host(w))
    assert gradcheck(tinynn.dot, (u, w))
    z = leaf(rng.standard_normal(p), device)
    np.testing.assert_allclose(host(u.outer(z)), np.outer(host(u), host(z)))
    assert gradcheck(tinynn.ger, (u, z))


def test_matrix_product_errors():
    with pytest.raises(RuntimeError, match="mat2 must be a matrix"):
        tinynn.mm(tinynn.ones(2, 3), tinynn.ones(3))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"):
        tinynn.mm(tinynn.ones(2, 3), tinynn.ones(3, 2, dtype=tinynn.float64))
    with pytest.raises(RuntimeError, match=r"batch2 tensor to be: \[2, 3\] but got: \[3, 3\]"):
        tinynn.bmm(tinynn.ones(2, 2, 3), tinynn.ones(3, 3, 4))
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 1D tensors"):
        tinynn.dot(tinynn.ones(2, 2), tinynn.ones(2))
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument self, but got 2-D"):
        tinynn.outer(tinynn.ones(2, 2), tinynn.ones(2))
    assert tinynn.outer(tinynn.tensor([1, 2]), tinynn.tensor([1.0, 2.0])).dtype == np.float32


EINSUM = [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("i,i->", [(3,), (3,)]),
          ("i,j->ij", [(2,), (3,)]), ("ij,j->i", [(2, 3), (3,)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
          ("ij->", [(2, 3)]), ("ij->j", [(2, 3)]), ("...ij->...ji", [(2, 2, 3)]), ("ij", [(2, 3)]),
          ("ij,kj", [(2, 3), (4, 3)]), ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
          ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]), ("bi,bi->b", [(1, 3), (4, 3)]), ("iij->ij", [(2, 2, 3)])]


@pytest.mark.parametrize("equation,shapes_", EINSUM)
def test_einsum(equation, shapes_, device):
    arrays = [values(s, k) for k, s in enumerate(shapes_)]
    xs = [leaf(a, device) for a in arrays]
    np.testing.assert_allclose(host(tinynn.einsum(equation, *xs)), np.einsum(equation, *arrays), rtol=1e-12)
    np.testing.assert_allclose(host(tinynn.einsum(equation, xs)), np.einsum(equation, *arrays), rtol=1e-12)
    assert gradcheck(lambda *t: tinynn.einsum(equation, *t), xs)


def test_einsum_errors():
    with pytest.raises(RuntimeError, match="subscript j has size 4 for operand 1 which does not broadcast"):
        tinynn.einsum("ij,jk->ik", tinynn.ones(2, 3), tinynn.ones(4, 2))
    with pytest.raises(RuntimeError, match="fewer operands were provided"):
        tinynn.einsum("ij,jk->ik", tinynn.ones(2, 3))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        tinynn.einsum("i,i->", tinynn.ones(2), tinynn.ones(2, dtype=tinynn.float64))


# ------------------------------------------------------- nonzero, unique
def test_nonzero_argwhere_unique():
    v = np.array([[0, 1], [2, 0]])
    x = tinynn.tensor(v)
    np.testing.assert_array_equal(tinynn.nonzero(x).numpy(), np.argwhere(v))
    assert tinynn.argwhere(x).dtype == np.int64 and x.argwhere().shape == (2, 2)
    rows, cols = x.nonzero(as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert tinynn.nonzero(tinynn.tensor(1.0)).shape == (1, 0)
    u, inverse, counts = tinynn.unique(tinynn.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
    assert u.tolist() == [1, 2, 3] and inverse.tolist() == [2, 0, 2, 1] and counts.tolist() == [1, 1, 2]
    assert tinynn.tensor([[1, 2], [1, 2], [3, 4]]).unique(dim=0).tolist() == [[1, 2], [3, 4]]
    assert tinynn.unique(tinynn.tensor([[3, 1], [3, 2]]), return_inverse=True)[1].shape == (2, 2)


def test_add_and_sub_take_alpha():
    a = tinynn.ones(3)
    assert tinynn.add(a, 2, alpha=3).tolist() == [7.0] * 3
    assert tinynn.sub(a, 2, alpha=3).tolist() == [-5.0] * 3
    assert a.add(tinynn.ones(3), alpha=0.5).tolist() == [1.5] * 3
    with pytest.raises(RuntimeError, match="alpha must not be a floating point number"):
        tinynn.add(tinynn.tensor([1, 2]), 2, alpha=0.5)
    x = leaf(values((2, 3), 0), "cpu")
    y = leaf(values((3,), 1), "cpu")
    assert gradcheck(lambda p, q: tinynn.sub(p, q, alpha=-1.5), (x, y))


def test_a_0d_index_counts_as_1d_for_a_1d_tensor_as_in_torch():
    # torchvision's tutorial: target_transform=Lambda(lambda y: zeros(10).scatter_(0, tensor(y), value=1))
    assert tinynn.zeros(10).scatter_(0, tinynn.tensor(3), value=1).tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert tinynn.zeros(4).scatter(0, tinynn.tensor(2), tinynn.tensor(5.0)).tolist() == [0, 0, 5, 0]
    assert tinynn.zeros(4).scatter_add(0, tinynn.tensor(1), tinynn.tensor(2.0)).tolist() == [0, 2, 0, 0]
    picked = tinynn.arange(10.0).gather(0, tinynn.tensor(3))
    assert picked.shape == () and picked.item() == 3.0


def test_index_put_normalize_type_as_and_mT(device):
    from tinynn.autograd import gradcheck
    from helpers import leaf
    base = leaf(np.arange(5.0), device)
    values = leaf(np.array([1.5, -2.0, 0.5]), device)
    index = (tinynn.tensor([0, 0, 2], device=device),)
    out = base.index_put(index, values, accumulate=True)
    assert out.cpu().tolist() == [-0.5, 1.0, 2.5, 3.0, 4.0]
    assert gradcheck(lambda b, v: base.index_put(index, v, accumulate=True) * b, (base, values))
    x = leaf(np.random.default_rng(0).standard_normal((3, 4)), device)
    assert gradcheck(lambda t: tinynn.nn.functional.normalize(t, p=2, dim=1), (x,))
    norms = np.linalg.norm(tinynn.nn.functional.normalize(x).detach().cpu().numpy(), axis=1)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-12)
    assert x.mT.shape == (4, 3) and x.type_as(tinynn.ones(1, dtype=tinynn.float32)).dtype == np.float32
