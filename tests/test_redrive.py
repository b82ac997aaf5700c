# ruff: noqa: F811 - ``deployment`` is a fixture imported from inprocess.py
"""``amp-render redrive`` and ``amp-render status`` on a mocked deployment, fed the sample
on-failure destination record (events/failed-event-destination-record.json)."""

from __future__ import annotations

import json

import pytest

from amp_publisher.aws import handler, storage
from amp_publisher.aws.redrive import redrive
from conftest import EVENTS, REFERENCE, REFERENCE_SLUG
from inprocess import deployment, fail_calls  # noqa: F401

KEY = "articles/met-palantir-extension.json"
RECORD = json.loads((EVENTS / "failed-event-destination-record.json").read_text())


@pytest.fixture
def queued(deployment):
    """The reference article in the source bucket and its failed event waiting in the queue."""
    deployment.s3.put_object(Bucket=deployment.names.source_bucket, Key=KEY,
                             Body=REFERENCE.read_bytes())
    deployment.sqs.send_message(QueueUrl=deployment.queue_url, MessageBody=json.dumps(RECORD))
    return deployment


def _waiting(deployment) -> int:
    attributes = deployment.sqs.get_queue_attributes(
        QueueUrl=deployment.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attributes["Attributes"].values())


def _handle(deployment, **kwargs):
    publisher = deployment.publisher(**kwargs)
    return lambda event: handler.handle_event(event, publisher)


def test_redrive_replays_the_original_event_and_then_deletes_the_message(queued):
    results = redrive(queued.queue_url, sqs=queued.sqs, handle=_handle(queued))
    (result,) = results
    assert (result.status, result.source_keys, result.actions) == ("replayed", [KEY],
                                                                   ["published"])
    assert result.condition == "RetriesExhausted"
    assert result.original_error.startswith("ClientError: An error occurred (SlowDown)")
    assert queued.pages() == [f"{REFERENCE_SLUG}/index.html"]
    assert _waiting(queued) == 0


def test_a_replay_that_fails_again_keeps_its_message_for_the_next_run(queued):
    fail_calls(queued.s3, "PutObject", "SlowDown", times=1)
    (result,) = redrive(queued.queue_url, sqs=queued.sqs, handle=_handle(queued))
    assert result.status == "failed" and "SlowDown" in result.error
    assert _waiting(queued) == 1 and queued.pages() == []
    (result,) = redrive(queued.queue_url, sqs=queued.sqs, handle=_handle(queued))
    assert result.status == "replayed" and _waiting(queued) == 0


def test_dry_run_lists_without_replaying_or_deleting(queued):
    (result,) = redrive(queued.queue_url, sqs=queued.sqs, handle=_handle(queued), dry_run=True)
    assert (result.status, result.source_keys) == ("listed", [KEY])
    assert _waiting(queued) == 1 and queued.pages() == []


def test_a_permanent_error_on_replay_is_recorded_and_its_message_deleted(queued):
    queued.s3.put_object(Bucket=queued.names.source_bucket, Key=KEY, Body=b"{broken")
    (result,) = redrive(queued.queue_url, sqs=queued.sqs, handle=_handle(queued))
    assert (result.status, result.actions) == ("replayed", ["failed"])
    assert _waiting(queued) == 0
    assert queued.manifest().get(KEY)["error"]["code"] == "invalid_json"


def test_a_message_that_is_not_an_event_is_kept_and_reported(deployment):
    deployment.sqs.send_message(QueueUrl=deployment.queue_url, MessageBody="not json")
    (result,) = redrive(deployment.queue_url, sqs=deployment.sqs, handle=_handle(deployment))
    assert result.status == "unreadable" and _waiting(deployment) == 1


def test_status_shows_records_failures_and_the_queue(queued, monkeypatch, capsys):
    from amp_publisher.local.cli import main

    publisher = queued.publisher()
    handler.handle_event(queued.events.s3_event("ObjectCreated:Put", KEY), publisher)
    broken = "articles/broken.json"
    queued.s3.put_object(Bucket=queued.names.source_bucket, Key=broken, Body=b"{nope")
    handler.handle_event(queued.events.s3_event("ObjectCreated:Put", broken), publisher)
    monkeypatch.setenv("MANIFEST_TABLE", queued.names.manifest_table)
    monkeypatch.setenv("FAILED_EVENTS_QUEUE_URL", queued.queue_url)
    storage.client.cache_clear()  # the CLI's clients: on this mock
    try:
        assert main(["status"]) == 1  # something failed
        table = capsys.readouterr().out
        assert main(["status", "--json", broken]) == 1
        data = json.loads(capsys.readouterr().out)
    finally:
        storage.client.cache_clear()
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["SOURCE", "KEY", "STATUS"]
    assert any(line.startswith(broken) and " failed " in line and "invalid_json" in line
               for line in lines)
    assert any(line.startswith(KEY) and f"{REFERENCE_SLUG}/index.html" in line for line in lines)
    assert "2 record(s): 1 failed, 1 published" in table
    assert "failed-events queue: 1 message(s) waiting" in table
    (record,) = data["records"]
    assert record["source_key"] == broken and record["error"]["code"] == "invalid_json"
    assert data["failed_events"] == []  # the queued event is about another key
    assert _waiting(queued) == 1  # status only peeks


def test_redrive_through_the_deployed_function_sends_the_original_event(queued):
    """``--function``: the original event goes to the function itself (here botocore's Stubber
    stands in for Lambda, which moto cannot run without Docker); a FunctionError keeps the
    message, a clean answer deletes it."""
    import io

    import boto3
    from botocore.stub import Stubber

    from amp_publisher.aws.redrive import invoke_function

    client = boto3.session.Session().client("lambda", region_name="us-east-1")
    sent = json.dumps(RECORD["requestPayload"]).encode()
    with Stubber(client) as stub:
        stub.add_response("invoke", {"StatusCode": 200, "FunctionError": "Unhandled",
                                     "Payload": io.BytesIO(b'{"errorType": "ClientError"}')},
                          {"FunctionName": "render", "InvocationType": "RequestResponse",
                           "Payload": sent})
        stub.add_response("invoke", {"StatusCode": 200, "Payload": io.BytesIO(
            b'{"outcomes": [{"action": "published"}], "ignored": []}')},
                          {"FunctionName": "render", "InvocationType": "RequestResponse",
                           "Payload": sent})
        handle = invoke_function("render", lambda_client=client)
        (first,) = redrive(queued.queue_url, sqs=queued.sqs, handle=handle)
        assert first.status == "failed" and "ClientError" in first.error
        assert _waiting(queued) == 1
        (second,) = redrive(queued.queue_url, sqs=queued.sqs, handle=handle)
        assert (second.status, second.actions) == ("replayed", ["published"])
    assert _waiting(queued) == 0
