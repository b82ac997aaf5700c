"""The default theme as a reader meets it: logo, dates in the page's language and the site's
time zone, share buttons, analytics behind consent, related articles, dark mode and print, and
every variant still valid AMP (our validator; the official one too when it is available)."""

from __future__ import annotations

import copy
import os
import subprocess
from pathlib import Path

import lxml.html
import pytest

from amp_publisher.core.amp.validator import validate
from amp_publisher.core.models import parse_article
from amp_publisher.core.rendering import RelatedArticle, display_date, render
from amp_publisher.core.site import SiteConfig

KEY = "articles/met-palantir-extension.json"
ROOT = Path(__file__).resolve().parents[1]
#: The official AMP validator (a wrapper around the AMP project's validator.js) lives in the
#: shared reference folder next to the repository; AMP_SHARED overrides where that is.
OFFICIAL = Path(os.environ.get("AMP_SHARED", ROOT.parent / "shared")) / \
    "amp-validator-official" / "amp-official-validate"


def _page(data: dict, site: SiteConfig, **kwargs):
    page = render(parse_article(data), site, source_key=KEY, **kwargs)
    result = validate(page.html)
    assert result.passed, [e.message for e in result.errors]
    return page


def _doc(html: str):
    return lxml.html.document_fromstring(html.encode("utf-8"))


def _byline(html: str) -> str:
    return " ".join(_doc(html).find_class("byline")[0].text_content().split())


def _site(site: SiteConfig, **changes) -> SiteConfig:
    return site.merged(changes)


def test_logo_in_header_served_from_the_site(reference_data, site):
    page = _page(reference_data, site)
    logo = _doc(page.html).xpath("//header[@class='site-header']//amp-img")
    assert len(logo) == 1
    # events/site.json's logo lives under the site's base URL: the header asks for it by path,
    # so the preview server and a staging host serve it too.
    assert logo[0].get("src") == "/static/logo-600x60.png"
    assert (logo[0].get("width"), logo[0].get("height")) == ("600", "60")


def test_no_logo_shows_the_site_name(reference_data):
    page = _page(reference_data, SiteConfig(name="Plain Gazette", base_url="https://p.example"))
    header = _doc(page.html).find_class("site-header")[0]
    assert header.xpath(".//amp-img") == []
    assert header.find_class("site-name")[0].text_content().strip() == "Plain Gazette"


@pytest.mark.parametrize(("language", "expected"), [
    ("en-GB", "Published 25 June 2026"), ("en-US", "Published June 25, 2026"),
    ("de", "Veröffentlicht am 25. Juni 2026"), ("fr", "Publié le 25 juin 2026"),
])
def test_dates_follow_the_page_language(reference_data, site, language, expected):
    data = copy.deepcopy(reference_data) | {"language": language}
    assert _byline(_page(data, site).html).startswith(f"{expected} ·")


def test_dates_are_shown_in_the_site_time_zone(reference_data, site):
    data = copy.deepcopy(reference_data) | {"published": "2026-06-25T23:30:00Z", "updated": None}
    del data["updated"]
    # 23:30 UTC is already the next day in Berlin, and still the same day in New York.
    assert "26 June 2026" in _byline(_page(data, _site(site, timezone="Europe/Berlin")).html)
    assert "25 June 2026" in _byline(_page(data, _site(site, timezone="America/New_York")).html)


def test_updated_only_when_it_differs(reference_data, site):
    same_day = copy.deepcopy(reference_data) | {"published": "2026-06-25", "updated": "2026-06-25"}
    assert "Updated" not in _byline(_page(same_day, site).html)
    later = copy.deepcopy(reference_data) | {"updated": "2026-06-27"}
    assert _byline(_page(later, site).html) == \
        "Published 25 June 2026 · Updated 27 June 2026 · By Sandra Johnson"
    # The same day with a later time: the time of the update, in the site's zone (BST = UTC+1).
    hours = copy.deepcopy(reference_data) | {"published": "2026-06-25T08:00:00Z",
                                             "updated": "2026-06-25T15:05:00Z"}
    assert _byline(_page(hours, site).html) == \
        "Published 25 June 2026 · Updated at 16:05 · By Sandra Johnson"


