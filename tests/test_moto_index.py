"""The embedded backend's Query and Scan narrowing (``index_moto_dynamodb``) answers exactly what
moto answers without it: same items, same order, same pages and ``LastEvaluatedKey``, same
counts, on random tables (duplicate sort keys, items missing the index's keys, items big enough
to end a page at 1 MB)."""

from __future__ import annotations

import random

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from amp_publisher.local.backend import index_moto_dynamodb

TABLE = "manifest"
LISTINGS = ["home", "section/news", "tag/a", "tag/b", "author/x", "tag/big"]


def _table(dynamodb, rng: random.Random) -> None:
    dynamodb.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ("source_key", "listing", "listing_sort", "slug")],
        KeySchema=[{"AttributeName": "source_key", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "listing-index",
             "KeySchema": [{"AttributeName": "listing", "KeyType": "HASH"},
                           {"AttributeName": "listing_sort", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "slug-index",
             "KeySchema": [{"AttributeName": "slug", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}}])
    for i in range(10):  # one partition whose items pass 1 MB: a page ends at the size limit
        dynamodb.put_item(TableName=TABLE, Item={
            "source_key": {"S": f"articles/big-{i}.json"}, "listing": {"S": "tag/big"},
            "listing_sort": {"S": f"2026-01-{i % 3}"}, "body": {"S": "x" * 120_000}})
    for i in range(120):
        item = {"source_key": {"S": f"articles/{rng.randrange(10**6):06d}-{i}.json"},
                "n": {"N": str(rng.randrange(50))}}
        roll = rng.random()
        if roll < 0.8:  # a listing item; some share a sort key (same published time)
            item["listing"] = {"S": rng.choice(LISTINGS)}
            item["listing_sort"] = {"S": f"2026-{rng.randrange(1, 4):02d}-{rng.randrange(1, 9)}"}
            if rng.random() < 0.3:
                item["related_keys"] = {"SS": [f"articles/r{rng.randrange(5)}.json"]}
        elif roll < 0.9:  # a record: only the slug index
            item["slug"] = {"S": f"slug-{rng.randrange(40)}"}
        else:  # a listing item without its sort key: in no listing-index partition
            item["listing"] = {"S": rng.choice(LISTINGS)}
        dynamodb.put_item(TableName=TABLE, Item=item)


def _queries(rng: random.Random) -> list[dict]:
    cases = []
    for _ in range(30):
        listing = rng.choice(LISTINGS + ["nobody"])
        kwargs = {"TableName": TABLE, "IndexName": "listing-index",
                  "ScanIndexForward": rng.random() < 0.5,
                  "ExpressionAttributeNames": {"#l": "listing"},
                  "ExpressionAttributeValues": {":l": {"S": listing}},
                  "KeyConditionExpression": "#l = :l"}
        kind = rng.choice(["plain", "range", "between", "begins", "filter", "count"])
        names, values = kwargs["ExpressionAttributeNames"], kwargs["ExpressionAttributeValues"]
        if kind in ("range", "between", "begins"):
            names["#s"] = "listing_sort"
            values[":a"] = {"S": f"2026-0{rng.randrange(1, 4)}-{rng.randrange(1, 9)}"}
            kwargs["KeyConditionExpression"] += {
                "range": f" AND #s {rng.choice(['<', '<=', '>', '>='])} :a",
                "between": " AND #s BETWEEN :a AND :b",
                "begins": " AND begins_with(#s, :p)"}[kind]
            if kind == "between":
                values[":b"] = {"S": "2026-03-5"}
            if kind == "begins":
                values[":p"] = {"S": f"2026-0{rng.randrange(1, 4)}"}
                del values[":a"]
        if kind == "filter":
            kwargs["FilterExpression"] = "contains(#r, :k)"
            names["#r"] = "related_keys"
            values[":k"] = {"S": f"articles/r{rng.randrange(5)}.json"}
        if kind == "count":
            kwargs["Select"] = "COUNT"
        if rng.random() < 0.7:
            kwargs["Limit"] = rng.choice([2, 5, 13, 40])
        cases.append(kwargs)
    for slug in range(0, 40, 8):
        cases.append({"TableName": TABLE, "IndexName": "slug-index",
                      "KeyConditionExpression": "slug = :s",
                      "ExpressionAttributeValues": {":s": {"S": f"slug-{slug}"}}})
    return cases


def _pages(call, kwargs: dict) -> list[dict]:
    """Every page of a paginated call, with what the caller sees of each."""
    pages, kwargs = [], dict(kwargs)
    for _ in range(500):
        response = call(**kwargs)
        pages.append({k: response.get(k) for k in ("Items", "Count", "ScannedCount",
                                                    "LastEvaluatedKey")})
        if "LastEvaluatedKey" not in response:
            return pages
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    raise AssertionError("pagination did not end")


@pytest.fixture
def moto_own(monkeypatch):
    """A function that runs a callable with moto's own Query and Scan restored."""
    index_moto_dynamodb()
    own = Table.all_items.moto

    def run(call):
        with monkeypatch.context() as patch:
            for owner, name, original in own:
                patch.setattr(owner, name, original)
            return call()

    return run


@pytest.mark.parametrize("seed", [1, 2])
def test_narrowed_query_and_scan_answer_what_moto_answers(seed, moto_own):
    rng = random.Random(seed)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        _table(dynamodb, rng)
        calls = [(dynamodb.query, q) for q in _queries(rng)]
        calls += [(dynamodb.scan, {"TableName": TABLE, "Limit": limit})
                  for limit in (9, 60)]
        calls += [(dynamodb.scan, {"TableName": TABLE}),
                  (dynamodb.scan, {"TableName": TABLE, "IndexName": "listing-index",
                                   "Limit": 9})]
        compared = 0
        for call, kwargs in calls:
            ours = _pages(call, kwargs)
            assert ours == moto_own(lambda: _pages(call, kwargs)), kwargs  # noqa: B023
            compared += sum(len(p["Items"] or []) for p in ours)
        assert compared > 200  # the cases did return items, across many pages


def _mutate(dynamodb, rng: random.Random) -> None:
    """Writes of every kind moto makes, after the partitions were built: an item put over
    another, updates that move an item to another listing, drop its key or fail a condition,
    deletes, and batch writes."""
    keys = [i["source_key"]["S"] for i in dynamodb.scan(TableName=TABLE)["Items"]]
    for step in range(80):
        key = {"source_key": {"S": rng.choice(keys)}}
        roll = rng.random()
        if roll < 0.2:
            dynamodb.put_item(TableName=TABLE, Item={
                **key, "listing": {"S": rng.choice(LISTINGS)},
                "listing_sort": {"S": f"2026-0{rng.randrange(1, 4)}-{step}"}})
        elif roll < 0.4:
            dynamodb.update_item(TableName=TABLE, Key=key, UpdateExpression="SET listing = :l",
                                 ExpressionAttributeValues={":l": {"S": rng.choice(LISTINGS)}})
        elif roll < 0.5:
            dynamodb.update_item(TableName=TABLE, Key=key, UpdateExpression="REMOVE listing")
        elif roll < 0.6:
            with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
                dynamodb.update_item(TableName=TABLE, Key=key,
                                     UpdateExpression="SET listing = :l",
                                     ConditionExpression="attribute_not_exists(source_key)",
                                     ExpressionAttributeValues={":l": {"S": "tag/a"}})
        elif roll < 0.7:  # an update that creates the item
            dynamodb.update_item(TableName=TABLE, Key={"source_key": {"S": f"new-{step}"}},
                                 UpdateExpression="SET listing = :l, listing_sort = :s",
                                 ExpressionAttributeValues={":l": {"S": "tag/a"},
                                                            ":s": {"S": f"2026-02-{step}"}})
        elif roll < 0.85:
            dynamodb.delete_item(TableName=TABLE, Key=key)
        else:
            dynamodb.batch_write_item(RequestItems={TABLE: [
                {"PutRequest": {"Item": {"source_key": {"S": f"batch-{step}-{n}"},
                                         "listing": {"S": rng.choice(LISTINGS)},
                                         "listing_sort": {"S": f"2026-03-{n}"}}}}
                for n in range(3)] + [{"DeleteRequest": {"Key": key}}]})


@pytest.mark.parametrize("seed", [5, 6])
def test_partitions_follow_every_write(seed, moto_own):
    """The partitions built by the first Query stay what a pass over the table finds, whatever
    moto writes afterwards."""
    rng = random.Random(seed)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        _table(dynamodb, rng)
        queries = _queries(rng)
        _pages(dynamodb.query, queries[0])  # the partitions are built
        _mutate(dynamodb, rng)
        for kwargs in queries:
            ours = _pages(dynamodb.query, kwargs)
            assert ours == moto_own(lambda: _pages(dynamodb.query, kwargs)), kwargs  # noqa: B023


def test_moto_query_walks_a_partition_not_the_table(moto_own):
    """What the narrowing is for: a Query hands moto only the partition's items."""
    index_moto_dynamodb()
    seen: list[int] = []
    original = Table.sorted_items

    def counting(self, hash_attrs, range_attrs, items):
        seen.append(len(items))
        return original(self, hash_attrs, range_attrs, items)

    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(Table, "sorted_items", counting)
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        _table(dynamodb, random.Random(4))
        dynamodb.put_item(TableName=TABLE, Item={"source_key": {"S": "only"},
                                                 "listing": {"S": "tag/only"},
                                                 "listing_sort": {"S": "2026"}})
        response = dynamodb.query(
            TableName=TABLE, IndexName="listing-index", KeyConditionExpression="listing = :l",
            ExpressionAttributeValues={":l": {"S": "tag/only"}})
    assert [i["source_key"]["S"] for i in response["Items"]] == ["only"]
    assert seen == [1]


def test_local_read_timeout_setting(monkeypatch):
    """The benchmarks give the embedded backend longer than the function's 20 s to answer
    (``AMP_PUBLISHER_READ_TIMEOUT_S``); without it a client waits the function's 20 s."""
    from amp_publisher.aws import storage

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AMP_PUBLISHER_READ_TIMEOUT_S", "600")
    storage.client.cache_clear()
    try:
        assert storage.client("dynamodb").meta.config.read_timeout == 600
        monkeypatch.delenv("AMP_PUBLISHER_READ_TIMEOUT_S")
        storage.client.cache_clear()
        assert storage.client("dynamodb").meta.config.read_timeout == 20
    finally:
        storage.client.cache_clear()
