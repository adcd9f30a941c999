"""``Function``: one differentiable operation, its forward and backward side by side.

A subclass implements ``forward(*arrays) -> array`` and ``backward(grad_output)
-> grad per input``, both on raw NumPy/CuPy arrays, and saves on ``self``
whatever backward needs. Calling an instance, ``Exp()(x)``, runs forward on the
inputs' arrays and, when gradients are being recorded, links the result into
the graph: ``result.grad_fn`` is the Function, which remembers its inputs.
"""
from __future__ import annotations

import weakref

import numpy as np

from .._device import cuda_context, cuda_index_of, mixed_devices_error
from .._kernels import kernel
from .._tensor import Tensor
from .grad_mode import _GradMode
from .version import storage_of, version_of


class Function:
    """Base class of every differentiable operation."""

    generation = 0            # 1 + the largest generation among the inputs' creators
    inputs: tuple = ()        # the Tensors (or constants) the output was computed from
    # Each input's grad_fn and requires_grad when this node was recorded: an in-place op may later give
    # the same Tensor object a new history (see _ops/inplace.py), but this node's edge stays where it was.
    input_creators: tuple = ()
    input_wants_grad: tuple = ()
    retained_output = None    # weakref to the output when it called ``retain_grad()``
    released = False          # True once backward freed what this node had saved
    # What backward reads, so that changing it in place before backward is an error (see version.py).
    # The defaults assume the most: every input, and the output (which a view op shares with its input).
    saved_inputs: tuple | None = None   # positions of the inputs backward reads (None: all of them)
    saves_output = True                 # does backward read the output (or does the output alias an input)?
    saved_versions: tuple = ()          # (array, its storage's version) for each of those, at forward time
    cuda_index: int | None = None       # the GPU the inputs are on (forward and backward run there); None: CPU
    # torch's name for the node (what ``grad_fn`` prints) where it is not "<ClassName>Backward0": a class
    # attribute (Square: "PowBackward0"), or set on the node with ``named()`` where torch's name depends on
    # the call (x.sum(): "SumBackward0", x.sum(0): "SumBackward1"; x[0]: "SelectBackward0").
    torch_name: str | None = None

    def __new__(cls, *args, **kwargs):
        """Build the variant of this op that runs now: its fast variant in fast mode (see ``_kernels``)."""
        return object.__new__(kernel(cls))

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad_output):
        """Return one gradient array (or None) per input, in the order of ``inputs``."""
        raise NotImplementedError

    def name(self) -> str:
        """The node's name, as torch's ``grad_fn.name()``: ``TanhBackward0``, ``AddmmBackward0`` ..."""
        return self.torch_name or type(self).__name__ + "Backward0"

    def named(self, torch_name: str) -> "Function":
        """Give this node torch's name for the op it runs; returns the node, as in
        ``Reshape(shape).named("UnsqueezeBackward0")(x)``."""
        self.torch_name = torch_name
        return self

    @property
    def next_functions(self) -> tuple:
        """``(node, 0)`` per input as in torch: its grad_fn, a leaf's ``AccumulateGrad``, or None."""
        return tuple((_next_node(x, creator, wants), 0)
                     for x, creator, wants in zip(self.inputs, self.input_creators, self.input_wants_grad))

    def __repr__(self):
        return f"<{short_name(self)} object at {id(self):#x}>"

    def __call__(self, *inputs):
        arrays = [_unwrap(x) for x in inputs]
        index = _cuda_index(inputs)
        if index is None:
            output = Tensor._wrap(self.forward(*arrays))
        else:                                   # run on the inputs' GPU, and remember it for backward
            self.cuda_index = index
            with cuda_context(index):
                output = Tensor._wrap(self.forward(*arrays))
        if _GradMode.enabled and any(getattr(x, "requires_grad", False) for x in inputs):
            self._record(inputs, arrays, output)
        return output

    def _record(self, inputs: tuple, arrays: list, output: "Tensor") -> None:
        """Link ``output`` into the graph: this node, its input edges, and what backward will read."""
        _check_views_current(inputs)
        creators, wants_grad, generation = [], [], 0
        for x in inputs:
            creator = getattr(x, "grad_fn", None)
            creators.append(creator)
            wants_grad.append(getattr(x, "requires_grad", False))
            if creator is not None and creator.generation > generation:
                generation = creator.generation
        self.inputs, self.input_creators, self.input_wants_grad = inputs, tuple(creators), tuple(wants_grad)
        self.generation = generation + 1
        self.saved_versions = self._versions_of_saved(arrays, output.array)
        if getattr(output.array, "base", None) is not None or not isinstance(output.array, np.ndarray):
            output._base = _viewed_input(inputs, output.array)      # (a NumPy array that owns its memory is no view)
            if output._base is not None:
                output._base_version = version_of(output.array)
        output.requires_grad = True
        output.grad_fn = self

    def _versions_of_saved(self, arrays, output) -> tuple:
        """The storage versions of the inputs and output that backward will read."""
        saved = [arrays[i] for i in self.saved_input_positions()
                 if i < len(arrays) and isinstance(self.inputs[i], Tensor)]
        if self.saves_output:
            saved.append(output)
        return tuple([(a, version_of(a)) for a in saved]) if saved else ()

    def saved_input_positions(self):
        """Positions of the inputs backward reads: ``saved_inputs``, or all of them when that is None."""
        return range(len(self.inputs)) if self.saved_inputs is None else self.saved_inputs

    def check_saved_versions(self) -> None:
        """Raise torch's error if something backward needs was changed in place after the forward pass."""
        for array, version in self.saved_versions:
            now = version_of(array)
            if now != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{Tensor._wrap(array).type()} {list(array.shape)}], which is used by "
                    f"{self.name()}, is at version {now}; expected version {version} instead. Change a copy "
                    "(x = x.clone()) or the out-of-place form (x = x + y) instead.")

    @classmethod
    def apply(cls, *args):
        """Run a torch-style custom Function (static ``forward(ctx, ...)``/``backward(ctx, ...)`` on
        tensors): see ``custom_function.py``."""
        from . import custom_function   # (it builds on Function, its node subclasses it: imported on use)
        return custom_function.run_custom_function(cls, args)

    def needs_grad(self, i: int) -> bool:
        """Does input ``i`` want a gradient? Backward skips work for those that don't."""
        return self.input_wants_grad[i]

    def release(self) -> None:
        """Free the inputs and saved arrays (the node keeps its name); a later backward through it raises."""
        torch_name = self.__dict__.get("torch_name")
        self.__dict__.clear()
        self.released = True
        if torch_name is not None:
            self.torch_name = torch_name


