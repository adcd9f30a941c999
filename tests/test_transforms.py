"""tinynn.vision.transforms: each transform on PIL images, arrays and tensors, and the vectorised batch path."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

import tinynn
from tinynn.vision import transforms
from tinynn.vision.transforms import _batch_plan, _run_batch

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def rgb(h=5, w=7, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def as_array(x) -> np.ndarray:
    return np.asarray(x) if isinstance(x, Image.Image) else x.numpy() if isinstance(x, tinynn.Tensor) else x


# ----------------------------------------------------------------------------- ToTensor
def test_to_tensor_from_pil_and_arrays():
    pixels = rgb()
    expected = pixels.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    for pic in (Image.fromarray(pixels), pixels):
        t = transforms.ToTensor()(pic)
        assert isinstance(t, tinynn.Tensor) and t.shape == (3, 5, 7) and t.dtype == np.float32
        np.testing.assert_array_equal(t.numpy(), expected)
        assert t.numpy().flags["C_CONTIGUOUS"]
    gray = transforms.ToTensor()(Image.fromarray(pixels[:, :, 0]))
    assert gray.shape == (1, 5, 7)
    np.testing.assert_array_equal(gray.numpy()[0], pixels[:, :, 0] / np.float32(255))
    assert transforms.ToTensor()(Image.new("1", (3, 2), 1)).numpy().max() == 1.0
    floats = np.full((2, 2, 3), 7.0)
    assert transforms.ToTensor()(floats).numpy().max() == 7.0  # non-uint8 arrays keep their values
    full = transforms.ToTensor()(np.array([[[0, 255, 128]]], dtype=np.uint8)).numpy().ravel()
    assert full[0] == 0.0 and full[1] == 1.0
    with pytest.raises(TypeError, match="PIL Image or ndarray"):
        transforms.ToTensor()(tinynn.zeros(3, 2, 2))


# ----------------------------------------------------------------------------- Normalize
def test_normalize_matches_float32_arithmetic():
    t = transforms.ToTensor()(rgb())
    out = transforms.Normalize(MEAN, STD)(t)
    mean, std = np.array(MEAN, np.float32)[:, None, None], np.array(STD, np.float32)[:, None, None]
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), (t.numpy() - mean) / std)
    assert out is not t and not np.array_equal(out.numpy(), t.numpy())
    same = transforms.Normalize(MEAN, STD, inplace=True)(t)
    assert same is t
    np.testing.assert_array_equal(t.numpy(), out.numpy())
    one = transforms.Normalize([0.5], [0.5])(transforms.ToTensor()(rgb()))
    np.testing.assert_array_equal(one.numpy(), (transforms.ToTensor()(rgb()).numpy() - 0.5) / np.float32(0.5))
    batch = tinynn.stack([transforms.ToTensor()(rgb(seed=k)) for k in range(3)])
    np.testing.assert_array_equal(transforms.Normalize(MEAN, STD)(batch).numpy()[1],  # ... x C x H x W works
                                  transforms.Normalize(MEAN, STD)(batch[1]).numpy())


def test_normalize_errors():
    norm = transforms.Normalize(MEAN, STD)
    with pytest.raises(TypeError, match="Tensor Image"):
        norm(rgb())
    with pytest.raises(TypeError, match="float tensor"):
        norm(tinynn.zeros(3, 2, 2, dtype=tinynn.int64))
    with pytest.raises(ValueError, match="division by zero"):
        transforms.Normalize(MEAN, (1, 0, 1))(tinynn.zeros(3, 2, 2))
    with pytest.raises(ValueError, match="3 values but the image has 1 channels"):
        norm(tinynn.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="C, H, W"):
        norm(tinynn.zeros(3, 2))


# ----------------------------------------------------------------------------- Compose, Lambda
def test_compose_and_lambda():
    calls = []
    t = transforms.Compose([transforms.Lambda(lambda x: calls.append(1) or x + 1),
                            transforms.Lambda(lambda x: calls.append(2) or x * 10)])
    assert t(1) == 20 and calls == [1, 2]
    assert repr(transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])) == (
        "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n)")
    with pytest.raises(TypeError, match="callable"):
        transforms.Lambda(3)


# ----------------------------------------------------------------------------- RandomHorizontalFlip
def test_horizontal_flip_on_every_input_type():
    pixels = rgb()
    flip, keep = transforms.RandomHorizontalFlip(p=1.0), transforms.RandomHorizontalFlip(p=0.0)
    out = flip(Image.fromarray(pixels))
    assert isinstance(out, Image.Image)
    np.testing.assert_array_equal(np.asarray(out), pixels[:, ::-1])
    np.testing.assert_array_equal(flip(pixels), pixels[:, ::-1])
    np.testing.assert_array_equal(flip(pixels[:, :, 0]), pixels[:, ::-1, 0])
    t = transforms.ToTensor()(pixels)
    np.testing.assert_array_equal(flip(t).numpy(), t.numpy()[:, :, ::-1])
    assert keep(t) is t


def test_horizontal_flip_is_random_and_reproducible():
    t = transforms.ToTensor()(rgb())
    flip = transforms.RandomHorizontalFlip()

    def draws():
        return [bool(np.array_equal(flip(t).numpy(), t.numpy())) for _ in range(200)]

    tinynn.manual_seed(0)
    a = draws()
    tinynn.manual_seed(0)
    assert draws() == a and 60 < sum(a) < 140


# ----------------------------------------------------------------------------- RandomCrop
def windows(padded: np.ndarray, th: int, tw: int) -> list[np.ndarray]:
    """Every th x tw window of an H x W (x C) array."""
    h, w = padded.shape[:2]
    return [padded[i:i + th, j:j + tw] for i in range(h - th + 1) for j in range(w - tw + 1)]


def test_random_crop_with_padding_on_every_input_type():
    pixels = rgb(6, 6)
    crop = transforms.RandomCrop(6, padding=2)
    padded = np.pad(pixels, ((2, 2), (2, 2), (0, 0)))
    candidates = windows(padded, 6, 6)
    tinynn.manual_seed(0)
    for _ in range(20):
        out = crop(Image.fromarray(pixels))
        assert isinstance(out, Image.Image) and out.size == (6, 6)
        assert any(np.array_equal(np.asarray(out), c) for c in candidates)
        arr = crop(pixels)
        assert arr.shape == (6, 6, 3) and any(np.array_equal(arr, c) for c in candidates)
        t = crop(transforms.ToTensor()(pixels))
        assert t.shape == (3, 6, 6) and any(np.array_equal((t.numpy() * 255).round().astype(np.uint8),
                                                           c.transpose(2, 0, 1)) for c in candidates)
    tinynn.manual_seed(1)
    a = [crop(pixels) for _ in range(5)]
    tinynn.manual_seed(1)
    assert all(np.array_equal(x, y) for x, y in zip(a, [crop(pixels) for _ in range(5)]))


def test_random_crop_options():
    pixels = rgb(4, 5)
    assert transforms.RandomCrop((2, 3))(pixels).shape == (2, 3, 3)
    np.testing.assert_array_equal(transforms.RandomCrop((4, 5))(pixels), pixels)  # full size: no draw
    big = transforms.RandomCrop(8, pad_if_needed=True, fill=9)(pixels)
    assert big.shape == (8, 8, 3) and (big == 9).any()
    edge = transforms.RandomCrop(4, padding=(1, 0), padding_mode="edge")(pixels)
    assert edge.shape == (4, 4, 3)
    ltrb = transforms.RandomCrop((4, 8), padding=(1, 0, 2, 0), padding_mode="reflect")(pixels)
    np.testing.assert_array_equal(ltrb, np.pad(pixels, ((0, 0), (1, 2), (0, 0)), mode="reflect"))
    with pytest.raises(ValueError, match="larger than input image size"):
        transforms.RandomCrop(6)(pixels)
    with pytest.raises(ValueError, match="padding_mode"):
        transforms.RandomCrop(2, padding_mode="wrap")


# ----------------------------------------------------------------------------- ToPILImage
def test_to_pil_image():
    pixels = rgb()
    t = transforms.ToTensor()(pixels)
    img = transforms.ToPILImage()(t)
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (7, 5)
    np.testing.assert_array_equal(np.asarray(img), (t.numpy() * 255).astype(np.uint8).transpose(1, 2, 0))
    np.testing.assert_array_equal(np.asarray(transforms.ToPILImage()(pixels)), pixels)
    gray = transforms.ToPILImage()(t[:1])
    assert gray.mode == "L" and gray.size == (7, 5)
    assert transforms.ToPILImage(mode="L")(t).mode == "L"
    with pytest.raises(TypeError):
        transforms.ToPILImage()([1, 2, 3])
    with pytest.raises(ValueError, match="channels"):
        transforms.ToPILImage()(tinynn.zeros(5, 2, 2))


# ----------------------------------------------------------------------------- whole batches
def deterministic_pipelines():
    norm = transforms.Normalize(MEAN, STD)
    return [
        transforms.ToTensor(),
        transforms.Compose([transforms.ToTensor(), norm]),
        transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.25,), inplace=True)]),
        transforms.Compose([transforms.ToTensor(), transforms.ToPILImage()]),
        transforms.Compose([transforms.ToTensor(), transforms.ToPILImage(), transforms.ToTensor(), norm]),
        transforms.Compose([transforms.RandomHorizontalFlip(1.0), transforms.ToTensor()]),
        transforms.Compose([transforms.ToTensor(), transforms.RandomHorizontalFlip(0.0), norm]),
        transforms.Compose([transforms.RandomCrop((6, 8)), transforms.ToTensor(), norm]),
        transforms.Compose([transforms.ToTensor(), transforms.RandomCrop((6, 8)),
                            transforms.RandomHorizontalFlip(1.0)]),
        transforms.Compose([transforms.Compose([transforms.ToTensor()]), transforms.Compose([norm])]),
        transforms.Compose([]),
    ]


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.uint8, st.tuples(st.integers(0, 5), st.just(6), st.just(8), st.just(3))),
       st.sampled_from(range(len(deterministic_pipelines()))))
def test_batch_path_equals_per_image_path(images, which):
    transform = deterministic_pipelines()[which]
    plan = _batch_plan(transform)
    assert plan is not None
    batched = _run_batch(plan, images)
    assert len(batched) == len(images)
    for out, pixels in zip(batched, images):
        expected = transform(Image.fromarray(pixels))
        assert isinstance(out, Image.Image) == isinstance(expected, Image.Image)
        np.testing.assert_array_equal(as_array(out), as_array(expected))
        if isinstance(out, tinynn.Tensor):
            assert out.dtype == expected.dtype


def test_random_batches_are_reproducible_and_valid():
    images = np.stack([rgb(6, 6, seed=k) for k in range(16)])
    transform = transforms.Compose([transforms.RandomCrop(6, padding=2), transforms.RandomHorizontalFlip(),
                                    transforms.ToTensor()])
    plan = _batch_plan(transform)
    tinynn.manual_seed(0)
    a = [t.numpy() for t in _run_batch(plan, images)]
    tinynn.manual_seed(0)
    b = [t.numpy() for t in _run_batch(plan, images)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    flipped = 0
    for out, pixels in zip(a, images):
        pad = np.pad(pixels, ((2, 2), (2, 2), (0, 0)))
        cands = windows(pad, 6, 6)
        got = (out * 255).round().astype(np.uint8).transpose(1, 2, 0)
        plain = any(np.array_equal(got, c) for c in cands)
        mirrored = any(np.array_equal(got, c[:, ::-1]) for c in cands)
        assert plain or mirrored
        flipped += mirrored and not plain
    assert 0 < flipped < 16


def test_what_cannot_run_on_batches():
    assert _batch_plan(None) is None
    assert _batch_plan(transforms.Lambda(lambda x: x)) is None
    assert _batch_plan(transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda x: x)])) is None
    assert _batch_plan(transforms.ToPILImage(mode="L")) is None

    class MyToTensor(transforms.ToTensor):
        def __call__(self, pic):
            return 0

    assert _batch_plan(MyToTensor()) is None  # subclasses may change __call__
    with pytest.raises(TypeError, match="Tensor Image"):
        _run_batch(_batch_plan(transforms.Normalize(MEAN, STD)), np.zeros((1, 2, 2, 3), np.uint8))


@pytest.mark.gpu
def test_tensor_transforms_stay_on_the_gpu():
    if not tinynn.cuda.is_available():
        pytest.skip("no CUDA device")
    cpu = transforms.ToTensor()(rgb(6, 6))
    gpu = cpu.to("cuda")
    norm = transforms.Normalize(MEAN, STD)
    out = norm(gpu)
    assert out.device.type == "cuda"
    np.testing.assert_allclose(out.cpu().numpy(), norm(cpu).numpy(), rtol=1e-6)
    flipped = transforms.RandomHorizontalFlip(1.0)(gpu)
    assert flipped.device.type == "cuda"
    np.testing.assert_array_equal(flipped.cpu().numpy(), cpu.numpy()[..., ::-1])
    cropped = transforms.RandomCrop(6, padding=1)(gpu)
    assert cropped.device.type == "cuda" and cropped.shape == (3, 6, 6)
    assert transforms.ToPILImage()(gpu).size == (6, 6)
