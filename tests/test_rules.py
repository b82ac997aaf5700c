"""The rules converter (tools/build_rules.py) and the packaged rules data it produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from amp_publisher.core.amp import rules
from conftest import load_tool

ROOT = Path(__file__).resolve().parent.parent


build_rules = load_tool("build_rules")


def test_bridge_renames_old_condition_fields_only_at_field_position():
    text = (
        'tags: {\n  satisfies: "a"\n  requires: "b"\n  excludes: "c"\n'
        '  requires_extension: "amp-x"\n  attrs: { name: "on" trigger: { also_requires_attr: '
        '"role" } }\n  # requires: "in a comment stays"\n}\n'
    )
    out = build_rules.bridge_legacy_syntax(text)
    assert 'satisfies_condition: "a"' in out
    assert 'requires_condition: "b"' in out
    assert 'excludes_condition: "c"' in out
    assert 'requires_extension: "amp-x"' in out
    assert "also_requires_attr" in out
    assert '# requires: "in a comment stays"' in out


def test_bridge_drops_actions_format_and_maps_retired_extension_fields():
    text = (
        "tags: {\n  html_format: AMP\n  html_format: ACTIONS\n  extension_spec: {\n"
        '    allowed_versions: "0.1"\n    requires_usage: GRANDFATHERED\n  }\n}\n'
    )
    out = build_rules.bridge_legacy_syntax(text)
    assert "ACTIONS" not in out
    assert "html_format: AMP" in out
    assert 'version: "0.1"' in out and "allowed_versions" not in out
    assert "requires_usage: EXEMPTED" in out


def test_current_files_parse_only_after_bridging():
    pytest.importorskip("grpc_tools")
    from google.protobuf import text_format

    pb2, merged = build_rules.load_rules()
    legacy = ROOT / "third_party/amp-spec/extensions/amp-gist/validator-amp-gist.protoascii"
    with pytest.raises(text_format.ParseError):
        text_format.Parse(legacy.read_text(encoding="utf-8"), pb2.ValidatorRules())
    assert merged.spec_file_revision == 1188


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
