"""Getting dataset files safely: checksums, downloads, archive extraction and pickle loading.

- ``calculate_md5`` / ``check_integrity``: compare a file with its published MD5.
- ``download_url``: fetch a URL with a progress display into a temporary file
  next to the destination, and rename it into place only once it is complete,
  so an interrupted download never leaves a file under the final name.
- ``extract_archive``: unpack a tar archive, refusing members that would land
  outside the target folder, links and special files.
- ``load_pickle``: read a pickle with an unpickler that can only rebuild NumPy
  arrays, so a tampered dataset file cannot run code.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import pickle
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import IO, Any

import numpy as np

try:  # NumPy 2
    from numpy._core.multiarray import _reconstruct as _np_reconstruct
except ImportError:  # NumPy 1.x
    from numpy.core.multiarray import _reconstruct as _np_reconstruct  # type: ignore[no-redef]


class DownloadError(RuntimeError):
    """A download failed or was cut short; the message names the URL and how to get the file by hand."""


class UnsafeArchiveError(RuntimeError):
    """An archive member would be written outside the target folder, or is a link or special file."""


# ----------------------------------------------------------------------------- checksums
def calculate_md5(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """The MD5 of a file as 32 hex digits, read in chunks of ``chunk_size`` bytes."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_integrity(path: str | os.PathLike, md5: str | None = None) -> bool:
    """True when ``path`` is a file and (if ``md5`` is given) its MD5 equals ``md5``."""
    if not os.path.isfile(path):
        return False
    return md5 is None or calculate_md5(path) == md5


# ----------------------------------------------------------------------------- download
class _Progress:
    """A one-line download progress display on stderr: percentage and megabytes."""

    def __init__(self, label: str, total: int | None, enabled: bool):
        self.label, self.total, self.enabled = label, total, enabled
        self._last = -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        step = int(100 * done / self.total) if self.total else done >> 20  # percent, or whole MiB
        if step == self._last:
            return
        self._last = step
        mib = done / 2**20
        text = (f"{100 * done / self.total:5.1f}% ({mib:.1f} / {self.total / 2**20:.1f} MiB)" if self.total
                else f"{mib:.1f} MiB")
        sys.stderr.write(f"\r{self.label}: {text}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self._last >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()


class _Truncated(Exception):
    """The body ended before the ``Content-Length`` the server announced."""


def _manual_steps(url: str, destination: Path) -> str:
    return (f"To get the file by hand, download {url} (with a browser, or "
            f"`curl -L -o {destination} {url}`) and place it at {destination}.")


def download_url(url: str, root: str | os.PathLike, filename: str | None = None, progress: bool = True,
                 timeout: float = 60.0, hint: str = "") -> Path:
    """Download ``url`` to ``root/filename`` (the URL's last path part by default) and return that path.

    The data goes to a temporary ``.part`` file in ``root`` first and is renamed
    to its final name only when the whole body (``Content-Length`` bytes, when
    the server sends it) has arrived. On any failure the temporary file is
    removed and a ``DownloadError`` names the URL and the manual steps
    (followed by ``hint``).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    filename = filename or os.path.basename(urllib.parse.urlparse(url).path) or "download"
    destination = root / filename
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=f".{filename}.", suffix=".part")
    bar = None
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": "tinynn"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                bar = _Progress(f"Downloading {url}", total, progress)
                received = 0
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(received)
                if total is not None and received != total:
                    raise _Truncated(f"the connection closed after {received:,} of {total:,} bytes")
        os.replace(tmp_name, destination)
    except (OSError, http.client.HTTPException, ValueError, _Truncated) as exc:
        # URLError and HTTPError are OSErrors; IncompleteRead is an HTTPException.
        _remove(tmp_name)
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(exc, urllib.error.HTTPError):
            reason = f"HTTP Error {exc.code}: {exc.reason}"
        raise DownloadError(f"Could not download {url}: {reason}. Nothing was saved under {destination}. "
                            + _manual_steps(url, destination) + (f" {hint}" if hint else "")) from exc
    except BaseException:  # KeyboardInterrupt and the like: clean up, then let it through
        _remove(tmp_name)
        raise
    finally:
        if bar is not None:
            bar.close()
    return destination


def _remove(path: str | os.PathLike) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


# ----------------------------------------------------------------------------- extraction
def _check_member(member: tarfile.TarInfo, archive: Path, to_path: Path) -> None:
    """Refuse a member that is not a plain file or folder, or whose path leaves ``to_path``."""
    name = member.name
    normalized = os.path.normpath(name)
    if os.path.isabs(name) or name.startswith(("/", "\\")) or normalized == ".." or \
            normalized.startswith(".." + os.sep):
        raise UnsafeArchiveError(f"refusing to extract {archive}: member {name!r} would be written outside {to_path}")
    if not (member.isfile() or member.isdir()):
        kind = "a link" if member.issym() or member.islnk() else "a special file"
        raise UnsafeArchiveError(f"refusing to extract {archive}: member {name!r} is {kind}; "
                                 "only plain files and folders are allowed")


def extract_archive(from_path: str | os.PathLike, to_path: str | os.PathLike) -> list[Path]:
    """Safely extract the tar archive ``from_path`` (any compression) into ``to_path``; returns the files.

    Every member is checked before it is written: absolute paths, paths that
    climb out with ``..``, links and device files are refused with an
    ``UnsafeArchiveError`` naming the member. Members are unpacked into a
    temporary folder inside ``to_path`` and moved to their final names only
    when the whole archive has been read, so a refused or corrupt archive
    leaves nothing behind.
    """
    archive, to_path = Path(from_path), Path(to_path)
    to_path.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=to_path, prefix=".extract-"))
    extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # defence in depth where available
    try:
        members = []
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:  # in archive order, so a compressed stream is read once, front to back
                _check_member(member, archive, to_path)
                tar.extract(member, staging, set_attrs=False, **extra)
                members.append(member)
        extracted = []
        for member in members:
            target = to_path / member.name
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / member.name, target)
                extracted.append(target)
        return extracted
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# ----------------------------------------------------------------------------- restricted unpickling
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _np_reconstruct,   # how NumPy 1.x names it (CIFAR's files)
    ("numpy._core.multiarray", "_reconstruct"): _np_reconstruct,  # how NumPy 2.x names it
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild NumPy arrays and plain Python values, and nothing else.

    A pickle can name any importable function and have it called while
    loading; that is how a tampered file runs code. Here ``find_class`` only
    hands out the few NumPy names that array reconstruction needs; any other
    global raises ``pickle.UnpicklingError`` naming it, before anything runs.
    """

    def __init__(self, file: IO[bytes], *, source: str = "<pickle>", **kwargs: Any):
        super().__init__(file, **kwargs)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            allowed = ", ".join(f"{m}.{n}" for m, n in _ALLOWED_GLOBALS)
            raise pickle.UnpicklingError(
                f"refusing to load {self.source}: it references the global '{module}.{name}', but only NumPy "
                f"array reconstruction ({allowed}) is allowed. The file may have been tampered with; delete it "
                "and get a fresh copy.") from None


def load_pickle(path: str | os.PathLike, encoding: str = "bytes") -> Any:
    """Load a pickle file (such as a CIFAR batch) with ``RestrictedUnpickler``.

    ``encoding="bytes"`` reads Python 2 strings as ``bytes`` (CIFAR's keys are
    ``b"data"``, ``b"labels"``, ...).
    """
    with open(path, "rb") as f:
        return RestrictedUnpickler(f, source=str(path), encoding=encoding).load()
