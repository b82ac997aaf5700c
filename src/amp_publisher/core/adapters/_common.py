"""Helpers shared by the input adapters: plain text from CMS HTML, dates, URLs, slugs."""

from __future__ import annotations

import datetime as dt
import html
import ipaddress
import math
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from amp_publisher.core.errors import ConversionError, SchemaError
from amp_publisher.core.models import ISO_DATE_TIME, image_dimension, instant

#: Host suffixes that can never be a public page (RFC 6761/6762 special-use names, and the
#: ``.internal`` names of cloud VPCs). A canonical URL pointing there would tell search engines
#: the real page is somewhere nobody can reach, so it is dropped (the page is self-canonical).
NON_PUBLIC_HOST_SUFFIXES = (".localhost", ".invalid", ".test", ".local", ".internal")


@dataclass(frozen=True)
class SkippedPost:
    """A post an adapter deliberately did not turn into an article.

    Attributes:
        path: JSON path of the post in the document (``"posts[3]"``, ``"$"``).
        post_id: the CMS's id for it (``"184"``, ``"5ba6…"``), or ``None``.
        reason: why, in words a publisher understands (``"status 'draft': not published"``).
    """

    path: str
    post_id: str | None
    reason: str


_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "object": Mapping, "array": list, "number": (int, float), "boolean": bool,
}


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value (``"null"``, ``"number"``, ``"array"``…).

    >>> json_type(True), json_type(1.5), json_type({})
    ('boolean', 'number', 'object')
    """
    if value is None:
        return "null"
    for name, kind in (("boolean", bool), ("number", (int, float)), ("string", str),
                       ("array", list), ("object", Mapping)):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def join_path(path: str, key: str | int) -> str:
    """The JSON path of ``key`` inside the value at ``path`` (``"$"`` is the document itself).

    >>> join_path("$", "title"), join_path("title", "rendered"), join_path("authors", 0)
    ('title', 'title.rendered', 'authors[0]')
    """
    if isinstance(key, int):
        return f"{'' if path == '$' else path}[{key}]"
    return key if path == "$" else f"{path}.{key}"


class JsonObject:
    """Typed read access to one JSON object of a CMS document.

    CMS exports are hand-edited, merged and produced by plugins, so any field may hold any JSON
    value. Every read names the JSON type it expects: an absent or ``null`` field reads as
    ``None`` (or empty), a field of another type raises
    :class:`~amp_publisher.core.errors.SchemaError`
    whose ``path`` names the field in the source document (``"title.rendered"``,
    ``"authors[0].name"``), so no wrong type ever reaches the mapping code as an
    ``AttributeError``.

    Args:
        value: the decoded value (must be a JSON object).
        path: its JSON path in the source document (``"$"`` for the document).

    Raises:
        SchemaError: ``value`` is not a JSON object.

    Example:
        >>> post = JsonObject({"title": {"rendered": 1}}, "$")
        >>> post.object("title").string("rendered")
        Traceback (most recent call last):
        ...
        SchemaError: title.rendered must be a JSON string, not a JSON number
    """

    def __init__(self, value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            raise SchemaError(f"{path} must be a JSON object, not a JSON {json_type(value)}",
                              path=path)
        self.raw: Mapping[str, Any] = value
        self.path = path

    def __contains__(self, key: str) -> bool:
        return key in self.raw

    def path_of(self, key: str | int) -> str:
        """The JSON path of ``key`` in this object."""
        return join_path(self.path, key)

    def _typed(self, key: str, *kinds: str) -> Any:
        value = self.raw.get(key)
        if value is None:
            return None
        if any(isinstance(value, _JSON_TYPES[k]) and (k == "boolean" or not isinstance(value, bool))
               for k in kinds):
            return value
        where = self.path_of(key)
        raise SchemaError(f"{where} must be a JSON {' or '.join(kinds)}, not a JSON "
                          f"{json_type(value)}", path=where)

    def string(self, key: str) -> str | None:
        """``key`` as a string, ``None`` when absent or null; SchemaError for other types."""
        return self._typed(key, "string")

    def timestamp(self, key: str) -> str | None:
        """``key`` as a timestamp (:func:`iso_utc`): ``None`` when absent, null, blank or
        WordPress's zero date (``0000-00-00 00:00:00``, its "no date"); a SchemaError naming
        the field when it holds text that is not an ISO 8601 date or date-time. A date the
        document has but that cannot be read is refused, not replaced by the upload time."""
        text = self.string(key)
        if text is None or not text.strip() or _ZERO_DATE.match(text.strip()):
            return None
        parsed = iso_utc(text)
        if parsed is None:
            where = self.path_of(key)
            raise SchemaError(f"{where}: {text[:40]!r} is not an ISO 8601 date or date-time "
                              "(2026-06-25T09:30:00Z)", path=where)
        return parsed

    def number(self, key: str) -> int | float | None:
        """``key`` as a finite number (booleans are not numbers), ``None`` when absent or null.

        JSON has no infinity or NaN, but Python's decoder reads ``1e999`` as infinity and
        accepts ``NaN``: either is a SchemaError naming the field (``int()`` of it raised
        ``OverflowError`` or ``ValueError`` deep in an adapter)."""
        value = self._typed(key, "number")
        if isinstance(value, float) and not math.isfinite(value):
            where = self.path_of(key)
            raise SchemaError(f"{where} must be a finite number, not {value!r}", path=where)
        return value

    def rank(self, key: str) -> int | float:
        """``key`` as a number to order items by (a stream's bitrate, an author's sort order):
        absent, null, NaN or infinite ranks as 0, since nothing is built from it; a value of
        another JSON type is a SchemaError naming the field."""
        value = self._typed(key, "number")
        return value if value is not None and math.isfinite(value) else 0

    def boolean(self, key: str) -> bool | None:
        """``key`` as a boolean, ``None`` when absent or null."""
        return self._typed(key, "boolean")

    def ident(self, key: str) -> str | None:
        """An id: a string or an integer, as a string (``None`` when absent or null)."""
        value = self._typed(key, "string", "number")
        return None if value is None else str(value)

    def object(self, key: str) -> JsonObject:
        """``key`` as a :class:`JsonObject`; an empty one when absent or null."""
        value = self._typed(key, "object")
        return JsonObject(value if value is not None else {}, self.path_of(key))

    def array(self, key: str) -> list[Any]:
        """``key`` as a list (items unchecked); ``[]`` when absent or null."""
        return self._typed(key, "array") or []

    def objects(self, key: str) -> list[JsonObject]:
        """``key`` as a list of objects; ``[]`` when absent; SchemaError for a non-object item."""
        where = self.path_of(key)
        return [JsonObject(item, join_path(where, i)) for i, item in enumerate(self.array(key))]


_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TAG = re.compile(r"<[^>]*>")


_SPACE_RUN = re.compile(r"[ \t\n\r\f\v]+")


def collapse_spaces(text: str) -> str:
    """Runs of ASCII white space (what HTML collapses) → one space, ends trimmed. Typographic
    spaces are text and stay: a thin space (U+2009) in a headline, a no-break space (U+00A0)
    between a number and its unit.

    >>> collapse_spaces("  big\\u2009benefits \\n  and\\u00a0more ")
    'big\\u2009benefits and\\xa0more'
    """
    return _SPACE_RUN.sub(" ", text).strip(" ")


def plain_text(fragment: str | None) -> str:
    """Visible text of an HTML fragment: tags stripped, entities decoded exactly once,
    whitespace runs collapsed to one space, ends trimmed.

    >>> plain_text("Bar &amp;amp; <b>Baz</b>&#8217;s\\n  <br>caf&eacute;")
    'Bar &amp; Baz’s café'
    >>> plain_text(None), plain_text("<script>alert(1)</script>Title")
    ('', 'Title')
    """
    if not fragment or not fragment.strip():
        return ""
    # C0 controls (NUL, vertical tab…) and DEL are never text: a page must not carry them
    fragment = _CONTROL_CHARS.sub("", fragment)
    if "<" not in fragment and "&" not in fragment:
        return collapse_spaces(fragment)
    import lxml.html  # deferred: lxml is heavy and only CMS documents need it here

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
        # script and style content is code, never text a reader sees (a plugin's
        # "<script>alert(1)</script>Title" must not become the headline "alert(1)Title")
        lxml.etree.strip_elements(root, "script", "style", lxml.etree.Comment,
                                  with_tail=False)
        text = root.text_content()
    except (ValueError, TypeError, lxml.etree.ParserError):
        # lxml refuses control characters and some broken fragments; the stdlib fallback is
        # cruder but still drops script/style content and decodes entities exactly once.
        text = _SCRIPT_OR_STYLE.sub(" ", fragment)
        # tags only up to the last ">": a "<" after it starts no tag, and searching for its ">"
        # to the end of the text from every such "<" was O(n²) (1 s for 40,000 of them)
        end = text.rfind(">") + 1
        text = html.unescape(_TAG.sub(" ", text[:end]) + text[end:])
    return collapse_spaces(text)


def plain_text_line(value: str | None) -> str:
    """A plain-text field (Ghost titles, names): whitespace runs collapsed, control characters
    (NUL, vertical tab, DEL…) removed; no HTML decoding.

    >>> plain_text_line("  a\\x00b \\n c "), plain_text_line(None)
    ('ab c', '')
    """
    return collapse_spaces(_CONTROL_CHARS.sub("", value or ""))


def unescape_once(value: str | None) -> str:
    """WordPress stores term and user names HTML-escaped (``Bar &amp; Baz``); decode once.

    >>> unescape_once("Bar &amp; Baz"), unescape_once("Bar &amp;amp; Baz")
    ('Bar & Baz', 'Bar &amp; Baz')
    """
    return collapse_spaces(_CONTROL_CHARS.sub("", html.unescape(value or "")))


#: WordPress's "no date" (``0000-00-00 00:00:00``), its date part alone, and the same with a
#: zero fraction or a UTC designator, as exports rewrite it.
_ZERO_DATE = re.compile(r"0000-00-00(?:[ Tt]00:00:00(?:\.0+)?(?:[Zz]|[+-]00:?00)?)?\Z")


def iso_utc(value: Any) -> str | None:
    """A CMS timestamp as ISO 8601: a date-time with an explicit offset, or a bare date;
    ``None`` when absent or not ISO 8601.

    WordPress ``*_gmt`` fields and Ghost exports (``"2015-03-01 21:08:20"``) are UTC without a
    zone designator; values that carry an offset keep it. A date without a time (Contentful's
    Date field, a date-only ninjs value) stays a date, ``YYYY-MM-DD``, as in the article
    contract: it names a day, which a page shows as that day in any time zone, where midnight
    UTC would be the day before west of Greenwich. A date-time must have the shape the
    contract reads (:data:`amp_publisher.core.models.ISO_DATE_TIME`: ``T``, ``t`` or a space
    between date and time), which Python 3.11's ``fromisoformat`` alone does not check.

    >>> iso_utc("2019-11-07T15:36:54"), iso_utc("2015-03-01 21:08:20")
    ('2019-11-07T15:36:54+00:00', '2015-03-01T21:08:20+00:00')
    >>> iso_utc("2012-11-27T15:30:00.000+00:00"), iso_utc("2019-05-10"), iso_utc("20190510")
    ('2012-11-27T15:30:00+00:00', '2019-05-10', '2019-05-10')
    >>> iso_utc(None), iso_utc("0000-00-00 00:00:00"), iso_utc("2019-05-10-05:00")
    (None, None, None)
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        pass
    if not ISO_DATE_TIME.match(value.strip()):
        return None
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.isoformat()


