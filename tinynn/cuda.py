"""``tinynn.cuda``: what ``torch.cuda`` offers for checking the GPU."""
from __future__ import annotations

from ._device import _import_cupy, cuda_available


def is_available() -> bool:
    """True when CuPy is installed and a CUDA device is present."""
    return cuda_available()


def device_count() -> int:
    """Number of CUDA devices CuPy sees (0 without CuPy)."""
    if not cuda_available():
        return 0
    return _import_cupy().cuda.runtime.getDeviceCount()


def get_device_name(index: int = 0) -> str:
    """The GPU's name, e.g. 'NVIDIA H100 80GB HBM3'."""
    cp = _import_cupy()
    if cp is None or not cuda_available():
        raise RuntimeError("no CUDA device: install CuPy (pip install 'tinynn[gpu]') on a machine with an NVIDIA GPU")
    name = cp.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def synchronize() -> None:
    """Wait for all queued GPU work to finish (for timing)."""
    cp = _import_cupy()
    if cp is not None and cuda_available():
        cp.cuda.Device().synchronize()


def manual_seed(seed: int) -> None:
    """Seed CuPy's generator (tinynn draws random numbers on the host, so this only matters for CuPy code of your own)."""
    cp = _import_cupy()
    if cp is not None and cuda_available():
        cp.random.seed(seed)
