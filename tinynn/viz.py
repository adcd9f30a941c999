"""``make_dot``: draw the autograd graph behind a tensor, as torchviz does.

    from tinynn.viz import make_dot

    out = model(x)
    loss = F.nll_loss(out, y)
    graph = make_dot(loss, params=dict(model.named_parameters()))
    print(graph.source)               # Graphviz DOT text
    graph.render("graph", format="svg")   # graph.dot and graph.svg (needs Graphviz's `dot`)

What the picture shows (the same conventions as torchviz):

- one grey box per operation, named as torch names its backward node
  (``AddmmBackward0``, ``TanhBackward0``, ...): the node ``backward()`` visits;
- one light-blue box per leaf tensor that requires grad (the parameters), labelled
  ``name\\n (shape)`` when ``params`` names it;
- one green box for the tensor you passed in, with its shape;
- an arrow from every input to the operation that consumed it, so the picture
  reads from the parameters at the top down to the loss.

Inputs that do not require grad (the images, the labels, constants) are left
out, as in torchviz: no gradient flows to them, so backward never visits them.

The graph must still exist when ``make_dot`` runs. ``loss.backward()`` frees it
(each node's saved arrays and inputs are released to save memory), so call
``make_dot`` *before* ``backward()``, or call ``backward(retain_graph=True)``;
drawing a freed graph raises an error that says so.

The walk is a loop over an explicit stack, not recursion, so a graph of any
depth (10,000 chained operations, say) can be drawn.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from ._tensor import Tensor
from .autograd.function import Function, short_name

# Looks, as in torchviz.
_GRAPH_ATTR = {"size": "12,12"}
_NODE_ATTR = {"style": "filled", "shape": "box", "align": "left", "fontsize": "10", "ranksep": "0.1",
              "height": "0.2", "fontname": "monospace"}
_PARAM_COLOR = "lightblue"
_OUTPUT_COLOR = "darkolivegreen1"
_SAVED_COLOR = "orange"
_FORMATS = ("svg", "png", "pdf")
_INSTALL_HINT = ("Install Graphviz, which provides `dot`: `apt-get install graphviz` (Debian/Ubuntu), "
                 "`brew install graphviz` (macOS) or `conda install graphviz`; or paste the .dot file into "
                 "an online viewer such as https://dreampuf.github.io/GraphvizOnline")
# Function attributes that belong to the graph machinery rather than to the operation.
_INTERNAL_ATTRS = frozenset({"inputs", "input_creators", "input_wants_grad", "saved_versions", "generation",
                             "retained_output", "released", "torch_name"})
_MAX_ATTR_CHARS = 50


def _quote(text: str) -> str:
    """``text`` as a double-quoted DOT string: backslashes and quotes escaped, newlines as ``\\n``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attr_list(attrs: Mapping[str, str]) -> str:
    return " ".join(f"{key}={_quote(value)}" for key, value in attrs.items())


def _shape_str(shape: Iterable[int]) -> str:
    """``(512, 3072)`` as torchviz writes it; ``()`` for a scalar."""
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _is_array(value) -> bool:
    """A NumPy or CuPy array (a saved tensor of some Function)."""
    return hasattr(value, "shape") and hasattr(value, "dtype") and hasattr(value, "ndim")


