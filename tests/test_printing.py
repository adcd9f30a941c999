"""Tensor repr and set_printoptions: literal texts, and the same text as torch's for many tensors and options."""
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynn

NAN, INF = float("nan"), float("inf")


@pytest.fixture(autouse=True)
def default_print_options():
    """Every test starts and ends with the default options (torch's too, when a test changed them)."""
    tinynn.set_printoptions(profile="default")
    yield
    tinynn.set_printoptions(profile="default")
    try:
        import torch
        torch.set_printoptions(profile="default")
    except ImportError:
        pass


# ------------------------------------------------------------------ literal texts (no torch needed)
@pytest.mark.parametrize("data, dtype, text", [
    ([1.0, 2.0, 3.0], None, "tensor([1., 2., 3.])"),
    ([0.1, 2.0], None, "tensor([0.1000, 2.0000])"),
    ([1e-5, 1.0], None, "tensor([1.0000e-05, 1.0000e+00])"),
    ([1.5, 1500.0], None, "tensor([   1.5000, 1500.0000])"),        # a spread of 1000 stays fixed
    ([1.5, 2000.0], None, "tensor([1.5000e+00, 2.0000e+03])"),       # past 1000 it goes scientific
    ([1.0, 2000.0], None, "tensor([1.0000e+00, 2.0000e+03])"),
    ([1e8], None, "tensor([100000000.])"),
    ([1e8 + 2], tinynn.float64, "tensor([1.0000e+08], dtype=tinynn.float64)"),
    ([1e-4], tinynn.float64, "tensor([0.0001], dtype=tinynn.float64)"),
    ([NAN, 1.5, -INF], None, "tensor([   nan, 1.5000,   -inf])"),
    ([INF, 0.0], None, "tensor([inf, 0.])"),
    ([-0.0, 1.0], None, "tensor([-0., 1.])"),                         # only non-zero values set the width
    ([0.0, 10.0], None, "tensor([ 0., 10.])"),
    ([True, False], None, "tensor([ True, False])"),
    ([-10, 2], None, "tensor([-10,   2])"),
    ([1, 2], tinynn.int32, "tensor([1, 2], dtype=tinynn.int32)"),
    ([1.0], tinynn.float16, "tensor([1.], dtype=tinynn.float16)"),
    (3.0, None, "tensor(3.)"),
    (1e-5, None, "tensor(1.0000e-05)"),
    (NAN, None, "tensor(nan)"),
    (True, None, "tensor(True)"),
    ([], None, "tensor([])"),
    ([], tinynn.int64, "tensor([], dtype=tinynn.int64)"),
    ([], tinynn.bool, "tensor([], dtype=tinynn.bool)"),
    ([[[1.0, -2.0]], [[3.5, 4.0]]], None, "tensor([[[ 1.0000, -2.0000]],\n\n        [[ 3.5000,  4.0000]]])"),
])
def test_repr_literal(data, dtype, text):
    assert repr(tinynn.tensor(data, dtype=dtype)) == text


