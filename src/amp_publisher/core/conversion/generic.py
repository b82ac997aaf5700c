"""Step 11 (last): the generic tag-and-attribute pass, driven by the official AMP rules data.

After the specific conversions, whatever the AMP validator rules still disallow is removed or
unwrapped, as the WordPress AMP plugin's ``AMP_Tag_And_Attribute_Sanitizer`` does with the same
data. The rules come from a *rule source* (:class:`RuleSource`): by default the package's
generated rules, :mod:`amp_publisher.core.amp.rules` (one home for the rules; nothing is hand-copied
here). Per node, in document order:

* comments are removed (conditional comments and editor leftovers; never visible);
* ``title``, ``meta``, ``link``, ``base`` (document metadata pasted with a full page) are removed:
  the renderer writes the page's own head;
* a tag with no tag spec usable here (none at all, or only specs whose ``mandatory_parent`` /
  ``mandatory_ancestor`` / ``disallowed_ancestor`` rule it out) is ``DISALLOWED_TAG``: unwrapped
  so its text stays (``font``, ``center``, ``object``…), or removed with its content for the tags
  in :data:`REMOVE_WITH_CONTENT`;
* an attribute no usable tag spec lists (``data-*`` and ``aria-*`` are always allowed) is
  ``DISALLOWED_ATTR``; a value failing its attr spec (``value``, ``value_casei``,
  ``value_regex[_casei]``, ``value_url`` protocols / relative / empty,
  ``disallowed_value_regex``) is ``INVALID_ATTR_VALUE`` / ``INVALID_URL_PROTOCOL``; relative URLs
  are first resolved against ``base_url`` when one is given;
* an element missing the attributes every usable spec requires (``mandatory``,
  ``mandatory_oneof``) is ``MANDATORY_ATTR_MISSING``: AMP components are removed, plain HTML
  unwrapped;
* an AMP component whose layout attributes are invalid (AMP layout system, validator
  ``amp_layout``) is given ``layout="responsive"`` with its own or the fallback size when it
  supports that, else removed;
* every remaining element's required extension (``requires_extension`` of its tag spec or of its
  attributes) is added to the result's extensions.

Example:
    >>> from amp_publisher.core.conversion.tree import parse_fragment, serialize_children
    >>> ctx = ConversionContext()
    >>> root = parse_fragment('<center><font face="Arial">Hi</font> <a href="file:///C:/x" '
    ...                       'target="_parent" bgcolor="red">there</a></center>')
    >>> GenericStep().run(root, ctx)
    >>> serialize_children(root)
    '<center>Hi <a>there</a></center>'
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Protocol

from lxml import etree

from amp_publisher.core.amp.classes import SPEC_URL as CLASSES_SPEC_URL
from amp_publisher.core.amp.classes import has_internal_class, without_internal_classes
from amp_publisher.core.amp.layout import parse_dimension
from amp_publisher.core.amp.rules import error_message
from amp_publisher.core.amp.urls import check_url_value
from amp_publisher.core.conversion.context import ConversionContext
from amp_publisher.core.conversion.images import FALLBACK_SIZE
from amp_publisher.core.conversion.report import (
    AMP_SPEC_URL,
    remove_attribute,
    remove_element,
    set_attribute,
    unwrap_element,
)
from amp_publisher.core.conversion.tree import tag_of
from amp_publisher.core.conversion.urls import resolve_url

__all__ = ["REMOVE_WITH_CONTENT", "DOCUMENT_METADATA", "RuleSource", "GenericStep"]

REMOVE_WITH_CONTENT = frozenset(
    [
        "script", "style", "template", "object", "embed", "applet", "frame", "frameset", "param",
        "noembed", "noframes", "select", "option", "optgroup", "datalist", "xml"
    ]
)
"""Disallowed tags removed *with* their content instead of unwrapped: script/style content is not
text; plugin and frame elements only carry parameters (``object``'s fallback text is reported as
removed); ``select`` options are not prose."""

DOCUMENT_METADATA = frozenset({"title", "meta", "link", "base"})
"""Head elements that arrive in bodies pasted from whole pages; removed (the page has its own)."""

_RULE_TAGS = AMP_SPEC_URL + "#html-tags"
_RULE_ATTRS = AMP_SPEC_URL + "#attrs"
_BODY_CONTEXT = ("BODY", "HTML")  # the fragment is rendered inside <body>


class RuleSource(Protocol):
    """What the generic pass reads from the AMP rules (the module
    :mod:`amp_publisher.core.amp.rules`
    satisfies it). Tag and attribute names are lower case."""

    def tag_specs_for(self, tag_name: str) -> tuple[Any, ...]:  # pragma: no cover - protocol
        """All tag specs for the tag (objects with ``tag_name``, ``spec_name``, ``attrs``,
        ``mandatory_parent``, ``mandatory_ancestor``, ``disallowed_ancestor``,
        ``requires_extension``, ``spec_url``, ``amp_layout``)."""
        ...



def _default_rules() -> RuleSource:
    from amp_publisher.core.amp import rules  # deferred: loads the rules data (~10 ms) on first use

    return rules


def _spec_tag(name: str | None) -> str:
    """Tag part of a rule's parent/ancestor reference (``"FORM [method=POST]"`` → ``"form"``)."""
    return (name or "").split(" ", 1)[0].lower()


