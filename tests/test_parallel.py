"""The thread pool of the fast kernels (tinynn/_fast/threads.py): its hand-overs, and work split over
threads giving what one thread gives.

Nothing is patched: the pool is driven through ``run_parallel`` (which splits
any list of items) and ``tinynn.set_num_threads``, and the ops are given
shapes big enough to be split.
"""
import os
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynn
import tinynn.nn.functional as F
from tinynn._fast import threads

from helpers import forward_and_grads


@pytest.fixture
def num_threads():
    """``tinynn.set_num_threads``, restored after the test."""
    before = tinynn.get_num_threads()
    yield tinynn.set_num_threads
    tinynn.set_num_threads(before)


def same_on_one_and_three_threads(fn, *arrays):
    """fn's output and input gradients on the fast kernels, on one thread and on three: equal up to
    float32 rounding (a split product or gradient may be summed in another order)."""
    results = []
    with tinynn.set_kernels("fast"):
        for n in (1, 3):
            tinynn.set_num_threads(n)
            results.append(forward_and_grads(fn, *arrays))
    for a, b in zip(*results):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(a).max())))
    return results[0]


def process_cpu_seconds_while_idle(seconds=0.3) -> float:
    """CPU time the whole process (all its threads) uses while this thread sleeps ``seconds``."""
    start = time.process_time()
    time.sleep(seconds)
    return time.process_time() - start


def test_set_num_threads_is_checked():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="positive integer"):
            tinynn.set_num_threads(bad)


@pytest.mark.parametrize("n", [2, 5, 7, 64])
def test_chunks_cover_the_batch_in_order(num_threads, n):
    num_threads(3)
    chunks = threads.batch_chunks(np.zeros((n, 2)), work_size=n * threads.MIN_ELEMENTS_PER_THREAD)
    assert len(chunks) == min(n, 3)
    assert chunks[0].start == 0 and chunks[-1].stop == n
    assert all(a.stop == b.start and a.start < a.stop for a, b in zip(chunks, chunks[1:]))
    assert threads.batch_chunks(np.zeros((n, 2))) == [...]          # small work: one chunk
    assert threads.batch_chunks(np.zeros((1, 5)), work_size=1 << 30) == [...]      # one row: nothing to split
    assert threads.batch_chunks(np.zeros(()), work_size=1 << 30) == [...]


def test_chunks_follow_the_work_size_not_only_the_array(num_threads):
    # a convolution of a small 3-channel input still makes big columns: it splits by those
    num_threads(2)
    small = np.zeros((64, 3, 8, 8), dtype=np.float32)
    assert threads.batch_chunks(small) == [...]
    assert threads.batch_chunks(small, work_size=2 * threads.MIN_ELEMENTS_PER_THREAD) == [slice(0, 32), slice(32, 64)]
    num_threads(1)
    assert threads.batch_chunks(small, work_size=1 << 30) == [...]


def test_work_really_runs_in_other_threads_and_errors_come_back(num_threads):
    num_threads(2)
    seen = set()

    def note_thread(item):
        seen.add(threading.get_ident())
        time.sleep(0.01)

    threads.run_parallel(note_thread, [0, 1, 2, 3])
    assert len(seen) == 2
    assert threads.run_parallel(lambda i: i * i, list(range(9))) == [i * i for i in range(9)]

    def fail(item):
        if item % 2:
            raise RuntimeError("item failed")
        return item

    with pytest.raises(RuntimeError, match="item failed"):
        threads.run_parallel(fail, [0, 1, 2, 3])
    assert threads.run_parallel(fail, [0, 2, 4]) == [0, 2, 4]       # the pool is still in step


def test_a_region_inside_a_region_runs_serially(num_threads):
    num_threads(2)
    inner = threads.run_parallel(lambda i: threads.run_parallel(lambda j: (i, j), [0, 1, 2]), [0, 1])
    assert inner == [[(0, 0), (0, 1), (0, 2)], [(1, 0), (1, 1), (1, 2)]]


