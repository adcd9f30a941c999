"""The GPU path (issue 16): each bug the strict CuPy stand-in found, with the behaviour torch has.

These tests run on the "cuda" device: real CuPy where a CUDA device is present, otherwise the
NumPy-backed stand-in beside the repository (see conftest.py), which refuses what CuPy refuses
(host arrays as operands or written into device memory, a Python bool as a condition ...).
The ``on_cuda1`` tests need two GPUs; on the stand-in they run in a child pytest with two
emulated devices and no peer access, so that an op that runs on CuPy's current device
(``cuda:0``) instead of its tensors' (``cuda:1``) raises.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from conftest import CUDA, GPU_STAND_IN, STAND_IN_PATH
from helpers import host

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not CUDA, reason="no CUDA device, and no CuPy stand-in")]

SAME_DEVICE = "Expected all tensors to be on the same device, but found at least two devices"


def stand_in_events(kind: str) -> int:
    """How many ``kind`` events ("H2D", "SYNC", "REJECT" ...) the stand-in has logged (0 on real CuPy)."""
    if not GPU_STAND_IN:
        return 0
    import cupy
    return sum(n for (event, *_), n in cupy._log.counts.items() if event == kind)


def needs_stand_in_log():
    if not GPU_STAND_IN:
        pytest.skip("counts host/device copies and syncs, which only the CuPy stand-in logs")


# ------------------------------------------------------------------ random numbers follow manual_seed
@pytest.mark.parametrize("dtype", [tinynn.float32, tinynn.float64])
@pytest.mark.parametrize("fill", ["uniform_", "normal_"])
def test_uniform_and_normal_fill_gpu_memory_with_the_cpus_values(fill, dtype):
    def filled(device, **kwargs):
        tinynn.manual_seed(5)
        t = tinynn.empty(4, 3, dtype=dtype, device=device)
        return getattr(t, fill)(-1.0, 2.0, **kwargs)
    gpu = filled("cuda")
    assert gpu.device == "cuda" and gpu.dtype == dtype
    np.testing.assert_array_equal(host(gpu), host(filled("cpu")))
    on_gpu = filled("cuda", generator=tinynn.Generator().manual_seed(9))
    np.testing.assert_array_equal(host(on_gpu), host(filled("cpu", generator=tinynn.Generator().manual_seed(9))))


@pytest.mark.parametrize("draw", [
    lambda device: tinynn.rand(3, 4, device=device),
    lambda device: tinynn.randn(5, device=device, dtype=tinynn.float64),
    lambda device: tinynn.randint(0, 10, (6,), device=device),
    lambda device: tinynn.randperm(9, device=device),
    lambda device: tinynn.rand_like(tinynn.zeros(2, 2, device=device)),
    lambda device: F.dropout(tinynn.ones(4, 5, device=device), 0.4),
    lambda device: nn.Dropout(0.5)(tinynn.ones(3, 8, device=device)),
    lambda device: F.dropout2d(tinynn.ones(2, 6, 2, 2, device=device), 0.5),
], ids=["rand", "randn", "randint", "randperm", "rand_like", "dropout", "Dropout", "dropout2d"])
def test_random_ops_on_the_gpu_follow_manual_seed_and_match_the_cpu(draw):
    tinynn.manual_seed(11)
    cpu = host(draw("cpu"))
    tinynn.manual_seed(11)
    gpu = draw("cuda")
    assert gpu.device == "cuda"
    np.testing.assert_array_equal(host(gpu), cpu)
    tinynn.manual_seed(11)
    np.testing.assert_array_equal(host(draw("cuda")), cpu)     # reproducible


def test_dropout_backward_on_the_gpu_uses_the_forward_mask():
    tinynn.manual_seed(3)
    x = tinynn.ones(6, 7, device="cuda", requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(host(x.grad), host(y))        # mask * 2 in both


# ------------------------------------------------------------------ factories
FACTORIES = {
    "zeros": lambda d: tinynn.zeros(2, 3, device=d),
    "ones": lambda d: tinynn.ones((2, 3), dtype=tinynn.int64, device=d),
    "empty": lambda d: tinynn.empty(2, device=d).fill_(4.0),
    "full": lambda d: tinynn.full((2, 2), 2.5, device=d),
    "full_int": lambda d: tinynn.full((3,), 7, device=d),
    "arange": lambda d: tinynn.arange(1, 10, 3, device=d),
    "arange_float": lambda d: tinynn.arange(0.0, 1.0, 0.25, device=d),
    "linspace": lambda d: tinynn.linspace(0, 1, 5, device=d),
    "eye": lambda d: tinynn.eye(3, 2, device=d),
    "zeros_like": lambda d: tinynn.zeros_like(tinynn.ones(2, device=d), dtype=tinynn.float64),
    "ones_like": lambda d: tinynn.ones_like(tinynn.ones(2, device=d)),
    "full_like": lambda d: tinynn.full_like(tinynn.ones(2, dtype=tinynn.int64, device=d), 2.5),
    "new_zeros": lambda d: tinynn.ones(1, device=d).new_zeros(2, 2),
    "new_ones": lambda d: tinynn.ones(1, device=d).new_ones((3,)),
    "new_full": lambda d: tinynn.ones(1, device=d).new_full((2,), 3.0),
    "new_empty": lambda d: tinynn.ones(1, device=d).new_empty(2).zero_(),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_deterministic_factories_fill_gpu_memory_directly(name):
    make = FACTORIES[name]
    expected = make("cpu")
    h2d_before = stand_in_events("H2D")
    got = make("cuda")
    assert stand_in_events("H2D") == h2d_before, "built on the host and copied over"
    assert got.device == "cuda" and got.dtype == expected.dtype
    np.testing.assert_array_equal(host(got), host(expected))


def test_factories_with_requires_grad_on_the_gpu():
    w = tinynn.zeros(3, device="cuda", requires_grad=True)
    (w * 2).sum().backward()
    assert w.grad.device == "cuda"
    np.testing.assert_array_equal(host(w.grad), [2, 2, 2])


def test_tensor_of_a_cupy_array_stays_on_its_gpu():
    import cupy
    source = cupy.arange(6, dtype=cupy.float32).reshape(2, 3)
    t = tinynn.tensor(source)
    assert t.device == "cuda" and t.dtype == tinynn.float32 and t.shape == (2, 3)
    source[0, 0] = 100                                      # a copy, as torch.tensor
    np.testing.assert_array_equal(host(t), np.arange(6, dtype=np.float32).reshape(2, 3))
    assert tinynn.tensor(source, dtype=tinynn.float64).dtype == tinynn.float64
    assert tinynn.tensor(source, device="cpu").device == "cpu"
    shared = tinynn.as_tensor(source)                       # as_tensor shares the memory
    assert shared.device == "cuda"
    source[1, 2] = -1
    assert host(shared)[1, 2] == -1
    assert tinynn.as_tensor(source, device="cpu").device == "cpu"


# ------------------------------------------------------------------ x[i] = host values, 2 ** x
@pytest.mark.parametrize("index, value", [
    (0, [1.0, 2.0, 3.0]),
    (0, (1, 2, 3)),
    (1, np.array([4.0, 5.0, 6.0])),
    ((slice(None), 0), [7.0, 8.0]),
    ([0, 1], [1.0, 2.0, 3.0]),
    (0, 9.5),
], ids=["list", "tuple", "numpy", "column", "fancy", "scalar"])
def test_setitem_of_host_values_on_a_gpu_tensor(index, value):
    expected = tinynn.zeros(2, 3)
    expected[index] = value
    got = tinynn.zeros(2, 3, device="cuda")
    got[index] = value
    assert got.device == "cuda"
    np.testing.assert_array_equal(host(got), host(expected))


def test_setitem_of_host_values_on_a_gpu_graph_tensor():
    w = tinynn.ones(2, 3, device="cuda", requires_grad=True)
    y = w * 3
    y[0] = [1.0, 2.0, 3.0]
    y.sum().backward()
    np.testing.assert_array_equal(host(y), [[1, 2, 3], [3, 3, 3]])
    np.testing.assert_array_equal(host(w.grad), [[0, 0, 0], [3, 3, 3]])


@pytest.mark.parametrize("base", [2, 2.5, 0.5, 0])
def test_a_number_to_the_power_of_a_gpu_tensor_has_a_gradient(base):
    exponents = [-1.0, 0.5, 2.0] if base else [0.5, 1.0, 2.0]
    grads = []
    for device in ("cpu", "cuda"):
        x = tinynn.tensor(exponents, device=device, requires_grad=True)
        (base ** x).sum().backward()
        grads.append(host(x.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)
    expected = base ** np.array(exponents) * np.log(base) if base else np.zeros(3)   # d(a^x)/dx = a^x ln a
    np.testing.assert_allclose(grads[1], expected, rtol=1e-6)     # (0 for a = 0, as torch, where x >= 0)


# ------------------------------------------------------------------ mixed devices: torch's errors
def test_ops_mixing_cpu_and_gpu_tensors_get_torchs_error():
    gpu, cpu = tinynn.ones(2, device="cuda"), tinynn.ones(2)
    for op in (lambda: tinynn.where(tinynn.tensor([True, False]), gpu, gpu * 2),
               lambda: gpu + cpu,
               lambda: gpu.add_(cpu, alpha=2),
               lambda: gpu.sub_(cpu),
               lambda: gpu.mul_(cpu),
               lambda: tinynn.where(tinynn.tensor([True, False], device="cuda"), gpu, cpu),
               lambda: F.cross_entropy(tinynn.zeros(2, 3, device="cuda"), tinynn.tensor([0, 1])),
               lambda: F.nll_loss(tinynn.zeros(2, 3, device="cuda"), tinynn.tensor([0, 1], device="cuda"),
                                  weight=tinynn.ones(3))):
        with pytest.raises(RuntimeError, match=f"{SAME_DEVICE}, cuda:0 and cpu!"):
            op()
    np.testing.assert_array_equal(host(gpu), [1, 1])        # nothing was changed
    gpu.copy_(cpu * 5)                                      # copy_ moves the values, as torch's
    np.testing.assert_array_equal(host(gpu), [5, 5])
    np.testing.assert_array_equal(host(tinynn.where(tinynn.tensor([True, False], device="cuda"), gpu, 0.0)), [5, 0])


def test_backward_with_a_gradient_on_another_device():
    x = tinynn.ones(2, device="cuda", requires_grad=True)
    with pytest.raises(RuntimeError, match="invalid gradient at index 0 - expected device cuda:0 but got cpu"):
        (x * 2).backward(tinynn.ones(2))
    (x * 3).sum().backward(tinynn.tensor(2.0))              # a 0-d gradient is moved over, as torch does
    assert x.grad.device == "cuda"
    np.testing.assert_array_equal(host(x.grad), [6, 6])


@pytest.mark.parametrize("make_optimizer, key", [
    (lambda params: tinynn.optim.SGD(params, lr=0.1, momentum=0.9), "momentum_buffer"),
    (lambda params: tinynn.optim.Adam(params, lr=0.01), "exp_avg"),
], ids=["SGD", "Adam"])
def test_optimizer_state_made_before_the_model_moved(make_optimizer, key):
    def backward(model, device):
        model.zero_grad()
        model(tinynn.ones(1, 2, device=device)).sum().backward()

    model = nn.Linear(2, 2)
    optimizer = make_optimizer(model.parameters())
    backward(model, "cpu")
    optimizer.step()                                        # state made on the CPU
    model.to("cuda")
    backward(model, "cuda")
    weight_before = host(model.weight)
    with pytest.raises(RuntimeError, match=f"{SAME_DEVICE}, cuda:0 and cpu!.*'{key}'"):
        optimizer.step()
    np.testing.assert_array_equal(host(model.weight), weight_before)
    optimizer.load_state_dict(optimizer.state_dict())      # as torch, loading moves the state to the parameters
    assert optimizer.state[model.weight][key].device == "cuda"
    optimizer.step()
    assert model.weight.device == "cuda" and not np.array_equal(host(model.weight), weight_before)


# ------------------------------------------------------------------ an out-of-range class on the GPU
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("options", [{}, {"reduction": "sum"}, {"weight": [1.0, 2.0, 0.5]}, {"ignore_index": 1},
                                     {"label_smoothing": 0.1}],
                         ids=["mean", "sum", "weight", "ignore_index", "label_smoothing"])
@pytest.mark.parametrize("bad", [3, 7, -1, -101])
def test_an_out_of_range_class_gives_a_nan_loss_on_the_gpu(loss, options, bad):
    if loss == "nll_loss" and "label_smoothing" in options:
        pytest.skip("nll_loss has no label smoothing")
    fn = getattr(F, loss)
    kwargs = {k: tinynn.tensor(v, device="cuda") if k == "weight" else v for k, v in options.items()}
    logits = tinynn.randn(4, 3, device="cuda", requires_grad=True)
    good = tinynn.tensor([0, 2, 1, 2], device="cuda")
    reference = fn(logits.detach().cpu(), good.cpu(), **{k: v.cpu() if k == "weight" else v
                                                          for k, v in kwargs.items()})
    np.testing.assert_allclose(host(fn(logits, good, **kwargs)), host(reference), rtol=1e-5)

    syncs = stand_in_events("SYNC")
    targets = tinynn.tensor([0, bad, 1, 2], device="cuda")
    out = fn(logits, targets, **kwargs)
    assert stand_in_events("SYNC") == syncs, "the check waited for the GPU"
    assert np.isnan(host(out))                              # never a plausible number
    out.backward()
    assert np.isnan(host(logits.grad)).any()
    per_sample = host(fn(logits, targets, reduction="none", **{k: v for k, v in kwargs.items() if k != "reduction"}))
    assert np.isnan(per_sample[1]) and np.isfinite(np.delete(per_sample, 1)).all()


def test_the_cpu_still_refuses_an_out_of_range_class():
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(tinynn.zeros(2, 3), tinynn.tensor([0, 3]))


# ------------------------------------------------------------------ cuda:1
def two_gpus() -> bool:
    return CUDA and tinynn.cuda.device_count() >= 2


on_cuda1 = pytest.mark.skipif(not two_gpus(), reason="needs two CUDA devices (the stand-in emulates them in "
                                                     "test_the_second_gpu_checks_on_a_two_device_stand_in)")


def small_net():
    # (no bias before the batch norm: its true gradient is 0, and Adam would turn the rounding noise
    # there, which differs between the devices' summation orders, into steps of size lr)
    tinynn.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(0.25), nn.Linear(4 * 4 * 4, 3))


def train_small_net(device, make_optimizer):
    """Three steps of a small conv net; the losses, parameters and optimizer state, on the host."""
    model = small_net().to(device)
    optimizer = make_optimizer(model.parameters())
    tinynn.manual_seed(1)
    x = tinynn.randn(6, 3, 8, 8, device=device)
    y = tinynn.tensor([0, 1, 2, 0, 1, 2], device=device)
    losses = []
    for _ in range(3):
        out = model(x)
        loss = F.cross_entropy(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss)
        accuracy = (out.argmax(dim=1) == y).float().mean()
    model.eval()
    evaluated = model(x)
    tensors = [*losses, accuracy, evaluated, *model.parameters(), *model.buffers(),
               *(p.grad for p in model.parameters())]
    tensors += [v for state in optimizer.state.values() for v in state.values()
                if isinstance(v, tinynn.Tensor) and v.ndim]
    return tensors


@on_cuda1
@pytest.mark.parametrize("make_optimizer", [
    lambda params: tinynn.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-3),
    lambda params: tinynn.optim.Adam(params, lr=0.01),
], ids=["SGD", "Adam"])
def test_on_cuda1_training_runs_on_the_second_gpu_and_matches_the_cpu(make_optimizer):
    expected = train_small_net("cpu", make_optimizer)
    got = train_small_net("cuda:1", make_optimizer)
    assert all(t.device == "cuda:1" for t in got)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(host(g), host(e), rtol=2e-4, atol=1e-5)


@on_cuda1
def test_on_cuda1_factories_random_ops_and_conversions_stay_on_the_second_gpu():
    import cupy
    dev = "cuda:1"
    made = [f(dev) for f in FACTORIES.values()]
    made += [tinynn.rand(2, device=dev), tinynn.randn(2, device=dev), tinynn.randint(5, (2,), device=dev),
             tinynn.randperm(4, device=dev), tinynn.empty(3, device=dev).uniform_(),
             tinynn.empty(3, device=dev).normal_(), F.dropout(tinynn.ones(4, device=dev), 0.5),
             F.dropout2d(tinynn.ones(1, 2, 2, 2, device=dev), 0.5), tinynn.ones(2, device="cuda").to(dev),
             tinynn.ones(2, dtype=tinynn.int64, device=dev).float(), tinynn.ones(2, device=dev).clone()]
    with cupy.cuda.Device(1):
        on_one = cupy.arange(3)
    made += [tinynn.tensor(on_one), tinynn.as_tensor(on_one), tinynn.tensor(tinynn.ones(2, device=dev).array)]
    x = tinynn.zeros(2, 3, device=dev)
    x[0] = [1.0, 2.0, 3.0]
    x[:, 1] = tinynn.tensor([5.0, 6.0])                     # values from the CPU are moved over
    made += [x, tinynn.where(x > 1, x, 0.5), x == 2, ~(x > 1), x.argmax(dim=1), x.sum(), *x.max(dim=0), x.isnan(),
             x.sign(), x.nonzero(), x.sort(dim=1)[1], x.median(dim=1)[0], x.topk(2)[1], x.count_nonzero(),
             x.all(), x.long().flatten().bincount(), x.masked_fill(x > 1, 0.0),
             x.gather(1, tinynn.tensor([[0], [1]], device=dev)), F.one_hot(tinynn.arange(3, device=dev)),
             x.index_select(1, tinynn.tensor([2, 0], device=dev))]
    assert [str(t.device) for t in made] == [dev] * len(made)
    assert all(t.array.device.id == 1 for t in made)
    np.testing.assert_array_equal(host(x), [[1, 5, 3], [0, 6, 0]])


@on_cuda1
def test_on_cuda1_gradient_tools_norms_and_image_transforms_run_on_the_second_gpu():
    from tinynn.autograd import gradcheck
    from tinynn.vision import transforms
    dev = "cuda:1"
    x = tinynn.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=tinynn.float64, device=dev, requires_grad=True)
    assert gradcheck(lambda t: (t.tanh() * t).sum(dim=1), (x,))
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).to(dev)
    model(tinynn.randn(4, 2, device=dev)).pow(2).sum().backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), 0.1)
    nn.utils.clip_grad_value_(model.parameters(), 0.01)
    tinynn.optim.Adagrad(model.parameters(), lr=0.1).step()
    model.eval()
    out = model(tinynn.randn(2, 2, device=dev))
    image = tinynn.rand(3, 8, 8, device=dev)
    resized = transforms.Resize((4, 6))(image)
    blurred = transforms.functional.gaussian_blur(image, [3, 3])
    losses = [F.binary_cross_entropy_with_logits(out, tinynn.rand(2, 3, device=dev),
                                                 pos_weight=tinynn.ones(3, dtype=tinynn.float64, device=dev).float()),
              F.cross_entropy(out, tinynn.tensor([0, 2], device=dev), weight=tinynn.ones(3, device=dev))]
    results = [norm, out, resized, blurred, *losses, *(p.grad for p in model.parameters())]
    assert [str(t.device) for t in results] == [dev] * len(results)


@on_cuda1
def test_on_cuda1_mixing_the_two_gpus_gets_torchs_error():
    a, b = tinynn.ones(2, device="cuda:1", requires_grad=True), tinynn.ones(2, device="cuda:0")
    with pytest.raises(RuntimeError, match=f"{SAME_DEVICE}, cuda:1 and cuda:0!"):
        a + b
    with pytest.raises(RuntimeError, match=f"{SAME_DEVICE}, cuda:0 and cuda:1!"):
        b.detach().add_(a.detach(), alpha=2)
    with pytest.raises(RuntimeError, match="expected device cuda:1 but got cuda:0"):
        (a * 2).backward(b)
    (a.to("cuda:0") * b).sum().backward()                   # through .to(): the gradient goes back to cuda:1
    assert a.grad.device == "cuda:1"
    np.testing.assert_array_equal(host(a.grad), [1, 1])


@pytest.mark.skipif(not GPU_STAND_IN, reason="runs the cuda:1 tests on the stand-in's two emulated devices")
def test_the_second_gpu_checks_on_a_two_device_stand_in():
    tests = Path(__file__).resolve().parent
    env = dict(os.environ, FAKECUPY_NDEV="2", FAKECUPY_PEER="0",
               PYTHONPATH=os.pathsep.join(filter(None, [str(STAND_IN_PATH), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                             "-k", "on_cuda1", str(Path(__file__).resolve())],
                            cwd=tests.parent, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout.splitlines()[-1]
