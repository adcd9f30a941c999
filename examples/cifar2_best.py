"""Birds vs airplanes past 0.94: a small batch-norm network, augmented batches, Nesterov SGD and one cycle.

    python examples/cifar2_best.py                          # the recipe: >= 0.94 on the 2,000 validation images
    python examples/cifar2_best.py --seed 1 --save best.pt
    python examples/cifar2_best.py --without batchnorm      # the recipe without one of its parts (ablation)

The recipe, built only from tinynn's own parts (``best_model`` and ``train_best``):

- the network: four 3x3 convolutions, each followed by ``BatchNorm2d`` and ``ReLU``: 16
  channels at 32 x 32, 32 at 16 x 16, then 64 and 64 at 8 x 8 (max pooling after the first, the
  second and the fourth), and the 64 x 4 x 4 features straight into ``Linear(1024, 2)``; 62,738
  parameters. Most of its work is at low resolution: 5.2M multiply-adds per image, against 25M
  for the 32-32-64-64 network of PyTorch's reference recipe (``../shared/reference/torch_best.py``);
- augmentation of each training batch: each image mirrored left-right with probability 1/2,
  and cut at a random offset out of the image padded by 4 pixels of reflection;
- SGD with Nesterov momentum (0.9) and weight decay 5e-4, batch 64;
- ``OneCycleLR``: the rate climbs from lr/25 to lr (0.05) over the first quarter of the
  steps and anneals to nearly 0 by the last one; the momentum moves the other way (0.95 to 0.85).

``--without PART`` (repeatable) trains the recipe less one part: ``batchnorm`` (convolutions
with biases, no normalisation), ``flip``, ``crop``, ``nesterov`` (plain momentum),
``weight-decay`` or ``onecycle`` (a constant rate, lr). Each epoch prints one line (loss and
accuracy on the augmented training batches, validation accuracy, seconds, and the time since
training began); the last line is ``Validation accuracy: 0.XXXX``.
"""
from __future__ import annotations

import time

import tinynn as torch
import tinynn.nn as nn
import tinynn.optim as optim

from cifar2_common import (EpochProgress, UsageError, as_tensors, check_options, common_parser, describe_device,
                           evaluate, load_cifar2, resolve_device, run, save_predictions, write_graph)

PARTS = ("batchnorm", "flip", "crop", "nesterov", "weight-decay", "onecycle")
CROP_PADDING = 4               # pixels of reflection around each image before the random 32 x 32 cut
MOMENTUM = 0.9                 # SGD's momentum (OneCycleLR cycles it between 0.85 and 0.95)
WEIGHT_DECAY = 5e-4
WARMUP_FRACTION = 0.25         # OneCycleLR's pct_start: the share of the steps spent climbing to lr
DEFAULT_EPOCHS = 24
DEFAULT_LR = 0.05              # the peak rate of the cycle
CHANNELS = (16, 32, 64)        # at 32 x 32, 16 x 16 and 8 x 8
EVAL_CHUNK = 250               # validation images per forward pass (measured faster than 1024 for this network)


def best_model(nn=nn, batch_norm: bool = True) -> "nn.Sequential":
    """The recipe's network, on ``nn`` (tinynn.nn, or torch.nn for the same network in PyTorch).

    (N, 3, 32, 32) -conv 16, pool-> (N, 16, 16, 16) -conv 32, pool-> (N, 32, 8, 8)
    -conv 64, conv 64, pool-> (N, 64, 4, 4) -flatten, linear-> (N, 2) logits. Each convolution
    is followed by batch norm (which makes its bias redundant: it has none) and ReLU; with
    ``batch_norm=False`` the convolutions keep their biases and nothing normalises them.
    """
    def conv(c_in: int, c_out: int) -> list:
        if not batch_norm:
            return [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1), nn.ReLU()]
        return [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]

    c1, c2, c3 = CHANNELS
    return nn.Sequential(
        *conv(3, c1), nn.MaxPool2d(2),                          # 32 x 32 -> 16 x 16
        *conv(c1, c2), nn.MaxPool2d(2),                         # 16 x 16 -> 8 x 8
        *conv(c2, c3), *conv(c3, c3), nn.MaxPool2d(2),          # 8 x 8 -> 4 x 4
        nn.Flatten(), nn.Linear(c3 * 4 * 4, 2))


def reflect(index: torch.Tensor, size: int) -> torch.Tensor:
    """Positions -pad .. size - 1 + pad folded back into 0 .. size - 1 as a mirror does (-1 -> 1, size -> size - 2)."""
    index = index.abs()
    return torch.where(index > size - 1, 2 * (size - 1) - index, index)


def augment(images: torch.Tensor, flip: bool = True, crop: bool = True) -> torch.Tensor:
    """A random view of each image of the batch (N, C, H, W): mirrored with probability 1/2, then cut
    H x W at a random offset out of the image padded by ``CROP_PADDING`` pixels of reflection.

    Each image draws its own flip and offset (as torchvision's ``RandomHorizontalFlip`` and
    ``RandomCrop(32, padding=4, padding_mode="reflect")`` do image by image); the crop is one
    gather: output pixel (i, j) of image n is input pixel (reflect(dy_n + i - 4), reflect(dx_n + j - 4)).
    """
    n, c, h, w = images.shape
    dev = images.device
    if flip:
        mirrored = torch.rand(n, device=dev) < 0.5
        images = torch.where(mirrored[:, None, None, None], images.flip(3), images)
    if crop:
        dy = torch.randint(0, 2 * CROP_PADDING + 1, (n, 1), device=dev) - CROP_PADDING
        dx = torch.randint(0, 2 * CROP_PADDING + 1, (n, 1), device=dev) - CROP_PADDING
        rows = reflect(dy + torch.arange(h, device=dev), h)                # (N, H): the source row of each output row
        cols = reflect(dx + torch.arange(w, device=dev), w)                # (N, W)
        images = images[torch.arange(n, device=dev)[:, None, None, None], torch.arange(c, device=dev)[None, :, None, None],
                        rows[:, None, :, None], cols[:, None, None, :]]
    return images


