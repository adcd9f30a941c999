"""The optimizers' fast updates (tinynn/_fast/optim.py) against their references (the single-tensor loops).

Each optimizer steps the same parameters with the same gradients once with
``tinynn.set_kernels("reference")`` and once with ``"fast"``, on
hypothesis-drawn options and parameter shapes: small ones, ones spanning
several of the fast update's blocks (split over threads), non-contiguous ones,
float32 and float64, and a parameter whose first gradient is missing (its
state starts a step later). The fast update keeps the reference's operations
in the reference's order, so parameters and state must agree bit for bit
(on real CUDA, where the compiler may fuse operations, to float rounding).
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynn
import tinynn.nn as nn
from conftest import GPU_BACKEND
from helpers import host
from tinynn import optim
from tinynn._fast import optim as fast_optim
from tinynn._fast.optim import BLOCK_ELEMENTS
from tinynn._kernels import kernel
from tinynn.optim.adadelta import _single_tensor_adadelta
from tinynn.optim.adagrad import _single_tensor_adagrad
from tinynn.optim.adam import _single_tensor_adam
from tinynn.optim.rmsprop import _single_tensor_rmsprop
from tinynn.optim.sgd import _single_tensor_sgd

REFERENCE_AND_FAST = [
    (_single_tensor_sgd, fast_optim.blocked_sgd),
    (_single_tensor_adam, fast_optim.blocked_adam),
    (_single_tensor_adagrad, fast_optim.blocked_adagrad),
    (_single_tensor_rmsprop, fast_optim.blocked_rmsprop),
    (_single_tensor_adadelta, fast_optim.blocked_adadelta),
]

lrs = st.sampled_from([1e-3, 0.05, 0.5])
decays = st.sampled_from([0.0, 0.01, 0.3])


@st.composite
def sgd_options(draw):
    momentum = draw(st.sampled_from([0.0, 0.5, 0.9]))
    nesterov = momentum > 0 and draw(st.booleans())
    dampening = 0.0 if nesterov else draw(st.sampled_from([0.0, 0.3]))
    return dict(lr=draw(lrs), momentum=momentum, dampening=dampening, weight_decay=draw(decays),
                nesterov=nesterov, maximize=draw(st.booleans()))


adam_options = st.fixed_dictionaries(dict(
    lr=lrs, betas=st.sampled_from([(0.9, 0.999), (0.8, 0.9)]), eps=st.sampled_from([1e-8, 1e-3]),
    weight_decay=decays, amsgrad=st.booleans(), maximize=st.booleans()))
OPTIMIZERS = {
    "SGD": (optim.SGD, sgd_options()),
    "Adam": (optim.Adam, adam_options),
    "AdamW": (optim.AdamW, adam_options),
    "Adagrad": (optim.Adagrad, st.fixed_dictionaries(dict(
        lr=lrs, lr_decay=st.sampled_from([0.0, 0.1]), weight_decay=decays,
        initial_accumulator_value=st.sampled_from([0.0, 0.1]), eps=st.sampled_from([1e-10, 1e-3]),
        maximize=st.booleans()))),
    "RMSprop": (optim.RMSprop, st.fixed_dictionaries(dict(
        lr=lrs, alpha=st.sampled_from([0.99, 0.9]), eps=st.sampled_from([1e-8, 1e-3]), weight_decay=decays,
        momentum=st.sampled_from([0.0, 0.9]), centered=st.booleans(), maximize=st.booleans()))),
    "Adadelta": (optim.Adadelta, st.fixed_dictionaries(dict(
        lr=st.sampled_from([1.0, 0.1]), rho=st.sampled_from([0.9, 0.5]), eps=st.sampled_from([1e-6, 1e-3]),
        weight_decay=decays, maximize=st.booleans()))),
}

# a parameter: (shape, stored transposed, so not C-contiguous)
small = st.tuples(st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple), st.booleans())
# 2 to 3.5 blocks: split over two threads, a block edge inside each thread's stretch
big = st.tuples(st.integers(2 * BLOCK_ELEMENTS + 1, 7 * BLOCK_ELEMENTS // 2).map(lambda n: (n,)), st.just(False))
parameter_lists = st.lists(small, min_size=1, max_size=3).flatmap(
    lambda params: st.one_of(st.just(params), big.map(lambda b: params + [b])))


def make_parameter(values, transposed, device):
    """A Parameter holding ``values``; a transposed (non-contiguous) view of a copy when ``transposed``."""
    if transposed and values.ndim > 1:
        values = np.ascontiguousarray(values.T).T
    return nn.Parameter(tinynn.from_numpy(values).to(device))


def step_in_mode(mode, make, options, layout, starts, grads, device):
    """Parameters and optimizer state (as NumPy arrays) after stepping ``make(params, **options)`` on the
    ``mode`` kernels; parameter 0 gets no gradient at the first step."""
    params = [make_parameter(s.copy(), t, device) for s, (_, t) in zip(starts, layout)]
    with tinynn.set_kernels(mode):
        opt = make(params, **options)
        for step, step_grads in enumerate(grads):
            for i, (p, g) in enumerate(zip(params, step_grads)):
                p.grad = None if step == 0 and i == 0 else tinynn.from_numpy(g.copy()).to(device)
            opt.step()
    state = [(key, host(value)) for p in params for key, value in sorted(opt.state[p].items())]
    return [host(p) for p in params], state


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_fast_update_equals_the_reference(name, data, dtype, seed, device):
    make, option_strategy = OPTIMIZERS[name]
    options = data.draw(option_strategy)
    # (big parameters on the CPU only: the GPU updates arrays whole, in either mode)
    layout = data.draw(parameter_lists if device == "cpu" else st.lists(small, min_size=1, max_size=3))
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal(shape).astype(dtype) for shape, _ in layout]
    grads = [[rng.standard_normal(shape).astype(dtype) for shape, _ in layout] for _ in range(3)]
    reference = step_in_mode("reference", make, options, layout, starts, grads, device)
    fast = step_in_mode("fast", make, options, layout, starts, grads, device)
    assert [key for key, _ in reference[1]] == [key for key, _ in fast[1]]
    for ref, got in zip(reference[0] + [v for _, v in reference[1]], fast[0] + [v for _, v in fast[1]]):
        assert ref.dtype == got.dtype and ref.shape == got.shape
        if device == "cuda" and GPU_BACKEND == "cupy":
            np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-7)
        else:
            np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("reference, fast", REFERENCE_AND_FAST)
def test_each_mode_runs_its_own_update(reference, fast):
    with tinynn.set_kernels("fast"):
        assert kernel(reference) is fast
    with tinynn.set_kernels("reference"):
        assert kernel(reference) is reference

