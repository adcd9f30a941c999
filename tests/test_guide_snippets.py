"""The guide's code runs, and prints what the guide says it prints.

``docs/how-tinynn-works.md`` is run like a notebook, top to bottom, in one namespace:

- every fenced block whose info string is ``python`` is executed, in order;
  ``python notest`` marks a fragment shown for reading only (not run);
- the fenced block right after a ``python`` block (only blank lines between
  them), if its info string is ``text`` or ``dot``, is that block's expected
  standard output (blank lines at the end aside); a ``python`` block with no
  such block after it must print nothing;
- in an expected block, ``...`` stands for any text, as in doctest's ELLIPSIS
  (memory addresses: ``object at 0x...``);
- a block that raises prints its traceback, as the interpreter would; its
  expected block shows the first and last lines, with ``  ...`` for the frames.

The guide walks the reference kernels (its setup calls
``tinynn.set_kernels("reference")``); the test runs it in a
``set_kernels("reference")`` block too, so the mode is restored afterwards.
Blocks run in a temporary working directory, so files they write are dropped.
"""
from __future__ import annotations

import contextlib
import doctest
import io
import re
import traceback
from pathlib import Path

import pytest

import tinynn

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "how-tinynn-works.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
OUTPUT_INFOS = {"text", "dot"}


def snippets(markdown: str) -> list[tuple[int, str, str | None]]:
    """(line number, code, expected stdout or None) for each runnable ``python`` block, in order."""
    blocks = [(m.start(), m.end(), m["info"].strip(), m["body"]) for m in FENCE.finditer(markdown)]
    found = []
    for k, (start, end, info, body) in enumerate(blocks):
        if info != "python":
            continue
        expected = None
        if k + 1 < len(blocks):
            next_start, _, next_info, next_body = blocks[k + 1]
            if next_info in OUTPUT_INFOS and not markdown[end:next_start].strip():
                expected = next_body
        found.append((markdown.count("\n", 0, start) + 1, body, expected))
    return found


def run(code: str, namespace: dict, name: str) -> str:
    """Execute ``code`` in ``namespace``; what it printed, and then its traceback if it raised."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            exec(compile(code, name, "exec"), namespace)
        except Exception as exc:                       # shown as the interpreter shows it (from the block down)
            print("".join(traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next)), end="")
    return out.getvalue()


def matches(expected: str, got: str) -> bool:
    """``got`` equals ``expected`` (but for blank lines at the end), ``...`` in ``expected`` standing for any text."""
    expected, got = expected.rstrip("\n") + "\n", got.rstrip("\n") + "\n"
    return doctest.OutputChecker().check_output(expected, got, doctest.ELLIPSIS | doctest.DONT_ACCEPT_TRUE_FOR_1)


def test_the_guide_has_snippets_with_outputs():
    found = snippets(GUIDE.read_text())
    assert len(found) >= 8 and sum(expected is not None for _, _, expected in found) >= 6


@pytest.mark.filterwarnings("ignore::RuntimeWarning")        # (section 4 overflows on purpose)
def test_every_snippet_of_the_guide_prints_what_the_guide_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__guide__"}
    with tinynn.set_kernels("reference"):
        for line, code, expected in snippets(GUIDE.read_text()):
            got = run(code, namespace, f"{GUIDE.name}:{line}")
            want = expected if expected is not None else ""
            assert matches(want, got), (
                f"the python block at {GUIDE.name}:{line} printed\n{got}\nbut the guide shows\n{want}")
        assert tinynn.get_kernels() == "reference"
