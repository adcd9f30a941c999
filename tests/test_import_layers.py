"""tinynn's modules import each other in layers: no module-level import cycles.

Tensor is the bottom layer (``_tensor.py`` imports no other layer of tinynn);
autograd's ``Function`` and engine import it; the factories and the ops import
both; ``nn``, ``optim`` and the fast kernels build on those. Tensor's methods reach
the layers above through ``tinynn._tensor.connect``. With no cycle among the
module-level imports, tinynn's modules can be loaded in any order: none ever
sees another half-initialised.

The graph counts the imports at module level (including those under ``if`` and
``try``); importing ``a.b.c`` also runs the packages ``a.b`` and ``a`` (but for
``tinynn`` itself, whose ``__init__`` only gathers names). Imports inside
functions, which run on first use, are not edges.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tinynn"


def module_files() -> dict[str, Path]:
    """Dotted module name -> its file, for every module of tinynn."""
    files = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def imported_names(module: str, path: Path) -> list[str]:
    """The dotted names ``module`` imports at module level (relative imports resolved)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = []
    for statement in ast.parse(path.read_text()).body:
        nodes = ast.walk(statement) if isinstance(statement, (ast.If, ast.Try)) else [statement]
        for node in nodes:
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([node.module] if node.module else []))
                names.append(base)
                names += [f"{base}.{alias.name}" for alias in node.names]
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the tinynn modules loading it runs (itself, its own packages and ``tinynn`` left out)."""
    files = module_files()
    graph = {}
    for module, path in files.items():
        edges = set()
        for name in imported_names(module, path):
            parts = name.split(".")
            for k in range(2, len(parts) + 1):              # a.b.c runs a.b and a.b.c (tinynn itself aside)
                target = ".".join(parts[:k])
                if target in files and target != module and not module.startswith(target + "."):
                    edges.add(target)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_finder_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_tensor_is_the_bottom_layer():
    graph = import_graph()
    assert {"tinynn._tensor", "tinynn.autograd.function", "tinynn._ops.arithmetic"} <= set(graph)
    assert graph["tinynn._tensor"] <= {"tinynn._device", "tinynn._size", "tinynn.random"}
    assert "tinynn._tensor" in graph["tinynn.autograd.function"]


def test_no_module_level_import_cycles():
    found = cycles(import_graph())
    assert not found, "module-level import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)
