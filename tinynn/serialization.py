"""``tinynn.save`` / ``tinynn.load``: checkpoints that can never run code when loaded.

A checkpoint is a zip archive (stored, not compressed) holding

* ``manifest.json``: the structure of the saved object as a tree of typed
  nodes (dicts with their key types, lists, tuples, numbers, strings, None,
  and tensors, which point to an array file), and
* ``tensors/<n>.npy``: one NumPy ``.npy`` file per array.

Loading reads JSON and ``.npy`` files with ``allow_pickle=False``, and checks
everything against the manifest (member names, dtypes, shapes), so a crafted
file can only produce a clear error, never run code. Saving writes a temporary
file next to the target and renames it over the target at the end, so an
interrupted save never leaves a half-written checkpoint under the final name.
"""
from __future__ import annotations

import errno
import json
import math
import os
import re
import tempfile
import zipfile
from collections import OrderedDict
from typing import Any, BinaryIO, Union

import numpy as np

from ._device import CPU, cuda_available, device as _device, to_device
from ._tensor import Tensor

__all__ = ["load", "save"]

FORMAT = "tinynn.save"
VERSION = 1
MANIFEST = "manifest.json"
_ARRAY_MEMBER = re.compile(r"tensors/(0|[1-9][0-9]*)\.npy")
_ALLOWED_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                   "float16", "float32", "float64", "complex64", "complex128"}
_MAX_MANIFEST_BYTES = 256 * 2**20
_NPY_HEADER_SLACK = 64 * 1024    # an .npy member may exceed its data size by at most this much (its header)

PathLike = Union[str, "os.PathLike[str]"]


# ---------------------------------------------------------------------- saving
class _Packer:
    """Turns an object into manifest nodes and collects the arrays to write."""

    def __init__(self):
        self.arrays: list[np.ndarray] = []
        self.file_of: dict[int, str] = {}       # id(array) -> member name: one file per distinct array
        self.keep_alive: list[Any] = []         # arrays whose ids are in file_of

    def array_file(self, array) -> str:
        """The member name for ``array``; the same array object always gets the same file."""
        name = self.file_of.get(id(array))
        if name is None:
            name = f"tensors/{len(self.arrays)}.npy"
            self.file_of[id(array)] = name
            self.keep_alive.append(array)
            self.arrays.append(to_device(array, CPU))
        return name

    def pack(self, obj: Any, where: str) -> dict:
        """The manifest node for ``obj`` (``where`` names its place, for error messages)."""
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": obj}
        if isinstance(obj, float):
            return {"type": "float", "value": obj if math.isfinite(obj) else repr(obj)}
        if isinstance(obj, str):
            return {"type": "str", "value": obj}
        if isinstance(obj, Tensor):
            return self.pack_tensor(obj, where)
        if isinstance(obj, np.ndarray):
            self.check_dtype(obj.dtype, where)
            return {"type": "ndarray", "file": self.array_file(obj), "dtype": obj.dtype.name,
                    "shape": list(obj.shape)}
        if isinstance(obj, np.generic):
            return self.pack(obj.item(), where)
        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(f"tinynn.save: dict keys must be str or int, got {type(key).__name__} key "
                                    f"{key!r} at {where}")
                items.append({"key": key, "value": self.pack(value, f"{where}[{key!r}]")})
            return {"type": "ordered_dict" if isinstance(obj, OrderedDict) else "dict", "items": items}
        if isinstance(obj, (list, tuple)):
            return {"type": "list" if isinstance(obj, list) else "tuple",
                    "items": [self.pack(value, f"{where}[{i}]") for i, value in enumerate(obj)]}
        raise TypeError(f"tinynn.save cannot save a {type(obj).__module__}.{type(obj).__qualname__} (at {where}): "
                        "only tensors, NumPy arrays, numbers, strings, None, and dicts/lists/tuples of them "
                        "can be saved. Save model.state_dict(), not the model.")

    def pack_tensor(self, tensor: Tensor, where: str) -> dict:
        """The manifest node for a tensor: its array file, dtype, shape, device and flags."""
        from .nn.parameter import Parameter
        self.check_dtype(tensor.dtype, where)
        return {"type": "tensor", "file": self.array_file(tensor.array), "dtype": tensor.dtype.name,
                "shape": list(tensor.shape), "device": str(tensor.device),
                "requires_grad": bool(tensor.requires_grad), "parameter": isinstance(tensor, Parameter)}

    @staticmethod
    def check_dtype(dtype: np.dtype, where: str) -> None:
        """Refuse dtypes a checkpoint cannot hold (object, strings, structured)."""
        if dtype.name not in _ALLOWED_DTYPES:
            raise TypeError(f"tinynn.save: arrays of dtype {dtype} cannot be saved (at {where})")


