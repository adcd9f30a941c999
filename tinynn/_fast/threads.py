"""Intra-op parallelism: big ops split over the batch between threads, as torch does with OpenMP.

NumPy releases the GIL inside its loops, so two threads each running a ufunc on
half of an array really do run at once. NumPy itself runs every elementwise
loop on one core. The ops that dominate a small conv net's step (convolution,
tanh, max pooling) and the big matrix products hand their work here, and it
runs on ``get_num_threads()`` threads when the arrays are big enough to pay.
Elementwise results are bit-identical to one thread's; a split product or a
gradient summed over chunks may round differently in float32, as torch's do.

Only the fast kernels (``tinynn/_fast``) use these threads; the reference
kernels run on the calling thread. The helper threads start with the first
region that is split, and sleep between jobs (``_Helper``). On a virtual
machine, waking a thread on an idle core takes 100-300 us, about what a small
op's split saves, so for a few milliseconds after each region low-priority
spinners keep the helpers' cores awake (``_Spinner``), and a helper woken there
starts in about 15-25 us; the helpers keep off the caller's core
(``_keep_helpers_off_the_callers_core``). Every hand-over uses primitives as
POSIX and Python define them: a lock any thread may release, and spinlocks
unlocked only by their holder (``_SpinHandBack``).

tinynn splits matrix products itself, so it runs NumPy's BLAS on one thread
(``process.py``): BLAS's own threads would fight ours for the cores.
"""
from __future__ import annotations

import contextlib
import ctypes
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
    """A flag one thread raises and another waits for, as a bare lock: the waiter sleeps.

    Python defines a ``threading.Lock``'s ``release`` from any thread, not only
    the one that acquired it, so any thread may raise the flag.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._lock.acquire()                      # lowered

    def raise_flag(self) -> None:
        self._lock.release()

    def wait(self) -> None:
        self._lock.acquire()                      # returns once raised, and lowers it again


class _SpinLock:
    """A POSIX spinlock: glibc's ``pthread_spin_lock``, called through ctypes, which releases the GIL
    while it spins. POSIX defines ``unlock`` only by the thread that holds the lock; every user here
    keeps to that."""

    def __init__(self):
        self._lock = ctypes.c_uint64()            # room for any platform's pthread_spinlock_t
        self._ref = ctypes.byref(self._lock)
        _libc.pthread_spin_init(self._ref, 0)

    def lock(self) -> None:
        _libc.pthread_spin_lock(self._ref)        # busy-waits until it is free, then holds it

    def unlock(self) -> None:
        _libc.pthread_spin_unlock(self._ref)


class _SpinHandBack:
    """A helper's "job done", which the caller busy-waits for: two spinlocks used in turn.

    The helper holds lock ``t`` while it runs its job number ``t`` (mod 2) and
    hands the job back by unlocking it; the caller, spinning on that lock, sees
    it at once, takes it and unlocks it again. So each lock is unlocked by the
    thread that locked it. Just before handing a job back, the helper takes the
    other lock, for its next job: the caller let go of that one after the job
    before, so it is free.
    """

    def __init__(self):
        self._locks = (_SpinLock(), _SpinLock())
        self._helper_turn = self._caller_turn = 0

    def take_first(self) -> None:
        """Called by the helper's thread once, before its first job."""
        self._locks[0].lock()

    def raise_flag(self) -> None:
        """Called by the helper's thread: its job is done."""
        turn = self._helper_turn
        self._locks[1 - turn].lock()              # for the next job
        self._locks[turn].unlock()
        self._helper_turn = 1 - turn

    def wait(self) -> None:
        """Called by the caller: returns once the helper has raised the flag."""
        turn = self._caller_turn
        self._locks[turn].lock()                  # spins until the helper lets go
        self._locks[turn].unlock()
        self._caller_turn = 1 - turn


class _SleepingHandBack(_LockFlag):
    """``_SpinHandBack`` where there are no POSIX spinlocks (macOS, Windows): the caller sleeps."""

    def take_first(self) -> None:
        pass


try:
    _libc = ctypes.CDLL(None)
    _libc.pthread_spin_lock, _libc.pthread_spin_unlock, _libc.pthread_spin_init
    _HandBack: type[_SpinHandBack] | type[_SleepingHandBack] = _SpinHandBack
except (OSError, AttributeError, TypeError):      # no POSIX spinlocks: sleeping hand-overs only
    _HandBack = _SleepingHandBack

# spinners keep the helpers' cores awake (see _Spinner), and the helpers keep off the caller's core
# (_keep_helpers_off_the_callers_core), where there are spinlocks, SCHED_IDLE and affinities (Linux)
_SPINNERS = (_HandBack is _SpinHandBack and hasattr(os, "SCHED_IDLE") and hasattr(os, "sched_setaffinity")
             and hasattr(_libc, "sched_getcpu"))

# the spinners stop this long after the last parallel region
PARK_AFTER_SECONDS = 0.005


class _Helper:
    """A thread that runs one job at a time.

    Between jobs it sleeps on its ``go`` flag, which the caller raises with a
    job; it hands the job back through ``done``, for which the caller
    busy-waits (``_SpinHandBack``).
    """

    def __init__(self, hand_back: type | None = None):
        self.go = _LockFlag()
        self.done = (hand_back or _HandBack)()
        self.job: Callable[[], object] | None = None
        self.outcome: tuple = (None, None)
        self.thread_id = 0                        # the OS's id of the thread (set by the thread)
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), name="tinynn-helper", daemon=True).start()
        ready.wait()                              # the thread holds its first hand-back lock

    def _serve(self, ready: threading.Event):
        self.thread_id = threading.get_native_id()
        self.done.take_first()
        ready.set()
        while True:
            self.go.wait()
            try:
                self.outcome = (self.job(), None)
            except BaseException as error:        # handed back to the caller by finish()
                self.outcome = (None, error)
            self.job = None
            self.done.raise_flag()

    def start(self, job: Callable[[], object]) -> None:
        self.job = job
        self.go.raise_flag()

    def finish(self):
        self.done.wait()
        (value, error), self.outcome = self.outcome, (None, None)
        if error is not None:
            raise error
        return value


