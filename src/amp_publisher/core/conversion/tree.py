"""Parsing body HTML into a tree, editing it, and serializing it back (deterministically).

**Parser: html5-parser (gumbo, in C) building an lxml tree directly.** It implements the WHATWG
parsing algorithm, so the tree we convert is the tree a browser (and the AMP validator's parser)
builds from the same bytes: misnested ``<p><div>``, stray ``</p>``, ``<table>`` foster-parenting,
``<noscript>`` and SVG foreign content all come out as in a browser. libxml2's own HTML parser
(``lxml.html``) follows HTML 4 rules and builds different trees for exactly the messy markup this
package exists for, and a sanitizer that reasons about a different tree than the browser renders
is the classic sanitizer bug. html5-parser builds the libxml2 tree in C, 10-40 times faster than
the pure-Python html5lib this module used before, with the same trees on every corpus page.

html5-parser must use the same libxml2 as lxml; it is built against the one lxml's wheel bundles
(``layers/build_html5_parser.py``; ``make venv`` and the layer build run it).

The input is always parsed as a fragment in a ``<div>`` context (WHATWG "parsing HTML fragments"),
so full documents pasted into a body lose their ``<html>``/``<head>``/``<body>`` wrappers and keep
every other element in document order, where the later steps see (and report) it.

**Bounds.** A compiled parser has no hooks, so hostile input is bounded around it: one regular
expression pass over the start tags before parsing counts them against
:data:`MAX_ELEMENTS` (over it, :class:`~amp_publisher.core.errors.ConversionError`) and trims
start tags with more than :data:`MAX_ATTRIBUTES_PER_ELEMENT` attributes (gumbo compares each
attribute with all earlier ones); after parsing, the tree is counted again and markup deeper than
:data:`MAX_ELEMENT_DEPTH` is flattened to its text.

**Serializer: hand-written, ~40 lines, following the WHATWG "serializing HTML fragments"
algorithm.** lxml's own HTML serializer prefixes SVG elements with an XML namespace (``ns0:svg``),
percent-escapes URL attributes (changing the URLs a reader clicks) and is not a spec serializer.
Output is a pure function of the tree: attributes in source order, one escaping rule, so the same
input always gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

__all__ = [
    "VOID_ELEMENTS",
    "MAX_ELEMENT_DEPTH",
    "MAX_ATTRIBUTES_PER_ELEMENT",
    "MAX_ELEMENTS",
    "ParseNotes",
    "NON_RENDERED_ELEMENTS",
    "parse_fragment",
    "parse_again",
    "reparses_to_itself",
    "serialize_children",
    "serialize_document",
    "tag_of",
    "is_element",
    "visible_text",
    "removed_text",
    "FALLBACK_TEXT_ELEMENTS",
    "iter_elements",
    "detach",
    "unwrap",
    "replace",
    "new_element",
    "parse_document",
    "serialize_document",
]

VOID_ELEMENTS = frozenset(
    [
        "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
        "keygen", "link", "meta", "param", "source", "track", "wbr"
    ]
)
"""Elements serialized without an end tag (WHATWG HTML §13.3, "serializes as void")."""

_RAW_TEXT_ELEMENTS = frozenset([
    "style", "script", "xmp", "iframe", "noembed", "noframes", "plaintext"
])
"""Elements whose text child is serialized unescaped (WHATWG HTML §13.3; ``noscript`` is not
here because the tree is parsed with scripting disabled, so its content is markup)."""

NON_RENDERED_ELEMENTS = frozenset(
    [
        "script", "style", "template", "iframe", "noembed", "noframes", "title", "head", "meta",
        "link", "base", "param"
    ]
)
"""Elements whose text a reader never sees (WHATWG HTML §15.3.1 ``display: none`` defaults, plus
iframe fallback text, which HTML5 parses as raw text and never renders)."""

_XHTML_NS = "http://www.w3.org/1999/xhtml"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_ATTR_NS_PREFIX = {_XLINK_NS: "xlink", _XML_NS: "xml", "http://www.w3.org/2000/xmlns/": "xmlns"}

MAX_ELEMENT_DEPTH = 256
"""Deepest element nesting a converted body keeps (elements below the fragment root). Deeper
content is flattened into the text of the element at this depth (reported, text kept): real
articles nest a few dozen levels at most, while a hostile body nests thousands to exhaust
recursion in every later consumer (serializers, validators, browsers' layout). 256 is libxml2's
default parser depth limit (``xmlParserMaxDepth``); browsers' parsers cap nesting too (Blink
stops nesting at 512 levels)."""

MAX_ATTRIBUTES_PER_ELEMENT = 256
"""Attributes an element keeps; later ones are dropped (reported). The AMP validator rules and
every real CMS stay far below it (the widest tags in the corpus carry about 15), and HTML
parsers check each new attribute against all earlier ones (WHATWG HTML §13.2.5.33, duplicate
attributes), so 20,000 attributes on one tag cost seconds of parsing without a cap."""

MAX_ELEMENTS = 20_000
"""Start tags (before parsing) and elements (after) one HTML body may hold; more is a permanent
:class:`~amp_publisher.core.errors.ConversionError`. The largest page of the test corpus (87 KB)
holds 705 elements; at that density the 2 MiB source limit holds about 17,000. A 1.4 MB body of
180,000 tiny elements is an attack on every later consumer: the tree construction algorithm's
scope checks walk the stack of open elements, so nesting n elements costs O(n²) in any conformant
parser (about 0.8 s CPU for 20,000 nested ``div`` s here)."""

_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_NUMERIC_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
_TAG_OPEN = re.compile(r"<[A-Za-z]")
"""Where a start tag may begin: every start tag the tokenizer reads begins so (WHATWG HTML
§13.2.5.6), wherever it stands, so their number bounds the start tags from above."""
# A start tag and its attributes as the tokenizer reads them outside comments and raw text. A
# quoted value without its closing quote runs to the end of the input, as in the tokenizer (so
# the scan never fails and backtracks: linear in the input).
_START_TAG = re.compile(
    r"""<([A-Za-z][^\s/>]*)((?:[\s/]+[^\s/>=]+(?:\s*=\s*(?:"[^"]*"?|'[^']*'?|[^\s>]*))?)*)""")
_ATTRIBUTE = re.compile(r"""[\s/]+[^\s/>=]+(?:\s*=\s*(?:"[^"]*"?|'[^']*'?|[^\s>]*))?""")


@dataclass
class ParseNotes:
    """What :func:`parse_fragment` changed beyond what the HTML parser itself does (for the
    conversion report).

    Attributes:
        removed_characters: control characters, U+FFFE/U+FFFF and lone surrogates dropped
            (raw, or written as numeric character references such as ``&#1;``).
        dropped_attributes: ``(tag, count)`` for elements that had more than
            :data:`MAX_ATTRIBUTES_PER_ELEMENT` attributes.
        flattened: ``(tag, text)`` for each element at :data:`MAX_ELEMENT_DEPTH` whose deeper
            markup was replaced by its text.
    """

    removed_characters: int = 0
    dropped_attributes: list[tuple[str, int]] = field(default_factory=list)
    flattened: list[tuple[str, str]] = field(default_factory=list)


def _reference_fix(notes: ParseNotes):
    def fix(match: re.Match[str]) -> str:
        hex_digits, digits = match.groups()
        code = int(hex_digits, 16) if hex_digits else int(digits)
        if code == 0x0C:
            return " "  # form feed is HTML whitespace, as a raw one is
        if code < 0x110000 and _NOT_XML_CHARS.match(chr(code)) and code not in (0, 0xD):
            notes.removed_characters += 1
            return ""
        return match.group(0)  # the parser decodes it (NUL and surrogates become U+FFFD)
    return fix


def _bound_start_tags(html: str, notes: ParseNotes) -> str:
    """Count start tags against :data:`MAX_ELEMENTS` and trim attribute lists longer than
    :data:`MAX_ATTRIBUTES_PER_ELEMENT`.

    The count is of every ``<`` followed by a letter (an upper bound: a ``<p`` inside a comment
    or script counts too, which only makes the bound stricter). The trimming reads start tags
    with a regular expression that follows the tokenizer's attribute states but not its
    comment and raw-text states, so it is best effort against markup crafted to hide a tag
    behind a quote in a comment; the element budget and the checks after parsing still hold.

    Raises:
        ConversionError: more than :data:`MAX_ELEMENTS` start tags.
    """
    count = len(_TAG_OPEN.findall(html))
    if count > MAX_ELEMENTS:
        _too_many_elements(count, "start tags")
    # 256 attributes take at least 512 characters ("a b c …"): only such tags are counted
    long_tags = [match for match in _START_TAG.finditer(html)
                 if match.end(2) - match.start(2) > 2 * MAX_ATTRIBUTES_PER_ELEMENT]
    if not long_tags:
        return html
    parts: list[str] = []
    position = 0
    for match in long_tags:
        attributes = [m.group(0) for m in _ATTRIBUTE.finditer(match.group(2))]
        if len(attributes) <= MAX_ATTRIBUTES_PER_ELEMENT:
            continue
        notes.dropped_attributes.append(
            (match.group(1).lower(), len(attributes) - MAX_ATTRIBUTES_PER_ELEMENT))
        parts.append(html[position:match.start(2)])
        parts.append("".join(attributes[:MAX_ATTRIBUTES_PER_ELEMENT]))
        position = match.end(2)
    parts.append(html[position:])
    return "".join(parts)


def _too_many_elements(count: int, what: str) -> None:
    from amp_publisher.core.errors import ConversionError

    raise ConversionError(f"the HTML body has {count:,} {what}; at most {MAX_ELEMENTS:,} "
                          "elements are converted (split the article or simplify its markup)")


def parse_fragment(html: str, notes: ParseNotes | None = None) -> etree._Element:
    """Parse body HTML into a detached ``<div>`` container element.

    Args:
        html: any HTML text: a fragment, a full document, or garbage.
        notes: filled with what was changed on the way (dropped characters and attributes,
            flattened deep nesting), for the caller to report; ``None`` to ignore.

    Returns:
        A ``div`` element whose ``.text`` and children are the parsed fragment (the container
        itself is never serialized). HTML elements have plain tags (``"p"``); SVG and MathML
        elements are namespaced (``"{http://www.w3.org/2000/svg}svg"``). Comments appear as
        ``etree._Comment`` children. No element is deeper than :data:`MAX_ELEMENT_DEPTH` and
        none has more than :data:`MAX_ATTRIBUTES_PER_ELEMENT` attributes.

    Raises:
        ConversionError: more than :data:`MAX_ELEMENTS` start tags or elements (permanent: the
            same body always fails).
    """
    from html5_parser import parse  # deferred: only needed when a body is converted

    notes = notes if notes is not None else ParseNotes()
    # lxml (libxml2) cannot hold C0 control characters, U+FFFE/U+FFFF or lone surrogates; HTML
    # renders none of them, so they are dropped, raw or as character references (form feed is
    # HTML whitespace: a space).
    html, removed = _NOT_XML_CHARS.subn("", html.replace("\x0c", " "))
    notes.removed_characters += removed
    if "&#" in html:
        html = _NUMERIC_REFERENCE.sub(_reference_fix(notes), html)
    html = _bound_start_tags(html, notes)
    root = parse(html, namespace_elements=True, fragment_context="div", keep_doctype=False,
                 sanitize_names=True)
    # HTML elements come out in the XHTML namespace; the steps use plain tag names, as the HTML
    # DOM's localName. SVG and MathML keep their namespaces (the serializer writes local names).
    prefix = "{" + _XHTML_NS + "}"
    cut = len(prefix)
    elements = list(root.iter(prefix + "*"))  # renaming while iterating costs O(depth) a step
    for el in elements:
        el.tag = el.tag[cut:]
    count = len(elements) - 1  # the root is the fragment's container, not one of its elements
    if count > MAX_ELEMENTS:  # formatting elements the parser reconstructed (<b><p>x<p>y …)
        _too_many_elements(count, "elements")
    etree.cleanup_namespaces(root)
    root.tag = "div"
    _flatten_deep(root, notes)
    return root


def _flatten_deep(root: etree._Element, notes: ParseNotes) -> None:
    """Replace the content of elements at :data:`MAX_ELEMENT_DEPTH` by their visible text."""
    depth = 0
    boundary: list[etree._Element] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth == MAX_ELEMENT_DEPTH + 1 and len(el):  # root itself is depth 1
                boundary.append(el)
        else:
            depth -= 1
    for el in boundary:
        text = _text_of(el, with_tail=False)
        notes.flattened.append((tag_of(el), " ".join(text.split())))
        for child in list(el):
            el.remove(child)
        el.text = text or None


def tag_of(el: Any) -> str:
    """The element's tag name as the AMP rules name it: local name, lower case (``"amp-img"``,
    ``"svg"``, ``"lineargradient"``); ``"#comment"`` for comments, ``""`` for other nodes."""
    tag = el.tag
    if isinstance(tag, str):
        return etree.QName(tag).localname.lower() if tag[0] == "{" else tag.lower()
    if tag is etree.Comment:
        return "#comment"
    return ""


def is_element(node: Any) -> bool:
    """True for elements, False for comments and processing instructions."""
    return isinstance(node.tag, str)


def iter_elements(root: etree._Element) -> Iterator[etree._Element]:
    """Every element below ``root`` (not ``root`` itself) in document order, as a snapshot list so
    callers may edit the tree while iterating; removed elements are skipped by checking
    ``getparent()`` where it matters."""
    return iter([el for el in root.iterdescendants() if isinstance(el.tag, str)])


def visible_text(el: etree._Element) -> str:
    """The text a reader sees inside ``el`` (not its tail), whitespace collapsed to single spaces.

    Text inside :data:`NON_RENDERED_ELEMENTS` and comments is not visible and is left out.
    """
    return " ".join(_text_of(el, with_tail=False).split())


FALLBACK_TEXT_ELEMENTS = frozenset({"iframe", "template", "title", "noembed", "noframes"})
"""Elements whose text no browser shows in place but that an author wrote for readers: iframe
fallback text ("Watch the video on …"), template content, titles, ``noembed``/``noframes``
fallbacks. Removing one loses that text, so :func:`removed_text` reports it."""

_CODE_ELEMENTS = frozenset({"script", "style"})


def removed_text(el: etree._Element) -> str:
    """The text lost when ``el`` is removed, whitespace collapsed: its visible text, or for
    :data:`FALLBACK_TEXT_ELEMENTS` all its text except script and style content.

    >>> removed_text(parse_fragment("<iframe src=x>Watch the video</iframe>")[0])
    'Watch the video'
    """
    if not isinstance(el.tag, str):
        return ""
    if tag_of(el) in FALLBACK_TEXT_ELEMENTS:
        return " ".join(_text_of(el, with_tail=False, hidden=_CODE_ELEMENTS).split())
    return visible_text(el)


def _text_of(el: etree._Element, *, with_tail: bool,
             hidden: frozenset[str] = NON_RENDERED_ELEMENTS) -> str:
    """Text of ``el`` outside ``hidden`` elements, uncollapsed, without recursion (any
    depth)."""
    parts: list[str] = []
    skipping = 0  # inside this many non-rendered elements or comments
    for event, node in etree.iterwalk(el, events=("start", "end", "comment", "pi")):
        if event in ("comment", "pi"):
            if node is not el and node.tail and not skipping:
                parts.append(node.tail)
            continue
        is_hidden = tag_of(node) in hidden
        if event == "start":
            if is_hidden:
                skipping += 1
            elif not skipping and node.text:
                parts.append(node.text)
        else:
            if is_hidden:
                skipping -= 1
            if node is not el and not skipping and node.tail:
                parts.append(node.tail)
    if with_tail and el.tail:
        parts.append(el.tail)
    return "".join(parts)


def _append_text(parent: etree._Element, previous: etree._Element | None, text: str | None) -> None:
    if not text:
        return
    if previous is None:
        parent.text = (parent.text or "") + text
    else:
        previous.tail = (previous.tail or "") + text


def detach(el: etree._Element) -> None:
    """Remove ``el`` and its content from the tree, keeping its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    _append_text(parent, el.getprevious(), el.tail)
    parent.remove(el)


def unwrap(el: etree._Element) -> None:
    """Replace ``el`` by its content (text and children), keeping its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    index = parent.index(el)
    previous = el.getprevious()
    _append_text(parent, previous, el.text)
    children = list(el)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)  # moves child (and its tail) out of el
    last = children[-1] if children else previous
    _append_text(parent, last, el.tail)
    parent.remove(el)


def replace(old: etree._Element, new: etree._Element) -> None:
    """Put ``new`` where ``old`` is; ``old``'s tail text stays after ``new``."""
    new.tail = old.tail
    old.tail = None
    old.getparent().replace(old, new)


def new_element(tag: str, attrs: dict[str, str] | None = None, text: str | None = None,
                ) -> etree._Element:
    """A new element with attributes in the given order (order matters for byte-stable output)."""
    el = etree.Element(tag)
    for name, value in (attrs or {}).items():
        el.set(name, value)
    if text:
        el.text = text
    return el


def _escape_text(text: str) -> str:
    return (text.replace("&", "&amp;").replace("\u00a0", "&nbsp;")
            .replace("<", "&lt;").replace(">", "&gt;"))


def _escape_attr(value: str) -> str:
    # ``<`` and ``>`` are escaped too (the 2025 revision of the algorithm does) so that no
    # attribute value can ever look like markup to a non-HTML5 consumer.
    return (value.replace("&", "&amp;").replace("\u00a0", "&nbsp;").replace('"', "&quot;")
            .replace("<", "&lt;").replace(">", "&gt;"))


def _attr_name(name: str) -> str:
    if name[0] == "{":
        qname = etree.QName(name)
        prefix = _ATTR_NS_PREFIX.get(qname.namespace or "")
        return f"{prefix}:{qname.localname}" if prefix else qname.localname
    return name


def _start_tag(node: etree._Element, out: list[str], bare_empty: bool = False) -> str:
    tag = node.tag
    name = etree.QName(tag).localname if tag[0] == "{" else tag
    out.append("<" + name)
    for attr, value in node.attrib.items():
        if bare_empty and not value:
            out.append(" " + _attr_name(attr))
        else:
            out.append(f' {_attr_name(attr)}="{_escape_attr(value)}"')
    out.append(">")
    return name


def _serialize(top: etree._Element, out: list[str], bare_empty: bool = False) -> None:
    # An explicit stack instead of recursion: any depth serializes (no RecursionError).
    stack: list[tuple[etree._Element, str | None]] = [(top, None)]  # (node, end tag or None)
    while stack:
        node, end = stack.pop()
        if end is not None:  # all children written: close the element, then its tail
            out.append(end)
            if node is not top and node.tail:
                out.append(_escape_text(node.tail))
            continue
        tag = node.tag
        if not isinstance(tag, str):
            if tag is etree.Comment:
                out.append(f"<!--{node.text or ''}-->")
            if node is not top and node.tail:
                out.append(_escape_text(node.tail))
            continue
        name = _start_tag(node, out, bare_empty)
        lname = name.lower()
        if lname in VOID_ELEMENTS and tag[0] != "{":
            if node is not top and node.tail:
                out.append(_escape_text(node.tail))
            continue
        if node.text:
            if lname in _RAW_TEXT_ELEMENTS:
                out.append(node.text)
            else:
                if lname in ("pre", "textarea", "listing") and node.text.startswith("\n"):
                    out.append("\n")  # the parser drops one leading newline; keep the real one
                out.append(_escape_text(node.text))
        stack.append((node, f"</{name}>"))
        stack.extend((child, None) for child in reversed(node))


def serialize_children(root: etree._Element) -> str:
    """Serialize the content of ``root`` (not ``root`` itself) as HTML (WHATWG HTML §13.3).

    Foreign (SVG/MathML) elements are written with their local names and an explicit end tag,
    which the HTML parser reads back to the same tree. Any nesting depth is fine (no recursion).
    """
    out: list[str] = []
    if root.text:
        out.append(_escape_text(root.text))
    for child in root:
        _serialize(child, out)
        if child.tail:
            out.append(_escape_text(child.tail))
    return "".join(out)


# --- trees the parser builds again from their serialization -----------------------------------

_CLOSES_P = frozenset([
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl",
    "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol",
    "p", "search", "section", "summary", "ul", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
    "listing", "li", "dd", "dt", "table", "hr",
])
"""Start tags that close an open ``<p>`` (WHATWG HTML §13.2.6.4.7, "in body": the "close a p
element" start tags, ``li``/``dd``/``dt``, and ``table`` in no-quirks mode)."""

_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])

