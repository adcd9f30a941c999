"""Getting dataset files safely: checksums, downloads, archive extraction and pickle loading.

- ``calculate_md5`` / ``check_integrity``: compare a file with its published MD5.
- ``atomic_write``: write a file through a temporary file in the same folder,
  renamed to its final name only once it is complete.
- ``download_url``: fetch a URL with a progress display through ``atomic_write``,
  so an interrupted download never leaves a file under the final name.
- ``download_from_mirrors``: try each mirror in turn until one serves a file
  with the expected MD5.
- ``decompress_gzip``: unpack a ``.gz`` file next to it, atomically.
- ``extract_archive``: unpack a tar archive, refusing members that would land
  outside the target folder, links and special files.
- ``load_pickle``: read a pickle with an unpickler that can only rebuild NumPy
  arrays, so a tampered dataset file cannot run code.
"""
from __future__ import annotations

import contextlib
import errno
import gzip
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
import zlib
from pathlib import Path
from typing import IO, Any, Iterator, Sequence

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


# ----------------------------------------------------------------------------- atomic writes
def _umask() -> int:
    """The process's file-creation mask: from /proc on Linux, else by setting it and putting it back."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # (briefly changes the mask: only where /proc does not say)
    os.umask(mask)
    return mask


def _unwritable(path: Path, exc: OSError) -> OSError:
    """``exc`` (raised creating a file next to ``path``) as the same error type, with one line naming ``path``."""
    folder = path.parent
    if isinstance(exc, FileNotFoundError):
        reason = f"the folder {folder} does not exist"
    elif isinstance(exc, PermissionError):
        reason = f"no permission to create files in {folder}"
    elif isinstance(exc, NotADirectoryError):
        reason = f"{folder} is not a folder"
    else:
        reason = exc.strerror or str(exc)
    error = type(exc)(f"cannot write {path}: {reason}")
    error.errno = exc.errno  # (setting ``filename`` too would change the message's format)
    return error


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open a binary file that appears at ``path`` only once the ``with`` block has completed.

    The data goes to a temporary file in ``path``'s folder (so the final
    rename is atomic); it gets the permissions a plain ``open`` would give and
    replaces ``path`` when the block ends normally. If the block raises, the
    temporary file is removed and ``path`` is left as it was. A folder that is
    missing or not writable raises an ``OSError`` of the usual type whose one
    line names ``path`` and the reason.
    """
    path = Path(path)
    if path.is_dir():
        error = IsADirectoryError(f"cannot write {path}: it is a folder")
        error.errno = errno.EISDIR
        raise error
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise _unwritable(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp's files are private (0600); give open()'s default
        os.replace(tmp_name, path)
    except BaseException:  # any failure, KeyboardInterrupt included: nothing is left behind
        _remove(tmp_name)
        raise


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


class _WrongChecksum(Exception):
    """The downloaded data does not have the expected MD5."""


class _FetchFailed(Exception):
    """One download attempt failed; ``reason`` says why in a few words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _manual_steps(url: str, destination: Path) -> str:
    return (f"To get the file by hand, download {url} (with a browser, or "
            f"`curl -L -o {destination} {url}`) and place it at {destination}.")


def _fetch(url: str, destination: Path, progress: bool, timeout: float, md5: str | None) -> None:
    """Stream ``url`` into ``destination`` through ``atomic_write``; ``_FetchFailed`` if anything goes wrong.

    With ``md5`` the data is hashed as it arrives and only data with that MD5
    is renamed into place.
    """
    bar = None
    try:
        with atomic_write(destination) as out:
            request = urllib.request.Request(url, headers={"User-Agent": "tinynn"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                bar = _Progress(f"Downloading {url}", total, progress)
                digest = hashlib.md5(usedforsecurity=False)
                received = 0
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(received)
                if total is not None and received != total:
                    raise _Truncated(f"the connection closed after {received:,} of {total:,} bytes")
                if md5 is not None and digest.hexdigest() != md5:
                    raise _WrongChecksum(f"the data's MD5 is {digest.hexdigest()}, but the expected MD5 is {md5}")
    except (OSError, http.client.HTTPException, ValueError, _Truncated, _WrongChecksum) as exc:
        # URLError and HTTPError are OSErrors; IncompleteRead is an HTTPException.
        # (atomic_write has removed the temporary file.)
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(exc, urllib.error.HTTPError):
            reason = f"HTTP Error {exc.code}: {exc.reason}"
        raise _FetchFailed(str(reason)) from exc
    finally:
        if bar is not None:
            bar.close()


def download_url(url: str, root: str | os.PathLike, filename: str | None = None, progress: bool = True,
                 timeout: float = 60.0, hint: str = "", md5: str | None = None) -> Path:
    """Download ``url`` to ``root/filename`` (the URL's last path part by default) and return that path.

    The data goes to a temporary ``.part`` file in ``root`` first and is renamed
    to its final name only when the whole body (``Content-Length`` bytes, when
    the server sends it) has arrived and, if ``md5`` is given, has that MD5.
    On any failure the temporary file is removed and a ``DownloadError`` names
    the URL and the manual steps (followed by ``hint``).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    filename = filename or os.path.basename(urllib.parse.urlparse(url).path) or "download"
    destination = root / filename
    try:
        _fetch(url, destination, progress, timeout, md5)
    except _FetchFailed as failed:
        raise DownloadError(f"Could not download {url}: {failed.reason}. Nothing was saved under {destination}. "
                            + _manual_steps(url, destination) + (f" {hint}" if hint else "")) from failed.__cause__
    return destination


def download_from_mirrors(mirrors: Sequence[str], filename: str, root: str | os.PathLike, md5: str | None = None,
                          progress: bool = True, timeout: float = 60.0) -> Path:
    """Download ``filename`` from the first of ``mirrors`` (URL prefixes) that serves it whole (with ``md5``).

    Each mirror is tried in turn with ``mirror + filename``; a failed attempt
    (no connection, an HTTP error, a cut-off transfer, the wrong MD5) leaves
    nothing behind and moves on to the next. When all fail, one
    ``DownloadError`` lists every URL tried with its reason.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    destination = root / filename
    failures = []
    for mirror in mirrors:
        url = f"{mirror}{filename}"
        try:
            _fetch(url, destination, progress, timeout, md5)
            return destination
        except _FetchFailed as failed:
            failures.append(f"{url} ({failed.reason})")
    tried = "; ".join(failures) if failures else "no mirrors were given"
    raise DownloadError(f"Could not download {filename} from any mirror: {tried}. Nothing was saved under "
                        f"{destination}. To get the file by hand, download it from one of the mirrors and place "
                        f"it at {destination}.")


def decompress_gzip(from_path: str | os.PathLike, to_path: str | os.PathLike | None = None) -> Path:
    """Unpack the gzip file ``from_path`` to ``to_path`` (by default: the same name without ``.gz``).

    The output is written through ``atomic_write``. A damaged or truncated
    file raises a ``RuntimeError`` that names it, and leaves no output.
    """
    from_path = Path(from_path)
    to_path = Path(to_path) if to_path is not None else from_path.with_suffix("")
    try:
        with gzip.open(from_path, "rb") as source, atomic_write(to_path) as out:
            shutil.copyfileobj(source, out, 1 << 20)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise RuntimeError(f"Could not decompress {from_path}: {exc}. The file is damaged or incomplete, or not "
                           "gzip data; delete it and get a fresh copy.") from exc
    return to_path


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
