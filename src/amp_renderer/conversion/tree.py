"""Parsing body HTML into a tree, editing it, and serializing it back (deterministically).

**Parser: html5lib into an lxml tree.** html5lib implements the WHATWG parsing algorithm, so the
tree we convert is the tree a browser (and the AMP validator's parser) builds from the same bytes:
misnested ``<p><div>``, stray ``</p>``, ``<table>`` foster-parenting, ``<noscript>`` and SVG
foreign content all come out as in a browser. libxml2's HTML parser (``lxml.html``) is ten times
faster but follows HTML 4 rules and builds different trees for exactly the messy markup this
package exists for, and a sanitizer that reasons about a different tree than the browser renders is
the classic sanitizer bug. html5lib costs about 0.7 ms for the reference article's 9 KB body and
20 ms for an 87 KB page, which is within budget.

The input is always parsed as a fragment in a ``<div>`` context (WHATWG "parsing HTML fragments"),
so full documents pasted into a body lose their ``<html>``/``<head>``/``<body>`` wrappers and keep
every other element in document order, where the later steps see (and report) it.

**Serializer: hand-written, ~40 lines, following the WHATWG "serializing HTML fragments"
algorithm.** lxml's own HTML serializer prefixes SVG elements with an XML namespace (``ns0:svg``),
percent-escapes URL attributes (changing the URLs a reader clicks) and is not a spec serializer;
html5lib's serializer walks the tree through a generic token stream at several times the cost.
Output is a pure function of the tree: attributes in source order, one escaping rule, so the same
input always gives the same bytes.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

from lxml import etree

__all__ = [
    "VOID_ELEMENTS",
    "NON_RENDERED_ELEMENTS",
    "parse_fragment",
    "serialize_children",
    "tag_of",
    "is_element",
    "visible_text",
    "iter_elements",
    "detach",
    "unwrap",
    "replace",
    "new_element",
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

_XLINK_NS = "http://www.w3.org/1999/xlink"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_ATTR_NS_PREFIX = {_XLINK_NS: "xlink", _XML_NS: "xml", "http://www.w3.org/2000/xmlns/": "xmlns"}

_PARSER: Any = None
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _parser() -> Any:
    global _PARSER
    if _PARSER is None:
        import html5lib  # deferred: ~25 ms of imports, only needed when a body is converted

        _PARSER = html5lib.HTMLParser(
            tree=html5lib.getTreeBuilder("lxml"), namespaceHTMLElements=False
        )
    return _PARSER


def parse_fragment(html: str) -> etree._Element:
    """Parse body HTML into a detached ``<div>`` container element.

    Args:
        html: any HTML text: a fragment, a full document, or garbage.

    Returns:
        A ``div`` element whose ``.text`` and children are the parsed fragment (the container
        itself is never serialized). Comments appear as ``etree._Comment`` children.
    """
    root = etree.Element("div")
    # lxml (libxml2) cannot hold C0 control characters, U+FFFE/U+FFFF or lone surrogates; HTML
    # renders none of them, so they are dropped (form feed is HTML whitespace: a space).
    html = _NOT_XML_CHARS.sub("", html.replace("\x0c", " "))
    with warnings.catch_warnings():
        # html5lib warns when it renames names XML cannot hold (Word's ``o:p``, ``xmlns:v``);
        # the renamed elements are unknown tags that the generic pass unwraps and reports anyway.
        warnings.simplefilter("ignore")
        nodes = _parser().parseFragment(html, container="div")
    last: etree._Element | None = None
    for node in nodes:
        if isinstance(node, str):
            # html5lib's lxml builder returns a leading text node as a plain string
            if last is None:
                root.text = (root.text or "") + node
            else:
                last.tail = (last.tail or "") + node
            continue
        root.append(node)
        last = node
    # html5lib 1.1 does not drop the newline right after <pre>/<listing>/<textarea> inside a
    # table cell or caption ("in cell"/"in caption" insertion modes), as the spec and browsers
    # do; drop it here so the tree is the browser's and serializing it is stable.
    for el in root.iter("pre", "listing", "textarea"):
        if el.text and el.text[0] == "\n" and any(
                a.tag in ("td", "th", "caption") for a in el.iterancestors()):
            el.text = el.text[1:]
    # html5lib 1.1 also reconstructs open formatting elements (<b>) *inside* a <textarea> or
    # <title>, whose content browsers read as plain text; flatten such children back to text.
    for el in root.iter("textarea", "title"):
        if len(el):
            el.text = "".join(el.itertext())
            for child in list(el):
                el.remove(child)
    return root


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
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if not isinstance(node.tag, str) or tag_of(node) in NON_RENDERED_ELEMENTS:
            return
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return " ".join("".join(parts).split())


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


def _serialize(node: etree._Element, out: list[str]) -> None:
    tag = node.tag
    if not isinstance(tag, str):
        if tag is etree.Comment:
            out.append(f"<!--{node.text or ''}-->")
        return
    name = etree.QName(tag).localname if tag[0] == "{" else tag
    out.append("<" + name)
    for attr, value in node.attrib.items():
        out.append(f' {_attr_name(attr)}="{_escape_attr(value)}"')
    out.append(">")
    lname = name.lower()
    if lname in VOID_ELEMENTS and tag[0] != "{":
        return
    if node.text:
        if lname in _RAW_TEXT_ELEMENTS:
            out.append(node.text)
        else:
            if lname in ("pre", "textarea", "listing") and node.text.startswith("\n"):
                out.append("\n")  # the parser drops one leading newline; keep the real one
            out.append(_escape_text(node.text))
    for child in node:
        _serialize(child, out)
        if child.tail:
            out.append(_escape_text(child.tail))
    out.append(f"</{name}>")


def serialize_children(root: etree._Element) -> str:
    """Serialize the content of ``root`` (not ``root`` itself) as HTML (WHATWG HTML §13.3).

    Foreign (SVG/MathML) elements are written with their local names and an explicit end tag,
    which the HTML parser reads back to the same tree.
    """
    out: list[str] = []
    if root.text:
        out.append(_escape_text(root.text))
    for child in root:
        _serialize(child, out)
        if child.tail:
            out.append(_escape_text(child.tail))
    return "".join(out)
