"""The chaos tests' harness (``tests/test_chaos.py``, ``tests/test_rebuild_chaos.py``): moto with
each call atomic, the resources, a seeded CMS editing articles in the source bucket, messy event
delivery with Lambda's retries, and fault injection as botocore event hooks.

Two kinds of injected fault, on every client they are installed on:

* **retried** (``before-send``): the request gets a throttling or 5xx *response* instead of
  reaching the service, so botocore's standard retry mode retries it, as it would in AWS;
* **exhausted** (``before-call``): the call raises the ``ClientError`` botocore raises once its
  attempts are spent, so the fault reaches the pipeline as a transient error.

A :class:`Faults` also arms "hard crash" faults: every DynamoDB call a thread makes next fails,
which is how a worker that dies leaves its lease behind.

``aws`` is a fixture: import it into a test module (``from chaos import aws``).
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from conftest import EVENTS
from inprocess import boto3_session, use_mocked_aws_environment

ARTICLES = 50
SOURCE_BUCKET = "chaos-source"
SITE_BUCKET = "chaos-site"
TABLE = "chaos-manifest"
QUEUE = "chaos-failed-events"
SITE_INDEX_QUEUE = "chaos-site-index"
SITE_INDEX_DLQ = "chaos-site-index-dlq"
SECTIONS = ("Chaos", "Calm", "Storm & Stress")
#: Lambda's asynchronous invocation: the first attempt and two retries.
ATTEMPTS = 3
#: Lease of the workers (s): a worker starts its page write within 1.5 s of taking the lease or
#: gives up (a retryable error), so a slow test machine cannot make two workers write at once.
LEASE = 4.0

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


@pytest.fixture
def aws(monkeypatch):
    """moto's in-process mock with the chaos resources; each AWS call atomic."""
    import botocore.retries.standard as standard
    from moto import mock_aws
    from moto.core.botocore_stubber import BotocoreStubber

    from amp_publisher.local.backend import index_moto_dynamodb

    use_mocked_aws_environment(monkeypatch)
    index_moto_dynamodb()  # as on the embedded backend, whichever test ran first in this process
    lock = threading.RLock()
    original = BotocoreStubber.__call__

    def atomic(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", atomic)
    # botocore's backoff between its own retries (real seconds) would dominate the run time.
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.001)
    with mock_aws():
        yield


def clients(faults: Faults | None = None) -> dict[str, Any]:
    """boto3 clients of S3, DynamoDB, SQS and CloudFront on the mock, with the package's retry
    configuration; ``faults`` installed on all but SQS."""
    from botocore.config import Config

    from amp_publisher.aws.storage import RETRY_CONFIG

    session = boto3_session()
    clients = {name: session.client(name, config=Config(**RETRY_CONFIG))
               for name in ("s3", "dynamodb", "sqs", "cloudfront")}
    if faults is not None:
        for name in ("s3", "dynamodb", "cloudfront"):
            faults.install(clients[name])
    return clients


def create_resources(on: dict[str, Any]) -> tuple[str, str, str]:
    """The embedded backend's resources under the chaos names, and the reference site
    configuration in the source bucket; returns (failed-events queue URL, distribution id,
    site-index queue URL)."""
    from amp_publisher.local.backend import create_distribution, create_resources
    from amp_publisher.local.resources import ResourceNames

    names = ResourceNames(SOURCE_BUCKET, SITE_BUCKET, TABLE, QUEUE,
                          site_index_queue=SITE_INDEX_QUEUE, site_index_dlq=SITE_INDEX_DLQ)
    queue_url = create_resources(on["s3"], on["dynamodb"], on["sqs"], names)
    on["s3"].put_object(Bucket=SOURCE_BUCKET, Key="config/site.json",
                             Body=(EVENTS / "site.json").read_bytes())
    index_url = on["sqs"].get_queue_url(QueueName=SITE_INDEX_QUEUE)["QueueUrl"]
    return queue_url, create_distribution(on["cloudfront"], names), index_url


def source_key(index: int) -> str:
    """Every tenth key has a space and a plus, which arrive URL-encoded in the events."""
    return f"articles/story {index:02d}+draft.json" if index % 10 == 0 else \
        f"articles/story-{index:02d}.json"


def article(index: int, revision: int, rename: int) -> bytes:
    """A small article; ``rename`` picks its slug (each article's slugs are its own). Its
    section, tags, author and publication date (three months) change with the revision, so
    edits move it between listings and reorder them."""
    return json.dumps({
        "headline": f"Article {index} revision {revision}",
        "slug": f"story-{index:02d}-{rename}",
        "published": f"2026-{4 + revision % 3:02d}-{1 + revision % 28:02d}T{index % 24:02d}:"
                     f"{revision % 60:02d}:00Z",
        "section": SECTIONS[(index + revision) % 3],
        "tags": sorted({f"Tag {revision % 5}", f"Tag {index % 3}"}),
        "authors": [{"name": ("Ann Lee", "Bo Chen")[revision % 2]}],
        "body": [{"type": "paragraph", "text": f"Revision {revision} of article {index}."}],
    }).encode()


