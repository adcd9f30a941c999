"""The CIFAR-2 (birds vs airplanes) models of the seeds and of the book's chapter 8, shared by the examples.

- ``fc_model()``: 3072 -> 512 -> 2 with Tanh and LogSoftmax (train with ``nn.NLLLoss``), 1,574,402 parameters;
- ``deep_model()``: 3072 -> 1024 -> 512 -> 128 -> 2 with Tanh (train with ``nn.CrossEntropyLoss``), 3,737,474;
- ``Net(width=16)``: two 3x3 convolutions with Tanh and 2x2 max pooling, then two linear
  layers (train with ``nn.CrossEntropyLoss``), 18,090 parameters at width 16.

The book's chapter 8 then changes one thing at a time (*Deep Learning with PyTorch*, sec. 8.5;
the classes of its published code, dlwpt-code/p1ch8, each with ``n_chans1=32`` channels in conv1):

==============  ==========  ==================================================================
class           parameters  what changes
==============  ==========  ==================================================================
NetWidth        38,386      ``Net`` with 32 and 16 channels
NetDropout      38,386      ``Dropout2d(p=0.4)`` after each pooled convolution
NetBatchNorm    38,482      ``BatchNorm2d`` between each convolution and its tanh
NetDepth        16,130      a third convolution, ReLU instead of tanh
NetRes          16,130      NetDepth with a skip connection around the third convolution
NetResDeep      75,810      conv1, then ``n_blocks`` ResBlocks (conv + batch norm + ReLU + skip)
==============  ==========  ==================================================================

``NetResDeep`` builds its blocks as the book does, ``nn.Sequential(*(n_blocks * [ResBlock(n_chans1)]))``:
one block repeated, so every position shares the same weights and the parameter count does
not depend on ``n_blocks`` (``[ResBlock(n_chans1) for _ in range(n_blocks)]`` would give each
its own). ``CONV_MODELS`` names them for the examples' ``--model`` option.

The fully connected models take flattened images (``imgs.view(imgs.shape[0], -1)``);
the convolutional ones take images of shape (N, 3, 32, 32) and output logits.
The classes use only what tinynn and PyTorch share, so ``torch_versions()`` can build the
very same classes on PyTorch for comparisons.
"""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from typing import Callable

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F

CLASSES = ("airplane", "bird")
LABEL_MAP = {0: 0, 2: 1}                     # CIFAR-10 label -> CIFAR-2 label
MEAN = (0.4914, 0.4822, 0.4465)              # per-channel statistics of the CIFAR-10 training images
STD = (0.2470, 0.2435, 0.2616)


def fc_model() -> nn.Sequential:
    """The seeds' first model: one hidden layer of 512 Tanh units and log-probabilities out."""
    return nn.Sequential(nn.Linear(3072, 512), nn.Tanh(), nn.Linear(512, 2), nn.LogSoftmax(dim=1))


def deep_model() -> nn.Sequential:
    """The seeds' deeper fully connected model; outputs logits (pair it with CrossEntropyLoss)."""
    return nn.Sequential(nn.Linear(3072, 1024), nn.Tanh(), nn.Linear(1024, 512), nn.Tanh(),
                         nn.Linear(512, 128), nn.Tanh(), nn.Linear(128, 2))


