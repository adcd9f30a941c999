"""torch-style custom operations: ``class F(Function)`` with static ``forward(ctx, ...)`` and
``backward(ctx, ...)`` on tensors, called as ``F.apply(x)``.

    class Cube(tinynn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * 3 * x ** 2        # d(x^3)/dx = 3 x^2

    y = Cube.apply(x)

tinynn's own operations are ``Function`` subclasses on raw arrays (see
``function.py``); ``apply`` wraps a torch-style subclass in one graph node,
``CustomFunctionNode``, whose backward calls the user's ``backward``.
"""
from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from .function import Function, _cuda_index
from .grad_mode import _GradMode, no_grad
from .version import version_of


class FunctionCtx:
    """The ``ctx`` handed to a custom ``forward`` and ``backward``: what forward keeps for backward."""

    def __init__(self, needs_input_grad: tuple):
        self.needs_input_grad = needs_input_grad     # one bool per argument of forward, as torch's
        self._saved: tuple = ()
        self._versions: tuple = ()
        self.non_differentiable: set = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` (or None) for backward; changing one in place before backward is an error."""
        self._saved = tensors
        self._versions = tuple(None if t is None else version_of(t.array) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, checked for in-place changes since."""
        for t, version in zip(self._saved, self._versions):
            if t is not None and version_of(t.array) != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{t.type()} {list(t.shape)}] is at version {version_of(t.array)}; expected "
                    f"version {version} instead.")
        return self._saved

    def mark_non_differentiable(self, *outputs) -> None:
        """Outputs that get no gradient (indices, masks)."""
        self.non_differentiable.update(id(o) for o in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """Whether backward receives zeros (True, the default) or None for outputs without a gradient."""
        self.materialize_grads = value

    def mark_dirty(self, *tensors) -> None:
        """In-place custom functions are not supported by tinynn."""
        raise NotImplementedError("tinynn: custom Functions that modify their inputs in place (ctx.mark_dirty) "
                                  "are not supported; return a new tensor instead")


def once_differentiable(fn):
    """torch's decorator for a backward that is not itself differentiable; tinynn never differentiates a
    backward (no gradients of gradients), so it changes nothing."""
    return fn


def run_custom_function(cls, args: tuple) -> Any:
    """``cls.apply(*args)``: run the user's forward without recording, then link its output into the graph."""
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx = FunctionCtx(needs)
    with no_grad():
        output = cls.forward(ctx, *args)
    if isinstance(output, tuple):
        if len(output) != 1:
            raise NotImplementedError(f"{cls.__name__}.forward returned {len(output)} outputs; tinynn's custom "
                                      "Functions support one output tensor")
        output = output[0]
    if not isinstance(output, Tensor):
        raise TypeError(f"{cls.__name__}.forward must return a Tensor, got {type(output).__name__}")
    if _GradMode.enabled and any(needs) and id(output) not in ctx.non_differentiable \
            and output.dtype.kind in "fc":
        if any(output is a for a in args):        # the forward returned an input itself: keep it out of the graph
            output = Tensor._wrap(output.array)
        node = CustomFunctionNode(cls, ctx, output)
        node.inputs = args
        node.input_creators = tuple(getattr(a, "grad_fn", None) for a in args)
        node.input_wants_grad = needs
        node.cuda_index = _cuda_index(args)             # backward runs on the inputs' GPU, as a Function's
        node.generation = 1 + max((a.grad_fn.generation for a in args
                                   if isinstance(a, Tensor) and a.grad_fn is not None), default=0)
        output.grad_fn, output.requires_grad = node, True
    return output


class CustomFunctionNode(Function):
    """Calls the user's static ``backward(ctx, grad_output)`` on tensors; returns arrays to the engine."""

    saved_inputs, saves_output = (), False    # the ctx checks its own saved tensors

    def __init__(self, cls, ctx: FunctionCtx, output):
        self.cls, self.ctx = cls, ctx
        self.output_shape = tuple(output.shape)
        self.torch_name = cls.__name__ + "Backward"           # as torch's: class P -> PBackward

    def __repr__(self):
        return f"<tinynn.autograd.function.{self.name()} object at {id(self):#x}>"

    def backward(self, grad_output):
        with no_grad():
            grads = self.cls.backward(self.ctx, Tensor._wrap(grad_output))
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) < len(self.inputs):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients (expected "
                               f"{len(self.inputs)}, got {len(grads)})")
        arrays = []
        for i, (x, g) in enumerate(zip(self.inputs, grads)):
            if g is None or not self.needs_grad(i):
                arrays.append(None)
                continue
            g = g.array if isinstance(g, Tensor) else g
            if tuple(g.shape) != tuple(x.shape):
                raise RuntimeError(f"Function {self.name()} returned an invalid gradient at index {i} - got "
                                   f"{list(g.shape)} but expected shape compatible with {list(x.shape)}")
            arrays.append(g)
        return tuple(arrays)
