"""MNIST, FashionMNIST and KMNIST: the IDX format, verification, downloads from mirrors, batched transforms.

Most tests build tiny datasets in the real gzip IDX format inside the test and
patch their checksums into the class; downloads go to a loopback HTTP server.
The last tests read the real files under ../shared/data and are skipped when
they are absent.
"""
from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import tinynn
from tinynn.utils.data import DataLoader
from tinynn.vision import datasets, transforms
from tinynn.vision.datasets import utils as dutils
from tinynn.vision.datasets.mnist import MNIST, FashionMNIST, KMNIST, parse_idx

from _cifar_fixtures import LoopbackServer
from _torchvision import torchvision_module

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


# ----------------------------------------------------------------------------- tiny files in the IDX format
def idx_bytes(array: np.ndarray, code: int | None = None, dims=None) -> bytes:
    """An IDX file: two zero bytes, the type code, the number of dimensions, big-endian sizes, big-endian values."""
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B, np.dtype(np.int32): 0x0C,
             np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}
    code = codes[array.dtype] if code is None else code
    dims = array.shape if dims is None else dims
    header = bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def make_files(n_train: int = 6, n_test: int = 4, seed: int = 0) -> dict[str, bytes]:
    """The four ``.gz`` files (name -> bytes) of a tiny dataset of 28 x 28 images."""
    rng = np.random.default_rng(seed)
    files = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(
            idx_bytes(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)), mtime=0)
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(
            idx_bytes(rng.integers(0, 10, n, dtype=np.uint8)), mtime=0)
    return files


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def contents(files: dict[str, bytes], name: str) -> np.ndarray:
    """The array in one tiny file, decoded independently of the library."""
    raw = gzip.decompress(files[name + ".gz"])
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], np.uint8).reshape(dims)


def write(root: Path, files: dict[str, bytes], folder: str = "MNIST", unpacked: bool = False) -> Path:
    raw = Path(root) / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if unpacked:
            (raw / name[:-3]).write_bytes(gzip.decompress(data))
        else:
            (raw / name).write_bytes(data)
    return raw


@pytest.fixture
def tiny(monkeypatch):
    """Tiny MNIST files whose checksums the three classes now expect."""
    files = make_files()
    for cls in (MNIST, FashionMNIST, KMNIST):
        monkeypatch.setattr(cls, "resources", [(name, md5(files[name])) for name, _ in cls.resources])
    return files


@pytest.fixture
def server(monkeypatch):
    with LoopbackServer() as srv:
        monkeypatch.setattr(MNIST, "mirrors", [srv.url("/first/"), srv.url("/second/")])
        yield srv


def leftovers(root: Path) -> list[str]:
    return [str(p) for p in Path(root).rglob("*") if p.name.startswith(".") or p.suffix == ".part"]


# ----------------------------------------------------------------------------- loading
def test_loads_the_gz_files_in_torchvisions_layout(tmp_path, tiny):
    write(tmp_path, tiny)
    train, test = datasets.MNIST(tmp_path, train=True), datasets.MNIST(str(tmp_path), train=False)
    assert len(train) == 6 and len(test) == 4
    assert isinstance(train.data, tinynn.Tensor) and train.data.shape == (6, 28, 28) and train.data.dtype == np.uint8
    assert isinstance(train.targets, tinynn.Tensor) and train.targets.dtype == np.int64
    np.testing.assert_array_equal(train.data.numpy(), contents(tiny, "train-images-idx3-ubyte"))
    np.testing.assert_array_equal(test.targets.numpy(), contents(tiny, "t10k-labels-idx1-ubyte"))
    assert train.classes[3] == "3 - three" and train.class_to_idx["9 - nine"] == 9
    assert train.raw_folder == str(tmp_path / "MNIST" / "raw")
    assert isinstance(train, tinynn.utils.data.Dataset)


def test_getitem_returns_a_grey_pil_image_and_an_int(tmp_path, tiny):
    write(tmp_path, tiny)
    ds = datasets.MNIST(tmp_path)
    img, label = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(img), ds.data.numpy()[2])
    assert type(label) is int and label == int(ds.targets.numpy()[2])
    np.testing.assert_array_equal(np.asarray(ds[-1][0]), ds.data.numpy()[-1])
    assert "Number of datapoints: 6" in repr(ds) and "Split: Train" in repr(ds)
    ds.targets = ds.targets.tolist()  # programs sometimes replace the targets with a list
    assert ds[2][1] == label
    with pytest.warns(UserWarning, match="renamed targets"):
        assert ds.train_labels is ds.targets


