"""Step 9: CSS in the body (``style`` attributes, ``<style>`` blocks) moved to ``css``.

**Decision (issue 4 item 3): move, sanitised, within a budget the caller gives.** A publisher
wants the emphasis, alignment and colours an editor set in the CMS to survive, but not at the
price of an invalid page or of the theme's own styles. So:

* ``<style>`` blocks are removed from the body and their rules appended to
  :attr:`ConversionResult.css` (the renderer puts it into ``<style amp-custom>`` after the
  theme's CSS).
* ``style="…"`` attributes are replaced by a class ``amp-s-<hash>`` (8 hex digits of the SHA-1 of
  the declarations, so identical styles share one rule and output is deterministic) and a rule
  ``.amp-s-<hash>{…}`` in ``css``. AMP would accept inline styles, but classes deduplicate (Word
  pastes the same ``style`` hundreds of times) and keep the markup cacheable and readable.
* Sanitising (AMP spec "Stylesheets", validator CSS spec): ``!important`` is removed (AMP forbids
  it); ``behavior``, ``-moz-binding`` and IE ``filter: progid:…`` declarations are removed
  (forbidden); Word's ``mso-*`` properties are removed (no browser reads them). At-rules the rules
  do not list for ``<style amp-custom>`` (``@import``: external CSS is not allowed; ``@charset``,
  ``@namespace``) are removed; the listed ones are kept, their content sanitised as below:
  ``@media``, ``@supports``, ``@font-face``, ``@page``, ``@-moz-document`` and ``@keyframes`` (also
  vendor-prefixed, ``@-webkit-keyframes``), except keyframes named like the AMP boilerplate's
  ``-amp-start`` (redefined, they could keep the page hidden). Every declaration and rule is then
  checked as it will be *written* (re-tokenized) by the validator's own functions
  (:mod:`amp_publisher.core.amp.css`: ``value_issues``, ``at_rule_allowed``, ``denylist_issue``):
  parse errors (bad ``url()``, bad or unterminated strings), ``url()`` with a protocol the rules'
  ``image_url_spec`` lacks (also in ``image-set()`` and ``@font-face src``), at-rules the rules do
  not list, ``<!--`` and ``i-amphtml-`` (AMP's internal names, also in selectors), excessive
  nesting; the converter refuses besides ``url()``/``!`` in selectors and at-rules nested deeper
  than :data:`MAX_CSS_NESTING` (the validator's own limit). What else the validator passes in
  author CSS, the converter keeps: the policy removals above are the only exceptions
  (docs/conformance.md). Each drops that declaration or rule, never the page, and is reported with
  the validator's code (``CSS_SYNTAX_INVALID_URL_PROTOCOL``, ``CSS_SYNTAX_DISALLOWED_IMPORTANT``
  ...; policy removals as ``CSS_SYNTAX_DISALLOWED_PROPERTY_VALUE``). Finally each block and class
  rule goes through :func:`~amp_publisher.core.amp.css.amp_custom_issues`, the validator's check of
  ``<style amp-custom>``: what the converter keeps, the validator passes.
* **Mobile fit** (:mod:`~amp_publisher.core.conversion.mobile`): fixed widths become
  ``max-width``, fixed heights and what the theme already sets (fonts, line height, default
  values) are dropped, each element's changes reported as one ``MOBILE_FIT`` entry.
* **Budget**: AMP allows ``DocCssSpec.max_bytes`` (75,000) UTF-8 bytes of CSS per page
  (:func:`~amp_publisher.core.amp.css.css_max_bytes`, counted with
  :func:`~amp_publisher.core.amp.css.utf8_bytes`, as the validator counts), and the theme's CSS
  has priority. The renderer knows the theme's size, so it passes ``css_budget`` = that limit −
  theme bytes to :func:`~amp_publisher.core.conversion.convert_html`. When the body's CSS is
  larger, ``<style>`` blocks are dropped first (pasted site stylesheets, rarely essential), then
  attribute rules from the end, each reported as ``STYLESHEET_TOO_LONG``, and their classes
  removed from the elements. With ``css_budget=None`` nothing is dropped here and the renderer
  must check the total.
* **Reading bound**: sanitising costs about 7 ms of CPU per KB of CSS (tokenizing, then the
  validator's checks per rule), so a 2 MB pasted stylesheet took 15 s. CSS is read in document
  order until its raw text passes :data:`CSS_READ_FACTOR` times ``css_budget`` (a ``style``
  value repeated on many elements counts once: it becomes one shared class rule); what comes
  after (a ``<style>`` block, a ``style`` attribute) is removed unread and reported as
  ``STYLESHEET_TOO_LONG``: that much distinct CSS could not fit the budget after sanitising
  anyway, short of being mostly comments or rules AMP refuses.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<p style="text-align:center !important; mso-line-height:1">x</p>')
    >>> StyleStep().run(root, ctx)
    >>> serialize_children(root), ctx.css
    ('<p class="amp-s-91a87015">x</p>', ['.amp-s-91a87015{text-align:center}'])
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from lxml import etree

from amp_publisher.core.amp.css import (
    AMP_CUSTOM,
    MAX_NESTING,
    amp_custom_issues,
    at_rule_allowed,
    denylist_issue,
    strip_vendor_prefix,
    utf8_bytes,
    value_issues,
)
from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.mobile import MOBILE_RULE, fit_declarations, fit_stylesheet
from amp_publisher.core.conversion.report import AMP_SPEC_URL, remove_element
from amp_publisher.core.conversion.tree import iter_elements, tag_of

__all__ = ["STYLE_CLASS_PREFIX", "MAX_CSS_NESTING", "StyleStep", "sanitize_declarations",
           "sanitize_stylesheet"]

STYLE_CLASS_PREFIX = "amp-s-"
"""Prefix of the classes that replace ``style`` attributes."""

_RULE = AMP_SPEC_URL + "#stylesheets"
_FORBIDDEN_PROPERTIES = frozenset({"behavior", "-moz-binding"})
#: At-rules whose content is a list of rules (sanitised rule by rule); the other at-rules the
#: rules list hold declarations (``@font-face``, ``@page``).
_GROUPING_AT_RULES = frozenset({"media", "supports", "keyframes", "-moz-document"})


MAX_CSS_NESTING = MAX_NESTING
"""Levels of ``@media``/``@supports``/``@keyframes`` nesting kept; deeper blocks are dropped
(reported). The validator's own limit (:data:`amp_publisher.core.amp.css.MAX_NESTING`, the
official parser's): a stylesheet nested that deep passes it, so the converter keeps it; tinycss2
parses blocks recursively, so thousands of levels would exhaust the interpreter's stack."""

