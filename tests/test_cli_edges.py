"""The command line's rough edges, as a user meets them: every mistake (a bad path, a bad event
or site file, a busy port) and a closed output pipe give one line on stderr and exit 2, never a
traceback or a hang; ``--version``; ``render`` says when it changed the body."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from importlib.metadata import version

import pytest

from amp_publisher.local.cli import main
from conftest import EVENTS, REFERENCE, REPO


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("amp-render: ") or ": " in lines[0], err
    return lines[0]


def _cli(*args: str, stdout=subprocess.PIPE, timeout: float = 60) -> subprocess.CompletedProcess:
    """``amp-render ARGS`` in a child process (a hang becomes a test failure, not a stuck run)."""
    return subprocess.run([sys.executable, "-c",
                           "import sys; from amp_publisher.local.cli import main; "
                           "sys.exit(main())", *args],
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=timeout,
                          cwd=REPO)


def test_version_names_the_installed_package(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"amp-render {version('amp-publisher')}"


def test_render_missing_article(tmp_path, capsys):
    assert main(["render", str(tmp_path / "nope.json")]) == 2
    assert "nope.json: cannot read" in _one_line_error(capsys)


@pytest.mark.parametrize(("content", "says"), [
    (None, "cannot read"), ("{not json", "not JSON"), ("[1, 2]", "a JSON object is expected"),
    ('{"base_url": "ftp://x"}', "base_url"),
])
def test_render_bad_site_file(tmp_path, capsys, content, says):
    site = tmp_path / "site.json"
    if content is not None:
        site.write_text(content)
    assert main(["render", str(REFERENCE), "--site", str(site)]) == 2
    line = _one_line_error(capsys)
    assert line.startswith(f"amp-render: site file {site}") and says in line


@pytest.mark.parametrize(("content", "says"), [
    (None, "cannot read: No such file"), ('{"Records": [', "not JSON: Expecting value"),
    ("[]", "a JSON object (a Lambda event) is expected"),
])
def test_invoke_bad_event_file(tmp_path, capsys, content, says):
    event = tmp_path / "event.json"
    if content is not None:
        event.write_text(content)
    assert main(["invoke", "-e", str(event), "--out", str(tmp_path / "out")]) == 2
    line = _one_line_error(capsys)
    assert line.startswith(f"amp-render: event file {event}") and says in line


def test_invoke_outside_the_repository_says_nothing_was_uploaded(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    event = str(EVENTS / "s3-put-reference.json")
    assert main(["invoke", "-e", event]) == 2
    assert "nothing was uploaded" in _one_line_error(capsys)
    (tmp_path / "empty").mkdir()
    assert main(["invoke", "-e", event, "--articles", str(tmp_path / "empty")]) == 2
    assert "nothing was uploaded" in _one_line_error(capsys)
    assert not (tmp_path / "build").exists()


def test_demo_outside_the_repository(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 2
    assert "events/articles: no article JSON files there" in _one_line_error(capsys)


def test_backend_seed_outside_the_repository(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["backend", "--seed", "--port", "0"]) == 2
    assert "nothing to seed" in _one_line_error(capsys)


def test_serve_missing_folder(tmp_path, capsys):
    assert main(["serve", str(tmp_path / "site")]) == 2
    assert "does not exist" in _one_line_error(capsys)


@pytest.mark.parametrize("command", [["backend"], ["serve", "."]])
def test_busy_port_is_refused_at_once(command):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = _cli(*command, "--port", str(port))
    assert run.returncode == 2
    assert run.stderr.strip() == (f"amp-render: 127.0.0.1:{port} is in use by another process"
                                  + (" (Address already in use)" if command == ["backend"]
                                     else "") + "; choose another with --port")


def test_broken_pipe_is_one_line_and_exit_2():
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: `amp-render schema | head -0`
    try:
        run = _cli("schema", stdout=write_end)
    finally:
        os.close(write_end)
    assert run.returncode == 2
    assert run.stderr.strip() == "amp-render: output closed before the end (broken pipe)"


def test_render_summarises_changes_without_report(tmp_path, capsys):
    article = {"headline": "Changed", "published": "2026-06-25",
               "body_html": '<p onclick="x()">Hi</p><script>evil()</script><font>old</font>'}
    source = tmp_path / "a.json"
    source.write_text(json.dumps(article))
    assert main(["render", str(source), "-o", str(tmp_path / "out.html")]) == 0
    err = capsys.readouterr().err
    summary = [line for line in err.splitlines() if "see --report" in line]
    assert len(summary) == 1
    count = int(summary[0].split(": ")[1].split()[0])
    assert main(["render", str(source), "-o", str(tmp_path / "out.html"), "--report"]) == 0
    assert f"conversion report ({count} entries)" in capsys.readouterr().err
