"""The guide's links to source lines still point at the lines they describe."""
import importlib.util
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_line_link_in_the_guide_points_at_its_text():
    spec = importlib.util.spec_from_file_location("update_line_links", DOCS / "update_line_links.py")
    links = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(links)
    doc = DOCS / "how-tinynn-works.md"
    assert links.LINK.search(doc.read_text()), "the guide should link to source lines"
    problems = links.check(doc)
    assert not problems, "run `python docs/update_line_links.py`:\n" + "\n".join(problems)
