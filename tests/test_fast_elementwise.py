"""The fast elementwise, product and normalisation kernels (tinynn/_fast/) equal their references.

Each op runs once with ``tinynn.set_kernels("reference")`` and once with
``"fast"`` on the same inputs (shapes drawn by hypothesis, some big enough to
be split over two threads), and the outputs and input gradients are compared:
bit for bit where the fast variant only splits elementwise work, to float32
rounding where it sums or multiplies in another order (batch norm, products).
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynn
import tinynn.nn.functional as F
from tinynn._fast.elementwise import ThreadedDropout, ThreadedRelu, ThreadedTanh
from tinynn._fast.matmul import MIN_MACS_PER_THREAD, ThreadedLinear, ThreadedMatMul
from tinynn._fast.normalization import SPLIT_ABOVE, ThreadedBatchNorm, ThreadedBatchNormFixedStats
from tinynn._fast.threads import MIN_ELEMENTS_PER_THREAD, batch_chunks
from tinynn._ops.arithmetic import MatMul
from tinynn._ops.pointwise import ReluFunction, TanhFunction
from tinynn.nn._functions.dropout import DropoutFunction
from tinynn.nn._functions.linear import LinearFunction
from tinynn.nn._functions.normalization import BatchNormFixedStats, BatchNormFunction

from helpers import host

# elements enough for two threads' chunks (batch_chunks splits at MIN_ELEMENTS_PER_THREAD per thread)
SPLIT_SIZE = 2 * MIN_ELEMENTS_PER_THREAD


def run(mode: str, fn, *arrays, device="cpu", seed=0):
    """``fn``'s output, its grad_fn's class and the inputs' gradients, with ``mode``'s kernels.

    The output gradient is fixed by the output's shape, and the generator is seeded
    first, so that dropout draws the same mask in both modes.
    """
    with tinynn.set_kernels(mode):
        tinynn.manual_seed(seed)
        inputs = [tinynn.tensor(a, device=device, requires_grad=True) for a in arrays]
        out = fn(*inputs)
        gy = np.random.default_rng(1).standard_normal(out.shape).astype(host(out).dtype)
        out.backward(tinynn.tensor(gy, device=device))
    return host(out), type(out.grad_fn), [host(t.grad) for t in inputs]


def compare(fn, *arrays, reference_class, fast_class, exact, device="cpu", rtol=1e-5, atol=1e-6):
    """Run ``fn`` in both modes; check which class ran in each and that the results agree."""
    ref_out, ref_type, ref_grads = run("reference", fn, *arrays, device=device)
    fast_out, fast_type, fast_grads = run("fast", fn, *arrays, device=device)
    assert ref_type is reference_class and fast_type is fast_class
    for r, f in zip([ref_out] + ref_grads, [fast_out] + fast_grads):
        assert r.dtype == f.dtype and r.shape == f.shape
        if exact:
            np.testing.assert_array_equal(f, r)
        else:
            np.testing.assert_allclose(f, r, rtol=rtol, atol=atol * max(1.0, float(np.abs(r).max(initial=0))))


def random_array(shape, seed, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@st.composite
def batch_shapes(draw, min_dims=1):
    """(N, ...) shapes: small ones, and ones of at least SPLIT_SIZE elements that split over two threads."""
    dims = draw(st.integers(min_dims, 4))
    if draw(st.booleans()):
        return tuple(draw(st.lists(st.integers(1, 6), min_size=dims, max_size=dims)))
    rows = draw(st.integers(2, 9))
    rest = draw(st.lists(st.integers(1, 8), min_size=max(dims - 2, 0), max_size=max(dims - 2, 0)))
    last = -(-SPLIT_SIZE // (rows * math.prod(rest))) + draw(st.integers(0, 50))   # enough for two chunks
    return (rows, *rest, last)


ELEMENTWISE = {
    "tanh": (tinynn.tanh, TanhFunction, ThreadedTanh),
    "relu": (tinynn.relu, ReluFunction, ThreadedRelu),
    "dropout": (lambda t: F.dropout(t, 0.3), DropoutFunction, ThreadedDropout),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@given(shape=batch_shapes(), seed=st.integers(0, 2**16))
def test_elementwise_fast_kernels_equal_the_reference(two_threads, name, shape, seed):
    fn, reference_class, fast_class = ELEMENTWISE[name]
    x = random_array(shape, seed)
    x.reshape(-1)[:3] = 0.0                              # relu's kink: its gradient there is 0 in both
    compare(fn, x, reference_class=reference_class, fast_class=fast_class, exact=True)


@given(shape=batch_shapes(min_dims=2), seed=st.integers(0, 2**16), p=st.sampled_from([0.25, 0.5, 1.0]))
def test_channel_dropout_fast_kernel_equals_the_reference(two_threads, shape, seed, p):
    """dropout2d's mask is (N, C, 1, 1): the fast kernel scales it once and broadcasts it."""
    shape = shape + (1,) * (4 - len(shape))
    compare(lambda t: F.dropout2d(t, p), random_array(shape, seed),
            reference_class=DropoutFunction, fast_class=ThreadedDropout, exact=True)