def not_before(updated: str | None, published: str | None) -> str | None:
    """``updated`` unless it is earlier than ``published`` (imports often rewrite one of them;
    the contract refuses ``updated < published``, and the later date is then meaningless)."""
    if updated is None or published is None:
        return updated
    if instant(updated) < instant(published):
        return None
    return updated


def https_url(value: Any) -> str | None:
    """An image URL the article contract accepts: https, or site-relative.

    Protocol-relative URLs get ``https:``; ``http:`` is upgraded to ``https:``, which is what
    browsers do with images on an HTTPS page anyway (mixed-content auto-upgrade). Anything else
    (``file:``, ``data:``, empty) gives ``None``.

    >>> https_url("//www.gravatar.com/avatar/0?s=250"), https_url("http://a.example/x.jpg")
    ('https://www.gravatar.com/avatar/0?s=250', 'https://a.example/x.jpg')
    >>> https_url("/content/images/a.jpg"), https_url("file:///C:/a.jpg")
    ('/content/images/a.jpg', None)
    """
    if not isinstance(value, str) or not value.strip():
        return None
    url = value.strip()
    if url.startswith("//"):
        return "https:" + url
    if url.startswith("/"):
        return url
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in ("http", "https") and rest:
        return "https://" + rest
    return None


def image_size(width: Any, height: Any) -> dict[str, int]:
    """``{"width": w, "height": h}`` when both are sizes the contract takes
    (:func:`~amp_publisher.core.models.image_dimension`), else ``{}``: the renderer then
    measures the image. A CMS's ``width: 150000`` failed the whole post at the contract.

    >>> image_size(1200, 800), image_size(150_000, 800), image_size(1200, None)
    ({'width': 1200, 'height': 800}, {}, {})
    """
    w, h = image_dimension(width), image_dimension(height)
    return {"width": w, "height": h} if w and h else {}


