"""ResNet (He et al., 2015, "Deep Residual Learning for Image Recognition"), as ``torchvision.models.resnet``.

    model = resnet18(num_classes=10)       # randomly initialised, torchvision's layout and init
    logits = model(images)                 # (N, 3, H, W) -> (N, num_classes)

The modules carry torchvision's names (``conv1``, ``bn1``, ``relu``,
``maxpool``, ``layer1`` .. ``layer4`` of blocks, ``avgpool``, ``fc``), so a
state dict converted from torchvision (each tensor's ``.numpy()``) loads with
``model.load_state_dict``. Pretrained weights cannot be downloaded here:
``weights`` must be None (``progress`` is accepted, as in torchvision, and unused).
"""
from __future__ import annotations

import warnings
from enum import Enum
from typing import Any, Callable, Sequence

from ... import flatten, nn
from ..._tensor import Tensor

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
           "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding (no bias: a batch norm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution (no bias)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm, added to the (possibly downsampled) input: ResNet-18/34's block."""

    expansion: int = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        # Both self.conv1 and self.downsample downsample the input when stride != 1.
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        """``relu(bn2(conv2(relu(bn1(conv1(x))))) + identity)``, identity = ``downsample(x)`` or ``x``."""
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out = out + identity  # (torchvision writes out += identity; tinynn refuses in-place ops on graph tensors)
        out = self.relu(out)
        return out


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carrying the stride, "ResNet v1.5"), 1x1 expand by 4, plus the input: ResNet-50+'s block."""

    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        # Both self.conv2 and self.downsample downsample the input when stride != 1.
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        """Three convolutions with batch norm and ReLU, plus the (possibly downsampled) input, then ReLU."""
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        out = self.relu(out)
        out = self.conv3(out)
        out = self.bn3(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out = out + identity
        out = self.relu(out)
        return out


class ResNet(nn.Module):
    """A ResNet: a 7x7 stride-2 stem and max-pool, four stages of ``block`` s, global average pool, ``fc``.

    - ``layers``: blocks per stage (e.g. [2, 2, 2, 2] for ResNet-18).
    - ``zero_init_residual``: start the last batch norm of each block at zero
      weight, so each block begins as the identity.
    - ``groups`` / ``width_per_group``: ResNeXt and wide ResNets (Bottleneck only).
    - ``replace_stride_with_dilation``: for each of stages 2-4, dilate instead of striding.

    Initialisation as torchvision: convolutions kaiming-normal (fan_out, relu),
    batch norms weight 1 and bias 0, ``fc`` as ``nn.Linear``.
    """

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], layers: Sequence[int], num_classes: int = 1000,
                 zero_init_residual: bool = False, groups: int = 1, width_per_group: int = 64,
                 replace_stride_with_dilation: Sequence[bool] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            # Each element says whether to replace that stage's stride 2 with a dilated convolution.
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None "
                             f"or a 3-element tuple, got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        norm_types = tuple(getattr(nn, name) for name in ("BatchNorm2d", "GroupNorm") if hasattr(nn, name))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, norm_types):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        # Zero the last batch norm of each residual branch: each block then starts as the identity
        # (0.2-0.3% better according to https://arxiv.org/abs/1706.02677).
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block: type[BasicBlock] | type[Bottleneck], planes: int, blocks: int, stride: int = 1,
                    dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation,
                        norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def _forward_impl(self, x: Tensor) -> Tensor:
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = flatten(x, 1)
        x = self.fc(x)
        return x

    def forward(self, x: Tensor) -> Tensor:
        """(N, 3, H, W) images to (N, num_classes) logits."""
        return self._forward_impl(x)


def _resnet(name: str, block: type[BasicBlock] | type[Bottleneck], layers: list[int], weights: Any, progress: bool,
            **kwargs: Any) -> ResNet:
    """Build ``name`` after checking ``weights`` (and torchvision's old ``pretrained`` flag)."""
    if "pretrained" in kwargs:  # torchvision < 0.13: pretrained=True meant the default weights
        pretrained = kwargs.pop("pretrained")
        warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                      "please use 'weights' instead.", UserWarning, stacklevel=3)
        if pretrained and weights is None:
            weights = "DEFAULT"
    if weights is not None:
        raise NotImplementedError(
            f"{name}(weights={weights!r}): pretrained weights are not available in tinynn (they cannot be "
            f"downloaded here); pass weights=None for a randomly initialised model. To start from torchvision's "
            f"weights, load them with torch and pass {{name: tensor.numpy()}} to model.load_state_dict().")
    return ResNet(block, layers, **kwargs)


