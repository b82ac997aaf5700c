"""The fast token stream: the same tokens :func:`~amp_publisher.core.amp.validator.tree._tokens`
gives (start tags with every attribute, end tags, text, the doctype), from html5-parser's
compiled HTML5 parse instead of html5lib's pure-Python tokenizer, without positions.

A tree is not a token stream: the official validator (and our engine) reads the tokens as they
stand in the source, while an HTML5 tree builder repairs them (implied ``html``/``head``/``body``,
``tbody``; misnested formatting tags cloned; table content moved out of the table; text before
``<body>`` moved into it; a second ``<html>``/``<body>`` merged into the first; duplicate
attributes dropped; attributes of end tags dropped). So the tree is only trusted where the
source shows that it changed nothing the engine reads. :func:`compiled_tokens` checks, against
the source text:

* every ``<`` + letter in the source opens a tag matched by one scan (``_TAG``) that reads
  quoted attribute values (none hides in a value, in text or in an unterminated construct);
* the start tags are, in order and one to one, the tree's elements (same name, the same
  attribute names in the same order: no duplicate was dropped, nothing was merged, cloned,
  implied or moved);
* no end tag carries attributes, no bogus comment or second doctype hides anything
  (``</3``, ``<!x>``, ``<?x>``), the document starts with ``<!doctype html>``;
* no element whose content the token stream reads as text (``title``, ``textarea``, ``style``,
  ``script``…) opens inside ``svg`` or ``math``, where a tree builder parses markup in it;
* each stretch of source between two tags holds non-whitespace text exactly when the tree puts
  non-whitespace text between the same two tags (text was not moved across a tag).

End tags are taken from the source, in source order, so the engine's own tree construction
(the simplified one the official validator's parser makes) sees what the slow path sees; the
tree supplies the decoded attribute values and text. When any check fails, :class:`Unsure` is
raised and the caller uses the positioned path.
"""

from __future__ import annotations

import re

from amp_publisher.core.amp.validator.tree import _RAWTEXT, _RCDATA, _VOID, HTML_WHITESPACE

__all__ = ["Unsure", "compiled_tokens"]


class Unsure(Exception):
    """The compiled parse may differ from the source's token stream here: use the slow path."""


#: ``<`` then an ASCII letter: where the HTML tokenizer opens a tag in the data state.
_TAG_OPEN = re.compile(r"</?[A-Za-z]")
#: A whole tag: an end tag (name, then anything to ``>``), or a start tag (name, then its
#: attributes, double- or single-quoted values read as a whole, to the ``>``). Tag names end at
#: HTML whitespace, ``/`` or ``>`` (HTML "tag name state").
_TAG = re.compile(
    r"<(?:/([A-Za-z][^\t\n\f\r />]*)([^>]*)>"
    r"|([A-Za-z][^\t\n\f\r />]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>)"
)
#: One attribute in a start tag's attribute text: its name, then optionally ``=`` and a value
#: (HTML "attribute name state" and the three value states).
_ATTR = re.compile(
    r"([^\t\n\f\r />\"'=][^\t\n\f\r />=]*)"
    r"(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:\"[^\"]*\"|'[^']*'|[^\t\n\f\r >]*))?"
)
_DOCTYPE = re.compile(r"[\t\n\f\r ]*<!doctype html>", re.IGNORECASE)
_COMMENT = re.compile(r"<!--(?!-?>).*?-->", re.DOTALL)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: Namespaced attribute names as lxml holds them in foreign content -> as the source spells them.
_NS_ATTR = {"{http://www.w3.org/1999/xlink}": "xlink:", "{http://www.w3.org/XML/1998/namespace}":
            "xml:"}
