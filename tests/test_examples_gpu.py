"""The CIFAR-2 examples with ``--device gpu`` (issue 16): one epoch each on the tiny CIFAR-10 fixture.

On real CuPy where a CUDA device is present, otherwise on the strict CuPy stand-in (see
conftest.py). A model trained on the GPU then predicts with ``predict.py`` on a machine without
one: the checkpoint is loaded with a ``map_location``.
"""
import math
import re

import numpy as np
import pytest
from PIL import Image

import tinynn
from tinynn import _device
from conftest import CUDA, GPU_STAND_IN
from test_examples import data_dir, epoch_losses, run_script  # noqa: F401  (data_dir is a fixture)

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not CUDA, reason="no CUDA device, and no CuPy stand-in")]


def rejections() -> int:
    """What the stand-in refused so far (a refusal that some code caught would otherwise go unseen)."""
    if not GPU_STAND_IN:
        return 0
    import cupy
    return sum(n for (event, *_), n in cupy._log.counts.items() if event == "REJECT")


def check_trained_one_epoch(code: int, out: str, err: str) -> None:
    assert code == 0, err
    assert re.search(r"^Device: cuda(:0)? \(.+, CuPy .+\)$", out, flags=re.M), out
    losses = epoch_losses(out)
    assert len(losses) == 1 and math.isfinite(losses[0])
    assert re.search(r"^Validation accuracy: [01]\.\d{4}$", out, flags=re.M)


def test_fc_example_trains_one_epoch_on_the_gpu(data_dir, tmp_path, monkeypatch, capsys):  # noqa: F811
    refused = rejections()
    code, out, err = run_script("cifar2_fc.py", ["--device", "gpu", "--epochs", "1", "--data-dir", data_dir,
                                                 "--no-download", "--batch-size", "16"],
                                monkeypatch, capsys)
    check_trained_one_epoch(code, out, err)
    assert rejections() == refused


def test_conv_example_trains_on_the_gpu_and_its_model_predicts_without_one(data_dir, tmp_path,  # noqa: F811
                                                                            monkeypatch, capsys):
    refused = rejections()
    model_file = tmp_path / "net.pt"
    code, out, err = run_script("cifar2_conv.py", ["--device", "gpu", "--epochs", "1", "--data-dir", data_dir,
                                                   "--no-download", "--batch-size", "16", "--width", "8",
                                                   "--save", model_file], monkeypatch, capsys)
    check_trained_one_epoch(code, out, err)
    assert rejections() == refused
    assert all(t.device == "cuda" for t in tinynn.load(model_file).values())   # a GPU checkpoint

    picture = tmp_path / "green.png"
    Image.new("RGB", (40, 30), (30, 200, 40)).save(picture)
    code, on_gpu, err = run_script("predict.py", [model_file, picture, "--device", "gpu"], monkeypatch, capsys)
    assert code == 0, err
    monkeypatch.setattr(_device, "_cupy", False)            # a machine without CuPy (or without a GPU)
    monkeypatch.setattr(_device, "_cupy_error", "ModuleNotFoundError: No module named 'cupy'")
    code, on_cpu, err = run_script("predict.py", [model_file, picture], monkeypatch, capsys)
    assert code == 0, err
    probabilities = [re.search(r"\(airplane ([0-9.]+), bird ([0-9.]+)\)", text).groups() for text in (on_gpu, on_cpu)]
    np.testing.assert_allclose(np.array(probabilities, dtype=float)[0], np.array(probabilities, dtype=float)[1],
                               atol=2e-3)
    code, _, err = run_script("predict.py", [model_file, picture, "--device", "gpu"], monkeypatch, capsys)
    assert code == 2 and "cupy" in err.lower() and "Traceback" not in err