_PLAIN = frozenset([
    # ordinary elements ("any other start tag") and the formatting ones
    "span", "abbr", "cite", "q", "sub", "sup", "mark", "time", "data", "dfn", "kbd", "samp",
    "var", "bdi", "bdo", "ins", "del", "label", "legend", "audio", "video", "picture", "a", "b",
    "big", "code", "em", "font", "i", "s", "small", "strike", "strong", "tt", "u",
    # void elements the serializer writes without content
    "img", "br", "wbr",
    # tables, under the parent the table modes require
    "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "td", "th",
]) | _CLOSES_P
"""HTML elements whose placement :func:`reparses_to_itself` knows; any other (``form``,
``select``, ``button``, ``textarea``, ``template``, ``noscript``, raw-text elements, ruby, SVG
and MathML...) makes it answer no."""

_PARENTS = {
    "li": ("ul", "ol"), "dd": ("dl",), "dt": ("dl",), "caption": ("table",),
    "colgroup": ("table",), "thead": ("table",), "tbody": ("table",), "tfoot": ("table",),
    "col": ("colgroup",), "tr": ("thead", "tbody", "tfoot"), "td": ("tr",), "th": ("tr",),
}
"""The parent an element must have to stay where it is: a list item outside a list closes an
open one (§13.2.6.4.7), table parts outside their part are ignored or get one made (§13.2.6.4.9
to .15)."""

