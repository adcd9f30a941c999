"""Shared pieces of the benchmarks: threads, timers, peak RSS, data, and the seeds' four models.

The models are written twice, once in tinynn and once in torch, exactly as the
seeds write them (nn.Sequential for the FC models; a Net subclass with
F.max_pool2d(tanh(conv(x)), 2) for the conv models), so a benchmark measures
the user-facing API. tinynn never imports torch; only these benchmarks do, and
only when it is installed.
"""
from __future__ import annotations

import os
import pickle
import resource
import statistics
import sys
import time

# Two threads for every BLAS (must be set before numpy is imported to take effect). tinynn then
# runs NumPy's BLAS on one thread and splits its ops over its own 2 threads (tinynn/_fast/threads.py)
# when its fast kernels run (tinynn/_fast/process.py).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MODELS = ("fc", "fcdeep", "net", "netwidth", "batchnorm", "resdeep", "best")
MODEL_TITLES = {"fc": "FC 3072-512-2", "fcdeep": "FC deep 3072-1024-512-128-2",
                "net": "Net (width 16)", "netwidth": "Net width 32",
                "batchnorm": "NetBatchNorm (book)", "resdeep": "NetResDeep, 10 blocks (book)",
                "best": "cifar2_best.py's network"}
FLAT = {"fc": True, "fcdeep": True, "net": False, "netwidth": False, "batchnorm": False, "resdeep": False,
        "best": False}
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


# ------------------------------------------------------------------ helpers
def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB.

    VmHWM from /proc (Linux) belongs to this program alone; ``ru_maxrss`` is inherited
    across fork and exec, so a child started by a big parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median(xs):
    return statistics.median(xs)


def import_torch():
    """torch with 2 threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    return torch


class Sync:
    """Call ``sync()`` before reading a clock so GPU work is finished (a no-op on the CPU)."""

    def __init__(self, device: str):
        self.gpu = device == "gpu"
        self._torch = None

    def __call__(self):
        if self.gpu:
            import cupy
            cupy.cuda.Device().synchronize()
            if self._torch is not None:
                self._torch.cuda.synchronize()


def markdown_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------ data
def synthetic_data(n: int, seed: int = 0):
    """n float32 images 3x32x32 (roughly standardised) and int64 labels 0/1."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, 2, n).astype(np.int64)
    return x, y


def cifar2(path: str, train: bool = True):
    """The seeds' bird/airplane subset of CIFAR-10 (airplane 0, bird 1), normalised as the seeds do."""
    root = os.path.join(path, "cifar-10-batches-py") if os.path.isdir(
        os.path.join(path, "cifar-10-batches-py")) else path
    files = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    xs, ys = [], []
    for f in files:
        with open(os.path.join(root, f), "rb") as fh:
            d = pickle.load(fh, encoding="bytes")
        xs.append(d[b"data"])
        ys += d[b"labels"]
    x = np.concatenate(xs).reshape(-1, 3, 32, 32).astype(np.float32) / 255
    y = np.array(ys)
    keep = (y == 0) | (y == 2)
    x, y = x[keep], (y[keep] == 2).astype(np.int64)
    mean = np.array([0.4914, 0.4822, 0.4465], np.float32)[:, None, None]
    std = np.array([0.2470, 0.2435, 0.2616], np.float32)[:, None, None]
    return np.ascontiguousarray((x - mean) / std, dtype=np.float32), y


def load_data(real_data: str | None, n_train: int = 10_000, n_val: int = 2_000):
    if real_data:
        (xt, yt), (xv, yv) = cifar2(real_data, True), cifar2(real_data, False)
        return xt[:n_train], yt[:n_train], xv[:n_val], yv[:n_val]
    xt, yt = synthetic_data(n_train, 0)
    xv, yv = synthetic_data(n_val, 1)
    return xt, yt, xv, yv


def batches(n: int, batch_size: int, seed: int):
    """The index arrays of one shuffled epoch (the last batch may be smaller, as DataLoader's)."""
    perm = np.random.default_rng(seed).permutation(n)
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]