def test_display_date_falls_back_to_the_base_language():
    import datetime as dt

    assert display_date(dt.date(2026, 1, 2), language="en-ZZ", timezone="UTC")["text"] == \
        "January 2, 2026"


def test_unknown_time_zone_is_refused(site):
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        _site(site, timezone="Mars/Olympus")


@pytest.mark.parametrize("field", ["tagline", "badge", "output_prefix"])
def test_a_lone_surrogate_in_a_site_text_is_refused_naming_the_field(site, field):
    """Plain text settings took it, and every page of the site then failed to encode: each
    article reported as a renderer bug."""
    with pytest.raises(ValueError, match=rf"{field}\n.*valid string"):
        site.merged({field: "Weekly \ud800"})


def test_a_lone_surrogate_in_the_analytics_configuration_is_refused_naming_its_place(site):
    """The vendor configuration is free-form JSON pydantic does not look into: a surrogate in it
    made every event fail (fingerprinting the site), retried as transient until it gave up."""
    with pytest.raises(ValueError, match=r"config\.vars\.x holds a lone surrogate"):
        site.merged({"analytics": {"vendor": "parsely",
                                   "config": {"vars": {"x": "a\ud800"}}}})


def test_share_buttons_follow_the_settings(reference_data, site):
    page = _page(reference_data, site)
    buttons = _doc(page.html).xpath("//amp-social-share")
    assert [b.get("type") for b in buttons] == ["email", "linkedin", "twitter", "whatsapp"]
    assert {b.get("data-param-url") for b in buttons} == {page.canonical_url}

    custom = _site(site, share={"networks": ["facebook", "system"], "facebook_app_id": "1234"})
    buttons = _doc(_page(reference_data, custom).html).xpath("//amp-social-share")
    assert [(b.get("type"), b.get("data-param-app_id")) for b in buttons] == \
        [("facebook", "1234"), ("system", None)]

    none = _page(reference_data, _site(site, share={"networks": []}))
    assert _doc(none.html).xpath("//amp-social-share | //script[@custom-element]") == []
    assert "amp-social-share" not in none.extensions


def test_share_settings_are_checked(site):
    with pytest.raises(ValueError, match="facebook needs facebook_app_id"):
        _site(site, share={"networks": ["facebook"]})
    with pytest.raises(ValueError, match="unknown share network"):
        _site(site, share={"networks": ["myspace"]})


def test_ga4_analytics_without_consent(reference_data, site):
    page = _page(reference_data, _site(site, analytics_id="G-TEST123"))
    doc = _doc(page.html)
    (tag,) = doc.xpath("//amp-analytics")
    assert tag.get("type") == "gtag" and tag.get("data-block-on-consent") is None
    import json

    config = json.loads(tag.xpath("./script")[0].text)
    assert config["vars"]["gtag_id"] == "G-TEST123"
    assert doc.xpath("//amp-consent") == []


def test_generic_vendor_analytics_waits_for_consent(reference_data, site):
    settings = _site(site, analytics={"vendor": "parsely", "config": {"vars": {"apikey": "a.b"}}},
                     consent={"required": True, "message": "Cookies?"})
    doc = _doc(_page(reference_data, settings).html)
    (tag,) = doc.xpath("//amp-analytics")
    assert tag.get("type") == "parsely" and tag.get("data-block-on-consent") is not None
    (consent,) = doc.xpath("//amp-consent")
    assert consent.xpath(".//p")[0].text == "Cookies?"
    assert {b.get("on") for b in consent.xpath(".//button")} == \
        {"tap:consent.accept", "tap:consent.reject"}


