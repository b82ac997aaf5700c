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
    from amp_publisher.core import theme as themes

    # A theme that cannot render articles of the section "Legacy" (it needs a field they lack).
    theme = tmp_path / "themes" / "strict"
    theme.mkdir(parents=True)
    default = themes.TEMPLATES_DIR / "default" / "article.html"
    theme.joinpath("article.html").write_text(
        '{% if article.section == "Legacy" %}{{ article.legacy_banner }}{% endif %}\n'
        + default.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv(themes.THEME_PATH_ENV, str(tmp_path / "themes"))
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


# -- the edge and the site around the articles ---------------------------------------------


def _site_settings(d) -> Settings:
    """The deployment as template.yaml wires it: a distribution, SiteIndexQueue, the 404 page."""
    import dataclasses

    index = d.sqs.get_queue_url(QueueName=d.names.site_index_queue)["QueueUrl"]
    return dataclasses.replace(_settings(d), distribution_id=d.distribution_id,
                               site_index_queue_url=index, error_page_key="404.html")


def _site_publisher(d):
    from amp_publisher.aws.pipeline import Publisher

    return Publisher(_site_settings(d), s3=d.s3, dynamodb=d.dynamodb, cloudfront=d.cloudfront,
                     sqs=d.sqs)


@pytest.fixture
def prompt_finish(monkeypatch):
    """The finish step looks again at once (RenderQueue is drained in this process)."""
    from amp_publisher.aws import rebuild

    monkeypatch.setattr(rebuild, "FINISH_RECHECK_S", 0)


def _invalidated_paths(d) -> list[str]:
    return [p for i in d.invalidations() for p in i["InvalidationBatch"]["Paths"]["Items"]]


def test_rebuild_invalidates_only_pages_whose_source_changed(
        deployment, quiet, prompt_finish):  # noqa: F811
    d = deployment
    publisher = _site_publisher(d)
    for name in ("a1", "a2"):
        handler.handle_event(d.put_source(f"articles/{name}.json", small_article(name.upper())),
                             publisher)
    pages = {k: d.manifest().get(f"articles/{k}.json")["page_key"] for k in ("a1", "a2")}
    _take_all(d, publisher.settings.site_index_queue_url)
    before = len(_invalidated_paths(d))
    handler.handle_event(_put_config(d, name="Edge Times"), publisher)
    # a2 is edited, and its event has not arrived yet when the rebuild reaches it.
    d.put_source("articles/a2.json", small_article("A2", summary="Corrected."))

    outcomes = _drain(d, publisher)

    assert sorted(o["source_key"] for o in outcomes if o["action"] == "published") == \
        ["articles/a1.json", "articles/a2.json"]
    paths = _invalidated_paths(d)[before:]
    a1, a2 = ("/" + pages[k][: -len("index.html")] for k in ("a1", "a2"))
    # a1 only changed its site name: it reaches readers with the edge TTL, no path is paid for.
    assert a1 not in paths and a1 + "index.html" not in paths
    # a2's text changed: invalidated as its event would have done.
    assert {a2, a2 + "index.html"} <= set(paths)
    for key in pages.values():
        page = d.s3.get_object(Bucket=d.names.site_bucket, Key=key)
        assert _name_in(d, key) == "Edge Times"
        # The bound on the edge copy of a page not invalidated: s-maxage + stale-while-revalidate.
        assert "s-maxage=" in page["CacheControl"] and \
            "stale-while-revalidate=" in page["CacheControl"]
    assert not d.manifest().get("articles/a1.json").get("invalidation_pending")


def test_rebuild_leaves_listing_items_that_already_hold_the_entry(
        deployment, quiet, prompt_finish):  # noqa: F811
    """A config change re-renders every page but changes no index entry: the listing items
    (one per listing of each article) are not written again; an article edited meanwhile
    still has its items rewritten. (One article per section: a related list that changed
    would be a changed item too.)"""
    d = deployment
    publisher = _site_publisher(d)
    keys = [f"articles/m{i}.json" for i in range(3)]
    for i, key in enumerate(keys):
        article = small_article(f"M {i}", section=f"S{i}", slug=f"m-{i}")
        handler.handle_event(d.put_source(key, article), publisher)
    _take_all(d, publisher.settings.site_index_queue_url)
    listing = ManifestTable.listing_item_key("section/s0", keys[0])
    assert d.manifest().get(listing)  # published articles have listing items
    handler.handle_event(_put_config(d, name="Listing Times"), publisher)
    d.put_source(keys[2], small_article("M 2 corrected", section="S2", slug="m-2"))
    writes = count_calls(d.dynamodb, "BatchWriteItem")

    outcomes = _drain(d, publisher)

    assert sorted(o["source_key"] for o in outcomes if o["action"] == "published") == keys
    written = {r["PutRequest"]["Item"]["article_key"]["S"]
               for call in writes for requests in call["RequestItems"].values()
               for r in requests if "PutRequest" in r}
    assert written == {keys[2]}  # only the edited article's entry changed
    for key in keys:
        record = d.manifest().get(key)
        assert _name_in(d, record["page_key"]) == "Listing Times"
        item = d.manifest().get(ManifestTable.listing_item_key(f"section/s{key[-6]}", key))
        assert item["headline"] == record["headline"]


def test_rebuild_sends_every_index_output_once_after_the_articles(
        deployment, quiet, prompt_finish):  # noqa: F811
    d = deployment
    publisher = _site_publisher(d)
    index_url = publisher.settings.site_index_queue_url
    keys = [f"articles/n{i}.json" for i in range(6)]
    for i, key in enumerate(keys):
        handler.handle_event(d.put_source(key, small_article(f"N {i}", section=f"S{i % 2}")),
                             publisher)
    assert len(_take_all(d, index_url)) == 6  # one message per upload, as before
    handler.handle_event(_put_config(d, name="Once Daily"), publisher)

    outcomes = _drain(d, publisher)

    assert sum(o["action"] == "published" for o in outcomes) == 6
    messages = _take_all(d, index_url)
    assert messages == [{"rebuild": d.manifest().get("rebuild#latest")["id"], "all": True,
                         "news": True}]
    latest = d.manifest().get("rebuild#latest")
    import datetime as dt

    last_render = max(dt.datetime.fromisoformat(d.manifest().get(k)["rendered_at"])
                      for k in keys)
    assert float(latest["finished_at"]) >= last_render.timestamp()
    assert int(latest["stale_left"]) == 0


def test_rebuild_renders_the_404_page_again_even_with_no_article_to_render(
        deployment, quiet, prompt_finish):  # noqa: F811
    d = deployment
    publisher = _site_publisher(d)
    handler.handle_event(d.put_source("articles/only.json", small_article("Only")), publisher)
    assert b"Edge Times" not in d.page("404.html")
    handler.handle_event(d.delete_source("articles/only.json"), publisher)
    before = len(_invalidated_paths(d))

    handler.handle_event(_put_config(d, name="Edge Times"), publisher)
    outcomes = _drain(d, publisher)

    assert outcomes == []  # no article left to render
    assert b"Edge Times" in d.page("404.html")
    assert "/404.html" in _invalidated_paths(d)[before:]


def _enumerated(d, publisher, names: tuple[str, ...], site_name: str) -> list[dict]:
    """Publish ``names``, change the site's name, run the rebuild's enumeration: the
    RenderQueue bodies it sent (key batches, the finish order, the sweep), taken off the
    queue."""
    for name in names:
        handler.handle_event(d.put_source(f"articles/{name}.json", small_article(name)),
                             publisher)
    _take_all(d, publisher.settings.site_index_queue_url)
    handler.handle_event(_put_config(d, name=site_name), publisher)
    url = publisher.settings.render_queue_url
    (start,) = _take_all(d, url)
    handler.handle_event(start, publisher)  # the enumeration
    return _take_all(d, url)


def test_rebuild_finishes_without_records_nothing_will_render(
        deployment, quiet, prompt_finish):  # noqa: F811
    from amp_publisher.aws import rebuild

    d = deployment
    publisher = _site_publisher(d)
    bodies = _enumerated(d, publisher, ("k1", "k2"), "Stuck Times")
    url = publisher.settings.render_queue_url
    # The key batches are lost (in the failed-events queue after their receives), and the sweep
    # has run: only the finish order is left.
    d.sqs.purge_queue(QueueUrl=url)
    (finish,) = [b for b in bodies if "finish" in b["rebuild"]]
    looks = []
    for _ in range(rebuild.FINISH_IDLE_CHECKS + 2):
        d.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(finish))
        message = d.sqs.receive_message(QueueUrl=url)["Messages"][0]  # in flight, as in Lambda
        done = rebuild.finish_step(publisher, finish, publisher.invalidation_batch())
        d.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        looks.append(done)
        if done["finished"]:
            break
        (finish,) = [b for b in _take_all(d, url) if "finish" in b["rebuild"]]
    assert [look["finished"] for look in looks] == \
        [False] * (rebuild.FINISH_IDLE_CHECKS - 1) + [True]
    assert looks[-1]["stale_left"] == 2
    assert d.manifest().get("rebuild#latest")["stale_left"] == 2
    from amp_publisher.aws.rebuild import progress
    from amp_publisher.local.rebuild import format_progress

    assert "; finished without 2 record(s)" in format_progress(progress(d.manifest()))
    assert len(_take_all(d, publisher.settings.site_index_queue_url)) == 1