def test_unpacked_files_are_read_as_torchvision_leaves_them(tmp_path, tiny):
    write(tmp_path, tiny, unpacked=True)  # only the unpacked IDX files, no .gz
    ds = datasets.MNIST(tmp_path, train=False)
    np.testing.assert_array_equal(ds.data.numpy(), contents(tiny, "t10k-images-idx3-ubyte"))


@pytest.mark.parametrize("cls,folder", [(FashionMNIST, "FashionMNIST"), (KMNIST, "KMNIST")])
def test_the_other_datasets_use_their_own_folder_and_classes(tmp_path, tiny, cls, folder):
    write(tmp_path, tiny, folder=folder)
    ds = cls(tmp_path, train=False)
    assert len(ds) == 4 and ds.raw_folder == str(tmp_path / folder / "raw")
    assert len(ds.classes) == 10 and ds.classes[0] == ("T-shirt/top" if cls is FashionMNIST else "o")
    with pytest.raises(RuntimeError, match="Dataset not found"):
        datasets.MNIST(tmp_path)  # the MNIST folder is not there


def test_official_checksums_and_mirrors_are_torchvisions():
    tv_mnist = torchvision_module("datasets.mnist")
    for ours, theirs in ((MNIST, tv_mnist.MNIST), (FashionMNIST, tv_mnist.FashionMNIST), (KMNIST, tv_mnist.KMNIST)):
        assert ours.resources == theirs.resources and ours.mirrors == theirs.mirrors
        assert ours.classes == theirs.classes


# ----------------------------------------------------------------------------- verification and malformed files
def test_missing_files_say_how_to_get_them(tmp_path, tiny):
    with pytest.raises(RuntimeError) as err:
        datasets.MNIST(tmp_path / "nowhere")
    message = str(err.value)
    assert message.startswith("Dataset not found. You can use download=True to download it")
    assert str(tmp_path / "nowhere" / "MNIST" / "raw") in message and "\n" not in message


def test_a_gz_that_fails_its_md5_names_the_file_and_both_checksums(tmp_path, tiny):
    raw = write(tmp_path, tiny)
    bad = bytearray(tiny["train-labels-idx1-ubyte.gz"])
    bad[-12] ^= 0xFF
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(bytes(bad))
    with pytest.raises(RuntimeError) as err:
        datasets.MNIST(tmp_path)
    message = str(err.value)
    assert str(raw / "train-labels-idx1-ubyte.gz") in message
    assert md5(bytes(bad)) in message and md5(tiny["train-labels-idx1-ubyte.gz"]) in message
    assert len(datasets.MNIST(tmp_path, train=False)) == 4  # the test split does not need that file


def malformed_cases() -> dict[str, tuple[bytes, str]]:
    images = np.zeros((2, 28, 28), np.uint8)
    good = idx_bytes(images)
    return {
        "wrong_magic": (b"\x01" + good[1:], "magic number 0x01000803"),
        "wrong_type_code": (good[:2] + b"\x0a" + good[3:], "unknown IDX data type code 0x0a"),
        "more_images_than_bytes": (idx_bytes(images, dims=(3, 28, 28)), "3 x 28 x 28 uint8 values (2,352 bytes)"),
        "fewer_images_than_bytes": (idx_bytes(images, dims=(1, 28, 28)), "1,568 bytes follow the header"),
        "truncated_header": (good[:10], "needs 16 bytes, but the file holds 10"),
        "too_short": (b"\x00\x00", "fewer than the 4-byte magic number"),
        "zero_dimensions": (b"\x00\x00\x08\x00", "0 dimensions"),
        "labels_as_images": (idx_bytes(np.zeros(2, np.uint8)), "expected uint8 images of N x H x W"),
        "int16_images": (idx_bytes(images.astype(np.int16)), "got int16 values"),
    }


@pytest.mark.parametrize("case", list(malformed_cases()))
def test_malformed_idx_files_are_refused_with_one_line(tmp_path, tiny, monkeypatch, case):
    data, expected = malformed_cases()[case]
    files = dict(tiny, **{"t10k-images-idx3-ubyte.gz": gzip.compress(data, mtime=0)})
    monkeypatch.setattr(MNIST, "resources", [(name, md5(files[name])) for name, _ in MNIST.resources])
    write(tmp_path, files)
    with pytest.raises(ValueError) as err:
        datasets.MNIST(tmp_path, train=False)
    message = str(err.value)
    assert expected in message and "t10k-images-idx3-ubyte" in message and "\n" not in message


