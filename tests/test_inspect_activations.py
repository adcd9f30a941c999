"""``examples/inspect_activations.py`` end to end, on a tiny CIFAR-10 in the real file layout."""
import io
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import tinynn
from tinynn.vision.datasets import CIFAR10

from _cifar_fixtures import cifar_layout_images, checksums, class_attributes, make_cifar_files, write_files

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))
import inspect_activations as example  # noqa: E402
from cifar2_models import MEAN, STD, Net  # noqa: E402

SCRIPT = EXAMPLES / "inspect_activations.py"
# 12 images per batch, seed 0: 19 birds/airplanes to train on, 5 to inspect.
FILES = make_cifar_files(n_per_batch=12, seed=0)


@pytest.fixture
def cifar_root(tmp_path, monkeypatch):
    """A data folder holding the tiny CIFAR-10; CIFAR10 is told the fixture's checksums."""
    root = tmp_path / "data"
    write_files(root, FILES)
    for name, value in class_attributes(checksums(FILES)).items():
        monkeypatch.setattr(CIFAR10, name, value)
    return root


def validation_birds_and_airplanes():
    """The raw (H, W, 3) uint8 images of the fixture's CIFAR-2 validation set."""
    entry = pickle.load(io.BytesIO(FILES["test_batch"]), encoding="bytes")
    keep = [i for i, label in enumerate(entry[b"labels"]) if label in (0, 2)]
    return cifar_layout_images(entry[b"data"])[keep]