class _Weights(Enum):
    """torchvision's names for pretrained weights, so that programs importing them run.

    Passing any of them as ``weights=`` raises (pretrained weights cannot be
    downloaded here); ``weights=None`` builds the randomly initialised model.
    """

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


class ResNet18_Weights(_Weights):
    """Weight names of ``resnet18``."""
    IMAGENET1K_V1 = "resnet18 IMAGENET1K_V1"
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(_Weights):
    """Weight names of ``resnet34``."""
    IMAGENET1K_V1 = "resnet34 IMAGENET1K_V1"
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(_Weights):
    """Weight names of ``resnet50``."""
    IMAGENET1K_V1 = "resnet50 IMAGENET1K_V1"
    IMAGENET1K_V2 = "resnet50 IMAGENET1K_V2"
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(_Weights):
    """Weight names of ``resnet101``."""
    IMAGENET1K_V1 = "resnet101 IMAGENET1K_V1"
    IMAGENET1K_V2 = "resnet101 IMAGENET1K_V2"
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(_Weights):
    """Weight names of ``resnet152``."""
    IMAGENET1K_V1 = "resnet152 IMAGENET1K_V1"
    IMAGENET1K_V2 = "resnet152 IMAGENET1K_V2"
    DEFAULT = IMAGENET1K_V2


def _widen(kwargs: dict[str, Any], groups: int, width_per_group: int) -> dict[str, Any]:
    """``kwargs`` with ``groups`` and ``width_per_group`` (those are fixed by the variant's name)."""
    for key, value in (("groups", groups), ("width_per_group", width_per_group)):
        if key in kwargs and kwargs[key] != value:
            raise ValueError(f"The parameter '{key}' expected value {value} but got {kwargs[key]} instead.")
        kwargs[key] = value
    return kwargs


def resnet18(weights: Any = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-18: ``BasicBlock`` s in stages of [2, 2, 2, 2]; 11,689,512 parameters with 1000 classes."""
    return _resnet("resnet18", BasicBlock, [2, 2, 2, 2], weights, progress, **kwargs)


def resnet34(weights: Any = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-34: ``BasicBlock`` s in stages of [3, 4, 6, 3]."""
    return _resnet("resnet34", BasicBlock, [3, 4, 6, 3], weights, progress, **kwargs)


def resnet50(weights: Any = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-50: ``Bottleneck`` s in stages of [3, 4, 6, 3]."""
    return _resnet("resnet50", Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


def resnet101(weights: Any = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-101: ``Bottleneck`` s in stages of [3, 4, 23, 3]."""
    return _resnet("resnet101", Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


def resnet152(weights: Any = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-152: ``Bottleneck`` s in stages of [3, 8, 36, 3]."""
    return _resnet("resnet152", Bottleneck, [3, 8, 36, 3], weights, progress, **kwargs)


def resnext50_32x4d(weights: Any = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNeXt-50 32x4d: ResNet-50 with 32 groups of width 4 in each 3x3 convolution."""
    return _resnet("resnext50_32x4d", Bottleneck, [3, 4, 6, 3], weights, progress, **_widen(kwargs, 32, 4))


def resnext101_32x8d(weights: Any = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNeXt-101 32x8d: ResNet-101 with 32 groups of width 8."""
    return _resnet("resnext101_32x8d", Bottleneck, [3, 4, 23, 3], weights, progress, **_widen(kwargs, 32, 8))


def resnext101_64x4d(weights: Any = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNeXt-101 64x4d: ResNet-101 with 64 groups of width 4."""
    return _resnet("resnext101_64x4d", Bottleneck, [3, 4, 23, 3], weights, progress, **_widen(kwargs, 64, 4))


def wide_resnet50_2(weights: Any = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """Wide ResNet-50-2: ResNet-50 with twice the width inside each bottleneck."""
    return _resnet("wide_resnet50_2", Bottleneck, [3, 4, 6, 3], weights, progress, **_widen(kwargs, 1, 128))


def wide_resnet101_2(weights: Any = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """Wide ResNet-101-2: ResNet-101 with twice the width inside each bottleneck."""
    return _resnet("wide_resnet101_2", Bottleneck, [3, 4, 23, 3], weights, progress, **_widen(kwargs, 1, 128))