def test_parse_idx_reads_every_type_big_endian():
    for dtype in (np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64):
        values = (np.arange(-6, 6) * 37).astype(dtype).reshape(3, 4)
        got = parse_idx(np.frombuffer(idx_bytes(values), np.uint8), "x")
        assert got.dtype == np.dtype(dtype) and got.dtype.isnative
        np.testing.assert_array_equal(got, values)


def test_a_damaged_gz_is_named(tmp_path, tiny, monkeypatch):
    cut = tiny["train-images-idx3-ubyte.gz"][:200]
    files = dict(tiny, **{"train-images-idx3-ubyte.gz": cut})
    monkeypatch.setattr(MNIST, "resources", [(name, md5(files[name])) for name, _ in MNIST.resources])
    raw = write(tmp_path, files)
    with pytest.raises(RuntimeError, match="Could not decompress") as err:
        datasets.MNIST(tmp_path)
    assert str(raw / "train-images-idx3-ubyte.gz") in str(err.value)


# ----------------------------------------------------------------------------- downloads
def test_download_tries_each_mirror_in_turn_and_unpacks(tmp_path, tiny, server, capsys):
    for name, data in tiny.items():
        server.routes["/second/" + name] = (200, data, None)  # the first mirror answers 404
    ds = datasets.MNIST(tmp_path / "data", download=True)
    assert len(ds) == 6
    names = sorted(tiny)
    assert sorted(server.requests) == sorted([f"/first/{n}" for n in names] + [f"/second/{n}" for n in names])
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(names + NAMES)
    np.testing.assert_array_equal(ds.data.numpy(), contents(tiny, "train-images-idx3-ubyte"))
    assert leftovers(tmp_path) == [] and server.url("/second/") in capsys.readouterr().err
    requests = len(server.requests)
    datasets.MNIST(tmp_path / "data", train=False, download=True)  # everything there: no request
    assert len(server.requests) == requests


def test_download_skips_a_mirror_serving_bad_data_and_replaces_a_bad_file(tmp_path, tiny, server):
    raw = write(tmp_path, tiny)
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    for name, data in tiny.items():
        server.routes["/first/" + name] = (200, data + b"\0", None)  # wrong MD5
        server.routes["/second/" + name] = (200, data, None)
    ds = datasets.MNIST(tmp_path, train=False, download=True)
    assert len(ds) == 4
    assert server.requests == ["/first/t10k-labels-idx1-ubyte.gz", "/second/t10k-labels-idx1-ubyte.gz"]
    assert (raw / "t10k-labels-idx1-ubyte.gz").read_bytes() == tiny["t10k-labels-idx1-ubyte.gz"]
    assert leftovers(tmp_path) == []


