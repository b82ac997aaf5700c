"""Vox Media Chorus entries (GraphQL ``Entry`` with ``body.components``) → article contract v1.

Field mapping: ``uid`` → ``id``; the last path segment of ``url`` → ``slug``; ``title`` →
``headline``; ``dek.html`` → ``description`` (as plain text); ``publishDate``, else
``createdAt`` / ``updatedAt`` → ``published`` / ``updated``; ``author.fullOrUserName`` and
``contributors[].fullOrUserName`` → ``authors``; ``communityGroups[].name`` → ``tags``; ``url``
→ ``canonical_url``; ``leadImage`` (``url``, ``width``, ``height``, ``caption``) → ``image``.

Components (``__typename``): ``EntryBodyParagraph`` → ``<p>``, ``EntryBodyHeading`` → ``<h2>``–
``<h6>``, ``EntryBodyList`` → ``<ul>``/``<ol>``, ``EntryBodyBlockquote`` → ``<blockquote>``,
``EntryBodyPullquote`` → ``<blockquote>``, ``EntryBodyHorizontalRule`` → ``<hr>``,
``EntryBodyHTML`` (``rawHtml``) and ``EntryBodyEmbed`` (``embed.embedHtml``) → that HTML (the
converter turns tweets, videos and iframes into AMP components and drops scripts),
``EntryBodyImage`` → ``<figure><img>``, ``EntryBodyRelatedList`` → a list of links,
``EntryBodyTable`` → ``<table>`` (``columns`` as the header; ``rows`` are the columns' values
when their count matches the header's, as Chorus stores them, else rows), ``EntryBodyPoll`` →
its question and options as a static list (AMP has no poll without a server). Other components
are skipped and reported.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from amp_publisher.core.adapters._common import (
    JsonObject,
    MappingContext,
    element,
    escape_text,
    finish_article,
    https_url,
    image_size,
    not_before,
    plain_text,
    plain_text_line,
    public_url,
    slug_from,
)

__all__ = ["recognise", "article_from_entry"]


def recognise(obj: Any) -> str | None:
    """Why ``obj`` is a Chorus entry: ``body.components`` with ``__typename`` entries."""
    body = obj.get("body") if isinstance(obj, Mapping) else None
    if isinstance(body, Mapping) and isinstance(body.get("components"), list):
        return f"body.components ({len(body['components'])} Chorus components)"
    return None


def article_from_entry(obj: Mapping[str, Any], path: str,
                       context: MappingContext) -> dict[str, Any]:
    """Map one Chorus entry onto the article contract (see the module docstring).

    Raises:
        SchemaError: a field read holds the wrong JSON type; ``path`` names it.
    """
    entry = JsonObject(obj, path)
    url = entry.string("url") or ""
    segment = urllib.parse.urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    names = [entry.object("author").string("fullOrUserName")]
    names += [c.string("fullOrUserName") for c in entry.objects("contributors")]
    published = entry.timestamp("publishDate") or entry.timestamp("createdAt")
    lead = entry.object("leadImage")
    image = None
    if https_url(lead.string("url")):
        image = {"src": https_url(lead.string("url")), "alt": plain_text(lead.string("caption"))}
        image.update(image_size(lead.raw.get("width"), lead.raw.get("height")))
    body = "".join(_component(c, context)
                   for c in entry.object("body").objects("components"))
    article = {
        "id": f"chorus-{entry.string('uid')}" if entry.string("uid") else None,
        "slug": slug_from(segment, "") or None,
        "headline": plain_text(entry.string("title")),
        "description": plain_text(entry.object("dek").string("html")),
        "canonical_url": public_url(url),
        "tags": [t for g in entry.objects("communityGroups")
                 if (t := plain_text_line(g.string("name")))],
        "published": published,
        "updated": not_before(entry.timestamp("updatedAt"), published),
        "authors": [{"name": plain_text_line(n)} for n in names if n and n.strip()],
        "image": image,
        "body_html": body,
    }
    return finish_article(article, context, path)


def _html(obj: JsonObject, key: str) -> str:
    return obj.object(key).string("html") or ""


def _component(c: JsonObject, context: MappingContext) -> str:
    kind = c.string("__typename") or ""
    if kind == "EntryBodyParagraph":
        html = _html(c, "contents")
        return f"<p>{html}</p>" if html.strip() else ""
    if kind == "EntryBodyHeading":
        level = min(max(int(c.number("level") or 2), 2), 6)
        return f"<h{level}>{_html(c, 'contents')}</h{level}>"
    if kind == "EntryBodyList":
        tag = "ol" if c.boolean("ordered") else "ul"
        return element(tag, "".join(element("li", _html(i, "line")) for i in c.objects("items")))
    if kind == "EntryBodyBlockquote":
        return element("blockquote", "".join(f"<p>{_html(p, 'contents')}</p>"
                                              for p in c.objects("paragraphs")))
    if kind == "EntryBodyPullquote":
        return element("blockquote", f"<p>{_html(c, 'quote')}</p>")
    if kind == "EntryBodyHorizontalRule":
        return "<hr>"
    if kind == "EntryBodyHTML":
        return c.string("rawHtml") or ""
    if kind == "EntryBodyEmbed":
        return c.object("embed").string("embedHtml") or ""
    if kind == "EntryBodyImage":
        image = c.object("image")
        src = https_url(image.string("url"))
        if not src:
            return ""
        caption = _html(c, "caption")
        return element("figure", element("img", src=src, alt=plain_text(caption))
                       + (element("figcaption", caption) if caption else ""))
    if kind == "EntryBodyRelatedList":
        links = [element("li", element("a", escape_text(i.string("title")), href=url))
                 for i in c.objects("items") if (url := public_url(i.string("url")))]
        return element("ul", "".join(links)) if links else ""
    if kind == "EntryBodyTable":
        return _table(c.object("table"), context)
    if kind == "EntryBodyPoll":
        poll = c.object("poll")
        options = "".join(element("li", escape_text(o.string("label")))
                          for o in poll.objects("options"))
        context.note(c.path, "poll shown as a static list of its options (no voting)")
        return element("p", element("strong", escape_text(poll.string("title")))) + \
            element("ul", options)
    context.note(c.path, f"Chorus component {kind!r} has no page equivalent; skipped")
    return ""


def _table(table: JsonObject, context: MappingContext) -> str:
    columns = [str(v) for v in table.array("columns")]
    rows = [[str(v) for v in row] for row in table.array("rows") if isinstance(row, list)]
    if columns and rows and len(rows) == len(columns) and any(len(r) != len(columns)
                                                              for r in rows):
        # Chorus stores one list per column; turn them into rows
        context.note(table.path, "table rows stored per column; transposed")
        width = max(len(r) for r in rows)
        rows = [[r[i] if i < len(r) else "" for r in rows] for i in range(width)]
    head = element("tr", "".join(element("th", escape_text(c)) for c in columns)) if columns \
        else ""
    body = "".join(element("tr", "".join(element("td", escape_text(v)) for v in row))
                   for row in rows)
    caption = table.string("title") or table.string("caption")
    return element("table", (element("caption", escape_text(caption)) if caption else "")
                   + (element("thead", head) if head else "") + element("tbody", body))
