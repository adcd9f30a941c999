"""``tinynn.viz.make_dot``: the graph's nodes and edges, the DOT text, saving and rendering."""
import re
import shutil
from collections import Counter

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.viz import Digraph, make_dot

HAVE_DOT = shutil.which("dot") is not None


# ----------------------------------------------------------------------------- a small DOT reader
_NODE = re.compile(r'^\t(\w+) \[(.*)\]$')
_EDGE = re.compile(r'^\t(\w+) -> (\w+)(?: \[(.*)\])?$')
_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _check_quotes_and_braces(text: str) -> None:
    """Every quoted string is closed and the braces outside strings balance."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            assert depth >= 0, "a '}' closes nothing"
    assert not in_string, "a quoted string is never closed"
    assert depth == 0, "unbalanced braces"


def _unescape(value: str) -> str:
    """A DOT string's escapes: ``\\n`` is a newline, ``\\"`` a quote, ``\\\\`` a backslash."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_dot(text: str):
    """Read back what ``Digraph.source`` writes: ({node id: attributes}, [(tail, head)]).

    Fails on any line it does not understand, on an edge whose endpoints are not
    declared, and on a node declared twice.
    """
    _check_quotes_and_braces(text)
    lines = text.rstrip("\n").split("\n")
    assert lines[0].startswith("digraph") and lines[0].endswith("{") and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if line.startswith(("\tgraph [", "\tnode [")):
            continue
        if m := _EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        elif m := _NODE.match(line):
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            attrs = dict(_ATTR.findall(m.group(2)))
            assert _ATTR.sub("", m.group(2)).strip() == "", f"bad attribute list: {line!r}"
            nodes[m.group(1)] = {k: _unescape(v) for k, v in attrs.items()}
        else:
            raise AssertionError(f"unexpected DOT line: {line!r}")
    for tail, head in edges:
        assert tail in nodes and head in nodes, f"edge {tail} -> {head} has an undeclared endpoint"
    return nodes, edges


# ----------------------------------------------------------------------------- a small known model
def small_step():
    """The seeds' FC model in miniature, with its NLL loss: (model, loss)."""
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2), nn.LogSoftmax(dim=1))
    x = tinynn.randn(5, 4)
    y = tinynn.tensor([0, 1, 1, 0, 1])
    loss = nn.NLLLoss()(model(x), y)
    return model, loss


def test_nodes_and_edges_of_a_small_model():
    model, loss = small_step()
    graph = make_dot(loss, params=dict(model.named_parameters()))
    nodes, edges = parse_dot(graph.source)
    labels = {node_id: attrs["label"] for node_id, attrs in nodes.items()}

    ops = Counter(label for node_id, label in labels.items() if "fillcolor" not in nodes[node_id])
    assert ops == Counter({"NllLossBackward0": 1, "LogSoftmaxBackward0": 1, "AddmmBackward0": 2, "TanhBackward0": 1})
    leaves = {nodes[i]["label"] for i in nodes if nodes[i].get("fillcolor") == "lightblue"}
    assert leaves == {"0.weight\n (3, 4)", "0.bias\n (3)", "2.weight\n (2, 3)", "2.bias\n (2)"}
    outputs = [nodes[i]["label"] for i in nodes if nodes[i].get("fillcolor") == "darkolivegreen1"]
    assert outputs == ["()"]
    assert len(nodes) == 10 and len(edges) == 9

    # Follow the arrows back from the loss: the chain of operations, and the leaves of each Linear.
    into = {}
    for tail, head in edges:
        into.setdefault(head, []).append(tail)
    (out_id,) = [i for i in nodes if nodes[i].get("fillcolor") == "darkolivegreen1"]
    chain, node = [], into[out_id][0]
    while True:
        chain.append(labels[node])
        producers = [t for t in into.get(node, []) if "fillcolor" not in nodes[t]]
        if not producers:
            break
        node = producers[0]
    assert chain == ["NllLossBackward0", "LogSoftmaxBackward0", "AddmmBackward0", "TanhBackward0", "AddmmBackward0"]
    first_linear = [i for i in nodes if labels[i] == "AddmmBackward0" and not any(
        "fillcolor" not in nodes[t] for t in into[i])]
    assert len(first_linear) == 1
    assert sorted(labels[t] for t in into[first_linear[0]]) == ["0.bias\n (3)", "0.weight\n (3, 4)"]


def test_graph_lists_match_the_source():
    model, loss = small_step()
    graph = make_dot(loss, params=dict(model.named_parameters()))
    nodes, edges = parse_dot(graph.source)
    assert [n[0] for n in graph.nodes] == list(nodes)
    assert [(t, h) for t, h, _ in graph.edges] == edges
    assert str(graph) == graph.source
    assert "10 nodes" in repr(graph)


def test_unnamed_leaves_show_their_shape_and_inputs_without_grad_are_left_out():
    w = tinynn.randn(3, 2, requires_grad=True)
    x = tinynn.randn(4, 3)                      # no grad: not drawn
    out = tinynn.tanh(x @ w)
    nodes, edges = parse_dot(make_dot(out).source)
    assert sorted(a["label"] for a in nodes.values()) == ["(3, 2)", "(4, 2)", "MmBackward0", "TanhBackward0"]
    assert len(edges) == 3


def test_a_leaf_used_twice_is_one_node_with_two_edges():
    a = tinynn.randn(3, requires_grad=True)
    nodes, edges = parse_dot(make_dot((a * a).sum(), params={"a": a}).source)
    (a_id,) = [i for i, attrs in nodes.items() if attrs["label"] == "a\n (3)"]
    assert [t for t, _ in edges].count(a_id) == 2


