"""``gradcheck``: compare backward's gradients with central finite differences."""
from __future__ import annotations

import numpy as np

from .._device import on_device_of, to_device
from .._tensor import Tensor
from .grad_mode import no_grad


class GradcheckError(RuntimeError):
    """Raised when an analytic gradient disagrees with its finite-difference estimate."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if getattr(o, "requires_grad", False) or getattr(o, "dtype", None) is not None
            and o.dtype.kind == "f"]


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, seed: int = 0) -> bool:
    """Check the gradients of ``fn`` at ``inputs`` against central differences, in float64.

    The outputs are reduced to one number with fixed random weights ``v``
    (``L = sum(v * fn(*inputs))``); then for every element ``x_i`` of every
    input that requires grad, the analytic ``dL/dx_i`` from ``backward`` must
    equal ``(L(x_i + eps) - L(x_i - eps)) / (2 eps)`` within ``atol + rtol * |numeric|``.
    On a mismatch it raises ``GradcheckError`` naming the input, the element
    index and both values (or returns False when ``raise_exception=False``).
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: none of the inputs requires grad")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need "
                             "float64 inputs (use .double())")

    rng = np.random.default_rng(seed)
    outputs = _outputs(fn, inputs)
    weights = [to_device(rng.standard_normal(o.shape), o.device) for o in outputs]

    def weighted_sum(outs):
        total = 0.0
        for w, o in zip(weights, outs):
            with on_device_of(o.array):
                total += float((w * o.array).sum())
        return total

    for i in checked:
        inputs[i].grad = None
    for out, w in zip(outputs, weights):
        if out.requires_grad:
            with on_device_of(w):
                w = w.astype(out.dtype)
            out.backward(Tensor._wrap(w), retain_graph=True)

    for i in checked:
        x = inputs[i]
        analytic = np.asarray(x.grad.array.get() if hasattr(x.grad.array, "get") else x.grad.array) \
            if x.grad is not None else np.zeros(x.shape)
        flat = x.array.reshape(-1)   # a view: perturbing it perturbs x
        if flat.base is None and x.array.size > 1 and not x.array.flags.c_contiguous:
            raise ValueError(f"gradcheck: input {i} must be contiguous")
        for j in range(flat.size):
            original = flat[j].item()
            with no_grad(), on_device_of(flat):              # (writes into x on its GPU: cuda:1 too)
                flat[j] = original + eps
                plus = weighted_sum(_outputs(fn, inputs))
                flat[j] = original - eps
                minus = weighted_sum(_outputs(fn, inputs))
                flat[j] = original
            numeric = (plus - minus) / (2 * eps)
            got = float(analytic.reshape(-1)[j])
            if not abs(got - numeric) <= atol + rtol * abs(numeric):
                index = tuple(int(k) for k in np.unravel_index(j, x.shape))
                message = (f"Jacobian mismatch for input {i} (shape {tuple(x.shape)}) at element {index}:\n"
                           f"  analytic (backward): {got:.10g}\n  numerical:           {numeric:.10g}\n"
                           f"  input value: {original:.10g}")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True
