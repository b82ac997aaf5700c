"""The conversion report: every change has an entry a publisher can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from amp_publisher.core.conversion import ReportEntry, convert_html

ROOT = Path(__file__).parent.parent
MESSY = sorted((ROOT / "tests/corpus/raw/messy-html").glob("*.html"))


@pytest.mark.parametrize("path", MESSY, ids=lambda p: p.stem)
def test_every_entry_names_what_why_where_and_the_rule(path):
    result = convert_html(path.read_text(encoding="utf-8"))
    assert result.report, "every messy corpus body needs some conversion"
    for entry in result.report:
        assert isinstance(entry, ReportEntry)
        assert entry.code == entry.code.upper() and " " not in entry.code
        assert entry.action in ("removed", "unwrapped", "converted", "rewritten")
        assert entry.element and entry.detail
        assert entry.rule.startswith("https://"), entry
        assert set(entry.to_dict()) == {"code", "action", "element", "attribute", "detail",
                                        "removed_text", "rule"}


def test_removed_visible_text_is_carried_by_the_entry():
    result = convert_html("<p>Keep</p><object data=movie.swf><p>Get Flash Player</p></object>")
    assert result.html == "<p>Keep</p>"
    assert [(e.element, e.removed_text) for e in result.report] == [
        ("object", "Get Flash Player")]


def test_unwrapping_keeps_text_and_reports_none_lost():
    result = convert_html("<font size=2>small <b>bold</b></font>")
    assert result.html == "small <b>bold</b>"
    (entry,) = result.report
    assert (entry.code, entry.action, entry.element, entry.removed_text) == (
        "DISALLOWED_TAG", "unwrapped", "font", "")


def test_attribute_entries_name_the_attribute():
    result = convert_html('<img src="https://cdn.example/a.png" width="100" height="80" alt="x" '
                          'border="0" onerror="track()">')
    assert ("DISALLOWED_ATTR", "onerror") in {(e.code, e.attribute) for e in result.report}
    assert ("DISALLOWED_ATTR", "border") in {(e.code, e.attribute) for e in result.report}
