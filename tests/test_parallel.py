"""Work split over threads (tinynn/_parallel.py) gives exactly what one thread gives.

The thresholds are lowered so that the small arrays of a test are split too.
"""
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynn
import tinynn.nn.functional as F
from tinynn._fast import threads as _parallel

from helpers import forward_and_grads


@pytest.fixture
def split_everything(monkeypatch):
    """Split every array with two or more rows, over three threads; back to the defaults afterwards."""
    monkeypatch.setattr(_parallel, "MIN_ELEMENTS_PER_THREAD", 1)
    monkeypatch.setattr(_parallel, "MIN_MACS_PER_THREAD", 1)
    before = tinynn.get_num_threads()
    yield
    tinynn.set_num_threads(before)


def same_on_one_and_three_threads(fn, *arrays):
    tinynn.set_num_threads(1)
    one = forward_and_grads(fn, *arrays)
    tinynn.set_num_threads(3)
    three = forward_and_grads(fn, *arrays)
    for a, b in zip(one, three):
        assert a.dtype == b.dtype and a.shape == b.shape
        # a split product or gradient may be summed in another order: float32 rounding apart
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(a).max())))
    return one


def test_set_num_threads_is_checked():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="positive integer"):
            tinynn.set_num_threads(bad)


@pytest.mark.parametrize("n", [2, 5, 7, 64])
def test_chunks_cover_the_batch_in_order(split_everything, n):
    tinynn.set_num_threads(3)
    chunks = _parallel.batch_chunks(np.zeros((n, 2)))
    assert len(chunks) == min(n, 3)
    assert chunks[0].start == 0 and chunks[-1].stop == n
    assert all(a.stop == b.start and a.start < a.stop for a, b in zip(chunks, chunks[1:]))
    assert _parallel.batch_chunks(np.zeros((1, 5))) == [...]      # one row: nothing to split
    assert _parallel.batch_chunks(np.zeros(())) == [...]


def test_chunks_follow_the_work_size_not_only_the_array(monkeypatch):
    # a convolution of a small 3-channel input still makes big columns: it splits by those
    monkeypatch.setattr(_parallel, "_num_threads", 2)
    small = np.zeros((64, 3, 8, 8), dtype=np.float32)
    assert _parallel.batch_chunks(small) == [...]
    assert _parallel.batch_chunks(small, work_size=2 * _parallel.MIN_ELEMENTS_PER_THREAD) == [slice(0, 32), slice(32, 64)]


def test_work_really_runs_in_other_threads_and_errors_come_back(split_everything):
    tinynn.set_num_threads(2)
    seen = set()

    def note_thread(rows):
        seen.add(threading.get_ident())
        time.sleep(0.01)

    _parallel.run_in_chunks(note_thread, np.zeros((4, 1)))
    assert len(seen) == 2
    assert _parallel.run_parallel(lambda i: i * i, list(range(9))) == [i * i for i in range(9)]

    def fail(rows):
        if rows.start:
            raise RuntimeError("chunk failed")

    with pytest.raises(RuntimeError, match="chunk failed"):
        _parallel.run_in_chunks(fail, np.zeros((4, 1)))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 7), c=st.sampled_from([3, 8, 9]), o=st.integers(1, 5), hw=st.integers(3, 7),
       padding=st.integers(0, 1), stride=st.integers(1, 2), bias=st.booleans())
def test_conv2d_split_over_the_batch(split_everything, n, c, o, hw, padding, stride, bias):
    rng = np.random.default_rng(n * 100 + c)
    x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    w = rng.standard_normal((o, c, 3, 3)).astype(np.float32)
    arrays = (x, w, rng.standard_normal(o).astype(np.float32)) if bias else (x, w)
    same_on_one_and_three_threads(lambda *t: F.conv2d(*t, stride=stride, padding=padding), *arrays)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 6), c=st.integers(1, 3), k=st.sampled_from([(2, 2), (2, 3), (3, 2), (1, 4)]))
def test_tiled_max_pool_and_tanh_split_over_the_batch(split_everything, n, c, k):
    rng = np.random.default_rng(n)
    x = np.round(rng.standard_normal((n, c, 4 * k[0], 4 * k[1])), 1).astype(np.float32)   # ties
    out = same_on_one_and_three_threads(lambda t: F.max_pool2d(tinynn.tanh(t), k), x)
    assert np.array_equal(out[0], np.tanh(x).reshape(n, c, 4, k[0], 4, k[1]).max(axis=(3, 5)))


@settings(max_examples=15, deadline=None)
@given(m=st.integers(1, 40), k=st.integers(1, 9), n=st.integers(1, 40), batch=st.sampled_from([(), (2,), (3, 1)]))
def test_matmul_split_by_rows_or_columns(split_everything, m, k, n, batch):
    rng = np.random.default_rng(m * n)
    a = rng.standard_normal(batch + (m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    out = same_on_one_and_three_threads(lambda a, b: a @ b, a, b)
    np.testing.assert_allclose(out[0], a @ b, rtol=1e-5, atol=1e-5)


def test_linear_and_sgd_split(split_everything):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 24)).astype(np.float32)
    results = []
    for threads in (1, 3):
        tinynn.set_num_threads(threads)
        tinynn.manual_seed(0)
        layer = tinynn.nn.Linear(24, 40)
        opt = tinynn.optim.SGD(layer.parameters(), lr=0.1)
        layer(tinynn.tensor(x)).tanh().sum().backward()
        opt.step()
        results.append([p.detach().numpy().copy() for p in layer.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_region_inside_a_region_runs_serially(split_everything):
    tinynn.set_num_threads(2)
    inner = _parallel.run_parallel(lambda i: _parallel.run_parallel(lambda j: (i, j), [0, 1, 2]), [0, 1])
    assert inner == [[(0, 0), (0, 1), (0, 2)], [(1, 0), (1, 1), (1, 2)]]


def wait_until_parked(helpers, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not (all(h.parked for h in helpers) and not _parallel._spinning.is_set()) and time.monotonic() < deadline:
        time.sleep(0.005)
    return all(h.parked for h in helpers)


@pytest.mark.parametrize("flag", [_parallel._WaitFlag, _parallel._LockFlag])
def test_idle_helpers_park_and_wake_for_the_next_region(split_everything, monkeypatch, flag):
    monkeypatch.setattr(_parallel, "PARK_AFTER_SECONDS", 0.01)
    assert wait_until_parked(_parallel._helpers)                      # earlier tests' helpers asleep
    monkeypatch.setattr(_parallel, "_WaitFlag", flag)                 # spinning, and the sleeping fallback
    monkeypatch.setattr(_parallel, "_helpers", [])                    # fresh helpers made with that flag
    tinynn.set_num_threads(3)
    assert _parallel.run_parallel(lambda i: i + 1, [0, 1, 2]) == [1, 2, 3]
    helpers = list(_parallel._helpers)
    assert len(helpers) == 2 and not any(h.parked for h in helpers)   # waiting for the next job
    assert wait_until_parked(helpers)                                 # the watchdog parked them
    threads = set()
    assert _parallel.run_parallel(lambda i: threads.add(threading.get_ident()) or -i, [0, 1, 2]) == [0, -1, -2]
    assert len(threads) == 3 and not any(h.parked for h in helpers)   # woken, each ran its item
    assert wait_until_parked(helpers)                                 # none left spinning after the test
