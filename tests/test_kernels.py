"""The kernel switch (tinynn/_kernels.py): reference formulas or fast variants, chosen per op."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinynn
from tinynn import _kernels
from tinynn.autograd.function import Function


class Double(Function):
    """y = 2x: a reference op for these tests."""

    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        return (2 * gy,)                # d(2x)/dx = 2


@pytest.fixture
def fast_double():
    """Register a fast variant of Double for the test (and take it out again)."""
    @_kernels.register_fast(Double)
    class FastDouble(Double):
        def forward(self, x):
            return x + x

    yield FastDouble
    _kernels._fast_variants.pop(Double)


def test_the_default_is_fast_and_set_kernels_switches_and_restores(fast_double):
    assert tinynn.get_kernels() == os.environ.get("TINYNN_KERNELS", "fast")
    with tinynn.set_kernels("fast"):
        x = tinynn.ones(3, requires_grad=True)
        y = Double()(x)
        assert type(y.grad_fn) is fast_double
        assert y.grad_fn.name() == "DoubleBackward0"             # the reference's node name
        with tinynn.set_kernels("reference"):
            assert tinynn.get_kernels() == "reference"
            assert type(Double()(x).grad_fn) is Double
        assert tinynn.get_kernels() == "fast"
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])


def test_a_call_switches_at_once():
    before = tinynn.get_kernels()
    try:
        tinynn.set_kernels("reference")
        assert tinynn.get_kernels() == "reference"
    finally:
        tinynn.set_kernels(before)


def test_an_op_without_a_fast_variant_is_its_reference():
    with tinynn.set_kernels("fast"):
        assert _kernels.kernel(Double) is Double


def test_plain_functions_are_looked_up_by_their_callers():
    def reference(a):
        return a + 1

    @_kernels.register_fast(reference)
    def fast(a):
        return 1 + a

    try:
        with tinynn.set_kernels("fast"):
            assert _kernels.kernel(reference) is fast
        with tinynn.set_kernels("reference"):
            assert _kernels.kernel(reference) is reference
    finally:
        _kernels._fast_variants.pop(reference)


@pytest.mark.parametrize("mode", ["Fast", "slow", "", None])
def test_an_unknown_mode_is_one_clear_error(mode):
    with pytest.raises(ValueError, match="set_kernels expects 'reference' or 'fast'"):
        tinynn.set_kernels(mode)


def test_the_environment_chooses_at_import_and_a_bad_value_is_refused():
    code = "import tinynn; print(tinynn.get_kernels())"
    env = dict(os.environ, TINYNN_KERNELS="reference")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "reference"
    env["TINYNN_KERNELS"] = "turbo"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "TINYNN_KERNELS must be 'reference' or 'fast', got 'turbo'" in done.stderr


def test_every_fast_variant_is_a_subclass_or_a_function_of_its_reference():
    for reference, fast in _kernels.fast_variants().items():
        if isinstance(reference, type):
            assert issubclass(fast, reference) and fast.__module__.startswith("tinynn._fast.")
        else:
            assert callable(fast) and fast.__module__.startswith("tinynn._fast.")
