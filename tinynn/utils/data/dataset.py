"""Datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset`` and ``random_split``.

A dataset is anything with ``__len__`` and ``__getitem__(i)`` that returns one
sample (often an ``(input, target)`` pair). A dataset may also offer
``__getitems__(indices)``, which returns the list of samples for a whole batch
in one call (PyTorch's convention): ``DataLoader`` uses it when present, so an
array-backed dataset can fetch a batch with one NumPy fancy-index instead of
``batch_size`` Python calls.
"""
from __future__ import annotations

import bisect
import math
import warnings
from itertools import accumulate
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from ..._device import device_of, get_array_module, on_device_of, to_device
from .. import _arrays


class Dataset:
    """Base class of map-style datasets, as ``torch.utils.data.Dataset``.

    Subclasses implement ``__getitem__(index)`` and usually ``__len__()``;
    they may add ``__getitems__(indices)`` to fetch a batch at once.
    ``a + b`` concatenates two datasets into a ``ConcatDataset``.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


def _first_dim(obj: Any) -> int:
    shape = getattr(obj, "shape", None)
    if shape is None or len(shape) == 0:
        raise ValueError(f"TensorDataset needs tensors with at least one dimension, got {type(obj).__name__} "
                         f"with shape {tuple(shape) if shape is not None else None}")
    return shape[0]


class TensorDataset(Dataset):
    """A dataset of tensors that share their first dimension; sample ``i`` is ``tuple(t[i] for t in tensors)``.

    ``TensorDataset(images, labels)[3]`` is ``(images[3], labels[3])``. Its
    ``__getitems__`` indexes each tensor once per batch.
    """

    def __init__(self, *tensors: Any):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [_first_dim(t) for t in tensors]
        if any(size != sizes[0] for size in sizes):
            raise ValueError(f"Size mismatch between tensors: first dimensions are {sizes}; "
                             "all tensors of a TensorDataset must have the same length")
        self.tensors = tuple(tensors)

    def __len__(self) -> int:
        return _first_dim(self.tensors[0])

    def __getitem__(self, index: int) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices: Sequence[int]) -> list[tuple]:
        """The samples at ``indices``: one fancy-index per tensor, then split into per-sample views."""
        columns = [_rows(t, indices) for t in self.tensors]
        return list(zip(*columns))

    def _batch_gatherer(self) -> "BatchGatherer | None":
        """A ``BatchGatherer`` that builds this dataset's batches in one indexing operation per tensor,
        or None when some tensor must take the per-sample path: one that requires grad (the batch
        keeps its graph), or anything that is not a numeric array or tensor (collate decides).
        None too for a subclass that changes how samples are fetched."""
        if not _fetches_as(self, TensorDataset):
            return None
        arrays = []
        for t in self.tensors:
            tensor = _arrays.is_tensor(t)
            if tensor and t.requires_grad:
                return None
            array = t.array if tensor else t
            if not (tensor or isinstance(array, np.ndarray)) or array.dtype.kind not in "biufc":
                return None
            arrays.append(array)
        return BatchGatherer(arrays)


def _fetches_as(dataset: Any, cls: type) -> bool:
    """Does ``dataset`` fetch its samples with ``cls``'s own ``__getitem__`` and ``__getitems__``?"""
    kind = type(dataset)
    return kind.__getitem__ is cls.__getitem__ and kind.__getitems__ is cls.__getitems__


class BatchGatherer:
    """Batches of a ``TensorDataset`` as ``default_collate`` would build them from its samples (a
    list of one batch tensor per dataset tensor), made with one indexing operation per tensor
    instead of splitting the rows into samples and stacking them again. ``DataLoader`` uses it.

    Indices are 1-D int64 NumPy arrays. For tensors on a GPU the indices are copied there once
    per call of ``batches`` (an epoch), and each batch reads a slice of that copy.
    """

    def __init__(self, arrays: list, subsets: tuple = ()):
        self.arrays = arrays
        self.subsets = subsets                # the indices of each Subset on the way, outermost first

    def through(self, positions: np.ndarray) -> "BatchGatherer":
        """The gatherer of the subset of samples at ``positions`` (sample k is sample ``positions[k]``)."""
        return BatchGatherer(self.arrays, (positions,) + self.subsets)

    def _to_rows(self, index: np.ndarray) -> np.ndarray:
        """Indices into the tensors' rows, through the subsets, each checked as indexing it would be."""
        for positions in self.subsets:
            _check_bounds(index, len(positions))
            index = positions[index]
        _check_bounds(index, len(self.arrays[0]))
        return index

    def __call__(self, index: np.ndarray) -> list:
        """The batch of the samples at ``index``."""
        return self._take(self._to_rows(index), {})

    def batches(self, order: np.ndarray, batch_size: int, stop: int) -> Iterator[list]:
        """The batches of ``order[start:start + batch_size]`` for ``start`` in ``range(0, stop, batch_size)``."""
        rows = self._to_rows(order)
        on_device: dict = {}
        for array in self.arrays:             # the whole order copied to each GPU once
            if not isinstance(array, np.ndarray) and device_of(array) not in on_device:
                on_device[device_of(array)] = to_device(rows, device_of(array))
        for start in range(0, stop, batch_size):
            part = slice(start, start + batch_size)
            yield self._take(rows[part], {dev: index[part] for dev, index in on_device.items()})

    def _take(self, rows: np.ndarray, on_device: dict) -> list:
        """One batch: ``array[rows]`` for each array, with ``on_device[dev]`` as the index on GPU ``dev``
        (copied there now if missing)."""
        batch = []
        for array in self.arrays:
            if isinstance(array, np.ndarray):
                batch.append(_arrays.wrap(array[rows]))
                continue
            dev = device_of(array)
            if dev not in on_device:
                on_device[dev] = to_device(rows, dev)
            with on_device_of(array):
                batch.append(_arrays.wrap(array[on_device[dev]]))
        return batch


