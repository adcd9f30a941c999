"""What tinynn changes in its process (tinynn/_fast/process.py, README "What tinynn changes in your process").

Each case runs in a fresh interpreter, which looks at three things before
``import tinynn`` and again at the end:

- NumPy's BLAS threads, from ``threadpoolctl.threadpool_info()`` (BLAS is
  started on 2 threads, so that taking it down to 1 shows);
- glibc's mmap threshold, seen through ``mallinfo2``: whether a fresh 24 MiB
  ``malloc`` is served by its own ``mmap`` (glibc's default, and what its
  dynamic threshold does after the small arrays of these steps) or from the
  heap (tinynn's setting, a 32 MiB threshold);
- the threads, of the OS and of Python.

Importing tinynn, making tensors and training on the reference kernels change
none of them; the first fast kernel makes the documented changes, and each
opt-out keeps its own.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc and /proc: Linux")

PROBE = textwrap.dedent("""
    import ctypes, json, os, sys, threading
    import numpy as np
    import threadpoolctl

    np.ones((200, 200)) @ np.ones((200, 200))             # BLAS has started its threads
    libc = ctypes.CDLL("libc.so.6")

    class Mallinfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

    libc.mallinfo2.restype = Mallinfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]

    def mmapped(nbytes):
        # True if glibc serves a fresh block of nbytes with its own mmap (a 'hblk')
        before = libc.mallinfo2().hblks
        block = libc.malloc(nbytes)
        after = libc.mallinfo2().hblks
        libc.free(block)
        return after > before

    def look(nbytes):
        return dict(blas=sorted(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"),
                    mmapped=mmapped(nbytes), os_threads=len(os.listdir("/proc/self/task")),
                    tinynn_threads=sorted(t.name for t in threading.enumerate() if t.name.startswith("tinynn")))

    before = look(16 << 20)        # (each size once: freeing an mmapped block raises glibc's dynamic threshold)
    import tinynn
    import tinynn.nn as nn
    import tinynn.nn.functional as F

    def train_step(batch):
        tinynn.manual_seed(0)
        conv, fc = nn.Conv2d(3, 16, 3, padding=1), nn.Linear(16 * 16 * 16, 2)
        for opt in (tinynn.optim.SGD([*conv.parameters(), *fc.parameters()], lr=0.1, momentum=0.9),
                    tinynn.optim.Adam([*conv.parameters(), *fc.parameters()])):
            x = tinynn.randn(batch, 3, 32, 32)
            h = F.max_pool2d(tinynn.tanh(conv(x)), 2)
            loss = F.cross_entropy(fc(h.flatten(1)), tinynn.randint(0, 2, (batch,)))
            opt.zero_grad()
            loss.backward()
            opt.step()

    case = sys.argv[1]
    if case == "tensors":
        x = tinynn.randn(4, 3) + tinynn.zeros(4, 3)
        y = tinynn.tensor([1.0, 2.0]).numpy()
    elif case == "reference step":
        tinynn.set_kernels("reference")
        train_step(16)                 # big enough to run on threads, were the kernels the fast ones
    elif case.startswith("fast step"):
        if case.endswith("one thread"):
            tinynn.set_num_threads(1)
        else:
            tinynn.set_num_threads(2)
        train_step(16)                 # (arrays of 1-2 MiB: glibc's dynamic threshold stays below 24 MiB)
    print(json.dumps(dict(before=before, after=look(24 << 20), mode=tinynn.get_kernels())))
""")


def run_case(case: str, **env) -> dict:
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2", MKL_NUM_THREADS="2", **env)
    for name in ("TINYNN_KERNELS", "TINYNN_BLAS_THREADS", "TINYNN_MALLOC_TUNING"):
        if name not in env:
            environment.pop(name, None)
    done = subprocess.run([sys.executable, "-c", PROBE, case], capture_output=True, text=True, env=environment,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def blas_starts_on_two_threads(result: dict) -> None:
    if not result["before"]["blas"] or max(result["before"]["blas"]) < 2:
        pytest.skip(f"NumPy's BLAS does not run on 2 threads here: {result['before']['blas']}")


@pytest.mark.parametrize("case, env", [
    ("import only", {}),
    ("tensors", {}),
    ("reference step", {}),
    ("fast step", {"TINYNN_KERNELS": "reference"}),     # the environment's switch, read at import
])
def test_importing_and_the_reference_kernels_change_nothing(case, env):
    result = run_case(case, **env)
    before, after = result["before"], result["after"]
    assert after["blas"] == before["blas"]
    assert before["mmapped"] and after["mmapped"], "glibc's mmap threshold was changed"
    assert after["os_threads"] == before["os_threads"] and after["tinynn_threads"] == []


def test_the_first_fast_kernel_makes_the_documented_changes():
    result = run_case("fast step")
    blas_starts_on_two_threads(result)
    assert result["mode"] == "fast"
    assert result["after"]["blas"] == [1] * len(result["before"]["blas"])     # BLAS on one thread
    assert not result["after"]["mmapped"]                                     # 24 MiB from malloc's heap
    assert "tinynn-helper" in result["after"]["tinynn_threads"]


@pytest.mark.parametrize("case, env, kept", [
    ("fast step", {"TINYNN_BLAS_THREADS": "keep"}, "blas"),
    ("fast step", {"TINYNN_MALLOC_TUNING": "0"}, "malloc"),
    ("fast step, one thread", {}, "threads"),
])
def test_each_opt_out_keeps_its_own(case, env, kept):
    result = run_case(case, **env)
    blas_starts_on_two_threads(result)
    before, after = result["before"], result["after"]
    assert (after["blas"] == before["blas"]) == (kept == "blas")
    assert after["mmapped"] == (kept == "malloc")
    assert (after["tinynn_threads"] == []) == (kept == "threads")
