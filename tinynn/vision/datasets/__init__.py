"""``tinynn.vision.datasets``: ready-made image datasets, as ``torchvision.datasets``.

- ``CIFAR10``: 60,000 32 x 32 colour images in 10 classes, downloaded and verified on demand.
- ``MNIST``, ``FashionMNIST``, ``KMNIST``: 70,000 28 x 28 grey images in 10 classes each, the same way.
"""
from .cifar import CIFAR10
from .mnist import KMNIST, MNIST, FashionMNIST
from .vision import VisionDataset

__all__ = ["CIFAR10", "FashionMNIST", "KMNIST", "MNIST", "VisionDataset"]
