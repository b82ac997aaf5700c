"""Document-level checks, as the official engine's ``ValidateDocument`` end-of-document pass and
its ``<html>`` checks (validator.js ``validateHtmlTag``) make them: what a matched tag records
(seen and unique specs, ``requires``/``satisfies``/``excludes`` conditions, extension scripts
loaded and needed, CSS bytes), the checks at an element's end (child tags, cdata: mandatory
text, denylists, stylesheets, JSON), and at the document's end (mandatory tags, conditions,
unused extensions, the CSS byte budget of :func:`amp_publisher.core.amp.css.css_budget_issue`).
"""

from __future__ import annotations

import json
import re

from amp_publisher.core.amp import rules as _rules
from amp_publisher.core.amp.css import (
    css_budget_issue,
    denylist_issue,
    stylesheet_issues,
    utf8_bytes,
)
from amp_publisher.core.amp.validator.attributes import _Attempt, _full
from amp_publisher.core.amp.validator.tree import HTML_WHITESPACE, _Element

__all__ = ["DocumentChecks", "document_type_identifiers"]


_FORMAT_ATTRS = {"⚡": "AMP", "amp": "AMP"}

_RUNTIME_CONDITION = "amphtml javascript runtime (v0.js)"

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


class DocumentChecks:
    """What each matched tag records, and the checks at an element's and the document's end."""

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
        denied = denylist_issue(text, cdata, tag)
        if denied:
            self.report(*denied, pos, spec.spec_url)
            return
        size = utf8_bytes(text)
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
            for code, params, rel_line, rel_col, severity in stylesheet_issues(
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
        over = css_budget_issue(self.css_bytes, self.inline_style_bytes, doc_css)
        if over is not None:
            code, params = over
            pos = end if self.inline_style_bytes else (self.amp_custom_pos or end)
            self.report(code, params, pos, doc_css.max_bytes_spec_url)
        for spec in self.rules.mandatory_tag_specs:
            if spec.spec_name not in self.seen_specs:
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
