"""CSS checks of the AMP validator: ``<style amp-custom>`` stylesheets and ``style`` attributes.

Parsing uses tinycss2 (a maintained CSS Syntax Level 3 parser with line/column positions) rather
than a hand-written tokenizer. Rules implemented, from the ``CssSpec`` / ``DocCssSpec`` in the
rules data (validator-main.protoascii, validator-css.protoascii) and the AMP spec section
"Stylesheets":

* syntax errors the official validator reports (unterminated strings, bad urls, stray trailing
  backslashes, a stylesheet ending inside a rule prelude, invalid / incomplete declarations);
* ``!important`` is disallowed (``allow_important: false``);
* at-rules must be in the spec's ``at_rule_spec`` list; ``@media`` types and features must be
  known (the spec makes these warnings unless ``issues_as_error``);
* ``url()`` values must use an allowed protocol (``image_url_spec`` / ``font_url_spec``);
* blocks and functions nested more than :data:`MAX_NESTING` deep are
  ``CSS_EXCESSIVELY_NESTED`` (so hostile CSS cannot exhaust the Python stack either).

The same functions decide what the converter keeps (:mod:`amp_publisher.core.conversion.styles`
checks every rule it writes with :func:`amp_custom_issues`, and sizes the body's CSS with
:func:`utf8_bytes` against :func:`css_max_bytes`), so "what the converter keeps, the validator
passes" holds for CSS by construction and both report the same codes. Also here: the text
denylists (:func:`denylist_issue`), the ``style`` attribute checks (:func:`inline_style_issues`)
and the document's byte budget (:func:`css_budget_issue`).

Errors are returned as ``(code, params, line, col, severity)`` tuples (:data:`CssIssue`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

__all__ = [
    "check_stylesheet", "check_inline_style", "strip_vendor_prefix", "refused_url_protocol",
    "CssIssue", "AMP_CUSTOM", "utf8_bytes", "css_max_bytes", "css_budget_issue",
    "denylist_issue", "at_rule_allowed", "value_issues", "inline_style_issues",
    "amp_custom_issues", "stylesheet_issues",
]

#: The tag spec name (and descriptive name) of the author stylesheet, ``<style amp-custom>``.
AMP_CUSTOM = "style amp-custom"

#: ``(error code, message params, line (1-based), column (0-based), severity)``.
CssIssue = tuple[str, list[str], int, int, str]

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")

#: The deepest nesting of ``()``/``[]``/``{}`` blocks and functions the official CSS parser
#: accepts inside a rule (a stylesheet rule's own ``{}`` not counted): its
#: ``kMaximumCssRecursion`` is 100 recursion levels and each nesting level costs two
#: (parse-css.js, ``consumeAComponentValue`` / ``consumeASimpleBlock``). Deeper is
#: ``CSS_EXCESSIVELY_NESTED``.
MAX_NESTING = 50

_BLOCKS = frozenset(("() block", "[] block", "{} block"))


def _tinycss2():
    import tinycss2  # deferred: only pages with CSS pay for the import

    return tinycss2


def _abs(base: tuple[int, int], line: int, column: int) -> tuple[int, int]:
    """Map a tinycss2 position (1-based line and column, relative to the CSS text) to the
    document's (1-based line, 0-based column) given where the CSS text starts."""
    if line == 1:
        return base[0], base[1] + column - 1
    return base[0] + line - 1, column - 1


def _walk(tokens: Iterable, *, rule_blocks_free: bool) -> tuple[list, object | None]:
    """Every component value, depth first, including the contents of blocks and functions, down
    to :data:`MAX_NESTING` levels.

    Iterative (tinycss2 builds arbitrarily deep trees without recursion; walking them
    recursively would raise RecursionError on ``((((...``). ``rule_blocks_free``: top-level
    ``{}`` blocks are rule bodies (a stylesheet) and do not count as a level.

    Returns:
        ``(values, too_deep)``: the values in document order, and the first block or function
        nested too deep (its contents are not walked), or None.
    """
    flat: list = []
    too_deep = None
    stack: list[tuple[Iterator, int]] = [(iter(tokens), 0)]
    while stack:
        values, depth = stack[-1]
        tok = next(values, None)
        if tok is None:
            stack.pop()
            continue
        flat.append(tok)
        if tok.type == "function":
            children = tok.arguments
        elif tok.type in _BLOCKS:
            children = tok.content
        else:
            continue
        top_level = len(stack) == 1
        level = 0 if rule_blocks_free and top_level and tok.type == "{} block" else depth + 1
        if level > MAX_NESTING:
            too_deep = too_deep or tok
            continue
        stack.append((iter(children), level))
    return flat, too_deep


