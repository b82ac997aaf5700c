"""The manifest table (DynamoDB): one record per source key (DESIGN §1).

It maps a source key to the page it published (so a delete or a slug change removes the right
page), holds the source version facts used to refuse stale work, and keeps the last error of a
failed render for ``amp-render status``.

Record attributes: ``source_key`` (partition key), ``page_key``, ``slug`` (GSI ``slug-index``),
``headline``, ``section``, ``published``, ``updated``, ``source_etag``, ``source_version_id``,
``source_last_modified``, ``sequencer``, ``renderer_version``, ``rendered_at`` (ISO 8601 UTC),
``status`` (``published`` | ``failed`` | ``deleted``), ``error`` (map: code, message, path),
``report`` (list of conversion report lines), ``page_bytes``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from . import storage

__all__ = ["ManifestTable", "SLUG_INDEX", "STATUS_PUBLISHED", "STATUS_FAILED", "STATUS_DELETED"]

SLUG_INDEX = "slug-index"
STATUS_PUBLISHED = "published"
STATUS_FAILED = "failed"
STATUS_DELETED = "deleted"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class ManifestTable:
    """Access to the manifest table ``name`` through a boto3 DynamoDB client.

    All writes are single-item; none is a read-modify-write without a condition.
    """

    name: str
    dynamodb: Any = None

    def __post_init__(self) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    @property
    def _client(self) -> Any:
        if self.dynamodb is None:
            self.dynamodb = storage.client("dynamodb")
        return self.dynamodb

    def _to_item(self, record: dict[str, Any]) -> dict[str, Any]:
        return {k: self._ser.serialize(v) for k, v in record.items() if v is not None}

    def _from_item(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: self._de.deserialize(v) for k, v in item.items()}

    def get(self, source_key: str) -> dict[str, Any] | None:
        """The record of ``source_key`` (strongly consistent read), or ``None``."""
        response = self._client.get_item(TableName=self.name, Key={"source_key": {"S": source_key}},
                                          ConsistentRead=True)
        item = response.get("Item")
        return self._from_item(item) if item else None

    def owner_of_slug(self, slug: str) -> str | None:
        """The source key whose published page holds ``slug``, if any (GSI query)."""
        response = self._client.query(
            TableName=self.name, IndexName=SLUG_INDEX,
            KeyConditionExpression="slug = :slug",
            ExpressionAttributeValues={":slug": {"S": slug}})
        for item in response.get("Items", []):
            record = self._from_item(item)
            if record.get("page_key") and record.get("status") != STATUS_DELETED:
                return record["source_key"]
        return None

    def put(self, record: dict[str, Any]) -> None:
        """Write a whole record (``source_key`` required); ``rendered_at`` is stamped if absent."""
        record = {"rendered_at": _now(), **record}
        self._client.put_item(TableName=self.name, Item=self._to_item(record))

    def mark_failed(self, source_key: str, error: dict[str, Any], *,
                    source_facts: dict[str, Any] | None = None) -> None:
        """Record a permanent failure; the published page (and its ``page_key``) are kept."""
        names = {"#s": "status", "#e": "error", "#t": "failed_at"}
        values: dict[str, Any] = {":s": STATUS_FAILED, ":e": error, ":t": _now()}
        sets = ["#s = :s", "#e = :e", "#t = :t"]
        for i, (field, value) in enumerate((source_facts or {}).items()):
            if value is not None:
                names[f"#f{i}"] = field
                values[f":f{i}"] = value
                sets.append(f"#f{i} = :f{i}")
        self._client.update_item(
            TableName=self.name, Key={"source_key": {"S": source_key}},
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={k: self._ser.serialize(v) for k, v in values.items()})

    def mark_deleted(self, source_key: str) -> None:
        """Record that the source is gone and its page was removed."""
        self._client.update_item(
            TableName=self.name, Key={"source_key": {"S": source_key}},
            UpdateExpression="SET #s = :s, deleted_at = :t REMOVE page_key, slug, #e",
            ExpressionAttributeNames={"#s": "status", "#e": "error"},
            ExpressionAttributeValues={":s": {"S": STATUS_DELETED}, ":t": {"S": _now()}})

    def scan(self) -> list[dict[str, Any]]:
        """Every record (paginated scan; for ``amp-render status`` and tests)."""
        paginator = self._client.get_paginator("scan")
        return [self._from_item(item) for page in paginator.paginate(TableName=self.name)
                for item in page.get("Items", [])]
