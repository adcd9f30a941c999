"""Helpers for the CIFAR-10 tests: tiny datasets in the real file layout, archives and a loopback HTTP server.

The real batch files are Python 2 pickles (protocol 2): a dict with ``str``
keys (``b"data"``... under ``encoding="bytes"``), the pixels as a NumPy array
rebuilt through ``numpy.core.multiarray._reconstruct``. Python 3 cannot write
Python 2 strings, so ``py2_pickle`` emits the same opcodes by hand.
"""
from __future__ import annotations

import hashlib
import http.server
import io
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
ALL_FILES = TRAIN_FILES + ["test_batch", "batches.meta"]
FOLDER = "cifar-10-batches-py"


# ----------------------------------------------------------------------------- Python 2 pickles
def _py2_str(b: bytes) -> bytes:
    """A Python 2 ``str`` (SHORT_BINSTRING or BINSTRING)."""
    return b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<i", len(b)) + b


def _int(n: int) -> bytes:
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if 0 <= n < 65536:
        return b"M" + struct.pack("<H", n)
    return b"J" + struct.pack("<i", n)


def _uint8_matrix(a: np.ndarray) -> bytes:
    """A 2-D uint8 array, pickled exactly as NumPy 1.x under Python 2 did it (the CIFAR files)."""
    assert a.dtype == np.uint8 and a.ndim == 2
    return (b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\n" + _int(0) + b"\x85" + _py2_str(b"b")
            + b"\x87R"
            + b"(" + _int(1) + _int(a.shape[0]) + _int(a.shape[1]) + b"\x86"
            + b"cnumpy\ndtype\n" + _py2_str(b"u1") + _int(0) + _int(1) + b"\x87R"
            + b"(" + _int(3) + _py2_str(b"|") + b"NNN" + b"J\xff\xff\xff\xff" * 2 + _int(0) + b"tb"
            + b"\x89" + _py2_str(np.ascontiguousarray(a).tobytes()) + b"tb")


def _value(v) -> bytes:
    if isinstance(v, bytes):
        return _py2_str(v)
    if isinstance(v, int):
        return _int(v)
    if isinstance(v, list):
        return b"]" + (b"(" + b"".join(_value(x) for x in v) + b"e" if v else b"")
    if isinstance(v, np.ndarray):
        return _uint8_matrix(v)
    raise TypeError(type(v))


def py2_pickle(entries: dict[bytes, object]) -> bytes:
    """A protocol-2 pickle of a dict with Python 2 ``str`` keys, as in ``cifar-10-batches-py``."""
    body = b"".join(_py2_str(k) + _value(v) for k, v in entries.items())
    return b"\x80\x02}(" + body + b"u."


# ----------------------------------------------------------------------------- tiny dataset
def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def make_cifar_files(n_per_batch: int = 4, seed: int = 0) -> dict[str, bytes]:
    """The seven CIFAR files (name -> bytes) with ``n_per_batch`` random images in each batch."""
    rng = np.random.default_rng(seed)
    files = {}
    for k, name in enumerate(TRAIN_FILES + ["test_batch"]):
        data = rng.integers(0, 256, size=(n_per_batch, 3072), dtype=np.uint8)
        labels = [int(x) for x in rng.integers(0, 10, size=n_per_batch)]
        label = f"training batch {k + 1} of 5" if k < 5 else "testing batch 1 of 1"
        files[name] = py2_pickle({b"batch_label": label.encode(), b"labels": labels, b"data": data,
                                  b"filenames": [f"img_{k}_{i}.png".encode() for i in range(n_per_batch)]})
    files["batches.meta"] = py2_pickle({b"num_cases_per_batch": n_per_batch,
                                        b"label_names": [c.encode() for c in CLASSES], b"num_vis": 3072})
    return files


def checksums(files: dict[str, bytes]) -> dict[str, str]:
    return {name: md5(data) for name, data in files.items()}


def class_attributes(sums: dict[str, str]) -> dict[str, object]:
    """``train_list``, ``test_list`` and ``meta`` for CIFAR10 with these checksums."""
    return {"train_list": [(n, sums[n]) for n in TRAIN_FILES],
            "test_list": [("test_batch", sums["test_batch"])],
            "meta": {"filename": "batches.meta", "key": "label_names", "md5": sums["batches.meta"]}}


def write_files(root: Path, files: dict[str, bytes]) -> Path:
    folder = Path(root) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def make_archive(files: dict[str, bytes], extra: list[tarfile.TarInfo] | None = None) -> bytes:
    """A ``cifar-10-python.tar.gz`` (as bytes) holding ``files`` under ``cifar-10-batches-py/``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        folder = tarfile.TarInfo(FOLDER)
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(folder)
        for name, data in files.items():
            info = tarfile.TarInfo(f"{FOLDER}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return buf.getvalue()


def cifar_layout_images(data_rows: np.ndarray) -> np.ndarray:
    """N x 3072 rows (R plane, G plane, B plane) to N x 32 x 32 x 3, independently of the library."""
    out = np.empty((len(data_rows), 32, 32, 3), dtype=np.uint8)
    for c in range(3):
        out[..., c] = data_rows[:, c * 1024:(c + 1) * 1024].reshape(-1, 32, 32)
    return out


# ----------------------------------------------------------------------------- loopback server
class LoopbackServer:
    """An HTTP server on 127.0.0.1 in a thread. ``routes`` maps a path to ``(status, body, announced_length)``.

    ``announced_length`` larger than the body simulates a transfer cut off
    mid-way: the server announces it, sends the body and closes the connection.
    ``requests`` lists the paths asked for.
    """

    def __init__(self):
        self.routes: dict[str, tuple[int, bytes, int | None]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                server.requests.append(self.path)
                status, body, length = server.routes.get(self.path, (404, b"not found", None))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):  # keep the test output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> "LoopbackServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def learnable_files(n_per_batch: int = 40, seed: int = 0) -> dict:
    """Batches where airplanes (label 0) are bright-blue-topped and birds (label 2) green; other classes mixed in."""
    rng = np.random.default_rng(seed)
    files = {}
    for k, name in enumerate(TRAIN_FILES + ["test_batch"]):
        labels = rng.choice([0, 2, 2, 0, 5], size=n_per_batch).tolist()
        images = rng.integers(0, 120, size=(n_per_batch, 3, 32, 32)).astype(np.uint8)
        for i, label in enumerate(labels):
            if label == 0:
                images[i, 2, :16] += 120      # blue sky on top
            elif label == 2:
                images[i, 1] += 100           # green
        files[name] = py2_pickle({b"batch_label": name.encode(), b"labels": labels,
                                  b"data": images.reshape(n_per_batch, 3072),
                                  b"filenames": [f"{name}_{i}.png".encode() for i in range(n_per_batch)]})
    files["batches.meta"] = py2_pickle({b"num_cases_per_batch": n_per_batch,
                                        b"label_names": [c.encode() for c in CLASSES], b"num_vis": 3072})
    return files
