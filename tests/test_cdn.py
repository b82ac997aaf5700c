# ruff: noqa: F811 - ``deployment`` is a fixture imported from inprocess.py
"""CloudFront invalidation (DESIGN §10): exactly the changed paths, one request per invocation,
recorded in the manifest, and retried when CloudFront fails."""

from __future__ import annotations

import json

import pytest

from amp_publisher.aws.cdn import InvalidationFailedError, batch_paths, paths_for_key
from amp_publisher.aws.events import parse_event
from inprocess import count_calls, deployment, fail_calls, small_article  # noqa: F401

KEY = "articles/story.json"


def _record(event: dict):
    (record,) = parse_event(event).records
    return record


def _paths(invalidation: dict) -> list[str]:
    return sorted(invalidation["InvalidationBatch"]["Paths"]["Items"])


def test_url_forms_of_a_page_and_of_other_site_objects():
    assert paths_for_key("amp/hello/index.html") == ("/amp/hello/", "/amp/hello/index.html")
    assert paths_for_key("hello/amp/index.html") == ("/hello/amp/", "/hello/amp/index.html")
    assert paths_for_key("index.html") == ("/", "/index.html")
    assert paths_for_key("feed.xml") == ("/feed.xml",)
    # CloudFront compares percent-encoded paths (UTF-8).
    assert paths_for_key("café/index.html") == ("/caf%C3%A9/", "/caf%C3%A9/index.html")


def test_more_paths_than_the_limit_become_one_wildcard_over_their_common_prefix():
    paths = [f"/news/story-{i}/" for i in range(12)]
    assert batch_paths(paths, max_paths=12) == sorted(paths)
    assert batch_paths(paths, max_paths=11) == ["/news/story-*"]
    assert batch_paths(["/a/", "/b/"], max_paths=1) == ["/*"]
    with pytest.raises(ValueError):
        batch_paths(paths, max_paths=0)


def test_a_publish_invalidates_both_url_forms_and_records_the_invalidation(deployment):
    publisher = deployment.publisher()
    outcome = publisher.process(_record(deployment.put_source(KEY, small_article(slug="hello"))))
    assert outcome.action == "published"
    (invalidation,) = deployment.invalidations()
    assert _paths(invalidation) == ["/hello/", "/hello/index.html"]
    record = deployment.manifest().get(KEY)
    assert record["last_invalidation"]["id"] == invalidation["Id"]
    assert record["last_invalidation"]["paths"] == ["/hello/", "/hello/index.html"]
    assert "invalidation_pending" not in record


def test_a_slug_change_and_a_delete_invalidate_the_pages_they_remove(deployment):
    publisher = deployment.publisher()
    publisher.process(_record(deployment.put_source(KEY, small_article(slug="first"))))
    publisher.process(_record(deployment.put_source(KEY, small_article(slug="second"))))
    publisher.process(_record(deployment.delete_source(KEY)))
    assert deployment.pages() == []
    first, rename, delete = deployment.invalidations()
    assert _paths(rename) == ["/first/", "/first/index.html", "/second/", "/second/index.html"]
    assert _paths(delete) == ["/second/", "/second/index.html"]
    record = deployment.manifest().get(KEY)
    assert record["status"] == "deleted" and record["last_invalidation"]["id"] == delete["Id"]


def test_the_invalidation_is_requested_after_the_delete_it_covers(deployment):
    publisher = deployment.publisher()
    publisher.process(_record(deployment.put_source(KEY, small_article(slug="gone"))))
    event = deployment.delete_source(KEY)
    order: list[str] = []
    deployment.s3.meta.events.register(
        "after-call.s3.DeleteObject", lambda **_: order.append("DeleteObject"))
    deployment.cloudfront.meta.events.register(
        "before-call.cloudfront.CreateInvalidation",
        lambda **_: order.append("CreateInvalidation"))
    publisher.process(_record(event))
    assert order == ["DeleteObject", "CreateInvalidation"]


def test_a_failed_invalidation_is_retried_and_the_manifest_never_claims_freshness(deployment):
    publisher = deployment.publisher()
    fail_calls(deployment.cloudfront, "CreateInvalidation", code="ServiceUnavailable")
    event = deployment.put_source(KEY, small_article(slug="fresh"))
    with pytest.raises(InvalidationFailedError):
        publisher.process(_record(event))
    # The page is out, but the record says its edge copies are not yet invalidated.
    assert deployment.pages() == ["fresh/index.html"]
    record = deployment.manifest().get(KEY)
    assert record["status"] == "published"
    assert {e.split("#")[0] for e in record["invalidation_pending"]} == {"fresh/index.html"}
    assert "last_invalidation" not in record and deployment.invalidations() == []
    # Lambda retries the same event: the page is already current (not rendered again), the
    # pending paths are invalidated, and the record says so.
    puts = count_calls(deployment.s3, "PutObject")
    outcome = publisher.process(_record(event))
    assert outcome.action in ("skipped", "unchanged") and puts == []
    (invalidation,) = deployment.invalidations()
    assert _paths(invalidation) == ["/fresh/", "/fresh/index.html"]
    record = deployment.manifest().get(KEY)
    assert "invalidation_pending" not in record
    assert record["last_invalidation"]["id"] == invalidation["Id"]


