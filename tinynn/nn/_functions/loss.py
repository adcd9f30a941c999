"""Losses: NLL, cross-entropy (log-softmax and NLL fused, label smoothing, probability targets),
mean squared error, L1, smooth L1, Huber, binary cross-entropy (on probabilities and on logits), KL divergence."""
from __future__ import annotations

import numpy as np

from ..._device import get_array_module
from ...autograd.function import Function
from .activation import stable_log_softmax


def _reduce(per_sample, weights, reduction):
    """Apply torch's reduction: 'none', 'sum', or 'mean' (weighted by the targets' class weights)."""
    if reduction == "none":
        return per_sample
    if reduction == "sum":
        return per_sample.sum()
    with np.errstate(divide="ignore", invalid="ignore"):                  # no target counted: 0 / 0 = NaN, quietly
        return per_sample.sum() / weights.sum()


class NLLLossFunction(Function):
    """loss_n = -w[t_n] * logp[n, t_n]; input (N, C) with target (N,) (other layouts are reshaped)."""

    torch_name = "NllLossBackward0"             # (also cross_entropy's, as torch's)
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, target, weight, ignore_index, reduction):
        self.target, self.weight = target, weight
        self.ignore_index, self.reduction = ignore_index, reduction

    def _sample_weights(self, xp, dtype):
        t = self.target
        self.counted = keep = t != self.ignore_index
        safe = xp.where(keep, t, 0)
        w = (self.weight[safe] * keep).astype(dtype, copy=False) if self.weight is not None else keep.astype(dtype)
        if xp is not np:
            w = self._nan_where_out_of_range(xp, safe, w)
        return safe, w

    def _nan_where_out_of_range(self, xp, safe, w):
        """On the GPU, a sample whose target is no class gets weight NaN, so the loss is NaN.

        The CPU checks the targets before the loss (an IndexError); on the GPU
        that check would wait for the device, and CuPy's indexing wraps an out-
        of-range target around to some class: a plausible, wrong loss. NaN
        instead, with no wait, in two element-wise kernels: viewed as unsigned,
        a negative target is huge, so one comparison finds both kinds.
        """
        unsigned = safe.view(safe.dtype.str.replace("i", "u")) if safe.dtype.kind == "i" else safe
        return xp.where(unsigned < self.shape[1], w, xp.nan)

    def forward(self, logp):
        xp = get_array_module(logp)
        self.shape = logp.shape
        self.safe, self.w = self._sample_weights(xp, logp.dtype)
        picked = logp[xp.arange(len(self.safe)), self.safe]
        return _reduce(-picked * self.w, self.w, self.reduction)

    def _sample_scale(self, xp, gy):
        """dloss/dloss_n: gy ('none', 'sum') or gy / sum(w) ('mean'), and 0 for an ignored sample, even when
        every sample is ignored ('mean' is then 0 / 0 = NaN, but nothing is learnt from it: gradient 0, as torch)."""
        if self.reduction != "mean":
            return xp.where(self.counted, gy, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.where(self.counted, gy / self.w.sum(), 0)

    def backward(self, gy):
        xp = get_array_module(gy)
        scale = -self.w * self._sample_scale(xp, gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        gx[xp.arange(len(self.safe)), self.safe] = scale                    # d(-w logp_t)/dlogp_t = -w
        return (gx,)


class CrossEntropy(NLLLossFunction):
    """NLL of log_softmax(x), fused: the gradient is (softmax(x) - onehot(t)) * w.

    With ``label_smoothing`` = eps > 0 (torch's formula), each counted sample's loss is
    (1 - eps) * w[t] * (-logp[t]) + eps / C * sum_c w[c] * (-logp[c]); 'mean' divides
    by the same sum of w[t] over the counted targets as without smoothing.
    """

    def __init__(self, target, weight, ignore_index, reduction, label_smoothing=0.0):
        super().__init__(target, weight, ignore_index, reduction)
        self.label_smoothing = label_smoothing
        if label_smoothing:
            self.torch_name = "AddBackward0"            # torch adds the smoothing term to the NLL

    def forward(self, x):
        self.logp = stable_log_softmax(x, axis=1)
        if not self.label_smoothing:
            return super().forward(self.logp)
        return self._smoothed_forward(self.logp)

    def backward(self, gy):
        xp = get_array_module(gy)
        if self.label_smoothing:
            return self._smoothed_backward(xp, gy)
        (g_nll,) = super().backward(gy)                                      # -w * scale at the targets
        row_scale = -g_nll.sum(axis=1, keepdims=True)                        # w * scale for each row
        return (xp.exp(self.logp) * row_scale + g_nll,)                      # dx = w (softmax - onehot) * scale

    def _class_weights(self, xp, dtype):
        classes = self.shape[1]
        return xp.ones(classes, dtype) if self.weight is None else self.weight.astype(dtype, copy=False)

    def _smoothed_forward(self, logp):
        xp, eps = get_array_module(logp), self.label_smoothing
        self.shape = logp.shape
        self.safe, self.w = self._sample_weights(xp, logp.dtype)
        self.keep = (self.target != self.ignore_index).astype(logp.dtype)
        picked = logp[xp.arange(len(self.safe)), self.safe]
        smooth = -(logp @ self._class_weights(xp, logp.dtype))               # -sum_c w_c logp_c per row
        # each term reduced on its own, as torch: with a total weight of 0, 'mean' is 0/0 + x/0 = NaN, not inf
        nll = _reduce(-picked * self.w, self.w, self.reduction)
        uniform = _reduce(smooth * self.keep, self.w, self.reduction)
        return (1 - eps) * nll + (eps / self.shape[1]) * uniform

    def _smoothed_backward(self, xp, gy):
        eps, classes = self.label_smoothing, self.shape[1]
        scale = self._sample_scale(xp, gy)
        row = (self.keep * scale)[:, None]
        gx = (-eps / classes) * row * self._class_weights(xp, gy.dtype)      # d(eps/C sum -w_c logp_c)/dlogp_c
        gx[xp.arange(len(self.safe)), self.safe] += -(1 - eps) * self.w * scale  # d((1-eps)(-w_t logp_t))/dlogp_t
        row_scale = -gx.sum(axis=1, keepdims=True)
        gx += xp.exp(self.logp) * row_scale                                  # dlogp_c/dx_j = onehot_c(j) - softmax_j
        return (gx,)


class CrossEntropyProbs(Function):
    """Cross-entropy against class probabilities: loss_n = -sum_c w_c y_nc logp_nc; input and target (M, C).

    'mean' divides by M (the number of rows), whatever the weights, as torch does.
    """

    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, weight, reduction):
        self.weight, self.reduction = weight, reduction
        # torch's formula ends with -sum(...) per row, divided by the row count for 'mean'
        self.torch_name = "DivBackward1" if reduction == "mean" else "NegBackward0"

    def forward(self, x, y):
        self.logp = stable_log_softmax(x, axis=1)
        self.wy = y if self.weight is None else y * self.weight.astype(x.dtype, copy=False)
        per_sample = -(self.wy * self.logp).sum(axis=1)
        if self.reduction == "none":
            return per_sample
        return per_sample.sum() if self.reduction == "sum" else per_sample.sum() / per_sample.shape[0]

    def backward(self, gy):
        xp = get_array_module(gy)
        rows = self.logp.shape[0]
        scale = gy[:, None] if self.reduction == "none" else (gy / rows if self.reduction == "mean" else gy)
        gx = (xp.exp(self.logp) * self.wy.sum(axis=1, keepdims=True) - self.wy) * scale  # dx_j = p_j sum(w y) - w_j y_j
        gt = None
        if self.needs_grad(1):
            w = 1 if self.weight is None else self.weight.astype(gy.dtype, copy=False)
            gt = -w * self.logp * scale                                      # dloss/dy_c = -w_c logp_c
        return gx, gt


class MSELossFunction(Function):
    torch_name = "MseLossBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, x, y):
        self.diff = x - y
        squares = self.diff * self.diff
        if self.reduction == "none":
            return squares
        return squares.sum() if self.reduction == "sum" else squares.mean()

    def backward(self, gy):
        scale = 2 / self.diff.size if self.reduction == "mean" else 2
        g = gy * self.diff * self.diff.dtype.type(scale)                   # d(x-y)^2/dx = 2 (x - y)
        return g, -g


# ------------------------------------------------ elementwise losses: L1, smooth L1, Huber, BCE, KL divergence
def _reduce_elementwise(loss, reduction):
    """'none' keeps every element, 'sum' adds them, 'mean' averages them."""
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _reduction_grad(gy, reduction, size):
    """The gradient that reaches each element through the reduction: gy itself, or gy / size for 'mean'."""
    return gy / size if reduction == "mean" else gy


# torch's node for a loss it composes of other ops: the reduction's (or, for 'none', the last op's)
_COMPOSED_NAMES = {"mean": "MeanBackward0", "sum": "SumBackward0", "none": "AbsBackward0"}


class L1LossFunction(Function):
    """|x - y| elementwise, then reduced."""

    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, reduction):
        self.reduction = reduction
        self.torch_name = _COMPOSED_NAMES[reduction]    # torch composes |x - y| and the reduction

    def forward(self, x, y):
        xp = get_array_module(x)
        diff = x - y
        self.sign = xp.sign(diff)
        return _reduce_elementwise(xp.abs(diff), self.reduction)

    def backward(self, gy):
        g = _reduction_grad(gy, self.reduction, self.sign.size) * self.sign   # d|x-y|/dx = sign(x - y)
        return g, -g


