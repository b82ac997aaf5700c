"""The document tree and positions: html5lib's tokenizer with (line, column) of every tag, and
the stack of open elements an HTML5 tree builder would keep (implied ``head``/``body``, implied
end tags), which is all the AMP rules look at: parents, ancestors, children, text.

Parsing: html5lib's tokenizer (a maintained, spec-conformant HTML5 tokenizer). lxml would be
faster, but libxml2 reports only line numbers, and the official validator's errors carry a
column too; html5lib's input stream knows both. Text inside ``style``/``script``/``title``/
``textarea`` is switched to the raw-text states as an HTML5 tree builder would.

The official engine's counterparts: ``TagStack`` and the parser callbacks (``startTag``,
``endTag``, ``pcdata``, ``markManufacturedBody``) of validator.js.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from amp_publisher.core.amp import rules as _rules
from amp_publisher.core.amp.validator.result import ValidationResult

__all__ = ["DocumentTree", "HTML_WHITESPACE"]


# ---------------------------------------------------------------------------------------------
# Tokenizer with positions
# ---------------------------------------------------------------------------------------------

_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "keygen",
    ]
)
_RAWTEXT = frozenset(("style", "xmp", "iframe", "noembed", "noframes"))
_RCDATA = frozenset(("title", "textarea"))
#: Tags the HTML tree builder keeps in <head>; anything else (or text) there implies <body>.
_HEAD_CONTENT = frozenset(
    [
        "base",
        "basefont",
        "bgsound",
        "link",
        "meta",
        "title",
        "noscript",
        "noframes",
        "style",
        "script",
        "template",
    ]
)
#: Start tags that close an open <p> (HTML "in body" insertion mode).
_CLOSES_P = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "ul",
    ]
)
_IMPLIED_END = {
    "li": ("li",),
    "dt": ("dt", "dd"),
    "dd": ("dt", "dd"),
    "option": ("option",),
    "tr": ("tr", "td", "th"),
    "td": ("td", "th"),
    "th": ("td", "th"),
}


class _AttrList(list):
    """A start tag's attribute list on which html5lib's duplicate-attribute check is free.

    html5lib compares each new attribute name with every earlier one (``data[:-1]`` in
    ``attributeNameState``), which is quadratic: 20,000 attributes on one tag took 7 s. That
    check only queues a parse error nobody reads here (the validator reports
    ``DUPLICATE_ATTRIBUTE`` itself from ``raw_attrs``), so the slice it walks is empty.
    """

    __slots__ = ()

    def __getitem__(self, index):
        if isinstance(index, slice) and index == slice(None, -1, None):
            return []
        return super().__getitem__(index)


@cache
def _tokenizer_class():
    """An html5lib tokenizer subclass that records where each tag starts and ends.

    html5lib keeps ``_tokenizer`` private but stable (it has not changed since 1.0); its input
    stream's ``position()`` is the only place a maintained Python HTML5 parser exposes columns.
    ``position()`` counts the newlines from the start of its 10 KB chunk on every call, which
    made position tracking the largest single cost of validating a page: :meth:`_where` gives
    the same (line, column) counting only from the previous call. The stream's scan for invalid
    code points is switched off: it only feeds html5lib parse errors, which the walk ignores.
    """
    from html5lib._tokenizer import HTMLTokenizer

    class _PositionTokenizer(HTMLTokenizer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.stream.reportCharacterErrors = None
            self._pos_chunk = None
            self._pos_offset = 0
            self._pos_lines = 0
            self._pos_line_start = -1

        def _where(self) -> tuple[int, int]:
            """``self.stream.position()``, incrementally (the same (line, column))."""
            stream = self.stream
            chunk, offset = stream.chunk, stream.chunkOffset
            if chunk is not self._pos_chunk or offset < self._pos_offset:
                self._pos_chunk, self._pos_offset = chunk, 0
                self._pos_lines, self._pos_line_start = 0, -1
            start = self._pos_offset
            newlines = chunk.count("\n", start, offset)
            if newlines:
                self._pos_lines += newlines
                self._pos_line_start = chunk.rfind("\n", start, offset)
            self._pos_offset = offset
            line = stream.prevNumLines + self._pos_lines + 1
            if self._pos_line_start == -1:
                return line, stream.prevNumCols + offset
            return line, offset - self._pos_line_start - 1

        def tagOpenState(self):  # noqa: N802 (html5lib's naming)
            line, col = self._where()
            self._tag_start = (line, col - 1)
            result = super().tagOpenState()
            token = getattr(self, "currentToken", None)
            if token and token["type"] == 3 and type(token["data"]) is list and not token["data"]:
                token["data"] = _AttrList()  # a start tag was just opened
            return result

        def emitCurrentToken(self):  # noqa: N802
            token = self.currentToken
            if token["type"] == 3:  # StartTag: keep every attribute, duplicates included
                token["raw_attrs"] = list(token["data"])
            token["start"] = getattr(self, "_tag_start", (1, 0))
            token["end"] = self._where()
            super().emitCurrentToken()

    return _PositionTokenizer


def _tokens(html: str):
    """Yield html5lib token dicts with ``start``/``end`` positions; switches raw-text states."""
    tokenizer = _tokenizer_class()(html)
    for token in tokenizer:
        if token["type"] in (0, 6) and "start" not in token:  # doctype, comment
            token["start"] = getattr(tokenizer, "_tag_start", (1, 0))
            token["end"] = tokenizer._where()
        yield token
        if token["type"] == 3:
            name = token["name"]
            if name in _RAWTEXT:
                tokenizer.state = tokenizer.rawtextState
            elif name == "script":
                tokenizer.state = tokenizer.scriptDataState
            elif name in _RCDATA:
                tokenizer.state = tokenizer.rcdataState
            elif name == "plaintext":
                tokenizer.state = tokenizer.plaintextState


def _advance(pos: tuple[int, int], text: str) -> tuple[int, int]:
    """The position after ``text`` starting at ``pos``."""
    n = text.count("\n")
    if n:
        return pos[0] + n, len(text) - text.rfind("\n") - 1
    return pos[0], pos[1] + len(text)


#: ASCII whitespace as HTML defines it (tab, LF, FF, CR, space); Python's str.strip() would
#: also strip U+3000, U+00A0 and the other Unicode spaces, which HTML treats as text.
HTML_WHITESPACE = " \t\n\f\r"


class _Element:
    """An open element: its tag name, position, chosen tag spec, children and text."""

    __slots__ = ("name", "start", "spec", "children", "text", "text_start", "attrs", "svg",
                 "style_bytes", "last_child_rule", "ref_point", "child_refs")

    def __init__(self, name: str, start: tuple[int, int], *, attrs: dict[str, str] | None = None,
                 svg: bool = False) -> None:
        self.name = name
        self.start = start
        self.spec: _rules.TagSpec | None = None
        self.children: list[str] = []
        self.text: list[str] = []
        self.text_start: tuple[int, int] | None = None
        self.attrs = attrs if attrs is not None else {}
        self.svg = svg
        self.style_bytes = 0
        self.last_child_rule: tuple[_rules.TagSpec, tuple[int, int]] | None = None
        #: The ``$REFERENCE_POINT`` tag spec this element matched as a child of its parent.
        self.ref_point: _rules.TagSpec | None = None
        #: :meth:`child_reference_points`, once its spec and reference point are known.
        self.child_refs: tuple[str, ...] | None = None

    def child_reference_points(self) -> tuple[str, ...]:
        """Reference point spec names its children are matched against (from its own tag spec
        and from the reference point it matched itself, which may nest)."""
        names = self.child_refs
        if names is None:
            names = ()
            for spec in (self.spec, self.ref_point):
                if spec is not None:
                    names += _reference_point_names(spec)
            self.child_refs = names
        return names


# Keyed by id(); each entry keeps its spec alive, so an id cannot be reused by another spec.
_REFERENCE_POINT_NAMES: dict[int, tuple[_rules.TagSpec, tuple[str, ...]]] = {}


def _reference_point_names(spec: _rules.TagSpec) -> tuple[str, ...]:
    """The spec names of a tag spec's ``reference_points``, read from the rules once."""
    entry = _REFERENCE_POINT_NAMES.get(id(spec))
    if entry is None:
        entry = _REFERENCE_POINT_NAMES[id(spec)] = (spec, tuple(
            r["tag_spec_name"] for r in spec.raw.get("reference_points", ())))
    return entry[1]


