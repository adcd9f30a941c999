"""Small helpers shared by the tests."""
import numpy as np

import tinynn


def leaf(array, device="cpu", dtype=np.float64) -> tinynn.Tensor:
    """A float64 leaf tensor that requires grad, on ``device``."""
    return tinynn.tensor(np.asarray(array, dtype=dtype), device=device).requires_grad_()


def host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device."""
    return np.asarray(t.detach().cpu().array)


def forward_and_grads(fn, *arrays) -> list:
    """fn's output and the gradient of each input, as NumPy arrays, for a fixed random output gradient."""
    inputs = [tinynn.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    gy = np.random.default_rng(1).standard_normal(out.shape).astype(out.dtype)
    out.backward(tinynn.tensor(gy))
    return [out.detach().numpy()] + [t.grad.numpy() for t in inputs]
