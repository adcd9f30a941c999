"""``tinynn.nn.functional``: layers and losses as functions, with torch's signatures.

Each function checks its arguments (errors name the shapes involved) and hands
the arithmetic to a Function in ``tinynn/nn/_functions``, where the forward
and backward formulas sit side by side.
"""
from __future__ import annotations


import math
import warnings

import numpy as np

from .._device import cuda_index_of, get_array_module, mixed_devices_error, on_device_of, on_tensors_device, to_device
from .._ops import inplace_apply
from .._ops import relu as _relu
from .._ops import sigmoid, tanh  # noqa: F401  (re-exported, as torch.nn.functional does)
from .._ops.reduction import _axes
from .._ops.shape import Reshape
from .._tensor import Tensor
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.version import bump_version
from ..random import get_rng
from ._functions.activation import LogSoftmaxFunction, SoftmaxFunction
from ._functions.activation import (ELUFunction, GELUFunction, HardsigmoidFunction, HardswishFunction,
                                    HardtanhFunction, LeakyReLUFunction, LogSigmoidFunction, MishFunction,
                                    PReLUFunction, SiLUFunction, SoftplusFunction, SoftsignFunction)
from ._functions.adaptive_pool import AdaptiveAvgPool2dFunction, AdaptiveMaxPool2dFunction
from ._functions.embedding import EmbeddingFunction
from ._functions.normalization import BatchNormFixedStats, BatchNormFunction, LayerNormFunction
from ._functions.conv import Conv2dFunction
from ._functions.dropout import DropoutFunction
from ._functions.linear import LINEAR_NAMES, LinearFunction
from ._functions.loss import (BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy, CrossEntropyProbs,
                              HuberLossFunction, KLDiv, L1LossFunction, MSELossFunction, NLLLossFunction,
                              SmoothL1LossFunction)
from ._functions.pooling import AvgPool2dFunction, MaxPool2dFunction

__all__ = ["avg_pool2d", "conv2d", "cross_entropy", "dropout", "linear", "log_softmax", "max_pool2d",
           "mse_loss", "nll_loss", "relu", "sigmoid", "softmax", "tanh"]
__all__ += ["binary_cross_entropy", "binary_cross_entropy_with_logits", "huber_loss", "kl_div", "l1_loss",
            "smooth_l1_loss"]   # losses (regression, binary, KL)
__all__ += ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "avg_pool1d",
            "batch_norm", "celu", "conv1d", "dropout1d", "dropout2d", "dropout3d", "elu", "embedding", "gelu",
            "hardsigmoid", "hardswish", "hardtanh", "layer_norm", "leaky_relu", "logsigmoid", "max_pool1d", "mish",
            "prelu", "relu6", "selu", "silu", "softmin", "softplus", "softsign", "tanhshrink"]   # layers, activations


def _shape_str(shape) -> str:
    return "x".join(str(s) for s in shape) or "scalar"


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, with W of shape (out_features, in_features)."""
    if input.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are 0D and {weight.ndim}D")
    if input.array.shape[-1] != weight.array.shape[-1]:   # torch's text: the input as a matrix of rows of features
        rows = math.prod(input.shape[:-1])
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    node = LinearFunction().named(LINEAR_NAMES[min(input.ndim, 3), bias is not None])
    return node(input, weight) if bias is None else node(input, weight, bias)


# ------------------------------------------------------------------ activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise; ``inplace=True`` writes the result into ``input`` (see ``ops.inplace_apply``)."""
    return inplace_apply(input, _relu) if inplace else _relu(input)


def relu_(input: Tensor) -> Tensor:
    """``relu(input, inplace=True)``."""
    return inplace_apply(input, _relu)


