"""Train the book's chapter-8 networks on the same data and compare their accuracy (Deep Learning with PyTorch, 8.5).

    python examples/cifar2_compare.py                                  # all seven models, 20 epochs, models.png
    python examples/cifar2_compare.py --models net batchnorm res --epochs 5 --out three.png
    python examples/cifar2_compare.py --compare-torch                  # PyTorch's figures beside tinynn's

Each model (``cifar2_models.CONV_MODELS``, plus ``l2reg``: ``Net`` trained with the book's
L2 penalty 1e-3, its "l2 reg" bar) trains on the same 10,000 images from the same seed with
the book's settings (batch 64, SGD at lr 1e-2, 3e-3 for resdeep). Then its accuracy is measured
on the whole training set and on the 2,000 validation images, in eval mode, and it prints one
Markdown table (model, parameters, training and validation accuracy, seconds of training) and
draws the book's figure, training and validation accuracy per model as grouped bars, into a PNG
(with Pillow, no plotting library). ``--compare-torch`` trains PyTorch's version of each class
(the same source, ``cifar2_models.torch_versions()``) on the same tensors, right after tinynn's,
and adds its figures to the table and its bars to the picture.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import tinynn as torch
import tinynn.nn as nn
import tinynn.optim as optim

from cifar2_common import (UsageError, as_tensors, check_writable, describe_device, evaluate, load_cifar2,
                           resolve_device, run, train, write_atomically)
from cifar2_models import CONV_MODELS

BOOK_L2 = 1e-3                                 # the book's l2_lambda in training_loop_l2reg
CHOICES = [*CONV_MODELS, "l2reg"]
DEFAULT_MODELS = list(CONV_MODELS)


@dataclass
class Result:
    """What one library's run of one model gave."""

    parameters: int
    train_acc: float
    val_acc: float
    seconds: float


def settings(name: str) -> tuple:
    """(key in CONV_MODELS, L2 penalty) for a name of ``--models``."""
    return ("net", BOOK_L2) if name == "l2reg" else (name, 0.0)


def check_args(args) -> None:
    """Refuse, before loading or training anything, what cannot run (one line each)."""
    if args.epochs < 0 or args.batch_size < 1:
        raise UsageError("--epochs must be >= 0 and --batch-size >= 1")
    if not 0 <= args.seed < 2**64:
        raise UsageError(f"--seed must be between 0 and 2**64 - 1, got {args.seed}")
    if not 1 <= args.blocks <= 1000:
        raise UsageError(f"--blocks must be from 1 to 1000, got {args.blocks}")
    repeated = sorted({name for name in args.models if args.models.count(name) > 1})
    if repeated:
        raise UsageError(f"--models lists {repeated[0]} more than once")
    check_writable(args.out, "--out")
    if args.compare_torch:
        try:
            import torch as _  # noqa: F401
        except ImportError:
            raise UsageError("--compare-torch needs PyTorch, which is not installed") from None


# ------------------------------------------------------------------ PyTorch's run of the same classes
def run_torch(name: str, args, train_set, val_set, device: str) -> Result:
    """Train PyTorch's version of model ``name`` on the same tensors, as ``cifar2_common.train`` does tinynn's."""
    import torch as pt
    from cifar2_models import torch_versions

    key, l2 = settings(name)
    spec = torch_versions().CONV_MODELS[key]
    pt.manual_seed(args.seed)
    model = spec(None, args.blocks).to(device)
    optimizer = pt.optim.SGD(model.parameters(), lr=spec.lr)
    loss_fn = pt.nn.CrossEntropyLoss()
    (train_x, train_y), (val_x, val_y) = [(pt.from_numpy(x.cpu().numpy()).to(device),
                                           pt.from_numpy(y.cpu().numpy()).to(device))
                                          for x, y in (train_set, val_set)]
    loader = pt.utils.data.DataLoader(pt.utils.data.TensorDataset(train_x, train_y),
                                      batch_size=args.batch_size, shuffle=True)

    def accuracy(x, y) -> float:
        model.eval()
        with pt.no_grad():
            correct = sum(int((model(x[i:i + 1024]).argmax(dim=1) == y[i:i + 1024]).sum())
                          for i in range(0, len(x), 1024))
        model.train()
        return correct / len(x)

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        epoch_start = time.perf_counter()
        total_loss = 0.0
        for imgs, labels in loader:
            loss = loss_fn(model(imgs), labels)
            if l2:
                loss = loss + l2 * sum(p.pow(2.0).sum() for p in model.parameters())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(labels)
        print(f"PyTorch epoch {epoch:3d}/{args.epochs}  loss {total_loss / len(train_x):.4f}  "
              f"val acc {accuracy(val_x, val_y):.4f}  {time.perf_counter() - epoch_start:6.2f} s", flush=True)
    seconds = time.perf_counter() - start
    return Result(sum(p.numel() for p in model.parameters()), accuracy(train_x, train_y),
                  accuracy(val_x, val_y), seconds)


