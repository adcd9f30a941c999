"""Devices: "cpu" runs on NumPy, "cuda"/"gpu" on CuPy.

Every op is written once against ``xp``, the array module of its inputs
(``get_array_module``), so the CPU and the GPU share one code path.
"""
from __future__ import annotations

import contextlib
import functools

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


def cupy_in_use() -> bool:
    """True once CuPy has been imported (a GPU tensor was made): until then every array is NumPy's."""
    return bool(_cupy)


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


def device_module(dev: device):
    """The array module that allocates on ``dev``: NumPy for the CPU, CuPy for a GPU (checked to exist).

    CuPy allocates on its *current* device: enter ``cuda_context(dev.index)``
    around CuPy calls that make new arrays.
    """
    return np if dev.type == "cpu" else require_cuda(dev)


def cuda_context(index: int):
    """CuPy's context that makes GPU ``index`` the current device (where CuPy allocates and runs kernels).

    A new context object each time: CuPy's ``Device`` keeps its stack of
    previous devices on the object, so one shared between threads would mix
    them up.
    """
    return (_cupy or _import_cupy()).cuda.Device(index)


_NO_CONTEXT = contextlib.nullcontext()


def on_device_of(array):
    """A context in which CuPy code runs on ``array``'s GPU (nothing to enter for a NumPy array).

    Every op runs inside its tensors' device context, as torch's device guard:
    without it CuPy would run the kernels of a ``cuda:1`` tensor on the current
    device (``cuda:0``). ``Function.__call__`` and the backward pass do this
    themselves; this is for array code outside them (in-place updates,
    optimizer steps, comparisons).
    """
    if type(array) is np.ndarray or not type(array).__module__.startswith("cupy"):
        return _NO_CONTEXT
    return cuda_context(array.device.id)


def cuda_index_of(array) -> int | None:
    """The GPU index of a CuPy array; None for a NumPy array."""
    if type(array) is np.ndarray or not type(array).__module__.startswith("cupy"):
        return None
    return array.device.id


def on_tensors_device(op):
    """Decorate an op written directly on arrays (not a ``Function``, whose call does this itself) so that
    it runs inside the CUDA context of its first tensor argument: CuPy then allocates and launches
    its kernels on that tensor's GPU (``cuda:1`` too). On the CPU the op is called as it is.
    """
    @functools.wraps(op)
    def op_on_tensors_device(*args, **kwargs):
        for arg in args:
            array = getattr(arg, "array", None)
            if array is not None:
                index = cuda_index_of(array)
                if index is not None:
                    with cuda_context(index):
                        return op(*args, **kwargs)
                break
        return op(*args, **kwargs)
    return op_on_tensors_device


def mixed_devices_error(first, second) -> RuntimeError:
    """torch's error for an operation given tensors on two devices (``first`` and ``second``, in order met)."""
    return RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                        f"{first} and {second}!")
