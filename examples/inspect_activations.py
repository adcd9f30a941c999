"""Look inside the seeds' convolutional ``Net``: what do ``conv1`` and ``conv2`` respond to?

    python examples/inspect_activations.py --out activations.png
    python examples/inspect_activations.py --model birds_vs_airplanes.pt --index 7 --out bird7.png

Trains ``Net`` briefly on CIFAR-2 (the birds and airplanes of CIFAR-10), or loads
a state dict saved with ``tinynn.save(model.state_dict(), path)``, then does what
seed 003's "Inspecting learned features" does: a forward hook on ``conv1`` and
one on ``conv2`` keep the outputs of those layers while the model classifies one
validation image, and the image and every feature map are drawn as a grid,
written as a PNG with Pillow.

Each feature map is shaded on its own scale, as matplotlib's ``imshow(cmap="Greys")``
does: dark where the channel responds most, white where least. Do not read too
much into them; they show which patterns (edges, colour blobs, background) a
channel reacts to, not why the model decides.

CIFAR-10 is downloaded into ``--data-dir`` (default ``./data``) unless
``--no-download`` is given. Bad input (a missing data set or model file, an
index out of range, an unknown device) is reported in one line, with exit status 2.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tinynn  # noqa: E402
import tinynn.nn as nn  # noqa: E402
import tinynn.optim as optim  # noqa: E402
from cifar2_common import UsageError, resolve_device  # noqa: E402
from cifar2_models import CLASSES, LABEL_MAP, MEAN, STD, Net  # noqa: E402
from tinynn.utils.data import DataLoader, Subset  # noqa: E402
from tinynn.vision import datasets, transforms  # noqa: E402

TILE = 96          # pixels per image or feature map in the grid
GAP = 6            # pixels between tiles
COLUMNS = 8        # tiles per row
TITLE_HEIGHT = 18  # pixels for a section title


# ----------------------------------------------------------------------------- data
def to_cifar2_label(label: int) -> int:
    """CIFAR-10's airplane (0) and bird (2) as CIFAR-2's 0 and 1."""
    return LABEL_MAP[label]


def load_cifar2(data_dir: str, train: bool, download: bool) -> Subset:
    """The birds and airplanes of one CIFAR-10 split, normalised, with labels 0 (airplane) and 1 (bird)."""
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    try:
        cifar10 = datasets.CIFAR10(data_dir, train=train, download=download, transform=transform,
                                   target_transform=to_cifar2_label)
    except (RuntimeError, OSError, ValueError) as exc:
        hint = "" if download else " (Run without --no-download to download it.)"
        raise UsageError(f"could not load CIFAR-10 from {data_dir}: {exc}{hint}") from exc
    keep = [i for i, label in enumerate(cifar10.targets) if label in LABEL_MAP]
    return Subset(cifar10, keep)


# ----------------------------------------------------------------------------- model
def train(model: nn.Module, data: Subset, epochs: int, device: tinynn.device, lr: float = 1e-2,
          batch_size: int = 64) -> None:
    """The seeds' training loop: SGD on cross-entropy, printing the last batch's loss of each epoch."""
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(data, batch_size=batch_size, shuffle=True)
    model.train()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        for imgs, labels in loader:
            imgs, labels = imgs.to(device), labels.to(device)
            loss = loss_fn(model(imgs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"Epoch {epoch}, training loss {float(loss):.4f} ({time.perf_counter() - start:.1f} s)")


def load_model(path: str) -> Net:
    """A ``Net`` with the weights saved at ``path`` by ``tinynn.save(model.state_dict(), path)``."""
    if not os.path.isfile(path):
        raise UsageError(f"--model {path}: no such file")
    model = Net()
    try:
        model.load_state_dict(tinynn.load(path))
    except (RuntimeError, OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--model {path} is not a state dict of the seeds' Net: {exc}") from exc
    return model


def capture_activations(model: nn.Module, image: tinynn.Tensor, names: list[str]) -> tuple[dict, tinynn.Tensor]:
    """Run ``model`` on one image with a forward hook on each named submodule; return (activations, output).

    The hooks store ``output.detach()`` under the module's name, and are
    removed again afterwards.
    """
    activation = {}

    def get_activation(name):
        def hook(module, args, output):
            activation[name] = output.detach()
        return hook

    handles = [model.get_submodule(name).register_forward_hook(get_activation(name)) for name in names]
    try:
        model.eval()
        with tinynn.no_grad():
            output = model(image.unsqueeze(0))
    finally:
        for handle in handles:
            handle.remove()
    return activation, output


# ----------------------------------------------------------------------------- picture
def image_to_rgb(image: np.ndarray) -> np.ndarray:
    """A normalised (3, H, W) image back to (H, W, 3) uint8 colours."""
    mean, std = np.array(MEAN)[:, None, None], np.array(STD)[:, None, None]
    rgb = np.clip(image * std + mean, 0.0, 1.0)
    return (np.moveaxis(rgb, 0, 2) * 255).round().astype(np.uint8)


def map_to_grey(feature_map: np.ndarray) -> np.ndarray:
    """One (H, W) feature map as uint8 shades, on its own scale: highest black, lowest white ("Greys")."""
    low, high = float(feature_map.min()), float(feature_map.max())
    scaled = (feature_map - low) / (high - low) if high > low else np.zeros_like(feature_map)
    return ((1.0 - scaled) * 255).round().astype(np.uint8)


def _tile(pixels: np.ndarray) -> Image.Image:
    """An image array enlarged to TILE x TILE with square pixels (nearest neighbour)."""
    return Image.fromarray(pixels).convert("RGB").resize((TILE, TILE), Image.NEAREST)


def feature_grid(image: np.ndarray, sections: list[tuple[str, np.ndarray]], caption: str) -> Image.Image:
    """The picture: a caption and the image, then one titled section of feature maps per layer.

    ``image`` is the normalised (3, H, W) input; each section is
    ``(title, maps)`` with ``maps`` of shape (channels, H, W).
    """
    rows = [("image", caption, [image_to_rgb(image)])]
    rows += [("maps", title, [map_to_grey(m) for m in maps]) for title, maps in sections]
    width = COLUMNS * TILE + (COLUMNS + 1) * GAP
    height = GAP + sum(TITLE_HEIGHT + -(-len(tiles) // COLUMNS) * (TILE + GAP) for _, _, tiles in rows)
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    y = GAP
    for _, title, tiles in rows:
        draw.text((GAP, y + 2), title, fill="black", font=font)
        y += TITLE_HEIGHT
        for k, pixels in enumerate(tiles):
            row, col = divmod(k, COLUMNS)
            canvas.paste(_tile(pixels), (GAP + col * (TILE + GAP), y + row * (TILE + GAP)))
        y += -(-len(tiles) // COLUMNS) * (TILE + GAP)
    return canvas


def save_png(picture: Image.Image, path: Path) -> None:
    """Write the PNG through a temporary file, so an interrupted run leaves no half-written picture."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            picture.save(f, format="PNG")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# ----------------------------------------------------------------------------- command line
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked: a bad value stops here with argparse's usage message (exit status 2)."""
    parser = argparse.ArgumentParser(description="Draw the conv1 and conv2 feature maps of the seeds' Net "
                                                 "for one CIFAR-2 validation image.")
    parser.add_argument("--data-dir", default="./data", help="folder for CIFAR-10 (default: ./data)")
    parser.add_argument("--no-download", action="store_true", help="fail instead of downloading CIFAR-10")
    parser.add_argument("--model", help="load this state dict (saved with tinynn.save) instead of training")
    parser.add_argument("--epochs", type=int, default=1, help="training epochs when --model is not given "
                                                              "(default: 1)")
    parser.add_argument("--lr", type=float, default=1e-2, help="SGD learning rate (default: 0.01)")
    parser.add_argument("--device", default="cpu", help="cpu (NumPy), or gpu or cuda[:N] (CuPy) (default: cpu)")
    parser.add_argument("--index", type=int, default=0, help="which CIFAR-2 validation image (default: 0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", default="activations.png", help="the PNG to write (default: activations.png)")
    args = parser.parse_args(argv)
    if args.epochs < 0:
        parser.error(f"--epochs must be 0 or more, got {args.epochs}")
    if args.lr <= 0:
        parser.error(f"--lr must be positive, got {args.lr}")
    if args.index < 0:
        parser.error(f"--index must be 0 or more, got {args.index}")
    if Path(args.out).suffix.lower() != ".png":
        parser.error(f"--out must name a .png file, got {args.out!r}")
    return args


