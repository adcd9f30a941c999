"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights."""
from __future__ import annotations

import numpy as np

from .._device import CPU, device, to_device
from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that modules register on assignment.

    ``self.weight = Parameter(tinynn.empty(3, 4))`` inside a ``Module`` makes the
    tensor show up in ``parameters()``, ``state_dict()`` and the optimizer. A
    Parameter built from a tensor shares that tensor's array (no copy), as in torch.
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data.array
        else:
            from .._creation import tensor
            array = tensor(data).array
        self.array = array
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> "Parameter":
        """A Parameter with copied storage (and a copied ``.grad``), as ``copy.deepcopy`` expects."""
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._wrap(self.array.copy()), self.requires_grad)
        if self.grad is not None:
            result.grad = Tensor._wrap(self.grad.array.copy())
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        # Used by pickle-based tools (multiprocessing); tinynn.save never pickles.
        return (_rebuild_parameter, (to_device(self.array, CPU), str(self.device), self.requires_grad))


def _rebuild_parameter(array, device_name: str, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._wrap(to_device(array, device(device_name))), requires_grad)


def zero_grads(params, set_to_none: bool = True) -> None:
    """Reset the ``.grad`` of each tensor in ``params``: to ``None`` (default) or to zeros in place.

    Shared by ``Module.zero_grad`` and ``Optimizer.zero_grad``.
    """
    for param in params:
        if param.grad is None:
            continue
        if set_to_none:
            param.grad = None
        else:
            param.grad.detach_()
            param.grad.array.fill(0)
