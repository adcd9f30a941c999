"""The newer tensor ops against real torch: values, dtypes, gradients and error messages (skipped without torch)."""
import math
import warnings

import numpy as np
import pytest

import tinynn

torch = pytest.importorskip("torch")

rng = np.random.default_rng(1234)
A = rng.standard_normal((3, 4))
A_ZEROS = np.array([[0.0, 0.0, 0.0, 0.0], [1.5, 0.0, -2.0, 3.0], [0.0, 0.0, 4.0, -1.0]])
A_TIES = np.array([[3.0, 1.0, 1.0, 4.0], [2.0, 2.0, 2.0, -1.0], [0.0, 5.0, 0.0, 5.0]])
SQUARE = rng.standard_normal((2, 3, 3))
VECTOR = rng.standard_normal(4)


def _run(lib, fn, arrays, grad):
    inputs = [lib.tensor(a, requires_grad=grad and a.dtype.kind == "f") if isinstance(a, np.ndarray) else a
              for a in arrays]
    out = fn(lib, *inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    grads = []
    if grad:
        loss = 0
        for k, o in enumerate(outs):
            if o.requires_grad:
                weights = np.random.default_rng(k).standard_normal(tuple(o.shape))
                loss = loss + (o * lib.tensor(weights, dtype=o.dtype)).sum()
        if not isinstance(loss, int):
            loss.backward()
        grads = [None if not getattr(x, "requires_grad", False) or x.grad is None else x.grad for x in inputs]
    return outs, grads


def _array(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def check(fn, *arrays, grad=True, rtol=1e-10):
    """fn(lib, *tensors) gives the same values, dtypes and input gradients with tinynn and with torch."""
    ours, our_grads = _run(tinynn, fn, arrays, grad)
    theirs, their_grads = _run(torch, fn, arrays, grad)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape)
        assert np.dtype(o.dtype) == _array(t).dtype
        np.testing.assert_allclose(_array(o), _array(t), **_tolerance(o, rtol))
    for g, t in zip(our_grads, their_grads):
        assert (g is None) == (t is None) or (g is not None and not np.any(_array(g))) or \
            (t is not None and not np.any(_array(t)))
        if g is not None and t is not None:
            np.testing.assert_allclose(_array(g), _array(t), **_tolerance(g, rtol))


def _tolerance(tensor, rtol):
    """float64: ``rtol``; float32 results may differ from torch's in the last bits (different libm/order)."""
    if np.dtype(tensor.dtype) == np.float32:
        return {"rtol": max(rtol, 1e-6), "atol": 1e-7}
    return {"rtol": rtol, "atol": 1e-12}


INF = math.inf
NORMS = [
    lambda m, x: m.norm(x),
    lambda m, x: x.norm(1, 1),
    lambda m, x: x.norm(3, 0, keepdim=True),
    lambda m, x: m.norm(x, p=0.5, dim=1),
    lambda m, x: m.norm(x, p=INF),
    lambda m, x: m.norm(x, p=-INF, dim=1),
    lambda m, x: m.norm(x, p=0, dim=1),
    lambda m, x: m.norm(x, p="fro", dim=(0, 1)),
    lambda m, x: m.norm(x, p="nuc"),
    lambda m, x: m.linalg.vector_norm(x),
    lambda m, x: m.linalg.vector_norm(x, -1, 1),
    lambda m, x: m.linalg.vector_norm(x, 2.5, (0, 1), True),
    lambda m, x: m.linalg.norm(x),
    lambda m, x: m.linalg.norm(x, dim=1),
    lambda m, x: m.linalg.norm(x, 3, dim=0),
] + [(lambda o: lambda m, x: m.linalg.matrix_norm(x, o))(o) for o in ["fro", "nuc", 2, -2, 1, -1, INF, -INF]] \
  + [(lambda o: lambda m, x: m.linalg.norm(x, o))(o) for o in ["fro", 1, -INF]]


@pytest.mark.parametrize("index", range(len(NORMS)))
@pytest.mark.parametrize("data", [A, A_ZEROS], ids=["random", "zeros"])
def test_norms(index, data):
    if index in range(len(NORMS) - 11, len(NORMS) - 3) and data is A_ZEROS:
        data = A_ZEROS + np.diag([0.5, 1.0, 2.0, 0])[:3]          # distinct singular values for the SVD norms
    check(NORMS[index], data)


def test_norm_with_a_wider_dtype():
    check(lambda m, x: m.linalg.vector_norm(x.float(), dtype=m.float64), A, rtol=1e-6)   # float32 rounding inside


def test_batched_matrix_norms():
    for o in ["fro", "nuc", 2, -2, 1, -1, INF, -INF]:
        check(lambda m, x: m.linalg.matrix_norm(x, o, dim=(0, 2), keepdim=True), SQUARE)


REDUCTIONS = [
    lambda m, x: x.prod(),
    lambda m, x: m.prod(x, 1),
    lambda m, x: x.prod(0, keepdim=True),
    lambda m, x: m.cumsum(x, 1),
    lambda m, x: x.cumsum(0),
    lambda m, x: m.logsumexp(x, 1),
    lambda m, x: x.logsumexp((0, 1), keepdim=True),
    lambda m, x: x.median(),
    lambda m, x: m.median(x, 1),
    lambda m, x: x.median(0, keepdim=True),
    lambda m, x: m.count_nonzero(x, 1),
    lambda m, x: m.amax(x, 1),
]


@pytest.mark.parametrize("index", range(len(REDUCTIONS)))
@pytest.mark.parametrize("data", [A, A_ZEROS, A_TIES], ids=["random", "zeros", "ties"])
def test_reductions(index, data):
    check(REDUCTIONS[index], data)


def test_integer_reduction_dtypes():
    ints = np.array([[1, 2, 3], [4, 0, 6]], dtype=np.int32)
    for fn in [lambda m, x: x.prod(), lambda m, x: m.cumsum(x, 1), lambda m, x: m.logsumexp(x, 1),
               lambda m, x: m.cumsum(x, 0, dtype=m.float64), lambda m, x: m.count_nonzero(x)]:
        check(fn, ints, grad=False)
    check(lambda m, x: m.prod(x > 0), ints, grad=False)


POINTWISE = ["square", "log1p", "expm1", "exp2", "sin", "cos", "reciprocal", "rsqrt", "erf", "floor", "ceil",
             "round", "trunc", "exp", "log", "sqrt", "isfinite", "isnan", "isinf"]


@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise(name):
    positive = np.abs(A) + 0.1
    check(lambda m, x: getattr(m, name)(x), positive)
    check(lambda m, x: getattr(x, name)(), positive)
    check(lambda m, x: getattr(m, name)(x), np.array([1, 2, 3]), grad=False)       # integer inputs


def test_pointwise_extras():
    check(lambda m, x: m.round(x, decimals=2), A * 10)
    check(lambda m, x: m.erf(x), np.linspace(-6, 6, 101), rtol=1e-14)
    check(lambda m, x: m.erf(x), np.linspace(-6, 6, 101).astype(np.float32), rtol=3e-7)
    check(lambda m, a, b: m.maximum(a, b), A_TIES, A_TIES[::-1].copy())
    check(lambda m, a, b: m.minimum(a, b), A_TIES, A_TIES[:, ::-1].copy())
    check(lambda m, a, b: m.max(a, b), A_TIES, A_TIES[::-1].copy())
    check(lambda m, x: m.maximum(x, m.tensor([1.5, 1.0, 1.0, 3.0])), np.array([1, 2, 3, 4]), grad=False)
    check(lambda m, x: x.clamp_min(0.5), A)
    check(lambda m, x: m.clamp_max(x, -0.2), A)
    check(lambda m, x, b: x.clamp_min(b), A, A[::-1].copy())
    check(lambda m, x, b: m.clamp(x, max=b), A, A[::-1].copy())
    check(lambda m, x: m.clamp_min(x, 2.5), np.array([1, 2, 3]), grad=False)
    check(lambda m, x, y: m.add(x, y, alpha=-2.5), A, VECTOR)
    check(lambda m, x, y: x.sub(y, alpha=3), A, VECTOR)


def test_sorting():
    check(lambda m, x: m.sort(x, stable=True), A_TIES)
    check(lambda m, x: x.sort(dim=0, descending=True, stable=True), A_TIES)
    check(lambda m, x: m.argsort(x, dim=1, descending=True, stable=True), A_TIES)
    check(lambda m, x: x.topk(2), A)
    check(lambda m, x: m.topk(x, 3, 0, largest=False), A)
    check(lambda m, x: m.sort(x, descending=True, stable=True), np.array([1.0, np.nan, 0.0, np.nan]),
          grad=False)
    check(lambda m, x: m.unique(x, return_inverse=True, return_counts=True), np.array([3, 1, 3, 2, 2]),
          grad=False)
    check(lambda m, x: m.unique(x, dim=0), np.array([[1, 2], [1, 2], [0, 4]]), grad=False)


def test_indexing():
    index = np.array([[0, 3, 1], [2, 2, 0]])
    check(lambda m, x: m.gather(x, 1, m.tensor(index)), A)
    check(lambda m, x: x.gather(0, m.tensor(index[:, :3] % 3)), A)
    check(lambda m, x, s: m.scatter(x, 1, m.tensor([[0, 3], [2, 1]]), s), A, A[:2, :2].copy())
    check(lambda m, x: x.scatter(0, m.tensor([[2, 0, 1]]), value=-1.5), A)
    check(lambda m, x, s: m.scatter_add(x, 1, m.tensor(index), s), A, A[:2, :3].copy())   # (torch fails on a
    # larger src: its backward returns a gradient of index's shape)
    check(lambda m, x: m.index_select(x, 1, m.tensor([3, 0, 3])), A)
    check(lambda m, x: x.index_select(0, m.tensor(2)), A)
    mask = A > 0
    check(lambda m, x: x.masked_fill(m.tensor(mask), -1e9), A)
    check(lambda m, x, v: m.masked_fill(x, m.tensor(mask[0]), v), A, np.array(2.0))
    check(lambda m, x: x.masked_fill(m.tensor(mask[:, :1]), 2.7), np.array([[1, 2, 3, 4]] * 3), grad=False)
    check(lambda m, x: m.nonzero(x), A_ZEROS, grad=False)
    check(lambda m, x: x.nonzero(as_tuple=True), A_ZEROS, grad=False)
    check(lambda m, x: m.argwhere(x), A_ZEROS, grad=False)
    check(lambda m, x: m.bincount(x, minlength=7), np.array([0, 1, 1, 4]), grad=False)
    check(lambda m, x: m.bincount(x, weights=m.tensor([0.5, 1.0, 2.0, 0.25], dtype=m.float32)),
          np.array([0, 1, 1, 4]), grad=False)


SHAPES = [
    lambda m, x: x.split(3, 1),
    lambda m, x: m.split(x, [1, 2], 0),
    lambda m, x: x.chunk(3, 1),
    lambda m, x: m.unbind(x, 1),
    lambda m, x: x.flip(0, 1),
    lambda m, x: m.flip(x, [1]),
    lambda m, x: x.roll(1),
    lambda m, x: m.roll(x, (1, -2), (0, 1)),
    lambda m, x: x.repeat(2, 1, 3),
    lambda m, x: m.tile(x, (2,)),
    lambda m, x: x.tile(2, 1, 1),
    lambda m, x: x.narrow(1, -3, 2),
    lambda m, x: m.tril(x, 1),
    lambda m, x: x.triu(-1),
    lambda m, x: m.diag(x, 1),
    lambda m, x: m.diag(x[0], -1),
]


@pytest.mark.parametrize("index", range(len(SHAPES)))
def test_shape_ops(index):
    check(SHAPES[index], A)


EINSUM = [("ij,jk->ik", [A, A.T]), ("bij,bjk->bik", [SQUARE, SQUARE]), ("i,j->ij", [VECTOR, VECTOR]),
          ("ii->i", [SQUARE[0]]), ("ii", [SQUARE[0]]), ("...ij->...ji", [SQUARE]), ("ij,kj", [A, A]),
          ("bij,jk->bik", [SQUARE, SQUARE[1]]), ("ij,ij->", [A, A])]


@pytest.mark.parametrize("equation,arrays", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_and_products(equation, arrays):
    check(lambda m, *xs: m.einsum(equation, *xs), *arrays)


def test_matrix_products():
    check(lambda m, a, b: m.mm(a, b), A, A.T.copy())
    check(lambda m, a, b: a.bmm(b), SQUARE, SQUARE)
    check(lambda m, a, b: m.dot(a, b), VECTOR, VECTOR[::-1].copy())
    check(lambda m, a, b: m.outer(a, b), VECTOR, VECTOR[:2].copy())
    check(lambda m, a, b: m.ger(a, b), VECTOR, VECTOR[:2].copy())
    check(lambda m, a, b: m.outer(a, b), np.array([1, 2]), np.array([1.0, 2.0], dtype=np.float32), grad=False)


def _message(lib, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn(lib)
        except Exception as error:                # noqa: BLE001  (comparing torch's and ours)
            return type(error).__name__, str(error).split(" (Triggered internally")[0]
    return None


ERRORS = [
    lambda m: m.linalg.vector_norm(m.tensor([1, 2])),
    lambda m: m.linalg.vector_norm(m.tensor([1.0, 2.0]), dtype=m.float16),
    lambda m: m.linalg.vector_norm(m.empty(0), ord=INF),
    lambda m: m.linalg.vector_norm(m.empty(0), ord=-1),
    lambda m: m.linalg.vector_norm(m.ones(2, 3), dim=(0, 0)),
    lambda m: m.linalg.vector_norm(m.ones(2, 3), ord="fro"),
    lambda m: m.norm(m.ones(2, 3, 4), p="abc"),
    lambda m: m.linalg.norm(m.ones(2, 3, 4), ord=2),
    lambda m: m.linalg.matrix_norm(m.ones(6)),
    lambda m: m.linalg.matrix_norm(m.ones(2, 3), ord=3),
    lambda m: m.linalg.matrix_norm(m.ones(2, 3), dim=0),
    lambda m: m.gather(m.ones(2, 3), 1, m.tensor([[0.0]])),
    lambda m: m.gather(m.ones(2, 3), 1, m.tensor([[0, 3]])),
    lambda m: m.gather(m.ones(2, 3), 1, m.tensor([0, 1])),
    lambda m: m.gather(m.ones(2, 3), 1, m.tensor([[0, 1]] * 3)),
    lambda m: m.gather(m.ones(2, 3), 2, m.tensor([[0, 1]])),
    lambda m: m.zeros(3, 4).scatter(1, m.tensor([[0, 1]]), m.ones(1, 2), reduce="max"),
    lambda m: m.zeros(3, 4).scatter(1, m.tensor([[0, 1]]), m.ones(1, 2, dtype=m.float64)),
    lambda m: m.zeros(3, 4).scatter(1, m.tensor([[0, 0], [2, 3]]), m.ones(1, 1)),
    lambda m: m.zeros(3, 4).scatter(1, m.tensor([[0, 1]] * 5), 1.0),
    lambda m: m.zeros(3, 4).scatter(1, m.tensor([0, 1]), 1.0),
    lambda m: m.zeros(3, 4).scatter_add(1, m.tensor([[0, 9]]), m.ones(1, 2)),
    lambda m: m.ones(2, 3).index_select(1, m.tensor([[2, 0]])),
    lambda m: m.ones(2, 3).index_select(1, m.tensor([2.0])),
    lambda m: m.ones(2, 3).index_select(1, m.tensor([3])),
    lambda m: m.ones(2, 3).masked_fill(m.tensor([1, 0, 1]), 9),
    lambda m: m.ones(2, 3).masked_fill(m.tensor([True, False]), 9),
    lambda m: m.ones(2, 3).masked_fill(m.tensor([True, False, True]), m.tensor([9.0])),
    lambda m: m.ones(2, 3).masked_fill_(m.ones(3, 2, 3, dtype=m.bool), 1.0),
    lambda m: m.arange(7).split([3, 3]),
    lambda m: m.arange(7).split(0),
    lambda m: m.arange(7).split(-1),
    lambda m: m.arange(5).chunk(0),
    lambda m: m.arange(5.0).topk(6),
    lambda m: m.arange(6.0).reshape(2, 3).flip((0, 0)),
    lambda m: m.flip(m.ones(2), 0),
    lambda m: m.roll(m.ones(2, 3), 1, (0, 1)),
    lambda m: m.ones(2, 3).repeat(2),
    lambda m: m.ones(2, 3).repeat(-1, 1),
    lambda m: m.ones(3, 4).narrow(1, 4, 1),
    lambda m: m.ones(3, 4).narrow(1, 5, 0),
    lambda m: m.ones(3, 4).narrow(1, 2, -1),
    lambda m: m.tril(m.ones(3)),
    lambda m: m.diag(m.ones(2, 2, 2)),
    lambda m: m.mm(m.ones(2, 3), m.ones(3)),
    lambda m: m.mm(m.ones(2, 3), m.ones(2, 3)),
    lambda m: m.mm(m.ones(2, 3), m.ones(3, 2, dtype=m.float64)),
    lambda m: m.bmm(m.ones(2, 2, 3), m.ones(3, 3, 4)),
    lambda m: m.bmm(m.ones(2, 3), m.ones(2, 3, 4)),
    lambda m: m.dot(m.ones(2), m.ones(3)),
    lambda m: m.dot(m.ones(2, 2), m.ones(2)),
    lambda m: m.dot(m.tensor([1, 2]), m.ones(2)),
    lambda m: m.outer(m.ones(2, 2), m.ones(2)),
    lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(4, 2)),
    lambda m: m.einsum("ij,jk->ik", m.ones(2, 3)),
    lambda m: m.einsum("i,i->", m.ones(2), m.ones(2, dtype=m.float64)),
    lambda m: m.maximum(m.ones(2), 1),
    lambda m: m.bincount(m.tensor([0, -1])),
    lambda m: m.median(m.ones(1, 0), 1),
    lambda m: m.prod(m.ones(2), dim=(0,)),
    lambda m: m.add(m.tensor([1, 2]), 2, alpha=0.5),
    lambda m: m.add(m.ones(3, requires_grad=True), 1, out=m.empty(3)),
    lambda m: m.max(m.ones(3, requires_grad=True), 0, out=(m.empty(()), m.empty((), dtype=m.int64))),
    lambda m: m.add(m.ones(3), 1, out=m.empty(3, dtype=m.int64)),
    lambda m: m.clamp(m.ones(3)),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_error_messages_match_torch(index):
    ours, theirs = _message(tinynn, ERRORS[index]), _message(torch, ERRORS[index])
    assert theirs is not None and ours is not None
    if theirs[0] == "TypeError" and "invalid combination of arguments" in theirs[1]:
        assert ours[0] == "TypeError"             # torch's overload listing is not reproduced
    else:
        assert ours == theirs


def test_out_resize_warning_matches_torch():
    def warning(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = lib.zeros(5)
            assert lib.add(lib.ones(3), 1, out=out) is out
        return str(caught[0].message).split(" (Triggered internally")[0], tuple(out.shape)
    assert warning(tinynn) == warning(torch)
