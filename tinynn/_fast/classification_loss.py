"""Log-softmax, NLL and cross-entropy on the GPU in fewer kernel launches.

At batch 64 a GPU step waits on kernel launches, not on arithmetic, and the
references (``nn/_functions/activation.py`` and ``loss.py``) make a new array
for every line and find each sample's target by index arithmetic. The
variants here compute the same values with fewer launches:

- log-softmax writes ``log(sum(exp))`` and the shift into arrays it already has;
- NLL finds the targets by one comparison of the targets with the class numbers
  (a boolean (N, C + 1) table whose last column is ``ignore_index``), and sums
  ``where(hit, logp, 0)``: no index arrays, no scatter in the backward;
- a target that is no class and not ``ignore_index`` matches no column of that
  table, so ``sqrt(matched - N)`` is NaN: the loss and its gradient are NaN
  (never a plausible number) without waiting for the device.

They run for float32 and float64 CuPy arrays with the defaults the training
loops use (no class weights, 'mean' or 'sum', ``ignore_index`` outside the
classes, no label smoothing); everything else, and every NumPy array, runs the
reference. (The target counts are summed in the logits' dtype: exact in these two.)
"""
from __future__ import annotations

import functools

import numpy as np

from .._device import get_array_module
from .._kernels import register_fast
from ..nn._functions.activation import LogSoftmaxFunction
from ..nn._functions.loss import CrossEntropy, NLLLossFunction


def log_softmax_in_place(x, axis: int):
    """log(softmax(x)) = (x - m) - log(sum(exp(x - m))), in six kernels: two new arrays, two in place."""
    xp = get_array_module(x)
    y = x - x.max(axis=axis, keepdims=True)
    log_sum = xp.exp(y).sum(axis=axis, keepdims=True)
    xp.log(log_sum, out=log_sum)
    y -= log_sum
    return y


@register_fast(LogSoftmaxFunction)
class InPlaceLogSoftmax(LogSoftmaxFunction):
    """The reference's formulas; on the GPU, written into arrays it already has."""

    def forward(self, x):
        if isinstance(x, np.ndarray):
            return super().forward(x)
        self.y = log_softmax_in_place(x, self.axis)
        return self.y

    def backward(self, gy):
        if isinstance(gy, np.ndarray):
            return super().backward(gy)
        xp = get_array_module(gy)
        g = xp.exp(self.y)                                    # softmax
        g *= gy.sum(axis=self.axis, keepdims=True)
        xp.subtract(gy, g, out=g)                             # dx = gy - softmax * sum(gy)
        return (g,)


@functools.lru_cache(maxsize=64)
def _classes_then_ignored(xp, classes: int, ignore_index: int, dtype: str, device: int):
    """[0, 1, ..., classes - 1, ignore_index] on the current device (made once per device and dtype)."""
    numbers = np.append(np.arange(classes), ignore_index).astype(dtype)
    return xp.asarray(numbers)


def _lean(fn, array) -> bool:
    """Whether ``fn`` (NLL or cross-entropy) can take the lean GPU path for ``array``."""
    return (not isinstance(array, np.ndarray) and array.dtype in (np.float32, np.float64)   # (counts exact)
            and fn.weight is None and fn.reduction != "none"
            and array.ndim == 2 and fn.target.dtype.kind == "i" and not 0 <= fn.ignore_index < array.shape[1]
            and not getattr(fn, "label_smoothing", 0))


def _lean_nll_forward(fn, logp):
    """-sum of logp at the targets (divided by their count for 'mean'); NaN if a target is no class.

    Keeps ``fn.hit`` (the targets, as a boolean (N, C) table) and ``fn.target_grad``
    (dloss/dlogp at a target: -1/count, -1 for 'sum', NaN if a target is no class).
    """
    xp = get_array_module(logp)
    rows, classes = logp.shape
    numbers = _classes_then_ignored(xp, classes, fn.ignore_index, fn.target.dtype.str, logp.device.id)
    matches = fn.target[:, None] == numbers                  # (N, C + 1): a target's class, or ignored
    fn.hit = matches[:, :classes]
    total = xp.where(fn.hit, logp, 0).sum()
    with np.errstate(invalid="ignore", divide="ignore"):     # (NaN and inf on purpose; NumPy-backed CuPys warn)
        # every row matches once, unless its target is no class: then sqrt(matched - N) is NaN, else 0
        poison = matches.sum(dtype=logp.dtype) - rows
        xp.sqrt(poison, out=poison)
        if fn.reduction == "mean":
            fn.target_grad = xp.divide(-1, fn.hit.sum(dtype=logp.dtype))   # (-inf when every target is ignored)
            fn.target_grad += poison
        else:
            fn.target_grad = poison - 1
        return total * fn.target_grad                         # -total (/ count)


def _lean_nll_backward(fn, gy):
    xp = get_array_module(gy)
    with np.errstate(invalid="ignore"):
        return xp.where(fn.hit, gy * fn.target_grad, 0)      # d(-logp_t / count)/dlogp_t = -1 / count


@register_fast(NLLLossFunction)
class LeanNLLLoss(NLLLossFunction):
    """NLL with its targets found by one comparison on the GPU (see the module's docstring)."""

    def forward(self, logp):
        self.lean = _lean(self, logp)
        if not self.lean:
            return super().forward(logp)
        return _lean_nll_forward(self, logp)

    def backward(self, gy):
        if not self.lean:
            return super().backward(gy)
        return (_lean_nll_backward(self, gy),)


@register_fast(CrossEntropy)
class LeanCrossEntropy(CrossEntropy):
    """Cross-entropy as the lean log-softmax and NLL on the GPU (see the module's docstring)."""

    def forward(self, x):
        self.lean = _lean(self, x)
        if not self.lean:
            return super().forward(x)
        self.logp = log_softmax_in_place(x, 1)
        return _lean_nll_forward(self, self.logp)

    def backward(self, gy):
        if not self.lean:
            return super().backward(gy)
        xp = get_array_module(gy)
        g_nll = _lean_nll_backward(self, gy)                  # -scale at the targets
        g = xp.exp(self.logp)                                 # softmax
        g *= g_nll.sum(axis=1, keepdims=True)
        xp.subtract(g_nll, g, out=g)                          # dx = (onehot - softmax) * (-scale) per counted row
        return (g,)
