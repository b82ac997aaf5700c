"""The theme's fixed strings in the page's language (message catalogs, core/i18n.py): a German,
French or Spanish article reads in its language throughout, with its dates; every catalog
translates every string the theme has; the pages stay valid AMP."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

import lxml.html
import pytest

from amp_publisher.core.amp.validator import validate
from amp_publisher.core.error_page import render_not_found
from amp_publisher.core.models import parse_article
from amp_publisher.core.rendering import RelatedArticle, render
from amp_publisher.core.site import SiteConfig

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "src/amp_publisher/core/templates/default/locale"
KEY = "articles/met-palantir-extension.json"
RELATED = [RelatedArticle("Another story", "/another/", dt.date(2026, 6, 24))]


def _doc(html: str):
    return lxml.html.document_fromstring(html.encode("utf-8"))


def _text(node) -> str:
    return " ".join(node.text_content().split())


def _article_page(reference_data: dict, site: SiteConfig, language: str, **changes):
    data = copy.deepcopy(reference_data) | {"language": language, "updated": "2026-06-27"}
    data.update(changes)
    page = render(parse_article(data), site, source_key=KEY, related=RELATED)
    result = validate(page.html)
    assert result.passed, [e.message for e in result.errors]
    return _doc(page.html)


def test_a_german_article_shows_german_labels_and_dates(reference_data, site):
    doc = _article_page(reference_data, site, "de")
    assert _text(doc.find_class("byline")[0]) == \
        "Veröffentlicht am 25. Juni 2026 · Aktualisiert am 27. Juni 2026 · Von Sandra Johnson"
    assert _text(doc.xpath("//aside[@class='related']/h2")[0]) == "Mehr zum Thema"
    assert doc.xpath("//aside[@class='related']//time")[0].text == "24. Juni 2026"
    share = doc.find_class("share")[0]
    assert share.get("aria-label") == "Teilen"
    assert [b.get("aria-label") for b in share.xpath("./amp-social-share")] == [
        "Teilen: E-Mail", "Teilen: LinkedIn", "Teilen: X (Twitter)", "Teilen: WhatsApp"]
    # the same day, a later time: "um" and the time, German style
    doc = _article_page(reference_data, site, "de-AT", published="2026-06-25T08:00:00Z",
                        updated="2026-06-25T15:05:00Z")
    assert "Aktualisiert um 16:05" in _text(doc.find_class("byline")[0])


@pytest.mark.parametrize(("language", "byline", "related"), [
    ("fr", "Publié le 25 juin 2026 · Mis à jour le 27 juin 2026 · Par Sandra Johnson",
     "À lire aussi"),
    ("es", "Publicado el 25 de junio de 2026 · Actualizado el 27 de junio de 2026 · "
           "Por Sandra Johnson", "Noticias relacionadas"),
    ("en-GB", "Published 25 June 2026 · Updated 27 June 2026 · By Sandra Johnson", "Related"),
    # no catalog for Portuguese: English labels, Portuguese dates
    ("pt", "Published 25 de junho de 2026 · Updated 27 de junho de 2026 · By Sandra Johnson",
     "Related"),
])
def test_labels_follow_the_page_language(reference_data, site, language, byline, related):
    doc = _article_page(reference_data, site, language)
    assert _text(doc.find_class("byline")[0]) == byline
    assert _text(doc.xpath("//aside[@class='related']/h2")[0]) == related


def test_the_error_page_and_consent_banner_in_the_site_language(site):
    german = site.merged({"language": "de"})
    doc = _doc(render_not_found(german))
    assert _text(doc.find_class("headline")[0]) == "Seite nicht gefunden"
    assert doc.xpath("//title")[0].text.startswith("Seite nicht gefunden |")
    assert validate(render_not_found(german)).passed

    from amp_publisher.core.rendering import page_chrome

    consent = {"required": True}
    chrome = page_chrome(site.merged({"language": "es", "analytics_id": "G-X1",
                                      "consent": consent}), language="es")
    assert (chrome["consent"]["accept"], chrome["consent"]["reject"]) == ("Aceptar", "Rechazar")
    # a site's own text is shown as written
    own = page_chrome(site.merged({"language": "es", "analytics_id": "G-X1",
                                   "consent": {**consent, "accept": "Vale"}}), language="es")
    assert own["consent"]["accept"] == "Vale"


def _theme_messages() -> set[str]:
    """Every string the theme marks for translation, extracted as `make messages` does."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {message for _, _, message, _, _ in
            extract_from_dir(str(ROOT / "src"), method_map, options_map)}


def test_every_catalog_translates_every_string():
    from babel.messages.pofile import read_po

    messages = _theme_messages()
    assert {"Published %(date)s", "Related", "Share", "Page not found"} <= messages
    catalogs = sorted(LOCALES.glob("*/LC_MESSAGES/messages.po"))
    assert {p.parts[-3] for p in catalogs} >= {"de", "es", "fr"}
    for path in catalogs:
        with path.open("rb") as f:
            catalog = read_po(f)
        for message in messages:
            entry = catalog.get(message)
            assert entry is not None and entry.string and not entry.fuzzy, \
                f"{path.parts[-3]}: {message!r} is not translated; run `make messages`"
            assert re.findall(r"%\(\w+\)s", entry.string) == \
                re.findall(r"%\(\w+\)s", message), f"{path.parts[-3]}: {message!r}"
