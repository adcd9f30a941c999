"""tinynn.vision.transforms for MNIST-style programs: Resize, CenterCrop, InterpolationMode, one-channel images.

Values are checked against direct NumPy/Pillow constructions, and against the
installed torchvision (skipped without it).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import tinynn
from tinynn.vision import transforms
from tinynn.vision.transforms import InterpolationMode, _batch_plan, _linear_weights, _run_batch

from _torchvision import torchvision_module


def grey(h=28, w=28, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(h, w), dtype=np.uint8)


# ----------------------------------------------------------------------------- one-channel MNIST pipelines
def test_mnist_pipeline_on_a_grey_image():
    pixels = grey()
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    out = transform(Image.fromarray(pixels))
    assert out.shape == (1, 28, 28) and out.dtype == np.float32
    expected = (pixels.astype(np.float32) / np.float32(255) - np.float32(0.1307)) / np.float32(0.3081)
    np.testing.assert_array_equal(out.numpy()[0], expected)
    back = transforms.ToPILImage()(transforms.ToTensor()(Image.fromarray(pixels)))
    assert back.mode == "L"
    np.testing.assert_array_equal(np.asarray(back), pixels)


def test_reflect_padding_crop_and_flip_on_grey_images():
    pixels = grey(6, 6)
    crop = transforms.RandomCrop(6, padding=2, padding_mode="reflect")
    padded = np.pad(pixels, 2, mode="reflect")
    windows = [padded[i:i + 6, j:j + 6] for i in range(5) for j in range(5)]
    tinynn.manual_seed(0)
    for _ in range(10):
        out = crop(Image.fromarray(pixels))
        assert out.mode == "L" and any(np.array_equal(np.asarray(out), w) for w in windows)
    flipped = transforms.RandomHorizontalFlip(p=1.0)(Image.fromarray(pixels))
    np.testing.assert_array_equal(np.asarray(flipped), pixels[:, ::-1])


# ----------------------------------------------------------------------------- Resize
def test_resize_sizes_follow_torchvisions_rules():
    img = Image.fromarray(grey(20, 30))
    assert transforms.Resize(10)(img).size == (15, 10)          # smaller edge to 10, aspect kept (w, h)
    assert transforms.Resize([10])(img).size == (15, 10)
    assert transforms.Resize((7, 9))(img).size == (9, 7)
    assert transforms.Resize(10, max_size=12)(img).size == (12, 8)  # longer edge capped
    tall = tinynn.from_numpy(np.zeros((1, 31, 10), np.float32))
    assert transforms.Resize(7)(tall).shape == (1, 21, 7)        # int(7 * 31 / 10) = 21
    assert transforms.Resize(20)(img) is img and transforms.Resize((20, 30))(img) is img  # same size: as is
    assert transforms.Resize((20, 31))(img) is not img
    with pytest.raises(ValueError, match="max_size should only be passed"):
        transforms.Resize((5, 5), max_size=10)(img)
    with pytest.raises(ValueError, match="must be strictly greater"):
        transforms.Resize(10, max_size=10)(img)
    with pytest.raises(ValueError, match="1 or 2 values"):
        transforms.Resize((1, 2, 3))
    with pytest.raises(TypeError, match="PIL Image or Tensor"):
        transforms.Resize(5)(grey())


@pytest.mark.parametrize("interpolation", [InterpolationMode.NEAREST, InterpolationMode.BILINEAR,
                                           InterpolationMode.BICUBIC, InterpolationMode.LANCZOS, 0, 2, 3])
def test_resize_of_a_pil_image_is_pillows(interpolation):
    img = Image.fromarray(grey())
    mode = transforms._interpolation_mode(interpolation)
    expected = img.resize((32, 32), transforms._PIL_FILTERS[mode])
    out = transforms.Resize(32, interpolation=interpolation)(img)
    assert out.mode == "L"
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))


def test_interpolation_modes():
    assert InterpolationMode("bilinear") is InterpolationMode.BILINEAR
    assert transforms.Resize(4, interpolation=Image.Resampling.NEAREST).interpolation is InterpolationMode.NEAREST
    assert repr(transforms.Resize(4)) == "Resize(size=4, interpolation=bilinear, max_size=None, antialias=True)"
    with pytest.raises(TypeError, match="InterpolationMode"):
        transforms.Resize(4, interpolation="bilinear")


def bilinear_by_hand(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Two-tap bilinear interpolation with half-pixel centres and clamped edges (align_corners=False)."""
    h, w = image.shape

    def taps(n_in, n_out):
        src = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0)
        i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, src - i0

    r0, r1, fr = taps(h, out_h)
    c0, c1, fc = taps(w, out_w)
    top = image[r0][:, c0] * (1 - fc) + image[r0][:, c1] * fc
    bottom = image[r1][:, c0] * (1 - fc) + image[r1][:, c1] * fc
    return top * (1 - fr[:, None]) + bottom * fr[:, None]


