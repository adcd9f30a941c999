"""tinynn.save / tinynn.load: round trips, atomic writes, and refusal of crafted files (nothing executed)."""
import io
import json
import os
import pickle
import re
import stat
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn import optim


def small_model():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))


def write_archive(path, members: dict, manifest=None):
    """A zip with the given members (name -> bytes); ``manifest`` (a dict) is JSON-encoded first."""
    with zipfile.ZipFile(path, "w") as archive:
        if manifest is not None:
            archive.writestr("manifest.json", json.dumps(manifest))
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def npy_bytes(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def tensor_manifest(dtype="float32", shape=(2,), file="tensors/0.npy", **extra):
    node = {"type": "tensor", "file": file, "dtype": dtype, "shape": list(shape), "device": "cpu",
            "requires_grad": False, "parameter": False}
    node.update(extra)
    return {"format": "tinynn.save", "version": 1, "root": node}


# ------------------------------------------------------------------ round trips
def test_module_state_dict_round_trip(tmp_path):
    tinynn.manual_seed(0)
    model = small_model()
    path = tmp_path / "model.pt"
    tinynn.save(model.state_dict(), path)
    loaded = tinynn.load(path)
    assert isinstance(loaded, OrderedDict) and list(loaded) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert loaded[key].dtype == value.dtype and np.array_equal(loaded[key].numpy(), value.numpy())
        assert not loaded[key].requires_grad
    fresh = small_model()
    fresh.load_state_dict(loaded)
    x = tinynn.randn(2, 1, 6, 6)
    assert np.array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())
    loaded["0.weight"].add_(1.0)        # loaded arrays are ordinary, writable arrays


def test_optimizer_state_dict_round_trip_keeps_int_keys_and_tuples(tmp_path):
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    model(tinynn.randn(4, 3)).sum().backward()
    opt.step()
    path = str(tmp_path / "opt.pt")
    tinynn.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, path)
    checkpoint = tinynn.load(path)
    sd = checkpoint["optimizer"]
    assert list(sd["state"]) == [0, 1] and all(isinstance(k, int) for k in sd["state"])
    assert sd["param_groups"][0]["betas"] == (0.8, 0.9)
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert float(sd["state"][0]["step"]) == 1.0 and sd["state"][0]["step"].dtype == np.float32
    assert checkpoint["epoch"] == 3
    resumed = optim.Adam(nn.Linear(3, 2).parameters())
    resumed.load_state_dict(sd)
    assert resumed.param_groups[0]["lr"] == 0.01


def test_nested_values_round_trip():
    weights = tinynn.randn(3, 4)
    obj = {
        "none": None, "true": True, "int": -7, "big": 2**70, "float": 0.1, "nan": float("nan"),
        "inf": float("-inf"), "text": "héllo", "list": [1, [2.5, "x"]], "tuple": (1, (2,)),
        "int_keys": {0: "a", 5: "b"}, "ordered": OrderedDict([("z", 1), ("a", 2)]),
        "int64": tinynn.tensor([1, 2, 3]), "bool": tinynn.tensor([True, False]), "scalar": tinynn.tensor(2.5),
        "empty": tinynn.zeros(0, 3), "double": tinynn.ones(2, dtype=tinynn.float64),
        "view": weights.t(), "ndarray": np.arange(6, dtype=np.int16).reshape(2, 3),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "npscalar": np.float32(1.5),
        "param": nn.Parameter(tinynn.ones(2)), "grad_leaf": tinynn.ones(2, requires_grad=True),
    }
    buffer = io.BytesIO()
    tinynn.save(obj, buffer)
    buffer.seek(0)
    out = tinynn.load(buffer)
    assert list(out) == list(obj)
    for key in ("none", "true", "int", "big", "float", "inf", "text", "list", "tuple", "int_keys"):
        assert out[key] == obj[key] and type(out[key]) is type(obj[key]), key
    assert np.isnan(out["nan"])
    assert type(out["ordered"]) is OrderedDict and list(out["ordered"]) == ["z", "a"]
    assert type(out["int_keys"]) is dict and list(out["int_keys"]) == [0, 5]
    for key in ("int64", "bool", "scalar", "empty", "double", "view"):
        assert isinstance(out[key], tinynn.Tensor)
        assert out[key].dtype == obj[key].dtype and out[key].shape == obj[key].shape, key
        assert np.array_equal(out[key].numpy(), obj[key].numpy()), key
    assert isinstance(out["ndarray"], np.ndarray) and np.array_equal(out["ndarray"], obj["ndarray"])
    assert out["ndarray"].dtype == np.int16
    assert np.array_equal(out["fortran"], obj["fortran"])
    assert out["npscalar"] == 1.5
    assert isinstance(out["param"], nn.Parameter) and out["param"].requires_grad
    assert type(out["grad_leaf"]) is tinynn.Tensor and out["grad_leaf"].requires_grad


