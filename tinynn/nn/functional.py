"""``tinynn.nn.functional``: layers and losses as functions, with torch's signatures.

Each function checks its arguments (errors name the shapes involved) and hands
the arithmetic to a Function in ``tinynn/nn/_functions``, where the forward
and backward formulas sit side by side.
"""
from __future__ import annotations


import numpy as np

from .._device import get_array_module
from .._ops import relu, sigmoid, tanh  # noqa: F401  (re-exported, as torch.nn.functional does)
from .._ops.reduction import _axes
from .._tensor import Tensor
from ..random import get_rng
from ._functions.activation import LogSoftmax, Softmax
from ._functions.conv import Conv2d
from ._functions.dropout import Dropout
from ._functions.linear import Linear
from ._functions.loss import CrossEntropy, MSELoss, NLLLoss
from ._functions.pooling import AvgPool2d, MaxPool2d

__all__ = ["avg_pool2d", "conv2d", "cross_entropy", "dropout", "linear", "log_softmax", "max_pool2d",
           "mse_loss", "nll_loss", "relu", "sigmoid", "softmax", "tanh"]


def _shape_str(shape) -> str:
    return "x".join(str(s) for s in shape) or "scalar"


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, with W of shape (out_features, in_features)."""
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(input.shape[:-1] or (1,))}"
            f"{'x' + str(input.shape[-1]) if input.ndim else ''} and "
            f"{weight.shape[1]}x{weight.shape[0]}): the layer expects {weight.shape[-1]} input "
            f"features but got {input.shape[-1] if input.ndim else 0}")
    return Linear()(input, weight) if bias is None else Linear()(input, weight, bias)


# ------------------------------------------------------------------ activations
def _dim(input: Tensor, dim) -> int:
    if dim is None:   # torch's legacy implicit choice
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return _axes(dim, input.ndim)[0] if input.ndim else 0


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``, computed with the maximum subtracted."""
    if dtype is not None:
        input = input.to(dtype)
    return Softmax(_dim(input, dim))(input)


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, as (x - max) - log(sum(exp(x - max))): finite for any logits."""
    if dtype is not None:
        input = input.to(dtype)
    return LogSoftmax(_dim(input, dim))(input)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the others by 1/(1-p) (identity when not training)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    xp = get_array_module(input.array)
    if p == 1:
        return input * 0
    if xp is np:
        keep = get_rng().random(input.shape, dtype=np.float32) >= p
    else:
        keep = xp.random.random_sample(input.shape, dtype=np.float32) >= p
    return Dropout(keep, 1.0 / (1.0 - p))(input)


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
    fn = Conv2d(stride, pads, dilation, groups, (oh, ow))
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
    return MaxPool2d(kernel, stride, pads, dilation, out_hw)(input)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """The mean of each window (zero padding counted, as torch's default)."""
    if ceil_mode or not count_include_pad:
        raise NotImplementedError("avg_pool2d: ceil_mode and count_include_pad=False are not supported by tinynn")
    kernel, stride, pads, _, out_hw = _pool_geometry(input, kernel_size, stride, padding, 1, "avg_pool2d")
    return AvgPool2d(kernel, stride, pads, out_hw, divisor_override or kernel[0] * kernel[1])(input)


# ------------------------------------------------------------------- losses
_REDUCTIONS = ("none", "mean", "sum")


def _class_targets(input: Tensor, target: Tensor, weight, ignore_index: int, reduction: str, name: str):
    """Check a classification loss's arguments; return (input as (M, C), target as (M,), output shape)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not isinstance(target, Tensor) or target.dtype.kind not in "iu":
        got = target.dtype if isinstance(target, Tensor) else type(target).__name__
        raise RuntimeError(f"{name}: expected target of class indices with dtype int64, got {got}")
    if input.ndim == 1:
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
        out_shape = None
    return input, target, out_shape


def _finish(loss: Tensor, out_shape, reduction) -> Tensor:
    return loss.reshape(out_shape) if out_shape is not None and reduction == "none" else loss


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -input[n, target[n]] (weighted, averaged over non-ignored targets)."""
    input, target, out_shape = _class_targets(input, target, weight, ignore_index, reduction, "nll_loss")
    fn = NLLLoss(target.array, None if weight is None else weight.array, ignore_index, reduction)
    return _finish(fn(input), out_shape, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """nll_loss(log_softmax(input, 1), target), fused into one stable op."""
    if label_smoothing:
        raise NotImplementedError("cross_entropy: label_smoothing is not supported by tinynn")
    input, target, out_shape = _class_targets(input, target, weight, ignore_index, reduction, "cross_entropy")
    fn = CrossEntropy(target.array, None if weight is None else weight.array, ignore_index, reduction)
    return _finish(fn(input), out_shape, reduction)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean (or sum) of squared differences."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if tuple(input.shape) != tuple(target.shape):
        import warnings
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting.",
                      stacklevel=2)
        input, target = input.expand(*np.broadcast_shapes(input.shape, target.shape)), \
            target.expand(*np.broadcast_shapes(input.shape, target.shape))
    return MSELoss(reduction)(input, target)


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


