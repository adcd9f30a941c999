"""Shared test set-up: hypothesis profile and the device fixture (CPU always, CUDA when present)."""
import os

# The tests multiply small matrices: one BLAS thread is as fast, and it cannot stall waiting for
# a second core that a busy machine has given to another process. (Must precede numpy's import.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

import tinynn  # noqa: E402

settings.register_profile(
    "tinynn", deadline=None, max_examples=int(os.environ.get("TINYNN_EXAMPLES", "20")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile("tinynn")

CUDA = tinynn.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.gpu,
                                              pytest.mark.skipif(not CUDA, reason="no CUDA device")])]


@pytest.fixture(params=DEVICES)
def device(request):
    """Run the test once on the CPU (NumPy) and once on the GPU (CuPy, skipped without CUDA)."""
    return request.param