def refused_url_protocol(url: str, url_spec) -> str | None:
    """The protocol of a CSS ``url()`` the rules refuse, or None when the URL is allowed.

    The protocol is read as the official validator reads it (:func:`amp_publisher.core.amp.urls.
    url_protocol`: anything before the first ``:``), so ``url('x[a];color:red;/*')`` has the
    protocol ``x[a];color`` and is refused, as the official engine refuses it; an empty or
    relative URL is allowed (``image_url_spec`` / ``font_url_spec`` in validator-main).

    Args:
        url: the URL inside ``url()``.
        url_spec: the ``UrlSpec`` (``None``: any protocol).
    """
    from amp_publisher.core.amp.urls import url_protocol

    url = url.strip()
    if not url:
        return None
    protocol = url_protocol(url)
    if protocol and url_spec is not None and protocol not in url_spec.protocols:
        return protocol
    return None


def utf8_bytes(text: str) -> int:
    """Bytes of ``text`` in UTF-8, the unit of every AMP CSS byte limit (``CdataSpec.max_bytes``,
    ``DocCssSpec.max_bytes``, ``max_bytes_per_inline_style``). A lone surrogate (which a ``str``
    can hold though no UTF-8 document can) counts as its 3-byte encoding.

    >>> utf8_bytes("a{color:red}"), utf8_bytes("p::after{content:'\u2014'}")
    (12, 23)
    """
    return len(text.encode("utf-8", "surrogatepass"))


def css_max_bytes(type_identifiers: frozenset[str] = frozenset()) -> int:
    """UTF-8 bytes of CSS a page may carry in ``<style amp-custom>`` plus every ``style``
    attribute: ``DocCssSpec.max_bytes`` of the rules (75,000 for AMP, 112,500 for transformed
    pages; spec https://amp.dev/documentation/guides-and-tutorials/learn/spec/amphtml/#maximum-size).
    """
    from amp_publisher.core.amp import rules

    return rules.load(type_identifiers).doc_css.max_bytes


def css_budget_issue(stylesheet_bytes: int, inline_bytes: int, doc_css
                     ) -> tuple[str, list[str]] | None:
    """The document's CSS byte budget (``DocCssSpec.max_bytes``), as the official engine
    checks it at the end of the document.

    Args:
        stylesheet_bytes: UTF-8 bytes of ``<style amp-custom>`` (:func:`utf8_bytes`).
        inline_bytes: UTF-8 bytes of all ``style`` attribute values.
        doc_css: the rules' :class:`~amp_publisher.core.amp.rules.DocCssSpec`.
    Returns:
        ``None`` within budget; else ``("STYLESHEET_AND_INLINE_STYLE_TOO_LONG", [total, max])``
        when inline styles count, or ``("STYLESHEET_TOO_LONG", ["style amp-custom", total,
        max])``.

    >>> from amp_publisher.core.amp.rules import doc_css
    >>> css_budget_issue(75_000, 0, doc_css()) is None, css_budget_issue(75_001, 0, doc_css())[0]
    (True, 'STYLESHEET_TOO_LONG')
    """
    total = stylesheet_bytes + inline_bytes
    if doc_css.max_bytes < 0 or total <= doc_css.max_bytes:
        return None
    if inline_bytes:
        return "STYLESHEET_AND_INLINE_STYLE_TOO_LONG", [str(total), str(doc_css.max_bytes)]
    return "STYLESHEET_TOO_LONG", [AMP_CUSTOM, str(total), str(doc_css.max_bytes)]


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace(r"\p{L}", r"\w").replace(r"\p{N}", r"\d"))


