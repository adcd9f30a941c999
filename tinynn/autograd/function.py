"""``Function``: one differentiable operation, its forward and backward side by side.

A subclass implements ``forward(*arrays) -> array`` and ``backward(grad_output)
-> grad per input``, both on raw NumPy/CuPy arrays, and saves on ``self``
whatever backward needs. Calling an instance, ``Exp()(x)``, runs forward on the
inputs' arrays and, when gradients are being recorded, links the result into
the graph: ``result.grad_fn`` is the Function, which remembers its inputs.
"""
from __future__ import annotations

from .grad_mode import _GradMode


class Function:
    """Base class of every differentiable operation."""

    generation = 0            # 1 + the largest generation among the inputs' creators
    inputs: tuple = ()        # the Tensors (or constants) the output was computed from
    retained_output = None    # weakref to the output when it called ``retain_grad()``
    released = False          # True once backward freed what this node had saved

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad_output):
        """Return one gradient array (or None) per input, in the order of ``inputs``."""
        raise NotImplementedError

    @property
    def name(self) -> str:
        """The node's name as torch shows it, e.g. ``TanhBackward``."""
        return type(self).__name__ + "Backward"

    @property
    def next_functions(self) -> tuple:
        """The creators of the inputs (None for leaves and constants), as in torch."""
        return tuple(getattr(x, "grad_fn", None) for x in self.inputs)

    def __repr__(self):
        return f"<{self.name} object>"

    def __call__(self, *inputs):
        arrays = [_unwrap(x) for x in inputs]
        _check_same_device(inputs, arrays)
        output = Tensor._wrap(self.forward(*arrays))
        if _GradMode.enabled and any(getattr(x, "requires_grad", False) for x in inputs):
            self.inputs = inputs
            self.generation = 1 + max(
                (x.grad_fn.generation for x in inputs if getattr(x, "grad_fn", None) is not None),
                default=0)
            output.requires_grad = True
            output.grad_fn = self
        return output

    def needs_grad(self, i: int) -> bool:
        """Does input ``i`` want a gradient? Backward skips work for those that don't."""
        return getattr(self.inputs[i], "requires_grad", False)

    def release(self) -> None:
        """Free the inputs and saved arrays; a later backward through this node raises."""
        self.__dict__.clear()
        self.released = True


def _unwrap(x):
    return x.array if isinstance(x, Tensor) else x


def _check_same_device(inputs, arrays):
    """Refuse an op that mixes NumPy and CuPy arrays, naming both devices."""
    kinds = {type(a) for x, a in zip(inputs, arrays) if isinstance(x, Tensor)}
    if len(kinds) > 1:
        devices = sorted({str(x.device) for x in inputs if isinstance(x, Tensor)})
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            + " and ".join(devices) + ". Move them with .to(device) first.")


from .._tensor import Tensor  # noqa: E402  (Tensor builds on Function; imported last)
