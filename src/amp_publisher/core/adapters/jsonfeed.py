"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) → one article per item.

Field mapping (item → article; feed-level fields as fallbacks):

=================================  ==============================================================
``id``                             ``id`` (``"jsonfeed-" + id``)
``url`` (last path segment)        ``slug``; else from the title
``title``                          ``headline``; an untitled item (a micro-post) takes its first
                                   sentence
``summary``                        ``description``
``content_html``, else             ``body_html`` (``content_text`` escaped, as paragraphs)
``content_text``
``date_published`` /               ``published`` / ``updated``
``date_modified``
``authors[]`` (1.1), ``author``    ``authors[]``: ``name``, ``url``, ``avatar`` as ``image``;
(1.0); else the feed's             the feed's authors when the item has none
``image``, else ``banner_image``   ``image`` (no dimensions: the renderer discovers them)
``tags``                           ``tags``
``language`` (1.1), else the       ``language``
feed's
``external_url``, ``url``          ``canonical_url`` (when on a public host)
=================================  ==============================================================

Dropped: ``attachments`` (podcast enclosures), ``_``-prefixed extensions, the feed's ``hubs``,
``icon``/``favicon`` (the site has its own), ``expired``, ``next_url`` (pages of a feed are
separate objects).
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Mapping
from typing import Any

from amp_publisher.core.adapters._common import (
    JsonObject,
    MappingContext,
    finish_article,
    https_url,
    not_before,
    plain_text,
    plain_text_line,
    public_url,
    slug_from,
    text_paragraphs,
)
from amp_publisher.core.errors import SchemaError

__all__ = ["recognise", "items", "article_from_item"]

VERSION_PREFIX = "https://jsonfeed.org/version/"


def recognise(obj: Any) -> str | None:
    """Why ``obj`` is a JSON Feed: ``version`` starts with ``https://jsonfeed.org/version/``
    and ``items`` is an array."""
    if (isinstance(obj, Mapping) and isinstance(obj.get("version"), str)
            and obj["version"].rstrip("/").startswith(VERSION_PREFIX.rstrip("/"))
            and isinstance(obj.get("items"), list)):
        return f"version is {obj['version']} with {len(obj['items'])} items"
    return None


def items(feed: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """The feed's items, each mapped with the feed's authors and language as fallbacks."""
    doc = JsonObject(feed, "$")
    mapper = functools.partial(article_from_item, feed=doc)
    return [(f"items[{i}]", item, mapper) for i, item in enumerate(doc.array("items"))]


def _authors(obj: JsonObject) -> list[dict[str, str]]:
    people = obj.objects("authors") or ([obj.object("author")] if obj.raw.get("author") else [])
    result = []
    for person in people:
        name = plain_text_line(person.string("name"))
        if not name:
            continue
        author = {"name": name}
        if url := public_url(person.string("url")):
            author["url"] = url
        if avatar := https_url(person.string("avatar")):
            author["image"] = avatar
        result.append(author)
    return result


def article_from_item(obj: Mapping[str, Any], path: str, context: MappingContext, *,
                      feed: JsonObject | None = None) -> dict[str, Any]:
    """Map one feed item onto the article contract (see the module docstring).

    Raises:
        SchemaError: a field read holds the wrong JSON type; ``path`` names it.
    """
    item = JsonObject(obj, path)
    feed = feed or JsonObject({}, "$")
    html = item.string("content_html")
    body = html if html and html.strip() else text_paragraphs(item.string("content_text"))
    if "content_html" not in item and "content_text" not in item:
        raise SchemaError(f"{path}: a JSON Feed item needs content_html or content_text "
                          "(JSON Feed 1.1, items)", path=path)
    url = item.string("url")
    segment = ""
    if url:
        segment = next((p for p in reversed(urllib.parse.urlsplit(url).path.split("/")) if p), "")
        segment = segment.rsplit(".", 1)[0] if segment.endswith((".html", ".htm")) else segment
    published = item.timestamp("date_published")
    updated = item.timestamp("date_modified")
    image = https_url(item.string("image")) or https_url(item.string("banner_image"))
    article = {
        "id": f"jsonfeed-{item.ident('id')}"[:200] if item.ident("id") else None,
        "slug": slug_from(segment, "") or None,
        "headline": plain_text(item.string("title")),
        "description": plain_text(item.string("summary")),
        "canonical_url": public_url(item.string("external_url")) or public_url(url),
        "tags": [plain_text_line(t) for t in item.array("tags") if isinstance(t, str)],
        "language": item.string("language") or feed.string("language"),
        "published": published or updated,
        "updated": not_before(updated, published) if published else None,
        "authors": _authors(item) or _authors(feed),
        "image": {"src": image, "alt": ""} if image else None,
        "body_html": body,
    }
    return finish_article(article, context, path)