@lru_cache(maxsize=256)
def _compiled(pattern: str, casei: bool) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE if casei else 0)


def _value_problem(spec: Any, value: str) -> str | None:
    """Why ``value`` fails the attr spec's literal/regex checks, or ``None`` if it passes."""
    if spec.value is not None and value not in spec.value:
        return f"value must be one of {list(spec.value)}"
    if spec.value_casei is not None and value.lower() not in {v.lower() for v in spec.value_casei}:
        return f"value must be one of {list(spec.value_casei)} (any case)"
    if spec.value_regex and not _compiled(spec.value_regex, False).fullmatch(value):
        return f"value must match {spec.value_regex}"
    if spec.value_regex_casei and not _compiled(spec.value_regex_casei, True).fullmatch(value):
        return f"value must match {spec.value_regex_casei}"
    if spec.disallowed_value_regex and _compiled(spec.disallowed_value_regex, False).search(value):
        return "value is disallowed"
    return None


_ALLOWED_ATTRS: dict[tuple[int, ...], tuple[tuple[Any, ...], dict[str, Any]]] = {}


def _allowed_attrs(specs: list[Any]) -> dict[str, Any]:
    """Attribute name (and alternative name) → attr spec over the usable tag specs, the first
    spec listing a name winning; built once per combination of tag specs and process (a tag
    spec lists about 140 attributes with the global ones, and this runs for every element).
    The returned dict is shared: read it, never change it."""
    key = tuple(id(spec) for spec in specs)
    cached = _ALLOWED_ATTRS.get(key)
    if cached is None or any(a is not b for a, b in zip(cached[0], specs, strict=True)):
        allowed: dict[str, Any] = {}
        for spec in specs:
            for name, attr in spec.attrs.items():
                allowed.setdefault(name, attr)
                for alt in attr.alternative_names:
                    allowed.setdefault(alt, attr)
        cached = _ALLOWED_ATTRS[key] = (tuple(specs), allowed)
    return cached[1]


_MANDATORY_ATTRS: dict[int, tuple[Any, tuple[str, ...], dict[str, list[str]]]] = {}


def _mandatory_attrs(spec: Any) -> tuple[tuple[str, ...], dict[str, list[str]]]:
    """(the mandatory attribute names, the ``mandatory_oneof`` groups: label → names) of a tag
    spec, in rules order; built once per tag spec and process instead of scanning its ~140
    attr specs for every element. Shared: read them, never change them."""
    cached = _MANDATORY_ATTRS.get(id(spec))
    if cached is None or cached[0] is not spec:
        groups: dict[str, list[str]] = {}
        for attr in spec.attrs.values():
            if attr.mandatory_oneof:
                groups.setdefault(attr.mandatory_oneof, []).append(attr.name)
        mandatory = tuple(a.name for a in spec.attrs.values() if a.mandatory)
        cached = _MANDATORY_ATTRS[id(spec)] = (spec, mandatory, groups)
    return cached[1], cached[2]


