"""The fast convolution and max pooling (tinynn/_fast/conv.py, pooling.py) against their references.

Each case runs twice, with ``tinynn.set_kernels("fast")`` and ``"reference"``,
on the same inputs and output gradient: the output and every input gradient
must agree (to float rounding for the convolution's products, exactly for max
pooling), and each mode must really run its own class.
"""
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinynn
import tinynn.nn.functional as F
from tinynn._fast.conv import ShiftedRowsConv2d, block_extent
from tinynn._fast.pooling import TiledMaxPool2d, first_max_gradient, unique_max_gradient
from tinynn._fast.threads import MIN_ELEMENTS_PER_THREAD
from tinynn.autograd.gradcheck import gradcheck
from tinynn.nn._functions.conv import Conv2dFunction
from tinynn.nn._functions.pooling import AvgPool2dFunction, MaxPool2dFunction

from helpers import host


def run(mode, fn, arrays, device="cpu", wants_grad=None):
    """fn's output, its grad_fn (as it was before backward released it) and the gradient of each
    input (None where not wanted), in ``mode``."""
    wants_grad = wants_grad or [True] * len(arrays)
    with tinynn.set_kernels(mode):
        inputs = [tinynn.tensor(a, device=device).requires_grad_(w) for a, w in zip(arrays, wants_grad)]
        out = fn(*inputs)
        fn_ = out.grad_fn
        node = SimpleNamespace(type=type(fn_), name=fn_.name(), on_threads=getattr(fn_, "on_threads", None),
                               on_slices=getattr(fn_, "on_slices", None))
        vars(node).update(vars(fn_))
        gy = np.random.default_rng(1).standard_normal(out.shape).astype(out.dtype)
        out.backward(tinynn.tensor(gy, device=device))
    return host(out), node, [None if t.grad is None else host(t.grad) for t in inputs]


def both_modes(fn, arrays, exact=False, rtol=1e-10, atol=1e-10, **kwargs):
    """Run fn in both modes; check outputs and gradients agree; return (fast grad_fn, reference grad_fn, result)."""
    fast_out, fast_fn, fast_grads = run("fast", fn, arrays, **kwargs)
    ref_out, ref_fn, ref_grads = run("reference", fn, arrays, **kwargs)
    for a, b in zip([fast_out] + fast_grads, [ref_out] + ref_grads):
        assert (a is None) == (b is None)
        if a is None:
            continue
        assert a.dtype == b.dtype and a.shape == b.shape
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    return fast_fn, ref_fn, (ref_out, ref_grads)


