"""Intra-op parallelism: big ops split over the batch between threads, as torch does with OpenMP.

NumPy releases the GIL inside its loops, so two threads each running a ufunc on
half of an array really do run at once. NumPy itself runs every elementwise
loop on one core. The ops that dominate a small conv net's step (convolution,
tanh, max pooling) and the big matrix products hand their work here, and it
runs on ``get_num_threads()`` threads when the arrays are big enough to pay.
Elementwise results are bit-identical to one thread's; a split product or a
gradient summed over chunks may round differently in float32, as torch's do.

tinynn splits matrix products itself, so it runs NumPy's BLAS on one thread
(``take_over_blas_threads``): BLAS's own threads would fight ours for the
cores, and OpenBLAS's spin for a while after each product, which starves
whatever runs next on the cores they hold.
"""
from __future__ import annotations

import math
import os
import threading
from typing import Callable, TypeVar

import numpy as np

T = TypeVar("T")

# below this many elements per thread, waking a thread costs more than it saves
MIN_ELEMENTS_PER_THREAD = 1 << 17


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))       # the cores this process may use (containers, taskset)
    except AttributeError:                        # not Linux
        return os.cpu_count() or 1


_num_threads = _cores()


class _Helper:
    """A thread that runs one job at a time, handed over through two locks.

    A bare lock hand-over wakes a thread in about 30 us here, where a
    ``ThreadPoolExecutor`` (futures, conditions, a queue) took about 130 us;
    a training step hands work over a dozen times.
    """

    def __init__(self):
        self.go, self.done = threading.Lock(), threading.Lock()
        self.go.acquire()                         # released by start(): there is a job
        self.done.acquire()                       # released by the thread: the job is finished
        self.job: Callable[[], object] | None = None
        self.outcome: tuple = (None, None)
        threading.Thread(target=self._serve, name="tinynn-helper", daemon=True).start()

    def _serve(self):
        while True:
            self.go.acquire()
            try:
                self.outcome = (self.job(), None)
            except BaseException as error:        # handed back to the caller by finish()
                self.outcome = (None, error)
            self.job = None
            self.done.release()

    def start(self, job: Callable[[], object]) -> None:
        self.job = job
        self.go.release()

    def finish(self):
        self.done.acquire()
        value, error = self.outcome
        if error is not None:
            raise error
        return value


_helpers: list[_Helper] = []
_in_use = threading.Lock()                        # one parallel region at a time; others run serially


def _forget_helpers_in_child() -> None:
    global _helpers, _in_use
    _helpers, _in_use = [], threading.Lock()      # a forked child has none of the parent's threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers_in_child)


