"""The GPU's lean paths (issue 16): few CuPy calls per training step, no host sync, the same results.

On a GPU each array operation is a kernel launch, so convolution and pooling run
as whole-batch array operations (their reference kernels), the fast optimizers
update all parameters together (``tinynn/_fast/optim.py``), and ``TensorDataset``
batches are gathered in one indexing operation (``BatchGatherer``). Here:

- each such path gives what the CPU path gives, on the GPU (real CuPy, or the
  CuPy stand-in that conftest puts in place without one), ties and NaN
  included, and gradchecks;
- on the stand-in, which counts CuPy calls, a training step of the seeds'
  models makes no host sync, and these ops stay within their call budget
  (``benchmarks/gpu_calls.py`` counts; the table is in ``benchmarks/README.md``);
- the DataLoader's gathered batches equal the collated ones, on the CPU too.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import tinynn
import tinynn.nn.functional as F
from conftest import CUDA, GPU_BACKEND
from helpers import host, leaf
from tinynn.autograd import gradcheck
from tinynn.utils.data import DataLoader, Subset, TensorDataset, default_collate

BENCHMARKS = str(Path(__file__).resolve().parents[1] / "benchmarks")
if BENCHMARKS not in sys.path:
    sys.path.insert(0, BENCHMARKS)
import gpu_calls  # noqa: E402  (the counting tool of bench_cifar2.py --count-gpu-calls)

gpu = pytest.mark.gpu
needs_gpu = pytest.mark.skipif(not CUDA, reason="no CUDA device and no CuPy stand-in")
counts_calls = pytest.mark.skipif(GPU_BACKEND != "stand-in",
                                  reason="CuPy calls are counted on the CuPy stand-in only")


def both_devices(fn, *arrays, dtype=np.float64):
    """fn's output and input gradients, as NumPy arrays, on the CPU and on the GPU (same output gradient)."""
    results = []
    gy = None
    for device in ("cpu", "cuda"):
        inputs = [tinynn.tensor(np.asarray(a, dtype=dtype)).to(device).requires_grad_() for a in arrays]
        out = fn(*inputs)
        if gy is None:
            gy = np.random.default_rng(1).standard_normal(out.shape).astype(out.dtype)
        out.backward(tinynn.tensor(gy).to(device))
        results.append([host(out)] + [host(t.grad) for t in inputs])
    return results


# ------------------------------------------------------------------ max and average pooling
POOLS = [(2, 2, 0, 1, (2, 3, 8, 8)), (2, 2, 1, 1, (2, 3, 7, 7)), (3, 3, 1, 1, (2, 2, 9, 9)),
         (2, 3, 0, 1, (1, 2, 9, 9)), (2, 2, 0, 2, (1, 2, 8, 8)), (3, 2, 1, 1, (2, 3, 6, 6))]


@gpu
@needs_gpu
@pytest.mark.parametrize("k, s, p, d, shape", POOLS)
@pytest.mark.parametrize("values", ["ties", "nan", "saturated float32"])
def test_gpu_max_pool_matches_the_cpu_exactly(k, s, p, d, shape, values):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).round(0)                 # many ties: the first maximum gets the gradient
    dtype = np.float64
    if values == "nan":                                      # a window holding NaN: its last NaN (as torch)
        x[rng.random(shape) < 0.15] = np.nan
        x[0, 0, :2, :2] = np.nan
    if values == "saturated float32":                        # tanh saturates to exactly +-1
        x, dtype = np.tanh(30 * x), np.float32
    cpu, gpu_ = both_devices(lambda t: F.max_pool2d(t, k, s, p, d), x, dtype=dtype)
    for a, b in zip(cpu, gpu_):
        np.testing.assert_array_equal(a, b)


@gpu
@needs_gpu
@pytest.mark.parametrize("k, s, p, d, shape", [c for c in POOLS if c[3] == 1] + [(2, 1, 0, 1, (1, 2, 5, 5))])
def test_gpu_avg_pool_matches_the_cpu(k, s, p, d, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    cpu, gpu_ = both_devices(lambda t: F.avg_pool2d(t, k, s, p), x)
    for a, b in zip(cpu, gpu_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@gpu
@needs_gpu
@pytest.mark.parametrize("k, s, p", [(2, 2, 0), (3, 3, 1), (3, 2, 1)])
def test_gpu_pools_gradcheck(k, s, p):
    x = leaf(np.random.default_rng(3).standard_normal((2, 2, 6, 6)), "cuda")
    assert gradcheck(lambda t: F.max_pool2d(t, k, s, p), (x,))
    assert gradcheck(lambda t: F.avg_pool2d(t, k, s, p), (x,))


# ------------------------------------------------------------------ convolution
CONVS = [  # input shape, weight shape, stride, padding, dilation, groups
    ((2, 3, 8, 8), (4, 3, 3, 3), 1, 1, 1, 1), ((2, 16, 9, 7), (8, 16, 3, 3), 1, 1, 1, 1),
    ((2, 4, 9, 9), (6, 2, 3, 3), 2, 1, 1, 2), ((1, 3, 10, 10), (4, 3, 3, 2), 2, (2, 0), 2, 1),
    ((2, 2, 7, 8), (3, 2, 1, 1), 3, 0, 1, 1), ((2, 2, 5, 5), (3, 2, 3, 3), 1, 3, 1, 1),
    ((1, 2, 6, 6), (2, 2, 4, 4), 3, 1, 1, 1), ((2, 6, 8, 8), (6, 1, 3, 3), 1, 1, 1, 6)]


@gpu
@needs_gpu
@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CONVS)
@pytest.mark.parametrize("bias", [True, False])
def test_gpu_conv_matches_the_cpu(xs, ws, stride, padding, dilation, groups, bias):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws)] + ([rng.standard_normal(ws[0])] if bias else [])
    cpu, gpu_ = both_devices(lambda x, w, b=None: F.conv2d(x, w, b, stride, padding, dilation, groups), *arrays)
    for a, b in zip(cpu, gpu_):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@gpu
