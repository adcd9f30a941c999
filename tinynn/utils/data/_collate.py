"""``default_collate``: turn a list of samples into one batch.

``[(img0, 3), (img1, 7)]`` becomes ``[stack([img0, img1]), tensor([3, 7])]``:
the samples are "transposed" field by field and each field is stacked.

- Tensors and NumPy arrays are stacked along a new first dimension (as a
  Tensor on the tensors' device; dtypes are kept, so float32 stays float32).
- Python ints become an int64 tensor, floats a float32 tensor, bools a bool
  tensor; NumPy scalars keep their dtype.
- Strings and bytes are left as a list.
- Tuples and lists are collated position by position (a list comes back, as
  in PyTorch), namedtuples keep their type, dicts key by key.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..._device import get_array_module
from .. import _arrays


def _shape_str(shape: tuple) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _mismatch(what: str, first, other, k: int) -> RuntimeError:
    if other.shape != first.shape:
        return RuntimeError(f"default_collate: stack expects each {what} to be equal size, but got "
                            f"{_shape_str(first.shape)} at entry 0 and {_shape_str(other.shape)} at entry {k}")
    return RuntimeError(f"default_collate: cannot stack {what}s on different devices (entry 0 is a "
                        f"{type(first).__module__} array, entry {k} a {type(other).__module__} array)")


def _stack(arrays: list):
    """Stack same-shaped arrays (checked by the caller) into a new Tensor on their device.

    ``concatenate`` + ``reshape`` is ``stack`` without the per-array views that
    ``numpy.stack`` makes, which matters for batches of small images.
    """
    first = arrays[0]
    xp = get_array_module(first)
    if first.ndim == 0:
        return _arrays.wrap(xp.stack(arrays))
    return _arrays.wrap(xp.concatenate(arrays).reshape(len(arrays), *first.shape))


def _collate_arrays(batch: Sequence[Any]):
    first = batch[0]
    for k, a in enumerate(batch):
        if not isinstance(a, np.ndarray):
            raise TypeError("default_collate: entry 0 is a numpy array but not every entry is; "
                            f"entry {k} is a {type(a).__name__}")
        if a.shape != first.shape:
            raise _mismatch("array", first, a, k)
    return _stack(list(batch))


def _collate_tensors(batch: Sequence[Any]):
    Tensor = _arrays.tensor_type()
    first = batch[0].array
    shape, on_cpu = first.shape, isinstance(first, np.ndarray)
    arrays, needs_grad = [], False
    for k, t in enumerate(batch):
        if not isinstance(t, Tensor):
            raise TypeError("default_collate: entry 0 is a Tensor but not every entry is; "
                            f"entry {k} is a {type(t).__name__}")
        a = t.array
        if a.shape != shape or isinstance(a, np.ndarray) != on_cpu:
            raise _mismatch("tensor", first, a, k)
        needs_grad = needs_grad or t.requires_grad
        arrays.append(a)
    if needs_grad:
        import tinynn
        return tinynn.stack(list(batch), 0)  # keeps the autograd graph
    return _stack(arrays)


def _collate_numbers(batch: Sequence[Any]):
    """Python numbers: all bools give a bool tensor, all ints int64, ints mixed with floats float32."""
    if all(isinstance(x, bool) for x in batch):
        dtype = np.bool_
    elif all(isinstance(x, int) for x in batch):
        dtype = np.int64
    elif all(isinstance(x, (int, float)) for x in batch):
        dtype = np.float32
    else:
        raise TypeError("default_collate: entry 0 is a Python number but not every entry is; "
                        f"found {sorted({type(x).__name__ for x in batch})}")
    return _arrays.wrap(np.array(batch, dtype=dtype))


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch (see the module docstring for the rules).

    Raises a ``TypeError`` for an element type it does not know and a
    ``RuntimeError`` naming the shapes when tensors or arrays differ in shape.
    """
    if not isinstance(batch, Sequence) or isinstance(batch, (str, bytes)):
        raise TypeError(f"default_collate expects a list of samples, got {type(batch).__name__}")
    if len(batch) == 0:
        raise ValueError("default_collate got an empty batch")
    elem = batch[0]
    elem_type = type(elem)

    if _arrays.is_tensor(elem):
        return _collate_tensors(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OUSV":
            raise TypeError(f"default_collate: cannot batch numpy arrays of dtype {elem.dtype}")
        return _collate_arrays(batch)
    if isinstance(elem, np.generic) and elem.dtype.kind not in "OUSV":  # numpy scalars keep their dtype
        return _arrays.wrap(np.array(batch))
    if isinstance(elem, (bool, int, float)):
        return _collate_numbers(batch)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return elem_type(collated)
        except TypeError:  # a Mapping type that cannot be built from a dict
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        for k, sample in enumerate(batch):
            if len(sample) != size:
                raise RuntimeError(f"default_collate: each element in list of batch should be of equal size, "
                                   f"but entry 0 has {size} fields and entry {k} has {len(sample)}")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {elem_type.__name__}")


def default_convert(data: Any) -> Any:
    """Used when ``batch_size=None``: NumPy arrays become Tensors, containers are converted inside; the rest is kept."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OUSV":
        return _arrays.wrap(data)
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(default_convert(d) for d in data)
    return data
