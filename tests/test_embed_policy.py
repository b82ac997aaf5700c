"""The embed and ad policy (issue 14 item 2): known embeds become their AMP components, ads,
analytics and trackers are dropped with a report entry, every other frame is sandboxed without
allow-same-origin, and Markdown raw HTML goes through the same policy."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from amp_publisher.core.amp.validator import validate
from amp_publisher.core.conversion import convert_html
from amp_publisher.core.conversion.markdown import markdown_to_html

ROOT = Path(__file__).resolve().parent.parent


def _codes(result):
    return [e.code for e in result.report]


def test_the_policy_is_a_data_file_in_the_package():
    text = resources.files("amp_publisher.core.conversion").joinpath(
        "embed_policy.json").read_text()
    policy = json.loads(text)
    for provider in ("youtube", "vimeo", "dailymotion", "twitter", "instagram", "facebook",
                     "tiktok", "soundcloud"):
        assert policy["components"][provider]["component"] == f"amp-{provider}"
    assert "Google Maps" in policy["trusted_frames"]["frames"]
    assert "Spotify" in policy["trusted_frames"]["frames"]
    assert "allow-same-origin" not in policy["other_frames"]["sandbox"]
    assert {"advertising", "analytics", "tracking"} <= set(policy["blocked"])


@pytest.mark.parametrize("src", [
    "https://tpc.googlesyndication.com/safeframe/1-0-40/html/container.html",
    "https://ad.doubleclick.net/ddm/adi/N1234.site/B5678;sz=300x250",
    "//securepubads.g.doubleclick.net/gampad/ads?iu=/1/slot",
    "http://ads.pubmatic.com/AdServer/js/showad.js#iframe",
    "https://www.googletagmanager.com/ns.html?id=GTM-XXXX",
])
def test_ad_iframe_dropped_with_a_report_entry_naming_the_host(src):
    result = convert_html(f'<p>Story.</p><iframe src="{src}" width="300" height="250">'
                          "</iframe><p>More.</p>")
    assert "iframe" not in result.html and "<a " not in result.html
    assert result.html == "<p>Story.</p><p>More.</p>"
    entry = next(e for e in result.report if e.code == "REMOVED_AD_OR_TRACKER")
    assert entry.element == "iframe" and entry.action == "removed"
    assert entry.detail.split()[0] in ("advertising", "analytics")


def test_ad_amp_iframe_from_the_body_dropped():
    result = convert_html('<amp-iframe src="https://cdn.taboola.com/widget" width="300" '
                          'height="250" layout="responsive"></amp-iframe>')
    assert result.html == ""
    assert "REMOVED_AD_OR_TRACKER" in _codes(result)


def test_unknown_iframe_sandboxed_without_allow_same_origin():
    result = convert_html('<iframe src="https://polls.example.org/embed/42" width="500" '
                          'height="300" sandbox="allow-scripts allow-same-origin allow-forms">'
                          "</iframe>")
    assert 'sandbox="allow-scripts allow-forms"' in result.html
    assert "allow-same-origin" not in result.html


def test_unknown_iframe_without_sandbox_gets_the_policy_sandbox():
    result = convert_html('<iframe src="https://polls.example.org/embed/42"></iframe>')
    assert ('sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox allow-forms"'
            in result.html)


def test_google_maps_iframe_is_a_trusted_player_with_same_origin():
    src = "https://www.google.com/maps/embed?pb=!1m18!1m12"
    result = convert_html(f'<iframe src="{src}" width="600" height="450" style="border:0;" '
                          'allowfullscreen=""></iframe>')
    assert "<amp-iframe" in result.html and "allow-same-origin" in result.html
    assert any("trusted player Google Maps" in e.detail for e in result.report)


def test_spotify_iframe_is_a_trusted_player():
    result = convert_html('<iframe src="https://open.spotify.com/embed/episode/7makk4oTQel546B0PZlDM5"'
                          ' width="100%" height="232"></iframe>')
    assert "allow-same-origin" in result.html


def test_http_iframe_link_text_is_the_host_name_never_the_tracking_url():
    url = "http://widgets.example.net/w?uid=8f3a9c&utm_source=cms&ref=tracking-id-123"
    result = convert_html(f'<iframe src="{url}"></iframe>')
    assert result.html == f'<a href="{url.replace("&", "&amp;")}">widgets.example.net</a>'


@pytest.mark.parametrize("src, component, attribute", [
    ("https://www.dailymotion.com/embed/video/x8oxyzw", "amp-dailymotion",
     'data-videoid="x8oxyzw"'),
    ("https://geo.dailymotion.com/player.html?video=x8oxyzw", "amp-dailymotion",
     'data-videoid="x8oxyzw"'),
    ("https://www.tiktok.com/embed/v2/7219473512321011973", "amp-tiktok",
     'data-src="7219473512321011973"'),
    ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "amp-youtube", 'credentials="omit"'),
])
def test_known_embed_iframe_becomes_its_component(src, component, attribute):
    result = convert_html(f'<iframe src="{src}" width="640" height="360"></iframe>')
    assert result.html.startswith(f"<{component} ") and attribute in result.html
    assert result.extensions == {component}


def test_tiktok_and_dailymotion_page_urls_on_their_own_line_become_components():
    result = convert_html("<p>https://www.tiktok.com/@scout2015/video/6718335390845095173</p>"
                          "<p>https://dai.ly/x8oxyzw</p>")
    assert result.extensions == {"amp-tiktok", "amp-dailymotion"}


@pytest.mark.parametrize("img", [
    '<img src="https://www.facebook.com/tr?id=123&ev=PageView" alt="">',
    '<img src="https://pixel.wp.com/g.gif?blog=1" alt="stats">',
    '<img src="https://b.scorecardresearch.com/p?c1=2" width="1" height="1">',
    '<img src="https://news.example.com/open.gif" width="1" height="1" alt="open tracking">',
    '<img src="https://news.example.com/open.gif" style="width:1px;height:1px;border:0">',
    '<img src="https://news.example.com/open.gif" width="0" height="0" alt="x">',
])
def test_tracking_pixel_dropped(img):
    result = convert_html(f"<p>Text.{img}</p>")
    assert result.html == "<p>Text.</p>"
    assert "REMOVED_AD_OR_TRACKER" in _codes(result)


def test_pixel_found_by_its_file_size_is_dropped_not_made_600x400():
    pixel = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
    result = convert_html(f'<p>Text.<img src="{pixel}" alt="beacon"></p>')
    assert result.html == "<p>Text.</p>"


def test_markdown_raw_iframe_goes_through_the_same_policy():
    body = ("Intro.\n\n<iframe src=\"https://evil.example/track\" width=\"1\" height=\"1\">"
            "</iframe>\n\n<iframe src=\"https://ad.doubleclick.net/x\"></iframe>\n\nEnd.\n")
    result = convert_html(markdown_to_html(body))
    assert "doubleclick" not in result.html
    assert "allow-same-origin" not in result.html
    assert "<script" not in result.html


def test_converted_policy_output_passes_the_validator():
    body = ('<iframe src="https://www.dailymotion.com/embed/video/x8oxyzw"></iframe>'
            '<iframe src="https://www.tiktok.com/embed/v2/7219473512321011973"></iframe>'
            '<iframe src="https://polls.example.org/embed/42"></iframe>'
            '<iframe src="https://www.google.com/maps/embed?pb=1"></iframe>'
            '<iframe src="https://ad.doubleclick.net/x"></iframe>')
    page = render_body(body)
    assert validate(page.html).passed, [e.code for e in validate(page.html).errors]
    assert {"amp-dailymotion", "amp-tiktok", "amp-iframe"} <= set(page.extensions)


def render_body(body_html: str):
    """The whole page for a body, rendered with the repository's example site."""
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    site = SiteConfig.model_validate(json.loads((ROOT / "events/site.json").read_text()))
    article = parse_article({"headline": "Policy", "slug": "policy",
                             "published": "2026-06-25T09:00:00Z", "body_html": body_html})
    return render(article, site, source_key="articles/policy.json")
