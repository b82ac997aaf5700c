"""The embedded backend under concurrent requests: the local rebuild workers and the index
function read and write the manifest table at the same time, as Lambda containers do in AWS.

moto's DynamoDB keeps each table in plain dicts and iterates them on every Query and Scan, so a
PutItem from another request thread in the middle of that iteration made the Query fail with
``RuntimeError: dictionary changed size during iteration`` (a 500 the caller sees as
``InternalServerError``). The embedded server serialises DynamoDB requests
(:mod:`amp_publisher.local.backend`).

The interleaving is made, not waited for: the table's item dict pauses the Query's iteration
after its first item until a PutItem from another thread has returned (or two seconds have
passed, which is what happens when the PutItem is made to wait for the Query).
"""

from __future__ import annotations

import threading
from collections import defaultdict

#: How long the paused Query waits for a PutItem that must not get through (s).
PAUSE_S = 2.0


def _client(backend):
    import boto3
    from botocore.config import Config

    # No retries: botocore's standard mode would retry the 500 and hide the fault.
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=backend.endpoint_url,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def _listing_item(n: int) -> dict:
    return {"source_key": {"S": f"list#home#articles/a-{n}.json"}, "listing": {"S": "home"},
            "listing_sort": {"S": f"2026-06-0{n}T00:00:00+00:00#a-{n}"},
            "record_type": {"S": "listing"}, "article_key": {"S": f"articles/a-{n}.json"}}


def test_a_put_item_during_a_query_of_the_listing_index_leaves_both_whole(backend):
    from moto.dynamodb.models import dynamodb_backends

    from amp_publisher.local.backend import REGION
    from amp_publisher.local.resources import DEFAULT_ACCOUNT

    name = backend.names.manifest_table
    dynamodb = _client(backend)
    for n in range(1, 4):
        dynamodb.put_item(TableName=name, Item=_listing_item(n))
    table = dynamodb_backends[DEFAULT_ACCOUNT][REGION].tables[name]
    in_query = threading.Event()
    put_sent = threading.Event()
    put_returned = threading.Event()
    sent_while_paused: list[bool] = []

    class PausingItems(defaultdict):
        """moto's ``Table.items``, whose first iteration stops after one item."""

        paused = False

        def values(self):
            for n, value in enumerate(super().values()):
                if n == 1 and not PausingItems.paused:
                    PausingItems.paused = True
                    in_query.set()
                    put_returned.wait(timeout=PAUSE_S)
                    sent_while_paused.append(put_sent.is_set())
                yield value

    results: dict[str, object] = {}
    # Made here: creating a client loads its service model, which can take a while.
    reading, writing = _client(backend), _client(backend)

    def query() -> None:
        try:
            results["query"] = reading.query(
                TableName=name, IndexName="listing-index", KeyConditionExpression="#l = :l",
                ExpressionAttributeNames={"#l": "listing"},
                ExpressionAttributeValues={":l": {"S": "home"}}, ScanIndexForward=False)
        except Exception as exc:  # noqa: BLE001 - asserted below
            results["query"] = exc

    def put() -> None:
        try:
            put_sent.set()
            results["put"] = writing.put_item(TableName=name, Item=_listing_item(4))
        except Exception as exc:  # noqa: BLE001 - asserted below
            results["put"] = exc
        finally:
            put_returned.set()

    table.items = PausingItems(dict, table.items)
    try:
        reader = threading.Thread(target=query)
        reader.start()
        assert in_query.wait(timeout=30), "the Query never iterated the table"
        writer = threading.Thread(target=put)
        writer.start()
        reader.join(timeout=60)
        writer.join(timeout=60)
    finally:
        table.items = defaultdict(dict, table.items)

    assert sent_while_paused == [True], "the PutItem was not sent while the Query was paused"
    assert not isinstance(results["query"], Exception), repr(results["query"])
    assert not isinstance(results["put"], Exception), repr(results["put"])
    # The Query saw the table as it was before the PutItem, newest first; the PutItem went in.
    keys = [i["article_key"]["S"] for i in results["query"]["Items"]]
    assert keys == ["articles/a-3.json", "articles/a-2.json", "articles/a-1.json"]
    after = dynamodb.query(TableName=name, IndexName="listing-index",
                           KeyConditionExpression="#l = :l",
                           ExpressionAttributeNames={"#l": "listing"},
                           ExpressionAttributeValues={":l": {"S": "home"}})
    assert after["Count"] == 4


def test_draining_render_queue_keeps_a_message_whose_delay_ends_between_two_looks(backend,
                                                                                  monkeypatch):
    """A rerender message is sent with a delay. On a loaded machine the delay can end after the
    drain's receive found nothing and before it asked whether anything is still delayed: the
    message is then visible, not delayed, and the drain must take it instead of stopping."""
    import json
    import time

    from amp_publisher.aws import storage

    sqs = backend.client("sqs")
    sqs.send_message(QueueUrl=backend.render_queue_url, DelaySeconds=1, MessageBody=json.dumps(
        {"rerender": {"bucket": backend.names.source_bucket, "keys": [], "reason": "test"}}))
    real_receive = sqs.receive_message
    slow = [True]

    def receive_then_stall(**kwargs):
        got = real_receive(**kwargs)
        if slow and not got.get("Messages"):
            slow.clear()
            time.sleep(1.5)  # the machine is busy: the delay ends meanwhile
        return got

    # the drain uses the process-wide client, this one
    assert storage.client("sqs") is sqs
    monkeypatch.setattr(sqs, "receive_message", receive_then_stall)
    assert backend.drain_render_queue() == 1