@given(st.integers(2, 9), st.integers(2, 9), st.integers(1, 12), st.integers(1, 12))
def test_tensor_bilinear_equals_the_two_tap_formula(h, w, out_h, out_w):
    image = np.random.default_rng(h * 100 + w).random((h, w))
    got = transforms.Resize((out_h, out_w), antialias=False)(tinynn.from_numpy(image[None]))
    assert got.dtype == np.float64 and got.shape == (1, out_h, out_w)
    np.testing.assert_allclose(got.numpy()[0], bilinear_by_hand(image, out_h, out_w), rtol=1e-12, atol=1e-12)


def test_antialiased_shrinking_averages_over_the_wider_window():
    # Scale 4: output 0 is centred at input position 2.0 and weighs pixel j by 1 - |j + 0.5 - 2| / 4.
    weights = _linear_weights(8, 2, antialias=True)
    expected_row = np.array([5, 7, 7, 5, 3, 1, 0, 0], float)
    np.testing.assert_allclose(weights[0], expected_row / expected_row.sum())
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    image = np.arange(16.0).reshape(2, 8)
    out = transforms.Resize((2, 2))(tinynn.from_numpy(image[None])).numpy()[0]
    np.testing.assert_allclose(out, image @ weights.T)


def test_tensor_nearest_uint8_and_unsupported_modes():
    image = np.arange(12, dtype=np.uint8).reshape(1, 3, 4)
    near = transforms.Resize((6, 2), interpolation=InterpolationMode.NEAREST)(tinynn.from_numpy(image))
    np.testing.assert_array_equal(near.numpy()[0], image[0][[0, 0, 1, 1, 2, 2]][:, [0, 2]])
    up = transforms.Resize((3, 8))(tinynn.from_numpy(image))
    assert up.dtype == np.uint8
    np.testing.assert_array_equal(up.numpy()[0], np.round(bilinear_by_hand(image[0].astype(float), 3, 8)))
    batch = tinynn.from_numpy(np.zeros((2, 1, 4, 4), np.float32))
    assert transforms.Resize(8)(batch).shape == (2, 1, 8, 8)
    with pytest.raises(NotImplementedError, match="bicubic"):
        transforms.Resize(8, interpolation=InterpolationMode.BICUBIC)(batch)


RESIZE_CASES = [((1, 28, 28), 32), ((1, 28, 28), 14), ((3, 17, 23), (20, 9)), ((2, 3, 10, 7), (5, 40)),
                ((1, 28, 28), 7)]


@pytest.mark.parametrize("shape,size", RESIZE_CASES)
def test_tensor_resize_equals_torchvisions(shape, size):
    torch = pytest.importorskip("torch")
    tv = torchvision_module("transforms")
    image = np.random.default_rng(1).random(shape).astype(np.float32)
    for mode in ("NEAREST", "NEAREST_EXACT", "BILINEAR"):
        for antialias in (True, False):
            reference = tv.Resize(size, getattr(tv.InterpolationMode, mode), antialias=antialias)
            expected = reference(torch.from_numpy(image))
            got = transforms.Resize(size, getattr(InterpolationMode, mode), antialias=antialias)(
                tinynn.from_numpy(image))
            assert got.shape == tuple(expected.shape) and got.dtype == np.float32
            np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    pixels = (image * 255).astype(np.uint8)
    expected = tv.Resize(size)(torch.from_numpy(pixels)).numpy().astype(int)
    assert np.abs(transforms.Resize(size)(tinynn.from_numpy(pixels)).numpy() - expected).max() <= 1  # .5 ties
    pil = Image.fromarray(pixels.reshape(-1, *pixels.shape[-2:])[0])
    np.testing.assert_array_equal(np.asarray(transforms.Resize(size)(pil)), np.asarray(tv.Resize(size)(pil)))


