"""The rules converter (tools/build_rules.py) and the packaged rules data it produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from amp_publisher.core.amp import rules
from conftest import load_tool

ROOT = Path(__file__).resolve().parent.parent


build_rules = load_tool("build_rules")


def test_every_rule_file_parses_unchanged_into_one_rule_set():
    """All rule files come from one upstream commit: no renaming, no tolerant loading."""
    pytest.importorskip("grpc_tools")
    pb2, merged = build_rules.load_rules()
    assert len(build_rules.rule_files()) == 3 + 139
    assert merged.spec_file_revision == 1188
    amp = [t for t in merged.tags if pb2.HtmlFormat.AMP in t.html_format]
    assert len(merged.tags) == 732 and len(amp) == 682


def test_regenerating_gives_the_committed_file(tmp_path):
    pytest.importorskip("grpc_tools")
    out = tmp_path / "rules.json"
    assert build_rules.main(["-o", str(out)]) == 0
    committed = ROOT / "src/amp_publisher/core/amp/rules.json"
    assert out.read_bytes() == committed.read_bytes()


def test_header_names_generator_and_spec_revision():
    header = rules.header()
    assert header["generator"] == "tools/build_rules.py"
    assert header["spec_file_revision"] == 1188
    assert header["html_format"] == "AMP"


def test_amp_img_layouts_are_those_of_validator_main():
    assert rules.supported_layouts("amp-img") == {
        "FILL", "FIXED", "FIXED_HEIGHT", "FLEX_ITEM", "INTRINSIC", "NODISPLAY", "RESPONSIVE",
    }


def test_style_amp_custom_and_inline_styles_limits():
    css = rules.doc_css()
    assert css.max_bytes == 75000
    assert css.max_bytes_per_inline_style == 1000
    assert css.allow_important is False


def test_only_amp_format_specs_are_kept():
    # validator-main has a separate !DOCTYPE spec for AMP4ADS and TITLE for AMP4EMAIL.
    names = {s.spec_name for s in rules.tag_specs_for("!doctype")}
    assert names == {"html doctype"}
    assert "title [AMP4EMAIL]" not in {s.spec_name for s in rules.tag_specs_for("title")}


def test_enabled_by_specs_dropped_disabled_by_kept():
    html_specs = rules.tag_specs_for("html")
    assert [s.spec_name for s in html_specs] == ["html"]  # "html (transformed)" is enabled_by
    assert rules.tag_spec_by_name("amphtml engine script") is not None  # disabled_by transformed


def test_sanitizer_api_answers_from_the_rules():
    assert not rules.is_tag_allowed("font")
    assert not rules.is_tag_allowed("embed")
    assert rules.is_tag_allowed("amp-iframe")
    assert rules.extension_for_tag("amp-youtube") == "amp-youtube"
    assert rules.extension_for_tag("amp-img") is None
    assert "onclick" not in rules.allowed_attributes("p")
    assert "javascript" not in rules.url_protocols("a", "href")
    assert "https" in rules.url_protocols("a", "href")
    assert rules.extension_script_src("amp-youtube") == (
        "https://cdn.ampproject.org/v0/amp-youtube-0.1.js"
    )
    assert "src" in rules.mandatory_attributes("amp-anim")


def test_legacy_extension_rules_are_loaded():
    # amp-gist (2018 file with allowed_versions) and amp-anim (ACTIONS, GRANDFATHERED).
    gist = rules.extension_spec("amp-gist")
    assert gist is not None and gist.versions == ("0.1", "latest")
    assert rules.is_tag_allowed("amp-anim")


def test_cdata_denylists_give_the_regexes_verdict_on_texts_with_and_without_their_literal():
    """``denylist_issue`` skips a denylist regex when the text lacks the literal the regex
    needs; over the packaged rules' own patterns it still reports exactly what the regex finds."""
    import re

    from amp_publisher.core.amp.css import denylist_issue

    texts = ["", ".a{color:red}", "i-amphtml-x{}", ".i-amphtml-x{}", "ai-amphtml-x{}",
             "_i-amphtml-", "é i-amphtml-", "éi-amphtml-", "x\ni-amphtml-", "i-amphtml",
             "<!-- x", "<!-", "a<!--b", "-->", "\n"]
    checked = set()
    for spec in rules.load(frozenset({"amp"})).by_spec_name.values():
        for rule in (spec.cdata or {}).get("disallowed_cdata_regex", ()):
            cdata = {"disallowed_cdata_regex": [rule]}
            for text in texts:
                expected = re.search(rule["regex"], text) is not None
                assert (denylist_issue(text, cdata, "t") is not None) == expected, \
                    (rule["regex"], text)
            checked.add(rule["regex"])
    assert {r"(^|\W)i-amphtml-", "<!--"} <= checked
