"""Source object bytes → :class:`~amp_publisher.core.models.Article` (DESIGN §3, §6).

Pure: no AWS. Decodes UTF-8 strictly, parses JSON, lets the input adapters recognise WordPress and
Ghost post objects (:mod:`amp_publisher.core.adapters`), then validates the article contract. Every
failure is a typed :class:`~amp_publisher.core.errors.ArticleError` carrying the key and, where
there is
one, the JSON path.

Example:
    >>> load_article(b'{"headline": "Hi", "published": "2026-01-01", "body_html": "<p>x</p>"}',
    ...              key="articles/hi.json").headline
    'Hi'
    >>> load_article(b'{"headline": ', key="articles/bad.json")
    Traceback (most recent call last):
    ...
    InvalidJSONError: articles/bad.json is not valid JSON: Expecting value: ...
"""

from __future__ import annotations

import json
from typing import Any

from amp_publisher.core.errors import (
    ArticleError,
    InvalidEncodingError,
    InvalidJSONError,
    NotPublishedError,
    UnsupportedShapeError,
)
from amp_publisher.core.models import Article, parse_article

__all__ = ["load_article", "decode_json", "check_json_depth", "adapt_source", "HTML_SUFFIXES",
           "MAX_JSON_DEPTH"]


#: File name endings read as whole HTML pages (:mod:`amp_publisher.core.adapters.html_page`).
HTML_SUFFIXES = (".html", ".htm")


