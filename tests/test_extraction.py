"""Whole HTML pages: encoding sniffing, article extraction and page metadata.

The pages under tests/data/pages/ were written for these tests: real sentences saved in legacy
encodings (windows-1252 and windows-1256 without any declaration, EUC-JP declared in a
``<meta http-equiv>``), and one page of bytes no encoding explains.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amp_publisher.core.errors import InvalidEncodingError
from amp_publisher.core.extraction import (
    decode_html,
    document_body,
    extract_page,
    is_whole_document,
)

PAGES = Path(__file__).parent / "data" / "pages"


@pytest.mark.parametrize(("name", "encoding", "source", "phrase"), [
    ("windows-1252-undeclared-fr.html", "windows-1252", "detected",
     "Après trois ans de travaux, le café où se retrouvaient les cheminots"),
    ("windows-1256-undeclared-ar.html", "windows-1256", "detected",
     "افتتحت البلدية يوم الأحد مكتبة عامة جديدة"),
    ("euc-jp-declared-ja.html", "euc-jp", "meta", "市は一日、駅前に新しい市立図書館を開館した。"),
])
def test_legacy_encodings_decode_to_the_right_text(name, encoding, source, phrase):
    decoded = decode_html((PAGES / name).read_bytes(), key=name)
    assert (decoded.encoding, decoded.source) == (encoding, source)
    assert phrase in decoded.text
    assert "\ufffd" not in decoded.text


def test_french_page_is_not_read_as_central_european():
    # windows-1250 decodes these bytes just as cleanly ("Aprčs", "oů"); the page's lang="fr"
    # picks the HTML standard's default for French, windows-1252.
    decoded = decode_html((PAGES / "windows-1252-undeclared-fr.html").read_bytes())
    assert "Aprčs" not in decoded.text and "bœuf bourguignon" in decoded.text
    assert "windows-1250" in decoded.note


def test_a_tie_without_any_language_is_refused_not_guessed():
    raw = (PAGES / "windows-1252-undeclared-fr.html").read_bytes().replace(b' lang="fr"', b"")
    with pytest.raises(InvalidEncodingError, match="ambiguous between windows-1250, "
                                                   "windows-1252"):
        decode_html(raw, key="articles/p.html")
    # the site's language plays the part of a browser's locale
    assert "bœuf" in decode_html(raw, language_hint="fr").text


def test_a_page_whose_encoding_cannot_be_known_is_refused():
    with pytest.raises(InvalidEncodingError) as caught:
        decode_html((PAGES / "undeterminable-encoding.html").read_bytes(),
                    key="articles/noise.html")
    assert caught.value.key == "articles/noise.html"
    assert "cannot be determined" in caught.value.message
    assert caught.value.code == "invalid_encoding"


def test_byte_order_mark_wins_over_a_wrong_meta():
    raw = b"\xef\xbb\xbf<meta charset=windows-1252><p>caf\xc3\xa9</p>"
    decoded = decode_html(raw)
    assert (decoded.encoding, decoded.source) == ("utf-8", "bom")
    assert "café" in decoded.text


def test_a_declaration_the_bytes_contradict_falls_back_to_detection():
    text = "<meta charset=utf-8><html lang=ar><p>" + "مرحبا بكم في المكتبة الجديدة " * 8
    decoded = decode_html(text.encode("cp1256"))
    assert decoded.encoding == "windows-1256" and "utf-8" in decoded.note
    assert "مرحبا بكم" in decoded.text


@pytest.mark.parametrize(("name", "lang", "direction", "headline", "author"), [
    ("windows-1256-undeclared-ar.html", "ar", "rtl", "افتتاح مكتبة جديدة في وسط المدينة",
     "سارة الحسيني"),
    ("euc-jp-declared-ja.html", "ja", None, "新しい図書館が駅前に開館", "山田花子"),
    ("windows-1252-undeclared-fr.html", "fr", None, "Le café de la gare rouvre ses portes",
     "Élodie Marchand"),
])
def test_pages_give_their_article_language_direction_and_byline(name, lang, direction, headline,
                                                                 author):
    page = extract_page(decode_html((PAGES / name).read_bytes()).text, key=name)
    meta = page.metadata
    assert (meta.language, meta.direction, meta.headline) == (lang, direction, headline)
    assert meta.authors == (author,)
    assert meta.published.startswith("2024-")
    # the headline is the page's title, not repeated as the first line of the body
    assert headline not in page.body_html
    assert "Accueil" not in page.body_html and "droits réservés" not in page.body_html


def test_json_ld_is_the_source_of_truth_for_a_substack_page():
    raw = (Path(__file__).parent / "corpus" / "raw" / "other-cms"
           / "substack-post-newsarticle-jsonld.html").read_bytes()
    meta = extract_page(decode_html(raw).text).metadata
    assert meta.sources["headline"] == meta.sources["published"] == "json-ld"
    assert meta.authors == ("Author Name", "Other Name")
    assert meta.published == "2024-11-06T17:37:50+00:00"
    assert meta.image["src"] == ("https://substack-post-media.s3.amazonaws.com/public/images/"
                                "cb4ecbcf-582b-46db-b72b-bcd9fa3630a0_5472x3648.jpeg")


@pytest.mark.parametrize("text", [
    "The class of 1995 meets again at the old school.",
    "Story text. <footer>© 2003–2026 Example News</footer>",
    "Updated 2026-02-30, after the council meeting.",
])
def test_a_page_without_a_stated_date_takes_the_upload_time_not_a_number_in_its_text(text):
    """Year-like numbers in the text were read as the publication date (1995-01-01,
    2003-01-01, and the impossible 30 February as 2026-02-01)."""
    from amp_publisher.core.source import adapt_source

    page = ("<html><head><title>A story without a date</title></head><body><article><p>"
            + text + "</p><p>" + "More words of the story. " * 20 + "</p></article></body></html>")
    adapted = adapt_source(page.encode(), key="articles/story.html",
                           fallback_published="2026-06-01T08:00:00Z")
    (item,) = adapted.items
    assert item.article["published"] == "2026-06-01T08:00:00Z"
    assert any("modification time" in note.message for note in adapted.notes)


def test_a_date_the_markup_states_is_still_found_without_tags_for_it():
    from amp_publisher.core.source import adapt_source

    page = ("<html><head><title>A story</title></head><body><article><p>"
            '<time datetime="2024-05-06">6 May</time> — ' + "Words of the story. " * 20 +
            "</p></article></body></html>")
    (item,) = adapt_source(page.encode(), key="articles/story.html",
                           fallback_published="2026-06-01T08:00:00Z").items
    assert item.article["published"].startswith("2024-05-06")


@pytest.mark.parametrize("width", ["100001", "99999999999999999999999", "²", "-3", "0"])
def test_an_open_graph_image_size_the_contract_refuses_is_left_to_measuring(width):
    """A width over the contract's 100,000 px failed the whole page (schema_error
    image.width), and a superscript digit raised ValueError from int()."""
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.source import adapt_source

    page = ("<html><head><title>A story</title>"
            '<meta property="og:image" content="https://cdn.example/lead.jpg">'
            f'<meta property="og:image:width" content="{width}">'
            '<meta property="og:image:height" content="800"></head><body><article><p>'
            + "Words of the story. " * 20 + "</p></article></body></html>")
    (item,) = adapt_source(page.encode(), key="articles/story.html",
                           fallback_published="2026-06-01T08:00:00Z").items
    image = parse_article(item.article).image
    assert image.src == "https://cdn.example/lead.jpg"
    assert (image.width, image.height) == (None, 800)


def test_a_json_ld_block_too_deep_to_read_is_ignored_and_the_next_one_read():
    """A block nested past json's ~1,000 levels raised RecursionError out of the extraction (a
    "renderer bug"); it is now ignored as a broken block is, as search engines do."""
    deep = "[" * 5000 + "]" * 5000
    article = ('{"@type": "NewsArticle", "headline": "From JSON-LD", '
               '"datePublished": "2024-11-06T17:37:50Z"}')
    page = ("<html><head><title>Title tag</title>"
            f'<script type="application/ld+json">{deep}</script>'
            f'<script type="application/ld+json">{article}</script></head>'
            "<body><article><h1>Heading</h1><p>" + "Some words of the story. " * 20 +
            "</p></article></body></html>")
    meta = extract_page(page).metadata
    assert (meta.headline, meta.published) == ("From JSON-LD", "2024-11-06T17:37:50Z")
    assert meta.sources["headline"] == "json-ld"


@pytest.mark.parametrize("document", [
    "<!DOCTYPE html><html><head><title>Leak</title><meta name=x content=y></head>"
    "<body><p>Story</p></body></html>",
    "<?xml version='1.0'?>\n<html><head><title>Leak</title></head><body><p>Story</p></body></html>",
    "  <!-- saved page --> <html lang=en><body><p>Story</p></body></html>",
])
def test_a_whole_document_in_a_body_field_is_reduced_to_its_body(document):
    assert is_whole_document(document)
    assert document_body(document) == "<p>Story</p>"


def test_a_fragment_is_not_a_whole_document():
    assert not is_whole_document("<p>A story about <html> tags</p>")
