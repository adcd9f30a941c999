"""tinynn.accelerator, tinynn.cuda's device functions and tinynn.backends (mps, cudnn), as torch's."""
import pytest

import tinynn
from conftest import CUDA


def test_accelerator_reports_what_is_there():
    assert tinynn.accelerator.is_available() == CUDA
    assert tinynn.accelerator.device_count() == tinynn.cuda.device_count()
    assert (tinynn.accelerator.device_count() > 0) == CUDA
    if CUDA:
        assert tinynn.accelerator.current_accelerator() == tinynn.device("cuda")
        assert tinynn.accelerator.current_accelerator(check_available=True) == tinynn.device("cuda")
    else:
        assert tinynn.accelerator.current_accelerator(check_available=True) is None


@pytest.mark.skipif(CUDA, reason="checks the errors without a GPU")
def test_accelerator_without_a_gpu():
    for call in (tinynn.accelerator.current_device_index, lambda: tinynn.accelerator.set_device_index(0),
                 tinynn.accelerator.synchronize):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
            call()
    with tinynn.accelerator.device_index(None):          # None changes nothing, so it needs no GPU
        pass
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        with tinynn.accelerator.device_index(0):
            pass
    tinynn.cuda.synchronize()                             # nothing to wait for
    tinynn.cuda.manual_seed_all(0)
    with pytest.raises(RuntimeError, match="cuda"):
        tinynn.cuda.current_device()


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="no CUDA device")
def test_accelerator_with_a_gpu():
    acc = tinynn.accelerator
    assert acc.current_device_index() == tinynn.cuda.current_device() == 0
    with acc.device_index(acc.device_count() - 1):
        assert acc.current_device_index() == acc.device_count() - 1
    assert acc.current_device_index() == 0
    acc.set_device_index("cuda:0")
    acc.synchronize()
    acc.synchronize(0)
    x = tinynn.ones(3, device=acc.current_accelerator())
    assert x.device == tinynn.device("cuda:0") and (x * 2).sum().item() == 6.0
    tinynn.cuda.manual_seed_all(1)


def test_accelerator_agrees_with_torch_without_a_gpu():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available() or CUDA:
        pytest.skip("compares the no-GPU answers")
    assert tinynn.accelerator.is_available() == torch.accelerator.is_available()
    assert tinynn.accelerator.device_count() == torch.accelerator.device_count()
    assert (tinynn.accelerator.current_accelerator(check_available=True)
            == torch.accelerator.current_accelerator(check_available=True))


def test_backends():
    assert tinynn.backends.mps.is_available() is False and tinynn.backends.mps.is_built() is False
    cudnn = tinynn.backends.cudnn
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == (True, False, False, True)
    assert cudnn.is_available() is False and cudnn.version() is None
    try:
        cudnn.deterministic, cudnn.benchmark = True, True          # as a seeding helper would
        assert cudnn.deterministic and cudnn.benchmark
        with cudnn.flags(enabled=False):
            assert not cudnn.enabled and not cudnn.benchmark
        assert cudnn.enabled and cudnn.benchmark
    finally:
        cudnn.deterministic, cudnn.benchmark = False, False


def test_backends_defaults_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(tinynn.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    assert tinynn.backends.mps.is_available() == torch.backends.mps.is_available()
