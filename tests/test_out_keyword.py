"""The ``out=`` keyword: results written into the given tensor, with torch's resize, dtype and autograd rules."""
import warnings

import numpy as np
import pytest

import tinynn

rng = np.random.default_rng(0)
X = tinynn.tensor(np.abs(rng.standard_normal((2, 3))).astype(np.float32) + 0.5)
Y = tinynn.tensor(np.abs(rng.standard_normal((2, 3))).astype(np.float32) + 0.5)
SQUARE = tinynn.tensor(rng.standard_normal((3, 3)).astype(np.float32))
BATCH = tinynn.tensor(rng.standard_normal((2, 3, 3)).astype(np.float32))
VECTOR = tinynn.tensor(rng.standard_normal(3).astype(np.float32))
INDEX = tinynn.tensor([[0, 2, 1], [1, 1, 0]])

UNARY = ["exp", "log", "sqrt", "abs", "tanh", "sigmoid", "sign", "square", "log1p", "expm1", "exp2", "sin", "cos",
         "reciprocal", "rsqrt", "erf", "floor", "ceil", "trunc", "round", "neg"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "floor_divide", "remainder",
          "eq", "ne", "lt", "le", "gt", "ge"]

CALLS = {f"{name}": (lambda name: lambda **out: getattr(tinynn, name)(X, **out))(name) for name in UNARY}
CALLS.update({f"{name}": (lambda name: lambda **out: getattr(tinynn, name)(X, Y, **out))(name) for name in BINARY})
CALLS.update({
    "add_alpha": lambda **out: tinynn.add(X, Y, alpha=2, **out),
    "clamp": lambda **out: tinynn.clamp(X, 0.6, 1.0, **out),
    "clamp_min": lambda **out: tinynn.clamp_min(X, 0.8, **out),
    "clamp_max": lambda **out: tinynn.clamp_max(X, 0.8, **out),
    "matmul": lambda **out: tinynn.matmul(X, SQUARE, **out),
    "mm": lambda **out: tinynn.mm(X, SQUARE, **out),
    "bmm": lambda **out: tinynn.bmm(BATCH, BATCH, **out),
    "dot": lambda **out: tinynn.dot(VECTOR, VECTOR, **out),
    "outer": lambda **out: tinynn.outer(VECTOR, VECTOR, **out),
    "sum": lambda **out: tinynn.sum(X, 1, **out),
    "sum_keepdim": lambda **out: tinynn.sum(X, 0, keepdim=True, **out),
    "mean": lambda **out: tinynn.mean(X, 1, **out),
    "prod": lambda **out: tinynn.prod(X, 1, **out),
    "cumsum": lambda **out: tinynn.cumsum(X, 1, **out),
    "logsumexp": lambda **out: tinynn.logsumexp(X, 1, **out),
    "std": lambda **out: tinynn.std(X, 1, **out),
    "var": lambda **out: tinynn.var(X, 0, **out),
    "amax": lambda **out: tinynn.amax(X, 1, **out),
    "amin": lambda **out: tinynn.amin(X, 0, **out),
    "argmax": lambda **out: tinynn.argmax(X, 1, **out),
    "argmin": lambda **out: tinynn.argmin(X, **out),
    "all": lambda **out: tinynn.all(X > 1, 1, **out),
    "any": lambda **out: tinynn.any(X > 1, 0, **out),
    "norm": lambda **out: tinynn.norm(X, 2, 1, **out),
    "vector_norm": lambda **out: tinynn.linalg.vector_norm(X, 3, **out),
    "matrix_norm": lambda **out: tinynn.linalg.matrix_norm(SQUARE, "nuc", **out),
    "linalg_norm": lambda **out: tinynn.linalg.norm(X, **out),
    "cat": lambda **out: tinynn.cat([X, Y], 1, **out),
    "stack": lambda **out: tinynn.stack([X, Y], **out),
    "gather": lambda **out: tinynn.gather(X, 1, INDEX, **out),
    "index_select": lambda **out: tinynn.index_select(X, 1, INDEX[0], **out),
    "scatter": lambda **out: tinynn.scatter(X, 1, INDEX[:, :1], Y, **out),
    "scatter_add": lambda **out: tinynn.scatter_add(X, 1, INDEX, Y, **out),
    "diag": lambda **out: tinynn.diag(SQUARE, **out),
    "tril": lambda **out: tinynn.tril(SQUARE, **out),
    "triu": lambda **out: tinynn.triu(SQUARE, 1, **out),
})
TUPLE_CALLS = {
    "max": lambda **out: tinynn.max(X, 1, **out),
    "min": lambda **out: tinynn.min(X, 0, keepdim=True, **out),
    "sort": lambda **out: tinynn.sort(X, 1, descending=True, **out),
    "topk": lambda **out: tinynn.topk(X, 2, **out),
    "median": lambda **out: tinynn.median(X, 1, **out),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_out_receives_the_result_and_is_returned(name):
    expected = CALLS[name]()
    out = tinynn.empty(0, dtype=expected.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # an empty out is resized without a warning
        returned = CALLS[name](out=out)
    assert returned is out
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert not out.requires_grad


@pytest.mark.parametrize("name", sorted(TUPLE_CALLS))
def test_out_tuple_for_values_and_indices(name):
    expected = TUPLE_CALLS[name]()
    values, indices = tinynn.empty(0), tinynn.empty(0, dtype=tinynn.int64)
    returned = TUPLE_CALLS[name](out=(values, indices))
    assert returned[0] is values and returned[1] is indices
    assert returned.values is values and type(returned).__name__ == type(expected).__name__ + "_out"  # as torch
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    with pytest.raises(TypeError, match="argument 'out' must be tuple of 2 Tensors"):
        TUPLE_CALLS[name](out=values)


def test_an_out_of_the_right_shape_is_written_in_place():
    out = tinynn.zeros(2, 3)
    view = out.numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tinynn.mul(X, Y, out=out)
    np.testing.assert_array_equal(view, X.numpy() * Y.numpy())   # the same memory was written
    assert tinynn.add(out, out, out=out) is out                   # out may also be an input
    np.testing.assert_array_equal(view, 2 * X.numpy() * Y.numpy())


def test_a_non_empty_out_of_another_shape_is_resized_with_torchs_warning():
    out = tinynn.zeros(5)
    with pytest.warns(UserWarning, match=r"An output with one or more elements was resized since it had shape "
                                         r"\[5\], which does not match the required output shape \[2, 3\]") as w:
        tinynn.exp(X, out=out)
    assert w[0].filename == __file__                  # the warning points at the caller's line
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), np.exp(X.numpy()))


