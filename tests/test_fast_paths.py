"""Fast paths agree with the straightforward paths they replace (timings live in benchmarks/)."""
import numpy as np
import pytest

import tinynn
import tinynn.nn.functional as F
from tinynn._ops.pointwise import Tanh
from tinynn.autograd.gradcheck import gradcheck
from tinynn.nn._functions import conv as conv_mod
from tinynn.nn._functions.pooling import MaxPool2d, first_max_gradient, unique_max_gradient

from helpers import forward_and_grads


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
def test_shifted_conv_matches_im2col(monkeypatch, n, c, h, w, o, k, kw, bias):
    rng = np.random.default_rng(0)
    kh, kwid = (k, k) if isinstance(k, int) else k
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((o, c, kh, kwid)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32) if bias else None
    arrays = (x, wt) if b is None else (x, wt, b)
    fast = forward_and_grads(lambda *t: F.conv2d(*t, **kw), *arrays)
    monkeypatch.setattr(conv_mod, "SHIFTED_MIN_CHANNELS", 10 ** 9)     # force im2col
    slow = forward_and_grads(lambda *t: F.conv2d(*t, **kw), *arrays)
    for a, s in zip(fast, slow):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, s, rtol=1e-4, atol=1e-4)


def test_images_share_their_padding_in_the_shifted_layout():
    assert conv_mod.block_extent(16, 1, 1, reach=2) == 17       # 3x3, padding 1: one shared zero
    assert conv_mod.block_extent(16, 0, 1, reach=1) == 17       # "same" for an even kernel
    assert conv_mod.block_extent(16, 2, 2, reach=4) == 18       # dilation 2
    assert conv_mod.block_extent(16, 0, 0, reach=2) == 16       # no padding
    assert conv_mod.block_extent(16, 3, 3, reach=2) == 22       # outputs would not fit: all padding


def test_shifted_conv_is_used_and_gradchecks():
    rng = np.random.default_rng(0)
    x = tinynn.tensor(rng.standard_normal((2, 8, 5, 5)), requires_grad=True)     # float64 for gradcheck
    w = tinynn.tensor(rng.standard_normal((3, 8, 3, 3)), requires_grad=True)
    b = tinynn.tensor(rng.standard_normal(3), requires_grad=True)
    assert F.conv2d(x, w, b, padding=1).grad_fn.shifted
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=1), (x, w, b))
    wide = tinynn.tensor(rng.standard_normal((11, 8, 3, 3)), requires_grad=True)   # more outputs than inputs
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding=1), (x, wide))


def test_narrowing_conv_weight_gradient_without_input_gradient():
    """A narrowing layer takes dL/dW from gy's columns, also when no dL/dx is wanted (a first layer)."""
    rng = np.random.default_rng(1)
    x = tinynn.tensor(rng.standard_normal((2, 9, 6, 5)))                          # no gradient wanted
    w = tinynn.tensor(rng.standard_normal((4, 9, 3, 3)), requires_grad=True)
    F.conv2d(x, w, padding=1, dilation=(1, 2)).sum().backward()
    expected = np.zeros(w.shape)                                           # sum of y: dL/dW = sum of inputs read
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(3):
        for j in range(3):
            expected[:, :, i, j] = padded[:, :, i:i + 6, 2 * j:2 * j + 3].sum(axis=(0, 2, 3))
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-10)
    assert gradcheck(lambda w: F.conv2d(x, w, padding=1), (w,))


@pytest.mark.parametrize("shape,k", [((2, 3, 8, 8), 2), ((2, 2, 9, 6), 3), ((1, 2, 4, 6), (2, 3)),
                                     ((1, 2, 4, 16), (2, 4)), ((1, 2, 2, 16), (1, 8))])
def test_tiled_max_pool_backward_matches_general(shape, k):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    x[0, 0, :2, :2] = 9.0                                  # a tie: the first maximum gets the gradient
    kh, kw = (k, k) if isinstance(k, int) else k
    out_hw = (shape[2] // kh, shape[3] // kw)
    fn = MaxPool2d((kh, kw), (kh, kw), (0, 0, 0, 0), (1, 1), out_hw)
    y = fn.forward(x)
    assert fn.tiled
    gy = rng.standard_normal(y.shape).astype(np.float32)
    fast = fn.backward(gy)[0]
    fn.tiled = False
    slow = fn.backward(gy)[0]
    np.testing.assert_array_equal(fast, slow)
    assert fast.dtype == np.float32 and fast[0, 0, 0, 0] == gy[0, 0, 0, 0] and fast[0, 0, 0, 1] == 0


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


def test_max_pool_not_tiled_when_windows_leave_a_remainder():
    x = tinynn.tensor(np.zeros((1, 1, 5, 5), np.float32), requires_grad=True)
    assert not F.max_pool2d(x, 2).grad_fn.tiled


def test_tanh_backward_in_place_matches_formula():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    gy = rng.standard_normal((4, 5)).astype(np.float32)
    fn = Tanh()
    y = fn.forward(x)
    (g,) = fn.backward(gy)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, gy * (1 - y * y), rtol=1e-6)
    np.testing.assert_array_equal(fn.y, np.tanh(x))        # the saved output is untouched
