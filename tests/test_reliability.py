# ruff: noqa: F811 - ``deployment`` is a fixture imported from inprocess.py
"""One test per line of DESIGN §6 (failure semantics), through the handler on a mocked deployment.

Permanent input errors: not retried (the handler returns), one structured error line with the key
and JSON path, a metric, a ``failed`` manifest record, the last good page kept. Transient errors:
raised. Test events and foreign keys: ignored with a log line. Keys: decoded exactly once.
"""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import quote_plus

import pytest

from amp_publisher.aws import handler
from amp_publisher.aws.pipeline import Publisher
from conftest import REFERENCE, REFERENCE_SLUG
from inprocess import count_calls, deployment, fail_calls, small_article  # noqa: F401

KEY = "articles/met-palantir-extension.json"
PAGE = f"{REFERENCE_SLUG}/index.html"


class Metrics:
    """Stands in for Powertools Metrics: records (name, value)."""

    def __init__(self) -> None:
        self.added: list[tuple[str, float]] = []

    def add_metric(self, *, name: str, unit: object, value: float) -> None:
        self.added.append((name, value))


@pytest.fixture
def metrics(monkeypatch) -> Metrics:
    recorder = Metrics()
    monkeypatch.setattr(handler, "metrics", recorder)
    return recorder


def _publish_reference(deployment, publisher) -> bytes:
    result = handler.handle_event(deployment.put_source(KEY, REFERENCE.read_bytes()), publisher)
    assert [o["action"] for o in result["outcomes"]] == ["published"]
    return deployment.page(PAGE)


def _errors(caplog) -> list:
    return [r for r in caplog.records if r.levelname == "ERROR"]


def _assert_recorded(deployment, caplog, metrics, result, code, path):
    """The permanent-error contract of §6, for one failed record."""
    (outcome,) = result["outcomes"]
    assert outcome["action"] == "failed" and outcome["error"]["code"] == code
    (line,) = _errors(caplog)
    assert (line.source_key, line.error_code, line.path) == (KEY, code, path)
    assert ("ArticleFailed", 1) in metrics.added and (f"ArticleFailed.{code}", 1) in metrics.added
    record = deployment.manifest().get(KEY)
    assert record["status"] == "failed" and record["error"]["code"] == code
    assert record["error"].get("path") == path
    assert "lease_token" not in record


def test_oversize_object_is_refused_without_downloading_it(deployment, caplog, metrics):
    publisher = deployment.publisher()
    good = _publish_reference(deployment, publisher)
    small = Publisher(replace(deployment.settings, max_source_bytes=4096), s3=deployment.s3,
                      dynamodb=deployment.dynamodb)
    gets = count_calls(deployment.s3, "GetObject")
    big = json.dumps(small_article(body_html="<p>" + "x" * 10_000 + "</p>")).encode()
    caplog.clear()
    result = handler.handle_event(deployment.put_source(KEY, big), small)
    _assert_recorded(deployment, caplog, metrics, result, "object_too_large", None)
    assert [c["Key"] for c in gets if c["Key"] == KEY] == []  # never requested the body
    assert f"is {len(big):,} bytes; the limit is 4,096" in result["outcomes"][0]["error"]["message"]
    assert deployment.page(PAGE) == good


def test_invalid_utf8_is_recorded_and_the_last_good_page_stays(deployment, caplog, metrics):
    publisher = deployment.publisher()
    good = _publish_reference(deployment, publisher)
    caplog.clear()
    result = handler.handle_event(
        deployment.put_source(KEY, '{"headline": "Café"}'.encode("latin-1")), publisher)
    _assert_recorded(deployment, caplog, metrics, result, "invalid_encoding", None)
    assert "byte 17" in result["outcomes"][0]["error"]["message"]
    assert deployment.page(PAGE) == good


def test_schema_error_names_the_json_path(deployment, caplog, metrics, reference_data):
    publisher = deployment.publisher()
    good = _publish_reference(deployment, publisher)
    reference_data["body"][2]["level"] = 9
    caplog.clear()
    result = handler.handle_event(deployment.put_source(KEY, reference_data), publisher)
    _assert_recorded(deployment, caplog, metrics, result, "schema_error", "body[2].level")
    assert deployment.page(PAGE) == good


def test_slug_collision_fails_the_second_source_and_never_touches_the_owners_page(
        deployment, caplog, metrics):
    publisher = deployment.publisher()
    good = _publish_reference(deployment, publisher)
    other = "articles/copy-of-met.json"
    caplog.clear()
    result = handler.handle_event(
        deployment.put_source(other, small_article("Copy", slug=REFERENCE_SLUG)), publisher)
    (outcome,) = result["outcomes"]
    assert outcome["error"]["code"] == "slug_conflict" and outcome["error"]["path"] == "slug"
    assert KEY in outcome["error"]["message"]
    assert deployment.page(PAGE) == good
    assert deployment.pages() == [PAGE]
    assert deployment.manifest().claims() == {REFERENCE_SLUG: KEY}
    assert deployment.manifest().get(other)["status"] == "failed"
    # Once the owner is deleted the slug is free: the other source publishes on its next event.
    handler.handle_event(deployment.delete_source(KEY), publisher)
    again = handler.handle_event(deployment.put_source(other, small_article(
        "Copy", slug=REFERENCE_SLUG)), publisher)
    assert again["outcomes"][0]["action"] == "published"
    assert b"Copy: the text." in deployment.page(PAGE)
    assert deployment.manifest().claims() == {REFERENCE_SLUG: other}


