"""``tinynn.vision``: datasets and image transforms for computer vision, as ``torchvision``.

    from tinynn.vision import datasets, transforms

    cifar10 = datasets.CIFAR10("data/", train=True, download=True,
                               transform=transforms.ToTensor())
"""
from . import datasets, transforms

__all__ = ["datasets", "transforms"]