def _check_views_current(inputs) -> None:
    """Refuse a view whose base was changed in place after the view was made: its values are the new
    ones, but its recorded history is the old one (torch would rebuild the history; tinynn cannot)."""
    for x in inputs:
        if getattr(x, "_base", None) is not None and version_of(x.array) != x._base_version:
            raise RuntimeError(
                f"a view (shape {list(x.shape)}) is used after the tensor it views was changed in place, "
                "while gradients are recorded; its recorded history no longer matches its values. Make the "
                "view again after the change.")


def _viewed_input(inputs, output):
    """The input tensor whose memory ``output`` shares (a view: reshape, permute, x[0] ...), else None."""
    storage = storage_of(output)
    return next((x for x in inputs if isinstance(x, Tensor) and storage_of(x.array) is storage), None)


def _unwrap(x):
    return x.array if isinstance(x, Tensor) else x


def _cuda_index(inputs) -> int | None:
    """The GPU that the tensors among ``inputs`` are on; None when they are on the CPU.

    Tensors on two devices (the CPU and a GPU, or two GPUs) get torch's error,
    naming both. The CPU path costs one set of array types, as before.
    """
    kinds = {type(x.array) for x in inputs if isinstance(x, Tensor)}
    if np.ndarray in kinds and len(kinds) == 1 or not kinds:
        return None
    indices = {cuda_index_of(x.array) for x in inputs if isinstance(x, Tensor)}
    if len(indices) > 1:
        names = list(dict.fromkeys(str(x.device) for x in inputs if isinstance(x, Tensor)))
        raise mixed_devices_error(names[0], names[1])
    return indices.pop()


class AccumulateGrad:
    """The graph node of a leaf that requires grad, as torch's: ``variable`` is the leaf.

    The engine adds gradients into ``leaf.grad`` itself; these nodes exist so
    that a walk along ``next_functions`` (torchviz, graph printers) ends at
    the leaves as it does in torch. One leaf has one node while any is held.
    """

    next_functions: tuple = ()

    def __init__(self, variable: "Tensor"):
        self.variable = variable

    def name(self) -> str:
        """As torch's ``torch::autograd::AccumulateGrad``, with tinynn's name."""
        return "tinynn::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<{short_name(self)} object at {id(self):#x}>"


def short_name(node) -> str:
    """A node's name as torch prints it in ``<... object at 0x...>`` and ``grad_fn=<...>``: ``name()``
    without a namespace (``tinynn::autograd::CopySlices`` -> ``CopySlices``)."""
    return node.name().rpartition("::")[2]


# id(leaf) -> its AccumulateGrad; the node holds the leaf, so the id stays the leaf's while the entry lives
_accumulators: "weakref.WeakValueDictionary[int, AccumulateGrad]" = weakref.WeakValueDictionary()


def _next_node(x, creator, wants_grad):
    """What ``next_functions`` shows for one input: its grad_fn, its leaf's AccumulateGrad, or None."""
    if not isinstance(x, Tensor) or not wants_grad:
        return None
    if creator is not None:
        return creator
    node = _accumulators.get(id(x))
    if node is None:
        node = _accumulators[id(x)] = AccumulateGrad(x)
    return node