def test_finish_does_not_read_the_manifest_while_key_batches_wait(
        deployment, quiet, prompt_finish):  # noqa: F811
    """The finish order looks for stale records every few seconds for as long as the rebuild
    runs; while RenderQueue still holds key batches nobody has taken, the rebuild cannot be
    done, so it looks again later without reading a page of the manifest."""
    from amp_publisher.aws import rebuild

    d = deployment
    publisher = _site_publisher(d)
    bodies = _enumerated(d, publisher, ("q1", "q2"), "Queued Times")
    url = publisher.settings.render_queue_url
    (finish,) = [b for b in bodies if "finish" in b["rebuild"]]
    keys = [b for b in bodies if "keys" in b["rebuild"]]
    assert keys
    for body in keys:  # waiting in RenderQueue, as when the workers are busy
        d.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    scans = []
    original = rebuild.scan_records
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(rebuild, "scan_records",
                        lambda *a, **k: scans.append(1) or original(*a, **k))
    try:
        look = rebuild.finish_step(publisher, finish, publisher.invalidation_batch())
        assert look == {"finished": False, "continued": True, "idle": 0, "queued": True}
        assert scans == []
        again = [b for b in _take_all(d, url) if "finish" in b["rebuild"]]
        assert len(again) == 1  # the order comes back later
        # Once the batches are rendered, the next look reads the manifest and finishes.
        for body in keys:
            handler.handle_event({"Records": [{"eventSource": "aws:sqs", "messageId": "m",
                                               "body": json.dumps(body)}]}, publisher)
        look = rebuild.finish_step(publisher, again[0], publisher.invalidation_batch())
        assert look["finished"] is True and scans
    finally:
        monkeypatch.undo()


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