def test_shared_storage_stays_shared():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, shared)
    buffer = io.BytesIO()
    tinynn.save(model.state_dict(), buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert len([n for n in archive.namelist() if n.endswith(".npy")]) == 2
    buffer.seek(0)
    loaded = tinynn.load(buffer)
    assert loaded["0.weight"].array is loaded["1.weight"].array


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    path = tmp_path / "bad.pt"
    with pytest.raises(TypeError, match=r"cannot save a .*Sequential.*Save model.state_dict\(\)"):
        tinynn.save(small_model(), path)
    with pytest.raises(TypeError, match=r"dict keys must be str or int, got float key 1.5 at obj"):
        tinynn.save({1.5: 1}, path)
    with pytest.raises(TypeError, match=r"cannot save a builtins.set \(at obj\['a'\]\[0\]\)"):
        tinynn.save({"a": [{1}]}, path)
    with pytest.raises(TypeError, match="dtype object"):
        tinynn.save(np.array([None]), path)
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------- atomic writes
def test_interrupted_save_leaves_no_file_under_the_final_name(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    calls = []
    real_save = np.save

    def failing_save(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(np, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        tinynn.save(small_model().state_dict(), path)
    assert os.listdir(tmp_path) == []                    # neither the target nor a temp file


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    tinynn.save({"version": 1}, path)
    monkeypatch.setattr(np, "save", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        tinynn.save({"version": 2, "w": tinynn.ones(2)}, path)
    monkeypatch.undo()
    assert tinynn.load(path) == {"version": 1}
    assert os.listdir(tmp_path) == ["model.pt"]


def test_saved_file_gets_ordinary_permissions(tmp_path):
    path = tmp_path / "m.pt"
    umask = os.umask(0o022)
    try:
        tinynn.save({"a": 1}, path)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


# --------------------------------------------------------------- crafted files
class _Boom:
    """Unpickling this would create a marker file: used to prove that load never unpickles."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_is_refused_and_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(_Boom(str(marker))))
    with pytest.raises(RuntimeError, match=r"evil\.pt: not a tinynn checkpoint .*pickle"):
        tinynn.load(path)
    assert not marker.exists()


def test_an_object_array_member_is_refused_and_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = write_archive(tmp_path / "evil.pt",
                         {"tensors/0.npy": npy_bytes(np.array([_Boom(str(marker))], dtype=object), True)},
                         tensor_manifest(shape=(1,)))
    with pytest.raises(RuntimeError, match=r"evil\.pt: .*tensors/0\.npy"):
        tinynn.load(path)
    assert not marker.exists()


def test_object_dtype_in_manifest_is_refused(tmp_path):
    path = write_archive(tmp_path / "f.pt", {"tensors/0.npy": npy_bytes(np.zeros(1))}, tensor_manifest(dtype="object"))
    with pytest.raises(RuntimeError, match="unsupported dtype 'object'"):
        tinynn.load(path)


@pytest.mark.parametrize("case, members, manifest, message", [
    ("random bytes", None, None, "not a tinynn checkpoint"),
    ("no manifest", {"tensors/0.npy": npy_bytes(np.zeros(2, np.float32))}, None, "no manifest.json"),
    ("bad json", {"manifest.json": b"{not json"}, None, "manifest.json is not valid JSON"),
    ("not utf-8", {"manifest.json": b"\xff\xfe"}, None, "not valid JSON"),
    ("wrong format", {}, {"format": "other", "version": 1, "root": {"type": "none"}}, "not a tinynn manifest"),
    ("future version", {}, {"format": "tinynn.save", "version": 99, "root": {"type": "none"}}, "version 99"),
    ("no root", {}, {"format": "tinynn.save", "version": 1}, "no 'root'"),
    ("unknown node", {}, {"format": "tinynn.save", "version": 1, "root": {"type": "pickle", "value": "x"}},
     "unknown node type 'pickle' at obj"),
    ("node without type", {}, {"format": "tinynn.save", "version": 1, "root": {"type": "list", "items": [5]}},
     r"malformed manifest entry at obj\[0\]"),
    ("bad int", {}, {"format": "tinynn.save", "version": 1, "root": {"type": "int", "value": "7"}}, "says int"),
    ("bad key", {}, {"format": "tinynn.save", "version": 1,
                     "root": {"type": "dict", "items": [{"key": [1], "value": {"type": "none"}}]}}, "dict key"),
    ("missing member", {}, tensor_manifest(), "tensors/0.npy .* missing from the archive"),
    ("member name mismatch", {"tensors/1.npy": npy_bytes(np.zeros(2, np.float32))}, tensor_manifest(),
     "tensors/0.npy .* missing"),
    ("extra member", {"tensors/0.npy": npy_bytes(np.zeros(2, np.float32)),
                      "tensors/1.npy": npy_bytes(np.zeros(2, np.float32))}, tensor_manifest(),
     "members the manifest does not mention: tensors/1.npy"),
    ("path traversal", {"../../evil.npy": npy_bytes(np.zeros(2, np.float32))},
     tensor_manifest(file="../../evil.npy"), r"unexpected archive member '\.\./\.\./evil\.npy'"),
    ("absolute path", {"/etc/evil.npy": b"x"}, tensor_manifest(), "unexpected archive member '/etc/evil.npy'"),
    ("manifest points outside", {"tensors/0.npy": npy_bytes(np.zeros(2, np.float32))},
     tensor_manifest(file="tensors/../0.npy"), "bad array file name"),
    ("dtype mismatch", {"tensors/0.npy": npy_bytes(np.zeros(2, np.float64))}, tensor_manifest(),
     "float32 .*manifest|manifest says float32"),
    ("shape mismatch", {"tensors/0.npy": npy_bytes(np.zeros(3, np.float32))}, tensor_manifest(),
     "does not fit|manifest says"),
    ("same size other shape", {"tensors/0.npy": npy_bytes(np.zeros((2, 3), np.float32))},
     tensor_manifest(shape=(3, 2)), r"shape \(2, 3\), but the manifest says float32 \(3, 2\)"),
    ("truncated array", {"tensors/0.npy": npy_bytes(np.zeros(200, np.float32))[:500]},
     tensor_manifest(shape=(200,)), "does not fit"),
    ("not an npy", {"tensors/0.npy": b"\x00" * 200}, tensor_manifest(shape=(2,)), "not a valid .npy"),
    ("negative shape", {}, tensor_manifest(shape=(-1,)), "bad shape"),
    ("bad device", {"tensors/0.npy": npy_bytes(np.zeros(2, np.float32))}, tensor_manifest(device="tpu"),
     "bad device 'tpu'"),
    ("bad flags", {"tensors/0.npy": npy_bytes(np.zeros(2, np.float32))}, tensor_manifest(requires_grad="yes"),
     "bad tensor flags"),
    ("int parameter", {"tensors/0.npy": npy_bytes(np.zeros(2, np.int64))}, tensor_manifest(dtype="int64", parameter=True),
     "int64 tensor cannot require grad"),
])
def test_crafted_files_are_refused_with_a_clear_error(tmp_path, case, members, manifest, message):
    path = tmp_path / "crafted.pt"
    if members is None:
        path.write_bytes(os.urandom(64))
    else:
        write_archive(path, members, manifest)
    with pytest.raises(RuntimeError) as info:
        tinynn.load(path)
    assert "crafted.pt" in str(info.value)
    assert re.search(message, str(info.value)), str(info.value)


def test_duplicate_members_are_refused(tmp_path):
    path = tmp_path / "dup.pt"
    with pytest.warns(UserWarning):
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("manifest.json", json.dumps({"format": "tinynn.save", "version": 1,
                                                         "root": {"type": "none"}}))
            archive.writestr("manifest.json", "{}")
    with pytest.raises(RuntimeError, match="'manifest.json' twice"):
        tinynn.load(path)


def test_deeply_nested_manifest_is_refused(tmp_path):
    depth = 5000
    root = '{"type": "list", "items": [' * depth + '{"type": "none"}' + "]}" * depth
    path = tmp_path / "deep.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", '{"format": "tinynn.save", "version": 1, "root": ' + root + "}")
    with pytest.raises(RuntimeError, match="deep.pt"):
        tinynn.load(path)


def test_a_torch_save_file_gets_a_pointer_to_the_docs(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(RuntimeError, match="torch.save.*moving-to-pytorch"):
        tinynn.load(path)


def test_missing_file_or_folder_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        tinynn.load(tmp_path / "nope.pt")
    with pytest.raises(FileNotFoundError, match="folder .*missing does not exist"):
        tinynn.save({"a": 1}, tmp_path / "missing" / "m.pt")


# ---------------------------------------------------------------- map_location
def test_map_location(tmp_path):
    path = tmp_path / "t.pt"
    tinynn.save({"w": tinynn.ones(2)}, path)
    assert tinynn.load(path, map_location="cpu")["w"].device.type == "cpu"
    assert tinynn.load(path, map_location=tinynn.device("cpu"))["w"].device.type == "cpu"
    assert tinynn.load(path, weights_only=True)["w"].tolist() == [1.0, 1.0]


@pytest.mark.skipif(tinynn.cuda.is_available(), reason="checks the error without a GPU")
def test_cuda_checkpoint_on_a_cpu_machine(tmp_path):
    path = write_archive(tmp_path / "gpu.pt", {"tensors/0.npy": npy_bytes(np.ones(2, np.float32))},
                         tensor_manifest(device="cuda:0"))
    with pytest.raises(RuntimeError, match="saved on cuda:0.*map_location='cpu'"):
        tinynn.load(path)
    assert tinynn.load(path, map_location="cpu").tolist() == [1.0, 1.0]
    assert tinynn.load(path, map_location={"cuda:0": "cpu"}).device.type == "cpu"
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        tinynn.load(path, map_location="cuda")


def test_round_trip_on_device(tmp_path, device):
    model = small_model().to(device)
    path = tmp_path / "m.pt"
    tinynn.save(model.state_dict(), path)
    loaded = tinynn.load(path)
    assert loaded["0.weight"].device.type == device
    on_cpu = tinynn.load(path, map_location="cpu")
    assert on_cpu["0.weight"].device.type == "cpu"
    assert np.array_equal(on_cpu["0.weight"].numpy(), model.state_dict()["0.weight"].cpu().numpy())
    cpu_model = small_model()
    cpu_model.load_state_dict(loaded)              # copies across devices into the CPU parameters
    assert cpu_model[0].weight.device.type == "cpu"
    assert np.array_equal(cpu_model[0].weight.detach().numpy(), on_cpu["0.weight"].numpy())


# ------------------------------------------------- docs/moving-to-pytorch.md
def test_moving_to_pytorch_recipes(tmp_path):
    torch = pytest.importorskip("torch")

    def build(n):
        return n.Sequential(n.Conv2d(3, 4, 3, padding=1), n.Tanh(), n.MaxPool2d(2), n.Flatten(), n.Linear(4 * 4 * 4, 2))

    tinynn.manual_seed(0)
    ours = build(nn)
    opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    ours(tinynn.randn(2, 3, 8, 8)).sum().backward()
    opt.step()
    path = tmp_path / "birds_vs_airplanes.pt"
    tinynn.save({"model": ours.state_dict(), "optimizer": opt.state_dict()}, path)

    # tinynn -> PyTorch, as the document shows it
    ckpt = tinynn.load(path)
    torch_state = {k: torch.from_numpy(v.cpu().numpy().copy()) for k, v in ckpt["model"].items()}
    theirs = build(torch.nn)
    theirs.load_state_dict(torch_state)
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    assert np.allclose(theirs(torch.from_numpy(x)).detach().numpy(), ours(tinynn.from_numpy(x)).detach().numpy(),
                       atol=1e-5)
    opt_state = ckpt["optimizer"]
    opt_state["state"] = {i: {k: torch.from_numpy(v.numpy().copy()) for k, v in s.items()}
                          for i, s in opt_state["state"].items()}
    torch_opt = torch.optim.SGD(theirs.parameters(), lr=0.5)
    torch_opt.load_state_dict(opt_state)
    assert torch_opt.param_groups[0]["momentum"] == 0.9
    torch_path = tmp_path / "model.torch.pt"
    torch.save(theirs.state_dict(), torch_path)

    # PyTorch -> tinynn
    state = torch.load(torch_path, map_location="cpu", weights_only=True)
    back = build(nn)
    back.load_state_dict({k: v.detach().numpy() for k, v in state.items()})
    assert np.array_equal(back(tinynn.from_numpy(x)).detach().numpy(), ours(tinynn.from_numpy(x)).detach().numpy())


# ----------------------------------------------- links, permissions and compressed members
def test_save_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real.pt"
    tinynn.save({"a": tinynn.zeros(2)}, target)
    link = tmp_path / "link.pt"
    link.symlink_to(target)
    tinynn.save({"a": tinynn.ones(3)}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert tinynn.load(target)["a"].tolist() == [1.0, 1.0, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.pt", "real.pt"]


READ_ONLY_SAVE = """
import os, sys, tinynn
if os.geteuid() == 0:                    # root may write anything: save as an ordinary user instead
    os.setgid(65534)
    os.setuid(65534)
path = sys.argv[1]
try:
    tinynn.save({"a": tinynn.ones(3)}, path)
except PermissionError as exc:
    print("PermissionError:", exc)
"""


def test_save_over_a_read_only_file_raises_permission_error():
    import shutil
    import subprocess
    import sys
    import tempfile
    folder = tempfile.mkdtemp()                    # under /tmp, reachable by the ordinary user
    try:
        os.chmod(folder, 0o777)                    # the folder is writable: only the file is read-only
        path = os.path.join(folder, "frozen.pt")
        tinynn.save({"a": tinynn.zeros(2)}, path)
        os.chmod(path, 0o444)
        done = subprocess.run([sys.executable, "-c", READ_ONLY_SAVE, path], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr[-1500:]
        assert "PermissionError: " in done.stdout and "permission denied" in done.stdout
        assert tinynn.load(path)["a"].tolist() == [0.0, 0.0]
    finally:
        shutil.rmtree(folder)


def test_a_directory_is_not_a_checkpoint_path(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        tinynn.save({"a": tinynn.zeros(2)}, tmp_path)


@pytest.mark.parametrize("compressed", ["manifest.json", "tensors/0.npy"])
def test_compressed_members_are_refused_before_they_are_expanded(tmp_path, compressed):
    plain = tmp_path / "plain.pt"
    tinynn.save({"w": tinynn.zeros(1000)}, plain)
    packed = tmp_path / "packed.pt"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(packed, "w") as dst:
        for info in src.infolist():
            method = zipfile.ZIP_DEFLATED if info.filename == compressed else zipfile.ZIP_STORED
            dst.writestr(info.filename, src.read(info.filename), compress_type=method)
    with pytest.raises(RuntimeError, match=f"member '{re.escape(compressed)}' is compressed"):
        tinynn.load(packed)