# ------------------------------------------------------------------ convolution
def conv_arrays(rng, n, c, h, w, o, groups, kh, kw, bias, dtype=np.float64):
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weight = rng.standard_normal((o, c // groups, kh, kw)).astype(dtype)
    return [x, weight] + ([rng.standard_normal(o).astype(dtype)] if bias else [])


def conv(stride, padding, dilation, groups):
    return lambda x, w, b=None: F.conv2d(x, w, b, stride, padding, dilation, groups)


def assert_conv_classes(fast_fn, ref_fn, shifted):
    assert fast_fn.type is ShiftedRowsConv2d and ref_fn.type is Conv2dFunction
    assert fast_fn.name == ref_fn.name == "ConvolutionBackward0"
    assert fast_fn.on_threads and fast_fn.shifted == shifted


@given(n=st.integers(1, 3), c=st.integers(8, 12), o=st.integers(1, 14), h=st.integers(1, 8), w=st.integers(1, 8),
       kh=st.integers(1, 3), kw=st.integers(1, 3), padding=st.sampled_from([0, 1, 2, (0, 1), (2, 1), "same"]),
       dilation=st.sampled_from([1, 2, (1, 2)]), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_shifted_rows_conv_equals_the_reference(n, c, o, h, w, kh, kw, padding, dilation, bias, seed):
    """Stride 1, one group, >= 8 input channels: the shifted-rows method (narrowing and widening layers,
    padding shared between images or not, dilation, asymmetric 'same' padding)."""
    d = (dilation, dilation) if isinstance(dilation, int) else dilation
    p = (padding, padding) if isinstance(padding, int) else (0, 0) if padding == "same" else padding
    assume(padding == "same" or (h + 2 * p[0] > d[0] * (kh - 1) and w + 2 * p[1] > d[1] * (kw - 1)))
    arrays = conv_arrays(np.random.default_rng(seed), n, c, h, w, o, 1, kh, kw, bias)
    fast_fn, ref_fn, _ = both_modes(conv(1, padding, dilation, 1), arrays)
    assert_conv_classes(fast_fn, ref_fn, shifted=True)


@given(n=st.integers(1, 3), cg=st.integers(1, 4), og=st.integers(1, 4), groups=st.integers(1, 3),
       h=st.integers(1, 8), w=st.integers(1, 8), kh=st.integers(1, 3), kw=st.integers(1, 3),
       stride=st.sampled_from([1, 2, 3, (1, 2)]), padding=st.sampled_from([0, 1, 2, (1, 0)]),
       dilation=st.sampled_from([1, 2, (2, 1)]), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_im2col_conv_in_chunks_equals_the_reference(n, cg, og, groups, h, w, kh, kw, stride, padding, dilation,
                                                    bias, seed):
    """Strides, groups, few channels: the fast variant's im2col per chunk, bias as a column of ones."""
    s, p, d = [(v, v) if isinstance(v, int) else v for v in (stride, padding, dilation)]
    assume(h + 2 * p[0] > d[0] * (kh - 1) and w + 2 * p[1] > d[1] * (kw - 1))
    c = cg * groups
    arrays = conv_arrays(np.random.default_rng(seed), n, c, h, w, og * groups, groups, kh, kw, bias)
    fast_fn, ref_fn, _ = both_modes(conv(stride, padding, dilation, groups), arrays)
    assert_conv_classes(fast_fn, ref_fn, shifted=s == (1, 1) and groups == 1 and c >= 8)


@given(n=st.integers(2, 8), c=st.sampled_from([3, 8, 12]), o=st.integers(4, 16), extra=st.integers(0, 3),
       stride=st.sampled_from([1, 2]), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_conv_split_over_threads_equals_the_reference(two_threads, n, c, o, extra, stride, bias, seed):
    """Batches big enough to split over 2 threads: each chunk's im2col or shifted rows, and the
    weight gradient summed over the chunks."""
    oh = int(np.ceil(np.sqrt(2 * MIN_ELEMENTS_PER_THREAD / (n * c * 9)))) + extra   # columns of 2 threads' work
    size = (oh - 1) * stride + 1                                                     # (3x3, padding 1)
    arrays = conv_arrays(np.random.default_rng(seed), n, c, size, size, o, 1, 3, 3, bias)
    fast_fn, ref_fn, _ = both_modes(conv(stride, 1, 1, 1), arrays, rtol=1e-9)
    assert_conv_classes(fast_fn, ref_fn, shifted=stride == 1 and c >= 8)
    assert len(fast_fn.chunks) == 2


@pytest.mark.parametrize("n,c,h,w,o,k,kw", [
    (2, 8, 6, 7, 5, 3, dict(padding=1)),
    (3, 9, 5, 5, 4, 3, dict(padding=0)),
    (2, 8, 6, 6, 3, 2, dict(padding="same")),            # asymmetric padding
    (2, 10, 7, 6, 3, 3, dict(padding=2, dilation=2)),
    (1, 16, 4, 9, 2, (1, 3), dict(padding=(0, 1))),
    # more outputs than inputs: the forward builds columns, the input gradient sums shifted products
    (2, 8, 5, 6, 12, 3, dict(padding=1)),
    (1, 8, 6, 6, 8, 3, dict(padding=1, dilation=2)),
    # padding beyond the kernel's reach: each image keeps all its padding (block_extent)
    (2, 8, 5, 5, 3, 3, dict(padding=3)),
    (2, 8, 5, 4, 9, (3, 1), dict(padding=(2, 1))),
])
@pytest.mark.parametrize("bias", [True, False])
def test_shifted_rows_conv_in_float32(n, c, h, w, o, k, kw, bias):
    kh, kwid = (k, k) if isinstance(k, int) else k
    arrays = conv_arrays(np.random.default_rng(0), n, c, h, w, o, 1, kh, kwid, bias, dtype=np.float32)
    fast_fn, _, (out, _) = both_modes(lambda *t: F.conv2d(*t, **kw), arrays, rtol=1e-4, atol=1e-4)
    assert fast_fn.shifted and out.dtype == np.float32


@pytest.mark.parametrize("c, o", [(9, 4), (3, 4), (8, 11)])
def test_conv_weight_gradient_without_input_gradient(c, o):
    """A first layer (no dL/dx wanted): a narrowing shifted layer takes dL/dW from gy's columns."""
    arrays = conv_arrays(np.random.default_rng(1), 2, c, 6, 5, o, 1, 3, 3, bias=True)
    fast_fn, _, (_, grads) = both_modes(conv(1, 1, (1, 2), 1), arrays, wants_grad=[False, True, True])
    assert grads[0] is None and fast_fn.shifted == (c >= 8)
    x, w = tinynn.tensor(arrays[0]), tinynn.tensor(arrays[1], requires_grad=True)
    F.conv2d(x, w, padding=1, dilation=(1, 2)).sum().backward()
    expected = np.zeros(w.shape)                         # sum of y: dL/dW = sum of the inputs each weight read
    padded = np.pad(arrays[0], ((0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(3):
        for j in range(3):
            expected[:, :, i, j] = padded[:, :, i:i + 6, 2 * j:2 * j + 3].sum(axis=(0, 2, 3))
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-10)


def test_conv_gradchecks_in_each_mode():
    """(conftest runs a test that calls gradcheck with each kernel set: shifted rows in fast mode.)"""
    rng = np.random.default_rng(0)
    x = tinynn.tensor(rng.standard_normal((2, 8, 5, 5)), requires_grad=True)     # float64 for gradcheck
    w = tinynn.tensor(rng.standard_normal((3, 8, 3, 3)), requires_grad=True)
    b = tinynn.tensor(rng.standard_normal(3), requires_grad=True)
    wide = tinynn.tensor(rng.standard_normal((11, 8, 3, 3)), requires_grad=True)   # more outputs than inputs
    y = F.conv2d(x, w, b, padding=1)
    assert type(y.grad_fn) is (ShiftedRowsConv2d if tinynn.get_kernels() == "fast" else Conv2dFunction)
    assert getattr(y.grad_fn, "shifted", False) == (tinynn.get_kernels() == "fast")
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=1), (x, w, b))
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding=1), (x, wide))
    grouped = tinynn.tensor(rng.standard_normal((4, 4, 3, 3)), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1, dilation=(1, 2), groups=2), (x, grouped))
    assert gradcheck(lambda x: F.max_pool2d(x, 2), (x,))
    assert gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1), (x,))