def decode_json(raw: bytes, *, key: str) -> Any:
    """Decode ``raw`` as strict UTF-8 JSON (a leading BOM is tolerated).

    Raises:
        InvalidEncodingError: not UTF-8 (the message gives the byte offset).
        InvalidJSONError: not JSON (the message gives line and column).

    The document's nesting is checked by its reader (:func:`check_json_depth`), once.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidEncodingError(
            f"{key} is not valid UTF-8 (byte {exc.start}: {exc.reason}); save it as UTF-8",
            key=key) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidJSONError(f"{key} is not valid JSON: {exc}", key=key) from None
    except RecursionError:
        raise InvalidJSONError(f"{key} nests arrays or objects too deeply to be an article",
                               key=key) from None
    except ValueError as exc:  # e.g. an integer over Python's 4,300-digit conversion limit
        raise InvalidJSONError(f"{key} is not usable JSON: {exc}", key=key) from None
    return data


#: The deepest nesting of arrays and objects a source document may have. Real exports stay far
#: below it (the deepest in the corpus: a Contentful rich-text document, 26 levels); the input
#: adapters and the contract walk documents recursively, and Python's recursion limit (1,000
#: frames) would otherwise turn a few hundred levels of ``[[[…]]]`` (a 1 KB object) into a
#: ``RecursionError``, reported as a renderer bug instead of an input error.
MAX_JSON_DEPTH = 100


def check_json_depth(data: Any, key: str) -> None:
    """Raise :class:`~amp_publisher.core.errors.InvalidJSONError` naming the JSON path where
    ``data`` (a decoded JSON value) nests arrays and objects more than :data:`MAX_JSON_DEPTH`
    levels deep; ``key`` names the source in the message. One iterative walk: linear in the
    document's size, whatever its depth. Called once on every document before it is read (a
    native article in :func:`load_article`, every other document in
    :func:`~amp_publisher.core.adapters.adapt_document`, the site configuration where the
    function reads it), so no reader of the contract or of a format needs a depth rule."""
    # (container, its depth, its place as (parent's place, key or index)); the path text is
    # built only for the error, and only containers are visited
    stack: list[tuple[Any, int, Any]] = [(data, 1, None)] if isinstance(data, (dict, list)) else []
    while stack:
        value, depth, place = stack.pop()
        if depth > MAX_JSON_DEPTH:
            parts = []
            while place is not None:
                place, step = place
                parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
            path = "".join(reversed(parts)).lstrip(".")
            shown = path if len(path) <= 80 else f"{path[:40]}…{path[-37:]}"  # names can be long
            raise InvalidJSONError(
                f"{key} nests arrays or objects more than {MAX_JSON_DEPTH} levels deep "
                f"(at {shown}); no article needs that many", key=key, path=shown or None)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        stack.extend((item, depth + 1, (place, step)) for step, item in items
                     if isinstance(item, (dict, list)))


def load_article(raw: bytes, *, key: str, fallback_published: str | None = None,
                 base_url: str | None = None) -> Article:
    """Turn one source object's bytes into an article.

    Args:
        raw: the object's body.
        key: the (decoded) S3 key, used in messages and stored on errors.
        fallback_published: ISO date-time for formats that carry no date (the object's
            Last-Modified); base_url: the site's, for relative canonical URLs.

    Raises:
        InvalidEncodingError, InvalidJSONError, SchemaError, UnsupportedShapeError: each an
        :class:`~amp_publisher.core.errors.ArticleError` with ``.key`` set.
        NotPublishedError: the object says its post is not public (``status: "draft"``, a
        WordPress or Ghost post that is not published); checked before the contract, so an
        unfinished draft is still recognised as one.
    """
    data = decode_json(raw, key=key)
    try:
        return parse_article(_single_document(data, key, fallback_published, base_url))
    except ArticleError as exc:
        raise exc.with_key(key) from None


def _single_document(data: Any, key: str, fallback_published: str | None = None,
                     base_url: str | None = None) -> Any:
    """The one article the object holds. Native articles pass through; WordPress and Ghost
    shapes go through the input adapters (:mod:`amp_publisher.core.adapters`)."""
    draft = isinstance(data, dict) and data.get("status") == "draft"
    if isinstance(data, dict) and "headline" in data:
        if draft:
            raise NotPublishedError(f"{key} is a draft (status 'draft'): it is not published",
                                    path="status", key=key)
        check_json_depth(data, key)  # adapt_document checks every other document
        return data
    from amp_publisher.core.adapters import adapt_document

    try:
        adapted = adapt_document(data, source_key=key, fallback_published=fallback_published,
                                 base_url=base_url)
    except UnsupportedShapeError:
        if draft:  # an unfinished native draft (no headline yet) is still a draft
            raise NotPublishedError(f"{key} is a draft (status 'draft'): it is not published",
                                    path="status", key=key) from None
        raise
    if len(adapted.articles) == 1:
        return adapted.articles[0]
    if not adapted.articles and adapted.skipped:
        # Every skip reason of the adapters is "not public" (a status other than published,
        # members-only, password-protected): the page must come down, not stay as it was.
        skipped = adapted.skipped[0]
        raise NotPublishedError(
            f"{key} holds no public post: {skipped.path}: {skipped.reason}",
            path=skipped.path, key=key)
    raise UnsupportedShapeError(
        f"{key} holds {len(adapted.articles)} articles ({adapted.shape}); the function "
        "publishes one page per object: upload each post as its own object "
        "(amp-render render renders a whole collection locally)", path="$")


def adapt_source(raw: bytes, *, key: str, format: str | None = None,
                 fallback_published: str | None = None, base_url: str | None = None,
                 language_hint: str | None = None, transport_charset: str | None = None,
                 html_pages: bool = True):
    """One source object's bytes → every article it holds, with how it was read.

    HTML pages (a key ending in ``.html``/``.htm``, bytes that begin like a page, or
    ``format="html-page"``) go through :func:`~amp_publisher.core.adapters.html_page.
    article_from_page`; everything else is JSON for :func:`~amp_publisher.core.adapters.
    adapt_document` (single items and collections).

    Args:
        raw: the object's body.
        key: its (decoded) S3 key or file name.
        format: a format name to force (``amp-render render --format``).
        fallback_published: ISO date-time for documents without a date (the object's
            ``Last-Modified``).
        base_url: the site's base URL (relative canonical URLs).
        language_hint: the site's language (encoding tie-break of pages).
        transport_charset: the object's ``Content-Type`` charset.
        html_pages: when False an HTML page is refused (:class:`UnsupportedShapeError`).

    Returns:
        :class:`~amp_publisher.core.adapters.AdaptedDocument`.

    Raises:
        ArticleError: the whole object is unreadable (encoding, JSON, unknown or ambiguous
            shape, a single-item document's schema error), with ``key`` set. Failures of
            single items of a collection are in ``.failed`` instead.
    """
    from amp_publisher.core.adapters import AdaptedDocument, AdaptedItem
    from amp_publisher.core.adapters._common import MappingContext
    from amp_publisher.core.adapters.html_page import article_from_page, looks_like_html

    is_page = format == "html-page" or (format is None and not key.lower().endswith(".json")
                                        and (key.lower().endswith(HTML_SUFFIXES)
                                             or looks_like_html(raw)))
    if not is_page:
        return _adapted_json(raw, key, format, fallback_published, base_url)
    if not html_pages:
        raise UnsupportedShapeError(
            f"{key} is an HTML page; pages are read only when the deployment allows them "
            "(AcceptHtmlPages)", path="$", key=key)
    context = MappingContext([], fallback_published, base_url)
    try:
        article, explanation = article_from_page(raw, key=key, context=context,
                                                 transport_charset=transport_charset,
                                                 language_hint=language_hint)
    except ArticleError as exc:
        raise exc.with_key(exc.key or key) from None
    why = "forced with --format" if format else (
        "the name ends in .html/.htm" if key.lower().endswith(HTML_SUFFIXES)
        else "the bytes begin like an HTML page")
    return AdaptedDocument("html-page", f"{why}; {explanation}",
                           items=[AdaptedItem("$", article, "html-page", why)],
                           notes=context.notes)


def _adapted_json(raw: bytes, key: str, format: str | None, fallback_published: str | None,
                  base_url: str | None):
    from amp_publisher.core.adapters import adapt_document

    data = decode_json(raw, key=key)
    try:
        return adapt_document(data, source_key=key, format=format,
                              fallback_published=fallback_published, base_url=base_url)
    except ArticleError as exc:
        raise exc.with_key(exc.key or key) from None
