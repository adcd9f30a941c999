"""Loss layers (``loss_fn(input, target)``): ``NLLLoss``, ``CrossEntropyLoss``, ``MSELoss``, ``L1Loss``,
``SmoothL1Loss``, ``HuberLoss``, ``BCELoss``, ``BCEWithLogitsLoss``, ``KLDivLoss``."""
from __future__ import annotations

import warnings

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "KLDivLoss", "L1Loss", "MSELoss",
           "NLLLoss", "SmoothL1Loss"]


def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """Translate torch's deprecated ``size_average``/``reduce`` flags into a ``reduction`` string."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        reduction = "none"
    else:
        reduction = "mean" if size_average else "sum"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                  "instead.", stacklevel=3)
    return reduction


class _Loss(Module):
    """Base of the losses: holds ``reduction`` ('mean', 'sum' or 'none')."""

    _reductions = ("mean", "sum", "none")

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        if reduction not in self._reductions:
            raise ValueError(f"{reduction} is not a valid value for reduction "
                             f"(use {', '.join(repr(r) for r in self._reductions)})")
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with optional per-class weights, kept as a buffer (so it moves with ``.to`` and is saved)."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities (e.g. from ``LogSoftmax``).

    ``input`` is (N, C) (or (N, C, d1, ...)), ``target`` holds class indices
    in [0, C). Targets equal to ``ignore_index`` do not count; with ``weight``,
    'mean' divides by the summed weights of the counted targets, as torch does.
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None, ignore_index: int = -100,
                 reduce: bool | None = None, reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of ``input`` log-probabilities against ``target`` indices."""
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of class indices given raw scores (logits): ``NLLLoss(LogSoftmax(input))`` in one op.

    Same arguments as ``NLLLoss``, plus ``label_smoothing`` in [0, 1]: the target
    becomes (1 - eps) * onehot + eps / C. ``target`` may also hold class
    probabilities (a float tensor of the input's shape).
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None, ignore_index: int = -100,
                 reduce: bool | None = None, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of ``input`` logits against ``target`` indices."""
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class MSELoss(_Loss):
    """Mean squared error between ``input`` and ``target`` (same shapes)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """``mean((input - target) ** 2)`` (or the sum, or per element, by ``reduction``)."""
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ``mean(|input - target|)`` (or the sum, or per element, by ``reduction``)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The L1 loss of ``input`` against ``target``."""
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Squared error below ``beta``, absolute error above: 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The smooth L1 loss of ``input`` against ``target``."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta): ``delta`` times ``SmoothL1Loss(beta=delta)``."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The Huber loss of ``input`` against ``target``."""
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (e.g. after ``Sigmoid``): -w (y log x + (1 - y) log(1 - x)).

    ``input`` and ``target`` have the same shape, with values in [0, 1]; ``weight``
    (broadcast to the input) rescales each element. Each log is clamped to >= -100,
    as in torch, so a confident wrong answer costs 100, not infinity.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The binary cross-entropy of ``input`` probabilities against ``target``."""
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """``Sigmoid`` and ``BCELoss`` in one numerically stable op, on raw scores (logits).

    ``pos_weight`` (e.g. one entry per class, broadcast along the last dimension)
    weights the positive examples: > 1 raises recall, < 1 raises precision.
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", pos_weight: Tensor | None = None):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The binary cross-entropy of ``sigmoid(input)`` against ``target``."""
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence: target * (log target - input), with ``input`` in log-space.

    Use ``reduction='batchmean'`` for the true KL divergence (sum / batch size);
    the default 'mean' divides by every element and warns, as torch does.
    ``log_target=True`` takes the target as log-probabilities too.
    """

    _reductions = ("mean", "sum", "none", "batchmean")

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 log_target: bool = False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The KL divergence of ``target`` from the distribution whose log is ``input``."""
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
