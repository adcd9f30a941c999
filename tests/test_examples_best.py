"""examples/cifar2_best.py: the recipe's network, its augmentation, and a short run on the tiny CIFAR-10 fixture.

The end-to-end runs use the learnable fixture of test_examples.py (its ``data_dir`` fixture and
``run_script``); the comparison with PyTorch's version of the network skips without it.
"""
import re
import sys

import numpy as np
import pytest

import tinynn
from conftest import CUDA
from test_examples import EXAMPLES, data_dir, epoch_losses, run_script  # noqa: F401 (data_dir is a fixture)


@pytest.fixture(scope="module")
def best():
    """The examples' cifar2_best module."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import cifar2_best
    finally:
        sys.path.remove(str(EXAMPLES))
    return cifar2_best


def test_the_network_and_its_shapes(best):
    model = best.best_model()
    assert sum(p.numel() for p in model.parameters()) == 62_738
    kinds = [type(m).__name__ for m in model]
    assert kinds.count("Conv2d") == 4 and kinds.count("BatchNorm2d") == 4 and kinds.count("ReLU") == 4
    assert all(m.bias is None for m in model if type(m).__name__ == "Conv2d")       # batch norm's shift replaces it
    assert tuple(model(tinynn.randn(3, 3, 32, 32)).shape) == (3, 2)
    plain = best.best_model(batch_norm=False)
    assert "BatchNorm2d" not in [type(m).__name__ for m in plain]
    assert all(m.bias is not None for m in plain if type(m).__name__ == "Conv2d")


def test_pytorch_builds_the_same_network(best):
    torch = pytest.importorskip("torch")
    ours, theirs = best.best_model(), best.best_model(torch.nn)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
           {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3, 32, 32)).astype(np.float32)
    ours.eval(), theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(tinynn.from_numpy(x)).detach().numpy(), expected, rtol=1e-4, atol=1e-5)


def test_augment_flips_and_cuts_each_image_from_its_reflection(best):
    tinynn.manual_seed(0)
    images = np.random.default_rng(1).standard_normal((32, 3, 8, 10)).astype(np.float32)
    flipped = best.augment(tinynn.from_numpy(images), flip=True, crop=False).numpy()
    is_mirror = [np.array_equal(f, img[..., ::-1]) for f, img in zip(flipped, images)]
    assert all(m or np.array_equal(f, img) for m, f, img in zip(is_mirror, flipped, images))
    assert 0 < sum(is_mirror) < len(images)                     # each image draws its own
    cut = best.augment(tinynn.from_numpy(images), flip=False, crop=True).numpy()
    p = best.CROP_PADDING
    padded = np.pad(images, ((0, 0), (0, 0), (p, p), (p, p)), mode="reflect")
    offsets = set()
    for k in range(len(images)):
        found = [(dy, dx) for dy in range(2 * p + 1) for dx in range(2 * p + 1)
                 if np.array_equal(cut[k], padded[k, :, dy:dy + 8, dx:dx + 10])]
        assert found, f"image {k} is no window of its reflected padding"
        offsets.add(found[0])
    assert len(offsets) > 5                                     # one offset per image, not one per batch


def test_the_recipe_trains_on_the_fixture_and_saves(best, data_dir, tmp_path, monkeypatch, capsys):
    code, out, err = run_script("cifar2_best.py", ["--epochs", "3", "--batch-size", "16", "--data-dir", data_dir,
                                                   "--no-download", "--seed", "1", "--save", tmp_path / "best.pt"],
                                monkeypatch, capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("Training images: ") and lines[1].startswith("Device: cpu")
    assert "OneCycleLR to lr 0.05" in out and "Nesterov" in out and "augmentation: flip, crop" in out
    assert len(re.findall(r"^Epoch +\d+/3  loss [0-9.]+  train acc [01]\.\d{4}  val acc [01]\.\d{4} .* total +[0-9.]+ s$",
                          out, flags=re.M)) == 3
    assert re.fullmatch(r"Validation accuracy: [01]\.\d{4}", lines[-1])
    assert float(lines[-1].split()[-1]) >= 0.75                 # the fixture's classes are easy to tell apart
    model = best.best_model()
    model.load_state_dict(tinynn.load(tmp_path / "best.pt"))


def test_without_parts_of_the_recipe(data_dir, monkeypatch, capsys):
    code, out, err = run_script("cifar2_best.py", ["--epochs", "1", "--batch-size", "32", "--data-dir", data_dir,
                                                   "--no-download", "--without", "batchnorm,flip",
                                                   "--without", "onecycle", "--without", "nesterov"],
                                monkeypatch, capsys)
    assert code == 0, err
    assert "BatchNorm2d" not in out and "constant lr 0.05" in out and "augmentation: crop" in out
    assert "SGD momentum" in out and len(epoch_losses(out)) == 1


@pytest.mark.parametrize("args, message", [
    (["--without", "dropout"], "--without dropout: not a part of the recipe"),
    (["--epochs", "-1"], "--epochs must be >= 0"),
    (["--lr", "0"], "--lr must be a finite number > 0"),
    (["--device", "tpu"], "unknown device"),
])
def test_bad_input_gets_one_line_and_exit_2(args, message, data_dir, monkeypatch, capsys):
    code, out, err = run_script("cifar2_best.py", ["--data-dir", data_dir, "--no-download", *args],
                                monkeypatch, capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert "Epoch" not in out


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="no CUDA device and no CuPy stand-in")
def test_the_recipe_on_the_gpu_path(best, data_dir, monkeypatch, capsys):
    code, out, err = run_script("cifar2_best.py", ["--device", "gpu", "--epochs", "1", "--batch-size", "32",
                                                   "--data-dir", data_dir, "--no-download"], monkeypatch, capsys)
    assert code == 0, err
    assert "Device: cuda" in out and len(epoch_losses(out)) == 1, out
    tinynn.manual_seed(0)
    images = tinynn.randn(16, 3, 8, 8)
    on_gpu = best.augment(images.to("cuda"))
    assert on_gpu.is_cuda and tuple(on_gpu.shape) == (16, 3, 8, 8)