_TABLE_CHILDREN = {
    "table": ("caption", "colgroup", "thead", "tbody", "tfoot"),
    "colgroup": ("col",), "thead": ("tr",), "tbody": ("tr",), "tfoot": ("tr",),
    "tr": ("td", "th"),
}
"""What a table part may hold: anything else, and text other than whitespace, is foster-parented
out of the table (§13.2.6.1, "in table")."""

_CUSTOM_ELEMENT = re.compile(r"[a-z][a-z0-9_.]*-[a-z0-9_.-]*\Z")
"""A custom element name as the parser writes it (lowercase, with a hyphen): ``amp-img``. The
parser treats any such tag as an ordinary element ("any other start tag")."""

_ATTRIBUTE_NAME = re.compile(r"[a-z_][a-z0-9_.:-]*\Z")
_WHITESPACE = " \t\n\f"


def reparses_to_itself(root: etree._Element, html: str) -> bool:
    """Whether :func:`parse_fragment` of ``html``, the serialization of ``root``'s content
    (:func:`serialize_children`, trimmed), certainly gives a tree that serializes to ``html``
    again, without parsing it. ``False`` means "not known" (the caller parses to see).

    ``True`` only for trees of elements whose place the HTML tree builder keeps as it is when
    each element's end tag follows its content (WHATWG HTML §13.2.6.4.7, "in body", and the
    table modes): plain HTML and custom elements of :data:`_PLAIN`'s kinds with lowercase
    attribute names; no element that closes a ``<p>`` inside one (a ``<div>``, a heading or a
    list in a paragraph), no link in a link, no heading directly in a heading, list items,
    definitions and table parts under the parent they need and tables holding only their parts
    and whitespace; void elements empty; no comment; no carriage return or form feed (the input
    stream turns them into other characters); and nothing :func:`parse_fragment`'s own bounds
    would change (:data:`MAX_ELEMENTS`, :data:`MAX_ATTRIBUTES_PER_ELEMENT`,
    :data:`MAX_ELEMENT_DEPTH`). The error recovery the parser applies to anything else (the
    adoption agency, foster parenting, implied end tags) is what the re-parse is for.
    """
    if "\r" in html or "\f" in html or "<!--" in html:  # text's "<" is written "&lt;"
        return False
    if next(root.iter(etree.ProcessingInstruction, etree.Entity), None) is not None:
        return False  # not serialized: the parse would not have them
    count = 0
    in_p = in_a = 0
    stack: list[str] = ["div"]  # the fragment's context element
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if el is root:
            continue
        tag = el.tag
        if event == "end":
            stack.pop()
            if tag == "p":
                in_p -= 1
            elif tag == "a":
                in_a -= 1
            continue
        if not isinstance(tag, str) or not (tag in _PLAIN or _CUSTOM_ELEMENT.match(tag)):
            return False
        count += 1
        parent = stack[-1]
        if (count > MAX_ELEMENTS or len(stack) > MAX_ELEMENT_DEPTH
                or (in_p and tag in _CLOSES_P) or (in_a and tag == "a")
                or (tag in _HEADINGS and parent in _HEADINGS)
                or (tag in _PARENTS and parent not in _PARENTS[tag])
                or (parent in _TABLE_CHILDREN and (tag not in _TABLE_CHILDREN[parent]
                                                   or (el.tail or "").strip(_WHITESPACE)))
                or (tag in _TABLE_CHILDREN and (el.text or "").strip(_WHITESPACE))
                or (tag in VOID_ELEMENTS and (len(el) or el.text))):
            return False
        attrib = el.attrib
        if len(attrib) > MAX_ATTRIBUTES_PER_ELEMENT or not all(
                _ATTRIBUTE_NAME.match(name) for name in attrib):
            return False
        stack.append(tag)
        if tag == "p":
            in_p += 1
        elif tag == "a":
            in_a += 1
    return True