def save(obj: Any, f: PathLike | BinaryIO) -> None:
    """Save ``obj`` (a state dict, or nested dicts/lists of tensors, numbers and strings) to ``f``.

    ``f`` is a path (written atomically: a temporary file in the same folder,
    flushed to disk, then renamed over ``f``) or a binary file object.
    """
    packer = _Packer()
    manifest = {"format": FORMAT, "version": VERSION, "root": packer.pack(obj, "obj")}
    if not isinstance(f, (str, os.PathLike)):
        _write_zip(f, manifest, packer.arrays)
        return
    path = os.path.realpath(os.fspath(f))        # through a symlink: replace its target, keep the link
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"tinynn.save: cannot write {os.fspath(f)}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"tinynn.save: cannot write {os.fspath(f)}: it is a directory", path)
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise PermissionError(errno.EACCES, f"tinynn.save: cannot write {os.fspath(f)}: permission denied", path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            _write_zip(out, manifest, packer.arrays)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(folder)


def _write_zip(out: BinaryIO, manifest: dict, arrays: list[np.ndarray]) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, allow_nan=False))
        for i, array in enumerate(arrays):
            with archive.open(f"tensors/{i}.npy", "w", force_zip64=array.nbytes > 2**31) as member:
                np.save(member, array, allow_pickle=False)


