"""Classify your own pictures as bird or airplane with a model trained by the CIFAR-2 examples.

    python examples/cifar2_conv.py --save net.pt
    python examples/predict.py net.pt my_bird.jpg plane.png

Each image (any size or format Pillow reads) is converted to RGB, resized to
32 x 32 and normalised exactly as in training. The architecture (fc, deep or
one of the book's convolutional networks, with its width) is read off the state
dict's keys and shapes; ``--model depth`` or ``--model res`` tells apart those two,
which hold the same weights. The model is loaded onto ``--device`` (default cpu),
so one trained with ``--device gpu`` also predicts on a machine without a GPU.
"""
from __future__ import annotations

import argparse
import re

import numpy as np
from PIL import Image, UnidentifiedImageError

import tinynn as torch
import tinynn.nn.functional as F
from cifar2_common import UsageError, resolve_device, run
from cifar2_models import CLASSES, CONV_MODELS, MEAN, STD, deep_model, fc_model

MODEL_NAMES = ["fc", "deep", *CONV_MODELS]


def resdeep_blocks(state_dict: dict) -> int:
    """How many residual blocks a NetResDeep state dict holds; they must be one shared block, as in the book."""
    blocks = sorted(int(k.split(".")[1]) for k in state_dict if re.fullmatch(r"resblocks\.\d+\.conv\.weight", k))
    if blocks != list(range(len(blocks))):
        raise UsageError(f"the model file's residual blocks are numbered {blocks[:8]}, not 0, 1, 2, ...")
    for key, value in state_dict.items():
        first = state_dict.get("resblocks.0." + key.split(".", 2)[-1]) if key.startswith("resblocks.") else value
        if first is None or first.shape != value.shape or not torch.equal(first, value):
            raise UsageError(f"the model file's residual blocks hold different weights (at {key!r}); "
                             "NetResDeep repeats one block, as in the book")
    return len(blocks)


def model_for(state_dict: dict, name: str | None = None):
    """Build the model whose parameters ``state_dict`` holds; returns (model, flatten).

    The architecture is read off the keys and shapes: fc, deep, or one of the book's
    convolutional networks with its width (and resdeep's number of blocks). net, netwidth
    and dropout hold the same weights and predict alike (dropout is off in eval mode), so
    they load into ``Net``. depth and res hold the same weights too but compute
    differently: for them ``name`` (``--model``) must say which.
    """
    not_tensors = [k for k, v in state_dict.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise UsageError(f"the model file's state dict holds values that are not tensors (at {not_tensors[0]!r})")
    shapes = {k: tuple(v.shape) for k, v in state_dict.items()}
    if shapes.get("conv1.weight", (0,))[1:] == (3, 3, 3) and name not in ("fc", "deep"):
        if name is None:
            if "resblocks.0.conv.weight" in shapes:
                name = "resdeep"
            elif "conv1_batchnorm.weight" in shapes:
                name = "batchnorm"
            elif "conv3.weight" in shapes:
                raise UsageError("the model file holds a NetDepth or a NetRes (the same weights, different "
                                 "forward passes): say which with --model depth or --model res")
            else:
                name = "net"
        n_blocks = resdeep_blocks(state_dict) if name == "resdeep" else 10
        return CONV_MODELS[name](shapes["conv1.weight"][0], n_blocks), False
    if name in (None, "fc") and shapes.get("0.weight") == (512, 3072) and "2.weight" in shapes:
        return fc_model(), True
    if name in (None, "deep") and shapes.get("0.weight") == (1024, 3072):
        return deep_model(), True
    if name is not None:
        raise UsageError(f"the model file holds no {name} model; its keys are {sorted(shapes)[:6]}")
    raise UsageError("the model file holds no CIFAR-2 model this script knows (fc, deep or one of the book's "
                     f"convolutional networks); its keys are {sorted(shapes)[:6]}")


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
    parser.add_argument("--model", dest="architecture", choices=MODEL_NAMES,
                        help="the architecture, for files whose weights cannot tell (depth, res); "
                             "read off the file otherwise")
    parser.add_argument("--device", default="cpu",
                        help="cpu, gpu or cuda[:N]: where to predict, whichever device the model was trained on "
                             "(default: cpu)")
    args = parser.parse_args()
    dev = resolve_device(args.device)
    try:
        state_dict = torch.load(args.model, map_location=dev)     # a GPU-trained file loads on a CPU-only machine
    except FileNotFoundError:
        raise UsageError(f"no such model file: {args.model}") from None
    except (RuntimeError, ValueError, OSError) as exc:
        raise UsageError(f"cannot load {args.model}: {exc}") from None
    if not isinstance(state_dict, dict):
        raise UsageError(f"{args.model} does not hold a state dict")
    model, flatten = model_for(state_dict, args.architecture)
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as exc:
        raise UsageError(f"{args.model} does not fit the model: {exc}") from None
    model.to(dev).eval()
    batch = torch.stack([load_image(path) for path in args.images]).to(dev)
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