class SmoothL1LossFunction(Function):
    """0.5 (x-y)^2 / beta where |x-y| < beta, else |x-y| - 0.5 beta (beta > 0), then reduced."""

    torch_name = "SmoothL1LossBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, beta, reduction):
        self.beta, self.reduction = beta, reduction

    def forward(self, x, y):
        xp, beta = get_array_module(x), self.beta
        self.diff = diff = x - y
        size = xp.abs(diff)
        loss = xp.where(size < beta, (0.5 / beta) * diff * diff, size - 0.5 * beta).astype(x.dtype, copy=False)
        return _reduce_elementwise(loss, self.reduction)

    def backward(self, gy):
        xp = get_array_module(gy)
        slope = xp.clip(self.diff / self.beta, -1, 1)                        # d/dx = (x-y)/beta inside, sign outside
        g = _reduction_grad(gy, self.reduction, self.diff.size) * slope
        return g, -g


class HuberLossFunction(Function):
    """0.5 (x-y)^2 where |x-y| < delta, else delta (|x-y| - 0.5 delta), then reduced."""

    torch_name = "HuberLossBackward0"
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def __init__(self, delta, reduction):
        self.delta, self.reduction = delta, reduction

    def forward(self, x, y):
        xp, delta = get_array_module(x), self.delta
        self.diff = diff = x - y
        size = xp.abs(diff)
        loss = xp.where(size < delta, 0.5 * diff * diff, delta * (size - 0.5 * delta)).astype(x.dtype, copy=False)
        return _reduce_elementwise(loss, self.reduction)

    def backward(self, gy):
        xp = get_array_module(gy)
        slope = xp.clip(self.diff, -self.delta, self.delta)                  # d/dx = x-y inside, delta sign outside
        g = _reduction_grad(gy, self.reduction, self.diff.size) * slope
        return g, -g


