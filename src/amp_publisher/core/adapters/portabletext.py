"""Portable Text (Sanity, https://portabletext.org) → article contract v1.

Accepted: an array of blocks, a **single block**, or a Sanity document (an object with a field
holding an array of blocks, e.g. ``{"_type": "post", "title": …, "body": [...]}``).

Text is **always escaped, never parsed as HTML**: a span whose text is ``<script>…`` shows those
characters on the page. Only link ``href`` values of http(s)/mailto links are kept.

Rendering:

* ``block`` with ``style`` ``normal`` → ``<p>``, ``h1``–``h6`` → ``<h2>``–``<h6>`` (the headline
  is the page's only h1), ``blockquote`` → ``<blockquote>``; consecutive blocks with
  ``listItem`` (``bullet``/``number``) are grouped into ``<ul>``/``<ol>``, nested by ``level``; a
  list type change at one level starts a new list.
* marks: decorators ``strong``, ``em``, ``code``, ``underline`` (``<u>``), ``strike-through``
  (``<s>``); annotations from ``markDefs`` of type ``link`` → ``<a href>``; unknown marks keep
  their text.
* ``image`` with ``asset.url`` → ``<img>`` (with ``alt`` and a caption); an image whose asset is
  only a ``_ref`` cannot be resolved without the project's CDN address: skipped and reported.
* ``youtube``/``video``/``embed`` objects with a ``url`` → a link the converter turns into the
  provider's AMP component when it knows it; ``code`` → ``<pre><code>``; other types skipped
  and reported.

Document fields: ``title``/``headline``/``name`` → ``headline``; ``slug.current`` → ``slug``;
``publishedAt`` (else ``_createdAt``) / ``_updatedAt`` → ``published`` / ``updated``;
``description``/``excerpt`` (a string) → ``description``; ``author.name`` / ``authors[].name``
→ ``authors``; ``mainImage.asset.url`` → ``image``. A bare array of blocks has no headline or
date: the first heading and the source object's modification time are used (noted).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from amp_publisher.core.adapters._common import (
    JsonObject,
    MappingContext,
    element,
    escape_text,
    finish_article,
    https_url,
    not_before,
    plain_text_line,
    slug_from,
)

__all__ = ["recognise", "recognise_document", "article_from_blocks", "article_from_document",
           "blocks_to_html"]

_DECORATORS = {"strong": "strong", "em": "em", "code": "code", "underline": "u",
               "strike-through": "s", "strike": "s"}
_HEADINGS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h5", "h6": "h6"}
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _is_block(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("_type") == "block" \
        and isinstance(value.get("children"), list)


def _is_block_list(value: Any) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(v, Mapping) and isinstance(v.get("_type"), str) for v in value)
            and any(_is_block(v) for v in value))


def recognise(obj: Any) -> str | None:
    """Why ``obj`` is Portable Text: an array of typed objects with blocks, or one block."""
    if _is_block_list(obj):
        return f"an array of {len(obj)} objects with _type, blocks among them"
    if _is_block(obj):
        return "a single Portable Text block (_type 'block' with children)"
    return None


def _body_field(obj: Mapping[str, Any]) -> str | None:
    return next((k for k, v in obj.items() if _is_block_list(v)), None)


def recognise_document(obj: Any) -> str | None:
    """Why ``obj`` is a Sanity document: an object (not a block) with a field of blocks."""
    if not isinstance(obj, Mapping) or _is_block(obj):
        return None
    field = _body_field(obj)
    return f"field {field!r} holds Portable Text blocks" if field else None


def article_from_blocks(obj: Any, path: str, context: MappingContext) -> dict[str, Any]:
    """A bare array of blocks (or one block) as an article: headline from its first heading,
    date from the context's fallback."""
    blocks = [obj] if isinstance(obj, Mapping) else obj
    body = blocks_to_html(blocks, path if isinstance(obj, list) else None, context)
    return finish_article({"body_html": body}, context, path)


def article_from_document(obj: Mapping[str, Any], path: str,
                          context: MappingContext) -> dict[str, Any]:
    """Map a Sanity document onto the article contract (see the module docstring).

    Raises:
        SchemaError: a field read holds the wrong JSON type; ``path`` names it.
    """
    doc = JsonObject(obj, path)
    field = _body_field(obj)
    body = blocks_to_html(doc.array(field), doc.path_of(field), context)
    headline = next((v for k in ("title", "headline", "name")
                     if (v := plain_text_line(doc.string(k)))), None)
    slug = doc.raw.get("slug")
    slug = slug.get("current") if isinstance(slug, Mapping) else slug
    published = doc.timestamp("publishedAt") or doc.timestamp("_createdAt")
    updated = doc.timestamp("_updatedAt")
    people = doc.objects("authors") or ([doc.object("author")] if doc.raw.get("author") else [])
    authors = []
    for person in people:
        if person.string("name"):
            authors.append({"name": plain_text_line(person.string("name"))})
        elif person.string("_ref"):
            context.note(person.path, f"author reference {person.string('_ref')!r} is not "
                                      "resolved in the document; skipped")
    image = https_url(doc.object("mainImage").object("asset").string("url"))
    description = next((plain_text_line(doc.string(k)) for k in ("description", "excerpt")
                        if isinstance(doc.raw.get(k), str)), None)
    article = {
        "id": f"sanity-{doc.string('_id')}" if doc.string("_id") else None,
        "slug": slug_from(slug, "") or None,
        "headline": headline,
        "description": description,
        "published": published,
        "updated": not_before(updated, published),
        "authors": authors,
        "image": {"src": image, "alt": plain_text_line(doc.object("mainImage").string("alt"))}
        if image else None,
        "body_html": body,
    }
    return finish_article(article, context, path)


