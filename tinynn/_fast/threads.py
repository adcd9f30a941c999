"""Intra-op parallelism: big ops split over the batch between threads, as torch does with OpenMP.

NumPy releases the GIL inside its loops, so two threads each running a ufunc on
half of an array really do run at once. NumPy itself runs every elementwise
loop on one core. The ops that dominate a small conv net's step (convolution,
tanh, max pooling) and the big matrix products hand their work here, and it
runs on ``get_num_threads()`` threads when the arrays are big enough to pay.
Elementwise results are bit-identical to one thread's; a split product or a
gradient summed over chunks may round differently in float32, as torch's do.

Between jobs the helper threads busy-wait, with the GIL released, for a few
milliseconds before they sleep (``_Helper``): on a virtual machine, waking a
sleeping thread takes 100-300 us, about what a small op's split saves.

tinynn splits matrix products itself, so it runs NumPy's BLAS on one thread
(``take_over_blas_threads``): BLAS's own threads would fight ours for the
cores, and OpenBLAS's spin for a while after each product, which starves
whatever runs next on the cores they hold.
"""
from __future__ import annotations

import contextlib
import ctypes
import math
import os
import signal
import threading
import time
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


class _LockFlag:
    """A flag one thread raises and another waits for, as a bare lock: the waiter sleeps."""

    def __init__(self):
        self._lock = threading.Lock()
        self._lock.acquire()                      # lowered

    def raise_flag(self) -> None:
        self._lock.release()

    def wait(self) -> None:
        self._lock.acquire()                      # returns once raised, and lowers it again


class _SpinFlag:
    """The same flag, but the waiter busy-waits on a spinlock, with the GIL released.

    On a virtual machine an idle core is halted, and waking a thread that slept
    more than about 0.2 ms took 100-300 us here (a bare lock hand-over between
    busy threads takes 20 us). A thread spinning in glibc's
    ``pthread_spin_lock`` (called through ctypes, which releases the GIL) sees
    the flag at once, as OpenMP's spinning threads do for torch.
    """

    def __init__(self):
        self._lock = ctypes.c_uint64()            # room for any platform's pthread_spinlock_t
        self._ref = ctypes.byref(self._lock)
        _libc.pthread_spin_init(self._ref, 0)
        _libc.pthread_spin_lock(self._ref)        # lowered

    def raise_flag(self) -> None:
        _libc.pthread_spin_unlock(self._ref)

    def wait(self) -> None:
        _libc.pthread_spin_lock(self._ref)        # spins until raised, and lowers it again


try:
    _libc = ctypes.CDLL(None)
    _libc.pthread_spin_lock, _libc.pthread_spin_unlock, _libc.pthread_spin_init
    _WaitFlag: type[_SpinFlag] | type[_LockFlag] = _SpinFlag
except (OSError, AttributeError, TypeError):      # no POSIX spinlocks (macOS, Windows): sleep instead
    _WaitFlag = _LockFlag

# a helper that has had no job for this long stops spinning and sleeps until the next one
PARK_AFTER_SECONDS = 0.005


class _Helper:
    """A thread that runs one job at a time.

    Between jobs it spins on its ``go`` flag, so a job starts in microseconds;
    after ``PARK_AFTER_SECONDS`` without one, ``_park_idle_helpers`` parks it:
    it then sleeps on a lock, using no CPU, until ``start`` wakes it.
    """

    def __init__(self):
        self.go = _WaitFlag()                     # raised by start() (a job) or park() (None)
        self.done = _WaitFlag()                   # raised by the thread: its job is finished (or it parks)
        self.wake = _LockFlag()                   # raised by start() for a parked thread
        self.job: Callable[[], object] | None = None
        self.outcome: tuple = (None, None)
        self.parked = False
        threading.Thread(target=self._serve, name="tinynn-helper", daemon=True).start()

    def _serve(self):
        while True:
            self.go.wait()
            if self.job is None:                  # park(): sleep until start() hands over a job
                self.done.raise_flag()
                self.wake.wait()
            try:
                self.outcome = (self.job(), None)
            except BaseException as error:        # handed back to the caller by finish()
                self.outcome = (None, error)
            self.job = None
            self.done.raise_flag()

    def start(self, job: Callable[[], object]) -> None:
        self.job = job
        if self.parked:
            self.parked = False
            self.wake.raise_flag()
        else:
            self.go.raise_flag()

    def finish(self):
        self.done.wait()
        value, error = self.outcome
        if error is not None:
            raise error
        return value

    def park(self) -> None:
        """Stop spinning (call it between jobs only): returns once the thread has seen it and goes to sleep."""
        self.job = None
        self.go.raise_flag()
        self.done.wait()
        self.parked = True


_helpers: list[_Helper] = []
_in_use = threading.Lock()                        # one parallel region at a time; others run serially
_spinning = threading.Event()                     # set while some helper spins (a region ran lately)
_last_region_end = 0.0
_watchdog_started = False


def _park_idle_helpers() -> None:
    """The watchdog thread's loop: park the helpers once no region has run for ``PARK_AFTER_SECONDS``."""
    while True:
        _spinning.wait()
        time.sleep(PARK_AFTER_SECONDS)
        if time.perf_counter() - _last_region_end < PARK_AFTER_SECONDS or not _in_use.acquire(blocking=False):
            continue                              # busy: look again later
        try:
            for helper in _helpers:
                if not helper.parked:
                    helper.park()
            _spinning.clear()
        finally:
            _in_use.release()


def _forget_helpers_in_child() -> None:
    global _helpers, _in_use, _spinning, _watchdog_started
    # a forked child has none of the parent's threads
    _helpers, _in_use, _spinning, _watchdog_started = [], threading.Lock(), threading.Event(), False


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
    if threads > 1:
        with _ctrl_c_held_back():                 # the helpers' hand-over must not be cut in half
            if _in_use.acquire(blocking=False):
                return _run_on_helpers(work, items, threads)
    return [work(item) for item in items]


def _run_on_helpers(work: Callable[[object], T], items: list, threads: int) -> list[T]:
    """``run_parallel``'s threaded case; the caller holds ``_in_use``, which this releases."""
    global _last_region_end, _watchdog_started
    try:
        while len(_helpers) < threads - 1:
            _helpers.append(_Helper())
        if not _watchdog_started:
            threading.Thread(target=_park_idle_helpers, name="tinynn-watchdog", daemon=True).start()
            _watchdog_started = True
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
        _last_region_end = time.perf_counter()
        if not _spinning.is_set():
            _spinning.set()
        _in_use.release()


@contextlib.contextmanager
def _ctrl_c_held_back():
    """Hold a Ctrl-C (SIGINT) back until the block ends, then deliver it.

    A ``KeyboardInterrupt`` raised between handing a job to a helper and
    collecting it would leave the helper's flags out of step with the caller:
    the next op would read a stale result, and a later one wait forever. Inside
    the block Ctrl-C is only recorded; at its end the usual handler runs (so
    ``KeyboardInterrupt`` is raised there, with every helper idle). Only the main
    thread receives signals, so other threads need nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:                          # a handler not set from Python: leave it alone
        yield
        return
    received: list = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(signal.SIGINT, received[0])
            elif previous == signal.SIG_DFL:
                signal.raise_signal(signal.SIGINT)


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


def threaded_matmul(a, b):
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
