"""Input adapters: any supported JSON document → article dicts of contract v1 (issue 4 item 6).

A publisher can point a WordPress or Ghost export at the source bucket unchanged. The adapter is
chosen by the document's **shape**, never by its file name:

=====================================================  ==========================================
shape                                                  result
=====================================================  ==========================================
object with ``headline`` (or ``schema_version``)       a native article: passed through unchanged
                                                       (the model reports a missing body by path)
object with ``title.rendered`` + ``content.rendered``  a WordPress ``wp/v2`` post or page
                                                       (:mod:`.wordpress`)
object with string ``title`` + ``html``/``mobiledoc``/  a Ghost post or page (:mod:`.ghost`)
``lexical``
``{"posts": [...]}`` / ``{"pages": [...]}``            a Ghost API response: one article per post
``{"db": [{"data": {"posts": [...]}}]}``,              a Ghost export (authors and tags joined from
``{"data": {"posts": [...]}}``                         its tables): one article per post
top-level array                                        one article per element (WordPress
                                                       ``/wp/v2/posts`` lists, arrays of articles)
anything else                                          :class:`~amp_publisher.core.errors.
                                                       UnsupportedShapeError` naming what was seen
=====================================================  ==========================================

Posts the CMS has not published (drafts, scheduled, private, password-protected, members-only)
are skipped, not rendered; :func:`adapt_document` returns them with a reason, and
:func:`articles_from_document` logs one line per skipped post. An empty collection gives no
articles. The full field mapping is in each adapter's docstring and in
``docs/input-formats.md``.

Example:
    >>> post = {"id": 7, "slug": "hello", "status": "publish", "date_gmt": "2024-05-01T08:00:00",
    ...         "title": {"rendered": "Fish &amp; Chips"}, "content": {"rendered": "<p>Hi</p>"}}
    >>> [a["headline"] for a in articles_from_document([post, post | {"status": "draft"}])]
    ['Fish & Chips']
    >>> try:
    ...     articles_from_document({"foo": 1, "bar": 2}, source_key="articles/x.json")
    ... except UnsupportedShapeError as exc:
    ...     print(exc.code, exc.key, exc.message.split(" is not")[0])
    unsupported_shape articles/x.json unsupported document shape: a JSON object with keys bar, foo
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from amp_publisher.core.adapters._common import SkippedPost, json_type
from amp_publisher.core.adapters.ghost import (
    GhostExportIndex,
    article_from_ghost_post,
    is_ghost_post,
)
from amp_publisher.core.adapters.wordpress import article_from_wordpress_post, is_wordpress_post
from amp_publisher.core.errors import ArticleError, UnsupportedShapeError

__all__ = ["AdaptedDocument", "SkippedPost", "adapt_document", "articles_from_document"]

_log = logging.getLogger(__name__)

_EXPECTED = ("an article (needs 'headline'), a WordPress wp/v2 post (title.rendered, "
             "content.rendered), a Ghost post (title, html) or a collection of them "
             '({"posts": [...]}, a Ghost export {"db": [...]}, a top-level array)')


@dataclass(frozen=True)
class AdaptedDocument:
    """What one source document holds.

    Attributes:
        shape: ``"article"``, ``"wordpress-post"``, ``"ghost-post"``, ``"ghost-posts"``
            (API response), ``"ghost-export"`` or ``"array"``.
        articles: article dicts for ``Article.model_validate``, in document order.
        skipped: posts deliberately not rendered, each with its JSON path and reason.
    """

    shape: str
    articles: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[SkippedPost] = field(default_factory=list)


def adapt_document(doc: object, *, source_key: str | None = None) -> AdaptedDocument:
    """Recognise ``doc``'s shape and map every post in it onto the article contract.

    Args:
        doc: the decoded JSON value of one source object.
        source_key: the S3 key it came from; only used to fill ``key`` on raised errors.

    Returns:
        An :class:`AdaptedDocument`.

    Raises:
        UnsupportedShapeError: no adapter recognises ``doc`` or one of its elements; the
            message names the top-level keys (or type) seen and ``path`` where.
        SchemaError: a recognised post lacks what its adapter needs (e.g. a Ghost post
            without ``html``), with the JSON path.
    """
    try:
        return _adapt(doc)
    except ArticleError as exc:
        if source_key and exc.key is None:
            exc.with_key(source_key)
        raise


def articles_from_document(doc: object, *, source_key: str | None = None) -> list[dict]:
    """The article dicts in ``doc`` (see :func:`adapt_document`); skipped posts are logged.

    Args:
        doc: the decoded JSON value of one source object.
        source_key: the S3 key it came from, for error ``key`` fields and log lines.

    Returns:
        ``list[dict]``: one article per published post, native articles unchanged.

    Raises:
        UnsupportedShapeError, SchemaError: as :func:`adapt_document`.
    """
    adapted = adapt_document(doc, source_key=source_key)
    for skipped in adapted.skipped:
        _log.info("skipped %s post %s at %s in %s: %s", adapted.shape, skipped.post_id,
                  skipped.path, source_key or "document", skipped.reason)
    return adapted.articles


def _adapt(doc: object) -> AdaptedDocument:
    if isinstance(doc, list):
        result = AdaptedDocument("array")
        for index, item in enumerate(doc):
            _add_single(result, item, f"[{index}]")
        return result
    if not isinstance(doc, Mapping):
        raise UnsupportedShapeError(
            f"unsupported document shape: a JSON {json_type(doc)} is not {_EXPECTED}", path="$")
    single = _single_shape(doc)
    if single is not None:
        result = AdaptedDocument(single)
        _add_single(result, doc, "$")
        return result
    export = _ghost_export_data(doc)
    if export is not None:
        data, where = export
        index = GhostExportIndex(data, where)
        result = AdaptedDocument("ghost-export")
        for i, post in enumerate(data["posts"]):
            _add_single(result, post, f"{where}.posts[{i}]", export=index)
        return result
    for key in ("posts", "pages"):
        if isinstance(doc.get(key), list):
            result = AdaptedDocument("ghost-posts")
            for i, post in enumerate(doc[key]):
                _add_single(result, post, f"{key}[{i}]")
            return result
    raise UnsupportedShapeError(
        f"unsupported document shape: a JSON object with keys {_keys(doc)} is not {_EXPECTED}",
        path="$")


#: Fields only the native article contract has: an object with any of them (and not a CMS
#: shape) is read as an article, so a missing or misspelt ``headline`` is reported by the
#: model as ``headline: Field required`` instead of "unsupported shape".
_ARTICLE_ONLY_FIELDS = ("headline", "schema_version", "body", "body_html", "body_markdown")


def _single_shape(obj: Mapping[str, Any]) -> str | None:
    if "headline" in obj or "schema_version" in obj:
        return "article"
    if is_wordpress_post(obj):
        return "wordpress-post"
    if is_ghost_post(obj):
        return "ghost-post"
    if any(field in obj for field in _ARTICLE_ONLY_FIELDS):
        return "article"
    return None


def _add_single(result: AdaptedDocument, obj: Any, path: str,
                export: GhostExportIndex | None = None) -> None:
    shape = _single_shape(obj) if isinstance(obj, Mapping) else None
    if shape == "article":
        result.articles.append(obj)  # native: unchanged, the model validates it
        return
    if shape == "wordpress-post":
        mapped = article_from_wordpress_post(obj, path=path)
    elif shape == "ghost-post":
        mapped = article_from_ghost_post(obj, path=path, export=export)
    else:
        seen = (f"a JSON object with keys {_keys(obj)}" if isinstance(obj, Mapping)
                else f"a JSON {json_type(obj)}")
        raise UnsupportedShapeError(
            f"unsupported post shape at {path}: {seen} is not an article, a WordPress post or "
            "a Ghost post", path=path)
    if isinstance(mapped, SkippedPost):
        result.skipped.append(mapped)
    else:
        result.articles.append(mapped)


def _ghost_export_data(doc: Mapping[str, Any]) -> tuple[Mapping[str, Any], str] | None:
    """``(data, path)`` of a Ghost export: ``{"db": [{"data": …}]}`` or ``{"data": …}``."""
    db = doc.get("db")
    if isinstance(db, list) and db and isinstance(db[0], Mapping):
        data = db[0].get("data")
        if isinstance(data, Mapping) and isinstance(data.get("posts"), list):
            return data, "db[0].data"
    data = doc.get("data")
    if isinstance(data, Mapping) and isinstance(data.get("posts"), list):
        return data, "data"
    return None


def _keys(obj: Mapping[str, Any], limit: int = 20) -> str:
    keys = sorted(str(k) for k in obj)
    if not keys:
        return "(none)"
    more = f" and {len(keys) - limit} more" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more
