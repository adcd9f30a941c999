"""``tinynn.vision``: datasets, image transforms, models and image utilities for computer vision, as ``torchvision``.

    from tinynn.vision import datasets, models, transforms, utils

    cifar10 = datasets.CIFAR10("data/", train=True, download=True,
                               transform=transforms.ToTensor())
    model = models.resnet18(num_classes=10)
    utils.save_image(images, "batch.png", nrow=8)
"""
from . import datasets, io, models, transforms, utils

__all__ = ["datasets", "io", "models", "transforms", "utils"]