_FOREIGN = frozenset(("svg", "math"))
#: Elements whose content the positioned tokenizer reads as text whatever their namespace, while
#: an HTML5 tree builder parses markup inside them in SVG and MathML (``<svg><title>`` is an
#: HTML integration point): inside foreign content the tree and the token stream part ways.
_TEXT_CONTENT = _RAWTEXT | _RCDATA | {"script", "plaintext"}
_NO_POS = (1, 0)
#: The deepest source nesting the fast path parses (the reference page nests 8 deep).
MAX_DEPTH = 512


def _gap_has_text(gap: str) -> bool:
    """Whether a stretch of source between two tags holds non-whitespace text (comments left
    out). Raises :class:`Unsure` on a construct the tag scan does not follow (a bogus comment,
    ``</`` + non-letter, a doctype, a processing instruction)."""
    if "<!" in gap or "<?" in gap or "</" in gap:
        gap = _COMMENT.sub("", gap)
        if "<!" in gap or "<?" in gap or "</" in gap:
            raise Unsure("bogus comment or doctype between tags")
    return bool(gap.strip(HTML_WHITESPACE))


def _lower(name: str) -> str:
    """ASCII lower case, as HTML lower-cases tag and attribute names (``str.lower`` on ASCII
    names, which is far cheaper than ``translate``)."""
    return name.lower() if name.isascii() else name.translate(_ASCII_LOWER)


def _tree_attr_name(name: str) -> str:
    if name[0] == "{":
        for ns, prefix in _NS_ATTR.items():
            if name.startswith(ns):
                return prefix + name[len(ns):]
    return name


