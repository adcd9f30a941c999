"""``Conv2d``: 2-D convolution (cross-correlation) over (N, C, H, W) images; ``Conv1d`` over (N, C, L) sequences."""
from __future__ import annotations

from typing import Callable

from ..._tensor import Tensor
from .. import functional as F
from .. import init
from .linear import _new_parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d"]


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; a pair is checked and returned as a tuple."""
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise ValueError(f"Conv2d: {name} must be an int or a pair of ints, got {value!r}")
    return value


def _single(value: int | tuple[int], name: str) -> tuple[int]:
    """``3`` -> ``(3,)``; a 1-tuple is checked and returned as a tuple."""
    if isinstance(value, int):
        return (value,)
    value = tuple(value)
    if len(value) != 1 or not isinstance(value[0], int):
        raise ValueError(f"Conv1d: {name} must be an int or a 1-tuple of ints, got {value!r}")
    return value


class _ConvNd(Module):
    """What ``Conv1d`` and ``Conv2d`` share (as torch's ``_ConvNd``): argument checks, parameters, ``repr``.

    ``to_tuple`` turns an int argument into one value per spatial dimension
    (``_single`` or ``_pair``); the subclasses add ``forward`` and their
    ``padding_mode`` check.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding, dilation, groups: int,
                 bias: bool, padding_mode: str, device, dtype,
                 to_tuple: Callable[[int | tuple[int, ...], str], tuple[int, ...]]):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError(f"in_channels must be divisible by groups (in_channels={in_channels}, groups={groups})")
        if out_channels % groups != 0:
            raise ValueError(f"out_channels must be divisible by groups (out_channels={out_channels}, "
                             f"groups={groups})")
        self.kernel_size = to_tuple(kernel_size, "kernel_size")
        self.stride = to_tuple(stride, "stride")
        self.dilation = to_tuple(dilation, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = to_tuple(padding, "padding")
        self._check_padding_mode(padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = _new_parameter(out_channels, in_channels // groups, *self.kernel_size, device=device, dtype=dtype)
        if bias:
            self.bias = _new_parameter(out_channels, device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _check_padding_mode(self, padding_mode: str) -> None:
        """Raise if this layer cannot use ``padding_mode`` (each subclass gives torch's error for it)."""
        raise NotImplementedError

    def reset_parameters(self) -> None:
        """Draw fresh initial values, with torch's default scheme."""
        init.layer_defaults_(self.weight, self.bias)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them (defaults left out)."""
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.kernel_size):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """2-D convolution: ``out_channels`` learned filters of shape (in_channels/groups, kH, kW).

    ``padding`` is an int, a pair, ``'valid'`` (no padding) or ``'same'`` (the
    output has the input's height and width; needs stride 1). Weights are
    initialised as in torch: kaiming-uniform with a=sqrt(5), bias
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels/groups * kH * kW.
    Only ``padding_mode='zeros'`` is implemented.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] | str = 0,
                 dilation: int | tuple[int, int] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, to_tuple=_pair)

    def _check_padding_mode(self, padding_mode: str) -> None:
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode={padding_mode!r} is not implemented in tinynn; only 'zeros' is "
                             "(pad the input yourself with tinynn.nn.functional.pad for other modes)")

    def forward(self, input: Tensor) -> Tensor:
        """Convolve a (N, C, H, W) batch with the filters."""
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Conv1d(_ConvNd):
    """1-D convolution: ``out_channels`` learned filters of shape (in_channels/groups, kernel_size) over (N, C, L).

    ``padding`` is an int, ``'valid'`` or ``'same'`` (needs stride 1). Weights
    are initialised as in torch: kaiming-uniform with a=sqrt(5), bias
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels/groups * kernel_size.
    It runs as ``Conv2d`` on a height-1 image, sharing its fast paths. Only
    ``padding_mode='zeros'`` is implemented.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int],
                 stride: int | tuple[int] = 1, padding: int | tuple[int] | str = 0, dilation: int | tuple[int] = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, to_tuple=_single)

    def _check_padding_mode(self, padding_mode: str) -> None:
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                             f"padding_mode={padding_mode!r}")
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv1d: padding_mode={padding_mode!r} is not implemented in tinynn; only "
                                      "'zeros' is (pad the input yourself for other modes)")

    def forward(self, input: Tensor) -> Tensor:
        """Convolve a (N, C, L) (or (C, L)) input with the filters."""
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
