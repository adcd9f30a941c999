"""CIFAR10 and its file handling: verification, extraction, download, restricted unpickling.

Most tests use tiny datasets written in the real pickle layout (a few images
per batch) with their own checksums patched into ``CIFAR10``; downloads go to
a loopback HTTP server started by the test. The tests at the end use the real
archive at ../shared/data/cifar10 and are skipped when it is absent.
"""
from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import tinynn
from tinynn.utils.data import DataLoader, Subset
from tinynn.vision import datasets, transforms
from tinynn.vision.datasets import utils as dutils
from tinynn.vision.datasets.cifar import CIFAR10

from _cifar_fixtures import (ALL_FILES, CLASSES, FOLDER, LoopbackServer, checksums, cifar_layout_images,
                             class_attributes, make_archive, make_cifar_files, md5, write_files)

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
ARCHIVE = "cifar-10-python.tar.gz"


@pytest.fixture
def tiny(monkeypatch):
    """Tiny CIFAR files (4 images per batch) whose checksums CIFAR10 now expects."""
    files = make_cifar_files(n_per_batch=4)
    for name, value in class_attributes(checksums(files)).items():
        monkeypatch.setattr(CIFAR10, name, value)
    return files


@pytest.fixture
def server(monkeypatch):
    with LoopbackServer() as srv:
        monkeypatch.setattr(CIFAR10, "url", srv.url("/" + ARCHIVE))
        yield srv


def leftovers(root: Path) -> list[str]:
    """Temporary files or folders (downloads, extraction staging) left anywhere under ``root``."""
    return [str(p) for p in Path(root).rglob("*") if p.name.startswith(".") or p.suffix == ".part"]


# ----------------------------------------------------------------------------- loading
def test_loads_files_in_the_real_layout(tmp_path, tiny):
    write_files(tmp_path, tiny)
    train = datasets.CIFAR10(tmp_path, train=True)
    test = datasets.CIFAR10(str(tmp_path), train=False)
    assert len(train) == 20 and len(test) == 4
    assert train.data.shape == (20, 32, 32, 3) and train.data.dtype == np.uint8
    rows = np.concatenate([pickle.loads(tiny[n], encoding="bytes")[b"data"] for n in ALL_FILES[:5]])
    np.testing.assert_array_equal(train.data, cifar_layout_images(rows))
    labels = sum((pickle.loads(tiny[n], encoding="bytes")[b"labels"] for n in ALL_FILES[:5]), [])
    assert train.targets == labels and all(type(t) is int for t in train.targets)
    assert train.classes == CLASSES
    assert train.class_to_idx == {c: i for i, c in enumerate(CLASSES)}
    assert isinstance(train, tinynn.utils.data.Dataset)


def test_getitem_returns_a_pil_image_and_an_int(tmp_path, tiny):
    write_files(tmp_path, tiny)
    ds = datasets.CIFAR10(tmp_path)
    img, label = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(img), ds.data[3])
    assert label == ds.targets[3]
    assert np.array_equal(np.asarray(ds[-1][0]), ds.data[-1])
    assert "Number of datapoints: 20" in repr(ds) and "Split: Train" in repr(ds)


def test_target_transform_as_in_the_seeds(tmp_path, tiny):
    write_files(tmp_path, tiny)
    label_map = {0: 0, 2: 1}
    ds = datasets.CIFAR10(tmp_path, transform=transforms.ToTensor(),
                          target_transform=lambda label: label_map[label] if label in label_map else label)
    for i in range(len(ds)):
        assert ds[i][1] == label_map.get(ds.targets[i], ds.targets[i])
    assert [t for _, t in ds.__getitems__(range(len(ds)))] == [ds[i][1] for i in range(len(ds))]


def pipelines():
    norm = transforms.Normalize(MEAN, STD)
    return {
        "to_tensor": transforms.ToTensor(),
        "normalize": transforms.Compose([transforms.ToTensor(), norm]),
        "nested": transforms.Compose([transforms.Compose([transforms.ToTensor()]), norm]),
        "round_trip": transforms.Compose([transforms.ToTensor(), transforms.ToPILImage(), transforms.ToTensor(), norm]),
        "to_pil": transforms.Compose([transforms.ToTensor(), transforms.ToPILImage()]),
        "no_op_crop": transforms.Compose([transforms.RandomCrop(32), transforms.ToTensor()]),
        "always_flip": transforms.Compose([transforms.RandomHorizontalFlip(p=1.0), transforms.ToTensor(), norm]),
        "empty": transforms.Compose([]),
    }


