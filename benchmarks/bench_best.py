"""The best recipe against PyTorch's reference recipe, in one run, alternating; and its layers one by one.

    python benchmarks/bench_best.py --data-dir ~/data                # tinynn, torch, tinynn, torch
    python benchmarks/bench_best.py --data-dir ~/data --rounds 3 --seeds 0,1,2
    python benchmarks/bench_best.py --layers [--threads 1]           # per-layer forward/backward times vs torch

Whole runs: each round runs ``examples/cifar2_best.py`` (its defaults, one seed per round from
``--seeds``) and then PyTorch's reference recipe (``../shared/reference/torch_best.py``,
20 epochs), each as a child process on the same CIFAR-10 files; the next round starts with
the other library, so a slow stretch of a shared machine falls on both. Both print the time
since training began after each epoch's validation (neither counts loading the data); the
table reports that time at the last epoch (the time to reach the final accuracy), the first
epoch whose validation accuracy is >= 0.94 and its time, the child's whole wall time, and the
load average (``/proc/loadavg``) before and after each run. ``--data-dir`` is a folder holding
``cifar-10-batches-py`` (extracted).

``--layers``: the recipe's network, layer by layer, tinynn against PyTorch, on a batch of 64:
each layer's forward and backward (given the output gradient) timed alone on an input of the
shape it sees in the network, alternating the libraries, median of ``--repeats``.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import import_torch, markdown_table, median, now

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "cifar2_best.py"
REFERENCE = ROOT.parent / "shared" / "reference" / "torch_best.py"
TARGET = 0.94

TINYNN_EPOCH = re.compile(r"^Epoch +(\d+)/\d+ .*val acc ([0-9.]+) .*total +([0-9.]+) s", re.M)
TORCH_EPOCH = re.compile(r"^(\d+) ([0-9.]+) ([0-9.]+)$", re.M)


def load_average() -> str:
    """The 1-minute load average, as /proc/loadavg (or os.getloadavg) gives it."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def run_child(cmd: list, cwd: Path, pattern: re.Pattern, timeout: float) -> dict:
    """Run one training in a child process; its epochs as (epoch, validation accuracy, seconds since training began)."""
    load_before = load_average()
    start = now()
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    wall = now() - start
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({res.returncode}): {res.stderr.strip()[-500:]}")
    epochs = [(int(e), float(a), float(s)) for e, a, s in pattern.findall(res.stdout)]
    if not epochs:
        raise RuntimeError(f"no epoch lines in the output of {' '.join(map(str, cmd))}")
    return {"epochs": epochs, "wall": wall, "load": f"{load_before} / {load_average()}"}


def tinynn_run(args, seed: int) -> dict:
    cmd = [sys.executable, str(EXAMPLE), "--data-dir", str(args.data_dir), "--no-download", "--seed", str(seed)]
    if args.epochs:
        cmd += ["--epochs", str(args.epochs)]
    return run_child(cmd, ROOT, TINYNN_EPOCH, args.timeout)


def torch_run(args, folder: Path) -> dict:
    return run_child([sys.executable, str(folder / "torch_best.py"), str(args.torch_epochs)], folder, TORCH_EPOCH,
                     args.timeout)


def reference_folder(args, tmp: Path) -> Path:
    """A folder as the reference expects to run in: torch_best.py, torch_cifar2.py and cifar-10-batches-py side by side."""
    batches = Path(args.data_dir) / "cifar-10-batches-py"
    if not batches.is_dir():
        sys.exit(f"error: --data-dir {args.data_dir}: no cifar-10-batches-py folder there")
    for name in ("torch_best.py", "torch_cifar2.py"):
        source = args.reference.parent / name
        if not source.is_file():
            sys.exit(f"error: the reference recipe needs {source}, which does not exist")
        (tmp / name).symlink_to(source)
    (tmp / "cifar-10-batches-py").symlink_to(batches.resolve())
    return tmp


def summary_row(round_: int, lib: str, label: str, r: dict) -> list:
    epochs = r["epochs"]
    last_epoch, last_acc, last_s = epochs[-1]
    first = next(((e, s) for e, a, s in epochs if a >= TARGET), None)
    return [str(round_), lib, label, f"{last_acc:.4f}", str(last_epoch), f"{last_s:.1f}",
            f"epoch {first[0]}, {first[1]:.1f} s" if first else "never", f"{r['wall']:.1f}", r["load"]]


