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

from amp_publisher.core.adapters._common import (
    JsonObject,
    SkippedPost,
    drop_empty,
    https_url,
    not_before,
    plain_text,
    plain_text_line,
    public_url,
    slug_from,
)
from amp_publisher.core.errors import SchemaError

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
        path: its JSON path in the export file, for errors.

    Raises:
        SchemaError: a table or row read has the wrong JSON type (path names it).
    """

    def __init__(self, data: Mapping[str, Any], path: str = "data") -> None:
        tables = JsonObject(data, path)
        users = {u.ident("id"): u for u in tables.objects("users")}
        tags = {t.ident("id"): t for t in tables.objects("tags")}
        self._users = users
        self._authors = self._join(tables.objects("posts_authors"), "author_id", users)
        self._tags = self._join(tables.objects("posts_tags"), "tag_id", tags)

    @staticmethod
    def _join(links: list[JsonObject], key: str,
              table: Mapping[str | None, JsonObject]) -> dict[str | None, list[JsonObject]]:
        joined: dict[str | None, list[tuple[float, JsonObject]]] = {}
        for link in links:
            row = table.get(link.ident(key))
            if row is not None:
                joined.setdefault(link.ident("post_id"), []).append(
                    (link.rank("sort_order"), row))
        return {post: [row for _, row in sorted(rows, key=lambda r: r[0])]
                for post, rows in joined.items()}

    def authors(self, post: JsonObject) -> list[JsonObject]:
        """The post's authors in byline order."""
        found = self._authors.get(post.ident("id"))
        if found:
            return found
        user = self._users.get(post.ident("author_id"))
        return [user] if user else []

    def tags(self, post: JsonObject) -> list[JsonObject]:
        """The post's tags in order (the first is Ghost's primary tag)."""
        return self._tags.get(post.ident("id"), [])


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
        SchemaError: the post has no ``html`` (only ``mobiledoc``/``lexical``), or a field read
            holds the wrong JSON type (``authors[0].name`` a number…); ``path`` names the field.
    """
    fields = JsonObject(post, path)
    post_id = fields.ident("id")
    status = fields.string("status")
    if status is not None and status != "published":
        return SkippedPost(path, post_id, f"status {status!r}: only published posts are rendered")
    visibility = fields.string("visibility")
    if visibility is not None and visibility != "public":
        return SkippedPost(path, post_id,
                           f"visibility {visibility!r}: members-only content is not published")
    body = fields.raw.get("html")
    if not isinstance(body, str):
        raise SchemaError(
            f"{fields.path_of('html')}: the Ghost post has no rendered html (only "
            "mobiledoc/lexical); export it from Ghost 2 or later, or fetch it from the Content "
            "API", path=fields.path_of("html"))

    if export is not None:
        authors, tags = export.authors(fields), export.tags(fields)
    else:
        authors = fields.objects("authors")
        if not authors and "primary_author" in fields and fields.raw["primary_author"] is not None:
            authors = [fields.object("primary_author")]
        tags = fields.objects("tags")
    public_tags = [t for t in tags if _is_public_tag(t)]
    primary = fields.object("primary_tag")
    section = (primary.string("name") if primary.raw and _is_public_tag(primary)
               else (public_tags[0].string("name") if public_tags else None))

    published = fields.timestamp("published_at") or fields.timestamp("created_at")
    fallback_id = f"ghost-{post_id}" if post_id else ""
    descriptions = (fields.string(k) for k in ("meta_description", "custom_excerpt", "excerpt"))
    return drop_empty({
        "id": fallback_id or None,
        "slug": slug_from(fields.string("slug"), fallback_id),
        "headline": plain_text_line(fields.string("title")),
        "description": next((plain_text_line(v) for v in descriptions if v and v.strip()), None),
        "canonical_url": public_url(fields.string("canonical_url"))
        or public_url(fields.string("url")),
        "section": section,
        "tags": [name for t in public_tags if (name := t.string("name"))],
        "published": published,
        "updated": not_before(fields.timestamp("updated_at"), published),
        "authors": [_author(a) for a in authors if a.string("name")],
        "image": _feature_image(fields),
        "body_html": body.replace(GHOST_URL_PLACEHOLDER, ""),
    })


def _is_public_tag(tag: JsonObject) -> bool:
    name = tag.string("name") or ""
    return (tag.string("visibility") or "public") == "public" and not name.startswith("#")


def _author(user: JsonObject) -> dict[str, str]:
    # Only name, page and picture: Ghost payloads also carry e-mail addresses, never published.
    return drop_empty({
        "name": plain_text_line(user.string("name")),
        "url": public_url(user.string("url")) or public_url(user.string("website")),
        "image": https_url(_deplaceholder(user.string("profile_image"))),
    })


def _deplaceholder(value: str | None) -> str | None:
    return value.replace(GHOST_URL_PLACEHOLDER, "") if value is not None else None


def _feature_image(post: JsonObject) -> dict[str, Any] | None:
    src = https_url(_deplaceholder(post.string("feature_image")))
    if src is None or (not src.startswith("/") and public_url(src) is None):
        return None  # e.g. a test instance's https://fixture.invalid/…: can never load
    return drop_empty({
        "src": src,
        "caption": plain_text(post.string("feature_image_caption")),
    }) | {"alt": plain_text_line(post.string("feature_image_alt"))}
