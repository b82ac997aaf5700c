"""Tag-spec dispatch: which of a tag's specs a start tag is checked against, as the official
engine's ``validateTag`` / ``ParsedTagSpecs`` (validator.js) choose: dispatch keys first
(``<meta name=viewport>``, ``<script custom-element=...>``), else every spec of the tag keeping
the best attempt (by the rules' ``error_specificity``); reference points of the parent; the
context checks (mandatory parent and ancestors, disallowed ancestors, descendant lists) that
come before the attributes.
"""

from __future__ import annotations

from amp_publisher.core.amp import rules as _rules
from amp_publisher.core.amp.validator.attributes import _Attempt, _regex
from amp_publisher.core.amp.validator.tree import _Element

__all__ = ["TagSpecDispatch"]


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


# Per tag name and per reference point, what dispatch reads on every tag, computed once per
# process (the script tag alone has over 150 specs). Keyed by id(); each entry keeps its key
# object alive, so an id cannot be reused by another.
_DISPATCH: dict[int, tuple[tuple, dict, tuple]] = {}
_REF_ATTRS: dict[int, tuple[_rules.TagSpec, tuple[_rules.AttrSpec, ...]]] = {}


def _dispatch_index(specs: tuple[_rules.TagSpec, ...]) -> tuple[tuple, dict, tuple]:
    """``(specs, keyed, plain)``: the specs with a dispatch key, by their dispatch attribute's
    name, then by value: ``{name: {value or None: ((rule order, spec), ...)}}`` (None: any
    value, ``NAME_DISPATCH``; case-insensitive values lower-cased under ``("casei", value)``),
    and the specs without one. A tag then visits only the keyed specs its attribute values
    select (the script tag has over 150 keyed specs, most of them on ``custom-element``)."""
    entry = _DISPATCH.get(id(specs))
    if entry is None or entry[0] is not specs:
        keyed: dict[str, dict] = {}
        for order, s in enumerate(specs):
            d = s.dispatch_attr
            if d is None:
                continue
            by_value = keyed.setdefault(d.name, {})
            if d.dispatch_key == "NAME_DISPATCH":
                by_value.setdefault(None, []).append((order, s))
                continue
            for v in d.value or ():
                by_value.setdefault(v, []).append((order, s))
            for v in d.value_casei or ():
                by_value.setdefault(("casei", v.lower()), []).append((order, s))
        plain = tuple(s for s in specs if s.dispatch_attr is None)
        entry = _DISPATCH[id(specs)] = (specs, keyed, plain)
    return entry


def _own_attr_specs(ref: _rules.TagSpec) -> tuple[_rules.AttrSpec, ...]:
    """A reference point's own attr specs (not its attr lists), parsed once."""
    entry = _REF_ATTRS.get(id(ref))
    if entry is None:
        entry = _REF_ATTRS[id(ref)] = (ref, tuple(_rules._attr_spec(a)
                                                  for a in ref.raw.get("attrs", ())))
    return entry[1]


class TagSpecDispatch:
    """Matching each start tag to a tag spec and reporting the chosen attempt's errors."""

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
        if len(raw_attrs) != len(attrs):
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
            own = _own_attr_specs(ref)
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
        _, keyed, plain = _dispatch_index(specs)
        found: dict[int, _rules.TagSpec] = {}
        for attr_name, by_value in keyed.items():
            if attr_name not in attrs:
                continue
            value = attrs[attr_name]
            for key in (None, value, ("casei", value.lower())):
                for order, spec in by_value.get(key, ()):
                    d = spec.dispatch_attr
                    if (
                        d.dispatch_key == "NAME_VALUE_PARENT_DISPATCH"
                        and spec.mandatory_parent
                        and not self.parent_matches(spec.mandatory_parent)
                    ):
                        continue
                    found[order] = spec
        # In rule order, as one loop over the specs finds them.
        matched = [found[k] for k in sorted(found)]
        if matched:
            return tuple(matched)
        # No dispatch key matched: the tag specs without dispatch keys are the candidates (as
        # in the official engine); when every spec has one, all are tried for the best message.
        return plain or specs

    def _better(self, a: _Attempt, b: _Attempt) -> bool:
        spec = self.rules.error_specificity

        def score(att: _Attempt) -> tuple[int, int]:
            errs = [e for e in att.errors if e[2] == "ERROR"]
            top = max((spec.get(e[0], 0) for e in errs), default=0)
            return (top, -len(errs))

        return score(a) > score(b)

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