class _Spinner:
    """A thread that keeps one core awake between parallel regions, so that a helper woken there starts at once.

    On a virtual machine a core with nothing to run is halted, and waking a
    thread that slept there more than about 0.2 ms took 100-300 us here; on a
    core that is running something, about 15 us. So while regions keep coming,
    one spinner per helper busy-waits, as OpenMP's idle threads do for torch: in
    ``pthread_spin_lock`` (GIL released), on a lock that the watchdog thread
    holds, at the lowest scheduling priority (``SCHED_IDLE``: it runs only on a
    core that nothing else wants, and gives it up at once to a woken helper).
    ``PARK_AFTER_SECONDS`` after the last region the watchdog lets go of the
    lock; the spinner takes it, lets go of it too, and sleeps until the next
    region. Made, started and stopped by the watchdog thread only.
    """

    def __init__(self):
        self.hold = _SpinLock()
        self.hold.lock()                          # held by the watchdog thread, which makes the spinner
        self.go = _LockFlag()                     # raised by spin()
        self.stopped = _LockFlag()                # raised by the spinner once it let go of hold
        threading.Thread(target=self._serve, name="tinynn-spinner", daemon=True).start()

    def _serve(self):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))    # this thread only
        while True:
            self.go.wait()
            self.hold.lock()                      # busy-waits until the watchdog lets go
            self.hold.unlock()
            self.stopped.raise_flag()

    def spin(self) -> None:
        self.go.raise_flag()

    def stop(self) -> None:
        """Returns once the spinner has stopped, with ``hold`` held by this (the watchdog) thread again."""
        self.hold.unlock()
        self.stopped.wait()
        self.hold.lock()


_helpers: list[_Helper] = []
_in_use = threading.Lock()                        # one parallel region at a time; others run serially
_region_ran = threading.Event()                   # set by each region; the watchdog clears it
_last_region_end = 0.0
_watchdog_started = False


def _keep_cores_awake() -> None:
    """The watchdog thread's loop: spinners spin from a region until ``PARK_AFTER_SECONDS`` after the last one."""
    spinners: list[_Spinner] = []
    while True:
        _region_ran.wait()
        while len(spinners) < len(_helpers):
            spinners.append(_Spinner())
        for spinner in spinners:
            spinner.spin()
        while time.perf_counter() - _last_region_end < PARK_AFTER_SECONDS or _in_use.locked():
            time.sleep(PARK_AFTER_SECONDS)
        _region_ran.clear()
        for spinner in spinners:
            spinner.stop()


_caller_core = -1                                 # the core the last region's caller ran on


def _keep_helpers_off_the_callers_core() -> None:
    """Let the helpers run on any core but the caller's (Linux; called with ``_in_use`` held).

    On an idle machine the scheduler wakes a helper on another core anyway (the
    one its spinner keeps awake). When other programs keep every core busy, it
    may wake it on the caller's own core instead, where it waits for the
    caller's share to end: the two shares then run one after the other. The
    helpers' affinity is only changed when the caller has moved to another core.
    """
    global _caller_core
    core = _libc.sched_getcpu()
    if core == _caller_core:
        return
    _caller_core = core
    others = os.sched_getaffinity(0) - {core}
    if others:
        for helper in _helpers:
            try:
                os.sched_setaffinity(helper.thread_id, others)
            except OSError:                       # (the cores allowed changed meanwhile): leave it
                pass


def _forget_helpers_in_child() -> None:
    global _helpers, _in_use, _region_ran, _watchdog_started, _caller_core
    # a forked child has none of the parent's threads
    _helpers, _in_use, _region_ran, _watchdog_started = [], threading.Lock(), threading.Event(), False
    _caller_core = -1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers_in_child)


def get_num_threads() -> int:
    """The number of threads tinynn splits big ops over (see the module doc)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Split big ops over ``n`` threads, as ``torch.set_num_threads``; 1 runs everything on this thread.

    NumPy's BLAS stays on one thread either way (see ``tinynn/_fast/process.py``).
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
    global _last_region_end, _watchdog_started, _caller_core
    try:
        while len(_helpers) < threads - 1:
            _helpers.append(_Helper())
            _caller_core = -1                     # (so that the new helper is kept off it too)
        if _SPINNERS:
            if not _watchdog_started:
                threading.Thread(target=_keep_cores_awake, name="tinynn-watchdog", daemon=True).start()
                _watchdog_started = True
            _keep_helpers_off_the_callers_core()
        results: list = [None] * len(items)

        def share(first: int):
            def run_share():
                for i in range(first, len(items), threads):
                    results[i] = work(items[i])
            return run_share

        started = []
        try:
            for k, helper in enumerate(_helpers[:threads - 1], start=1):
                helper.start(share(k))
                started.append(helper)
            share(0)()
        finally:
            errors = []
            for helper in started:                # wait for every helper, even after an error here
                try:
                    helper.finish()
                except BaseException as error:
                    errors.append(error)
        if errors:
            raise errors[0]
        return results
    finally:
        _last_region_end = time.perf_counter()
        if not _region_ran.is_set():
            _region_ran.set()
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