class GenericStep:
    """Removes or unwraps whatever the AMP rules disallow (module doc)."""

    name = "generic"

    def run(self, root: etree._Element, ctx: ConversionContext) -> None:
        """Apply the rules to every node below ``root``; record needed extensions."""
        rules = ctx.rules or _default_rules()
        for node in [n for n in root.iterdescendants()]:
            if node.getparent() is None:
                continue
            if not isinstance(node.tag, str):
                remove_element(ctx.reporter, node, code="REMOVED_COMMENT",
                               detail="HTML comment removed", rule=_RULE_TAGS)
                continue
            self._element(node, rules, ctx)

    def _usable_specs(self, el: etree._Element, tag: str, rules: RuleSource) -> list[Any]:
        specs = rules.tag_specs_for(tag)
        if not specs:
            return []
        parent = el.getparent()
        parent_tag = tag_of(parent) if parent is not None and parent.getparent() is not None \
            else "body"
        ancestors: set[str] | None = None
        usable = []
        for spec in specs:
            if spec.mandatory_parent and _spec_tag(spec.mandatory_parent) != parent_tag:
                continue
            if spec.mandatory_ancestor or spec.disallowed_ancestor:
                if ancestors is None:
                    ancestors = {tag_of(a) for a in el.iterancestors()} | {"body", "html"}
                if spec.mandatory_ancestor and _spec_tag(spec.mandatory_ancestor) not in ancestors:
                    continue
                if any(_spec_tag(a) in ancestors for a in spec.disallowed_ancestor):
                    continue
            usable.append(spec)
        return usable

    def _element(self, el: etree._Element, rules: RuleSource, ctx: ConversionContext) -> None:
        tag = tag_of(el)
        rep = ctx.reporter
        if tag in DOCUMENT_METADATA and not el.tag.startswith("{"):  # svg <title> is allowed
            remove_element(rep, el, code="DISALLOWED_TAG", detail=f"<{tag}> is page metadata; "
                           "the renderer writes the page's own head", rule=_RULE_TAGS)
            return
        specs = self._usable_specs(el, tag, rules)
        if not specs:
            reason = "is not allowed in AMP" if not rules.tag_specs_for(tag) else \
                "is not allowed in this position by the AMP rules"
            if tag in REMOVE_WITH_CONTENT:
                remove_element(rep, el, code="DISALLOWED_TAG",
                               detail=f"<{tag}> {reason}; removed", rule=_RULE_TAGS)
            else:
                unwrap_element(rep, el, code="DISALLOWED_TAG",
                               detail=f"<{tag}> {reason}; its content is kept", rule=_RULE_TAGS)
            return
        rule_url = next((s.spec_url for s in specs if s.spec_url), None) or _RULE_TAGS
        allowed = _allowed_attrs(specs)
        for name in list(el.attrib):
            self._attribute(el, tag, name, allowed, rule_url, ctx)
        missing = self._missing_mandatory(el, specs)
        if missing:
            detail = f"<{tag}> lacks the required attribute(s) {missing}"
            if tag.startswith("amp-"):
                remove_element(rep, el, code="MANDATORY_ATTR_MISSING",
                               detail=detail + "; removed", rule=rule_url)
            else:
                unwrap_element(rep, el, code="MANDATORY_ATTR_MISSING",
                               detail=detail + "; unwrapped, its content is kept", rule=rule_url)
            return
        if not self._layout_ok(el, tag, specs, rule_url, ctx):
            return
        # the extension the element needs: none if some usable spec needs none (``source`` in
        # ``amp-video`` is fine without amp-ima-video, whose ``source`` spec requires it)
        if all(spec.requires_extension for spec in specs):
            ctx.extensions.add(specs[0].requires_extension[0])
        for name in el.attrib:
            spec = allowed.get(name.lower())
            if spec is not None:
                ctx.extensions.update(spec.requires_extension)

    def _attribute(self, el: etree._Element, tag: str, name: str, allowed: dict[str, Any],
                   rule_url: str, ctx: ConversionContext) -> None:
        rep = ctx.reporter
        lname = name.lower()
        if name[0] == "{":  # namespaced SVG attribute (xlink:href)
            lname = "xlink:" + etree.QName(name).localname if "xlink" in name else \
                etree.QName(name).localname
        spec = allowed.get(lname)
        if spec is None and lname.startswith(("data-", "aria-")):
            return  # any data-*/aria-* is allowed; those a tag spec names are checked below
        if spec is None:
            remove_attribute(rep, el, name, code="DISALLOWED_ATTR",
                             detail=f"{lname} is not allowed on <{tag}> in AMP", rule=rule_url)
            return
        value = el.get(name, "")
        if spec.value_url is not None:
            if lname not in ("srcset", "imagesrcset"):
                resolved = resolve_url(value, ctx.base_url)
                if resolved != value and not check_url_value(resolved, spec.value_url, lname,
                                                             tag):
                    set_attribute(rep, el, name, resolved, code="RESOLVED_URL",
                                  detail="relative URL resolved against the article's URL",
                                  rule=rule_url)
                    value = resolved
            # The validator's own URL check (one engine): what it refuses goes, under its code.
            problems = check_url_value(value, spec.value_url, lname, tag)
            if problems:
                code, params = problems[0]
                remove_attribute(rep, el, name, code=code,
                                 detail=f"{lname} removed: {error_message(code, params)}",
                                 rule=rule_url)
                return
        if lname == "class" and has_internal_class(value):
            # Classes the AMP runtime reserves (the validator's check, amp/classes.py).
            kept = without_internal_classes(value)
            detail = f"i-amphtml- classes removed from class={value[:60]!r}"
            if kept:
                set_attribute(rep, el, name, kept, code="INVALID_ATTR_VALUE", detail=detail,
                              rule=CLASSES_SPEC_URL)
            else:
                remove_attribute(rep, el, name, code="INVALID_ATTR_VALUE", detail=detail,
                                 rule=CLASSES_SPEC_URL)
                return
            value = kept
        problem = _value_problem(spec, value)
        if problem and spec.value == ("",):
            # a boolean attribute written the XHTML way (hidden="hidden"): same meaning as ""
            set_attribute(rep, el, name, "", code="INVALID_ATTR_VALUE",
                          detail=f"boolean attribute {lname} written as {lname}=\"\"",
                          rule=rule_url)
            return
        if problem:
            remove_attribute(rep, el, name, code="INVALID_ATTR_VALUE",
                             detail=f"{lname}={value[:60]!r} removed: {problem}", rule=rule_url)

    def _layout_ok(self, el: etree._Element, tag: str, specs: list[Any], rule_url: str,
                   ctx: ConversionContext) -> bool:
        """Check an AMP component's layout attributes (AMP layout system); repair an invalid
        layout as ``responsive`` with the element's own or the fallback size where the
        component supports it, else remove the element. False when the element was removed."""
        layout_specs = [s for s in specs if s.amp_layout]
        if not layout_specs:
            return True
        from amp_publisher.core.amp.layout import validate_layout  # deferred with the rules data

        def errors() -> list[Any]:
            attrs = {k.lower(): v for k, v in el.attrib.items()}
            results = [validate_layout(attrs, s.amp_layout, tag) for s in layout_specs]
            return [] if any(not r for r in results) else results[0]

        problems = errors()
        if not problems:
            return True
        if "layout" in el.attrib:  # first try the layout the other attributes imply
            saved = el.get("layout")
            del el.attrib["layout"]
            if not errors():
                ctx.reporter.record(problems[0][0], "removed", tag, attribute="layout", el=el,
                                    detail=f"invalid layout {saved!r} removed; the size "
                                    "attributes define the layout", rule=rule_url)
                return True
            el.set("layout", saved)
        if any("RESPONSIVE" in s.amp_layout.get("supported_layouts", ()) for s in layout_specs):
            width, height = parse_dimension(el.get("width")), parse_dimension(el.get("height"))
            if not (width and height):
                width, height = FALLBACK_SIZE
            ctx.reporter.record(problems[0][0], "rewritten", tag, attribute="layout", el=el,
                                detail=f"invalid layout {dict(el.attrib).get('layout', '')!r} "
                                f"replaced by responsive {width}x{height}", rule=rule_url)
            for name in ("layout", "width", "height", "sizes", "heights"):
                if name in el.attrib:
                    del el.attrib[name]
            el.set("layout", "responsive")
            el.set("width", str(width))
            el.set("height", str(height))
            if not errors():
                return True
        remove_element(ctx.reporter, el, code=problems[0][0],
                       detail=f"<{tag}> removed: its layout attributes are invalid and cannot "
                       "be repaired", rule=rule_url)
        return False

    def _missing_mandatory(self, el: etree._Element, specs: list[Any]) -> list[str] | None:
        """``None`` when some spec's mandatory attributes are all present, else what the most
        lenient spec lacks."""
        present = {n.lower() for n in el.attrib}
        best: list[str] | None = None
        for spec in specs:
            mandatory, groups = _mandatory_attrs(spec)
            missing = [name for name in mandatory if name not in present]
            for label, names in groups.items():
                if not present.intersection(names):
                    missing.append(label)
            if not missing:
                return None
            if best is None or len(missing) < len(best):
                best = missing
        return best
