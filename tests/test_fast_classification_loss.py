"""The lean GPU log-softmax, NLL and cross-entropy (tinynn/_fast/classification_loss.py) equal their references.

Each loss runs once with the reference kernels and once with the fast ones, on
the same logits and targets (drawn by hypothesis, with ignored targets among
them), and the losses and input gradients are compared. On the CPU, and for the
options the lean path leaves to the reference (class weights, 'none', an
``ignore_index`` that is a class, label smoothing), the fast classes run the
reference's code: the results are equal bit for bit.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynn
import tinynn.nn.functional as F
from tinynn._fast.classification_loss import InPlaceLogSoftmax, LeanCrossEntropy, LeanNLLLoss
from tinynn.nn._functions.activation import LogSoftmaxFunction
from tinynn.nn._functions.loss import CrossEntropy, NLLLossFunction

from conftest import DEVICES
from helpers import host

LOSSES = {
    "nll_loss": (lambda x, t, **kw: F.nll_loss(F.log_softmax(x, dim=1), t, **kw), NLLLossFunction, LeanNLLLoss),
    "cross_entropy": (F.cross_entropy, CrossEntropy, LeanCrossEntropy),
}


def run(mode, loss, logits, targets, device, **options):
    """The loss, its grad_fn's class, whether it took the lean path, the class of the node before it
    (for NLL), and the logits' gradient."""
    with tinynn.set_kernels(mode):
        x = tinynn.tensor(logits, device=device, requires_grad=True)
        out = LOSSES[loss][0](x, tinynn.tensor(targets, device=device), **options)
        before = type(out.grad_fn.next_functions[0][0]) if loss == "nll_loss" else None
        lean = getattr(out.grad_fn, "lean", False)               # (backward frees what the node kept)
        out.backward()
    return host(out), type(out.grad_fn), lean, before, host(x.grad)


@st.composite
def logits_and_targets(draw):
    """(N, C) logits and N class targets, some of them ``ignore_index`` (not every one)."""
    rows, classes = draw(st.integers(1, 70)), draw(st.integers(2, 12))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((rows, classes)) * draw(st.sampled_from([1.0, 30.0]))).astype(dtype)
    targets = rng.integers(0, classes, rows)
    ignore_index = draw(st.sampled_from([-100, -1, classes, classes + 7]))
    ignored = rng.random(rows) < draw(st.sampled_from([0.0, 0.3]))
    ignored[0] = False
    targets[ignored] = ignore_index
    return logits, targets.astype(draw(st.sampled_from([np.int64, np.int32]))), ignore_index


@pytest.mark.gpu
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@given(case=logits_and_targets())
def test_the_lean_gpu_losses_equal_the_reference(gpu_device, loss, reduction, case):
    logits, targets, ignore_index = case
    options = {"ignore_index": ignore_index, "reduction": reduction}
    ref_loss, ref_type, _, ref_before, ref_grad = run("reference", loss, logits, targets, gpu_device, **options)
    loss_, fast_type, lean, fast_before, grad = run("fast", loss, logits, targets, gpu_device, **options)
    assert (ref_type, fast_type) == LOSSES[loss][1:] and lean
    if loss == "nll_loss":
        assert (ref_before, fast_before) == (LogSoftmaxFunction, InPlaceLogSoftmax)
    tolerance = {"rtol": 1e-5, "atol": 1e-6} if logits.dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-14}
    assert loss_.dtype == ref_loss.dtype == logits.dtype and grad.dtype == ref_grad.dtype
    np.testing.assert_allclose(loss_, ref_loss, **tolerance)
    np.testing.assert_allclose(grad, ref_grad, **tolerance)


@pytest.mark.gpu
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_target_ignored_gives_nan_for_mean_and_zero_for_sum(gpu_device, loss):
    logits, targets = np.ones((3, 4), np.float32), np.full(3, -100)
    for mode in ("reference", "fast"):
        mean, *_ = run(mode, loss, logits, targets, gpu_device)
        assert np.isnan(mean)                                           # 0 / 0, as torch
        total, *_, grad = run(mode, loss, logits, targets, gpu_device, reduction="sum")
        assert total == 0 and not grad.any()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("options", [{"weight": [1.0, 2.0, 0.5]}, {"reduction": "none"}, {"ignore_index": 1},
                                     {"label_smoothing": 0.2}, {}],
                         ids=["weight", "none", "ignore_index_a_class", "label_smoothing", "defaults"])
def test_other_options_and_the_cpu_run_the_reference_in_the_fast_classes(device, loss, options):
    if loss == "nll_loss" and "label_smoothing" in options:
        pytest.skip("nll_loss has no label smoothing")
    if device != "cpu" and not options:
        pytest.skip("on the GPU the defaults take the lean path, compared with the reference above")
    rng = np.random.default_rng(3)
    logits, targets = rng.standard_normal((5, 3)).astype(np.float32), np.array([0, 1, 2, 1, 1])

    def with_options(mode):
        kw = {k: tinynn.tensor(v, device=device) if k == "weight" else v for k, v in options.items()}
        with tinynn.set_kernels(mode):
            x = tinynn.tensor(logits, device=device, requires_grad=True)
            out = LOSSES[loss][0](x, tinynn.tensor(targets, device=device), **kw)
            out.sum().backward()
        return type(out.grad_fn), host(out), host(x.grad)

    (ref_type, *ref), (fast_type, *fast) = with_options("reference"), with_options("fast")
    assert ref_type is LOSSES[loss][1] and fast_type is LOSSES[loss][2]
    for r, f in zip(ref, fast):
        np.testing.assert_array_equal(f, r)


@pytest.fixture
def gpu_device():
    from conftest import CUDA, NO_GPU
    if not CUDA:
        pytest.skip(NO_GPU)
    return "cuda"


@pytest.mark.gpu
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_half_precision_runs_the_reference(gpu_device, loss):
    """float16 counts are exact only to 2048 targets: the lean path leaves float16 to the reference."""
    logits = np.random.default_rng(4).standard_normal((6, 3)).astype(np.float16)
    targets = np.array([0, 1, 2, 1, -100, 0])
    (ref_loss, _, _, _, ref_grad), (fast_loss, _, lean, _, fast_grad) = (
        run(mode, loss, logits, targets, gpu_device) for mode in ("reference", "fast"))
    assert not lean and fast_loss.dtype == np.float16
    np.testing.assert_array_equal(fast_loss, ref_loss)
    np.testing.assert_array_equal(fast_grad, ref_grad)
