"""Batch normalisation: ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``."""
from __future__ import annotations

import numpy as np

from ..._creation import ones, tensor, zeros
from ..._device import on_device_of
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _NormBase(Module):
    """The parameters and buffers of a batch norm layer, as torch's ``_NormBase``.

    ``weight`` (ones) and ``bias`` (zeros), shape (num_features,), when
    ``affine``; buffers ``running_mean`` (zeros), ``running_var`` (ones) and
    ``num_batches_tracked`` (int64 0) when ``track_running_stats`` (else they
    are None and the batch statistics are used in eval mode too).
    """

    def __init__(self, num_features: int, eps: float = 1e-05, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=np.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.array.fill(0)
            self.running_var.array.fill(1)
            self.num_batches_tracked.array.fill(0)

    def reset_parameters(self) -> None:
        """Reset the running statistics; weight to 1 and bias to 0, as torch."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        """Normalise with the batch statistics (training, updating the running ones) or the running ones (eval)."""
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with on_device_of(self.num_batches_tracked.array):     # (on its GPU: cuda:1 too)
                self.num_batches_tracked.array += 1
            if self.momentum is None:                     # cumulative moving average: the mean of all batches so far
                factor = 1.0 / float(self.num_batches_tracked.array)
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep_running = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep_running else None,
                            self.running_var if keep_running else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over a (N, C) or (N, C, L) input: each of the C features normalised over the batch.

    Training: y = (x - batch mean) / sqrt(batch var + eps) * weight + bias (biased
    variance), and running_mean / running_var (unbiased) move towards the batch
    statistics by ``momentum`` (``momentum=None``: their average over all batches).
    Eval (``model.eval()``): the running statistics are used instead.
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over a (N, C, H, W) input: each channel normalised over the batch and the positions.

    Training: y = (x - batch mean) / sqrt(batch var + eps) * weight + bias (biased
    variance), and running_mean / running_var (unbiased) move towards the batch
    statistics by ``momentum`` (``momentum=None``: their average over all batches).
    Eval (``model.eval()``): the running statistics are used instead.
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over a (N, C, D, H, W) input (as ``BatchNorm2d``, one more spatial dimension)."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 5:
            raise ValueError(f"expected 5D input (got {input.ndim}D input)")