class Digraph:
    """A directed graph that can be written as Graphviz DOT text, saved and rendered.

    A minimal stand-in for ``graphviz.Digraph`` with no dependency: ``nodes``
    is a list of ``(id, label, attributes)`` and ``edges`` a list of
    ``(tail id, head id, attributes)``; ``source`` is the DOT text.
    """

    def __init__(self, name: str = "", graph_attr: Mapping[str, str] | None = None,
                 node_attr: Mapping[str, str] | None = None):
        self.name = name
        self.graph_attr = dict(graph_attr or {})
        self.node_attr = dict(node_attr or {})
        self.nodes: list[tuple[str, str, dict]] = []
        self.edges: list[tuple[str, str, dict]] = []

    def node(self, node_id: str, label: str, **attrs: str) -> None:
        """Add a node with a label and attributes (``fillcolor="lightblue"``, ...)."""
        self.nodes.append((node_id, label, attrs))

    def edge(self, tail: str, head: str, **attrs: str) -> None:
        """Add an arrow from node ``tail`` to node ``head``."""
        self.edges.append((tail, head, attrs))

    @property
    def source(self) -> str:
        """The graph as Graphviz DOT text."""
        lines = ["digraph" + (f" {_quote(self.name)}" if self.name else "") + " {"]
        if self.graph_attr:
            lines.append(f"\tgraph [{_attr_list(self.graph_attr)}]")
        if self.node_attr:
            lines.append(f"\tnode [{_attr_list(self.node_attr)}]")
        for node_id, label, attrs in self.nodes:
            lines.append(f"\t{node_id} [{_attr_list({'label': label, **attrs})}]")
        for tail, head, attrs in self.edges:
            lines.append(f"\t{tail} -> {head}" + (f" [{_attr_list(attrs)}]" if attrs else ""))
        lines.append("}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<Digraph {self.name!r}: {len(self.nodes)} nodes, {len(self.edges)} edges>"

    def save(self, path: str | os.PathLike) -> Path:
        """Write the DOT text to ``path`` (atomically: a temporary file renamed into place); return the path."""
        path = Path(path)
        _atomic_write(path, self.source.encode("utf-8"))
        return path

    def render(self, path: str | os.PathLike, format: str | None = None) -> Path:
        """Write ``<path>.dot`` and draw it with Graphviz into ``<path>.<format>``; return the image's path.

        ``format`` is ``'svg'`` (the default), ``'png'`` or ``'pdf'``; it may also
        be given as the suffix of ``path`` (``render("graph.png")``). The .dot
        file is written first, so when the ``dot`` program is missing the
        RuntimeError (which says how to install Graphviz) leaves it behind
        for any Graphviz viewer.
        """
        path = Path(path)
        suffix = path.suffix.lower().lstrip(".")
        if suffix in _FORMATS or suffix == "dot":
            if format is None and suffix != "dot":
                format = suffix
            elif suffix != "dot" and format.lower() != suffix:
                raise ValueError(f"render: path {str(path)!r} ends in .{suffix} but format={format!r}")
            path = path.with_suffix("")
        format = (format or "svg").lower()
        if format not in _FORMATS:
            raise ValueError(f"render: format must be one of {', '.join(_FORMATS)}, got {format!r}")
        dot_path = self.save(path.with_name(path.name + ".dot"))
        image_path = path.with_name(path.name + "." + format)
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError(f"Cannot render the graph: the Graphviz program `dot` was not found on PATH. "
                               f"The DOT text was written to {dot_path}. {_INSTALL_HINT}.")
        fd, tmp = tempfile.mkstemp(dir=image_path.parent, prefix=f".{image_path.name}.", suffix=".part")
        os.close(fd)
        try:
            done = subprocess.run([dot, f"-T{format}", str(dot_path), "-o", tmp],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"Graphviz `dot` failed (exit status {done.returncode}) on {dot_path}:\n"
                                   f"{done.stderr.strip()}")
            os.replace(tmp, image_path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return image_path

    def _repr_svg_(self) -> str | None:
        """The picture as SVG for Jupyter, when Graphviz is installed (None otherwise: shown as text)."""
        dot = shutil.which("dot")
        if dot is None:
            return None
        done = subprocess.run([dot, "-Tsvg"], input=self.source, capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else None


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _attr_text(fn: Function) -> str:
    """The operation's settings (non-array attributes, e.g. ``axis: 1``), one per line, as torchviz shows them."""
    lines = []
    for key, value in sorted(vars(fn).items()):
        if key in _INTERNAL_ATTRS or key.startswith("_") or _is_array(value) or callable(value):
            continue
        if isinstance(value, (bool, int, float, str, tuple, list, type(None))):
            text = str(value)
            if len(text) > _MAX_ATTR_CHARS:
                text = text[:_MAX_ATTR_CHARS - 3] + "..."
            lines.append(f"{key}: {text}")
    return "\n".join(lines)


def make_dot(tensor: Tensor | Sequence[Tensor], params: Mapping[str, Tensor] | None = None,
             show_attrs: bool = False, show_saved: bool = False) -> Digraph:
    """The autograd graph that produced ``tensor`` (or several tensors), as a ``Digraph``.

    - ``params``: ``dict(model.named_parameters())``, to label the leaves with
      their names (``0.weight\\n (512, 3072)``); unnamed leaves show their shape.
    - ``show_attrs``: also list each operation's settings (``axis``, ``stride``, ...).
    - ``show_saved``: also draw, as orange boxes, the arrays each operation saved
      for its backward (``x``, ``weight``, ``y``, ...), linked to it by a plain line.

    Call it before ``backward()`` (or use ``backward(retain_graph=True)``):
    backward frees the graph, and drawing a freed graph raises RuntimeError.
    """
    if isinstance(tensor, Tensor):
        outputs = [tensor]
    elif isinstance(tensor, (list, tuple)):
        outputs = list(tensor)
    else:
        outputs = []
    if not outputs or not all(isinstance(t, Tensor) for t in outputs):
        got = type(tensor).__name__ if not outputs else "a list of " + ", ".join(
            sorted({type(t).__name__ for t in outputs}))
        raise TypeError(f"make_dot expects a Tensor (or a list of Tensors), got {got}")
    names = {}
    for name, value in (params or {}).items():
        if not isinstance(value, Tensor):
            raise TypeError(f"make_dot: params[{name!r}] is a {type(value).__name__}, not a Tensor; "
                            "pass params=dict(model.named_parameters())")
        names[id(value)] = name

    graph = Digraph(graph_attr=_GRAPH_ATTR, node_attr=_NODE_ATTR)
    ids: dict[int, str] = {}   # id(Function, Tensor or saved array) -> node id

    def node_id(obj) -> str:
        return ids.setdefault(id(obj), f"n{len(ids)}")

    def tensor_label(t: Tensor) -> str:
        name = names.get(id(t))
        return f"{name}\n {_shape_str(t.shape)}" if name else _shape_str(t.shape)

    def add_leaf(t: Tensor, color: str) -> str:
        if id(t) not in ids:
            graph.node(node_id(t), tensor_label(t), fillcolor=color)
        return ids[id(t)]

    stack: list[Function] = []

    def add_function(fn: Function) -> str:
        """Declare ``fn``'s node on first sight and queue it for its inputs to be visited."""
        if id(fn) not in ids:
            if fn.released:
                raise RuntimeError(
                    f"make_dot: the graph was already freed by backward() (at {short_name(fn)}). Call make_dot "
                    "before loss.backward(), or call loss.backward(retain_graph=True) to keep the graph.")
            label = short_name(fn)            # as torchviz's type(fn).__name__: AddmmBackward0, CopySlices
            if show_attrs:
                attrs = _attr_text(fn)
                if attrs:
                    label += "\n" + "-" * max(len(line) for line in attrs.split("\n")) + "\n" + attrs
            graph.node(node_id(fn), label)
            stack.append(fn)
        return ids[id(fn)]

    for out in outputs:
        if id(out) in ids:
            continue
        graph.node(node_id(out), tensor_label(out), fillcolor=_OUTPUT_COLOR)
        if out.grad_fn is not None:
            graph.edge(add_function(out.grad_fn), ids[id(out)])

    while stack:                      # depth-first, with an explicit stack instead of recursion
        fn = stack.pop()
        head = ids[id(fn)]
        if show_saved:
            for key, value in sorted(vars(fn).items()):
                if key in _INTERNAL_ATTRS or not _is_array(value):
                    continue
                if id(value) not in ids:   # one box per array, even when several operations saved it
                    graph.node(node_id(value), f"{key}\n {_shape_str(value.shape)}", fillcolor=_SAVED_COLOR)
                graph.edge(ids[id(value)], head, dir="none")
        for x, creator, wants_grad in zip(fn.inputs, fn.input_creators, fn.input_wants_grad):
            if not wants_grad:
                continue              # images, labels, constants: no gradient flows there
            if creator is not None:
                graph.edge(add_function(creator), head)
            else:
                graph.edge(add_leaf(x, _PARAM_COLOR), head)
    return graph
