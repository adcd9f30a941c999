"""Per-op timings at the seeds' shapes (batch 64), tinynn against torch, to find the next bottleneck.

    python benchmarks/bench_ops.py [--repeats 50] [--device cpu|gpu] [--batch-size 64] [--no-torch]

Each op runs through the public API (tinynn.nn.functional / tinynn.tanh) with
autograd recording, and its backward through ``Tensor.backward`` (so the engine
is included). Forward and backward are timed separately; tinynn and torch
alternate in blocks of 5 calls and the table gives medians and their ratio.
"""
from __future__ import annotations

import argparse

from _common import Sync, import_torch, markdown_table, median, now

import numpy as np


def op_specs(b: int):
    """(name, [(shape, requires_grad), ...], f(lib, F, *inputs) -> output, scalar_output)."""
    return [
        ("linear 3072->512 (FC fc1)", [((b, 3072), False), ((512, 3072), True), ((512,), True)],
         lambda t, F, x, w, bias: F.linear(x, w, bias), False),
        ("linear 1024->512 (FC deep)", [((b, 1024), True), ((512, 1024), True), ((512,), True)],
         lambda t, F, x, w, bias: F.linear(x, w, bias), False),
        ("conv2d 3->16 32x32 (Net conv1)", [((b, 3, 32, 32), False), ((16, 3, 3, 3), True), ((16,), True)],
         lambda t, F, x, w, bias: F.conv2d(x, w, bias, padding=1), False),
        ("conv2d 16->8 16x16 (Net conv2)", [((b, 16, 16, 16), True), ((8, 16, 3, 3), True), ((8,), True)],
         lambda t, F, x, w, bias: F.conv2d(x, w, bias, padding=1), False),
        ("conv2d 3->32 32x32 (width 32 conv1)", [((b, 3, 32, 32), False), ((32, 3, 3, 3), True), ((32,), True)],
         lambda t, F, x, w, bias: F.conv2d(x, w, bias, padding=1), False),
        ("conv2d 32->16 16x16 (width 32 conv2)", [((b, 32, 16, 16), True), ((16, 32, 3, 3), True), ((16,), True)],
         lambda t, F, x, w, bias: F.conv2d(x, w, bias, padding=1), False),
        ("max_pool2d 2 on 16x32x32", [((b, 16, 32, 32), True)],
         lambda t, F, x: F.max_pool2d(x, 2), False),
        ("max_pool2d 2 on 32x32x32", [((b, 32, 32, 32), True)],
         lambda t, F, x: F.max_pool2d(x, 2), False),
        ("tanh 16x32x32", [((b, 16, 32, 32), True)],
         lambda t, F, x: t.tanh(x), False),
        ("log_softmax + nll_loss (N, 2)", [((b, 2), True)],
         lambda t, F, x: F.nll_loss(F.log_softmax(x, dim=1), TARGETS[t.__name__]), True),
        ("cross_entropy (N, 2)", [((b, 2), True)],
         lambda t, F, x: F.cross_entropy(x, TARGETS[t.__name__]), True),
    ]


TARGETS = {}


def make_inputs(lib, shapes, arrays, device):
    out = []
    for (shape, rg), a in zip(shapes, arrays):
        if lib.__name__ == "torch":
            x = lib.from_numpy(a.copy())
            if device == "gpu":
                x = x.cuda()
        else:
            x = lib.tensor(a)
            if device == "gpu":
                x = x.to("cuda")
        out.append(x.requires_grad_(rg) if rg else x)
    return out


BLOCK = 5   # timed calls per library in a row


def time_op(lib, F, fn, inputs, gy, scalar, sync):
    for x in inputs:
        x.grad = None
    sync()
    t0 = now()
    y = fn(lib, F, *inputs)
    sync()
    t1 = now()
    if scalar:
        y.backward()
    else:
        y.backward(gy)
    sync()
    return t1 - t0, now() - t1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--only", default="", help="run only ops whose name contains this text")
    args = ap.parse_args()

    import tinynn
    import tinynn.nn.functional as TF
    torch = None if args.no_torch else import_torch()
    sync = Sync(args.device)
    if torch is not None:
        import torch.nn.functional as PF
        sync._torch = torch if args.device == "gpu" else None
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, args.batch_size).astype(np.int64)
    TARGETS["tinynn"] = tinynn.tensor(labels) if args.device == "cpu" else tinynn.tensor(labels).to("cuda")
    if torch is not None:
        TARGETS["torch"] = torch.from_numpy(labels) if args.device == "cpu" else torch.from_numpy(labels).cuda()

    rows = []
    for name, shapes, fn, scalar in op_specs(args.batch_size):
        if args.only and args.only not in name:
            continue
        arrays = [rng.standard_normal(s, dtype=np.float32) * np.float32(0.1) for s, _ in shapes]
        libs = [("tinynn", tinynn, TF)] + ([("torch", torch, PF)] if torch is not None else [])
        setups = {}
        for tag, lib, F in libs:
            inputs = make_inputs(lib, shapes, arrays, args.device)
            with (torch.no_grad() if tag == "torch" else tinynn.no_grad()):
                out_shape = tuple(fn(lib, F, *inputs).shape)
            g = rng.standard_normal(out_shape, dtype=np.float32) if not scalar else None
            gy = None if scalar else make_inputs(lib, [(out_shape, False)], [g], args.device)[0]
            setups[tag] = (lib, F, inputs, gy)
        times = {tag: ([], []) for tag, _, _ in libs}
        # Alternate in blocks, the first call of each block untimed: torch's idle OpenMP threads
        # spin for a while after an op, and an op timed right after it would pay for that.
        for block in range((args.repeats + BLOCK - 1) // BLOCK + 1):
            for tag, _, _ in libs:
                lib, F, inputs, gy = setups[tag]
                for rep in range(BLOCK + 1):
                    f, b = time_op(lib, F, fn, inputs, gy, scalar, sync)
                    if block > 0 and rep > 0:
                        times[tag][0].append(f)
                        times[tag][1].append(b)
        tf, tb = (median(v) * 1e3 for v in times["tinynn"])
        row = [name, f"{tf:.3f}", f"{tb:.3f}"]
        if torch is not None:
            pf, pb = (median(v) * 1e3 for v in times["torch"])
            row += [f"{pf:.3f}", f"{pb:.3f}", f"{tf / pf:.2f}", f"{tb / pb:.2f}", f"{(tf + tb) / (pf + pb):.2f}"]
        rows.append(row)
        print(" | ".join(row), flush=True)
    header = ["op (batch %d)" % args.batch_size, "tinynn fwd ms", "tinynn bwd ms"]
    if torch is not None:
        header += ["torch fwd ms", "torch bwd ms", "fwd ratio", "bwd ratio", "total ratio"]
    print()
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