def compiled_tokens(html: str) -> list[dict]:
    """The document's tokens in the format of the positioned tokenizer (html5lib token dicts:
    ``type`` 0 doctype, 1 text, 3 start tag with ``raw_attrs`` and ``selfClosing``, 4 end tag),
    built from html5-parser's tree; every position is ``(1, 0)``.

    Args:
        html: the whole document (a byte order mark already removed).
    Returns:
        The token list, equal to the positioned tokenizer's up to positions and the splitting
        of text.
    Raises:
        Unsure: where the tree may not show the source's tokens (see the module docstring).
    """
    import html5_parser

    doctype = _DOCTYPE.match(html)
    if doctype is None:
        raise Unsure("no <!doctype html> first")
    # One C call cuts the document into [gap, end name, end tag rest, start name, start tag
    # attributes, gap, ...].
    pieces = _TAG.split(html[doctype.end():])
    n_tags = (len(pieces) - 1) // 5
    if len(_TAG_OPEN.findall(html)) != n_tags:
        raise Unsure("a '<' + letter outside a tag the scan read")
    # Which stretches of source between tags hold text: gap k lies before tag k.
    gaps = [_gap_has_text(g) for g in pieces[0::5]]
    #: (end tag?, name lower-cased, start tag attributes) per source tag.
    tags: list[tuple[bool, str, str]] = []
    # The source's nesting, closing at an end tag as the engine does: html5-parser's time
    # grows faster than linearly with the depth (0.23 s at 10,000 nested <div>, minutes at
    # 100,000), while the positioned path stays linear, so deep documents go there.
    open_names: list[str] = []
    open_count: dict[str, int] = {}
    for end, end_rest, start, blob in zip(pieces[1::5], pieces[2::5], pieces[3::5],
                                          pieces[4::5], strict=True):
        if end is not None:
            if end_rest and end_rest.strip(HTML_WHITESPACE):
                raise Unsure("attributes on an end tag")
            name = _lower(end)
            tags.append((True, name, ""))
            if open_count.get(name):
                while True:
                    closed = open_names.pop()
                    open_count[closed] -= 1
                    if closed == name:
                        break
        else:
            name = _lower(start)
            if name in _TEXT_CONTENT and (open_count.get("svg") or open_count.get("math")):
                raise Unsure(f"<{name}> inside foreign content")
            tags.append((False, name, blob))
            if name not in _VOID:
                open_names.append(name)
                open_count[name] = open_count.get(name, 0) + 1
                if len(open_names) > MAX_DEPTH:
                    raise Unsure("nesting deeper than MAX_DEPTH")

    root = html5_parser.parse(html, keep_doctype=False, sanitize_names=False)
    tokens: list[dict] = [{"type": 0, "name": "html", "start": _NO_POS, "end": _NO_POS}]
    text_in_gap = [False] * len(gaps)
    n_tags = len(tags)
    at = 0  # the next source tag
    implied: set = set()  # tree elements without a start tag in the source (tbody)

    def text(data: str | None) -> None:
        if data:
            tokens.append({"type": 1, "data": data})
            if not text_in_gap[at] and data.strip(HTML_WHITESPACE):
                text_in_gap[at] = True

    def end_tags(name: str | None) -> None:
        """Emit the source's end tags up to the next start tag, or only ``name``'s."""
        nonlocal at
        while at < n_tags:
            is_end, end, _ = tags[at]
            if not is_end or (name is not None and end != name):
                return
            tokens.append({"type": 4, "name": end, "start": _NO_POS, "end": _NO_POS})
            at += 1
            if name is not None:
                return

    def open_element(el, foreign: bool) -> bool:
        """Match ``el``'s start tag with the next source start tag and emit it; returns
        whether its children are foreign content (svg, MathML)."""
        nonlocal at
        end_tags(None)
        if at >= n_tags:
            raise Unsure("an element without a start tag in the source")
        is_end, name, blob = tags[at]
        tag = el.tag
        if is_end or (name != tag and name != _lower(tag)):
            if tag == "tbody":
                # The one element a tree builder adds that the engine needs not see: the
                # token stream (and the official parser) has no tbody where the source has
                # none, so it is left out (its rows are matched with the source as usual).
                implied.add(el)
                text(el.text)
                return foreign
            raise Unsure("tree and source start tags differ")
        names = _ATTR.findall(blob) if blob else ()
        tree_attrs = el.items()
        if len(names) != len(tree_attrs):
            raise Unsure("duplicate or unreadable attributes")
        raw_attrs = []
        for sname, (tname, value) in zip(names, tree_attrs, strict=True):
            if sname != tname:
                sname = _lower(sname)
                tname = _lower(_tree_attr_name(tname))
                if tname != sname and not (sname.startswith("xmlns:")
                                           and tname == "xmlns_" + sname[6:]):
                    raise Unsure("attribute names differ")
            raw_attrs.append((sname, value))
        self_closing = False
        if blob.endswith("/"):
            # "/" right before ">" (HTML "self-closing start tag state") unless an unquoted
            # value ends with it; a "/" elsewhere between attributes is skipped, by the
            # tokenizer as by the attribute scan.
            ends = [a.end() for a in _ATTR.finditer(blob)]
            rest = blob[ends[-1]:] if ends else blob
            self_closing = rest.strip(HTML_WHITESPACE) == "/"
        tokens.append({"type": 3, "name": name, "data": raw_attrs, "raw_attrs": raw_attrs,
                       "selfClosing": self_closing, "start": _NO_POS, "end": _NO_POS})
        at += 1
        text(el.text)
        return foreign or name in _FOREIGN

    def close_element(el, foreign: bool) -> None:
        name = el.tag if el.tag.islower() else _lower(el.tag)
        if el in implied:
            pass
        elif foreign or name not in _VOID:
            end_tags(name)
        text(el.tail)

    # An explicit stack instead of recursion: documents nest thousands deep.
    stack = [(root, open_element(root, False), iter(root))]
    while stack:
        el, foreign, children = stack[-1]
        for child in children:
            if not isinstance(child.tag, str):  # a comment: the engine skips them
                text(child.tail)
                continue
            stack.append((child, open_element(child, foreign), iter(child)))
            break
        else:
            stack.pop()
            close_element(el, foreign)
    end_tags(None)
    if at != n_tags:
        raise Unsure("source tags the tree does not hold")
    if text_in_gap != gaps:
        raise Unsure("text moved across a tag")
    return tokens