def test_the_big_drawn_shapes_really_split():
    """The big shapes above make two chunks: the threaded code paths are the ones compared."""
    before = tinynn.get_num_threads()
    tinynn.set_num_threads(2)
    try:
        assert len(batch_chunks(np.empty((2, SPLIT_SIZE // 2), np.float32))) == 2
        assert len(batch_chunks(np.empty((2, SPLIT_SIZE // 2 - 1), np.float32))) == 1
    finally:
        tinynn.set_num_threads(before)


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_elementwise_kernels_keep_other_dtypes(two_threads, dtype):
    x = random_array((4, 3, 5), 0, dtype)
    for fn, reference_class, fast_class in ELEMENTWISE.values():
        compare(fn, x, reference_class=reference_class, fast_class=fast_class, exact=True)


def test_tanh_backward_leaves_the_saved_output_untouched():
    """The fast backward works in place, in its own buffer: the saved tanh(x) stays as it was."""
    x = random_array((4, 5), 0)
    gy = random_array((4, 5), 1)
    fn = ThreadedTanh()
    y = fn.forward(x)
    (g,) = fn.backward(gy)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, gy * (1 - y * y), rtol=1e-6)
    np.testing.assert_array_equal(fn.y, np.tanh(x))


def test_tanh_and_sigmoid_of_integers_are_float32_as_torch():
    x = tinynn.tensor([[-2, 0, 3]])
    for mode in tinynn._kernels.MODES:
        with tinynn.set_kernels(mode):
            assert tinynn.tanh(x).dtype == tinynn.float32 and tinynn.sigmoid(x).dtype == tinynn.float32
            np.testing.assert_allclose(tinynn.tanh(x).numpy(), np.tanh([[-2.0, 0.0, 3.0]]), rtol=1e-6)


def test_on_the_gpu_the_fast_kernels_run_the_reference(device):
    """CuPy arrays take the reference's code inside the fast class (tanh's backward and batch norm: the same
    formulas, in place): the same values as the reference."""
    x = random_array((3, 4, 5, 2), 0)
    w, b = random_array((6, 2), 1), random_array(6, 2)
    cases = [(tinynn.tanh, TanhFunction, ThreadedTanh), (tinynn.relu, ReluFunction, ThreadedRelu),
             (lambda t: F.dropout(t, 0.5), DropoutFunction, ThreadedDropout),
             (lambda t: F.batch_norm(t, None, None, training=True), BatchNormFunction, ThreadedBatchNorm),
             (lambda t: t @ tinynn.tensor(w.T, device=t.device), MatMul, ThreadedMatMul),
             (lambda t: F.linear(t, tinynn.tensor(w, device=t.device), tinynn.tensor(b, device=t.device)),
              LinearFunction, ThreadedLinear)]
    for fn, reference_class, fast_class in cases:
        compare(fn, x, reference_class=reference_class, fast_class=fast_class, exact=False, device=device)


# ------------------------------------------------------------------ batch norm
@st.composite
def batch_norm_shapes(draw):
    """(N, C, ...) shapes on either side of SPLIT_ABOVE (above it the fast kernel splits over threads)."""
    n, c = draw(st.integers(2, 6)), draw(st.integers(1, 5))
    spatial = draw(st.sampled_from([(), (1,), (3,), (2, 3)]))
    if draw(st.booleans()):                               # above SPLIT_ABOVE: N * C * L > 2^18
        spatial = spatial + (-(-(SPLIT_ABOVE + 1) // (n * c * math.prod(spatial))) + draw(st.integers(0, 9)),)
    return (n, c, *spatial)


@given(shape=batch_norm_shapes(), seed=st.integers(0, 2**16), affine=st.booleans())
def test_batch_norm_fast_kernels_equal_the_reference(two_threads, shape, seed, affine, device):
    """On the CPU the threaded passes; on the GPU the whole-array ones (``forward_whole``)."""
    c = shape[1]
    x = random_array(shape, seed) * 3 + 1
    if affine:
        weight, bias = random_array(c, seed + 1), random_array(c, seed + 2)
    for training in (True, False):
        running = [tinynn.tensor(random_array(c, seed + 3) * 0.1, device=device),
                   tinynn.tensor(np.abs(random_array(c, 4)) + 0.5, device=device)]
        reference_class, fast_class = ((BatchNormFunction, ThreadedBatchNorm) if training
                                       else (BatchNormFixedStats, ThreadedBatchNormFixedStats))
        if affine:
            fn = lambda t, w, b: F.batch_norm(t, *running, w, b, training=training)   # noqa: E731
            arrays = (x, weight, bias)
        else:
            fn = lambda t: F.batch_norm(t, *running, training=training)               # noqa: E731
            arrays = (x,)
        compare(fn, *arrays, reference_class=reference_class, fast_class=fast_class, exact=False,
                rtol=2e-4, atol=2e-5, device=device)


@pytest.mark.parametrize("size", [SPLIT_ABOVE, SPLIT_ABOVE + 64])
def test_batch_norm_running_statistics_agree_on_both_sides_of_the_split(two_threads, size):
    x = random_array((4, 2, size // 8), 0) * 2 + 3
    stats = {}
    for mode in tinynn._kernels.MODES:
        mean, var = tinynn.zeros(2), tinynn.ones(2)
        with tinynn.set_kernels(mode):
            F.batch_norm(tinynn.tensor(x), mean, var, training=True, momentum=0.5)
        stats[mode] = (mean.numpy(), var.numpy())
    for r, f in zip(stats["reference"], stats["fast"]):
        np.testing.assert_allclose(f, r, rtol=1e-5)
    np.testing.assert_allclose(stats["reference"][0], 0.5 * x.mean(axis=(0, 2)), rtol=1e-4)
    np.testing.assert_allclose(stats["reference"][1], 0.5 + 0.5 * x.var(axis=(0, 2), ddof=1), rtol=1e-4)


# ------------------------------------------------------------------ products
@st.composite
def product_shapes(draw):
    """(m, k, n) with m k n multiply-adds: small, or enough for two threads (2 MIN_MACS_PER_THREAD)."""
    if draw(st.booleans()):
        return tuple(draw(st.integers(1, 9)) for _ in range(3))
    m, k = draw(st.integers(128, 400)), draw(st.integers(128, 400))
    n = -(-2 * MIN_MACS_PER_THREAD // (m * k)) + draw(st.integers(0, 64))
    return (m, k, n) if draw(st.booleans()) else (n, k, m)          # split by rows or by columns


@given(mkn=product_shapes(), seed=st.integers(0, 2**16), batch=st.sampled_from([(), (2,)]))
def test_matmul_fast_kernel_equals_the_reference(two_threads, mkn, seed, batch):
    m, k, n = mkn
    if batch and m * k * n > 10 ** 6:
        m = max(m // 2, 1)                                   # two matrices of half the rows: the same work
    a, b = random_array(batch + (m, k), seed), random_array((k, n), seed + 1)
    compare(lambda s, t: s @ t, a, b, reference_class=MatMul, fast_class=ThreadedMatMul, exact=False)


@pytest.mark.parametrize("sa,sb", [((5,), (5, 3)), ((4, 5), (5,)), ((5,), (5,)), ((2, 3, 5), (5,)),
                                   ((5,), (2, 5, 3))])
def test_matmul_with_vectors_agrees_in_both_modes(sa, sb):
    compare(lambda s, t: s @ t, random_array(sa, 0), random_array(sb, 1), reference_class=MatMul,
            fast_class=ThreadedMatMul, exact=False)


@given(mkn=product_shapes(), seed=st.integers(0, 2**16), bias=st.booleans(), batched=st.booleans())
def test_linear_fast_kernel_equals_the_reference(two_threads, mkn, seed, bias, batched):
    rows, features, outputs = mkn
    shape = (2, -(-rows // 2), features) if batched else (rows, features)
    arrays = [random_array(shape, seed), random_array((outputs, features), seed + 1)]
    if bias:
        arrays.append(random_array(outputs, seed + 2))
    compare(F.linear, *arrays, reference_class=LinearFunction, fast_class=ThreadedLinear, exact=False)



def test_batch_norm_weight_gradient_without_an_input_gradient(device):
    """An input that needs no gradient (the first layer's images): only dL/dweight and dL/dbias."""
    x = random_array((4, 3, 5, 5), 0) * 2 + 1
    grads = {}
    for mode in tinynn._kernels.MODES:
        with tinynn.set_kernels(mode):
            w = tinynn.tensor(random_array(3, 1), device=device, requires_grad=True)
            b = tinynn.tensor(random_array(3, 2), device=device, requires_grad=True)
            y = F.batch_norm(tinynn.tensor(x, device=device), None, None, w, b, training=True)
            (y * y).sum().backward()
            grads[mode] = (host(w.grad), host(b.grad))
    for r, f in zip(grads["reference"], grads["fast"]):
        np.testing.assert_allclose(f, r, rtol=1e-4, atol=1e-5)
