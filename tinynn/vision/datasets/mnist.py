"""``MNIST``, ``FashionMNIST`` and ``KMNIST``: 28 x 28 grey images in 10 classes, as ``torchvision.datasets``.

    mnist = MNIST("data/", train=True, download=True)
    img, label = mnist[0]                # a 28 x 28 PIL image (mode "L") and an int in 0..9
    mnist.data.shape, mnist.targets      # (60000, 28, 28) uint8, int64 labels

Files: ``root/MNIST/raw/`` (``root/FashionMNIST/raw/``, ...) holds the four
gzip files of ``resources``, each checked against its official MD5, and, as
torchvision leaves them, the unpacked IDX files next to them:

1. the unpacked file of the split present: it is read (as torchvision does);
2. otherwise its ``.gz`` present: its MD5 is checked and it is read directly;
3. with ``download=True`` and any unpacked file missing, ``download()`` first
   fetches each missing or failing ``.gz`` from the ``mirrors`` in turn
   (verified, written atomically) and unpacks all four, as torchvision does;
4. otherwise: an error that names the folder and what to do.

The IDX parser refuses a file whose header does not fit its contents (magic
number, data type code, dimensions against the byte count) with one line that
names the file.
"""
from __future__ import annotations

import gzip
import operator
import os
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ...utils import _arrays
from .utils import calculate_md5, check_integrity, decompress_gzip, download_from_mirrors
from .vision import VisionDataset

# IDX data type codes (the third byte of the magic number) and their big-endian dtypes.
_IDX_DTYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def parse_idx(buffer: np.ndarray, source: str) -> np.ndarray:
    """The array stored in an IDX file whose bytes are the uint8 array ``buffer`` (``source`` names it in errors).

    Layout: two zero bytes, a data type code, the number of dimensions ``d``,
    then ``d`` big-endian 32-bit sizes, then the values, big-endian. Anything
    else (another magic number, an unknown type code, sizes that do not match
    the number of bytes) raises a ``ValueError``. The result is in native byte order.
    """
    size = buffer.size
    if size < 4:
        raise ValueError(f"{source} is not an IDX file: it holds {size} bytes, fewer than the 4-byte magic number")
    zero0, zero1, code, ndim = (int(b) for b in buffer[:4])
    if zero0 or zero1:
        magic = int.from_bytes(buffer[:4].tobytes(), "big")
        raise ValueError(f"{source} is not an IDX file: its magic number 0x{magic:08x} should start with two "
                         "zero bytes (MNIST images have 0x00000803, labels 0x00000801)")
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02x} ({d.name})" for c, d in _IDX_DTYPES.items())
        raise ValueError(f"{source}: unknown IDX data type code 0x{code:02x}; the format defines {known}")
    header = 4 + 4 * ndim
    if ndim == 0:
        raise ValueError(f"{source}: the IDX header announces 0 dimensions")
    if size < header:
        raise ValueError(f"{source}: the IDX header announces {ndim} dimensions, so it needs {header} bytes, "
                         f"but the file holds {size}")
    dims = struct.unpack(f">{ndim}I", buffer[4:header].tobytes())
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if size - header != expected:
        shape = " x ".join(map(str, dims))
        raise ValueError(f"{source}: the IDX header announces {shape} {dtype.name} values ({expected:,} bytes) but "
                         f"{size - header:,} bytes follow the header")
    values = buffer[header:].view(dtype).reshape(dims)
    return values if dtype.itemsize == 1 else values.astype(dtype.newbyteorder("="))


def _read_bytes(path: Path) -> np.ndarray:
    """The (decompressed, for ``.gz``) contents of ``path`` as a writable uint8 array."""
    if path.suffix != ".gz":
        return np.fromfile(path, dtype=np.uint8)
    try:
        with gzip.open(path, "rb") as f:
            return np.frombuffer(bytearray(f.read()), dtype=np.uint8)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise RuntimeError(f"Could not decompress {path}: {exc}. The file is damaged or incomplete; delete it and "
                           "pass download=True, or replace it with a good copy.") from exc


def read_image_file(path: str | os.PathLike) -> np.ndarray:
    """The N x H x W uint8 images of an IDX file (plain or ``.gz``)."""
    images = parse_idx(_read_bytes(Path(path)), str(path))
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"{path}: expected uint8 images of N x H x W, got {images.dtype} values of shape "
                         f"{images.shape}")
    return images


def read_label_file(path: str | os.PathLike) -> np.ndarray:
    """The N labels of an IDX file (plain or ``.gz``), as int64."""
    labels = parse_idx(_read_bytes(Path(path)), str(path))
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{path}: expected N uint8 labels, got {labels.dtype} values of shape {labels.shape}")
    return labels.astype(np.int64)


