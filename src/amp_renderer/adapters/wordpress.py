"""WordPress REST API (``wp/v2``) post and page objects → article contract v1 (DESIGN §3).

Input: one object of ``GET /wp-json/wp/v2/posts/<id>?_embed`` (or ``/pages/<id>``), or an
element of the array ``GET /wp-json/wp/v2/posts?_embed`` returns. Without ``_embed`` the
mapping still works; authors then default to the publisher and there is no hero image.

Field mapping (WordPress → article):

=====================================  =========================================================
``id``                                 ``id`` = ``"wordpress-<id>"`` (stable across exports)
``slug`` (percent-decoded)             ``slug``, transliterated to ``[a-z0-9-]``
``title.rendered``                     ``headline``: tags stripped, entities decoded once
``content.rendered``                   ``body_html`` (converted to AMP by the pipeline)
``excerpt.rendered``                   ``description``: plain text, trailing ``[…]`` removed;
                                       ``yoast_head_json.description`` wins when present
``date_gmt`` / ``modified_gmt``        ``published`` / ``updated`` (UTC); ``date``/``modified``
                                       only when the GMT fields are missing
``yoast_head_json.canonical``, ``link``  ``canonical_url`` (when on a public host)
``_embedded.author[]``                 ``authors[]``: ``name``, ``url`` = author archive
                                       ``link``, ``image`` = 96 px avatar
``_embedded.wp:term`` ``author``       Co-Authors Plus bylines, when present, replace the above
``_embedded.wp:term`` ``category``     ``section``: the first category except "Uncategorized"
``_embedded.wp:term`` ``post_tag``     ``tags``
``_embedded.wp:featuredmedia[0]``      ``image``: ``source_url``, ``media_details.width/height``,
                                       ``alt_text``, ``caption.rendered`` as plain text
=====================================  =========================================================

Decisions:

* ``type: "page"`` is accepted and rendered like a post: a page is an article without a date
  in the theme, and publishers expect their About page on the AMP site too.
* ``status`` other than ``"publish"`` (``draft``, ``pending``, ``private``, ``future``) and
  password-protected posts (``content.protected``) are **skipped** with a reason: the site bucket
  is public, and an unpublished or protected post must not appear there.
* Term and user names are stored HTML-escaped by WordPress (``Bar &amp; Baz``); they are
  decoded exactly once, like the ``rendered`` fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import SchemaError
from ._common import (
    SkippedPost,
    drop_empty,
    https_url,
    iso_utc,
    not_before,
    plain_text,
    public_url,
    slug_from,
    unescape_once,
)

__all__ = ["is_wordpress_post", "article_from_wordpress_post"]

#: WordPress's default category: on nearly every unsorted post, so it says nothing as a section.
DEFAULT_CATEGORY_SLUG = "uncategorized"

_READ_MORE = re.compile(r"\s*(\[(…|\.\.\.)\]|…)\s*$")


def is_wordpress_post(obj: Any) -> bool:
    """True for a ``wp/v2`` post/page object: ``title.rendered`` and ``content.rendered``."""
    return (isinstance(obj, Mapping)
            and isinstance(obj.get("title"), Mapping) and "rendered" in obj["title"]
            and isinstance(obj.get("content"), Mapping) and "rendered" in obj["content"])


def article_from_wordpress_post(post: Mapping[str, Any], *,
                                path: str = "$") -> dict[str, Any] | SkippedPost:
    """Map one ``wp/v2`` post or page onto the article contract.

    Args:
        post: the decoded post object (see the module docstring for the fields read).
        path: its JSON path in the source document, for errors and skip records.

    Returns:
        The article as a ``dict`` (validate with ``Article.model_validate``), or a
        :class:`SkippedPost` for drafts and password-protected posts.

    Raises:
        SchemaError: ``content.rendered`` is not a string.
    """
    post_id = str(post["id"]) if post.get("id") is not None else None
    status = post.get("status")
    if status is not None and status != "publish":
        return SkippedPost(path, post_id, f"status {status!r}: only published posts are rendered")
    if post["content"].get("protected"):
        return SkippedPost(path, post_id, "password-protected: its content is not public")
    body = post["content"]["rendered"]
    if not isinstance(body, str):
        raise SchemaError(f"{path}.content.rendered must be a string",
                          path=f"{path}.content.rendered")

    embedded = post.get("_embedded") or {}
    yoast = post.get("yoast_head_json") or {}
    published = iso_utc(post.get("date_gmt")) or iso_utc(post.get("date"))
    updated = iso_utc(post.get("modified_gmt")) or iso_utc(post.get("modified"))
    terms = _terms(embedded)
    description = (plain_text(yoast.get("description"))
                   or _READ_MORE.sub("", plain_text((post.get("excerpt") or {}).get("rendered"))))

    return drop_empty({
        "id": f"wordpress-{post_id}" if post_id else None,
        "slug": slug_from(post.get("slug"), f"wordpress-{post_id}" if post_id else ""),
        "headline": plain_text(post["title"].get("rendered")),
        "description": description,
        "canonical_url": public_url(yoast.get("canonical")) or public_url(post.get("link")),
        "section": next((unescape_once(t.get("name")) for t in terms.get("category", [])
                         if t.get("slug") != DEFAULT_CATEGORY_SLUG and t.get("name")), None),
        "tags": [unescape_once(t.get("name")) for t in terms.get("post_tag", []) if t.get("name")],
        "published": published,
        "updated": not_before(updated, published),
        "authors": _authors(embedded, terms),
        "image": _featured_image(embedded),
        "body_html": body,
    })


def _terms(embedded: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """``_embedded["wp:term"]`` (a list of lists of terms) grouped by taxonomy."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for group in embedded.get("wp:term") or []:
        for term in group if isinstance(group, list) else []:
            if isinstance(term, Mapping) and term.get("taxonomy"):
                grouped.setdefault(term["taxonomy"], []).append(term)
    return grouped


