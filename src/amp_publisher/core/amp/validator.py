"""The AMP validator for ``html_format: AMP``, driven by the packaged official rules.

``validate(html)`` walks the document once, in source order, the way the official validator
engine does: each start tag is matched against the tag specs for its name (first through
*dispatch keys*, e.g. ``<meta name=viewport>``; otherwise against every spec of the tag, keeping
the best attempt), then the chosen spec's document-level constraints are recorded
(mandatory / unique tags, ``requires``/``satisfies``/``excludes`` conditions, extension scripts
loaded and used, CSS bytes) and checked at the end of the document.

Parsing: html5lib's tokenizer (a maintained, spec-conformant HTML5 tokenizer). lxml would be
faster, but libxml2 reports only line numbers, and the official validator's errors carry a
column too; html5lib's input stream knows both. Tree construction is a small stack of open
elements with HTML's implied end tags (``p``, ``li`` ...) and implied ``head``/``body``, which is
all the AMP rules look at (parents, ancestors, children). Text inside ``style``/``script``/
``title``/``textarea`` is switched to the raw-text states as an HTML5 tree builder would.

Each error has the official validator's code and message wording (``error_formats`` in the
rules), a 1-based line, a 0-based column (the tag's ``<``) and the rule's spec URL.

Example:
    >>> result = validate("<!doctype html><html><head></head><body></body></html>")
    >>> result.status, result.errors[0].code
    ('FAIL', 'MANDATORY_ATTR_MISSING')
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from amp_publisher.core.amp import rules as _rules
from amp_publisher.core.amp.classes import has_internal_class
from amp_publisher.core.amp.layout import validate_layout
from amp_publisher.core.amp.urls import check_url_value

__all__ = ["ValidationError", "ValidationResult", "validate"]


@dataclass(frozen=True)
class ValidationError:
    """One problem found by :func:`validate`.

    Attributes:
        line: 1-based line of the tag (or CSS token) where the problem starts.
        col: 0-based column of it.
        code: the official validator error code (``"DISALLOWED_TAG"``).
        message: the official validator's wording, parameters filled in.
        spec_url: documentation link of the violated rule, or None.
        severity: ``"ERROR"`` (makes the page FAIL) or ``"WARNING"``.
    """

    line: int
    col: int
    code: str
    message: str
    spec_url: str | None = None
    severity: str = "ERROR"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by ``amp-render validate --format json`` and the logs."""
        return {
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "message": self.message,
            "spec_url": self.spec_url,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class ValidationResult:
    """The verdict for one document: ``status`` is ``"PASS"`` unless an ERROR was found.

    Attributes:
        status: ``"PASS"`` or ``"FAIL"``.
        errors: every error and warning, in document order (warnings do not fail a page).
    """

    status: str
    errors: tuple[ValidationError, ...] = ()

    @property
    def passed(self) -> bool:
        """True when the document is valid AMP (warnings allowed)."""
        return self.status == "PASS"


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


def _utf8_len(text: str) -> int:
    """Bytes of ``text`` in UTF-8, the unit of the AMP CSS byte limits. A lone surrogate (which
    a ``str`` can hold though no UTF-8 document can) counts as its 3-byte encoding."""
    return len(text.encode("utf-8", "surrogatepass"))


def _advance(pos: tuple[int, int], text: str) -> tuple[int, int]:
    """The position after ``text`` starting at ``pos``."""
    n = text.count("\n")
    if n:
        return pos[0] + n, len(text) - text.rfind("\n") - 1
    return pos[0], pos[1] + len(text)


# ---------------------------------------------------------------------------------------------
# Compiled regexes (compiled once, on first use)
# ---------------------------------------------------------------------------------------------


@cache
def _regex(pattern: str, casei: bool = False) -> re.Pattern[str]:
    """Compile a rules regex (RE2 syntax; the rules use a subset Python's ``re`` accepts, except
    Unicode property classes, which are widened to ``\\w``)."""
    pattern = pattern.replace(r"\p{L}", r"\w").replace(r"\p{N}", r"\d")
    return re.compile(pattern, re.IGNORECASE if casei else 0)


def _full(pattern: str, value: str, casei: bool = False) -> bool:
    return _regex(pattern, casei).fullmatch(value) is not None


@lru_cache(maxsize=32)
def _stylesheet_issues(
    text: str, spec_name: str, type_identifiers: frozenset[str] = frozenset()
) -> tuple:
    """CSS issues of one stylesheet text, positions relative to the text (line 1, column 0).

    Cached: every page of a site carries the same theme stylesheet, so a warm Lambda checks it
    once (CSS tokenizing is the largest part of validating a typical page).
    """
    from amp_publisher.core.amp.css import check_stylesheet

    rules = _rules.load(type_identifiers)
    spec = rules.by_spec_name[spec_name]
    css_spec = spec.cdata["css_spec"]
    return tuple(
        check_stylesheet(
            text,
            css_spec,
            spec.descriptive_name,
            (1, 0),
            rules.doc_css.image_url_spec,
            allow_important=css_spec.get("allow_important", False),
        )
    )


# ---------------------------------------------------------------------------------------------
# The document walk
# ---------------------------------------------------------------------------------------------


class _Element:
    """An open element: its tag name, position, chosen tag spec, children and text."""

    __slots__ = ("name", "start", "spec", "children", "text", "text_start", "attrs", "svg",
                 "style_bytes", "last_child_rule", "ref_point")

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

    def child_reference_points(self) -> tuple[str, ...]:
        """Reference point spec names its children are matched against (from its own tag spec
        and from the reference point it matched itself, which may nest)."""
        names: tuple[str, ...] = ()
        for spec in (self.spec, self.ref_point):
            if spec is not None:
                names += tuple(r["tag_spec_name"] for r in spec.raw.get("reference_points", ()))
        return names


# Per tag spec facts the attribute checks need on every tag, computed once per spec (the
# rules are loaded once per process) instead of scanning all of a spec's attr specs per tag:
# an svg <g> has over a hundred.
# Keyed by id(); each entry keeps its spec alive, so an id cannot be reused by another spec.
_CONSTRAINED: dict[int, tuple[_rules.TagSpec, tuple[_rules.AttrSpec, ...]]] = {}
_ALTERNATIVES: dict[int, tuple[_rules.TagSpec, dict[str, _rules.AttrSpec]]] = {}


def _constrained_attrs(spec: _rules.TagSpec) -> tuple[_rules.AttrSpec, ...]:
    """The spec's attr specs that are mandatory or in a mandatory one-of / any-of group, in
    rules order."""
    entry = _CONSTRAINED.get(id(spec))
    if entry is None:
        entry = _CONSTRAINED[id(spec)] = (spec, tuple(
            a for a in spec.attrs.values() if a.mandatory or a.mandatory_oneof
            or a.mandatory_anyof
        ))
    return entry[1]


def _alternative_names(spec: _rules.TagSpec) -> dict[str, _rules.AttrSpec]:
    """Alternative attribute name (``xlink:href``) -> the attr spec it stands for."""
    entry = _ALTERNATIVES.get(id(spec))
    if entry is None:
        names: dict[str, _rules.AttrSpec] = {}
        for a in spec.attrs.values():
            for alt in a.alternative_names:
                names.setdefault(alt, a)
        entry = _ALTERNATIVES[id(spec)] = (spec, names)
    return entry[1]


class _Attempt:
    """The outcome of checking one tag against one tag spec: ``(code, params, severity)``s."""

    __slots__ = ("spec", "errors", "used_extensions")

    def __init__(self, spec: _rules.TagSpec, errors: list[tuple], used: list[str]) -> None:
        self.spec = spec
        self.errors = errors
        self.used_extensions = used

    @property
    def passed(self) -> bool:
        return not any(sev == "ERROR" for _, _, sev in self.errors)




def _normalise_script_src(attrs: dict[str, str]) -> dict[str, str]:
    """Map a self-hosted AMP runtime URL (``https://example.com/v0.js``) to the AMP CDN one the
    rules name, so it dispatches to the runtime tag spec.

    The AMP project allows publishers to serve the runtime and extensions from their own
    origin (amphtml issue 25873; test ``non-amp-cdn-js``): only the path is significant.
    """
    m = _regex(r"^https://[^/?#]+/(lts/)?v0\.m?js$").match(attrs["src"])
    if m is None or attrs["src"].startswith(_rules.AMP_CDN + "/"):
        return attrs
    out = dict(attrs)
    suffix = attrs["src"].rsplit("/", 1)[1]
    out["src"] = f"{_rules.AMP_CDN}/{m.group(1) or ''}{suffix}"
    return out


_FORMAT_ATTRS = {"⚡": "AMP", "amp": "AMP"}
_HTML_ALLOWED_ATTRS = frozenset(
    (
        "⚡",
        "amp",
        "lang",
        "dir",
        "class",
        "id",
        "i-amphtml-layout",
        "i-amphtml-no-boilerplate",
        "transformed",
        "data-ampdevmode",
        "allow-xssi-auth",
        "allow-viewer-auth",
        "xmlns",
    )
)
_RUNTIME_CONDITION = "amphtml javascript runtime (v0.js)"
#: ASCII whitespace as HTML defines it (tab, LF, FF, CR, space); Python's str.strip() would
#: also strip U+3000, U+00A0 and the other Unicode spaces, which HTML treats as text.
HTML_WHITESPACE = " \t\n\f\r"
#: The value of ``<html transformed>`` the official engine accepts (``validateHtmlTag``).
_TRANSFORMED_VALUE = re.compile(r"(?:bing|google|self);v=\d+")


_HTML_START_TAG = re.compile(r"<html(?=[\s/>])([^>]*)>", re.IGNORECASE)
_ATTR_NAME = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?""")


def document_type_identifiers(html: str) -> frozenset[str]:
    """The rule-switching attributes on the document's ``<html>`` start tag.

    The official engine reads them in ``validateHtmlTag``; ``transformed`` (a page the AMP
    optimizer or cache transformed, e.g. ``transformed="self;v=1"``) enables the transformed
    rules and disables e.g. the boilerplate requirement (validator.proto ``enabled_by``).

    Args:
        html: the whole document.
    Returns:
        A subset of :data:`amp_publisher.core.amp.rules.TYPE_IDENTIFIERS`.
    """
    m = _HTML_START_TAG.search(html, 0, 65536)
    if m is None:
        return frozenset()
    names = {n.lower() for n in _ATTR_NAME.findall(m.group(1))}
    return frozenset(names & _rules.TYPE_IDENTIFIERS)


class _Validator:
    def __init__(self, html: str) -> None:
        self.html = html
        self.type_identifiers = document_type_identifiers(html)
        self.rules = _rules.load(self.type_identifiers)
        self.errors: list[ValidationError] = []
        self.stack: list[_Element] = []
        # Incremental views of the stack, so that each tag's ancestor checks cost O(1) however
        # deep the document nests (a walk of the stack per tag is quadratic):
        #: tag name -> positions in ``stack`` of the open elements with that name (ascending).
        self.open_at: dict[str, list[int]] = {}
        #: ``descendant_tag_list`` names of the open elements' tag specs, with multiplicity.
        self.open_descendant_lists: Counter[str] = Counter()
        #: ``mark_descendants`` markers of the open elements' tag specs, with multiplicity.
        self.open_marks: Counter[str] = Counter()
        self.seen_specs: dict[str, tuple[int, int]] = {}
        self.conditions: dict[str, tuple[int, int]] = {}
        self.requires: list[tuple[str, _rules.TagSpec, tuple[int, int]]] = []
        self.excludes: list[tuple[str, _rules.TagSpec, tuple[int, int]]] = []
        self.extensions_loaded: dict[str, tuple[_rules.TagSpec, tuple[int, int]]] = {}
        self.extensions_used: set[str] = set()
        self.extension_needs: list[tuple[str, str, tuple[int, int], str, str | None]] = []
        self.head_seen = False
        self.body_seen = False
        self.head_closed = False
        self.manufactured_body_reported = False
        self.css_bytes = 0
        self.inline_style_bytes = 0
        self.amp_custom_pos: tuple[int, int] | None = None
        self.end_pos = (1, 0)

    # -- reporting ----------------------------------------------------------------------------

    def report(
        self,
        code: str,
        params: list[str],
        pos: tuple[int, int],
        spec_url: str | None = None,
        severity: str = "ERROR",
    ) -> None:
        message = _rules.error_message(code, params)
        self.errors.append(ValidationError(pos[0], pos[1], code, message, spec_url, severity))

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

    def run(self) -> ValidationResult:
        last_end = (1, 0)
        doctype_seen = False
        for tok in _tokens(self.html):
            kind = tok["type"]
            if kind in (1, 2):  # Characters, SpaceCharacters
                self.on_text(tok["data"], last_end)
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
            attrs.setdefault(k, v)
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

    # -- tag spec matching --------------------------------------------------------------------

    def validate_element(self, el: _Element, raw_attrs, attrs, tok) -> None:
        name = el.name
        pos = el.start
        specs = self.rules.by_tag_name.get(name, ())
        if name == "html":
            self.validate_html_tag(attrs, pos)
        if not specs:
            code = "DISALLOWED_SCRIPT_TAG" if name == "script" else "DISALLOWED_TAG"
            self.report(
                code, [name], pos, self.rules.spec_urls.get("script") if name == "script" else None
            )
            return
        seen: set[str] = set()
        for k, _ in raw_attrs:
            if k in seen:
                # A warning in the official engine: the first value counts.
                self.report("DUPLICATE_ATTRIBUTE", [name, k], pos, severity="WARNING")
            seen.add(k)
        if name == "script" and "src" in attrs:
            attrs = _normalise_script_src(attrs)
        if self.stack:
            el.ref_point = self.match_reference_point(self.stack[-1], el, attrs)
        candidates = self.dispatch(specs, attrs)
        if name == "script" and candidates is specs and all(s.dispatch_attr for s in specs):
            # Every script tag spec is selected by a dispatch key (src=v0.js, custom-element=,
            # type=application/ld+json ...); a script matching none is author JavaScript.
            self.report("DISALLOWED_SCRIPT_TAG", [], pos, self.rules.spec_urls.get("script"))
            return
        best: _Attempt | None = None
        for spec in candidates:
            attempt = self.attempt(spec, el, attrs)
            if attempt.passed:
                best = attempt
                break
            if best is None or self._better(attempt, best):
                best = attempt
        assert best is not None
        spec = best.spec
        for code, params, severity in best.errors:
            self.report(code, params, pos, spec.spec_url, severity)
        el.spec = spec if best.passed else None
        if best.passed:
            self.record(spec, el, attrs, best)

    def match_reference_point(
        self, parent: _Element, el: _Element, attrs: dict[str, str]
    ) -> _rules.TagSpec | None:
        """The first of the parent's reference points (``TagSpec.reference_points``, in rule
        order) whose own mandatory attributes ``el`` has and whose own attribute values it
        satisfies; its attributes are then allowed on ``el`` (the official engine's
        ``ReferencePointMatcher``; reference points apply to direct children only)."""
        for name in parent.child_reference_points():
            ref = self.rules.by_spec_name.get(name)
            if ref is None:
                continue
            own = [_rules._attr_spec(a) for a in ref.raw.get("attrs", ())]
            if any(a.mandatory and a.name not in attrs for a in own):
                continue
            if any(
                a.name in attrs
                and self.check_attr_value(a, a.name, attrs[a.name], ref.descriptive_name, el)
                for a in own
            ):
                continue
            return ref
        return None

    def dispatch(self, specs, attrs) -> tuple[_rules.TagSpec, ...]:
        """Tag specs selected by a dispatch key on one of the attributes, else all of them."""
        matched = []
        for spec in specs:
            d = spec.dispatch_attr
            if d is None or d.name not in attrs:
                continue
            if d.dispatch_key == "NAME_DISPATCH":
                matched.append(spec)
                continue
            value = attrs[d.name]
            ok = (d.value is not None and value in d.value) or (
                d.value_casei is not None and value.lower() in (v.lower() for v in d.value_casei)
            )
            if not ok:
                continue
            if (
                d.dispatch_key == "NAME_VALUE_PARENT_DISPATCH"
                and spec.mandatory_parent
                and not self.parent_matches(spec.mandatory_parent)
            ):
                continue
            matched.append(spec)
        if matched:
            return tuple(matched)
        # No dispatch key matched: the tag specs without dispatch keys are the candidates (as
        # in the official engine); when every spec has one, all are tried for the best message.
        plain = tuple(s for s in specs if s.dispatch_attr is None)
        return plain or specs

    def _better(self, a: _Attempt, b: _Attempt) -> bool:
        spec = self.rules.error_specificity

        def score(att: _Attempt) -> tuple[int, int]:
            errs = [e for e in att.errors if e[2] == "ERROR"]
            top = max((spec.get(e[0], 0) for e in errs), default=0)
            return (top, -len(errs))

        return score(a) > score(b)

    def attempt(self, spec: _rules.TagSpec, el: _Element, attrs: dict[str, str]) -> _Attempt:
        used: list[str] = []
        tag = spec.descriptive_name
        errors = self.context_errors(spec, el)
        if errors:
            return _Attempt(spec, errors, used)
        if spec.amp_layout is not None:
            # First, as the official validateAttributes does; it reports one layout error.
            for code, params in validate_layout(attrs, spec.amp_layout, tag)[:1]:
                errors.append((code, params, "ERROR"))
        # Attributes.
        oneof: dict[str, list[str]] = {}
        anyof: dict[str, list[str]] = {}
        for aname, value in attrs.items():
            aspec = spec.attrs.get(aname)
            if aspec is None:
                aspec = self._alternative(spec, aname)
            if aspec is None and el.ref_point is not None:
                aspec = el.ref_point.attrs.get(aname)
            if aspec is None:
                if el.name == "html" and aname in _HTML_ALLOWED_ATTRS:
                    continue
                if aname.startswith("data-") or aname.startswith("aria-"):
                    continue
                if el.svg and (aname.startswith("xmlns") or ":" in aname):
                    continue
                errors.append(("DISALLOWED_ATTR", [aname, tag], "ERROR"))
                continue
            if aspec.requires_ancestor and not self._ancestor_marked(aspec.requires_ancestor):
                errors.append(("DISALLOWED_ATTR", [aname, tag], "ERROR"))
                continue
            # Present counts for one-of / any-of groups even when the value is wrong (one
            # error per problem, as the official validator reports it).
            if aspec.mandatory_oneof:
                oneof.setdefault(aspec.mandatory_oneof, []).append(aname)
            if aspec.mandatory_anyof:
                anyof.setdefault(aspec.mandatory_anyof, []).append(aname)
            problem = self.check_attr_value(aspec, aname, value, tag, el)
            if (not problem and aname == "class" and "transformed" not in self.type_identifiers
                    and has_internal_class(value)):
                problem = [("INVALID_ATTR_VALUE", [aname, tag, value], "ERROR")]
            if problem:
                errors.extend(problem)
                continue
            if aspec.deprecation:
                errors.append(("DEPRECATED_ATTR", [aname, tag, aspec.deprecation], "WARNING"))
            if aspec.trigger_if_value_regex is None or _full(aspec.trigger_if_value_regex, value):
                for req in aspec.also_requires_attr:
                    implied = spec.attrs.get(req)
                    if req not in attrs and not (implied is not None and implied.implicit):
                        errors.append(("ATTR_REQUIRED_BUT_MISSING", [req, tag, aname], "ERROR"))
            for ext in aspec.requires_extension:
                used.append(ext)
            if aspec.value_doc_css:
                errors.extend(self.check_inline_style(value, tag, el))
        if any(e[2] == "ERROR" for e in errors):
            # The official engine's validateAttributes returns after the attribute loop when
            # it found an error: mandatory, one-of and any-of are then not checked.
            return _Attempt(spec, errors, used)
        for aspec in _constrained_attrs(spec):
            if (
                aspec.mandatory
                and aspec.name not in attrs
                and not any(alt in attrs for alt in aspec.alternative_names)
            ):
                errors.append(("MANDATORY_ATTR_MISSING", [aspec.name, tag], "ERROR"))
            if aspec.mandatory_oneof and aspec.mandatory_oneof not in oneof:
                oneof[aspec.mandatory_oneof] = []
            if aspec.mandatory_anyof and aspec.mandatory_anyof not in anyof:
                anyof[aspec.mandatory_anyof] = []
        for group, present in oneof.items():
            if not present:
                errors.append(("MANDATORY_ONEOF_ATTR_MISSING", [tag, group], "ERROR"))
            elif len(present) > 1:
                errors.append(("MUTUALLY_EXCLUSIVE_ATTRS", [tag, group], "ERROR"))
        for group, present in anyof.items():
            if not present:
                errors.append(("MANDATORY_ANYOF_ATTR_MISSING", [tag, group], "ERROR"))
        if spec.extension_spec is not None:
            errors.extend(self.check_extension_src(spec, attrs))
        if spec.unique and spec.spec_name in self.seen_specs:
            errors.append(("DUPLICATE_UNIQUE_TAG", [tag], "ERROR"))
        elif spec.unique_warning and spec.spec_name in self.seen_specs:
            errors.append(("DUPLICATE_UNIQUE_TAG_WARNING", [tag], "WARNING"))
        return _Attempt(spec, errors, used)

    def context_errors(self, spec: _rules.TagSpec, el: _Element) -> list[tuple]:
        """Parent, ancestor and descendant-list errors of ``el`` against ``spec``.

        As in the official engine's ``ValidateTagAgainstSpec``, these come first; when there is
        one, the attributes are not validated (a tag in the wrong place is reported for that
        alone).
        """
        errors: list[tuple] = []
        tag = spec.descriptive_name
        parent = self.parent_name().upper()
        if spec.mandatory_parent and not self.parent_matches(spec.mandatory_parent):
            errors.append(
                ("WRONG_PARENT_TAG", [tag, parent.lower(), spec.mandatory_parent.lower()], "ERROR")
            )
        if spec.mandatory_ancestor and not self.is_open(spec.mandatory_ancestor.lower()):
            if spec.mandatory_ancestor_suggested_alternative:
                errors.append(
                    (
                        "MANDATORY_TAG_ANCESTOR_WITH_HINT",
                        [
                            tag,
                            spec.mandatory_ancestor.lower(),
                            spec.mandatory_ancestor_suggested_alternative.lower(),
                        ],
                        "ERROR",
                    )
                )
            else:
                errors.append(
                    ("MANDATORY_TAG_ANCESTOR", [tag, spec.mandatory_ancestor.lower()], "ERROR")
                )
        for bad in spec.disallowed_ancestor:
            if self.is_open(bad.lower()):
                errors.append(("DISALLOWED_TAG_ANCESTOR", [tag, bad.lower()], "ERROR"))
        # An ancestor's descendant_tag_list restricts every descendant; like the official
        # validator (validateDescendantTags), one error however many ancestors refuse the tag.
        for list_name, n_open in self.open_descendant_lists.items():
            if n_open and el.name not in self.rules.descendant_tag_lists.get(list_name, ()):
                errors.append(("DISALLOWED_TAG", [el.name], "ERROR"))
                break
        return errors

    def _ancestor_marked(self, markers: tuple[str, ...]) -> bool:
        """True when an open ancestor's tag spec marks its descendants with one of
        ``markers`` (``mark_descendants``, e.g. amp-sidebar's AUTOSCROLL)."""
        return any(self.open_marks[m] > 0 for m in markers)

    @staticmethod
    def _alternative(spec: _rules.TagSpec, aname: str) -> _rules.AttrSpec | None:
        return _alternative_names(spec).get(aname)

    def check_attr_value(self, aspec, aname, value, tag, el) -> list[tuple]:
        bad = [("INVALID_ATTR_VALUE", [aname, tag, value], "ERROR")]
        if aspec.value is not None and value not in aspec.value:
            return bad
        if aspec.value_casei is not None and value.lower() not in (
            v.lower() for v in aspec.value_casei
        ):
            return bad
        if aspec.value_regex is not None and not _full(aspec.value_regex, value):
            return bad
        if aspec.value_regex_casei is not None and not _full(
            aspec.value_regex_casei, value, casei=True
        ):
            return bad
        if aspec.value_url is not None:
            problems = self.check_url_attr(aspec, aname, value, tag)
            if problems:
                return problems
        if aspec.value_properties is not None:
            problems = self.check_properties(aspec, aname, value, tag)
            if problems:
                return problems
        if aspec.disallowed_value_regex is not None and _regex(aspec.disallowed_value_regex).search(
            value
        ):
            return bad
        return []

    def check_url_attr(self, aspec, aname, value, tag) -> list[tuple]:
        """A ``value_url`` attribute: :func:`amp_publisher.core.amp.urls.check_url_value`."""
        return [(code, params, "ERROR")
                for code, params in check_url_value(value, aspec.value_url, aname, tag)]

    def check_properties(self, aspec, aname, value, tag) -> list[tuple]:
        problems: list[tuple] = []
        props: dict[str, str] = {}
        for part in re.split(r"[,;]", value):
            if not part.strip():
                continue
            key, eq, val = part.partition("=")
            if not eq:
                # A bare name (``minimal-ui``) is not a property; the official validator passes
                # it (feature_tests/aria.out, made with the same validator-main commit).
                continue
            props.setdefault(key.strip().lower(), val.strip())
        specs = {p.name: p for p in aspec.value_properties}
        for key, val in props.items():
            p = specs.get(key)
            if p is None:
                problems.append(("DISALLOWED_PROPERTY_IN_ATTR_VALUE", [key, aname, tag], "ERROR"))
                continue
            if p.value is not None and val.lower() != p.value.lower():
                problems.append(
                    ("INVALID_PROPERTY_VALUE_IN_ATTR_VALUE", [key, aname, tag, val], "ERROR")
                )
            elif p.value_double is not None:
                try:
                    ok = float(val) == p.value_double
                except ValueError:
                    ok = False
                if not ok:
                    problems.append(
                        ("INVALID_PROPERTY_VALUE_IN_ATTR_VALUE", [key, aname, tag, val], "ERROR")
                    )
            elif key in ("initial-scale", "minimum-scale", "maximum-scale"):
                try:
                    float(val)
                except ValueError:
                    problems.append(
                        ("INVALID_PROPERTY_VALUE_IN_ATTR_VALUE", [key, aname, tag, val], "ERROR")
                    )
        for p in aspec.value_properties:
            if p.mandatory and p.name not in props:
                problems.append(
                    ("MANDATORY_PROPERTY_MISSING_FROM_ATTR_VALUE", [p.name, aname, tag], "ERROR")
                )
        return problems

    def check_inline_style(self, value: str, tag: str, el: _Element) -> list[tuple]:
        from amp_publisher.core.amp.css import check_inline_style

        doc_css = self.rules.doc_css
        errors: list[tuple] = []
        size = _utf8_len(value)
        el.style_bytes = size
        if doc_css.max_bytes_per_inline_style >= 0 and size > doc_css.max_bytes_per_inline_style:
            errors.append(
                (
                    "INLINE_STYLE_TOO_LONG",
                    [tag, str(size), str(doc_css.max_bytes_per_inline_style)],
                    "ERROR",
                )
            )
        if "i-amphtml-" in value:
            errors.append(("CDATA_VIOLATES_DENYLIST", [tag, "CSS i-amphtml- name prefix"], "ERROR"))
        for code, params in check_inline_style(value, tag, doc_css.image_url_spec):
            errors.append((code, params, "ERROR"))
        return errors

    def check_extension_src(self, spec: _rules.TagSpec, attrs: dict[str, str]) -> list[tuple]:
        ext = spec.extension_spec
        src = attrs.get("src")
        if src is None:
            return []
        m = re.fullmatch(
            r"https://[^/?#]+/(?:lts/)?v0/([a-z0-9-]+)-(\d+\.\d+|latest)\.m?js"
            r"(\?f=sxg)?",
            src,
        )
        if m is None or m.group(1) != ext.name:
            return [("INVALID_EXTENSION_PATH", [ext.name, src], "ERROR")]
        version = m.group(2)
        if version in ext.deprecated_versions:
            return [("WARNING_EXTENSION_DEPRECATED_VERSION", [ext.name, version], "WARNING")]
        if version not in ext.versions:
            # Another version family of the same extension may allow it (dispatch picks the
            # first family; the attempt on the right family passes).
            return [("INVALID_EXTENSION_VERSION", [ext.name, version], "ERROR")]
        return []

    # -- after a tag passed ---------------------------------------------------------------------

    def record(self, spec: _rules.TagSpec, el: _Element, attrs, attempt: _Attempt) -> None:
        pos = el.start
        self.seen_specs.setdefault(spec.spec_name, pos)
        for cond in spec.satisfies:
            self.conditions.setdefault(cond, pos)
        for cond in spec.requires:
            self.requires.append((cond, spec, pos))
        for cond in spec.excludes:
            self.excludes.append((cond, spec, pos))
        if spec.extension_spec is not None:
            self.conditions.setdefault(spec.spec_name, pos)
            name = spec.extension_spec.name
            if name not in self.extensions_loaded:
                self.extensions_loaded[name] = (spec, pos)
            self.requires.append((_RUNTIME_CONDITION, spec, pos))
        for ext in spec.requires_extension:
            self.extension_needs.append(
                (ext, el.name, pos, "MISSING_REQUIRED_EXTENSION", spec.spec_url)
            )
        for ext in attempt.used_extensions:
            self.extension_needs.append(
                (ext, el.name, pos, "ATTR_MISSING_REQUIRED_EXTENSION", spec.spec_url)
            )
        self.inline_style_bytes += el.style_bytes
        if spec.mandatory_last_child and self.stack:
            self.stack[-1].last_child_rule = (spec, pos)
        if spec.named_id == "STYLE_AMP_CUSTOM":
            self.amp_custom_pos = pos
        if spec.deprecation:
            self.report(
                "DEPRECATED_TAG",
                [spec.descriptive_name, spec.deprecation],
                pos,
                spec.deprecation_url,
                "WARNING",
            )
        # Child constraints of the parent.
        if len(self.stack) >= 1:
            parent = self.stack[-1]
            pspec = parent.spec
            if pspec is not None and pspec.child_tags:
                ct = pspec.child_tags
                first = ct.get("first_child_tag_name_oneof")
                oneof = ct.get("child_tag_name_oneof")
                if first and len(parent.children) == 1 and el.name.upper() not in first:
                    self.report(
                        "DISALLOWED_FIRST_CHILD_TAG_NAME",
                        [el.name, pspec.descriptive_name, str([t.lower() for t in first])],
                        pos,
                        pspec.spec_url,
                    )
                elif oneof and el.name.upper() not in oneof:
                    self.report(
                        "DISALLOWED_CHILD_TAG_NAME",
                        [el.name, pspec.descriptive_name, str([t.lower() for t in oneof])],
                        pos,
                        pspec.spec_url,
                    )

    def validate_html_tag(self, attrs: dict[str, str], pos) -> None:
        """Checks of ``<html>`` made by the official engine, not by the rule files
        (``validateHtmlTag``): the format attribute (``⚡``/``amp``) and the ``transformed``
        value ``(bing|google|self);v=N`` (transformed_feature_tests/
        transformed_attribute_value_malformed, ..._version_malformed)."""
        url = "https://amp.dev/documentation/guides-and-tutorials/learn/spec/amphtml#required-markup"
        if not any(a in attrs for a in _FORMAT_ATTRS):
            self.report("MANDATORY_ATTR_MISSING", ["⚡", "html"], pos, url)
        transformed = attrs.get("transformed")
        if transformed is not None and not _TRANSFORMED_VALUE.fullmatch(transformed):
            self.report("INVALID_ATTR_VALUE", ["transformed", "html", transformed], pos, url)

    # -- end of an element ------------------------------------------------------------------

    def end_tag_checks(self, el: _Element) -> None:
        spec = el.spec
        if spec is None:
            return
        if spec.child_tags:
            ct = spec.child_tags
            n = len(el.children)
            want = ct.get("mandatory_num_child_tags", -1)
            if want >= 0 and n != want:
                self.report(
                    "INCORRECT_NUM_CHILD_TAGS",
                    [spec.descriptive_name, str(want), str(n)],
                    el.start,
                    spec.spec_url,
                )
            least = ct.get("mandatory_min_num_child_tags", -1)
            if least >= 0 and n < least:
                self.report(
                    "INCORRECT_MIN_NUM_CHILD_TAGS",
                    [spec.descriptive_name, str(least), str(n)],
                    el.start,
                    spec.spec_url,
                )
        if spec.cdata is not None:
            self.check_cdata(spec, el)

    def check_cdata(self, spec: _rules.TagSpec, el: _Element) -> None:
        text = "".join(el.text)
        cdata = spec.cdata
        pos = el.start
        tag = spec.descriptive_name
        if "mandatory_cdata" in cdata and text != cdata["mandatory_cdata"]:
            self.report("MANDATORY_CDATA_MISSING_OR_INCORRECT", [tag], pos, spec.spec_url)
            return
        if "cdata_regex" in cdata and not _full(cdata["cdata_regex"], text):
            self.report("MANDATORY_CDATA_MISSING_OR_INCORRECT", [tag], pos, spec.spec_url)
            return
        if cdata.get("whitespace_only") and text.strip(HTML_WHITESPACE):
            self.report("NON_WHITESPACE_CDATA_ENCOUNTERED", [tag], pos, spec.spec_url)
            return
        for rule in cdata.get("disallowed_cdata_regex", ()):
            if _regex(rule["regex"]).search(text):
                self.report(
                    "CDATA_VIOLATES_DENYLIST", [tag, rule["error_message"]], pos, spec.spec_url
                )
                return
        size = _utf8_len(text)
        max_bytes = cdata.get("max_bytes", -2)
        if cdata.get("doc_css_bytes"):
            self.css_bytes += size
        elif max_bytes >= 0 and size > max_bytes:
            self.report(
                "STYLESHEET_TOO_LONG",
                [tag, str(size), str(max_bytes)],
                pos,
                cdata.get("max_bytes_spec_url") or spec.spec_url,
            )
        if "css_spec" in cdata:
            base = el.text_start or pos
            for code, params, rel_line, rel_col, severity in _stylesheet_issues(
                text, spec.spec_name, self.type_identifiers
            ):
                if rel_line == 1:
                    # The official validator anchors a stylesheet at the '>' of its start tag,
                    # so on that line its columns are one less than the character's
                    # (feature_tests/css_error_column_same_line).
                    line, col = base[0], max(base[1] + rel_col - 1, 0)
                else:
                    line, col = base[0] + rel_line - 1, rel_col
                url = (
                    self.rules.spec_urls.get("styles")
                    if code.endswith("IMPORTANT")
                    else (spec.spec_url)
                )
                self.report(code, params, (line, col), url, severity)
        if el.name == "script" and el.attrs.get("type", "").lower() in (
            "application/ld+json",
            "application/json",
        ):
            try:
                json.loads(text)
            except (ValueError, RecursionError):
                # RecursionError: nesting deeper than the interpreter's limit (~1,000) cannot
                # be parsed here; it gets the official "invalid JSON" warning rather than
                # escaping validate().
                self.report("INVALID_JSON_CDATA", [], pos, spec.spec_url, "WARNING")

    # -- end of document ---------------------------------------------------------------------

    def end_document_checks(self) -> None:
        end = self.end_pos
        doc_css = self.rules.doc_css
        total = self.css_bytes + self.inline_style_bytes
        if doc_css.max_bytes >= 0 and total > doc_css.max_bytes:
            if self.inline_style_bytes:
                self.report(
                    "STYLESHEET_AND_INLINE_STYLE_TOO_LONG",
                    [str(total), str(doc_css.max_bytes)],
                    end,
                    doc_css.max_bytes_spec_url,
                )
            else:
                self.report(
                    "STYLESHEET_TOO_LONG",
                    ["style amp-custom", str(total), str(doc_css.max_bytes)],
                    self.amp_custom_pos or end,
                    doc_css.max_bytes_spec_url,
                )
        for spec in self.rules.tag_specs:
            if spec.mandatory and spec.spec_name not in self.seen_specs:
                self.report("MANDATORY_TAG_MISSING", [spec.descriptive_name], end, spec.spec_url)
        # No "runtime missing" check of our own: a page without any AMP script is valid AMP
        # (no-JS AMP, feature_tests/no_js_amp); extension scripts require the runtime through
        # their requires_condition (feature_tests/missing_v0_js).
        reported: set[tuple[str, str]] = set()
        for cond, spec, _pos in self.requires:
            if cond not in self.conditions and (cond, spec.spec_name) not in reported:
                reported.add((cond, spec.spec_name))
                self.report(
                    "TAG_REQUIRED_BY_MISSING", [cond, spec.descriptive_name], end, spec.spec_url
                )
        for cond, spec, pos in self.excludes:
            if cond in self.conditions:
                self.report(
                    "TAG_EXCLUDED_BY_TAG", [spec.descriptive_name, cond], pos, spec.spec_url
                )
        needed: set[str] = set()
        for ext, tag, pos, code, url in self.extension_needs:
            needed.add(ext)
            if ext not in self.extensions_loaded:
                params = [tag, ext]
                self.report(code, params, pos, url)
        for name, (spec, pos) in self.extensions_loaded.items():
            if name in needed:
                continue
            usage = spec.extension_spec.requires_usage
            if usage == "ERROR":
                self.report("EXTENSION_UNUSED", [name], pos, spec.spec_url)
            elif usage == "EXEMPTED":
                self.report("WARNING_EXTENSION_UNUSED", [name, name], pos, spec.spec_url, "WARNING")


def validate(html: str) -> ValidationResult:
    """Validate one document as AMP (``html_format: AMP``) against the packaged rules.

    Args:
        html: the whole document as text (decoded from UTF-8).
    Returns:
        A :class:`ValidationResult`; ``status`` is ``"FAIL"`` when any ERROR was found.
        Warnings (unused exempted extensions, deprecations, media-query issues) do not fail.
    Raises:
        Nothing for bad input: every problem is a :class:`ValidationError` in the result.
    """
    if html.startswith("\ufeff"):
        # A byte order mark is not content: browsers and the official validator drop it.
        html = html[1:]
    return _Validator(html).run()