def test_several_outputs():
    a = tinynn.randn(3, requires_grad=True)
    nodes, _ = parse_dot(make_dot([a.exp(), a.tanh()]).source)
    assert sum(attrs.get("fillcolor") == "darkolivegreen1" for attrs in nodes.values()) == 2
    assert sum(attrs.get("fillcolor") == "lightblue" for attrs in nodes.values()) == 1


def test_show_attrs_and_show_saved():
    x = tinynn.randn(2, 5, requires_grad=True)
    out = F.log_softmax(x, dim=1)
    nodes, edges = parse_dot(make_dot(out, show_attrs=True, show_saved=True).source)
    (op,) = [a["label"] for a in nodes.values() if a["label"].startswith("LogSoftmaxBackward")]
    assert "axis: 1" in op
    saved = [a["label"] for a in nodes.values() if a.get("fillcolor") == "orange"]
    assert saved == ["y\n (2, 5)"]
    assert len(edges) == 3


def test_labels_with_quotes_and_backslashes_are_escaped():
    w = tinynn.randn(2, requires_grad=True)
    nodes, _ = parse_dot(make_dot(w.exp(), params={'odd "name" \\ here': w}).source)
    assert 'odd "name" \\ here\n (2)' in {a["label"] for a in nodes.values()}


def test_conv_net_graph():
    tinynn.manual_seed(0)
    conv, fc = nn.Conv2d(3, 4, 3, padding=1), nn.Linear(4 * 4 * 4, 2)
    x = tinynn.randn(2, 3, 8, 8)
    out = F.max_pool2d(tinynn.tanh(conv(x)), 2)
    loss = F.cross_entropy(fc(out.reshape(2, -1)), tinynn.tensor([0, 1]))
    params = {"conv.weight": conv.weight, "conv.bias": conv.bias, "fc.weight": fc.weight, "fc.bias": fc.bias}
    nodes, edges = parse_dot(make_dot(loss, params=params).source)
    names = Counter(a["label"] for a in nodes.values() if "fillcolor" not in a)
    assert names == Counter({"NllLossBackward0": 1, "AddmmBackward0": 1, "ViewBackward0": 1,
                             "MaxPool2DWithIndicesBackward0": 1, "TanhBackward0": 1, "ConvolutionBackward0": 1})
    assert "conv.weight\n (4, 3, 3, 3)" in {a["label"] for a in nodes.values()}


def test_deep_chain_of_10000_operations():
    x = tinynn.randn(3, requires_grad=True)
    h = x
    for _ in range(10_000):
        h = tinynn.tanh(h)
    graph = make_dot(h, params={"x": x})
    assert len(graph.nodes) == 10_002 and len(graph.edges) == 10_001
    nodes, edges = parse_dot(graph.source)
    assert len(nodes) == 10_002 and len(edges) == 10_001


def test_freed_graph_raises_and_retain_graph_keeps_it():
    _, loss = small_step()
    loss.backward(retain_graph=True)
    assert len(make_dot(loss).nodes) == 10
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        make_dot(loss)


def test_bad_arguments():
    with pytest.raises(TypeError, match="got ndarray"):
        make_dot(np.zeros(3))
    with pytest.raises(TypeError, match="got a list of int"):
        make_dot([1, 2])
    w = tinynn.randn(2, requires_grad=True)
    with pytest.raises(TypeError, match="named_parameters"):
        make_dot(w.exp(), params={"w": np.zeros(2)})
    with pytest.raises(ValueError, match="format"):
        make_dot(w.exp()).render("graph", format="gif")
    with pytest.raises(ValueError, match="ends in .png"):
        make_dot(w.exp()).render("graph.png", format="svg")


# ----------------------------------------------------------------------------- files
def test_save_writes_the_source_and_no_temporary_files(tmp_path):
    _, loss = small_step()
    graph = make_dot(loss)
    path = graph.save(tmp_path / "sub" / "graph.dot")
    assert path.read_text() == graph.source
    assert sorted(p.name for p in path.parent.iterdir()) == ["graph.dot"]


def test_render_without_dot_explains_how_to_install_and_keeps_the_dot_file(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    _, loss = small_step()
    graph = make_dot(loss)
    with pytest.raises(RuntimeError) as info:
        graph.render(tmp_path / "graph", format="png")
    message = str(info.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert "conda install graphviz" in message and str(tmp_path / "graph.dot") in message
    assert (tmp_path / "graph.dot").read_text() == graph.source
    assert not (tmp_path / "graph.png").exists()
    assert graph._repr_svg_() is None


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")
@pytest.mark.parametrize("name, fmt, magic", [("graph", "svg", b"<svg"), ("graph.png", None, b"\x89PNG")])
def test_render_with_dot(tmp_path, name, fmt, magic):
    model, loss = small_step()
    image = make_dot(loss, params=dict(model.named_parameters())).render(tmp_path / name, format=fmt)
    assert image == tmp_path / ("graph." + (fmt or "png"))
    assert magic in image.read_bytes()[:400]
    assert (tmp_path / "graph.dot").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["graph.dot", image.name])


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")
def test_repr_svg_for_notebooks():
    _, loss = small_step()
    svg = make_dot(loss)._repr_svg_()
    assert "<svg" in svg and "NllLossBackward0" in svg


def test_digraph_by_hand():
    g = Digraph(name="tiny", graph_attr={"rankdir": "LR"})
    g.node("a", "first")
    g.node("b", 'say "hi"\nthere', fillcolor="lightblue")
    g.edge("a", "b", dir="none")
    nodes, edges = parse_dot(g.source)
    assert g.source.startswith('digraph "tiny" {\n\tgraph [rankdir="LR"]\n')
    assert nodes["b"] == {"label": 'say "hi"\nthere', "fillcolor": "lightblue"}
    assert edges == [("a", "b")]
