"""tinynn.vision.models.resnet: torchvision's layout, parameter counts, initialisation, and the same outputs.

The comparisons load torchvision's (randomly initialised) weights into the
tinynn model and are skipped without torch/torchvision. Inputs are small
(64 x 64 forward, 32 x 32 backward) to keep the tests fast.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn.vision import models
from tinynn.vision.models import BasicBlock, Bottleneck, ResNet

from _torchvision import torchvision_module


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def tiny_resnet18():
    tinynn.manual_seed(0)
    return models.resnet18()


@pytest.fixture(scope="module")
def bottleneck_net():
    """The smallest Bottleneck ResNet (one block per stage), with the residual batch norms zeroed."""
    return ResNet(Bottleneck, [1, 1, 1, 1], num_classes=3, zero_init_residual=True)


def test_parameter_counts_are_torchvisions(tiny_resnet18):
    assert n_params(tiny_resnet18) == 11_689_512  # (resnet34 and resnet50: see the state-dict test)


def test_module_names_and_blocks(tiny_resnet18):
    model = tiny_resnet18
    top = [name for name, _ in model.named_children()]
    assert top == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
    block = model.layer2[0]
    assert isinstance(block, BasicBlock) and isinstance(model, ResNet)
    assert [name for name, _ in block.named_children()] == ["conv1", "bn1", "relu", "conv2", "bn2", "downsample"]
    assert model.layer1[0].downsample is None and model.layer2[1].downsample is None
    assert isinstance(block.downsample[0], nn.Conv2d) and isinstance(block.downsample[1], nn.BatchNorm2d)
    assert model.maxpool.kernel_size == 3 and model.maxpool.stride == 2 and model.maxpool.padding == 1
    assert model.relu.inplace and model.fc.in_features == 512 and model.fc.out_features == 1000


def test_bottleneck_blocks(bottleneck_net):
    block = bottleneck_net.layer3[0]
    assert isinstance(block, Bottleneck) and block.conv2.stride == (2, 2) and block.conv1.stride == (1, 1)  # v1.5
    assert [name for name, _ in block.named_children()] == ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "relu",
                                                            "downsample"]
    assert block.conv3.out_channels == 1024 and bottleneck_net.fc.in_features == 2048
    assert (block.bn3.weight.detach().numpy() == 0).all() and (block.bn2.weight.detach().numpy() == 1).all()
    out = bottleneck_net(tinynn.randn(2, 3, 32, 32))  # (batch 2: training-mode batch norm needs 2 values)
    assert out.shape == (2, 3)


def test_initialisation(tiny_resnet18):
    model = tiny_resnet18
    weight = model.layer4[1].conv2.weight.detach().numpy()  # fan_out = 512 * 3 * 3
    assert abs(weight.std() / math.sqrt(2 / (512 * 9)) - 1) < 0.02 and abs(weight.mean()) < 1e-3
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert (module.weight.detach().numpy() == 1).all() and (module.bias.detach().numpy() == 0).all()
    zero = ResNet(BasicBlock, [1, 1, 1, 1], zero_init_residual=True)
    assert all((b.bn2.weight.detach().numpy() == 0).all() and (b.bn1.weight.detach().numpy() == 1).all()
               for layer in (zero.layer1, zero.layer4) for b in layer)


def test_weights_are_refused_with_a_clear_error():
    with pytest.raises(NotImplementedError, match=r"resnet18\(weights='DEFAULT'\): pretrained weights are not"):
        models.resnet18(weights="DEFAULT")
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        with pytest.raises(NotImplementedError, match="pretrained weights"):
            models.resnet34(pretrained=True)
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        assert isinstance(models.resnet18(pretrained=False, num_classes=2), ResNet)
    with pytest.raises(ValueError, match="'groups' expected value 32"):
        models.resnext50_32x4d(groups=2)
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1"):
        ResNet(BasicBlock, [1, 1, 1, 1], groups=2)


def test_forward_shapes_and_backward_on_a_small_input():
    tinynn.manual_seed(1)
    model = models.resnet18(num_classes=10)
    x = tinynn.randn(2, 3, 32, 32)
    out = model(x)
    assert out.shape == (2, 10) and out.dtype == np.float32
    assert n_params(model) == 11_689_512 - 512 * 990 - 990  # a 10-class fc
    loss = nn.CrossEntropyLoss()(out, tinynn.tensor([3, 7]))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        assert np.isfinite(p.grad.numpy()).all(), name
    assert np.abs(model.conv1.weight.grad.numpy()).sum() > 0


# ----------------------------------------------------------------------------- against torchvision
def torchvision_resnet(name: str, **kwargs):
    torch = pytest.importorskip("torch")
    tv_resnet = torchvision_module("models.resnet")
    torch.manual_seed(0)
    return torch, getattr(tv_resnet, name)(**kwargs)


@pytest.fixture(scope="module", params=["resnet34", "resnet50"])
def seven_class_model(request):
    """(name, a tinynn model of that name with a 7-class fc), built once for the tests below."""
    return request.param, getattr(models, request.param)(num_classes=7)


def test_deeper_parameter_counts(seven_class_model):
    name, model = seven_class_model
    with_1000_classes = n_params(model) + (1000 - 7) * (model.fc.in_features + 1)
    assert with_1000_classes == {"resnet34": 21_797_672, "resnet50": 25_557_032}[name]


def test_state_dict_keys_and_shapes_are_torchvisions(seven_class_model):
    name, ours = seven_class_model  # (resnet18's are checked by the strict load in loaded_pair)
    _, reference = torchvision_resnet(name, num_classes=7)
    expected = {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    assert list(got) == list(expected)
    assert got == expected
    assert n_params(ours) == sum(p.numel() for p in reference.parameters())


def loaded_pair(num_classes: int = 1000):
    """torchvision's resnet18 with random batch-norm statistics, and a tinynn resnet18 with its state dict."""
    torch, reference = torchvision_resnet("resnet18", num_classes=num_classes)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in reference.modules():
            if isinstance(module, torch.nn.BatchNorm2d):  # non-trivial statistics and affine parameters
                module.running_mean.normal_(0, 0.1, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.normal_(0, 0.1, generator=generator)
    ours = models.resnet18(num_classes=num_classes)
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    return torch, reference, ours


def test_eval_outputs_equal_torchvisions_with_its_weights():
    torch, reference, ours = loaded_pair()
    reference.eval()
    ours.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    with tinynn.no_grad():
        got = ours(tinynn.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    np.testing.assert_array_equal(np.argsort(got, axis=1)[:, -5:], np.argsort(expected, axis=1)[:, -5:])


def test_training_step_gradients_equal_torchvisions():
    torch, reference, ours = loaded_pair(num_classes=5)
    x = np.random.default_rng(1).standard_normal((4, 3, 32, 32)).astype(np.float32)
    target = np.array([0, 3, 1, 4])
    loss_ref = torch.nn.functional.cross_entropy(reference(torch.from_numpy(x)), torch.from_numpy(target))
    loss_ref.backward()
    loss = nn.functional.cross_entropy(ours(tinynn.from_numpy(x)), tinynn.from_numpy(target))
    loss.backward()
    np.testing.assert_allclose(loss.item(), loss_ref.item(), rtol=1e-4)
    grads = dict(reference.named_parameters())
    for name, p in ours.named_parameters():
        expected = grads[name].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max() + 1e-7,
                                   err_msg=name)
    # Training mode updated the running statistics as torch does.
    np.testing.assert_allclose(ours.bn1.running_mean.numpy(), reference.bn1.running_mean.numpy(), rtol=1e-4,
                               atol=1e-6)


def test_forward_and_backward_on_each_device(device):
    models_ = []
    for _ in range(2):  # two equal models: one stays on the CPU as the reference
        tinynn.manual_seed(2)
        models_.append(ResNet(BasicBlock, [1, 1, 1, 1], num_classes=4).double())
    reference, model = models_[0], models_[1].to(device)
    # float64: batch norm over a batch of 2 magnifies float32 rounding, which differs between
    # the CPU's and the GPU's (equally right) ways of computing a convolution
    x = tinynn.randn(2, 3, 32, 32, dtype=tinynn.float64)
    expected, out = reference(x), model(x.to(device))
    assert out.device.type == device
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected.detach().numpy(), rtol=1e-9, atol=1e-10)
    expected.sum().backward()
    out.sum().backward()
    assert model.conv1.weight.grad.device.type == device
    want = reference.conv1.weight.grad.numpy()
    np.testing.assert_allclose(model.conv1.weight.grad.cpu().numpy(), want, rtol=1e-8,
                               atol=1e-9 * np.abs(want).max())     # sums of large terms cancel near 0