def test_regions_from_several_calling_threads(num_threads):
    """One region runs at a time on the helpers; a region asked for meanwhile runs on its caller alone."""
    num_threads(3)
    failures = []

    def caller(k):
        for r in range(200):
            items = list(range(k, k + 5))
            if threads.run_parallel(lambda i: i * r, items) != [i * r for i in items]:
                failures.append((k, r))

    callers = [threading.Thread(target=caller, args=(k,)) for k in range(3)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert failures == []


@pytest.mark.parametrize("hand_back", ["spinning", "sleeping"])
def test_a_helper_hands_every_job_back_once(hand_back):
    """Hundreds of jobs in a row, some failing, through either hand-back (spinlocks, or the sleeping
    one of platforms without them): each result comes back to the caller, in order."""
    if hand_back == "spinning" and threads._HandBack is not threads._SpinHandBack:
        pytest.skip("no POSIX spinlocks on this platform")
    helper = threads._Helper(threads._SpinHandBack if hand_back == "spinning" else threads._SleepingHandBack)
    for job in range(300):
        helper.start(lambda job=job: job * 2 if job % 7 else 1 / 0)
        if job % 7:
            assert helper.finish() == job * 2
        else:
            with pytest.raises(ZeroDivisionError):
                helper.finish()


def test_idle_pool_uses_no_cpu_and_wakes_for_the_next_region(num_threads):
    num_threads(3)
    assert threads.run_parallel(lambda i: i + 1, [0, 1, 2]) == [1, 2, 3]
    names = [t.name for t in threading.enumerate()]
    assert names.count("tinynn-helper") >= 2
    time.sleep(0.1)                                                  # spinners stop 5 ms after a region
    idle = process_cpu_seconds_while_idle()
    assert idle < 0.1, f"threads still busy while idle: {idle:.2f} s of CPU in 0.3 s"
    seen = set()
    assert threads.run_parallel(lambda i: seen.add(threading.get_ident()) or -i, [0, 1, 2]) == [0, -1, -2]
    assert len(seen) == 3                                            # woken, each ran its item


@pytest.mark.skipif(not threads._SPINNERS, reason="spinners need POSIX spinlocks and SCHED_IDLE (Linux)")
def test_spinners_run_at_idle_priority(num_threads):
    num_threads(2)
    threads.run_parallel(lambda i: i, [0, 1])
    deadline = time.monotonic() + 5
    while "tinynn-spinner" not in [t.name for t in threading.enumerate()] and time.monotonic() < deadline:
        threads.run_parallel(lambda i: i, [0, 1])                    # (the watchdog makes them)
        time.sleep(0.001)
    spinners = [t for t in threading.enumerate() if t.name == "tinynn-spinner"]
    assert spinners
    assert all(os.sched_getscheduler(t.native_id) == os.SCHED_IDLE for t in spinners)


@pytest.mark.skipif(not threads._SPINNERS or len(os.sched_getaffinity(0)) < 2,
                    reason="needs Linux's thread affinities and two cores")
def test_helpers_keep_off_the_callers_core(num_threads):
    num_threads(2)
    threads.run_parallel(lambda i: i, [0, 1])
    core = threads._caller_core
    assert core in os.sched_getaffinity(0) and threads._helpers
    for helper in threads._helpers:
        assert os.sched_getaffinity(helper.thread_id) == os.sched_getaffinity(0) - {core}


@settings(max_examples=4, deadline=None)
@given(n=st.integers(24, 40), stride=st.integers(1, 2), bias=st.booleans())
def test_conv2d_split_over_the_batch(num_threads, n, stride, bias):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 16, 32, 32)).astype(np.float32)
    w = rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    arrays = (x, w, rng.standard_normal(8).astype(np.float32)) if bias else (x, w)
    same_on_one_and_three_threads(lambda *t: F.conv2d(*t, stride=stride, padding=1), *arrays)


@settings(max_examples=4, deadline=None)
@given(n=st.integers(24, 40), k=st.sampled_from([2, 3]))
def test_max_pool_and_tanh_split_over_the_batch(num_threads, n, k):
    rng = np.random.default_rng(n)
    x = np.round(rng.standard_normal((n, 16, 36, 36)), 1).astype(np.float32)   # ties
    out = same_on_one_and_three_threads(lambda t: F.max_pool2d(tinynn.tanh(t), k), x)
    assert np.array_equal(out[0], np.tanh(x).reshape(n, 16, 36 // k, k, 36 // k, k).max(axis=(3, 5)))


@settings(max_examples=4, deadline=None)
@given(m=st.integers(500, 700), k=st.integers(420, 520), n=st.integers(500, 700))     # >= 3 x 2**25 multiply-adds
def test_matmul_split_by_rows_or_columns(num_threads, m, k, n):
    rng = np.random.default_rng(m * n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    out = same_on_one_and_three_threads(lambda a, b: a @ b, a, b)
    np.testing.assert_allclose(out[0], a @ b, rtol=1e-4, atol=1e-4)


def test_linear_and_sgd_split(num_threads):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1024)).astype(np.float32)
    results = []
    with tinynn.set_kernels("fast"):
        for n in (1, 3):
            num_threads(n)
            tinynn.manual_seed(0)
            layer = tinynn.nn.Linear(1024, 600)                      # 614,400 weights: the update splits
            opt = tinynn.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9)
            for _ in range(2):
                opt.zero_grad()
                layer(tinynn.tensor(x)).tanh().sum().backward()
                opt.step()
            results.append([p.detach().numpy().copy() for p in layer.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
