"""The AMP validator on pages a publisher could produce: one hand-written valid page (built
from the required markup in validator-main.protoascii and the AMP spec) and one mutation of it
per rule users trip over; plus the official validator test pairs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amp_publisher.core.amp.validator import ValidationResult, validate
from conftest import load_tool

ROOT = Path(__file__).resolve().parent.parent

BOILERPLATE = (
    "<style amp-boilerplate>body{-webkit-animation:-amp-start 8s steps(1,end) 0s 1 normal both;"
    "-moz-animation:-amp-start 8s steps(1,end) 0s 1 normal both;-ms-animation:-amp-start 8s "
    "steps(1,end) 0s 1 normal both;animation:-amp-start 8s steps(1,end) 0s 1 normal both}"
    "@-webkit-keyframes -amp-start{from{visibility:hidden}to{visibility:visible}}"
    "@-moz-keyframes -amp-start{from{visibility:hidden}to{visibility:visible}}"
    "@-ms-keyframes -amp-start{from{visibility:hidden}to{visibility:visible}}"
    "@-o-keyframes -amp-start{from{visibility:hidden}to{visibility:visible}}"
    "@keyframes -amp-start{from{visibility:hidden}to{visibility:visible}}</style>"
    "<noscript><style amp-boilerplate>body{-webkit-animation:none;-moz-animation:none;"
    "-ms-animation:none;animation:none}</style></noscript>"
)

VALID_PAGE = f"""<!doctype html>
<html ⚡ lang="en">
<head>
  <meta charset="utf-8">
  <title>Hello</title>
  <link rel="canonical" href="https://example.com/hello/">
  <meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
  <script async src="https://cdn.ampproject.org/v0.js"></script>
  <script async custom-element="amp-youtube"
      src="https://cdn.ampproject.org/v0/amp-youtube-0.1.js"></script>
  <script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
    "headline": "Hello"}}</script>
  <style amp-custom>body {{ font-family: serif; }} .lead {{ color: #333; }}</style>
  {BOILERPLATE}
</head>
<body>
  <h1 class="lead">Hello</h1>
  <p>A paragraph with <a href="https://example.com/">a link</a>.</p>
  <amp-img src="https://example.com/a.jpg" width="800" height="600" layout="responsive"
      alt="A picture"></amp-img>
  <amp-youtube data-videoid="mGENRKrdoGY" width="480" height="270"
      layout="responsive"></amp-youtube>
</body>
</html>
"""


def codes(result: ValidationResult, severity: str = "ERROR") -> list[str]:
    return [e.code for e in result.errors if e.severity == severity]


def messages(result: ValidationResult) -> str:
    return "\n".join(f"{e.line}:{e.col} {e.message}" for e in result.errors)


def mutate(old: str, new: str, page: str = VALID_PAGE) -> str:
    assert old in page, old
    return page.replace(old, new, 1)


def test_hand_written_minimal_page_passes():
    result = validate(VALID_PAGE)
    assert result.passed, messages(result)
    assert result.status == "PASS"


def test_missing_boilerplate_fails_as_required_by_the_runtime():
    result = validate(mutate(BOILERPLATE, ""))
    assert not result.passed
    # The runtime script's requires_condition names the condition, as the official validator
    # prints it.
    assert "The tag 'style[amp-boilerplate]' is missing or incorrect, but required by " \
        "'amphtml engine script'." in messages(result)
    assert "The tag 'noscript > style[amp-boilerplate]' is missing or incorrect, but required " \
        "by 'amphtml engine script'." in messages(result)


def test_altered_boilerplate_fails_with_mandatory_text_error():
    result = validate(mutate("animation:-amp-start 8s", "animation:-amp-start 1s"))
    assert codes(result) == ["MANDATORY_CDATA_MISSING_OR_INCORRECT"]
    assert "The mandatory text inside tag 'head > style[amp-boilerplate]' is missing or " \
        "incorrect." in messages(result)


def test_img_left_in_body_fails_with_attributes_amp_does_not_allow():
    # The rules allow a native <img> with the img-attrs list (tag spec "Standard Img", which
    # now includes fetchpriority); what a CMS leaves on it beyond that list fails.
    page = mutate("<h1", '<img src="https://example.com/a.jpg" alt="x" '
                  'fetchpriority="high" onerror="this.remove()">\n  <h1')
    result = validate(page)
    assert codes(result) == ["DISALLOWED_ATTR"]
    assert "The attribute 'onerror' may not appear in tag 'img'." in messages(result)
    error = result.errors[0]
    assert (error.line, error.col) == (17, 2)


def test_img_inside_amp_img_is_a_disallowed_ancestor():
    page = mutate('alt="A picture"></amp-img>',
                  'alt="A picture"><img src="https://example.com/a.jpg" alt=""></amp-img>')
    result = validate(page)
    # Both img tag specs refuse it (Standard Img: disallowed ancestor amp-img; noscript > img:
    # needs a noscript ancestor); the validator reports the more specific attempt.
    assert not result.passed
    assert len(result.errors) == 1
    assert result.errors[0].message.startswith("The tag 'img' may ")


def test_amp_youtube_without_its_script_fails():
    page = mutate('''  <script async custom-element="amp-youtube"
      src="https://cdn.ampproject.org/v0/amp-youtube-0.1.js"></script>\n''', "")
    result = validate(page)
    assert codes(result) == ["MISSING_REQUIRED_EXTENSION"]
    assert "The tag 'amp-youtube' requires including the 'amp-youtube' extension JavaScript." \
        in messages(result)


def test_unused_extension_script_fails_when_the_rules_require_usage():
    # amp-gist's extension spec has the default requires_usage ERROR; amp-youtube 0.1 is
    # EXEMPTED, so an unused amp-youtube script is only a warning.
    page = mutate("<title>", '<script async custom-element="amp-gist" '
                  'src="https://cdn.ampproject.org/v0/amp-gist-0.1.js"></script>\n  <title>')
    result = validate(page)
    assert codes(result) == ["EXTENSION_UNUSED"]
    assert "The extension 'amp-gist' was found on this page, but is unused. Please remove " \
        "this extension." in messages(result)


def test_unused_exempted_extension_is_a_warning_only():
    page = mutate('''  <amp-youtube data-videoid="mGENRKrdoGY" width="480" height="270"
      layout="responsive"></amp-youtube>\n''', "")
    result = validate(page)
    assert result.passed
    assert codes(result, "WARNING") == ["WARNING_EXTENSION_UNUSED"]


def test_css_over_75000_bytes_fails():
    rule = ".c{color:red}"  # 13 bytes
    big = rule * (75_001 // len(rule) + 1)
    result = validate(mutate("body {{ font-family: serif; }}".replace("{{", "{").replace(
        "}}", "}"), big))
    assert codes(result) == ["STYLESHEET_TOO_LONG"]
    assert f"document contains {len(big.encode()) + len(' .lead { color: #333; }')} bytes " \
        "whereas the limit is 75000 bytes" in messages(result)


def test_css_and_inline_styles_count_together():
    big = ".c{color:red}" * 5700  # 74,100 bytes: fine alone
    page = mutate("body { font-family: serif; }", big)
    assert validate(page).passed
    styled = "".join(f'<p style="margin:{i}px 0 0 0;padding:0 0 0 0">x</p>' for i in range(40))
    result = validate(mutate("<h1", styled + "<h1", page))
    assert codes(result) == ["STYLESHEET_AND_INLINE_STYLE_TOO_LONG"]


def test_important_fails_in_stylesheet_and_style_attribute():
    result = validate(mutate("color: #333;", "color: #333 !important;"))
    assert codes(result) == ["CSS_SYNTAX_DISALLOWED_IMPORTANT"]
    assert "Usage of the !important CSS qualifier is not allowed." in messages(result)
    inline = validate(mutate('<h1 class="lead">', '<h1 style="color:red !important">'))
    assert codes(inline) == ["CSS_SYNTAX_DISALLOWED_IMPORTANT"]


def test_onclick_attribute_fails():
    result = validate(mutate("<h1 ", '<h1 onclick="alert(1)" '))
    assert codes(result) == ["DISALLOWED_ATTR"]
    assert "The attribute 'onclick' may not appear in tag 'h1'." in messages(result)


def test_javascript_link_fails():
    result = validate(mutate('href="https://example.com/"', 'href="javascript:alert(1)"'))
    assert codes(result) == ["INVALID_URL_PROTOCOL"]
    assert "Invalid URL protocol 'javascript:' for attribute 'href' in tag 'a'." \
        in messages(result)


def test_amp_img_without_dimensions_or_layout_fails():
    result = validate(mutate('width="800" height="600" layout="responsive"', ""))
    assert codes(result) == ["MISSING_LAYOUT_ATTRIBUTES"]
    assert "Incomplete layout attributes specified for tag 'amp-img'." in messages(result)


def test_amp_img_with_fill_layout_needs_no_dimensions():
    assert validate(mutate('width="800" height="600" layout="responsive"', 'layout="fill"')).passed


def test_custom_script_fails():
    # The runtime script is the one script tag spec without a dispatch key, so the official
    # engine checks an author script against it and reports where it stands, then stops.
    result = validate(mutate("<h1", "<script>alert(1)</script><h1"))
    assert codes(result) == ["WRONG_PARENT_TAG"]
    assert "The parent tag of tag 'amphtml engine script' is 'body', but it can only be " \
        "'head'." in messages(result)


def test_error_positions_are_one_based_lines_zero_based_columns():
    result = validate(mutate("<h1 ", '<h1 onclick="x" '))
    error = result.errors[0]
    assert (error.line, error.col) == (17, 2)
    assert error.spec_url is None or error.spec_url.startswith("https://")


def test_validator_import_pulls_in_no_aws_sdk():
    code = "import sys, amp_publisher.core.amp.validator as v; v.validate('<p>'); " \
        "print(any(m.split('.')[0] in ('boto3', 'botocore', 'aws_lambda_powertools') " \
        "for m in sys.modules))"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


CONFORMANCE = load_tool("conformance")
TESTDATA = CONFORMANCE.DEFAULT_TESTDATA
PAIRS = CONFORMANCE.find_pairs(TESTDATA)
#: Pairs whose verdict differs for a reason given in docs/conformance.md ("Verdict mismatches").
KNOWN_MISMATCHES = CONFORMANCE.known_mismatches(ROOT / "docs" / "conformance.md",
                                                "Verdict mismatches")


def test_every_official_amp_pair_is_present():
    assert len(PAIRS) == 311


@pytest.mark.parametrize("html_path", PAIRS, ids=lambda p: p.stem)
def test_official_pair_verdict(html_path):
    result = CONFORMANCE.run_pair(html_path, TESTDATA)
    if result.name in KNOWN_MISMATCHES:
        if result.verdict_agrees:
            pytest.fail(f"{result.name} agrees now: remove it from docs/conformance.md")
        pytest.xfail(KNOWN_MISMATCHES[result.name])
    assert result.actual_verdict == result.expected.verdict


def test_every_listed_mismatch_is_an_existing_pair():
    names = {str(p.relative_to(TESTDATA).with_suffix("")) for p in PAIRS}
    assert set(KNOWN_MISMATCHES) <= names


KEYFRAMES = "<style amp-keyframes>@keyframes fade { from { opacity: 0 } to { opacity: 1 } }</style>"


def test_amp_keyframes_style_must_be_the_last_child_of_body():
    assert validate(mutate("\n</body>", KEYFRAMES + "\n</body>")).passed
    result = validate(mutate("<h1", KEYFRAMES + "<h1"))
    assert codes(result) == ["MANDATORY_LAST_CHILD_TAG"]
    assert "Tag 'style[amp-keyframes]', if present, must be the last child of tag 'body'." \
        in messages(result)


#: A hand-written page using every vendored extension in a valid way (tags, layouts, child
#: tags, forms, SVG, JSON config), next to this file.
ALL_COMPONENTS = (Path(__file__).parent / "validator_pages" / "all-components.html").read_text(
    encoding="utf-8"
)


def test_page_using_every_vendored_component_passes():
    result = validate(ALL_COMPONENTS)
    assert result.passed, messages(result)
    assert result.errors == ()


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ('width="auto" height="300" layout="fixed-height"',
         'width="300" height="300" layout="fixed-height"', "ATTR_VALUE_REQUIRED_BY_LAYOUT"),
        ('width="4" height="3" layout="intrinsic"', 'width="100%" height="3" layout="intrinsic"',
         "INVALID_ATTR_VALUE"),
        ('width="4" height="3" layout="intrinsic"', 'width="4em" height="3" layout="intrinsic"',
         "INCONSISTENT_UNITS_FOR_WIDTH_AND_HEIGHT"),
        ('src="https://example.com/embed"', 'src="http://example.com/embed"',
         "INVALID_URL_PROTOCOL"),
        ("<hr>", '<hr style="%s">' % ("color:red;" * 101), "INLINE_STYLE_TOO_LONG"),
        (".a { color: red }", ".i-amphtml-a { color: red }", "CDATA_VIOLATES_DENYLIST"),
        ("</head>", "<style amp-custom>.x{}</style></head>", "DUPLICATE_UNIQUE_TAG"),
        ('data-videoid="x" ', "", "MANDATORY_ONEOF_ATTR_MISSING"),
        ("<hr>", "<marquee>x</marquee>", "DISALLOWED_TAG"),
        ('<script async custom-element="amp-form" '
         'src="https://cdn.ampproject.org/v0/amp-form-0.1.js"></script>\n', "",
         "MISSING_REQUIRED_EXTENSION"),
        ("<circle", "<script>alert(1)</script><circle", "WRONG_PARENT_TAG"),
        ('<meta name="description" content="A page">',
         '<meta http-equiv="refresh" content="0;url=x">', "DISALLOWED_ATTR"),
    ],
    ids=["fixed-height-width", "percent-width", "mixed-units", "http-iframe", "long-style",
         "i-amphtml-css", "two-amp-custom", "youtube-without-id", "marquee",
         "form-without-amp-form", "script-in-svg", "meta-refresh"],
)
def test_one_broken_rule_gives_exactly_that_error(old, new, code):
    assert old in ALL_COMPONENTS
    result = validate(ALL_COMPONENTS.replace(old, new, 1))
    assert codes(result) == [code], messages(result)


def test_tap_action_needs_role_and_tabindex_unless_the_tag_implies_them():
    # $GLOBAL_ATTRS' on= triggers role and tabindex; <a> declares both implicit.
    link = mutate('<a href="https://example.com/">', '<a href="https://example.com/" on="tap:x">')
    assert validate(link).passed
    heading = validate(mutate('<h1 class="lead">', '<h1 class="lead" on="tap:x">'))
    assert codes(heading) == ["ATTR_REQUIRED_BUT_MISSING", "ATTR_REQUIRED_BUT_MISSING"]
    assert "The attribute 'role' in tag 'h1' is missing or incorrect, but required by " \
        "attribute 'on'." in messages(heading)


# ---------------------------------------------------------------------------------------------
# Hostile input: deep nesting, huge tags (the cost of a tag must not grow with its depth)
# ---------------------------------------------------------------------------------------------


def in_body(fragment: str, page: str = VALID_PAGE) -> str:
    """``page`` with ``fragment`` as the first content of its body."""
    return mutate("<body>\n", "<body>\n" + fragment, page)


def test_deeply_nested_valid_page_passes():
    depth = 20_000
    result = validate(in_body("<div>" * depth + "<p>deep</p>" + "</div>" * depth))
    assert result.passed, messages(result)


@pytest.mark.parametrize(
    "fragment",
    ["<span>" * 20_000, "<svg>" + "<g>" * 20_000 + "</svg>", "<table><tr><td>" * 5_000],
    ids=["unclosed-spans", "svg-groups", "nested-tables"],
)
def test_deeply_nested_unclosed_elements_are_validated_without_exception(fragment):
    result = validate(in_body(fragment))
    assert isinstance(result, ValidationResult)


def test_ancestor_checks_do_not_walk_the_open_element_stack():
    # Each tag's parent / ancestor / descendant-list / <p>-closing checks use incremental
    # indexes, so validating N nested tags visits the stack O(N) times, not O(N^2).
    from amp_publisher.core.amp import validator as engine

    class CountingStack(list):
        visits = 0

        def __iter__(self):
            CountingStack.visits += len(self)
            return super().__iter__()

        def __getitem__(self, index):
            CountingStack.visits += 1
            return super().__getitem__(index)

    depth = 3_000
    page = in_body("<div>" * depth + "<p>a<span>b</span><div>c</div>" + "</div>" * depth
                   + "<amp-accordion><section><h2>h</h2><p>x</p></section></amp-accordion>")
    run = engine._Validator(page)
    run.stack = CountingStack()
    tags = page.count("<")
    result = run.run()
    assert codes(result) == ["MISSING_REQUIRED_EXTENSION"]  # amp-accordion's script
    assert CountingStack.visits < 10 * tags


def test_many_attributes_on_one_tag_are_all_checked():
    attrs = " ".join(f"data-a{i}=1" for i in range(20_000))
    assert validate(in_body(f"<p {attrs}>x</p>")).passed
    result = validate(in_body(f"<p {attrs} data-a7=2 onclick=x>x</p>"))
    assert codes(result) == ["DISALLOWED_ATTR"]
    # A repeated attribute is a warning in the official engine (the first value counts).
    assert codes(result, "WARNING") == ["DUPLICATE_ATTRIBUTE"]


def test_byte_order_mark_before_the_doctype_is_not_text():
    # Browsers and the official validator drop a UTF-8 BOM; it is not "text outside body".
    result = validate("\ufeff" + VALID_PAGE)
    assert result.passed, messages(result)


@pytest.mark.parametrize(
    ("srcset", "code"),
    [
        (", , ,, 1x 2x, a 1e999w", "INVALID_ATTR_VALUE"),  # empty candidates
        ("https://example.com/a.jpg 1x 2x", "INVALID_ATTR_VALUE"),  # two descriptors
        ("https://example.com/a.jpg 1e999w", "INVALID_ATTR_VALUE"),  # not an integer width
        ("https://example.com/a.jpg 0x", "INVALID_ATTR_VALUE"),  # zero density
        ("https://example.com/a.jpg 2x https://example.com/b.jpg 1x", "INVALID_ATTR_VALUE"),
        ("https://example.com/a.jpg, https://example.com/b.jpg", "DUPLICATE_DIMENSION"),  # 1x twice
        ("https://example.com/a.jpg 400w, https://example.com/b.jpg 400w", "DUPLICATE_DIMENSION"),
        ("", "MISSING_URL"),
    ],
)
def test_malformed_srcset_fails_as_the_official_srcset_parser_reads_it(srcset, code):
    img = f'<amp-img src="https://example.com/a.jpg" srcset="{srcset}" width="4" height="3" ' \
        'layout="responsive" alt="x"></amp-img>'
    result = validate(in_body(img))
    assert codes(result) == [code], messages(result)
    if code == "DUPLICATE_DIMENSION":
        assert "Multiple image candidates with the same width or pixel density found in " \
            "attribute 'srcset' in tag 'amp-img'." in messages(result)


@pytest.mark.parametrize(
    "srcset",
    ["https://example.com/a.jpg 400w, https://example.com/b.jpg 800w,",
     "https://example.com/a.jpg, https://example.com/b.jpg 1.5x,https://example.com/c.jpg 2x",
     "/img/a.jpg 1x"],
)
def test_well_formed_srcset_passes(srcset):
    img = f'<amp-img src="https://example.com/a.jpg" srcset="{srcset}" width="4" height="3" ' \
        'layout="responsive" alt="x"></amp-img>'
    result = validate(in_body(img))
    assert result.passed, messages(result)


@pytest.mark.parametrize(
    "href",
    ["http://[::1", "https://[not-an-address]/", "https://%zz/", "http://a:99999999999/",
     "https://a..example/", "https://", "https://ex ample.com/"],
)
def test_malformed_url_fails(href):
    result = validate(in_body(f'<a href="{href}">x</a>'))
    assert codes(result) == ["INVALID_URL"], messages(result)
    assert f"Malformed URL '{href}' for attribute 'href' in tag 'a'." in messages(result)


@pytest.mark.parametrize(
    "href",
    ["http://[::1]:8080/x", "https://user:pw@example.com:443/p?q#f", "//example.com/a",
     "https://bücher.example/", "mailto:a@example.com", "/relative?x=[1]"],
)
def test_unusual_but_well_formed_urls_pass(href):
    result = validate(in_body(f'<a href="{href}">x</a>'))
    assert result.passed, messages(result)


def test_disguised_javascript_urls_fail():
    # Browsers drop newlines in URLs, and the official validator entity-decodes a URL once more
    # before checking it; neither may hide the protocol.
    for href in ("java&#10;script:alert(1)", "javascript:alert(1)//&#10;x",
                 "javascript&amp;#58;alert(1)"):
        result = validate(in_body(f'<a href="{href}">x</a>'))
        assert codes(result) == ["INVALID_URL_PROTOCOL"], messages(result)


@pytest.mark.parametrize(
    ("css", "nested"),
    [("p{color:" + "(" * 51 + ")" * 51 + "}", True),
     ("p{color:" + "(" * 50 + ")" * 50 + "}", False),
     ("@media screen{" * 52 + "p{color:red}" + "}" * 52, True),
     ("p{color:" + "(" * 20_000 + "}", True),
     ("@media screen{" * 5_000, True),
     ("p{color:" + "[{" * 50_000 + "}", True)],
    ids=["51-parens", "50-parens", "52-media", "20000-parens", "5000-media", "50000-brackets"],
)
def test_deeply_nested_css_is_a_validation_error_not_an_exception(css, nested):
    result = validate(mutate(".lead { color: #333; }", css))
    assert ("CSS_EXCESSIVELY_NESTED" in codes(result)) is nested, messages(result)
    if nested:
        assert "CSS excessively nested in tag 'style amp-custom'." in messages(result)


def test_deeply_nested_inline_style_is_a_validation_error():
    result = validate(mutate('<h1 class="lead">',
                             '<h1 class="lead" style="color:' + "(" * 60 + '">'))
    assert codes(result) == ["CSS_EXCESSIVELY_NESTED"], messages(result)


def test_json_ld_nested_too_deep_to_parse_is_the_invalid_json_warning():
    page = mutate('"headline": "Hello"}', '"headline": "Hello", "x": ' + "[" * 100_000
                  + "]" * 100_000 + "}")
    result = validate(page)
    assert result.passed  # the official validator only warns about JSON it cannot parse
    assert codes(result, "WARNING") == ["INVALID_JSON_CDATA"]


# Fragments that broke validators before: markup, CSS and URL syntax, code points a str can hold
# but UTF-8 cannot (lone surrogates), controls, a BOM.
_NASTY = [
    "<", ">", "</", "/>", "=", '"', "'", "<style amp-custom>", "</style>", "<p>", "<div>",
    "<script type=application/ld+json>", "</script>", "<amp-img ", "<img ", "<a ", "<svg>",
    "<g>", "<table>", "<td>", "<template>", "<noscript>", "<math>", "<amp-accordion>",
    "<section>", "<amp-sidebar>", "<html ⚡>", "<head>", "<body>", "</body>", "<!doctype html>",
    "srcset=", "src=", "href=", "style=", "width=", "height=", "layout=", "sizes=", "heights=",
    "media=", "on=", "autoscroll", "http://[::1", "https://%zz", "1e999", "NaN", "-1", "1x",
    "100w", "\x00", "\ud800", "\ufeff", "&#0;", "&#xD800;", "&amp", "@media", "{", "}", "(",
    ")", "[", "]", "url(", "!important", ";", ":", ",", " ", "\n", "\\", "/*", "<!--", "-->",
]


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(st.sampled_from(_NASTY), st.text(max_size=4)), max_size=40).map("".join),
    st.sampled_from(["<body>\n", "</head>", "<style amp-custom>", "<amp-accordion", None]),
)
def test_no_exception_escapes_validate(fragment, where):
    if where is None:
        page = fragment
    else:
        at = ALL_COMPONENTS.index(where) + len(where)
        page = ALL_COMPONENTS[:at] + fragment + ALL_COMPONENTS[at:]
    result = validate(page)
    assert result.status in ("PASS", "FAIL")
    assert result.passed == (not codes(result))


def test_error_positions_stay_exact_past_the_parsers_10_kb_chunks():
    # html5lib reads the page in 10,240-character chunks; a fault after many lines, and one at
    # the end of a 30 KB line, must still be reported at its exact line and column.
    bad = '<img src="https://example.com/a.jpg" alt="x" onerror="this.remove()">'
    many_lines = "".join(f"<p>Paragraph {i} of a long article.</p>\n  " for i in range(2000))
    long_line = "<span>word</span> " * 1700
    for filler in (many_lines, long_line, many_lines + long_line):
        page = mutate("<h1", filler + bad + "\n  <h1")
        at = page.index(bad)
        expected = (page.count("\n", 0, at) + 1, at - page.rfind("\n", 0, at) - 1)
        result = validate(page)
        assert codes(result) == ["DISALLOWED_ATTR"], messages(result)
        assert (result.errors[0].line, result.errors[0].col) == expected
