"""Whole HTML pages (an archive's saved pages, Medium and Substack exports) → article contract v1.

The bytes are decoded by :func:`amp_publisher.core.extraction.decode_html` (the HTML standard's
encoding sniffing; an undeterminable encoding is a permanent error), the article is extracted by
:func:`amp_publisher.core.extraction.extract_page`, and the page's own metadata fills the
article:

=========================================  ====================================================
JSON-LD ``headline``, ``og:title``,        ``headline``
``<title>``
JSON-LD ``description``, ``og:description``  ``description``
, ``<meta name=description>``
JSON-LD ``author``, ``<meta name=author>``  ``authors[].name``
JSON-LD ``datePublished``,                 ``published`` (else the source object's
``article:published_time``, ``<time>``     modification time, noted)
JSON-LD ``dateModified``,                  ``updated``
``article:modified_time``
JSON-LD ``image``, ``og:image`` (+ sizes)  ``image`` (https only)
``<link rel=canonical>``, ``og:url``       ``canonical_url`` (public hosts only)
JSON-LD ``articleSection``,                ``section``
``article:section``
JSON-LD ``keywords``, ``article:tag``      ``tags``
``<html lang>`` (else JSON-LD              ``language``
``inLanguage``, ``og:locale``)
``<html dir>`` / ``<body dir>``            ``dir``
=========================================  ====================================================

Dropped: everything trafilatura does not consider the article (navigation, footers, comments,
related links, share buttons), scripts and styles, ``twitter:*`` except as a title/description
fallback, the JSON-LD ``publisher``.
"""

from __future__ import annotations

import re
from typing import Any

from amp_publisher.core.adapters._common import (
    MappingContext,
    finish_article,
    https_url,
    iso_utc,
    not_before,
    plain_text_line,
)
from amp_publisher.core.models import LANGUAGE_PATTERN

__all__ = ["looks_like_html", "article_from_page"]

_HTML_START = re.compile(rb"^\s*(?:\xef\xbb\xbf)?\s*<(?:!doctype|html|head|meta|!--|\?xml|body)",
                         re.IGNORECASE)


def looks_like_html(raw: bytes) -> bool:
    """True when the bytes begin like an HTML page (doctype, ``<html>``, ``<head>``…).

    >>> looks_like_html(b"<!DOCTYPE html><html>"), looks_like_html(b'{"headline": 1}')
    (True, False)
    """
    return bool(_HTML_START.match(raw[:512]))


def article_from_page(raw: bytes, *, key: str, context: MappingContext,
                      transport_charset: str | None = None,
                      language_hint: str | None = None) -> tuple[dict[str, Any], str]:
    """Decode, extract and map one HTML page.

    Args:
        raw: the page's bytes.
        key: its S3 key or file name (errors, notes).
        context: the mapping context (fallback date, base URL, notes).
        transport_charset: the object's ``Content-Type`` charset, if any.
        language_hint: the site's language (encoding tie-break, see ``decode_html``).

    Returns:
        ``(article dict, explanation)``: the explanation says how the encoding was found and
        which metadata source gave each field, for ``amp-render render --explain``.

    Raises:
        InvalidEncodingError: the encoding cannot be determined.
        SchemaError: no article text in the page.
    """
    from amp_publisher.core.extraction import decode_html, extract_page

    decoded = decode_html(raw, key=key, transport_charset=transport_charset,
                          language_hint=language_hint)
    page = extract_page(decoded.text, key=key)
    meta = page.metadata
    language = meta.language if meta.language and re.match(LANGUAGE_PATTERN, meta.language) \
        else None
    image = None
    if meta.image and https_url(meta.image.get("src")):
        image = {**meta.image, "src": https_url(meta.image["src"]),
                 "alt": meta.image.get("alt") or ""}
    published = iso_utc(meta.published)
    article = {
        "headline": plain_text_line(meta.headline),
        "description": plain_text_line(meta.description),
        "authors": [{"name": plain_text_line(n)} for n in meta.authors if n.strip()],
        "published": published,
        "updated": not_before(iso_utc(meta.updated), published),
        "image": image,
        "canonical_url": meta.canonical_url,
        "section": plain_text_line(meta.section),
        "tags": [plain_text_line(t) for t in meta.tags],
        "language": language,
        "dir": meta.direction,
        "body_html": page.body_html,
    }
    explanation = (f"decoded as {decoded.encoding} ({decoded.source}"
                   f"{'; ' + decoded.note if decoded.note else ''}); metadata from "
                   + ", ".join(f"{k}: {v}" for k, v in sorted(meta.sources.items())))
    return finish_article(article, context, "$"), explanation
