"""The page the reference article becomes: content in order, SEO metadata, AMP essentials."""

from __future__ import annotations

import copy
import json

import lxml.html
import pytest

from amp_publisher.core.conversion.images import FALLBACK_SIZE
from amp_publisher.core.models import parse_article
from amp_publisher.core.rendering import render
from conftest import REFERENCE_HTML, REFERENCE_SLUG

KEY = "articles/met-palantir-extension.json"


@pytest.fixture
def page(reference_data, site):
    return render(parse_article(reference_data), site, source_key=KEY)


def _doc(html: str):
    return lxml.html.document_fromstring(html.encode("utf-8"))


def _text(node) -> str:
    return " ".join(node.text_content().split())


def test_every_block_appears_once_in_order(page, reference_data):
    body = _text(_doc(page.html).find_class("article-body")[0])
    position = 0
    for block in reference_data["body"]:
        text = " ".join(block["text"].split())
        assert body.count(text) == 1, text[:60]
        found = body.index(text, position)
        assert found >= position
        position = found + len(text)


def test_headline_is_the_only_h1(page, reference_data):
    h1s = _doc(page.html).xpath("//h1")
    assert [_text(h) for h in h1s] == [reference_data["headline"]]


def test_byline_and_time_elements(page):
    doc = _doc(page.html)
    byline = _text(doc.find_class("byline")[0])
    # en-GB writes the day first; "Updated" on the day of publication says nothing, so it goes.
    assert byline == "Published 25 June 2026 · By Sandra Johnson"
    assert [t.get("datetime") for t in doc.xpath("//p[@class='byline']/time")] == ["2026-06-25"]


def test_site_header_badge_and_language(page, site):
    doc = _doc(page.html)
    logo = doc.xpath("//header[@class='site-header']//amp-img[@class='logo']")[0]
    assert logo.get("alt") == site.name
    assert _text(doc.find_class("tagline")[0]) == site.tagline
    assert _text(doc.find_class("badge")[0]) == "AMP Article"
    assert doc.getroottree().getroot().get("lang") == "en-GB"


def test_seo_metadata(page, reference_data, site):
    doc = _doc(page.html)
    canonical = f"{site.base_url}/{REFERENCE_SLUG}/"
    assert doc.xpath("//link[@rel='canonical']/@href") == [canonical]
    assert doc.xpath("//meta[@name='description']/@content") == [reference_data["description"]]
    assert doc.findtext(".//title").startswith(reference_data["headline"])
    og = {m.get("property"): m.get("content") for m in doc.xpath("//meta[@property]")}
    assert og["og:type"] == "article" and og["og:url"] == canonical
    assert og["og:title"] == reference_data["headline"]
    assert og["og:site_name"] == site.name
    assert doc.xpath("//meta[@name='twitter:card']/@content") == ["summary"]


def test_news_article_json_ld(page, reference_data, site):
    (script,) = _doc(page.html).xpath("//script[@type='application/ld+json']")
    data = json.loads(script.text)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == reference_data["headline"]
    assert data["datePublished"].startswith("2026-06-25T00:00:00")
    assert data["datePublished"].endswith("+00:00")
    assert data["author"] == [{"@type": "Person", "name": "Sandra Johnson"}]
    assert data["publisher"]["name"] == site.publisher.name
    assert data["publisher"]["logo"]["url"] == site.publisher.logo.src
    assert data["mainEntityOfPage"]["@id"] == f"{site.base_url}/{REFERENCE_SLUG}/"


def test_json_ld_cannot_be_closed_by_article_text(reference_data, site):
    data = dict(reference_data, description='Ends here </script><script>alert(1)</script> <!--')
    page = render(parse_article(data), site, source_key=KEY)
    head = page.html.split("</head>")[0]
    assert "alert(1)</script>" not in head
    scripts = _doc(page.html).xpath("//script[@type='application/ld+json']")
    assert json.loads(scripts[0].text)["description"] == data["description"]


def test_text_is_escaped_not_interpreted(reference_data, site):
    data = copy.deepcopy(reference_data)
    data["body"][1]["text"] = "Use <script>alert(1)</script> & <b>tags</b>"
    page = render(parse_article(data), site, source_key=KEY)
    assert "<script>alert(1)" not in page.html
    assert "Use &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;tags&lt;/b&gt;" in page.html


