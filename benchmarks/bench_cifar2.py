"""Training speed of the seeds' four CIFAR-2 models in tinynn, and against PyTorch.

    python benchmarks/bench_cifar2.py                       # tinynn only, all four models
    python benchmarks/bench_cifar2.py --compare-torch       # alternating tinynn/torch epochs, ratios, RSS
    python benchmarks/bench_cifar2.py --models net,fc --epochs 5 --batch-size 64 --device cpu
    python benchmarks/bench_cifar2.py --real-data ~/data    # folder holding cifar-10-batches-py
    python benchmarks/bench_cifar2.py --scaling [--compare-torch]   # batch 16..1024, Net width 16/32/64
    python benchmarks/bench_cifar2.py --count-gpu-calls     # CuPy calls per step, on the CuPy stand-in
    python benchmarks/bench_cifar2.py --device gpu --compare-torch  # a real GPU: batch 64 and 1024 vs torch CUDA

One epoch = 10,000 3x32x32 float32 images (synthetic by default, or the
bird/airplane subset of CIFAR-10), batch 64, shuffled: forward, loss,
zero_grad, backward, SGD step per batch. After one warm-up epoch, ``--epochs``
epochs are timed and the median is reported. With ``--compare-torch`` both
libraries train the same model on the same batches in the same process,
alternating epoch by epoch, and the ratio tinynn/torch is the median of the
per-epoch ratios (the machine is noisy; a ratio of neighbouring epochs
survives that noise far better than two separate runs).

On the GPU (``--device gpu``) both libraries keep the data on the device and
gather each batch there (the index of each batch is copied over), as the
examples do, and every clock is read after synchronising the device
(``cupy.cuda.Device().synchronize()``, ``torch.cuda.synchronize()``). Without
a ``--batch-size`` it runs batch 64 and batch 1024. It needs an NVIDIA GPU
with CuPy (and, with ``--compare-torch``, PyTorch with CUDA), and says in one
line what is missing otherwise.

``--count-gpu-calls`` needs no GPU: it trains each model for a few steps on
the CuPy stand-in (``../shared/tools/fakecupy``) and prints the CuPy calls
per step, by name and by tinynn function, and the host syncs (see gpu_calls.py).

Peak RSS is measured in separate child processes (``--rss-only tinynn|torch``),
one per library and model, so the two libraries don't inflate each other's
figure: each child loads the data, trains one warm-up and one timed epoch and
validates, then reports ``ru_maxrss``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys

from _common import (FLAT, MODEL_TITLES, MODELS, Sync, batches, build_tinynn, build_torch, import_torch,
                     load_data, markdown_table, median, n_parameters, now, peak_rss_mb)
import gpu_calls

import numpy as np


# ------------------------------------------------------------------ one library's runner
class Runner:
    """Train one model of one library on numpy batches, timing the phases of each step."""

    def __init__(self, lib: str, which: str, device: str, width=None, torch=None):
        self.lib, self.which, self.device, self.flat = lib, which, device, FLAT[which]
        self.sync = Sync(device)
        if lib == "torch":
            self.torch = torch
            self.model, self.loss_fn, self.opt = build_torch(torch, which, width)
            if device == "gpu":
                self.model.cuda()
                self.sync._torch = torch
                # the optimizer holds the same Parameter objects, moved in place
        else:
            import tinynn
            self.tn = tinynn
            self.model, self.loss_fn, self.opt = build_tinynn(which, width)
            if device == "gpu":
                self.model.to("cuda")
        self.params = n_parameters(self.model)

    def to_tensor(self, a):
        if self.lib == "torch":
            t = self.torch.from_numpy(a)
            return t.cuda() if self.device == "gpu" else t
        t = self.tn.from_numpy(a)
        return t.to("cuda") if self.device == "gpu" else t

    def batch(self, x, y, idx):
        if self.device == "gpu":
            return self.gpu_batch(x, y, idx)
        xb = x[idx]
        if self.flat:
            xb = xb.reshape(len(idx), -1)
        return self.to_tensor(xb), self.to_tensor(y[idx])

    def gpu_batch(self, x, y, idx):
        """The batch gathered on the GPU from the data copied there once; only ``idx`` is copied per step."""
        if getattr(self, "_on_gpu", (None,))[0] is not x:
            self._on_gpu = (x, self.to_tensor(x), self.to_tensor(y))
        _, xd, yd = self._on_gpu
        index = self.to_tensor(np.ascontiguousarray(idx, dtype=np.int64))
        xb, yb = xd[index], yd[index]
        return (xb.view(xb.shape[0], -1) if self.flat else xb), yb

    def epoch(self, x, y, order, phases: bool = True):
        """Train one epoch over the index arrays in ``order``; returns (seconds, (fwd, bwd, opt) seconds)."""
        self.model.train()
        model, loss_fn, opt, sync = self.model, self.loss_fn, self.opt, self.sync
        # on the GPU, phase timings need a sync per phase: only take them when asked
        phase_sync = sync if (phases and self.device == "gpu") else (lambda: None)
        t_fwd = t_bwd = t_opt = 0.0
        sync()
        start = now()
        for idx in order:
            xb, yb = self.batch(x, y, idx)
            t0 = now()
            loss = loss_fn(model(xb), yb)
            phase_sync()
            t1 = now()
            opt.zero_grad()
            loss.backward()
            phase_sync()
            t2 = now()
            opt.step()
            phase_sync()
            t3 = now()
            t_fwd += t1 - t0
            t_bwd += t2 - t1
            t_opt += t3 - t2
        sync()
        return now() - start, (t_fwd, t_bwd, t_opt)

    def validate(self, x, y, chunk: int = 1000):
        """Seconds to classify all of x (no grad, eval mode), and the accuracy."""
        self.model.eval()
        grad_off = self.torch.no_grad() if self.lib == "torch" else self.tn.no_grad()
        correct = 0
        self.sync()
        start = now()
        with grad_off:
            for i in range(0, len(x), chunk):
                xb, yb = self.batch(x, y, np.arange(i, min(i + chunk, len(x))))
                correct += int((self.model(xb).argmax(1) == yb).sum().item())
        self.sync()
        return now() - start, correct / len(x)


# ------------------------------------------------------------------ one model, one or two libraries
def bench_model(which, args, data, torch=None, width=None):
    xt, yt, xv, yv = data
    libs = ["tinynn"] + (["torch"] if torch is not None else [])
    runners = {lib: Runner(lib, which, args.device, width, torch) for lib in libs}
    epochs = {lib: [] for lib in libs}
    steps = None
    for e in range(args.warmup + args.epochs):
        order = batches(len(xt), args.batch_size, seed=e)
        steps = len(order)
        for lib in (libs if e % 2 == 0 else libs[::-1]):     # alternate who goes first
            # (on the GPU the step breakdown would need a sync per phase, which slows the epoch: not taken)
            total, phases = runners[lib].epoch(xt, yt, order, phases=args.device != "gpu")
            if e >= args.warmup:
                epochs[lib].append((total, phases))
    out = {"model": which, "params": runners["tinynn"].params, "steps": steps, "width": width}
    for lib in libs:
        times = [t for t, _ in epochs[lib]]
        mid = int(np.argsort(times)[len(times) // 2])            # the median epoch's breakdown
        fwd, bwd, opt = (p / steps * 1e3 for p in epochs[lib][mid][1])
        val = [runners[lib].validate(xv, yv) for _ in range(3)]
        out[lib] = {"epoch_s": median(times), "epochs": times, "img_s": len(xt) / median(times),
                    "fwd_ms": fwd, "bwd_ms": bwd, "opt_ms": opt,
                    "val_s": median([v[0] for v in val]), "val_img_s": len(xv) / median([v[0] for v in val]),
                    "val_acc": val[0][1]}
    if torch is not None:
        ratios = [a / b for a, b in zip(out["tinynn"]["epochs"], out["torch"]["epochs"])]
        out["ratio"] = median(ratios)
        out["ratios"] = ratios
    return out


def child_rss(lib, which, args, width=None):
    """Peak RSS (MB) of a fresh process training ``which`` with ``lib`` (None if it failed)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--rss-only", lib, "--models", which,
           "--batch-size", str(args.batch_size), "--device", args.device]
    if args.real_data:
        cmd += ["--real-data", args.real_data]
    if width:
        cmd += ["--width", str(width)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        return json.loads(res.stdout.strip().splitlines()[-1])["peak_rss_mb"]
    except Exception as exc:  # noqa: BLE001 - report, don't crash the whole benchmark
        print(f"  (RSS child for {lib}/{which} failed: {exc})", file=sys.stderr)
        return None


def rss_only(args):
    """Child mode: load data, train one warm-up and one timed epoch, validate, print peak RSS as JSON."""
    torch = import_torch() if args.rss_only == "torch" else None
    data = load_data(args.real_data)
    which = args.models.split(",")[0]
    r = Runner(args.rss_only, which, args.device, args.width, torch)
    for e in range(2):
        r.epoch(data[0], data[1], batches(len(data[0]), args.batch_size, seed=e), phases=False)
    r.validate(data[2], data[3])
    print(json.dumps({"lib": args.rss_only, "model": which, "peak_rss_mb": round(peak_rss_mb(), 1)}))


# ------------------------------------------------------------------ reports
def f2(x):
    return "-" if x is None else f"{x:.2f}"


def training_table(results, compare):
    rows = []
    for r in results:
        t = r["tinynn"]
        row = [MODEL_TITLES[r["model"]], f"{r['params']:,}", f"{t['epoch_s']:.2f}"]
        if compare:
            p = r["torch"]
            row += [f"{p['epoch_s']:.2f}", f"**{r['ratio']:.2f}**", " ".join(f"{x:.2f}" for x in r["ratios"])]
        row += [f"{t['img_s']:,.0f}", f"{t['fwd_ms']:.1f} / {t['bwd_ms']:.1f} / {t['opt_ms']:.2f}"]
        if compare:
            row += [f"{p['fwd_ms']:.1f} / {p['bwd_ms']:.1f} / {p['opt_ms']:.2f}"]
        row += [f"{t['val_img_s']:,.0f}" + (f" / {p['val_img_s']:,.0f}" if compare else "")]
        if "rss_tinynn" in r:
            row += [f"{r['rss_tinynn']:.0f}" if r["rss_tinynn"] else "-"]
            if compare:
                row += [f"{r['rss_torch']:.0f}" if r.get("rss_torch") else "-"]
        rows.append(row)
    header = ["model", "params", "tinynn epoch s"]
    if compare:
        header += ["torch epoch s", "ratio tinynn/torch (median)", "per-epoch ratios"]
    header += ["tinynn img/s", "tinynn step ms fwd+loss / zero_grad+bwd / step"]
    if compare:
        header += ["torch step ms fwd+loss / zero_grad+bwd / step"]
    header += ["validation img/s" + (" tinynn / torch" if compare else "")]
    if results and "rss_tinynn" in results[0]:
        header += ["peak RSS MB tinynn"] + (["peak RSS MB torch"] if compare else [])
    return markdown_table(header, rows)


def machine_line(args, torch):
    import numpy
    bits = [f"{platform.processor() or platform.machine()}", f"{os.cpu_count()} CPUs",
            f"Python {platform.python_version()}", f"numpy {numpy.__version__}"]
    if torch is not None:
        bits.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    import tinynn
    from threadpoolctl import threadpool_info
    blas = [f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info() if i["user_api"] == "blas"]
    bits.append(f"tinynn {tinynn.get_num_threads()} threads (BLAS threads: {', '.join(blas) or 'unknown'})")
    bits.append(f"{tinynn.get_kernels()} kernels")
    bits.append(f"device {args.device}, batch {args.batch_size}, {args.warmup} warm-up + {args.epochs} timed epochs")
    bits.append("data " + ("CIFAR-10 bird/airplane" if args.real_data else "synthetic"))
    return "Machine: " + ", ".join(bits)


def scaling(args, data, torch):
    rows = []
    models = args.models.split(",")
    for which in models:
        for bs in (16, 64, 256, 1024):
            a = argparse.Namespace(**{**vars(args), "batch_size": bs})
            r = bench_model(which, a, data, torch)
            rows.append([MODEL_TITLES[which], f"batch {bs}", f"{r['tinynn']['epoch_s']:.2f}",
                         f"{r['torch']['epoch_s']:.2f}" if torch else "-", f2(r.get("ratio"))])
            print(" | ".join(rows[-1]), flush=True)
    for w in (16, 32, 64):
        r = bench_model("net", args, data, torch, width=w)
        rows.append([f"Net width {w} ({r['params']:,} params)", f"batch {args.batch_size}",
                     f"{r['tinynn']['epoch_s']:.2f}", f"{r['torch']['epoch_s']:.2f}" if torch else "-",
                     f2(r.get("ratio"))])
        print(" | ".join(rows[-1]), flush=True)
    return markdown_table(["model", "setting", "tinynn epoch s", "torch epoch s", "ratio tinynn/torch"], rows)


# ------------------------------------------------------------------ GPU
GPU_TARGETS = {64: 1.5, 1024: 1.2}        # issue 16: tinynn epoch time at most this many times PyTorch's


def require_gpu(compare_torch: bool):
    """Exit with one line saying what is missing unless a real CUDA GPU (and, to compare, torch CUDA) is here."""
    def fail(message):
        print(f"error: --device gpu: {message}", file=sys.stderr)
        sys.exit(2)
    try:
        import cupy
    except ImportError:
        fail("CuPy is not installed (pip install 'tinynn[gpu]', see the README); no GPU to time")
    if gpu_calls.is_stand_in(cupy):
        fail("`import cupy` gives the CuPy stand-in, which cannot be timed; use --count-gpu-calls on it")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001 - CuPy without a driver or a device
        fail(f"CuPy finds no CUDA device ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
    if count == 0:
        fail("CuPy finds no CUDA device")
    if not compare_torch:
        return None
    torch = import_torch()
    if torch is None:
        fail("--compare-torch needs PyTorch, which is not installed")
    if not torch.cuda.is_available():
        fail(f"--compare-torch needs PyTorch with CUDA; torch {torch.__version__} sees no CUDA device")
    return torch


def gpu_comparison(args, data, torch) -> str:
    """Epoch times on the GPU, tinynn and (when given) torch, at each batch size; ratios against the targets."""
    rows = []
    for bs in args.gpu_batch_sizes:
        a = argparse.Namespace(**{**vars(args), "batch_size": bs})
        for which in args.models.split(","):
            r = bench_model(which, a, data, torch)
            t = r["tinynn"]
            row = [MODEL_TITLES[which], str(bs), f"{t['epoch_s']:.3f}", f"{t['img_s']:,.0f}"]
            if torch is not None:
                target = GPU_TARGETS.get(bs)
                row += [f"{r['torch']['epoch_s']:.3f}", f"**{r['ratio']:.2f}**",
                        " ".join(f"{x:.2f}" for x in r["ratios"]), f"<= {target}" if target else "-",
                        ("yes" if r["ratio"] <= target else "NO") if target else "-"]
            rows.append(row)
            print(" | ".join(row), flush=True)
    header = ["model", "batch", "tinynn epoch s", "tinynn img/s"]
    if torch is not None:
        header += ["torch epoch s", "ratio tinynn/torch (median)", "per-epoch ratios", "target", "meets"]
    return markdown_table(header, rows)


def gpu_name() -> str:
    import cupy
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated: " + ", ".join(MODELS))
    ap.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    ap.add_argument("--batch-size", type=int, default=None, help="default 64 (on the GPU: 64 and 1024)")
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs (median reported), at least 3")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--real-data", metavar="PATH", default=None,
                    help="folder with cifar-10-batches-py (default: synthetic data of the same shape)")
    ap.add_argument("--compare-torch", action="store_true", help="alternate epochs with PyTorch, report ratios")
    ap.add_argument("--no-rss", action="store_true", help="skip the peak-RSS child processes")
    ap.add_argument("--scaling", action="store_true", help="epoch time by batch size and by Net width")
    ap.add_argument("--count-gpu-calls", action="store_true",
                    help="count the CuPy calls of a training step on the CuPy stand-in (no GPU needed)")
    ap.add_argument("--rss-only", choices=("tinynn", "torch"), help=argparse.SUPPRESS)
    ap.add_argument("--width", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--kernels", choices=("fast", "reference"), default=os.environ.get("TINYNN_KERNELS", "fast"),
                    help="tinynn's kernels (tinynn.set_kernels): the fast variants (default) or the plain formulas")
    args = ap.parse_args()
    os.environ["TINYNN_KERNELS"] = args.kernels            # (before tinynn is imported; child processes too)
    if args.kernels == "fast":
        # the process set-up of the fast kernels (BLAS on one thread, malloc) before anything is timed,
        # so that PyTorch's epochs, which may come first, run in the same process state as tinynn's
        from tinynn._fast.process import set_up_process_for_fast_kernels
        set_up_process_for_fast_kernels()
    args.gpu_batch_sizes = [args.batch_size] if args.batch_size else list(GPU_TARGETS)
    args.batch_size = args.batch_size or 64
    if args.rss_only:
        return rss_only(args)
    for m in args.models.split(","):
        if m not in MODELS:
            ap.error(f"unknown model {m!r}; choose from {', '.join(MODELS)}")
    if args.count_gpu_calls:
        gpu_calls.use_stand_in()
        print(f"CuPy calls per training step, batch {args.batch_size}, on the CuPy stand-in "
              f"({gpu_calls.STAND_IN})\n", flush=True)
        print(gpu_calls.report([gpu_calls.count_steps(m, args.batch_size) for m in args.models.split(",")]))
        return

    if args.device == "gpu":
        torch = require_gpu(args.compare_torch)
        data = load_data(args.real_data)
        print(machine_line(args, torch) + f", GPU {gpu_name()}", flush=True)
        print()
        print(gpu_comparison(args, data, torch))
        return
    torch = import_torch() if args.compare_torch else None
    if args.compare_torch and torch is None:
        print("PyTorch is not installed: running tinynn alone", file=sys.stderr)
    data = load_data(args.real_data)
    print(machine_line(args, torch), flush=True)
    if args.scaling:
        print()
        print(scaling(args, data, torch))
        return
    results = []
    for which in args.models.split(","):
        r = bench_model(which, args, data, torch)
        if not args.no_rss:
            r["rss_tinynn"] = child_rss("tinynn", which, args)
            if torch is not None:
                r["rss_torch"] = child_rss("torch", which, args)
        results.append(r)
        msg = f"{which}: tinynn {r['tinynn']['epoch_s']:.2f} s"
        if torch is not None:
            msg += f", torch {r['torch']['epoch_s']:.2f} s, ratio {r['ratio']:.2f} ({' '.join(f'{x:.2f}' for x in r['ratios'])})"
        print(msg, flush=True)
    print()
    print(training_table(results, torch is not None))


if __name__ == "__main__":
    main()
