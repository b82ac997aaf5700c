"""Chaos during a rebuild: uploads, renames and deletes while the site configuration changes
twice, with injected S3 and DynamoDB faults, still converge on the final sources rendered with the
final configuration (issue 13, DESIGN §11; the chaos harness of ``tests/chaos.py``).

Four worker threads (each its own :class:`Publisher`, like separate Lambda containers) take the
CMS's S3 events (duplicated, reordered, retried as Lambda retries) and, when none is ready, the
RenderQueue messages of the rebuilds, as the event source mapping delivers them (a message whose
keys hit a transient fault comes back; after 5 receives it moves to the failed-events queue,
redriven at the end). The configuration cache of every worker expires quickly here, so the
rebuild's sweep (:mod:`amp_publisher.aws.rebuild`) runs within seconds.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time

import pytest

from amp_publisher.aws.config import Settings
from amp_publisher.core.amp.transform import transform
from amp_publisher.core.keys import page_key
from amp_publisher.core.site import SiteConfig
from chaos import (  # noqa: F401 - aws is a fixture
    ARTICLES,
    LEASE,
    QUEUE,
    SITE_BUCKET,
    SOURCE_BUCKET,
    TABLE,
    Cms,
    Delivery,
    Faults,
    Passed,
    Quiet,
    article,
    aws,
    clients,
    create_resources,
    source_key,
)
from conftest import EVENTS

WORKERS = 4
#: Seconds a worker caches ``config/site.json`` here (60 in production).
CONFIG_TTL = 0.3


class Inbox(Delivery):
    """The CMS's events in flight, taken without blocking so a worker can turn to RenderQueue."""

    def poll(self) -> tuple[int, dict] | None:
        with self.cond:
            now = time.monotonic()
            ready = [i for i, item in enumerate(self.items) if item[0] <= now]
            if not ready:
                return None
            _, attempt, event = self.items.pop(self.rng.choice(ready))
            self.in_flight += 1
            return attempt, event


def _sqs_event(message: dict) -> dict:
    return {"Records": [{"messageId": message["MessageId"],
                         "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
                         "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:chaos-render",
                         "awsRegion": "us-east-1"}]}


