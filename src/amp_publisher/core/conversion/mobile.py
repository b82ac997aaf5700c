"""Mobile fit of body CSS: no fixed width may make a page wider than a phone, and presentational
styles the theme already provides are dropped (issue 14 item 3).

Applied by the style step (:mod:`~amp_publisher.core.conversion.styles`) to every sanitised
``style`` attribute and ``<style>`` rule before it moves into ``<style amp-custom>``:

* ``width: <length>`` with an absolute length (``px``, ``pt``, ``pc``, ``cm``, ``mm``, ``in``,
  ``q``, ``em``, ``rem``) becomes ``max-width: <length>``: the box keeps the author's width on a
  wide screen and shrinks on a phone (a ``figure`` of ``width:840px`` made pages 858 px wide).
  ``min-width`` of such a length is dropped (it can only force overflow), and so are
  horizontal margins and paddings of such a length (Blogger's ``margin-left:1em`` on the link
  around a full-width image pushes it past the edge; ``auto`` centring stays); ``height`` and
  ``min-height`` of such a length are dropped (text re-wraps on a narrow screen and a fixed
  height clips it or leaves a gap). Percentages, ``vw``, ``auto`` and ``calc()`` stay.
* :data:`THEME_PROPERTIES` (fonts, sizes, line height, paragraph margins: what a theme sets for
  the whole column) are dropped, and so are declarations that only restate the initial value
  (:data:`DEFAULT_VALUES`: Google Docs writes ``font-weight:400;font-style:normal;…`` on every
  span). What an editor means — bold, italics, colour, alignment, strike-through — stays.

Example:
    >>> fit_declarations("width:840px;height:300px;color:#c00;font-family:Arial;"
    ...                  "font-weight:400")
    ('max-width:840px;color:#c00', ['width:840px became max-width (mobile fit)', \
'height:300px removed (mobile fit)', 'font-family removed (the theme sets it)', \
'font-weight:400 removed (the default)'])
"""

from __future__ import annotations

import re

from lxml import etree

from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.tree import iter_elements, new_element, tag_of

__all__ = ["MOBILE_RULE", "THEME_PROPERTIES", "DEFAULT_VALUES", "TABLE_WRAPPER_CLASS",
           "fit_declarations",
           "fit_stylesheet", "WideContentStep"]

MOBILE_RULE = "https://amp.dev/documentation/guides-and-tutorials/develop/style_and_layout/responsive_design/"
"""The ``rule`` of mobile-fit entries: AMP's responsive design guide (docs/conversion.md,
"Mobile fit", says what this converter does)."""

TABLE_WRAPPER_CLASS = "table"
"""Class of the ``<div>`` put around each outermost body table: the theme scrolls it sideways
(``.article-body .table { overflow-x: auto }``, as for the article's table blocks), so a table
wider than the phone scrolls inside the column instead of widening the page."""

THEME_PROPERTIES = frozenset({
    "font-family", "line-height", "font", "letter-spacing", "word-spacing",
    "margin-top", "margin-bottom", "text-indent", "font-variant-ligatures",
    "font-variant-east-asian", "font-variant-numeric", "font-kerning", "font-stretch",
})
"""Properties the theme sets for the whole column: a body's own values (Word's Calibri, Google
Docs' Arial and ``line-height:1.38``) would only fight it. ``font-size`` joins them when it is a
fixed size (``11pt``, ``14px``, ``medium``); a relative one (``2em``, ``120%``, ``smaller``) is
the author's emphasis and stays."""

_FIXED_FONT_SIZE = re.compile(r"^(\d*\.?\d+(px|pt|pc|cm|mm|in|q)|xx-small|x-small|small|medium|"
                              r"large|x-large|xx-large|xxx-large)$")

DEFAULT_VALUES = {
    "font-weight": {"normal", "400"},
    "font-style": {"normal"},
    "font-variant": {"normal"},
    "text-decoration": {"none"},
    "text-decoration-line": {"none"},
    "vertical-align": {"baseline"},
    "background-color": {"transparent", "initial"},
    "background": {"transparent", "none"},
    "white-space": {"pre-wrap", "normal"},
    "color": {"#000", "#000000", "black", "rgb(0,0,0)", "windowtext", "inherit"},
    "text-align": {"start"},
    "border": {"none", "0"},
    "float": {"none"},
}
"""Values that restate what a browser or the theme does anyway (property → values, lower case,
spaces removed): dropped so identical spans do not each need a class."""

_ABSOLUTE_LENGTH = re.compile(r"^\d*\.?\d+(px|pt|pc|cm|mm|in|q|em|rem)$", re.IGNORECASE)
_PROPERTY = re.compile(r"^\s*([-A-Za-z0-9_]+)\s*:(.*)$", re.DOTALL)