class BinaryCrossEntropy(Function):
    """-w (y log x + (1 - y) log(1 - x)) on probabilities x, each log clamped to >= -100 as in torch."""

    saves_output = False                        # backward reads the inputs, not the output

    def __init__(self, weight, reduction):
        self.weight, self.reduction = weight, reduction

    def forward(self, x, y):
        xp = get_array_module(x)
        self.x, self.y = x, y
        with np.errstate(divide="ignore"):                                   # log(0) = -inf, then clamped
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        loss = -(y * log_x + (1 - y) * log_1mx)
        if self.weight is not None:
            loss = loss * self.weight
        return _reduce_elementwise(loss.astype(x.dtype, copy=False), self.reduction)

    def backward(self, gy):
        xp = get_array_module(gy)
        x, y = self.x, self.y
        scale = _reduction_grad(gy, self.reduction, x.size)
        if self.weight is not None:
            scale = scale * self.weight
        gx = scale * (x - y) / xp.maximum(x * (1 - x), 1e-12)               # d/dx = (x - y) / (x (1 - x))
        gt = None
        if self.needs_grad(1):
            with np.errstate(divide="ignore"):
                gt = scale * (xp.log1p(-x) - xp.log(x))                      # d/dy = log(1 - x) - log(x)
        return gx.astype(x.dtype, copy=False), gt


