"""examples/cifar2_minimal.py: the seeds' pipeline in one file, run end to end on a tiny CIFAR-10."""
import ast
import re
import runpy
import sys
from pathlib import Path

import numpy as np

from tinynn.vision.datasets import CIFAR10
from _cifar_fixtures import LoopbackServer, checksums, class_attributes, learnable_files, make_archive, write_files

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "cifar2_minimal.py"


def test_the_example_imports_only_tinynn_and_the_standard_library():
    tree = ast.parse(SCRIPT.read_text())
    modules = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    modules += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert modules and all(m == "argparse" or m == "tinynn" or m.startswith("tinynn.") for m in modules), modules
    assert len(SCRIPT.read_text().splitlines()) <= 80           # short: the whole pipeline at a glance


def test_the_example_trains_and_validates_on_a_tiny_cifar10(tmp_path, monkeypatch, capsys):
    files = learnable_files(n_per_batch=24)
    write_files(tmp_path / "data", files)
    for name, value in class_attributes(checksums(files)).items():   # CIFAR10 verifies the fixture's files
        monkeypatch.setattr(CIFAR10, name, value)
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--data-dir", str(tmp_path / "data"), "--epochs", "2"])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    losses = [float(x) for x in re.findall(r"^Epoch: \d+, Loss: ([0-9.]+)$", out, flags=re.M)]
    assert len(losses) == 2 and all(np.isfinite(losses)), out
    accuracies = dict(re.findall(r"^Accuracy (train|val): ([01]\.\d{6})$", out, flags=re.M))
    assert set(accuracies) == {"train", "val"}, out
    # 80 training images (40 airplanes, 40 birds) and 16 validation images, as cleanly separable as colours
    assert float(accuracies["train"]) >= 0.9 and float(accuracies["val"]) >= 0.75, out


def test_a_missing_data_set_is_downloaded_first(tmp_path, monkeypatch, capsys):
    files = learnable_files(n_per_batch=6)
    for name, value in class_attributes(checksums(files)).items():
        monkeypatch.setattr(CIFAR10, name, value)
    with LoopbackServer() as server:                                 # the "internet": serves the archive
        server.routes["/" + CIFAR10.filename] = (200, make_archive(files), None)
        monkeypatch.setattr(CIFAR10, "url", server.url("/" + CIFAR10.filename))
        monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--data-dir", str(tmp_path / "new"), "--epochs", "1"])
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert server.requests == ["/" + CIFAR10.filename]
    assert (tmp_path / "new" / "cifar-10-batches-py" / "test_batch").is_file()
    out = capsys.readouterr().out
    assert re.search(r"^Epoch: 0, Loss: [0-9.]+$", out, flags=re.M) and "Accuracy val: " in out, out
