"""Whole HTML pages → text, article body and metadata (shared by page input and body cleaning).

Three steps, each with a kept library doing the hard part:

1. :func:`decode_html`: bytes → text by the HTML standard's encoding sniffing
   (WHATWG HTML §13.2.3.2 "Determining the character encoding"): a byte order mark, then the
   transport layer's charset (the S3 object's ``Content-Type``), then the ``<meta charset>`` /
   ``<meta http-equiv>`` prescan of the first 1024 bytes (html5lib's implementation of the
   standard's prescan algorithm, WHATWG labels from webencodings), then a statistical detector
   (charset-normalizer). Decoding is **strict**: a page is never turned into U+FFFD noise. When
   no step yields an encoding the bytes decode in, :class:`InvalidEncodingError` (permanent).
2. :func:`document_body` / :func:`is_whole_document`: a complete ``<html>`` document found where a
   body fragment was expected (a ninjs ``body_html5``, a page pasted into a CMS) reduced to the
   inner HTML of its ``<body>``; ``<head>``, ``<title>``, ``<meta>`` never leak into a body.
3. :func:`extract_page`: the article of a full page, as HTML (trafilatura's main-content
   extraction, which drops navigation, comments, related links and scripts), plus the page's
   metadata (:class:`PageMetadata`) read from its own JSON-LD, Open Graph and ``<meta>`` tags with
   lxml, in that order of trust, with trafilatura's metadata (htmldate for dates) as the last
   fallback, and the ``lang``/``dir`` of its ``<html>`` (or ``<body>``) element.

Example:
    >>> decode_html(b'<meta charset="euc-jp"><p>\\xc6\\xfc\\xcb\\xdc</p>').text[-9:]
    '<p>日本</p>'
    >>> body = document_body('<!DOCTYPE html><html><head><title>T</title></head>'
    ...                       '<body><p>Hi</p></body></html>')
    >>> body
    '<p>Hi</p>'
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from amp_publisher.core.errors import InvalidEncodingError, SchemaError

__all__ = [
    "DecodedHtml",
    "ExtractedPage",
    "PageMetadata",
    "decode_html",
    "document_body",
    "extract_page",
    "is_whole_document",
    "page_metadata",
]

#: WHATWG HTML: the prescan only looks at the first 1024 bytes.
PRESCAN_BYTES = 1024
#: charset-normalizer's "chaos" (mess ratio, 0..1) above which a detected encoding is not
#: trusted: the text it gives is visibly broken. Its own default cut-off is 0.2; a page is
#: refused rather than published half garbled, so ours is stricter.
MAX_DETECTOR_CHAOS = 0.1

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass(frozen=True)
class DecodedHtml:
    """A page's text and how its encoding was found.

    Attributes:
        text: the decoded page, without a byte order mark.
        encoding: the WHATWG name of the encoding (``"windows-1256"``, ``"euc-jp"``).
        source: ``"bom"``, ``"transport"`` (Content-Type charset), ``"meta"`` (the page's own
            ``<meta charset>``), or ``"detected"`` (statistical detection).
        note: why a declared encoding was not used, when it was not (else ``None``).
    """

    text: str
    encoding: str
    source: str
    note: str | None = None


def _lookup(label: str | None):
    """The WHATWG encoding for ``label`` (webencodings), or ``None`` for unknown labels."""
    import webencodings

    return webencodings.lookup(label.strip()) if label and label.strip() else None


def _strict(raw: bytes, encoding) -> str | None:
    try:
        return raw.decode(encoding.codec_info.name)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(raw: bytes, *, key: str | None = None, transport_charset: str | None = None,
                language_hint: str | None = None) -> DecodedHtml:
    """Decode an HTML page by the HTML standard's encoding sniffing, strictly.

    Args:
        raw: the page's bytes.
        key: its S3 key or file name, for error messages.
        transport_charset: the ``charset`` parameter of the object's ``Content-Type``, if any.
        language_hint: the site's language, used like a browser's locale when detection ties
            and the page has no ``<html lang>`` (see :func:`_detect`).

    Returns:
        A :class:`DecodedHtml`.

    Raises:
        InvalidEncodingError: no BOM, no usable declaration, and the detector is not confident
            (or the bytes do not decode in any candidate): the page is refused rather than
            published as U+FFFD replacement characters.

    Source: WHATWG HTML §13.2.3.2 (BOM sniff, transport layer, prescan §13.2.3.3, then
    "frequency analysis or other algorithms"); a prescan naming UTF-16 means UTF-8 and
    ``x-user-defined`` means windows-1252 (same section).
    """
    for bom, name in _BOMS:
        if raw.startswith(bom):
            try:
                return DecodedHtml(raw[len(bom):].decode(name), name.replace("-le", "le")
                                   .replace("-be", "be"), "bom")
            except UnicodeDecodeError as exc:
                raise InvalidEncodingError(
                    f"{key or 'the page'} starts with a {name} byte order mark but is not "
                    f"{name} (byte {exc.start + len(bom)}: {exc.reason})", key=key) from None
    notes = []
    declared = [("transport", _lookup(transport_charset))]
    declared.append(("meta", _prescan(raw)))
    for source, encoding in declared:
        if encoding is None:
            continue
        text = _strict(raw, encoding)
        if text is not None:
            return DecodedHtml(text, encoding.name, source)
        notes.append(f"declared {encoding.name} ({source}) does not decode the bytes")
    detected = _detect(raw, language_hint)
    if isinstance(detected, DecodedHtml):
        return DecodedHtml(detected.text, detected.encoding, "detected",
                           "; ".join([*notes, detected.note or ""]).strip("; ") or None)
    why = "; ".join(notes) + "; " if notes else "no byte order mark or <meta charset>; "
    raise InvalidEncodingError(
        f"{key or 'the page'}: the character encoding cannot be determined ({why}{detected}); "
        "declare it with <meta charset=\"...\"> or save the page as UTF-8", key=key)


#: The HTML standard's "suggested default encoding" per locale (WHATWG HTML §13.2.3.2, the
#: table after "the user agent may use the locale's default"); every other locale: windows-1252.
#: Used only to break a tie between candidates the detector finds equally clean.
LOCALE_DEFAULT_ENCODINGS = {
    "ar": "windows-1256", "ba": "windows-1251", "be": "windows-1251", "bg": "windows-1251",
    "cs": "windows-1250", "el": "iso-8859-7", "et": "windows-1257", "fa": "windows-1256",
    "he": "windows-1255", "hr": "windows-1250", "hu": "iso-8859-2", "ja": "shift_jis",
    "kk": "windows-1251", "ko": "euc-kr", "ku": "windows-1254", "ky": "windows-1251",
    "lt": "windows-1257", "lv": "windows-1257", "mk": "windows-1251", "pl": "iso-8859-2",
    "ru": "windows-1251", "sah": "windows-1251", "sk": "windows-1250", "sl": "iso-8859-2",
    "sr": "windows-1251", "tg": "windows-1251", "th": "windows-874", "tr": "windows-1254",
    "tt": "windows-1251", "uk": "windows-1251", "vi": "windows-1258", "zh-cn": "gb18030",
    "zh-tw": "big5",
}

_HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)",
                        re.IGNORECASE)


def locale_default_encoding(language: str) -> str:
    """The HTML standard's default legacy encoding for a BCP 47 language tag.

    >>> locale_default_encoding("ar"), locale_default_encoding("fr-CA")
    ('windows-1256', 'windows-1252')
    """
    tag = language.lower().replace("_", "-")
    return (LOCALE_DEFAULT_ENCODINGS.get(tag) or LOCALE_DEFAULT_ENCODINGS.get(tag.split("-")[0])
            or "windows-1252")


def _detect(raw: bytes, language_hint: str | None) -> DecodedHtml | str:
    """charset-normalizer's verdict, or why there is none (a string).

    Candidates within :data:`MAX_DETECTOR_CHAOS` whose chaos and coherence tie with the best
    one and that decode to *different* text are ambiguous (windows-1250 and windows-1252 tie
    on French text): the page's ``<html lang>`` (else ``language_hint``) picks the HTML
    standard's default encoding for that locale when it is among them; otherwise the page is
    refused, since choosing would be a coin toss.
    """
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(raw) if m.chaos <= MAX_DETECTOR_CHAOS]
    if not matches:
        return "detection is not confident"
    best = matches[0]
    tied = [m for m in matches
            if abs(m.chaos - best.chaos) < 1e-9 and abs(m.coherence - best.coherence) < 1e-9]
    decoded: dict[str, tuple[str, str]] = {}
    for match in tied:
        encoding = _lookup(match.encoding.replace("_", "-"))
        name = encoding.name if encoding is not None else match.encoding
        text = _strict(raw, encoding) if encoding is not None else None
        if text is None:
            try:
                text = raw.decode(match.encoding)
            except (UnicodeDecodeError, LookupError):
                continue
        decoded.setdefault(name, (name, text))
    if not decoded:
        return "no detected encoding decodes the bytes"
    if len({text for _, text in decoded.values()}) == 1:
        name, text = next(iter(decoded.values()))
        return DecodedHtml(text, name, "detected")
    found = _HTML_LANG.search(raw[:PRESCAN_BYTES * 4])
    language = found.group(1).decode("ascii") if found else language_hint
    if language:
        wanted = locale_default_encoding(language)
        if wanted in decoded:
            return DecodedHtml(decoded[wanted][1], wanted, "detected",
                               f"{' and '.join(sorted(decoded))} fit equally; the default "
                               f"encoding of language {language!r} chosen")
    return (f"detection is ambiguous between {', '.join(sorted(decoded))}, which give "
            "different text, and no language says which")


def _prescan(raw: bytes):
    """The encoding a ``<meta>`` in the first 1024 bytes declares (WHATWG prescan), or ``None``.

    html5lib implements the standard's prescan byte-for-byte (its ``EncodingParser``, a
    module-private class of a pinned, stable library); writing our own would duplicate it.
    """
    from html5lib._inputstream import EncodingParser

    encoding = EncodingParser(raw[:PRESCAN_BYTES]).getEncoding()
    if encoding is None:
        return None
    if encoding.name in ("utf-16be", "utf-16le"):
        return _lookup("utf-8")
    if encoding.name == "x-user-defined":
        return _lookup("windows-1252")
    return encoding


# -- whole documents inside body fields ---------------------------------------------------------

_DOCUMENT_START = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>])",
    re.IGNORECASE | re.DOTALL)


def is_whole_document(fragment: str) -> bool:
    """True when ``fragment`` is a complete HTML document (doctype, ``<html>`` or ``<head>``
    first), not a body fragment.

    >>> is_whole_document('<!DOCTYPE html><html><body>x</body></html>'), is_whole_document('<p>')
    (True, False)
    """
    return bool(_DOCUMENT_START.match(fragment or ""))


def _parse_document(text: str):
    import lxml.html

    try:
        return lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError):
        # lxml refuses str input with an encoding declaration, and empty documents
        return lxml.html.document_fromstring(text.encode("utf-8"),
                                             parser=lxml.html.HTMLParser(encoding="utf-8"))


def document_body(document: str) -> str:
    """The inner HTML of a document's ``<body>`` (``""`` when it has none).

    Args:
        document: a complete HTML document (see :func:`is_whole_document`).

    Returns:
        ``str``: the children of ``<body>`` serialised as HTML; nothing of ``<head>``.
    """
    import lxml.html

    if not document or not document.strip():
        return ""
    root = _parse_document(document)
    body = root.find("body")
    if body is None:
        return ""
    parts = [body.text or ""]
    parts.extend(lxml.html.tostring(child, encoding="unicode") for child in body)
    return "".join(parts).strip()


# -- page metadata ------------------------------------------------------------------------------

#: schema.org types whose JSON-LD object describes the article itself.
ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "BlogPosting", "Report", "ReportageNewsArticle",
    "AnalysisNewsArticle", "OpinionNewsArticle", "ReviewNewsArticle", "BackgroundNewsArticle",
    "TechArticle", "ScholarlyArticle", "SocialMediaPosting", "LiveBlogPosting", "WebPage",
})


@dataclass(frozen=True)
class PageMetadata:
    """What a page says about itself.

    Attributes:
        headline, description: plain text (``None`` when the page does not say).
        authors: author names in order.
        published, updated: the ISO 8601 strings the page gives (not re-parsed here).
        image: ``{"src", "width"?, "height"?, "alt"?}`` of the lead image, or ``None``.
        canonical_url: ``<link rel=canonical>``, ``og:url`` or the JSON-LD ``url``.
        section, tags, site_name: as named.
        language: ``<html lang>`` (else JSON-LD ``inLanguage``, ``og:locale``).
        direction: ``<html dir>`` or ``<body dir>`` (``"ltr"``/``"rtl"``/``"auto"``).
        sources: which source gave each field (``{"headline": "json-ld", ...}``).
    """

    headline: str | None = None
    description: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    updated: str | None = None
    image: dict[str, Any] | None = None
    canonical_url: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    site_name: str | None = None
    language: str | None = None
    direction: str | None = None
    sources: dict[str, str] = field(default_factory=dict)


def _json_ld_objects(root) -> Iterator[Mapping[str, Any]]:
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):  # RecursionError: nested ~1,000 levels deep
            continue  # a broken JSON-LD block is ignored, like search engines do
        # Document order, depth first; the stack holds what is left in reverse, so each step
        # pops from its end (a pop from the front made a long array quadratic).
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, Mapping):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(reversed(item["@graph"]))


def _types(obj: Mapping[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _text(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("@value")
    if isinstance(value, str) and value.strip():
        from amp_publisher.core.adapters._common import plain_text

        return plain_text(value) or None
    return None


def _names(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [name for v in values if (name := _text(v))]


def _ld_image(value: Any) -> dict[str, Any] | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return {"src": value}
    if isinstance(value, Mapping):
        src = value.get("url") or value.get("contentUrl")
        if isinstance(src, str):
            image: dict[str, Any] = {"src": src}
            for dim in ("width", "height"):
                number = _int(value.get(dim))
                if number:
                    image[dim] = number
            if isinstance(value.get("caption"), str):
                image["caption"] = value["caption"]
            return image
    return None


def _int(value: Any) -> int | None:
    """An image size from page metadata, when it is one the contract takes (1 to
    :data:`~amp_publisher.core.models.IMAGE_DIMENSION_MAX` px); else ``None``, and the
    renderer measures the image: a bad ``og:image:width`` failed the whole page."""
    from amp_publisher.core.models import image_dimension

    if isinstance(value, Mapping):
        value = value.get("value")
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 6:
        value = int(value.strip())
    return image_dimension(value)


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    if isinstance(value, list):
        return [k.strip() for k in value if isinstance(k, str) and k.strip()]
    return []


def page_metadata(root) -> PageMetadata:
    """Metadata of a parsed page: JSON-LD first, then Open Graph, then ``<meta>``/``<title>``.

    Args:
        root: the page's root element (``lxml.html`` document).

    Returns:
        :class:`PageMetadata`.

    Sources: schema.org ``Article`` (headline, description, author, datePublished,
    dateModified, image, articleSection, keywords, inLanguage, url), The Open Graph protocol
    (``og:*``, ``article:*``), HTML ``<meta name=description|author|keywords>``,
    ``<link rel=canonical>``.
    """
    found: dict[str, Any] = {}
    sources: dict[str, str] = {}

    def offer(name: str, value: Any, source: str) -> None:
        if value in (None, "", [], ()) or name in found:
            return
        found[name] = value
        sources[name] = source

    article = next((o for o in _json_ld_objects(root) if _types(o) & (ARTICLE_TYPES - {"WebPage"})),
                   None) or next((o for o in _json_ld_objects(root) if "WebPage" in _types(o)),
                                 None)
    if article is not None:
        offer("headline", _text(article.get("headline")) or _text(article.get("name")), "json-ld")
        offer("description", _text(article.get("description")), "json-ld")
        offer("authors", _names(article.get("author")), "json-ld")
        for name, ld in (("published", "datePublished"), ("updated", "dateModified")):
            if isinstance(article.get(ld), str):
                offer(name, article[ld].strip(), "json-ld")
        offer("image", _ld_image(article.get("image")), "json-ld")
        offer("section", _text(article.get("articleSection")), "json-ld")
        offer("tags", _keywords(article.get("keywords")), "json-ld")
        offer("language", _text(article.get("inLanguage")), "json-ld")
        url = article.get("url") or article.get("mainEntityOfPage")
        offer("canonical_url", url if isinstance(url, str) else
              (url.get("@id") if isinstance(url, Mapping) else None), "json-ld")
        publisher = article.get("publisher")
        offer("site_name", _text(publisher), "json-ld")

    metas: dict[str, list[str]] = {}
    for meta in root.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = meta.get("content")
        if name and content and content.strip():
            metas.setdefault(name, []).append(content.strip())

    def first(*names: str) -> str | None:
        return next((metas[n][0] for n in names if n in metas), None)

    offer("headline", _text(first("og:title")), "open-graph")
    offer("description", _text(first("og:description")), "open-graph")
    offer("published", first("article:published_time"), "open-graph")
    offer("updated", first("article:modified_time", "og:updated_time"), "open-graph")
    if first("og:image", "og:image:url", "og:image:secure_url"):
        image = {"src": first("og:image:secure_url", "og:image", "og:image:url")}
        for dim in ("width", "height"):
            number = _int(first(f"og:image:{dim}"))
            if number:
                image[dim] = number
        if first("og:image:alt"):
            image["alt"] = first("og:image:alt")
        offer("image", image, "open-graph")
    offer("canonical_url", first("og:url"), "open-graph")
    offer("section", first("article:section"), "open-graph")
    offer("tags", metas.get("article:tag", []), "open-graph")
    offer("site_name", first("og:site_name"), "open-graph")
    offer("description", _text(first("description", "twitter:description")), "meta")
    offer("authors", _names(metas.get("author", [])), "meta")
    offer("tags", _keywords(first("keywords")), "meta")
    title = root.find(".//title")
    offer("headline", _text(first("twitter:title")) or _text(title.text_content()
                                                            if title is not None else None),
          "meta")
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            found["canonical_url"], sources["canonical_url"] = link.get("href").strip(), "link"
            break
    body = root.find("body")
    for element, where in ((root, "html"), (body, "body")):
        if element is None:
            continue
        lang = (element.get("lang") or element.get("{http://www.w3.org/XML/1998/namespace}lang")
                or "").strip()
        if lang and sources.get("language") not in ("html", "body"):
            found["language"], sources["language"] = lang, where
        direction = (element.get("dir") or "").strip().lower()
        if direction in ("ltr", "rtl", "auto") and "direction" not in found:
            found["direction"], sources["direction"] = direction, where
    if "language" not in found and first("og:locale"):
        offer("language", first("og:locale").replace("_", "-"), "open-graph")
    return PageMetadata(**{k: tuple(v) if k in ("authors", "tags") else v
                           for k, v in found.items()}, sources=sources)


# -- article extraction -------------------------------------------------------------------------

@dataclass(frozen=True)
class ExtractedPage:
    """The article of a whole page.

    Attributes:
        body_html: the article's main content as an HTML fragment (trafilatura's output:
            paragraphs, headings, lists, tables, images, links, emphasis), without a leading
            heading that repeats the headline.
        metadata: :class:`PageMetadata` (with trafilatura's findings as a fallback).
    """

    body_html: str
    metadata: PageMetadata


def extract_page(text: str, *, url: str | None = None, key: str | None = None,
                 metadata_fallbacks: bool = True) -> ExtractedPage:
    """Extract the article and metadata of a decoded HTML page.

    Args:
        text: the page (see :func:`decode_html`).
        url: the page's address, if known (helps trafilatura resolve relative links).
        key: the S3 key or file name, for errors.
        metadata_fallbacks: whether to complete the metadata the page's tags did not give with
            trafilatura's own metadata extraction (a second pass over the page, about a third
            of the extraction's time). A caller that only wants the body (a whole page pasted
            as an article's body, whose article carries its own metadata) passes False: the
            metadata is then the page's tags alone.

    Returns:
        :class:`ExtractedPage`.

    Raises:
        SchemaError: no article text could be found in the page (``path="$"``).
    """
    import lxml.html
    import trafilatura

    root = _parse_document(text)
    metadata = page_metadata(root)
    extracted = trafilatura.extract(
        text, url=url, output_format="html", include_images=True, include_links=True,
        include_formatting=True, include_tables=True, include_comments=False,
        favor_recall=True, with_metadata=False)
    body = ""
    if extracted:
        doc = _parse_document(extracted)
        body_el = doc.find("body")
        if body_el is not None:
            _drop_repeated_headline(body_el, metadata.headline)
            parts = [body_el.text or ""]
            parts.extend(lxml.html.tostring(c, encoding="unicode") for c in body_el)
            body = "".join(parts).strip()
    if not body:
        raise SchemaError(f"{key or 'the page'}: no article text was found in the page",
                          path="$", key=key)
    if metadata_fallbacks:
        metadata = _with_fallbacks(metadata, text, url)
    return ExtractedPage(body, metadata)


def _drop_repeated_headline(body, headline: str | None) -> None:
    """Remove leading headings that repeat the headline (the page template shows it)."""
    if not headline:
        return
    wanted = " ".join(headline.split()).casefold()
    while len(body) and body[0].tag in ("h1", "h2", "h3") and not (body.text or "").strip():
        if " ".join(body[0].text_content().split()).casefold() != wanted:
            break
        body.remove(body[0])


def _with_fallbacks(metadata: PageMetadata, text: str, url: str | None) -> PageMetadata:
    """Fill headline, authors and dates the page's tags did not give from trafilatura's own
    metadata extraction (htmldate finds dates in ``<time>`` elements and URLs).

    htmldate's extensive search is off: it reads a date out of any year-like number in the
    text ("the class of 1995" became 1995-01-01, a "© 2003–2026" footer 2003-01-01, an
    impossible "2026-02-30" the 1st of February). A page without a date the markup states
    takes its object's modification time, with a note, as every format without a date does."""
    if metadata.headline and metadata.published and metadata.authors:
        return metadata
    import trafilatura

    found = trafilatura.extract_metadata(text, default_url=url, extensive=False)
    if found is None:
        return metadata
    changes: dict[str, Any] = {}
    sources = dict(metadata.sources)
    if not metadata.headline and found.title:
        changes["headline"], sources["headline"] = found.title, "trafilatura"
    if not metadata.published and found.date:
        changes["published"], sources["published"] = found.date, "trafilatura"
    if not metadata.authors and found.author:
        changes["authors"] = tuple(a.strip() for a in found.author.split(";") if a.strip())
        sources["authors"] = "trafilatura"
    if not changes:
        return metadata
    from dataclasses import replace

    return replace(metadata, **changes, sources=sources)