@pytest.mark.slow
def test_rebuild_of_n_articles_rebuilds_each_index_output_once(backend, monkeypatch, capsys):
    import datetime as dt

    from amp_publisher.local.rebuild import run_rebuild

    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
    keys = _publish_site(backend, 8)
    backend.drain_site_index()
    s3 = backend.client("s3")
    s3.put_object(Bucket=backend.names.source_bucket, Key="config/site.json",
                  Body=json.dumps({**SITE, "name": "Index Weekly"}).encode())
    changed_at = dt.datetime.now(dt.UTC)
    backend.invoke(backend.s3_event("ObjectCreated:Put", "config/site.json"))

    assert run_rebuild(concurrency=2, interval=0.5) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert "8/8 done, 0 failed, 0 remaining" in last and "; finished, index outputs" in last
    reports = backend.drain_site_index()

    # One message for the whole rebuild of 8 articles, each listing rebuilt once in it.
    assert [r.messages for r in reports] == [1]
    (report,) = reports
    assert len(report.listings) == len(set(report.listings))
    assert {"home", "sitemap-index", "news"} <= set(report.listings)
    assert any(name.startswith("month/") for name in report.listings)
    # After the articles: every record was rendered before the rebuild finished.
    manifest = ManifestTable(backend.names.manifest_table)
    latest = manifest.get("rebuild#latest")
    rendered = [dt.datetime.fromisoformat(manifest.get(k)["rendered_at"]) for k in keys]
    assert all(changed_at <= r and r.timestamp() <= float(latest["finished_at"])
               for r in rendered)
    for key in ("index.html", "feed.xml", "404.html"):
        body = s3.get_object(Bucket=backend.names.site_bucket, Key=key)["Body"].read()
        assert b"Index Weekly" in body, key
    # The edge: no article page was invalidated path by path (their source did not change);
    # the index outputs that changed, in the one request of the index batch.
    since = [i for i in backend.invalidations() if i["CreateTime"] >= changed_at]
    paths = [p for i in since for p in i["InvalidationBatch"]["Paths"]["Items"]]
    assert not any(p.startswith("/site-story-") for p in paths), paths
    assert "/404.html" in paths
    assert report.invalidation is not None and report.written
    assert set(report.invalidation.paths) == \
        {"/" + k for k in report.written} | {"/" + k[: -len("index.html")]
                                             for k in report.written if k.endswith("index.html")}