def denylist_issue(text: str, cdata: dict, tag: str) -> tuple[str, list[str]] | None:
    """The first of a ``CdataSpec``'s ``disallowed_cdata_regex`` that ``text`` matches
    (``<!--`` and ``(^|\\W)i-amphtml-`` for ``style amp-custom``), as
    ``("CDATA_VIOLATES_DENYLIST", [tag, error_message])``, or None.

    >>> from amp_publisher.core.amp.rules import tag_spec_by_name
    >>> denylist_issue(".i-amphtml-x{}", tag_spec_by_name(AMP_CUSTOM).cdata, AMP_CUSTOM)
    ('CDATA_VIOLATES_DENYLIST', ['style amp-custom', 'CSS i-amphtml- name prefix'])
    """
    for rule in cdata.get("disallowed_cdata_regex", ()):
        literal = _DENYLIST_LITERALS.get(rule["regex"])
        if literal is not None and literal not in text:
            continue  # the regex cannot match: the literal it needs is not there
        if _compiled(rule["regex"]).search(text):
            return "CDATA_VIOLATES_DENYLIST", [tag, rule["error_message"]]
    return None


#: The text each of the rules' ``disallowed_cdata_regex`` patterns cannot match without. The
#: regex runs only when the text holds it: ``(^|\W)i-amphtml-`` makes Python's ``re`` try the
#: group at every position of a stylesheet (about 0.1 ms on the reference page's 6 KB), while
#: ``in`` scans it in microseconds. A pattern not listed is always searched with its regex.
_DENYLIST_LITERALS = {r"(^|\W)i-amphtml-": "i-amphtml-", "<!--": "<!--"}


def at_rule_allowed(name: str, css_spec: dict) -> bool:
    """Whether an at-rule (name without ``@``, any case) is in the ``CssSpec``'s
    ``at_rule_spec`` list, as written (the list names ``-moz-document``) or without its vendor
    prefix (``-webkit-keyframes``); otherwise the validator reports
    ``CSS_SYNTAX_INVALID_AT_RULE`` (official pair ``feature_tests/css-moz-document``:
    ``@-moz-document`` passes, ``@-ms-document`` and ``@document`` do not).

    >>> from amp_publisher.core.amp.rules import tag_spec_by_name
    >>> spec = tag_spec_by_name(AMP_CUSTOM).cdata["css_spec"]
    >>> at_rule_allowed("-webkit-keyframes", spec), at_rule_allowed("import", spec)
    (True, False)
    >>> [at_rule_allowed(n, spec) for n in ("-moz-document", "-ms-document", "document")]
    [True, False, False]
    """
    names = {a.get("name", "").lower() for a in css_spec.get("at_rule_spec", ())}
    lower = name.lower()
    return lower in names or strip_vendor_prefix(lower) in names


def _url_issue(url: str, url_spec, tag: str) -> tuple[str, list[str]] | None:
    protocol = refused_url_protocol(url, url_spec)
    if protocol is not None:
        return ("CSS_SYNTAX_INVALID_URL_PROTOCOL", [tag, protocol])
    return None


