"""``DataLoader``: iterate over a dataset in (shuffled) mini-batches.

Each epoch the loader asks its batch sampler for the indices of the next
batch, fetches those samples from the dataset and merges them with
``collate_fn`` (``default_collate`` unless given)::

    loader = DataLoader(cifar2, batch_size=64, shuffle=True)
    for imgs, labels in loader:   # imgs: 64 x 3 x 32 x 32, labels: 64 (int64)
        ...

Fetching uses ``dataset.__getitems__(indices)`` when the dataset has it (one
call per batch), and ``[dataset[i] for i in indices]`` otherwise. A
``TensorDataset`` (or a ``Subset`` of one) collated by ``default_collate``
skips both: each batch is gathered with one indexing operation per tensor
(``BatchGatherer``), the same batch without splitting it into samples and
stacking them again; on a GPU that is one kernel per tensor and step.

Everything runs in the calling process: ``num_workers > 0`` is accepted for
compatibility with PyTorch code but loads in-process too (tinynn's datasets
fetch a batch with one vectorised NumPy step, so worker processes would mostly
add pickling cost). ``pin_memory`` is accepted and ignored: pinned host memory
only matters for asynchronous copies to a GPU, which tinynn does not do.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from ...random import Generator
from ._collate import default_collate, default_convert
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Batches of samples from ``dataset``, as ``torch.utils.data.DataLoader`` (single process).

    - ``batch_size``: samples per batch; ``None`` yields single samples (not collated).
    - ``shuffle``: a new random order every epoch (from ``generator`` or
      tinynn's default generator, so ``tinynn.manual_seed`` makes it reproducible).
    - ``sampler`` / ``batch_sampler``: custom index orders (exclusive with ``shuffle``).
    - ``drop_last``: leave out the last, incomplete batch.
    - ``collate_fn``: merges a list of samples into a batch (``default_collate``).
    - ``num_workers``, ``pin_memory``, ``timeout``, ``worker_init_fn``,
      ``multiprocessing_context``, ``prefetch_factor``, ``persistent_workers``:
      accepted for compatibility; loading always runs in the calling process.

    ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = False,
                 sampler: Iterable | None = None, batch_sampler: Iterable[Sequence] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None, multiprocessing_context: Any = None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False):
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn

    def _fetch(self, indices: Sequence) -> list:
        """The samples at ``indices``: one ``__getitems__`` call when the dataset offers it."""
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(indices)
        dataset = self.dataset
        return [dataset[i] for i in indices]

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:  # batch_size=None: one sample at a time
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        gather = self._batch_gatherer()
        if gather is not None:
            yield from self._gathered_batches(gather)
            return
        for indices in self.batch_sampler:
            yield self.collate_fn(self._fetch(indices))

    # ------------------------------------------------ fast path: batches gathered, not collated
    def _batch_gatherer(self) -> Any:
        """The dataset's ``BatchGatherer`` when it can build each batch in one indexing operation per
        tensor (a ``TensorDataset``, or a ``Subset`` of one) and the batches would be collated by
        ``default_collate``; None otherwise. It gives the batches that fetching the samples and
        collating them gives, without splitting each batch into samples and stacking them again.
        """
        make = getattr(self.dataset, "_batch_gatherer", None)
        if self.collate_fn is not default_collate or not callable(make):
            return None
        return make()

    def _gathered_batches(self, gather: Any) -> Iterator[Any]:
        """The epoch's batches through ``gather``.

        When the batches are consecutive runs of one finite order (a plain ``BatchSampler`` over
        a ``RandomSampler`` or ``SequentialSampler``), that order is drawn whole, as those
        samplers draw it anyway, and each batch is a slice of it: a dataset on the GPU then
        receives the epoch's indices in one copy instead of one per batch.
        """
        batch_sampler = self.batch_sampler
        if type(batch_sampler) is BatchSampler and type(batch_sampler.sampler) in (RandomSampler, SequentialSampler):
            order = np.asarray(list(batch_sampler.sampler), dtype=np.int64)
            size = batch_sampler.batch_size
            stop = len(order) - len(order) % size if batch_sampler.drop_last else len(order)
            yield from gather.batches(order, size, stop)
            return
        for indices in batch_sampler:
            yield gather(np.asarray(indices, dtype=np.int64))

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        return len(self.sampler)  # type: ignore[arg-type]
