"""IPTC ninjs 1.x, 2.x and 3.x news items → article contract v1.

ninjs ("news in JSON", https://iptc.org/std/ninjs/) is the news agencies' JSON format (AP, dpa,
TT, Business Wire). 1.x names fields in lower case with singular bodies (``body_html``,
``versioncreated``, ``associations`` as an object); 3.x uses camelCase lists (``bodies[]``,
``headlines[]``, ``versionCreated``, ``associations[]``); 2.x sits in between. Both spellings are
read.

Field mapping (ninjs → article):

==========================================  ====================================================
``uri``                                     ``id`` (``"ninjs-" + uri``); slug from ``slug``/
                                            ``title`` when present
``headlines[role=main]``, ``headline``      ``headline`` (plain text)
``descriptions[role=lead|summary]``,        ``description``
``description_text``
the richest body                            ``body_html``: ``body_html5`` / ``bodies[]`` with
                                            role or content type html5 > html > xhtml > NITF XML
                                            (converted: ``hl1``→h2, ``block`` unwrapped) > plain
                                            text (paragraphs); a whole ``<html>`` document is
                                            reduced to its ``<body>``; bare text is wrapped in
                                            ``<p>``
``by``, ``byline``                          ``authors`` (``"Von X, dpa"`` → ``"X"``; ``by`` is
                                            split on `` and ``/``,``)
``firstcreated`` / ``versioncreated``       ``published`` / ``updated``
``subject[]``, ``subjects[]`` (``name``)    ``tags``; the first one with ``rel`` ``about`` is not
                                            special: ninjs has no section
``language``                                ``language``
``associations`` (``picture``/``graphic``)  ``image``: the rendition with the largest width ×
                                            height (``href``, sizes kept); ``description_text``/
                                            ``headline`` as alt and caption
==========================================  ====================================================

Dropped: ``urgency``, ``pubstatus`` (``withheld``/``canceled`` items are *skipped*),
``copyrightnotice`` (the site footer says who owns the site), ``located``, ``place``, ``genre``,
``embargoed`` (an embargoed item is skipped until the embargo has passed; an embargo, or a
``firstcreated``/``versioncreated``, that is not an ISO 8601 date-time is refused with a
SchemaError naming the field, never read as "no embargo"), video associations.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from amp_publisher.core.adapters._common import (
    JsonObject,
    MappingContext,
    SkippedPost,
    escape_text,
    finish_article,
    https_url,
    image_size,
    not_before,
    plain_text,
    plain_text_line,
    public_url,
    slug_from,
    text_paragraphs,
)
from amp_publisher.core.errors import SchemaError
from amp_publisher.core.models import instant

__all__ = ["recognise", "article_from_ninjs"]

#: Keys only ninjs has (any spelling); with ``uri`` they identify the format.
NINJS_KEYS = ("versioncreated", "versionCreated", "firstcreated", "firstCreated", "body_html5",
              "body_xhtml", "body_text", "bodies", "headlines", "associations", "pubstatus",
              "pubStatus", "renditions", "standard")

#: Body preference: richest first (role or content type).
_BODY_RANK = ("html5", "html", "xhtml", "nitf", "text")


def recognise(obj: Any) -> str | None:
    """Why ``obj`` is a ninjs item (``None`` when it is not): ``uri`` plus ninjs-only keys."""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("uri"), str):
        return None
    standard = obj.get("standard")
    if isinstance(standard, Mapping) and standard.get("name") == "ninjs":
        return f"standard.name is 'ninjs' (version {standard.get('version')})"
    schema = obj.get("$schema")
    if isinstance(schema, str) and "ninjs" in schema:
        return f"$schema names ninjs ({schema})"
    found = [k for k in NINJS_KEYS if k in obj]
    if found:
        return "has uri and ninjs fields " + ", ".join(found[:4])
    return None


def _get(item: JsonObject, *names: str) -> Any:
    return next((item.raw[n] for n in names if item.raw.get(n) is not None), None)


def _timestamps(item: JsonObject, *names: str) -> list[str]:
    """Every one of ``names`` (ninjs 1.x, then 2.x/3.x spelling) that the item holds a date in,
    in that order, as timestamps (:meth:`JsonObject.timestamp`; a blank value or WordPress's
    zero date holds none).

    Raises:
        SchemaError: a value is not an ISO 8601 date-time (or date), as the ninjs schema
            requires; it names the field. An embargo that cannot be read must not let the item
            out early.
    """
    return [when for name in names if (when := item.timestamp(name)) is not None]


def _latest(timestamps: list[str]) -> str | None:
    """The latest of ``timestamps`` (as instants: they may carry different offsets; a bare
    date is the start of its day in UTC)."""
    return max(timestamps, key=instant, default=None)


def _role_value(item: JsonObject, plural: str, singular: str, roles: tuple[str, ...]) -> str | None:
    for role in roles:
        for entry in item.objects(plural):
            if (entry.string("role") or "main") == role and entry.string("value"):
                return entry.string("value")
    value = item.raw.get(singular)
    return value if isinstance(value, str) else None


def article_from_ninjs(obj: Mapping[str, Any], path: str,
                       context: MappingContext) -> dict[str, Any] | SkippedPost:
    """Map one ninjs item onto the article contract (see the module docstring).

    Raises:
        SchemaError: a field read holds the wrong JSON type, or a date that is not ISO 8601;
            ``path`` names it.
    """
    item = JsonObject(obj, path)
    uri = item.string("uri")
    status = (item.string("pubstatus") or item.string("pubStatus") or "usable").lower()
    if status != "usable":
        return SkippedPost(path, uri, f"pubStatus {status!r}: only usable items are published")
    # both spellings in one item that disagree: held back until the later one
    embargo = _latest(_timestamps(item, "embargoed", "embargoedUntil"))
    if embargo and instant(embargo) > dt.datetime.now(dt.UTC):
        return SkippedPost(path, uri, f"embargoed until {embargo}")
    headline = _role_value(item, "headlines", "headline", ("main", "title"))
    description = _role_value(item, "descriptions", "description_text",
                              ("lead", "summary", "main"))
    published = next(iter(_timestamps(item, "firstcreated", "firstCreated")), None)
    updated = next(iter(_timestamps(item, "versioncreated", "versionCreated")), None)
    tags = []
    for key in ("subject", "subjects"):
        for subject in item.objects(key):
            name = plain_text_line(subject.string("name"))
            if name and name not in tags:
                tags.append(name)
    article = {
        "id": f"ninjs-{uri}"[:200] if uri else None,
        "slug": slug_from(item.string("slug"), "") or None,
        "headline": plain_text(headline),
        "description": plain_text(description),
        "language": item.string("language"),
        "published": published or updated,
        "updated": not_before(updated, published) if published else None,
        "authors": _authors(item),
        "tags": tags,
        "image": _picture(item),
        "canonical_url": public_url(uri),
        "body_html": _body(item, context),
    }
    return finish_article(article, context, path)


_BY_PREFIX = re.compile(r"^\s*(by|von|par|av|door|di|de|por)\s+", re.IGNORECASE)
_AGENCY_SUFFIX = re.compile(r",\s*(dpa|ap|afp|reuters|tt|ntb|apa|ansa|efe|sda|anp)\s*$",
                            re.IGNORECASE)


#: Between two names of a byline: a conjunction between spaces, or ``;``. A separator starts
#: only where a run of spaces starts (``(?<!\s)``), as the leftmost match always did: without
#: that, a run of n spaces not followed by a conjunction (n no-break spaces, which
#: :func:`plain_text_line` keeps) was tried from each of its n positions, O(n²): 21 s for 80 KB.
_BY_SEPARATOR = re.compile(r"(?<!\s)\s+(?:and|und|et|och|og|y|e)\s+|;")


def _authors(item: JsonObject) -> list[dict[str, str]]:
    by = _get(item, "by", "byline")
    if not isinstance(by, str) or not by.strip():
        return []
    text = _AGENCY_SUFFIX.sub("", _BY_PREFIX.sub("", plain_text_line(by)))
    names = [n.strip() for n in _BY_SEPARATOR.split(text) if n.strip()]
    return [{"name": n} for n in names]


def _bodies(item: JsonObject) -> list[tuple[str, str, str]]:
    """``(kind, value, path)`` of every body, kind one of :data:`_BODY_RANK`, path the JSON path
    of the value (``"body_xml"``, ``"bodies[1].value"``)."""
    found = []
    for field, kind in (("body_html5", "html5"), ("body_html", "html"), ("body_xhtml", "xhtml"),
                        ("body_xml", "nitf"), ("body_text", "text")):
        value = item.string(field)
        if value and value.strip():
            found.append((kind, value, item.path_of(field)))
    for entry in item.objects("bodies"):
        value = entry.string("value")
        if not value or not value.strip():
            continue
        role = (entry.string("role") or "").lower()
        ctype = (entry.string("contentType") or entry.string("contenttype") or "").lower()
        if "nitf" in role or "nitf" in ctype:
            kind = "nitf"
        elif role in ("html5", "html", "xhtml"):
            kind = role
        elif "html" in ctype:
            kind = "html"
        elif ctype.startswith("text/plain") or role in ("text", "plain"):
            kind = "text"
        else:
            continue
        found.append((kind, value, entry.path_of("value")))
    return sorted(found, key=lambda body: _BODY_RANK.index(body[0]))


def _body(item: JsonObject, context: MappingContext) -> str | None:
    from amp_publisher.core.extraction import document_body, is_whole_document

    bodies = _bodies(item)
    if not bodies:
        return None
    kind, value, where = bodies[0]
    if len(bodies) > 1:
        context.note(item.path, f"body: {kind} used; {', '.join(b[0] for b in bodies[1:])} "
                                "left out")
    if kind == "text":
        return text_paragraphs(value)
    if kind == "nitf":
        return nitf_body(value, where)
    if is_whole_document(value):
        context.note(item.path, "body: a whole HTML document; only its <body> is used")
        value = document_body(value)
    if not re.search(r"<(p|div|section|h[1-6]|ul|ol|table|blockquote|figure)\b", value,
                     re.IGNORECASE):
        return "<p>" + value.strip() + "</p>"  # bare text with inline markup: one paragraph
    return value


#: NITF body elements → HTML (NITF 3.6); elements not listed are unwrapped (their text kept).
_NITF_TAGS = {"p": "p", "hl1": "h2", "hl2": "h3", "ul": "ul", "ol": "ol", "li": "li",
              "em": "em", "a": "a", "br": "br", "bq": "blockquote", "table": "table",
              "tr": "tr", "td": "td", "th": "th", "q": "q", "pre": "pre", "dl": "dl",
              "dt": "dt", "dd": "dd", "credit": "cite"}
_NITF_DROPPED = {"media", "media-reference", "media-metadata", "media-caption", "media-producer",
                 "note", "body.head", "body.end", "fn"}


def nitf_body(xml: str, path: str = "body_xml") -> str:
    """The HTML of an NITF document's ``body.content`` (XML declaration and ``<head>`` never
    kept). Text is escaped; unknown NITF elements are unwrapped, media references dropped.

    Args:
        xml: the NITF document.
        path: its JSON path in the source document, for errors.

    Raises:
        SchemaError: ``xml`` holds a lone surrogate (a JSON escape such as ``\\ud800`` that is
            half of a pair): it is not text, so it cannot be encoded for the XML parser.

    >>> nitf_body('<?xml version="1.0"?><nitf><head><title>T</title></head><body>'
    ...           '<body.content><block><hl2>Sub</hl2><p lede="true">A &amp; B</p></block>'
    ...           '</body.content></body></nitf>')
    '<h3>Sub</h3><p>A &amp; B</p>'
    """
    from lxml import etree

    try:
        data = xml.strip().encode("utf-8")
    except UnicodeEncodeError:
        raise SchemaError(f"{path}: text that is not valid Unicode (a lone surrogate escape "
                          "such as \\ud800)", path=path) from None
    # the bytes are UTF-8 whatever the XML declaration says: it names the encoding of a file
    # the JSON string once was (read as iso-8859-1, "Café" became "CafÃ©"; as UTF-16, nothing)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True,
                             remove_comments=True, remove_pis=True, encoding="utf-8")
    root = etree.fromstring(data, parser)
    if root is None:
        return ""
    content = root.find(".//body.content")
    if content is None:
        return ""

    def convert(node) -> str:
        out = [escape_text(node.text)]
        for child in node:
            name = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if name in _NITF_DROPPED:
                pass
            elif name in _NITF_TAGS:
                tag = _NITF_TAGS[name]
                if tag == "br":
                    out.append("<br>")
                else:
                    href = https_url(child.get("href")) if tag == "a" else None
                    attr = f' href="{escape_text(href)}"' if href else ""
                    out.append(f"<{tag}{attr}>{convert(child)}</{tag}>")
            else:
                out.append(convert(child))
            out.append(escape_text(child.tail))
        return "".join(out)

    return convert(content).strip()


def _picture(item: JsonObject) -> dict[str, Any] | None:
    raw = item.raw.get("associations")
    if isinstance(raw, Mapping):
        entries = [item.object("associations").object(k) for k in raw]
    else:
        entries = item.objects("associations")
    for assoc in entries:
        if (assoc.string("type") or "").lower() not in ("picture", "graphic", "image"):
            continue
        renditions_raw = assoc.raw.get("renditions")
        renditions = ([assoc.object("renditions").object(k) for k in renditions_raw]
                      if isinstance(renditions_raw, Mapping) else assoc.objects("renditions"))
        sized = [r for r in renditions if image_size(r.raw.get("width"), r.raw.get("height"))
                 and https_url(r.string("href"))
                 and not (r.string("contentType") or r.string("mimetype") or "image/")
                 .startswith(("image/tiff", "video/"))]
        if sized:
            best = max(sized, key=lambda r: r.raw["width"] * r.raw["height"])
            src, width, height = https_url(best.string("href")), best.raw["width"], \
                best.raw["height"]
        else:
            src, width, height = https_url(assoc.string("uri")), None, None
        if not src:
            continue
        caption = plain_text(_get(assoc, "description_text", "body_text")
                             or _role_value(assoc, "descriptions", "description_text",
                                            ("caption", "main", "lead")))
        alt = plain_text(_role_value(assoc, "headlines", "headline", ("main",))) or caption
        image = {"src": src, "alt": alt or ""}
        if width and height:
            image.update(width=width, height=height)
        if caption:
            image["caption"] = caption
        credit = plain_text_line(_get(assoc, "by", "copyrightholder", "copyrightHolder"))
        if credit:
            image["credit"] = credit
        return image
    return None