def _avatar(user: Mapping[str, Any]) -> str | None:
    avatars = user.get("avatar_urls") or {}
    if not isinstance(avatars, Mapping) or not avatars:
        return None
    best = max(avatars, key=lambda size: int(size) if str(size).isdigit() else 0)
    return https_url(avatars[best])


def _authors(embedded: Mapping[str, Any],
             terms: Mapping[str, list[Mapping[str, Any]]]) -> list[dict[str, str]]:
    users = [u for u in embedded.get("author") or []
             if isinstance(u, Mapping) and u.get("name") and "code" not in u]  # "code": an error
    by_slug = {u.get("slug"): u for u in users}
    bylines = terms.get("author")  # Co-Authors Plus exposes every byline as an "author" term
    if bylines:
        return [drop_empty({
            "name": unescape_once(t.get("name")),
            "url": public_url(t.get("link")) or public_url((by_slug.get(t.get("slug")) or {})
                                                           .get("link")),
            "image": _avatar(by_slug.get(t.get("slug")) or {}),
        }) for t in bylines if t.get("name")]
    return [drop_empty({
        "name": unescape_once(u["name"]),
        "url": public_url(u.get("link")) or public_url(u.get("url")),
        "image": _avatar(u),
    }) for u in users]


def _featured_image(embedded: Mapping[str, Any]) -> dict[str, Any] | None:
    media = next((m for m in embedded.get("wp:featuredmedia") or []
                  if isinstance(m, Mapping) and "code" not in m), None)
    if media is None or media.get("media_type", "image") != "image":
        return None
    details = media.get("media_details") or {}
    src = https_url(media.get("source_url")) or https_url(
        ((details.get("sizes") or {}).get("full") or {}).get("source_url"))
    if src is None:
        return None
    width, height = details.get("width"), details.get("height")
    sized = all(isinstance(v, int) and v > 0 for v in (width, height))
    credit = ((details.get("image_meta") or {}).get("credit") or "").strip()
    return drop_empty({
        "src": src,
        "width": width if sized else None,
        "height": height if sized else None,
        "alt": plain_text(media.get("alt_text")),
        "caption": plain_text((media.get("caption") or {}).get("rendered")),
        "credit": credit,
    }) | {"alt": plain_text(media.get("alt_text"))}  # alt is required, even when empty
