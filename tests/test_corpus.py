"""Issue 4's acceptance test: real CMS content renders to valid AMP without losing text silently.

* every post in tests/corpus/raw/wordpress/ and ghost/, read through the input adapters;
* every page in tests/corpus/raw/messy-html/, as the ``body_html`` of an article built around it;

renders to a page the project's AMP validator passes, and the page keeps the input's visible
text, except what the conversion report lists as removed. No network: image sizes come from
the JSON, from ``data:`` URIs, or the documented fallback.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
from html5lib.constants import DataLossWarning

ROOT = Path(__file__).parent.parent
RAW = ROOT / "tests/corpus/raw"
MESSY = sorted((RAW / "messy-html").glob("*.html"))
CMS_FILES = sorted((RAW / "wordpress").glob("*.json")) + sorted((RAW / "ghost").glob("*.json"))

#: Elements whose content a reader never sees as text (raw text, templates, fallbacks for
#: browsers without scripting or iframes, metadata).
INVISIBLE = frozenset({"script", "style", "template", "noscript", "iframe", "noembed", "noframes",
                       "head", "title", "meta", "link", "textarea", "select", "option"})

#: Posts whose body has nothing to show: a typed ArticleError is an acceptable outcome too.
EMPTY_BODY_SLUGS = frozenset({"no-content"})  # Ghost's theme unit test: html is "<p></p>"


@pytest.fixture(scope="module")
def site():
    from amp_publisher.core.site import SiteConfig

    return SiteConfig.model_validate(
        json.loads((ROOT / "events/site.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def pipeline():
    """(render, validate, image size resolver)."""
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.image_sizes import ProbingImageSizeResolver
    from amp_publisher.core.rendering import render

    # data: URIs are sized locally; nothing is fetched (the corpus's hosts are not ours to hit).
    return render, validate, ProbingImageSizeResolver(fetchers=[])


def _visible_words(html: str, *, container_class: str | None = None) -> list[str]:
    """Whitespace-separated words a reader sees in ``html`` (the body, or the element with
    ``container_class``), text nodes joined by spaces so that block boundaries split words."""
    import html5lib

    with warnings.catch_warnings():  # "Coercing non-XML name" for Word's o:p, v:shape, ⚡
        warnings.simplefilter("ignore", DataLossWarning)
        doc = html5lib.parse(html, treebuilder="lxml", namespaceHTMLElements=False)
    root = doc.find("body") if doc.getroot().tag != "body" else doc.getroot()
    if container_class:
        found = doc.xpath(f"//*[contains(concat(' ', @class, ' '), ' {container_class} ')]")
        root = found[0] if found else root
    words: list[str] = []

    def walk(el) -> None:
        if not isinstance(el.tag, str) or el.tag in INVISIBLE or el.get("hidden") is not None:
            return
        words.extend((el.text or "").split())
        for child in el:
            walk(child)
            words.extend((child.tail or "").split())  # text after a child is the parent's

    if root is not None:
        walk(root)
    return words


def _without_removed(words: list[str], report) -> list[str]:
    """``words`` minus the text the report says a reader loses, each removal once, in place."""
    remaining = list(words)
    for entry in report:
        lost = (getattr(entry, "removed_text", "") or "").split()
        if not lost:
            continue
        n = len(lost)
        start = next((i for i in range(len(remaining) - n + 1) if remaining[i:i + n] == lost),
                     None)
        if start is not None:
            del remaining[start:start + n]
        else:  # the removal straddled word boundaries differently: drop the words one by one
            for word in lost:
                if word in remaining:
                    remaining.remove(word)
    return remaining


def _assert_text_preserved(input_html: str, page, label: str) -> None:
    expected = _without_removed(_visible_words(input_html), page.report)
    output = "".join(_visible_words(page.html, container_class="article-body"))
    position = 0
    for index, word in enumerate(expected):
        found = output.find(word, position)
        if found < 0:
            context = " ".join(expected[max(0, index - 8):index + 8])
            pytest.fail(f"{label}: text lost without a report entry: {word!r} in …{context}…")
        position = found + len(word)


def _assert_valid(validate, page, label: str) -> None:
    result = validate(page.html)
    errors = [f"{e.line}:{e.col} {e.code} {e.message}" for e in result.errors
              if e.severity == "ERROR"]
    assert result.passed, f"{label}: invalid AMP:\n" + "\n".join(errors[:15])


def _cms_cases():
    from amp_publisher.core.adapters import articles_from_document

    cases = []
    for path in CMS_FILES:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for article in articles_from_document(doc):
            cases.append(pytest.param(path.name, article, id=f"{path.stem}:{article['slug']}"))
    return cases


CMS_CASES = _cms_cases()


def test_the_acceptance_corpus_is_complete():
    # SOURCES.md: wordpress 5 files, ghost 3, messy-html 12; the collections hold 5 and 19 posts.
    assert (len(CMS_FILES), len(MESSY)) == (8, 12)
    assert len(CMS_CASES) == 4 + 5 + 1 + 19 + 1


@pytest.mark.parametrize(("file_name", "data"), CMS_CASES)
def test_cms_post_renders_valid_amp_with_its_text(file_name, data, site, pipeline):
    from amp_publisher.core.errors import ArticleError
    from amp_publisher.core.models import parse_article

    render, validate, sizes = pipeline
    article = parse_article(data)
    label = f"{file_name}:{article.slug}"
    try:
        page = render(article, site, source_key=f"articles/{file_name}", image_sizes=sizes)
    except ArticleError as exc:
        if article.slug in EMPTY_BODY_SLUGS:
            return  # a typed, recorded refusal of an empty body is acceptable
        raise AssertionError(f"{label}: {exc.code}: {exc}") from exc
    _assert_valid(validate, page, label)
    _assert_text_preserved(article.body_html, page, label)
    assert article.headline in page.html or _html_escaped(article.headline) in page.html


def _html_escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


@pytest.mark.parametrize("path", MESSY, ids=[p.stem for p in MESSY])
def test_messy_html_body_renders_valid_amp_with_its_text(path, site, pipeline):
    from amp_publisher.core.models import parse_article

    render, validate, sizes = pipeline
    body = path.read_text(encoding="utf-8")
    article = parse_article({
        "headline": f"Corpus page {path.stem}",
        "slug": re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-"),
        "published": "2026-06-25T09:00:00Z",
        "body_html": body,
    })
    page = render(article, site, source_key=f"articles/{path.stem}.json", image_sizes=sizes)
    _assert_valid(validate, page, path.name)
    _assert_text_preserved(body, page, path.name)
    # Nothing from the source page's scripts survives as a script.
    assert page.html.count("<script") == 2 + len(page.extensions)


def test_a_lost_paragraph_is_caught_by_the_text_check():
    # The text check itself must be able to fail: a page that drops a paragraph without a
    # report entry is refused.
    class FakePage:
        html = ('<html><body><div class="article-body"><p>First words.</p></div>'
                "</body></html>")
        report = ()

    with pytest.raises(pytest.fail.Exception, match="text lost"):
        _assert_text_preserved("<p>First words.</p><p>Second paragraph.</p>", FakePage, "fake")

    class ReportedPage(FakePage):
        report = (type("Entry", (), {"removed_text": "Second paragraph."})(),)

    _assert_text_preserved("<p>First words.</p><p>Second paragraph.</p>", ReportedPage, "fake")


def test_wordpress_featured_media_is_the_sized_hero_and_json_ld_image(site, pipeline):
    from amp_publisher.core.adapters import articles_from_document
    from amp_publisher.core.models import parse_article

    render, validate, sizes = pipeline
    doc = json.loads((RAW / "wordpress/wp-post-bogus-sizes-wp-caption.json").read_text("utf-8"))
    page = render(parse_article(articles_from_document(doc)[0]), site, image_sizes=sizes)
    src = "https://mysite.com/wp-content/uploads/2019/11/BOOP.jpg"  # _embedded featured media
    hero = re.search(r'<amp-img src="' + re.escape(src) + r'"[^>]*>', page.html)
    assert hero and 'width="625"' in hero.group(0) and 'height="415"' in hero.group(0)
    json_ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.html, re.S)
    image = json.loads(json_ld.group(1))["image"]
    assert src in (image if isinstance(image, list) else [image])
    assert page.canonical_url == doc["link"]
