"""``amp-render validate``: the official CLI's output shape and exit status on real files."""

from __future__ import annotations

import json
from pathlib import Path

from amp_publisher.local.validate import main

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ROOT / "third_party/amp-spec/tests/validator/testdata/feature_tests"
VALID = FEATURES / "new_boilerplate.html"
XSS = FEATURES / "javascript_xss.html"


def test_valid_file_prints_pass_and_exits_0(capsys):
    assert main([str(VALID)]) == 0
    assert capsys.readouterr().out == f"{VALID}: PASS\n"


def test_invalid_file_prints_one_line_per_error_with_position_and_url(capsys):
    assert main([str(XSS)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{XSS}: FAIL"
    assert (
        f"{XSS}:11:2 Invalid URL protocol 'javascript:' for attribute 'href' in tag 'a'. "
        "(see https://amp.dev/documentation/guides-and-tutorials/learn/spec/amphtml/#links)"
    ) in lines


def test_any_fail_among_several_files_exits_1(capsys):
    assert main([str(VALID), str(XSS)]) == 1
    out = capsys.readouterr().out
    assert f"{VALID}: PASS" in out and f"{XSS}: FAIL" in out


def test_json_format_is_machine_readable(capsys):
    assert main([str(XSS), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    errors = report[str(XSS)]["errors"]
    assert report[str(XSS)]["status"] == "FAIL"
    hrefs = [e for e in errors if e["code"] == "INVALID_URL_PROTOCOL"]
    assert [(e["line"], e["col"]) for e in hrefs] == [(11, 2), (12, 2), (13, 2), (14, 2)]
    assert set(errors[0]) == {"line", "col", "code", "message", "spec_url", "severity"}


def test_unreadable_file_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "missing.html")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_page_text_in_messages_cannot_forge_lines_or_drive_the_terminal(tmp_path, capsys):
    # An attribute value is quoted in INVALID_ATTR_VALUE; its newline and ESC are escaped, so
    # each error stays one line and no "PASS" line can be forged.
    page = VALID.read_text(encoding="utf-8").replace(
        "<body>", '<body><ol type="x&#10;forged.html: PASS&#27;[2J"><li>x</li></ol>', 1)
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    assert main([str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{path}: FAIL"
    assert len(lines) == 2
    assert "'x\\x0aforged.html: PASS\\x1b[2J'" in lines[1]
    assert main([str(path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert "x\nforged.html: PASS\x1b[2J" in report[str(path)]["errors"][0]["message"]
