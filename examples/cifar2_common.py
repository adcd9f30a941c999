"""What the CIFAR-2 examples share: options, data, the training loop, reports.

The pipeline is the one of *Deep Learning with PyTorch*, ch. 7-8:
CIFAR-10 -> keep airplanes (label 0) and birds (label 2) -> ToTensor and
Normalize -> DataLoader(batch_size=64, shuffle=True) -> a model -> NLL or
cross-entropy loss -> SGD -> accuracy on the 2,000 validation images.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import tinynn as torch
import tinynn.optim as optim
from tinynn.utils.data import DataLoader, TensorDataset
from tinynn.vision import datasets, transforms

from cifar2_models import CLASSES, LABEL_MAP, MEAN, STD



class UsageError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


def common_parser(description: str, default_epochs: int) -> argparse.ArgumentParser:
    """The options both examples take."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--device", default="cpu", help="cpu, gpu or cuda[:N] (default: cpu)")
    p.add_argument("--epochs", type=int, default=default_epochs)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default="./data", help="where CIFAR-10 is (or will be downloaded)")
    p.add_argument("--no-download", action="store_true", help="fail instead of downloading CIFAR-10")
    p.add_argument("--save", metavar="PATH", help="write the trained state dict here (tinynn.save)")
    p.add_argument("--predictions", metavar="PATH.png", help="write a grid of validation predictions")
    p.add_argument("--graph", metavar="PATH", help="write the autograd graph of the first step's loss (DOT)")
    return p


def resolve_device(name: str) -> torch.device:
    """``cpu``, ``gpu``, ``cuda`` or ``cuda:N``, with a message saying what to install when the GPU is missing."""
    try:
        dev = torch.device(name)
    except ValueError as exc:
        raise UsageError(f"unknown device {name!r}: use cpu, gpu or cuda") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        try:
            torch.zeros(1, device=dev)          # raises the precise reason (no CuPy / no device)
        except RuntimeError as exc:
            raise UsageError(str(exc)) from exc
    return dev


def describe_device(dev: torch.device) -> str:
    """A line naming the device and the array library behind it."""
    if dev.type == "cuda":
        import cupy
        return f"{dev} ({torch.cuda.get_device_name(dev.index or 0)}, CuPy {cupy.__version__})"
    import numpy
    return f"cpu (NumPy {numpy.__version__})"