def get_num_threads() -> int:
    """The number of threads tinynn splits big ops over (see the module doc)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Split big ops over ``n`` threads, as ``torch.set_num_threads``; 1 runs everything on this thread.

    NumPy's BLAS stays on one thread either way (see ``take_over_blas_threads``).
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    _num_threads = n


def batch_chunks(array, work_size: int | None = None) -> list:
    """How to split work on ``array`` over its first axis: consecutive slices, one per thread.

    ``work_size`` is how many elements the work touches, when that is more than
    ``array.size`` (a convolution's columns, say); by default ``array.size``.
    One chunk (``[...]``, everything) for small work, and on the GPU, where CuPy
    already runs everything in parallel. (More, smaller chunks than threads were
    measured: no faster on the seeds' nets.)
    """
    n = array.shape[0] if array.ndim else 1
    work_size = array.size if work_size is None else work_size
    threads = min(_num_threads, n, work_size // MIN_ELEMENTS_PER_THREAD)
    if threads <= 1 or not isinstance(array, np.ndarray):
        return [...]
    bounds = [n * i // threads for i in range(threads + 1)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:])]


def run_parallel(work: Callable[[object], T], items: list) -> list[T]:
    """``[work(item) for item in items]``, the calls running at once in threads.

    This thread takes the first item (and every ``get_num_threads()``-th after
    it), each helper thread the ones after. If another parallel region is
    running (another thread's, or one inside ``work``), this one runs serially.
    Each call must write only its own part of any shared output.
    """
    threads = min(_num_threads, len(items))
    if threads <= 1 or not _in_use.acquire(blocking=False):
        return [work(item) for item in items]
    try:
        while len(_helpers) < threads - 1:
            _helpers.append(_Helper())
        results: list = [None] * len(items)

        def share(first: int):
            def run_share():
                for i in range(first, len(items), threads):
                    results[i] = work(items[i])
            return run_share

        helpers = _helpers[:threads - 1]
        for k, helper in enumerate(helpers, start=1):
            helper.start(share(k))
        try:
            share(0)()
        finally:
            errors = []
            for helper in helpers:                # wait for every helper, even after an error here
                try:
                    helper.finish()
                except BaseException as error:
                    errors.append(error)
        if errors:
            raise errors[0]
        return results
    finally:
        _in_use.release()


def run_in_chunks(work: Callable[[object], object], array) -> None:
    """Call ``work(rows)`` on the slices of ``array``'s first axis that ``batch_chunks`` picks, at once."""
    run_parallel(work, batch_chunks(array))


# elementwise work over many arrays (an optimizer's update) runs in blocks this long, so that its
# temporaries (1 MiB each in float32) stay in the caches; 1 << 17 and 1 << 16 were measured slower
BLOCK_ELEMENTS = 1 << 18


def run_blockwise(work: Callable[..., object], *arrays) -> None:
    """Call ``work(*parts)`` on matching flat blocks of same-shaped ``arrays``, covering them all.

    For elementwise work that writes into some of the arrays in place, such as
    ``p -= lr * g``: each thread takes one stretch of the flattened arrays
    (``batch_chunks``), in blocks of ``BLOCK_ELEMENTS``, so a temporary such as
    ``lr * g`` is a block, still in cache when the next line reads it, instead
    of a whole parameter written out to memory and read back. Arrays that are
    not C-contiguous (which cannot be flattened in place), and CuPy arrays,
    go to ``work`` whole.
    """
    if not all(isinstance(a, np.ndarray) and a.flags.c_contiguous for a in arrays):
        work(*arrays)
        return
    flat = [a.reshape(-1) for a in arrays]

    def run_stretch(stretch):
        start, stop, _ = stretch.indices(flat[0].size)
        for lo in range(start, stop, BLOCK_ELEMENTS):
            block = slice(lo, min(lo + BLOCK_ELEMENTS, stop))
            work(*(f[block] for f in flat))

    run_parallel(run_stretch, [slice(None) if s is ... else s for s in batch_chunks(flat[0])])


# a product with fewer multiply-adds per thread than this runs on one thread
MIN_MACS_PER_THREAD = 1 << 25


def matmul(a, b):
    """``a @ b``, split over threads when the product is big enough.

    Each thread computes a block of the result's rows, or of its columns when
    ``b`` is the bigger operand: every thread reads all of the smaller operand
    and only its own part of the bigger one.
    """
    if not isinstance(a, np.ndarray) or a.ndim < 2 or b.ndim < 2 or _num_threads == 1:
        return a @ b
    (m, k), n = a.shape[-2:], b.shape[-1]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (m, n)
    by_columns = n * b.shape[-2] > m * k
    threads = min(_num_threads, math.prod(shape) * k // MIN_MACS_PER_THREAD, (n if by_columns else m) // 8)
    if threads <= 1:
        return a @ b
    out = np.empty(shape, dtype=np.result_type(a, b))
    length = n if by_columns else m
    bounds = [length * i // threads for i in range(threads + 1)]

    def block(part):
        if by_columns:
            np.matmul(a, b[..., part], out=out[..., part])
        else:
            np.matmul(a[..., part, :], b, out=out[..., part, :])

    run_parallel(block, [slice(lo, hi) for lo, hi in zip(bounds, bounds[1:])])
    return out


def take_over_blas_threads() -> None:
    """Run NumPy's BLAS on one thread: tinynn runs its products on its own threads (see the module doc).

    Process-wide, as torch's thread settings are; set ``TINYNN_BLAS_THREADS=keep``
    before importing tinynn to leave BLAS as it is (then ``set_num_threads(1)``
    avoids two thread pools competing).
    """
    if os.environ.get("TINYNN_BLAS_THREADS", "") == "keep":
        return
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=1, user_api="blas")
