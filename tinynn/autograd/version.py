"""Version counters: how autograd notices that a saved value was changed in place.

Backward needs some of the values the forward pass saw (``y = a * b`` needs
``a`` and ``b``). If one of them is changed in place before backward runs
(``b.add_(1)``, an optimizer step, ``y.zero_()``), the gradient computed from
it would be wrong without a word. So, as in torch, every storage has a version
that each in-place change increments; an op records the versions of what it
saves, and backward refuses to run when one has moved.

A storage is the array that owns the memory: views (``x.view(...)``, ``x[0]``,
``x.t()``, ``x.detach()``) share their base's storage and so its version.
Only storages that have been changed in place are counted (in ``_changes``);
every other storage is at version 0.
"""
from __future__ import annotations

import weakref

import numpy as np

_changes: dict[int, int] = {}          # id(storage) -> in-place changes so far (absent: 0)


def storage_of(array):
    """What owns ``array``'s memory: for NumPy the base array of a view (else ``array`` itself);
    for CuPy the allocation (``array.data.mem``) that every view of it shares."""
    if isinstance(array, np.ndarray):
        while getattr(array, "base", None) is not None:
            array = array.base
        return array
    memory = getattr(getattr(array, "data", None), "mem", None)
    return array if memory is None else memory


def version_of(array) -> int:
    """How many times the storage behind ``array`` has been changed in place."""
    return _changes.get(id(storage_of(array)), 0)


def bump_version(array) -> None:
    """Record one in-place change of the storage behind ``array``."""
    storage = storage_of(array)
    key = id(storage)
    count = _changes.get(key)
    if count is None:                  # first change: forget the count when the storage is freed
        try:
            weakref.finalize(storage, _changes.pop, key, None)
        except TypeError:              # storage that cannot be weakly referenced (bytes): keep the count
            pass
        count = 0
    _changes[key] = count + 1