def _dim(input: Tensor, dim) -> int:
    if dim is None:   # torch's legacy implicit choice
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return _axes(dim, input.ndim)[0] if input.ndim else 0


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``, computed with the maximum subtracted."""
    if dtype is not None:
        input = input.to(dtype)
    return SoftmaxFunction(_dim(input, dim))(input)


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, as (x - max) - log(sum(exp(x - max))): finite for any logits."""
    if dtype is not None:
        input = input.to(dtype)
    return LogSoftmaxFunction(_dim(input, dim))(input)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the others by 1/(1-p) (identity when not training)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    keep = get_rng().random(input.shape, dtype=np.float32) >= p     # (drawn on the host: a seed reproduces it anywhere)
    if input.is_cuda:
        keep = to_device(keep, input.device)                         # one copy of the mask to the GPU
    fn = DropoutFunction(keep, 1.0 / (1.0 - p))
    if input.is_cuda:
        fn.named("NativeDropoutBackward0")                           # torch's fused GPU dropout (the CPU's multiplies)
    return inplace_apply(input, fn) if inplace else fn(input)


# ------------------------------------------------------------- convolution
def _pair(value, name: str) -> tuple:
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return value


def _out_size(size, kernel, stride, pad_total, dilation) -> int:
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def _check_4d(input: Tensor, name: str):
    if input.ndim != 4:
        raise RuntimeError(f"{name}: expected a 4-D input (batch, channels, height, width), "
                           f"got shape {tuple(input.shape)}; add a batch dimension with x.unsqueeze(0)")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of (N, C, H, W) input with (O, C/groups, KH, KW) weight.

    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (output as
    large as the input; stride must be 1; odd extra padding goes right/bottom,
    as in torch).
    """
    _check_4d(input, "conv2d")
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: weight must be 4-D (out, in/groups, kH, kW), got {tuple(weight.shape)}")
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    n, c, h, w = input.shape
    o, cg, kh, kw = weight.shape
    if groups < 1 or c % groups or o % groups:
        raise RuntimeError(f"conv2d: groups={groups} must divide both in_channels={c} and out_channels={o}")
    if cg * groups != c:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(input.shape)} "
            f"to have {cg * groups} channels, but got {c} channels instead")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"conv2d: bias must have shape ({o},), got {tuple(bias.shape)}")
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
            th, tw = dilation[0] * (kh - 1), dilation[1] * (kw - 1)
            pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        else:
            raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    else:
        ph, pw = _pair(padding, "padding")
        pads = (ph, ph, pw, pw)
    oh = _out_size(h, kh, stride[0], pads[0] + pads[1], dilation[0])
    ow = _out_size(w, kw, stride[1], pads[2] + pads[3], dilation[1])
    if oh <= 0 or ow <= 0:
        raise RuntimeError(
            f"conv2d: calculated output size ({oh}x{ow}) is too small: input {h}x{w} with padding "
            f"{pads}, kernel {kh}x{kw}, dilation {dilation}")
    fn = Conv2dFunction(stride, pads, dilation, groups, (oh, ow))
    return fn(input, weight) if bias is None else fn(input, weight, bias)


def _pool_geometry(input, kernel_size, stride, padding, dilation, name):
    _check_4d(input, name)
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    dilation = _pair(dilation, "dilation")
    if ph > kernel[0] // 2 or pw > kernel[1] // 2:
        raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but got "
                           f"pad={(ph, pw)} and kernel_size={kernel}")
    h, w = input.shape[2:]
    oh = _out_size(h, kernel[0], stride[0], 2 * ph, dilation[0])
    ow = _out_size(w, kernel[1], stride[1], 2 * pw, dilation[1])
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"{name}: output size is too small ({oh}x{ow}) for input {h}x{w} and kernel {kernel}")
    return kernel, stride, (ph, ph, pw, pw), dilation, (oh, ow)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """The maximum of each (strided) window; ``stride`` defaults to ``kernel_size``."""
    if ceil_mode or return_indices:
        raise NotImplementedError("max_pool2d: ceil_mode and return_indices are not supported by tinynn")
    kernel, stride, pads, dilation, out_hw = _pool_geometry(input, kernel_size, stride, padding, dilation,
                                                            "max_pool2d")
    return MaxPool2dFunction(kernel, stride, pads, dilation, out_hw)(input)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """The mean of each window (zero padding counted, as torch's default)."""
    if ceil_mode or not count_include_pad:
        raise NotImplementedError("avg_pool2d: ceil_mode and count_include_pad=False are not supported by tinynn")
    kernel, stride, pads, _, out_hw = _pool_geometry(input, kernel_size, stride, padding, 1, "avg_pool2d")
    return AvgPool2dFunction(kernel, stride, pads, out_hw, divisor_override or kernel[0] * kernel[1])(input)


# ============================================ normalisation, embedding, more pooling, conv1d, activations
# ---------------------------------------------------------- channel dropout
def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, batched: bool = True) -> Tensor:
    """Zero whole channels: one draw per (sample, channel) of an (N, C, ...) input (per channel of an
    unbatched (C, ...) one), the kept ones scaled by 1/(1-p)."""
    if not training or p == 0:
        return input
    lead = 2 if batched else 1
    mask_shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    keep = get_rng().random(mask_shape, dtype=np.float32) >= p     # (drawn on the host: a seed reproduces it anywhere)
    if input.is_cuda:
        keep = to_device(keep, input.device)
    fn = DropoutFunction(keep, 0.0 if p == 1 else 1.0 / (1.0 - p))
    return inplace_apply(input, fn) if inplace else fn(input)