def test_repr_of_empty_tensors_shows_their_size():
    assert repr(tinynn.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(tinynn.zeros(2, 0, 3, dtype=tinynn.int32)) == "tensor([], size=(2, 0, 3), dtype=tinynn.int32)"


def test_summarised_rows_and_columns():
    expected = ("tensor([[   0,    1,    2,  ...,   47,   48,   49],\n"
                "        [  50,   51,   52,  ...,   97,   98,   99],\n"
                "        [ 100,  101,  102,  ...,  147,  148,  149],\n"
                "        ...,\n"
                "        [1850, 1851, 1852,  ..., 1897, 1898, 1899],\n"
                "        [1900, 1901, 1902,  ..., 1947, 1948, 1949],\n"
                "        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])")
    assert repr(tinynn.arange(2000).reshape(40, 50)) == expected
    assert repr(tinynn.arange(1001.0) / 4) == \
        "tensor([  0.0000,   0.2500,   0.5000,  ..., 249.5000, 249.7500, 250.0000])"


def test_format_is_chosen_from_the_elements_shown():
    x = tinynn.ones(2000)
    x[1000] = 1e-8                    # hidden by the summary: no scientific notation
    assert repr(x) == "tensor([1., 1., 1.,  ..., 1., 1., 1.])"


def test_rows_wrap_at_linewidth_under_their_first_element():
    tinynn.set_printoptions(linewidth=30)
    assert repr(tinynn.arange(12.0).reshape(2, 6) / 4 - 1) == (
        "tensor([[-1.0000, -0.7500,\n"
        "         -0.5000, -0.2500,\n"
        "          0.0000,  0.2500],\n"
        "        [ 0.5000,  0.7500,\n"
        "          1.0000,  1.2500,\n"
        "          1.5000,  1.7500]])")


def test_suffix_moves_to_its_own_line_when_the_line_would_be_too_long():
    x = tinynn.tensor([[1.5, 2.5]], requires_grad=True)
    tinynn.set_printoptions(linewidth=47)
    assert repr(x) == "tensor([[1.5000, 2.5000]], requires_grad=True)"
    tinynn.set_printoptions(linewidth=46)
    assert repr(x) == "tensor([[1.5000, 2.5000]],\n       requires_grad=True)"
    y = tinynn.tensor([[1.5, 2.5]], dtype=tinynn.float64, requires_grad=True) * 2
    assert repr(y) == "tensor([[3., 5.]], dtype=tinynn.float64,\n       grad_fn=<MulBackward0>)"


def test_precision_edgeitems_threshold_options():
    tinynn.set_printoptions(precision=2, edgeitems=1, threshold=5)
    assert repr(tinynn.arange(60.0).reshape(3, 4, 5) / 3) == (
        "tensor([[[ 0.00,  ...,  1.33],\n"
        "         ...,\n"
        "         [ 5.00,  ...,  6.33]],\n\n"
        "        ...,\n\n"
        "        [[13.33,  ..., 14.67],\n"
        "         ...,\n"
        "         [18.33,  ..., 19.67]]])")
    tinynn.set_printoptions(profile="short")
    assert repr(tinynn.arange(1001.0) / 4) == "tensor([  0.00,   0.25,  ..., 249.75, 250.00])"


def test_sci_mode_forces_the_notation():
    tinynn.set_printoptions(sci_mode=True)
    assert repr(tinynn.tensor([1.0, 2.0])) == "tensor([1.0000e+00, 2.0000e+00])"
    assert repr(tinynn.tensor([0.0, 0.0])) == "tensor([0., 0.])"        # nothing non-zero to write so
    assert repr(tinynn.tensor([1, 2])) == "tensor([1, 2])"
    tinynn.set_printoptions(sci_mode=False)
    assert repr(tinynn.tensor([1e10, 1e-7], dtype=tinynn.float64)) == \
        "tensor([10000000000.0000,           0.0000], dtype=tinynn.float64)"


def test_set_and_get_printoptions():
    assert tinynn.get_printoptions() == dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
    tinynn.set_printoptions(precision=2, sci_mode=True)
    tinynn.set_printoptions(linewidth=100)          # as torch: sci_mode is always set (back to None here)
    assert tinynn.get_printoptions() == dict(precision=2, threshold=1000, edgeitems=3, linewidth=100, sci_mode=None)
    tinynn.set_printoptions(profile="full", precision=6)
    assert tinynn.get_printoptions() == dict(precision=6, threshold=float("inf"), edgeitems=3, linewidth=80,
                                             sci_mode=None)
    with pytest.raises(ValueError, match="unknown print profile 'long'"):
        tinynn.set_printoptions(profile="long")


def test_repr_shows_the_device(device):
    x = tinynn.tensor([1.0, 2.0], device=device)
    suffix = ", device='cuda:0')" if device == "cuda" else ")"
    assert repr(x) == "tensor([1., 2.]" + suffix


# ------------------------------------------------------------------ against torch
def _values(kind: int, shape: tuple, seed: int) -> np.ndarray:
    """Values of one of several flavours: normal, whole, tiny, huge, with nan/inf/-0, spread out..."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    flavours = [
        lambda: rng.standard_normal(n),
        lambda: rng.integers(-1000, 1000, n).astype(float),
        lambda: rng.standard_normal(n) * 10.0 ** rng.integers(-10, 12),
        lambda: np.round(rng.standard_normal(n) * 10.0 ** rng.integers(0, 12)),
        lambda: rng.choice([0.0, 1.0, -1.0, NAN, INF, -INF, 0.5, -0.0, 1e-5, 1e9], n),
        lambda: rng.uniform(0, 1, n) * 10.0 ** rng.uniform(-6, 9, n),
        lambda: rng.choice([0.0, -0.0, NAN, INF, 3.0], n),
        lambda: np.round(rng.standard_normal(n) * 100, 2),
        lambda: rng.choice([1e-4, 1e8, 1e8 + 1, 99999999.0, 1000.0, 1.0, 1.5, 1500.0], n),
    ]
    return flavours[kind % len(flavours)]().reshape(shape)


def _as_dtype(values: np.ndarray, dtype: str) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype in ("int64", "int32"):
            return np.nan_to_num(values, posinf=7, neginf=-7).clip(-1e9, 1e9).astype(dtype)
        if dtype == "uint8":
            return np.nan_to_num(np.abs(values), posinf=7).clip(0, 255).astype(dtype)
        if dtype == "bool":
            return values > 0.3
        return values.astype(dtype)


def _torch_text(torch, text: str) -> str:
    """torch's text in tinynn's names: ``tinynn.float64`` (the grad_fn names are torch's: ``MulBackward0``)."""
    return text.replace("torch.", "tinynn.")


def _unwrapped_suffixes(text: str) -> str:
    # "tinynn." is one letter longer than "torch.", so near the line width a suffix may
    # wrap in one and not in the other.
    return re.sub(r",\s+(?=(device|size|dtype|grad_fn|requires_grad)=)", ", ", text)


def _assert_same_repr(torch, values: np.ndarray, options: dict, requires_grad=False, non_leaf=False):
    torch.set_printoptions(**options)
    tinynn.set_printoptions(**options)
    theirs = torch.tensor(values, requires_grad=requires_grad)
    ours = tinynn.tensor(values, requires_grad=requires_grad)
    if non_leaf:
        theirs, ours = theirs * 1, ours * 1
    expected, got = _torch_text(torch, repr(theirs)), repr(ours)
    if "dtype=" in expected or "grad_fn=" in expected:
        expected, got = _unwrapped_suffixes(expected), _unwrapped_suffixes(got)
    assert got == expected, f"options {options}, dtype {values.dtype}, shape {values.shape}"


small_shapes = st.lists(st.integers(0, 7), max_size=4).map(tuple)
big_shapes = st.sampled_from([(1001,), (40, 30), (5, 300), (12, 10, 11), (3, 4, 5, 20)])
options = st.one_of(
    st.just({}),
    st.sampled_from([dict(profile="short"), dict(profile="full", linewidth=120)]),
    st.fixed_dictionaries(dict(precision=st.integers(0, 8), threshold=st.integers(1, 60),
                               edgeitems=st.integers(1, 3), linewidth=st.integers(1, 120),
                               sci_mode=st.sampled_from([None, True, False]))))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8", "bool"])
@given(shape=st.one_of(small_shapes, big_shapes), kind=st.integers(0, 8), seed=st.integers(0, 2**16),
       options=options)
def test_repr_matches_torch(dtype, shape, kind, seed, options):
    torch = pytest.importorskip("torch")
    _assert_same_repr(torch, _as_dtype(_values(kind, shape, seed), dtype), options)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(shape=small_shapes, kind=st.integers(0, 8), seed=st.integers(0, 2**16), options=options,
       non_leaf=st.booleans())
def test_repr_with_grad_matches_torch(dtype, shape, kind, seed, options, non_leaf):
    torch = pytest.importorskip("torch")
    _assert_same_repr(torch, _values(kind, shape, seed).astype(dtype), options, requires_grad=True,
                      non_leaf=non_leaf)


@pytest.mark.parametrize("data", [
    [1e8, 1.0], [99999999.0, 1.0], [1e8 - 1.5], [1e8 + 1.5], [1e-4, 1.0], [9.9e-5], [1.0, 1000.0],
    [1.0, 1001.0], [-5.5, 5500.0], [-5.5, 5501.0], [0.0, -0.0], [-0.0, 0.5], [0.0, -0.5], [NAN, 0.5],
    [-0.0, 1e-5], [NAN] * 10, [0.0] * 10, [-0.0] * 10, [1e40], [-1e-40, 1.0], [1e300, 1e-300],
])
@pytest.mark.parametrize("sci_mode", [None, True, False])
@pytest.mark.parametrize("linewidth", [20, 80])
def test_repr_edge_values_match_torch(data, sci_mode, linewidth):
    torch = pytest.importorskip("torch")
    _assert_same_repr(torch, np.array(data, dtype=np.float64), dict(sci_mode=sci_mode, linewidth=linewidth))