class Net(nn.Module):
    """The seeds' convolutional network; outputs logits (pair it with CrossEntropyLoss).

    (N, 3, 32, 32) -conv1+tanh+pool-> (N, width, 16, 16) -conv2+tanh+pool-> (N, width/2, 8, 8)
    -view-> (N, 32 * width) -fc1+tanh-> (N, 32) -fc2-> (N, 2)
    """

    def __init__(self, width: int = 16):
        super().__init__()
        self.width = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(width, width // 2, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(8 * 8 * width // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x: tinynn.Tensor) -> tinynn.Tensor:
        """Logits (N, 2) for images (N, 3, 32, 32); pooling and tanh are function calls, not modules."""
        out = F.max_pool2d(tinynn.tanh(self.conv1(x)), 2)
        out = F.max_pool2d(tinynn.tanh(self.conv2(out)), 2)
        out = out.view(-1, 8 * 8 * self.width // 2)
        out = tinynn.tanh(self.fc1(out))
        return self.fc2(out)


class NetWidth(Net):
    """The book's ``NetWidth``: ``Net`` with ``n_chans1`` channels in conv1 (default 32) and half as many in conv2."""

    def __init__(self, n_chans1: int = 32):
        super().__init__(width=n_chans1)
        self.n_chans1 = n_chans1


class NetDropout(nn.Module):
    """The book's ``NetDropout``: ``NetWidth`` with channel dropout (p = 0.4) after each pooled convolution."""

    def __init__(self, n_chans1: int = 32):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.conv1_dropout = nn.Dropout2d(p=0.4)
        self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1)
        self.conv2_dropout = nn.Dropout2d(p=0.4)
        self.fc1 = nn.Linear(8 * 8 * n_chans1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x: tinynn.Tensor) -> tinynn.Tensor:
        """Logits (N, 2) for images (N, 3, 32, 32); the dropouts act only in training mode."""
        out = F.max_pool2d(tinynn.tanh(self.conv1(x)), 2)
        out = self.conv1_dropout(out)
        out = F.max_pool2d(tinynn.tanh(self.conv2(out)), 2)
        out = self.conv2_dropout(out)
        out = out.view(-1, 8 * 8 * self.n_chans1 // 2)
        out = tinynn.tanh(self.fc1(out))
        return self.fc2(out)


class NetBatchNorm(nn.Module):
    """The book's ``NetBatchNorm``: ``NetWidth`` with batch normalisation between each convolution and its tanh."""

    def __init__(self, n_chans1: int = 32):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.conv1_batchnorm = nn.BatchNorm2d(num_features=n_chans1)
        self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1)
        self.conv2_batchnorm = nn.BatchNorm2d(num_features=n_chans1 // 2)
        self.fc1 = nn.Linear(8 * 8 * n_chans1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x: tinynn.Tensor) -> tinynn.Tensor:
        """Logits (N, 2) for images (N, 3, 32, 32); batch statistics in training, running ones in eval mode."""
        out = self.conv1_batchnorm(self.conv1(x))
        out = F.max_pool2d(tinynn.tanh(out), 2)
        out = self.conv2_batchnorm(self.conv2(out))
        out = F.max_pool2d(tinynn.tanh(out), 2)
        out = out.view(-1, 8 * 8 * self.n_chans1 // 2)
        out = tinynn.tanh(self.fc1(out))
        return self.fc2(out)


class NetDepth(nn.Module):
    """The book's ``NetDepth``: three pooled convolutions (n_chans1, n_chans1/2, n_chans1/2) with ReLU.

    (N, 3, 32, 32) -> (N, n, 16, 16) -> (N, n/2, 8, 8) -> (N, n/2, 4, 4) -view-> fc1 -> fc2 -> (N, 2)
    """

    def __init__(self, n_chans1: int = 32):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(n_chans1 // 2, n_chans1 // 2, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(4 * 4 * n_chans1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x: tinynn.Tensor) -> tinynn.Tensor:
        """Logits (N, 2) for images (N, 3, 32, 32)."""
        out = F.max_pool2d(tinynn.relu(self.conv1(x)), 2)
        out = F.max_pool2d(tinynn.relu(self.conv2(out)), 2)
        out = F.max_pool2d(tinynn.relu(self.conv3(out)), 2)
        out = out.view(-1, 4 * 4 * self.n_chans1 // 2)
        out = tinynn.relu(self.fc1(out))
        return self.fc2(out)


class NetRes(NetDepth):
    """The book's ``NetRes``: ``NetDepth`` whose third convolution's output is added to its input (a skip connection).

    Same layers and parameters as ``NetDepth``; only ``forward`` differs.
    """

    def forward(self, x: tinynn.Tensor) -> tinynn.Tensor:
        """Logits (N, 2) for images (N, 3, 32, 32); pool(relu(conv3(out)) + out) in the middle."""
        out = F.max_pool2d(tinynn.relu(self.conv1(x)), 2)
        out = F.max_pool2d(tinynn.relu(self.conv2(out)), 2)
        out1 = out
        out = F.max_pool2d(tinynn.relu(self.conv3(out)) + out1, 2)
        out = out.view(-1, 4 * 4 * self.n_chans1 // 2)
        out = tinynn.relu(self.fc1(out))
        return self.fc2(out)


class ResBlock(nn.Module):
    """The book's residual block: x + relu(batch_norm(conv(x))), shape-preserving.

    The convolution has no bias (the batch norm's shift replaces it) and starts from
    ``kaiming_normal_(nonlinearity='relu')``; the batch norm starts with weight 0.5 and bias 0.
    """

    def __init__(self, n_chans: int):
        super().__init__()
        self.conv = nn.Conv2d(n_chans, n_chans, kernel_size=3, padding=1, bias=False)
        self.batch_norm = nn.BatchNorm2d(num_features=n_chans)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")
        nn.init.constant_(self.batch_norm.weight, 0.5)
        nn.init.zeros_(self.batch_norm.bias)

    def forward(self, x: tinynn.Tensor) -> tinynn.Tensor:
        """relu(batch_norm(conv(x))) + x."""
        out = self.conv(x)
        out = self.batch_norm(out)
        out = tinynn.relu(out)
        return out + x


class NetResDeep(nn.Module):
    """The book's ``NetResDeep``: conv1 and pooling, ``n_blocks`` residual blocks at 16 x 16, pooling, fc1, fc2.

    As in the book, the blocks are one ``ResBlock`` repeated ``n_blocks`` times (shared weights).
    """

    def __init__(self, n_chans1: int = 32, n_blocks: int = 10):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.resblocks = nn.Sequential(*(n_blocks * [ResBlock(n_chans=n_chans1)]))
        self.fc1 = nn.Linear(8 * 8 * n_chans1, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x: tinynn.Tensor) -> tinynn.Tensor:
        """Logits (N, 2) for images (N, 3, 32, 32)."""
        out = F.max_pool2d(tinynn.relu(self.conv1(x)), 2)
        out = self.resblocks(out)
        out = F.max_pool2d(out, 2)
        out = out.view(-1, 8 * 8 * self.n_chans1)
        out = tinynn.relu(self.fc1(out))
        return self.fc2(out)


@dataclass(frozen=True)
class ConvModel:
    """One of the convolutional models as the examples offer it: how to build it and the book's settings."""

    build: Callable[[int, int], nn.Module]     # (width, n_blocks) -> model
    width: int                                 # the default width (channels of conv1)
    lr: float                                  # the book's SGD learning rate for it
    title: str                                 # the book's class name

    def __call__(self, width: int | None = None, n_blocks: int = 10) -> nn.Module:
        """A new model; ``width`` defaults to the book's."""
        return self.build(self.width if width is None else width, n_blocks)


CONV_MODELS = {
    "net": ConvModel(lambda width, _: Net(width), 16, 1e-2, "Net"),
    "netwidth": ConvModel(lambda width, _: NetWidth(width), 32, 1e-2, "NetWidth"),
    "dropout": ConvModel(lambda width, _: NetDropout(width), 32, 1e-2, "NetDropout"),
    "batchnorm": ConvModel(lambda width, _: NetBatchNorm(width), 32, 1e-2, "NetBatchNorm"),
    "depth": ConvModel(lambda width, _: NetDepth(width), 32, 1e-2, "NetDepth"),
    "res": ConvModel(lambda width, _: NetRes(width), 32, 1e-2, "NetRes"),
    "resdeep": ConvModel(lambda width, n_blocks: NetResDeep(width, n_blocks), 32, 3e-3, "NetResDeep"),
}


def torch_versions():
    """This module built on PyTorch: its source run with ``torch`` in the place of ``tinynn``.

    The classes are then PyTorch modules with the same layers, names and forward
    passes (``torch_versions().CONV_MODELS["res"]()`` is the book's ``NetRes`` in
    PyTorch), which is what comparisons with PyTorch need. Raises ImportError
    without PyTorch.
    """
    import torch
    import torch.nn
    import torch.nn.functional

    module_name = "cifar2_models_torch"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, __file__)
    module = importlib.util.module_from_spec(spec)
    replaced = ("tinynn", "tinynn.nn", "tinynn.nn.functional")
    saved = {name: sys.modules.get(name) for name in replaced}
    sys.modules.update({"tinynn": torch, "tinynn.nn": torch.nn, "tinynn.nn.functional": torch.nn.functional})
    sys.modules[module_name] = module        # as an import does (dataclasses look their module up there)
    try:
        spec.loader.exec_module(module)      # its "import tinynn.nn as nn" now binds torch.nn
    except BaseException:
        del sys.modules[module_name]
        raise
    finally:
        for name, previous in saved.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
    return module