def _check_dropout_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of a (N, C, L) or (C, L) input with probability ``p`` (scale the rest by 1/(1-p))."""
    _check_dropout_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that dropout1d exists "
            "to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an "
            "optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, batched=input.ndim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels (2-D feature maps) of a (N, C, H, W) input with probability ``p``.

    As torch: any other number of dimensions warns (the mask is still drawn per
    (dim 0, dim 1) pair), and a 3-D input is taken as (N, C, L), with a warning.
    """
    _check_dropout_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will result in an "
            "error in a future release. To retain the behavior and silence this warning, please use dropout "
            "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
            "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d "
            "instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels (3-D feature maps) of a (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    _check_dropout_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and will result in an "
            "error in a future release. To retain the behavior and silence this warning, please use dropout "
            "instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial "
            "dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, batched=input.ndim == 5)


# ------------------------------------------------------------ normalisation
def _verify_batch_size(shape) -> None:
    values = shape[0]
    for size in shape[2:]:
        values *= size
    if values == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(shape)}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    """Normalise each channel (dim 1) of an (N, C, ...) input, then ``weight * x_hat + bias``.

    ``training=True``: with the batch's mean and biased variance, and (when
    given) ``running_mean`` / ``running_var`` updated in place:
    ``running = (1 - momentum) * running + momentum * batch_stat``, the
    variance unbiased (times M/(M-1), M values per channel).
    ``training=False``: with ``running_mean`` and ``running_var``.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, ...) with at least 2 dimensions, "
                         f"got size {list(input.shape)}")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    if training:
        _verify_batch_size(input.shape)
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if weight is not None and weight.ndim != 1:
        weight = weight.reshape(channels)
    if bias is not None and bias.ndim != 1:
        bias = bias.reshape(channels)
    if not training:
        for name, t in (("running_mean", running_mean), ("running_var", running_var)):
            if t is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
        with on_device_of(input.array):                  # (the constructor computes 1 / sqrt(var + eps))
            fn = BatchNormFixedStats(running_mean.array.reshape(-1), running_var.array.reshape(-1), eps)
        return fn(input, weight, bias)
    fn = BatchNormFunction(eps)
    output = fn(input, weight, bias)
    with on_device_of(input.array):
        if running_mean is not None:                     # running = (1 - momentum) running + momentum batch
            stat = running_mean.array.reshape(-1)
            stat *= 1 - momentum
            stat += (momentum * fn.mean).astype(stat.dtype, copy=False)
        if running_var is not None:                      # (with the unbiased variance)
            stat = running_var.array.reshape(-1)
            stat *= 1 - momentum
            stat += (momentum * fn.count / (fn.count - 1) * fn.var).astype(stat.dtype, copy=False)
    return output


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-05) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions (mean 0, biased variance 1), then
    ``weight * x_hat + bias``."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if len(shape) == 0 or input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in shape)}], but got input of size{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(shape)}")
    return LayerNormFunction(int(np.prod(shape)), eps)(input, weight, bias)


# ----------------------------------------------------------------- embedding
def _embedding_padding_idx(padding_idx: int | None, num_embeddings: int) -> int | None:
    """``padding_idx`` checked and made non-negative (None stays None), as torch."""
    if padding_idx is None:
        return None
    if padding_idx >= num_embeddings or padding_idx < -num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


@on_tensors_device
def _embedding_renorm_(weight: Tensor, indices, max_norm: float, norm_type: float) -> None:
    """Rescale, in place and outside the graph, each used row whose ``norm_type``-norm exceeds ``max_norm``."""
    xp = get_array_module(weight.array)
    rows = xp.unique(indices)
    sub = weight.array[rows]
    norms = (xp.abs(sub) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(sub.dtype)
    weight.array[rows] = sub * scale[:, None]
    bump_version(weight.array)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integers in ``input``: shape
    ``(*input.shape, embedding_dim)``.

    The row at ``padding_idx`` gets no gradient; ``max_norm`` renormalises the
    rows used, in place (as torch); ``scale_grad_by_freq`` divides each row's
    gradient by how often it occurs in the batch.
    """
    if not isinstance(input, Tensor) or input.dtype.kind not in "iu":
        got = f"{input.type()}" if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {got} instead (while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape "
                           f"{list(weight.shape)}")
    if sparse:
        raise NotImplementedError("embedding: sparse=True (sparse gradients) is not supported by tinynn; "
                                  "use sparse=False (a dense gradient)")
    num_embeddings = weight.shape[0]
    padding_idx = _embedding_padding_idx(padding_idx, num_embeddings)
    indices = input.array
    if isinstance(indices, np.ndarray) and indices.size:     # (checked on the host only: no GPU sync)
        low, high = int(indices.min()), int(indices.max())
        if low < 0 or high >= num_embeddings:
            raise IndexError(f"index out of range in self: embedding indices must be in 0..{num_embeddings - 1}, "
                             f"got {low if low < 0 else high}")
    if max_norm is not None:
        _embedding_renorm_(weight, indices, max_norm, norm_type)
    return EmbeddingFunction(indices, padding_idx, scale_grad_by_freq)(weight)