def _spans(block: JsonObject) -> str:
    defs = {d.string("_key"): d for d in block.objects("markDefs")}
    out = []
    for child in block.objects("children"):
        if child.string("_type") not in (None, "span"):
            continue
        text = escape_text(child.string("text")).replace("\n", "<br>")
        for mark in child.array("marks"):
            if not isinstance(mark, str):
                continue
            if mark in _DECORATORS:
                text = f"<{_DECORATORS[mark]}>{text}</{_DECORATORS[mark]}>"
            elif mark in defs and defs[mark].string("_type") == "link":
                href = (defs[mark].string("href") or "").strip()
                if href.lower().startswith(_SAFE_SCHEMES):
                    text = element("a", text, href=href)
        out.append(text)
    return "".join(out)


class _Lists:
    """Groups list-item blocks into nested ``<ul>``/``<ol>``."""

    def __init__(self, out: list[str]) -> None:
        self.out = out
        self.stack: list[tuple[str, int, list[str]]] = []  # (tag, level, items)

    def close_to(self, level: int) -> None:
        while self.stack and self.stack[-1][1] > level:
            tag, _, items = self.stack.pop()
            html = f"<{tag}>" + "".join(f"<li>{i}</li>" for i in items) + f"</{tag}>"
            if self.stack:
                self.stack[-1][2][-1] += html
            else:
                self.out.append(html)

    def add(self, kind: str, level: int, html: str) -> None:
        tag = "ol" if kind == "number" else "ul"
        self.close_to(level)
        if self.stack and self.stack[-1][1] == level and self.stack[-1][0] != tag:
            self.close_to(level - 1)
        if not self.stack or self.stack[-1][1] < level:
            if self.stack and not self.stack[-1][2]:
                self.stack[-1][2].append("")
            self.stack.append((tag, level, []))
        self.stack[-1][2].append(html)


def blocks_to_html(blocks: list[Any], path: str | None, context: MappingContext) -> str:
    """Portable Text blocks → HTML; every text escaped (see the module docstring).

    >>> blocks_to_html([{"_type": "block", "style": "normal", "markDefs": [], "children": [
    ...     {"_type": "span", "text": "<script>alert(1)</script>", "marks": ["strong"]}]}],
    ...     None, MappingContext([]))
    '<p><strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong></p>'
    """
    out: list[str] = []
    lists = _Lists(out)
    base = path or "$"
    for index, raw in enumerate(blocks):
        block = JsonObject(raw, f"{'' if base == '$' else base}[{index}]" if path else "$")
        kind = block.string("_type")
        list_item = block.string("listItem") if kind == "block" else None
        if list_item:
            level = int(block.number("level") or 1)
            lists.add(list_item, level, _spans(block))
            continue
        lists.close_to(0)
        if kind == "block":
            style = block.string("style") or "normal"
            inner = _spans(block)
            if style in _HEADINGS:
                out.append(f"<{_HEADINGS[style]}>{inner}</{_HEADINGS[style]}>")
            elif style == "blockquote":
                out.append(f"<blockquote><p>{inner}</p></blockquote>")
            elif inner.strip():
                out.append(f"<p>{inner}</p>")
        elif kind == "image":
            src = https_url(block.object("asset").string("url"))
            if src:
                img = element("img", src=src, alt=block.string("alt") or "")
                caption = block.string("caption")
                out.append(element("figure", img + (element("figcaption", escape_text(caption))
                                                    if caption else "")))
            else:
                context.note(block.path, "image whose asset is only a reference "
                                         f"({block.object('asset').string('_ref')}) skipped: "
                                         "no URL to show")
        elif kind == "code":
            out.append(element("pre", element("code", escape_text(block.string("code")))))
        elif kind in ("youtube", "video", "embed", "twitter", "instagram") and \
                (url := https_url(block.string("url"))):
            out.append(element("p", element("a", escape_text(url), href=url)))
        else:
            context.note(block.path, f"Portable Text type {kind!r} has no page equivalent; "
                                     "skipped")
    lists.close_to(0)
    return "".join(out)
