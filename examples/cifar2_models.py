"""The seeds' models for CIFAR-2 (birds vs airplanes), shared by the examples.

- ``fc_model()``: 3072 -> 512 -> 2 with Tanh and LogSoftmax (train with ``nn.NLLLoss``), 1,574,402 parameters;
- ``deep_model()``: 3072 -> 1024 -> 512 -> 128 -> 2 with Tanh (train with ``nn.CrossEntropyLoss``), 3,737,474;
- ``Net(width=16)``: two 3x3 convolutions with Tanh and 2x2 max pooling, then two linear
  layers (train with ``nn.CrossEntropyLoss``), 18,090 parameters at width 16.

The fully connected models take flattened images (``imgs.view(imgs.shape[0], -1)``);
``Net`` takes images of shape (N, 3, 32, 32).
"""
from __future__ import annotations

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
