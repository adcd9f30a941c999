"""tinynn.utils.data: datasets, samplers, default_collate and DataLoader (PyTorch's semantics)."""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynn
from tinynn.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, SequentialSampler,
                               Subset, TensorDataset, default_collate, random_split)


class Squares(Dataset):
    """i -> (i, i * i), with a length."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return i % self.n, (i % self.n) ** 2


class Batched(Squares):
    """Squares with ``__getitems__``, recording the index lists it is asked for."""

    def __init__(self, n: int):
        super().__init__(n)
        self.calls: list[list[int]] = []

    def __getitems__(self, indices):
        self.calls.append(list(indices))
        return [self[i] for i in indices]


def images(n: int = 10, seed: int = 0):
    return tinynn.from_numpy(np.random.default_rng(seed).random((n, 3, 4, 4), dtype=np.float32))


# ----------------------------------------------------------------------------- datasets
def test_dataset_base_and_add():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    both = Squares(3) + Squares(2)
    assert isinstance(both, ConcatDataset) and len(both) == 5 and both[3] == (0, 0)


def test_tensor_dataset_indexes_every_tensor():
    x, y = images(10), tinynn.tensor(list(range(10)))
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.numpy(), x.numpy()[4])
    assert yi.item() == 4 and yi.dtype == np.int64
    batch = ds.__getitems__([3, -1, 3])
    for (bx, by), i in zip(batch, [3, 9, 3]):
        assert isinstance(bx, tinynn.Tensor) and bx.dtype == np.float32
        np.testing.assert_array_equal(bx.numpy(), x.numpy()[i])
        assert by.item() == i
    with pytest.raises(IndexError):
        ds.__getitems__([10])
    with pytest.raises(ValueError, match=r"\[10, 9\]"):
        TensorDataset(x, tinynn.tensor(list(range(9))))


def test_tensor_dataset_of_numpy_arrays():
    ds = TensorDataset(np.arange(12).reshape(6, 2), np.arange(6) * 10)
    assert [int(b) for _, b in ds.__getitems__([5, 0])] == [50, 0]
    assert np.array_equal(ds[2][0], [4, 5])


def test_subset_maps_indices_and_forwards_getitems():
    base = Batched(10)
    sub = Subset(base, [7, 2, 5])
    assert len(sub) == 3 and sub[0] == (7, 49) and sub[-1] == (5, 25)
    assert sub.__getitems__([2, 0]) == [(5, 25), (7, 49)]
    assert base.calls == [[5, 7]]  # one call, with the dataset's own indices
    assert Subset(Squares(10), np.array([9, 1])).__getitems__([0, 1]) == [(9, 81), (1, 1)]
    assert Subset(Squares(10), tinynn.tensor([4]))[0] == (4, 16)
    nested = Subset(Subset(base, [9, 8, 7]), [2, 0])
    assert nested.__getitems__([0, 1]) == [(7, 49), (9, 81)] and base.calls[-1] == [7, 9]


def test_concat_dataset():
    ds = ConcatDataset([Squares(2), Squares(0), Squares(3)])
    assert ds.cumulative_sizes == [2, 2, 5] and len(ds) == 5
    assert [ds[i][0] for i in range(5)] == [0, 1, 0, 1, 2]
    assert ds[-1] == (2, 4) and ds[-5] == (0, 0)
    for bad in (5, -6):
        with pytest.raises(IndexError):
            ds[bad]
    with pytest.raises(ValueError):
        ConcatDataset([])


# ----------------------------------------------------------------------------- random_split
@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=5), st.integers(0, 2**31))
def test_random_split_partitions_the_dataset(lengths, seed):
    ds = Squares(sum(lengths))
    parts = random_split(ds, lengths, generator=tinynn.Generator().manual_seed(seed))
    assert [len(p) for p in parts] == lengths
    indices = sum((list(p.indices) for p in parts), [])
    assert sorted(indices) == list(range(len(ds)))
    again = random_split(ds, lengths, generator=tinynn.Generator().manual_seed(seed))
    assert [list(p.indices) for p in again] == [list(p.indices) for p in parts]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 200), st.lists(st.integers(1, 10), min_size=1, max_size=4))
def test_random_split_by_fractions(n, weights):
    fractions = [w / sum(weights) for w in weights]
    if not math.isclose(sum(fractions), 1) or sum(fractions) > 1:
        return
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = random_split(Squares(n), fractions)
    sizes = [len(p) for p in parts]
    assert sum(sizes) == n
    floors = [math.floor(n * f) for f in fractions]
    assert all(s - f in (0, 1) for s, f in zip(sizes, floors))  # floors plus the leftovers, round-robin


def test_random_split_examples_and_errors():
    assert [len(p) for p in random_split(Squares(10), [0.5, 0.3, 0.2])] == [5, 3, 2]
    assert [len(p) for p in random_split(Squares(11), [0.5, 0.5])] == [6, 5]
    tinynn.manual_seed(3)
    a = [list(p.indices) for p in random_split(Squares(8), [4, 4])]
    tinynn.manual_seed(3)
    assert [list(p.indices) for p in random_split(Squares(8), [4, 4])] == a
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(Squares(10), [3, 3])
    with pytest.raises(ValueError):
        random_split(Squares(10), [-1, 11])


# ----------------------------------------------------------------------------- samplers
def test_sequential_and_random_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3] and len(SequentialSampler(range(4))) == 4
    sampler = RandomSampler(range(50), generator=tinynn.Generator().manual_seed(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == list(range(50)) and first != second  # a new order every epoch
    assert list(RandomSampler(range(50), generator=tinynn.Generator().manual_seed(0))) == first
    tinynn.manual_seed(1)
    a = list(RandomSampler(range(20)))
    tinynn.manual_seed(1)
    assert list(RandomSampler(range(20))) == a
    longer = list(RandomSampler(range(5), num_samples=12))
    assert len(longer) == 12 and sorted(longer[:5]) == list(range(5))
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=100))
    assert len(drawn) == 100 and set(drawn) <= {0, 1, 2}
    with pytest.raises(ValueError):
        RandomSampler([])


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 100), st.integers(1, 17), st.booleans())
def test_batch_sampler(n, batch_size, drop_last):
    batches = list(BatchSampler(SequentialSampler(range(n)), batch_size, drop_last))
    assert len(batches) == len(BatchSampler(range(n), batch_size, drop_last))
    assert len(batches) == (n // batch_size if drop_last else math.ceil(n / batch_size))
    flat = sum(batches, [])
    assert flat == list(range(len(flat)))
    assert all(len(b) == batch_size for b in batches[:-1])
    if drop_last:
        assert all(len(b) == batch_size for b in batches)


def test_batch_sampler_checks_its_arguments():
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="batch_size"):
            BatchSampler(range(3), bad, False)
    with pytest.raises(ValueError, match="drop_last"):
        BatchSampler(range(3), 2, 1)


# ----------------------------------------------------------------------------- default_collate
def test_collate_stacks_tensors_and_keeps_float32():
    imgs = [tinynn.from_numpy(np.full((3, 2, 2), i, dtype=np.float32)) for i in range(4)]
    batch = default_collate([(img, i) for i, img in enumerate(imgs)])
    assert isinstance(batch, list) and len(batch) == 2
    x, y = batch
    assert x.shape == (4, 3, 2, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert y.tolist() == [0, 1, 2, 3] and x.numpy()[:, 0, 0, 0].tolist() == [0, 1, 2, 3]
    assert default_collate([1.5, 2]).dtype == np.float32
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([np.float64(1), np.float64(2)]).dtype == np.float64
    assert default_collate([np.zeros(2, np.int32), np.ones(2, np.int32)]).dtype == np.int32
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_collate_containers():
    Point = namedtuple("Point", "x y")
    out = default_collate([{"a": 1, "b": (2.0, np.ones(2))}, {"a": 3, "b": (4.0, np.zeros(2))}])
    assert out["a"].tolist() == [1, 3] and out["b"][0].tolist() == [2.0, 4.0]
    assert out["b"][1].shape == (2, 2)
    p = default_collate([Point(1, 2), Point(3, 4)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]


def test_collate_errors_are_clear():
    with pytest.raises(RuntimeError, match=r"\[3, 2\] at entry 0 and \[3, 3\] at entry 1"):
        default_collate([tinynn.zeros(3, 2), tinynn.zeros(3, 3)])
    with pytest.raises(RuntimeError, match=r"\[2\] at entry 0 and \[3\] at entry 2"):
        default_collate([np.zeros(2), np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (1, 2, 3)])
    with pytest.raises(TypeError, match="NoneType"):
        default_collate([None, None])
    with pytest.raises(TypeError, match="not every entry"):
        default_collate([tinynn.zeros(2), np.zeros(2)])


leaves = st.one_of(st.integers(-5, 5), st.floats(-1, 1, width=32), st.just("s"),
                   st.integers(0, 3).map(lambda k: np.arange(k, dtype=np.float32)))
structures = st.recursive(
    leaves,
    lambda inner: st.one_of(st.tuples(inner, inner), st.lists(inner, min_size=1, max_size=3),
                            st.dictionaries(st.sampled_from("abc"), inner, min_size=1)),
    max_leaves=8)


def _perturb(sample, k):
    """A sample of the same structure with different values."""
    if isinstance(sample, dict):
        return {key: _perturb(v, k) for key, v in sample.items()}
    if isinstance(sample, (tuple, list)):
        return type(sample)(_perturb(v, k) for v in sample)
    if isinstance(sample, np.ndarray):
        return sample + k
    if isinstance(sample, str):
        return sample * (k + 1)
    return sample + k


def _check(collated, samples):
    first = samples[0]
    if isinstance(first, dict):
        assert set(collated) == set(first)
        for key in first:
            _check(collated[key], [s[key] for s in samples])
    elif isinstance(first, (tuple, list)):
        assert isinstance(collated, list) and len(collated) == len(first)
        for i, c in enumerate(collated):
            _check(c, [s[i] for s in samples])
    elif isinstance(first, str):
        assert collated == samples
    else:
        assert isinstance(collated, tinynn.Tensor)
        expected = np.stack([np.asarray(s) for s in samples])
        assert collated.shape == expected.shape
        kind = {int: np.int64, float: np.float32}.get(type(first), expected.dtype)
        assert collated.dtype == kind
        np.testing.assert_allclose(collated.numpy(), expected.astype(kind), rtol=1e-6)


@settings(max_examples=60, deadline=None)
@given(structures, st.integers(1, 4))
def test_collate_any_structure(sample, n):
    samples = [_perturb(sample, k) for k in range(n)]
    _check(default_collate(samples), samples)


# ----------------------------------------------------------------------------- DataLoader
@settings(max_examples=40, deadline=None)
@given(st.integers(1, 70), st.integers(1, 16), st.booleans(), st.booleans())
def test_loader_length_and_coverage(n, batch_size, shuffle, drop_last):
    loader = DataLoader(Squares(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    batches = list(loader)
    assert len(batches) == len(loader) == (n // batch_size if drop_last else math.ceil(n / batch_size))
    seen = [int(i) for xb, _ in batches for i in xb.tolist()]
    assert len(seen) == len(set(seen)) == (n // batch_size * batch_size if drop_last else n)
    if not shuffle:
        assert seen == list(range(len(seen)))


def test_loader_over_tensor_int_pairs_as_in_the_seeds():
    data = images(10)
    cifar2 = [(data[i], i % 2) for i in range(10)]
    loader = DataLoader(cifar2, batch_size=4, shuffle=True, pin_memory=True)
    assert len(loader) == 3
    sizes = []
    for imgs, labels in loader:
        assert isinstance(imgs, tinynn.Tensor) and imgs.dtype == np.float32 and labels.dtype == np.int64
        sizes.append(imgs.shape[0])
        assert imgs.shape[1:] == (3, 4, 4)
    assert sizes == [4, 4, 2]


def test_loader_reshuffles_each_epoch_and_is_reproducible():
    def epochs(loader, k=3):
        return [[int(v) for xb, _ in loader for v in xb.tolist()] for _ in range(k)]

    tinynn.manual_seed(0)
    a = epochs(DataLoader(Squares(30), batch_size=7, shuffle=True))
    tinynn.manual_seed(0)
    b = epochs(DataLoader(Squares(30), batch_size=7, shuffle=True))
    assert a == b and a[0] != a[1] and sorted(a[0]) == list(range(30))
    c = epochs(DataLoader(Squares(30), batch_size=7, shuffle=True, generator=tinynn.Generator().manual_seed(5)))
    tinynn.manual_seed(99)  # the default generator does not affect a loader with its own
    d = epochs(DataLoader(Squares(30), batch_size=7, shuffle=True, generator=tinynn.Generator().manual_seed(5)))
    assert c == d


def test_loader_uses_getitems_once_per_batch():
    ds = Batched(10)
    batches = list(DataLoader(ds, batch_size=4))
    assert ds.calls == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[-1][1].tolist() == [64, 81]
    sub = Subset(ds, [9, 8, 7, 6, 5])
    ds.calls.clear()
    list(DataLoader(sub, batch_size=2))
    assert ds.calls == [[9, 8], [7, 6], [5]]


def test_loader_options():
    ds = Squares(10)
    assert [b[0].tolist() for b in DataLoader(ds, batch_sampler=[[3, 1], [0]])] == [[3, 1], [0]]
    assert [x for x, _ in DataLoader(ds, batch_size=None)][:3] == [0, 1, 2]
    assert list(DataLoader(ds, batch_size=3, collate_fn=len)) == [3, 3, 3, 1]
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=4, sampler=[9, 8, 7, 6, 5])] == [[9, 8, 7, 6], [5]]
    assert len(DataLoader(ds, batch_size=None)) == 10
    in_process = DataLoader(ds, batch_size=3, num_workers=4, pin_memory=True, persistent_workers=True)
    assert [b[1].tolist() for b in in_process] == [b[1].tolist() for b in DataLoader(ds, batch_size=3)]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)


def test_loader_over_a_tensor_dataset():
    x, y = images(9), tinynn.tensor([float(i) for i in range(9)])
    (xb, yb), = list(DataLoader(TensorDataset(x, y), batch_size=9))
    np.testing.assert_array_equal(xb.numpy(), x.numpy())
    assert yb.dtype == np.float32 and yb.tolist() == list(range(9))


@pytest.mark.gpu
def test_collate_keeps_gpu_tensors_on_the_gpu():
    if not tinynn.cuda.is_available():
        pytest.skip("no CUDA device")
    imgs = [images(2, seed=i).to("cuda") for i in range(3)]
    batch = default_collate(imgs)
    assert batch.device.type == "cuda" and batch.shape == (3, 2, 3, 4, 4)
    np.testing.assert_array_equal(batch.cpu().numpy(), np.stack([t.cpu().numpy() for t in imgs]))