def _numpy(values: Any) -> Any:
    """A Tensor's data on the host; arrays and lists as they are."""
    return np.asarray(values) if _arrays.is_tensor(values) else values


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28 x 28 grey pixels.

    - ``root``: the folder that holds (or will hold) ``MNIST/raw/``.
    - ``train``: the training set (``train-*``) or the test set (``t10k-*``).
    - ``transform`` / ``target_transform``: applied to each image / label.
    - ``download``: fetch the files from ``mirrors`` if they are not there.

    Attributes: ``data`` (a uint8 Tensor, N x 28 x 28), ``targets`` (an int64
    Tensor), ``classes`` and ``class_to_idx``. ``dataset[i]`` is ``(PIL image
    in mode "L", int label)`` before transforms. ``__getitems__`` transforms a
    whole batch in one vectorised step when the transform is made of
    ``ToTensor``, ``Normalize``, ``RandomHorizontalFlip``, ``RandomCrop`` and
    ``ToPILImage`` (see ``transforms._batch_plan``), as ``CIFAR10`` does.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    # (file name, official MD5); torchvision's values, which the real files match.
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        images, labels = self._load_data()
        self.data = _arrays.wrap(images)
        self.targets = _arrays.wrap(labels)

    # ------------------------------------------------------------------ folders and files
    @property
    def raw_folder(self) -> str:
        """Where the files live: ``root/<class name>/raw``."""
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def processed_folder(self) -> str:
        """``root/<class name>/processed`` (torchvision's old cache; tinynn does not use it)."""
        return os.path.join(self.root, type(self).__name__, "processed")

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Each class name's label."""
        return {name: i for i, name in enumerate(self.classes)}

    def _check_exists(self) -> bool:
        """True when the four unpacked files are in ``raw_folder`` (torchvision's test)."""
        return all(os.path.isfile(os.path.join(self.raw_folder, os.path.splitext(name)[0]))
                   for name, _ in self.resources)

    def _md5_of(self, gz_name: str) -> str:
        return dict(self.resources)[gz_name]

    def download(self) -> None:
        """Download the files that are missing or fail their MD5, and unpack all four, as torchvision does.

        Each ``.gz`` that is not already there with its official MD5 is fetched
        from the ``mirrors`` in turn (``utils.download_from_mirrors``). The files
        are then unpacked next to themselves, except in a folder that cannot be
        written (such as a read-only copy of the data): the ``.gz`` files are
        then read directly.
        """
        if self._check_exists():
            return
        raw = Path(self.raw_folder)
        raw.mkdir(parents=True, exist_ok=True)
        for name, md5 in self.resources:
            if not check_integrity(raw / name, md5):
                download_from_mirrors(self.mirrors, name, raw, md5)
        if os.access(raw, os.W_OK):
            for name, _ in self.resources:
                decompress_gzip(raw / name)

    def _source(self, name: str) -> Path:
        """The file to read for the unpacked file ``name``: itself, or its verified ``.gz``."""
        raw = Path(self.raw_folder)
        if (raw / name).is_file():
            return raw / name
        gz = raw / f"{name}.gz"
        if not gz.is_file():
            raise RuntimeError(f"Dataset not found. You can use download=True to download it. ({raw} holds neither "
                               f"{name} nor {name}.gz; the files are at {self.mirrors[0]}.)")
        expected, actual = self._md5_of(gz.name), calculate_md5(gz)
        if actual != expected:
            raise RuntimeError(f"{gz} failed verification: its MD5 is {actual}, but the official {gz.name} has MD5 "
                               f"{expected}. Delete it and pass download=True, or replace it with a good copy from "
                               f"{self.mirrors[0]}{gz.name}.")
        return gz

    def _load_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The split's images (N x 28 x 28 uint8) and labels (int64)."""
        prefix = "train" if self.train else "t10k"
        images = read_image_file(self._source(f"{prefix}-images-idx3-ubyte"))
        labels = read_label_file(self._source(f"{prefix}-labels-idx1-ubyte"))
        if len(images) != len(labels):
            raise ValueError(f"{self.raw_folder}: the {prefix} files hold {len(images)} images but "
                             f"{len(labels)} labels")
        return images, labels

    # ------------------------------------------------------------------ old names (torchvision's warnings)
    @property
    def train_labels(self) -> Any:
        warnings.warn("train_labels has been renamed targets")
        return self.targets

    @property
    def test_labels(self) -> Any:
        warnings.warn("test_labels has been renamed targets")
        return self.targets

    @property
    def train_data(self) -> Any:
        warnings.warn("train_data has been renamed data")
        return self.data

    @property
    def test_data(self) -> Any:
        warnings.warn("test_data has been renamed data")
        return self.data

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.data)

    def _target(self, index: int) -> Any:
        target = _numpy(self.targets)[index]
        return int(target)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(image, target)``: a 28 x 28 PIL image in mode "L" (or what ``transform`` makes of it) and an int."""
        index = operator.index(index)
        return self._transformed_sample(_numpy(self.data)[index], self._target(index))

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[Any, Any]]:
        """The samples at ``indices``; the images are transformed in one vectorised step when possible."""
        return self._transformed_samples(indices, lambda index: _numpy(self.data)[index], self._target)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando Research): 28 x 28 grey images of clothes in 10 classes, in ``root/FashionMNIST/raw``."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: 28 x 28 grey images of 10 cursive Japanese characters; files in ``root/KMNIST/raw``."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
