"""Re-render the whole site through RenderQueue when the render fingerprint changes (DESIGN §11).

A change of ``config/site.json``, of the theme or of the renderer changes the render fingerprint
(:mod:`amp_publisher.core.fingerprint`), and every page rendered with another one is *stale*.
A rebuild renders the stale pages again on the existing engine, never a home-made one:

1. **Start** (:func:`start_rebuild`; an upload of ``config/site.json`` or ``amp-render rebuild``):
   the function computes the current fingerprint, writes the rebuild's progress item
   (``rebuild#latest``) in the manifest table and sends one *enumerate* message to ``RenderQueue``.
2. **Enumerate** (:func:`enumerate_step`, run by the consumer of that message): page through the
   manifest table with a paginated ``Scan`` (never a bucket listing), and send the stale source
   keys, :data:`KEYS_PER_MESSAGE` to a message and ten messages to a ``SendMessageBatch``. A
   Lambda stops before its deadline and sends a *continue* message holding the scan's
   ``LastEvaluatedKey``, so a table of any size is enumerated in bounded invocations.
3. **Render**: the event source mapping hands the key batches to the render function, at most
   ``RebuildConcurrency`` invocations at once (a template parameter, so a rebuild never starves
   uploads or DynamoDB). Each key goes through :meth:`Publisher.process
   <amp_publisher.aws.pipeline.Publisher.process>` exactly as an S3 event would: level-triggered,
   leased, conditional, and skipped when the record is already at the current fingerprint.
   A rebuild is therefore idempotent and resumable: run it again after an interruption and only
   what is left is rendered.
4. **Finish** (:func:`finish_step`): when the first pass reaches the end of the table it also
   queues a *finish* message, which looks through the manifest for a stale record (from where
   the last look found one, so each look reads little) and, while there is one, looks again
   :data:`FINISH_RECHECK_S` later. While RenderQueue still has key batches waiting, the look
   is not made at all (one ``GetQueueAttributes`` instead of a page of the table). When no
   stale record is left it renders the theme's 404 page again and sends **one** message to
   ``SiteIndexQueue`` naming every index output (``"all"``), so
   index pages, sitemaps and feeds are rebuilt after the articles, once, not once per article
   (the rebuild's own renders send no listing names of their own unless the article itself
   changed). Records that stay stale while RenderQueue holds nothing that could render them
   (their messages went to the failed-events queue) do not hold the site back forever: after
   :data:`FINISH_IDLE_CHECKS` such looks the rebuild finishes anyway and records how many.
5. **Sweep**: when the enumeration reaches the end of the table it queues one more pass, delayed
   until every container's cached site configuration has expired and every render started
   before has finished (``SITE_CONFIG_TTL_S`` + the lease). An upload rendered meanwhile by a
   container still holding the old configuration is stale, and the sweep sends it again.

Failures follow DESIGN §6: an article that fails under the new fingerprint is recorded
``failed`` (its old page keeps serving) and counted; a message that keeps hitting transient faults
goes, after ``maxReceiveCount`` receives, to the failed-events queue, where ``amp-render status``
shows it and ``amp-render redrive`` replays it.

Progress (:func:`progress`) is computed from the manifest, never from the CLI's memory, so it
survives the CLI being closed and reads the same from any machine.

Freshness at the edge: a rebuild's render of an unchanged source is not invalidated page by
page (:func:`amp_publisher.aws.pipeline._rebuild_only`): it reaches readers when the edge copy
expires (``s-maxage`` + ``stale-while-revalidate``). The index function's invalidation of every
index output at the end is above the path limit, so it is one wildcard.

Messages on ``RenderQueue`` (JSON bodies)::

    {"rebuild": {"id": "...", "bucket": "...", "fingerprint": "...", "keys": ["articles/a.json"]}}
    {"rebuild": {"id": "...", "bucket": "...", "fingerprint": "...",
                 "enumerate": {"start": null, "sweep": false}}}
    {"rebuild": {"id": "...", "bucket": "...", "fingerprint": "...",
                 "finish": {"start": null, "idle": 0}}}

and on ``SiteIndexQueue``, once per rebuild::

    {"rebuild": "<id>", "all": true, "news": true}

Example:
    >>> classify({"status": "published", "fingerprint": "aa"}, "aa")
    'current'
    >>> classify({"status": "published", "fingerprint": "bb"}, "aa")
    'stale'
    >>> classify({"status": "failed", "error": {"fingerprint": "aa"}}, "aa")
    'failed'
    >>> rebuild_message("r1", "src", "aa", ["articles/a.json"])["rebuild"]["keys"]
    ['articles/a.json']
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from amp_publisher.aws import storage
from amp_publisher.aws.manifest import (
    REBUILD_KEY,
    STATUS_DELETED,
    STATUS_FAILED,
    STATUS_PUBLISHED,
    STATUS_SCHEDULED,
    STATUS_UNPUBLISHED,
    ManifestTable,
    is_source_record,
)

if TYPE_CHECKING:
    from amp_publisher.aws.pipeline import Publisher

__all__ = ["KEYS_PER_MESSAGE", "REBUILD_EVENT", "RecordState", "Progress", "RebuildStarted",
           "classify", "rebuild_message", "scan_records", "progress", "start_rebuild",
           "enumerate_step", "send_keys", "finish_step", "FINISH_RECHECK_S", "FINISH_IDLE_CHECKS",
           "ALL_OUTPUTS_MESSAGE"]

#: ``event_name`` of the source records a rebuild message yields.
REBUILD_EVENT = "Rebuild"
#: Source keys per RenderQueue message. One render takes tens of milliseconds (at most 3 s CPU
#: at the 2 MiB source limit, DESIGN §8), so ten keys fit the function's 30 s timeout with room
#: to spare, and a transient fault on one key returns only ten keys to the queue (those already
#: done are skipped when they come back).
KEYS_PER_MESSAGE = 10
#: Entries per ``SendMessageBatch``: the SQS maximum.
_SEND_BATCH = 10
#: Items per manifest ``Scan`` page; ``None``: DynamoDB's own page of 1 MB of data read (a few
#: thousand records of a few hundred bytes). Reads are billed by the data read, not the pages,
#: so big pages cost the same and take fewer round trips. (The embedded backend's scan sorts
#: and walks the whole table for every page, so small pages made a scan quadratic there: 10,000
#: records in pages of 250 took 40 walks of the table.)
SCAN_PAGE: int | None = None
#: An enumerating invocation hands the rest of the table on when this little time is left (ms).
ENUMERATE_MARGIN_MS = 10_000
#: Seconds between two looks of the finish step for records still stale. A look reads from
#: where the previous one found a stale record, usually one page, so looking often is cheap.
FINISH_RECHECK_S = 10
#: Looks in a row that find stale records while RenderQueue is empty (nothing left that could
#: render them: their messages are in the failed-events queue) before the rebuild finishes
#: without them. The queue's counts are approximate, hence more than one look.
FINISH_IDLE_CHECKS = 3
#: ``all`` in a SiteIndexQueue message: every index output is stale.
ALL_OUTPUTS_MESSAGE = "all"
#: Attributes the enumeration and the progress read of each record.
_PROJECTION = "source_key, #s, fingerprint, #e.fingerprint, record_type"
_NAMES = {"#s": "status", "#e": "error"}

RecordState = Literal["current", "stale", "failed", "deleted"]


def classify(record: dict[str, Any], fingerprint: str) -> RecordState:
    """Where a manifest record stands against the current render ``fingerprint``.

    Returns:
        ``current`` (published with this fingerprint), ``failed`` (failed permanently under this
        fingerprint: its previous page, if any, keeps serving), ``deleted`` (no page to render:
        the source is gone, or says it is not public, status ``unpublished``, or not yet:
        status ``scheduled``, rendered at its time with the fingerprint of that time), or
        ``stale`` (anything else: published with another fingerprint, failed under another one,
        or never finished).
    """
    status = record.get("status")
    if status in (STATUS_DELETED, STATUS_UNPUBLISHED, STATUS_SCHEDULED):
        return "deleted"
    if status == STATUS_PUBLISHED and record.get("fingerprint") == fingerprint:
        return "current"
    if status == STATUS_FAILED and (record.get("error") or {}).get("fingerprint") == fingerprint:
        return "failed"
    return "stale"


def rebuild_message(rebuild_id: str, bucket: str, fingerprint: str, keys: list[str] | None = None,
                    *, start: dict[str, Any] | None = None, enumerate_: bool = False,
                    sweep: bool = False, finish: bool = False, idle: int = 0) -> dict[str, Any]:
    """A RenderQueue message body: a batch of ``keys`` to render, or (``enumerate_``) the order
    to enumerate the manifest from the scan position ``start`` (``None``: the beginning), in
    the first pass or the ``sweep``, or (``finish``) the order to look for stale records from
    ``start`` and finish the rebuild when there are none (``idle``: looks in a row that found
    RenderQueue empty)."""
    body: dict[str, Any] = {"id": rebuild_id, "bucket": bucket, "fingerprint": fingerprint}
    if finish:
        body["finish"] = {"start": start, "idle": idle}
    elif enumerate_:
        body["enumerate"] = {"start": start, "sweep": sweep}
    else:
        body["keys"] = list(keys or ())
    return {"rebuild": body}


# -- reading the manifest ------------------------------------------------------------------


def scan_records(manifest: ManifestTable, *, start: dict[str, Any] | None = None,
                 page_size: int | None = None
                 ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
    """Page through the manifest's source records, reading only what classification needs.

    Yields:
        ``(records of one page, the scan position after it)``; the position is the raw
        ``LastEvaluatedKey`` (``None`` after the last page), to resume from with ``start``.
        Memory is one page at a time, whatever the table's size.
    """
    client = manifest._client
    while True:
        params: dict[str, Any] = {"TableName": manifest.name,
                                  "ProjectionExpression": _PROJECTION,
                                  "ExpressionAttributeNames": _NAMES}
        if page_size or SCAN_PAGE:
            params["Limit"] = page_size or SCAN_PAGE
        if start:
            params["ExclusiveStartKey"] = start
        response = client.scan(**params)
        records = [manifest._from_item(item) for item in response.get("Items", [])]
        start = response.get("LastEvaluatedKey")
        yield [r for r in records if is_source_record(r)], start
        if not start:
            return


@dataclass
class Progress:
    """A rebuild's progress, computed from the manifest.

    Attributes:
        fingerprint: the fingerprint pages are measured against.
        counts: records per :data:`RecordState`.
        rebuild: the latest rebuild's item (``id``, ``fingerprint``, ``started_at`` epoch s,
            ``done_at_start``, ``enumerated``, ``swept``, ``keys_sent``), or ``None``.
        measured_at: epoch seconds of the reading.
    """

    fingerprint: str
    counts: dict[str, int]
    rebuild: dict[str, Any] | None
    measured_at: float

    @property
    def done(self) -> int:
        """Records at the current fingerprint, published or failed."""
        return self.counts.get("current", 0) + self.counts.get("failed", 0)

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0)

    @property
    def remaining(self) -> int:
        return self.counts.get("stale", 0)

    @property
    def total(self) -> int:
        """Records that should have a page (everything but deleted ones)."""
        return self.done + self.remaining

    @property
    def finished(self) -> bool:
        return self.remaining == 0

    @property
    def rate(self) -> float | None:
        """Pages per second since the latest rebuild started (``None`` before any is done)."""
        if not self.rebuild or self.rebuild.get("fingerprint") != self.fingerprint:
            return None
        elapsed = self.measured_at - float(self.rebuild["started_at"])
        done = self.done - int(self.rebuild.get("done_at_start", 0))
        return done / elapsed if elapsed > 0 and done > 0 else None

    @property
    def eta_seconds(self) -> float | None:
        rate = self.rate
        return self.remaining / rate if rate else (0.0 if self.finished else None)


def progress(manifest: ManifestTable, fingerprint: str | None = None, *,
             stale_keys: list[str] | None = None) -> Progress:
    """Count the records per state against ``fingerprint`` (default: the latest rebuild's).

    Args:
        stale_keys: when given, the stale source keys are appended to it (``status --stale``).

    Raises:
        ValueError: no ``fingerprint`` given and no rebuild was ever started.
    """
    rebuild = manifest.get(REBUILD_KEY)
    if fingerprint is None:
        if rebuild is None:
            raise ValueError("no rebuild has been started on this manifest; give a fingerprint")
        fingerprint = str(rebuild["fingerprint"])
    counts = dict.fromkeys(("current", "stale", "failed", "deleted"), 0)
    for records, _ in scan_records(manifest):
        for record in records:
            state = classify(record, fingerprint)
            counts[state] += 1
            if state == "stale" and stale_keys is not None:
                stale_keys.append(record["source_key"])
    return Progress(fingerprint, counts, rebuild, time.time())


# -- starting and enumerating ---------------------------------------------------------------


@dataclass
class RebuildStarted:
    """What :func:`start_rebuild` did.

    Attributes:
        id: the rebuild id (``rebuild#latest`` holds it).
        fingerprint: the current render fingerprint.
        bucket: the source bucket.
        dry_run: nothing was written or sent.
    """

    id: str
    fingerprint: str
    bucket: str
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _queue_url(publisher: Publisher) -> str:
    url = publisher.settings.render_queue_url
    if not url:
        raise ValueError("RENDER_QUEUE_URL is not set: the function cannot queue a rebuild")
    return url


def start_rebuild(publisher: Publisher, bucket: str | None = None, *, dry_run: bool = False,
                  reason: str = "", sqs: Any = None) -> RebuildStarted:
    """Start a rebuild: record it in the manifest and queue the enumeration of the manifest.

    Args:
        publisher: the function's publisher (settings, clients, site configuration).
        bucket: the source bucket (default ``SOURCE_BUCKET``).
        dry_run: compute the fingerprint only; write and send nothing.
        reason: why (``config/site.json uploaded``, ``amp-render rebuild``), kept in the item.

    Raises:
        ValueError: no bucket or no ``RENDER_QUEUE_URL``.
        ArticleError: ``config/site.json`` is invalid (nothing is re-rendered with a broken
            configuration; every page keeps serving).
    """
    bucket = bucket or publisher.settings.source_bucket
    if not bucket:
        raise ValueError("no source bucket: set SOURCE_BUCKET or give one")
    publisher.forget_site(bucket)
    _, fingerprint = publisher._site(bucket)
    started = RebuildStarted(uuid.uuid4().hex[:12], fingerprint, bucket, dry_run)
    if dry_run:
        return started
    queue_url = _queue_url(publisher)
    # The enumeration adds the records it finds already done to done_at_start, so the rate
    # counts only what this rebuild renders.
    publisher.manifest.put_rebuild({"id": started.id, "fingerprint": fingerprint,
                                    "bucket": bucket, "started_at": time.time(),
                                    "done_at_start": 0, "reason": reason, "enumerated": False,
                                    "keys_sent": 0})
    sqs = sqs or storage.client("sqs")
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(
        rebuild_message(started.id, bucket, fingerprint, enumerate_=True)))
    return started


def send_keys(sqs: Any, queue_url: str, rebuild_id: str, bucket: str, fingerprint: str,
              keys: list[str]) -> int:
    """Send ``keys`` to ``queue_url`` in messages of :data:`KEYS_PER_MESSAGE` keys, ten messages
    per ``SendMessageBatch``. Returns the number of messages sent.

    Raises:
        RuntimeError: SQS refused some entries (the caller's message is retried; keys sent
            twice are skipped by the render function).
    """
    bodies = [json.dumps(rebuild_message(rebuild_id, bucket, fingerprint,
                                         keys[i:i + KEYS_PER_MESSAGE]))
              for i in range(0, len(keys), KEYS_PER_MESSAGE)]
    for i in range(0, len(bodies), _SEND_BATCH):
        chunk = bodies[i:i + _SEND_BATCH]
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(n), "MessageBody": body} for n, body in enumerate(chunk)])
        if response.get("Failed"):
            first = response["Failed"][0]
            raise RuntimeError(f"RenderQueue refused {len(response['Failed'])} message(s): "
                               f"{first.get('Code')}: {first.get('Message')}")
    return len(bodies)


def enumerate_step(publisher: Publisher, message: dict[str, Any], *, sqs: Any = None,
                   time_left_ms: Callable[[], int] | None = None) -> dict[str, Any]:
    """Run the enumeration ordered by ``message`` (a rebuild message with ``enumerate``).

    Pages through the manifest from the message's scan position and sends every stale source
    key to RenderQueue. With ``time_left_ms`` (the Lambda context's remaining time), it stops
    when less than :data:`ENUMERATE_MARGIN_MS` is left and sends a message to continue from the
    position reached. A message of a superseded rebuild (another fingerprint is now recorded)
    is dropped.

    Returns:
        ``{"keys_sent", "messages", "continued", "sweep"}``.
    """
    body = message["rebuild"]
    fingerprint, bucket, rebuild_id = body["fingerprint"], body["bucket"], body["id"]
    manifest = publisher.manifest
    latest = manifest.get(REBUILD_KEY)
    if latest and latest.get("fingerprint") != fingerprint:
        return {"keys_sent": 0, "messages": 0, "continued": False, "superseded": True}
    sqs = sqs or storage.client("sqs")
    queue_url = _queue_url(publisher)
    order = body.get("enumerate") or {}
    start, sweep = order.get("start"), bool(order.get("sweep"))
    sent = messages = 0
    position: dict[str, Any] | None = None
    already = 0
    for records, position in scan_records(manifest, start=start):
        states = [(r["source_key"], classify(r, fingerprint)) for r in records]
        stale = [key for key, state in states if state == "stale"]
        already += sum(state in ("current", "failed") for _, state in states)
        if stale:
            messages += send_keys(sqs, queue_url, rebuild_id, bucket, fingerprint, stale)
            sent += len(stale)
        if position and time_left_ms is not None and time_left_ms() < ENUMERATE_MARGIN_MS:
            break
    manifest.note_rebuild(rebuild_id, keys_sent=sent, done_at_start=0 if sweep else already)
    if position:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(rebuild_message(
            rebuild_id, bucket, fingerprint, start=position, enumerate_=True, sweep=sweep)))
        return {"keys_sent": sent, "messages": messages, "continued": True}
    if sweep:
        manifest.note_rebuild(rebuild_id, swept=True)
    else:
        manifest.note_rebuild(rebuild_id, enumerated=True)
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(rebuild_message(
            rebuild_id, bucket, fingerprint, finish=True)))
        sqs.send_message(QueueUrl=queue_url, DelaySeconds=sweep_delay(publisher),
                         MessageBody=json.dumps(rebuild_message(
                             rebuild_id, bucket, fingerprint, enumerate_=True, sweep=True)))
    return {"keys_sent": sent, "messages": messages, "continued": False, "sweep": sweep}


def sweep_delay(publisher: Publisher) -> int:
    """Seconds before the sweep (s, at most SQS's 900): every container's cached
    configuration has expired (``SITE_CONFIG_TTL_S``) and every render started with it has
    committed or lost its lease (``lease_seconds``)."""
    return min(900, math.ceil(publisher.SITE_CONFIG_TTL_S + publisher.lease_seconds))


def _render_queue_waiting(sqs: Any, queue_url: str) -> bool:
    """RenderQueue has messages waiting to be received (approximate count of visible ones):
    key batches not yet rendered."""
    counts = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "ApproximateNumberOfMessages"])["Attributes"]
    return int(counts.get("ApproximateNumberOfMessages", 0)) > 0


def _render_queue_idle(sqs: Any, queue_url: str) -> bool:
    """RenderQueue holds nothing but the message being processed (approximate counts: visible,
    delayed, and in flight besides this one)."""
    counts = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed"])["Attributes"]
    waiting = int(counts.get("ApproximateNumberOfMessages", 0)) + \
        int(counts.get("ApproximateNumberOfMessagesDelayed", 0))
    return waiting == 0 and int(counts.get("ApproximateNumberOfMessagesNotVisible", 0)) <= 1


def finish_step(publisher: Publisher, message: dict[str, Any], invalidations: Any, *,
                sqs: Any = None, time_left_ms: Callable[[], int] | None = None
                ) -> dict[str, Any]:
    """Run the finish order of ``message`` (a rebuild message with ``finish``).

    While RenderQueue has messages waiting (visible: key batches not yet taken), the rebuild
    is not done: the order is sent again :data:`FINISH_RECHECK_S` later without reading the
    manifest. Otherwise it pages through the manifest from the message's position until the
    first stale record. One found: the order is sent again, :data:`FINISH_RECHECK_S` later,
    from the page that held it
    (records before it are done). None left (or only records nothing in RenderQueue will
    render, after :data:`FINISH_IDLE_CHECKS` looks): the theme's 404 page is rendered again
    (added to ``invalidations``, the invocation's batch), one ``{"all": true}`` message goes to
    ``SiteIndexQueue``, and the rebuild item records ``finished_at`` (once: a duplicate
    delivery of this order finds it and does nothing). A message of a superseded rebuild is
    dropped.

    Returns:
        ``{"finished": bool, ...}``: ``stale_left`` when finished without some records,
        ``continued`` when the look is handed on (stale records, or the deadline).

    Raises:
        ArticleError: ``config/site.json`` became invalid (the order is not retried: the next
            valid upload starts a new rebuild).
    """
    body = message["rebuild"]
    fingerprint, bucket, rebuild_id = body["fingerprint"], body["bucket"], body["id"]
    manifest = publisher.manifest
    latest = manifest.get(REBUILD_KEY) or {}
    if latest.get("id") != rebuild_id or latest.get("fingerprint") != fingerprint:
        return {"finished": False, "superseded": True}
    if latest.get("finished_at"):
        return {"finished": True, "already": True}
    sqs = sqs or storage.client("sqs")
    queue_url = _queue_url(publisher)
    order = body.get("finish") or {}
    position, idle = order.get("start"), int(order.get("idle") or 0)
    if _render_queue_waiting(sqs, queue_url):
        sqs.send_message(QueueUrl=queue_url, DelaySeconds=FINISH_RECHECK_S,
                         MessageBody=json.dumps(rebuild_message(
                             rebuild_id, bucket, fingerprint, start=position, finish=True,
                             idle=0)))
        return {"finished": False, "continued": True, "idle": 0, "queued": True}
    stale_left = 0
    for records, after in scan_records(manifest, start=position):
        stale = sum(classify(r, fingerprint) == "stale" for r in records)
        if stale:
            idle = idle + 1 if _render_queue_idle(sqs, queue_url) else 0
            if idle < FINISH_IDLE_CHECKS:
                sqs.send_message(QueueUrl=queue_url, DelaySeconds=FINISH_RECHECK_S,
                                 MessageBody=json.dumps(rebuild_message(
                                     rebuild_id, bucket, fingerprint, start=position,
                                     finish=True, idle=idle)))
                return {"finished": False, "continued": True, "idle": idle}
            stale_left = progress(manifest, fingerprint).remaining
            break
        position = after
        if position and time_left_ms is not None and time_left_ms() < ENUMERATE_MARGIN_MS:
            sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(rebuild_message(
                rebuild_id, bucket, fingerprint, start=position, finish=True, idle=idle)))
            return {"finished": False, "continued": True, "idle": idle}
    publisher.keep_error_page(bucket, invalidations)
    index_queue = publisher.settings.site_index_queue_url
    if index_queue:
        sqs.send_message(QueueUrl=index_queue, MessageBody=json.dumps(
            {"rebuild": rebuild_id, ALL_OUTPUTS_MESSAGE: True, "news": True}))
    manifest.finish_rebuild(rebuild_id, {"stale_left": stale_left})
    return {"finished": True, "stale_left": stale_left}