def parse_again(root: etree._Element, html: str) -> tuple[etree._Element, bool]:
    """``parse_fragment(html)``, for ``html`` the trimmed serialization of ``root``'s content;
    when :func:`reparses_to_itself` is sure of the result, ``root`` itself made into that tree
    (the whitespace around the fragment trimmed as in ``html``, empty texts ``None``, as the
    parser leaves them) instead of a parse.

    Returns:
        ``(tree, kept)``: ``kept`` is true when ``tree`` is ``root`` and nothing in it had to
        change.

    Raises:
        ConversionError: as :func:`parse_fragment`.
    """
    if not reparses_to_itself(root, html):
        return parse_fragment(html), False
    kept = True
    for el in root.iter():
        if el.text == "":
            el.text, kept = None, False
        if el.tail == "":
            el.tail, kept = None, False
    space = " \t\n\r\f"
    last = root[-1] if len(root) else None
    text = (root.text or "").lstrip(space)
    if last is None:
        text = text.rstrip(space)
    elif last.tail and last.tail != last.tail.rstrip(space):
        last.tail, kept = last.tail.rstrip(space) or None, False
    if (root.text or "") != text:
        root.text, kept = text or None, False
    root.tail = None
    return root, kept


def serialize_element(el: etree._Element) -> str:
    """Serialize ``el`` itself (without its tail) as HTML, as :func:`serialize_children` writes
    it among its siblings."""
    out: list[str] = []
    _serialize(el, out)
    return "".join(out)


