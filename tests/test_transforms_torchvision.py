"""tinynn.vision.transforms against torchvision: the functional module, the new transforms, reprs, errors, dir().

Deterministic ops are compared with the installed torchvision (skipped without
it) on PIL images (identical: the same Pillow calls), float tensors (within
1e-5) and uint8 tensors (exact, or within one level where torchvision's own
float rounding decides a tie). Random transforms are checked for
reproducibility under ``tinynn.manual_seed`` and against the functional op with
the parameters their ``get_params`` draws.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import tinynn
from tinynn.vision import transforms as T
from tinynn.vision.transforms import _batch_plan, _run_batch
from tinynn.vision.transforms import functional as TF

from _torchvision import torchvision_module

H, W = 13, 17


@pytest.fixture(scope="module")
def tv():
    """torchvision.transforms (skips the test without torchvision)."""
    return torchvision_module("transforms")


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def pixels(h=H, w=W, c=3, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
    image[: h // 3, : w // 3] = rng.integers(0, 256, size=c, dtype=np.uint8)  # a flat patch (grey ties, hue 0)
    return image


def make_input(kind: str):
    """A test image of the given kind, as tinynn sees it."""
    rgb = pixels()
    if kind == "pil_rgb":
        return Image.fromarray(rgb)
    if kind == "pil_l":
        return Image.fromarray(rgb[:, :, 0])
    if kind == "uint8":
        return tinynn.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
    if kind == "float":
        return tinynn.from_numpy(rgb.transpose(2, 0, 1).astype(np.float32) / np.float32(255))
    if kind == "grey_float":
        return tinynn.from_numpy(rgb[None, :, :, 0].astype(np.float32) / np.float32(255))
    if kind == "batch":  # (2, 3, H, W) float32
        other = pixels(seed=1).transpose(2, 0, 1)
        return tinynn.from_numpy(np.stack([rgb.transpose(2, 0, 1), other]).astype(np.float32) / np.float32(255))
    raise ValueError(kind)


def to_torch(torch, x):
    return torch.from_numpy(x.numpy().copy()) if isinstance(x, tinynn.Tensor) else x


def as_numpy(x) -> np.ndarray:
    if isinstance(x, Image.Image):
        return np.asarray(x)
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def assert_like_torchvision(ours, theirs, uint8_slack: int = 0, mismatch_fraction: float = 0.0):
    """Same type, mode/dtype, shape; PIL pixels equal; floats within 1e-5; ints exact (up to ``uint8_slack``)."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_like_torchvision(a, b, uint8_slack, mismatch_fraction)
        return
    if isinstance(theirs, Image.Image):
        assert isinstance(ours, Image.Image)
        assert (ours.mode, ours.size) == (theirs.mode, theirs.size)
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
        return
    assert isinstance(ours, tinynn.Tensor)
    expected = theirs.numpy()
    got = ours.numpy()
    assert got.dtype == expected.dtype and got.shape == expected.shape
    if mismatch_fraction:  # nearest-neighbour warps: a pixel centre exactly between two sources may go either way
        if got.dtype.kind == "f":
            differ = ~np.isclose(got, expected, rtol=1e-5, atol=1e-5)
        else:
            differ = got != expected
        assert differ.mean() <= mismatch_fraction
        return
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    else:
        assert np.abs(got.astype(np.int64) - expected.astype(np.int64)).max(initial=0) <= uint8_slack


ALL = ("pil_rgb", "pil_l", "uint8", "float", "batch")
TENSORS = ("uint8", "float", "batch")
COLOUR = ("pil_rgb", "uint8", "float", "batch")

