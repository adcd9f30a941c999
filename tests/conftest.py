"""Shared test set-up: hypothesis profile and the device fixture (CPU always; CUDA on a GPU, or on the CuPy stand-in).

The ``device`` fixture's "cuda" runs the GPU path on real CuPy where a CUDA
device is present. Without one, it runs on the strict NumPy-backed CuPy
stand-in kept beside the repository (``<repo>/../shared/tools/fakecupy``; it
refuses what CuPy refuses, see its README), which these tests put on
``sys.path`` before anything imports ``cupy``. Without either, it is skipped.
"""
import os
import sys
from pathlib import Path

# The tests multiply small matrices: one BLAS thread is as fast, and it cannot stall waiting for
# a second core that a busy machine has given to another process. (Must precede numpy's import.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

# The CuPy stand-in, beside the repository (CI clones the repository next to ../shared); never copied into it.
STAND_IN_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "fakecupy"


def is_stand_in(cupy_module) -> bool:
    """True for the NumPy-backed stand-in (its version says "+fake"), False for real CuPy."""
    return "+fake" in getattr(cupy_module, "__version__", "")


def _choose_cupy() -> str | None:
    """Which CuPy the GPU tests run on: "cupy" (real CuPy on a CUDA device), "stand-in", or None (neither).

    Must run before tinynn first imports ``cupy``. Real CuPy that sees no device
    is unloaded again, and the stand-in takes its place.
    """
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() > 0:
            return "stand-in" if is_stand_in(cupy) else "cupy"
    except Exception:            # not installed, or installed without a driver or device
        pass
    if not (STAND_IN_PATH / "cupy" / "__init__.py").is_file():
        return None
    for name in [name for name in sys.modules if name.startswith("cupy")]:
        del sys.modules[name]
    sys.path.insert(0, str(STAND_IN_PATH))
    return "stand-in"


GPU_BACKEND = _choose_cupy()

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

import tinynn  # noqa: E402

# In CI (CI=true) the examples are drawn from a fixed seed, so a red run can be reproduced and a
# green one does not depend on luck; locally each run explores new examples.
settings.register_profile(
    "tinynn", deadline=None, max_examples=int(os.environ.get("TINYNN_EXAMPLES", "20")),
    derandomize=os.environ.get("CI", "").lower() == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile("tinynn")

CUDA = tinynn.cuda.is_available()
GPU_STAND_IN = CUDA and is_stand_in(sys.modules.get("cupy"))   # the "GPU" is the stand-in (no SVD, no timing)
NO_GPU = f"no CUDA device, and no CuPy stand-in at {STAND_IN_PATH}"
DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(not CUDA, reason=NO_GPU)])]


def pytest_generate_tests(metafunc):
    """Every test that calls gradcheck runs with both kernel sets (``tinynn.set_kernels``): the
    reference formulas and the fast variants. (With ``TINYNN_KERNELS`` set, only that one.)"""
    test = metafunc.function
    test = getattr(getattr(test, "hypothesis", None), "inner_test", test)     # (under @given: the test itself)
    code = getattr(test, "__code__", None)
    if code is not None and "gradcheck" in code.co_names and "TINYNN_KERNELS" not in os.environ:
        metafunc.fixturenames.append("kernels")
        metafunc.parametrize("kernels", list(tinynn._kernels.MODES), indirect=True)


@pytest.fixture
def kernels(request):
    """Run the test with ``request.param``'s kernels ("reference" or "fast")."""
    with tinynn.set_kernels(request.param):
        yield request.param


@pytest.fixture
def two_threads():
    """Split big ops over two threads (whatever the machine has); the previous count afterwards."""
    before = tinynn.get_num_threads()
    tinynn.set_num_threads(2)
    yield
    tinynn.set_num_threads(before)


@pytest.fixture(params=DEVICES)
def device(request):
    """Run the test once on the CPU (NumPy) and once on the GPU (CuPy or its stand-in, skipped without both)."""
    return request.param