_CSS_DEPTH_EXCEEDED = "nested too deeply to read (dropped whole)"


def _tinycss2():
    import tinycss2  # deferred: only bodies with CSS need it

    return tinycss2


#: ``(report code, description)`` of one dropped or changed piece of CSS. The code is the
#: validator's when the validator's own check refused it (:mod:`amp_publisher.core.amp.css`).
Dropped = tuple[str, str]

_POLICY = "CSS_SYNTAX_DISALLOWED_PROPERTY_VALUE"  # removed by policy (module doc), not invalid
_IMPORTANT = "CSS_SYNTAX_DISALLOWED_IMPORTANT"
_INVALID = "CSS_SYNTAX_INVALID_DECLARATION"
_NESTED = "CSS_EXCESSIVELY_NESTED"


def _rules():
    from amp_publisher.core.amp import rules  # deferred with the rules data

    return rules


def _url_spec():
    """What ``url()`` may hold in CSS: the rules' ``image_url_spec``."""
    return _rules().load().doc_css.image_url_spec


def _css_spec() -> dict:
    """The ``CssSpec`` of ``<style amp-custom>`` (at-rules the page may use)."""
    return _rules().tag_spec_by_name(AMP_CUSTOM).cdata["css_spec"]


def _component_values(tokens) -> Iterator:
    """Every component value in ``tokens``, depth first, into functions and blocks; iterative,
    so any nesting the tokenizer produced is walked without recursion."""
    stack = [iter(tokens)]
    while stack:
        for token in stack[-1]:
            yield token
            if token.type == "function":
                stack.append(iter(token.arguments))
                break
            if token.type in ("() block", "[] block", "{} block"):
                stack.append(iter(token.content))
                break
        else:
            stack.pop()