# ----------------------------------------------------------------------------- CenterCrop
@pytest.mark.parametrize("size", [2, (3, 5), (6, 6), (8, 5), (9, 10)])
def test_center_crop_by_hand(size):
    pixels = grey(6, 5)
    th, tw = (size, size) if isinstance(size, int) else size
    pt, pl = max(th - 6, 0) // 2, max(tw - 5, 0) // 2
    padded = np.pad(pixels, ((pt, max(th - 6, 0) - pt), (pl, max(tw - 5, 0) - pl)))
    top, left = int(round((padded.shape[0] - th) / 2)), int(round((padded.shape[1] - tw) / 2))
    expected = padded[top:top + th, left:left + tw]
    crop = transforms.CenterCrop(size)
    out = crop(Image.fromarray(pixels))
    assert out.mode == "L"
    np.testing.assert_array_equal(np.asarray(out), expected)
    np.testing.assert_array_equal(crop(pixels[:, :, None])[:, :, 0], expected)
    np.testing.assert_array_equal(crop(tinynn.from_numpy(pixels[None])).numpy()[0], expected)


def test_center_crop_in_a_batch_equals_the_per_image_path():
    images = np.stack([np.stack([grey(7, 6, seed=k)] * 3, axis=-1) for k in range(4)])
    for transform in (transforms.Compose([transforms.CenterCrop(4), transforms.ToTensor()]),
                      transforms.Compose([transforms.ToTensor(), transforms.CenterCrop((9, 3))]),
                      transforms.CenterCrop(5)):
        plan = _batch_plan(transform)
        assert plan is not None
        for out, pixels in zip(_run_batch(plan, images), images):
            expected = transform(Image.fromarray(pixels))
            assert type(out) is type(expected) or isinstance(out, Image.Image) == isinstance(expected, Image.Image)
            got = np.asarray(out) if isinstance(out, Image.Image) else out.numpy()
            np.testing.assert_array_equal(got, np.asarray(expected) if isinstance(expected, Image.Image)
                                          else expected.numpy())
    assert repr(transforms.CenterCrop(4)) == "CenterCrop(size=(4, 4))"
    with pytest.raises(ValueError, match="two dimensions"):
        transforms.CenterCrop((1, 2, 3))


@pytest.mark.parametrize("size", [10, (16, 5), 30, (7, 9), (17, 23), (18, 22)])
def test_center_crop_equals_torchvisions(size):
    torch = pytest.importorskip("torch")
    tv = torchvision_module("transforms")
    image = np.random.default_rng(2).random((3, 17, 23)).astype(np.float32)
    expected = tv.CenterCrop(size)(torch.from_numpy(image)).numpy()
    np.testing.assert_array_equal(transforms.CenterCrop(size)(tinynn.from_numpy(image)).numpy(), expected)
    pil = Image.fromarray((image[0] * 255).astype(np.uint8))
    np.testing.assert_array_equal(np.asarray(transforms.CenterCrop(size)(pil)), np.asarray(tv.CenterCrop(size)(pil)))


def test_mnist_style_pipelines_equal_torchvisions():
    torch = pytest.importorskip("torch")
    tv = torchvision_module("transforms")
    img = Image.fromarray(grey())
    ours = transforms.Compose([transforms.Resize(32), transforms.CenterCrop(30), transforms.ToTensor(),
                               transforms.Normalize((0.1307,), (0.3081,))])
    theirs = tv.Compose([tv.Resize(32), tv.CenterCrop(30), tv.ToTensor(), tv.Normalize((0.1307,), (0.3081,))])
    np.testing.assert_allclose(ours(img).numpy(), theirs(img).numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(transforms.ToPILImage()(ours(img) * 0.3081 + 0.1307)),
                                  np.asarray(tv.ToPILImage()(theirs(img) * 0.3081 + 0.1307)))


def test_tensor_transforms_run_on_each_device(device):
    image = np.random.default_rng(3).random((1, 9, 7)).astype(np.float32)
    x = tinynn.from_numpy(image).to(device)
    for transform in (transforms.Resize((12, 5)), transforms.Resize(4, interpolation=InterpolationMode.NEAREST),
                      transforms.CenterCrop((5, 9))):
        out = transform(x)
        assert out.device.type == device
        np.testing.assert_allclose(out.cpu().numpy(), transform(tinynn.from_numpy(image)).numpy(), rtol=1e-6)
