"""``CIFAR10``: the CIFAR-10 image dataset (Krizhevsky, 2009), as ``torchvision.datasets.CIFAR10``.

    cifar10 = CIFAR10("data/", train=True, download=True)
    img, label = cifar10[99]            # a 32 x 32 PIL image and an int in 0..9
    cifar10.classes[label]              # 'automobile'

Files: ``root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}``,
pickles from the archive at ``CIFAR10.url``. Each file is checked against its
official MD5 before it is used:

1. verified files present: use them (no network);
2. otherwise, ``root/cifar-10-python.tar.gz`` present: extract it and verify;
3. otherwise, with ``download=True``: download the archive (with a progress
   display, to a temporary name first), extract it safely and verify;
4. otherwise: an error that says where the files were expected and what to do.

A file that fails verification gives an error naming it and both checksums;
with ``download=True`` one fresh download is tried first. The members are
checked rather than the archive, so a mirror's archive with different
compression is accepted when its contents are right. The pickles are read by
an unpickler that can only rebuild NumPy arrays (see ``utils.load_pickle``).
"""
from __future__ import annotations

import gzip
import operator
import os
import tarfile
import zlib
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .utils import calculate_md5, download_url, extract_archive, load_pickle
from .vision import VisionDataset


class _DamagedArchive(RuntimeError):
    """The archive could not be read (truncated, not gzip, not tar)."""


def _field(entry: Any, name: str, path: Path) -> Any:
    """``entry[b"name"]`` (Python 2 pickles) or ``entry["name"]``, with an error naming the file."""
    if isinstance(entry, dict):
        for key in (name.encode(), name):
            if key in entry:
                return entry[key]
    found = f"a dict with keys {sorted(map(str, entry))}" if isinstance(entry, dict) else type(entry).__name__
    raise ValueError(f"{path} is not a CIFAR file: expected a dict with a {name!r} entry, got {found}")


