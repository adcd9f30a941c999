"""set_default_dtype / set_default_device, and requires_grad on every factory, as torch."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn


@pytest.fixture
def restore_defaults():
    yield
    tinynn.set_default_dtype(tinynn.float32)
    tinynn.set_default_device(None)


def test_default_dtype_reaches_every_float_factory_and_layer(restore_defaults):
    assert tinynn.get_default_dtype() is tinynn.float32
    tinynn.set_default_dtype(tinynn.float64)
    made = [tinynn.zeros(2), tinynn.ones(2), tinynn.empty(2), tinynn.rand(2), tinynn.randn(2), tinynn.eye(2),
            tinynn.linspace(0, 1, 3), tinynn.arange(0.0, 1.0, 0.5), tinynn.tensor([1.5]), tinynn.full((2,), 2.5),
            nn.Linear(2, 3).weight, nn.Conv2d(1, 2, 3).bias]
    assert all(t.dtype == np.float64 for t in made)
    assert tinynn.tensor([1, 2]).dtype == np.int64 and tinynn.arange(3).dtype == np.int64
    assert tinynn.get_default_dtype() is tinynn.float64
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        tinynn.set_default_dtype(tinynn.int64)


def test_default_device_and_torch_like_checks(restore_defaults):
    tinynn.set_default_device("cpu")
    assert tinynn.get_default_device() == tinynn.device("cpu") and tinynn.ones(2).device.type == "cpu"
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    try:
        tinynn.set_default_dtype(tinynn.float64)
        for name in ("zeros", "rand", "eye"):
            assert str(getattr(torch, name)(2).dtype).replace("torch.", "") == getattr(tinynn, name)(2).dtype.name
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("make", [
    lambda: tinynn.eye(3, 4, requires_grad=True), lambda: tinynn.linspace(0, 1, 4, requires_grad=True),
    lambda: tinynn.zeros(2, requires_grad=True), lambda: tinynn.arange(3.0, requires_grad=True),
    lambda: tinynn.full((2,), 1.0, requires_grad=True), lambda: tinynn.rand(2, requires_grad=True),
    lambda: tinynn.randn(2, requires_grad=True), lambda: tinynn.tensor([1.0], requires_grad=True)])
def test_every_factory_takes_requires_grad(make):
    t = make()
    assert t.requires_grad and t.is_leaf
    (t * 2).sum().backward()
    assert t.grad is not None
