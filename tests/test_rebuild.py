"""Rebuild: a change of the render fingerprint re-renders exactly the stale pages (DESIGN §11).

The fast tests run on moto's in-process mock and drain RenderQueue through the handler's SQS
path in this process; the interrupted-and-resumed rebuild and the CLI run on the embedded
backend with local worker processes, as ``amp-render rebuild`` does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from amp_publisher.aws import handler
from amp_publisher.aws.config import Settings
from amp_publisher.aws.manifest import ManifestTable
from conftest import EVENTS
from inprocess import count_calls, deployment, small_article  # noqa: F401 - fixture

SITE = json.loads((EVENTS / "site.json").read_text())


def _settings(d) -> Settings:
    queue = d.sqs.get_queue_url(QueueName=d.names.render_queue)["QueueUrl"]
    return Settings(site_bucket=d.names.site_bucket, manifest_table=d.names.manifest_table,
                    failed_events_queue_url=d.queue_url, render_queue_url=queue,
                    source_bucket=d.names.source_bucket)


def _publisher(d, **kwargs):
    from amp_publisher.aws.pipeline import Publisher

    return Publisher(_settings(d), s3=d.s3, dynamodb=d.dynamodb, **kwargs)


def _put_config(d, **changes: Any) -> dict:
    body = json.dumps({**SITE, **changes}).encode()
    response = d.s3.put_object(Bucket=d.names.source_bucket, Key="config/site.json", Body=body)
    return d.events.s3_event("ObjectCreated:Put", "config/site.json", size=len(body),
                             etag=response["ETag"].strip('"'))


def _drain(d, publisher, *, limit: int = 500) -> list[dict]:
    """Consume RenderQueue as the event source mapping does: one message per invocation,
    deleted unless the partial batch response names it. Returns the outcomes."""
    url = publisher.settings.render_queue_url
    outcomes: list[dict] = []
    for _ in range(limit):
        messages = d.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1,
                                         WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return outcomes
        message = messages[0]
        event = {"Records": [{"messageId": message["MessageId"],
                              "receiptHandle": message["ReceiptHandle"],
                              "body": message["Body"], "attributes": {},
                              "messageAttributes": {}, "eventSource": "aws:sqs",
                              "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:render",
                              "awsRegion": "us-east-1"}]}
        result = handler.handle_sqs_batch(event, publisher)
        outcomes.extend(result["outcomes"])
        if not result["batchItemFailures"]:
            d.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError("RenderQueue did not drain")


def _name_in(d, page_key: str) -> str:
    html = d.page(page_key).decode()
    return html.split('property="og:site_name" content="', 1)[1].split('"', 1)[0]


@pytest.fixture
def quiet(monkeypatch):
    class Quiet:
        def __getattr__(self, name):
            return lambda *a, **k: None

    monkeypatch.setattr(handler, "logger", Quiet())
    monkeypatch.setattr(handler, "metrics", Quiet())


def test_config_upload_rebuilds_exactly_the_stale_records(deployment, quiet):  # noqa: F811
    d = deployment
    publisher = _publisher(d)
    keys = [f"articles/a{i}.json" for i in range(7)]
    for i, key in enumerate(keys):
        handler.handle_event(d.put_source(key, small_article(f"Story {i}")), publisher)
    handler.handle_event(d.delete_source(keys[6]), publisher)

    result = handler.handle_event(_put_config(d, name="The New Name"), publisher)
    (started,) = result["rebuilds"]
    # Two articles are edited after the change: rendered with the new name already.
    for key in keys[:2]:
        handler.handle_event(d.put_source(key, small_article(f"Edited {key}")), publisher)
    puts = count_calls(d.s3, "PutObject")

    outcomes = _drain(d, publisher)

    records = {r["source_key"]: r for r in d.manifest().scan()}
    rendered = sorted(o["source_key"] for o in outcomes if o["action"] == "published")
    assert rendered == keys[2:6]
    assert sorted(p["Key"] for p in puts) == sorted(records[k]["page_key"] for k in keys[2:6])
    for key in keys[:6]:
        assert records[key]["fingerprint"] == started["fingerprint"]
        assert _name_in(d, records[key]["page_key"]) == "The New Name"
    assert records[keys[6]]["status"] == "deleted"
    latest = d.manifest().get("rebuild#latest")
    assert latest["enumerated"] is True and latest["keys_sent"] == 4

    # Idempotent: a second rebuild at the same fingerprint sends and renders nothing.
    handler.handle_event({"rebuild": {"bucket": d.names.source_bucket, "start": {}}}, publisher)
    assert [o for o in _drain(d, publisher) if o["action"] == "published"] == []


def test_status_counts_current_stale_failed_and_deleted(deployment, quiet):  # noqa: F811
    from amp_publisher.aws.rebuild import progress
    from amp_publisher.aws.status import collect_status, format_status

    d = deployment
    publisher = _publisher(d)
    for i in range(3):
        handler.handle_event(d.put_source(f"articles/s{i}.json", small_article(f"S {i}")),
                             publisher)
    handler.handle_event(d.put_source("articles/bad.json", {"headline": "no date"}), publisher)
    handler.handle_event(d.delete_source("articles/s2.json"), publisher)
    handler.handle_event(_put_config(d, name="Renamed"), publisher)
    fingerprint = d.manifest().get("rebuild#latest")["fingerprint"]

    report = collect_status(d.manifest(), fingerprint=fingerprint)
    assert report.states == {"current": 0, "stale": 3, "failed": 0, "deleted": 1}
    assert report.stale_keys == ["articles/bad.json", "articles/s0.json", "articles/s1.json"]
    assert "against fingerprint" in format_status(report)

    _drain(d, publisher)
    reading = progress(d.manifest(), fingerprint)
    # The broken article fails again under the new fingerprint: done, and reported as failed.
    assert (reading.done, reading.failed, reading.remaining, reading.total) == (3, 1, 0, 3)
    assert reading.finished


def test_article_failing_under_the_new_config_keeps_its_old_page(  # noqa: F811
        deployment, quiet, tmp_path, monkeypatch):  # noqa: F811
    from amp_publisher.core import rendering

    # A theme that cannot render articles of the section "Legacy" (it needs a field they lack).
    theme = tmp_path / "themes" / "strict"
    theme.mkdir(parents=True)
    default = Path(rendering.__file__).parent / "templates" / "default" / "article.html"
    theme.joinpath("article.html").write_text(
        '{% if article.section == "Legacy" %}{{ article.legacy_banner }}{% endif %}\n'
        + default.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv(rendering.THEME_PATH_ENV, str(tmp_path / "themes"))
    d = deployment
    publisher = _publisher(d)
    handler.handle_event(d.put_source("articles/old.json",
                                      small_article("Old one", section="Legacy")), publisher)
    handler.handle_event(d.put_source("articles/new.json", small_article("New one")), publisher)
    old_record = d.manifest().get("articles/old.json")
    old_page = d.page(old_record["page_key"])

    handler.handle_event(_put_config(d, name="Strict Times", theme="strict"), publisher)
    outcomes = {o["source_key"]: o for o in _drain(d, publisher)}

    assert outcomes["articles/old.json"]["action"] == "failed"
    assert outcomes["articles/old.json"]["error"]["code"] == "render_crashed"
    assert d.page(old_record["page_key"]) == old_page  # still served, unchanged
    assert _name_in(d, d.manifest().get("articles/new.json")["page_key"]) == "Strict Times"
    record = d.manifest().get("articles/old.json")
    assert record["status"] == "failed" and record["page_key"] == old_record["page_key"]


def test_invalid_config_starts_no_rebuild_and_pages_keep_serving(deployment, quiet):  # noqa: F811
    d = deployment
    publisher = _publisher(d)
    handler.handle_event(d.put_source("articles/a.json", small_article("Kept")), publisher)
    page = d.manifest().get("articles/a.json")["page_key"]
    before = d.page(page)

    result = handler.handle_event(_put_config(d, base_url="not a url"), publisher)

    assert result["rebuilds"][0]["error"]["path"] == "$"
    assert d.page(page) == before
    assert d.manifest().get("rebuild#latest") is None


def _take_all(d, url: str) -> list[dict]:
    """Receive and delete every message waiting in ``url``; their bodies."""
    bodies = []
    while messages := d.sqs.receive_message(QueueUrl=url,
                                            MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            d.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_enumeration_hands_on_before_the_deadline(deployment, quiet, monkeypatch):  # noqa: F811
    from amp_publisher.aws import rebuild

    d = deployment
    publisher = _publisher(d)
    for i in range(5):
        handler.handle_event(d.put_source(f"articles/e{i}.json", small_article(f"E {i}")),
                             publisher)
    _put_config(d, name="Later")
    monkeypatch.setattr(rebuild, "SCAN_PAGE", 2)
    rebuild.start_rebuild(publisher)
    url = publisher.settings.render_queue_url
    (order,) = _take_all(d, url)

    done = rebuild.enumerate_step(publisher, order, time_left_ms=lambda: 0)

    bodies = _take_all(d, url)
    (following,) = [b for b in bodies if "enumerate" in b["rebuild"]]
    assert done["continued"] is True and 0 < done["keys_sent"] <= 2
    assert following["rebuild"]["enumerate"]["start"]
    # Resumed without a deadline from the position handed on, it sends the rest, once.
    rest = rebuild.enumerate_step(publisher, following)
    sent = [k for b in bodies + _take_all(d, url) for k in b["rebuild"].get("keys", [])]
    assert rest["continued"] is False
    assert sorted(sent) == [f"articles/e{i}.json" for i in range(5)]


def test_template_render_queue_matches_the_embedded_backend():
    from cfnlint.decode.cfn_yaml import load

    from amp_publisher.local import backend

    template = load(str(Path(__file__).resolve().parents[1] / "template.yaml"))
    resources = template["Resources"]
    queue = resources["RenderQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == backend.RENDER_QUEUE_VISIBILITY_S
    assert queue["RedrivePolicy"]["maxReceiveCount"] == backend.RENDER_QUEUE_MAX_RECEIVES
    assert queue["QueueName"] == {"Fn::Sub": "${AWS::StackName}-render"}
    events = resources["RenderFunction"]["Properties"]["Events"]["RebuildBatches"]["Properties"]
    assert events["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "RebuildConcurrency"}
    assert events["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    notifications = resources["SourceBucket"]["Properties"]["NotificationConfiguration"]
    configurations = [c for c in notifications["Fn::If"][2]["LambdaConfigurations"]
                      if "Filter" in c]  # the others are conditional (Fn::If)
    config = [c for c in configurations if c["Filter"]["S3Key"]["Rules"]
              == [{"Name": "prefix", "Value": "config/site.json"}]]
    assert sorted(c["Event"] for c in config) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    # The same target as the article notifications.
    assert {json.dumps(c["Function"]) for c in configurations} == \
        {json.dumps(configurations[0]["Function"])}


def test_manifest_scan_leaves_the_rebuild_item_out(deployment, quiet):  # noqa: F811
    d = deployment
    publisher = _publisher(d)
    handler.handle_event(d.put_source("articles/x.json", small_article("X")), publisher)
    handler.handle_event(_put_config(d, name="Y"), publisher)
    assert [r["source_key"] for r in ManifestTable(d.names.manifest_table, d.dynamodb).scan()] \
        == ["articles/x.json"]


# -- the embedded backend, local worker processes, the CLI ----------------------------------


def _publish_site(backend, count: int) -> list[str]:
    keys = [f"articles/site-{i:02d}.json" for i in range(count)]
    for i, key in enumerate(keys):
        body = json.dumps(small_article(f"Site story {i}")).encode()
        backend.invoke(backend.put_source(key, body))
    return keys


def _page_versions(backend) -> dict[str, int]:
    s3 = backend.client("s3")
    versions: dict[str, int] = {}
    for page in s3.get_paginator("list_object_versions").paginate(
            Bucket=backend.names.site_bucket):
        for version in page.get("Versions", []):
            versions[version["Key"]] = versions.get(version["Key"], 0) + 1
    return versions


@pytest.mark.slow
def test_interrupted_rebuild_resumes_and_renders_each_page_once(backend, monkeypatch, capsys):
    import functools

    from amp_publisher.aws.rebuild import progress
    from amp_publisher.local.rebuild import run_rebuild
    from amp_publisher.local.workers import LocalWorkers, run_worker
    from rebuild_faults import die_after_commits

    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
    s3 = backend.client("s3")
    # Every PutObject of a page keeps a version, so the writes can be counted afterwards.
    s3.put_bucket_versioning(Bucket=backend.names.site_bucket,
                             VersioningConfiguration={"Status": "Enabled"})
    keys = _publish_site(backend, 12)
    assert set(_page_versions(backend).values()) == {1}
    body = json.dumps({**SITE, "name": "Resumed Daily"}).encode()
    s3.put_object(Bucket=backend.names.source_bucket, Key="config/site.json", Body=body)
    started = backend.invoke(backend.s3_event("ObjectCreated:Put", "config/site.json"))
    fingerprint = started["rebuilds"][0]["fingerprint"]

    # One worker is killed after five pages, in the middle of a message.
    crashing = LocalWorkers(1, target=run_worker,
                            before_invoke=functools.partial(die_after_commits, 5)).start()
    for process in crashing.processes:
        process.join(120)
    assert crashing.alive() == 0 and crashing.processes[0].exitcode == 137
    manifest = ManifestTable(backend.names.manifest_table)
    halfway = progress(manifest, fingerprint)
    assert (halfway.done, halfway.remaining) == (5, 7)

    # Resumed: only what is left is rendered, by two workers.
    assert run_rebuild(concurrency=2, interval=0.5) == 0
    out = capsys.readouterr().out
    assert "12/12 done, 0 failed, 0 remaining" in out

    final = progress(manifest, fingerprint)
    assert (final.done, final.failed, final.remaining) == (12, 0, 0)
    versions = _page_versions(backend)
    records = {r["source_key"]: r for r in manifest.scan()}
    # Each page: the first render, then exactly one render after the change.
    assert {records[k]["page_key"]: versions[records[k]["page_key"]] for k in keys} == \
        {records[k]["page_key"]: 2 for k in keys}
    for key in keys:
        page = s3.get_object(Bucket=backend.names.site_bucket, Key=records[key]["page_key"])
        assert b'content="Resumed Daily"' in page["Body"].read()


@pytest.mark.slow
def test_cli_rebuild_dry_run_status_and_stale_list(backend, monkeypatch, capsys):
    from amp_publisher.local.cli import main

    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
    keys = _publish_site(backend, 3)
    assert main(["rebuild", "--dry-run"]) == 0
    assert "0 stale record(s)" in capsys.readouterr().out
    backend.client("s3").put_object(
        Bucket=backend.names.source_bucket, Key="config/site.json",
        Body=json.dumps({**SITE, "tagline": "A new tagline"}).encode())

    assert main(["rebuild", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 stale record(s) would be rendered again" in out
    assert all(k in out for k in keys)
    main(["status", "--stale"])
    assert capsys.readouterr().out.split() == keys
    main(["status"])
    assert "0 current, 3 stale, 0 failed, 0 deleted" in capsys.readouterr().out

    # Started without waiting: the pages wait in RenderQueue, and status says so (exit 3).
    assert main(["rebuild", "--no-wait"]) == 0
    capsys.readouterr()
    assert main(["status", "--rebuild"]) == 3
    assert "0/3 done, 0 failed, 3 remaining" in capsys.readouterr().out

    assert main(["rebuild", "--concurrency", "1"]) == 0
    assert "3/3 done" in capsys.readouterr().out
    assert main(["status", "--rebuild"]) == 0
    assert "3/3 done, 0 failed, 0 remaining" in capsys.readouterr().out

    # A page that fails under the new configuration: the rebuild is done, and failed (exit 1).
    backend.invoke(backend.put_source(keys[0], b'{"headline": ""}'))
    assert main(["status", "--rebuild"]) == 1
    assert "3/3 done, 1 failed, 0 remaining" in capsys.readouterr().out
