"""The amp-render command line as a user runs it: render, schema, invoke, demo."""

from __future__ import annotations

import json

import pytest

from amp_publisher.local.cli import main
from conftest import ARTICLES, EVENTS, REFERENCE, REFERENCE_SLUG


def test_render_writes_a_valid_page_without_aws(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    status = main(["render", str(REFERENCE), "--site", str(EVENTS / "site.json"),
                   "-o", f"{tmp_path}/"])
    err = capsys.readouterr().err
    assert status == 0, err
    page = tmp_path / REFERENCE_SLUG / "index.html"
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert "AMP validation PASS" in err


def test_render_to_stdout(capsys):
    assert main(["render", str(REFERENCE), "--site", str(EVENTS / "site.json")]) == 0
    assert "<h1 class=\"headline\">" in capsys.readouterr().out


def test_render_reports_a_bad_file_by_name_and_code(tmp_path, capsys):
    bad = tmp_path / "broken.json"
    bad.write_text('{"headline": "x", "published": "2026-01-01", "body": [{"type": "poll"}]}')
    assert main(["render", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "broken.json" in err and "schema_error" in err and "body[0].type" in err


def test_schema_is_json_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["required"] == ["headline", "published"]


@pytest.mark.parametrize(
    ("event", "action", "source_key"),
    [
        ("s3-put-reference", "published", "articles/met-palantir-extension.json"),
        ("s3-put-encoded-key", "published", "articles/Café Menu+2026.json"),
        ("s3-delete-reference", "unpublished", "articles/met-palantir-extension.json"),
    ],
)
def test_invoke_runs_a_sample_event_on_the_embedded_backend(tmp_path, capsys, event, action,
                                                             source_key):
    status = main(["invoke", "-e", str(EVENTS / f"{event}.json"), "--articles", str(ARTICLES),
                   "--site", str(EVENTS / "site.json"), "--out", str(tmp_path / "site")])
    result = json.loads(capsys.readouterr().out)
    assert status == 0
    assert [(o["action"], o["source_key"]) for o in result["outcomes"]] == [(action, source_key)]


def test_invoke_ignores_the_test_event(tmp_path, capsys):
    assert main(["invoke", "-e", str(EVENTS / "s3-test-event.json"), "--out",
                 str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["ignored"] == ["s3:TestEvent"]


@pytest.mark.slow
def test_demo_publishes_the_samples_then_unpublishes_one(demo_run):
    rows, text, out = demo_run
    articles_rows = [r for r in rows if r.kind == "article"]
    assert {r.status for r in articles_rows} == {"published, AMP valid"}
    assert {r.source_key for r in articles_rows} == {
        f"articles/{p.name}" for p in ARTICLES.glob("*.json")}
    outputs = {r.page_key: r.status for r in rows if r.kind == "site output"}
    assert outputs["index.html"] == "index page, AMP valid"
    assert {"sitemap.xml", "news-sitemap.xml", "robots.txt", "feed.xml", "atom.xml",
            "feed.json"} <= set(outputs)
    assert (out / "index.html").exists() and (out / "sitemap.xml").exists()
    assert f"/{REFERENCE_SLUG}-html/".encode() not in (out / "feed.xml").read_bytes()
    assert "0 broken link(s)" in text
    assert (out / REFERENCE_SLUG / "index.html").exists()
    assert not (out / f"{REFERENCE_SLUG}-html" / "index.html").exists()
    # transformed AMP by default (the demo runs with AMP_TRANSFORM unset), and the demo says so
    assert "AMP_TRANSFORM=on: transformed AMP" in text
    for page in (REFERENCE_SLUG + "/index.html", "index.html", "404.html"):
        assert 'transformed="self;v=1"' in (out / page).read_text(encoding="utf-8"), page
    assert "unpublished" in text and "status deleted" in text
    assert "source key" in text and "render ms" in text
    assert [line for line in text.splitlines() if line.endswith(" ")] == []  # copy-pastable
    # The rename at the end starts a rebuild, which the local workers render, as the README says.
    assert ("2 local worker processes render the stale pages from RenderQueue (Lambda's "
            "concurrency in AWS)") in text
    # The rename at the end reaches every page, the 404 page included.
    renamed = [line for line in text.splitlines()
               if line.startswith("  ") and (": site name " in line or ": title " in line)]
    assert "  404.html: title 'Page not found | WanderStayFinder Weekly'" in renamed
    assert f"  {REFERENCE_SLUG}/index.html: site name 'WanderStayFinder Weekly'" in renamed
    assert all("WanderStayFinder Weekly" in line for line in renamed)


def test_serve_maps_urls_like_cloudfront(tmp_path):
    import threading
    import urllib.error
    import urllib.request

    from amp_publisher.local.preview import make_server

    page = tmp_path / REFERENCE_SLUG / "index.html"
    page.parent.mkdir()
    page.write_text("<!doctype html><title>x</title>", encoding="utf-8")
    server = make_server(tmp_path, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for path in (f"/{REFERENCE_SLUG}/", f"/{REFERENCE_SLUG}"):
            with urllib.request.urlopen(base + path, timeout=5) as response:
                assert response.headers["Content-Type"] == "text/html; charset=utf-8"
                assert response.read().startswith(b"<!doctype html>")
        for missing in ("/no-such-page/", "/"):
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(base + missing, timeout=5)
            assert caught.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_render_escapes_field_names_and_refuses_empty_files(tmp_path, capsys, reference_data):
    forged = dict(reference_data)
    forged["evil\n\u001b[31mFAKE: AMP validation PASS"] = 1
    source = tmp_path / "forged.json"
    source.write_text(json.dumps(forged))
    assert main(["render", str(source), "-o", f"{tmp_path}/out/"]) == 0
    err = capsys.readouterr().err
    assert "\u001b" not in err and "\nFAKE" not in err
    assert "evil\\n\\x1b[31mFAKE" in err

    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    assert main(["render", str(empty)]) == 2
    assert "no publishable article" in capsys.readouterr().err
