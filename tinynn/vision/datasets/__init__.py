"""``tinynn.vision.datasets``: ready-made image datasets, as ``torchvision.datasets``.

- ``CIFAR10``: 60,000 32 x 32 colour images in 10 classes, downloaded and verified on demand.
"""
from .cifar import CIFAR10
from .vision import VisionDataset

__all__ = ["CIFAR10", "VisionDataset"]