# name: (function of the functional module and the input, input kinds, uint8 slack, nearest mismatch fraction)
CASES = {
    "hflip": (lambda F, x: F.hflip(x), ALL, 0, 0),
    "vflip": (lambda F, x: F.vflip(x), ALL, 0, 0),
    "crop": (lambda F, x: F.crop(x, 2, 3, 7, 9), ALL, 0, 0),
    "crop_outside": (lambda F, x: F.crop(x, -3, 10, 20, 12), ALL, 0, 0),
    "center_crop": (lambda F, x: F.center_crop(x, [8, 30]), ALL, 0, 0),
    "center_crop_int": (lambda F, x: F.center_crop(x, 5), ALL, 0, 0),
    "pad_constant": (lambda F, x: F.pad(x, [1, 2, 3, 4], fill=7), ALL, 0, 0),
    "pad_edge": (lambda F, x: F.pad(x, [3, 1], padding_mode="edge"), ALL, 0, 0),
    "pad_reflect": (lambda F, x: F.pad(x, 4, padding_mode="reflect"), ALL, 0, 0),
    "pad_symmetric": (lambda F, x: F.pad(x, [2, 0, 5, 3], padding_mode="symmetric"), ALL, 0, 0),
    "pad_negative": (lambda F, x: F.pad(x, [-1, 2, 3, -2], padding_mode="reflect"), ALL, 0, 0),
    "resize": (lambda F, x: F.resize(x, [9, 25]), ALL, 1, 0),
    "resized_crop": (lambda F, x: F.resized_crop(x, 1, 2, 9, 11, [6, 6]), ALL, 1, 0),
    "five_crop": (lambda F, x: F.five_crop(x, [5, 7]), ALL, 0, 0),
    "ten_crop": (lambda F, x: F.ten_crop(x, 6, vertical_flip=True), ALL, 0, 0),
    "rotate": (lambda F, x: F.rotate(x, 30.0), ALL, 0, 0.01),
    "rotate_bilinear_expand": (lambda F, x: F.rotate(x, -47.5, F.InterpolationMode.BILINEAR, expand=True,
                                                     fill=[0.25] if isinstance(x, Image.Image) else None),
                               ALL, 1, 0),
    "rotate_center_fill": (lambda F, x: F.rotate(x, 100.0, center=[3, 4], fill=[1.0]), ALL, 0, 0.01),
    "affine": (lambda F, x: F.affine(x, 15.0, [3, -2], 1.2, [10.0, 5.0]), ALL, 0, 0.01),
    "affine_bilinear": (lambda F, x: F.affine(x, -8.0, [1, 2], 0.9, 12.0, F.InterpolationMode.BILINEAR,
                                              fill=[0.5]), ALL, 1, 0),
    "grayscale": (lambda F, x: F.rgb_to_grayscale(x), COLOUR, 0, 0),
    "grayscale3": (lambda F, x: F.rgb_to_grayscale(x, 3), COLOUR, 0, 0),
    "brightness": (lambda F, x: F.adjust_brightness(x, 1.3), ALL, 0, 0),
    "contrast": (lambda F, x: F.adjust_contrast(x, 0.6), ALL, 1, 0),
    "saturation": (lambda F, x: F.adjust_saturation(x, 1.7), ALL, 0, 0),
    "hue": (lambda F, x: F.adjust_hue(x, 0.23), ALL, 0, 0),
    "hue_negative": (lambda F, x: F.adjust_hue(x, -0.41), ALL, 0, 0),
    "gamma": (lambda F, x: F.adjust_gamma(x, 0.8, 1.1), COLOUR, 0, 0),
    "sharpness": (lambda F, x: F.adjust_sharpness(x, 1.8), ALL, 1, 0),
    "blur": (lambda F, x: F.gaussian_blur(x, [5, 3], [1.2, 0.7]), ALL, 1, 0),
    "blur_default_sigma": (lambda F, x: F.gaussian_blur(x, 3), ALL, 1, 0),
    "invert": (lambda F, x: F.invert(x), ALL, 0, 0),
    "solarize": (lambda F, x: F.solarize(x, 0.5 if isinstance(x, tinynn.Tensor) and x.dtype != np.uint8
                                          or (hasattr(x, "is_floating_point") and x.is_floating_point()) else 128),
                 ALL, 0, 0),
    "posterize": (lambda F, x: F.posterize(x, 3), ("pil_rgb", "pil_l", "uint8"), 0, 0),
    "autocontrast": (lambda F, x: F.autocontrast(x), ALL, 0, 0),
    "equalize": (lambda F, x: F.equalize(x), ("pil_rgb", "pil_l", "uint8"), 0, 0),
    "perspective": (lambda F, x: F.perspective(x, [[0, 0], [16, 0], [16, 12], [0, 12]],
                                               [[2, 1], [15, 3], [13, 11], [1, 12]]), ALL, 1, 0),
    "perspective_nearest_fill": (lambda F, x: F.perspective(x, [[0, 0], [16, 0], [16, 12], [0, 12]],
                                                            [[3, 0], [16, 2], [12, 12], [0, 9]], 0, fill=[0.5]),
                                 ALL, 0, 0.01),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_functional_equals_torchvision(name, tv, torch):
    op, kinds, uint8_slack, mismatch = CASES[name]
    for kind in kinds:
        x = make_input(kind)
        ours = op(TF, x)
        theirs = op(tv.functional, to_torch(torch, x))
        assert_like_torchvision(ours, theirs, uint8_slack if kind == "uint8" else 0, mismatch)


@given(top=st.integers(-6, 14), left=st.integers(-6, 18), height=st.integers(1, 20), width=st.integers(1, 20),
       padding=st.lists(st.integers(-3, 8), min_size=4, max_size=4),
       mode=st.sampled_from(["constant", "edge", "reflect", "symmetric"]),
       angle=st.floats(-180, 180), factors=st.tuples(st.floats(0, 2), st.floats(0, 2), st.floats(0, 2),
                                                     st.floats(-0.5, 0.5)),
       kind=st.sampled_from(["pil_rgb", "uint8", "float"]))
def test_drawn_parameters_give_torchvisions_results(tv, torch, top, left, height, width, padding, mode, angle,
                                                    factors, kind):
    F = tv.functional
    x = make_input(kind)
    theirs_x = to_torch(torch, x)
    assert_like_torchvision(TF.crop(x, top, left, height, width), F.crop(theirs_x, top, left, height, width))
    if mode == "reflect" and kind != "pil_rgb":
        padding = [min(p, 6) for p in padding]  # torch refuses reflecting by the (cropped) size or more
    assert_like_torchvision(TF.pad(x, padding, 3, mode), F.pad(theirs_x, padding, 3, mode))
    bilinear = TF.rotate(x, angle, T.InterpolationMode.BILINEAR, expand=True)
    assert_like_torchvision(bilinear, F.rotate(theirs_x, angle, F.InterpolationMode.BILINEAR, expand=True),
                            1 if kind == "uint8" else 0)
    brightness, contrast, saturation, hue = factors
    ours, theirs = x, theirs_x
    for name, factor in (("brightness", brightness), ("contrast", contrast), ("saturation", saturation),
                         ("hue", hue)):
        ours, theirs = getattr(TF, f"adjust_{name}")(ours, factor), getattr(F, f"adjust_{name}")(theirs, factor)
        assert_like_torchvision(ours, theirs, 1 if kind == "uint8" and name == "contrast" else 0)
        ours = theirs if isinstance(theirs, Image.Image) else tinynn.from_numpy(theirs.numpy().copy())


def test_conversions_equal_torchvision(tv, torch):
    F = tv.functional
    rgb = pixels()
    for pic in (Image.fromarray(rgb), Image.fromarray(rgb[:, :, 0]), Image.fromarray(rgb).convert("RGBA"),
                Image.fromarray(rgb).convert("1"), Image.fromarray(rgb[:, :, 0].astype(np.int32) * 300),
                Image.fromarray(rgb[:, :, 0].astype(np.float32) / 7)):
        assert_like_torchvision(TF.to_tensor(pic), F.to_tensor(pic))
        assert_like_torchvision(TF.pil_to_tensor(pic), F.pil_to_tensor(pic))
        assert_like_torchvision(T.PILToTensor()(pic), tv.PILToTensor()(pic))
    for array in (rgb, rgb[:, :, 0], rgb.astype(np.float64) / 3):
        assert_like_torchvision(TF.to_tensor(array), F.to_tensor(array))
    uint8 = make_input("uint8")
    floats = make_input("float")
    for image, dtype, torch_dtype in ((uint8, tinynn.float32, torch.float32), (uint8, tinynn.float64, torch.float64),
                                      (floats, tinynn.uint8, torch.uint8), (uint8, tinynn.int16, torch.int16),
                                      (floats * 3, tinynn.int16, torch.int16), (floats, tinynn.float64, torch.float64)):
        assert_like_torchvision(TF.convert_image_dtype(image, dtype), F.convert_image_dtype(to_torch(torch, image),
                                                                                            torch_dtype))
        assert_like_torchvision(T.ConvertImageDtype(dtype)(image), tv.ConvertImageDtype(torch_dtype)(
            to_torch(torch, image)))
    as_int16 = TF.convert_image_dtype(uint8, tinynn.int16)
    assert_like_torchvision(TF.convert_image_dtype(as_int16, tinynn.uint8),
                            F.convert_image_dtype(F.convert_image_dtype(to_torch(torch, uint8), torch.int16),
                                                  torch.uint8))
    for tensor in (floats, uint8, floats[:1], uint8[:1], floats[0], floats.double()[:1], make_input("uint8")[:2]):
        for mode in (None, "F") if tensor.dtype == np.float32 and tensor.shape[0] == 1 else (None,):
            assert_like_torchvision(TF.to_pil_image(tensor, mode), F.to_pil_image(to_torch(torch, tensor), mode))
    for mode in ("RGB", "YCbCr", "HSV"):
        assert_like_torchvision(TF.to_pil_image(floats, mode), F.to_pil_image(to_torch(torch, floats), mode))
    normalized = TF.normalize(make_input("batch"), [0.4, 0.5, 0.6], [0.2, 0.3, 0.25])
    assert_like_torchvision(normalized, F.normalize(to_torch(torch, make_input("batch")), [0.4, 0.5, 0.6],
                                                    [0.2, 0.3, 0.25]))
    assert_like_torchvision(TF.to_grayscale(Image.fromarray(rgb), 3), F.to_grayscale(Image.fromarray(rgb), 3))
    for x in (Image.fromarray(rgb), uint8, make_input("batch")):
        for fn in ("get_dimensions", "get_image_size", "get_image_num_channels"):
            assert getattr(TF, fn)(x) == getattr(F, fn)(to_torch(torch, x))


def test_deterministic_transforms_equal_torchvision(tv, torch):
    pairs = [
        (T.Grayscale(), tv.Grayscale()), (T.Grayscale(3), tv.Grayscale(3)),
        (T.Pad([1, 2]), tv.Pad([1, 2])), (T.Pad(3, fill=(10, 20, 30)), tv.Pad(3, fill=(10, 20, 30))),
        (T.Pad((2, 1, 0, 3), padding_mode="symmetric"), tv.Pad((2, 1, 0, 3), padding_mode="symmetric")),
        (T.FiveCrop(5), tv.FiveCrop(5)), (T.TenCrop((4, 6)), tv.TenCrop((4, 6))),
        (T.RandomVerticalFlip(1.0), tv.RandomVerticalFlip(1.0)), (T.RandomGrayscale(1.0), tv.RandomGrayscale(1.0)),
        (T.RandomInvert(1.0), tv.RandomInvert(1.0)), (T.RandomAutocontrast(1.0), tv.RandomAutocontrast(1.0)),
        (T.RandomSolarize(100, 1.0), tv.RandomSolarize(100, 1.0)),
        (T.RandomAdjustSharpness(0.3, 1.0), tv.RandomAdjustSharpness(0.3, 1.0)),
        (T.RandomPosterize(2, 1.0), tv.RandomPosterize(2, 1.0)), (T.RandomEqualize(1.0), tv.RandomEqualize(1.0)),
        (T.ColorJitter(), tv.ColorJitter()), (T.RandomRotation((30, 30)), tv.RandomRotation((30, 30))),
        (T.GaussianBlur(3, sigma=0.8), tv.GaussianBlur(3, sigma=0.8)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        for kind in ("pil_rgb", "uint8"):
            x = make_input(kind)
            if isinstance(ours, T.Pad) and isinstance(ours.fill, tuple) and kind != "pil_rgb":
                continue  # one fill per band: PIL images only
            slack = 1 if isinstance(ours, (T.GaussianBlur, T.RandomAdjustSharpness)) else 0
            mismatch = 0.01 if isinstance(ours, T.RandomRotation) else 0
            assert_like_torchvision(ours(x), theirs(to_torch(torch, x)), slack, mismatch)


def test_pipelines_with_random_parts_disabled_equal_torchvision(tv, torch):
    img = Image.fromarray(pixels(40, 50))

    def pipeline(m):
        return m.Compose([m.RandomApply([m.ColorJitter(brightness=(1.2, 1.2))], p=1.0), m.Resize(32),
                          m.CenterCrop(24), m.RandomGrayscale(p=0.0), m.Grayscale(3), m.ToTensor(),
                          m.ConvertImageDtype(tinynn.float64 if m is T else torch.float64),
                          m.Normalize([0.5] * 3, [0.25] * 3)])

    ours, theirs = pipeline(T), pipeline(tv)
    assert repr(ours).replace("tinynn", "torch") == repr(theirs) or repr(ours).count("\n") == repr(theirs).count(
        "\n")
    assert_like_torchvision(ours(img), theirs(img))


def test_elastic_transform_equals_torchvision(tv, torch):
    displacement = np.random.default_rng(4).uniform(-0.2, 0.2, (1, H, W, 2)).astype(np.float32)
    for kind in ALL:
        x = make_input(kind)
        ours = TF.elastic_transform(x, tinynn.from_numpy(displacement))
        theirs = tv.functional.elastic_transform(to_torch(torch, x), torch.from_numpy(displacement))
        assert_like_torchvision(ours, theirs, 1 if kind == "uint8" else 0)
        nearest = TF.elastic_transform(x, tinynn.from_numpy(displacement), T.InterpolationMode.NEAREST, fill=[1.0])
        assert_like_torchvision(nearest, tv.functional.elastic_transform(
            to_torch(torch, x), torch.from_numpy(displacement), tv.InterpolationMode.NEAREST, fill=[1.0]), 0, 0.01)


AUGMENT_OPS = [("ShearX", 0.25), ("ShearY", -0.3), ("TranslateX", 4.7), ("TranslateY", -3.2), ("Rotate", 17.0),
               ("Brightness", 0.4), ("Color", -0.6), ("Contrast", 0.5), ("Sharpness", 0.7), ("Posterize", 5.0),
               ("Solarize", 140.0), ("AutoContrast", 0.0), ("Equalize", 0.0), ("Invert", 0.0), ("Identity", 0.0)]


def test_augmentation_ops_and_magnitudes_equal_torchvision(tv, torch):
    from tinynn.vision.transforms import autoaugment
    theirs_module = tv.autoaugment
    for op_name, magnitude in AUGMENT_OPS:
        for kind in ("pil_rgb", "uint8"):
            x = make_input(kind)
            fill = [7.0, 8.0, 9.0] if kind == "uint8" else [7, 8, 9]
            ours = autoaugment._apply_op(x, op_name, magnitude, T.InterpolationMode.NEAREST, fill)
            theirs = theirs_module._apply_op(to_torch(torch, x), op_name, magnitude, tv.InterpolationMode.NEAREST,
                                             fill)
            assert_like_torchvision(ours, theirs, 1 if op_name in ("Contrast", "Sharpness") else 0,
                                    0.01 if op_name in ("ShearX", "ShearY", "Rotate") else 0)
    pairs = [(T.AutoAugment(policy), tv.AutoAugment(getattr(tv.AutoAugmentPolicy, policy.name)))
             for policy in T.AutoAugmentPolicy]
    for (ours, theirs) in pairs:
        assert ours.policies == theirs.policies and repr(ours) == repr(theirs)
        for op, (magnitudes, signed) in ours._augmentation_space(10, (H, W)).items():
            expected, expected_signed = theirs._augmentation_space(10, (H, W))[op]
            assert signed == expected_signed and magnitudes.shape == tuple(expected.shape)
            np.testing.assert_allclose(magnitudes, expected.numpy(), rtol=1e-6)
    for ours, theirs in ((T.RandAugment(3, 5, 11, fill=[1, 2, 3]), tv.RandAugment(3, 5, 11, fill=[1, 2, 3])),
                         (T.TrivialAugmentWide(21), tv.TrivialAugmentWide(21)),
                         (T.AugMix(4, 2, 2, 0.5, False), tv.AugMix(4, 2, 2, 0.5, False))):
        assert repr(ours) == repr(theirs)
        space, expected_space = (ours._augmentation_space(11), theirs._augmentation_space(11)) \
            if isinstance(ours, T.TrivialAugmentWide) else (ours._augmentation_space(11, (H, W)),
                                                            theirs._augmentation_space(11, (H, W)))
        assert list(space) == list(expected_space)
        for op, (magnitudes, signed) in space.items():
            np.testing.assert_allclose(magnitudes, expected_space[op][0].numpy(), rtol=1e-6)
            assert signed == expected_space[op][1]


@pytest.mark.parametrize("make", [lambda: T.AutoAugment(), lambda: T.AutoAugment(T.AutoAugmentPolicy.CIFAR10, fill=3),
                                  lambda: T.RandAugment(), lambda: T.TrivialAugmentWide(), lambda: T.AugMix(),
                                  lambda: T.RandomPerspective(p=1.0), lambda: T.ElasticTransform(alpha=20.0,
                                                                                                 sigma=1.5)])
def test_augmentation_policies_are_reproducible(make):
    for kind in ("pil_rgb", "uint8", "batch"):
        if kind == "batch":
            x = TF.convert_image_dtype(make_input("batch"), tinynn.uint8)
        else:
            x = make_input(kind)
        first, second = draws(make(), x, 6), draws(make(), x, 6)
        for a, b in zip(first, second):
            np.testing.assert_array_equal(a, b)
        assert any(not np.array_equal(first[0], b) for b in first[1:])
        out = make()(x)
        assert type(out) is type(x) and as_numpy(out).shape == as_numpy(x).shape and as_numpy(out).dtype == \
            as_numpy(x).dtype


def test_random_perspective_and_elastic_use_their_params():
    for x in (make_input("pil_rgb"), make_input("float")):
        warp = T.RandomPerspective(0.6, p=1.0, fill=1)
        tinynn.manual_seed(9)
        tinynn.random.get_rng().random()
        start, end = warp.get_params(W, H, 0.6)
        assert start == [[0, 0], [W - 1, 0], [W - 1, H - 1], [0, H - 1]]
        assert all(0 <= p[0] < W and 0 <= p[1] < H for p in end)
        tinynn.manual_seed(9)
        fill = [1.0] * 3 if isinstance(x, tinynn.Tensor) else 1
        np.testing.assert_array_equal(as_numpy(warp(x)), as_numpy(TF.perspective(x, start, end, fill=fill)))
        elastic = T.ElasticTransform(alpha=10.0, sigma=2.0)
        tinynn.manual_seed(10)
        displacement = elastic.get_params(elastic.alpha, elastic.sigma, [H, W])
        assert displacement.shape == (1, H, W, 2) and displacement.dtype == np.float32
        tinynn.manual_seed(10)
        np.testing.assert_array_equal(as_numpy(elastic(x)), as_numpy(TF.elastic_transform(x, displacement,
                                                                                           fill=[0.0])))


# ----------------------------------------------------------------------------- reprs and errors
def test_reprs_equal_torchvision(tv, torch):
    def build(m):
        return [m.Grayscale(), m.RandomGrayscale(), m.Pad(2, fill=1, padding_mode="edge"),
                m.RandomVerticalFlip(0.3), m.RandomResizedCrop(224), m.RandomResizedCrop([32, 40], (0.5, 1.0)),
                m.RandomRotation(10), m.RandomRotation([-5, 20], center=(1, 2), expand=True, fill=3),
                m.RandomRotation(4, m.InterpolationMode.BILINEAR),
                m.ColorJitter(0.4, 0.4, 0.4, 0.1), m.ColorJitter(brightness=(0.5, 1.5), hue=(-0.2, 0.1)),
                m.RandomApply([m.RandomCrop(8)], p=0.3), m.RandomChoice([m.Grayscale(), m.RandomInvert()]),
                m.RandomChoice([m.Grayscale()], p=[1.0]), m.RandomOrder([m.Grayscale(), m.Pad(1)]),
                m.GaussianBlur(5), m.GaussianBlur((3, 7), (0.5, 0.9)), m.RandomErasing(),
                m.RandomErasing(0.3, value="random", inplace=True), m.FiveCrop(3), m.TenCrop(4, True),
                m.RandomAffine(10), m.RandomAffine((-5, 5), (0.1, 0.2), (0.8, 1.2), 7, m.InterpolationMode.BILINEAR,
                                                   fill=1, center=[3, 3]),
                m.RandomAffine(3, shear=[1, 2, 3, 4]), m.ToPILImage("L"), m.ToPILImage(), m.PILToTensor(),
                m.RandomPosterize(4), m.RandomSolarize(0.5, p=0.2), m.RandomAdjustSharpness(2),
                m.RandomAutocontrast(), m.RandomEqualize(), m.RandomInvert(0.1), m.CenterCrop([3, 5]),
                m.RandomCrop(5, padding=2), m.Resize(7, antialias=None), m.Normalize(0.5, 0.2),
                m.RandomPerspective(), m.RandomPerspective(0.3, 0.9, m.InterpolationMode.NEAREST, fill=2),
                m.ElasticTransform(), m.ElasticTransform((10.0, 20.0), 3.0, fill=[1, 2, 3]),
                m.AutoAugment(), m.AutoAugment(m.AutoAugmentPolicy.SVHN, fill=[1]), m.RandAugment(),
                m.TrivialAugmentWide(), m.AugMix(), m.ConvertImageDtype(tinynn.float64 if m is T else torch.float64),
                m.LinearTransformation(*((tinynn.eye(3), tinynn.zeros(3)) if m is T else
                                         (torch.eye(3), torch.zeros(3))))]

    for ours, theirs in zip(build(T), build(tv)):
        assert repr(ours) == repr(theirs)


ERROR_CASES = [
    lambda m, F: m.ColorJitter(brightness=-1),
    lambda m, F: m.ColorJitter(hue=0.7),
    lambda m, F: m.ColorJitter(contrast=[1, 2, 3]),
    lambda m, F: m.GaussianBlur(4),
    lambda m, F: m.GaussianBlur(3, sigma=(2.0, 1.0)),
    lambda m, F: m.GaussianBlur(3, sigma=-1),
    lambda m, F: m.RandomRotation(-3),
    lambda m, F: m.RandomRotation([1, 2, 3]),
    lambda m, F: m.RandomRotation(3, center=5),
    lambda m, F: m.RandomAffine(3, translate=(0.1, 2)),
    lambda m, F: m.RandomAffine(3, scale=(0.0, 1)),
    lambda m, F: m.RandomAffine(3, shear=(1, 2, 3)),
    lambda m, F: m.RandomResizedCrop(5, scale=0.5),
    lambda m, F: m.RandomErasing(value="noise"),
    lambda m, F: m.RandomErasing(scale=(0.1, 2)),
    lambda m, F: m.RandomErasing(p=2),
    lambda m, F: m.Pad([1, 2, 3]),
    lambda m, F: m.Pad(1, padding_mode="wrap"),
    lambda m, F: m.Pad("1"),
    lambda m, F: m.RandomChoice([m.Grayscale()], p=0.5),
    lambda m, F: m.RandomOrder(m.Grayscale()),
    lambda m, F: m.FiveCrop([1, 2, 3]),
    lambda m, F: F.adjust_hue(Image.new("RGB", (3, 3)), 0.6),
    lambda m, F: F.adjust_brightness(F.pil_to_tensor(Image.new("RGB", (3, 3))), -0.1),
    lambda m, F: F.adjust_contrast(F.pil_to_tensor(Image.new("RGB", (3, 3))), -1),
    lambda m, F: F.adjust_saturation(F.pil_to_tensor(Image.new("RGBA", (3, 3))), 0.5),
    lambda m, F: F.rgb_to_grayscale(F.pil_to_tensor(Image.new("RGB", (3, 3))), 2),
    lambda m, F: F.rgb_to_grayscale(F.pil_to_tensor(Image.new("RGB", (3, 3)))[0]),
    lambda m, F: F.gaussian_blur(Image.new("RGB", (3, 3)), 4),
    lambda m, F: F.gaussian_blur(Image.new("RGB", (3, 3)), 3, [1, 2, 3]),
    lambda m, F: F.gaussian_blur(Image.new("RGB", (3, 3)), 3, -1.0),
    lambda m, F: F.pad(F.pil_to_tensor(Image.new("RGB", (3, 3))), 3, padding_mode="reflect"),
    lambda m, F: F.pad(F.pil_to_tensor(Image.new("RGB", (3, 3))), 1, fill=(1, 2, 3)),
    lambda m, F: F.pad(Image.new("RGB", (3, 3)), 1, fill=(1, 2)),
    lambda m, F: F.five_crop(Image.new("RGB", (3, 3)), 4),
    lambda m, F: F.rotate(Image.new("RGB", (3, 3)), "30"),
    lambda m, F: F.rotate(F.pil_to_tensor(Image.new("RGB", (3, 3))), 30.0, m.InterpolationMode.BICUBIC),
    lambda m, F: F.affine(Image.new("RGB", (3, 3)), 1.0, [1], 1.0, 0.0),
    lambda m, F: F.affine(Image.new("RGB", (3, 3)), 1.0, [1, 1], 0.0, 0.0),
    lambda m, F: F.convert_image_dtype(F.to_tensor(Image.new("RGB", (3, 3))), tinynn.int32 if m is T else
                                       __import__("torch").int32),
    lambda m, F: F.to_pil_image(np.zeros((2, 2, 5), np.uint8)),
    lambda m, F: F.to_pil_image(np.zeros((2, 2, 3), np.int32)),
    lambda m, F: F.to_pil_image(np.zeros((2, 2, 3, 1), np.uint8)),
    lambda m, F: F.to_pil_image(np.zeros((2, 2, 1), np.int32), mode="L"),
    lambda m, F: F.to_tensor("image"),
    lambda m, F: F.to_tensor(np.zeros((1, 2, 2, 3), np.uint8)),
    lambda m, F: F.pil_to_tensor(np.zeros((2, 2), np.uint8)),
    lambda m, F: F.posterize(Image.new("RGB", (3, 3)), 9),
    lambda m, F: F.erase(Image.new("RGB", (3, 3)), 0, 0, 1, 1, 0),
    lambda m, F: F.to_grayscale(F.pil_to_tensor(Image.new("RGB", (3, 3)))),
    lambda m, F: F.resize(Image.new("RGB", (3, 3)), [1, 2, 3]),
    lambda m, F: F.hflip(F.pil_to_tensor(Image.new("L", (3, 3)))[0, 0]),
    lambda m, F: F.perspective(Image.new("RGB", (3, 3)), [[0, 0]], [[1, 1]]),
    lambda m, F: m.ElasticTransform(alpha=5),
    lambda m, F: m.ElasticTransform(sigma=(1.0, 2.0, 3.0)),
    lambda m, F: m.ElasticTransform(fill="white"),
    lambda m, F: m.AugMix(severity=11),
    lambda m, F: m.RandomPerspective(fill=object()),
]


@pytest.mark.parametrize("index", range(len(ERROR_CASES)))
def test_errors_equal_torchvision(index, tv, torch):
    case = ERROR_CASES[index]
    with pytest.raises(Exception) as theirs:
        case(tv, tv.functional)
    with pytest.raises(Exception) as ours:
        case(T, TF)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value).replace("tinynn.", "torch.") == str(theirs.value)


# ----------------------------------------------------------------------------- dir() and the module map
def test_dir_lists_only_transforms_and_submodules(tv):
    public = [name for name in dir(T) if not name.startswith("_")]
    assert set(public) <= set(dir(tv))
    assert {"functional", "transforms", "ToTensor", "ColorJitter", "RandomResizedCrop", "Grayscale", "Pad",
            "RandomRotation", "RandomAffine", "GaussianBlur", "RandomErasing", "InterpolationMode"} <= set(public)
    missing = {name for name in dir(tv) if not name.startswith("_")} - set(public)
    assert missing == set()
    assert set(T.__all__) == set(public) - {"functional", "transforms", "autoaugment"}
    for name in T.__all__:
        assert isinstance(getattr(T, name), type)
    assert set(TF.__all__) <= set(dir(tv.functional))
    star: dict = {}
    exec("from tinynn.vision.transforms import *", star)  # what a star import brings
    assert set(star) - {"__builtins__"} == set(T.__all__)


def test_transforms_are_modules_where_torchvisions_are(tv, torch):
    for name in T.__all__:
        theirs = getattr(tv, name)
        if isinstance(theirs, type) and name not in ("InterpolationMode", "AutoAugmentPolicy"):
            assert issubclass(getattr(T, name), tinynn.nn.Module) == issubclass(theirs, torch.nn.Module), name
    seq = tinynn.nn.Sequential(T.CenterCrop(4), T.Normalize([0.5] * 3, [0.5] * 3))
    out = seq(make_input("float"))
    assert out.shape == (3, 4, 4)


# ----------------------------------------------------------------------------- random transforms
def draws(transform, x, n=4):
    """``n`` results of ``transform`` after seeding, as arrays."""
    tinynn.manual_seed(123)
    out = [transform(x) for _ in range(n)]
    return [[as_numpy(o) for o in r] if isinstance(r, tuple) else as_numpy(r) for r in out]


RANDOM = [
    lambda: T.RandomResizedCrop(8), lambda: T.RandomResizedCrop((6, 9), scale=(0.5, 1.0), ratio=(1.0, 2.0)),
    lambda: T.RandomRotation(40), lambda: T.RandomRotation((10, 50), T.InterpolationMode.BILINEAR, expand=True),
    lambda: T.RandomAffine(20, (0.2, 0.1), (0.8, 1.1), (-5, 5, -3, 3), fill=9),
    lambda: T.ColorJitter(0.5, 0.5, 0.5, 0.2), lambda: T.GaussianBlur(5),
    lambda: T.RandomGrayscale(0.5), lambda: T.RandomVerticalFlip(), lambda: T.RandomHorizontalFlip(),
    lambda: T.RandomApply([T.Grayscale(3), T.RandomInvert(1.0)]),
    lambda: T.RandomChoice([T.Grayscale(3), T.RandomInvert(1.0), T.RandomSolarize(128, 1.0)], p=[1, 2, 3]),
    lambda: T.RandomOrder([T.RandomPosterize(2, 1.0), T.RandomInvert(1.0), T.ColorJitter(0.3)]),
    lambda: T.RandomCrop(7, padding=3, padding_mode="symmetric"), lambda: T.RandomAutocontrast(),
]


@pytest.mark.parametrize("index", range(len(RANDOM)))
def test_random_transforms_are_reproducible_and_vary(index):
    for kind in ("pil_rgb", "uint8"):
        x = make_input(kind)
        first, second = draws(RANDOM[index](), x), draws(RANDOM[index](), x)
        for a, b in zip(first, second):
            np.testing.assert_array_equal(a, b)
        tinynn.manual_seed(5)
        more = [as_numpy(RANDOM[index]()(x)) for _ in range(8)]
        assert any(not np.array_equal(more[0], m) for m in more[1:])


def test_random_transforms_apply_the_functional_op_with_their_params():
    img, tensor = make_input("pil_rgb"), make_input("float")
    for x in (img, tensor):
        crop = T.RandomResizedCrop((6, 5), scale=(0.3, 0.9), interpolation=T.InterpolationMode.NEAREST)
        tinynn.manual_seed(1)
        i, j, h, w = crop.get_params(x, crop.scale, crop.ratio)
        assert 0 <= i <= H - h and 0 <= j <= W - w and 0.3 * H * W * 0.7 <= h * w <= 0.9 * H * W * 1.3
        tinynn.manual_seed(1)
        np.testing.assert_array_equal(as_numpy(crop(x)), as_numpy(TF.resized_crop(x, i, j, h, w, [6, 5], 0)))

        rotation = T.RandomRotation(25, fill=1)
        tinynn.manual_seed(2)
        angle = rotation.get_params(rotation.degrees)
        assert -25 <= angle <= 25
        tinynn.manual_seed(2)
        fill = [1.0] * 3 if isinstance(x, tinynn.Tensor) else 1
        np.testing.assert_array_equal(as_numpy(rotation(x)), as_numpy(TF.rotate(x, angle, fill=fill)))

        affine = T.RandomAffine(10, translate=(0.3, 0.3), scale=(0.5, 2), shear=20)
        tinynn.manual_seed(3)
        angle, (tx, ty), scale, shear = affine.get_params(affine.degrees, affine.translate, affine.scale,
                                                          affine.shear, [W, H])
        assert abs(tx) <= 0.3 * W and abs(ty) <= 0.3 * H and 0.5 <= scale <= 2 and shear[1] == 0.0
        tinynn.manual_seed(3)
        zero = [0.0] * 3 if isinstance(x, tinynn.Tensor) else 0
        np.testing.assert_array_equal(as_numpy(affine(x)), as_numpy(TF.affine(x, angle, [tx, ty], scale, shear,
                                                                               fill=zero)))

        jitter = T.ColorJitter(0.4, (0.5, 0.7), 0.3, 0.1)
        tinynn.manual_seed(4)
        order, b, c, s, hue = jitter.get_params(jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue)
        assert sorted(order.tolist()) == [0, 1, 2, 3] and 0.6 <= b <= 1.4 and 0.5 <= c <= 0.7 and abs(hue) <= 0.1
        expected = x
        for k in order.tolist():
            fn = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue][k]
            expected = fn(expected, [b, c, s, hue][k])
        tinynn.manual_seed(4)
        np.testing.assert_array_equal(as_numpy(jitter(x)), as_numpy(expected))

        blur = T.GaussianBlur(3, (0.5, 1.5))
        tinynn.manual_seed(5)
        sigma = blur.get_params(*blur.sigma)
        tinynn.manual_seed(5)
        np.testing.assert_array_equal(as_numpy(blur(x)), as_numpy(TF.gaussian_blur(x, [3, 3], [sigma, sigma])))


def test_random_crop_get_params_serves_image_and_mask_alike():
    img, mask = make_input("pil_rgb"), make_input("uint8")[:1]
    i, j, h, w = T.RandomCrop.get_params(img, output_size=(5, 6))
    assert (h, w) == (5, 6)
    np.testing.assert_array_equal(np.asarray(TF.crop(img, i, j, h, w))[:, :, 0], TF.crop(mask, i, j, h, w).numpy()[0])
    assert T.RandomCrop.get_params(img, (H, W)) == (0, 0, H, W)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop.get_params(img, (H + 1, W))


def test_random_erasing_on_tensors():
    x = make_input("batch")
    erase = T.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3))
    tinynn.manual_seed(6)
    out = erase(x)
    tinynn.manual_seed(6)
    erase.get_params  # the same draws: p, then the box
    tinynn.random.get_rng().random()
    i, j, h, w, v = T.RandomErasing.get_params(x, erase.scale, erase.ratio, [0.1, 0.2, 0.3])
    assert v.shape == (3, 1, 1) and 0 < h < H and 0 < w < W
    expected = x.numpy().copy()
    expected[..., i:i + h, j:j + w] = np.array([0.1, 0.2, 0.3], np.float32)[:, None, None]
    np.testing.assert_array_equal(out.numpy(), expected)
    assert not np.array_equal(out.numpy(), x.numpy())  # not in place
    noise = T.RandomErasing(p=1.0, value="random", inplace=True)
    y = make_input("float")
    before = y.numpy().copy()
    assert noise(y) is y and not np.array_equal(y.numpy(), before)
    assert T.RandomErasing(p=0.0)(y) is y
    with pytest.raises(TypeError, match="Tensor Image"):
        T.RandomErasing(p=1.0)(make_input("pil_rgb"))
    with pytest.raises(ValueError, match="number of input channels"):
        T.RandomErasing(p=1.0, value=[1, 2])(y)