def _rows(t: Any, indices: Sequence[int]) -> list:
    """``[t[i] for i in indices]``, with one fancy-index when ``t`` is an array or a tensor without grad."""
    tensor = _arrays.is_tensor(t)
    if not (isinstance(t, np.ndarray) or (tensor and not t.requires_grad)):
        return [t[i] for i in indices]  # anything else indexable; keeps autograd for tensors with grad
    array = t.array if tensor else t
    index = np.asarray(indices, dtype=np.int64)
    _check_bounds(index, len(array))
    if not isinstance(array, np.ndarray):  # a CuPy array: move the index to its device
        index = get_array_module(array).asarray(index)
    batch = array[index]
    if tensor:
        return [_arrays.wrap(batch[k]) for k in range(len(batch))]
    return list(batch)


def _check_bounds(index, size: int) -> None:
    """Raise IndexError (as ``t[i]`` would) for an index outside ``[-size, size)``."""
    if index.size and (int(index.min()) < -size or int(index.max()) >= size):
        bad = [int(i) for i in index.tolist() if not -size <= i < size][0]
        raise IndexError(f"index {bad} is out of bounds for a dataset of size {size}")


def _as_index_list(indices: Any) -> Sequence[int]:
    """Indices as a Python sequence of ints (a Tensor or ndarray becomes a list)."""
    if _arrays.is_tensor(indices) or isinstance(indices, np.ndarray):
        array = np.asarray(indices)
        if array.ndim != 1 or array.dtype.kind not in "iu":
            raise TypeError(f"Subset indices must be a 1-D sequence of ints, got an array of "
                            f"dtype {array.dtype} and shape {array.shape}")
        return array.tolist()
    return indices


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``Subset(d, idx)[k] == d[idx[k]]``.

    When ``dataset`` has ``__getitems__``, so does the subset (it maps the
    indices and forwards them), so a ``DataLoader`` over a subset of an
    array-backed dataset still fetches each batch in one call.
    """

    def __init__(self, dataset: Any, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = _as_index_list(indices)

    def __getitem__(self, idx: int | list[int]) -> Any:
        if isinstance(idx, list):
            return self.__getitems__(idx)
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: Sequence[int]) -> list:
        """The samples at ``indices`` of the subset, fetched from the dataset in one call when it allows."""
        mapped = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(mapped)
        return [self.dataset[i] for i in mapped]

    def _batch_gatherer(self) -> "BatchGatherer | None":
        """The dataset's ``BatchGatherer`` reading through this subset's indices, or None."""
        if not _fetches_as(self, Subset):
            return None
        make = getattr(self.dataset, "_batch_gatherer", None)
        gatherer = make() if callable(make) else None
        return None if gatherer is None else gatherer.through(np.asarray(self.indices, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another: indices ``0..len(a)-1`` reach ``a``, the next ones ``b``, ...

    ``cumulative_sizes[k]`` is the total length of the first ``k + 1`` datasets.
    """

    def __init__(self, datasets: Iterable[Any]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset, got an empty iterable")
        for d in self.datasets:
            if not hasattr(d, "__len__"):
                raise TypeError(f"ConcatDataset needs datasets with a length; {type(d).__name__} has no __len__")
        self.cumulative_sizes = list(accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise IndexError(f"index {idx} is out of range for a ConcatDataset of length {len(self)}")
            idx += len(self)
        if idx >= len(self):
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length {len(self)}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


def _lengths_from_fractions(fractions: Sequence[float], total: int) -> list[int]:
    """Turn fractions summing to 1 into lengths summing to ``total`` (torch's rule)."""
    lengths = [math.floor(total * f) for f in fractions]
    remainder = total - sum(lengths)
    for i in range(remainder):  # hand the leftovers out round-robin, as torch does
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
    return lengths


def random_split(dataset: Any, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset`` s of the given lengths.

    ``lengths`` are either counts that add up to ``len(dataset)`` or fractions
    that add up to 1 (each count is then ``floor(len * fraction)``, and the
    leftover samples go one each to the first splits). The permutation comes
    from ``generator`` (a ``tinynn.Generator``), or from tinynn's default
    generator, so ``tinynn.manual_seed`` makes the split reproducible.
    """
    from ...random import get_rng

    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split needs at least one length")
    total = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, f in enumerate(lengths):
            if not 0 <= f <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1: {f}")
        lengths = _lengths_from_fractions(lengths, total)
    if any(not isinstance(n, (int, np.integer)) or n < 0 for n in lengths):
        raise ValueError(f"random_split lengths must be non-negative ints or fractions summing to 1, got {lengths}")
    if sum(lengths) != total:
        raise ValueError(f"Sum of input lengths ({sum(lengths)}) does not equal the length of the "
                         f"input dataset ({total})")
    order = get_rng(generator).permutation(total).tolist()
    return [Subset(dataset, order[end - n:end]) for end, n in zip(accumulate(lengths), lengths)]