def _token_issues(tokens, base, tag: str, url_spec, allow_important: bool,
                  rule_blocks_free: bool) -> list[CssIssue]:
    """Token-level problems anywhere in the CSS text: syntax errors, !important, url()s,
    excessive nesting."""
    issues: list[CssIssue] = []
    flat, too_deep = _walk(tokens, rule_blocks_free=rule_blocks_free)
    if too_deep is not None:
        issues.append(("CSS_EXCESSIVELY_NESTED", [tag],
                       *_abs(base, too_deep.source_line, too_deep.source_column), "ERROR"))
    for i, tok in enumerate(flat):
        kind = tok.type
        if kind == "error":
            code = {
                "bad-string": "CSS_SYNTAX_UNTERMINATED_STRING",
                "eof-in-string": "CSS_SYNTAX_UNTERMINATED_STRING",
                "bad-url": "CSS_SYNTAX_BAD_URL",
                "eof-in-url": "CSS_SYNTAX_BAD_URL",
            }.get(tok.kind)
            if code:
                issues.append((code, [tag], *_abs(base, tok.source_line, tok.source_column),
                               "ERROR"))
        elif kind == "literal" and tok.value == "\\":
            issues.append(("CSS_SYNTAX_STRAY_TRAILING_BACKSLASH", [tag],
                           *_abs(base, tok.source_line, tok.source_column), "ERROR"))
        elif kind == "literal" and tok.value == "!" and not allow_important:
            j = i + 1
            while j < len(flat) and flat[j].type in ("whitespace", "comment"):
                j += 1
            nxt = flat[j] if j < len(flat) else None
            if nxt is not None and nxt.type == "ident" and nxt.lower_value == "important":
                issues.append(("CSS_SYNTAX_DISALLOWED_IMPORTANT", [],
                               *_abs(base, tok.source_line, tok.source_column), "ERROR"))
        elif kind == "url" or (kind == "function" and tok.lower_name == "url"):
            if kind == "url":
                url = tok.value
            else:
                args = [a for a in tok.arguments if a.type not in ("whitespace", "comment")]
                if len(args) != 1 or args[0].type != "string":
                    # The official parser reads url( as one string and ")"; anything else is
                    # a bad url (feature_tests/urls_in_css: url('<link href='...'>')).
                    issues.append(("CSS_SYNTAX_BAD_URL", [tag],
                                   *_abs(base, tok.source_line, tok.source_column), "ERROR"))
                    continue
                url = args[0].value
            problem = _url_issue(url, url_spec, tag)
            if problem:
                issues.append((*problem, *_abs(base, tok.source_line, tok.source_column),
                               "ERROR"))
    return issues


def _media_issues(prelude, base, tag: str, media_spec: dict) -> list[CssIssue]:
    """Unknown media types / features in an ``@media`` prelude (warnings unless
    ``issues_as_error``)."""
    severity = "ERROR" if media_spec.get("issues_as_error") else "WARNING"
    types = {t.lower() for t in media_spec.get("type", ())}
    features = {f.lower() for f in media_spec.get("feature", ())}
    issues: list[CssIssue] = []
    for tok in prelude:
        if tok.type == "ident" and tok.lower_value not in ("and", "not", "only", "or"):
            if types and tok.lower_value not in types:
                issues.append(("CSS_SYNTAX_DISALLOWED_MEDIA_TYPE", [tag, tok.value],
                               *_abs(base, tok.source_line, tok.source_column), severity))
        elif tok.type == "() block":
            inner = [t for t in tok.content if t.type not in ("whitespace", "comment")]
            if inner and inner[0].type == "ident":
                name = inner[0].lower_value
                if features and name not in features and not name.startswith("-"):
                    issues.append(("CSS_SYNTAX_DISALLOWED_MEDIA_FEATURE", [tag, inner[0].value],
                                   *_abs(base, inner[0].source_line, inner[0].source_column),
                                   severity))
    return issues


def strip_vendor_prefix(name: str) -> str:
    """``-webkit-keyframes`` -> ``keyframes``: the name the official CSS parser matches at-rules
    and properties by (parse-css.js ``stripVendorPrefix``: a leading ``-``, the vendor, ``-``).

    Source: official test pair ``feature_tests/style_amp_keyframes_passing`` (``@-webkit-``,
    ``@-moz-``, ``@-o-keyframes`` pass).

    >>> strip_vendor_prefix("-webkit-keyframes"), strip_vendor_prefix("media")
    ('keyframes', 'media')
    """
    if name.startswith("-"):
        end = name.find("-", 1)
        if end > 1:
            return name[end + 1:]
    return name