@pytest.mark.parametrize("name", list(pipelines()))
def test_vectorised_batches_equal_the_per_image_path(tmp_path, tiny, name):
    """``__getitems__`` (one NumPy step) gives exactly what the transform gives on each PIL image."""
    write_files(tmp_path, tiny)
    transform = pipelines()[name]
    ds = datasets.CIFAR10(tmp_path, transform=transform)
    indices = [5, 0, 19, 5, -1]
    batch = ds.__getitems__(indices)
    for (out, label), i in zip(batch, indices):
        expected = transform(Image.fromarray(ds.data[i]))  # the reference: torchvision's per-image path
        assert label == ds.targets[i]
        if isinstance(expected, Image.Image):
            assert isinstance(out, Image.Image) and out.mode == expected.mode
            np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))
        else:
            assert isinstance(out, tinynn.Tensor) and out.dtype == np.float32 == expected.dtype
            np.testing.assert_array_equal(out.numpy(), expected.numpy())
        single = ds[i][0]
        got = np.asarray(single) if isinstance(single, Image.Image) else single.numpy()
        np.testing.assert_array_equal(got, np.asarray(expected) if isinstance(expected, Image.Image)
                                      else expected.numpy())


def test_transforms_that_need_images_use_the_per_image_path(tmp_path, tiny):
    write_files(tmp_path, tiny)
    seen = []
    t = transforms.Compose([transforms.Lambda(lambda img: seen.append(type(img)) or img), transforms.ToTensor()])
    ds = datasets.CIFAR10(tmp_path, transform=t)
    out = ds.__getitems__([1, 2])
    assert len(seen) == 2 and all(issubclass(s, Image.Image) for s in seen)
    np.testing.assert_array_equal(out[0][0].numpy(), transforms.ToTensor()(ds.data[1]).numpy())
    assert isinstance(ds.__getitems__([0])[0][0], tinynn.Tensor)
    plain = datasets.CIFAR10(tmp_path)
    assert all(isinstance(img, Image.Image) for img, _ in plain.__getitems__([0, 1, 2]))


def test_random_transforms_are_reproducible_on_both_paths(tmp_path, tiny):
    write_files(tmp_path, tiny)
    augment = [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor()]
    batched = datasets.CIFAR10(tmp_path, transform=transforms.Compose(augment))
    per_image = datasets.CIFAR10(tmp_path, transform=transforms.Compose([transforms.Lambda(lambda x: x)] + augment))

    def run(ds):
        tinynn.manual_seed(7)
        return np.stack([img.numpy() for img, _ in ds.__getitems__(list(range(20)))])

    for ds in (batched, per_image):
        first, second = run(ds), run(ds)
        np.testing.assert_array_equal(first, second)
        assert first.shape == (20, 3, 32, 32)
    tinynn.manual_seed(8)
    other = np.stack([img.numpy() for img, _ in batched.__getitems__(list(range(20)))])
    assert not np.array_equal(run(batched), other)


def test_dataloader_over_a_subset_fetches_each_batch_in_one_call(tmp_path, tiny, monkeypatch):
    write_files(tmp_path, tiny)
    ds = datasets.CIFAR10(tmp_path, transform=transforms.Compose([transforms.ToTensor(),
                                                                  transforms.Normalize(MEAN, STD)]))
    calls = []
    original = CIFAR10.__getitems__
    monkeypatch.setattr(CIFAR10, "__getitems__", lambda self, idx: calls.append(list(idx)) or original(self, idx))
    keep = [i for i, t in enumerate(ds.targets) if t in (0, 2)] or [0, 1]
    loader = DataLoader(Subset(ds, keep), batch_size=3, shuffle=True)
    seen = []
    for imgs, labels in loader:
        assert imgs.shape[1:] == (3, 32, 32) and imgs.dtype == np.float32 and labels.dtype == np.int64
        seen += labels.tolist()
    assert len(calls) == len(loader) and sorted(sum(calls, [])) == sorted(keep)
    assert sorted(seen) == sorted(ds.targets[i] for i in keep)


# ----------------------------------------------------------------------------- missing / damaged files
def test_missing_files_without_download_name_the_path_and_the_fixes(tmp_path, tiny):
    with pytest.raises(RuntimeError) as err:
        datasets.CIFAR10(tmp_path / "nowhere", download=False)
    message = str(err.value)
    assert str(tmp_path / "nowhere" / FOLDER) in message
    assert "download=True" in message and ARCHIVE in message


