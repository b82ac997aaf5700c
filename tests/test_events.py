"""The sample events in events/ are real-shaped: Powertools' parser models accept them, they carry
the fields AWS sends, they describe the repo's article files, and they match the template's
filters, so `amp-render invoke` and `sam local invoke` exercise what Lambda will receive."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    S3EventNotificationEventBridgeModel,
    S3Model,
    S3SqsEventNotificationModel,
)
from cfnlint.decode.cfn_yaml import load as load_cfn_yaml

from amp_publisher.local.resources import resource_names

EVENTS = Path(__file__).resolve().parent.parent / "events"
ARTICLES = EVENTS / "articles"
REFERENCE = ARTICLES / "met-palantir-extension.json"
S3_NOTIFICATIONS = [
    "s3-put-reference.json",
    "s3-put-reference-html.json",
    "s3-delete-reference.json",
    "s3-delete-marker-reference.json",
    "s3-put-encoded-key.json",
]
# What S3 puts in every notification record (S3 user guide, "Event message structure");
# glacierEventData / intelligentTieringEventData appear only for restore and tiering events.
RECORD_FIELDS = {"eventVersion", "eventSource", "awsRegion", "eventTime", "eventName",
                 "userIdentity", "requestParameters", "responseElements", "s3"}
S3_FIELDS = {"s3SchemaVersion", "configurationId", "bucket", "object"}
BUCKET_FIELDS = {"name", "ownerIdentity", "arn"}
CREATED_OBJECT_FIELDS = {"key", "size", "eTag", "versionId", "sequencer"}
REMOVED_OBJECT_FIELDS = {"key", "versionId", "sequencer"}


def _load(name: str) -> dict:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def _size_and_md5(path: Path) -> tuple[int, str]:
    data = path.read_bytes()
    return len(data), hashlib.md5(data).hexdigest()


@pytest.fixture(scope="module")
def template() -> dict:
    return load_cfn_yaml(str(EVENTS.parent / "template.yaml"))


@pytest.mark.parametrize("name", S3_NOTIFICATIONS)
def test_s3_notifications_parse_with_powertools_and_carry_every_field_s3_sends(name):
    event = _load(name)
    parsed = S3Model.model_validate(event)
    (record,) = event["Records"]
    assert set(record) == RECORD_FIELDS
    assert set(record["s3"]) == S3_FIELDS
    assert set(record["s3"]["bucket"]) == BUCKET_FIELDS
    created = record["eventName"].startswith("ObjectCreated:")
    expected = CREATED_OBJECT_FIELDS if created else REMOVED_OBJECT_FIELDS
    assert set(record["s3"]["object"]) == expected
    assert record["eventVersion"] == "2.1"
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    bucket = parsed.Records[0].s3.bucket
    assert bucket.name == resource_names().source_bucket
    assert bucket.arn == f"arn:aws:s3:::{bucket.name}"


@pytest.mark.parametrize("name", S3_NOTIFICATIONS)
def test_s3_notification_keys_pass_the_templates_filter_once_decoded(name, template):
    env = template["Resources"]["RenderFunction"]["Properties"]["Environment"]["Variables"]
    key = unquote_plus(_load(name)["Records"][0]["s3"]["object"]["key"])
    assert key.startswith(env["SOURCE_PREFIX"]) and key.endswith(env["SOURCE_SUFFIX"])


@pytest.mark.parametrize(
    ("name", "article"),
    [
        ("s3-put-reference.json", "met-palantir-extension.json"),
        ("s3-put-reference-html.json", "met-palantir-extension.body-html.json"),
    ],
)
def test_upload_events_describe_the_article_files_they_name(name, article):
    obj = _load(name)["Records"][0]["s3"]["object"]
    assert unquote_plus(obj["key"]) == f"articles/{article}"
    # A single-part upload's ETag is the MD5 of the bytes.
    assert (obj["size"], obj["eTag"]) == _size_and_md5(ARTICLES / article)


def test_encoded_key_event_decodes_once_to_the_real_key():
    obj = _load("s3-put-encoded-key.json")["Records"][0]["s3"]["object"]
    raw = obj["key"]
    assert " " not in raw and "é" not in raw
    assert unquote_plus(raw) == "articles/Café Menu+2026.json"
    # Decoding twice turns the literal plus into a space: the fixture tells the two apart.
    assert unquote_plus(unquote_plus(raw)) != unquote_plus(raw)
    # It is the reference article uploaded under that key.
    assert (obj["size"], obj["eTag"]) == _size_and_md5(REFERENCE)


def test_delete_events_come_after_the_upload_of_the_same_key():
    put = _load("s3-put-reference.json")["Records"][0]["s3"]["object"]
    for name in ("s3-delete-reference.json", "s3-delete-marker-reference.json"):
        removed = _load(name)["Records"][0]["s3"]["object"]
        assert removed["key"] == put["key"]
        assert len(removed["sequencer"]) == len(put["sequencer"])
        assert int(removed["sequencer"], 16) > int(put["sequencer"], 16)


def test_delete_marker_event_is_what_a_plain_delete_sends_on_the_versioned_bucket(template):
    versioning = template["Resources"]["SourceBucket"]["Properties"]["VersioningConfiguration"]
    assert versioning["Status"] == "Enabled"
    record = _load("s3-delete-marker-reference.json")["Records"][0]
    assert record["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert _load("s3-delete-reference.json")["Records"][0]["eventName"] == "ObjectRemoved:Delete"


def test_s3_test_event_has_the_shape_s3_sends_when_a_notification_is_configured():
    event = _load("s3-test-event.json")
    assert set(event) == {"Service", "Event", "Time", "Bucket", "RequestId", "HostId"}
    assert (event["Service"], event["Event"]) == ("Amazon S3", "s3:TestEvent")
    assert event["Bucket"] == resource_names().source_bucket
    with pytest.raises(ValueError):
        S3Model.model_validate(event)


@pytest.mark.parametrize(
    ("name", "detail_type"),
    [("eventbridge-object-created.json", "Object Created"),
     ("eventbridge-object-deleted.json", "Object Deleted")],
)
def test_eventbridge_events_parse_and_match_the_templates_rule(name, detail_type, template):
    event = _load(name)
    parsed = S3EventNotificationEventBridgeModel.model_validate(event)
    assert parsed.detail_type == detail_type
    pattern = template["Resources"]["SourceObjectEventsRule"]["Properties"]["EventPattern"]
    assert event["source"] in pattern["source"]
    assert event["detail-type"] in pattern["detail-type"]
    assert parsed.detail.bucket.name == resource_names().source_bucket
    key_rules = pattern["detail"]["object"]["key"]
    assert any(isinstance(rule, dict) and
               fnmatch.fnmatchcase(parsed.detail.object.key, rule["wildcard"])
               for rule in key_rules)
    # The site configuration's own key is matched exactly (its change starts a rebuild).
    assert "config/site.json" in key_rules


def test_eventbridge_created_event_describes_the_reference_article():
    obj = _load("eventbridge-object-created.json")["detail"]["object"]
    assert obj["key"] == "articles/met-palantir-extension.json"
    assert (obj["size"], obj["etag"]) == _size_and_md5(REFERENCE)


def test_sqs_wrapped_event_carries_the_s3_put_event_and_its_real_md5():
    event = _load("sqs-s3-put-reference.json")
    parsed = S3SqsEventNotificationModel.model_validate(event)
    (record,) = event["Records"]
    assert hashlib.md5(record["body"].encode("utf-8")).hexdigest() == record["md5OfBody"]
    assert json.loads(record["body"]) == _load("s3-put-reference.json")
    assert parsed.Records[0].body.Records[0].s3.object.key == "articles/met-palantir-extension.json"


def test_failed_event_record_holds_the_original_event_after_the_templates_retries(template):
    record = _load("failed-event-destination-record.json")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    retries = template["Resources"]["RenderFunction"]["Properties"]["EventInvokeConfig"][
        "MaximumRetryAttempts"]
    assert record["requestContext"]["approximateInvokeCount"] == 1 + retries
    S3Model.model_validate(record["requestPayload"])
    assert record["requestPayload"] == _load("s3-put-reference.json")
    assert record["responseContext"]["functionError"] == "Unhandled"


def test_every_event_file_is_explained_in_the_readme():
    readme = (EVENTS / "README.md").read_text(encoding="utf-8")
    for path in EVENTS.glob("*.json"):
        assert f"`{path.name}`" in readme, path.name
