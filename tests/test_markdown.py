"""``body_markdown`` rendering: CommonMark + tables + autolinks, raw HTML kept for the pipeline.

The Ghost theme unit-test export is a real pair of inputs and outputs: each post's mobiledoc holds
the Markdown an author typed (a ``card-markdown``) and ``html`` holds what Ghost rendered from it.
Ghost's renderer is markdown-it too, with two house extensions (``==mark==`` and hard line
breaks), so apart from those our rendering must carry the same text, structure and links.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import pytest

from amp_publisher.core.conversion.markdown import markdown_to_html

GHOST_EXPORT = Path(__file__).parent / "corpus/raw/ghost/ghost-theme-unit-test-export.json"


def _ghost_markdown_posts() -> list[tuple[str, str, str]]:
    """(slug, markdown typed by the author, html Ghost rendered) for each Markdown-card post."""
    doc = json.loads(GHOST_EXPORT.read_text(encoding="utf-8"))
    pairs = []
    for post in doc["db"][0]["data"]["posts"]:
        mobiledoc = json.loads(post["mobiledoc"])
        cards = [card for card in mobiledoc["cards"] if card[0] == "card-markdown"]
        if cards:
            pairs.append((post["slug"], cards[0][1]["markdown"], post["html"]))
    return pairs


def _shape(html: str) -> tuple[list[str], str, list[str | None]]:
    """Element sequence (without ``br``), text without whitespace, and link targets."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    tags = [el.tag for el in root.iter() if isinstance(el.tag, str) and el.tag != "br"][1:]
    text = re.sub(r"\s+", "", root.text_content())
    hrefs = [a.get("href") for a in root.iter("a")]
    return tags, text, hrefs


GHOST_PAIRS = _ghost_markdown_posts()


def test_the_ghost_export_has_markdown_to_compare_against():
    assert len(GHOST_PAIRS) >= 15


@pytest.mark.parametrize(("slug", "markdown", "ghost_html"), GHOST_PAIRS,
                         ids=[slug for slug, _, _ in GHOST_PAIRS])
def test_markdown_renders_like_ghost_did(slug, markdown, ghost_html):
    ours_tags, ours_text, ours_hrefs = _shape(markdown_to_html(markdown))
    ghost_tags, ghost_text, ghost_hrefs = _shape(ghost_html)
    assert ours_hrefs == ghost_hrefs
    if "==" in markdown:
        # Ghost's markdown-it-mark extension is not CommonMark: "==marked==" stays literal here
        # and Ghost adds a <mark>. Everything else must match.
        assert ours_text.replace("==", "") == ghost_text
        assert [t for t in ghost_tags if t != "mark"] == ours_tags
    else:
        assert ours_text == ghost_text
        assert ours_tags == ghost_tags


def test_raw_html_in_markdown_reaches_the_conversion_pipeline():
    slug, markdown, _ = next(p for p in GHOST_PAIRS if p[0] == "twitter-embeds")
    root = lxml.html.fragment_fromstring(markdown_to_html(markdown), create_parent="div")
    assert [f.get("src") for f in root.iter("iframe")] == ["https://www.youtube.com/embed/dQw4w9WgXcQ"]


def test_tables_become_html_tables():
    html = markdown_to_html("| City | Park |\n|:-----|-----:|\n| Tokyo | Shinjuku Gyoen |\n")
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    assert [th.text for th in root.iter("th")] == ["City", "Park"]
    assert [td.text for td in root.iter("td")] == ["Tokyo", "Shinjuku Gyoen"]


def test_bare_urls_become_links_but_code_does_not():
    html = markdown_to_html("Read https://www.wanderstayfinder.example/guide today.\n\n"
                            "`https://not.a.link.example/`")
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    assert [a.get("href") for a in root.iter("a")] == ["https://www.wanderstayfinder.example/guide"]


def test_markdown_text_is_not_retypeset():
    # typographer off: straight quotes and "--" stay as the author typed them.
    assert markdown_to_html('He said "no" -- twice.') == '<p>He said &quot;no&quot; -- twice.</p>\n'


def test_empty_markdown_gives_empty_html():
    assert markdown_to_html("") == ""


@pytest.mark.parametrize("slug", ["html-tags-and-formatting", "twitter-embeds", "many-images"])
def test_markdown_body_renders_to_a_valid_amp_page(slug):
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    markdown = next(md for s, md, _ in GHOST_PAIRS if s == slug)
    site = SiteConfig.model_validate(json.loads(
        (Path(__file__).parent.parent / "events/site.json").read_text(encoding="utf-8")))
    page = render(parse_article({"headline": slug, "slug": slug, "published": "2015-03-01",
                                 "body_markdown": markdown}), site)
    assert validate(page.html).passed
    if slug == "twitter-embeds":  # the raw <iframe> in the Markdown became the AMP component
        assert "amp-youtube" in page.extensions and "<iframe" not in page.html
    if slug == "many-images":
        assert page.html.count("<amp-img") >= markdown.count("![") + markdown.count("<img")
