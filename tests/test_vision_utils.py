"""tinynn.vision.utils: make_grid's layout and save_image's pixels and file handling.

The layout is checked against a direct NumPy construction, and against the
installed torchvision (skipped without it) for many shapes and options.
"""
from __future__ import annotations

import io
import os
import stat
import sys

import numpy as np
import pytest
from PIL import Image

import tinynn
from tinynn.vision.datasets.utils import atomic_write
from tinynn.vision.utils import make_grid, save_image

from _torchvision import torchvision_module

rng = np.random.default_rng(0)


def images(*shape, scale=2.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def grid_by_hand(batch: np.ndarray, nrow: int, padding: int, pad_value: float) -> np.ndarray:
    """The layout torchvision documents: image k at row k // nrow, column k % nrow, ``padding`` around each."""
    n, c, h, w = batch.shape
    cols = min(nrow, n)
    rows = -(-n // cols)
    grid = np.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding), pad_value, batch.dtype)
    for k in range(n):
        top, left = (k // cols) * (h + padding) + padding, (k % cols) * (w + padding) + padding
        grid[:, top:top + h, left:left + w] = batch[k]
    return grid


@pytest.mark.parametrize("n,nrow,padding,pad_value", [(5, 8, 2, 0.0), (7, 3, 1, 0.5), (9, 3, 0, 1.0), (4, 1, 3, -1.0)])
def test_layout_matches_the_documented_one(n, nrow, padding, pad_value):
    batch = images(n, 3, 4, 5)
    got = make_grid(tinynn.from_numpy(batch), nrow=nrow, padding=padding, pad_value=pad_value)
    np.testing.assert_array_equal(got.numpy(), grid_by_hand(batch, nrow, padding, pad_value))
    assert got.dtype == np.float32


def test_single_images_and_one_channel_inputs():
    one = images(1, 4, 5)
    expected = np.concatenate([one] * 3)
    np.testing.assert_array_equal(make_grid(tinynn.from_numpy(one)).numpy(), expected)             # 1 x H x W
    np.testing.assert_array_equal(make_grid(tinynn.from_numpy(one[0])).numpy(), expected)          # H x W
    np.testing.assert_array_equal(make_grid(tinynn.from_numpy(one[None])).numpy(), expected)       # 1 x 1 x H x W
    rgb = images(3, 4, 5)
    np.testing.assert_array_equal(make_grid(tinynn.from_numpy(rgb)).numpy(), rgb)                   # no padding
    gray_batch = images(3, 1, 4, 5)
    got = make_grid(tinynn.from_numpy(gray_batch), padding=1).numpy()
    np.testing.assert_array_equal(got, grid_by_hand(np.repeat(gray_batch, 3, axis=1), 8, 1, 0.0))


def test_a_list_of_tensors_is_a_batch():
    parts = [images(3, 4, 4) for _ in range(3)]
    got = make_grid([tinynn.from_numpy(p) for p in parts], nrow=2)
    np.testing.assert_array_equal(got.numpy(), grid_by_hand(np.stack(parts), 2, 2, 0.0))


def test_normalize_uses_the_range_or_each_images_own():
    batch = images(3, 3, 2, 2)
    t = tinynn.from_numpy(batch)
    lo, hi = batch.min(), batch.max()
    np.testing.assert_allclose(make_grid(t, normalize=True, padding=0).numpy(),
                               grid_by_hand((batch - lo) / (hi - lo), 8, 0, 0.0), rtol=1e-6)
    each = np.stack([(b - b.min()) / (b.max() - b.min()) for b in batch])
    np.testing.assert_allclose(make_grid(t, normalize=True, scale_each=True, padding=0).numpy(),
                               grid_by_hand(each, 8, 0, 0.0), rtol=1e-6)
    clipped = (np.clip(batch, -1, 1) + 1) / 2
    np.testing.assert_allclose(make_grid(t, normalize=True, value_range=(-1, 1), padding=0).numpy(),
                               grid_by_hand(clipped, 8, 0, 0.0), rtol=1e-6)
    np.testing.assert_array_equal(t.numpy(), batch)  # the input is not modified
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(t, normalize=True, value_range=[-1, 1])


def test_gradients_flow_through_the_grid():
    x = tinynn.from_numpy(images(3, 1, 2, 2)).requires_grad_()
    make_grid(x, nrow=2, padding=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 1, 2, 2), 3.0, np.float32))  # 3 channel copies


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(np.zeros((2, 3, 4, 4)))
    with pytest.raises(TypeError, match="a list containing"):
        make_grid([tinynn.zeros(3, 4, 4), np.zeros((3, 4, 4))])
    with pytest.raises(ValueError, match=r"shape \(2, 3, 4, 4, 1\)"):
        make_grid(tinynn.zeros(2, 3, 4, 4, 1))
    with pytest.raises(ValueError, match="nrow"):
        make_grid(tinynn.zeros(2, 3, 4, 4), nrow=0)


GRID_CASES = [
    ((5, 3, 4, 6), {}), ((5, 1, 4, 6), {"nrow": 2}), ((3, 4, 5), {}), ((1, 4, 5), {}), ((4, 5), {}),
    ((9, 3, 3, 3), {"nrow": 4, "padding": 0, "pad_value": 0.5}), ((7, 3, 5, 5), {"normalize": True}),
    ((7, 3, 5, 5), {"normalize": True, "scale_each": True}),
    ((7, 3, 5, 5), {"normalize": True, "value_range": (-1., 1.)}),
    ((1, 3, 5, 5), {"padding": 3}), ((8, 2, 3, 3), {"nrow": 3, "padding": 1}), ((6, 3, 2, 2), {"nrow": 20}),
]


