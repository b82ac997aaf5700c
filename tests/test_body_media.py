"""A page's media blocks and hero image go through the converter together, in one call
(``convert_fragments``); the page and its report must be exactly what one call per block gives.

The one-by-one page is rendered with ``convert_fragments`` made to give up (its documented
``None``), which sends every block through ``convert_html`` on its own, as before batching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import amp_publisher.core.conversion as conversion
from amp_publisher.core.conversion import convert_fragments, convert_html
from amp_publisher.core.models import parse_article
from amp_publisher.core.rendering import render

ROOT = Path(__file__).parent.parent
ARTICLES = sorted((ROOT / "events/articles").glob("*.json"))


class CountingResolver:
    """An image-size resolver with a batch call and a probe budget of ``budget`` images per
    article, answering a size derived from the URL; it records the order it is asked in."""

    def __init__(self, budget: int = 2) -> None:
        self.left = budget
        self.asked: list[str] = []

    def size(self, src: str) -> tuple[int, int]:
        self.asked.append(src)
        return 100 + len(src) * 7 % 900, 100 + len(src) * 13 % 700

    def sizes(self, srcs) -> dict[str, tuple[int, int]]:
        found = {}
        for src in dict.fromkeys(srcs):
            if self.left > 0:
                self.left -= 1
                found[src] = self.size(src)
        return found


def _render(article, site, monkeypatch, *, together: bool, resolver=None):
    with monkeypatch.context() as patch:
        if not together:
            patch.setattr(conversion, "convert_fragments", lambda *a, **k: None)
        page = render(article, site, source_key="articles/sample.json", image_sizes=resolver)
    return page.html, [e.to_dict() for e in page.report], sorted(page.extensions)


def _assert_same_together_and_one_by_one(article, site, monkeypatch, with_resolver):
    """The page, its report and its extensions, and the image sizes asked for, are the same
    whether the media blocks are converted in one call or one by one."""
    resolvers = (CountingResolver(), CountingResolver()) if with_resolver else (None, None)
    one_by_one = _render(article, site, monkeypatch, together=False, resolver=resolvers[0])
    together = _render(article, site, monkeypatch, together=True, resolver=resolvers[1])
    assert together == one_by_one
    if with_resolver:
        assert resolvers[1].asked == resolvers[0].asked


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name)
@pytest.mark.parametrize("with_resolver", [False, True])
def test_sample_articles_render_the_same_with_media_converted_together(path, with_resolver,
                                                                      site, monkeypatch):
    article = parse_article(json.loads(path.read_text(encoding="utf-8")))
    _assert_same_together_and_one_by_one(article, site, monkeypatch, with_resolver)


def test_the_every_block_page_converts_its_media_in_one_call(site, monkeypatch):
    calls = []
    real = conversion.convert_fragments

    def spy(fragments, **kwargs):
        result = real(fragments, **kwargs)
        calls.append((len(fragments), result is not None))
        return result

    monkeypatch.setattr(conversion, "convert_fragments", spy)
    article = parse_article(json.loads((ROOT / "events/articles/"
                                        "river-festival-every-block.json").read_text()))
    page = render(article, site, source_key="articles/river-festival-every-block.json")
    assert calls == [(3, True)]  # the image, the gallery and the hero
    codes = [e.code for e in page.report]
    # the image block's entries, then the gallery's, then (after the body) the hero's
    assert codes.index("CONVERTED_GALLERY") < len(codes) - 1
    assert codes[-1] == "CONVERTED_IMAGE"


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
URL = st.sampled_from(["https://cdn.example/a.jpg", "/static/b.png", "https://cdn.example/a.jpg",
                       "https://cdn.example/c d.gif", 'https://cdn.example/"q".jpg',
                       "https://cdn.example/x.jpg?a=1&b=<2>", "//cdn.example/p.webp",
                       "data:image/gif;base64,R0lGODlhAQABAAAAACw=", "https://cdn.example/v.mp4"])
SIZE = st.one_of(st.none(), st.integers(1, 4000))


def _image(**extra):
    return st.fixed_dictionaries({"src": URL, "alt": TEXT}, optional={
        "width": st.integers(1, 4000), "height": st.integers(1, 4000), "caption": TEXT,
        "credit": TEXT}).map(lambda d: {**d, **extra})


BLOCK = st.one_of(
    _image(type="image"),
    st.fixed_dictionaries({"type": st.just("gallery"),
                           "images": st.lists(_image(), min_size=1, max_size=3)}),
    st.fixed_dictionaries({"type": st.just("video"), "src": URL.filter(
        lambda u: u.startswith("https://") and " " not in u)},
        optional={"width": st.integers(1, 4000), "height": st.integers(1, 4000),
                  "caption": TEXT, "poster": st.just("https://cdn.example/poster.jpg")}),
    st.fixed_dictionaries({"type": st.just("audio"), "src": st.just("https://cdn.example/a.mp3")},
                          optional={"caption": TEXT}),
    st.fixed_dictionaries({"type": st.just("paragraph"), "html": st.sampled_from([
        "A <b>bold</b> claim", '<img src="/in/line.png">', "<font>old</font> <i>x</i>"])}),
    st.fixed_dictionaries({"type": st.just("html"), "html": st.sampled_from([
        "<p>More <img src=https://cdn.example/h.jpg></p>", '<div style="color:red">red</div>',
        "<ul><li>one<li>two</ul>"])}),
    st.fixed_dictionaries({"type": st.just("heading"), "level": st.just(2), "text": TEXT}),
)


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(blocks=st.lists(BLOCK, min_size=1, max_size=6), hero=st.one_of(st.none(), _image()),
       with_resolver=st.booleans())
def test_media_converted_together_give_the_page_one_by_one_gives(site, monkeypatch, blocks, hero,
                                                                with_resolver):
    data = {"headline": "Media", "published": "2026-07-04", "slug": "media", "body": blocks}
    if hero is not None:
        data["image"] = hero
    try:
        article = parse_article(data)
    except Exception:  # a generated URL the article contract refuses: nothing to render
        return
    _assert_same_together_and_one_by_one(article, site, monkeypatch, with_resolver)


def test_fragments_that_are_not_single_elements_are_left_to_one_by_one():
    assert convert_fragments(["<p>a</p><p>b</p>", "<figure></figure>"]) is None
    assert convert_fragments(["text", "<figure></figure>"]) is None


def test_fragments_holding_css_are_left_to_one_by_one():
    assert convert_fragments(['<p style="color:red">a</p>', "<p>b</p>"]) is None


def test_fragments_with_an_image_to_measure_are_left_to_one_by_one():
    fragments = ['<figure><img src="https://cdn.example/a.jpg" alt=""></figure>', "<p>b</p>"]
    resolver = CountingResolver()
    assert convert_fragments(fragments, image_sizes=resolver) is None
    assert resolver.asked == []  # nothing measured by the attempt
    assert convert_fragments(fragments) is not None  # no resolver: the fallback size, together


def test_each_fragment_gets_its_own_result():
    fragments = ['<figure><img src="/a.jpg" width="4" height="3" alt="a"></figure>',
                 '<figure><video src="http://cdn.example/v.mp4" controls></video></figure>',
                 '<p onclick="x()">plain</p>']
    together = convert_fragments(fragments)
    assert together is not None
    alone = [convert_html(f) for f in fragments]
    assert list(together.html) == [r.html for r in alone]
    assert list(together.reports) == [r.report for r in alone]
    assert together.extensions == frozenset().union(*(r.extensions for r in alone))