def test_a_retry_that_finds_another_lease_still_invalidates_what_the_record_has_pending(
        deployment):
    """The interleaving the chaos test hit now and then: a publish whose invalidation
    CloudFront refused, then another worker takes the lease on the key and dies holding it
    (its own invalidation refused too, or its container gone), then Lambda retries the first
    event. The retry is a duplicate and cannot take the lease: it used to return "skipped"
    there and then, a success, so nothing came back for the pending changes and the record
    stayed "pending" for good although the page was long out."""
    import time

    publisher = deployment.publisher()
    fail_calls(deployment.cloudfront, "CreateInvalidation", code="ServiceUnavailable")
    event = deployment.put_source(KEY, small_article(slug="late"))
    with pytest.raises(InvalidationFailedError):
        publisher.process(_record(event))
    pending = deployment.manifest().get(KEY)["invalidation_pending"]
    # The other worker's lease, never given back (it expires in a minute).
    taken, _ = deployment.manifest().acquire(KEY, "0" * 24, now_ms=int(time.time() * 1000),
                                             lease_ms=60_000)
    assert taken
    puts = count_calls(deployment.s3, "PutObject")

    outcome = publisher.process(_record(event))

    assert outcome.action == "skipped" and puts == []
    (invalidation,) = deployment.invalidations()
    assert _paths(invalidation) == ["/late/", "/late/index.html"]
    record = deployment.manifest().get(KEY)
    assert "invalidation_pending" not in record, f"still pending: {pending}"
    assert record["last_invalidation"]["id"] == invalidation["Id"]
    assert record["lease_token"] == "0" * 24  # the other worker's lease is left alone


def test_a_newer_event_that_finds_the_key_busy_invalidates_what_the_record_has_pending(
        deployment):
    """The same, for a newer upload that finds the key busy: it fails (Lambda retries it
    later), but the changes the record already lists go out with its invalidation now."""
    import time

    from amp_publisher.core.errors import SourceBusyError

    publisher = deployment.publisher(lease_wait_seconds=0)
    fail_calls(deployment.cloudfront, "CreateInvalidation", code="ServiceUnavailable")
    with pytest.raises(InvalidationFailedError):
        publisher.process(_record(deployment.put_source(KEY, small_article(slug="busy"))))
    taken, _ = deployment.manifest().acquire(KEY, "0" * 24, now_ms=int(time.time() * 1000),
                                             lease_ms=60_000)
    assert taken
    newer = deployment.put_source(KEY, small_article(slug="busy", headline="Edited"))

    with pytest.raises(SourceBusyError):
        publisher.process(_record(newer))

    (invalidation,) = deployment.invalidations()
    assert _paths(invalidation) == ["/busy/", "/busy/index.html"]
    assert "invalidation_pending" not in deployment.manifest().get(KEY)


def test_one_invalidation_per_invocation_for_an_sqs_batch(deployment, monkeypatch):
    from amp_publisher.aws import handler

    publisher = deployment.publisher()
    calls = count_calls(deployment.cloudfront, "CreateInvalidation")
    messages = []
    for i in range(3):
        event = deployment.put_source(f"articles/s{i}.json", small_article(slug=f"s-{i}"))
        messages.append({"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(event),
                         "attributes": {}, "messageAttributes": {}, "md5OfBody": "",
                         "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q"})
    result = handler.handle_event({"Records": messages}, publisher)
    assert result["batchItemFailures"] == []
    assert len(calls) == 1
    assert sorted(calls[0]["InvalidationBatch"]["Paths"]["Items"]) == sorted(
        p for i in range(3) for p in (f"/s-{i}/", f"/s-{i}/index.html"))


def _sqs_message(i: int, event: dict) -> dict:
    return {"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(event),
            "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "awsRegion": "us-east-1", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q"}


