"""CuPy calls per training step of the seeds' CIFAR-2 models, counted on the CuPy stand-in.

At batch 64 a GPU waits on kernel launches, not on arithmetic, so the number of
CuPy calls per step is the GPU path's cost model. The strict NumPy-backed CuPy
stand-in (``<repo>/../shared/tools/fakecupy``, see its README) counts them in
``cupy._log.launches``: one per elementwise kernel (ufunc), per new array
(a routine's result, an allocation) and per assignment into an array.

It does not count a few calls that are kernels all the same: ``copyto``,
``fill``, a routine given ``out=`` (``matmul(a, b, out=y)``, ``x.sum(out=...)``),
``cupyx.scatter_add`` and ``ufunc.at``. ``StrictCounts`` counts those too,
apart, so that a saving cannot come from hiding work in them.

A step is what ``examples/cifar2_common.py`` runs per batch: the next batch of
a ``DataLoader(TensorDataset(images, labels), batch_size, shuffle=True)`` whose
tensors are already on the GPU, the forward pass and the loss, ``zero_grad``,
backward and ``SGD.step``. ``SYNC`` events (the host waiting for the device:
``float()``, ``.item()``, ``bool()``, a data-dependent shape) are counted too;
a step should have none.

Used by ``bench_cifar2.py --count-gpu-calls`` and ``tests/test_gpu_calls.py``.
"""
from __future__ import annotations

import collections
import functools
import os
import sys
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STAND_IN = REPO.parent / "shared" / "tools" / "fakecupy"

# the targets (issue 16): calls per step at batch 64
TARGETS = {"fc": 45, "net": 100}

