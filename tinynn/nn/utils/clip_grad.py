"""Gradient clipping: ``clip_grad_norm_`` (rescale all gradients so their joint norm is at most
``max_norm``) and ``clip_grad_value_`` (clamp each gradient element), with torch's signatures.

The gradients are scaled in place on their device; the scale factor stays a
device array, so clipping never waits for the GPU (only ``error_if_nonfinite=True``
has to look at the norm, as in torch).
"""
from __future__ import annotations

import math
import types
import warnings
from typing import Iterable, Union

import numpy as np

from ..._device import get_array_module, on_device_of, to_device
from ..._tensor import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]

TensorOrTensors = Union[Tensor, Iterable[Tensor]]


def _vector_norm(array, norm_type: float):
    """The ``norm_type``-norm of all elements of ``array`` (torch.linalg.vector_norm), as a 0-d array."""
    with on_device_of(array):                             # (on the array's GPU: cuda:1 too)
        xp = get_array_module(array)
        magnitude = xp.abs(array)
        if magnitude.size == 0:
            return xp.zeros((), dtype=magnitude.dtype)
        if norm_type == math.inf:
            return magnitude.max()
        if norm_type == -math.inf:
            return magnitude.min()
        if norm_type == 0:
            return (magnitude != 0).sum().astype(magnitude.dtype)          # the number of non-zero elements
        if norm_type == 1:
            return magnitude.sum()
        if norm_type == 2:
            return xp.sqrt((magnitude * magnitude).sum())
        return (magnitude ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors: TensorOrTensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """The norm of all ``tensors`` together, as if concatenated into one vector (a 0-d tensor).

    Computed as the norm of the per-tensor norms (``norm_type`` may be ``inf``),
    on the first tensor's device. ``foreach`` is accepted for torch compatibility.
    """
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._wrap(np.zeros((), dtype=np.float32))
    first = tensors[0]
    xp = get_array_module(first.array)
    norms = [_vector_norm(t.array, norm_type) for t in tensors]
    norms = [n if type(n) is type(first.array) else to_device(n, first.device) for n in norms]
    dtype = np.result_type(*[n.dtype for n in norms])
    with on_device_of(first.array):
        total = _vector_norm(xp.stack([n.astype(dtype, copy=False) for n in norms]), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._wrap(total)


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scale every ``.grad`` in place by min(1, max_norm / (total_norm + 1e-6))."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    xp = get_array_module(total_norm.array)
    with on_device_of(total_norm.array):
        clip_coef = xp.minimum(float(max_norm) / (total_norm.array + 1e-6), 1.0)   # no `if coef < 1`: no sync
    for grad in grads:
        coef = clip_coef if type(clip_coef) is type(grad.array) else to_device(clip_coef, grad.device)
        with on_device_of(grad.array):
            get_array_module(grad.array).multiply(grad.array, coef, out=grad.array, casting="unsafe")


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so that their joint norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d tensor). ``norm_type`` may be
    ``float('inf')`` (the largest absolute gradient). With ``error_if_nonfinite``,
    a nan/inf norm raises instead of scaling the gradients by it.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated alias of ``clip_grad_norm_`` (warns, as torch)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element of ``parameters`` to [-clip_value, clip_value], in place."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    clip_value = float(clip_value)
    for p in parameters:
        if p.grad is not None:
            with on_device_of(p.grad.array):
                get_array_module(p.grad.array).clip(p.grad.array, -clip_value, clip_value, out=p.grad.array)