def test_an_accepted_invalidation_the_manifest_cannot_note_fails_nothing(deployment, caplog):
    """Found by the rebuild chaos test: CloudFront accepted the batch's invalidation, then
    DynamoDB refused the write that clears the manifest's pending entries, and the whole SQS
    batch failed, so Lambda would render all of it again and invalidate every path once more.
    Now the batch succeeds, the entries stay pending (logged, counted), and the next change of
    the article invalidates them again."""
    from botocore.exceptions import ClientError

    from amp_publisher.aws import handler

    publisher = deployment.publisher()
    refused = []

    def refuse_the_note(params, model, **_):
        if b"last_invalidation" in params["body"]:
            refused.append(model.name)
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, model.name)

    deployment.dynamodb.meta.events.register_first("before-call.dynamodb.UpdateItem",
                                                   refuse_the_note)
    keys = [f"articles/n{i}.json" for i in range(2)]
    messages = [_sqs_message(i, deployment.put_source(k, small_article(slug=f"n-{i}")))
                for i, k in enumerate(keys)]

    result = handler.handle_event({"Records": messages}, publisher)

    assert result["batchItemFailures"] == [] and refused == ["UpdateItem", "UpdateItem"]
    assert [o["action"] for o in result["outcomes"]] == ["published", "published"]
    (invalidation,) = deployment.invalidations()
    assert _paths(invalidation) == ["/n-0/", "/n-0/index.html", "/n-1/", "/n-1/index.html"]
    for i, key in enumerate(keys):
        record = deployment.manifest().get(key)
        assert {e.split("#")[0] for e in record["invalidation_pending"]} == {f"n-{i}/index.html"}
        assert "last_invalidation" not in record
    warnings = [r for r in caplog.records if r.getMessage().startswith("invalidation not rec")]
    assert sorted(w.source_key for w in warnings) == keys
    assert {w.invalidation_id for w in warnings} == {invalidation["Id"]}

    # Outside an invocation (a publisher's own batch) there is nothing to log it: it raises.
    with pytest.raises(ClientError, match="ThrottlingException"):
        publisher.process(_record(deployment.put_source("articles/alone.json",
                                                        small_article(slug="alone"))))
    assert deployment.manifest().get("articles/alone.json")["invalidation_pending"]

    # DynamoDB answers again: the next change of the article sends its pending paths once more.
    deployment.dynamodb.meta.events.unregister("before-call.dynamodb.UpdateItem",
                                               refuse_the_note)
    event = deployment.put_source(keys[0], small_article(slug="n-0", headline="Edited"))
    assert handler.handle_event({"Records": [_sqs_message(9, event)]},
                                publisher)["batchItemFailures"] == []
    latest = deployment.invalidations()[-1]
    assert _paths(latest) == ["/n-0/", "/n-0/index.html"]
    record = deployment.manifest().get(keys[0])
    assert "invalidation_pending" not in record
    assert record["last_invalidation"]["id"] == latest["Id"]


def test_a_batch_over_the_path_limit_sends_one_wildcard(deployment):
    import dataclasses

    from amp_publisher.aws.pipeline import Publisher

    settings = dataclasses.replace(deployment.settings, invalidation_max_paths=3)
    publisher = Publisher(settings, s3=deployment.s3, dynamodb=deployment.dynamodb,
                          cloudfront=deployment.cloudfront)
    publisher.process(_record(deployment.put_source(KEY, small_article(slug="story-a"))))
    publisher.process(_record(deployment.put_source(KEY, small_article(slug="story-b"))))
    assert [_paths(i) for i in deployment.invalidations()] == [
        ["/story-a/", "/story-a/index.html"], ["/story-*"]]


def test_without_a_distribution_nothing_is_invalidated_or_left_pending(deployment):
    import dataclasses

    from amp_publisher.aws.pipeline import Publisher

    settings = dataclasses.replace(deployment.settings, distribution_id=None)
    publisher = Publisher(settings, s3=deployment.s3, dynamodb=deployment.dynamodb,
                          cloudfront=deployment.cloudfront)
    publisher.process(_record(deployment.put_source(KEY, small_article(slug="plain"))))
    assert deployment.invalidations() == []
    assert "invalidation_pending" not in deployment.manifest().get(KEY)


def test_status_shows_the_last_invalidation_and_a_pending_one(deployment, monkeypatch, capsys):
    from amp_publisher.aws import storage
    from amp_publisher.local.cli import main

    publisher = deployment.publisher()
    publisher.process(_record(deployment.put_source(KEY, small_article(slug="shown"))))
    (invalidation,) = deployment.invalidations()
    other = "articles/other.json"
    fail_calls(deployment.cloudfront, "CreateInvalidation", code="ServiceUnavailable")
    with pytest.raises(InvalidationFailedError):
        publisher.process(_record(deployment.put_source(other, small_article(slug="other"))))
    monkeypatch.setenv("MANIFEST_TABLE", deployment.names.manifest_table)
    monkeypatch.delenv("FAILED_EVENTS_QUEUE_URL", raising=False)
    storage.client.cache_clear()  # the CLI's clients: on this mock
    try:
        main(["status", KEY])
        detail = capsys.readouterr().out
        main(["status"])
        table = capsys.readouterr().out
    finally:
        storage.client.cache_clear()
    assert f'"id": "{invalidation["Id"]}"' in detail and '"/shown/index.html"' in detail
    rows = {line.split()[0]: line for line in table.splitlines()[1:] if line.startswith("art")}
    assert invalidation["Id"] in rows[KEY]
    assert rows[other].split()[-1] == "pending"
