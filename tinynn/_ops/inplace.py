"""In-place changes: ``x.add_(y)``, ``x += y``, ``x.relu_()``, ``x.copy_(y)``, ``x[i] = v`` ...

Two paths, as in torch:

* Nothing to record (grad mode off, or neither tensor requires grad): the
  values are changed in the tensor's own memory, so views of it see the
  change. This is how optimizers and ``nn.init`` update parameters.
* Recording: ``x`` is part of a graph (or the other operand requires grad).
  The new values are computed by the differentiable op from a copy of the old
  ones, ``new = op(old, y)``, then written into ``x``'s memory, and ``x`` takes
  over ``new``'s place in the graph (``x.grad_fn`` is now ``op``'s node). So
  ``x``'s gradient flows through ``op`` back to ``x``'s earlier history.

Either way the storage's version goes up (``autograd/version.py``): an op
that saved the old values for its backward then refuses to run backward,
instead of computing a wrong gradient. As torch, a leaf that requires grad
may be changed in place only under ``no_grad()``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .._device import cuda_index_of, get_array_module, mixed_devices_error, on_device_of, to_device
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import _GradMode, no_grad
from ..autograd.version import bump_version, storage_of
from . import arithmetic

_ARITHMETIC = {"add": arithmetic.add, "sub": arithmetic.sub, "mul": arithmetic.mul, "div": arithmetic.div}
_UFUNCS = {"add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide"}


class Overwrite(Function):
    """``x.copy_(src)`` / ``x.fill_(v)`` while recording: the new values are ``src`` (broadcast, cast)."""

    torch_name = "tinynn::autograd::CopyBackwards"      # torch's copy_ node (fill_ and zero_ name theirs)
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def forward(self, old, src):
        self.src_dtype = getattr(src, "dtype", None)
        out = get_array_module(old).empty_like(old)
        out[...] = src
        return out

    def backward(self, gy):
        g_src = gy if self.src_dtype is None else gy.astype(self.src_dtype, copy=False)
        return None, g_src                      # d(new)/d(old) = 0, d(new)/d(src) = 1


def _recording(tensor: Tensor, other=None) -> bool:
    return _GradMode.enabled and (tensor.requires_grad or getattr(other, "requires_grad", False))


def check_inplace(tensor: Tensor) -> None:
    """Refuse what torch refuses: changing in place a leaf that requires grad while recording."""
    if _GradMode.enabled and tensor.requires_grad and tensor.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation. "
                           "Wrap the update in `with tinynn.no_grad():`.")


def inplace(tensor: Tensor, op: str, other, copy_name: str = Overwrite.torch_name) -> Tensor:
    """``tensor op= other`` in place, with ``op`` one of "add", "sub", "mul", "div" and "copy".

    ``copy_name``: torch's name for the node of a recorded copy (fill_ FillBackward2, zero_ ZeroBackward0).
    """
    check_inplace(tensor)
    if isinstance(other, Tensor) and cuda_index_of(other.array) != cuda_index_of(tensor.array):
        if op != "copy":                                 # copy_ moves the values over, as torch's
            raise mixed_devices_error(tensor.device, other.device)
        other = other.to(tensor.device)
    if _recording(tensor, other):
        if op == "copy":
            return record_inplace(tensor, lambda old: Overwrite().named(copy_name)(old, other))
        return record_inplace(tensor, lambda old: _ARITHMETIC[op](old, other))
    value = other.array if isinstance(other, Tensor) else other
    with on_device_of(tensor.array):
        if op == "copy":
            tensor.array[...] = value
        else:
            xp = get_array_module(tensor.array)
            getattr(xp, _UFUNCS[op])(tensor.array, value, out=tensor.array, casting="same_kind")
    bump_version(tensor.array)
    return tensor


def inplace_apply(tensor: Tensor, compute: Callable[[Tensor], Tensor], other=None) -> Tensor:
    """Replace ``tensor``'s values by ``compute(tensor)`` in place (``x.relu_()``, ``x.clamp_(...)``).

    ``compute`` builds the new values from differentiable ops; ``other`` is any
    further tensor it uses (recording is needed when it requires grad).
    """
    check_inplace(tensor)
    if _recording(tensor, other):
        return record_inplace(tensor, compute)
    with no_grad():
        new = compute(tensor.detach())
    _write(tensor, new)
    return tensor


def record_inplace(tensor: Tensor, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """The recording path (see the module doc): ``tensor`` takes the place of ``compute(old values)``."""
    if tensor._base is not None or tensor.grad_fn is None and storage_of(tensor.array) is not tensor.array:
        raise RuntimeError(
            f"a view of another tensor (shape {list(tensor.shape)}) is being changed in place while gradients "
            "are recorded; tinynn cannot rewrite the history of the tensor it views. Change a copy "
            "(y = y.clone()) or use the out-of-place form (y = y.relu(), y = y + 1).")
    with on_device_of(tensor.array):                     # (CuPy copies onto the current device)
        old = Tensor._wrap(tensor.array.copy())          # the values before the change, for backward
    old.requires_grad, old.grad_fn = tensor.requires_grad, tensor.grad_fn
    new = compute(old)
    _write(tensor, new)
    tensor.grad_fn, tensor.requires_grad, tensor._base = new.grad_fn, new.requires_grad, None
    return tensor


def _write(tensor: Tensor, new: Tensor) -> None:
    """Copy ``new``'s values into ``tensor``'s memory, with torch's shape and dtype rules."""
    if tuple(new.shape) != tuple(tensor.shape):
        raise RuntimeError(f"output with shape {list(tensor.shape)} doesn't match the broadcast shape "
                           f"{list(new.shape)}")
    if not np.can_cast(new.array.dtype, tensor.array.dtype, casting="same_kind"):
        raise RuntimeError(f"result type {new.array.dtype} can't be cast to the desired output type "
                           f"{tensor.array.dtype}")
    array = new.array
    if cuda_index_of(array) != cuda_index_of(tensor.array):
        array = to_device(array, tensor.device)
    with on_device_of(tensor.array):
        tensor.array[...] = array
    bump_version(tensor.array)