def test_amp_essentials(page):
    html = page.html
    assert html.startswith("<!doctype html>\n<html ⚡ lang=")
    assert '<script async src="https://cdn.ampproject.org/v0.js"></script>' in html
    assert "<style amp-boilerplate>" in html and "<style amp-custom>" in html
    assert "!important" not in html
    # the reference body needs no component; the theme adds its share buttons
    assert page.extensions == frozenset({"amp-social-share"})
    assert page.size_bytes <= 40 * 1024  # DESIGN §8: the reference page ≤ 40 KB


def test_rendering_is_deterministic(reference_data, site):
    first = render(parse_article(reference_data), site, source_key=KEY)
    second = render(parse_article(copy.deepcopy(reference_data)), site, source_key=KEY)
    assert first.html == second.html


def test_slug_defaults_to_the_key_stem(reference_data, site):
    data = dict(reference_data)
    data.pop("slug")
    page = render(parse_article(data), site, source_key="articles/Café Menu+2026.json")
    assert page.slug == "cafe-menu-2026"


def test_hero_and_gallery_images_always_have_both_dimensions(reference_data, site):
    data = dict(reference_data, image={"src": "https://img.example/hero.jpg", "alt": "Hero"})
    data["body"] = data["body"] + [{"type": "gallery", "images": [
        {"src": "https://img.example/1.jpg", "alt": "one", "width": 800, "height": 600},
        {"src": "/static/2.jpg", "alt": "two"}]}]
    page = render(parse_article(data), site, source_key=KEY)
    doc = _doc(page.html)
    for img in doc.xpath("//amp-img"):
        assert int(img.get("width")) > 0 and int(img.get("height")) > 0
    hero = doc.xpath("//figure[@class='hero-image']/amp-img")[0]
    assert (int(hero.get("width")), int(hero.get("height"))) == FALLBACK_SIZE
    assert hero.get("class") == "amp-unknown-size"
    assert "amp-carousel" in page.extensions
    assert 'custom-element="amp-carousel"' in page.html
    og_image = doc.xpath("//meta[@property='og:image']/@content")
    assert og_image == ["https://img.example/hero.jpg"]


def test_image_size_resolver_is_asked_for_missing_sizes(reference_data, site):
    asked = []

    class Sizes:
        def size(self, src):
            asked.append(src)
            return (1200, 800)

    data = dict(reference_data, image={"src": "https://img.example/hero.jpg", "alt": "Hero"})
    page = render(parse_article(data), site, source_key=KEY, image_sizes=Sizes())
    hero = _doc(page.html).xpath("//figure[@class='hero-image']/amp-img")[0]
    assert asked == ["https://img.example/hero.jpg"]
    assert (hero.get("width"), hero.get("height")) == ("1200", "800")


def test_html_body_variant_renders_the_same_text(page, site):
    pytest.importorskip("amp_publisher.core.conversion.pipeline")
    other = render(parse_article(json.loads(REFERENCE_HTML.read_text())), site,
                   source_key="articles/met-palantir-extension.body-html.json")
    text = _text(_doc(page.html).find_class("article-body")[0])
    other_text = _text(_doc(other.html).find_class("article-body")[0])
    assert other_text == text


def test_body_css_is_kept_within_the_amp_budget_with_the_theme_first(reference_data, site):
    from amp_publisher.core.amp.validator import validate

    rules = "".join(f".c{i} {{ color: #{i % 999:03d}; margin: {i % 7}px; }}\n"
                    for i in range(4000))  # far more than 75,000 bytes
    data = dict(reference_data)
    data.pop("body")
    data["body_html"] = f"<style>{rules}</style><p style='color: red'>Styled text.</p>"
    page = render(parse_article(data), site, source_key=KEY)
    css = _doc(page.html).xpath("//style[@amp-custom]")[0].text
    assert len(css.encode()) <= 75_000
    assert ".article-body" in css  # the theme's rules are all there
    assert validate(page.html).passed
    assert any("75,000" in e.detail or "budget" in e.detail for e in page.report)


def test_html_body_gets_a_meta_description_from_its_first_paragraph(site):
    data = json.loads(REFERENCE_HTML.read_text())
    data.pop("description")
    page = render(parse_article(data), site, source_key=KEY)
    (description,) = _doc(page.html).xpath("//meta[@name='description']/@content")
    assert description.startswith("Met gets extension to Palantir AI project - The London")
    assert len(description) <= 160 and description.endswith("…")


