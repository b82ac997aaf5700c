"""TinyNews (Google-Docs-based newsroom CMS) articles → article contract v1.

An article holds one ``translations[]`` entry per locale; the first published one is used
(others are noted). Field mapping: ``id`` → ``id`` (``"tinynews-" + id``); ``slug`` →
``slug``; ``translations[].headline`` (trimmed) → ``headline``; ``search_description``, else
``facebook_description`` → ``description``; ``first_published_at`` / ``last_published_at`` →
``published`` / ``updated``; ``locale_code`` → ``language``; ``custom_byline``, else
``author[].author`` (``first_names`` + ``last_name``; e-mail never read) → ``authors``;
``category.title`` → ``section`` (a null title is no section); ``tags[].title`` → ``tags``;
``featured_image`` (``url``, ``caption``), else the translation's ``main_image`` → ``image``;
``live_url`` → ``canonical_url``.

``content[]`` (Google Docs structure): ``text`` with ``style`` ``NORMAL_TEXT`` → ``<p>``,
``HEADING_1``–``HEADING_6`` → ``<h2>``–``<h6>``; children's ``content`` escaped, with
``style.bold``/``italic``/``underline`` and ``link``; ``list`` → ``<ul>``/``<ol>``;
``image``/``mainImage`` → ``<figure><img>`` with its width and height; ``embed`` with ``html``
or ``link`` → that HTML (converted like any body) or an ``<iframe>`` of the link. Other types
are skipped and reported.
"""

from __future__ import annotations

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
    not_before,
    plain_text_line,
    public_url,
    slug_from,
)

__all__ = ["recognise", "article_from_article"]


def recognise(obj: Any) -> str | None:
    """Why ``obj`` is a TinyNews article: ``translations[]`` entries with ``headline`` and
    ``content``."""
    if isinstance(obj, Mapping) and isinstance(obj.get("translations"), list) and any(
            isinstance(t, Mapping) and "headline" in t and "content" in t
            for t in obj["translations"]):
        return "has translations[] with headline and content"
    return None


def article_from_article(obj: Mapping[str, Any], path: str,
                         context: MappingContext) -> dict[str, Any] | SkippedPost:
    """Map one TinyNews article onto the article contract (see the module docstring).

    Raises:
        SchemaError: a field read holds the wrong JSON type; ``path`` names it.
    """
    article_obj = JsonObject(obj, path)
    translations = [t for t in article_obj.objects("translations")
                    if t.boolean("published") is not False]
    if not translations:
        return SkippedPost(path, article_obj.ident("id"), "no published translation")
    tr = translations[0]
    for other in translations[1:]:
        context.note(other.path, f"translation {other.string('locale_code')!r} not rendered: "
                                 "one page per article")
    byline = plain_text_line(tr.string("custom_byline"))
    authors = [{"name": byline}] if byline else []
    if not authors:
        for link in article_obj.objects("author"):
            person = link.object("author")
            name = plain_text_line(" ".join(filter(None, (person.string("first_names"),
                                                          person.string("last_name")))))
            if name:
                authors.append({"name": name})
    featured = article_obj.object("featured_image")
    image = None
    if https_url(featured.string("url")):
        image = {"src": https_url(featured.string("url")),
                 "alt": plain_text_line(featured.string("caption"))}
    published = tr.timestamp("first_published_at")
    body = "".join(_node(n, context) for n in tr.objects("content"))
    article = {
        "id": f"tinynews-{article_obj.ident('id')}" if article_obj.ident("id") else None,
        "slug": slug_from(article_obj.string("slug"), "") or None,
        "headline": plain_text_line(tr.string("headline")),
        "description": plain_text_line(tr.string("search_description")
                                       or tr.string("facebook_description")),
        "canonical_url": public_url(article_obj.string("live_url")),
        "section": plain_text_line(article_obj.object("category").string("title")),
        "tags": [t for tag in article_obj.objects("tags")
                 if (t := plain_text_line(tag.string("title")))],
        "language": tr.string("locale_code"),
        "published": published,
        "updated": not_before(tr.timestamp("last_published_at"), published),
        "authors": authors,
        "image": image,
        "body_html": body,
    }
    return finish_article(article, context, path)


def _runs(node: JsonObject) -> str:
    out = []
    for child in node.objects("children"):
        text = escape_text(child.string("content"))
        style = child.object("style")
        for flag, tag in (("bold", "strong"), ("italic", "em"), ("underline", "u")):
            if style.raw.get(flag) is True and text:
                text = f"<{tag}>{text}</{tag}>"
        link = child.string("link") or style.string("link")
        if link and public_url(link):
            text = element("a", text, href=link)
        out.append(text)
    return "".join(out)


def _node(node: JsonObject, context: MappingContext) -> str:
    kind = node.string("type")
    if kind == "text":
        style = node.string("style") or "NORMAL_TEXT"
        inner = _runs(node)
        if not inner.strip():
            return ""
        if style.startswith("HEADING_"):
            level = min(max(int(style[-1]) if style[-1].isdigit() else 2, 2), 6)
            return f"<h{level}>{inner}</h{level}>"
        return f"<p>{inner}</p>"
    if kind == "list":
        tag = "ol" if node.string("listType") in ("NUMBER", "ORDERED") else "ul"
        items = "".join(element("li", _runs(item)) for item in node.objects("items"))
        return element(tag, items) if items else ""
    if kind in ("image", "mainImage"):
        figures = []
        for child in node.objects("children"):
            src = https_url(child.string("imageUrl"))
            if src:
                figures.append(element("figure", element(
                    "img", src=src, alt=child.string("imageAlt") or "",
                    width=child.raw.get("width"), height=child.raw.get("height"))))
        return "".join(figures)
    if kind == "embed":
        html = node.string("html")
        if html:
            return html
        link = https_url(node.string("link"))
        return element("iframe", "", src=link) if link else ""
    context.note(node.path, f"content of type {kind!r} has no page equivalent; skipped")
    return ""