def _rule_issues(nodes, base, tag: str, css_spec: dict, depth: int = 0) -> list[CssIssue]:
    tc = _tinycss2()
    issues: list[CssIssue] = []
    if depth > MAX_NESTING:
        return issues  # reported as CSS_EXCESSIVELY_NESTED by _token_issues
    at_rules = {a.get("name", "").lower(): a for a in css_spec.get("at_rule_spec", ())}
    for node in nodes:
        kind = node.type
        if kind == "error":
            if "EOF" in node.message or "eof" in node.kind:
                issues.append(("CSS_SYNTAX_EOF_IN_PRELUDE_OF_QUALIFIED_RULE", [tag],
                               *_abs(base, node.source_line, node.source_column), "ERROR"))
        elif kind == "at-rule":
            if not at_rule_allowed(node.lower_at_keyword, css_spec):
                issues.append(("CSS_SYNTAX_INVALID_AT_RULE", [tag, node.at_keyword],
                               *_abs(base, node.source_line, node.source_column), "ERROR"))
                continue
            spec = (at_rules.get(node.lower_at_keyword)
                    or at_rules[strip_vendor_prefix(node.lower_at_keyword)])
            if node.lower_at_keyword == "media" and spec.get("media_query_spec"):
                issues += _media_issues(node.prelude, base, tag, spec["media_query_spec"])
            if node.content is None:
                continue
            name = strip_vendor_prefix(node.lower_at_keyword)
            if name in ("media", "supports", "document"):
                inner = tc.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True)
                issues += _rule_issues(inner, base, tag, css_spec, depth + 1)
            elif name == "keyframes":
                inner = tc.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True)
                for rule in inner:
                    if rule.type == "qualified-rule":
                        issues += _declaration_issues(rule.content, base, tag)
            else:
                issues += _declaration_issues(node.content, base, tag)
        elif kind == "qualified-rule":
            issues += _declaration_issues(node.content, base, tag)
    return issues


def _declaration_issues(content, base, tag: str) -> list[CssIssue]:
    """Declaration-list problems: AMP's CSS parser has no nesting, so a nested rule is an
    incomplete declaration; a name without ``:`` is an invalid declaration."""
    tc = _tinycss2()
    issues: list[CssIssue] = []
    items = tc.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True)
    for item in items:
        if item.type == "qualified-rule":
            issues.append(("CSS_SYNTAX_INCOMPLETE_DECLARATION", [tag],
                           *_abs(base, item.source_line, item.source_column), "ERROR"))
        elif item.type == "error" and item.kind == "invalid":
            issues.append(("CSS_SYNTAX_INVALID_DECLARATION", [tag],
                           *_abs(base, item.source_line, item.source_column), "ERROR"))
    return issues


def check_stylesheet(
    text: str, css_spec: dict, tag: str, base: tuple[int, int], url_spec=None,
    allow_important: bool = False,
) -> list[CssIssue]:
    """Check the text of a ``<style>`` element against its tag spec's ``css_spec``.

    Args:
        text: the stylesheet (the element's text content).
        css_spec: the ``CssSpec`` dict from the tag spec's ``cdata``.
        tag: the tag spec's name for messages (``"style amp-custom"``).
        base: (line, column) of the first character of ``text`` in the document.
        url_spec: the :class:`~amp_publisher.core.amp.rules.UrlSpec` for ``url()`` values.
        allow_important: from ``css_spec.allow_important`` / ``DocCssSpec``.
    Returns:
        A list of :data:`CssIssue`, in document order.
    """
    tc = _tinycss2()
    tokens = tc.parse_component_value_list(text, skip_comments=True)
    issues = _token_issues(tokens, base, tag, url_spec, allow_important, rule_blocks_free=True)
    # One tokenization serves both passes (tinycss2 parses rules from component values too).
    nodes = tc.parse_stylesheet(tokens, skip_comments=True, skip_whitespace=True)
    issues += _rule_issues(nodes, base, tag, css_spec)
    issues.sort(key=lambda i: (i[2], i[3]))
    return issues


def check_inline_style(value: str, tag: str, url_spec=None) -> list[tuple[str, list[str]]]:
    """Check a ``style`` attribute value (a declaration list): ``!important``, url protocols.

    Returns:
        ``[(code, params)]``; the validator reports them at the tag's position.
    """
    tc = _tinycss2()
    tokens = tc.parse_component_value_list(value, skip_comments=True)
    return [(code, params) for code, params, *_ in
            _token_issues(tokens, (1, 0), tag, url_spec, allow_important=False,
                          rule_blocks_free=False)]


