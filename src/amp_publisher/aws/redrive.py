"""``amp-render redrive``: replay the failed-events queue through the handler (DESIGN §6).

After Lambda's retries an asynchronous invocation's event lands in ``FailedEventsQueue`` as an
on-failure destination record (``requestPayload`` holds the original event, ``responsePayload``
the last error; see ``events/failed-event-destination-record.json``). :func:`redrive` receives
each message, hands the record to the handler (which unwraps ``requestPayload``: the same code
path as Lambda) and deletes the message **only after** the handler returned. A message whose replay
raises (a transient fault again) is made visible again at once and kept for the next run.

Replaying is safe at any time: processing is level-triggered (it renders the source as it is now),
a duplicate of the event last processed for its key is skipped, and a permanent input error is
recorded in the manifest, so its message is deleted too (fix the article and upload it again).

Example (``--dry-run`` lists without replaying or deleting)::

    results = redrive(queue_url, dry_run=True)
    [(r.message_id, r.source_keys, r.status) for r in results]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from amp_publisher.aws import storage

__all__ = ["RedriveResult", "redrive", "describe_message", "invoke_function"]

#: Seconds a received message stays hidden while it is replayed (a render takes well under one).
VISIBILITY_TIMEOUT_S = 60


@dataclass
class RedriveResult:
    """One queue message and what the redrive did with it.

    Attributes:
        message_id: the SQS message id.
        source_keys: the (decoded) source keys its event names.
        condition: why it failed originally (``RetriesExhausted``, ``EventAgeExceeded``...).
        original_error: ``errorType: errorMessage`` of the last failed attempt, when recorded.
        status: ``replayed`` (handled, message deleted), ``failed`` (kept in the queue),
            ``listed`` (``--dry-run``), ``unreadable`` (not JSON; kept).
        actions: the handler's outcome per record (``published``, ``skipped``...).
        error: the replay's error, for ``failed``.
    """

    message_id: str
    source_keys: list[str] = field(default_factory=list)
    condition: str = ""
    original_error: str = ""
    status: str = "listed"
    actions: list[str] = field(default_factory=list)
    error: str = ""


def describe_message(message_id: str, body: str) -> RedriveResult:
    """What a failed-events message holds: the keys, the failure condition, the last error."""
    from amp_publisher.aws.events import parse_event

    try:
        record = json.loads(body)
    except json.JSONDecodeError:
        return RedriveResult(message_id, status="unreadable", error="message body is not JSON")
    context = record.get("requestContext", {}) if isinstance(record, dict) else {}
    response = record.get("responsePayload") if isinstance(record, dict) else None
    original = ""
    if isinstance(response, dict) and response.get("errorType"):
        original = f"{response['errorType']}: {response.get('errorMessage', '')}"[:300]
    try:
        keys = [r.key for r in parse_event(record).records]
    except (KeyError, TypeError, ValueError) as exc:
        return RedriveResult(message_id, status="unreadable", error=f"malformed event: {exc}")
    return RedriveResult(message_id, keys, str(context.get("condition", "")), original)


def redrive(queue_url: str, *, handle: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
            dry_run: bool = False, limit: int | None = None, sqs: Any = None,
            visibility_timeout: int = VISIBILITY_TIMEOUT_S) -> list[RedriveResult]:
    """Replay (or, with ``dry_run``, list) the messages of the failed-events queue.

    Args:
        queue_url: the queue (``FAILED_EVENTS_QUEUE_URL``, the stack output
            ``FailedEventsQueueUrl``).
        handle: ``event -> summary``; default :func:`amp_publisher.aws.handler.handle_event`.
        dry_run: only list: nothing is replayed or deleted (messages are made visible again).
        limit: stop after this many messages.
        sqs: a boto3 SQS client (default: the process-wide one).
        visibility_timeout: seconds a message is hidden while it is replayed.

    Returns:
        One :class:`RedriveResult` per message, in the order received.
    """
    sqs = sqs or storage.client("sqs")
    if handle is None:
        from amp_publisher.aws.handler import handle_event as handle
    results: list[RedriveResult] = []
    seen: set[str] = set()
    while limit is None or len(results) < limit:
        batch = min(10, limit - len(results)) if limit is not None else 10
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=batch,
                                       VisibilityTimeout=visibility_timeout,
                                       WaitTimeSeconds=0).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        for message in messages:
            if message["MessageId"] in seen:  # came round again in this run: leave it
                _make_visible(sqs, queue_url, message)
        if not fresh:
            break
        for message in fresh:
            seen.add(message["MessageId"])
            result = describe_message(message["MessageId"], message.get("Body", ""))
            results.append(result)
            if dry_run or result.status == "unreadable":
                _make_visible(sqs, queue_url, message)
                continue
            try:
                summary = handle(json.loads(message["Body"]))
            except Exception as exc:  # noqa: BLE001 - any failure keeps the message
                result.status = "failed"
                result.error = f"{type(exc).__name__}: {exc}"[:500]
                _make_visible(sqs, queue_url, message)
                continue
            result.actions = [o["action"] for o in summary.get("outcomes", [])]
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            result.status = "replayed"
    return results


def invoke_function(function_name: str, *, lambda_client: Any = None
                    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A ``handle`` for :func:`redrive` that replays through the deployed function itself
    (``lambda:InvokeFunction``, synchronous), so the page is rendered with the function's own
    configuration and code, not this machine's.

    The original event (``requestPayload``) is sent; a ``FunctionError`` in the response
    raises :class:`RuntimeError` (the message is kept).
    """
    client = lambda_client or storage.client("lambda")

    def handle(record: dict[str, Any]) -> dict[str, Any]:
        payload = record.get("requestPayload", record)
        response = client.invoke(FunctionName=function_name, InvocationType="RequestResponse",
                                 Payload=json.dumps(payload).encode("utf-8"))
        body = response["Payload"].read()
        if response.get("FunctionError"):
            raise RuntimeError(f"{function_name} failed: {body[:300].decode('utf-8', 'replace')}")
        result = json.loads(body or b"null")
        return result if isinstance(result, dict) else {}

    return handle


def _make_visible(sqs: Any, queue_url: str, message: dict[str, Any]) -> None:
    """Return a message to the queue now (best effort: otherwise it reappears after the
    visibility timeout anyway)."""
    try:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"],
                                      VisibilityTimeout=0)
    except Exception:  # noqa: BLE001 - see docstring
        return