def test_version_gone_between_head_and_get_is_looked_up_again(deployment, metrics):
    """The NoSuchKey race: the version HEAD saw is deleted before the GET; the function looks
    again and makes the page match what is current then (here the earlier version, whose page
    is already published, so nothing is rewritten)."""
    publisher = deployment.publisher()
    good = _publish_reference(deployment, publisher)
    event = deployment.put_source(KEY, small_article("Edited", slug=REFERENCE_SLUG))
    edited = event["Records"][0]["s3"]["object"]["versionId"]
    s3 = deployment.s3
    gets = count_calls(s3, "GetObject")

    def delete_version_after_head(**_):
        s3.meta.events.unregister("after-call.s3.HeadObject", delete_version_after_head)
        s3.delete_object(Bucket=deployment.names.source_bucket, Key=KEY, VersionId=edited)

    s3.meta.events.register("after-call.s3.HeadObject", delete_version_after_head)
    result = handler.handle_event(event, publisher)
    assert [c.get("VersionId") for c in gets if c["Key"] == KEY] == [edited]  # NoSuchVersion
    assert result["outcomes"][0]["action"] == "unchanged"
    assert deployment.page(PAGE) == good


def test_created_event_for_an_object_that_is_already_gone_is_harmless(deployment, metrics):
    publisher = deployment.publisher()
    event = deployment.put_source(KEY, REFERENCE.read_bytes())
    deployment.delete_source(KEY)
    result = handler.handle_event(event, publisher)
    assert result["outcomes"][0]["action"] == "unchanged"
    assert deployment.pages() == [] and deployment.manifest().get(KEY) is None


def test_s3_test_event_and_foreign_keys_are_ignored_with_a_log_line(deployment, event, caplog,
                                                                    metrics):
    publisher = deployment.publisher()
    result = handler.handle_event(event("s3-test-event"), publisher)
    assert result == {"outcomes": [], "ignored": ["s3:TestEvent"]}
    foreign = handler.handle_event(deployment.put_source("drafts/a.json", small_article()),
                                   publisher)
    assert foreign["outcomes"][0]["action"] == "ignored"
    messages = [r.getMessage() for r in caplog.records]
    assert "event ignored" in messages
    assert "key outside the article prefix/suffix ignored" in messages
    assert deployment.pages() == [] and deployment.manifest().scan() == []


@pytest.mark.parametrize(("key", "slug"), [
    ("articles/Café Menu+2026.json", "cafe-menu-2026"),   # space → "+", "+" → "%2B", é → %C3%A9
    ("articles/100%20 proof.json", "100-20-proof"),        # a literal "%20" must stay "%20"
    ("articles/Ünïcode → ok.json", "unicode-ok"),
])
def test_encoded_keys_are_decoded_exactly_once(deployment, metrics, key, slug):
    publisher = deployment.publisher()
    event = deployment.put_source(key, small_article("Encoded"))
    assert event["Records"][0]["s3"]["object"]["key"] == quote_plus(key, safe="/")
    result = handler.handle_event(event, publisher)
    outcome = result["outcomes"][0]
    assert (outcome["source_key"], outcome["action"], outcome["page_key"], outcome["error"]) == \
        (key, "published", f"{slug}/index.html", None)
    assert deployment.manifest().get(key)["status"] == "published"


def test_throttling_is_raised_for_a_retry_and_the_retry_publishes(deployment, metrics):
    publisher = deployment.publisher()
    event = deployment.put_source(KEY, REFERENCE.read_bytes())
    fail_calls(deployment.s3, "PutObject", "SlowDown", times=1)
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="SlowDown"):
        handler.handle_event(event, publisher)
    assert ("TransientFailure", 1) in metrics.added
    assert deployment.pages() == []
    record = deployment.manifest().get(KEY)
    assert "lease_token" not in record and record.get("status") is None
    assert handler.handle_event(event, publisher)["outcomes"][0]["action"] == "published"
    assert deployment.pages() == [PAGE]


def test_dynamodb_5xx_after_the_page_write_converges_on_the_retry(deployment, metrics):
    """A crash (here a 500 from DynamoDB) between the page write and the manifest commit: the
    retry of the same event renders again and commits; nothing is half-done."""
    publisher = deployment.publisher()
    event = deployment.put_source(KEY, REFERENCE.read_bytes())
    puts = count_calls(deployment.s3, "PutObject")
    calls = count_calls(deployment.dynamodb, "UpdateItem")

    def fail_commit(params, **_):
        if "#s0" in params.get("ExpressionAttributeNames", {}) and \
                params["ExpressionAttributeNames"].get("#s0") == "page_key":
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"},
                               "ResponseMetadata": {"HTTPStatusCode": 500}}, "UpdateItem")

    deployment.dynamodb.meta.events.register("before-parameter-build.dynamodb.UpdateItem",
                                             fail_commit)
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="InternalServerError"):
        handler.handle_event(event, publisher)
    assert deployment.pages() == [PAGE] and len(puts) == 1  # written, not committed
    assert deployment.manifest().get(KEY).get("status") is None
    deployment.dynamodb.meta.events.unregister("before-parameter-build.dynamodb.UpdateItem",
                                               fail_commit)
    assert handler.handle_event(event, publisher)["outcomes"][0]["action"] == "published"
    record = deployment.manifest().get(KEY)
    assert record["status"] == "published" and record["page_keys"] == {PAGE}
    assert calls  # the commit went through DynamoDB UpdateItem
