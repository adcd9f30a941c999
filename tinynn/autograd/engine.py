"""The backward pass: walk the graph from the output to the leaves.

Nodes are visited in decreasing ``generation`` (a node's generation is larger
than that of every node that produced its inputs), so each node runs once, after
every gradient flowing into it has been summed. A heap replaces recursion, so
graphs of any depth work.
"""
from __future__ import annotations

import heapq
import itertools

import numpy as np

from .._device import cuda_context, cuda_index_of, device_of, get_array_module, on_device_of, to_device
from .._size import Size
from .._tensor import Tensor
from .function import _check_views_current
from .grad_mode import no_grad


def sum_to(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1)
    grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape) if lead else grad


def run_backward(tensor, gradient, retain_graph: bool = False) -> None:
    """Accumulate d(tensor)/d(leaf) * gradient into ``leaf.grad`` for every leaf."""
    if not tensor.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    with on_device_of(tensor.array):
        if gradient is None:
            if tensor.array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            grad = get_array_module(tensor.array).ones_like(tensor.array)
        else:
            grad = _root_gradient(tensor, gradient)
        if tensor.grad_fn is None:
            _accumulate(tensor, grad.copy())
            return
    _check_views_current([tensor])

    handed_out = {id(grad)}                   # ids of arrays stored in some .grad, or the caller's own
    counter = itertools.count()               # tie-breaker for equal generations
    pending = {tensor.grad_fn: grad}          # node -> gradient of its output so far
    heap = [(-tensor.grad_fn.generation, next(counter), tensor.grad_fn)]
    with no_grad(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):   # inf/nan silently, as torch
        while heap:
            _, _, fn = heapq.heappop(heap)
            if fn.cuda_index is None:
                _run_node(fn, pending, heap, counter, handed_out, retain_graph)
            else:                             # on the GPU its forward ran on
                with cuda_context(fn.cuda_index):
                    _run_node(fn, pending, heap, counter, handed_out, retain_graph)


def _run_node(fn, pending: dict, heap: list, counter, handed_out: set, retain_graph: bool) -> None:
    """Run one node's backward and hand each input's gradient on: into a leaf's ``.grad``, or to its creator."""
    grad_output = pending.pop(fn)
    if fn.released:
        raise RuntimeError(
            "Trying to backward through the graph a second time (or directly access saved "
            "tensors after they have already been freed). Saved intermediate values of the "
            "graph are freed when you call .backward(). Specify retain_graph=True if you need "
            "to backward through the graph a second time.")
    fn.check_saved_versions()
    if fn.retained_output is not None and fn.retained_output() is not None:
        _accumulate(fn.retained_output(), grad_output, handed_out)
    grads = fn.backward(grad_output)
    for x, creator, wants_grad, g in zip(fn.inputs, fn.input_creators, fn.input_wants_grad, grads):
        if g is None or not wants_grad:
            continue
        g = sum_to(g, x.array.shape)
        if creator is None:
            _accumulate(x, g, handed_out)
        elif creator in pending:
            pending[creator] = pending[creator] + g
        else:
            pending[creator] = g
            heapq.heappush(heap, (-creator.generation, next(counter), creator))
    if not retain_graph:
        fn.release()


def _root_gradient(tensor, gradient):
    """The array of ``backward(gradient)``'s gradient, checked against ``tensor`` as torch does.

    A one-element (0-d) gradient on another device is moved to the tensor's;
    any other gets torch's error naming both devices.
    """
    grad = gradient.array if isinstance(gradient, Tensor) else gradient
    if tuple(grad.shape) != tensor.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[0] has a shape of {Size(grad.shape)} "
            f"and output[0] has a shape of {tensor.shape}.")
    if cuda_index_of(grad) != cuda_index_of(tensor.array):
        if grad.ndim == 0:
            return to_device(grad, tensor.device)
        raise RuntimeError(f"invalid gradient at index 0 - expected device {tensor.device} but got "
                           f"{device_of(grad)}")
    return grad


def _accumulate(tensor, grad, handed_out=None) -> None:
    """``tensor.grad += grad``, creating ``.grad`` on first use.

    One array may be the gradient of several inputs (``a + b`` passes the same
    array to both), so an array already stored in another ``.grad`` is copied.
    """
    if grad.dtype != tensor.array.dtype:
        grad = grad.astype(tensor.array.dtype)
    if tensor.grad is None:
        if handed_out is not None:
            if id(grad) in handed_out or grad.base is not None:
                grad = grad.copy()
            handed_out.add(id(grad))
        tensor.grad = Tensor._wrap(grad)
    else:
        tensor.grad.array = tensor.grad.array + grad