@pytest.mark.parametrize("shape,kwargs", GRID_CASES)
def test_grids_equal_torchvisions(shape, kwargs):
    torch = pytest.importorskip("torch")
    tv_utils = torchvision_module("utils")
    batch = images(*shape)
    expected = tv_utils.make_grid(torch.from_numpy(batch), **kwargs).numpy()
    np.testing.assert_array_equal(make_grid(tinynn.from_numpy(batch), **kwargs).numpy(), expected)


# ----------------------------------------------------------------------------- save_image
def test_save_image_rounds_as_torchvision_and_writes_a_png(tmp_path):
    values = np.array([0.0, 0.5 / 255, 0.499 / 255, 1.0, 1.2, -0.3, 0.25, 254.6 / 255], np.float32)
    x = np.broadcast_to(values, (3, 1, 8)).copy()
    save_image(tinynn.from_numpy(x), tmp_path / "row.png")
    pixels = np.asarray(Image.open(tmp_path / "row.png"))
    assert pixels.shape == (1, 8, 3) and pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels[0, :, 0], [0, 1, 0, 255, 255, 0, 64, 255])


def test_save_image_of_a_batch_is_the_grid(tmp_path):
    batch = np.clip(images(5, 1, 4, 4, scale=0.3) + 0.5, 0, 1)
    save_image(tinynn.from_numpy(batch), str(tmp_path / "grid.png"), nrow=3, padding=1)
    grid = make_grid(tinynn.from_numpy(batch), nrow=3, padding=1).numpy()
    expected = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "grid.png")), expected)


def test_save_image_to_a_file_object_and_with_a_format(tmp_path):
    x = tinynn.from_numpy(np.clip(images(3, 4, 4, scale=0.2) + 0.5, 0, 1))
    buffer = io.BytesIO()
    save_image(x, buffer, format="PNG")
    save_image(x, tmp_path / "image.data", format="png")
    assert buffer.getvalue() == (tmp_path / "image.data").read_bytes()
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "PNG"
    save_image(x, tmp_path / "image.JPG")
    assert Image.open(tmp_path / "image.JPG").format == "JPEG"


def test_save_image_errors_leave_nothing_behind(tmp_path):
    x = tinynn.rand(3, 4, 4)
    with pytest.raises(ValueError, match="unknown file extension: .xyz"):
        save_image(x, tmp_path / "image.xyz")
    missing = tmp_path / "no" / "such" / "folder" / "image.png"
    with pytest.raises(FileNotFoundError) as err:
        save_image(x, missing)
    assert str(err.value) == f"cannot write {missing}: the folder {missing.parent} does not exist"
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(IsADirectoryError, match="folder.png: it is a folder"):
        save_image(x, tmp_path / "folder.png")
    with pytest.raises(TypeError, match="floating-point"):
        save_image(tinynn.zeros(3, 4, 4, dtype=tinynn.uint8), tmp_path / "int.png")
    assert [p.name for p in tmp_path.iterdir()] == ["folder.png"]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_save_image_into_a_read_only_folder_names_the_path(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match=f"cannot write {folder / 'x.png'}: no permission"):
            save_image(tinynn.rand(3, 2, 2), folder / "x.png")
    finally:
        folder.chmod(0o700)


def test_atomic_write_keeps_the_old_file_on_failure_and_uses_normal_permissions(tmp_path):
    target = tmp_path / "image.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(target) as out:
            out.write(b"half of the new data")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["image.png"]
    save_image(tinynn.rand(3, 2, 2), target)
    assert Image.open(target).size == (2, 2)
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_saved_files_equal_torchvisions(tmp_path):
    torch = pytest.importorskip("torch")
    tv_utils = torchvision_module("utils")
    for k, (shape, kwargs) in enumerate(GRID_CASES):
        batch = np.clip(images(*shape, scale=0.4) + 0.5, -0.1, 1.1)  # some values outside [0, 1]: clamped
        if len(shape) == 4 and shape[1] == 2:
            continue  # a two-channel grid is not an image mode Pillow can write as PNG
        tv_utils.save_image(torch.from_numpy(batch), tmp_path / f"tv{k}.png", **kwargs)
        save_image(tinynn.from_numpy(batch), tmp_path / f"tn{k}.png", **kwargs)
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / f"tn{k}.png")),
                                      np.asarray(Image.open(tmp_path / f"tv{k}.png")))
        assert (tmp_path / f"tn{k}.png").read_bytes() == (tmp_path / f"tv{k}.png").read_bytes()


def test_grids_and_files_from_each_device(device, tmp_path):
    batch = np.clip(images(5, 1, 4, 4, scale=0.3) + 0.5, 0, 1)
    x = tinynn.from_numpy(batch).to(device)
    grid = make_grid(x, nrow=2, normalize=True)
    assert grid.device.type == device
    np.testing.assert_allclose(grid.cpu().numpy(), make_grid(tinynn.from_numpy(batch), nrow=2, normalize=True).numpy())
    save_image(x, tmp_path / "device.png", nrow=2)
    save_image(tinynn.from_numpy(batch), tmp_path / "cpu.png", nrow=2)
    assert (tmp_path / "device.png").read_bytes() == (tmp_path / "cpu.png").read_bytes()
