"""The Lambda entry point on the embedded backend, fed the sample events of events/."""

from __future__ import annotations

import json

import pytest

from amp_publisher import __version__
from amp_publisher.local.backend import LocalContext
from conftest import REFERENCE, REFERENCE_HTML, REFERENCE_SLUG
from inprocess import count_calls

REF_KEY = "articles/met-palantir-extension.json"
PAGE_KEY = f"{REFERENCE_SLUG}/index.html"


def _invoke(event):
    from amp_publisher.aws.handler import lambda_handler

    return lambda_handler(event, LocalContext())


def _put(backend, key, body: bytes):
    backend.client("s3").put_object(Bucket=backend.names.source_bucket, Key=key, Body=body)


def _page(backend, key=PAGE_KEY):
    return backend.client("s3").get_object(Bucket=backend.names.site_bucket, Key=key)


def _site_keys(backend):
    """The article pages in the site bucket (the theme's 404 page aside)."""
    listing = backend.client("s3").list_objects_v2(Bucket=backend.names.site_bucket)
    return sorted(o["Key"] for o in listing.get("Contents", []) if o["Key"] != "404.html")


def _manifest(backend, key):
    from amp_publisher.aws.manifest import ManifestTable

    return ManifestTable(backend.names.manifest_table).get(key)


def test_upload_event_publishes_the_page_with_headers_and_metadata(backend, event):
    _put(backend, REF_KEY, REFERENCE.read_bytes())
    result = _invoke(event("s3-put-reference"))
    assert [o["action"] for o in result["outcomes"]] == ["published"]
    page = _page(backend)
    html = page["Body"].read().decode("utf-8")
    assert "<h1 class=\"headline\">Met gets extension to Palantir AI project" in html
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == ("public, max-age=60, s-maxage=300, "
                                    "stale-while-revalidate=60, stale-if-error=86400")
    source = backend.client("s3").head_object(Bucket=backend.names.source_bucket, Key=REF_KEY)
    assert page["Metadata"]["source-key"] == REF_KEY
    assert page["Metadata"]["source-etag"] == source["ETag"].strip('"')
    assert page["Metadata"]["source-version-id"] == source["VersionId"]
    assert page["Metadata"]["renderer-version"] == __version__
    record = _manifest(backend, REF_KEY)
    assert record["status"] == "published" and record["page_key"] == PAGE_KEY


def test_delete_event_removes_the_page(backend, event):
    _put(backend, REF_KEY, REFERENCE.read_bytes())
    _invoke(event("s3-put-reference"))
    backend.client("s3").delete_object(Bucket=backend.names.source_bucket, Key=REF_KEY)
    result = _invoke(event("s3-delete-reference"))
    assert result["outcomes"][0]["action"] == "unpublished"
    assert _site_keys(backend) == []
    assert _manifest(backend, REF_KEY)["status"] == "deleted"


def test_late_delete_event_does_not_remove_a_reuploaded_article(backend, event):
    """Level-triggered: the delete event arrives after a re-upload; the object exists, so the
    page stays (it already matches the current object, so it is not even rendered again)."""
    _put(backend, REF_KEY, REFERENCE.read_bytes())
    _invoke(event("s3-put-reference"))
    first = _page(backend)["Body"].read()
    result = _invoke(event("s3-delete-reference"))
    assert result["outcomes"][0]["action"] == "unchanged"
    assert _site_keys(backend) == [PAGE_KEY]
    assert _page(backend)["Body"].read() == first


def test_duplicate_event_is_harmless(backend, event):
    _put(backend, REF_KEY, REFERENCE.read_bytes())
    _invoke(event("s3-put-reference"))
    first = _page(backend)["Body"].read()
    _invoke(event("s3-put-reference"))
    assert _page(backend)["Body"].read() == first
    assert _site_keys(backend) == [PAGE_KEY]


def _metrics_of(invoke, monkeypatch, capsys) -> tuple[dict, list[str]]:
    """``invoke()`` through the Lambda entry point with metrics on, as deployed: the counts of
    the CloudWatch embedded-metric-format line it prints, and the warnings it raised."""
    import warnings

    from amp_publisher.aws import handler

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    handler.metrics.clear_metrics()  # what earlier tests added without an entry point's flush
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        invoke()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()
             if line.startswith('{"_aws"')]
    metrics = [m["Name"] for line in lines for d in line["_aws"]["CloudWatchMetrics"]
               for m in d["Metrics"]]
    counts = {name: sum(line[name]) if isinstance(line[name], list) else line[name]
              for line in lines for name in metrics if name in line}
    return counts, [str(w.message) for w in caught]