@needs_gpu
@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", [CONVS[2], CONVS[3], CONVS[5]])
def test_gpu_conv_gradchecks(xs, ws, stride, padding, dilation, groups):
    rng = np.random.default_rng(4)
    x, w, b = leaf(rng.standard_normal(xs), "cuda"), leaf(rng.standard_normal(ws), "cuda"), leaf(
        rng.standard_normal(ws[0]), "cuda")
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups), (x, w, b))


@gpu
@needs_gpu
def test_gpu_conv_weight_gradient_without_input_gradient():
    rng = np.random.default_rng(5)
    x = tinynn.tensor(rng.standard_normal((2, 3, 6, 6))).to("cuda")            # data: no gradient wanted
    w = leaf(rng.standard_normal((4, 3, 3, 3)), "cuda")
    F.conv2d(x, w, padding=1).sum().backward()
    expected = leaf(host(w))
    F.conv2d(tinynn.tensor(host(x)), expected, padding=1).sum().backward()
    np.testing.assert_allclose(host(w.grad), host(expected.grad), rtol=1e-12)


# ------------------------------------------------------------------ optimizers
OPTIMIZERS = {
    "sgd": lambda ps: tinynn.optim.SGD(ps, lr=0.1),
    "sgd momentum": lambda ps: tinynn.optim.SGD(ps, lr=0.1, momentum=0.9),
    "sgd nesterov decay": lambda ps: tinynn.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "sgd dampening maximize": lambda ps: tinynn.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.3, maximize=True,
                                                          weight_decay=0.1),
    "adam": lambda ps: tinynn.optim.Adam(ps, lr=0.01),
    "adam amsgrad decay maximize": lambda ps: tinynn.optim.Adam(ps, lr=0.01, amsgrad=True, weight_decay=0.1,
                                                                maximize=True),
    "adamw": lambda ps: tinynn.optim.AdamW(ps, lr=0.01),
}


@gpu
@needs_gpu
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("skipped_first", [False, True])
def test_gpu_optimizer_updates_together_as_one_at_a_time(name, skipped_first):
    """The GPU updates all parameters together; bit for bit what the CPU's per-parameter update gives
    (on the stand-in), also when a parameter had no gradient at the first step (its state then starts later)."""
    shapes = [(4, 3), (5,), (2, 3, 2), (1,)]
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(3)]
    results = []
    for device in ("cpu", "cuda"):
        params = [tinynn.nn.Parameter(tinynn.tensor(a).to(device)) for a in start]
        opt = OPTIMIZERS[name](params)
        for t, step_grads in enumerate(grads):
            for i, (p, g) in enumerate(zip(params, step_grads)):
                p.grad = None if (skipped_first and t == 0 and i == 1) else tinynn.tensor(g).to(device)
            opt.step()
        results.append([host(p) for p in params])
    for a, b in zip(*results):
        if GPU_BACKEND == "stand-in":
            np.testing.assert_array_equal(a, b)
        else:                         # (a GPU rounds each operation as NumPy does, but its compiler may fuse)
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ DataLoader: gathered batches
def _batches(loader):
    return [[host(t) for t in batch] for batch in loader]


