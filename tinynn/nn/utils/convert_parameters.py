"""``parameters_to_vector`` and ``vector_to_parameters``: a model's parameters as one flat vector and back."""
from __future__ import annotations

from typing import Iterable

from ..._ops import cat
from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param: Tensor, first_device):
    """The device of the first parameter; raise if ``param`` is on another one (as torch)."""
    if first_device is None:
        return param.device
    if param.device != first_device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return first_device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable, as torch)."""
    device = None
    pieces = []
    for param in parameters:
        device = _check_param_device(param, device)
        pieces.append(param.reshape(-1))
    return cat(pieces)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's data the next ``numel`` elements of ``vec`` (sharing ``vec``'s memory, as torch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected tinynn.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_param_device(param, device)
        count = param.numel()
        param.data = vec.array[pointer:pointer + count].reshape(param.shape)
        pointer += count
