"""``summary``: a model's layers, output shapes and parameter counts, as torchsummary prints them.

    import tinynn
    model = nn.Sequential(nn.Linear(3072, 512), nn.Tanh(), nn.Linear(512, 2), nn.LogSoftmax(dim=1))
    tinynn.summary(model, (3072,))

    ----------------------------------------------------------------
            Layer (type)               Output Shape         Param #
    ================================================================
                Linear-1                  [-1, 512]       1,573,376
                  Tanh-2                  [-1, 512]               0
                Linear-3                    [-1, 2]           1,026
            LogSoftmax-4                    [-1, 2]               0
    ================================================================
    Total params: 1,574,402
    ...

How it works: a forward hook (``register_forward_hook``) on every leaf module
(one without submodules) records the shape of what the module returned; one
forward pass with a random batch of 2 images runs under ``no_grad``; then every
hook is removed, even if the forward pass failed. Layers called through
``tinynn.nn.functional`` inside ``forward`` (``F.max_pool2d``, ``torch.tanh``)
are not modules, so, as in torchsummary, they get no row.

The batch dimension is reported as ``batch_size`` (-1: "any"). The sizes in MB
count 4 bytes per float32 number: the input, the outputs of every row twice
(once for the values, once for their gradients in backward) and the parameters.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:
    from ..nn import Module

_RULE = "-" * 64
_DOUBLE_RULE = "=" * 64
_MB = 1024.0 ** 2


@dataclass(frozen=True)
class LayerSummary:
    """One row of the table: a leaf module's call.

    ``layer`` is the torchsummary key (``Linear-1``), ``name`` the module's
    attribute path in the model (``0``, ``conv1``), ``type`` its class name,
    ``output_shape`` a list with the batch dimension as ``batch_size`` (a list
    of such lists when the module returns several tensors), ``params`` the
    number of parameters the module owns and ``trainable`` whether all of them
    require grad (False when it has none).
    """

    layer: str
    name: str
    type: str
    output_shape: list
    params: int
    trainable: bool


@dataclass
class ModelSummary:
    """What ``summary`` measured: the rows, the parameter totals and the memory estimates (MB).

    ``str(s)`` is the torchsummary table. The totals count every parameter of
    the model once (``model.parameters()``), so a module called twice adds two
    rows but its parameters once.
    """

    rows: list[LayerSummary]
    total_params: int
    trainable_params: int
    input_size_mb: float
    forward_backward_size_mb: float
    params_size_mb: float
    batch_size: int = -1

    @property
    def non_trainable_params(self) -> int:
        """Parameters that do not require grad (frozen)."""
        return self.total_params - self.trainable_params

    @property
    def total_size_mb(self) -> float:
        """Input, activations (with their gradients) and parameters together."""
        return self.input_size_mb + self.forward_backward_size_mb + self.params_size_mb

    def __str__(self) -> str:
        lines = [_RULE, "{:>20}  {:>25} {:>15}".format("Layer (type)", "Output Shape", "Param #"), _DOUBLE_RULE]
        for row in self.rows:
            lines.append("{:>20}  {:>25} {:>15}".format(row.layer, str(row.output_shape), f"{row.params:,}"))
        lines += [
            _DOUBLE_RULE,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            _RULE,
            f"Input size (MB): {self.input_size_mb:0.2f}",
            f"Forward/backward pass size (MB): {self.forward_backward_size_mb:0.2f}",
            f"Params size (MB): {self.params_size_mb:0.2f}",
            f"Estimated Total Size (MB): {self.total_size_mb:0.2f}",
            _RULE,
        ]
        return "\n".join(lines)


def _normalise_sizes(input_size) -> list[tuple[int, ...]]:
    """``(3, 32, 32)`` or ``[(3, 32, 32), (10,)]`` as a list of tuples of positive ints."""
    if isinstance(input_size, tuple) or (isinstance(input_size, list) and input_size
                                         and all(isinstance(s, int) for s in input_size)):
        sizes = [tuple(input_size)]
    elif isinstance(input_size, list) and input_size:
        sizes = [tuple(s) if isinstance(s, (tuple, list)) else s for s in input_size]
    else:
        sizes = [input_size]
    for s in sizes:
        if not isinstance(s, tuple) or not all(isinstance(n, (int, np.integer)) and n > 0 for n in s):
            raise TypeError(f"summary: input_size must be a tuple of positive ints, such as (3, 32, 32), "
                            f"without the batch dimension, or a list of such tuples; got {input_size!r}")
    return sizes


def _shapes(output: Any, batch_size: int) -> tuple[list, int, int]:
    """(output shape with the batch as ``batch_size``, elements per sample, bytes per element)."""
    if isinstance(output, (tuple, list)):
        parts = [_shapes(o, batch_size) for o in output]
        return [p[0] for p in parts], sum(p[1] for p in parts), max((p[2] for p in parts), default=4)
    shape = getattr(output, "shape", None)
    if shape is None:
        return [], 0, 4
    shape = [int(n) for n in shape]
    per_sample = int(np.prod(shape[1:])) if shape else 1
    itemsize = int(getattr(getattr(output, "dtype", None), "itemsize", 4) or 4)
    return ([batch_size] + shape[1:] if shape else []), per_sample, itemsize


def _leaf_modules(model: "Module") -> list[tuple[str, "Module"]]:
    """(name, module) of every module without children; the model itself when it has none."""
    leaves = [(name, m) for name, m in model.named_modules() if next(iter(m.children()), None) is None]
    return leaves or [("", model)]


def summary(model: "Module", input_size: tuple | Sequence[tuple], batch_size: int = -1, device: str = "cpu",
            dtypes: Sequence | None = None) -> ModelSummary:
    """Print the torchsummary table of ``model`` and return it as a ``ModelSummary``.

    - ``input_size``: the shape of one input sample without the batch dimension,
      e.g. ``(3, 32, 32)``, or a list of shapes for a model with several inputs.
    - ``batch_size``: the batch size to report in the shapes and sizes (-1: any).
    - ``device``: where to make the random inputs (``'cpu'`` or ``'cuda'``); the
      model must already be there.
    - ``dtypes``: one dtype per input (default float32); integer inputs are zeros.

    The model is called once, under ``no_grad``, on a random batch of 2 (as
    torchsummary does, so that batch statistics work); its hooks are removed
    afterwards whatever happens.
    """
    import tinynn
    from tinynn._device import device as _device

    sizes = _normalise_sizes(input_size)
    if dtypes is None:
        dtypes = [tinynn.float32] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"summary: got {len(sizes)} input sizes but {len(dtypes)} dtypes")
    if not isinstance(batch_size, int) or batch_size == 0 or batch_size < -1:
        raise ValueError(f"summary: batch_size must be -1 (any) or a positive int, got {batch_size!r}")
    target = _device(device)
    params = list(model.parameters())
    if params and params[0].device != target:
        raise ValueError(f"summary: the model's parameters are on {params[0].device} but device={device!r}; "
                         f"pass device={str(params[0].device)!r} or move the model with model.to({device!r})")

    rows: list[LayerSummary] = []
    per_sample_bytes = 0

    def make_hook(name: str):
        def hook(module, args, output):
            nonlocal per_sample_bytes
            shape, per_sample, itemsize = _shapes(output, batch_size)
            per_sample_bytes += per_sample * itemsize
            own = list(module.parameters(recurse=False))
            rows.append(LayerSummary(
                layer=f"{type(module).__name__}-{len(rows) + 1}", name=name, type=type(module).__name__,
                output_shape=shape, params=sum(p.numel() for p in own),
                trainable=bool(own) and all(p.requires_grad for p in own)))
        return hook

    inputs = [tinynn.rand(2, *size, device=target).to(dtype) for size, dtype in zip(sizes, dtypes)]
    handles = []
    try:
        for name, module in _leaf_modules(model):
            handles.append(module.register_forward_hook(make_hook(name)))
        with tinynn.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()

    batch = abs(batch_size)
    total = sum(p.numel() for p in params)
    result = ModelSummary(
        rows=rows,
        total_params=total,
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        input_size_mb=sum(int(np.prod(s)) * np.dtype(d).itemsize for s, d in zip(sizes, dtypes)) * batch / _MB,
        forward_backward_size_mb=2.0 * per_sample_bytes * batch / _MB,
        params_size_mb=sum(p.numel() * p.element_size() for p in params) / _MB,
        batch_size=batch_size,
    )
    print(result)
    return result