def _same_batches(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert len(x) == len(y)
        for u, v in zip(x, y):
            assert u.dtype == v.dtype and u.shape == v.shape
            np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("batch_size, drop_last", [(4, False), (4, True), (16, False)])
def test_gathered_batches_equal_collated_ones(batch_size, drop_last, device):
    """A TensorDataset's batches, gathered with one index per tensor, are those of the per-sample
    path (forced here by a collate_fn that is not ``default_collate`` itself)."""
    rng = np.random.default_rng(0)
    x = tinynn.tensor(rng.standard_normal((10, 3, 2, 2)).astype(np.float32)).to(device)
    y = tinynn.tensor(rng.integers(0, 5, 10)).to(device)
    datasets = [TensorDataset(x, y), Subset(TensorDataset(x, y), [9, 0, 3, -1, 4, 4, 7]),
                Subset(Subset(TensorDataset(x, y), [9, 0, 3, -1, 4, 4, 7]), [6, 0, -2, 3])]
    for ds in datasets:
        for shuffle in (False, True):
            runs = []
            for collate in (default_collate, lambda batch: default_collate(batch)):
                tinynn.manual_seed(3)
                runs.append(_batches(DataLoader(ds, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                                                collate_fn=collate)))
            _same_batches(*runs)
            assert all(b[0].shape[0] <= batch_size for b in runs[0])


def test_gathered_batches_of_numpy_arrays_and_custom_batch_samplers():
    x, y = np.arange(24.0).reshape(12, 2), np.arange(12) * 10
    order = [[3, 1], [0, 11, 5], [2]]
    for kwargs in (dict(batch_size=5), dict(batch_sampler=order)):
        fast = _batches(DataLoader(TensorDataset(x, y), **kwargs))
        slow = _batches(DataLoader(TensorDataset(x, y), collate_fn=lambda b: default_collate(b), **kwargs))
        _same_batches(fast, slow)
    assert [b[1].tolist() for b in _batches(DataLoader(TensorDataset(x, y), batch_sampler=order))] == \
        [[30, 10], [0, 110, 50], [20]]


def test_tensors_that_require_grad_and_subclasses_keep_the_per_sample_path():
    x = tinynn.randn(6, 2, requires_grad=True)
    (xb,) = next(iter(DataLoader(TensorDataset(x), batch_size=3)))
    assert xb.requires_grad                                  # collated with tinynn.stack: still in the graph

    class Doubled(TensorDataset):
        def __getitems__(self, indices):
            return [tuple(2 * t for t in sample) for sample in super().__getitems__(indices)]

    (xb,) = next(iter(DataLoader(Doubled(tinynn.ones(4, 2)), batch_size=2)))
    np.testing.assert_array_equal(xb.numpy(), np.full((2, 2), 2.0))


def test_gathered_batches_check_their_indices():
    ds = Subset(TensorDataset(tinynn.zeros(4, 2)), [0, 1, 7])
    with pytest.raises(IndexError, match="index 7 is out of bounds for a dataset of size 4"):
        list(DataLoader(ds, batch_size=2))


# ------------------------------------------------------------------ counted on the stand-in
OPTIM = ("optim/", "_fast/optim.py")          # an optimizer's reference loop, and its foreach update
LOSS = ("nn/_functions/loss.py", "nn/_functions/activation.py", "_fast/classification_loss.py")
TANH = ("_ops/pointwise.py TanhFunction", "_fast/elementwise.py ThreadedTanh")


def _calls_in(result: dict, *paths: str) -> int:
    """Calls of the counted step made inside the given tinynn source files (or folders)."""
    return sum(count for where, count in result["by_caller"].items() if where.startswith(paths))


@gpu
@counts_calls
@pytest.mark.parametrize("model", ["fc", "net"])
def test_training_step_waits_for_the_device_never(model):
    result = gpu_calls.count_steps(model, steps=3)
    assert [s["syncs"] for s in result["steps"]] == [0, 0, 0], result["sync_origins"]
    # the epoch's batch indices reach the GPU in one copy, at its first step
    assert [s["h2d"] for s in result["steps"]] == [1, 0, 0]


@gpu
@counts_calls
@pytest.mark.parametrize("model, budget", [
    ("fc", {"utils/data/": 2, OPTIM: 6,                      # 2 tensors; 4 parameters + 2
            LOSS: 32, TANH: 6}),                             # log-softmax 8 + 5, NLL 15 + 4; tanh 2 + 4
    ("net", {"utils/data/": 2, OPTIM: 10,                    # 8 parameters + 2
             LOSS: 32, TANH: 18,                             # the same, fused; 3 tanh
             "nn/_functions/conv.py": 21,                    # conv1 forward 5 + backward 3 (no dL/dx), conv2 5 + 8
             "nn/_functions/pooling.py": 28}),               # 2 poolings, 2 forward + 12 backward each
])
def test_gpu_paths_stay_within_their_call_budget(model, budget):
    with tinynn.set_kernels("fast"):                        # (the budgets are the fast kernels')
        result = gpu_calls.count_steps(model, steps=2)
    for path, calls in budget.items():
        assert _calls_in(result, *(path if isinstance(path, tuple) else (path,))) <= calls, (path, result["by_caller"])
    assert sum(s["uncounted"] for s in result["steps"]) == 0, result["uncounted_by_name"]


@gpu
@counts_calls
@pytest.mark.xfail(strict=True, reason="the step's other ops (the loss, log-softmax, tanh, linear) still make "
                                       "more calls than the targets leave them: see benchmarks/README.md")
@pytest.mark.parametrize("model", ["fc", "net"])
def test_calls_per_step_meet_the_issue_targets(model):
    with tinynn.set_kernels("fast"):
        result = gpu_calls.count_steps(model, steps=2)
    assert max(s["calls"] + s["uncounted"] for s in result["steps"]) <= gpu_calls.TARGETS[model]