def _new_file_mode(path: str) -> int:
    """The permissions for the saved file: the old file's, else what ``open()`` would give (umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: str) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------- loading
class _Unpacker:
    """Rebuilds the saved object from a validated archive."""

    def __init__(self, archive: zipfile.ZipFile, source: str, map_location):
        self.archive = archive
        self.source = source
        self.map_location = map_location
        self.arrays: dict[str, np.ndarray] = {}     # member name -> array (a shared array is read once)
        self.tensors: dict[tuple, Tensor] = {}       # (member, device) -> array on that device
        self.used: set[str] = set()

    def fail(self, problem: str) -> RuntimeError:
        """The error to raise for ``problem``, naming the file."""
        return RuntimeError(f"tinynn.load: {self.source}: {problem}")

    def unpack(self, node: Any, where: str) -> Any:
        """Rebuild the value of a manifest node, validating it on the way."""
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise self.fail(f"malformed manifest entry at {where}: expected an object with a 'type'")
        kind = node["type"]
        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            value = node.get("value")
            expected = {"bool": bool, "int": int, "str": str}[kind]
            if type(value) is not expected:
                raise self.fail(f"manifest entry at {where} says {kind} but holds {value!r}")
            return value
        if kind == "float":
            value = node.get("value")
            if value in ("nan", "inf", "-inf"):
                return float(value)
            if type(value) not in (int, float):
                raise self.fail(f"manifest entry at {where} says float but holds {value!r}")
            return float(value)
        if kind in ("dict", "ordered_dict"):
            items = node.get("items")
            if not isinstance(items, list):
                raise self.fail(f"manifest entry at {where} has no list of items")
            result = OrderedDict() if kind == "ordered_dict" else {}
            for item in items:
                if not isinstance(item, dict) or "key" not in item or "value" not in item:
                    raise self.fail(f"malformed dict item at {where}")
                key = item["key"]
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise self.fail(f"dict key {key!r} at {where} is not a str or int")
                result[key] = self.unpack(item["value"], f"{where}[{key!r}]")
            return result
        if kind in ("list", "tuple"):
            items = node.get("items")
            if not isinstance(items, list):
                raise self.fail(f"manifest entry at {where} has no list of items")
            values = [self.unpack(item, f"{where}[{i}]") for i, item in enumerate(items)]
            return values if kind == "list" else tuple(values)
        if kind == "ndarray":
            return self.read_array(node, where)
        if kind == "tensor":
            return self.unpack_tensor(node, where)
        raise self.fail(f"unknown node type {kind!r} at {where}")

    def read_array(self, node: dict, where: str) -> np.ndarray:
        """The array an ``ndarray``/``tensor`` node points to, checked against the node."""
        name, dtype, shape = node.get("file"), node.get("dtype"), node.get("shape")
        if not isinstance(name, str) or not _ARRAY_MEMBER.fullmatch(name):
            raise self.fail(f"bad array file name {name!r} at {where} (expected tensors/<n>.npy)")
        if dtype not in _ALLOWED_DTYPES:
            raise self.fail(f"unsupported dtype {dtype!r} at {where}")
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            raise self.fail(f"bad shape {shape!r} at {where}")
        if name not in self.arrays:
            self.arrays[name] = self.read_member(name, np.dtype(dtype), tuple(shape), where)
            self.used.add(name)
        array = self.arrays[name]
        if not isinstance(array, np.ndarray) or array.dtype.name != dtype or list(array.shape) != shape:
            raise self.fail(f"member {name} holds a {array.dtype} array of shape {tuple(array.shape)}, but the "
                            f"manifest says {dtype} {tuple(shape)} (at {where})")
        return array

    def read_member(self, name: str, dtype: np.dtype, shape: tuple, where: str) -> np.ndarray:
        """Read one ``.npy`` member after checking its size and header against the manifest.

        The checks come before ``np.load`` allocates anything, so a crafted
        header cannot make it allocate more than the manifest announced.
        """
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise self.fail(f"member {name} (for {where}) is missing from the archive") from None
        data_bytes = math.prod(shape) * dtype.itemsize
        if not data_bytes <= info.file_size <= data_bytes + _NPY_HEADER_SLACK:
            raise self.fail(f"member {name} is {info.file_size} bytes, which does not fit a {dtype} array of "
                            f"shape {shape} ({data_bytes} bytes of data) as the manifest says (at {where})")
        try:
            with self.archive.open(name) as member:
                version = np.lib.format.read_magic(member)
                if version == (1, 0):
                    header_shape, _, header_dtype = np.lib.format.read_array_header_1_0(member)
                elif version == (2, 0):
                    header_shape, _, header_dtype = np.lib.format.read_array_header_2_0(member)
                else:
                    raise ValueError(f"unsupported .npy format version {version}")
            if header_dtype != dtype or tuple(header_shape) != shape:
                raise self.fail(f"member {name} holds a {header_dtype} array of shape {tuple(header_shape)}, but "
                                f"the manifest says {dtype} {shape} (at {where})")
            with self.archive.open(name) as member:
                return np.load(member, allow_pickle=False)
        except RuntimeError:
            raise
        except Exception as exc:
            raise self.fail(f"member {name} is not a valid .npy array ({type(exc).__name__}: {exc})") from None

    def unpack_tensor(self, node: dict, where: str) -> Tensor:
        """A tensor (or Parameter) from its node, placed on the device ``map_location`` asks for."""
        array = self.read_array(node, where)
        saved_device = node.get("device", "cpu")
        requires_grad, parameter = node.get("requires_grad", False), node.get("parameter", False)
        if not isinstance(requires_grad, bool) or not isinstance(parameter, bool):
            raise self.fail(f"bad tensor flags at {where}")
        if (requires_grad or parameter) and array.dtype.kind not in "fc":
            raise self.fail(f"a {array.dtype} tensor cannot require grad or be a Parameter (at {where})")
        try:
            saved = _device(saved_device)
        except (TypeError, ValueError):
            raise self.fail(f"bad device {saved_device!r} at {where}") from None
        target = self.target_device(saved)
        key = (node["file"], str(target))
        if key not in self.tensors:
            self.tensors[key] = to_device(array, target) if target != CPU else array
        placed = self.tensors[key]
        if parameter:
            from .nn.parameter import Parameter
            return Parameter(Tensor._wrap(placed), requires_grad)
        tensor = Tensor._wrap(placed)
        if requires_grad:
            tensor.requires_grad_(True)
        return tensor

    def target_device(self, saved: _device) -> _device:
        """Where a tensor saved on ``saved`` goes; an error if that is a GPU this machine lacks."""
        location = self.map_location
        if isinstance(location, dict):
            location = location.get(str(saved), saved)
        target = saved if location is None else _device(location)
        if target.type == "cuda" and not cuda_available():
            raise RuntimeError(
                f"tinynn.load: {self.source}: the checkpoint holds tensors saved on {saved}, but CUDA is not "
                "available here. Load it on the CPU with tinynn.load(path, map_location='cpu').")
        return target


def load(f: PathLike | BinaryIO, map_location: str | _device | dict | None = None,
         weights_only: bool | None = None) -> Any:
    """Load an object written by ``tinynn.save``.

    ``map_location`` places the tensors: None keeps each tensor's saved device,
    ``'cpu'`` / ``'cuda'`` / a ``tinynn.device`` puts all of them there, and a
    dict maps saved device names to new ones (``{'cuda:0': 'cpu'}``).
    ``weights_only`` is accepted for torch compatibility: tinynn's format holds
    data only, so loading is always safe. Any file that is not a valid
    checkpoint raises a ``RuntimeError`` that names the file and the problem.
    """
    source = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file object>")
    try:
        archive = zipfile.ZipFile(f, "r")
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise RuntimeError(f"tinynn.load: {source}: not a tinynn checkpoint ({_describe_non_zip(f, exc)})") from None
    with archive:
        names = archive.namelist()
        if MANIFEST not in names:
            hint = (" It looks like a file written by torch.save, which tinynn cannot read (it would have to "
                    "unpickle it); see docs/moving-to-pytorch.md to convert it."
                    if any(n.endswith("data.pkl") for n in names) else "")
            raise RuntimeError(f"tinynn.load: {source}: not a tinynn checkpoint (no {MANIFEST} in the archive).{hint}")
        _check_members(archive, source)
        if archive.getinfo(MANIFEST).file_size > _MAX_MANIFEST_BYTES:
            raise RuntimeError(f"tinynn.load: {source}: {MANIFEST} is implausibly large "
                               f"({archive.getinfo(MANIFEST).file_size} bytes)")
        try:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
        except RecursionError:
            raise RuntimeError(f"tinynn.load: {source}: {MANIFEST} is nested too deeply") from None
        except (UnicodeDecodeError, ValueError, zipfile.BadZipFile) as exc:
            raise RuntimeError(f"tinynn.load: {source}: {MANIFEST} is not valid JSON ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise RuntimeError(f"tinynn.load: {source}: {MANIFEST} is not a tinynn manifest "
                               f"(format should be {FORMAT!r})")
        if manifest.get("version") != VERSION:
            raise RuntimeError(f"tinynn.load: {source}: unsupported checkpoint version {manifest.get('version')!r} "
                               f"(this tinynn reads version {VERSION})")
        if "root" not in manifest:
            raise RuntimeError(f"tinynn.load: {source}: {MANIFEST} has no 'root' entry")
        unpacker = _Unpacker(archive, source, map_location)
        try:
            obj = unpacker.unpack(manifest["root"], "obj")
        except RecursionError:
            raise RuntimeError(f"tinynn.load: {source}: the manifest is nested too deeply") from None
        extra = sorted(set(names) - {MANIFEST} - unpacker.used)
        if extra:
            raise RuntimeError(f"tinynn.load: {source}: the archive has members the manifest does not "
                               f"mention: {', '.join(extra)}")
        return obj


def _check_members(archive: zipfile.ZipFile, source: str) -> None:
    """Refuse duplicate names, anything but the manifest and ``tensors/<n>.npy`` (e.g. ``../x``), and
    compressed members.

    ``tinynn.save`` stores every member as it is, so no member can expand to
    more than its share of the file: a few bytes of deflated data cannot
    demand gigabytes of memory when loaded.
    """
    seen = set()
    for info in archive.infolist():
        name = info.filename
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise RuntimeError(f"tinynn.load: {source}: member {name!r} is compressed (zip method "
                               f"{info.compress_type}); tinynn checkpoints store their members uncompressed, "
                               "so that loading never needs more memory than the file's size")
        if name in seen:
            raise RuntimeError(f"tinynn.load: {source}: the archive holds the member {name!r} twice")
        seen.add(name)
        if name != MANIFEST and not _ARRAY_MEMBER.fullmatch(name):
            raise RuntimeError(f"tinynn.load: {source}: unexpected archive member {name!r} (a checkpoint holds only "
                               f"{MANIFEST} and tensors/<n>.npy; paths such as '../' or '/' are refused)")


def _describe_non_zip(f, exc: Exception) -> str:
    """Why the file is not a checkpoint, with a hint for pickles (old torch.save files)."""
    head = b""
    try:
        if isinstance(f, (str, os.PathLike)):
            with open(f, "rb") as fh:
                head = fh.read(2)
    except OSError:
        pass
    if head[:1] == b"\x80":
        return ("it is a Python pickle, probably from an old torch.save; tinynn never unpickles, since "
                "unpickling can run arbitrary code")
    return f"not a zip archive: {exc}"
