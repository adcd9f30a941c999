"""The Tensor API: factories, dtypes, conversions, repr, comparisons, devices."""
import numpy as np
import pytest

import tinynn
from tinynn import _device


def test_dtype_inference_follows_torch():
    assert tinynn.tensor([1.0, 2.0]).dtype == tinynn.float32
    assert tinynn.tensor(1.5).dtype == tinynn.float32
    assert tinynn.tensor([1, 2]).dtype == tinynn.int64
    assert tinynn.tensor([True, False]).dtype == tinynn.bool
    assert tinynn.tensor(np.zeros(2, np.float64)).dtype == tinynn.float64
    assert tinynn.Tensor([1, 2]).dtype == tinynn.float32
    assert tinynn.zeros(2, 3).dtype == tinynn.float32 and tinynn.zeros(2, 3).shape == (2, 3)
    assert tinynn.ones((2, 3), dtype=tinynn.int64).dtype == tinynn.int64
    assert tinynn.arange(5).dtype == tinynn.int64 and tinynn.arange(0, 1, 0.25).dtype == tinynn.float32
    assert tinynn.full((2,), 7).dtype == tinynn.int64 and tinynn.full((2,), 0.5).dtype == tinynn.float32
    assert tinynn.randn(3, 4).dtype == tinynn.float32 and tinynn.rand(3).dtype == tinynn.float32
    assert tinynn.randint(0, 10, (5,)).dtype == tinynn.int64


def test_float32_stays_float32():
    x = tinynn.randn(4, 3)
    for y in (x * 2.5, x / 3, 2 ** x, x + np.float64(1.5), x - np.sqrt(2), x.mean(), x.std(), x.exp(),
              x.sigmoid(), x.clamp(-1, 1), x @ tinynn.randn(3, 2), x.softmax(1)):
        assert y.dtype == tinynn.float32, y
    assert (tinynn.tensor([1, 2]) * 0.5).dtype == tinynn.float32
    assert (tinynn.tensor([1, 2]) / tinynn.tensor([2, 2])).dtype == tinynn.float32


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.arange(3.0, dtype=np.float32)
    shared, copied = tinynn.from_numpy(a), tinynn.tensor(a)
    a[0] = 10
    assert shared[0].item() == 10 and copied[0].item() == 0


def test_metadata_and_conversions():
    x = tinynn.arange(6).view(2, 3).float()
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert x.sum().item() == 15.0 and isinstance(x.sum().item(), float)
    assert x.long().dtype == tinynn.int64 and x.double().dtype == tinynn.float64
    assert x.device == "cpu" and str(x.device) == "cpu" and x.cpu() is x and x.to("cpu") is x
    assert isinstance(x.numpy(), np.ndarray)
    assert float(tinynn.tensor(2.5)) == 2.5 and int(tinynn.tensor(3)) == 3
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    with pytest.raises(RuntimeError, match="detach"):
        tinynn.ones(2, requires_grad=True).numpy()