def test_a_member_that_fails_verification_names_the_file_and_both_checksums(tmp_path, tiny):
    folder = write_files(tmp_path, tiny)
    bad = bytearray(tiny["data_batch_3"])
    bad[-10] ^= 0xFF
    (folder / "data_batch_3").write_bytes(bytes(bad))
    with pytest.raises(RuntimeError) as err:
        datasets.CIFAR10(tmp_path)
    message = str(err.value)
    assert str(folder / "data_batch_3") in message
    assert md5(bytes(bad)) in message and md5(tiny["data_batch_3"]) in message
    datasets.CIFAR10(tmp_path, train=False)  # the test split does not need that file


def test_only_the_archive_present_extracts_and_verifies_it(tmp_path, tiny):
    (tmp_path / ARCHIVE).write_bytes(make_archive(tiny))
    ds = datasets.CIFAR10(tmp_path, train=False)
    assert len(ds) == 4
    assert sorted(os.listdir(tmp_path / FOLDER)) == sorted(ALL_FILES)
    assert leftovers(tmp_path) == []


def test_an_archive_with_a_bad_member_is_refused_after_extraction(tmp_path, tiny):
    bad = dict(tiny, test_batch=tiny["test_batch"][:-1] + b"!")
    (tmp_path / ARCHIVE).write_bytes(make_archive(bad))
    with pytest.raises(RuntimeError, match="test_batch") as err:
        datasets.CIFAR10(tmp_path, train=False)
    assert md5(bad["test_batch"]) in str(err.value) and md5(tiny["test_batch"]) in str(err.value)


def test_a_damaged_archive_is_named(tmp_path, tiny):
    (tmp_path / ARCHIVE).write_bytes(make_archive(tiny)[:500])
    with pytest.raises(RuntimeError) as err:
        datasets.CIFAR10(tmp_path)
    assert str(tmp_path / ARCHIVE) in str(err.value) and "download=True" in str(err.value)
    assert not (tmp_path / FOLDER / "data_batch_1").exists()
    assert leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- downloads
def test_download_fetches_extracts_and_verifies(tmp_path, tiny, server, capsys):
    server.routes["/" + ARCHIVE] = (200, make_archive(tiny), None)
    ds = datasets.CIFAR10(tmp_path / "data", train=True, download=True)
    assert len(ds) == 20 and server.requests == ["/" + ARCHIVE]
    assert (tmp_path / "data" / ARCHIVE).is_file() and leftovers(tmp_path) == []
    err = capsys.readouterr().err
    assert server.url("/" + ARCHIVE) in err and "100.0%" in err
    datasets.CIFAR10(tmp_path / "data", train=False, download=True)  # verified files: no second request
    assert len(server.requests) == 1


def test_download_replaces_a_bad_member_with_one_fresh_download(tmp_path, tiny, server):
    server.routes["/" + ARCHIVE] = (200, make_archive(tiny), None)
    folder = write_files(tmp_path, tiny)
    (folder / "data_batch_2").write_bytes(b"garbage")
    assert len(datasets.CIFAR10(tmp_path, download=True)) == 20
    assert len(server.requests) == 1


def test_a_source_serving_bad_data_fails_after_one_download(tmp_path, tiny, server):
    bad = dict(tiny, data_batch_1=tiny["data_batch_1"] + b"\0")
    server.routes["/" + ARCHIVE] = (200, make_archive(bad), None)
    with pytest.raises(RuntimeError) as err:
        datasets.CIFAR10(tmp_path, download=True)
    assert len(server.requests) == 1
    message = str(err.value)
    assert "data_batch_1" in message and md5(bad["data_batch_1"]) in message and md5(tiny["data_batch_1"]) in message