def test_every_invocation_counts_what_it_did_without_an_empty_metrics_warning(
        backend, event, monkeypatch, capsys):
    """A redelivered S3 event, a late delete event of a source still published as it is, the
    S3 test event, a rerender message naming no page and a key outside the articles each
    publish a count (an operator sees how many events did nothing), so Powertools never warns
    of an invocation with no metrics."""
    _put(backend, REF_KEY, REFERENCE.read_bytes())
    _invoke(event("s3-put-reference"))
    _put(backend, "drafts/a.json", REFERENCE.read_bytes())
    foreign = backend.s3_event("ObjectCreated:Put", "drafts/a.json", size=1, etag="x")
    for invocation, metric in [(event("s3-put-reference"), "DuplicateEvent"),
                               # a late delete event: the object is there, as published
                               (event("s3-delete-reference"), "ArticleUnchanged"),
                               (event("s3-test-event"), "EventIgnored"),
                               ({"rerender": {"bucket": backend.names.source_bucket,
                                              "keys": [], "reason": "x"}}, "EventIgnored"),
                               (foreign, "EventIgnored")]:
        counts, warned = _metrics_of(lambda e=invocation: _invoke(e), monkeypatch, capsys)
        assert counts == {metric: 1.0}, invocation
        assert not [w for w in warned if "No application metrics" in w]


def test_encoded_key_event_finds_its_object(backend, event):
    data = json.loads(REFERENCE.read_text())
    data.pop("slug")
    _put(backend, "articles/Café Menu+2026.json", json.dumps(data).encode())
    result = _invoke(event("s3-put-encoded-key"))
    assert result["outcomes"][0]["source_key"] == "articles/Café Menu+2026.json"
    assert result["outcomes"][0]["action"] == "published"
    assert _site_keys(backend) == ["cafe-menu-2026/index.html"]
    assert _page(backend, "cafe-menu-2026/index.html")["Metadata"]["source-key"] == \
        "articles/Caf%C3%A9 Menu%2B2026.json"


def test_s3_test_event_is_ignored(backend, event):
    result = _invoke(event("s3-test-event"))
    assert result == {"outcomes": [], "ignored": ["s3:TestEvent"]}
    assert _site_keys(backend) == []


def test_keys_outside_the_prefix_or_suffix_are_ignored(backend):
    for key in ("drafts/a.json", "articles/notes.txt"):
        _put(backend, key, REFERENCE.read_bytes())
        result = _invoke(backend.s3_event("ObjectCreated:Put", key, size=1, etag="x"))
        assert result["outcomes"][0]["action"] == "ignored"
    assert _site_keys(backend) == []


@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        (b'{"headline": "Broken", ', "invalid_json", "is not valid JSON"),
        (b'{"headline": "caf\xe9"}', "invalid_encoding", "not valid UTF-8"),
        (json.dumps({"headline": "No date", "body_html": "<p>x</p>"}).encode(),
         "schema_error", "published"),
    ],
)
def test_bad_input_keeps_the_previous_page_and_records_the_error(backend, event, body, code,
                                                                 needle):
    _put(backend, REF_KEY, REFERENCE.read_bytes())
    _invoke(event("s3-put-reference"))
    good = _page(backend)["Body"].read()

    result = _invoke(backend.put_source(REF_KEY, body))
    (outcome,) = result["outcomes"]
    assert outcome["action"] == "failed"
    assert outcome["error"]["code"] == code
    assert outcome["error"]["key"] == REF_KEY
    assert needle in outcome["error"]["message"]
    assert _page(backend)["Body"].read() == good
    record = _manifest(backend, REF_KEY)
    assert record["status"] == "failed" and record["page_key"] == PAGE_KEY
    assert record["error"]["code"] == code


def test_failure_is_logged_as_one_error_line_with_the_key(backend, event, caplog):
    _put(backend, REF_KEY, b"not json")
    _invoke(event("s3-put-reference"))
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    assert errors[0].source_key == REF_KEY
    assert errors[0].error_code == "invalid_json"
    assert REF_KEY in errors[0].error


