"""Other iframes: amp-iframe when https (sandboxed, with a placeholder), a link otherwise."""

from __future__ import annotations

import json
from pathlib import Path

from amp_publisher.core.conversion import convert_html

ROOT = Path(__file__).parent.parent
WP_MAPS = ROOT / "tests/corpus/raw/wordpress/wp-page-about-us-maps-iframe.json"


def test_google_maps_iframe_from_a_wordpress_page_becomes_amp_iframe():
    page = json.loads(WP_MAPS.read_text(encoding="utf-8"))
    result = convert_html(page["content"]["rendered"])
    start = result.html.index("<amp-iframe")
    tag = result.html[start:result.html.index(">", start) + 1]
    assert 'src="https://www.google.com/maps/embed?' in tag
    assert 'layout="responsive" width="600" height="450"' in tag
    assert 'sandbox="' in tag and 'allowfullscreen=""' in tag
    assert "style=" not in tag and 'frameborder="0"' in tag
    assert '<span placeholder="" class="amp-iframe-placeholder"></span></amp-iframe>' in result.html
    assert "amp-iframe" in result.extensions


def test_an_existing_sandbox_is_kept():
    result = convert_html('<iframe src="https://poll.example/1" sandbox="allow-scripts" '
                          'width="300" height="200" title="Poll"></iframe>')
    assert result.html == ('<amp-iframe src="https://poll.example/1" layout="responsive" '
                           'width="300" height="200" sandbox="allow-scripts" title="Poll">'
                           '<span placeholder="" class="amp-iframe-placeholder"></span>'
                           "</amp-iframe>")


def test_http_iframe_becomes_a_link_to_the_page():
    result = convert_html('<iframe src="http://old.example/widget" title="Old widget"></iframe>')
    assert result.html == '<a href="http://old.example/widget">Old widget</a>'
    assert result.report[0].code == "INVALID_URL_PROTOCOL"


def test_about_blank_iframe_is_removed():
    result = convert_html('<p>Before</p><iframe src="about:blank">Fallback</iframe><p>After</p>')
    assert result.html == "<p>Before</p><p>After</p>"
    assert [(e.element, e.action) for e in result.report] == [("iframe", "removed")]