def _validator_problem(issues: list[tuple[str, list[str]]]) -> Dropped | None:
    """The first validator issue as ``(code, the validator's message)``, or None."""
    if not issues:
        return None
    code, params = issues[0]
    return code, _rules().error_message(code, params)


def _css_problem(tokens, *, selector: bool = False) -> Dropped | None:
    """Why CSS would be refused by the AMP validator (or could break out of ``<style>``), or
    ``None``: first the validator's own token checks
    (:func:`amp_publisher.core.amp.css.value_issues`: syntax errors, ``url()`` protocols,
    ``!important``, nesting), then what the converter refuses besides (any other tokenizer
    error, such as an unmatched bracket; ``url()`` and ``!`` in a selector)."""
    problem = _validator_problem(value_issues(tokens, _url_spec()))
    if problem:
        return problem
    for token in _component_values(tokens):
        kind = token.type
        if kind == "error":
            return _INVALID, f"invalid CSS ({token.message})"
        if selector and (kind == "url" or (kind == "function" and token.lower_name == "url")):
            return "CSS_SYNTAX_NOT_A_SELECTOR_START", "url() in a selector"
        if selector and kind == "literal" and token.value == "!":
            return "CSS_SYNTAX_NOT_A_SELECTOR_START", "a ! (as in !important) in a selector"
    return None


def _emitted_problem(text: str, *, selector: bool = False) -> Dropped | None:
    """:func:`_css_problem` of CSS text as it will be written, plus the text denylist of
    ``style amp-custom`` (``<!--``, ``i-amphtml-``; :func:`~amp_publisher.core.amp.css.
    denylist_issue`)."""
    denied = denylist_issue(text, _rules().tag_spec_by_name(AMP_CUSTOM).cdata, AMP_CUSTOM)
    if denied:
        return _validator_problem([denied])
    return _css_problem(_tinycss2().parse_component_value_list(text), selector=selector)


def sanitize_declarations(text) -> tuple[str, list[Dropped]]:
    """A declaration list made AMP-safe.

    Args:
        text: the declarations, as CSS text (a ``style`` attribute) or tinycss2 component
            values (a rule's block, so parse errors inside it are seen, not re-serialized).

    Returns:
        ``(css, dropped)``: the kept declarations as ``prop:value;prop:value`` and, for each
        dropped or changed declaration, ``(report code, description)`` (:data:`Dropped`).
        Every kept declaration passes the validator's CSS checks
        (:func:`amp_publisher.core.amp.css.value_issues`), which name the code.

    Example:
        >>> sanitize_declarations("color: red !important; behavior: url(x.htc); mso-bidi:none")
        ... # doctest: +NORMALIZE_WHITESPACE
        ('color:red', [('CSS_SYNTAX_DISALLOWED_IMPORTANT', '!important removed from color'),
         ('CSS_SYNTAX_DISALLOWED_PROPERTY_VALUE', 'behavior removed'),
         ('CSS_SYNTAX_DISALLOWED_PROPERTY_VALUE', 'mso-bidi removed')])
        >>> sanitize_declarations("color:red; background:url(ftp://x.example/a.png)")[1]
        ... # doctest: +NORMALIZE_WHITESPACE
        [('CSS_SYNTAX_INVALID_URL_PROTOCOL', "background removed: CSS syntax error in tag
          'style amp-custom' - invalid url protocol 'ftp:'.")]
    """
    tinycss2 = _tinycss2()
    from tinycss2.serializer import serialize_identifier

    kept: list[str] = []
    dropped: list[Dropped] = []
    try:
        declarations = tinycss2.parse_declaration_list(text, skip_comments=True,
                                                       skip_whitespace=True)
        for decl in declarations:
            if decl.type != "declaration":
                if decl.type == "error":
                    dropped.append((_INVALID, f"invalid CSS ({decl.message})"))
                continue
            name = decl.lower_name
            value = tinycss2.serialize(decl.value).strip()
            lower_value = value.lower()
            if (name in _FORBIDDEN_PROPERTIES or name.startswith("mso-")
                    or ("filter" in name and "progid" in lower_value)
                    or "expression(" in lower_value or "javascript:" in lower_value):
                dropped.append((_POLICY, f"{name} removed"))
                continue
            declaration = f"{serialize_identifier(name)}:{value}"
            problem = _css_problem(decl.value) or _emitted_problem(declaration)
            if problem:
                dropped.append((problem[0], f"{name} removed: {problem[1]}"))
                continue
            if decl.important:
                dropped.append((_IMPORTANT, f"!important removed from {name}"))
            if value:
                kept.append(declaration)
    except RecursionError:
        return "", [(_NESTED, _CSS_DEPTH_EXCEEDED)]
    return ";".join(kept), dropped


