"""``amp-render status [KEY]``: the manifest records and the failures, as a table or JSON.

Reads the manifest table (:class:`~amp_publisher.aws.manifest.ManifestTable`) and peeks at the
failed-events queue without taking its messages (``VisibilityTimeout=0``), so it is safe to run
at any time, against AWS or the embedded backend.

Example::

    report = collect_status(ManifestTable("amp-publisher-manifest"), queue_url=None)
    print(format_status(report))
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from amp_publisher.aws import storage
from amp_publisher.aws.manifest import ManifestTable
from amp_publisher.aws.redrive import RedriveResult, describe_message

__all__ = ["StatusReport", "collect_status", "peek_failed_events", "format_status",
           "status_json"]

#: Columns of the table: (title, record field).
_COLUMNS = (("SOURCE KEY", "source_key"), ("STATUS", "status"), ("PAGE", "page_key"),
            ("VERSION", "source_version_id"), ("RENDERED (UTC)", "rendered_at"),
            ("EDGE", "last_invalidation"), ("LAST ERROR", "error"))


@dataclass
class StatusReport:
    """What ``status`` shows.

    Attributes:
        records: manifest source records (one, with a KEY), sorted by source key.
        failed_events: messages waiting in the failed-events queue (``None``: no queue given).
        counts: records per status.
        fingerprint: the current render fingerprint the records were measured against
            (``None``: unknown).
        states: records per state against it (``current``, ``stale``, ``failed``,
            ``deleted``; :func:`amp_publisher.aws.rebuild.classify`).
        stale_keys: the stale records' source keys.
    """

    records: list[dict[str, Any]]
    failed_events: list[RedriveResult] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    fingerprint: str | None = None
    states: dict[str, int] = field(default_factory=dict)
    stale_keys: list[str] = field(default_factory=list)


def peek_failed_events(queue_url: str, *, sqs: Any = None, limit: int = 100) -> list[RedriveResult]:
    """The messages in the failed-events queue, described (keys, condition, last error), without
    hiding or deleting them. SQS returns a sample per request, so several requests are made
    until ``limit`` distinct messages or an empty answer."""
    sqs = sqs or storage.client("sqs")
    seen: dict[str, RedriveResult] = {}
    for _ in range(max(1, limit // 10) + 2):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                       VisibilityTimeout=0, WaitTimeSeconds=0,
                                       AttributeNames=["SentTimestamp"]).get("Messages", [])
        new = [m for m in messages if m["MessageId"] not in seen]
        if not new:
            break
        for message in new:
            seen[message["MessageId"]] = describe_message(message["MessageId"],
                                                          message.get("Body", ""))
        if len(seen) >= limit:
            break
    return list(seen.values())[:limit]


def collect_status(manifest: ManifestTable, *, key: str | None = None,
                   queue_url: str | None = None, sqs: Any = None,
                   fingerprint: str | None = None) -> StatusReport:
    """Read the records (all, or ``key``'s) and the failed-events queue (when ``queue_url``);
    with ``fingerprint``, also classify each record against it (current, stale, failed,
    deleted)."""
    if key is not None:
        record = manifest.get(key)
        records = [record] if record else []
    else:
        records = manifest.scan()
    failed = peek_failed_events(queue_url, sqs=sqs) if queue_url else None
    if failed is not None and key is not None:
        failed = [f for f in failed if key in f.source_keys]
    counts: dict[str, int] = {}
    for record in records:
        status = record.get("status", "pending")
        counts[status] = counts.get(status, 0) + 1
    report = StatusReport(records, failed, counts, fingerprint)
    if fingerprint is not None:
        from amp_publisher.aws.manifest import is_source_record
        from amp_publisher.aws.rebuild import classify

        report.states = dict.fromkeys(("current", "stale", "failed", "deleted"), 0)
        for record in records:
            if not is_source_record(record):  # a collection's items go with their source
                continue
            state = classify(record, fingerprint)
            report.states[state] += 1
            if state == "stale":
                report.stale_keys.append(record["source_key"])
    return report


def _plain(value: Any) -> Any:
    """DynamoDB values (Decimal, set) as JSON values."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def status_json(report: StatusReport) -> str:
    """The report as JSON (``--json``): ``{"records", "counts", "failed_events"}``."""
    return json.dumps({
        "records": [_plain(r) for r in report.records],
        "counts": report.counts,
        "fingerprint": report.fingerprint,
        "states": report.states,
        "failed_events": None if report.failed_events is None
        else [asdict(f) for f in report.failed_events],
    }, indent=2, ensure_ascii=False)


def _cell(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    if name == "error" and isinstance(value, dict):
        where = f" at {value['path']}" if value.get("path") else ""
        return f"{value.get('code', '')}{where}: {value.get('message', '')}"
    if name == "rendered_at" and value:
        return str(value)[:19].replace("T", " ")
    if name == "last_invalidation":
        # DESIGN §10: "pending" until CloudFront accepted an invalidation of every change.
        if record.get("invalidation_pending"):
            return "pending"
        return f"{value['id']} {str(value.get('created_at', ''))[11:19]}" if value else ""
    if name == "status" and not value:
        return "pending"
    return "" if value is None else str(value)


def _table(rows: list[list[str]], widths: tuple[int, ...]) -> list[str]:
    sizes = [min(max(len(row[i]) for row in rows), widths[i]) for i in range(len(widths))]
    lines = []
    for row in rows:
        cells = [(c if len(c) <= sizes[i] else c[: sizes[i] - 1] + "…").ljust(sizes[i])
                 for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return lines


def format_status(report: StatusReport, *, detail: bool = False) -> str:
    """A readable report: one line per record (or, with ``detail``, every field of one
    record), the counts, then the failed-events queue."""
    lines: list[str] = []
    if detail:
        for record in report.records:
            for name in sorted(record):
                if name in ("report",):
                    continue
                lines.append(f"{name:<22} {json.dumps(_plain(record[name]), ensure_ascii=False)}")
            for entry in record.get("report") or ():
                lines.append(f"{'report':<22} {entry}")
        if not report.records:
            lines.append("no manifest record for this key")
    else:
        rows = [[title for title, _ in _COLUMNS]]
        rows += [[_cell(r, name) for _, name in _COLUMNS] for r in report.records]
        lines += _table(rows, (48, 9, 60, 12, 19, 24, 70))
    summary = ", ".join(f"{n} {s}" for s, n in sorted(report.counts.items())) or "no records"
    lines.append("")
    lines.append(f"{len(report.records)} record(s): {summary}")
    scheduled = sorted((r["scheduled_for"], r["source_key"]) for r in report.records
                       if r.get("status") == "scheduled" and r.get("scheduled_for"))
    if scheduled:  # embargoed articles, soonest first, with the time their schedule fires
        lines.append(f"scheduled: {len(scheduled)} article(s) wait for their publication time")
        lines += [f"  {when}  {key}" for when, key in scheduled]
    if report.fingerprint is not None:
        states = ", ".join(f"{report.states.get(s, 0)} {s}"
                           for s in ("current", "stale", "failed", "deleted"))
        hint = " (render them again with: amp-render rebuild)" if report.stale_keys else ""
        lines.append(f"against fingerprint {report.fingerprint}: {states}{hint}")
    if report.failed_events is not None:
        lines.append(f"failed-events queue: {len(report.failed_events)} message(s) waiting"
                     + (" (replay them with: amp-render redrive)" if report.failed_events
                        else ""))
        for event in report.failed_events:
            keys = ", ".join(event.source_keys) or "-"
            why = event.original_error or event.error
            lines.append(f"  {event.message_id}  {keys}  {event.condition}  {why}"[:200])
    lines.append(f"as of {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")
    return "\n".join(lines)
