"""``repr`` of a tensor in torch's style: ``tensor([0.1000, 2.0000], requires_grad=True)``.

The text follows torch's rules, found by comparing with torch's output:

- Floats whose finite values are all whole numbers print as ``1.``, ``-0.``;
  otherwise with ``precision`` decimals. Scientific notation (``1.0000e-05``)
  is chosen when the largest finite non-zero magnitude is over 1e8, or over
  1000 times the smallest one, or (for non-whole values) when the smallest is
  under 1e-4; ``sci_mode`` True/False forces the choice.
- Every element is right-aligned to the widest finite non-zero one (``nan``,
  ``inf`` and ``-0.`` may stick out); a row wraps so that no line is longer
  than ``linewidth``, continuation lines indented under the first element.
- Past ``threshold`` elements, each dimension longer than ``2 * edgeitems``
  shows its first and last ``edgeitems`` entries around ``...``; the format
  (and width) is chosen from the entries shown.
- Suffixes: ``device=`` (off the CPU), ``size=`` (empty tensors of other than
  one dimension), ``dtype=`` (other than float32, int64 and bool, and every
  dtype but float32 for an empty tensor), ``grad_fn=`` or ``requires_grad=True``;
  each goes to a line of its own when it would make a line too long.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ._device import CPU, to_device
from .autograd.function import short_name

_PREFIX = "tensor("


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}

PRINT_OPTS = _PrintOptions()


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print, as ``torch.set_printoptions``.

    ``profile`` ("default", "short" or "full") sets precision, threshold,
    edgeitems and linewidth at once; the other arguments then override it.
    Arguments left as None keep their current value, except ``sci_mode``,
    which is always set (None: choose scientific notation automatically).
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"unknown print profile {profile!r}: expected one of {sorted(_PROFILES)}")
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current print options as a dict (the names ``set_printoptions`` takes, less ``profile``).

    torch keeps these in ``torch._tensor_str.PRINT_OPTS`` and has no getter;
    this one is tinynn's, in NumPy's style (``np.get_printoptions``).
    """
    return asdict(PRINT_OPTS)


# ------------------------------------------------------------------ elements
def _visible(array: np.ndarray, edgeitems: int) -> np.ndarray:
    """The elements a summarised print shows: first and last ``edgeitems`` of each long dimension."""
    for axis, n in enumerate(array.shape):
        if n > 2 * edgeitems:
            head = np.take(array, range(edgeitems), axis=axis)
            tail = np.take(array, range(n - edgeitems, n), axis=axis)
            array = np.concatenate([head, tail], axis=axis)
    return array


def _float_format(values: np.ndarray, precision: int, sci_mode: bool | None):
    """How to write each float, and the width to pad to, chosen from all the values shown.

    Only the finite non-zero values choose: with none (all zeros, nans, infs)
    every value is written whole (``0.``, ``nan``) and nothing is padded.
    """
    finite = values[np.isfinite(values)]
    nonzero = finite[finite != 0]
    if nonzero.size == 0:
        return _whole, 1
    magnitudes = np.abs(nonzero)
    big, small = float(magnitudes.max()), float(magnitudes.min())
    whole = bool(np.all(nonzero == np.ceil(nonzero)))
    spread_out = big / small > 1000 or big > 1e8
    sci = (spread_out if whole else spread_out or small < 1e-4) if sci_mode is None else sci_mode
    if sci:
        to_text = lambda v: f"{v:.{precision}e}"  # noqa: E731
    elif whole:
        to_text = _whole
    else:
        to_text = lambda v: f"{v:.{precision}f}"  # noqa: E731
    return to_text, max(len(to_text(v)) for v in nonzero.tolist())


def _whole(v: float) -> str:
    """A whole number as torch writes it: ``3.``, ``-0.``, ``nan``."""
    return f"{v:.0f}." if math.isfinite(v) else str(v)


def _element_format(shown: np.ndarray, opts: _PrintOptions):
    """How to write each element of ``shown``, and the width all are padded to."""
    if shown.dtype.kind == "f":
        return _float_format(shown.astype(np.float64), opts.precision, opts.sci_mode)
    # ints as digits, bools as True / False
    return str, max(len(str(v)) for v in shown.reshape(-1).tolist())


# ------------------------------------------------------------------- layout
class _Layout:
    """Lays out the elements of one array, all padded to one width."""

    def __init__(self, array: np.ndarray, opts: _PrintOptions):
        self.opts = opts
        self.summarize = array.size > opts.threshold
        shown = _visible(array, opts.edgeitems) if self.summarize else array
        self.to_text, self.width = _element_format(shown, opts)

    def element(self, value) -> str:
        return self.to_text(value).rjust(self.width)

    def block(self, array: np.ndarray, indent: int) -> str:
        """``array`` as nested brackets; ``indent`` is the column of its opening bracket."""
        if array.ndim == 0:
            return self.element(array.item())
        edge = self.opts.edgeitems
        long = self.summarize and array.shape[0] > 2 * edge
        if array.ndim == 1:
            values = array.tolist()
            items = ([self.element(v) for v in values[:edge]] + [" ..."]
                     + [self.element(v) for v in values[-edge:]]) if long else [self.element(v) for v in values]
            per_line = max(1, (self.opts.linewidth - indent) // (self.width + 2))
            lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
            return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
        rows = range(array.shape[0])
        parts = ([self.block(array[i], indent + 1) for i in rows[:edge]] + ["..."]
                 + [self.block(array[i], indent + 1) for i in rows[-edge:]]) if long \
            else [self.block(array[i], indent + 1) for i in rows]
        return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _with_suffixes(body: str, suffixes: list[str], linewidth: int) -> str:
    """Append ``, suffix`` for each suffix, on a new line when the current one would grow too long."""
    text = _PREFIX + body
    for suffix in suffixes:
        last_line = len(text) - text.rfind("\n") - 1
        if last_line + len(suffix) + 4 > linewidth:        # torch keeps a margin of two columns
            text += ",\n" + " " * len(_PREFIX) + suffix
        else:
            text += ", " + suffix
    return text + ")"


def tensor_repr(t) -> str:
    """The text torch would print for a tensor with these values and flags."""
    array = to_device(t.array, CPU)
    opts = PRINT_OPTS
    suffixes = [f"device='{t.device}'"] if t.device != CPU else []
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
    else:
        body = _Layout(array, opts).block(array, len(_PREFIX))
    default_dtypes = (np.float32,) if array.size == 0 else (np.float32, np.int64, np.bool_)
    if array.dtype not in default_dtypes:
        suffixes.append(f"dtype=tinynn.{array.dtype.name}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{short_name(t.grad_fn)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(body, suffixes, opts.linewidth)
