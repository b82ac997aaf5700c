"""Ghost posts and pages (Content API, Admin API, JSON export) → article contract v1 (DESIGN §3).

Inputs: one post object of the Content/Admin API (``GET /ghost/api/content/posts/?include=
authors,tags`` returns ``{"posts": [...]}``), or one row of ``db[0].data.posts`` in a Ghost export
file, where authors and tags live in separate tables (``users``, ``posts_authors``, ``tags``,
``posts_tags``) that :class:`GhostExportIndex` joins back.

Field mapping (Ghost → article):

======================================  ========================================================
``id``                                  ``id`` = ``"ghost-<id>"``
``slug``                                ``slug``
``title``                               ``headline`` (Ghost titles are plain text already)
``html``                                ``body_html``; ``lexical``/``mobiledoc`` are ignored
``meta_description``, ``custom_excerpt``, ``excerpt``  ``description`` (first non-empty)
``published_at`` / ``updated_at``       ``published`` / ``updated`` (exports: UTC, no zone)
``canonical_url``, else ``url``         ``canonical_url`` (only on a public host: a Ghost on
                                        ``127.0.0.1`` or ``*.invalid`` gives a self-canonical page)
``authors[]`` (or the export's tables)  ``authors[]``: ``name``, ``url`` (author page or
                                        website), ``image`` (``profile_image``); e-mail never read
``primary_tag``, ``tags[]``             ``section``, ``tags`` (internal ``#tags`` left out)
``feature_image``, ``feature_image_alt``, ``feature_image_caption``  ``image`` (no dimensions:
                                        Ghost has none; the renderer discovers them)
======================================  ========================================================

Decisions:

* Pages (``page: true``/``1``, ``type: "page"``) are rendered like posts.
* ``status`` other than ``"published"`` (``draft``, ``scheduled``, ``sent``) and ``visibility``
  other than ``"public"`` (``members``, ``paid``, ``tiers``) are **skipped** with a reason: the
  site bucket is public, so drafts must not leak and members-only content must not be given
  away. The Content API only returns published posts, so this matters for exports.
* Ghost 4+ exports write the site's own URL as ``__GHOST_URL__``; it becomes a site-relative
  path (``/content/images/…``), so copy the ``content/images`` folder to the site with it.
* A post without ``html`` (a ``mobiledoc``/``lexical``-only export) is a :class:`SchemaError`:
  re-export from Ghost 2+ or use the Content API, which always renders ``html``.
"""

from __future__ import annotations

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
)

__all__ = ["GhostExportIndex", "is_ghost_post", "article_from_ghost_post"]

#: Placeholder Ghost 4+ exports write instead of the site URL.
GHOST_URL_PLACEHOLDER = "__GHOST_URL__"


def is_ghost_post(obj: Any) -> bool:
    """True for a Ghost post/page: string ``title`` plus ``html``, ``mobiledoc`` or ``lexical``."""
    return (isinstance(obj, Mapping) and isinstance(obj.get("title"), str)
            and any(key in obj for key in ("html", "mobiledoc", "lexical")))