def whole_runs(args) -> None:
    seeds = [int(s) for s in args.seeds.split(",")]
    rows, times = [], {"tinynn": [], "torch": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = reference_folder(args, Path(tmp))
        for k in range(args.rounds):
            seed = seeds[k % len(seeds)]
            order = ("tinynn", "torch") if k % 2 == 0 else ("torch", "tinynn")
            for lib in order:
                r = tinynn_run(args, seed) if lib == "tinynn" else torch_run(args, folder)
                label = f"cifar2_best.py --seed {seed}" if lib == "tinynn" else f"torch_best.py {args.torch_epochs}"
                rows.append(summary_row(k + 1, lib, label, r))
                times[lib].append(r["epochs"][-1][2])
                print(" | ".join(rows[-1]), flush=True)
    print()
    print(markdown_table(["round", "library", "run", "final val acc", "epochs", "s to final acc",
                          f"first >= {TARGET}", "process wall s", "load before / after"], rows))
    ratio = median(times["tinynn"]) / median(times["torch"])
    print(f"\nMedian seconds to the final accuracy: tinynn {median(times['tinynn']):.1f}, "
          f"torch {median(times['torch']):.1f}, ratio {ratio:.2f}")


# ------------------------------------------------------------------ layer by layer
def layer_times(args) -> None:
    torch = import_torch()
    if torch is None:
        sys.exit("error: --layers needs PyTorch, which is not installed")
    import tinynn
    sys.path.insert(0, str(EXAMPLE.parent))
    from cifar2_best import best_model

    torch.set_num_threads(args.threads)
    tinynn.set_num_threads(args.threads)
    layers = {"tinynn": list(best_model(tinynn.nn)), "torch": list(best_model(torch.nn))}
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((64, 3, 32, 32), dtype=np.float32))
    shapes = []
    with torch.no_grad():
        for layer in layers["torch"]:
            shapes.append(tuple(x.shape))
            x = layer(x)
    rows, totals = [], {"tinynn": [0.0, 0.0], "torch": [0.0, 0.0]}
    for k, shape in enumerate(shapes):
        x = np.random.default_rng(k).standard_normal(shape, dtype=np.float32)
        samples = {lib: ([], []) for lib in layers}
        for r in range(args.repeats):
            for lib in (("tinynn", "torch") if r % 2 == 0 else ("torch", "tinynn")):
                mod = tinynn if lib == "tinynn" else torch
                inp = mod.from_numpy(x).requires_grad_(True)
                t0 = now()
                out = layers[lib][k](inp)
                t1 = now()
                grad = mod.ones_like(out)
                t2 = now()
                out.backward(grad)
                t3 = now()
                samples[lib][0].append(t1 - t0)
                samples[lib][1].append(t3 - t2)
        ms = {lib: [median(s[2:]) * 1e3 for s in samples[lib]] for lib in layers}      # (first two: warm-up)
        for lib in layers:
            totals[lib][0] += ms[lib][0]
            totals[lib][1] += ms[lib][1]
        name = f"{k}: {type(layers['tinynn'][k]).__name__} {shape[1:]}"
        rows.append([name, *(f"{v:.2f}" for v in ms["tinynn"] + ms["torch"]),
                     f"{sum(ms['tinynn']) / max(sum(ms['torch']), 1e-9):.2f}"])
        print(" | ".join(rows[-1]), flush=True)
    rows.append(["total", *(f"{v:.2f}" for v in totals["tinynn"] + totals["torch"]),
                 f"**{sum(totals['tinynn']) / sum(totals['torch']):.2f}**"])
    print(f"\nBatch 64, {args.threads} thread(s), median of {args.repeats - 2}, load {load_average()}\n")
    print(markdown_table(["layer (input C, H, W)", "tinynn fwd ms", "tinynn bwd ms", "torch fwd ms", "torch bwd ms",
                          "ratio"], rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, help="folder holding cifar-10-batches-py (whole runs)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of (tinynn run, torch run), default 2")
    ap.add_argument("--seeds", default="0,1", help="cifar2_best.py's --seed for each round, in turn (default 0,1)")
    ap.add_argument("--epochs", type=int, default=None, help="cifar2_best.py's --epochs (default: its own)")
    ap.add_argument("--torch-epochs", type=int, default=20, help="the reference's epochs (default 20, as measured)")
    ap.add_argument("--reference", type=Path, default=REFERENCE, help="torch_best.py (torch_cifar2.py beside it)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds allowed to each run")
    ap.add_argument("--layers", action="store_true", help="time the recipe's network layer by layer instead")
    ap.add_argument("--threads", type=int, default=2, help="--layers: threads for both libraries (default 2)")
    ap.add_argument("--repeats", type=int, default=22, help="--layers: timings per layer and library")
    args = ap.parse_args()
    if args.layers:
        return layer_times(args)
    if args.data_dir is None:
        ap.error("--data-dir is required (a folder holding cifar-10-batches-py)")
    if args.rounds < 1:
        ap.error("--rounds must be >= 1")
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load average {load_average()}", flush=True)
    whole_runs(args)


if __name__ == "__main__":
    main()
