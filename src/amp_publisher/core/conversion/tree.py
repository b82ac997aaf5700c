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
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

__all__ = [
    "VOID_ELEMENTS",
    "MAX_ELEMENT_DEPTH",
    "MAX_ATTRIBUTES_PER_ELEMENT",
    "ParseNotes",
    "NON_RENDERED_ELEMENTS",
    "parse_fragment",
    "serialize_children",
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

MAX_ELEMENT_DEPTH = 256
"""Deepest element nesting a converted body keeps (elements below the fragment root). Deeper
content is flattened into the text of the element at this depth (reported, text kept): real
articles nest a few dozen levels at most, while a hostile body nests thousands to exhaust
recursion in every later consumer (serializers, validators, browsers' layout). 256 is libxml2's
default parser depth limit (``xmlParserMaxDepth``); browsers' parsers cap nesting too (Blink
stops nesting at 512 levels)."""

MAX_ATTRIBUTES_PER_ELEMENT = 256
"""Attributes an element keeps; later ones are dropped (reported). The AMP validator rules and
every real CMS stay far below it (the widest tags in the corpus carry about 15), and html5lib's
tokenizer checks each new attribute against all earlier ones, so 20,000 attributes on one tag
cost ~20 s of parsing without a cap."""

_PARSER: Any = None
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass
class ParseNotes:
    """What :func:`parse_fragment` changed beyond what the HTML parser itself does (for the
    conversion report).

    Attributes:
        removed_characters: control characters, U+FFFE/U+FFFF and lone surrogates dropped.
        dropped_attributes: ``(tag, count)`` for elements that had more than
            :data:`MAX_ATTRIBUTES_PER_ELEMENT` attributes.
        flattened: ``(tag, text)`` for each element at :data:`MAX_ELEMENT_DEPTH` whose deeper
            markup was replaced by its text.
        skipped_start_tags: start tags the parser ignored because they would have opened an
            element deeper than :data:`MAX_ELEMENT_DEPTH` (their text is kept).
    """

    removed_characters: int = 0
    dropped_attributes: list[tuple[str, int]] = field(default_factory=list)
    flattened: list[tuple[str, str]] = field(default_factory=list)
    skipped_start_tags: int = 0


class _TextBuffer:
    """Text the tree builder appends, joined once per text node.

    html5lib's lxml builder appends every character token to ``element.text`` / ``.tail``;
    each append copies the whole node text out of and back into libxml2, so a paragraph of N
    character references costs O(N²) (540 KB of ``&amp;`` took 18 s). Buffering the parts per
    target node and writing them once makes it linear. Any other tree operation flushes first,
    so the builder never sees stale text."""

    __slots__ = ("node", "attr", "parts")

    def __init__(self) -> None:
        self.node: Any = None
        self.attr = "text"
        self.parts: list[str] = []

    def add(self, node: Any, attr: str, data: str) -> None:
        if node is not self.node or attr != self.attr:
            self.flush()
            self.node, self.attr = node, attr
        self.parts.append(data)

    def flush(self) -> None:
        if self.parts:
            joined = "".join(self.parts)
            setattr(self.node, self.attr, (getattr(self.node, self.attr) or "") + joined)
        self.node, self.parts = None, []


def _parser() -> Any:
    global _PARSER
    if _PARSER is None:
        _PARSER = _build_parser()
    return _PARSER


def _build_parser() -> Any:
    """html5lib's parser with three linear-time fixes (see :class:`_TextBuffer` and
    :data:`MAX_ATTRIBUTES_PER_ELEMENT`): subclasses, because html5lib has no hooks for them."""
    import html5lib  # deferred: ~25 ms of imports, only needed when a body is converted
    from html5lib import _tokenizer, html5parser
    from html5lib.treebuilders import etree_lxml

    class Tokenizer(_tokenizer.HTMLTokenizer):
        def __iter__(self) -> Any:
            # Start tags beyond the depth limit are dropped (their text stays, as the text of
            # the deepest element): html5lib walks the whole stack of open elements for every
            # tag ("has an element in scope"), so 16,000 nested <div>s cost O(n²), ~7 s.
            start_tag = _tokenizer.tokenTypes["StartTag"]
            for token in super().__iter__():
                if (token["type"] == start_tag
                        and len(self.parser.tree.openElements) > MAX_ELEMENT_DEPTH):
                    self.notes.skipped_start_tags += 1
                    continue
                yield token

        def attributeNameState(self) -> bool:  # noqa: N802 - html5lib's name
            attrs = self.currentToken["data"]
            if len(attrs) > MAX_ATTRIBUTES_PER_ELEMENT + 1:
                # keep the first attributes and the one being read; html5lib compares each new
                # name with every earlier one, so an unbounded list is O(n²)
                self.dropped += len(attrs) - MAX_ATTRIBUTES_PER_ELEMENT - 1
                del attrs[MAX_ATTRIBUTES_PER_ELEMENT:-1]
            return super().attributeNameState()

        def emitCurrentToken(self) -> None:  # noqa: N802 - html5lib's name
            token = self.currentToken
            if token["type"] == _tokenizer.tokenTypes["StartTag"]:
                extra = len(token["data"]) - MAX_ATTRIBUTES_PER_ELEMENT
                if extra > 0:
                    del token["data"][MAX_ATTRIBUTES_PER_ELEMENT:]
                if extra > 0 or self.dropped:
                    self.notes.dropped_attributes.append(
                        (token["name"].lower(), max(extra, 0) + self.dropped))
                self.dropped = 0
            super().emitCurrentToken()

    class Parser(html5lib.HTMLParser):
        notes = ParseNotes()

        def _parse(self, stream, innerHTML=False, container="div", scripting=False,  # noqa: N803
                   **kwargs):
            # html5lib's own _parse, with our tokenizer
            self.innerHTMLMode = innerHTML
            self.container = container
            self.scripting = scripting
            self.tokenizer = Tokenizer(stream, parser=self, **kwargs)
            self.tokenizer.dropped = 0
            self.tokenizer.notes = self.notes
            self.reset()
            try:
                self.mainLoop()
            except html5parser._ReparseException:
                self.reset()
                self.mainLoop()

    class TreeBuilder(etree_lxml.TreeBuilder):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            buffer = self.text_buffer = _TextBuffer()
            infoset = self.infosetFilter
            base = self.elementClass

            def flushing(name: str) -> Any:
                method = getattr(base, name)

                def call(self: Any, *a: Any, **k: Any) -> Any:
                    buffer.flush()
                    return method(self, *a, **k)
                return call

            class Element(base):  # type: ignore[misc, valid-type]
                appendChild = flushing("appendChild")  # noqa: N815 - html5lib's names
                insertBefore = flushing("insertBefore")  # noqa: N815
                removeChild = flushing("removeChild")  # noqa: N815
                reparentChildren = flushing("reparentChildren")  # noqa: N815
                hasContent = flushing("hasContent")  # noqa: N815
                cloneNode = flushing("cloneNode")  # noqa: N815

                def insertText(self, data: str, insertBefore: Any = None) -> None:  # noqa: N802,N803
                    if insertBefore is not None:
                        buffer.flush()
                        base.insertText(self, data, insertBefore)
                        return
                    data = infoset.coerceCharacters(data)  # as html5lib's own insertText
                    el = self._element
                    try:
                        buffer.add(el[-1], "tail", data)
                    except IndexError:
                        buffer.add(el, "text", data)

            self.elementClass = Element

        def getFragment(self) -> Any:  # noqa: N802 - html5lib's name
            self.text_buffer.flush()
            return super().getFragment()

        def getDocument(self) -> Any:  # noqa: N802 - html5lib's name
            self.text_buffer.flush()
            return super().getDocument()

    return Parser(tree=TreeBuilder, namespaceHTMLElements=False)


def parse_fragment(html: str, notes: ParseNotes | None = None) -> etree._Element:
    """Parse body HTML into a detached ``<div>`` container element.

    Args:
        html: any HTML text: a fragment, a full document, or garbage.
        notes: filled with what was changed on the way (dropped characters and attributes,
            flattened deep nesting), for the caller to report; ``None`` to ignore.

    Returns:
        A ``div`` element whose ``.text`` and children are the parsed fragment (the container
        itself is never serialized). Comments appear as ``etree._Comment`` children. No element
        is deeper than :data:`MAX_ELEMENT_DEPTH` and none has more than
        :data:`MAX_ATTRIBUTES_PER_ELEMENT` attributes.
    """
    notes = notes if notes is not None else ParseNotes()
    root = etree.Element("div")
    # lxml (libxml2) cannot hold C0 control characters, U+FFFE/U+FFFF or lone surrogates; HTML
    # renders none of them, so they are dropped (form feed is HTML whitespace: a space).
    html, removed = _NOT_XML_CHARS.subn("", html.replace("\x0c", " "))
    notes.removed_characters += removed
    parser = _parser()
    parser.notes = notes
    with warnings.catch_warnings():
        # html5lib warns when it renames names XML cannot hold (Word's ``o:p``, ``xmlns:v``);
        # the renamed elements are unknown tags that the generic pass unwraps and reports anyway.
        warnings.simplefilter("ignore")
        try:
            nodes = parser.parseFragment(html, container="div")
        finally:
            parser.notes = ParseNotes()
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
    _flatten_deep(root, notes)
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


def _start_tag(node: etree._Element, out: list[str]) -> str:
    tag = node.tag
    name = etree.QName(tag).localname if tag[0] == "{" else tag
    out.append("<" + name)
    for attr, value in node.attrib.items():
        out.append(f' {_attr_name(attr)}="{_escape_attr(value)}"')
    out.append(">")
    return name


def _serialize(top: etree._Element, out: list[str]) -> None:
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
        name = _start_tag(node, out)
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
