"""Scripts, event handlers and <noscript> fallbacks."""

from __future__ import annotations

from pathlib import Path

from amp_publisher.core.conversion import convert_html

ROOT = Path(__file__).parent.parent
JWZ = ROOT / "tests/corpus/raw/messy-html/readability-jwz-font-center-table.html"


def test_scripts_are_removed_with_their_content_and_reported():
    result = convert_html('<p>a</p><script>document.write("b")</script>'
                          '<script type="application/ld+json">{"@type":"Thing"}</script><p>c</p>')
    assert result.html == "<p>a</p><p>c</p>"
    assert [(e.code, e.removed_text) for e in result.report] == [
        ("DISALLOWED_SCRIPT_TAG", ""), ("DISALLOWED_SCRIPT_TAG", "")]


def test_event_handlers_on_the_jwz_image_are_removed():
    result = convert_html(JWZ.read_text(encoding="latin-1"))
    assert "onmouseover" not in result.html.lower() and "onmouseout" not in result.html.lower()
    handlers = {e.attribute.lower() for e in result.report if e.attribute
                and e.attribute.lower().startswith("on")}
    assert {"onmouseover", "onmouseout"} <= handlers


def test_amp_action_attributes_from_a_body_are_removed():
    result = convert_html('<button on="tap:AMP.navigateTo(url=\'https://x.example\')">Go</button>')
    assert result.html == "<button>Go</button>"


def test_noscript_fallback_replaces_the_lazy_image_before_it():
    result = convert_html('<img class="lazyload" data-src="https://cdn.example/a.jpg" '
                          'src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
                          '<noscript><img src="https://cdn.example/a.jpg" width="800" '
                          'height="600" alt="A"></noscript>')
    assert result.html == ('<amp-img src="https://cdn.example/a.jpg" width="800" height="600" '
                           'layout="intrinsic" alt="A"></amp-img>')


def test_noscript_text_is_unwrapped_and_kept():
    result = convert_html("<noscript><p>Enable JavaScript to see the chart.</p></noscript>")
    assert result.html == "<p>Enable JavaScript to see the chart.</p>"
    assert result.report[0].code == "UNWRAPPED_NOSCRIPT"


def test_noscript_copy_inside_a_pasted_amp_component_is_dropped():
    result = convert_html('<amp-img src="https://cdn.example/a.jpg" width="800" height="600" '
                          'layout="responsive" alt="A"><noscript><img src="https://cdn.example/'
                          'a.jpg" width="800" height="600" alt="A"></noscript></amp-img>')
    assert result.html == ('<amp-img src="https://cdn.example/a.jpg" width="800" height="600" '
                           'layout="responsive" alt="A"></amp-img>')