class CIFAR10(VisionDataset):
    """The CIFAR-10 dataset: 50,000 training and 10,000 test images of 32 x 32 pixels, 10 classes.

    - ``root``: the folder that holds (or will hold) ``cifar-10-batches-py``.
    - ``train``: the training set (``data_batch_1`` to ``_5``) or the test set (``test_batch``).
    - ``transform`` / ``target_transform``: applied to each image / label.
    - ``download``: fetch the archive from ``url`` if the files are not there.

    Attributes: ``data`` (uint8, N x 32 x 32 x 3), ``targets`` (list of ints),
    ``classes`` (the 10 names) and ``class_to_idx``. ``dataset[i]`` is
    ``(PIL image, label)`` before transforms. ``__getitems__`` transforms a
    whole batch in one vectorised step when the transform is made of
    ``ToTensor``, ``Normalize``, ``RandomHorizontalFlip``, ``RandomCrop`` and
    ``ToPILImage`` (see ``transforms._batch_plan``).
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    # (file name, official MD5) of each batch; a user may point ``url`` at a mirror.
    train_list = [
        ("data_batch_1", "c99cafc152244af753f735de768cd75f"),
        ("data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
        ("data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
        ("data_batch_4", "634d18415352ddfa80567beed471001a"),
        ("data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"),
    ]
    test_list = [("test_batch", "40351d587109b95175f43aff81a1287e")]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root: str | os.PathLike, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        self._prepare(download)
        self.data, self.targets = self._load_batches()
        self.classes = self._load_classes()
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    # ------------------------------------------------------------------ files
    @property
    def folder(self) -> Path:
        """Where the batch files live: ``root/cifar-10-batches-py``."""
        return Path(self.root) / self.base_folder

    def _batch_files(self) -> list[tuple[str, str]]:
        return list(self.train_list if self.train else self.test_list)

    def _needed_files(self) -> list[tuple[str, str]]:
        """(name, md5) of every file this split needs: its batches and the meta file."""
        return self._batch_files() + [(self.meta["filename"], self.meta["md5"])]

    def _problems(self) -> list[tuple[str, str | None, str]]:
        """(name, actual MD5 or None if missing, expected MD5) of each needed file that fails verification."""
        problems = []
        for name, expected in self._needed_files():
            path = self.folder / name
            actual = calculate_md5(path) if path.is_file() else None
            if actual != expected:
                problems.append((name, actual, expected))
        return problems

    def _extract(self, archive: Path) -> None:
        """Extract ``archive`` into ``root``; a damaged archive gives an error that names it."""
        try:
            extract_archive(archive, self.root)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise _DamagedArchive(f"Could not extract {archive}: {exc}. The file is damaged or incomplete, or not "
                                  f"a tar archive. Delete it and pass download=True, or replace it with a good copy "
                                  f"of {self.url}.") from exc

    def _prepare(self, download: bool) -> None:
        """Make sure verified files are in ``folder``, extracting or downloading as described in the module doc."""
        if not self._problems():
            return
        archive = Path(self.root) / self.filename
        if archive.is_file():
            try:
                self._extract(archive)
                if not self._problems():
                    return
            except _DamagedArchive:
                if not download:
                    raise  # (an unsafe archive is never replaced silently: that error goes through)
        if download:
            hint = (f"Then create the dataset again: the archive will be extracted and verified. "
                    f"A mirror can be used by setting {type(self).__name__}.url.")
            download_url(self.url, self.root, self.filename, hint=hint)
            self._extract(archive)
        problems = self._problems()
        if problems:
            raise self._verification_error(problems, downloaded=download)

    def _verification_error(self, problems: list, downloaded: bool) -> RuntimeError:
        missing = [name for name, actual, _ in problems if actual is None]
        wrong = [(name, actual, expected) for name, actual, expected in problems if actual is not None]
        if wrong:
            name, actual, expected = wrong[0]
            message = (f"{self.folder / name} failed verification: its MD5 is {actual}, "
                       f"but the official {name} has MD5 {expected}.")
            if downloaded:
                message += (f" A fresh download from {self.url} did not fix it, so the source serves different "
                            "data; try another mirror (set CIFAR10.url).")
            else:
                message += (f" Delete it and pass download=True, or place a good {self.filename} "
                            f"(from {self.url}) in {self.root}.")
            if len(wrong) > 1:
                message += f" Also failing: {', '.join(n for n, _, _ in wrong[1:])}."
            return RuntimeError(message)
        message = f"Dataset not found or incomplete: {self.folder} is missing {', '.join(missing)}."
        if downloaded:
            message += f" The archive downloaded from {self.url} does not contain them."
        else:
            message += (f" Pass download=True to download it from {self.url}, or place {self.filename} "
                        f"in {self.root} (it will be extracted and verified).")
        return RuntimeError(message)

    # ------------------------------------------------------------------ loading
    def _load_batches(self) -> tuple[np.ndarray, list[int]]:
        """All batches of the split as one N x 32 x 32 x 3 uint8 array, and the labels."""
        arrays, targets = [], []
        for name, _ in self._batch_files():
            path = self.folder / name
            entry = load_pickle(path)
            data = _field(entry, "data", path)
            labels = _field(entry, "labels", path)
            if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
                    or data.shape[1] != 3 * 32 * 32:
                raise ValueError(f"{path}: 'data' should be a uint8 array of N x 3072, got "
                                 f"{getattr(data, 'dtype', type(data).__name__)} {getattr(data, 'shape', '')}")
            if len(labels) != len(data):
                raise ValueError(f"{path}: {len(data)} images but {len(labels)} labels")
            arrays.append(data)
            targets.extend(int(label) for label in labels)
        # Each row holds the red plane, then green, then blue (3 x 32 x 32); the
        # transpose gives the N x H x W x C view that PIL and torchvision use.
        data = np.concatenate(arrays).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return data, targets

    def _load_classes(self) -> list[str]:
        path = self.folder / self.meta["filename"]
        names = _field(load_pickle(path), self.meta["key"], path)
        return [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in names]

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(image, label)``: a PIL image (or what ``transform`` makes of it) and an int."""
        index = operator.index(index)
        return self._transformed_sample(self.data[index], self.targets[index])

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[Any, Any]]:
        """The samples at ``indices``; the images are transformed in one vectorised step when possible."""
        return self._transformed_samples(indices, lambda index: self.data[index], lambda i: self.targets[i])

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"
