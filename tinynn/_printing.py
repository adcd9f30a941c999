"""``repr`` of a tensor in torch's style: ``tensor([0.1000, 2.0000], requires_grad=True)``."""
from __future__ import annotations

import numpy as np

from ._device import CPU, to_device


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e8:
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)
    big = np.abs(finite).max() if finite.size else 0
    small = np.abs(finite[finite != 0]).min() if np.any(finite != 0) else 1
    if big >= 1e8 or small < 1e-4:
        return lambda v: f"{v:.4e}"
    return lambda v: f"{v:.4f}"


def tensor_repr(t) -> str:
    """The text torch would print for a tensor with these values and flags."""
    array = to_device(t.array, CPU)
    options = dict(separator=", ", prefix="tensor(", threshold=1000, edgeitems=3)
    if array.dtype.kind == "f" and array.size:
        options["formatter"] = {"float_kind": _float_formatter(array.astype(np.float64))}
    body = np.array2string(array, **options) if array.size else "[]"
    extras = []
    if t.device != CPU:
        extras.append(f"device='{t.device}'")
    if array.dtype not in (np.float32, np.int64, np.bool_) or array.size == 0 and array.dtype != np.float32:
        extras.append(f"dtype=tinynn.{array.dtype.name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    if array.ndim > 1 and array.size == 0:
        extras.insert(0, f"size={tuple(array.shape)}")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
