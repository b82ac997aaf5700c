"""Blogger API v3 posts (``blogger#post``, ``blogger#postList``) → article contract v1.

Field mapping: ``id`` → ``id`` (``"blogger-" + id``); the last segment of ``url`` (without
``.html``) → ``slug``; ``title`` → ``headline`` (Blogger stores it HTML-escaped: decoded once);
``content`` → ``body_html``; ``published`` / ``updated`` → ``published`` / ``updated``;
``author.displayName`` (HTML-escaped, decoded once: ``Important Author &amp; Co.`` shows
``&`` once) → ``authors[0].name``, ``author.url`` → its URL, ``author.image.url`` → its image;
``labels`` (decoded once) → ``tags``; ``url`` → ``canonical_url``; ``images[0].url`` → ``image``.

Dropped: ``blog``, ``replies``, ``location``, ``etag``, ``selfLink``. ``status`` other than
``LIVE`` (``DRAFT``, ``SCHEDULED``) is skipped.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from amp_publisher.core.adapters._common import (
    JsonObject,
    MappingContext,
    SkippedPost,
    finish_article,
    https_url,
    not_before,
    public_url,
    slug_from,
    unescape_once,
)

__all__ = ["recognise", "recognise_list", "list_items", "article_from_post"]


def recognise(obj: Any) -> str | None:
    """Why ``obj`` is a Blogger post: ``kind`` ``"blogger#post"``."""
    return "kind is 'blogger#post'" if isinstance(obj, Mapping) and \
        obj.get("kind") == "blogger#post" else None


def recognise_list(obj: Any) -> str | None:
    """Why ``obj`` is a Blogger post list: ``kind`` ``"blogger#postList"`` with ``items``."""
    if isinstance(obj, Mapping) and obj.get("kind") == "blogger#postList" \
            and isinstance(obj.get("items"), list):
        return f"kind is 'blogger#postList' with {len(obj['items'])} items"
    return None


def list_items(doc: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """The posts of a post list, each recognised on its own."""
    return [(f"items[{i}]", post, None) for i, post in enumerate(doc["items"])]


def article_from_post(obj: Mapping[str, Any], path: str,
                      context: MappingContext) -> dict[str, Any] | SkippedPost:
    """Map one Blogger post onto the article contract (see the module docstring).

    Raises:
        SchemaError: a field read holds the wrong JSON type; ``path`` names it.
    """
    post = JsonObject(obj, path)
    post_id = post.ident("id")
    status = post.string("status")
    if status is not None and status.upper() != "LIVE":
        return SkippedPost(path, post_id, f"status {status!r}: only live posts are published")
    url = post.string("url") or ""
    segment = urllib.parse.urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    author = post.object("author")
    name = unescape_once(author.string("displayName"))
    published = post.timestamp("published")
    images = post.objects("images")
    image = https_url(images[0].string("url")) if images else None
    article = {
        "id": f"blogger-{post_id}" if post_id else None,
        "slug": slug_from(segment.removesuffix(".html"), "") or None,
        "headline": unescape_once(post.string("title")),
        "canonical_url": public_url(url),
        "tags": [unescape_once(label) for label in post.array("labels")
                 if isinstance(label, str) and label.strip()],
        "published": published,
        "updated": not_before(post.timestamp("updated"), published),
        "authors": [{k: v for k, v in (("name", name),
                                       ("url", public_url(author.string("url"))),
                                       ("image", https_url(author.object("image")
                                                           .string("url")))) if v}]
        if name else [],
        "image": {"src": image, "alt": ""} if image else None,
        "body_html": post.string("content"),
    }
    return finish_article(article, context, path)