def _split(css: str) -> list[str]:
    """Declarations of a sanitised declaration list (``prop:value;prop:value``): split on ``;``
    outside strings and parentheses (sanitised values may hold ``url("a;b")``)."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(css):
        if quote:
            if char == quote and css[i - 1] != "\\":
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == ";" and depth == 0:
            parts.append(css[start:i])
            start = i + 1
    parts.append(css[start:])
    return [p for p in parts if p.strip()]


def fit_declarations(css: str) -> tuple[str, list[str]]:
    """A sanitised declaration list made to fit a phone, without what the theme provides.

    Args:
        css: declarations as :func:`~amp_publisher.core.conversion.styles.sanitize_declarations`
            writes them (``prop:value;prop:value``).

    Returns:
        ``(css, notes)``: the declarations kept or rewritten, and one note per change (a note
        ends with ``(mobile fit)``, ``(the theme sets it)`` or ``(the default)``).
    """
    kept: list[str] = []
    notes: list[str] = []
    for declaration in _split(css):
        match = _PROPERTY.match(declaration)
        if not match:
            kept.append(declaration)
            continue
        name, value = match.group(1).lower(), match.group(2).strip()
        compact = re.sub(r"\s+", "", value.lower())
        absolute = bool(_ABSOLUTE_LENGTH.match(compact)) and float(
            re.match(r"\d*\.?\d+", compact).group(0)) > 0
        if name == "width" and absolute:
            kept.append(f"max-width:{value}")
            notes.append(f"width:{value} became max-width (mobile fit)")
        elif name in ("min-width", "height", "min-height", "margin-left", "margin-right",
                      "padding-left", "padding-right") and absolute:
            notes.append(f"{name}:{value} removed (mobile fit)")
        elif name in THEME_PROPERTIES or (name == "font-size"
                                          and _FIXED_FONT_SIZE.match(compact)):
            notes.append(f"{name} removed (the theme sets it)")
        elif compact in DEFAULT_VALUES.get(name, ()):
            notes.append(f"{name}:{value} removed (the default)")
        else:
            kept.append(f"{name}:{value}")
    # a width turned max-width next to an author's own max-width: keep the author's (later wins)
    return ";".join(kept), notes


def fit_stylesheet(css: str) -> tuple[str, list[str]]:
    """:func:`fit_declarations` applied to every rule of a sanitised stylesheet (inside
    ``@media``/``@supports`` too); rules left empty are dropped.

    Example:
        >>> fit_stylesheet(".wrap{width:960px;margin:0 auto}@media print{p{font-size:9pt}}")
        ('.wrap{max-width:960px;margin:0 auto}', ['width:960px became max-width (mobile fit)', \
'font-size removed (the theme sets it)'])
    """
    import tinycss2

    notes: list[str] = []

    def rules(text: str) -> str:
        out: list[str] = []
        for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
            if rule.type == "qualified-rule":
                body, lost = fit_declarations(tinycss2.serialize(rule.content))
                notes.extend(lost)
                if body:
                    out.append(f"{tinycss2.serialize(rule.prelude).strip()}{{{body}}}")
            elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports") \
                    and rule.content is not None:
                inner = rules(tinycss2.serialize(rule.content))
                if inner:
                    out.append(f"@{rule.lower_at_keyword} "
                               f"{tinycss2.serialize(rule.prelude).strip()}{{{inner}}}")
            else:
                out.append(tinycss2.serialize([rule]))
        return "".join(out)

    return rules(css), notes


class WideContentStep:
    """Wraps each outermost ``<table>`` of the body in ``<div class="table">`` (see
    :data:`TABLE_WRAPPER_CLASS`); tables already in such a wrapper are left alone. Not in
    inline content, where a ``<div>`` cannot stand."""

    name = "mobile"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Wrap every outermost table below ``root``."""
        if ctx.inline:
            return
        for el in iter_elements(root):
            parent = el.getparent()
            if parent is None or tag_of(el) != "table":
                continue
            if any(tag_of(a) == "table" for a in el.iterancestors()):
                continue  # nested: the outer table's wrapper scrolls it
            if tag_of(parent) == "div" and TABLE_WRAPPER_CLASS in (parent.get("class") or
                                                                   "").split() and len(parent) == 1:
                continue
            wrapper = new_element("div", {"class": TABLE_WRAPPER_CLASS})
            parent.replace(el, wrapper)
            wrapper.append(el)  # lxml moves the tail with the element: give it back
            wrapper.tail, el.tail = el.tail, None
            ctx.reporter.record("MOBILE_FIT", "rewritten", "table", el=el,
                                detail="table wrapped in "
                                f'<div class="{TABLE_WRAPPER_CLASS}">, which scrolls sideways '
                                "on a narrow screen", rule=MOBILE_RULE)
