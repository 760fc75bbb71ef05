"""Every relative link in README.md and docs/*.md names a file that exists, and every #anchor a
heading of the file it points into, as GitHub renders them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

FENCE = re.compile(r"^ {0,3}(```|~~~)")
COMMENT = re.compile(r"<!--.*?-->", re.S)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
# [text](target) and ![alt](target), with an optional "title"; text may hold one level of [brackets].
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
HTML_ANCHOR = re.compile(r"<a\s[^>]*(?:id|name)=\"([^\"]+)\"", re.I)
EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], None
    for line in text.splitlines():
        match = FENCE.match(line)
        if match and (fenced is None or match.group(1) == fenced):
            fenced = match.group(1) if fenced is None else None
            continue
        if fenced is None:
            lines.append(line)
    return lines


def links(text: str) -> list[str]:
    """The link targets of a markdown text, outside code and HTML comments."""
    prose = CODE_SPAN.sub("", COMMENT.sub("", "\n".join(prose_lines(text))))
    return INLINE_LINK.findall(prose) + REFERENCE_DEF.findall(prose)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text, lower-cased, without punctuation, spaces as '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor a markdown file offers: its headings (repeats get -1, -2, …) and <a id/name>."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(text):
        match = HEADING.match(line)
        if match:
            base = slug(match.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    found.update(HTML_ANCHOR.findall(text))
    return found


def broken_links(doc: Path, repo: Path = REPO) -> list[str]:
    """The relative links of ``doc`` that name no file inside ``repo``, or no heading there."""
    doc, repo = doc.resolve(), repo.resolve()
    broken = []
    for target in links(doc.read_text(encoding="utf-8")):
        if not target or EXTERNAL.match(target):
            continue
        path, _, anchor = target.partition("#")
        dest = (doc.parent / path).resolve() if path else doc
        if not dest.is_relative_to(repo) or not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading #{anchor} in {dest.relative_to(repo)}")
    return broken


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(REPO)) for d in DOCS])
def test_relative_links_resolve(doc: Path) -> None:
    assert broken_links(doc) == []


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(REPO / t.partition("#")[0]).resolve() for t in links((REPO / "README.md").read_text(encoding="utf-8"))}
    assert [d.name for d in DOCS[1:] if d not in linked] == []


def test_a_broken_link_or_anchor_is_found(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "page.md").write_text("# A page\n\n## Flag campaigns: `bakegen campaign`\n\n## Notes\n## Notes\n")
    (tmp_path / "outside.md").write_text("# Outside the repository\n")
    doc = repo / "README.md"
    doc.write_text(
        "# Title\n\n"
        "[ok](docs/page.md) [ok](docs/page.md#flag-campaigns-bakegen-campaign) [ok](docs/page.md#notes-1)\n"
        "[ok](#title) [web](https://example.com/missing) `[code](missing.md)` <!-- [comment](missing.md) -->\n"
        "```\n[fenced](missing.md)\n```\n"
        "[gone](docs/missing.md) ![img](docs/missing.svg) [bad anchor](docs/page.md#nowhere)\n"
        "[outside](../outside.md) [here](#no-such-heading)\n"
        "[ref]: docs/also-missing.md\n"
    )
    assert broken_links(doc, repo) == [
        "docs/missing.md: no such file",
        "docs/missing.svg: no such file",
        "docs/page.md#nowhere: no heading #nowhere in docs/page.md",
        "../outside.md: no such file",
        "#no-such-heading: no heading #no-such-heading in README.md",
        "docs/also-missing.md: no such file",
    ]