class BinaryCrossEntropyWithLogits(Function):
    """w ((1 - y) x + (1 + (pw - 1) y) softplus(-x)): BCE of sigmoid(x), stable for any logit.

    softplus(-x) = -log(sigmoid(x)) = log(1 + e^-|x|) + max(-x, 0) never overflows.
    """

    saves_output = False                        # backward reads the inputs, not the output

    def __init__(self, weight, pos_weight, reduction):
        self.weight, self.pos_weight, self.reduction = weight, pos_weight, reduction

    def forward(self, x, y):
        xp = get_array_module(x)
        self.x, self.y = x, y
        self.softplus_neg = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)
        if self.pos_weight is None:
            loss = (1 - y) * x + self.softplus_neg
        else:
            loss = (1 - y) * x + (1 + (self.pos_weight - 1) * y) * self.softplus_neg
        if self.weight is not None:
            loss = loss * self.weight
        return _reduce_elementwise(loss.astype(x.dtype, copy=False), self.reduction)

    def backward(self, gy):
        xp = get_array_module(gy)
        x, y = self.x, self.y
        scale = _reduction_grad(gy, self.reduction, x.size)
        if self.weight is not None:
            scale = scale * self.weight
        sig_neg = xp.exp(-self.softplus_neg)                                 # sigmoid(x) = e^(-softplus(-x))
        if self.pos_weight is None:
            gx = scale * (sig_neg - y)                                       # d/dx = sigmoid(x) - y
        else:
            log_weight = 1 + (self.pos_weight - 1) * y
            gx = scale * ((1 - y) - log_weight * (1 - sig_neg))              # d/dx = (1 - y) - lw sigmoid(-x)
        gt = None
        if self.needs_grad(1):
            if self.pos_weight is None:
                gt = scale * -x                                              # d/dy = -x
            else:
                gt = scale * (-x + (self.pos_weight - 1) * self.softplus_neg)  # d/dy = -x + (pw - 1) softplus(-x)
        return gx.astype(x.dtype, copy=False), gt


class KLDiv(Function):
    """Pointwise KL divergence y (log y - x) for log-probabilities x (e^y (y - x) when y is a log too).

    0 log 0 counts as 0; reduced by 'none', 'sum' or 'mean' ('batchmean' is 'sum' / N, in the functional form).
    """

    saves_output = False                        # backward reads the inputs, not the output

    def __init__(self, reduction, log_target):
        self.reduction, self.log_target = reduction, log_target
        if reduction == "none":                         # torch: target * (log target - input), or with log_target
            self.torch_name = "MulBackward0" if log_target else "SubBackward0"   # exp(target) * (target - input)
        else:
            self.torch_name = _COMPOSED_NAMES[reduction]

    def forward(self, x, y):
        xp = get_array_module(x)
        self.x, self.y = x, y
        if self.log_target:
            self.p = xp.exp(y)
            loss = self.p * (y - x)
        else:
            positive = y > 0
            y_log_y = xp.where(positive, y * xp.log(xp.where(positive, y, 1)), xp.where(y == 0, 0, xp.nan))
            loss = y_log_y - y * x
        return _reduce_elementwise(loss.astype(x.dtype, copy=False), self.reduction)

    def backward(self, gy):
        xp = get_array_module(gy)
        scale = _reduction_grad(gy, self.reduction, self.x.size)
        target = self.p if self.log_target else self.y
        gx = -scale * target                                                 # d/dx = -y (-e^y for a log target)
        gt = None
        if self.needs_grad(1):
            if self.log_target:
                gt = scale * self.p * (self.y - self.x + 1)                  # d/dy = e^y (y - x + 1)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    gt = scale * (xp.log(self.y) + 1 - self.x)               # d/dy = log y + 1 - x
        return gx, gt