def test_conv_of_an_empty_batch():
    arrays = conv_arrays(np.random.default_rng(0), 0, 8, 5, 5, 4, 1, 3, 3, bias=True)
    _, _, (out, grads) = both_modes(conv(1, 1, 1, 1), arrays, exact=True)
    assert out.shape == (0, 4, 5, 5)
    assert not grads[1].any() and not grads[2].any()


def test_conv_on_the_gpu_runs_the_reference_in_both_modes(device):
    """The fast variant hands CuPy arrays to the reference: bit for bit what reference mode gives."""
    arrays = conv_arrays(np.random.default_rng(2), 2, 8, 6, 6, 4, 1, 3, 3, bias=True)
    fast_fn, _, _ = both_modes(conv(1, 1, 1, 1), arrays, device=device, exact=device != "cpu")
    assert fast_fn.type is ShiftedRowsConv2d and fast_fn.on_threads == (device == "cpu")


def test_images_share_their_padding_in_the_shifted_layout():
    assert block_extent(16, 1, 1, reach=2) == 17       # 3x3, padding 1: one shared zero
    assert block_extent(16, 0, 1, reach=1) == 17       # "same" for an even kernel
    assert block_extent(16, 2, 2, reach=4) == 18       # dilation 2
    assert block_extent(16, 0, 0, reach=2) == 16       # no padding
    assert block_extent(16, 3, 3, reach=2) == 22       # outputs would not fit: all padding


