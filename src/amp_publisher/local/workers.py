"""Local workers: N processes consuming RenderQueue, standing in for Lambda's concurrency.

In AWS the RenderQueue event source mapping polls the queue and invokes the render function with
batches, at most ``RebuildConcurrency`` at once. On the embedded backend :class:`LocalWorkers`
starts N processes that do the same against moto's SQS: receive one message (long polling),
wrap it in the SQS event Lambda would send, call the Lambda entry point
(:func:`amp_publisher.aws.handler.lambda_handler`, the same code path), delete the message when
it succeeded, and let it come back when it failed (the partial batch response names it; after
:data:`RETRY_AFTER_S` here, after the visibility timeout in AWS), so after ``maxReceiveCount``
receives SQS moves it to the failed-events queue, as in AWS.

Separate processes, not threads: each has its own interpreter, boto3 clients and caches, like a
Lambda container, and a killed worker takes its in-flight message and lease down with it.

Example::

    with LocalWorkers(2, backend.function_environment() | {...}) as workers:
        ...  # RenderQueue is consumed until the block ends
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["LocalWorkers", "run_worker", "backend_environment"]

#: Long-poll wait of each receive (s): short, so a stopped worker exits promptly.
_WAIT_S = 1
#: The function's timeout in template.yaml (s): each local invocation gets this deadline.
FUNCTION_TIMEOUT_S = 30
#: A message that failed comes back after this long (s), not after RenderQueue's visibility
#: timeout (180 s) as in AWS: locally nobody should wait three minutes for a retry. Receives
#: still count towards ``maxReceiveCount``.
RETRY_AFTER_S = 2


def backend_environment() -> dict[str, str]:
    """The variables a worker needs from this process's environment: the function's settings
    and the endpoint and dummy credentials of the embedded backend."""
    prefixes = ("AWS_", "POWERTOOLS_", "SITE_", "PUBLISHER_", "AMP_PUBLISHER_")
    names = {"MANIFEST_TABLE", "FAILED_EVENTS_QUEUE_URL", "RENDER_QUEUE_URL", "SOURCE_BUCKET",
             "SITE_BUCKET", "DISTRIBUTION_ID", "INVALIDATION_MAX_PATHS", "ERROR_PAGE_KEY",
             "SOURCE_PREFIX", "SOURCE_SUFFIX", "SITE_CONFIG_KEY", "OUTPUT_PREFIX",
             "CACHE_CONTROL", "MAX_SOURCE_BYTES"}
    return {k: v for k, v in os.environ.items() if k in names or k.startswith(prefixes)}


class _Context:
    """The Lambda context of one local invocation: a real deadline, so a rebuild batch and the
    enumeration stop in time exactly as they do in Lambda."""

    function_name = "amp-publisher-RenderFunction-local"
    memory_limit_in_mb = 512
    invoked_function_arn = ("arn:aws:lambda:us-east-1:123456789012:function:"
                            "amp-publisher-RenderFunction-local")
    function_version = "$LATEST"
    log_group_name = "/aws/lambda/amp-publisher-RenderFunction-local"

    def __init__(self, timeout_s: float) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _sqs_event(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping sends for ``message`` (one record)."""
    body = message["Body"]
    return {"Records": [{
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode("utf-8")).hexdigest(),  # noqa: S324 - SQS's own
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }]}


def run_worker(queue_url: str, environ: dict[str, str], stop: Any,
               before_invoke: Callable[[], None] | None = None) -> None:
    """Consume ``queue_url`` until ``stop`` (a ``multiprocessing.Event``) is set.

    Args:
        queue_url: RenderQueue's URL.
        environ: the function's environment (:func:`backend_environment`).
        stop: set it to end the loop after the current message.
        before_invoke: called in the worker before the first message (tests install fault
            injection with it).
    """
    os.environ.update(environ)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    # The function's log lines and metrics go to CloudWatch in AWS; here they would only break
    # the progress display (outcomes and errors are in the manifest, which status shows).
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the worker
    import warnings

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from amp_publisher.aws import storage
    from amp_publisher.aws.handler import lambda_handler

    if before_invoke is not None:
        before_invoke()
    sqs = storage.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url,
                                   AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    while not stop.is_set():
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1,
                                       WaitTimeSeconds=_WAIT_S,
                                       AttributeNames=["All"]).get("Messages", [])
        for message in messages:
            try:
                result = lambda_handler(_sqs_event(message, arn),
                                        _Context(FUNCTION_TIMEOUT_S))
                failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            except Exception:  # noqa: BLE001 - an invocation error: the message comes back
                failed = {message["MessageId"]}
            if message["MessageId"] in failed:
                sqs.change_message_visibility(QueueUrl=queue_url,
                                              ReceiptHandle=message["ReceiptHandle"],
                                              VisibilityTimeout=RETRY_AFTER_S)
            else:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


class LocalWorkers:
    """``count`` worker processes consuming RenderQueue (a context manager).

    Args:
        count: processes (the local stand-in for ``RebuildConcurrency``), at least 1.
        queue_url: RenderQueue's URL (default ``RENDER_QUEUE_URL``).
        environ: the function's environment (default :func:`backend_environment`).
        target: the worker function (default :func:`run_worker`; tests wrap it).

    Raises:
        ValueError: ``count`` below 1 or no queue URL.
    """

    def __init__(self, count: int, queue_url: str | None = None,
                 environ: dict[str, str] | None = None,
                 target: Callable[..., None] = run_worker, **kwargs: Any) -> None:
        if count < 1:
            raise ValueError(f"worker count must be at least 1, not {count}")
        self.queue_url = queue_url or os.environ.get("RENDER_QUEUE_URL", "")
        if not self.queue_url:
            raise ValueError("no RenderQueue URL: give one or set RENDER_QUEUE_URL")
        self.count = count
        self.environ = backend_environment() if environ is None else environ
        self._target = target
        self._kwargs = kwargs
        # spawn: a fresh interpreter per worker, like a Lambda container (a fork would share
        # the parent's boto3 connections and the embedded server's threads).
        self._mp = multiprocessing.get_context("spawn")
        self.stop_event = self._mp.Event()
        self.processes: list[Any] = []

    def start(self) -> LocalWorkers:
        for _ in range(self.count):
            process = self._mp.Process(target=self._target, daemon=True,
                                       args=(self.queue_url, self.environ, self.stop_event),
                                       kwargs=self._kwargs)
            process.start()
            self.processes.append(process)
        return self

    def alive(self) -> int:
        """How many worker processes are still running."""
        return sum(p.is_alive() for p in self.processes)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every worker to stop after its current message; terminate those that do not."""
        self.stop_event.set()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(2)

    def __enter__(self) -> LocalWorkers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
