"""grad_fn.next_functions as in torch: (node, 0) pairs, AccumulateGrad nodes for leaves, (None, 0) for the rest."""
import gc
import re

import pytest

import tinynn
from tinynn.autograd.function import AccumulateGrad


def test_next_functions_pairs_each_input_with_its_node():
    a = tinynn.tensor([1.0, 2.0], requires_grad=True)
    b = tinynn.tensor([3.0, 4.0])
    y = (a * b).tanh().sum()
    ((tanh, index),) = y.grad_fn.next_functions
    assert index == 0 and tanh.name() == "TanhBackward0"
    ((mul, _),) = tanh.next_functions
    (leaf, leaf_index), constant = mul.next_functions
    assert isinstance(leaf, AccumulateGrad) and leaf.variable is a and leaf_index == 0
    assert leaf.name() == "tinynn::autograd::AccumulateGrad" and leaf.next_functions == ()   # torch::autograd::...
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(leaf))
    assert constant == (None, 0)
    assert (a * 3).grad_fn.next_functions[1] == (None, 0)          # a Python number too, as torch's a * 3


def test_one_accumulate_grad_node_per_leaf_while_it_is_held():
    a = tinynn.tensor([1.0], requires_grad=True)
    node = (a * 2).grad_fn.next_functions[0][0]
    assert (a.exp() + 1).grad_fn.next_functions[0][0].next_functions[0][0] is node
    other = tinynn.tensor([1.0], requires_grad=True)
    assert (other * 2).grad_fn.next_functions[0][0].variable is other
    del node
    gc.collect()
    assert (a * 2).grad_fn.next_functions[0][0].variable is a


def test_backward_still_fills_grad_with_the_nodes_held():
    a = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    nodes = [node for node, _ in y.grad_fn.next_functions[0][0].next_functions]
    y.backward()
    assert a.grad.tolist() == [2.0, 4.0] and nodes[0] is nodes[1]


def _structure(node, names):
    """A graph as nested (name, children) tuples, with torch's node names."""
    if node is None:
        return None
    if type(node).__name__ == "AccumulateGrad":
        return ("AccumulateGrad", names[id(node.variable)])
    return (node.name(), [(_structure(child, names), index) for child, index in node.next_functions])


GRAPHS = {
    "mul sum": lambda m, a, b, c: (a * b).sum(),
    "tanh exp add mean": lambda m, a, b, c: (a.tanh() + a.exp() * c).mean(),
    "sub div": lambda m, a, b, c: (a - b) / c,
    "cat": lambda m, a, b, c: m.cat([a, b, c]).sum(),
    "keepdim sum times 2": lambda m, a, b, c: a.sum(0, keepdim=True) * 2,
    "pow": lambda m, a, b, c: a.pow(c),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_graph_walk_matches_torch(name):
    torch = pytest.importorskip("torch")

    def walk(m):
        a, b = m.tensor([1.0, 2.0], requires_grad=True), m.tensor([3.0, 4.0])
        c = m.tensor([0.5, 1.5], requires_grad=True)
        names = {id(a): "a", id(b): "b", id(c): "c"}
        return _structure(GRAPHS[name](m, a, b, c).grad_fn, names)

    assert walk(tinynn) == walk(torch)