def test_repr_like_torch():
    assert repr(tinynn.tensor([1.0, 2.0, 3.0])) == "tensor([1., 2., 3.])"
    assert repr(tinynn.tensor([0.1, 2.0])) == "tensor([0.1000, 2.0000])"
    assert repr(tinynn.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(tinynn.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(tinynn.tensor([1.0], dtype=tinynn.float64)) == "tensor([1.], dtype=tinynn.float64)"
    y = tinynn.tensor([1.0], requires_grad=True).tanh()
    assert repr(y).endswith("grad_fn=<TanhBackward0>)")


def test_comparisons_give_bool_tensors_and_count_like_the_seeds():
    pred, labels = tinynn.tensor([0, 1, 1, 0]), tinynn.tensor([0, 1, 0, 0])
    eq = pred == labels
    assert eq.dtype == tinynn.bool and eq.tolist() == [True, True, False, True]
    assert int((pred == labels).sum()) == 3
    x = tinynn.tensor([1.0, 2.0, 3.0])
    assert (x > 1.5).tolist() == [False, True, True] and (x <= 2).tolist() == [True, True, False]
    assert (x != 2).tolist() == [True, False, True] and (x >= 3).tolist() == [False, False, True]
    assert (x < x).tolist() == [False] * 3


def test_module_level_functions_mirror_methods():
    x = tinynn.tensor([[1.0, 5.0], [7.0, 2.0]])
    values, indices = tinynn.max(x, dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0] and indices.dtype == tinynn.int64
    assert tinynn.max(x).item() == 7.0 and tinynn.argmax(x).item() == 2
    assert tinynn.argmax(x, dim=0).tolist() == [1, 0] and tinynn.argmin(x, 1).tolist() == [0, 1]
    np.testing.assert_allclose(tinynn.exp(x).numpy(), np.exp(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(tinynn.tanh(x).numpy(), np.tanh(x.numpy()), rtol=1e-6)
    assert tinynn.cat([x, x]).shape == (4, 2) and tinynn.stack([x, x], dim=2).shape == (2, 2, 2)


def test_random_is_reproducible_with_manual_seed():
    tinynn.manual_seed(3)
    a = tinynn.randn(5).tolist(), tinynn.randperm(6).tolist()
    tinynn.manual_seed(3)
    assert (tinynn.randn(5).tolist(), tinynn.randperm(6).tolist()) == a
    assert sorted(a[1]) == list(range(6))
    g = tinynn.Generator().manual_seed(1)
    assert tinynn.rand(3, generator=g).tolist() == tinynn.rand(3, generator=tinynn.Generator().manual_seed(1)).tolist()


def test_view_errors_and_shapes():
    x = tinynn.arange(12)
    assert x.view(3, -1).shape == (3, 4) and x.view(-1, 2, 3).shape == (2, 2, 3)
    with pytest.raises(RuntimeError, match=r"shape '\[5, -1\]' is invalid for input of size 12"):
        x.view(5, -1)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.view(3, 4).t().view(12)
    assert x.view(3, 4).t().reshape(12).tolist() == x.view(3, 4).numpy().T.reshape(12).tolist()
    assert x.view(3, 4).unsqueeze(0).shape == (1, 3, 4) and x.view(1, 12, 1).squeeze().shape == (12,)
    assert x.view(2, 3, 2).permute(2, 0, 1).shape == (2, 2, 3) and x.view(2, 6).flatten().shape == (12,)
    assert x.view(3, 4).transpose(0, 1).contiguous().is_contiguous()


def test_devices_parse_like_torch():
    assert tinynn.device("cuda:1").index == 1 and tinynn.device("gpu").type == "cuda"
    assert tinynn.device("cpu") == "cpu" and repr(tinynn.device("cpu")) == "device(type='cpu')"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        tinynn.device("tpu")


def test_gpu_request_without_cupy_says_what_to_install(monkeypatch):
    monkeypatch.setattr(_device, "_cupy", False)
    monkeypatch.setattr(_device, "_cupy_error", "ModuleNotFoundError: No module named 'cupy'")
    assert not tinynn.cuda.is_available()
    with pytest.raises(RuntimeError, match=r"pip install 'tinynn\[gpu\]'"):
        tinynn.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="cupy"):
        tinynn.zeros(2, device="gpu")


def test_mixing_devices_names_both(device):
    if device == "cpu":
        pytest.skip("needs a GPU tensor")
    a, b = tinynn.ones(2), tinynn.ones(2, device=device)
    with pytest.raises(RuntimeError, match="cpu and cuda:0"):
        a + b
    with pytest.raises(RuntimeError, match="same device"):
        tinynn.nn.functional.linear(b.view(1, 2), a.view(1, 2))


def test_same_results_on_every_device(device):
    x = tinynn.tensor([[1.0, -2.0], [3.0, 0.5]], device=device)
    assert str(x.device).startswith(device)
    y = (x.tanh() * 2 + 1).sum(dim=0)
    np.testing.assert_allclose(y.cpu().numpy(), (np.tanh(x.cpu().numpy()) * 2 + 1).sum(0), rtol=1e-6)
    assert y.to("cpu").device == "cpu"


def test_no_import_of_torch_or_cupy():
    import subprocess
    import sys
    code = "import sys, tinynn; print('torch' in sys.modules, 'cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
