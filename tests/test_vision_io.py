"""tinynn.vision.io against direct Pillow reads (and torchvision.io where it imports)."""
import numpy as np
import pytest
from PIL import Image

import tinynn
from tinynn.vision.io import (ImageReadMode, decode_image, encode_png, read_file, read_image, write_jpeg,
                              write_png)


@pytest.fixture
def pictures(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(rgb[:, :, 0]).save(tmp_path / "grey.png")
    Image.fromarray(np.dstack([rgb, rgb[:, :, :1]]), "RGBA").save(tmp_path / "rgba.png")
    Image.fromarray((rgb[:, :, 0].astype(np.uint16) * 257)).save(tmp_path / "grey16.png")
    return tmp_path, rgb


def test_read_image_gives_channels_first_uint8(pictures):
    folder, rgb = pictures
    img = read_image(str(folder / "rgb.png"))
    assert img.dtype == np.uint8 and img.shape == (3, 5, 7)
    np.testing.assert_array_equal(img.numpy(), rgb.transpose(2, 0, 1))
    assert read_image(str(folder / "grey.png")).shape == (1, 5, 7)
    assert read_image(str(folder / "rgba.png")).shape == (4, 5, 7)
    assert read_image(str(folder / "rgba.png"), ImageReadMode.RGB).shape == (3, 5, 7)
    assert read_image(str(folder / "grey.png"), ImageReadMode.RGB).shape == (3, 5, 7)
    sixteen = read_image(str(folder / "grey16.png"))
    assert sixteen.dtype == np.uint16 and int(sixteen.max()) == int(rgb[:, :, 0].max()) * 257


def test_round_trips_and_errors(pictures, tmp_path):
    folder, rgb = pictures
    img = read_image(str(folder / "rgb.png"))
    write_png(img, str(tmp_path / "copy.png"))
    np.testing.assert_array_equal(read_image(str(tmp_path / "copy.png")).numpy(), img.numpy())
    np.testing.assert_array_equal(decode_image(read_file(str(folder / "rgb.png"))).numpy(), img.numpy())
    np.testing.assert_array_equal(decode_image(encode_png(img)).numpy(), img.numpy())
    write_jpeg(img, str(tmp_path / "copy.jpg"), quality=95)
    assert read_image(str(tmp_path / "copy.jpg")).shape == (3, 5, 7)
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(RuntimeError, match="cannot decode .*bad.png"):
        read_image(str(tmp_path / "bad.png"))
    with pytest.raises(RuntimeError, match="expected a \\(C, H, W\\) uint8 tensor"):
        write_png(tinynn.zeros(3, 4, 4), str(tmp_path / "x.png"))