class Delivery:
    """Events in flight: duplicated, reordered and delayed, with Lambda's retry policy."""

    def __init__(self, rng: random.Random, failed_queue: tuple[Any, str]) -> None:
        self.rng = rng
        self.items: list[tuple[float, int, dict]] = []
        self.cond = threading.Condition()
        self.in_flight = 0
        self.closed = False
        self.sqs, self.queue_url = failed_queue
        self.sent_to_queue = 0
        self.errors: list[BaseException] = []

    def put(self, event: dict, *, attempt: int = 1, delay: float = 0.0) -> None:
        with self.cond:
            self.items.append((time.monotonic() + delay, attempt, event))
            self.cond.notify()

    def put_at_least_once(self, event: dict, rng: random.Random,
                          delays: tuple[float, ...]) -> None:
        """Deliver ``event`` after one of ``delays`` (s), and one time in five a second time
        (S3 delivers at least once)."""
        self.put(event, delay=rng.choice(delays))
        if rng.random() < 0.2:
            self.put(event, delay=rng.choice([0, 0.02, 0.1]))

    def backlog(self) -> int:
        with self.cond:
            return len(self.items) + self.in_flight

    def take(self) -> tuple[int, dict] | None:
        with self.cond:
            while True:
                now = time.monotonic()
                ready = [i for i, item in enumerate(self.items) if item[0] <= now]
                if ready:
                    _, attempt, event = self.items.pop(self.rng.choice(ready))  # any order
                    self.in_flight += 1
                    return attempt, event
                if self.closed and not self.items and not self.in_flight:
                    self.cond.notify_all()
                    return None
                self.cond.wait(0.01)

    def done(self, attempt: int, event: dict, error: BaseException | None) -> None:
        if error is not None:
            if attempt < ATTEMPTS:
                self.put(event, attempt=attempt + 1, delay=0.02 * attempt)
            else:  # Lambda's on-failure destination record
                self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps({
                    "version": "1.0", "timestamp": "2026-06-25T08:17:09.311Z",
                    "requestContext": {"requestId": "chaos", "condition": "RetriesExhausted",
                                       "approximateInvokeCount": ATTEMPTS,
                                       "functionArn": "arn:aws:lambda:us-east-1:123456789012:"
                                                      "function:chaos:$LATEST"},
                    "requestPayload": event,
                    "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
                    "responsePayload": {"errorType": type(error).__name__,
                                        "errorMessage": str(error)[:200]}}))
                self.sent_to_queue += 1
        with self.cond:
            self.in_flight -= 1
            self.cond.notify_all()


class Cms:
    """The CMS: random create / update / rename (slug change) / delete operations on
    :data:`ARTICLES` articles in the versioned source bucket, each returning its real-shaped S3
    event.

    ``state[index]`` is the live (revision, rename) of each article, None when absent; ``counts``
    counts the operations by kind. ``rng`` is the test's seeded random source.
    """

    def __init__(self, rng: random.Random, s3: Any, events: Any) -> None:
        self.rng = rng
        self.s3 = s3
        self.events = events  # an EmbeddedBackend used only for its S3 event builder
        self.state: dict[int, tuple[int, int] | None] = dict.fromkeys(range(ARTICLES))
        self.counts = {"create": 0, "update": 0, "rename": 0, "delete": 0}

    def put(self, index: int, live: tuple[int, int]) -> dict:
        """Store revision ``live`` of article ``index``; its ObjectCreated:Put event."""
        key = source_key(index)
        body = article(index, *live)
        response = self.s3.put_object(Bucket=SOURCE_BUCKET, Key=key, Body=body)
        self.state[index] = live
        return self.events.s3_event("ObjectCreated:Put", key, size=len(body),
                                    etag=response["ETag"].strip('"'),
                                    version_id=response.get("VersionId"))

    def step(self, revision: int) -> dict:
        """One random operation on a random article, at ``revision``; its S3 event."""
        index = self.rng.randrange(ARTICLES)
        current = self.state[index]
        if current is None:
            kind, new = "create", (revision, 0)
        else:
            kind = self.rng.choices(["update", "rename", "delete"], [5, 2, 2])[0]
            new = {"update": (revision, current[1]), "rename": (revision, current[1] + 1),
                   "delete": None}[kind]
        self.counts[kind] += 1
        if new is not None:
            return self.put(index, new)
        key = source_key(index)
        response = self.s3.delete_object(Bucket=SOURCE_BUCKET, Key=key)
        self.state[index] = None
        return self.events.s3_event("ObjectRemoved:DeleteMarkerCreated", key,
                                    version_id=response.get("VersionId"))


class Passed:
    """A validation result that passed."""

    passed = True
    errors: tuple = ()


class Quiet:
    """Logger and Metrics off for the run: thousands of log lines would only slow it down, and
    Powertools' Metrics object collects per invocation, not per thread."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None
