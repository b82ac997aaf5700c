"""Fault injection for the chaos test: botocore event hooks that fail S3 and DynamoDB calls.

Two kinds of injected fault, on every client they are installed on:

* **retried** (``before-send``): the request gets a throttling or 5xx *response* instead of
  reaching the service, so botocore's standard retry mode retries it, as it would in AWS;
* **exhausted** (``before-call``): the call raises the ``ClientError`` botocore raises once its
  attempts are spent, so the fault reaches the pipeline as a transient error.

A :class:`Faults` also arms "hard crash" faults: every DynamoDB call a thread makes next fails,
which is how a worker that dies leaves its lease behind.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

S3_FAULTS = [(503, "SlowDown", "Please reduce your request rate."),
             (500, "InternalError", "We encountered an internal error. Please try again.")]
CLOUDFRONT_FAULTS = [(503, "ServiceUnavailable", "CloudFront is unavailable."),
                     (400, "Throttling", "Rate exceeded")]
DYNAMODB_FAULTS = [(400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
                   (400, "ProvisionedThroughputExceededException", "Throughput exceeded."),
                   (500, "InternalServerError", "Internal server error")]


class _Raw:
    """The ``raw`` of an :class:`AWSResponse`: botocore reads the body through ``stream()``."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any):
        yield self._body


def _fault_body(service: str, code: str, message: str) -> bytes:
    if service == "dynamodb":
        return json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                           "message": message}).encode()
    return (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
            f"<Message>{message}</Message><RequestId>CHAOS</RequestId></Error>").encode()


@dataclass
class Faults:
    """Fault rates (probability per call) and counters of what was injected.

    Attributes:
        rng: the random source (seeded by the test).
        retried_rate: share of calls answered with a retryable error response.
        exhausted_rate: share of calls that fail as if botocore's retries were spent.
        enabled: switch all injection off (the final redrive can run on a healthy AWS).
    """

    rng: random.Random
    retried_rate: float = 0.04
    exhausted_rate: float = 0.015
    enabled: bool = True
    counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _doomed: threading.local = field(default_factory=threading.local)

    def _roll(self, rate: float) -> bool:
        with self._lock:
            return self.enabled and self.rng.random() < rate

    def _count(self, name: str) -> None:
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def _pick(self, service: str) -> tuple[int, str, str]:
        with self._lock:
            return self.rng.choice({"dynamodb": DYNAMODB_FAULTS,
                                    "cloudfront": CLOUDFRONT_FAULTS}.get(service, S3_FAULTS))

    def doom_next_dynamodb_calls(self, count: int) -> None:
        """The next ``count`` DynamoDB calls of this thread fail (a worker dying mid-way)."""
        self._doomed.count = count

    def install(self, client: Any) -> Any:
        """Register the hooks on ``client`` (first, before moto's own ``before-send``)."""
        service = client.meta.service_model.service_name

        def before_send(request: Any, **_: Any) -> AWSResponse | None:
            if not self._roll(self.retried_rate):
                return None
            status, code, message = self._pick(service)
            self._count(f"{service}:retried:{code}")
            return AWSResponse(request.url, status, {}, _Raw(_fault_body(service, code, message)))

        def before_call(model: Any, **_: Any) -> None:
            doomed = getattr(self._doomed, "count", 0)
            if service == "dynamodb" and doomed:
                self._doomed.count = doomed - 1
                self._count("dynamodb:crashed-worker")
                raise ClientError({"Error": {"Code": "RequestTimeout", "Message": "worker died"}},
                                  model.name)
            if not self._roll(self.exhausted_rate):
                return
            status, code, message = self._pick(service)
            self._count(f"{service}:exhausted:{code}")
            raise ClientError({"Error": {"Code": code, "Message": message},
                               "ResponseMetadata": {"HTTPStatusCode": status,
                                                    "MaxAttemptsReached": True}}, model.name)

        client.meta.events.register_first(f"before-send.{service}", before_send)
        client.meta.events.register_first(f"before-call.{service}", before_call)
        return client