# ------------------------------------------------------- 1-D convolution and pooling
def _single(value, name: str) -> int:
    """``3`` or ``(3,)`` -> ``3``."""
    if isinstance(value, int):
        return value
    value = tuple(value)
    if len(value) != 1 or not isinstance(value[0], int):
        raise ValueError(f"{name} must be an int or a 1-tuple of ints, got {value!r}")
    return value[0]


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D cross-correlation of (N, C, L) (or (C, L)) input with (O, C/groups, K) weight.

    Runs as ``conv2d`` on a height-1 image (``unsqueeze(2)``), so it shares the
    2-D fast paths. ``padding``: an int, ``'valid'`` or ``'same'``.
    """
    if input.ndim not in (2, 3):
        raise RuntimeError("Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
                           f"{list(input.shape)}")
    if weight.ndim != 3:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
                           f"{list(weight.shape)}, but got 3-dimensional input of size {list(input.shape)} instead")
    batched = input.ndim == 3
    x = input if batched else input.unsqueeze(0)
    if weight.shape[1] * groups != x.shape[1]:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(x.shape)} to have {weight.shape[1] * groups} channels, but got {x.shape[1]} "
                           "channels instead")
    stride, dilation = _single(stride, "stride"), _single(dilation, "dilation")
    if not isinstance(padding, str):
        padding = _single(padding, "padding")
        length, kernel = x.shape[2], weight.shape[2]
        if _out_size(length, kernel, stride, 2 * padding, dilation) <= 0:
            raise RuntimeError(f"conv1d: calculated output size is too small: input length {length} with "
                               f"padding {padding}, kernel size {kernel} and dilation {dilation}")
        padding = (0, padding)
    out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride), padding, (1, dilation), groups)
    out = Reshape(out.shape[:2] + out.shape[3:]).named("ConvolutionBackward0")(out)   # (torch's one conv node)
    return out if batched else out.squeeze(0)


def _pool1d_input(input: Tensor):
    """(N, C, L) -> (N, C, 1, L) for the 2-D pooling, and whether to drop an added batch dim after."""
    batched = input.ndim == 3
    x = input if batched else input.unsqueeze(0)
    return x.unsqueeze(2), batched


def _pool1d_output(out: Tensor, batched: bool) -> Tensor:
    out = out.squeeze(2)
    return out if batched else out.squeeze(0)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """The maximum of each (strided) window of a (N, C, L) or (C, L) input; ``stride`` defaults to ``kernel_size``."""
    if input.ndim not in (2, 3):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(input.shape)}")
    kernel = _single(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] else _single(stride, "stride")
    padding, dilation = _single(padding, "padding"), _single(dilation, "dilation")
    if 2 * padding > kernel:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={padding} and kernel_size={kernel}")
    length = _out_size(input.shape[-1], kernel, stride, 2 * padding, dilation)
    if length <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {length}")
    x, batched = _pool1d_input(input)
    out = max_pool2d(x, (1, kernel), (1, stride), (0, padding), (1, dilation), ceil_mode, return_indices)
    return _pool1d_output(out, batched)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """The mean of each (strided) window of a (N, C, L) or (C, L) input (zero padding counted, as torch's default)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for avg_pool1d)")
    kernel = _single(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] else _single(stride, "stride")
    padding = _single(padding, "padding")
    if 2 * padding > kernel:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={padding}, "
                           f"kernel_size={kernel} and dilation=1")
    length = _out_size(input.shape[-1], kernel, stride, 2 * padding, 1)
    if length <= 0:
        c = input.shape[-2]
        raise RuntimeError(f"Given input size: ({c}x1x{input.shape[-1]}). Calculated output size: "
                           f"({c}x1x{length}). Output size is too small")
    x, batched = _pool1d_input(input)
    out = avg_pool2d(x, (1, kernel), (1, stride), (0, padding), ceil_mode, count_include_pad)
    return _pool1d_output(out, batched)