def test_random_choice_and_apply_probabilities():
    tinynn.manual_seed(0)
    picks = [T.RandomChoice([lambda x: 0, lambda x: 1, lambda x: 2], p=[0.0, 1.0, 3.0])(None) for _ in range(400)]
    assert 0 not in picks and 60 < picks.count(1) < 140
    tinynn.manual_seed(0)
    applied = sum(T.RandomApply([lambda x: x + 1], p=0.25)(0) for _ in range(400))
    assert 60 < applied < 140
    assert T.RandomApply([lambda x: x + 1], p=0.0)(0) == 0 and T.RandomApply([lambda x: x + 1], p=1.0)(0) == 1
    tinynn.manual_seed(0)
    orders = {T.RandomOrder([lambda x: x + "a", lambda x: x + "b", lambda x: x + "c"])("") for _ in range(60)}
    assert orders == {"abc", "acb", "bac", "bca", "cab", "cba"}


def test_random_rotation_fill_and_expand_on_tensors():
    x = tinynn.ones(1, 6, 10)
    out = T.RandomRotation((90, 90), expand=True, fill=0.5)(x)
    assert out.shape == (1, 10, 6)
    np.testing.assert_allclose(out.numpy(), 1.0)
    corner = T.RandomRotation((45, 45), fill=0.5)(x).numpy()
    assert corner[0, 0, 0] == 0.5 and corner[0, 3, 5] == 1.0