# ------------------------------------------------------------------ max pooling
def max_pool_by_loops(x, gy, kernel, stride, pad, dilation):
    """torch's rule, one window at a time: y the maximum (NaN if the window holds one); dL/dx gy at the
    window's first maximum, or at its last NaN."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, pad, dilation
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    y, g = np.zeros(gy.shape, x.dtype), np.zeros_like(padded)
    for b, ch, i, j in np.ndindex(gy.shape):
        window = padded[b, ch, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw].ravel()
        nans = np.flatnonzero(np.isnan(window))
        at = nans[-1] if nans.size else int(np.argmax(window))
        y[b, ch, i, j] = window[at]
        g[b, ch, i * sh + at // kw * dh, j * sw + at % kw * dw] += gy[b, ch, i, j]
    return y, g[:, :, ph:ph + h, pw:pw + w]


def pool_input(rng, shape, values, dtype=np.float64):
    """Few distinct values (many ties), optionally with NaNs or signed zeros."""
    x = rng.integers(-2, 3, shape).astype(dtype)
    if values == "nan":
        x[rng.random(shape) < 0.15] = np.nan
    elif values == "signed zeros":
        x = np.where(x > 0, -0.0, x) * np.where(rng.random(shape) < 0.5, 1, -1).astype(dtype)
    return x


def check_max_pool(x, kernel, stride, padding, dilation, exact=True):
    """Both modes equal each other exactly, and torch's rule computed with loops; returns the fast grad_fn.
    (Where 0.0 and -0.0 tie, both modes send the gradient to the first, as torch, but their maximum may
    carry either sign, as NumPy's; torch's is the first.) Where windows overlap, an input's gradient is a
    sum, which each computes in its own order: equal to rounding then."""
    pool = lambda t: F.max_pool2d(t, kernel, stride, padding, dilation)   # noqa: E731
    fast_fn, ref_fn, (y, (gx,)) = both_modes(pool, [x], exact=exact, rtol=1e-12, atol=0)
    assert fast_fn.type is TiledMaxPool2d and ref_fn.type is MaxPool2dFunction
    assert fast_fn.name == ref_fn.name == "MaxPool2DWithIndicesBackward0"
    gy = np.random.default_rng(1).standard_normal(y.shape).astype(y.dtype)
    pair = lambda v: (v, v) if isinstance(v, int) else v                   # noqa: E731
    y_loops, gx_loops = max_pool_by_loops(x, gy, pair(kernel), pair(stride or kernel), pair(padding), pair(dilation))
    np.testing.assert_array_equal(y, y_loops)
    np.testing.assert_allclose(gx, gx_loops, rtol=1e-12, atol=0)
    return fast_fn


@given(n=st.integers(1, 3), c=st.integers(1, 3), oh=st.integers(1, 5), ow=st.integers(1, 5),
       kernel=st.sampled_from([1, 2, 3, (2, 3), (1, 4), (2, 8), (3, 2)]),
       values=st.sampled_from(["ties", "nan", "signed zeros"]), seed=st.integers(0, 2**16))
def test_tiled_max_pool_equals_the_reference(n, c, oh, ow, kernel, values, seed):
    """Windows that tile the input: the fast forward by rows then columns, and the backward that is
    unique_max_gradient, or first_max_gradient's bit trick (kw = 2, 4, 8) or cumsum (other kw)."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = pool_input(np.random.default_rng(seed), (n, c, oh * kh, ow * kw), values)
    assert check_max_pool(x, kernel, None, 0, 1).tiled


@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       kernel=st.sampled_from([1, 2, 3, (2, 3), (3, 1)]), stride=st.sampled_from([None, 1, 2, (1, 3)]),
       padding=st.sampled_from([0, 1, (1, 0)]), dilation=st.sampled_from([1, 2, (1, 2)]),
       values=st.sampled_from(["ties", "nan", "signed zeros"]), seed=st.integers(0, 2**16))