class GhostExportIndex:
    """Authors and tags of a Ghost export, joined to posts by id (``posts_authors``,
    ``posts_tags``, in ``sort_order``; old exports' ``posts.author_id`` as the fallback).

    Args:
        data: ``db[0].data`` of the export.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        users = {u.get("id"): u for u in data.get("users") or [] if isinstance(u, Mapping)}
        tags = {t.get("id"): t for t in data.get("tags") or [] if isinstance(t, Mapping)}
        self._users = users
        self._authors = self._join(data.get("posts_authors"), "author_id", users)
        self._tags = self._join(data.get("posts_tags"), "tag_id", tags)

    @staticmethod
    def _join(links: Any, key: str, table: Mapping[Any, Any]) -> dict[Any, list[Any]]:
        joined: dict[Any, list[tuple[int, Any]]] = {}
        for link in links or []:
            if isinstance(link, Mapping) and link.get(key) in table:
                joined.setdefault(link.get("post_id"), []).append(
                    (link.get("sort_order") or 0, table[link[key]]))
        return {post: [row for _, row in sorted(rows, key=lambda r: r[0])]
                for post, rows in joined.items()}

    def authors(self, post: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The post's authors in byline order."""
        found = self._authors.get(post.get("id"))
        if found:
            return found
        user = self._users.get(post.get("author_id"))
        return [user] if user else []

    def tags(self, post: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The post's tags in order (the first is Ghost's primary tag)."""
        return self._tags.get(post.get("id"), [])


def article_from_ghost_post(post: Mapping[str, Any], *, path: str = "$",
                            export: GhostExportIndex | None = None
                            ) -> dict[str, Any] | SkippedPost:
    """Map one Ghost post or page onto the article contract.

    Args:
        post: the post object (Content/Admin API) or export row.
        path: its JSON path in the source document, for errors and skip records.
        export: the export's author/tag tables when ``post`` comes from an export file.

    Returns:
        The article as a ``dict``, or a :class:`SkippedPost` for drafts, scheduled and
        members-only posts.

    Raises:
        SchemaError: the post has no ``html`` (only ``mobiledoc``/``lexical``), with the path.
    """
    post_id = str(post["id"]) if post.get("id") is not None else None
    status = post.get("status")
    if status is not None and status != "published":
        return SkippedPost(path, post_id, f"status {status!r}: only published posts are rendered")
    visibility = post.get("visibility")
    if visibility is not None and visibility != "public":
        return SkippedPost(path, post_id,
                           f"visibility {visibility!r}: members-only content is not published")
    body = post.get("html")
    if not isinstance(body, str):
        raise SchemaError(
            f"{path}.html: the Ghost post has no rendered html (only mobiledoc/lexical); export "
            "it from Ghost 2 or later, or fetch it from the Content API", path=f"{path}.html")

    if export is not None:
        authors, tags = export.authors(post), export.tags(post)
    else:
        authors = [a for a in post.get("authors") or [] if isinstance(a, Mapping)]
        if not authors and isinstance(post.get("primary_author"), Mapping):
            authors = [post["primary_author"]]
        tags = [t for t in post.get("tags") or [] if isinstance(t, Mapping)]
    public_tags = [t for t in tags if _is_public_tag(t)]
    primary = post.get("primary_tag")
    section = (primary.get("name") if isinstance(primary, Mapping) and _is_public_tag(primary)
               else (public_tags[0].get("name") if public_tags else None))

    published = iso_utc(post.get("published_at")) or iso_utc(post.get("created_at"))
    fallback_id = f"ghost-{post_id}" if post_id else ""
    return drop_empty({
        "id": fallback_id or None,
        "slug": slug_from(post.get("slug"), fallback_id),
        "headline": " ".join((post.get("title") or "").split()),
        "description": next((" ".join(str(v).split()) for v in (
            post.get("meta_description"), post.get("custom_excerpt"), post.get("excerpt"))
            if isinstance(v, str) and v.strip()), None),
        "canonical_url": public_url(post.get("canonical_url")) or public_url(post.get("url")),
        "section": section,
        "tags": [t["name"] for t in public_tags if t.get("name")],
        "published": published,
        "updated": not_before(iso_utc(post.get("updated_at")), published),
        "authors": [_author(a) for a in authors if a.get("name")],
        "image": _feature_image(post),
        "body_html": body.replace(GHOST_URL_PLACEHOLDER, ""),
    })


def _is_public_tag(tag: Mapping[str, Any]) -> bool:
    name = tag.get("name") or ""
    return tag.get("visibility", "public") == "public" and not name.startswith("#")


def _author(user: Mapping[str, Any]) -> dict[str, str]:
    # Only name, page and picture: Ghost payloads also carry e-mail addresses, never published.
    return drop_empty({
        "name": " ".join(user["name"].split()),
        "url": public_url(user.get("url")) or public_url(user.get("website")),
        "image": https_url(_deplaceholder(user.get("profile_image"))),
    })


def _deplaceholder(value: Any) -> Any:
    return value.replace(GHOST_URL_PLACEHOLDER, "") if isinstance(value, str) else value


def _feature_image(post: Mapping[str, Any]) -> dict[str, Any] | None:
    src = https_url(_deplaceholder(post.get("feature_image")))
    if src is None or (not src.startswith("/") and public_url(src) is None):
        return None  # e.g. a test instance's https://fixture.invalid/…: can never load
    return drop_empty({
        "src": src,
        "caption": plain_text(post.get("feature_image_caption")),
    }) | {"alt": " ".join((post.get("feature_image_alt") or "").split())}