# ----------------------------------------------------------------------------- the batch path
def test_new_batchable_transforms_equal_the_per_image_path():
    images = np.stack([pixels(6, 8, seed=k) for k in range(3)])
    for transform in (T.Compose([T.PILToTensor(), T.ConvertImageDtype(tinynn.float32), T.Normalize([0.5] * 3,
                                                                                                   [0.2] * 3)]),
                      T.Compose([T.RandomVerticalFlip(1.0), T.ToTensor()]),
                      T.Compose([T.ToTensor(), T.RandomVerticalFlip(1.0), T.ConvertImageDtype(tinynn.uint8)]),
                      T.Compose([T.PILToTensor(), T.CenterCrop((9, 4)), T.ToPILImage()]),
                      T.Compose([T.RandomCrop((10, 10), padding=(1, 2), fill=3), T.ToTensor()]),
                      T.Compose([T.ToTensor(), T.RandomCrop((10, 12), padding=[2, 2, 2, 2], padding_mode="edge")])):
        plan = _batch_plan(transform)
        assert plan is not None
        tinynn.manual_seed(0)
        batched = _run_batch(plan, images)
        for out, image in zip(batched, images):
            tinynn.manual_seed(0)
            expected = transform(Image.fromarray(image))
            assert isinstance(out, Image.Image) == isinstance(expected, Image.Image)
            np.testing.assert_array_equal(as_numpy(out), as_numpy(expected))
    assert _batch_plan(T.Compose([T.ToTensor(), T.RandomErasing()])) is None
    assert _batch_plan(T.RandomCrop(4, fill=(1, 2, 3))) is None
    assert _batch_plan(T.RandomCrop(4, padding=-1)) is None
    hooked = T.Normalize([0.5], [0.5])
    hooked.register_forward_hook(lambda module, args, out: out)
    assert _batch_plan(T.Compose([T.ToTensor(), hooked])) is None