@pytest.mark.parametrize("case", ["404", "cut_off"])
def test_failed_downloads_name_the_url_and_leave_nothing_behind(tmp_path, tiny, server, case):
    if case == "cut_off":  # announce twice the size, send half the archive, close the connection
        archive = make_archive(tiny)
        server.routes["/" + ARCHIVE] = (200, archive[:len(archive) // 2], len(archive))
    with pytest.raises(dutils.DownloadError) as err:
        datasets.CIFAR10(tmp_path, download=True)
    message = str(err.value)
    assert server.url("/" + ARCHIVE) in message
    assert "by hand" in message and str(tmp_path / ARCHIVE) in message
    assert ("404" in message) if case == "404" else ("closed after" in message)
    assert not (tmp_path / ARCHIVE).exists() and not (tmp_path / FOLDER).exists()
    assert leftovers(tmp_path) == []
    with pytest.raises(RuntimeError, match="download=True"):  # a later call does not mistake anything for data
        datasets.CIFAR10(tmp_path, download=False)


def test_no_server_listening_is_a_download_error(tmp_path):
    with LoopbackServer() as srv:
        url = srv.url("/" + ARCHIVE)
    with pytest.raises(dutils.DownloadError, match="Could not download"):
        dutils.download_url(url, tmp_path, timeout=5)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- restricted unpickling
class _RunsCode:
    """Pickles to a call of ``os.mkdir`` on a marker path: what a tampered file would do."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_a_tampered_pickle_is_refused_and_runs_nothing(tmp_path, tiny, monkeypatch):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"data": _RunsCode(marker), "labels": []}, protocol=2)
    assert b"mkdir" in payload
    files = dict(tiny, data_batch_1=payload)
    for name, value in class_attributes(checksums(files)).items():  # even with matching checksums
        monkeypatch.setattr(CIFAR10, name, value)
    write_files(tmp_path, files)
    with pytest.raises(pickle.UnpicklingError) as err:
        datasets.CIFAR10(tmp_path)
    assert f"'{os.mkdir.__module__}.mkdir'" in str(err.value) and "data_batch_1" in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize("module, name", [("os", "system"), ("builtins", "eval"), ("numpy", "load"),
                                          ("numpy.core.multiarray", "scalar")])
def test_the_unpickler_allows_only_array_reconstruction(module, name):
    data = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"U\x04echo\x85R."
    with pytest.raises(pickle.UnpicklingError, match=f"'{module}.{name}'"):
        dutils.RestrictedUnpickler(io.BytesIO(data), source="evil.pkl").load()


def test_the_unpickler_reads_numpy_2_pickles_too():
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for protocol in (2, 3, 4):
        data = pickle.dumps({"data": array, "labels": [1, 2, 3]}, protocol=protocol)
        if b"_codecs" in data:  # protocol 2 writes bytes through a codec call: not in real files
            continue
        loaded = dutils.RestrictedUnpickler(io.BytesIO(data)).load()
        np.testing.assert_array_equal(loaded["data"], array)


# ----------------------------------------------------------------------------- safe extraction
def _member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, linkname, 4 if kind == tarfile.REGTYPE else 0
    return info


@pytest.mark.parametrize("member", [
    _member("../escaped.txt"),
    _member(f"{FOLDER}/../../escaped.txt"),
    _member("/tmp/tinynn-escaped-absolute.txt"),
    _member(f"{FOLDER}/link", tarfile.SYMTYPE, "/etc/passwd"),
    _member(f"{FOLDER}/hard", tarfile.LNKTYPE, "../../escaped.txt"),
], ids=["dotdot", "nested_dotdot", "absolute", "symlink", "hardlink"])
def test_extraction_refuses_members_that_escape_root(tmp_path, tiny, member):
    root = tmp_path / "root"
    root.mkdir()
    archive = tmp_path / ARCHIVE
    archive.write_bytes(make_archive({"data_batch_1": b"ok"}, extra=[member]))
    with pytest.raises(dutils.UnsafeArchiveError) as err:
        dutils.extract_archive(archive, root)
    assert repr(member.name) in str(err.value) and str(archive) in str(err.value)
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/tinynn-escaped-absolute.txt").exists()
    assert list(root.iterdir()) == []  # nothing extracted, not even the good members
    (root / ARCHIVE).write_bytes(archive.read_bytes())  # and CIFAR10 lets the error through
    with pytest.raises(dutils.UnsafeArchiveError):
        datasets.CIFAR10(root)


def test_md5_helpers(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc" * 1000)
    assert dutils.calculate_md5(path, chunk_size=7) == md5(b"abc" * 1000)
    assert dutils.check_integrity(path) and dutils.check_integrity(path, md5(b"abc" * 1000))
    assert not dutils.check_integrity(path, "0" * 32) and not dutils.check_integrity(tmp_path / "missing")


# ----------------------------------------------------------------------------- the real archive
REAL = Path(__file__).resolve().parents[2] / "shared/data/cifar10"
requires_real = pytest.mark.skipif(not (REAL / ARCHIVE).is_file(), reason=f"no real CIFAR-10 archive at {REAL}")


@pytest.fixture(scope="session")
def real_root(tmp_path_factory):
    """A root holding only a link to the real archive; the first CIFAR10 extracts it (once per session)."""
    if not (REAL / ARCHIVE).is_file():
        pytest.skip(f"no real CIFAR-10 archive at {REAL}")
    root = tmp_path_factory.mktemp("cifar10")
    os.symlink(REAL / ARCHIVE, root / ARCHIVE)
    datasets.CIFAR10(root, train=False)  # extracts the archive and verifies the official checksums
    return root


@requires_real
def test_real_archive_extracts_to_the_official_files(real_root):
    official = dict(CIFAR10.train_list + CIFAR10.test_list + [(CIFAR10.meta["filename"], CIFAR10.meta["md5"])])
    for name, expected in official.items():
        assert dutils.calculate_md5(real_root / FOLDER / name) == expected
    assert leftovers(real_root) == []


@requires_real
def test_real_data_as_the_seeds_use_it(real_root):
    cifar10 = datasets.CIFAR10(real_root, train=True, download=True)  # verified files: no network
    cifar10_val = datasets.CIFAR10(real_root, train=False, download=False)
    assert len(cifar10) == 50000 and len(cifar10_val) == 10000
    assert cifar10.classes == CLASSES
    assert np.bincount(cifar10.targets).tolist() == [5000] * 10
    assert np.bincount(cifar10_val.targets).tolist() == [1000] * 10
    assert cifar10[99][1] == 1 and cifar10[50][1] == 9 and cifar10[3199][1] == 9  # as printed in the seeds
    img, label = cifar10[99]
    assert isinstance(img, Image.Image) and img.size == (32, 32)


def channel_stats(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact per-channel mean and (sample) std of uint8 N x H x W x C pixels scaled to [0, 1], from histograms."""
    means, stds = [], []
    for c in range(data.shape[-1]):
        counts = np.bincount(data[..., c].ravel(), minlength=256).astype(np.float64)
        values, n = np.arange(256) / 255.0, counts.sum()
        mean = (counts * values).sum() / n
        means.append(mean)
        stds.append(np.sqrt((counts * (values - mean) ** 2).sum() / (n - 1)))
    return np.array(means), np.array(stds)


@requires_real
def test_real_data_normalisation_and_batching_as_in_the_seeds(real_root):
    # Seed 000's per-channel statistics, run on the test split to keep the suite quick, checked
    # against NumPy on the raw pixels; the training split's values are the seeds' constants.
    tensor_cifar10 = datasets.CIFAR10(real_root, train=False, download=False, transform=transforms.ToTensor())
    img_t, _ = tensor_cifar10[99]
    assert img_t.shape == (3, 32, 32) and img_t.dtype == tinynn.float32
    imgs = tinynn.stack([img_t for img_t, _ in tensor_cifar10], dim=3)
    assert imgs.shape == (3, 32, 32, 10000)
    mean, std = imgs.view(3, -1).mean(dim=1), imgs.view(3, -1).std(dim=1)
    ref_mean, ref_std = channel_stats(tensor_cifar10.data)
    np.testing.assert_allclose(mean.numpy(), ref_mean, atol=1e-5)
    np.testing.assert_allclose(std.numpy(), ref_std, atol=1e-5)
    del imgs
    np.testing.assert_allclose(channel_stats(datasets.CIFAR10(real_root, train=True).data), (MEAN, STD), atol=1e-4)

    cifar10 = datasets.CIFAR10(real_root, train=True, download=False,
                               transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)]))
    label_map = {0: 0, 2: 1}
    cifar2 = [(img, label_map[label]) for img, label in cifar10 if label in [0, 2]]
    assert len(cifar2) == 10000
    train_loader = DataLoader(cifar2, batch_size=64, shuffle=True, pin_memory=True)
    assert len(train_loader) == 157
    count = 0
    for imgs, labels in train_loader:
        assert imgs.dtype == np.float32 and labels.dtype == np.int64
        count += labels.shape[0]
    assert count == 10000 and imgs.shape == (10000 - 156 * 64, 3, 32, 32)

    keep = [i for i, t in enumerate(cifar10.targets) if t in (0, 2)]
    subset_loader = DataLoader(Subset(cifar10, keep), batch_size=64, shuffle=False)
    first_imgs, first_labels = next(iter(subset_loader))
    np.testing.assert_array_equal(first_imgs.numpy(), np.stack([cifar2[k][0].numpy() for k in range(64)]))
    assert [label_map[t] for t in first_labels.tolist()] == [cifar2[k][1] for k in range(64)]
