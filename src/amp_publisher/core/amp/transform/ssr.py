"""Server-side rendering of AMP layouts, and removal of the boilerplate where that is allowed.

What the AMP runtime does to each custom element when it starts, done before the page is
written (the AMP Optimizer's ``ServerSideRendering`` transformer, whose spec tests
``tests/test_transform_conformance.py`` runs):

* each ``amp-*`` element gets its layout's classes (``i-amphtml-layout-<layout>``, and
  ``i-amphtml-layout-size-defined`` for the layouts the page sizes), the ``i-amphtml-layout``
  attribute, the inline size of ``fixed``, ``fixed-height``, ``flex-item`` and ``fluid``
  layouts, and an ``<i-amphtml-sizer>`` for ``responsive`` (padding by aspect ratio) and
  ``intrinsic`` (an SVG of the natural size) layouts; the layout itself comes from
  :func:`amp_publisher.core.amp.layout.rendered_layout`;
* the ``sizes``, ``heights`` and ``media`` attributes, which the runtime would apply with
  script, become CSS rules in ``<style amp-custom>`` on the element's id (AMP HTML spec,
  "Layout": ``sizes``, ``heights``, ``media``);
* ``amp-audio`` gets its ``<audio controls>``;
* ``<style amp-runtime>`` is put first in the head (filled by
  :func:`amp_publisher.core.amp.transform.runtime.inline_runtime_css`);
* the boilerplate (``<style amp-boilerplate>`` and the head's ``<noscript>``) is removed and
  ``<html i-amphtml-no-boilerplate>`` set, unless something still needs the runtime before the
  page may show: a render-delaying extension (``amp-story``, ``amp-dynamic-css-classes``, an
  ``amp-experiment`` with experiments), an element whose layout is not known, or a
  ``sizes``/``heights``/``media`` value that cannot be turned into CSS (or whose CSS would not
  fit the 75,000-byte ``amp-custom`` budget).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field

from lxml import etree

from amp_publisher.core.amp.layout import SIZE_DEFINED_LAYOUTS, CssLength, rendered_layout
from amp_publisher.core.amp.transform.document import Document, new_element, walk

__all__ = ["server_side_render", "RENDER_DELAYING_EXTENSIONS", "CUSTOM_CSS_MAX_BYTES"]

#: Extensions that keep the page hidden until they ran (the runtime's render-delaying services).
RENDER_DELAYING_EXTENSIONS = frozenset({"amp-dynamic-css-classes", "amp-experiment", "amp-story"})
#: The ``<style amp-custom>`` budget of AMP pages (validator rules, ``max_bytes``).
CUSTOM_CSS_MAX_BYTES = 75_000
#: The characters trimmed around values (whitespace and ``;``), as the optimizer trims them.
_TRIM = " \t\n\r\0\x0b;"
#: One ``sizes``/``heights`` entry that has a media condition: ``(cond) length``.
_CONDITIONED = re.compile(r"\s*(?P<media>\(.*\))\s+(?P<value>.*)\s*")


class _Unconvertible(ValueError):
    """A ``sizes``/``heights`` value that has no CSS equivalent."""


@dataclass
class _Rule:
    """One CSS rule: ``media{selectors{declaration}}``."""

    media: str
    selectors: list[str]
    declaration: str

    def css(self) -> str:
        rule = f"{','.join(self.selectors)}{{{self.declaration}}}"
        return f"{self.media}{{{rule}}}" if self.media else rule


@dataclass
class _Rules:
    """The rules the attributes became, in order; ``display:none`` rules under the same media
    query share one rule (the only merge that keeps the cascade as it was)."""

    rules: list[_Rule] = field(default_factory=list)

    def add(self, rule: _Rule) -> None:
        if rule.declaration == "display:none":
            for existing in self.rules:
                if existing.media == rule.media and existing.declaration == "display:none":
                    existing.selectors.extend(s for s in rule.selectors
                                              if s not in existing.selectors)
                    return
        self.rules.append(rule)

    def css(self) -> str:
        return "".join(rule.css() for rule in self.rules)


def _declaration(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r" ?([:;]) ?", r"\1", text)
    return text.strip(_TRIM)


def _per_media(value: str, selector: str, prop: str) -> list[_Rule]:
    """``sizes``/``heights`` syntax (``(cond) len, (cond) len, default``) as CSS rules: the
    default first, then each condition from the last to the first, so the first matching
    condition wins as in the attribute.

    Raises:
        _Unconvertible: an entry without a media condition before the default, or empty.
    """
    if not value:
        return []
    entries = value.split(",")
    default = entries.pop().strip(_TRIM)
    if not default:
        raise _Unconvertible(value)
    rules = [_Rule("", [selector], _declaration(f"{prop}:{default}"))]
    for entry in reversed(entries):
        m = _CONDITIONED.search(entry)
        if not m:
            raise _Unconvertible(value)
        media, length = m.group("media").strip(_TRIM), m.group("value").strip(_TRIM)
        if not media or not length:
            raise _Unconvertible(value)
        rules.append(_Rule(f"@media {media}", [selector], _declaration(f"{prop}:{length}")))
    return rules


def _media_rule(value: str) -> _Rule | None:
    """``media="cond"`` as ``@media not cond{#id{display:none}}`` (``not`` needs a media type,
    so a bare condition gets ``all and``)."""
    value = value.strip(_TRIM)
    if not value:
        return None
    negated = re.match(r"not\s+", value, re.IGNORECASE)
    if negated:
        return _Rule(f"@media {value[negated.end():]}", [], "display:none")
    if value.startswith("("):
        value = "all and " + value
    return _Rule(f"@media not {value}", [], "display:none")


def _attribute_css(doc: Document, el: etree._Element, sizes_without_srcset: bool,
                   ) -> tuple[list[_Rule], list[str]] | None:
    """The CSS rules for the element's ``sizes``, ``heights`` and ``media``, and the attributes
    to remove once its layout is applied; ``None`` when one of them cannot become CSS.

    The optimizer drops a ``sizes`` without ``srcset`` with no rule (HTML ignores it on an
    ``<img>``); with ``sizes_without_srcset`` it becomes the element's width as for any other,
    which is what the AMP runtime does with it (``applySizesAndMediaQuery`` sets the width from
    ``sizes`` whatever ``srcset`` says). With ``disable-inline-width`` it stays (the runtime
    then leaves the width alone).
    """
    rules: list[_Rule] = []
    remove: list[str] = []
    try:
        for name, value in list(el.attrib.items()):
            if name == "sizes":
                if el.get("disable-inline-width") is not None:
                    continue
                if el.get("srcset") or sizes_without_srcset:
                    rules += _with_id(doc, el, _per_media(value, "#__ID__", "width"))
                remove.append(name)
            elif name == "heights":
                rules += _with_id(doc, el, _per_media(value, "#__ID__>:first-child",
                                                      "padding-top"))
                remove.append(name)
            elif name == "media":
                rule = _media_rule(value)
                if rule is not None:
                    ident = doc.element_id(el)
                    rule.selectors = [f"#{ident}"]
                    rules.append(rule)
                remove.append(name)
    except _Unconvertible:
        return None
    return rules, remove


def _with_id(doc: Document, el: etree._Element, rules: list[_Rule]) -> list[_Rule]:
    if rules:
        ident = doc.element_id(el)
        for rule in rules:
            rule.selectors = [s.replace("__ID__", ident) for s in rule.selectors]
    return rules


def _add_class(el: etree._Element, name: str) -> None:
    current = (el.get("class") or "").strip()
    el.set("class", f"{current} {name}" if current else name)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _apply_layout(el: etree._Element) -> bool:
    """Lay one custom element out as the runtime would; False when its layout is unknown."""
    found = rendered_layout(el.tag, dict(el.attrib))
    if found is None:
        return False
    layout, width, height = found
    if layout == "responsive":  # transformed pages must name it (the validator's rule)
        el.set("layout", layout)
    if el.tag == "amp-audio":  # the runtime sizes audio from its controls
        return True
    _add_class(el, f"i-amphtml-layout-{layout}")
    if layout in SIZE_DEFINED_LAYOUTS:
        _add_class(el, "i-amphtml-layout-size-defined")
    style = ""
    if layout == "nodisplay":
        el.set("hidden", "hidden")
    elif layout == "fixed":
        style = f"width:{width.css()};height:{height.css()};"
    elif layout == "fixed-height":
        style = f"height:{height.css()};"
    elif layout == "fluid":
        style = "width:100%;height:0;"
        _add_class(el, "i-amphtml-layout-awaiting-size")
    elif layout == "flex-item":
        style = (f"width:{width.css()};" if width.is_set else "") + \
            (f"height:{height.css()};" if height.is_set else "")
    if style:
        el.set("style", style + (el.get("style") or ""))
    el.set("i-amphtml-layout", layout)
    _add_sizer(el, layout, width, height)
    return True


def _add_sizer(el: etree._Element, layout: str, width: CssLength, height: CssLength) -> None:
    """``<i-amphtml-sizer>``, first child: the box's height as padding for ``responsive``, an
    SVG of the natural size for ``intrinsic`` (the runtime's ``applyStaticLayout``)."""
    if (not width.is_set or width.is_auto or width.numeral == 0 or not height.is_set
            or height.is_auto or width.unit != height.unit):
        return
    if layout == "responsive":
        style = "display:block"
        if el.get("heights") is None:  # the heights rules give the padding instead
            padding = f"{round(height.numeral / width.numeral * 100, 4):.4f}"
            style += f";padding-top:{padding.rstrip('0').rstrip('.')}%"
        sizer = new_element("i-amphtml-sizer", {"slot": "i-amphtml-svc", "style": style})
    elif layout == "intrinsic":
        svg = (f'<svg height="{_number(height.numeral)}" width="{_number(width.numeral)}" '
               'xmlns="http://www.w3.org/2000/svg" version="1.1"/>')
        sizer = new_element("i-amphtml-sizer", {"slot": "i-amphtml-svc",
                                                "class": "i-amphtml-sizer"})
        sizer.append(new_element("img", {
            "alt": "", "aria-hidden": "true", "class": "i-amphtml-intrinsic-sizer",
            "role": "presentation",
            "src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()}))
    else:
        return
    sizer.tail, el.text = el.text, None
    el.insert(0, sizer)


def _experiment_used(el: etree._Element) -> bool:
    """An ``amp-experiment`` delays rendering only when its JSON names experiments."""
    script = next((c for c in el if c.tag == "script"
                   and (c.get("type") or "").lower() == "application/json"), None)
    if script is None or len(script):
        return False
    try:
        config = json.loads(script.text or "")
    except ValueError:
        return False
    return isinstance(config, dict) and bool(config)


def _custom_style(doc: Document) -> etree._Element | None:
    return next((el for el in doc.head if el.tag == "style" and el.get("amp-custom") is not None),
                None)


def server_side_render(doc: Document, *, sizes_without_srcset: bool = False) -> bool:
    """Render the layouts of ``doc`` server-side and remove the boilerplate where allowed.

    Args:
        doc: the parsed page, edited in place. A page already rendered (``<html
            i-amphtml-layout>``) is left as it is.
        sizes_without_srcset: turn ``sizes`` into the element's width also when it has no
            ``srcset``, as the runtime would (the optimizer drops it; see
            :func:`_attribute_css`).
    Returns:
        True when the boilerplate was removed (the page shows without waiting for the
        runtime).
    """
    html = doc.html
    if html.get("i-amphtml-layout") is not None:
        return html.get("i-amphtml-no-boilerplate") is not None
    html.set("i-amphtml-layout", "")
    custom = _custom_style(doc)
    budget = CUSTOM_CSS_MAX_BYTES - len(((custom.text or "") if custom is not None else "")
                                        .encode())
    rules = _Rules()
    can_remove = True
    for el in walk(doc.body):
        if not el.tag.startswith("amp-"):
            continue
        if el.tag == "amp-experiment" and _experiment_used(el):
            can_remove = False
        if el.tag == "amp-audio" and not any(c.tag == "audio" for c in el):
            el.append(new_element("audio", {"controls": ""}))
        adapted = _attribute_css(doc, el, sizes_without_srcset)
        if adapted is not None:
            new_rules, remove = adapted
            size = sum(len(r.css().encode()) for r in new_rules)
            if size > budget:
                adapted = None
            else:
                budget -= size
                for rule in new_rules:
                    rules.add(rule)
        if adapted is None:
            can_remove = False
        if not _apply_layout(el):
            can_remove = False
            continue
        for name in adapted[1] if adapted is not None else ():
            del el.attrib[name]
    css = rules.css()
    if css:
        if custom is None:
            custom = new_element("style", {"amp-custom": ""})
            doc.head.append(custom)
        custom.text = (custom.text or "") + css
    marker = new_element("style", {"amp-runtime": ""})
    marker.tail, doc.head.text = doc.head.text, None
    doc.head.insert(0, marker)
    for el in doc.head:
        name = el.get("custom-element") if el.tag == "script" else None
        if name in RENDER_DELAYING_EXTENSIONS and name != "amp-experiment":
            can_remove = False
    if not can_remove:
        return False
    html.set("i-amphtml-no-boilerplate", "")
    for el in list(doc.head.iter("noscript", "style")):
        if el.tag == "noscript" or any(el.get(a) is not None for a in (
                "amp-boilerplate", "amp4ads-boilerplate", "amp4email-boilerplate")):
            _remove(el)
    return True


def _remove(el: etree._Element) -> None:
    """Remove ``el``, keeping its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
