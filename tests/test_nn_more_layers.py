"""Channel dropout, Embedding, adaptive pooling, Conv1d / MaxPool1d / AvgPool1d, Unflatten and the containers
(ModuleDict, ParameterList, ParameterDict): values against NumPy formulas, gradients against finite differences,
errors, and torch (when installed)."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.autograd import gradcheck
from helpers import host, leaf


def values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


# --------------------------------------------------------------------------------- channel dropout
@pytest.mark.parametrize("fn,shape", [(F.dropout1d, (6, 5, 4)), (F.dropout1d, (5, 4)), (F.dropout2d, (6, 5, 3, 4)),
                                      (F.dropout3d, (3, 5, 2, 3, 2)), (F.dropout3d, (5, 2, 3, 2))])
def test_channel_dropout_zeros_whole_channels(fn, shape, device):
    x = tinynn.ones(*shape, device=device)
    tinynn.manual_seed(0)
    y = host(fn(x, 0.4))
    batched = len(shape) in (3, 4) and fn is not F.dropout3d or len(shape) == 5
    channels = y.reshape(shape[:2] + (-1,)) if batched else y.reshape(shape[:1] + (-1,))
    for plane in channels.reshape(-1, channels.shape[-1]):
        assert np.all(plane == 0) or np.allclose(plane, 1 / 0.6)    # all dropped or all kept (and scaled)
    tinynn.manual_seed(0)
    np.testing.assert_array_equal(host(fn(x, 0.4)), y)                # tinynn.manual_seed reproduces the mask
    assert fn(x, 0.4, training=False) is x
    np.testing.assert_array_equal(host(fn(x, 0.0)), host(x))
    assert np.all(host(fn(x, 1.0)) == 0)


def test_channel_dropout_gradient_and_rate(device):
    x = leaf(values((4, 6, 3, 3), 0), device)

    def fn(t):
        tinynn.manual_seed(7)                            # the same mask at every evaluation
        return F.dropout2d(t, 0.3)

    assert gradcheck(fn, (x,))
    tinynn.manual_seed(1)
    kept = host(F.dropout2d(tinynn.ones(200, 50, 1, 1, device=device), 0.3)) != 0
    assert 0.67 < kept.mean() < 0.73


def test_channel_dropout_modules_warnings_and_errors():
    m = nn.Dropout2d(0.3)
    assert repr(m) == "Dropout2d(p=0.3, inplace=False)" and repr(nn.Dropout1d(inplace=True)) == \
        "Dropout1d(p=0.5, inplace=True)"
    x = tinynn.ones(2, 3, 4)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d and assuming that channel-wise 1D"):
        y = m(x)
    assert all(np.all(c == 0) or np.all(c != 0) for c in y.numpy().reshape(6, 4))   # taken as (N, C, L)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d, which is deprecated"):
        F.dropout2d(tinynn.ones(3, 4))
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        nn.Dropout1d()(tinynn.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout2d(1.5)
    m.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert m(x) is x
    with tinynn.no_grad():                               # inplace=True: in place when no graph is recorded
        z = tinynn.ones(4, 8, 2, 2)
        assert nn.Dropout2d(0.5, inplace=True)(z) is z and set(np.unique(z.numpy())) <= {0.0, 2.0}


def test_channel_dropout_warnings_match_torch():
    torch = pytest.importorskip("torch")
    for shape in [(2, 3, 4), (3, 4), (2, 3, 4, 5, 6)]:
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            F.dropout2d(tinynn.ones(*shape))
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            torch.nn.functional.dropout2d(torch.ones(*shape))
        assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


# ---------------------------------------------------------------------------------------- embedding
@given(num=st.integers(1, 6), dim=st.integers(1, 4), index_shape=st.sampled_from([(3,), (2, 3), (2, 2, 2)]),
       seed=st.integers(0, 2**16), scale=st.booleans())
def test_embedding_values_and_gradcheck(num, dim, index_shape, seed, scale, device):
    rng = np.random.default_rng(seed)
    w = leaf(rng.standard_normal((num, dim)), device)
    idx = rng.integers(0, num, index_shape)
    indices = tinynn.tensor(idx, device=device)
    np.testing.assert_array_equal(host(F.embedding(indices, w)), host(w)[idx])
    assert gradcheck(lambda t: F.embedding(indices, t), (w,))
    if scale:                 # each row's gradient divided by its count in the batch (not a true gradient)
        w.grad = None
        F.embedding(indices, w, scale_grad_by_freq=True).sum().backward()
        counts = np.bincount(idx.ravel(), minlength=num)
        np.testing.assert_allclose(host(w.grad), np.where(counts > 0, 1.0, 0.0)[:, None] * np.ones((1, dim)))


def test_embedding_module_padding_and_from_pretrained():
    tinynn.manual_seed(0)
    emb = nn.Embedding(10, 4, padding_idx=-1)
    assert emb.padding_idx == 9 and np.all(emb.weight.detach().numpy()[9] == 0)
    assert 0.5 < emb.weight.detach().numpy()[:9].std() < 1.6       # N(0, 1), as torch
    assert list(emb.state_dict()) == ["weight"] and emb.weight.shape == (10, 4)
    out = emb(tinynn.tensor([[9, 1, 1], [2, 9, 3]]))
    assert out.shape == (2, 3, 4)
    out.sum().backward()
    grad = emb.weight.grad.numpy()
    assert np.all(grad[9] == 0) and np.all(grad[1] == 2) and np.all(grad[0] == 0)
    pretrained = tinynn.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    frozen = nn.Embedding.from_pretrained(pretrained)
    assert not frozen.weight.requires_grad and frozen(tinynn.tensor([1])).tolist()[0] == pytest.approx([4, 5.1, 6.3])
    assert nn.Embedding.from_pretrained(pretrained, freeze=False).weight.requires_grad
    assert repr(nn.Embedding(10, 3, padding_idx=0, max_norm=1.0)) == "Embedding(10, 3, padding_idx=0, max_norm=1.0)"


def test_embedding_max_norm_renormalises_the_rows_used():
    w = tinynn.tensor(np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]))
    out = F.embedding(tinynn.tensor([0, 1, 0]), w, max_norm=1.0)
    np.testing.assert_allclose(w.numpy(), [[0.6, 0.8], [0.3, 0.4], [6.0, 8.0]], rtol=1e-6)   # row 2 unused
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [0.3, 0.4], [0.6, 0.8]], rtol=1e-6)


def test_embedding_errors():
    emb = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match="index out of range in self"):
        emb(tinynn.tensor([5]))
    with pytest.raises(IndexError, match="index out of range in self"):
        emb(tinynn.tensor([-1]))
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following "
                                           "scalar types: Long, Int"):
        emb(tinynn.tensor([1.0]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(tinynn.ones(3))
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(5, 2, sparse=True)
    assert emb(tinynn.tensor([1, 2], dtype=tinynn.int32)).shape == (2, 2)


@pytest.mark.parametrize("kwargs", [{}, dict(padding_idx=2), dict(scale_grad_by_freq=True),
                                    dict(max_norm=1.5), dict(max_norm=2.0, norm_type=1.0, padding_idx=0)])
def test_embedding_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Embedding(10, 3, **kwargs), torch.nn.Embedding(10, 3, **kwargs)
    assert repr(ours) == repr(theirs)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    idx = np.array([[1, 2, 2, 5], [5, 5, 9, 0]])
    g = values((2, 4, 3), 0).astype(np.float32)
    for _ in range(2):
        y, z = ours(tinynn.tensor(idx)), theirs(torch.tensor(idx))
        y.backward(tinynn.tensor(g))
        z.backward(torch.tensor(g))
        np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-6)


# --------------------------------------------------------------------------------- adaptive pooling
def adaptive_reference(x, out_hw, reduce):
    (h, w), (oh, ow) = x.shape[-2:], out_hw
    out = np.empty(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            rows = slice(math.floor(i * h / oh), math.ceil((i + 1) * h / oh))
            cols = slice(math.floor(j * w / ow), math.ceil((j + 1) * w / ow))
            out[..., i, j] = reduce(x[..., rows, cols], axis=(-2, -1))
    return out


@given(h=st.integers(1, 7), w=st.integers(1, 7), oh=st.integers(1, 5), ow=st.integers(1, 5),
       seed=st.integers(0, 2**16), batched=st.booleans())
def test_adaptive_pooling_values_and_gradcheck(h, w, oh, ow, seed, batched, device):
    shape = (2, 3, h, w) if batched else (3, h, w)
    v = values(shape, seed)
    x = leaf(v, device)
    np.testing.assert_allclose(host(F.adaptive_avg_pool2d(x, (oh, ow))), adaptive_reference(v, (oh, ow), np.mean),
                               rtol=1e-12)
    np.testing.assert_array_equal(host(F.adaptive_max_pool2d(x, (oh, ow))), adaptive_reference(v, (oh, ow), np.max))
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (oh, ow)), (x,))
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, (oh, ow)), (x,))


def test_adaptive_pooling_sizes_modules_and_errors():
    x = tinynn.tensor(values((2, 3, 6, 8), 0))
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    assert nn.AdaptiveAvgPool2d((None, 2))(x).shape == (2, 3, 6, 2)
    assert nn.AdaptiveMaxPool2d((3, None))(x).shape == (2, 3, 3, 8)
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(1)(x).numpy()[..., 0, 0], x.numpy().mean(axis=(2, 3)))
    out, idx = nn.AdaptiveMaxPool2d(2, return_indices=True)(x)
    assert idx.dtype == np.int64 and idx.shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(np.take_along_axis(x.numpy().reshape(2, 3, -1), idx.numpy().reshape(2, 3, -1), 2)
                                  .reshape(2, 3, 2, 2), out.numpy())
    assert repr(nn.AdaptiveAvgPool2d((None, 3))) == "AdaptiveAvgPool2d(output_size=(None, 3))"
    assert F.adaptive_avg_pool1d(tinynn.ones(2, 3, 7), 3).shape == (2, 3, 3)
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got \[3, 5\]"):
        F.adaptive_avg_pool2d(tinynn.ones(3, 5), 2)
    with pytest.raises(RuntimeError, match="adaptive_avg_pool2d: output_size must be 2"):
        F.adaptive_avg_pool2d(tinynn.ones(1, 2, 3, 5), (2, 3, 4))


def test_adaptive_pooling_matches_torch():
    torch = pytest.importorskip("torch")
    v = values((2, 3, 7, 9), 1)
    g_seed = 2
    for size in [1, 2, 3, (None, 4), (5, None), (7, 9), (4, 6), (8, 10)]:
        for ours, theirs in [(nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size)),
                             (nn.AdaptiveMaxPool2d(size), torch.nn.AdaptiveMaxPool2d(size))]:
            assert repr(ours) == repr(theirs)
            x, t = tinynn.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
            y, z = ours(x), theirs(t)
            g = values(y.shape, g_seed)
            y.backward(tinynn.tensor(g))
            z.backward(torch.tensor(g))
            np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)
    _, ours_idx = F.adaptive_max_pool2d(tinynn.tensor(v), (4, 6), return_indices=True)
    _, theirs_idx = torch.nn.functional.adaptive_max_pool2d(torch.tensor(v), (4, 6), return_indices=True)
    np.testing.assert_array_equal(ours_idx.numpy(), theirs_idx.numpy())
    v1 = values((2, 3, 11), 3)
    for ours, theirs in [(nn.AdaptiveAvgPool1d(4), torch.nn.AdaptiveAvgPool1d(4)),
                         (nn.AdaptiveMaxPool1d(4), torch.nn.AdaptiveMaxPool1d(4))]:
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(ours(tinynn.tensor(v1)).numpy(), theirs(torch.tensor(v1)).numpy(), rtol=1e-12)


# ------------------------------------------------------------------------- Conv1d and 1-D pooling
def conv1d_reference(x, w, b, stride, padding, dilation, groups):
    n, c, length = x.shape
    o, cg, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    out_len = (length + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    out = np.zeros((n, o, out_len))
    per_group = o // groups
    for oc in range(o):
        g = oc // per_group
        for t in range(out_len):
            window = xp[:, g * cg:(g + 1) * cg, t * stride: t * stride + dilation * (k - 1) + 1: dilation]
            out[:, oc, t] = (window * w[oc]).sum(axis=(1, 2))
    return out + (0 if b is None else b[None, :, None])


@given(n=st.integers(1, 2), groups=st.sampled_from([1, 2]), k=st.integers(1, 3), stride=st.integers(1, 2),
       padding=st.integers(0, 2), dilation=st.integers(1, 2), length=st.integers(5, 8), bias=st.booleans(),
       seed=st.integers(0, 2**16), batched=st.booleans())
def test_conv1d_values_and_gradcheck(n, groups, k, stride, padding, dilation, length, bias, seed, batched, device):
    rng = np.random.default_rng(seed)
    cin, cout = 2 * groups, 2 * groups
    xv, wv = rng.standard_normal((n, cin, length)), rng.standard_normal((cout, cin // groups, k))
    bv = rng.standard_normal(cout) if bias else None
    x = leaf(xv if batched else xv[0], device)
    w = leaf(wv, device)
    b = leaf(bv, device) if bias else None
    expected = conv1d_reference(xv, wv, bv, stride, padding, dilation, groups)
    out = F.conv1d(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(host(out), expected if batched else expected[0], rtol=1e-10, atol=1e-12)
    args = (x, w) + ((b,) if bias else ())
    assert gradcheck(lambda *a: F.conv1d(a[0], a[1], a[2] if bias else None, stride, padding, dilation, groups),
                     args)


@given(k=st.integers(1, 3), stride=st.sampled_from([None, 1, 2]), padding=st.integers(0, 1),
       length=st.integers(4, 8), seed=st.integers(0, 2**16), avg=st.booleans())
def test_pool1d_values_and_gradcheck(k, stride, padding, length, seed, avg, device):
    padding = min(padding, k // 2)
    v = values((2, 3, length), seed)
    x = leaf(v, device)
    s = stride or k
    fill = 0.0 if avg else -np.inf
    vp = np.pad(v, ((0, 0), (0, 0), (padding, padding)), constant_values=fill)
    out_len = (length + 2 * padding - k) // s + 1
    windows = np.stack([vp[..., t * s:t * s + k] for t in range(out_len)], axis=2)
    expected = windows.mean(-1) if avg else windows.max(-1)
    fn = (lambda t: F.avg_pool1d(t, k, stride, padding)) if avg else (lambda t: F.max_pool1d(t, k, stride, padding))
    np.testing.assert_allclose(host(fn(x)), expected, rtol=1e-12)
    assert gradcheck(fn, (x,))


def test_conv1d_and_pool1d_modules_and_errors():
    conv = nn.Conv1d(4, 6, 3, groups=2)
    assert conv.weight.shape == (6, 2, 3) and conv.bias.shape == (6,)
    bound = 1 / math.sqrt(2 * 3)                               # kaiming-uniform(a=sqrt(5)): U(-1/sqrt(fan_in), ..)
    assert np.abs(conv.weight.detach().numpy()).max() <= bound and np.abs(conv.bias.detach().numpy()).max() <= bound
    assert conv(tinynn.ones(2, 4, 10)).shape == (2, 6, 8) and conv(tinynn.ones(4, 10)).shape == (6, 8)
    with pytest.raises(RuntimeError, match=r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d, but got "
                                           r"input of size: \[2, 3, 4, 5\]"):
        nn.Conv1d(3, 4, 3)(tinynn.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[4, 3, 3\], expected input\[2, 2, 5\] "
                                           "to have 3 channels, but got 2 channels instead"):
        nn.Conv1d(3, 4, 3)(tinynn.ones(2, 2, 5))
    with pytest.raises(NotImplementedError, match="padding_mode='reflect' is not implemented"):
        nn.Conv1d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv1d(3, 4, 3, padding_mode="foo")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv1d(3, 4, 3, stride=2, padding="same")
    assert nn.Conv1d(3, 4, 4, padding="same")(tinynn.ones(1, 3, 9)).shape == (1, 4, 9)
    with pytest.raises(RuntimeError, match=r"max_pool1d: Expected 2D or 3D \(batch mode\) tensor"):
        F.max_pool1d(tinynn.ones(5), 2)
    with pytest.raises(RuntimeError, match="max_pool1d\\(\\) padding should be at most half of kernel size"):
        F.max_pool1d(tinynn.ones(2, 3, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match="Expected 2 to 3 dimensions, but got 4-dimensional tensor"):
        F.avg_pool1d(tinynn.ones(2, 3, 4, 5), 2)
    assert nn.MaxPool1d(2)(tinynn.ones(3, 8)).shape == (3, 4) and nn.AvgPool1d(3, 1, 1)(tinynn.ones(1, 2, 5)).shape \
        == (1, 2, 5)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")     # (torch's own performance note)
def test_conv1d_and_pool1d_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    configs = [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2), dict(groups=3, bias=False),
               dict(padding="valid"), dict(kernel_size=4, padding="same")]
    for cfg in configs:
        cfg = dict(dict(kernel_size=3), **cfg)
        ours, theirs = nn.Conv1d(3, 6, **cfg), torch.nn.Conv1d(3, 6, **cfg)
        assert repr(ours) == repr(theirs)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
        for shape in [(2, 3, 11), (3, 11)]:
            x = rng.standard_normal(shape).astype(np.float32)
            xo, xt = tinynn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            y, z = ours(xo), theirs(xt)
            g = rng.standard_normal(tuple(z.shape)).astype(np.float32)
            ours.zero_grad(), theirs.zero_grad()
            y.backward(tinynn.tensor(g))
            z.backward(torch.tensor(g))
            np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), atol=1e-5)
            np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-5)
            for p, q in zip(ours.parameters(), theirs.parameters()):
                np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-4)
    x = rng.standard_normal((2, 3, 11)).astype(np.float32)
    for make in [lambda n: n.MaxPool1d(2), lambda n: n.MaxPool1d(3, 1, 1), lambda n: n.MaxPool1d(3, 2, 1, 2),
                 lambda n: n.AvgPool1d(3, 2, 1), lambda n: n.AvgPool1d(2)]:
        ours, theirs = make(nn), make(torch.nn)
        assert repr(ours) == repr(theirs)
        xo, xt = tinynn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, z = ours(xo), theirs(xt)
        y.sum().backward()
        z.sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), atol=1e-6)
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), atol=1e-6)


# ------------------------------------------------------------------------------ Unflatten, containers
def test_unflatten():
    x = leaf(values((4, 6, 2), 0))
    m = nn.Unflatten(1, (2, 3))
    assert m(x).shape == (4, 2, 3, 2) and nn.Unflatten(-1, (2, -1))(x).shape == (4, 6, 2, 1)
    assert repr(m) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    assert gradcheck(m, (x,))
    np.testing.assert_array_equal(nn.Flatten()(nn.Unflatten(1, (3, 4))(tinynn.tensor(values((2, 12), 1)))).numpy(),
                                  values((2, 12), 1))
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[2, 4\] don't multiply up to the size of "
                                           r"dim 1 \(6\) in the input tensor"):
        nn.Unflatten(1, (2, 4))(x)
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 6)


def test_module_dict():
    heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "act": nn.ReLU()})
    heads["box"] = nn.Linear(4, 2)
    assert list(heads) == ["cls", "act", "box"] and "act" in heads and len(heads) == 3
    assert [k for k, _ in heads.named_parameters()] == ["cls.weight", "cls.bias", "box.weight", "box.bias"]
    heads.update([("extra", nn.Tanh())])
    assert isinstance(heads.pop("extra"), nn.Tanh) and list(heads.keys()) == ["cls", "act", "box"]
    del heads["act"]
    assert list(heads.state_dict()) == ["cls.weight", "cls.bias", "box.weight", "box.bias"]
    with pytest.raises(TypeError, match="ModuleDict.update should be called with an iterable"):
        heads.update(3)
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        heads.update([("a", nn.ReLU(), 1)])


def test_parameter_list_and_dict_register_their_parameters():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([nn.Parameter(tinynn.ones(2)), tinynn.zeros(3)])
            self.named = nn.ParameterDict({"shift": tinynn.zeros(2)})

        def forward(self, x):
            return x * self.scales[0] + self.named["shift"] + self.scales[1].sum()

    model = Model()
    assert list(model.state_dict()) == ["scales.0", "scales.1", "named.shift"]
    assert all(isinstance(p, nn.Parameter) for p in model.parameters()) and len(list(model.parameters())) == 3
    opt = tinynn.optim.SGD(model.parameters(), lr=0.5)
    model(tinynn.ones(2)).sum().backward()
    opt.step()
    assert model.scales[0].tolist() == [0.5, 0.5] and model.named["shift"].tolist() == [-0.5, -0.5]
    assert model.scales[1].tolist() == [-1.0, -1.0, -1.0]
    model.scales.append(tinynn.ones(1))
    assert len(model.scales) == 3 and [p.shape for p in model.scales[1:]] == [(3,), (1,)]
    named = model.named
    named.update({"gain": tinynn.ones(1)})
    assert list(named.keys()) == ["shift", "gain"] and "gain" in named and named.get("nope") is None
    assert isinstance(named.pop("gain"), nn.Parameter) and len(named) == 1
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        model.scales(1)


def test_containers_match_torch():
    torch = pytest.importorskip("torch")

    def build(n, lib):
        return (n.ModuleDict({"a": n.Linear(2, 2), "b": n.ReLU(), "c": n.Sequential(n.Linear(2, 3))}),
                n.ParameterList([n.Parameter(lib.ones(2)), lib.ones(2, 3)]),
                n.ParameterList([n.Parameter(lib.ones(4))]),
                n.ParameterDict({"x": lib.ones(2), "y": n.Parameter(lib.ones(3, 1))}),
                n.Unflatten(1, (2, 3)), n.Unflatten(-1, [2, -1]))

    for ours, theirs in zip(build(nn, tinynn), build(torch.nn, torch)):
        assert repr(ours) == repr(theirs).replace("torch.", "tinynn.")
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