def parse_document(html: str, *, keep_names: bool = False) -> etree._Element:
    """Parse a whole HTML document (a page this package rendered) into its ``<html>`` element,
    with plain tag names for HTML elements as :func:`parse_fragment` gives them.

    Unlike :func:`parse_fragment` this is not meant for untrusted bodies: it has no element
    bounds, and is used on pages that already passed the publish gate. Attribute names XML
    cannot hold (``⚡``) come out as ``___``, unless ``keep_names`` (libxml2 holds them; lxml
    refuses to set such names later, which a page only edited by name never needs).
    """
    from html5_parser import parse

    root = parse(html, namespace_elements=True, keep_doctype=False,
                 sanitize_names=not keep_names)
    prefix = "{" + _XHTML_NS + "}"
    for el in list(root.iter(prefix + "*")):
        el.tag = el.tag[len(prefix):]
    etree.cleanup_namespaces(root)
    return root


def serialize_document(root: etree._Element, doctype: str = "<!doctype html>", *,
                       bare_empty: bool = False) -> str:
    """Serialize an ``<html>`` element as a whole document: ``doctype`` (none when empty), the
    comments before the element, the element and its content (WHATWG HTML §13.3, as
    :func:`serialize_children`), then a newline.

    With ``bare_empty``, attributes with an empty value are written as bare names (``<html ⚡
    i-amphtml-layout>``), which the HTML parser reads back as the same empty value (WHATWG
    HTML §13.1.2.3).
    """
    out: list[str] = [doctype, "\n"] if doctype else []
    for node in reversed(list(root.itersiblings(preceding=True))):
        if node.tag is etree.Comment:
            out.append(f"<!--{node.text or ''}-->\n")
    _serialize(root, out, bare_empty)
    out.append("\n")
    return "".join(out)