def public_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL on a publicly reachable host, else ``None``.

    Used for canonical and author URLs: a CMS running on a laptop or in a test harness reports
    ``http://127.0.0.1:2368/post/`` or ``https://fixture.invalid/``; such a URL must never reach
    the page. Nor must one the AMP validator calls malformed
    (:func:`~amp_publisher.core.amp.urls.malformed_url`: a quote in the host, a port over
    65535), which the article contract refuses: the item would fail for a field it does not
    have, where an unusable URL of a CMS is only left out.

    >>> public_url("https://demo.ghost.io/welcome/"), public_url("http://127.0.0.1:23689/x/")
    ('https://demo.ghost.io/welcome/', None)
    >>> public_url("https://cms.invalid/x"), public_url("/relative"), public_url("")
    (None, None, None)
    >>> public_url('https://exa"mple.com/a'), public_url("https://example.com:99999/a")
    (None, None)
    """
    if not isinstance(value, str) or not value.strip():
        return None
    url = value.strip()
    from amp_publisher.core.amp.urls import malformed_url  # deferred with the AMP rules

    if malformed_url(url):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        return None
    if host == "localhost" or host.endswith(NON_PUBLIC_HOST_SUFFIXES) or "." not in host:
        return None
    try:
        if not ipaddress.ip_address(host).is_global:
            return None
    except ValueError:
        pass  # a host name, not an IP literal
    return url


def slug_from(value: Any, fallback: str) -> str:
    """A contract slug (``[a-z0-9][a-z0-9-]{0,119}``) from a CMS slug.

    WordPress percent-encodes non-ASCII slugs (``%e6%96%b0%e5%ae%bf``); they are decoded and
    transliterated with python-slugify, the same library that derives slugs from source keys.
    ``fallback`` is used when nothing usable is left.

    >>> slug_from("shinjuku-gyoen-national-garden", "x"), slug_from("%e6%96%b0%e5%ae%bf", "x")
    ('shinjuku-gyoen-national-garden', 'xin-su')
    >>> slug_from("", "wordpress-57")
    'wordpress-57'
    """
    from slugify import slugify

    text = urllib.parse.unquote(value) if isinstance(value, str) else ""
    return slugify(text, max_length=120, lowercase=True) or fallback


def drop_empty(article: dict[str, Any]) -> dict[str, Any]:
    """Remove ``None``, ``""`` and ``[]`` values so the contract's defaults apply."""
    return {k: v for k, v in article.items() if v not in (None, "", [])}


