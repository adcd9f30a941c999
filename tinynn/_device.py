"""Devices: "cpu" runs on NumPy, "cuda"/"gpu" on CuPy.

Every op is written once against ``xp``, the array module of its inputs
(``get_array_module``), so the CPU and the GPU share one code path.
"""
from __future__ import annotations

import numpy as np

_cupy = None          # the cupy module once imported, False if unavailable
_cupy_error = ""      # why CuPy could not be used


def _import_cupy():
    """Import CuPy lazily: ``import tinynn`` must work without it."""
    global _cupy, _cupy_error
    if _cupy is None:
        try:
            import cupy
            _cupy = cupy
        except Exception as exc:  # ImportError, or a broken CUDA install
            _cupy, _cupy_error = False, f"{type(exc).__name__}: {exc}"
    return _cupy or None


class device:
    """Where a tensor lives, as ``torch.device``: ``device("cpu")``, ``device("cuda:0")``.

    ``"gpu"`` is accepted as a synonym of ``"cuda"``.
    """

    __slots__ = ("type", "index")

    def __init__(self, spec: "str | device" = "cpu", index: int | None = None):
        if isinstance(spec, device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device must be a string like 'cpu' or 'cuda:0', got {spec!r}")
        name, _, idx = spec.strip().lower().partition(":")
        if name == "gpu":
            name = "cuda"
        if name not in ("cpu", "cuda"):
            raise ValueError(f"unknown device {spec!r}: expected 'cpu', 'cuda', 'cuda:N' or 'gpu'")
        if idx:
            if not idx.isdigit():
                raise ValueError(f"bad device index in {spec!r}")
            index = int(idx)
        if name == "cpu" and index not in (None, 0):
            raise ValueError(f"the cpu device has no index {index}")
        self.type = name
        self.index = index if name == "cuda" else None

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (TypeError, ValueError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self):
        return hash((self.type, self.index or 0))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")


CPU = device("cpu")


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    cp = _import_cupy()
    if cp is None:
        return False
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def require_cuda(dev: device):
    """Return the cupy module for ``dev`` or raise an error that says what to install."""
    cp = _import_cupy()
    if cp is None:
        raise RuntimeError(
            f"device '{dev}' needs CuPy, which could not be imported ({_cupy_error}). "
            "Install it with: pip install 'tinynn[gpu]' (CUDA 12, cupy-cuda12x) "
            "or pip install cupy-cuda13x (CUDA 13).")
    if not cuda_available():
        raise RuntimeError(
            f"device '{dev}' was requested but CuPy finds no CUDA device. "
            "Check the NVIDIA driver (nvidia-smi) or use device='cpu'.")
    index = dev.index or 0
    count = cp.cuda.runtime.getDeviceCount()
    if index >= count:
        raise RuntimeError(f"device '{dev}' does not exist: CuPy sees {count} CUDA device(s)")
    return cp


def get_array_module(array):
    """NumPy for a numpy array (or anything else), CuPy for a cupy array."""
    if type(array).__module__.startswith("cupy"):
        return _import_cupy()
    return np


def device_of(array) -> device:
    """The tinynn device an array lives on."""
    if type(array).__module__.startswith("cupy"):
        return device("cuda", array.device.id)
    return CPU


def to_device(array, dev: device):
    """Copy ``array`` to ``dev`` (a no-op if it is there already)."""
    if dev.type == "cpu":
        if type(array).__module__.startswith("cupy"):
            return array.get()
        return array
    cp = require_cuda(dev)
    with cp.cuda.Device(dev.index or 0):
        return cp.asarray(array)