def value_issues(tokens, url_spec, tag: str = AMP_CUSTOM) -> list[tuple[str, list[str]]]:
    """The token-level checks of a declaration value or list (tinycss2 component values or
    CSS text): syntax errors, ``!important``, ``url()`` protocols, excessive nesting; as
    ``[(code, params)]``. The same checks as :func:`check_inline_style` and, inside a
    stylesheet, :func:`check_stylesheet`.

    >>> from amp_publisher.core.amp.rules import doc_css
    >>> value_issues("url(ftp://x.example/a.png)", doc_css().image_url_spec)
    [('CSS_SYNTAX_INVALID_URL_PROTOCOL', ['style amp-custom', 'ftp'])]
    """
    if isinstance(tokens, str):
        tokens = _tinycss2().parse_component_value_list(tokens, skip_comments=True)
    return [(code, params) for code, params, *_ in
            _token_issues(tokens, (1, 0), tag, url_spec, allow_important=False,
                          rule_blocks_free=False)]


def inline_style_issues(value: str, tag: str, doc_css) -> list[tuple[str, list[str]]]:
    """Every check of a ``style`` attribute (``value_doc_css``): its byte limit
    (``max_bytes_per_inline_style``, ``INLINE_STYLE_TOO_LONG``), the ``i-amphtml-`` denylist
    and :func:`check_inline_style`.

    Args:
        value: the attribute value; tag: the tag's descriptive name for messages;
        doc_css: the rules' :class:`~amp_publisher.core.amp.rules.DocCssSpec`.
    """
    issues: list[tuple[str, list[str]]] = []
    size = utf8_bytes(value)
    limit = doc_css.max_bytes_per_inline_style
    if limit >= 0 and size > limit:
        issues.append(("INLINE_STYLE_TOO_LONG", [tag, str(size), str(limit)]))
    if "i-amphtml-" in value:
        issues.append(("CDATA_VIOLATES_DENYLIST", [tag, "CSS i-amphtml- name prefix"]))
    issues += check_inline_style(value, tag, doc_css.image_url_spec)
    return issues


@lru_cache(maxsize=32)
def stylesheet_issues(text: str, spec_name: str = AMP_CUSTOM,
                      type_identifiers: frozenset[str] = frozenset()) -> tuple[CssIssue, ...]:
    """:func:`check_stylesheet` of one stylesheet text against the ``css_spec`` of the tag spec
    ``spec_name``, positions relative to the text (line 1, column 0).

    Cached: every page of a site carries the same theme stylesheet, so a warm Lambda checks it
    once (CSS tokenizing is the largest part of validating a typical page).
    """
    from amp_publisher.core.amp import rules as _rules

    rules = _rules.load(type_identifiers)
    spec = rules.by_spec_name[spec_name]
    css_spec = spec.cdata["css_spec"]
    return tuple(check_stylesheet(text, css_spec, spec.descriptive_name, (1, 0),
                                  rules.doc_css.image_url_spec,
                                  allow_important=css_spec.get("allow_important", False)))


def amp_custom_issues(text: str) -> list[tuple[str, list[str]]]:
    """The ERRORs the validator reports for ``text`` as (part of) ``<style amp-custom>``, byte
    budget aside: the cdata denylist (:func:`denylist_issue`) and :func:`stylesheet_issues`
    (warnings, such as an unknown media feature, are left out: they do not fail a page).
    The converter keeps a rule only when this is empty.

    >>> amp_custom_issues("p{color:red}"), amp_custom_issues("@import url(x.css);")[0][0]
    ([], 'CSS_SYNTAX_INVALID_AT_RULE')
    """
    from amp_publisher.core.amp import rules as _rules

    spec = _rules.tag_spec_by_name(AMP_CUSTOM)
    issues: list[tuple[str, list[str]]] = []
    denied = denylist_issue(text, spec.cdata, spec.descriptive_name)
    if denied:
        issues.append(denied)
    issues += [(code, params) for code, params, _l, _c, severity in stylesheet_issues(text)
               if severity == "ERROR"]
    return issues