@pytest.mark.parametrize("body", [{"body_html": "<h1>Big</h1><p>Text.</p>"},
                                  {"body_markdown": "# Big\n\nText."}])
def test_the_headline_stays_the_only_h1_whatever_the_body_says(reference_data, site, body):
    data = {k: v for k, v in reference_data.items() if k != "body"} | body
    page = render(parse_article(data), site, source_key=KEY)
    doc = _doc(page.html)
    assert [_text(h) for h in doc.xpath("//h1")] == [reference_data["headline"]]
    assert "Big" in [_text(h) for h in doc.xpath("//div[@class='article-body']//h2")]
    assert any(e.code == "DEMOTED_HEADING" for e in page.report)


def test_media_blocks_pass_the_converter_and_its_report(reference_data, site):
    """Blocks are written as plain HTML and converted: one path and one report for every
    element of the page (issue 10, "One AMP writer")."""
    from amp_publisher.core.amp.validator import validate

    data = dict(reference_data, image={"src": "/static/hero.jpg", "alt": "Hero",
                                       "width": 1200, "height": 800})
    data["body"] = data["body"][:1] + [
        {"type": "image", "src": "https://img.example/a.jpg", "alt": "A", "width": 640,
         "height": 480, "caption": "Cap", "credit": "Cred"},
        {"type": "gallery", "images": [{"src": "https://img.example/1.jpg", "alt": "one"},
                                       {"src": "/static/2.jpg", "alt": "two", "width": 300,
                                        "height": 200, "caption": "Second"}]},
        {"type": "video", "src": "https://v.example/a.mp4", "poster": "https://v.example/p.jpg",
         "caption": "Clip"},
        {"type": "audio", "src": "https://v.example/a.mp3"},
    ]
    page = render(parse_article(data), site, source_key=KEY)
    doc = _doc(page.html)
    assert validate(page.html).passed
    [hero] = doc.xpath("//figure[@class='hero-image']/amp-img")
    assert (hero.get("src"), hero.get("width"), hero.get("height"), hero.get("layout")) == \
        ("/static/hero.jpg", "1200", "800", "responsive")  # site-relative stays relative
    assert hero.get("data-hero") is not None and "42rem" in hero.get("sizes")
    [image] = doc.xpath("//figure[@class='image']/amp-img")
    assert (image.get("width"), image.get("height"), image.get("layout")) == \
        ("640", "480", "responsive")
    assert doc.xpath("//figure[@class='image']/figcaption/span[@class='credit']/text()") == \
        ["Cred"]
    [carousel] = doc.xpath("//amp-carousel[@class='gallery']")
    assert carousel.get("type") == "slides"
    assert (carousel.get("width"), carousel.get("height")) == (str(FALLBACK_SIZE[0]),
                                                                 str(FALLBACK_SIZE[1]))
    assert [img.get("alt") for img in carousel.xpath("figure/amp-img")] == ["one", "two"]
    [video] = doc.xpath("//figure[@class='video']/amp-video")
    assert video.get("poster") == "https://v.example/p.jpg" and video.get("controls") is not None
    assert int(video.get("width")) * 9 == int(video.get("height")) * 16  # a 16:9 box
    assert video.xpath("*[@fallback]//a/@href") == ["https://v.example/a.mp4"]
    [audio] = doc.xpath("//figure[@class='audio']/amp-audio")
    assert audio.xpath("*[@fallback]//a/text()") == ["Listen"]
    assert {"amp-carousel", "amp-video", "amp-audio"} <= page.extensions
    # the report names every converted block element, with its converter code
    codes = [(e.code, e.element) for e in page.report]
    assert codes.count(("CONVERTED_IMAGE", "img")) == 4  # hero, image, two slides
    assert ("CONVERTED_GALLERY", "ul") in codes
    assert ("CONVERTED_MEDIA", "video") in codes and ("CONVERTED_MEDIA", "audio") in codes


def test_text_blocks_are_not_converted(reference_data, site):
    """A plain-text paragraph holding only a video URL is text, not a player."""
    data = dict(reference_data, body=[{"type": "paragraph",
                                       "text": "https://youtu.be/dQw4w9WgXcQ"}])
    page = render(parse_article(data), site, source_key=KEY)
    assert "<p>https://youtu.be/dQw4w9WgXcQ</p>" in page.html
    assert "amp-youtube" not in page.extensions and page.report == ()
