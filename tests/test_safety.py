"""No silent wrong answers: grad mode per thread, threads that train side by side, Ctrl-C during threaded ops,
and gradients that never alias the caller's arrays."""
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn


def test_no_grad_in_one_thread_leaves_another_recording():
    x = tinynn.ones(3, requires_grad=True)
    entered, release, seen = threading.Event(), threading.Event(), []

    def other():
        entered.wait()
        seen.append(((x * 2).requires_grad, tinynn.is_grad_enabled()))
        release.set()

    thread = threading.Thread(target=other)
    thread.start()
    with tinynn.no_grad():
        entered.set()
        release.wait()
        assert not (x * 2).requires_grad
    thread.join()
    assert seen == [(True, True)]
    assert tinynn.is_grad_enabled()


def test_overlapping_no_grad_blocks_in_two_threads_restore_each_threads_mode():
    barrier = threading.Barrier(2)
    after = []

    def worker(delay_exit):
        with tinynn.no_grad():
            barrier.wait()
            if delay_exit:
                barrier.wait()
        if not delay_exit:
            barrier.wait()
        after.append(tinynn.is_grad_enabled())

    threads = [threading.Thread(target=worker, args=(d,)) for d in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert after == [True, True] and tinynn.is_grad_enabled()


def test_inference_mode_is_no_grad_and_decorates_bare():
    x = tinynn.ones(2, requires_grad=True)

    @tinynn.inference_mode
    def f(t):
        return t * 2, tinynn.is_inference_mode_enabled()

    @tinynn.no_grad
    def g(t):
        return t * 2

    y, inside = f(x)
    assert not y.requires_grad and inside and not tinynn.is_inference_mode_enabled()
    assert not g(x).requires_grad
    with tinynn.inference_mode(False):
        assert (x * 2).requires_grad


def _model(seed):
    tinynn.manual_seed(seed)          # (the random generator is shared by all threads, as torch's)
    return nn.Sequential(nn.Linear(20, 32), nn.Tanh(), nn.Dropout(0.0), nn.Linear(32, 3))


def _train(model, seed, steps=15):
    optimizer = tinynn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(seed)
    x = tinynn.tensor(rng.standard_normal((64, 20)).astype(np.float32))
    y = tinynn.tensor(rng.integers(0, 3, 64))
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with tinynn.no_grad():                    # an evaluation inside the loop, as programs do
            model(x)
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_two_threads_train_two_models_as_one_after_the_other():
    expected = [_train(_model(1), 1), _train(_model(2), 2)]
    for _ in range(3):
        models, results = {s: _model(s) for s in (1, 2)}, {}
        threads = [threading.Thread(target=lambda s=s: results.__setitem__(s, _train(models[s], s)))
                   for s in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for seed, want in zip((1, 2), expected):
            for got, ref in zip(results[seed], want):
                np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


def test_backward_with_a_gradient_keeps_a_copy():
    a = tinynn.ones(3, requires_grad=True)
    b = tinynn.ones(3, requires_grad=True)
    g = tinynn.tensor([1.0, 2.0, 3.0])
    (a + b).backward(g)
    a.grad.zero_()
    b.grad.mul_(2)
    assert g.tolist() == [1.0, 2.0, 3.0]
    leaf = tinynn.ones(3, requires_grad=True)
    leaf.backward(g)
    leaf.grad.zero_()
    assert g.tolist() == [1.0, 2.0, 3.0]


CTRL_C_AT_EVERY_LINE = textwrap.dedent("""
    import signal, sys, time
    import numpy as np
    import tinynn
    from tinynn._fast import threads as _parallel
    tinynn.set_kernels("fast")                         # (the reference kernels start no threads)
    tinynn.set_num_threads(2)
    x = tinynn.randn(64, 16, 32, 32)                   # big enough for tanh to run on two threads
    ref = x.tanh().numpy().copy()

    def ctrl_c_at(k):
        # a tracer that presses Ctrl-C at the k-th line this thread runs in tinynn/_fast/threads.py
        count = [0]
        def tracer(frame, event, arg):
            if frame.f_code.co_filename != _parallel.__file__:
                return None
            def local(frame, event, arg):
                if event == "line":
                    count[0] += 1
                    if count[0] == k:
                        signal.raise_signal(signal.SIGINT)
                return local
            return local
        return tracer, count

    interrupts = 0
    for parked in (False, True):                      # helpers spinning between ops, or asleep
        k = 1
        while True:
            x.tanh()
            if parked:
                time.sleep(0.03)
            tracer, count = ctrl_c_at(k)
            sys.settrace(tracer)
            try:
                x.tanh()
            except KeyboardInterrupt:
                interrupts += 1
            finally:
                sys.settrace(None)
            if count[0] < k:                          # every line of the op has had its Ctrl-C
                break
            for _ in range(3):
                assert np.array_equal(x.tanh().numpy(), ref), f"wrong result after Ctrl-C at line {k}"
            k += 1
    time.sleep(0.1)
    start = time.process_time()
    time.sleep(0.3)
    idle = time.process_time() - start
    assert idle < 0.1, f"helper threads still spinning after the interrupts: {idle:.2f} s of CPU in 0.3 s idle"
    print("consistent after", interrupts, "interrupts")
""")


def test_ctrl_c_anywhere_in_a_threaded_op_leaves_the_threads_consistent():
    done = subprocess.run([sys.executable, "-c", CTRL_C_AT_EVERY_LINE], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[2]) > 20, done.stdout


def _max_pool_gradient_by_loops(x, gy, k, s, p):
    """torch's rule, one window at a time: the first maximum, or the last NaN of a window holding NaN."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    g = np.zeros_like(padded)
    for b, ch, i, j in np.ndindex(gy.shape):
        window = padded[b, ch, i * s:i * s + k, j * s:j * s + k].ravel()
        nans = np.flatnonzero(np.isnan(window))
        at = nans[-1] if nans.size else int(np.argmax(window))
        g[b, ch, i * s + at // k, j * s + at % k] += gy[b, ch, i, j]
    return g[:, :, p:p + h, p:p + w]


@pytest.mark.parametrize("k, s, p", [(2, 2, 0), (2, 1, 1), (3, 2, 1)])
def test_max_pool_sends_the_gradient_to_a_nan_as_torch(k, s, p):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 6))
    x[rng.random(x.shape) < 0.15] = np.nan
    x[0, 0, :2, :2] = np.nan                            # a window of NaNs only
    t = tinynn.tensor(x, requires_grad=True)
    y = nn.functional.max_pool2d(t, k, s, p)
    gy = rng.standard_normal(y.shape)
    y.backward(tinynn.tensor(gy))
    np.testing.assert_allclose(t.grad.numpy(), _max_pool_gradient_by_loops(x, gy, k, s, p), rtol=1e-12)
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(tx, k, s, p).backward(torch.tensor(gy))
    np.testing.assert_allclose(t.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_optimizer_state_of_the_wrong_shape_is_refused_when_loaded():
    w = nn.Parameter(tinynn.zeros(4, 6))
    opt = tinynn.optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = tinynn.ones(4, 6)
    opt.step()
    state = opt.state_dict()
    state["state"][0]["momentum_buffer"] = tinynn.zeros(6, 4)
    fresh = tinynn.optim.SGD([w], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"'momentum_buffer' of shape \(6, 4\) for parameter 0 of shape \(4, 6\)"):
        fresh.load_state_dict(state)
    adam = tinynn.optim.Adam([w])
    adam.step()
    good = adam.state_dict()
    tinynn.optim.Adam([w]).load_state_dict(good)            # 0-d step and (4, 6) moments load fine
    good["state"][0]["exp_avg_sq"] = tinynn.zeros(24)
    with pytest.raises(ValueError, match="'exp_avg_sq' of shape"):
        tinynn.optim.Adam([w]).load_state_dict(good)


def test_inf_and_nan_results_come_back_silently_as_in_torch():
    import warnings
    x = tinynn.tensor([0.0, 1.0, -1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # NumPy's RuntimeWarning would fail the test
        outs = [tinynn.log(x), tinynn.sqrt(x), 1 / x, x ** -1.0, tinynn.exp(x * 1000)]
        for out in outs:
            out.sum().backward()
        p = tinynn.log(tinynn.softmax(tinynn.tensor([0.0, 104.0]), 0))
    assert outs[0].tolist()[0] == float("-inf") and np.isnan(outs[1].tolist()[2]) and outs[2].tolist()[0] == np.inf
    assert p.tolist()[0] == float("-inf")
