"""Recurrent layers: the cells ``RNNCell``, ``LSTMCell``, ``GRUCell`` (one time step) and the
multi-layer, optionally bidirectional ``RNN``, ``LSTM``, ``GRU`` (a whole sequence).

Each step is written with ordinary differentiable ops (``linear``, ``sigmoid``,
``tanh``, slicing), so autograd unrolls the loop and backpropagates through
time by itself. Parameter names, shapes, gate order and initialisation are
torch's, so a ``state_dict`` loads into the torch layer and back.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ..._creation import empty, zeros
from ..._ops import relu, sigmoid, stack, tanh
from ..._ops import cat as _cat
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]


# ------------------------------------------------------------------ one time step
def _gates(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor:
    """W_ih x + b_ih + W_hh h + b_hh: every gate's pre-activation, side by side along the last dimension."""
    return F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)


def rnn_tanh_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh)."""
    return tanh(_gates(x, h, w_ih, w_hh, b_ih, b_hh))


def rnn_relu_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """h' = relu(W_ih x + b_ih + W_hh h + b_hh)."""
    return relu(_gates(x, h, w_ih, w_hh, b_ih, b_hh))


def lstm_cell(x: Tensor, hx: tuple[Tensor, Tensor], w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None, w_hr: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step, torch's gate order (input, forget, cell, output):

    i = s(.), f = s(.), g = tanh(.), o = s(.) from the stacked pre-activations;
    c' = f * c + i * g; h' = o * tanh(c') (times W_hr, the projection, if given).
    """
    h, c = hx
    gates = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    size = c.shape[-1]
    i = sigmoid(gates[..., :size])
    f = sigmoid(gates[..., size:2 * size])
    g = tanh(gates[..., 2 * size:3 * size])
    o = sigmoid(gates[..., 3 * size:])
    c = f * c + i * g
    h = o * tanh(c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def gru_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step, torch's gate order (reset, update, new):

    r = s(W_ir x + b_ir + W_hr h + b_hr), z = s(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
    """
    gi = F.linear(x, w_ih, b_ih)
    gh = F.linear(h, w_hh, b_hh)
    size = h.shape[-1]
    r = sigmoid(gi[..., :size] + gh[..., :size])
    z = sigmoid(gi[..., size:2 * size] + gh[..., size:2 * size])
    n = tanh(gi[..., 2 * size:] + r * gh[..., 2 * size:])
    return (1 - z) * n + z * h


def _unstack(x: Tensor, dim: int) -> list[Tensor]:
    """The slices of ``x`` along ``dim``.

    Slicing a tensor that needs a gradient costs, in backward, a zero array of
    the whole tensor per slice (T^2 work for T steps); halving it recursively
    costs T log T instead.
    """
    n = x.shape[dim]
    lead = (slice(None),) * dim
    if n == 1 or not x.requires_grad or n <= 4:
        return [x[lead + (t,)] for t in range(n)]
    half = n // 2
    return _unstack(x[lead + (slice(0, half),)], dim) + _unstack(x[lead + (slice(half, n),)], dim)


def _check_dtype(input: Tensor, weight: Tensor) -> None:
    if input.dtype != weight.dtype:
        raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                         f"Convert input: input.to({weight.dtype}), or convert model: model.to({input.dtype})")


# ------------------------------------------------------------------ cells
class RNNCellBase(Module):
    """Base of the cells: ``weight_ih`` (gates*hidden, input), ``weight_hh`` (gates*hidden, hidden),
    ``bias_ih`` and ``bias_hh`` (gates*hidden,), all U(-1/sqrt(hidden), 1/sqrt(hidden)) as in torch."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty(num_chunks * hidden_size, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(num_chunks * hidden_size, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _batched(self, input: Tensor, hx: Tensor | None) -> tuple[Tensor, Tensor | None, bool]:
        """Check the shapes; give a 1-D (unbatched) input and state a batch dimension of 1."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if hx is not None and hx.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        _check_dtype(input, self.weight_ih)
        is_batched = input.ndim == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is not None:
            if not is_batched:
                hx = hx.unsqueeze(0)
            if hx.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden0 batch size "
                                   f"{hx.shape[0]}")
            if hx.ndim != 2 or hx.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden0 has inconsistent hidden_size: got {hx.shape[1]}, "
                                   f"expected {self.hidden_size}")
        return input, hx, is_batched

    def _zeros(self, input: Tensor) -> Tensor:
        return zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)


