"""Attribute checks of one tag against one tag spec, as the official engine's
``validateAttributes`` (validator.js) makes them: allowed names (the spec's attrs, alternative
names, reference points, ``data-``/``aria-``), values (``value``, ``value_casei``,
``value_regex``, ``value_url``, ``value_properties``, ``disallowed_value_regex``), the ``style``
attribute's CSS, mandatory / one-of / any-of groups, extension script ``src``s and unique tags;
the layout first (:func:`amp_publisher.core.amp.layout.validate_layout`).

URL, srcset, CSS and layout values are checked by the functions the converter calls too
(:mod:`amp_publisher.core.amp.urls`, :mod:`~amp_publisher.core.amp.css`,
:mod:`~amp_publisher.core.amp.layout`, :mod:`~amp_publisher.core.amp.classes`).
"""

from __future__ import annotations

import re
from functools import cache

from amp_publisher.core.amp import rules as _rules
from amp_publisher.core.amp.classes import has_internal_class
from amp_publisher.core.amp.css import (
    inline_style_issues,
    utf8_bytes,
)
from amp_publisher.core.amp.layout import validate_layout
from amp_publisher.core.amp.urls import check_url_value
from amp_publisher.core.amp.validator.tree import _Element

__all__ = ["AttributeChecks"]


@cache
def _regex(pattern: str, casei: bool = False) -> re.Pattern[str]:
    """Compile a rules regex (RE2 syntax; the rules use a subset Python's ``re`` accepts, except
    Unicode property classes, which are widened to ``\\w``)."""
    pattern = pattern.replace(r"\p{L}", r"\w").replace(r"\p{N}", r"\d")
    return re.compile(pattern, re.IGNORECASE if casei else 0)


def _full(pattern: str, value: str, casei: bool = False) -> bool:
    return _regex(pattern, casei).fullmatch(value) is not None


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

    __slots__ = ("spec", "errors", "used_extensions", "passed")

    def __init__(self, spec: _rules.TagSpec, errors: list[tuple], used: list[str]) -> None:
        self.spec = spec
        self.errors = errors
        self.used_extensions = used
        #: No ERROR among ``errors`` (the list is complete when the attempt is made).
        self.passed = not errors or not any(sev == "ERROR" for _, _, sev in errors)


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


class AttributeChecks:
    """``attempt`` (one tag against one tag spec) and the value checks it uses."""

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
        if errors and any(e[2] == "ERROR" for e in errors):
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
        """A ``style`` attribute: :func:`amp_publisher.core.amp.css.inline_style_issues`; its
        bytes count towards the document's CSS budget."""
        el.style_bytes = utf8_bytes(value)
        return [(code, params, "ERROR")
                for code, params in inline_style_issues(value, tag, self.rules.doc_css)]

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