@pytest.mark.slow
def test_rebuild_concurrent_with_uploads_and_deletes_converges(aws, monkeypatch):  # noqa: F811
    from amp_publisher.aws import handler
    from amp_publisher.aws.manifest import ManifestTable
    from amp_publisher.aws.pipeline import Publisher
    from amp_publisher.aws.rebuild import progress
    from amp_publisher.aws.redrive import redrive
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(2**32))
    ops = int(os.environ.get("REBUILD_CHAOS_OPS") or 120)
    where = f"(CHAOS_SEED={seed}, REBUILD_CHAOS_OPS={ops})"
    print(f"rebuild chaos seed {seed} ({ops} operations)")
    rng = random.Random(seed)
    monkeypatch.setattr(handler, "logger", Quiet())
    monkeypatch.setattr(handler, "metrics", Quiet())
    monkeypatch.setattr(Publisher, "SITE_CONFIG_TTL_S", CONFIG_TTL)

    healthy = clients()
    queue_url, distribution_id, _index_url = create_resources(healthy)  # no index outputs here
    render_url = healthy["sqs"].get_queue_url(QueueName="chaos-render")["QueueUrl"]
    faults = Faults(random.Random(rng.random()))
    faulty = clients(faults)
    settings = Settings(site_bucket=SITE_BUCKET, manifest_table=TABLE,
                        failed_events_queue_url=queue_url, render_queue_url=render_url,
                        source_bucket=SOURCE_BUCKET, distribution_id=distribution_id)

    def publisher() -> Publisher:
        return Publisher(settings, s3=faulty["s3"], dynamodb=faulty["dynamodb"],
                         validate=lambda html: Passed(), lease_seconds=LEASE,
                         lease_wait_seconds=0.05, write_margin_seconds=LEASE - 1.5)

    inbox = Inbox(random.Random(rng.random()), (healthy["sqs"], queue_url))
    from amp_publisher.local.backend import EmbeddedBackend
    from amp_publisher.local.resources import ResourceNames

    events = EmbeddedBackend()  # only its S3 event builder
    events.names = ResourceNames(SOURCE_BUCKET, SITE_BUCKET, TABLE, QUEUE)
    stop = threading.Event()
    errors: list[BaseException] = []
    rebuild_messages = [0]

    def worker() -> None:
        mine = publisher()
        try:
            while not stop.is_set():
                item = inbox.poll()
                if item is not None:
                    attempt, event = item
                    try:
                        handler.handle_event(event, mine)
                    except Exception as exc:  # noqa: BLE001 - a failed invocation, retried
                        inbox.done(attempt, event, exc)
                    else:
                        inbox.done(attempt, event, None)
                    continue
                messages = healthy["sqs"].receive_message(
                    QueueUrl=render_url, MaxNumberOfMessages=1, WaitTimeSeconds=0,
                    VisibilityTimeout=30).get("Messages", [])
                if not messages:
                    time.sleep(0.01)
                    continue
                message = messages[0]
                rebuild_messages[0] += 1
                result = handler.handle_sqs_batch(_sqs_event(message), mine)
                if result["batchItemFailures"]:  # back to the queue at once (a short timeout)
                    healthy["sqs"].change_message_visibility(
                        QueueUrl=render_url, ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0)
                else:
                    healthy["sqs"].delete_message(QueueUrl=render_url,
                                                  ReceiptHandle=message["ReceiptHandle"])
        except BaseException as exc:  # pragma: no cover - a bug: stop the run
            errors.append(exc)
            raise

    # The site before the change: every article published, at the first fingerprint.
    s3 = healthy["s3"]
    cms = Cms(rng, s3, events)
    first = Publisher(settings, s3=healthy["s3"], dynamodb=healthy["dynamodb"],
                      validate=lambda html: Passed())
    for index in range(ARTICLES):
        handler.handle_event(cms.put(index, (0, 0)), first)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()

    site_json = json.loads((EVENTS / "site.json").read_text())
    names = {ops // 4: "Chaos Weekly", (2 * ops) // 3: "Chaos Monthly"}
    configs = 0
    for revision in range(1, ops + 1):
        if revision in names:
            body = json.dumps({**site_json, "name": names[revision]}).encode()
            s3.put_object(Bucket=SOURCE_BUCKET, Key="config/site.json", Body=body)
            inbox.put(events.s3_event("ObjectCreated:Put", "config/site.json", size=len(body)))
            configs += 1
        inbox.put_at_least_once(cms.step(revision), rng, (0, 0, 0.01, 0.05))
        time.sleep(rng.choice([0, 0.005, 0.01]))

    # Until the CMS's events are done, and the last rebuild has swept and its queue is empty.
    manifest = ManifestTable(TABLE, healthy["dynamodb"])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not errors:
        latest = manifest.get("rebuild#latest") or {}
        attributes = healthy["sqs"].get_queue_attributes(QueueUrl=render_url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed"])["Attributes"]
        if inbox.backlog() == 0 and latest.get("swept") \
                and not any(int(v) for v in attributes.values()):
            break
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join(30)
    assert not errors, f"{errors!r} {where}"
    assert latest.get("swept"), f"the last rebuild never swept {latest} {where}"

    # What failed for good (events after Lambda's retries, batches after 5 receives) is redriven
    # once the outage is over, as an operator would.
    faults.enabled = False
    time.sleep(LEASE)  # leases of workers that failed mid-way have expired
    mine = publisher()
    for _ in range(4):
        results = redrive(queue_url, sqs=healthy["sqs"],
                          handle=lambda e, mine=mine: handler.handle_event(e, mine))
        if not any(r.status == "failed" for r in results):
            break

    site = SiteConfig().merged({**site_json, "name": "Chaos Monthly"})
    fingerprint = latest["fingerprint"]
    expected: dict[str, bytes] = {}
    for index, live in cms.state.items():
        if live is None:
            continue
        key = source_key(index)
        page = render(parse_article(json.loads(article(index, *live))), site, source_key=key)
        html = transform(page.html) if settings.amp_transform else page.html  # as published
        expected[page_key(page.slug, site.output_prefix)] = html.encode("utf-8")
    listing = s3.list_objects_v2(Bucket=SITE_BUCKET)
    stored = sorted(o["Key"] for o in listing.get("Contents", []))
    print(f"{cms.counts}, {configs} configuration changes; "
          f"faults {dict(sorted(faults.counts.items()))}; "
          f"{rebuild_messages[0]} RenderQueue messages; {inbox.sent_to_queue} events failed")
    assert stored == sorted(expected), f"site differs from the final sources {where}"
    for key, html in expected.items():
        body = s3.get_object(Bucket=SITE_BUCKET, Key=key)["Body"].read()
        assert body == html, f"{key} is not the final source under the final config {where}"
    reading = progress(manifest, fingerprint)
    assert (reading.remaining, reading.failed) == (0, 0), f"{reading.counts} {where}"
    assert configs == 2 and cms.counts["delete"] and cms.counts["rename"], where
