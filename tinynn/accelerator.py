"""``tinynn.accelerator``: torch's device-neutral accelerator API; tinynn's one accelerator is CUDA through CuPy.

The usual device choice reads as in torch::

    device = tinynn.accelerator.current_accelerator() if tinynn.accelerator.is_available() else "cpu"

The "current device index" is CuPy's current device (see ``tinynn.cuda``).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from . import cuda
from ._device import _import_cupy, device as _device

_NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """True when an accelerator can be used now: CuPy imports and sees a CUDA device."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> _device | None:
    """``device('cuda')`` when tinynn has an accelerator (CuPy imports), else None.

    As torch's, this says what the installation supports; with
    ``check_available=True`` it also needs a GPU present now.
    """
    if _import_cupy() is None or check_available and not is_available():
        return None
    return _device("cuda")


def device_count() -> int:
    """Number of accelerator devices (CUDA GPUs) available; 0 without any."""
    return cuda.device_count()


def _require() -> None:
    if not is_available():
        raise RuntimeError(_NONE_AVAILABLE)


def current_device_index() -> int:
    """Index of the current accelerator device."""
    _require()
    return cuda.current_device()


def set_device_index(device: _device | str | int | None, /) -> None:
    """Make ``device`` (an index, ``"cuda:1"``) the current accelerator device."""
    _require()
    cuda.set_device(device)


def synchronize(device: _device | str | int | None = None, /) -> None:
    """Wait for all work queued on ``device`` (default: the current one) to finish."""
    _require()
    cuda.synchronize(device)


@contextmanager
def device_index(device: int | None, /) -> Iterator[None]:
    """Within the block, ``device`` is the current accelerator device (None: leave it as it is)."""
    if device is None:
        yield
        return
    previous = current_device_index()
    set_device_index(device)
    try:
        yield
    finally:
        set_device_index(previous)


# torch's older names (deprecated there in favour of the *_index ones)
current_device_idx = current_device_index
set_device_idx = set_device_index