def _sanitize_rules(rules, dropped: list[Dropped], depth: int = 0) -> list[str]:
    tinycss2 = _tinycss2()
    out: list[str] = []
    for rule in rules:
        if rule.type == "qualified-rule":
            selector = " ".join(tinycss2.serialize(rule.prelude).split())
            problem = (_css_problem(rule.prelude, selector=True)
                       or _emitted_problem(selector, selector=True))
            if problem:
                dropped.append((problem[0], f"rule for {selector[:60]!r} removed: {problem[1]} "
                                "in its selector"))
                continue
            body, lost = sanitize_declarations(rule.content)
            dropped.extend(lost)
            if body:
                out.append(f"{selector}{{{body}}}")
        elif rule.type == "at-rule":
            name = rule.lower_at_keyword
            if not at_rule_allowed(name, _css_spec()):
                # The validator's check: CSS_SYNTAX_INVALID_AT_RULE (@import, @charset ...).
                dropped.append(("CSS_SYNTAX_INVALID_AT_RULE", f"@{name} removed"))
                continue
            prelude = " ".join(tinycss2.serialize(rule.prelude).split())
            problem = (_css_problem(rule.prelude, selector=True)
                       or _emitted_problem(prelude, selector=True))
            if problem:
                dropped.append((problem[0], f"@{name} {prelude[:60]!r} removed: {problem[1]}"))
                continue
            if strip_vendor_prefix(name) == "keyframes" and prelude.lower().startswith("-amp-"):
                # the boilerplate's animation (-amp-start): redefined, it could keep the page
                # hidden when the runtime does not load
                dropped.append((_POLICY, f"@{name} {prelude[:60]!r} removed (the AMP "
                                "boilerplate's animation name)"))
                continue
            grouping = name in _GROUPING_AT_RULES or \
                strip_vendor_prefix(name) in _GROUPING_AT_RULES
            if grouping and rule.content is not None:
                if depth >= MAX_CSS_NESTING:
                    dropped.append((_NESTED, f"@{name} nested deeper than {MAX_CSS_NESTING} "
                                    "levels removed"))
                    continue
                inner = _sanitize_rules(tinycss2.parse_rule_list(
                    rule.content, skip_comments=True, skip_whitespace=True), dropped, depth + 1)
                if inner:
                    out.append(f"@{name} {prelude}{{{''.join(inner)}}}")
            elif rule.content is not None:
                body, lost = sanitize_declarations(rule.content)
                dropped.extend(lost)
                if body:
                    out.append(f"@{name}{(' ' + prelude) if prelude else ''}{{{body}}}")
        elif rule.type == "error":
            dropped.append((_INVALID, f"invalid CSS ({rule.message})"))
    return out


def sanitize_stylesheet(text: str) -> tuple[str, list[Dropped]]:
    """A stylesheet made AMP-safe (see module doc): ``(css, dropped)`` as in
    :func:`sanitize_declarations`.

    A stylesheet nested too deeply to parse (thousands of ``@media`` or brackets) is dropped
    whole, with one entry saying so.

    Example:
        >>> sanitize_stylesheet("@import url(x.css); p { color: blue !important }")
        ... # doctest: +NORMALIZE_WHITESPACE
        ('p{color:blue}', [('CSS_SYNTAX_INVALID_AT_RULE', '@import removed'),
         ('CSS_SYNTAX_DISALLOWED_IMPORTANT', '!important removed from color')])
    """
    tinycss2 = _tinycss2()
    dropped: list[Dropped] = []
    try:
        rules = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
        return "".join(_sanitize_rules(rules, dropped)), dropped
    except RecursionError:
        return "", [*dropped, (_NESTED, _CSS_DEPTH_EXCEEDED)]