class DocumentTree:
    """The walk over the document: tokens in source order, the stack of open elements with
    incremental indexes (so ancestor checks cost O(1) however deep the page nests), implied
    tags, text and the end of the document. Each start tag is handed to
    :meth:`~amp_publisher.core.amp.validator.dispatch.TagSpecDispatch.validate_element`, each
    closed element to :meth:`~amp_publisher.core.amp.validator.document.DocumentChecks.
    end_tag_checks`."""

    # -- tree ---------------------------------------------------------------------------------

    def parent_name(self) -> str:
        return self.stack[-1].name if self.stack else "$root"

    def parent_matches(self, mandatory_parent: str) -> bool:
        """Whether the parent is ``mandatory_parent``: its tag name, or the spec name of the
        tag spec it matched (the official engine's ``validateParentTag`` accepts both, e.g.
        ``I-AMPHTML-SIZER-INTRINSIC`` for the intrinsic sizer's ``<img>``)."""
        if mandatory_parent == self.parent_name().upper():
            return True
        parent = self.stack[-1].spec if self.stack else None
        return parent is not None and parent.spec_name == mandatory_parent

    def is_open(self, name: str) -> bool:
        """True when an element named ``name`` (lower case) is open (an ancestor of what
        comes next)."""
        return bool(self.open_at.get(name))

    def last_open(self, name: str) -> int:
        """The stack position of the innermost open ``name`` element, or -1."""
        at = self.open_at.get(name)
        return at[-1] if at else -1

    def push(self, el: _Element) -> None:
        """Open ``el`` (its tag spec already chosen) as the child of the current element."""
        self.open_at.setdefault(el.name, []).append(len(self.stack))
        self.stack.append(el)
        spec = el.spec
        if spec is not None:
            if spec.descendant_tag_list:
                self.open_descendant_lists[spec.descendant_tag_list] += 1
            for marker in spec.mark_descendants:
                self.open_marks[marker] += 1

    def close_element(self, index: int) -> None:
        """Pop elements down to (and including) ``stack[index]``, running end-of-tag checks."""
        while len(self.stack) > index:
            el = self.stack.pop()
            self.open_at[el.name].pop()
            spec = el.spec
            if spec is not None:
                if spec.descendant_tag_list:
                    self.open_descendant_lists[spec.descendant_tag_list] -= 1
                for marker in spec.mark_descendants:
                    self.open_marks[marker] -= 1
            self.end_tag_checks(el)

    def start_body(self, pos: tuple[int, int], manufactured: bool) -> None:
        head = self.last_open("head")
        if head >= 0:
            self.close_element(head)
        self.head_closed = True
        if manufactured and not self.manufactured_body_reported:
            self.manufactured_body_reported = True
            self.report("DISALLOWED_MANUFACTURED_BODY", [], pos)
        if not self.is_open("body"):
            self.body_seen = True
            self.seen_specs.setdefault("body", pos)
            if self.stack:
                self.stack[-1].children.append("body")
            self.push(_Element("body", pos))

    # -- main loop ----------------------------------------------------------------------------

    def run(self, tokens: Iterable[dict] | None = None) -> ValidationResult:
        """Walk ``tokens`` (default: the positioned tokenizer's over ``self.html``) and return
        the verdict with every error found."""
        last_end = (1, 0)
        doctype_seen = False
        positioned = tokens is None
        for tok in _tokens(self.html) if positioned else tokens:
            kind = tok["type"]
            if kind in (1, 2):  # Characters, SpaceCharacters
                self.on_text(tok["data"], last_end)
                if positioned:
                    last_end = _advance(last_end, tok["data"])
                continue
            if "end" in tok:
                last_end = tok["end"]
            if kind == 0:  # Doctype
                doctype_seen = True
                self.on_doctype(tok)
                if not self.stack:
                    self.push(_Element("!doctype", tok["start"]))
            elif kind == 3:
                self.on_start_tag(tok)
            elif kind == 4:
                self.on_end_tag(tok)
            elif kind == 6:  # Comment
                pass
        if not doctype_seen:
            self.report(
                "INVALID_DOCTYPE_HTML",
                [],
                (1, 0),
                "https://amp.dev/documentation/guides-and-tutorials/learn/spec/amphtml/"
                "#required-markup",
            )
        self.end_pos = self._document_end()
        self.close_element(0)
        self.end_document_checks()
        self.errors.sort(key=lambda e: (e.line, e.col))
        failed = any(e.severity == "ERROR" for e in self.errors)
        return ValidationResult("FAIL" if failed else "PASS", tuple(self.errors))

    def _document_end(self) -> tuple[int, int]:
        text = self.html.rstrip()
        if not text:
            return (1, 0)
        line = text.count("\n") + 1
        return line, len(text) - text.rfind("\n") - 2

    # -- text ---------------------------------------------------------------------------------

    def on_text(self, data: str, pos: tuple[int, int]) -> None:
        if self.stack and (self.stack[-1].text_start is not None or self.stack[-1].spec):
            el = self.stack[-1]
            if el.text_start is None:
                el.text_start = pos
            el.text.append(data)
        if data.strip(HTML_WHITESPACE) and not self.body_seen:
            # HTML whitespace only: U+3000 and the other Unicode spaces are text, so they
            # start the body (feature_tests/manufactured_body_whitespace).
            stripped = len(data) - len(data.lstrip(HTML_WHITESPACE))
            where = _advance(pos, data[:stripped])
            if self.stack and self.stack[-1].name in (
                "style",
                "script",
                "title",
                "noscript",
                "template",
                "textarea",
            ):
                return
            self.start_body(where, manufactured=True)

    # -- doctype ------------------------------------------------------------------------------

    def on_doctype(self, tok: dict) -> None:
        name = (tok.get("name") or "").lower()
        if name != "html":
            self.report("INVALID_DOCTYPE_HTML", [], tok["start"])
            return
        spec = self.rules.by_spec_name.get("html doctype")
        if spec is not None:
            self.seen_specs[spec.spec_name] = tok["start"]

    # -- start tags ---------------------------------------------------------------------------

    def on_start_tag(self, tok: dict) -> None:
        name: str = tok["name"]
        pos = tok["start"]
        raw_attrs = [(k.lower(), v) for k, v in tok.get("raw_attrs", ())]
        attrs: dict[str, str] = {}
        for k, v in raw_attrs:
            if k not in attrs:  # the first of duplicates counts
                attrs[k] = v
        in_svg = bool(self.stack) and (self.stack[-1].svg or self.stack[-1].name == "svg")

        # Tree construction (HTML's implied tags, simplified to what the rules look at).
        if name == "html":
            if self.is_open("html"):
                return
        elif name == "head":
            if self.head_seen or self.body_seen:
                return
            self.head_seen = True
        elif name == "body":
            if self.body_seen:
                if self.manufactured_body_reported:
                    return
            else:
                head = self.last_open("head")
                if head >= 0:
                    self.close_element(head)
                self.head_closed = True
                self.body_seen = True
        elif not self.body_seen and name not in _HEAD_CONTENT and not in_svg:
            self.start_body(pos, manufactured=self.head_seen or True)
        if not in_svg:
            if name in _CLOSES_P:
                self._close_if_open("p", stop_at=("button", "table", "td", "th"))
            for implied in _IMPLIED_END.get(name, ()):
                if self.stack and self.stack[-1].name == implied:
                    self.close_element(len(self.stack) - 1)
        if self.stack:
            parent = self.stack[-1]
            parent.children.append(name)
            if parent.last_child_rule is not None:
                # A tag spec with mandatory_last_child (style[amp-keyframes]) was followed by a
                # sibling.
                last_spec, last_pos = parent.last_child_rule
                parent.last_child_rule = None
                self.report("MANDATORY_LAST_CHILD_TAG", [last_spec.descriptive_name,
                            parent.name], last_pos, last_spec.spec_url)
        el = _Element(name, pos, attrs=attrs, svg=in_svg or name == "svg")
        self.validate_element(el, raw_attrs, attrs, tok)
        void = (
            name in _VOID
            or (in_svg and tok.get("selfClosing"))
            or (name == "svg" and tok.get("selfClosing"))
        )
        if void:
            self.end_tag_checks(el)
        else:
            self.push(el)
            if name in ("style", "script", "title", "textarea"):
                el.text_start = tok["end"]

    def _close_if_open(self, name: str, stop_at: tuple[str, ...]) -> None:
        """Close the innermost open ``name`` unless one of ``stop_at`` is open inside it (HTML's
        "has an element in button scope", simplified). O(1) besides the elements closed."""
        at = self.last_open(name)
        if at >= 0 and all(self.last_open(s) < at for s in stop_at):
            self.close_element(at)

    def on_end_tag(self, tok: dict) -> None:
        name = tok["name"]
        if name in ("html", "body"):
            return  # closed at end of document (content after </body> still belongs to body)
        if name == "head" and not self.body_seen:
            head = self.last_open("head")
            if head >= 0:
                self.close_element(head)
                self.head_closed = True
            return
        at = self.last_open(name)
        if at >= 0:
            self.close_element(at)