def run(args: argparse.Namespace) -> None:
    """Train or load the model, capture the activations of one image and write the picture."""
    device = resolve_device(args.device)
    tinynn.manual_seed(args.seed)

    model = load_model(args.model) if args.model else None   # a bad file fails before any download
    val = load_cifar2(args.data_dir, train=False, download=not args.no_download)
    if args.index >= len(val):
        raise UsageError(f"--index {args.index} is out of range: the validation set has {len(val)} "
                           f"bird and airplane images (0..{len(val) - 1})")
    if model is not None:
        print(f"Loaded {args.model}")
    else:
        model = Net()
        if args.epochs:
            train_set = load_cifar2(args.data_dir, train=True, download=not args.no_download)
            print(f"Training Net for {args.epochs} epoch(s) on {len(train_set)} images ({device})")
            train(model.to(device), train_set, args.epochs, device, lr=args.lr)
        else:
            print("--epochs 0: showing the activations of an untrained Net")
    model.to(device)

    image, label = val[args.index]
    activation, output = capture_activations(model, image.to(device), ["conv1", "conv2"])
    probs = tinynn.softmax(output, dim=1)[0]
    predicted = int(probs.argmax())
    caption = (f"Validation image {args.index}: {CLASSES[label]} "
               f"(predicted {CLASSES[predicted]}, p = {float(probs[predicted]):.2f})")
    print(caption)
    sections = []
    for name in ("conv1", "conv2"):
        maps = np.asarray(activation[name].cpu())[0]
        sections.append((f"{name} activations: {maps.shape[0]} feature maps of {maps.shape[1]}x{maps.shape[2]}",
                         maps))
    picture = feature_grid(np.asarray(image.cpu()), sections, caption)
    try:
        save_png(picture, Path(args.out))
    except OSError as exc:
        raise UsageError(f"could not write {args.out}: {exc}") from exc
    print(f"Wrote {args.out}")


def main(argv: list[str] | None = None) -> int:
    """Run the example; a problem with the input is one line on stderr and exit status 2."""
    args = parse_args(argv)
    try:
        run(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