def _report_dropped(ctx: ConversionContext, el: etree._Element, dropped: list[Dropped],
                    attribute: str | None) -> None:
    # one entry per code and element: Word pastes dozens of mso-* declarations per block
    by_code: dict[str, list[str]] = {}
    for code, what in dropped:
        by_code.setdefault(code, []).append(what)
    for code, group in by_code.items():
        ctx.reporter.record(code, "removed", tag_of(el), attribute=attribute, el=el,
                            detail="CSS " + "; ".join(group), rule=_RULE)


def _checked(ctx: ConversionContext, el: etree._Element, css: str,
             attribute: str | None) -> str:
    """``css`` as it will be written into ``<style amp-custom>``, if the validator's own check
    of it (:func:`amp_publisher.core.amp.css.amp_custom_issues`) finds no error; else ``""``,
    reported with the validator's code. The sanitising above should leave nothing for this
    gate to find; it makes "what the converter keeps, the validator passes" hold for CSS by
    construction."""
    issues = amp_custom_issues(css)
    if not issues:
        return css
    code, message = _validator_problem(issues)
    ctx.reporter.record(code, "removed", tag_of(el), attribute=attribute, el=el,
                        detail=f"CSS {css[:60]!r} removed: {message}", rule=_RULE)
    return ""


def _report_fitted(ctx: ConversionContext, el: etree._Element, notes: list[str],
                   attribute: str | None) -> None:
    """One ``MOBILE_FIT`` entry per element for the mobile-fit and theme rewrites
    (:mod:`~amp_publisher.core.conversion.mobile`)."""
    if notes:
        ctx.reporter.record("MOBILE_FIT", "rewritten", tag_of(el), attribute=attribute, el=el,
                            detail="CSS " + "; ".join(notes), rule=MOBILE_RULE)


#: Raw CSS read per body, as a multiple of its ``css_budget`` (module doc, "Reading bound").
CSS_READ_FACTOR = 4


class _ReadingBound:
    """The raw CSS the conversion has read (``ctx.css_read``), against ``ctx.css_read_limit``,
    else ``CSS_READ_FACTOR × ctx.css_budget`` UTF-8 bytes (no bound without either)."""

    def __init__(self, ctx: ConversionContext) -> None:
        self.ctx = ctx
        budget = ctx.css_budget
        self.limit = ctx.css_read_limit
        if self.limit is None and budget is not None:
            self.limit = CSS_READ_FACTOR * budget
        self.detail = (f"the body's CSS passed {CSS_READ_FACTOR} times the CSS budget left by "
                       "the theme")

    def past(self, css: str) -> bool:
        """Count ``css`` as read; True when it goes past the bound (so it is not read)."""
        if self.limit is None:
            return False
        size = utf8_bytes(css)
        if self.ctx.css_read + size > self.limit:
            self.ctx.css_read = self.limit  # what follows is not read either
            return True
        self.ctx.css_read += size
        return False