def test_no_analytics_no_consent_banner(reference_data, site):
    html = _page(reference_data, _site(site, consent={"required": True})).html
    assert "amp-analytics" not in html and "amp-consent" not in html


def test_related_articles_in_the_given_order(reference_data, site):
    import datetime as dt

    assert "class=\"related\"" not in _page(reference_data, site).html  # none until an index
    related = [RelatedArticle("Newest <one>", "/newest/", dt.date(2026, 6, 24)),
               RelatedArticle("Older", "/older/", dt.date(2026, 5, 1))]
    doc = _doc(_page(reference_data, site, related=related).html)
    items = doc.xpath("//aside[@class='related']//li")
    assert [li.xpath("./a")[0].text for li in items] == ["Newest <one>", "Older"]
    assert [li.xpath("./time")[0].text for li in items] == ["24 June 2026", "1 May 2026"]


def test_dark_mode_and_print_styles(reference_data, site):
    css = _doc(_page(reference_data, site).html).xpath("//style[@amp-custom]")[0].text
    assert "@media (prefers-color-scheme: dark)" in css
    assert "@media print" in css


def test_reference_page_within_budget(reference_data, site):
    assert _page(reference_data, site).size_bytes <= 40_000  # DESIGN §8


@pytest.mark.skipif(not OFFICIAL.exists(), reason=f"official AMP validator not found at "
                    f"{OFFICIAL} (set AMP_SHARED to the shared reference folder)")
def test_every_variant_passes_the_official_validator(reference_data, site, tmp_path):
    import datetime as dt

    full = _site(site, analytics={"vendor": "gtag", "id": "G-TEST123"},
                 consent={"required": True},
                 share={"networks": ["facebook", "email", "system"], "facebook_app_id": "1"})
    pages = {"reference": _page(reference_data, site),
             "full": _page(reference_data, full,
                           related=[RelatedArticle("Other", "/other/", dt.date(2026, 6, 1))])}
    for name, page in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(page.html, encoding="utf-8")
        run = subprocess.run([str(OFFICIAL), "--head-rules", str(path)], capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0 and "PASS" in run.stdout, run.stdout + run.stderr


def test_custom_theme_overrides_a_partial_and_its_css_and_inherits_the_rest(
        reference_data, site, tmp_path, monkeypatch):
    from amp_publisher.core import theme

    folder = tmp_path / "themes" / "gazette-override"
    (folder / "partials").mkdir(parents=True)
    (folder / "partials" / "site_header.html").write_text(
        '<header class="site-header gazette"><p class="masthead">{{ site.name }} – '
        '{{ _("Related") }}</p></header>\n', encoding="utf-8")
    (folder / "style.css").write_text("/* the gazette's own */\n.masthead { color: #036; }\n",
                                      encoding="utf-8")
    monkeypatch.setenv(theme.THEME_PATH_ENV, str(tmp_path / "themes"))
    plain = _page(reference_data, site)  # the default theme first, in the same process
    custom_site = _site(site, theme="gazette-override")
    custom = _page(dict(reference_data, language="de"), custom_site)
    same_language = _page(reference_data, custom_site)
    again = _page(reference_data, site)

    doc = _doc(custom.html)
    assert doc.xpath("//header/p[@class='masthead']")[0].text == f"{site.name} – Mehr zum Thema"
    assert doc.xpath("//style[@amp-custom]")[0].text == ".masthead { color: #036; }"
    # what the theme does not ship comes from the default theme: the article and its footer
    assert doc.xpath("//h1[@class='headline']")[0].text == reference_data["headline"]
    assert len(doc.xpath("//amp-social-share")) == 4
    assert _doc(same_language.html).xpath("//style[@amp-custom]")[0].text == \
        ".masthead { color: #036; }"
    # the default theme's pages are not touched by the other theme, before or after it
    assert again.html == plain.html
    assert "masthead" not in plain.html and 'class="site-header"' in plain.html
