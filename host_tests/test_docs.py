"""README.md and docs/: every relative link names a file that exists, and every #anchor a heading on that page
(GitHub's anchors: lower case, punctuation dropped, spaces as hyphens, a repeat numbered -1, -2 ...)."""
import re

import hostrun

ROOT = hostrun.ROOT
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(text):
    """The anchors GitHub makes for a Markdown page's headings (outside code blocks)."""
    out, seen, fenced = set(), {}, False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if fenced or not re.match(r"#{1,6} ", line):
            continue
        slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else "%s-%d" % (slug, n))
    return out


def broken_links(pages):
    """[(page, link)] of each relative link in `pages` that does not resolve."""
    bad = []
    for page in pages:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists() or anchor and (dest.suffix != ".md" or anchor not in anchors(dest.read_text())):
                bad.append((page.relative_to(ROOT).as_posix(), target))
    return bad


def test_every_link_in_the_readme_and_docs_resolves():
    pages = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
    assert len(pages) >= 9
    assert broken_links(pages) == []


def test_the_link_check_finds_a_missing_file_and_a_missing_anchor(tmp_path):
    page = tmp_path / "a.md"
    (tmp_path / "b.md").write_text("# B\n## Two words, here\n## Two words, here\n")
    page.write_text("[x](b.md#two-words-here) [y](b.md#two-words-here-1) [z](b.md#nothing) [w](c.md) [v](#b)")
    global ROOT
    ROOT, old = tmp_path, ROOT
    try:
        assert broken_links([page]) == [("a.md", "b.md#nothing"), ("a.md", "c.md"), ("a.md", "#b")]
    finally:
        ROOT = old


def test_the_readme_is_a_quick_start():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250
