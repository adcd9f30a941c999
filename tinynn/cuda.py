"""``tinynn.cuda``: what ``torch.cuda`` offers for checking and choosing the GPU (through CuPy).

The "current device" is CuPy's: it is where CuPy code of your own allocates
and what ``synchronize()`` waits for. A tinynn ``"cuda"`` device without an
index always means ``cuda:0``; name ``"cuda:1"`` to use another GPU.
"""
from __future__ import annotations

from ._device import _import_cupy, cuda_available, device as _device, require_cuda


def is_available() -> bool:
    """True when CuPy is installed and a CUDA device is present."""
    return cuda_available()


def device_count() -> int:
    """Number of CUDA devices CuPy sees (0 without CuPy)."""
    if not cuda_available():
        return 0
    return _import_cupy().cuda.runtime.getDeviceCount()


def _index(device: "_device | str | int | None") -> int | None:
    """The CUDA index named by ``device`` (None: the current one)."""
    if device is None or isinstance(device, int):
        return device
    dev = _device(device)
    if dev.type != "cuda":
        raise ValueError(f"expected a cuda device, got '{dev}'")
    return dev.index


def current_device() -> int:
    """Index of CuPy's current CUDA device."""
    cp = require_cuda(_device("cuda"))
    return cp.cuda.runtime.getDevice()


def set_device(device: "_device | str | int") -> None:
    """Make ``device`` (``1``, ``"cuda:1"``) CuPy's current device; a negative index does nothing, as in torch."""
    index = _index(device)
    if index is None or index < 0:
        return
    cp = require_cuda(_device("cuda", index))
    cp.cuda.runtime.setDevice(index)


def get_device_name(index: int = 0) -> str:
    """The GPU's name, e.g. 'NVIDIA H100 80GB HBM3'."""
    cp = _import_cupy()
    if cp is None or not cuda_available():
        raise RuntimeError("no CUDA device: install CuPy (pip install 'tinynn[gpu]') on a machine with an NVIDIA GPU")
    name = cp.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def synchronize(device: "_device | str | int | None" = None) -> None:
    """Wait for all queued GPU work on ``device`` (default: the current one) to finish (for timing).

    Does nothing without a GPU.
    """
    cp = _import_cupy()
    if cp is not None and cuda_available():
        index = _index(device)
        (cp.cuda.Device() if index is None else cp.cuda.Device(index)).synchronize()


def manual_seed(seed: int) -> None:
    """Seed CuPy's generator (tinynn draws random numbers on the host, so this only matters for CuPy code of your own)."""
    cp = _import_cupy()
    if cp is not None and cuda_available():
        cp.random.seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed CuPy's generator on every GPU (see ``manual_seed``); does nothing without a GPU."""
    cp = _import_cupy()
    if cp is None or not cuda_available():
        return
    for index in range(device_count()):
        with cp.cuda.Device(index):
            cp.random.seed(seed)
