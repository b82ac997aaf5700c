"""Contentful rich text (https://www.contentful.com/developers/docs/concepts/rich-text/) →
article contract v1.

Accepted: a rich text ``document`` node on its own, an entry (``{"sys": {"type": "Entry"},
"fields": {...}}``) with a rich text field, and an entry collection of the Content Delivery API
(``{"sys": {"type": "Array"}, "items": [...], "includes": {"Entry": [...], "Asset": [...]}}``),
whose ``includes`` resolve embedded entries and assets.

Nodes: ``paragraph`` → ``<p>``, ``heading-1``…``heading-6`` → ``<h2>``…``<h6>`` (the
headline is the page's only h1; a heading inside a list item stays inside its ``<li>``, which is
valid HTML), ``unordered-list``/``ordered-list``/``list-item``, ``blockquote``, ``hr``,
``table``/``table-row``/``table-header-cell``/``table-cell``, ``hyperlink`` → ``<a href>``
(http(s)/mailto only), text with marks ``bold``, ``italic``, ``underline``, ``code``,
``superscript``, ``subscript``, ``strikethrough``. Text is escaped, never parsed as HTML.

Links to other content: ``embedded-asset-block`` → ``<figure><img>`` when the asset is in
``includes`` (its ``file.url``, ``details.image`` size, ``title``/``description``);
``asset-hyperlink`` → a link to the asset file; ``entry-hyperlink`` → the linked text (an
entry has no URL on this site); ``embedded-entry-block``/``embedded-entry-inline`` → the
entry's ``title`` when resolved. **Unresolvable links** (no ``includes`` entry for the id) are
skipped and reported, never rendered as an empty element.

A field of a node, a link or a linked asset holding the wrong JSON type (``marks`` that is not
an array, a ``nodeType`` that is not a string, a hyperlink's ``data`` that is not an object…) is
a :class:`~amp_publisher.core.errors.SchemaError` naming it (``fields.body.content[2].marks``);
in a collection that entry fails alone. (Nesting is bounded before any adapter runs:
:func:`~amp_publisher.core.adapters.adapt_document`.)

Entry fields: ``title``/``headline``/``name`` → ``headline``; ``slug`` → ``slug``;
``description``/``excerpt``/``summary`` (strings) → ``description``; ``publishDate``/
``publishedAt``/``date`` (else ``sys.createdAt``) → ``published``; ``sys.updatedAt`` →
``updated``; ``sys.locale`` → ``language``; ``author.fields.name`` (resolved) → ``authors``;
the first rich text field → ``body_html``. A document alone has no headline or date: its first
heading and the source object's modification time are used (noted).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from amp_publisher.core.adapters._common import (
    JsonObject,
    MappingContext,
    element,
    escape_text,
    finish_article,
    https_url,
    iso_utc,
    join_path,
    not_before,
    plain_text_line,
    slug_from,
)
from amp_publisher.core.errors import SchemaError

__all__ = ["recognise_document", "recognise_entry", "recognise_collection", "collection_items",
           "article_from_document", "article_from_entry", "rich_text_to_html"]

_BLOCKS = {"paragraph": "p", "heading-1": "h2", "heading-2": "h2", "heading-3": "h3",
           "heading-4": "h4", "heading-5": "h5", "heading-6": "h6", "unordered-list": "ul",
           "ordered-list": "ol", "list-item": "li", "blockquote": "blockquote", "table": "table",
           "table-row": "tr", "table-header-cell": "th", "table-cell": "td"}
_MARKS = {"bold": "strong", "italic": "em", "underline": "u", "code": "code",
          "superscript": "sup", "subscript": "sub", "strikethrough": "s"}
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _is_document(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("nodeType") == "document" \
        and isinstance(value.get("content"), list)


def recognise_document(obj: Any) -> str | None:
    """Why ``obj`` is a rich text document: ``nodeType`` ``"document"`` with ``content``."""
    return "nodeType is 'document' with content" if _is_document(obj) else None


def _rich_field(fields: Mapping[str, Any]) -> str | None:
    return next((k for k, v in fields.items() if _is_document(v)), None)


def recognise_entry(obj: Any) -> str | None:
    """Why ``obj`` is an entry: ``fields`` holding a rich text document."""
    if isinstance(obj, Mapping) and isinstance(obj.get("fields"), Mapping):
        field = _rich_field(obj["fields"])
        if field:
            return f"fields.{field} is a rich text document"
    return None


def recognise_collection(obj: Any) -> str | None:
    """Why ``obj`` is an entry collection: ``sys.type`` ``"Array"`` with ``items``."""
    if (isinstance(obj, Mapping) and isinstance(obj.get("sys"), Mapping)
            and obj["sys"].get("type") == "Array" and isinstance(obj.get("items"), list)):
        return f"sys.type is 'Array' with {len(obj['items'])} items"
    return None


class Includes:
    """Linked entries and assets of a collection response, by id.

    Raises:
        SchemaError: ``includes.Entry`` or ``includes.Asset`` is not an array.
    """

    def __init__(self, includes: Mapping[str, Any] | None) -> None:
        self.entries: dict[str, JsonObject] = {}
        self.assets: dict[str, JsonObject] = {}
        linked = JsonObject(includes or {}, "includes")
        for kind, table in (("Entry", self.entries), ("Asset", self.assets)):
            for i, item in enumerate(linked.array(kind)):
                if isinstance(item, Mapping) and isinstance(item.get("sys"), Mapping):
                    table[str(item["sys"].get("id"))] = JsonObject(
                        item, join_path(linked.path_of(kind), i))

    def resolve(self, target: JsonObject, kind: str) -> JsonObject | None:
        """The entry or asset a link's ``target`` points at (``None`` when not included).

        Raises:
            SchemaError: the link's ``sys`` is not an object; ``path`` names it.
        """
        if isinstance(target.raw.get("fields"), Mapping):
            return target  # already resolved (as the JavaScript SDK does)
        table = self.entries if kind == "Entry" else self.assets
        return table.get(str(target.object("sys").raw.get("id")))


def collection_items(doc: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """The collection's entries, mapped with its ``includes``.

    Raises:
        SchemaError: ``includes`` holds a table that is not an array (:class:`Includes`).
    """
    includes = Includes(doc.get("includes") if isinstance(doc.get("includes"), Mapping)
                        else None)
    mapper = functools.partial(article_from_entry, includes=includes)
    return [(f"items[{i}]", item, mapper) for i, item in enumerate(doc["items"])]


def article_from_document(obj: Mapping[str, Any], path: str,
                          context: MappingContext) -> dict[str, Any]:
    """A rich text document alone (headline and date from the fallbacks).

    Raises:
        SchemaError: a node holds the wrong JSON type (:func:`rich_text_to_html`).
    """
    body = rich_text_to_html(obj, path, context, Includes(None))
    return finish_article({"body_html": body}, context, path)


def article_from_entry(obj: Mapping[str, Any], path: str, context: MappingContext, *,
                       includes: Includes | None = None) -> dict[str, Any]:
    """Map an entry onto the article contract (see the module docstring).

    Raises:
        SchemaError: a field read holds the wrong JSON type (in the rich text too: see
            :func:`rich_text_to_html`); ``path`` names it.
    """
    includes = includes or Includes(None)
    entry = JsonObject(obj, path)
    fields, sys = entry.object("fields"), entry.object("sys")
    field = _rich_field(fields.raw)
    if field is None:
        raise SchemaError(f"{fields.path}: the entry has no rich text field (a document with "
                          "nodeType 'document')", path=fields.path)
    body = rich_text_to_html(fields.raw[field], fields.path_of(field), context, includes)
    headline = next((v for k in ("title", "headline", "name")
                     if (v := plain_text_line(fields.string(k)))), None)
    description = next((v for k in ("description", "excerpt", "summary")
                        if isinstance(fields.raw.get(k), str)
                        and (v := plain_text_line(fields.raw[k]))), None)
    published = next((d for k in ("publishDate", "publishedAt", "date")
                      if (d := iso_utc(fields.raw.get(k)))), None) or sys.timestamp(
        "createdAt")
    updated = sys.timestamp("updatedAt")
    authors = []
    key = "author" if fields.raw.get("author") else "authors"
    people = fields.raw.get(key) or []
    for i, person in enumerate(people if isinstance(people, list) else [people]):
        where = join_path(fields.path_of(key), i) if isinstance(people, list) \
            else fields.path_of(key)
        resolved = includes.resolve(JsonObject(person, where), "Entry") \
            if isinstance(person, Mapping) else None
        name = resolved and resolved.object("fields").raw.get("name")
        if isinstance(name, str) and name.strip():
            authors.append({"name": plain_text_line(name)})
        else:
            context.note(where, "author link not resolved in includes; skipped")
    article = {
        "id": f"contentful-{sys.string('id')}" if sys.string("id") else None,
        "slug": slug_from(fields.string("slug"), "") or None,
        "headline": headline,
        "description": description,
        "language": sys.string("locale"),
        "published": published,
        "updated": not_before(updated, published),
        "authors": authors,
        "body_html": body,
    }
    return finish_article(article, context, path)


def _asset_file(asset: JsonObject) -> tuple[str | None, JsonObject]:
    fields = asset.object("fields")
    return https_url(fields.object("file").string("url")), fields


def rich_text_to_html(node: Mapping[str, Any], path: str, context: MappingContext,
                      includes: Includes) -> str:
    """A rich text node and its content → HTML (see the module docstring).

    Raises:
        SchemaError: a node, link or linked asset field holds the wrong JSON type (``marks``
            not an array, ``nodeType`` or a mark's ``type`` not a string, a link's ``data``,
            ``target`` or ``sys`` not an object, an asset's ``fields``, ``file``, ``details``
            or ``image`` not an object…); ``path`` names it (``fields.body.content[2].marks``).

    >>> rich_text_to_html({"nodeType": "document", "content": [{"nodeType": "paragraph",
    ...     "content": [{"nodeType": "text", "value": "<b>&", "marks": [{"type": "bold"}]}]}]},
    ...     "$", MappingContext([]), Includes(None))
    '<p><strong>&lt;b&gt;&amp;</strong></p>'
    """
    typed = JsonObject(node, path)
    kind = typed.string("nodeType")
    content = node.get("content") if isinstance(node.get("content"), list) else []

    def inner() -> str:
        where = join_path(path, "content")
        return "".join(rich_text_to_html(child, join_path(where, i), context, includes)
                       for i, child in enumerate(content) if isinstance(child, Mapping))

    if kind == "text":
        text = escape_text(node.get("value") if isinstance(node.get("value"), str) else "")
        for mark in typed.objects("marks"):
            tag = _MARKS.get(mark.string("type"))
            if tag and text:
                text = f"<{tag}>{text}</{tag}>"
        return text
    if kind == "document":
        return inner()
    if kind in _BLOCKS:
        tag = _BLOCKS[kind]
        html = inner()
        if tag == "p" and not html.strip():
            return ""  # Contentful writes an empty paragraph after every embedded block
        if tag == "table":
            return f"<table><tbody>{html}</tbody></table>"
        return f"<{tag}>{html}</{tag}>"
    if kind == "hr":
        return "<hr>"
    if kind == "hyperlink":
        uri = (typed.object("data").string("uri") or "").strip()
        return element("a", inner(), href=uri) if uri.lower().startswith(_SAFE_SCHEMES) \
            else inner()
    if kind in ("asset-hyperlink", "embedded-asset-block"):
        asset = includes.resolve(typed.object("data").object("target"), "Asset")
        url, fields = _asset_file(asset) if asset else (None, None)
        if not url:
            context.note(path, f"{kind} to an asset not in includes skipped")
            return inner() if kind == "asset-hyperlink" else ""
        if kind == "asset-hyperlink":
            return element("a", inner(), href=url)
        image = fields.object("file").object("details").object("image")
        title = fields.raw.get("description") or fields.raw.get("title") or ""
        img = element("img", src=url, alt=str(title), width=image.raw.get("width"),
                      height=image.raw.get("height"))
        caption = fields.raw.get("title")
        return element("figure", img + (element("figcaption", escape_text(caption))
                                        if isinstance(caption, str) and caption else ""))
    if kind in ("entry-hyperlink", "embedded-entry-block", "embedded-entry-inline"):
        entry = includes.resolve(typed.object("data").object("target"), "Entry")
        if entry is None:
            context.note(path, f"{kind} to an entry not in includes skipped")
            return inner() if kind == "entry-hyperlink" else ""
        if kind == "entry-hyperlink":
            return inner()
        title = entry.object("fields").raw.get("title")
        text = escape_text(title) if isinstance(title, str) else ""
        if not text:
            return ""
        return f"<p>{text}</p>" if kind == "embedded-entry-block" else text
    context.note(path, f"rich text node {kind!r} has no page equivalent; skipped")
    return ""
