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
                                       only when the GMT fields are missing, read as UTC
                                       with a note (they are the site's local time)
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

from collections.abc import Mapping
from typing import Any

from amp_publisher.core.adapters._common import (
    JsonObject,
    MappingContext,
    SkippedPost,
    drop_empty,
    https_url,
    image_size,
    join_path,
    json_type,
    not_before,
    plain_text,
    public_url,
    slug_from,
    unescape_once,
)
from amp_publisher.core.errors import SchemaError

__all__ = ["is_wordpress_post", "article_from_wordpress_post"]

#: WordPress's default category: on nearly every unsorted post, so it says nothing as a section.
DEFAULT_CATEGORY_SLUG = "uncategorized"

#: What WordPress ends an automatic excerpt with: ``[…]`` (``[&hellip;]``), ``[...]`` or ``…``.
_READ_MORE = ("[…]", "[...]", "…")


def _without_read_more(excerpt: str) -> str:
    """``excerpt`` without a trailing :data:`_READ_MORE` mark and the white space around it.

    Done with ``str.rstrip`` (the same white space as ``\\s``), not with a regular expression
    ``\\s*(…)\\s*$``: searched, that tried each of the n positions of a run of spaces not
    followed by a mark (no-break spaces, which :func:`plain_text` keeps), O(n²): 14 s for 80 KB.

    >>> _without_read_more("Text\\u00a0[…] "), _without_read_more("A … B")
    ('Text', 'A … B')
    """
    text = excerpt.rstrip()
    for mark in _READ_MORE:
        if text.endswith(mark):
            return text[:-len(mark)].rstrip()
    return excerpt


def is_wordpress_post(obj: Any) -> bool:
    """True for a ``wp/v2`` post/page object: ``title.rendered`` and ``content.rendered``."""
    return (isinstance(obj, Mapping)
            and isinstance(obj.get("title"), Mapping) and "rendered" in obj["title"]
            and isinstance(obj.get("content"), Mapping) and "rendered" in obj["content"])


def _utc_or_local(fields: JsonObject, name: str, context: MappingContext | None) -> str | None:
    """``<name>_gmt``, else ``<name>``: the site's local time without its zone, which the post
    does not carry, so it is read as UTC and a note says so (the page's time may be hours off).
    WordPress leaves ``date_gmt`` empty or zero for a post whose date was never fixed."""
    if (utc := fields.timestamp(f"{name}_gmt")) is not None:
        return utc
    local = fields.timestamp(name)
    if local is not None and context is not None:
        context.note(fields.path_of(name), f"{name}: {name}_gmt is empty, so {name}, the site's "
                     "local time without its zone, is read as UTC")
    return local


def article_from_wordpress_post(post: Mapping[str, Any], *, path: str = "$",
                                context: MappingContext | None = None,
                                ) -> dict[str, Any] | SkippedPost:
    """Map one ``wp/v2`` post or page onto the article contract.

    Args:
        post: the decoded post object (see the module docstring for the fields read).
        path: its JSON path in the source document, for errors and skip records.
        context: collects notes on what the mapping could not keep as it was (a date read
            from the site's local time); ``None`` drops them.

    Returns:
        The article as a ``dict`` (validate with ``Article.model_validate``), or a
        :class:`SkippedPost` for drafts and password-protected posts.

    Raises:
        SchemaError: a field read holds the wrong JSON type (``title.rendered`` a number,
            ``_embedded.author`` an object…) or ``content.rendered`` is missing; ``path`` names
            the field in the source document.
    """
    fields = JsonObject(post, path)
    post_id = fields.ident("id")
    status = fields.string("status")
    if status is not None and status != "publish":
        return SkippedPost(path, post_id, f"status {status!r}: only published posts are rendered")
    content = fields.object("content")
    if content.raw.get("protected"):
        return SkippedPost(path, post_id, "password-protected: its content is not public")
    body = content.string("rendered")
    if body is None:
        raise SchemaError(f"{content.path_of('rendered')} must be a string",
                          path=content.path_of("rendered"))

    embedded = fields.object("_embedded")
    yoast = fields.object("yoast_head_json")
    published = _utc_or_local(fields, "date", context)
    updated = _utc_or_local(fields, "modified", context)
    terms = _terms(embedded)
    description = (plain_text(yoast.string("description"))
                   or _without_read_more(plain_text(fields.object("excerpt").string("rendered"))))
    section = None
    for term in terms.get("category", []):
        name = term.string("name")
        if name and term.string("slug") != DEFAULT_CATEGORY_SLUG:
            section = unescape_once(name)
            break

    return drop_empty({
        "id": f"wordpress-{post_id}" if post_id else None,
        "slug": slug_from(fields.string("slug"), f"wordpress-{post_id}" if post_id else ""),
        "headline": plain_text(fields.object("title").string("rendered")),
        "description": description,
        "canonical_url": public_url(yoast.string("canonical")) or public_url(fields.string("link")),
        "section": section,
        "tags": [unescape_once(name) for t in terms.get("post_tag", [])
                 if (name := t.string("name"))],
        "published": published,
        "updated": not_before(updated, published),
        "authors": _authors(embedded, terms),
        "image": _featured_image(embedded),
        "body_html": body,
    })


def _terms(embedded: JsonObject) -> dict[str, list[JsonObject]]:
    """``_embedded["wp:term"]`` (a list of lists of terms) grouped by taxonomy."""
    grouped: dict[str, list[JsonObject]] = {}
    where = embedded.path_of("wp:term")
    for i, group in enumerate(embedded.array("wp:term")):
        if not isinstance(group, list):
            raise SchemaError(f"{join_path(where, i)} must be a JSON array, not a JSON "
                              f"{json_type(group)}", path=join_path(where, i))
        for j, item in enumerate(group):
            term = JsonObject(item, join_path(join_path(where, i), j))
            taxonomy = term.string("taxonomy")
            if taxonomy:
                grouped.setdefault(taxonomy, []).append(term)
    return grouped


def _avatar(user: JsonObject | None) -> str | None:
    if user is None:
        return None
    avatars = user.object("avatar_urls")
    if not avatars.raw:
        return None
    best = max(avatars.raw, key=lambda size: int(size) if str(size).isdigit() else 0)
    return https_url(avatars.string(best))


def _authors(embedded: JsonObject, terms: Mapping[str, list[JsonObject]]) -> list[dict[str, str]]:
    # an entry with "code" is WordPress's error object for an author it could not embed
    users = [u for u in embedded.objects("author") if u.string("name") and "code" not in u]
    by_slug = {u.string("slug"): u for u in users}
    bylines = terms.get("author")  # Co-Authors Plus exposes every byline as an "author" term
    if bylines:
        result = []
        for term in bylines:
            name = term.string("name")
            if not name:
                continue
            user = by_slug.get(term.string("slug"))
            result.append(drop_empty({
                "name": unescape_once(name),
                "url": public_url(term.string("link"))
                or (public_url(user.string("link")) if user else None),
                "image": _avatar(user),
            }))
        return result
    return [drop_empty({
        "name": unescape_once(u.string("name")),
        "url": public_url(u.string("link")) or public_url(u.string("url")),
        "image": _avatar(u),
    }) for u in users]


def _featured_image(embedded: JsonObject) -> dict[str, Any] | None:
    media = next((m for m in embedded.objects("wp:featuredmedia") if "code" not in m), None)
    if media is None or (media.string("media_type") or "image") != "image":
        return None
    details = media.object("media_details")
    src = https_url(media.string("source_url")) or https_url(
        details.object("sizes").object("full").string("source_url"))
    if src is None:
        return None
    size = image_size(details.raw.get("width"), details.raw.get("height"))
    credit = (details.object("image_meta").string("credit") or "").strip()
    alt = plain_text(media.string("alt_text"))
    return drop_empty({
        "src": src,
        **size,
        "alt": alt,
        "caption": plain_text(media.object("caption").string("rendered")),
        "credit": credit,
    }) | {"alt": alt}  # alt is required, even when empty