# ------------------------------------------------------------------ models
def build_tinynn(which: str, width: int | None = None):
    """(model, loss_fn, optimizer) in tinynn, as the seeds write them in torch."""
    import tinynn
    import tinynn.nn as nn
    import tinynn.nn.functional as F
    import tinynn.optim as optim
    return _build(which, nn, optim, seed_net_class(tinynn, nn, F), width)


def build_torch(torch, which: str, width: int | None = None):
    """(model, loss_fn, optimizer) in torch: the seeds' code."""
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim as optim
    return _build(which, nn, optim, seed_net_class(torch, nn, F), width)


def seed_net_class(torch, nn, F):
    """The seeds' ``Net``, written once against whichever library is passed in (torch or tinynn)."""

    class Net(nn.Module):
        def __init__(s, w=16):
            super().__init__(); s.w = w
            s.conv1 = nn.Conv2d(3, w, 3, padding=1); s.conv2 = nn.Conv2d(w, w // 2, 3, padding=1)
            s.fc1 = nn.Linear(8 * 8 * w // 2, 32); s.fc2 = nn.Linear(32, 2)

        def forward(s, x):
            o = F.max_pool2d(torch.tanh(s.conv1(x)), 2)
            o = F.max_pool2d(torch.tanh(s.conv2(o)), 2)
            o = torch.tanh(s.fc1(o.view(-1, 8 * 8 * s.w // 2)))
            return s.fc2(o)

    return Net


def _build(which, nn, optim, Net, width):
    wd = 0
    if which == "fc":
        model = nn.Sequential(nn.Linear(3072, 512), nn.Tanh(), nn.Linear(512, 2), nn.LogSoftmax(dim=1))
        loss_fn = nn.NLLLoss()
    elif which == "fcdeep":
        model = nn.Sequential(nn.Linear(3072, 1024), nn.Tanh(), nn.Linear(1024, 512), nn.Tanh(),
                              nn.Linear(512, 128), nn.Tanh(), nn.Linear(128, 2))
        loss_fn = nn.CrossEntropyLoss()
    elif which == "net":
        model, loss_fn = Net(width or 16), nn.CrossEntropyLoss()
    elif which == "netwidth":
        model, loss_fn, wd = Net(width or 32), nn.CrossEntropyLoss(), 1e-3
    elif which in ("batchnorm", "resdeep", "best"):
        return _example_model(which, nn, optim)
    else:
        raise ValueError(f"unknown model {which!r}; choose from {', '.join(MODELS)}")
    opt = optim.SGD(model.parameters(), lr=1e-2, weight_decay=wd)
    return model, loss_fn, opt


def _example_model(which, nn, optim):
    """(model, loss_fn, optimizer) of the examples' networks, on ``nn`` (tinynn.nn or torch.nn).

    ``batchnorm`` and ``resdeep`` (10 blocks) are the book's classes (examples/cifar2_models.py,
    PyTorch's from the same source through ``torch_versions()``) with the book's SGD (lr 1e-2,
    3e-3 for resdeep); ``best`` is examples/cifar2_best.py's network with its optimizer (SGD,
    Nesterov momentum 0.9, weight decay 5e-4, lr 0.05; its augmentation and rate schedule are
    not part of the timed step).
    """
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    import cifar2_models
    on_torch = nn.__name__.startswith("torch")
    if which == "best":
        from cifar2_best import DEFAULT_LR, MOMENTUM, WEIGHT_DECAY, best_model
        model = best_model(nn)
        opt = optim.SGD(model.parameters(), lr=DEFAULT_LR, momentum=MOMENTUM, nesterov=True, weight_decay=WEIGHT_DECAY)
        return model, nn.CrossEntropyLoss(), opt
    spec = (cifar2_models.torch_versions() if on_torch else cifar2_models).CONV_MODELS[which]
    model = spec()
    return model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=spec.lr)


def n_parameters(model) -> int:
    return sum(int(np.prod(p.shape)) for p in model.parameters())


def now() -> float:
    return time.perf_counter()
