"""Input adapters: the documents newsrooms already have → article dicts of contract v1.

A publisher points its CMS's output at the source bucket unchanged. The adapter is chosen by the
document's **shape**, never by its file name, and the choice is explainable: every format has a
recogniser that says *why* it matches (``amp-render render --explain``). A document two formats
claim is refused with both named (:class:`~amp_publisher.core.errors.AmbiguousShapeError`);
``--format NAME`` forces one. :data:`FORMATS` lists them all; ``docs/input-formats.md`` has the
field mapping of each.

Documents are **single items** (one article) or **collections** (a top-level array, a Ghost
``{"posts": [...]}`` response or export, a JSON Feed, an Arc XP result set, a Contentful entry
collection, a Blogger post list). Every item of a collection is its own article; its format is
recognised on its own, and an item that cannot be read **fails alone**, named by its JSON path
(:attr:`AdaptedDocument.failed`), while the others are returned. Items the CMS has not published
(drafts, members-only, withheld) are skipped with a reason.

Example:
    >>> post = {"id": 7, "slug": "hello", "status": "publish", "date_gmt": "2024-05-01T08:00:00",
    ...         "title": {"rendered": "Fish &amp; Chips"}, "content": {"rendered": "<p>Hi</p>"}}
    >>> [a["headline"] for a in articles_from_document([post, post | {"status": "draft"}])]
    ['Fish & Chips']
    >>> adapted = adapt_document([post, {"foo": 1}])
    >>> [item.path for item in adapted.items], [(f.path, f.error.code) for f in adapted.failed]
    (['[0]'], [('[1]', 'unsupported_shape')])
    >>> try:
    ...     articles_from_document({"foo": 1, "bar": 2}, source_key="articles/x.json")
    ... except UnsupportedShapeError as exc:
    ...     print(exc.code, exc.key, exc.message.split(" is not")[0])
    unsupported_shape articles/x.json unsupported document shape: a JSON object with keys bar, foo
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from amp_publisher.core.adapters import (
    arc,
    blogger,
    chorus,
    contentful,
    jsonfeed,
    letterdrop,
    ninjs,
    portabletext,
    tinynews,
)
from amp_publisher.core.adapters._common import (
    AdapterNote,
    MappingContext,
    SkippedPost,
    json_type,
    slug_from,
)
from amp_publisher.core.adapters.ghost import (
    GhostExportIndex,
    article_from_ghost_post,
    is_ghost_post,
)
from amp_publisher.core.adapters.wordpress import article_from_wordpress_post, is_wordpress_post
from amp_publisher.core.errors import AmbiguousShapeError, ArticleError, UnsupportedShapeError

__all__ = ["FORMATS", "AdaptedDocument", "AdaptedItem", "AdapterNote", "InputFormat",
           "ItemFailure", "SkippedPost", "adapt_document", "articles_from_document",
           "format_names"]

_log = logging.getLogger(__name__)

#: maps one item: ``(item, path, context) -> article dict | SkippedPost``
Mapper = Callable[[Any, str, MappingContext], "dict[str, Any] | SkippedPost"]
#: a collection's items: ``document -> [(path, item, mapper or None = recognise each item)]``
Items = Callable[[Any], "list[tuple[str, Any, Mapper | None]]"]


@dataclass(frozen=True)
class InputFormat:
    """One input format.

    Attributes:
        name: what ``--format`` takes and ``--explain`` prints (``"ninjs"``).
        label: its human name (``"IPTC ninjs 1.x–3.x news item"``).
        recognise: ``document -> reason | None``; the reason says which fields matched.
        map_item: for single-item formats, the mapping of one item.
        items: for collections, the items with their JSON paths.
    """

    name: str
    label: str
    recognise: Callable[[Any], str | None]
    map_item: Mapper | None = None
    items: Items | None = None


@dataclass(frozen=True)
class AdaptedItem:
    """One article of a document.

    Attributes:
        path: its JSON path (``"$"`` for a single-item document, ``"items[3]"``).
        article: the dict for ``Article.model_validate``.
        format: the format that read it; reason: why it matched.
    """

    path: str
    article: dict[str, Any]
    format: str
    reason: str


@dataclass(frozen=True)
class ItemFailure:
    """An item of a collection that could not be read; the others are unaffected.

    Attributes:
        path: its JSON path; error: the typed error (``.path`` names the field).
    """

    path: str
    error: ArticleError


@dataclass
class AdaptedDocument:
    """What one source document holds.

    Attributes:
        shape: the format that matched the document (:data:`FORMATS` names).
        reason: why it matched (or ``"forced with --format"``).
        items: the articles, in document order.
        skipped: items deliberately not rendered, each with its JSON path and reason.
        failed: items of a collection that could not be read (empty for single documents,
            whose errors are raised).
        notes: what the adapters left out or decided (unresolved references, fallbacks).
        collection: True for a collection format (each item its own page, own slug).
    """

    shape: str
    reason: str = ""
    items: list[AdaptedItem] = field(default_factory=list)
    skipped: list[SkippedPost] = field(default_factory=list)
    failed: list[ItemFailure] = field(default_factory=list)
    notes: list[AdapterNote] = field(default_factory=list)
    collection: bool = False

    @property
    def articles(self) -> list[dict[str, Any]]:
        """The article dicts of :attr:`items`."""
        return [item.article for item in self.items]


# -- the formats -------------------------------------------------------------------------------

#: Fields only the native article contract has.
_ARTICLE_ONLY_FIELDS = ("headline", "schema_version", "body", "body_html", "body_markdown")
#: Markers of other formats: an object with them is not read as a native article.
_FOREIGN_MARKERS = ("uri", "_type", "nodeType", "kind", "content_elements", "translations",
                    "__typename")


def _recognise_article(obj: Any) -> str | None:
    if not isinstance(obj, Mapping):
        return None
    if "schema_version" in obj:
        return "has schema_version"
    if is_wordpress_post(obj) or is_ghost_post(obj):
        return None
    if any(marker in obj for marker in _FOREIGN_MARKERS):
        return None
    found = [f for f in _ARTICLE_ONLY_FIELDS if f in obj and _contract_typed(f, obj[f])]
    return f"has the article contract's {', '.join(found)}" if found else None


def _contract_typed(name: str, value: Any) -> bool:
    """The field holds what the contract puts there (a ``body`` of another CMS is an object
    or a string; the contract's is a list of blocks)."""
    if name == "body":
        return isinstance(value, list)
    return True


def _native(obj: Any, path: str, context: MappingContext) -> dict[str, Any]:
    return obj  # unchanged: the model validates it


def _wordpress(obj: Any, path: str, context: MappingContext):
    return article_from_wordpress_post(obj, path=path, context=context)


def _ghost(obj: Any, path: str, context: MappingContext, export: GhostExportIndex | None = None):
    return article_from_ghost_post(obj, path=path, export=export)


def _reason(condition: bool, why: str) -> str | None:
    return why if condition else None


def _array_items(doc: Any) -> list[tuple[str, Any, Mapper | None]]:
    return [(f"[{i}]", item, None) for i, item in enumerate(doc)]


def _recognise_array(doc: Any) -> str | None:
    if not isinstance(doc, list) or portabletext.recognise(doc):
        return None
    return f"a top-level array of {len(doc)} item(s), each read on its own"


def _ghost_posts_key(doc: Any) -> str | None:
    if not isinstance(doc, Mapping) or _ghost_export_data(doc) is not None:
        return None
    return next((k for k in ("posts", "pages") if isinstance(doc.get(k), list)), None)


def _ghost_posts_items(doc: Any) -> list[tuple[str, Any, Mapper | None]]:
    key = _ghost_posts_key(doc) or "posts"
    return [(f"{key}[{i}]", post, None) for i, post in enumerate(doc[key])]


def _ghost_export_data(doc: Any) -> tuple[Mapping[str, Any], str] | None:
    """``(data, path)`` of a Ghost export: ``{"db": [{"data": …}]}`` or ``{"data": …}``."""
    if not isinstance(doc, Mapping):
        return None
    db = doc.get("db")
    if isinstance(db, list) and db and isinstance(db[0], Mapping):
        data = db[0].get("data")
        if isinstance(data, Mapping) and isinstance(data.get("posts"), list):
            return data, "db[0].data"
    data = doc.get("data")
    if isinstance(data, Mapping) and isinstance(data.get("posts"), list):
        return data, "data"
    return None


def _ghost_export_items(doc: Any) -> list[tuple[str, Any, Mapper | None]]:
    data, where = _ghost_export_data(doc)
    index = GhostExportIndex(data, where)
    mapper = functools.partial(_ghost, export=index)
    return [(f"{where}.posts[{i}]", post, mapper) for i, post in enumerate(data["posts"])]


#: Formats of one item (also recognised inside collections), then collection formats.
ITEM_FORMATS: tuple[InputFormat, ...] = (
    InputFormat("article", "amp-publisher article contract v1", _recognise_article,
                map_item=_native),
    InputFormat("wordpress-post", "WordPress REST API (wp/v2) post or page",
                lambda o: _reason(is_wordpress_post(o), "has title.rendered and "
                                  "content.rendered"), map_item=_wordpress),
    InputFormat("ghost-post", "Ghost post or page (Content/Admin API, export row)",
                lambda o: _reason(is_ghost_post(o), "has a string title and html/mobiledoc/"
                                  "lexical"), map_item=_ghost),
    InputFormat("ninjs", "IPTC ninjs 1.x–3.x news item", ninjs.recognise,
                map_item=ninjs.article_from_ninjs),
    InputFormat("arc-ans", "Arc XP ANS story", arc.recognise, map_item=arc.article_from_story),
    InputFormat("blogger-post", "Blogger API v3 post", blogger.recognise,
                map_item=blogger.article_from_post),
    InputFormat("letterdrop-post", "Letterdrop API post", letterdrop.recognise,
                map_item=letterdrop.article_from_post),
    InputFormat("tinynews-article", "TinyNews article", tinynews.recognise,
                map_item=tinynews.article_from_article),
    InputFormat("chorus-entry", "Vox Media Chorus entry", chorus.recognise,
                map_item=chorus.article_from_entry),
    InputFormat("contentful-entry", "Contentful entry with a rich text field",
                contentful.recognise_entry, map_item=contentful.article_from_entry),
    InputFormat("sanity-document", "Sanity document with a Portable Text field",
                portabletext.recognise_document, map_item=portabletext.article_from_document),
)

COLLECTION_FORMATS: tuple[InputFormat, ...] = (
    InputFormat("array", "a top-level JSON array of items", _recognise_array,
                items=_array_items),
    InputFormat("ghost-posts", "Ghost API response {\"posts\": [...]} (or another CMS's)",
                lambda d: _reason(_ghost_posts_key(d) is not None,
                                  f"has a {_ghost_posts_key(d)!r} array"),
                items=_ghost_posts_items),
    InputFormat("ghost-export", "Ghost export file",
                lambda d: _reason(_ghost_export_data(d) is not None,
                                  "has db[0].data.posts (or data.posts)"),
                items=_ghost_export_items),
    InputFormat("jsonfeed", "JSON Feed 1.0/1.1", jsonfeed.recognise, items=jsonfeed.items),
    InputFormat("arc-ans-results", "Arc XP ANS result set", arc.recognise_results,
                items=arc.result_items),
    InputFormat("contentful-collection", "Contentful entry collection (items + includes)",
                contentful.recognise_collection, items=contentful.collection_items),
    InputFormat("blogger-posts", "Blogger API v3 post list", blogger.recognise_list,
                items=blogger.list_items),
)

#: Whole documents that are one article but are not an item format of their own.
DOCUMENT_FORMATS: tuple[InputFormat, ...] = (
    InputFormat("portable-text", "Portable Text (Sanity) blocks, or a single block",
                portabletext.recognise, map_item=portabletext.article_from_blocks),
    InputFormat("contentful-rich-text", "Contentful rich text document",
                contentful.recognise_document, map_item=contentful.article_from_document),
)

FORMATS: dict[str, InputFormat] = {f.name: f for f in
                                   (*ITEM_FORMATS, *COLLECTION_FORMATS, *DOCUMENT_FORMATS)}


def format_names() -> list[str]:
    """The names ``--format`` accepts, in :data:`FORMATS` order."""
    return list(FORMATS)


def _describe(obj: Any) -> str:
    if isinstance(obj, Mapping):
        keys = sorted(str(k) for k in obj)
        more = f" and {len(keys) - 20} more" if len(keys) > 20 else ""
        return f"a JSON object with keys {', '.join(keys[:20]) + more if keys else '(none)'}"
    return f"a JSON {json_type(obj)}"


def _recognise(obj: Any, formats: tuple[InputFormat, ...], path: str,
               what: str) -> tuple[InputFormat, str]:
    matches = [(f, reason) for f in formats if (reason := f.recognise(obj))]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        names = ", ".join(f.name for f in formats)
        raise UnsupportedShapeError(
            f"unsupported {what} shape{'' if path == '$' else ' at ' + path}: {_describe(obj)} "
            f"is not any supported format ({names})", path=path)
    named = "; ".join(f"{f.name} ({reason})" for f, reason in matches)
    raise AmbiguousShapeError(
        f"ambiguous {what}{'' if path == '$' else ' at ' + path}: it reads as more than one "
        f"format: {named}; choose one with --format", path=path)


def adapt_document(doc: object, *, source_key: str | None = None, format: str | None = None,
                   fallback_published: str | None = None,
                   base_url: str | None = None) -> AdaptedDocument:
    """Recognise ``doc``'s format and map every item in it onto the article contract.

    Args:
        doc: the decoded JSON value of one source object.
        source_key: the S3 key it came from; fills ``key`` on raised errors and item failures.
        format: a :data:`FORMATS` name to use instead of recognising one (``--format``).
        fallback_published: ISO date-time for formats without dates (see
            :class:`~amp_publisher.core.adapters._common.MappingContext`).
        base_url: the site's base URL, for relative canonical URLs.

    Returns:
        An :class:`AdaptedDocument`.

    Raises:
        UnsupportedShapeError: no format recognises ``doc`` (message: the keys or type seen,
            the formats tried); :class:`AmbiguousShapeError` when several do; or a collection
            none of whose items could be read (the first item's error).
        SchemaError: a single-item document lacks what its adapter needs, with the JSON path.
        InvalidJSONError: ``doc`` nests arrays and objects more than
            :data:`~amp_publisher.core.source.MAX_JSON_DEPTH` levels deep.
        ValueError: ``format`` is not a :data:`FORMATS` name.
    """
    from amp_publisher.core.source import check_json_depth  # source imports us lazily too

    try:
        check_json_depth(doc, source_key or "the document")
        return _adapt(doc, format, MappingContext([], fallback_published, base_url), source_key)
    except ArticleError as exc:
        if source_key and exc.key is None:
            exc.with_key(source_key)
        raise


def _adapt(doc: object, forced: str | None, context: MappingContext,
           source_key: str | None) -> AdaptedDocument:
    if forced is not None:
        if forced not in FORMATS:
            raise ValueError(f"unknown format {forced!r}; one of {', '.join(FORMATS)}")
        fmt, reason = FORMATS[forced], "forced with --format"
    else:
        fmt, reason = _recognise(doc, (*ITEM_FORMATS, *COLLECTION_FORMATS, *DOCUMENT_FORMATS),
                                 "$", "document")
    result = AdaptedDocument(fmt.name, reason, notes=context.notes,
                             collection=fmt.items is not None)
    if fmt.map_item is not None:
        _add(result, fmt, reason, doc, "$", fmt.map_item, context)
        return result
    entries = fmt.items(doc)
    for path, item, mapper in entries:
        try:
            if mapper is not None:
                _add(result, fmt, f"item of {fmt.name}", item, path, mapper, context)
            else:
                item_fmt, item_reason = _recognise(item, ITEM_FORMATS, path, "item")
                _add(result, item_fmt, item_reason, item, path, item_fmt.map_item, context)
        except ArticleError as exc:
            if source_key and exc.key is None:
                exc.with_key(source_key)
            result.failed.append(ItemFailure(path, exc))
    if result.failed and not result.items and not result.skipped:
        raise result.failed[0].error
    _unique_slugs(result, context)
    return result


def _add(result: AdaptedDocument, fmt: InputFormat, reason: str, item: Any, path: str,
         mapper: Mapper, context: MappingContext) -> None:
    mapped = mapper(item, path, context)
    if isinstance(mapped, SkippedPost):
        result.skipped.append(mapped)
    else:
        result.items.append(AdaptedItem(path, mapped, fmt.name, reason))


def _unique_slugs(result: AdaptedDocument, context: MappingContext) -> None:
    """Every item of a collection gets its own slug: its own, else one from its headline;
    a repeated slug gets ``-2``, ``-3``… (noted)."""
    if not result.collection:
        return
    seen: set[str] = set()
    for index, item in enumerate(result.items):
        article = item.article
        if not isinstance(article, dict):
            continue
        slug = article.get("slug")
        if not isinstance(slug, str) or not slug:
            slug = slug_from(article.get("headline") if isinstance(article.get("headline"), str)
                             else "", f"item-{index + 1}")
        base, n = slug[:110], 2
        while slug in seen:
            slug, n = f"{base}-{n}", n + 1
        if slug != article.get("slug"):
            if article.get("slug"):
                context.note(item.path, f"slug {article['slug']!r} repeats an earlier item's; "
                                        f"{slug!r} used")
            article = {**article, "slug": slug}
            result.items[index] = AdaptedItem(item.path, article, item.format, item.reason)
        seen.add(slug)


def articles_from_document(doc: object, *, source_key: str | None = None,
                           format: str | None = None) -> list[dict]:
    """The article dicts in ``doc`` (see :func:`adapt_document`); skipped items, failed items
    and notes are logged.

    Raises:
        UnsupportedShapeError, SchemaError: as :func:`adapt_document`.
    """
    adapted = adapt_document(doc, source_key=source_key, format=format)
    where = source_key or "document"
    for skipped in adapted.skipped:
        _log.info("skipped %s item %s at %s in %s: %s", adapted.shape, skipped.post_id,
                  skipped.path, where, skipped.reason)
    for failure in adapted.failed:
        _log.warning("item %s of %s failed: %s: %s", failure.path, where, failure.error.code,
                     failure.error)
    return adapted.articles
