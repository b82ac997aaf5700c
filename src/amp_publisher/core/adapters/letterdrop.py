"""Letterdrop API posts (``GET /api/v1/posts``: ``{"posts": [...]}``) → article contract v1.

Field mapping: ``id`` → ``id`` (``"letterdrop-" + id``); ``slug`` → ``slug``; ``title`` →
``headline``; ``subtitle`` → ``alternative_headline``; ``metaDescription``, else ``subtitle`` →
``description``; ``body`` → ``body_html``; ``publishedOn`` / ``updated`` → ``published`` /
``updated``; ``author`` (``name``, ``avatar``) and ``authors[]`` → ``authors``; ``tags`` →
``tags``; ``coverImage`` → ``image``; ``url`` → ``canonical_url``.

Dropped: ``metaTitle`` (the headline is the title), ``thumbnail``, ``readTime``,
``wordCount``, ``publication``, ``destination``, ``customFields``.
"""

from __future__ import annotations

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
)

__all__ = ["recognise", "article_from_post"]


def recognise(obj: Any) -> str | None:
    """Why ``obj`` is a Letterdrop post: string ``title`` and ``body`` with ``publishedOn``."""
    if isinstance(obj, Mapping) and isinstance(obj.get("title"), str) \
            and isinstance(obj.get("body"), str) and "publishedOn" in obj:
        return "has title, body (HTML) and publishedOn"
    return None


def article_from_post(obj: Mapping[str, Any], path: str,
                      context: MappingContext) -> dict[str, Any]:
    """Map one Letterdrop post onto the article contract (see the module docstring).

    Raises:
        SchemaError: a field read holds the wrong JSON type; ``path`` names it.
    """
    post = JsonObject(obj, path)
    people = post.objects("authors") or ([post.object("author")] if post.raw.get("author")
                                          else [])
    published = post.timestamp("publishedOn")
    cover = https_url(post.string("coverImage"))
    article = {
        "id": f"letterdrop-{post.ident('id')}" if post.ident("id") else None,
        "slug": slug_from(post.string("slug"), "") or None,
        "headline": plain_text_line(post.string("title")),
        "alternative_headline": plain_text_line(post.string("subtitle")),
        "description": plain_text(post.string("metaDescription") or post.string("subtitle")),
        "canonical_url": public_url(post.string("url")),
        "tags": [plain_text_line(t) for t in post.array("tags") if isinstance(t, str)],
        "published": published,
        "updated": not_before(post.timestamp("updated"), published),
        "authors": [{k: v for k, v in (("name", plain_text_line(p.string("name"))),
                                       ("image", https_url(p.string("avatar")))) if v}
                    for p in people if p.string("name")],
        "image": {"src": cover, "alt": ""} if cover else None,
        "body_html": post.string("body"),
    }
    return finish_article(article, context, path)