def tiles(picture: Image.Image):
    """The tiles of the grid, row by row, shrunk back to their original size: {section: [arrays]}."""
    g, t, h = example.GAP, example.TILE, example.TITLE_HEIGHT
    pixels = np.asarray(picture)
    out, y = {}, g
    for section, count, size in (("image", 1, 32), ("conv1", 16, 32), ("conv2", 8, 16)):
        y += h
        found = []
        for k in range(count):
            row, col = divmod(k, example.COLUMNS)
            x0, y0 = g + col * (t + g), y + row * (t + g)
            step = t // size
            found.append(pixels[y0 + step // 2:y0 + t:step, x0 + step // 2:x0 + t:step])
        out[section] = found
        y += -(-count // example.COLUMNS) * (t + g)
    return out


def expected_shades(maps: np.ndarray) -> list:
    return [np.repeat(example.map_to_grey(m)[..., None], 3, axis=2) for m in maps]


def test_train_then_draw(cifar_root, tmp_path, capsys):
    out = tmp_path / "pictures" / "act.png"
    code = example.main(["--data-dir", str(cifar_root), "--no-download", "--epochs", "1", "--index", "2",
                         "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Training Net for 1 epoch(s) on 19 images" in printed and "Epoch 1, training loss" in printed
    assert "Validation image 2:" in printed and f"Wrote {out}" in printed
    picture = Image.open(out)
    assert picture.format == "PNG" and picture.mode == "RGB"
    g, t, h = example.GAP, example.TILE, example.TITLE_HEIGHT
    assert picture.size == (8 * t + 9 * g, g + (h + t + g) + (h + 2 * (t + g)) + (h + t + g))
    found = tiles(picture)
    # The input image, un-normalised: the fixture's pixels to within rounding.
    raw = validation_birds_and_airplanes()[2]
    assert np.abs(found["image"][0].astype(int) - raw.astype(int)).max() <= 1
    # Feature maps: grey, each stretched from white (its lowest value) to black (its highest).
    for tile in found["conv1"] + found["conv2"]:
        assert (tile[..., 0] == tile[..., 1]).all() and (tile[..., 0] == tile[..., 2]).all()
        assert tile.min() == 0 and tile.max() == 255
    assert sorted(p.name for p in out.parent.iterdir()) == ["act.png"]


def test_load_a_saved_model_and_check_every_feature_map(cifar_root, tmp_path, capsys):
    tinynn.manual_seed(3)
    model = Net()
    tinynn.save(model.state_dict(), tmp_path / "net.pt")
    out = tmp_path / "act.png"
    assert example.main(["--data-dir", str(cifar_root), "--no-download", "--model", str(tmp_path / "net.pt"),
                         "--index", "4", "--out", str(out)]) == 0
    assert "Training" not in capsys.readouterr().out
    # The same maps, computed here without hooks.
    raw = validation_birds_and_airplanes()[4]
    x = (raw.transpose(2, 0, 1) / np.float32(255) - np.array(MEAN, np.float32)[:, None, None]) \
        / np.array(STD, np.float32)[:, None, None]
    with tinynn.no_grad():
        c1 = model.conv1(tinynn.tensor(x[None].astype(np.float32)))
        c2 = model.conv2(tinynn.nn.functional.max_pool2d(tinynn.tanh(c1), 2))
    found = tiles(Image.open(out))
    for section, maps in (("conv1", c1), ("conv2", c2)):
        for got, want in zip(found[section], expected_shades(maps.numpy()[0])):
            assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


def test_capture_activations_uses_hooks_and_removes_them():
    tinynn.manual_seed(0)
    model = Net()
    x = tinynn.randn(3, 32, 32)
    acts, output = example.capture_activations(model, x, ["conv1", "conv2", "fc1"])
    assert acts["conv1"].shape == (1, 16, 32, 32) and acts["conv2"].shape == (1, 8, 16, 16)
    assert acts["fc1"].shape == (1, 32) and output.shape == (1, 2)
    with tinynn.no_grad():
        assert np.allclose(acts["conv1"].numpy(), model.conv1(x.unsqueeze(0)).numpy())
    assert all(not m._forward_hooks for m in model.modules())
    assert not model.training


def test_map_to_grey_shades_high_values_dark():
    shades = example.map_to_grey(np.array([[0.0, 1.0], [2.0, 4.0]]))
    assert shades.tolist() == [[255, 191], [128, 0]]
    assert example.map_to_grey(np.full((2, 2), 3.0)).tolist() == [[255, 255], [255, 255]]


def test_index_out_of_range(cifar_root, tmp_path, capsys):
    code = example.main(["--data-dir", str(cifar_root), "--no-download", "--epochs", "0", "--index", "5",
                         "--out", str(tmp_path / "a.png")])
    assert code == 2
    assert "error: --index 5 is out of range: the validation set has 5 bird and airplane images (0..4)" \
        in capsys.readouterr().err
    assert not (tmp_path / "a.png").exists()


def test_a_file_that_is_not_a_state_dict(cifar_root, tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a tinynn file")
    assert example.main(["--data-dir", str(cifar_root), "--model", str(bad), "--out", str(tmp_path / "a.png")]) == 2
    assert f"error: --model {bad} is not a state dict of the seeds' Net" in capsys.readouterr().err

    tinynn.save(tinynn.nn.Linear(2, 2).state_dict(), bad)
    assert example.main(["--data-dir", str(cifar_root), "--model", str(bad), "--out", str(tmp_path / "a.png")]) == 2
    assert "is not a state dict of the seeds' Net" in capsys.readouterr().err


def run_script(*args, cwd):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("args, message", [
    (["--model", "missing.pt"], "error: --model missing.pt: no such file"),
    (["--epochs", "0"], "error: could not load CIFAR-10 from"),
    (["--out", "act.jpg"], "--out must name a .png file"),
    (["--index", "-1"], "--index must be 0 or more"),
    (["--device", "tpu"], "error: unknown device 'tpu': use cpu, gpu or cuda"),
    pytest.param(["--device", "gpu"], "error: device 'cuda'",
                 marks=pytest.mark.skipif(tinynn.cuda.is_available(), reason="a CUDA device is present")),
])
def test_bad_input_is_one_clear_line(tmp_path, args, message):
    done = run_script("--data-dir", str(tmp_path / "empty"), "--no-download", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