class StyleStep:
    """Moves body CSS into ``ctx.css`` (module doc)."""

    name = "styles"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Move every ``<style>`` block and ``style`` attribute below ``root`` into ``ctx.css``,
        then enforce ``ctx.css_budget``."""
        blocks: list[str] = []
        classes: dict[str, str] = {}  # class name -> rule, in first-use order
        users: dict[str, list[etree._Element]] = {}
        unread = _ReadingBound(ctx)
        # style value -> (declarations kept, dropped, fitted): Word and Docs repeat one style on
        # every span, which then costs one class rule, so only its first use counts as read
        read_styles: dict[str, tuple[str, list[Any], list[str]]] = {}
        for el in iter_elements(root):
            if el.getparent() is None:
                continue
            if tag_of(el) == "style":
                if unread.past(el.text or ""):
                    remove_element(ctx.reporter, el, code="STYLESHEET_TOO_LONG",
                                   detail=f"<style> block removed unread: {unread.detail}",
                                   rule=_RULE)
                    continue
                css, dropped = sanitize_stylesheet(el.text or "")
                _report_dropped(ctx, el, dropped, None)
                css, fitted = fit_stylesheet(css) if css else (css, [])
                _report_fitted(ctx, el, fitted, None)
                # "</" would end <style amp-custom> early; "\/" is the same character in CSS
                css = _checked(ctx, el, css.replace("</", "<\\/"), None) if css else css
                if css:
                    blocks.append(css)
                remove_element(ctx.reporter, el, code="MOVED_CSS",
                               detail="<style> block moved into <style amp-custom>"
                               if css else "<style> block removed (nothing AMP allows in it)",
                               rule=_RULE)
                continue
            style = el.get("style")
            if style is None:
                continue
            known = read_styles.get(style)
            if known is None:  # a value met before is neither counted nor read again
                if unread.past(style):
                    ctx.reporter.record("STYLESHEET_TOO_LONG", "removed", tag_of(el),
                                        attribute="style", el=el, detail="style attribute "
                                        f"removed unread: {unread.detail}", rule=_RULE)
                    del el.attrib["style"]
                    continue
                decls, dropped = sanitize_declarations(style)
                decls, fitted = fit_declarations(decls) if decls else (decls, [])
                known = read_styles[style] = (decls, dropped, fitted)
            decls, dropped, fitted = known
            _report_dropped(ctx, el, dropped, "style")
            _report_fitted(ctx, el, fitted, "style")
            if not decls:
                ctx.reporter.record("MOVED_CSS", "removed", tag_of(el), attribute="style", el=el,
                                    detail="empty style attribute removed", rule=_RULE)
                del el.attrib["style"]
                continue
            name = STYLE_CLASS_PREFIX + hashlib.sha1(decls.encode()).hexdigest()[:8]
            if name not in classes:
                rule = _checked(ctx, el, f".{name}{{{decls}}}".replace("</", "<\\/"), "style")
                if not rule:
                    del el.attrib["style"]
                    continue
                classes[name] = rule
            users.setdefault(name, []).append(el)
            ctx.reporter.record("MOVED_CSS", "rewritten", tag_of(el), attribute="style", el=el,
                                detail=f"style attribute moved into <style amp-custom> as class "
                                f"{name}", rule=_RULE)
            del el.attrib["style"]
            existing = el.get("class", "").split()
            if name not in existing:
                el.set("class", " ".join([*existing, name]))
        self._enforce_budget(ctx, root, blocks, classes, users)
        ctx.css.extend(blocks)
        ctx.css.extend(classes.values())

    def _enforce_budget(self, ctx: ConversionContext, root: etree._Element, blocks: list[str],
                        classes: dict[str, str], users: dict[str, list[etree._Element]]) -> None:
        budget = ctx.css_budget
        if budget is None:
            return

        # sizes are summed once and updated as CSS is dropped: recomputing the total per drop
        # made 30,000 over-budget style attributes cost O(n²) (~20 s)
        size = sum(utf8_bytes(c) for c in (*ctx.css, *blocks, *classes.values()))
        while blocks and size > budget:
            dropped = blocks.pop()
            size -= utf8_bytes(dropped)
            ctx.reporter.record("STYLESHEET_TOO_LONG", "removed", "style",
                                detail=f"{utf8_bytes(dropped)} bytes of <style> CSS dropped: "
                                f"over the {budget}-byte CSS budget left by the theme",
                                rule=_RULE)
        while classes and size > budget:
            name = next(reversed(classes))
            rule = classes.pop(name)
            size -= utf8_bytes(rule)
            for el in users.pop(name, []):
                ctx.reporter.record("STYLESHEET_TOO_LONG", "removed", tag_of(el),
                                    attribute="style", el=el,
                                    detail=f"inline style {rule!r} dropped: "
                                    f"over the {budget}-byte CSS budget", rule=_RULE)
                remaining = [c for c in el.get("class", "").split() if c != name]
                if remaining:
                    el.set("class", " ".join(remaining))
                else:
                    del el.attrib["class"]
