"""Small helpers shared by the tests."""
import numpy as np

import tinynn


def leaf(array, device="cpu", dtype=np.float64) -> tinynn.Tensor:
    """A float64 leaf tensor that requires grad, on ``device``."""
    return tinynn.tensor(np.asarray(array, dtype=dtype), device=device).requires_grad_()


def host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device."""
    return np.asarray(t.detach().cpu().array)
