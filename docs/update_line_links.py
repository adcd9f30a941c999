"""Keep the guide's links to source lines pointing at the right lines.

Each link to a line carries, as its Markdown title, the text of that line:

    [linear.py:18](../tinynn/nn/_functions/linear.py#L18 "gx = gy @ w")

Run ``python docs/update_line_links.py`` after editing the linked files: every
``#L`` number is moved to the line that now holds its text (the nearest one if
the text occurs several times). ``tests/test_docs.py`` fails when a link and
its line disagree, so a stale guide cannot land unnoticed.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
LINK = re.compile(r'\[(?P<label>[^\]]*)\]\((?P<path>\.\./[^)#\s]+)#L(?P<line>\d+) "(?P<text>[^"]+)"\)')
NUMBERED_LABEL = re.compile(r"^(?P<name>\S+):\d+$")     # "conv.py:62": the label shows the line too


def label_for(label: str, line: int) -> str:
    """The link's label with its line number set to ``line`` (labels without one stay as they are)."""
    m = NUMBERED_LABEL.match(label)
    return f'{m["name"]}:{line}' if m else label


def source_lines(path: str) -> list[str]:
    """The lines of the file a link points at (relative to docs/)."""
    return (DOCS / path).read_text().splitlines()


def find_line(lines: list[str], text: str, near: int) -> int | None:
    """The 1-based number of the line holding ``text`` closest to line ``near``; None if absent."""
    hits = [i + 1 for i, line in enumerate(lines) if text in line]
    return min(hits, key=lambda n: abs(n - near)) if hits else None


def check(doc: Path) -> list[str]:
    """Problems with the doc's line links (empty when every link's line holds its text)."""
    problems = []
    for m in LINK.finditer(doc.read_text()):
        lines = source_lines(m["path"])
        n = int(m["line"])
        if not (1 <= n <= len(lines) and m["text"] in lines[n - 1]):
            problems.append(f'{m["path"]}#L{n}: line does not contain "{m["text"]}"')
        elif label_for(m["label"], n) != m["label"]:
            problems.append(f'{m["path"]}#L{n}: the label says {m["label"]}')
    return problems


def update(doc: Path) -> list[str]:
    """Rewrite the doc's line numbers; returns the links whose text is no longer found."""
    missing = []

    def relink(m: re.Match) -> str:
        n = find_line(source_lines(m["path"]), m["text"], int(m["line"]))
        if n is None:
            missing.append(f'{m["path"]}: "{m["text"]}"')
            return m[0]
        return f'[{label_for(m["label"], n)}]({m["path"]}#L{n} "{m["text"]}")'

    doc.write_text(LINK.sub(relink, doc.read_text()))
    return missing


if __name__ == "__main__":
    missing = update(DOCS / "how-tinynn-works.md")
    for item in missing:
        print("text not found:", item, file=sys.stderr)
    sys.exit(1 if missing else 0)