# -- the shared mapping vocabulary of the adapters ------------------------------------------------
#
# Every adapter turns one CMS item into the same article dict with the same few tools: typed
# reads (JsonObject), text (plain_text, plain_text_line, unescape_once), dates (iso_utc,
# not_before), URLs (https_url, public_url), slugs (slug_from), HTML built from structured
# content with every text escaped (escape_text, element, text_paragraphs), notes for what was
# skipped (MappingContext.note), and one finishing step (finish_article) that applies the
# fallbacks all formats share. A new format is one small module using these.


@dataclass(frozen=True)
class AdapterNote:
    """Something an adapter left out or decided, reported to the publisher.

    Attributes:
        path: JSON path in the source document (``"content_elements[8]"``).
        message: what and why (``"reference without a payload skipped: …"``).
    """

    path: str
    message: str


@dataclass
class MappingContext:
    """What a mapping needs beyond the item itself.

    Attributes:
        notes: collects :class:`AdapterNote` entries (shown by ``amp-render render --report``
            and logged by the function).
        fallback_published: ISO 8601 date-time used when a format carries no date at all
            (Portable Text and Contentful rich text documents): the source object's
            ``Last-Modified`` in the function, the file's modification time on the command line.
        base_url: the site's base URL, to make a relative canonical URL absolute.
    """

    notes: list[AdapterNote]
    fallback_published: str | None = None
    base_url: str | None = None

    def note(self, path: str, message: str) -> None:
        """Record an :class:`AdapterNote`."""
        self.notes.append(AdapterNote(path, message))


