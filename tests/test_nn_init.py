"""tinynn.nn.init: torch's formulas (gains, fans, bounds), the distributions' moments, the deterministic
initialisers' exact values, and the errors."""
import math
import warnings

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn.nn import init
from helpers import host


def filled(fn, *shape, **kwargs):
    tinynn.manual_seed(0)
    t = tinynn.empty(*shape)
    assert fn(t, **kwargs) is t
    return t.numpy().astype(np.float64)


def test_calculate_gain_table():
    for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid"):
        assert init.calculate_gain(name) == 1
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert init.calculate_gain("leaky_relu", 1) == 1.0
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(tinynn.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(tinynn.empty(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2"):
        init._calculate_fan_in_and_fan_out(tinynn.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported, please use one of fan_in, fan_out"):
        init.kaiming_normal_(tinynn.empty(3, 3), mode="fan_avg")


@pytest.mark.parametrize("name,kwargs,mean,std", [
    ("normal_", dict(mean=1.5, std=0.5), 1.5, 0.5),
    ("uniform_", dict(a=-1.0, b=3.0), 1.0, 4 / math.sqrt(12)),
    ("xavier_uniform_", dict(gain=2.0), 0.0, 2.0 * math.sqrt(2 / (200 + 300))),
    ("xavier_normal_", dict(gain=2.0), 0.0, 2.0 * math.sqrt(2 / (200 + 300))),
    ("kaiming_uniform_", dict(a=0, mode="fan_in", nonlinearity="relu"), 0.0, math.sqrt(2) / math.sqrt(200)),
    ("kaiming_normal_", dict(a=0, mode="fan_in", nonlinearity="relu"), 0.0, math.sqrt(2) / math.sqrt(200)),
    ("kaiming_normal_", dict(mode="fan_out"), 0.0, math.sqrt(2) / math.sqrt(300)),  # a=0: leaky_relu gain sqrt 2
    ("kaiming_uniform_", dict(a=math.sqrt(5)), 0.0, 1 / math.sqrt(200) / math.sqrt(3)),
    ("trunc_normal_", dict(std=0.02), 0.0, 0.02),
])
def test_random_initialisers_have_torchs_moments(name, kwargs, mean, std):
    values = filled(getattr(init, name), 300, 200, **kwargs)
    assert values.mean() == pytest.approx(mean, abs=4 * std / math.sqrt(values.size))
    assert values.std() == pytest.approx(std, rel=0.02)


def test_uniform_bounds_are_exact():
    values = filled(init.kaiming_uniform_, 64, 50, a=math.sqrt(5))
    bound = 1 / math.sqrt(50)
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    values = filled(init.xavier_uniform_, 40, 60)
    assert np.abs(values).max() <= math.sqrt(6 / 100)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 0.5, 3.0), (1.0, 2.0, -6.0, -4.0)])
def test_trunc_normal_stays_inside_and_has_the_truncated_moments(mean, std, a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = filled(init.trunc_normal_, 200, 200, mean=mean, std=std, a=a, b=b)
    assert values.min() >= a and values.max() <= b
    # moments of the truncated normal: mean + std (phi(alpha) - phi(beta)) / Z
    alpha, beta = (a - mean) / std, (b - mean) / std
    phi = lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi)                      # noqa: E731
    cdf = lambda t: (1 + math.erf(t / math.sqrt(2))) / 2                                # noqa: E731
    z = cdf(beta) - cdf(alpha)
    expected_mean = mean + std * (phi(alpha) - phi(beta)) / z
    variance = std ** 2 * (1 + (alpha * phi(alpha) - beta * phi(beta)) / z - ((phi(alpha) - phi(beta)) / z) ** 2)
    assert values.mean() == pytest.approx(expected_mean, abs=0.02 * std)
    assert values.std() == pytest.approx(math.sqrt(variance), rel=0.03)


def test_trunc_normal_warns_when_mean_is_far_outside():
    with pytest.warns(UserWarning, match="mean is more than 2 std from \\[a, b\\]"):
        init.trunc_normal_(tinynn.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (7, 3), (6, 2, 3, 3)])
def test_orthogonal(shape):
    values = filled(init.orthogonal_, *shape, gain=2.0)
    flat = values.reshape(shape[0], -1)
    rows, cols = flat.shape
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(tinynn.empty(3))


def test_deterministic_initialisers_exact_values(device):
    t = tinynn.empty(2, 3, device=device)
    np.testing.assert_array_equal(host(init.constant_(t, 0.25)), np.full((2, 3), 0.25))
    np.testing.assert_array_equal(host(init.ones_(t)), np.ones((2, 3)))
    np.testing.assert_array_equal(host(init.zeros_(t)), np.zeros((2, 3)))
    np.testing.assert_array_equal(host(init.eye_(t)), np.eye(2, 3))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(tinynn.empty(2, 2, 2))
    w = init.dirac_(tinynn.empty(4, 2, 3, 3, device=device), groups=2)
    expected = np.zeros((4, 2, 3, 3))
    expected[0, 0, 1, 1] = expected[1, 1, 1, 1] = expected[2, 0, 1, 1] = expected[3, 1, 1, 1] = 1
    np.testing.assert_array_equal(host(w), expected)
    expected = np.zeros((3, 5, 4))
    expected[0, 0, 2] = expected[1, 1, 2] = expected[2, 2, 2] = 1
    np.testing.assert_array_equal(host(init.dirac_(tinynn.empty(3, 5, 4))), expected)
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(tinynn.empty(3, 3))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(tinynn.empty(3, 3, 3), groups=2)


def test_dirac_convolution_copies_its_input():
    conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = tinynn.randn(2, 3, 5, 5)
    np.testing.assert_allclose(conv(x).detach().numpy(), x.numpy(), atol=1e-6)


def test_sparse_zeros_a_fraction_of_each_column():
    values = filled(init.sparse_, 10, 6, sparsity=0.25, std=0.5)
    assert all((values[:, col] == 0).sum() == 3 for col in range(6))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(tinynn.empty(3), 0.1)


def test_init_keeps_parameters_leaf_and_respects_generator_and_device(device):
    layer = nn.Linear(4, 3).to(device)
    init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
    init.zeros_(layer.bias)
    assert layer.weight.is_leaf and layer.weight.requires_grad and layer.weight.device == tinynn.device(device)
    g1, g2 = tinynn.Generator().manual_seed(3), tinynn.Generator().manual_seed(3)
    a = init.orthogonal_(tinynn.empty(3, 3), generator=g1)
    b = init.orthogonal_(tinynn.empty(3, 3), generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_zero_element_tensors_and_deprecated_names():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(tinynn.empty(0, 3))
    assert init.orthogonal_(tinynn.empty(0, 3)).shape == (0, 3)
    with pytest.warns(FutureWarning, match="`nn.init.normal` is now deprecated in favor of `nn.init.normal_`"):
        init.normal(tinynn.empty(2))