# ----------------------------------------------------------- adaptive pooling
def _adaptive_output_size(output_size, input_hw, name: str) -> tuple:
    """An int or a pair (entries may be None: keep the input's size) -> (OH, OW)."""
    if isinstance(output_size, int):
        return (output_size, output_size)
    output_size = tuple(output_size)
    if len(output_size) != 2:
        raise RuntimeError(f"{name}: output_size must be 2")
    return tuple(size if out is None else int(out) for out, size in zip(output_size, input_hw))


def _adaptive_pool2d(input: Tensor, output_size, name: str, function):
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    out_hw = _adaptive_output_size(output_size, input.shape[-2:], name)
    if any(s < 0 for s in out_hw):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{out_hw[0]}, {out_hw[1]}}}")
    batched = input.ndim == 4
    fn = function(out_hw)
    out = fn(input if batched else input.unsqueeze(0))
    return (out if batched else out.squeeze(0)), fn, batched


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average-pool (N, C, H, W) (or (C, H, W)) to ``output_size`` (an int, or a pair whose entries may be None).

    Output row i averages input rows floor(i*H/OH) .. ceil((i+1)*H/OH) - 1, as torch (the same for columns).
    """
    return _adaptive_pool2d(input, output_size, "adaptive_avg_pool2d", AdaptiveAvgPool2dFunction)[0]


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max-pool to ``output_size`` over torch's adaptive windows; ``return_indices`` also gives each maximum's
    position in the flattened H*W plane (int64)."""
    out, fn, batched = _adaptive_pool2d(input, output_size, "adaptive_max_pool2d", AdaptiveMaxPool2dFunction)
    if not return_indices:
        return out
    indices = Tensor._wrap(fn.indices if batched else fn.indices[0])
    return out, indices


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average-pool (N, C, L) (or (C, L)) to length ``output_size``, over torch's adaptive windows."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got {list(input.shape)}")
    x, batched = _pool1d_input(input)
    return _pool1d_output(adaptive_avg_pool2d(x, (1, _single(output_size, "output_size"))), batched)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max-pool (N, C, L) (or (C, L)) to length ``output_size``, over torch's adaptive windows."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got {list(input.shape)}")
    x, batched = _pool1d_input(input)
    result = adaptive_max_pool2d(x, (1, _single(output_size, "output_size")), return_indices)
    if not return_indices:
        return _pool1d_output(result, batched)
    return _pool1d_output(result[0], batched), _pool1d_output(result[1], batched)