def escape_text(text: str | None) -> str:
    """Text for an HTML text node or attribute: ``& < > " '`` escaped, control characters
    removed. Text from structured formats is *never* parsed as HTML.

    >>> escape_text('<script>alert("x")</script> & co')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co'
    """
    return html.escape(_CONTROL_CHARS.sub("", text or ""), quote=True)


def element(tag: str, inner_html: str = "", **attrs: str | int | None) -> str:
    """``<tag attr="…">inner_html</tag>``; attribute values escaped, ``None`` ones left out,
    a trailing ``_`` in a name dropped (``class_``). ``inner_html`` must already be HTML.

    >>> element("a", "x &amp; y", href='https://e.example/?a=1&b="2"', title=None)
    '<a href="https://e.example/?a=1&amp;b=&quot;2&quot;">x &amp; y</a>'
    >>> element("hr")
    '<hr>'
    """
    rendered = "".join(f' {name.rstrip("_").replace("_", "-")}="{escape_text(str(value))}"'
                       for name, value in attrs.items() if value is not None)
    if tag in ("hr", "br", "img"):
        return f"<{tag}{rendered}>"
    return f"<{tag}{rendered}>{inner_html}</{tag}>"


def text_paragraphs(text: str | None) -> str:
    """Plain text → HTML paragraphs: a blank line separates paragraphs, a single line break
    inside one becomes ``<br>``; every character escaped.

    >>> text_paragraphs("One\\r\\nline two\\n\\nThree <b>")
    '<p>One<br>line two</p><p>Three &lt;b&gt;</p>'
    """
    if not text or not text.strip():
        return ""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(
        "<p>" + "<br>".join(escape_text(collapse_spaces(line))
                            for line in block.strip().split("\n") if line.strip()) + "</p>"
        for block in blocks if block.strip())


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def first_heading(body: str) -> str:
    """The plain text of the first ``<h1>``–``<h6>`` of an HTML body (:func:`plain_text`), ``""``
    when it has none or the first one is empty.

    The body is parsed as the conversion parses it
    (:func:`~amp_publisher.core.conversion.tree.parse_fragment`, linear in the input), so the
    heading is the one a reader sees, never one inside a comment or a script. A regular
    expression searching for ``<hN …>…</hN>`` rescanned the rest of the body from every start
    tag without an end tag: O(n²), 3 s of CPU for a 40 KB body of ``<h1>`` s. A body over the
    parser's element budget has no heading here; the conversion refuses it with its own error.

    >>> first_heading('<!-- <h1>old</h1> --><p>Intro</p><h2 class="x">A &amp;amp; <b>B</b></h2>')
    'A &amp; B'
    >>> first_heading("<p>No heading.</p>"), first_heading("<h1>" * 3)
    ('', '')
    """
    # deferred: html5-parser is only needed for a document without a headline
    from amp_publisher.core.conversion.tree import parse_fragment, serialize_children

    try:
        root = parse_fragment(body)
    except ConversionError:
        return ""
    heading = next(root.iter(*_HEADINGS), None)
    return "" if heading is None else plain_text(serialize_children(heading))


def finish_article(article: dict[str, Any], context: MappingContext, path: str) -> dict[str, Any]:
    """The last step of every adapter: fallbacks shared by all formats, empties dropped.

    * no ``headline``: the first heading of the body, else its first sentence (≤ 120
      characters), noted; without either the model reports ``headline: Field required``.
    * no ``published``: ``context.fallback_published``, noted.
    * no ``slug``: left out, so the renderer derives it from the headline.
    * a site-relative ``canonical_url`` is made absolute with ``context.base_url``.

    Args:
        article: the mapped fields (contract names).
        context: the mapping context.
        path: the item's JSON path, for notes.

    Returns:
        The article dict, without ``None``/``""``/``[]`` values.
    """
    body = article.get("body_html") or ""
    if not article.get("headline") and body:
        text = first_heading(body)
        used = "heading"
        if not text:
            first = plain_text(body)
            text = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0][:120].strip()
            used = "sentence"
        if text:
            article["headline"] = text
            context.note(path, f"headline: the document has none; its first {used} is used")
    if not article.get("published") and context.fallback_published:
        article["published"] = context.fallback_published
        context.note(path, "published: the document has no date; the source object's "
                           "modification time is used")
    canonical = article.get("canonical_url")
    if isinstance(canonical, str) and canonical.startswith("/") and context.base_url:
        article["canonical_url"] = public_url(urllib.parse.urljoin(context.base_url, canonical))
    elif canonical is not None:
        article["canonical_url"] = public_url(canonical)
    return drop_empty(article)
