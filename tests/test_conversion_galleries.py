"""Galleries: a list of images marked data-amp-carousel → amp-carousel of slides."""

from __future__ import annotations

import lxml.html

from amp_publisher.core.amp.validator import validate
from amp_publisher.core.conversion import convert_html


def _parse(html: str):
    return lxml.html.fragment_fromstring(html, create_parent="div")


def _rendered(body_html: str, site) -> str:
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    return render(parse_article({"headline": "Gallery", "published": "2026-06-25",
                                 "body_html": body_html}), site, source_key="articles/g.json").html


GALLERY = ('<ul class="gallery" data-amp-carousel>'
           '<li><figure><img src="https://i.example/1.jpg" width="1200" height="800" alt="One">'
           '<figcaption>First <b>slide</b></figcaption></figure></li>'
           '<li><img src="https://i.example/2.jpg" alt="Two"></li></ul>')


def test_a_marked_list_of_images_becomes_a_carousel_of_slides(site):
    result = convert_html(GALLERY)
    [carousel] = _parse(result.html).xpath("//amp-carousel")
    assert carousel.get("type") == "slides" and carousel.get("controls") == ""
    assert (carousel.get("width"), carousel.get("height"), carousel.get("layout")) == \
        ("1200", "800", "responsive")  # the first image's box
    assert carousel.get("class") == "gallery"
    slides = list(carousel)
    assert [s.tag for s in slides] == ["figure", "figure"]
    assert [s[0].get("alt") for s in slides] == ["One", "Two"]
    assert slides[0].findtext("figcaption/b") == "slide"
    assert result.extensions == {"amp-carousel"}
    assert "CONVERTED_GALLERY" in [e.code for e in result.report]
    assert validate(_rendered(GALLERY, site)).passed


def test_the_carousel_survives_a_second_conversion_unchanged():
    once = convert_html(GALLERY)
    twice = convert_html(once.html)
    assert twice.html == once.html and twice.report == ()


def test_a_marked_list_with_text_outside_captions_stays_a_list():
    result = convert_html('<ul data-amp-carousel><li>Read this <img src="/a.jpg" '
                          'width="40" height="30" alt="A"></li></ul>')
    root = _parse(result.html)
    assert not root.xpath("//amp-carousel") and root.xpath("//ul/li")
    assert "Read this" in root.text_content()
    assert ("INVALID_ATTR_VALUE", "data-amp-carousel") in [(e.code, e.attribute)
                                                            for e in result.report]


def test_a_pasted_carousel_of_other_content_is_still_unwrapped():
    result = convert_html('<amp-carousel type="slides" layout="responsive" width="4" '
                          'height="3"><p>Kept text</p></amp-carousel>')
    assert result.html == "<p>Kept text</p>"
    assert [e.code for e in result.report] == ["DISALLOWED_TAG"]
