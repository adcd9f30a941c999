"""Classify your own pictures as bird or airplane with a model trained by the CIFAR-2 examples.

    python examples/cifar2_conv.py --save net.pt
    python examples/predict.py net.pt my_bird.jpg plane.png

Each image (any size or format Pillow reads) is converted to RGB, resized to
32 x 32 and normalised exactly as in training. The architecture (fc, deep or
Net of some width) is read off the state dict's keys and shapes.
"""
from __future__ import annotations

import argparse

import numpy as np
from PIL import Image, UnidentifiedImageError

import tinynn as torch
import tinynn.nn.functional as F
from cifar2_common import UsageError, run
from cifar2_models import CLASSES, MEAN, STD, Net, deep_model, fc_model


def model_for(state_dict: dict):
    """Build the model whose parameters ``state_dict`` holds; returns (model, flatten)."""
    not_tensors = [k for k, v in state_dict.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise UsageError(f"the model file's state dict holds values that are not tensors (at {not_tensors[0]!r})")
    shapes = {k: tuple(v.shape) for k, v in state_dict.items()}
    if shapes.get("conv1.weight", (0,))[1:] == (3, 3, 3):
        return Net(shapes["conv1.weight"][0]), False
    if shapes.get("0.weight") == (512, 3072) and "2.weight" in shapes:
        return fc_model(), True
    if shapes.get("0.weight") == (1024, 3072):
        return deep_model(), True
    raise UsageError("the model file holds no CIFAR-2 model this script knows (fc, deep or Net); "
                     f"its keys are {sorted(shapes)[:6]}")


def to_rgb(img: Image.Image) -> Image.Image:
    """An 8-bit RGB version of any image Pillow opens.

    ``convert("RGB")`` clips 16- and 32-bit pixel values at 255 (a 16-bit grey
    picture turns white), so those are scaled to 0..255 first.
    """
    if img.mode in ("I", "F") or img.mode.startswith("I;16"):
        values = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        img = Image.fromarray(np.clip(np.round(values * (255.0 / top)), 0, 255).astype(np.uint8), "L")
    return img.convert("RGB")


def load_image(path: str) -> torch.Tensor:
    """An image file as a normalised 3 x 32 x 32 tensor."""
    try:
        with Image.open(path) as img:
            img = to_rgb(img).resize((32, 32), Image.BILINEAR)
    except FileNotFoundError:
        raise UsageError(f"no such image: {path}") from None
    except Image.DecompressionBombError as exc:
        raise UsageError(f"{path}: {exc}") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path} as an image: {exc}") from None
    pixels = np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255
    normalised = (pixels - np.array(MEAN, np.float32)[:, None, None]) / np.array(STD, np.float32)[:, None, None]
    return torch.from_numpy(normalised.astype(np.float32))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a state dict saved with --save")
    parser.add_argument("images", nargs="+", help="image files")
    args = parser.parse_args()
    try:
        state_dict = torch.load(args.model)
    except FileNotFoundError:
        raise UsageError(f"no such model file: {args.model}") from None
    except (RuntimeError, ValueError, OSError) as exc:
        raise UsageError(f"cannot load {args.model}: {exc}") from None
    if not isinstance(state_dict, dict):
        raise UsageError(f"{args.model} does not hold a state dict")
    model, flatten = model_for(state_dict)
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as exc:
        raise UsageError(f"{args.model} does not fit the model: {exc}") from None
    model.eval()
    batch = torch.stack([load_image(path) for path in args.images])
    with torch.no_grad():
        outputs = model(batch.view(len(batch), -1) if flatten else batch)
        # softmax of logits gives probabilities; for the fc model, whose outputs are already
        # log-probabilities, softmax gives them back too (log-softmax only shifts each row).
        probabilities = F.softmax(outputs, dim=1)
    for path, p in zip(args.images, probabilities.tolist()):
        best = int(np.argmax(p))
        print(f"{path}: {CLASSES[best]}  ({CLASSES[0]} {p[0]:.3f}, {CLASSES[1]} {p[1]:.3f})")


if __name__ == "__main__":
    run(main)