# ----------------------------------------------------- pointwise activations
def _pointwise(function, input: Tensor, inplace: bool = False) -> Tensor:
    """``function(input)``, or with ``inplace=True`` the same values written into ``input`` (see ``ops.inplace_apply``)."""
    return inplace_apply(input, function) if inplace else function(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    return _pointwise(LeakyReLUFunction(negative_slope), input, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _pointwise(ELUFunction(alpha), input, inplace)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with torch's (self-normalising) constants alpha = 1.6733, scale = 1.0507."""
    return _pointwise(ELUFunction(_SELU_ALPHA, _SELU_SCALE), input, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x / alpha) - 1)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _pointwise(ELUFunction(alpha, 1.0, 1.0 / alpha).named("CeluBackward0"), input, inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Phi the standard normal CDF, via erf); ``approximate='tanh'``: torch's tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return GELUFunction(approximate)(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return _pointwise(SiLUFunction(), input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    return SoftplusFunction(beta, threshold)(input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val] (gradient 1 strictly inside, 0 outside)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _pointwise(HardtanhFunction(min_val, max_val), input, inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return SoftsignFunction()(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return _pointwise(HardswishFunction(), input, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _pointwise(HardsigmoidFunction(), input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _pointwise(MishFunction(), input, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), computed without overflow."""
    return LogSigmoidFunction()(input)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - tanh(input)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    return softmax(-input, dim, dtype)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else weight * x, ``weight`` holding 1 slope or one per channel (dim 1)."""
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    return PReLUFunction()(input, weight)


# ------------------------------------------------------------------- losses
_REDUCTIONS = ("none", "mean", "sum")


def _class_targets(input: Tensor, target: Tensor, weight, ignore_index: int, reduction: str, name: str):
    """Check a classification loss's arguments; return (input as (M, C), target as (M,), output shape)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not isinstance(target, Tensor) or target.dtype.kind not in "iu":
        got = target.dtype if isinstance(target, Tensor) else type(target).__name__
        raise RuntimeError(f"{name}: expected target of class indices with dtype int64, got {got}")
    unbatched = input.ndim == 1             # (C,) with a 0-d target: 'none' gives a 0-d loss, as torch
    if unbatched:
        input, target = input.unsqueeze(0), target.reshape(1) if target.ndim == 0 else target
    if input.ndim < 2:
        raise ValueError(f"{name}: expected input of shape (N, C) or (N, C, d1, ...), got {tuple(input.shape)}")
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(f"{name}: expected target of shape {expected} for input of shape "
                         f"{tuple(input.shape)}, got {tuple(target.shape)}")
    classes = input.shape[1]
    if weight is not None and tuple(weight.shape) != (classes,):
        raise RuntimeError(f"{name}: weight must have one entry per class ({classes}), got shape {tuple(weight.shape)}")
    for other in (target, weight):
        if other is not None and cuda_index_of(other.array) != cuda_index_of(input.array):
            raise mixed_devices_error(input.device, other.device)
    t = target.array
    if type(t).__module__.startswith("numpy") and t.size:   # (checked on the host only: no GPU sync)
        bad = t[(t != ignore_index) & ((t < 0) | (t >= classes))]
        if bad.size:
            raise IndexError(f"Target {int(bad[0])} is out of bounds: {name} got {classes} classes "
                             f"(valid targets are 0..{classes - 1})")
    if input.ndim > 2:                      # (N, C, d1, ...) -> (N*d1*..., C)
        out_shape = expected
        input = input.permute(0, *range(2, input.ndim), 1).reshape(-1, classes)
        target = target.reshape(-1)
    else:
        out_shape = () if unbatched else None
    return input, target, out_shape


def _finish(loss: Tensor, out_shape, reduction) -> Tensor:
    return loss.reshape(out_shape) if out_shape is not None and reduction == "none" else loss


def _legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """torch's deprecated ``size_average``/``reduce`` flags, when given, decide the reduction (with torch's warning)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=3)
    return reduction


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -input[n, target[n]] (weighted, averaged over non-ignored targets)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target, out_shape = _class_targets(input, target, weight, ignore_index, reduction, "nll_loss")
    fn = NLLLossFunction(target.array, None if weight is None else weight.array, ignore_index, reduction)
    return _finish(fn(input), out_shape, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """nll_loss(log_softmax(input, 1), target), fused into one stable op.

    ``target`` holds class indices, or class probabilities (a float tensor of
    the input's shape). ``label_smoothing`` = eps mixes the target with the
    uniform distribution: (1 - eps) * loss + eps / C * sum_c w_c * (-log p_c).
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if isinstance(target, Tensor) and target.dtype.kind == "f" and tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing)
    input, target, out_shape = _class_targets(input, target, weight, ignore_index, reduction, "cross_entropy")
    fn = CrossEntropy(target.array, None if weight is None else weight.array, ignore_index, reduction,
                      label_smoothing)
    return _finish(fn(input), out_shape, reduction)


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing) -> Tensor:
    """cross_entropy with a target of class probabilities: -sum_c w_c y_c log p_c per sample."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if ignore_index != -100:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if input.ndim == 0:
        raise ValueError("cross_entropy: expected input of shape (C,), (N, C) or (N, C, d1, ...), got a scalar")
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    if weight is not None and tuple(weight.shape) != (classes,):
        raise RuntimeError(f"cross_entropy: weight must have one entry per class ({classes}), "
                           f"got shape {tuple(weight.shape)}")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    out_shape = None
    if input.ndim == 1:
        input, target, out_shape = input.unsqueeze(0), target.unsqueeze(0), ()
    elif input.ndim > 2:                    # (N, C, d1, ...) -> (N*d1*..., C)
        out_shape = (input.shape[0],) + tuple(input.shape[2:])
        order = (0, *range(2, input.ndim), 1)
        input, target = input.permute(*order).reshape(-1, classes), target.permute(*order).reshape(-1, classes)
    fn = CrossEntropyProbs(None if weight is None else weight.array, reduction)
    return _finish(fn(input, target), out_shape, reduction)


def _broadcast_with_warning(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """torch's regression losses: warn when the sizes differ, then broadcast input and target together."""
    if tuple(input.shape) == tuple(target.shape):
        return input, target
    warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                  f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                  "Please ensure they have the same size.", stacklevel=3)
    return _broadcast_pair(input, target)