def test_oversize_object_is_refused(backend, event, monkeypatch):
    from amp_publisher.aws import handler

    monkeypatch.setenv("MAX_SOURCE_BYTES", "1000")
    handler._publisher.cache_clear()
    try:
        _put(backend, REF_KEY, REFERENCE.read_bytes())
        result = _invoke(event("s3-put-reference"))
    finally:
        handler._publisher.cache_clear()
    assert result["outcomes"][0]["error"]["code"] == "object_too_large"
    assert _site_keys(backend) == []


def test_sqs_batch_reports_only_the_message_that_hit_a_transient_fault(backend, event):
    """S3 → SQS → Lambda: partial batch failure (Powertools BatchProcessor). The sample message
    publishes; a copy whose object read is throttled comes back in batchItemFailures."""
    _put(backend, REF_KEY, REFERENCE.read_bytes())
    batch = event("sqs-s3-put-reference")
    throttled = json.loads(json.dumps(batch["Records"][0]))
    throttled["messageId"] = "throttled-message"
    body = json.loads(throttled["body"])
    body["Records"][0]["s3"]["object"]["key"] = "articles/throttled.json"
    throttled["body"] = json.dumps(body)
    batch["Records"].append(throttled)
    _put(backend, "articles/throttled.json", REFERENCE.read_bytes())
    s3 = backend.client("s3")

    def throttle(params, **_):
        if params.get("Key") == "articles/throttled.json":
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "SlowDown", "Message": "injected"}},
                              "HeadObject")

    s3.meta.events.register("provide-client-params.s3.HeadObject", throttle)
    try:
        result = _invoke(batch)
    finally:
        s3.meta.events.unregister("provide-client-params.s3.HeadObject", throttle)
    assert result == {"batchItemFailures": [{"itemIdentifier": "throttled-message"}]}
    assert _site_keys(backend) == [PAGE_KEY]


def test_eventbridge_object_created_and_deleted_publish_and_unpublish(backend, event):
    _put(backend, REF_KEY, REFERENCE.read_bytes())
    created = _invoke(event("eventbridge-object-created"))
    assert [o["action"] for o in created["outcomes"]] == ["published"]
    assert _site_keys(backend) == [PAGE_KEY]
    backend.client("s3").delete_object(Bucket=backend.names.source_bucket, Key=REF_KEY)
    deleted = _invoke(event("eventbridge-object-deleted"))
    assert [o["action"] for o in deleted["outcomes"]] == ["unpublished"]
    assert _site_keys(backend) == []


def test_a_crash_inside_the_renderer_is_recorded_not_retried(backend, monkeypatch, caplog):
    """A bug triggered by one article must not loop through retries and the failed-events
    queue: it is recorded as a permanent failure naming the exception; the page stays."""
    from amp_publisher.core import rendering

    _put(backend, REF_KEY, REFERENCE.read_bytes())
    _invoke(backend.s3_event("ObjectCreated:Put", REF_KEY, size=1, etag="e"))
    good = _page(backend)["Body"].read()

    def crash(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(rendering, "render", crash)
    data = json.loads(REFERENCE.read_text())
    data["headline"] = "A new headline"
    _put(backend, REF_KEY, json.dumps(data).encode())
    result = _invoke(backend.s3_event("ObjectCreated:Put", REF_KEY, size=1, etag="f"))
    (outcome,) = result["outcomes"]
    assert outcome["action"] == "failed"
    assert outcome["error"]["code"] == "render_crashed"
    assert "RecursionError" in outcome["error"]["message"]
    assert _page(backend)["Body"].read() == good
    assert _manifest(backend, REF_KEY)["status"] == "failed"


def test_the_site_gets_the_themes_404_page_valid_amp_and_noindex(backend, event):
    from amp_publisher.core.amp.validator import validate

    _put(backend, REF_KEY, REFERENCE.read_bytes())
    _invoke(event("s3-put-reference"))
    page = _page(backend, "404.html")
    html = page["Body"].read().decode("utf-8")
    assert validate(html).passed
    assert '<meta name="robots" content="noindex">' in html and "Page not found" in html
    assert page["ContentType"] == "text/html; charset=utf-8"
    # Written once per configuration: a second publish does not write it again.
    puts = count_calls(backend.client("s3"), "PutObject")
    _put(backend, "articles/other.json", REFERENCE_HTML.read_bytes())
    _invoke(backend.s3_event("ObjectCreated:Put", "articles/other.json"))
    assert [p["Key"] for p in puts if p["Bucket"] == backend.names.site_bucket] == [
        f"{REFERENCE_SLUG}-html/index.html"]
