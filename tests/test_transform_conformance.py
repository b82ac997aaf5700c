"""Transformed AMP against the AMP Optimizer's own spec tests (``tests/data/amp-optimizer-spec/``).

Each case is an ``input.html`` and the ``expected_output.html`` the optimizer's transformer
writes for it (options, when a case has any, in a leading ``<!-- {json} -->`` comment). Every
case of ``ServerSideRendering``, ``AmpBoilerplateTransformer``, ``ReorderHeadTransformer`` and
``OptimizeHeroImages`` runs through our step of the same name; the two documents are compared
as parsed trees (HTML5 parse of both; attributes as sets, ``class`` as a set of names; text with
whitespace collapsed and whitespace-only text dropped), as the optimizer's own test runners
compare them. Cases that do not apply to our pages are listed in :data:`NOT_APPLICABLE` with the
reason; each of them is still run, and must keep failing for that reason only if it fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from amp_publisher.core.amp.transform.document import parse, serialize
from amp_publisher.core.amp.transform.head import reorder_head
from amp_publisher.core.amp.transform.hero import MAX_HERO_IMAGES, optimize_hero_images
from amp_publisher.core.amp.transform.runtime import RuntimeStyles, inline_runtime_css
from amp_publisher.core.amp.transform.ssr import server_side_render

SPEC = Path(__file__).parent / "data" / "amp-optimizer-spec"

#: Cases whose subject our pages never carry (the templates and the converter cannot produce it).
NOT_APPLICABLE: dict[tuple[str, str], str] = {}


def _run_ssr(doc, options):
    server_side_render(doc)


def _run_boilerplate(doc, options):
    inline_runtime_css(doc, RuntimeStyles(options["ampRuntimeVersion"],
                                          options["ampRuntimeStyles"]))


def _run_reorder(doc, options):
    reorder_head(doc)


def _run_hero(doc, options):
    if options.get("optimizeHeroImages") is False:
        return
    optimize_hero_images(doc, options.get("maxHeroImageCount", MAX_HERO_IMAGES))


STEPS = {
    "ServerSideRendering": _run_ssr,
    "AmpBoilerplateTransformer": _run_boilerplate,
    "ReorderHeadTransformer": _run_reorder,
    "OptimizeHeroImages": _run_hero,
}

_OPTIONS = re.compile(r"\A\s*<!--(.*?)-->", re.DOTALL)


def _cases() -> list:
    cases = []
    for transformer in STEPS:
        for case in sorted((SPEC / transformer).iterdir()):
            marks = ()
            reason = NOT_APPLICABLE.get((transformer, case.name))
            if reason:
                marks = (pytest.mark.xfail(reason=reason, strict=False),)
            cases.append(pytest.param(transformer, case, id=f"{transformer}/{case.name}",
                                      marks=marks))
    return cases


def _canonical(html: str):
    """The document as a comparable tree: (tag, attributes, children), text collapsed."""
    from html5_parser import parse as html5_parse

    root = html5_parse(html, keep_doctype=False, sanitize_names=False)

    def text(value: str | None) -> list:
        value = " ".join((value or "").split())
        return [value] if value else []

    def node(el) -> tuple:
        if el.tag is etree.Comment:
            return ("#comment", " ".join((el.text or "").split()))
        attrs = {k: (" ".join(sorted(v.split())) if k == "class" else v)
                 for k, v in el.attrib.items()}
        children = text(el.text)
        for child in el:
            if isinstance(child.tag, str) or child.tag is etree.Comment:
                children.append(node(child))
            children += text(child.tail)
        return (el.tag, tuple(sorted(attrs.items())), tuple(children))

    return node(root)


@pytest.mark.parametrize(("transformer", "case"), _cases())
def test_spec_case(transformer: str, case: Path) -> None:
    source = (case / "input.html").read_text(encoding="utf-8")
    options = {}
    m = _OPTIONS.match(source)
    if m and m.group(1).strip().startswith("{"):
        options = json.loads(m.group(1))
        source = source[m.end():]
    doc = parse(source)
    STEPS[transformer](doc, options)
    got = serialize(doc)
    expected = (case / "expected_output.html").read_text(encoding="utf-8")
    assert _canonical(got) == _canonical(expected), got


def test_every_case_ran() -> None:
    """The data is there: a missing copy would make the parametrized test vacuous."""
    counts = {t: sum(1 for _ in (SPEC / t).iterdir()) for t in STEPS}
    assert all(n > 0 for n in counts.values()), counts
    assert sum(counts.values()) >= 80, counts


def test_the_comparison_sees_what_a_step_changes() -> None:
    """Most cases expect a change: compared with its own input, their expected output differs
    (so a step that did nothing would fail them)."""
    changed = 0
    for transformer in STEPS:
        for case in (SPEC / transformer).iterdir():
            source = (case / "input.html").read_text(encoding="utf-8")
            m = _OPTIONS.match(source)
            if m and m.group(1).strip().startswith("{"):
                source = source[m.end():]
            expected = (case / "expected_output.html").read_text(encoding="utf-8")
            changed += _canonical(source) != _canonical(expected)
    assert changed >= 60
