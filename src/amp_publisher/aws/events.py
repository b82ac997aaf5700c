"""Lambda events → source records (DESIGN §1, §6).

Accepted shapes:

* S3 event notifications (``{"Records": [{"eventSource": "aws:s3", ...}]}``);
* the same wrapped in SQS messages (``eventSource: aws:sqs``, the S3 event in ``body``);
* EventBridge "Object Created" / "Object Deleted" events from S3 (``source: aws.s3``);
* the on-failure destination record of an asynchronous invocation (``requestPayload``), so
  ``amp-render redrive`` can replay what landed in the failed-events queue;
* rebuild messages (``{"rebuild": {...}}``, bare or in SQS messages from ``RenderQueue``, see
  :mod:`amp_publisher.aws.rebuild`): a batch of ``keys`` yields one ``rebuild`` record per key;
  a ``start``, ``enumerate`` or ``finish`` order is returned in
  :attr:`ParsedEvent.rebuild_orders`.

``s3:TestEvent`` messages and anything unrecognised yield no records and an :class:`Ignored` note.
Keys are decoded here, once, by :func:`amp_publisher.core.keys.decode_event_key` (EventBridge keys
arrive URL-encoded too).

Example:
    >>> event = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
    ...   "eventTime": "2026-06-25T10:00:00.000Z",
    ...   "s3": {"bucket": {"name": "src"}, "object": {"key": "articles/a+b%2B.json",
    ...          "size": 10, "eTag": "abc", "sequencer": "0A1"}}}]}
    >>> [(r.bucket, r.key, r.kind) for r in parse_event(event).records]
    [('src', 'articles/a b+.json', 'created')]
    >>> parse_event({"Event": "s3:TestEvent", "Bucket": "src"}).ignored[0].reason
    's3:TestEvent'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from amp_publisher.core.keys import decode_event_key

__all__ = ["SourceRecord", "Ignored", "ParsedEvent", "parse_event"]


@dataclass(frozen=True)
class SourceRecord:
    """One "this source key may have changed" notice.

    Attributes:
        bucket: source bucket name.
        key: the decoded object key.
        kind: ``created`` or ``removed`` (a hint only: processing reads the current state).
        event_name: as sent, e.g. ``ObjectCreated:Put``.
        sequencer: S3's per-key ordering token (hex string, ordered by
            :func:`amp_publisher.aws.manifest.newer_sequencer`), or "".
        version_id / etag / size: the object version the event speaks of, when given.
        event_time: ISO 8601.
        message_id: the SQS message id when the record came through SQS (partial batch failure).
        fingerprint: for a ``rebuild`` record, the render fingerprint the rebuild was started
            for (:mod:`amp_publisher.aws.rebuild`); ``None`` otherwise.
        force: render even when the committed page is current (a ``rerender`` message: a
            page whose related list links an article that left its section).
    """

    bucket: str
    key: str
    kind: Literal["created", "removed", "rebuild"]
    event_name: str
    sequencer: str = ""
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None
    event_time: str = ""
    message_id: str | None = None
    fingerprint: str | None = None
    force: bool = False


@dataclass(frozen=True)
class Ignored:
    """An event or record that is not article work, with why (logged by the handler)."""

    reason: str
    detail: str = ""


@dataclass
class ParsedEvent:
    """The records to process and the parts ignored."""

    records: list[SourceRecord] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    source: str = "unknown"
    #: Rebuild orders (message bodies with ``start``, ``enumerate`` or ``finish``), for the
    #: handler.
    rebuild_orders: list[dict[str, Any]] = field(default_factory=list)


def _s3_record(record: dict[str, Any], message_id: str | None = None) -> SourceRecord:
    s3 = record["s3"]
    obj = s3["object"]
    name = record.get("eventName", "")
    return SourceRecord(
        bucket=s3["bucket"]["name"],
        key=decode_event_key(obj["key"]),
        kind="removed" if name.startswith("ObjectRemoved") else "created",
        event_name=name,
        sequencer=obj.get("sequencer", ""),
        version_id=obj.get("versionId"),
        etag=obj.get("eTag"),
        size=obj.get("size"),
        event_time=record.get("eventTime", ""),
        message_id=message_id,
    )


def _eventbridge(event: dict[str, Any]) -> SourceRecord:
    detail = event["detail"]
    obj = detail["object"]
    detail_type = event.get("detail-type", "")
    return SourceRecord(
        bucket=detail["bucket"]["name"],
        key=decode_event_key(obj["key"]),
        kind="removed" if detail_type == "Object Deleted" else "created",
        event_name=f"{detail_type}:{detail.get('reason', '')}",
        sequencer=obj.get("sequencer", ""),
        version_id=obj.get("version-id"),
        etag=obj.get("etag"),
        size=obj.get("size"),
        event_time=event.get("time", ""),
    )


def parse_event(event: Any, *, message_id: str | None = None) -> ParsedEvent:
    """Split a Lambda event into source records and ignored parts.

    Never raises for an unknown shape: it is returned in :attr:`ParsedEvent.ignored`. A malformed
    record inside a known shape raises ``KeyError``/``TypeError`` (a bug upstream, worth a retry
    and the failed-events queue rather than silence).
    """
    parsed = ParsedEvent()
    if not isinstance(event, dict):
        parsed.ignored.append(Ignored("not an object", type(event).__name__))
        return parsed
    if event.get("Event") == "s3:TestEvent":
        parsed.source = "s3"
        parsed.ignored.append(Ignored("s3:TestEvent", event.get("Bucket", "")))
        return parsed
    if event.get("source") == "aws.s3" and "detail" in event:
        parsed.source = "eventbridge"
        if event.get("detail-type") in ("Object Created", "Object Deleted"):
            parsed.records.append(_eventbridge(event))
        else:
            parsed.ignored.append(Ignored("unhandled EventBridge detail-type",
                                          str(event.get("detail-type"))))
        return parsed
    if isinstance(event.get("rerender"), dict):  # pages to render again, current or not
        parsed.source = "rerender"
        body = event["rerender"]
        parsed.records.extend(
            SourceRecord(bucket=body.get("bucket", ""), key=key, kind="created",
                         event_name="Rerender", message_id=message_id, force=True)
            for key in body.get("keys") or ())
        if not parsed.records:
            parsed.ignored.append(Ignored("rerender message without keys",
                                          str(body.get("reason", ""))[:200]))
        return parsed
    if isinstance(event.get("rebuild"), dict):
        parsed.source = "rebuild"
        body = event["rebuild"]
        if "keys" in body:
            parsed.records.extend(
                SourceRecord(bucket=body["bucket"], key=key, kind="rebuild",
                             event_name="Rebuild", message_id=message_id,
                             fingerprint=body.get("fingerprint"))
                for key in body["keys"])
        elif "start" in body or "enumerate" in body or "finish" in body:
            parsed.rebuild_orders.append(event)
        else:
            parsed.ignored.append(Ignored("rebuild message without keys or order",
                                          ",".join(sorted(body))[:200]))
        return parsed
    if "requestPayload" in event and "requestContext" in event:
        inner = parse_event(event["requestPayload"], message_id=message_id)
        inner.source = f"redrive:{inner.source}"
        return inner
    for record in event.get("Records") or []:
        source = record.get("eventSource")
        if source == "aws:s3":
            parsed.source = "s3"
            parsed.records.append(_s3_record(record, message_id))
        elif source == "aws:sqs":
            parsed.source = "sqs"
            try:
                body = json.loads(record.get("body") or "null")
            except json.JSONDecodeError:
                parsed.ignored.append(Ignored("SQS message body is not JSON",
                                              record.get("messageId", "")))
                continue
            inner = parse_event(body, message_id=record.get("messageId"))
            parsed.records.extend(inner.records)
            parsed.ignored.extend(inner.ignored)
            parsed.rebuild_orders.extend(inner.rebuild_orders)
        else:
            parsed.ignored.append(Ignored("unknown event source", str(source)))
    if not event.get("Records") and not parsed.ignored:
        parsed.ignored.append(Ignored("unknown event shape", ",".join(sorted(event))[:200]))
    return parsed