def test_functional_ops_stay_on_the_tensors_device(device):
    x = make_input("float").to(device)
    batch = make_input("batch").to(device)
    for fn in (lambda t: TF.rotate(t, 20.0, T.InterpolationMode.BILINEAR, fill=[0.5]),
               lambda t: TF.affine(t, 5.0, [1, 1], 1.1, 3.0), lambda t: TF.adjust_hue(t, 0.2),
               lambda t: TF.adjust_saturation(t, 0.3), lambda t: TF.adjust_contrast(t, 1.5),
               lambda t: TF.gaussian_blur(t, 5), lambda t: TF.pad(t, 3, padding_mode="symmetric"),
               lambda t: TF.crop(t, -2, 3, 9, 20), lambda t: TF.rgb_to_grayscale(t, 3), lambda t: TF.vflip(t),
               lambda t: TF.convert_image_dtype(t, tinynn.uint8), lambda t: TF.adjust_sharpness(t, 2.0),
               lambda t: TF.autocontrast(t), lambda t: TF.normalize(t, [0.1, 0.2, 0.3], [1, 2, 3])):
        for image in (x, batch):
            out = fn(image)
            assert out.device.type == device
            np.testing.assert_allclose(out.cpu().numpy(), fn(image.cpu()).numpy(), rtol=1e-6, atol=1e-6)
    tinynn.manual_seed(0)
    erased = T.RandomErasing(p=1.0, value="random")(x)
    assert erased.device.type == device