def train_best(model, train_set, val_set, args, dev, without=()) -> float:
    """Train ``model`` with the recipe (less the parts in ``without``); prints one line per epoch and
    returns the last validation accuracy."""
    train_images, train_labels = train_set
    val_images, val_labels = val_set
    n = len(train_images)
    steps = (n + args.batch_size - 1) // args.batch_size
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=MOMENTUM, nesterov="nesterov" not in without,
                          weight_decay=0.0 if "weight-decay" in without else WEIGHT_DECAY)
    schedule = None
    if "onecycle" not in without and args.epochs > 0:
        schedule = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * steps,
                                                 pct_start=WARMUP_FRACTION)
    loss_fn = nn.CrossEntropyLoss()
    if args.epochs == 0:
        return evaluate(model, val_images, val_labels, args.batch_size, flatten=False, chunk=EVAL_CHUNK).item()
    began = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        model.train()
        total_loss = torch.zeros((), device=dev)       # accumulated on the device: no sync per step
        correct = torch.zeros((), dtype=torch.int64, device=dev)
        order = torch.randperm(n, device=dev)
        progress = EpochProgress(epoch, args.epochs, steps)
        try:
            for step in range(steps):
                batch = order[step * args.batch_size:(step + 1) * args.batch_size]
                images = augment(train_images[batch], flip="flip" not in without, crop="crop" not in without)
                labels = train_labels[batch]
                outputs = model(images)
                loss = loss_fn(outputs, labels)
                if epoch == 1 and step == 0 and args.graph:
                    write_graph(loss, model, args.graph)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if schedule is not None:
                    schedule.step()
                total_loss = total_loss + loss.detach() * len(labels)
                correct = correct + (outputs.detach().argmax(dim=1) == labels).sum()
                progress.update(step + 1, lambda: (total_loss / min(n, (step + 1) * args.batch_size)).item())
        finally:
            progress.clear()
        accuracy = evaluate(model, val_images, val_labels, args.batch_size, flatten=False, chunk=EVAL_CHUNK).item()
        now = time.perf_counter()
        print(f"Epoch {epoch:3d}/{args.epochs}  loss {(total_loss / n).item():.4f}  "
              f"train acc {(correct / n).item():.4f}  val acc {accuracy:.4f}  {now - start:6.2f} s  "
              f"{n / (now - start):8.0f} img/s  total {now - began:7.1f} s", flush=True)
    return accuracy


def parse_without(values) -> tuple:
    """The parts named by ``--without`` (each value may list several, comma-separated)."""
    parts = [p.strip() for value in values for p in value.split(",") if p.strip()]
    for part in parts:
        if part not in PARTS:
            raise UsageError(f"--without {part}: not a part of the recipe; choose from {', '.join(PARTS)}")
    return tuple(dict.fromkeys(parts))


def main() -> None:
    parser = common_parser(__doc__.splitlines()[0], default_epochs=DEFAULT_EPOCHS)
    parser.set_defaults(lr=DEFAULT_LR)
    parser.add_argument("--without", action="append", default=[], metavar="PART",
                        help="train without this part of the recipe (ablation; repeatable): " + ", ".join(PARTS))
    args = parser.parse_args()
    without = parse_without(args.without)
    check_options(args, WEIGHT_DECAY)
    dev = resolve_device(args.device)
    torch.manual_seed(args.seed)
    cifar2, cifar2_val = load_cifar2(args.data_dir, download=not args.no_download)
    train_set, val_set = as_tensors(cifar2, dev), as_tensors(cifar2_val, dev)
    print(f"Training images: {len(cifar2)}; validation images: {len(cifar2_val)}")
    print(f"Device: {describe_device(dev)}")
    model = best_model(batch_norm="batchnorm" not in without).to(dev)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"Model: {n_params:,} parameters\n{model}")
    print(f"Recipe: batch {args.batch_size}, SGD "
          + ("" if "nesterov" in without else "Nesterov ") + f"momentum {MOMENTUM}, "
          + f"weight decay {0 if 'weight-decay' in without else WEIGHT_DECAY:g}, "
          + (f"constant lr {args.lr:g}" if "onecycle" in without else f"OneCycleLR to lr {args.lr:g}")
          + ", augmentation: " + (", ".join(p for p in ("flip", "crop") if p not in without) or "none")
          + (f"; without {', '.join(without)}" if without else ""))
    accuracy = train_best(model, train_set, val_set, args, dev, without)
    if args.save:
        torch.save(model.state_dict(), args.save)
        print(f"Saved the trained state dict to {args.save}")
    if args.predictions:
        save_predictions(model, cifar2_val, dev, args.predictions, flatten=False)
    print(f"Validation accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    run(main)