def load_cifar2(data_dir: str, download: bool):
    """The bird/airplane training and validation sets as lists of (3x32x32 tensor, 0|1), as the seeds build them."""
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the data directory {data_dir!r}: {exc.strerror}") from exc
    preprocess = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    try:
        cifar10 = datasets.CIFAR10(data_dir, train=True, download=download, transform=preprocess)
        cifar10_val = datasets.CIFAR10(data_dir, train=False, download=download, transform=preprocess)
    except (RuntimeError, OSError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    cifar2 = [(img, LABEL_MAP[label]) for img, label in cifar10 if label in LABEL_MAP]
    cifar2_val = [(img, LABEL_MAP[label]) for img, label in cifar10_val if label in LABEL_MAP]
    return cifar2, cifar2_val


def as_tensors(pairs, dev):
    """Stack (image, label) pairs into two tensors on ``dev``: images N x 3 x 32 x 32, labels N."""
    images = torch.stack([img for img, _ in pairs])
    labels = torch.tensor([label for _, label in pairs])
    return images.to(dev), labels.to(dev)


def evaluate(model, images, labels, batch_size: int, flatten: bool, chunk: int = 1024):
    """Accuracy (a 0-d tensor on the device) of ``model`` on ``images``, ``chunk`` images at a time."""
    model.eval()
    correct = torch.zeros((), dtype=torch.int64, device=images.device)
    with torch.no_grad():
        for start in range(0, len(images), chunk):
            batch = images[start:start + chunk]
            outputs = model(batch.view(batch.shape[0], -1) if flatten else batch)
            _, predicted = torch.max(outputs, dim=1)
            correct = correct + (predicted == labels[start:start + chunk]).sum()
    model.train()
    return correct / len(images)


class EpochProgress:
    """How far an epoch has got, as one line rewritten in place (``\\r``) on a terminal.

    It stays silent when ``stream`` is not a terminal (redirected output keeps one
    line per epoch) and during the epoch's first ``delay`` seconds (short epochs
    show nothing); then it redraws at most every ``interval`` seconds. ``clear()``
    blanks the line before the epoch's report is printed.
    """

    def __init__(self, epoch: int, epochs: int, steps: int, stream=None, delay: float = 2.0,
                 interval: float = 0.25, clock=time.perf_counter):
        self.epoch, self.epochs, self.steps = epoch, epochs, steps
        self.stream = sys.stdout if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty())
        self.clock, self.interval = clock, interval
        self.start = clock()
        self.next_draw = self.start + delay
        self.width = 0                        # length of the line on screen, 0 when none

    def update(self, steps_done: int, mean_loss) -> None:
        """Redraw after ``steps_done`` steps if due; ``mean_loss()`` (called only then) gives the loss so far."""
        if not self.enabled:
            return
        now = self.clock()
        if now < self.next_draw:
            return
        self.next_draw = now + self.interval
        elapsed = now - self.start
        left = elapsed / max(steps_done, 1) * (self.steps - steps_done)
        text = (f"Epoch {self.epoch:3d}/{self.epochs}  step {steps_done}/{self.steps}  "
                f"loss {mean_loss():.4f}  {elapsed:5.1f} s, about {left:.0f} s left")
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def clear(self) -> None:
        """Blank the progress line, if one is shown, and put the cursor back at its start."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def l2_penalty(model):
    """The book's explicit L2 term (its ``training_loop_l2reg``): the sum of every parameter's squares."""
    return sum(p.pow(2.0).sum() for p in model.parameters())


def train(model, loss_fn, optimizer, train_set, val_set, args, flatten: bool, dev, l2: float = 0.0) -> float:
    """The seeds' training loop; prints one line per epoch and returns the final validation accuracy.

    ``l2 > 0`` adds ``l2 * l2_penalty(model)`` to each step's loss, as the book's
    ``training_loop_l2reg`` does; the loss printed is then that penalised loss.
    """
    train_images, train_labels = train_set
    val_images, val_labels = val_set
    train_loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=args.batch_size, shuffle=True)
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        total_loss = torch.zeros((), device=dev)      # accumulated on the device: no sync per step
        correct = torch.zeros((), dtype=torch.int64, device=dev)
        seen = 0
        progress = EpochProgress(epoch, args.epochs, len(train_loader))
        try:
            for step, (imgs, labels) in enumerate(train_loader):
                outputs = model(imgs.view(imgs.shape[0], -1) if flatten else imgs)
                loss = loss_fn(outputs, labels)
                if l2:
                    loss = loss + l2 * l2_penalty(model)
                if epoch == 1 and step == 0 and args.graph:
                    write_graph(loss, model, args.graph)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total_loss = total_loss + loss.detach() * len(labels)
                correct = correct + (outputs.detach().argmax(dim=1) == labels).sum()
                seen += len(labels)
                progress.update(step + 1, lambda: (total_loss / seen).item())
        finally:
            progress.clear()
        n = len(train_images)
        train_acc, mean_loss = (correct / n).item(), (total_loss / n).item()
        accuracy = evaluate(model, val_images, val_labels, args.batch_size, flatten).item()
        seconds = time.perf_counter() - start
        print(f"Epoch {epoch:3d}/{args.epochs}  loss {mean_loss:.4f}  train acc {train_acc:.4f}  "
              f"val acc {accuracy:.4f}  {seconds:6.2f} s  {n / seconds:8.0f} img/s", flush=True)
    return accuracy


def write_graph(loss, model, path: str) -> None:
    """The autograd graph of ``loss`` as Graphviz DOT (see tinynn.viz.make_dot)."""
    from tinynn.viz import make_dot
    make_dot(loss, params=dict(model.named_parameters())).save(path)
    print(f"Wrote the graph of the first step's loss to {path}")


def save_predictions(model, val_pairs, dev, path: str, flatten: bool, count: int = 32) -> None:
    """A PNG grid of validation images with predicted and true labels (green right, red wrong)."""
    from PIL import Image, ImageDraw
    import numpy as np

    images = torch.stack([img for img, _ in val_pairs[:count]]).to(dev)
    model.eval()
    with torch.no_grad():
        outputs = model(images.view(images.shape[0], -1) if flatten else images)
        predicted = outputs.argmax(dim=1).cpu().tolist()
    model.train()
    scale, cols = 3, 8
    cell_w, cell_h = 32 * scale, 32 * scale + 26
    rows = (count + cols - 1) // cols
    grid = Image.new("RGB", (cols * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(grid)
    mean, std = np.array(MEAN)[:, None, None], np.array(STD)[:, None, None]
    for k, ((img, label), pred) in enumerate(zip(val_pairs[:count], predicted)):
        pixels = np.clip((img.numpy() * std + mean) * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0)
        x, y = (k % cols) * cell_w, (k // cols) * cell_h
        grid.paste(Image.fromarray(pixels).resize((32 * scale, 32 * scale), Image.NEAREST), (x, y))
        color = (0, 128, 0) if pred == label else (200, 0, 0)
        draw.text((x + 2, y + 32 * scale + 1), f"pred {CLASSES[pred]}", fill=color)
        draw.text((x + 2, y + 32 * scale + 13), f"true {CLASSES[label]}", fill=(0, 0, 0))
    write_atomically(path, lambda f: grid.save(f, format="PNG"))
    print(f"Wrote {count} validation predictions to {path}")


def write_atomically(path: str, write) -> None:
    """``write(file)`` into a temporary file beside ``path``, renamed over it only once complete."""
    target = Path(path).resolve()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix="." + target.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(main) -> None:
    """Run ``main()``; input problems print one line (no traceback) and exit with status 2."""
    try:
        main()
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


def check_options(args, weight_decay: float = 0.0, l2: float = 0.0) -> None:
    """Refuse, before any work, numbers that cannot train and output paths that cannot be written."""
    if args.epochs < 0 or args.batch_size < 1:
        raise UsageError("--epochs must be >= 0 and --batch-size >= 1")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise UsageError(f"--lr must be a finite number > 0, got {args.lr}")
    if not (math.isfinite(weight_decay) and weight_decay >= 0):
        raise UsageError(f"--weight-decay must be a finite number >= 0, got {weight_decay}")
    if not (math.isfinite(l2) and l2 >= 0):
        raise UsageError(f"--l2 must be a finite number >= 0, got {l2}")
    if not 0 <= args.seed < 2**64:
        raise UsageError(f"--seed must be between 0 and 2**64 - 1, got {args.seed}")
    for option in ("save", "predictions", "graph"):
        if getattr(args, option):
            check_writable(getattr(args, option), "--" + option)


def check_writable(path: str, option: str) -> None:
    """Fail now, not after training, if ``path`` cannot be written (a folder, no such folder, no permission)."""
    target = Path(path)
    folder = target.resolve().parent
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a directory; give a file name")
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"{option} {path}: permission denied")


def pipeline(args, build_model, loss_fn, flatten: bool, weight_decay: float = 0.0, l2: float = 0.0) -> None:
    """Everything after argument parsing: data, model, training, reports, saving.

    ``weight_decay`` goes to SGD; ``l2`` is the book's explicit penalty added to the loss (see ``train``).
    """
    check_options(args, weight_decay, l2)
    dev = resolve_device(args.device)
    torch.manual_seed(args.seed)
    cifar2, cifar2_val = load_cifar2(args.data_dir, download=not args.no_download)
    train_set, val_set = as_tensors(cifar2, dev), as_tensors(cifar2_val, dev)
    n_bird = int(train_set[1].sum().item())
    print(f"Training images: {len(cifar2)} (airplane {len(cifar2) - n_bird}, bird {n_bird}); "
          f"validation images: {len(cifar2_val)}")
    print(f"Device: {describe_device(dev)}")
    model = build_model().to(dev)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"Model: {n_params:,} parameters\n{model}")
    optimizer = optim.SGD(model.parameters(), lr=args.lr, weight_decay=weight_decay)
    print(f"Optimizer: SGD, lr {args.lr:g}, weight decay {weight_decay:g}"
          + (f", L2 penalty {l2:g} added to the loss" if l2 else ""))
    accuracy = train(model, loss_fn, optimizer, train_set, val_set, args, flatten, dev, l2)
    if args.epochs == 0:
        accuracy = evaluate(model, *val_set, args.batch_size, flatten).item()
    if args.save:
        torch.save(model.state_dict(), args.save)
        print(f"Saved the trained state dict to {args.save}")
    if args.predictions:
        save_predictions(model, cifar2_val, dev, args.predictions, flatten)
    print(f"Validation accuracy: {accuracy:.4f}")