class RNNCell(RNNCellBase):
    """An Elman RNN cell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (``nonlinearity='relu'``: relu).

    ``input`` is (batch, input_size) or (input_size,); ``hx`` the same with
    hidden_size (zeros when omitted). Returns h'.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """One step: the next hidden state."""
        input, hx, is_batched = self._batched(input, hx)
        if hx is None:
            hx = self._zeros(input)
        if self.nonlinearity == "tanh":
            cell = rnn_tanh_cell
        elif self.nonlinearity == "relu":
            cell = rnn_relu_cell
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """A long short-term memory cell (gates i, f, g, o, in torch's order).

    ``forward(input, (h, c))`` returns the next ``(h', c')``; the state defaults to zeros.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        """One step: the next hidden and cell states."""
        if hx is None:
            input, _, is_batched = self._batched(input, None)
            h = c = self._zeros(input)
        else:
            input_b, h, is_batched = self._batched(input, hx[0])
            _, c, _ = self._batched(input, hx[1])
            input = input_b
        h, c = lstm_cell(input, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """A gated recurrent unit cell (gates r, z, n, in torch's order); returns the next hidden state."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """One step: the next hidden state."""
        input, hx, is_batched = self._batched(input, hx)
        if hx is None:
            hx = self._zeros(input)
        h = gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if is_batched else h.squeeze(0)


# ------------------------------------------------------------------ whole sequences
_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """Base of ``RNN``, ``LSTM`` and ``GRU``: the stacked layers' parameters and the time loop.

    Layer ``k`` (direction suffix ``_reverse`` for the backward pass of a
    bidirectional layer) has ``weight_ih_l{k}``, ``weight_hh_l{k}``,
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and ``weight_hr_l{k}`` for an LSTM with
    ``proj_size``), shaped and initialised as in torch.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=3)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size

        gate_size = _GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                shapes = [(gate_size, layer_input_size), (gate_size, real_hidden_size)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [n.format(layer, suffix) for n in names]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(empty(*shape, dtype=dtype, device=device)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters, one list per layer and direction, in torch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list[Parameter]:
        return [getattr(self, name) for name in self._flat_weights_names]

    def flatten_parameters(self) -> None:
        """A no-op kept for torch compatibility (torch packs the weights into one buffer for cuDNN)."""

    def extra_repr(self) -> str:
        """The arguments shown in ``repr``, as torch shows them."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---------------------------------------------------------- argument checks (torch's names)
    def check_input(self, input: Tensor, batch_sizes=None) -> None:
        """The input must be 3-D (after adding the batch dimension) with ``input_size`` features."""
        _check_dtype(input, getattr(self, self._flat_weights_names[0]))
        if input.ndim != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.ndim}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes=None) -> tuple[int, int, int]:
        """(num_layers * num_directions, batch, proj_size or hidden_size)."""
        mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple,
                          msg: str = "Expected hidden size {}, got {}") -> None:
        """Raise if ``hx`` does not have the expected shape."""
        if tuple(hx.shape) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def _prepare(self, input: Tensor) -> tuple[Tensor, bool]:
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        is_batched = input.ndim == 3
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        self.check_input(input)
        return input, is_batched

    def _state_zeros(self, input: Tensor, size: int) -> Tensor:
        num_directions = 2 if self.bidirectional else 1
        batch = input.shape[0] if self.batch_first else input.shape[1]
        return zeros(self.num_layers * num_directions, batch, size, dtype=input.dtype, device=input.device)

    # ---------------------------------------------------------- the time loop
    def _run(self, input: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        """Run every layer and direction over the sequence; returns (output, h_n, c_n)."""
        time_dim = 1 if self.batch_first else 0
        steps = _unstack(input, time_dim)
        h0s = _unstack(h0, 0)
        c0s = _unstack(c0, 0) if c0 is not None else None
        num_directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                weights = [getattr(self, name) for name in self._all_weights[k]]
                out, h, c = self._run_direction(steps, h0s[k], None if c0s is None else c0s[k], weights,
                                                reverse=direction == 1)
                outputs.append(out)
                h_n.append(h)
                c_n.append(c)
            steps = outputs[0] if num_directions == 1 else [_cat(pair, -1) for pair in zip(*outputs)]
            if self.dropout and self.training and layer < self.num_layers - 1:
                steps = [F.dropout(s, self.dropout, True) for s in steps]
        output = stack(steps, time_dim)
        return output, stack(h_n, 0), stack(c_n, 0) if c0 is not None else None

    def _run_direction(self, steps, h, c, weights, reverse: bool):
        w_ih, w_hh = weights[0], weights[1]
        b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
        w_hr = weights[-1] if self.proj_size > 0 else None
        outputs = [None] * len(steps)
        order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
        for t in order:
            if self.mode == "LSTM":
                h, c = lstm_cell(steps[t], (h, c), w_ih, w_hh, b_ih, b_hh, w_hr)
            elif self.mode == "GRU":
                h = gru_cell(steps[t], h, w_ih, w_hh, b_ih, b_hh)
            elif self.mode == "RNN_TANH":
                h = rnn_tanh_cell(steps[t], h, w_ih, w_hh, b_ih, b_hh)
            else:
                h = rnn_relu_cell(steps[t], h, w_ih, w_hh, b_ih, b_hh)
            outputs[t] = h
        return outputs, h, c

    def _forward_single_state(self, input: Tensor, hx: Tensor | None) -> tuple[Tensor, Tensor]:
        """RNN and GRU: one state tensor h."""
        input, is_batched = self._prepare(input)
        if hx is None:
            hx = self._state_zeros(input, self.hidden_size)
        else:
            if is_batched and hx.ndim != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.ndim}-D tensor")
            if not is_batched:
                if hx.ndim != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.ndim}-D tensor")
                hx = hx.unsqueeze(1)
            self.check_hidden_size(hx, self.get_expected_hidden_size(input))
        output, h_n, _ = self._run(input, hx, None)
        if not is_batched:
            output, h_n = output.squeeze(0 if self.batch_first else 1), h_n.squeeze(1)
        return output, h_n


class RNN(RNNBase):
    """A multi-layer Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh) (or relu).

    ``input`` is (seq_len, batch, input_size) ((batch, seq_len, input_size) with
    ``batch_first=True``, (seq_len, input_size) unbatched); ``hx`` is
    (num_layers * num_directions, batch, hidden_size), zeros when omitted.
    Returns ``(output, h_n)``: every step's top-layer state and every layer's last state.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, **kwargs):
        _reject_proj_size(kwargs)
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Run the sequence; returns ``(output, h_n)``."""
        return self._forward_single_state(input, hx)


class GRU(RNNBase):
    """A multi-layer gated recurrent unit RNN (gates r, z, n, in torch's order).

    Same shapes and arguments as ``RNN`` (without ``nonlinearity``); returns ``(output, h_n)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, **kwargs):
        _reject_proj_size(kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Run the sequence; returns ``(output, h_n)``."""
        return self._forward_single_state(input, hx)


class LSTM(RNNBase):
    """A multi-layer long short-term memory RNN (gates i, f, g, o, in torch's order).

    Same shapes as ``RNN``; the state is a pair ``(h_0, c_0)`` and the result
    ``(output, (h_n, c_n))``. ``proj_size > 0`` projects each h_t to that size
    with ``weight_hr_l{k}`` (torch's LSTM with projections).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)

    def get_expected_cell_size(self, input: Tensor, batch_sizes=None) -> tuple[int, int, int]:
        """(num_layers * num_directions, batch, hidden_size)."""
        mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """Run the sequence; returns ``(output, (h_n, c_n))``."""
        input, is_batched = self._prepare(input)
        real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            h0, c0 = self._state_zeros(input, real_hidden_size), self._state_zeros(input, self.hidden_size)
        else:
            h0, c0 = hx
            if is_batched and (h0.ndim != 3 or c0.ndim != 3):
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                   f"({h0.ndim}-D, {c0.ndim}-D) tensors")
            if not is_batched:
                if h0.ndim != 2 or c0.ndim != 2:
                    raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                       f"({h0.ndim}-D, {c0.ndim}-D) tensors")
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
            self.check_hidden_size(h0, self.get_expected_hidden_size(input), "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(c0, self.get_expected_cell_size(input), "Expected hidden[1] size {}, got {}")
        output, h_n, c_n = self._run(input, h0, c0)
        if not is_batched:
            output, h_n, c_n = output.squeeze(0 if self.batch_first else 1), h_n.squeeze(1), c_n.squeeze(1)
        return output, (h_n, c_n)


def _reject_proj_size(kwargs: dict) -> None:
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(f"__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
