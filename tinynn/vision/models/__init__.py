"""``tinynn.vision.models``: network architectures for images, as ``torchvision.models``.

- ``resnet18``, ``resnet34`` (``BasicBlock``), ``resnet50``, ``resnet101``, ``resnet152`` (``Bottleneck``),
  and the ``resnext`` and ``wide_resnet`` variants: torchvision's module names,
  shapes and initialisation, so state dicts are interchangeable. Pretrained
  weights are not available (``weights`` must be None).
"""
from .resnet import (BasicBlock, Bottleneck, ResNet, ResNet18_Weights, ResNet34_Weights, ResNet50_Weights,
                     ResNet101_Weights, ResNet152_Weights, resnet18, resnet34, resnet50, resnet101, resnet152,
                     resnext50_32x4d, resnext101_32x8d, resnext101_64x4d, wide_resnet50_2, wide_resnet101_2)

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights",
           "ResNet101_Weights", "ResNet152_Weights", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
           "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2"]
