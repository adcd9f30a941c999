"""How long a parallel region takes to hand work to a helper thread and back (tinynn/_fast/threads.py).

    python benchmarks/bench_handover.py [--rounds 2000] [--threads 2]

Runs ``run_parallel`` on tiny work (one no-op item per thread), after the
calling thread has been busy for a while in Python (the gap), as it is between
the ops of a training step. For each gap it prints, in microseconds:

- *region*: the whole ``run_parallel`` call: start the helpers, run this
  thread's item, wait for theirs;
- *helper start*: from the call until a helper starts its item;
- *tanh region*: the same region with real work, each thread computing
  ``np.tanh`` of its own 524,288 floats (what each of two threads does for
  the tanh after Net's first convolution, batch 64).

The 10th, 50th and 90th percentiles. Gaps up to 2 ms are what a training step
has between its threaded ops; after 20 ms the pool has gone idle (its spinners
stopped), so that row is the cost of a cold start.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tinynn  # noqa: E402
from tinynn._fast import threads  # noqa: E402

GAPS_MS = (0.0, 0.05, 0.5, 2.0, 20.0)
TANH_ELEMENTS = 1 << 19                                      # per thread


def busy(seconds: float) -> None:
    """Keep this thread busy in Python (holding the GIL) for ``seconds``."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def measure(gap_ms: float, rounds: int, n_threads: int) -> tuple[list[float], list[float], list[float]]:
    """(region times, helper start delays, tanh region times), in microseconds, sorted."""
    region, start, tanh = [], [], []
    items = list(range(n_threads))
    x = np.random.default_rng(0).standard_normal((n_threads, TANH_ELEMENTS)).astype(np.float32)
    y = np.empty_like(x)
    for _ in range(rounds):
        busy(gap_ms / 1e3)
        t0 = time.perf_counter_ns()
        stamps = threads.run_parallel(lambda item: time.perf_counter_ns(), items)
        region.append((time.perf_counter_ns() - t0) / 1e3)
        start.append((min(stamps[1:]) - t0) / 1e3)
        busy(gap_ms / 1e3)
        t0 = time.perf_counter_ns()
        threads.run_parallel(lambda item: np.tanh(x[item], out=y[item]), items)
        tanh.append((time.perf_counter_ns() - t0) / 1e3)
    return sorted(region), sorted(start), sorted(tanh)


def percentiles(xs: list[float]) -> str:
    return " ".join(f"{xs[int(q * (len(xs) - 1))]:7.1f}" for q in (0.1, 0.5, 0.9))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000, help="regions per gap (a tenth of it after 20 ms)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    tinynn.set_num_threads(args.threads)
    measure(0.0, 50, args.threads)                               # make the helpers
    x = np.random.default_rng(0).standard_normal(TANH_ELEMENTS).astype(np.float32)
    y = np.empty_like(x)
    tanh_alone = sorted(timed(lambda: np.tanh(x, out=y)) for _ in range(200))
    print(f"one thread's tanh of {x.size} floats: {percentiles(tanh_alone)} us (p10 p50 p90)")
    print(f"{'gap ms':>7} | {'region us p10 p50 p90':>23} | {'helper start us':>23} | {'tanh region us':>23}")
    for gap in GAPS_MS:
        rounds = args.rounds if gap < 10 else max(20, args.rounds // 10)
        region, start, tanh = measure(gap, rounds, args.threads)
        print(f"{gap:7.2f} | {percentiles(region)} | {percentiles(start)} | {percentiles(tanh)}", flush=True)


def timed(fn) -> float:
    """How long ``fn()`` takes, in microseconds."""
    t0 = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - t0) / 1e3


if __name__ == "__main__":
    main()