# ------------------------------------------------------------------ tinynn's run
def run_tinynn(name: str, args, train_set, val_set, dev) -> Result:
    """Train tinynn's model ``name`` with the examples' training loop; accuracies measured afterwards."""
    key, l2 = settings(name)
    spec = CONV_MODELS[key]
    torch.manual_seed(args.seed)
    model = spec(None, args.blocks).to(dev)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"\n{name}: {spec.title}, {n_params:,} parameters, SGD lr {spec.lr:g}"
          + (f", L2 penalty {l2:g}" if l2 else ""), flush=True)
    optimizer = optim.SGD(model.parameters(), lr=spec.lr)
    loop_args = argparse.Namespace(epochs=args.epochs, batch_size=args.batch_size, graph=None)
    start = time.perf_counter()
    train(model, nn.CrossEntropyLoss(), optimizer, train_set, val_set, loop_args, False, dev, l2)
    seconds = time.perf_counter() - start
    return Result(n_params, evaluate(model, *train_set, args.batch_size, False).item(),
                  evaluate(model, *val_set, args.batch_size, False).item(), seconds)


# ------------------------------------------------------------------ the report
def table(results: dict, torch_results: dict) -> str:
    """The results as a Markdown table; PyTorch's columns when it ran."""
    header = ["model", "parameters", "train acc", "val acc", "seconds"]
    if torch_results:
        header += ["PyTorch train acc", "PyTorch val acc", "PyTorch seconds"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for name, r in results.items():
        row = [name, f"{r.parameters:,}", f"{r.train_acc:.4f}", f"{r.val_acc:.4f}", f"{r.seconds:.1f}"]
        if torch_results:
            t = torch_results[name]
            if t.parameters != r.parameters:
                row[1] += f" (PyTorch {t.parameters:,})"
            row += [f"{t.train_acc:.4f}", f"{t.val_acc:.4f}", f"{t.seconds:.1f}"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def draw_bars(results: dict, torch_results: dict, title: str):
    """The book's comparison figure as a Pillow image: training and validation accuracy per model.

    With PyTorch's results each model gets four bars: tinynn's two, then PyTorch's in lighter colours.
    The y axis runs from 0.7 (the book's) or lower when some accuracy is lower, to 1.
    """
    from PIL import Image, ImageDraw, ImageFont

    series = [("train", (31, 119, 180), {k: r.train_acc for k, r in results.items()}),
              ("val", (255, 127, 14), {k: r.val_acc for k, r in results.items()})]
    if torch_results:
        series = [(f"{label} (tinynn)", color, values) for label, color, values in series]
        series += [("train (PyTorch)", (158, 199, 232), {k: r.train_acc for k, r in torch_results.items()}),
                   ("val (PyTorch)", (255, 191, 134), {k: r.val_acc for k, r in torch_results.items()})]
    values = [v for _, _, vs in series for v in vs.values()]
    low = min(0.7, int(min(values) * 10) / 10)
    step = 0.05 if low >= 0.5 else 0.1
    font = ImageFont.load_default()
    bar, gap = 24, 28
    left, right, top, bottom = 64, 16, 40, 46
    group = bar * len(series) + gap
    legend_height = 16 * len(series) + 8
    title_w = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox((0, 0), title, font=font)[2]
    plot_w, plot_h = max(group * len(results), title_w, 240), 300
    image = Image.new("RGB", (left + plot_w + right, top + plot_h + bottom + legend_height), "white")
    draw = ImageDraw.Draw(image)

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (max(value, low) - low) / (1 - low))

    def text_size(text: str) -> tuple:
        x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
        return x1 - x0, y1 - y0

    draw.text((left, 12), title, fill="black", font=font)
    ticks = round((1 - low) / step)
    for k in range(ticks + 1):
        value = low + k * step
        y = y_of(value)
        draw.line([(left, y), (left + plot_w, y)], fill=(225, 225, 225))
        label = f"{value:.2f}"
        w, h = text_size(label)
        draw.text((left - 6 - w, y - h / 2 - 1), label, fill="black", font=font)
    axis_label = Image.new("RGB", tuple(draw.textbbox((0, 0), "accuracy", font=font)[2:]), "white")
    ImageDraw.Draw(axis_label).text((0, 0), "accuracy", fill="black", font=font)
    axis_label = axis_label.rotate(90, expand=True)
    image.paste(axis_label, (6, int(top + plot_h / 2 - axis_label.height / 2)))
    for g, name in enumerate(results):
        x0 = left + g * group + gap / 2
        for s, (_, color, by_model) in enumerate(series):
            x = x0 + s * bar
            draw.rectangle([x + 1, y_of(by_model[name]), x + bar - 2, top + plot_h], fill=color)
        w, _ = text_size(name)
        draw.text((x0 + bar * len(series) / 2 - w / 2, top + plot_h + 8), name, fill="black", font=font)
    draw.line([(left, top), (left, top + plot_h), (left + plot_w, top + plot_h)], fill="black")
    for s, (label, color, _) in enumerate(series):
        y = top + plot_h + bottom + 16 * s
        draw.rectangle([left, y, left + 12, y + 10], fill=color)
        draw.text((left + 18, y - 1), label, fill="black", font=font)
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=CHOICES, default=DEFAULT_MODELS, metavar="MODEL",
                        help=f"any of {', '.join(CHOICES)} (default: the first seven)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per model (default 20)")
    parser.add_argument("--out", default="models.png", help="the picture, a PNG (default models.png)")
    parser.add_argument("--compare-torch", action="store_true",
                        help="also train PyTorch's version of each model and show its figures")
    parser.add_argument("--device", default="cpu", help="cpu, gpu or cuda[:N] (default: cpu)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--blocks", type=int, default=10, help="residual blocks of resdeep (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default="./data", help="where CIFAR-10 is (or will be downloaded)")
    parser.add_argument("--no-download", action="store_true", help="fail instead of downloading CIFAR-10")
    args = parser.parse_args()
    check_args(args)
    dev = resolve_device(args.device)
    cifar2, cifar2_val = load_cifar2(args.data_dir, download=not args.no_download)
    train_set, val_set = as_tensors(cifar2, dev), as_tensors(cifar2_val, dev)
    print(f"Training images: {len(cifar2)}; validation images: {len(cifar2_val)}; device: {describe_device(dev)}")
    torch_device = "cpu"
    if args.compare_torch:
        import torch as pt
        torch_device = "cuda" if dev.type == "cuda" and pt.cuda.is_available() else "cpu"
        print(f"PyTorch {pt.__version__} on {torch_device} ({pt.get_num_threads()} threads)")
    results, torch_results = {}, {}
    for name in args.models:
        results[name] = run_tinynn(name, args, train_set, val_set, dev)
        if args.compare_torch:
            torch_results[name] = run_torch(name, args, train_set, val_set, torch_device)
    print("\nAccuracy after training, in eval mode, on the whole training set and on the validation set:\n")
    print(table(results, torch_results))
    title = f"CIFAR-2, {args.epochs} epochs, seed {args.seed}: training and validation accuracy"
    image = draw_bars(results, torch_results, title)
    write_atomically(args.out, lambda f: image.save(f, format="PNG"))
    print(f"\nWrote the comparison figure to {args.out}")


if __name__ == "__main__":
    run(main)