def test_results_are_cast_to_outs_dtype_but_never_float_to_int():
    wide = tinynn.empty(2, 3, dtype=tinynn.float64)
    tinynn.add(X, 1, out=wide)
    assert wide.dtype == np.float64 and np.allclose(wide.numpy(), X.numpy() + 1)
    floats = tinynn.empty(3)
    tinynn.add(tinynn.tensor([1, 2, 3]), 1, out=floats)
    assert floats.tolist() == [2.0, 3.0, 4.0]
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        tinynn.add(X, 1, out=tinynn.empty(2, 3, dtype=tinynn.int64))
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired output type Bool"):
        tinynn.argmax(X, 1, out=tinynn.empty(2, dtype=tinynn.bool))


def test_out_is_refused_while_recording_gradients():
    x = X.clone().requires_grad_()
    message = r"add\(\): functions with out=... arguments don't support automatic differentiation, but one of " \
              r"the arguments requires grad."
    with pytest.raises(RuntimeError, match=message):
        tinynn.add(x, 1, out=tinynn.empty(2, 3))
    with pytest.raises(RuntimeError, match=r"max\(\): functions with out="):
        tinynn.max(x, 1, out=(tinynn.empty(2), tinynn.empty(2, dtype=tinynn.int64)))
    with pytest.raises(RuntimeError, match=r"add\(\): functions with out="):
        tinynn.add(X, 1, out=tinynn.empty(2, 3, requires_grad=True))
    with tinynn.no_grad():
        out = tinynn.empty(2, 3)
        assert tinynn.add(x, 1, out=out) is out and not out.requires_grad
    flags = tinynn.empty(2, 3, dtype=tinynn.bool)
    assert tinynn.eq(x, x, out=flags) is flags and flags.numpy().all()   # not differentiable: allowed


def test_out_must_be_a_tensor():
    with pytest.raises(TypeError, match=r"exp\(\): argument 'out' must be Tensor, not list"):
        tinynn.exp(X, out=[])