def test_all_mirrors_failing_names_each_url_and_leaves_nothing(tmp_path, tiny, server):
    name = "train-images-idx3-ubyte.gz"
    server.routes["/first/" + name] = (200, tiny[name] + b"!", None)
    archive = tiny[name]
    server.routes["/second/" + name] = (200, archive[:len(archive) // 2], len(archive))  # cut off
    with pytest.raises(dutils.DownloadError) as err:
        datasets.MNIST(tmp_path, download=True)
    message = str(err.value)
    assert server.url("/first/" + name) in message and server.url("/second/" + name) in message
    assert "MD5" in message and "closed after" in message and "\n" not in message
    assert not (tmp_path / "MNIST" / "raw" / name).exists() and leftovers(tmp_path) == []
    with pytest.raises(RuntimeError, match="Dataset not found"):
        datasets.MNIST(tmp_path)


def test_download_from_mirrors_with_no_server_listening(tmp_path):
    with LoopbackServer() as srv:
        url = srv.url("/")
    with pytest.raises(dutils.DownloadError, match="Could not download x.gz from any mirror"):
        dutils.download_from_mirrors([url], "x.gz", tmp_path, timeout=5)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- transforms and batches
def pipelines():
    norm = transforms.Normalize((0.1307,), (0.3081,))
    return {
        "to_tensor": transforms.ToTensor(),
        "normalize": transforms.Compose([transforms.ToTensor(), norm]),
        "round_trip": transforms.Compose([transforms.ToTensor(), transforms.ToPILImage(), transforms.ToTensor()]),
        "to_pil": transforms.Compose([transforms.ToTensor(), transforms.ToPILImage()]),
        "always_flip": transforms.Compose([transforms.RandomHorizontalFlip(p=1.0), transforms.ToTensor(), norm]),
        "no_op_crop": transforms.Compose([transforms.RandomCrop(28), transforms.ToTensor()]),
    }


@pytest.mark.parametrize("name", list(pipelines()))
def test_vectorised_batches_equal_the_per_image_path(tmp_path, tiny, name):
    write(tmp_path, tiny)
    transform = pipelines()[name]
    ds = datasets.MNIST(tmp_path, transform=transform)
    indices = [4, 0, 5, 4, -1]
    for (out, label), i in zip(ds.__getitems__(indices), indices):
        expected = transform(Image.fromarray(ds.data.numpy()[i]))  # the reference: torchvision's per-image path
        assert label == int(ds.targets.numpy()[i])
        for got in (out, ds[i][0]):
            if isinstance(expected, Image.Image):
                assert isinstance(got, Image.Image) and got.mode == expected.mode == "L"
                np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
            else:
                assert isinstance(got, tinynn.Tensor) and got.shape == (1, 28, 28) and got.dtype == np.float32
                np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_dataloader_batches(tmp_path, tiny):
    write(tmp_path, tiny)
    ds = datasets.MNIST(tmp_path, transform=pipelines()["normalize"], target_transform=lambda y: y % 2)
    loader = DataLoader(ds, batch_size=4, shuffle=False)
    images, labels = next(iter(loader))
    assert images.shape == (4, 1, 28, 28) and images.dtype == np.float32 and labels.dtype == np.int64
    np.testing.assert_array_equal(labels.numpy(), ds.targets.numpy()[:4] % 2)
    np.testing.assert_allclose(images.numpy()[:, 0], (ds.data.numpy()[:4] / 255 - 0.1307) / 0.3081, rtol=1e-5)


# ----------------------------------------------------------------------------- the real files
REAL = [(MNIST, SHARED / "mnist", (5, 7), (0.1307, 0.1325)),
        (FashionMNIST, SHARED / "fashion-mnist", (9, 9), (0.2860, 0.2868))]


@pytest.mark.parametrize("cls,root,first_labels,means", REAL, ids=["MNIST", "FashionMNIST"])
def test_the_real_files(cls, root, first_labels, means):
    if not (root / cls.__name__ / "raw").is_dir():
        pytest.skip(f"{root} is not here")
    for train, n, first, mean in ((True, 60000, first_labels[0], means[0]), (False, 10000, first_labels[1], means[1])):
        ds = cls(root, train=train)  # reads the verified .gz files; writes nothing
        assert len(ds) == n and ds.data.shape == (n, 28, 28) and ds[0][1] == first
        assert abs(ds.data.numpy().mean() / 255 - mean) < 5e-5
        counts = np.bincount(ds.targets.numpy(), minlength=10)
        assert counts.sum() == n and (counts > 0).all()


@pytest.mark.parametrize("cls,root", [(MNIST, SHARED / "mnist"), (FashionMNIST, SHARED / "fashion-mnist")],
                         ids=["MNIST", "FashionMNIST"])
def test_the_real_files_equal_torchvisions(cls, root, monkeypatch):
    if not (root / cls.__name__ / "raw").is_dir():
        pytest.skip(f"{root} is not here")
    tv_mnist = torchvision_module("datasets.mnist")
    # torchvision reads the unpacked files; let it read the .gz ones in place instead of unpacking a copy.
    monkeypatch.setattr(tv_mnist, "open", lambda path, mode="rb": gzip.open(f"{path}.gz", mode), raising=False)
    raw = root / cls.__name__ / "raw"
    ds = cls(root, train=False)
    tv_images = tv_mnist.read_image_file(str(raw / "t10k-images-idx3-ubyte")).numpy()
    tv_labels = tv_mnist.read_label_file(str(raw / "t10k-labels-idx1-ubyte")).numpy()
    np.testing.assert_array_equal(ds.data.numpy(), tv_images)
    np.testing.assert_array_equal(ds.targets.numpy(), tv_labels)
    for i in (0, 1, 4321, 9999):
        assert np.asarray(ds[i][0], np.int64).sum() == tv_images[i].astype(np.int64).sum()