class _DeployedFunction:
    """The Lambda API of a deployed render function, answered on the embedded backend (moto
    cannot run a function without Docker): ``Invoke`` runs the function's entry point on the
    payload sent, the event source mapping calls answer for one mapping on RenderQueue. Every
    request has passed botocore's validation against the Lambda API model first."""

    def __init__(self, client, queue_arn: str) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.queue_arn = queue_arn
        client.meta.events.register("before-parameter-build.lambda.*", self._remember)
        client.meta.events.register_first("before-call.lambda.*", self._answer)

    def _remember(self, params: dict, model, context: dict, **_) -> None:
        context["params"] = dict(params)
        self.calls.append((model.name, dict(params)))

    def _answer(self, model, context: dict, **_):
        import io

        from botocore.awsrequest import AWSResponse
        from botocore.response import StreamingBody

        from amp_publisher.aws.handler import lambda_handler
        from amp_publisher.local.backend import LocalContext

        params = context["params"]
        if model.name == "Invoke":
            result = lambda_handler(json.loads(params["Payload"]), LocalContext())
            body = json.dumps(result).encode()
            parsed = {"StatusCode": 200, "ExecutedVersion": "1",
                      "Payload": StreamingBody(io.BytesIO(body), len(body))}
        elif model.name == "ListEventSourceMappings":
            parsed = {"EventSourceMappings": [{"UUID": "6f1c2a52-3b8e-4c3f-9a0e-2a1f5d0c7e11",
                                               "EventSourceArn": self.queue_arn}]}
        elif model.name == "UpdateEventSourceMapping":
            parsed = {"UUID": params["UUID"], "ScalingConfig": params["ScalingConfig"]}
        else:
            raise AssertionError(f"unexpected Lambda call {model.name}")
        return AWSResponse("https://lambda.local", 200, {}, None), parsed


@pytest.mark.slow
def test_cli_rebuild_through_the_deployed_function(backend, monkeypatch, capsys):
    from amp_publisher.local.cli import main
    from amp_publisher.local.workers import LocalWorkers

    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
    keys = _publish_site(backend, 3)
    s3 = backend.client("s3")
    s3.put_object(Bucket=backend.names.source_bucket, Key="config/site.json",
                  Body=json.dumps({**SITE, "name": "Deployed Daily"}).encode())
    sqs = backend.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=backend.render_queue_url,
                                   AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    function = _DeployedFunction(backend.client("lambda"), arn)

    # The workers stand in for the deployed function's RenderQueue event source mapping.
    with LocalWorkers(2):
        assert main(["rebuild", "--function", "stack-RenderFunction-X1", "--concurrency",
                     "4"]) == 0
    out = capsys.readouterr().out

    invokes = [p for name, p in function.calls if name == "Invoke"]
    assert [json.loads(p["Payload"])["rebuild"]["start"]["dry_run"] for p in invokes] == \
        [True, False]
    assert {(p["FunctionName"], p.get("InvocationType")) for p in invokes} == \
        {("stack-RenderFunction-X1", "RequestResponse")}
    assert ("ListEventSourceMappings", {"FunctionName": "stack-RenderFunction-X1",
                                        "EventSourceArn": arn}) in function.calls
    assert ("UpdateEventSourceMapping", {"UUID": "6f1c2a52-3b8e-4c3f-9a0e-2a1f5d0c7e11",
                                         "ScalingConfig": {"MaximumConcurrency": 4}}) \
        in function.calls
    assert "3/3 done, 0 failed, 0 remaining" in out
    manifest = ManifestTable(backend.names.manifest_table)
    for key in keys:
        page = s3.get_object(Bucket=backend.names.site_bucket,
                             Key=manifest.get(key)["page_key"])["Body"].read()
        assert b'content="Deployed Daily"' in page

    # --no-wait returns at once, the rebuild running on.
    capsys.readouterr()
    assert main(["rebuild", "--function", "stack-RenderFunction-X1", "--no-wait"]) == 0
    assert "not waiting" in capsys.readouterr().out


def test_a_scheduled_article_is_not_stale_for_a_rebuild():
    """An embargoed article has no page until its time, when it is rendered with the fingerprint
    of that time: a rebuild has nothing to render for it, so it is never counted stale (a rebuild
    of a site holding one waited for it until the finish step gave up)."""
    from amp_publisher.aws.rebuild import classify

    record = {"source_key": "articles/embargoed.json", "status": "scheduled",
              "scheduled_for": "2026-12-12T00:00:00Z", "fingerprint": "0" * 16}
    assert classify(record, "f" * 16) == "deleted"