def _broadcast_pair(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    try:
        shape = np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise RuntimeError(f"The size of target {tuple(target.shape)} cannot be broadcast with the size of "
                           f"input {tuple(input.shape)}") from None
    return input.expand(*shape), target.expand(*shape)


def _weighted_elementwise(loss: Tensor, weight: Tensor, input: Tensor, reduction: str, mean_over_weights: bool):
    """torch 2's ``weight`` argument of l1/mse/huber: the per-element loss times ``weight``, then reduced.

    'mean' is sum(w * loss) / sum(w) for l1 and mse, but the plain mean of w * loss for huber (as torch).
    """
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    weighted = loss * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / weight.sum() if mean_over_weights else weighted.mean()


def _check_reduction(reduction: str, allowed=_REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean (or sum) of squared differences; with ``weight`` (input's shape), 'mean' is sum(w d^2) / sum(w)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input, target = _broadcast_with_warning(input, target)
    if weight is not None:
        return _weighted_elementwise(MSELossFunction("none")(input, target), weight, input, reduction, True)
    return MSELossFunction(reduction)(input, target)


# ---------------------------------------------- losses: L1, smooth L1, Huber, binary cross-entropy, KL divergence
def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean (or sum) of absolute differences |input - target|; with ``weight``, 'mean' is sum(w |d|) / sum(w)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input, target = _broadcast_with_warning(input, target)
    if weight is not None:
        return _weighted_elementwise(L1LossFunction("none")(input, target), weight, input, reduction, True)
    return L1LossFunction(reduction)(input, target)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, with d = input - target (L1 when beta = 0)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _broadcast_with_warning(input, target)
    if beta == 0:
        return L1LossFunction(reduction)(input, target)
    return SmoothL1LossFunction(float(beta), reduction)(input, target)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): ``delta`` times smooth_l1_loss(beta=delta)."""
    _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input, target = _broadcast_with_warning(input, target)
    if weight is not None:
        return _weighted_elementwise(HuberLossFunction(float(delta), "none")(input, target), weight, input, reduction,
                                     False)
    return HuberLossFunction(float(delta), reduction)(input, target)


def _constant_operand(tensor: Tensor | None, input: Tensor, name: str, fn_name: str):
    """A weight tensor as an array the loss treats as a constant: on input's device, in input's dtype,
    broadcastable to input's shape (torch does not differentiate these losses with respect to it either)."""
    if tensor is None:
        return None
    if tensor.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{fn_name}' is not differentiable with respect to argument '{name}'. "
                           "This input cannot have requires_grad True.")
    if cuda_index_of(tensor.array) != cuda_index_of(input.array):
        raise RuntimeError(f"{fn_name}: expected {name} on the input's device ({input.device}), "
                           f"got {tensor.device}")
    try:
        fits = np.broadcast_shapes(tensor.shape, input.shape) == tuple(input.shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{fn_name}: {name} of shape {tuple(tensor.shape)} cannot be broadcast to the "
                           f"input's shape {tuple(input.shape)}")
    with on_device_of(input.array):
        return tensor.array.astype(input.dtype, copy=False)


def _check_probabilities(array, what: str) -> None:
    if type(array).__module__.startswith("numpy") and array.size:   # (checked on the host only: no GPU sync)
        if ((array < 0) | (array > 1)).any():
            raise RuntimeError(f"all elements of {what} should be between 0 and 1")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x (each log clamped to >= -100, as in torch)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                         f"({tuple(input.shape)}) is deprecated. Please ensure they have the same size.")
    _check_probabilities(input.array, "input")
    _check_probabilities(target.array, "target")
    weight = _constant_operand(weight, input, "weight", "binary_cross_entropy")
    return BinaryCrossEntropy(weight, reduction)(input, target)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target) in one stable formula, for any logits.

    ``pos_weight`` (broadcast along the last dimension, e.g. one per class)
    multiplies the positive term: -w (pw y log s(x) + (1 - y) log(1 - s(x))).
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({tuple(target.shape)}) must be the same as input size "
                         f"({tuple(input.shape)})")
    fn_name = "binary_cross_entropy_with_logits"
    weight = _constant_operand(weight, input, "weight", fn_name)
    pos_weight = _constant_operand(pos_weight, input, "pos_weight", fn_name)
    return BinaryCrossEntropyWithLogits(weight, pos_weight, reduction)(input, target)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence target * (log target - input) for log-probabilities ``input``.

    ``reduction='batchmean'`` (sum / batch size) is the mathematical KL
    divergence; 'mean' divides by every element and warns, as torch does.
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    _check_reduction(reduction, _REDUCTIONS + ("batchmean",))
    if tuple(input.shape) != tuple(target.shape):
        input, target = _broadcast_pair(input, target)
    if target.dtype != input.dtype and target.dtype.kind == "f":
        target = target.to(input.dtype)
    loss = KLDiv("sum" if reduction == "batchmean" else reduction, log_target)(input, target)
    if reduction == "batchmean" and input.ndim != 0:
        loss = loss / input.shape[0]
    return loss


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``: each slice scaled to unit p-norm."""
    from ..linalg import vector_norm
    result = input / vector_norm(input, p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return result if out is None else out.copy_(result)


@on_tensors_device
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices to one-hot int64 vectors."""
    xp = get_array_module(tensor.array)
    n = int(tensor.array.max()) + 1 if num_classes < 0 else num_classes
    return Tensor._wrap((tensor.array[..., None] == xp.arange(n)).astype(np.int64))


def pad(input: Tensor, pad: tuple, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Constant padding of the last dimensions, ``pad = (left, right, top, bottom, ...)``."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported by tinynn (only 'constant')")
    from .._creation import full
    out = input
    for k in range(len(pad) // 2):
        axis = input.ndim - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        parts = []
        if before:
            shape = list(out.shape); shape[axis] = before
            parts.append(full(shape, value, dtype=out.dtype, device=out.device))
        parts.append(out)
        if after:
            shape = list(out.shape); shape[axis] = after
            parts.append(full(shape, value, dtype=out.dtype, device=out.device))
        if len(parts) > 1:
            from .._ops import cat
            out = cat(parts, axis)
    return out


