"""tinynn.nn.utils: clip_grad_norm_ / clip_grad_value_ (values, norms, in-place scaling, errors) and
parameters_to_vector / vector_to_parameters."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinynn
import tinynn.nn as nn
from tinynn.nn.utils import (clip_grad_norm, clip_grad_norm_, clip_grad_value_, get_total_norm,
                             parameters_to_vector, vector_to_parameters)
from helpers import host


def params_with_grads(grads, device="cpu"):
    params = []
    for g in grads:
        p = nn.Parameter(tinynn.zeros(*g.shape, device=device))
        p.grad = tinynn.tensor(g.astype(np.float32), device=device)
        params.append(p)
    return params


@given(shapes=st.lists(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4), min_size=1, max_size=3),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]), max_norm=st.floats(0.1, 10),
       seed=st.integers(0, 2**16))
def test_clip_grad_norm(shapes, norm_type, max_norm, seed, device):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(s) for s in shapes]
    params = params_with_grads(grads, device)
    flat = np.concatenate([g.ravel() for g in grads]).astype(np.float32).astype(np.float64)
    expected = np.abs(flat).max() if norm_type == math.inf else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    total = clip_grad_norm_(params, max_norm, norm_type)
    assert isinstance(total, tinynn.Tensor) and total.shape == () and total.device == tinynn.device(device)
    np.testing.assert_allclose(host(total), expected, rtol=1e-5)
    coef = min(max_norm / (expected + 1e-6), 1.0)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(host(p.grad), g * coef, rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_matches_torch_examples():
    p = params_with_grads([np.full(3, 2.0)])
    np.testing.assert_allclose(clip_grad_norm_(p[0], 1.0).item(), math.sqrt(12), rtol=1e-6)   # a lone tensor
    np.testing.assert_allclose(p[0].grad.numpy(), np.full(3, 1 / math.sqrt(3)), rtol=1e-5)
    p = params_with_grads([np.array([1.0, -5.0, 3.0])])
    assert clip_grad_norm_(p, 100.0, norm_type=0).item() == 1.0      # torch: the norm-0 of the per-tensor norms
    assert clip_grad_norm_(p, 1.0, norm_type="inf").item() == 5.0
    np.testing.assert_allclose(p[0].grad.numpy(), [0.2, -1.0, 0.6], rtol=1e-5)
    no_grad = nn.Parameter(tinynn.ones(2))
    assert clip_grad_norm_([no_grad], 1.0).item() == 0.0 and no_grad.grad is None
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        clip_grad_norm_((p for p in []), 1.0)
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        clip_grad_norm(p, 1.0)


def test_clip_grad_norm_nonfinite():
    p = params_with_grads([np.array([1.0, np.inf, 3.0])])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    with np.errstate(invalid="ignore"):
        assert clip_grad_norm_(p, 1.0).item() == np.inf
    assert np.isnan(p[0].grad.numpy()[1])          # scaled by the non-finite norm anyway, as torch


def test_clip_grad_norm_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    for norm_type in (2.0, 1.0, 4.0, math.inf):
        ours = params_with_grads(grads)
        theirs = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
        for t, g in zip(theirs, grads):
            t.grad = torch.tensor(g, dtype=torch.float32)
        total = clip_grad_norm_(ours, 0.5, norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type)
        np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-5)
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_value(device):
    params = params_with_grads([np.array([-3.0, 0.5, 2.0]), np.array([[0.1, -0.2]])], device)
    assert clip_grad_value_(params, 1.0) is None
    np.testing.assert_array_equal(host(params[0].grad), [-1.0, 0.5, 1.0])
    np.testing.assert_allclose(host(params[1].grad), [[0.1, -0.2]], rtol=1e-6)


def test_clip_grad_norm_in_a_training_step():
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    loss = (model(tinynn.randn(16, 4)) * 100).pow(2).mean()
    loss.backward()
    before = get_total_norm([p.grad for p in model.parameters()]).item()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    assert total.item() == pytest.approx(before) and before > 1.0
    assert get_total_norm([p.grad for p in model.parameters()]).item() == pytest.approx(1.0, rel=1e-4)


def test_parameters_to_vector_and_back(device):
    model = nn.Linear(3, 2).to(device)
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(host(vec), np.concatenate([host(model.weight).ravel(), host(model.bias)]))
    (vec * tinynn.arange(8, dtype=tinynn.float32, device=device)).sum().backward()     # differentiable
    np.testing.assert_array_equal(host(model.weight.grad), np.arange(6).reshape(2, 3))
    new = tinynn.arange(8, dtype=tinynn.float32, device=device)
    vector_to_parameters(new, model.parameters())
    np.testing.assert_array_equal(host(model.weight), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(host(model.bias), [6, 7])
    assert isinstance(model.weight, nn.Parameter) and model.weight.requires_grad
    with pytest.raises(TypeError, match="expected tinynn.Tensor, but got: list"):
        vector_to_parameters([1.0] * 8, model.parameters())
