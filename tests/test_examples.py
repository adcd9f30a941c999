"""The CIFAR-2 examples end to end on a tiny, learnable data set in the real CIFAR-10 file layout."""
import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import tinynn
from tinynn.vision.datasets import CIFAR10
from _cifar_fixtures import checksums, class_attributes, learnable_files, write_files

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A folder holding the fixture CIFAR-10, with CIFAR10 told the fixture's checksums."""
    files = learnable_files()
    write_files(tmp_path / "data", files)
    for name, value in class_attributes(checksums(files)).items():
        monkeypatch.setattr(CIFAR10, name, value)
    return tmp_path / "data"


def run_script(script: str, args: list, monkeypatch, capsys) -> tuple:
    """Run an example as ``python examples/SCRIPT ARGS``; returns (exit code, stdout, stderr)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setattr(sys, "argv", [script] + [str(a) for a in args])
    code = 0
    try:
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def epoch_losses(out: str) -> list:
    return [float(m) for m in re.findall(r"^Epoch +\d+/\d+ +loss ([0-9.]+)", out, flags=re.M)]


@pytest.mark.parametrize("model", ["fc", "deep"])
def test_fc_example_trains_and_reports(model, data_dir, tmp_path, monkeypatch, capsys):
    code, out, err = run_script("cifar2_fc.py", ["--model", model, "--epochs", "4", "--data-dir", data_dir,
                                                 "--no-download", "--lr", "0.05", "--batch-size", "16",
                                                 "--save", tmp_path / "fc.pt"], monkeypatch, capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("Training images: ") and "validation images: " in lines[0]
    assert lines[1] == "Device: cpu (NumPy %s)" % np.__version__
    losses = epoch_losses(out)
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert re.fullmatch(r"Validation accuracy: [01]\.\d{4}", lines[-1])
    assert re.search(r"train acc [01]\.\d{4}  val acc [01]\.\d{4} +[0-9.]+ s +\d+ img/s", out)
    assert (tmp_path / "fc.pt").exists()


def test_conv_example_with_width_predictions_graph_and_predict(data_dir, tmp_path, monkeypatch, capsys):
    args = ["--epochs", "3", "--data-dir", data_dir, "--no-download", "--width", "8", "--weight-decay", "1e-3",
            "--lr", "0.05", "--batch-size", "16", "--save", tmp_path / "net.pt",
            "--predictions", tmp_path / "pred.png", "--graph", tmp_path / "graph.dot"]
    code, out, err = run_script("cifar2_conv.py", args, monkeypatch, capsys)
    assert code == 0, err
    losses = epoch_losses(out)
    assert losses[-1] < losses[0]
    assert out.strip().splitlines()[-1].startswith("Validation accuracy: ")
    with Image.open(tmp_path / "pred.png") as grid:
        assert grid.format == "PNG" and grid.size[0] > 32
    assert (tmp_path / "graph.dot").read_text().lstrip().startswith("digraph")

    picture = tmp_path / "me.jpg"
    Image.new("RGB", (200, 120), (30, 200, 40)).save(picture)
    code, out, err = run_script("predict.py", [tmp_path / "net.pt", picture], monkeypatch, capsys)
    assert code == 0, err
    probs = re.search(r"me\.jpg: (airplane|bird) +\(airplane ([0-9.]+), bird ([0-9.]+)\)", out)
    assert probs and float(probs.group(2)) + float(probs.group(3)) == pytest.approx(1, abs=2e-3)


def test_bad_input_gets_a_message_and_a_non_zero_exit(data_dir, tmp_path, monkeypatch, capsys):
    code, _, err = run_script("cifar2_fc.py", ["--device", "tpu", "--data-dir", data_dir], monkeypatch, capsys)
    assert code == 2 and "unknown device 'tpu'" in err and "Traceback" not in err
    if not tinynn.cuda.is_available():
        code, _, err = run_script("cifar2_fc.py", ["--device", "gpu", "--data-dir", data_dir], monkeypatch, capsys)
        assert code == 2 and ("cupy" in err.lower() or "CUDA" in err)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code, _, err = run_script("cifar2_conv.py", ["--data-dir", blocker / "sub"], monkeypatch, capsys)
    assert code == 2 and "cannot create the data directory" in err
    code, _, err = run_script("cifar2_fc.py", ["--data-dir", tmp_path / "empty", "--no-download"], monkeypatch, capsys)
    assert code == 2 and "download=True" in err

    other = tmp_path / "other.pt"
    tinynn.save(tinynn.nn.Linear(3, 4).state_dict(), other)
    code, _, err = run_script("predict.py", [other, tmp_path / "x.png"], monkeypatch, capsys)
    assert code == 2 and "no CIFAR-2 model" in err
    model_file = tmp_path / "fc.pt"
    sys.path.insert(0, str(EXAMPLES))
    try:
        from cifar2_models import fc_model
    finally:
        sys.path.remove(str(EXAMPLES))
    tinynn.save(fc_model().state_dict(), model_file)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"definitely not a png")
    code, _, err = run_script("predict.py", [model_file, broken], monkeypatch, capsys)
    assert code == 2 and "cannot read" in err and "broken.png" in err
    code, _, err = run_script("predict.py", [model_file, tmp_path / "missing.png"], monkeypatch, capsys)
    assert code == 2 and "no such image" in err


# ------------------------------------------------ bad input is refused before training, in one line
@pytest.mark.parametrize("script, args, message", [
    ("cifar2_fc.py", ["--lr", "nan"], "--lr must be a finite number > 0"),
    ("cifar2_fc.py", ["--lr", "inf"], "--lr must be a finite number > 0"),
    ("cifar2_conv.py", ["--weight-decay", "nan"], "--weight-decay must be a finite number >= 0"),
    ("cifar2_fc.py", ["--seed", "-1"], "--seed must be between 0 and 2**64 - 1"),
    ("cifar2_conv.py", ["--width", "100000"], "--width must be an even number from 2 to 1024"),
])
def test_numbers_that_cannot_train_are_refused(script, args, message, data_dir, monkeypatch, capsys):
    code, out, err = run_script(script, args + ["--data-dir", data_dir, "--no-download"], monkeypatch, capsys)
    assert code == 2 and message in err and "Traceback" not in err
    assert "Epoch" not in out and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("option", ["--save", "--predictions", "--graph"])
def test_output_paths_are_checked_before_the_first_epoch(option, data_dir, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    for bad, message in [(tmp_path / "missing" / "x.out", "does not exist"), (folder, "is a directory")]:
        code, out, err = run_script("cifar2_conv.py", ["--data-dir", data_dir, "--no-download", "--epochs", "1",
                                                       option, bad], monkeypatch, capsys)
        assert code == 2 and message in err and "Traceback" not in err, err
        assert "Epoch" not in out
    assert list(folder.iterdir()) == []                       # nothing left behind (no p.png.tmp)


def _save_fc_model(path):
    sys.path.insert(0, str(EXAMPLES))
    try:
        from cifar2_models import fc_model
    finally:
        sys.path.remove(str(EXAMPLES))
    tinynn.manual_seed(0)
    tinynn.save(fc_model().state_dict(), path)


def _predicted(out: str, name: str) -> tuple:
    found = re.search(re.escape(name) + r": (\w+) +\(airplane ([0-9.]+), bird ([0-9.]+)\)", out)
    assert found, out
    return found.group(1), float(found.group(2)), float(found.group(3))


def test_predict_with_a_fully_connected_model_and_any_image_mode(tmp_path, monkeypatch, capsys):
    model_file = tmp_path / "fc.pt"
    _save_fc_model(model_file)
    grey8 = np.linspace(0, 255, 40 * 30).reshape(30, 40).astype(np.uint8)
    Image.fromarray(grey8, "L").save(tmp_path / "grey8.png")
    Image.fromarray(grey8.astype(np.uint16) * 257).save(tmp_path / "grey16.png")     # a 16-bit grey PNG
    rgb = np.stack([grey8, 255 - grey8, grey8 // 2], axis=2)
    Image.fromarray(rgb, "RGB").save(tmp_path / "rgb.png")
    Image.fromarray(rgb, "RGB").quantize(256).save(tmp_path / "palette.png")         # a palette PNG
    with Image.open(tmp_path / "grey16.png") as check:
        assert check.mode.startswith("I")
    names = ["grey8.png", "grey16.png", "rgb.png", "palette.png"]
    code, out, err = run_script("predict.py", [model_file] + [tmp_path / n for n in names], monkeypatch, capsys)
    assert code == 0, err
    results = {n: _predicted(out, n) for n in names}
    assert all(np.isfinite(r[1]) for r in results.values())
    assert results["grey16.png"] == results["grey8.png"]
    assert results["palette.png"][1] == pytest.approx(results["rgb.png"][1], abs=0.02)


def test_predict_refuses_bombs_and_state_dicts_of_other_things(tmp_path, monkeypatch, capsys):
    import struct
    import zlib
    model_file = tmp_path / "fc.pt"
    _save_fc_model(model_file)
    Image.new("L", (1, 1)).save(tmp_path / "tiny.png")
    png = bytearray((tmp_path / "tiny.png").read_bytes())
    ihdr = png.index(b"IHDR")                                   # claim 20000 x 20000 pixels
    png[ihdr + 4:ihdr + 12] = struct.pack(">II", 20000, 20000)
    png[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(png[ihdr:ihdr + 17])))
    (tmp_path / "bomb.png").write_bytes(bytes(png))
    code, _, err = run_script("predict.py", [model_file, tmp_path / "bomb.png"], monkeypatch, capsys)
    assert code == 2 and "bomb.png" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1

    odd = tmp_path / "odd.pt"
    tinynn.save({"0.weight": tinynn.zeros(512, 3072), "epoch": 3}, odd)
    code, _, err = run_script("predict.py", [odd, tmp_path / "tiny.png"], monkeypatch, capsys)
    assert code == 2 and "not tensors" in err and "'epoch'" in err and "Traceback" not in err
