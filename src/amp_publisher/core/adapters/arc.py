"""Arc XP ANS (Arc Native Specification) stories → article contract v1.

ANS (https://github.com/washingtonpost/ans-schema) is the Washington Post's Arc XP content format.
A story's body is ``content_elements``, a list of typed elements; a result set of the Content API
(``{"type": "results", "content_elements": [stories]}``) is a collection.

Field mapping (ANS story → article):

=====================================  ==========================================================
``_id``                                ``id`` (``"arc-" + _id``)
``slug``, else the canonical URL path  ``slug``
``headlines.basic``                    ``headline`` (inline HTML stripped; U+2009 kept)
``subheadlines.basic``                 ``alternative_headline``
``description.basic``                  ``description``
``first_publish_date`` /               ``published`` (first one present: first_publish_date,
``publish_date`` / ``display_date``    publish_date, display_date, created_date)
``last_updated_date``                  ``updated``
``canonical_url``                      ``canonical_url`` (a relative one made absolute with the
                                       site's base URL)
``credits.by[]``                       ``authors[]``: ``name``/``byline``, ``url``, ``image.url``
``taxonomy.primary_section``,          ``section``
``taxonomy.sections[0]``
``taxonomy.tags[].text``               ``tags``
``language``                           ``language``
``promo_items.basic`` (an image)       ``image`` (the hero), with width, height, caption,
                                       credit; a TIFF is not shown by browsers and is dropped
=====================================  ==========================================================

``content_elements`` by type: ``text`` → ``<p>`` (its inline HTML kept), ``header`` → ``<h2>``–
``<h6>``, ``image`` → ``<figure>`` with caption and credit, ``gallery`` → its images,
``list`` → ``<ul>``/``<ol>`` (nested lists too), ``quote``/``blockquote`` → ``<blockquote>``
with its citation, ``oembed_response`` → the provider's embed HTML (YouTube, Vimeo, Twitter…
become AMP components in conversion), ``raw_html`` → as is (converted like any body HTML),
``video`` → ``<video>`` of its best https MP4 stream, ``table`` → ``<table>``, ``divider`` →
``<hr>``, ``correction`` → a paragraph prefixed with its kind, ``interstitial_link`` and
``link_list`` → links, ``element_group`` → its elements. **Dropped and reported**: ``reference``
(a reference without a payload: nothing to show), ``custom_embed`` (no known player),
``numeric_rating``, ``endorsement``, and any other type.

A field holding the wrong JSON type, a table row that is not an array, or a header ``level`` or
video ``width``/``height`` that is not a finite number (``1e999`` reads as infinity) is a
:class:`~amp_publisher.core.errors.SchemaError` naming the field. (Nesting is bounded before any
adapter runs: :func:`~amp_publisher.core.adapters.adapt_document`.)
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from amp_publisher.core.adapters._common import (
    JsonObject,
    MappingContext,
    SkippedPost,
    element,
    escape_text,
    finish_article,
    https_url,
    image_size,
    join_path,
    json_type,
    not_before,
    plain_text,
    plain_text_line,
    public_url,
    slug_from,
)
from amp_publisher.core.errors import SchemaError

__all__ = ["recognise", "recognise_results", "result_items", "article_from_story"]

_STORY_TYPES = ("story", "redirect")


def recognise(obj: Any) -> str | None:
    """Why ``obj`` is an ANS story: ``type`` ``"story"`` with ``content_elements`` or
    ``headlines``."""
    if (isinstance(obj, Mapping) and obj.get("type") == "story"
            and ("content_elements" in obj or isinstance(obj.get("headlines"), Mapping))):
        return "type is 'story' with content_elements/headlines"
    return None


def recognise_results(obj: Any) -> str | None:
    """Why ``obj`` is an ANS result set: ``type`` ``"results"`` and a ``content_elements``
    list."""
    if (isinstance(obj, Mapping) and obj.get("type") == "results"
            and isinstance(obj.get("content_elements"), list)):
        return f"type is 'results' with {len(obj['content_elements'])} content_elements"
    return None


def result_items(doc: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """The stories of a result set, each recognised on its own."""
    return [(f"content_elements[{i}]", story, None)
            for i, story in enumerate(doc["content_elements"])]


def article_from_story(obj: Mapping[str, Any], path: str,
                       context: MappingContext) -> dict[str, Any] | SkippedPost:
    """Map one ANS story onto the article contract (see the module docstring).

    Raises:
        SchemaError: a field read holds the wrong JSON type, a table row is not an array, or a
            header level or video size is not a finite number; ``path`` names it.
    """
    story = JsonObject(obj, path)
    story_id = story.ident("_id")
    published = next((d for key in ("first_publish_date", "publish_date", "display_date",
                                    "created_date") if (d := story.timestamp(key))), None)
    updated = story.timestamp("last_updated_date")
    taxonomy = story.object("taxonomy")
    section = (taxonomy.object("primary_section").string("name")
               or next((s.string("name") for s in taxonomy.objects("sections")
                        if s.string("name")), None))
    canonical = story.string("canonical_url")
    slug = story.string("slug")
    if not slug and canonical:
        parts = [p for p in urllib.parse.urlsplit(canonical).path.split("/") if p]
        slug = parts[0] if len(parts) == 1 else (
            next((p for p in parts if "-" in p and not p.endswith(".html")), None))
    body = "".join(_element(e, context) for e in story.objects("content_elements"))
    article = {
        "id": f"arc-{story_id}" if story_id else None,
        "slug": slug_from(slug, "") or None,
        "headline": plain_text(story.object("headlines").string("basic")),
        "alternative_headline": plain_text(story.object("subheadlines").string("basic")),
        "description": plain_text(story.object("description").string("basic")),
        "canonical_url": canonical,
        "section": plain_text_line(section),
        "tags": [t for tag in taxonomy.objects("tags")
                 if (t := plain_text_line(tag.string("text")))],
        "language": story.string("language"),
        "published": published,
        "updated": not_before(updated, published),
        "authors": _credits(story.object("credits")),
        "image": _promo(story, context),
        "body_html": body,
    }
    return finish_article(article, context, path)


def _credits(credits: JsonObject) -> list[dict[str, str]]:
    authors = []
    for person in credits.objects("by"):
        name = plain_text_line(person.string("name") or person.string("byline"))
        if not name:
            continue
        author = {"name": name}
        url = public_url(person.string("url"))
        if url:
            author["url"] = url
        image = https_url(person.object("image").string("url"))
        if image:
            author["image"] = image
        authors.append(author)
    return authors


def _is_tiff(url: str) -> bool:
    return urllib.parse.urlsplit(url).path.lower().endswith((".tif", ".tiff"))


def _image(image: JsonObject, context: MappingContext) -> dict[str, Any] | None:
    src = https_url(image.string("url"))
    if not src:
        return None
    if _is_tiff(src):
        context.note(image.path, "image: a TIFF file, which browsers do not show, left out")
        return None
    result: dict[str, Any] = {"src": src, "alt": plain_text(image.string("alt_text")
                                                            or image.string("caption")) or ""}
    result.update(image_size(image.raw.get("width"), image.raw.get("height")))
    caption = plain_text(image.string("caption"))
    if caption:
        result["caption"] = caption
    credit = ", ".join(a["name"] for a in _credits(image.object("credits")))
    if credit:
        result["credit"] = credit
    return result


def _promo(story: JsonObject, context: MappingContext) -> dict[str, Any] | None:
    basic = story.object("promo_items").object("basic")
    if basic.string("type") == "image":
        return _image(basic, context)
    return None


def _figure(image: JsonObject, context: MappingContext) -> str:
    data = _image(image, context)
    if data is None:
        return ""
    img = element("img", src=data["src"], alt=data["alt"], width=data.get("width"),
                  height=data.get("height"))
    caption = " ".join(escape_text(data[k]) for k in ("caption", "credit") if data.get(k))
    return element("figure", img + (element("figcaption", caption) if caption else ""))


def _list(items: list[JsonObject], ordered: bool, context: MappingContext) -> str:
    inner = []
    for item in items:
        if item.string("type") == "list":
            nested = _list(item.objects("items"), item.string("list_type") == "ordered", context)
            if inner:
                inner[-1] = inner[-1][:-len("</li>")] + nested + "</li>"
            else:
                inner.append(element("li", nested))
        else:
            inner.append(element("li", item.string("content") or ""))
    return element("ol" if ordered else "ul", "".join(inner))


def _element(el: JsonObject, context: MappingContext) -> str:
    kind = el.string("type") or ""
    if kind == "text":
        content = el.string("content") or ""
        return element("p", content) if content.strip() else ""
    if kind == "header":
        level = el.number("level") or 2
        level = min(max(int(level), 2), 6)
        return element(f"h{level}", el.string("content") or "")
    if kind == "image":
        return _figure(el, context)
    if kind == "gallery":
        return "".join(_figure(image, context) for image in el.objects("content_elements"))
    if kind == "list":
        return _list(el.objects("items"), el.string("list_type") == "ordered", context)
    if kind in ("quote", "blockquote"):
        if kind == "blockquote" and el.string("content"):
            inner = element("p", el.string("content"))
        else:
            inner = "".join(_element(c, context) for c in el.objects("content_elements"))
        citation = el.object("citation").string("content")
        if citation:
            inner += element("footer", citation)
        return element("blockquote", inner)
    if kind == "oembed_response":
        html = el.object("raw_oembed").string("html")
        if html:
            return html
        context.note(el.path, "oembed_response without html skipped")
        return ""
    if kind == "raw_html":
        return el.string("content") or ""
    if kind == "video":
        return _video(el, context)
    if kind == "table":
        return _table(el)
    if kind == "divider":
        return "<hr>"
    if kind == "correction":
        label = (el.string("correction_type") or "correction").capitalize()
        return element("p", element("strong", escape_text(label) + ":") + " "
                       + escape_text(el.string("text")))
    if kind == "interstitial_link":
        url = public_url(el.string("url"))
        return element("p", element("a", el.string("content") or "", href=url)) if url else ""
    if kind == "link_list":
        links = [element("li", element("a", item.string("content") or "", href=url))
                 for item in el.objects("items") if (url := public_url(item.string("url")))]
        title = el.string("title")
        return ((element("h3", escape_text(title)) if title else "")
                + (element("ul", "".join(links)) if links else ""))
    if kind == "element_group":
        return "".join(_element(c, context) for c in el.objects("content_elements"))
    if kind == "reference":
        referent = el.object("referent")
        context.note(el.path, "reference without a payload skipped (unresolved "
                              f"{referent.string('type') or 'referent'} "
                              f"{referent.string('id') or ''}".rstrip() + ")")
        return ""
    context.note(el.path, f"content element of type {kind!r} has no page equivalent; skipped")
    return ""


def _video(el: JsonObject, context: MappingContext) -> str:
    streams = [s for s in el.objects("streams")
               if (s.string("stream_type") or "").lower() == "mp4"
               and (s.string("url") or "").startswith("https://")]
    if not streams:
        context.note(el.path, "video without an https MP4 stream skipped")
        return ""
    best = max(streams, key=lambda s: s.rank("bitrate"))
    poster = https_url(el.object("promo_image").string("url"))
    width, height = best.number("width"), best.number("height")
    return element("video", "", src=best.string("url"), poster=poster, controls="",
                   width=int(width) if width else None, height=int(height) if height else None)


def _table(el: JsonObject) -> str:
    head = "".join(element("th", c.string("content") or "") for c in el.objects("header"))
    rows = []
    for i, row in enumerate(el.array("rows")):
        where = join_path(el.path_of("rows"), i)
        if row is not None and not isinstance(row, list):
            raise SchemaError(f"{where} must be a JSON array, not a JSON {json_type(row)}",
                              path=where)
        cells = [JsonObject(c, join_path(where, j)) for j, c in enumerate(row or [])]
        rows.append(element("tr", "".join(element("td", c.string("content") or "")
                                          for c in cells)))
    return element("table", (element("thead", element("tr", head)) if head else "")
                   + element("tbody", "".join(rows)))
