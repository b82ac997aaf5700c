"""Checks the official validator makes in its engine, not in the rule files.

Each test cites the official test pair (third_party/amp-spec/tests) it comes from: the pair's
``.out`` is the official verdict and message; the test checks our validator gives the same on
that pair and on a one-change mutation of a valid page. Spec URLs: the AMP HTML spec,
https://amp.dev/documentation/guides-and-tutorials/learn/spec/amphtml/ (sections "Required
markup", "Stylesheets", "SVG").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amp_publisher.core.amp.css import strip_vendor_prefix
from amp_publisher.core.amp.validator import document_type_identifiers, validate
from conftest import load_tool

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "third_party" / "amp-spec" / "tests"
FEATURES = TESTDATA / "validator" / "testdata" / "feature_tests"
TRANSFORMED = TESTDATA / "validator" / "testdata" / "transformed_feature_tests"
CONFORMANCE = load_tool("conformance")


def official(path: Path):
    """The official verdict and (line, col, message) errors of a pair."""
    return CONFORMANCE.parse_out(path.with_suffix(".out").read_text(encoding="utf-8"))


def ours(path: Path):
    return validate(path.read_text(encoding="utf-8"))


def test_vendor_prefixed_keyframes_are_keyframes():
    # feature_tests/style_amp_keyframes_passing: @-webkit-, @-moz-, @-o-keyframes in
    # style[amp-keyframes] are accepted (parse-css.js matches at-rules without the prefix).
    pair = FEATURES / "style_amp_keyframes_passing.html"
    assert official(pair).verdict == "PASS"
    assert ours(pair).status == "PASS"
    assert strip_vendor_prefix("-webkit-keyframes") == "keyframes"
    assert strip_vendor_prefix("-x") == "-x"



def test_an_at_rule_the_rules_name_with_its_prefix_matches_as_written():
    # feature_tests/css-moz-document: the rules list "-moz-document"; @-moz-document passes,
    # @-ms-document and @document are invalid at-rules (only the -moz- form is listed).
    pair = FEATURES / "css-moz-document.html"
    expected = official(pair)
    got = ours(pair)
    assert expected.verdict == got.status == "FAIL"
    assert sorted((e.line, e.col) for e in got.errors) == \
        sorted((line, col) for line, col, _ in expected.errors)
    assert all("document" in e.message and "-moz-" not in e.message for e in got.errors)

def test_ideographic_space_outside_body_is_text():
    # feature_tests/manufactured_body_whitespace: U+3000 in <head> is not whitespace for HTML,
    # so it starts a body: "Tag or text which is only allowed inside the body section found
    # outside of the body section."
    pair = FEATURES / "manufactured_body_whitespace.html"
    expected = official(pair)
    result = ours(pair)
    assert expected.verdict == result.status == "FAIL"
    assert [(line, col) for line, col, _ in expected.errors] == [(11, 59)]
    # We report it at the U+3000 itself (12:0); the official engine at the start of the text
    # run that holds it (the newline before, 11:59). Listed in docs/conformance.md.
    assert result.errors[0].code == "DISALLOWED_MANUFACTURED_BODY"
    assert (result.errors[0].line, result.errors[0].col) == (12, 0)


def test_page_without_any_amp_script_is_valid():
    # feature_tests/no_js_amp (https://github.com/ampproject/amphtml/issues/24232): no runtime,
    # no boilerplate, still valid AMP. feature_tests/missing_v0_js: an extension script without
    # the runtime still fails.
    assert official(FEATURES / "no_js_amp.html").verdict == "PASS"
    assert ours(FEATURES / "no_js_amp.html").passed
    missing = FEATURES / "missing_v0_js.html"
    assert official(missing).verdict == ours(missing).status == "FAIL"


def test_feimage_is_disallowed_in_svg():
    # feature_tests/svg-filter-primitive-elements: "The tag 'feimage' is disallowed." (it can
    # leak a request during prefetch); SVG tags not in the svg rules are refused like others.
    pair = FEATURES / "svg-filter-primitive-elements.html"
    result = ours(pair)
    assert official(pair).verdict == result.status == "FAIL"
    assert [(e.line, e.col, e.message) for e in result.errors] == [
        (194, 8, "The tag 'feimage' is disallowed.")]


def test_url_function_that_is_not_one_string_is_a_bad_url():
    # feature_tests/urls_in_css: url('<link href='...'>') -> "CSS syntax error in tag
    # 'style amp-custom' - bad url." at the url( token.
    pair = FEATURES / "urls_in_css.html"
    result = ours(pair)
    assert official(pair).verdict == result.status == "FAIL"
    assert [(e.line, e.col, e.code) for e in result.errors] == [(17, 11, "CSS_SYNTAX_BAD_URL")]


@pytest.mark.parametrize("name", [
    "transformed_attribute_value_malformed", "transformed_attribute_value_version_malformed"])
def test_transformed_value_must_name_a_transformer_and_a_version(name):
    # transformed_feature_tests/transformed_attribute_value_*: transformed="foobar;v=1" and
    # "google;v=1..3" are "set to the invalid value" (validateHtmlTag).
    pair = TRANSFORMED / f"{name}.html"
    expected = official(pair)
    result = ours(pair)
    assert expected.verdict == result.status == "FAIL"
    assert [(e.line, e.col, e.message) for e in result.errors] == [
        (line, col, msg) for line, col, msg in expected.errors]


@pytest.mark.parametrize(
    "name", ["minimum_valid_amp", "amp_boilerplate_missing", "nonce_attribute"])
def test_transformed_pages_are_checked_with_the_transformed_rules(name):
    # transformed_feature_tests/*: transformed="self;v=1" enables the transformed tag specs
    # (style amp-custom with amp-runtime / i-amphtml-version, no boilerplate required).
    pair = TRANSFORMED / f"{name}.html"
    text = pair.read_text(encoding="utf-8")
    assert document_type_identifiers(text) == {"transformed"}
    assert official(pair).verdict == "PASS"
    assert ours(pair).passed
    # The same page without the transformed attribute is checked with the plain rules.
    plain = re.sub(r'transformed="[^"]*"', "", text, count=1)
    assert document_type_identifiers(plain) == frozenset()
    assert not validate(plain).passed


# ------------------------------------------------ hostile values: converter and validator agree


def _page_of(body: str) -> str:
    import json

    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    site = SiteConfig.model_validate(
        json.loads((ROOT / "events/site.json").read_text(encoding="utf-8")))
    article = parse_article({"headline": "Hostile", "slug": "hostile",
                             "published": "2026-06-25", "body_html": body})
    return render(article, site, source_key="articles/hostile.json").html


@pytest.mark.parametrize("body", ["<p>a&#14;b&#1;c</p>", '<p title="x&#1;y">t</p>'])
def test_character_references_to_control_characters_are_dropped_not_fatal(body):
    from amp_publisher.core.conversion import convert_html

    result = convert_html(body)
    assert "\x01" not in result.html and "\x0e" not in result.html
    assert "INVALID_CHARACTER" in [e.code for e in result.report]
    assert validate(_page_of(body)).passed


@pytest.mark.parametrize("space", ["\u2028", "\u00a0", "\u2000", "\u200a", "\u3000", "&#x3000;"])
def test_javascript_url_after_a_unicode_space_is_removed_as_the_validator_refuses_it(space):
    from amp_publisher.core.conversion import convert_html

    body = f'<p><a href="{space}javascript:alert(1)">x</a></p>'
    result = convert_html(body)
    assert result.html == "<p><a>x</a></p>"
    assert [(e.code, e.attribute) for e in result.report] == [("INVALID_URL_PROTOCOL", "href")]
    # The validator refuses the same value with the same code (one URL check).
    page = _page_of("<p>x</p>").replace("<p>x</p>", body.replace("&#x3000;", "\u3000"), 1)
    assert [e.code for e in validate(page).errors if e.severity == "ERROR"] == [
        "INVALID_URL_PROTOCOL"]
    assert validate(_page_of(body)).passed


def test_url_whose_text_before_a_colon_is_not_a_protocol_is_refused_in_css():
    # The official engine reads the protocol of url('x[a];color:red;/*') as "x[a];color" and
    # refuses it: "CSS syntax error in tag 'style amp-custom' - invalid url protocol".
    from amp_publisher.core.conversion import convert_html

    body = "<p style=\"background:url('x[a];color:red;/*')\">t</p>"
    result = convert_html(body)
    assert "x[a]" not in result.html and "x[a]" not in "".join(result.css)
    page = _page_of(body)
    assert "x[a]" not in page
    assert validate(page).passed
    refused = _page_of("<p>x</p>").replace(
        "</style>", ".c{background:url('x[a];color:red;/*')}</style>", 1)
    assert [e.code for e in validate(refused).errors] == ["CSS_SYNTAX_INVALID_URL_PROTOCOL"]


def test_author_css_with_a_script_url_in_a_string_is_not_copied():
    from amp_publisher.core.conversion import convert_html

    body = "<p style=\"-o-link:'javascript:alert(1)'\">t</p>"
    result = convert_html(body)
    page = _page_of(body)
    assert "javascript" not in result.html + "".join(result.css) and "javascript" not in page
    assert validate(page).passed


def test_internal_amp_classes_are_removed_as_the_validator_refuses_them():
    # extensions/amp-story/1.0/test/validator-amp-story-amp-social-share: class="i-amphtml-..."
    # on a non-transformed page is "set to the invalid value".
    from amp_publisher.core.conversion import convert_html

    result = convert_html('<p class="i-amphtml-built note">x</p>')
    assert result.html == '<p class="note">x</p>'
    assert [e.code for e in result.report] == ["INVALID_ATTR_VALUE"]
    page = _page_of("<p>x</p>").replace("<p>x</p>", '<p class="i-amphtml-built">x</p>', 1)
    assert [e.code for e in validate(page).errors] == ["INVALID_ATTR_VALUE"]


@pytest.mark.parametrize("src", ["https://[::1", "http://exa mple.com/a.jpg", "http://a..b/c.jpg"])
def test_image_with_a_malformed_url_is_removed_as_invalid_url_not_fatal(src):
    # Found by tests/test_differential.py: "https://[::1" used to raise ValueError while the
    # image's size was probed. The validator calls such a URL malformed (INVALID_URL).
    from amp_publisher.core.conversion import convert_html

    body = f'<p>x</p><img src="{src}" alt="y">'
    result = convert_html(body)
    assert result.html == "<p>x</p>"
    assert [e.code for e in result.report] == ["INVALID_URL"]
    assert validate(_page_of(body)).passed