# routines the stand-in counts only through the new array they return: given out=, nothing
_COUNTED_BY_RESULT = ("matmul", "dot", "concatenate", "stack", "clip")
_REDUCTIONS = ("sum", "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "all", "any", "cumsum")


def use_stand_in() -> None:
    """Make ``import cupy`` give the stand-in (before anything imports cupy); SystemExit when it is missing."""
    loaded = sys.modules.get("cupy")
    if loaded is not None:
        if not is_stand_in(loaded):
            raise SystemExit("error: real CuPy is already imported; the call counts need the CuPy stand-in "
                             f"({STAND_IN})")
        return
    if not (STAND_IN / "cupy" / "__init__.py").is_file():
        raise SystemExit(f"error: the call counts need the CuPy stand-in, which is not at {STAND_IN}")
    sys.path.insert(0, str(STAND_IN))


def is_stand_in(cupy_module) -> bool:
    """True for the NumPy-backed stand-in (its version says "+fake")."""
    return "+fake" in getattr(cupy_module, "__version__", "")


_TINYNN = str(REPO / "tinynn") + os.sep


def tinynn_caller() -> str:
    """Where in tinynn the current CuPy call comes from: the innermost tinynn function, as
    ``nn/_functions/pooling.py MaxPool2dFunction.backward`` (or ``outside tinynn``)."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(_TINYNN):
            return f"{path[len(_TINYNN):]} {frame.f_code.co_qualname}"
        frame = frame.f_back
    return "outside tinynn"


class AttributedCounter(collections.Counter):
    """A Counter that also counts each increment by ``tinynn_caller()``, in ``by_caller``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_caller: collections.Counter = collections.Counter()

    def __setitem__(self, key, value):
        added = value - self.get(key, 0)
        if added > 0:
            self.by_caller[tinynn_caller()] += added
        super().__setitem__(key, value)

    def clear(self):
        super().clear()
        self.by_caller.clear()


class StrictCounts:
    """Counts the stand-in's uncounted kernels (see the module doc) in ``self.extra``, by name, while active."""

    def __init__(self, cupy):
        self.cupy = cupy
        self.extra = AttributedCounter()
        self._undo: list = []

    def _patch(self, owner, name, counts_if):
        original = getattr(owner, name)

        @functools.wraps(original)
        def counted(*args, **kwargs):
            label = counts_if(args, kwargs)
            if label:
                self.extra[label] += 1
            return original(*args, **kwargs)

        setattr(owner, name, counted)
        self._undo.append((owner, name, original))

    @contextmanager
    def active(self):
        cp = self.cupy
        import cupyx
        always = lambda label: (lambda args, kwargs: label)                      # noqa: E731
        with_out = lambda label: (lambda args, kwargs: label if kwargs.get("out") is not None else None)  # noqa: E731
        self._patch(cp, "copyto", always("copyto"))
        self._patch(cp.ndarray, "fill", always("fill"))
        for name in ("scatter_add", "scatter_max", "scatter_min"):
            self._patch(cupyx, name, always(name))
        self._patch(type(cp.add), "at", lambda args, kwargs: f"ufunc.at:{args[0].__name__}")
        for name in _COUNTED_BY_RESULT:
            self._patch(cp, name, with_out(f"{name}(out=)"))
        for name in _REDUCTIONS:
            self._patch(cp.ndarray, name, with_out(f"{name}(out=)"))
        try:
            yield self
        finally:
            for owner, name, original in reversed(self._undo):
                setattr(owner, name, original)
            self._undo.clear()


def count_steps(which: str, batch_size: int = 64, steps: int = 4, width: int | None = None) -> dict:
    """Train ``which`` (``bench_cifar2``'s model names: fc, fcdeep, net, netwidth) on the stand-in's GPU
    for one warm-up epoch of ``steps`` batches, then count the calls of each step of a second epoch.

    Returns ``{"model", "batch_size", "steps": [{"calls", "uncounted", "syncs", "h2d"} per step],
    "by_name": the calls of the last step by name, "uncounted_by_name": ditto, "sync_origins"}``.
    """
    import cupy
    if not is_stand_in(cupy):
        raise RuntimeError("count_steps needs the CuPy stand-in (real CuPy does not count its calls)")
    from cupy import _log

    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    from _common import FLAT, build_tinynn               # (puts this repository's tinynn first on the path)
    import tinynn
    from tinynn.utils.data import DataLoader, TensorDataset

    tinynn.manual_seed(0)
    model, loss_fn, opt = build_tinynn(which, width)
    model.to("cuda")
    n = batch_size * steps
    images = tinynn.randn(n, 3, 32, 32).to("cuda")
    labels = tinynn.randint(0, 2, (n,)).to("cuda")
    loader = DataLoader(TensorDataset(images, labels), batch_size=batch_size, shuffle=True)
    flat = FLAT[which]

    def step(imgs, targets):
        outputs = model(imgs.view(imgs.shape[0], -1) if flat else imgs)
        loss = loss_fn(outputs, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for imgs, targets in loader:                 # warm-up epoch: state, caches, first-use allocations
        step(imgs, targets)
    strict = StrictCounts(cupy)
    per_step, sync_origins = [], []
    batches = iter(loader)
    launches, _log.launches = _log.launches, AttributedCounter()
    try:
        with strict.active():
            by_name, extra_by_name, by_caller = run_counted_steps(step, batches, _log, strict, per_step, sync_origins)
    finally:
        _log.launches = launches
    return {"model": which, "batch_size": batch_size, "steps": per_step, "by_name": by_name,
            "uncounted_by_name": extra_by_name, "by_caller": by_caller, "sync_origins": sync_origins}


def run_counted_steps(step, batches, _log, strict, per_step: list, sync_origins: list) -> tuple[dict, dict, dict]:
    """Run ``step`` on each remaining batch, counting each step's calls and events apart; returns the
    last step's counts by name, its uncounted calls by name, and both by tinynn function."""
    last: tuple[dict, dict, dict] = ({}, {}, {})
    while True:
        _log.launches.clear()
        _log.counts.clear()
        strict.extra.clear()
        try:
            imgs, targets = next(batches)        # the data part of the step
        except StopIteration:
            return last
        step(imgs, targets)
        events = collections.Counter()
        for (event, name, detail, origin), count in _log.counts.items():
            events[event] += count
            if event == "SYNC":
                sync_origins.append(f"{name} at {origin}")
        per_step.append({"calls": sum(_log.launches.values()), "uncounted": sum(strict.extra.values()),
                         "syncs": events["SYNC"], "h2d": events["H2D"]})
        last = (dict(_log.launches.most_common()), dict(strict.extra.most_common()),
                dict((_log.launches.by_caller + strict.extra.by_caller).most_common()))


def report(results: list[dict]) -> str:
    """The counts as Markdown: one row per model, then the calls of a step by name."""
    lines = ["| model | calls per step (stand-in count) | + calls it does not count | syncs per step | "
             "host-to-device copies per step | target |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        calls = [s["calls"] for s in r["steps"]]
        extra = [s["uncounted"] for s in r["steps"]]
        target = TARGETS.get(r["model"])
        syncs, h2d = max(s["syncs"] for s in r["steps"]), _range_text([s["h2d"] for s in r["steps"]])
        lines.append(f"| {r['model']} | {_range_text(calls)} | {_range_text(extra)} | {syncs} | {h2d} | "
                     f"{'<= ' + str(target) if target else '-'} |")
    for r in results:
        lines.append("")
        lines.append(f"{r['model']}, the last step by name: " + ", ".join(f"{k} {v}" for k, v in r["by_name"].items()))
        if r["uncounted_by_name"]:
            lines.append(f"{r['model']}, not counted by the stand-in: "
                         + ", ".join(f"{k} {v}" for k, v in r["uncounted_by_name"].items()))
        lines.append(f"{r['model']}, the last step by tinynn function: "
                     + ", ".join(f"{k} {v}" for k, v in r["by_caller"].items()))
        if r["sync_origins"]:
            lines.append(f"{r['model']}, SYNC: " + "; ".join(r["sync_origins"][:5]))
    return "\n".join(lines)


def _range_text(values: list[int]) -> str:
    """``72`` when every step made the same count, else ``72-73 (first step 73)``."""
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}-{hi} (first step {values[0]})"


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    use_stand_in()
    print(report([count_steps(m) for m in (sys.argv[1:] or ["fc", "net"])]))