def test_max_pool_with_any_windows_equals_the_reference(n, c, h, w, kernel, stride, padding, dilation, values,
                                                        seed):
    """Overlapping, padded, dilated windows and windows that leave a remainder: the fast variant's
    strided passes, each claiming the windows whose first maximum it holds."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    assume(ph <= kh // 2 and pw <= kw // 2)
    assume(h + 2 * ph > dh * (kh - 1) and w + 2 * pw > dw * (kw - 1))
    x = pool_input(np.random.default_rng(seed), (n, c, h, w), values)
    check_max_pool(x, kernel, stride, padding, dilation, exact=False)


@given(seed=st.integers(0, 2**16), values=st.sampled_from(["distinct", "ties", "nan"]))
def test_tiled_max_pool_split_over_threads_equals_the_reference(two_threads, seed, values):
    rng = np.random.default_rng(seed)
    shape = (16, 16, 32, 32)                                     # 2 * 2**17 elements: two chunks
    assert np.prod(shape) >= 2 * MIN_ELEMENTS_PER_THREAD
    x = rng.standard_normal(shape).astype(np.float32) if values == "distinct" else pool_input(rng, shape, values,
                                                                                               np.float32)
    fast_fn, _, _ = both_modes(lambda t: F.max_pool2d(t, 2), [x], exact=True)
    assert fast_fn.tiled


def test_max_pool_not_tiled_when_windows_leave_a_remainder():
    x = tinynn.tensor(np.zeros((1, 1, 5, 5), np.float32), requires_grad=True)
    with tinynn.set_kernels("fast"):
        assert not F.max_pool2d(x, 2).grad_fn.tiled


def test_max_pool_on_the_gpu_and_of_nothing_runs_the_reference_in_both_modes(device):
    x = pool_input(np.random.default_rng(3), (2, 3, 6, 6), "nan")
    fast_fn, _, _ = both_modes(lambda t: F.max_pool2d(t, 2), [x], device=device, exact=True)
    assert fast_fn.type is TiledMaxPool2d and fast_fn.on_slices == (device == "cpu")
    fast_fn, _, (y, _) = both_modes(lambda t: F.max_pool2d(t, 2), [np.zeros((0, 3, 6, 6))], device=device, exact=True)
    assert not fast_fn.on_slices and y.shape == (0, 3, 3, 3)


def test_avg_pool_has_no_fast_variant():
    x = tinynn.randn(1, 2, 4, 4, requires_grad=True)
    for mode in ("fast", "reference"):
        with tinynn.set_kernels(mode):
            assert type(F.avg_pool2d(x, 2).grad_fn) is AvgPool2dFunction


@pytest.mark.parametrize("k", [(2, 2), (3, 2), (1, 4)])
@pytest.mark.parametrize("case", ["distinct", "tie", "nan", "signed zeros"])
def test_unique_max_gradient_or_first_max_gradient(k, case):
    rng = np.random.default_rng(1)
    kh, kw = k
    x = rng.permutation(2 * 3 * 4 * kh * 5 * kw).astype(np.float32).reshape(2, 3, 4, kh, 5 * kw)   # distinct
    if case == "tie":
        x[1, 2, 3, :, :kw] = 7.5
    elif case == "nan":
        x[0, 1, 2, 0, kw] = np.nan
    elif case == "signed zeros":
        x[0, 0, 0, :, :kw] = -1.0
        x[0, 0, 0, -1, kw - 1], x[0, 0, 0, 0, 0] = 0.0, -0.0                   # equal maxima: -0 first
    windows = x.reshape(2, 3, 4, kh, 5, kw)
    y = windows.max(axis=(3, 5))
    gy = rng.standard_normal(y.shape).astype(np.float32)
    unique = np.empty_like(x)
    assert unique_max_gradient(x, y, gy, out=unique) == (case == "distinct")
    first = np.empty_like(x)
    first_max_gradient(x, y, gy, out=first)
    expected = np.zeros_like(windows)                                        # gy at each window's first max
    for index in np.ndindex(y.shape):
        w = windows[index[0], index[1], index[2], :, index[3], :]
        hits = np.flatnonzero(w == y[index])
        if hits.size:
            i, j = divmod(hits[0], kw)
            expected[index[0], index[1], index[2], i, index[3], j] = gy[index]
    np.testing.assert_array_equal(first, expected.reshape(x.shape))
    if case == "distinct":
        np.testing.assert_array_equal(unique, first)
