"""The guide's links still point at what they describe: source lines (by their text), files and folders."""
import importlib.util
import re
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


def test_every_relative_link_in_the_guide_points_at_an_existing_file_or_folder():
    text = (DOCS / "how-tinynn-works.md").read_text()
    targets = re.findall(r"\]\((\.\./[^)#\s]+)", text)
    assert len(targets) > 20
    missing = sorted({t for t in targets if not (DOCS / t).exists()})
    assert not missing, "the guide links to paths that do not exist: " + ", ".join(missing)
