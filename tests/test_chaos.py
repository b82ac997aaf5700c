"""Chaos: random edits, messy delivery, concurrent workers and injected faults still leave exactly
the site the final sources imply (issue 5, DESIGN §1 and §6).

A seeded "CMS" makes ``CHAOS_OPS`` (150; ``make chaos``: 1,000) random create / update / rename
(slug change) / delete operations over 50 articles in the versioned source bucket; each
operation's real-shaped
S3 event is delivered to 4 worker threads (each its own :class:`Publisher`, like separate Lambda
containers) with duplicates, reordering and delays. S3 and DynamoDB calls fail at random (throttling
and 5xx, some retried by botocore, some surfacing as transient errors), and some renders crash
between the page write and the manifest write, a few of them taking their lease down with them. A
failed event is retried twice, as Lambda does, then goes to the failed-events queue, which is
redriven at the end. Then: the site bucket holds exactly one page per live article, byte-equal to a
fresh render of its final source, and the manifest and the slug claims agree. The run is made in
both page modes (DESIGN §9): in paired mode (``CHAOS_OPS`` defaults to 80 there) each live
article has exactly its canonical page and its AMP page, both listed in its record, and nothing
of a renamed or deleted article is left.

CloudFront invalidations (DESIGN §10), with CreateInvalidation failing at random too: every page
write and delete in the site bucket, article pages and index outputs alike, is covered by an
accepted invalidation requested after it (both URL forms of a page, or a wildcard over them), no
handler invocation or index batch sends more than one CreateInvalidation, none has more paths
than the limit, and no record is left pending.

The site around the articles (DESIGN §9): articles change section, tags, author and
publication month as they are edited; the render workers send the stale listings to the
site-index queue, and one index worker (SiteIndexFunction runs one at a time) drains it
concurrently in random batch sizes, with duplicated and reordered messages and its own S3 and
DynamoDB faults (a failed listing returns its messages to the queue). At the end every index
page, sitemap and feed is byte-equal to a full build from the final sources, every index page is
valid AMP, and a crawl of the site from ``/`` finds no link to a missing page.

Runs on moto's in-process mock. moto does not serialise requests, so a lock makes each AWS call
atomic as it is in AWS (a conditional write is checked and applied in one step). The seed is printed
and repeated in every failure message; ``CHAOS_SEED`` and ``CHAOS_OPS`` override.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import threading
import time
from typing import Any
from urllib.parse import unquote

import pytest

from amp_publisher.aws.config import Settings
from amp_publisher.core.keys import amp_page_key, page_key
from amp_publisher.core.site import SiteConfig
from amp_publisher.local.backend import EmbeddedBackend, messages_to_come
from amp_publisher.local.sitecheck import crawl
from chaos import (  # noqa: F401 - aws is a fixture
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
#: Operations of a run in ``make test``, by page mode; ``make chaos`` runs 1,000 in each
#: (docs/reliability.md). Paired mode runs the same machinery on fewer operations: what it adds is
#: the pair's bookkeeping, not more interleavings.
DEFAULT_OPS = {"amp": 150, "paired": 80}
#: Paths per invalidation: a slug change (4 paths) goes over it and is sent as a wildcard.
MAX_PATHS = 3


class SimulatedCrash(Exception):
    """The worker dies after writing the page and before committing the manifest."""


class EdgeLog:
    """What reached the site bucket and CloudFront, in one order (botocore hooks).

    A write is logged when its response arrived (after it took effect); an invalidation with the
    position of its request (before it took effect) and only when CloudFront accepted it. So
    "invalidation logged after the write" means it was requested after the write completed.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.position = 0
        self.writes: list[tuple[int, str, str]] = []  # (position, operation, site key)
        self.invalidations: list[tuple[int, tuple[str, ...]]] = []
        self.calls = threading.local()  # CreateInvalidation calls of this thread's invocation

    def _next(self) -> int:
        with self.lock:
            self.position += 1
            return self.position

    def install(self, s3: Any, cloudfront: Any) -> None:
        def remember(params: dict, context: dict, **_: Any) -> None:
            context["edge_params"] = dict(params)

        def written(http_response: Any, model: Any, context: dict, **_: Any) -> None:
            params = context.get("edge_params") or {}
            if params.get("Bucket") == SITE_BUCKET and http_response.status_code < 300:
                position = self._next()
                with self.lock:
                    self.writes.append((position, model.name, params["Key"]))

        def requested(params: dict, context: dict, **_: Any) -> None:
            context["edge_position"] = self._next()
            self.calls.count = getattr(self.calls, "count", 0) + 1

        def accepted(http_response: Any, context: dict, parsed: dict, **_: Any) -> None:
            if http_response.status_code < 300:
                paths = parsed["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
                with self.lock:
                    self.invalidations.append((context["edge_position"], tuple(paths)))

        for operation in ("PutObject", "DeleteObject"):
            s3.meta.events.register(f"before-parameter-build.s3.{operation}", remember)
            s3.meta.events.register(f"after-call.s3.{operation}", written)
        cloudfront.meta.events.register("before-parameter-build.cloudfront.CreateInvalidation",
                                        requested)
        cloudfront.meta.events.register("after-call.cloudfront.CreateInvalidation", accepted)

    def uncovered(self) -> list[tuple[int, str, str]]:
        """Writes not followed by an accepted invalidation of both URL forms of their key."""
        def covers(paths: tuple[str, ...], path: str) -> bool:
            return any(p == path or (p.endswith("*") and path.startswith(p[:-1]))
                       for p in paths)

        missing = []
        for position, operation, key in self.writes:
            forms = ("/" + key, "/" + key[: -len("index.html")]) \
                if key.endswith("index.html") else ("/" + key,)
            if not all(any(at > position and covers(paths, form)
                           for at, paths in self.invalidations) for form in forms):
                missing.append((position, operation, key))
        return missing


@pytest.mark.slow
@pytest.mark.parametrize("page_mode", ["amp", "paired"])
def test_random_edits_with_faults_and_concurrency_converge_on_the_final_sources(
        aws, monkeypatch, tmp_path, page_mode):  # noqa: F811
    from amp_publisher.aws import handler
    from amp_publisher.aws.pipeline import Publisher
    from amp_publisher.aws.redrive import redrive
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(2**32))
    ops = int(os.environ.get("CHAOS_OPS") or DEFAULT_OPS[page_mode])
    print(f"chaos seed {seed} ({ops} operations, {page_mode} mode); rerun with CHAOS_SEED={seed}")
    where = f"(CHAOS_SEED={seed}, CHAOS_OPS={ops}, {page_mode} mode)"
    rng = random.Random(seed)
    monkeypatch.setattr(handler, "logger", Quiet())
    monkeypatch.setattr(handler, "metrics", Quiet())

    healthy = clients()
    queue_url, distribution_id, index_url = create_resources(healthy)
    from amp_publisher.local.resources import ResourceNames

    render_url = healthy["sqs"].get_queue_url(QueueName=ResourceNames(
        SOURCE_BUCKET, SITE_BUCKET, TABLE, QUEUE).render_queue)["QueueUrl"]
    faults = Faults(random.Random(rng.random()))
    faulty = clients(faults)
    edge = EdgeLog()
    edge.install(faulty["s3"], faulty["cloudfront"])
    settings = Settings(site_bucket=SITE_BUCKET, manifest_table=TABLE,
                        failed_events_queue_url=queue_url, distribution_id=distribution_id,
                        invalidation_max_paths=MAX_PATHS, site_index_queue_url=index_url,
                        render_queue_url=render_url, source_bucket=SOURCE_BUCKET,
                        site=SiteConfig(page_mode=page_mode),
                        # plain pages on purpose: the site is compared below with fresh renders
                        # of the final sources by the core renderer (transformed pages under
                        # faults: tests/test_rebuild_chaos.py)
                        amp_transform=False)
    too_many_calls: list[int] = []
    # Sources whose accepted invalidation the manifest could not note (a DynamoDB fault on the
    # note): their entries stay pending until the source changes again (docs/deploying.md).
    from amp_publisher.aws import cdn

    unrecorded: set[str] = set()
    real_flush = cdn.InvalidationBatch.flush

    def flush_noting_the_unrecorded(batch: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return real_flush(batch, *args, **kwargs)
        finally:
            with edge.lock:
                unrecorded.update(key for key, _ in batch.unrecorded)

    monkeypatch.setattr(cdn.InvalidationBatch, "flush", flush_noting_the_unrecorded)

    def invoke(event: dict, publisher: Publisher) -> dict:
        """One handler invocation; counts its CreateInvalidation calls."""
        edge.calls.count = 0
        try:
            return handler.handle_event(event, publisher)
        finally:
            if edge.calls.count > 1:
                too_many_calls.append(edge.calls.count)
    crashes = {"soft": 0, "hard": 0}
    crash_lock = threading.Lock()
    crash_rng = random.Random(rng.random())

    def before_commit(key: str) -> None:
        with crash_lock:
            roll = crash_rng.random()
        if roll < 0.03:
            hard = roll < 0.01
            with crash_lock:
                crashes["hard" if hard else "soft"] += 1
            if hard:  # the process dies: it cannot even give its lease back
                faults.doom_next_dynamodb_calls(1)
            raise SimulatedCrash(f"crash after writing the page of {key}")

    def gate(html: str) -> Any:
        """The publish gate passes every page here: validation is the costliest step of a
        render (about 10 ms each, a thousand renders) and not what this test is about; the
        validator has its own tests, and every page expected at the end is validated below."""
        return Passed()

    # The workers' clock: the redrive runs "later" (after the leases of crashed workers
    # expired), as an operator's would, without the test sleeping through LEASE.
    later = [0.0]

    def clock() -> float:
        return time.time() + later[0]

    def publisher() -> Publisher:
        return Publisher(settings, s3=faulty["s3"], dynamodb=faulty["dynamodb"],
                         cloudfront=faulty["cloudfront"], validate=gate,
                         lease_seconds=LEASE, lease_wait_seconds=0.05,
                         write_margin_seconds=LEASE - 1.5, before_commit=before_commit,
                         clock=clock, sqs=healthy["sqs"])

    # The index worker: its own clients (with faults, in the edge log: its outputs must be
    # invalidated after their writes too), batches of random size, duplicates and reordering.
    from amp_publisher.aws import site_index
    from amp_publisher.aws.manifest import ManifestTable

    monkeypatch.setattr(site_index, "logger", Quiet())
    monkeypatch.setattr(site_index, "metrics", Quiet())
    site = SiteConfig(page_mode=page_mode).merged(json.loads((EVENTS / "site.json").read_text()))
    index_clients = clients(faults)
    edge.install(index_clients["s3"], index_clients["cloudfront"])  # its outputs are checked too
    indexer = site_index.SiteIndexer(SITE_BUCKET, ManifestTable(TABLE, index_clients["dynamodb"]),
                                     site, s3=index_clients["s3"], validate=gate,
                                     distribution_id=distribution_id,
                                     cloudfront=index_clients["cloudfront"], max_paths=MAX_PATHS,
                                     amp_transform=settings.amp_transform)
    index_rng = random.Random(rng.random())
    index_stats = {"batches": 0, "messages": 0, "duplicates": 0, "failed": 0, "rebuilds": 0}
    index_errors: list[BaseException] = []
    stop_indexing = threading.Event()

    def drain_once(limit: int) -> int:
        sqs = healthy["sqs"]
        messages: list[dict] = []
        while len(messages) < limit:
            got = sqs.receive_message(QueueUrl=index_url, MaxNumberOfMessages=min(
                10, limit - len(messages)), VisibilityTimeout=60).get("Messages", [])
            if not got:
                break
            messages.extend(got)
        if not messages:
            return 0
        # A receive loop slower than the visibility timeout sees a message again: keep its
        # latest receipt handle (the earlier one is no longer valid).
        messages = list({m["MessageId"]: m for m in messages}.values())
        records = [{"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs"}
                   for m in messages]
        # delivered twice, and out of order (at least once per run)
        if index_rng.random() < 0.3 or not index_stats["duplicates"]:
            twin = dict(index_rng.choice(records))
            records.append({**twin, "messageId": twin["messageId"] + "-again"})
            index_stats["duplicates"] += 1
        index_rng.shuffle(records)
        edge.calls.count = 0
        result = site_index.handle_batch({"Records": records}, indexer)
        if edge.calls.count > 1:
            too_many_calls.append(edge.calls.count)
        failed = {f["itemIdentifier"].removesuffix("-again") for f in result["batchItemFailures"]}
        index_stats["batches"] += 1
        index_stats["messages"] += len(messages)
        index_stats["failed"] += len(failed)
        index_stats["rebuilds"] += len(result["report"].listings)
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(QueueUrl=index_url, VisibilityTimeout=0,
                                              ReceiptHandle=message["ReceiptHandle"])
            else:
                sqs.delete_message(QueueUrl=index_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def index_worker() -> None:
        try:
            while not stop_indexing.is_set():
                # Like the batching window: let messages gather between batches.
                drain_once(index_rng.choice([1, 10, 40, 100]))
                time.sleep(index_rng.choice([0.05, 0.2, 0.5]))
        except BaseException as exc:  # pragma: no cover - a bug: reported below
            index_errors.append(exc)
            raise

    delivery = Delivery(random.Random(rng.random()), (healthy["sqs"], queue_url))
    events = EmbeddedBackend()  # only its real-shaped S3 event builder; no server
    events.names = type(events.names)(SOURCE_BUCKET, SITE_BUCKET, TABLE, QUEUE)

    def worker() -> None:
        mine = publisher()
        while (item := delivery.take()) is not None:
            attempt, event = item
            try:
                invoke(event, mine)
            except Exception as exc:  # noqa: BLE001 - a failed invocation, retried
                delivery.done(attempt, event, exc)
            except BaseException as exc:  # pragma: no cover - a bug: stop the run
                delivery.errors.append(exc)
                delivery.done(attempt, event, None)
                raise
            else:
                delivery.done(attempt, event, None)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    index_thread = threading.Thread(target=index_worker, daemon=True)
    index_thread.start()

    s3 = healthy["s3"]
    cms = Cms(rng, s3, events)
    started = time.monotonic()
    for revision in range(1, ops + 1):
        delivery.put_at_least_once(cms.step(revision), rng, (0, 0, 0, 0.01, 0.05))
        while delivery.backlog() > 2 * WORKERS:  # keep the CMS and the workers interleaved
            time.sleep(0.002)
    delivery.closed = True
    for thread in threads:
        thread.join(timeout=120)
    assert not delivery.errors, f"{delivery.errors!r} {where}"
    assert not any(t.is_alive() for t in threads), f"workers stuck {where}"
    delivered = time.monotonic() - started

    # The redrive: first with faults still on, then (the outage over) without, until empty.
    replayed = 0

    def redrive_failed_events() -> list[Any]:
        """The operator's redrive of the failed-events queue, "later": after the leases of
        crashed workers expired."""
        nonlocal replayed
        later[0] += LEASE
        mine = publisher()
        results = redrive(queue_url, sqs=healthy["sqs"],
                          handle=lambda e, mine=mine: invoke(e, mine))
        replayed += sum(r.status == "replayed" for r in results)
        return results

    for round_ in range(6):
        if round_:
            faults.enabled = False
        if not any(r.status == "failed" for r in redrive_failed_events()):
            break
    left = healthy["sqs"].get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "0", f"queue not drained {where}"
    # RenderQueue: the pages whose related list linked an article that left its section,
    # rendered again (messages are delayed 2 s). A failed message comes back at once, but on
    # the workers' clock after the lease of a worker that died holding one: in AWS it comes
    # back after RenderQueue's visibility timeout (180 s), which outlasts any lease. One that
    # failed RENDER_QUEUE_MAX_RECEIVES times went to the failed-events queue, which the operator
    # redrives, as above; then RenderQueue is drained again.
    faults.enabled = False
    rerendered = 0
    for _round in range(4):
        mine = publisher()
        for _ in range(200):
            got = healthy["sqs"].receive_message(QueueUrl=render_url, MaxNumberOfMessages=10,
                                                 VisibilityTimeout=60).get("Messages", [])
            if not got:
                if not messages_to_come(healthy["sqs"], render_url):
                    break
                time.sleep(0.5)
                continue
            for message in got:
                result = invoke({"Records": [{"messageId": message["MessageId"],
                                              "body": message["Body"],
                                              "eventSource": "aws:sqs"}]}, mine)
                if result.get("batchItemFailures"):  # a transient fault or a crash: retried
                    later[0] += LEASE
                    healthy["sqs"].change_message_visibility(
                        QueueUrl=render_url, ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0)
                else:
                    rerendered += 1
                    healthy["sqs"].delete_message(QueueUrl=render_url,
                                                  ReceiptHandle=message["ReceiptHandle"])
        else:
            raise AssertionError(f"RenderQueue does not empty {where}")
        if not redrive_failed_events() and not messages_to_come(healthy["sqs"], render_url):
            break
    else:
        raise AssertionError(f"RenderQueue and the failed-events queue do not empty {where}")
    redriven = time.monotonic()

    # The index worker catches up with what the redrive changed, then (faults over) empties the
    # queue.
    stop_indexing.set()
    index_thread.join(timeout=120)
    assert not index_errors and not index_thread.is_alive(), f"{index_errors!r} {where}"
    faults.enabled = False
    for _ in range(50):
        if not drain_once(1000):
            break
    else:
        raise AssertionError(f"the site-index queue does not empty {where}")
    indexed = time.monotonic()

    print(f"{cms.counts}; faults {dict(sorted(faults.counts.items()))}; crashes {crashes}; "
          f"{delivery.sent_to_queue} events to the failed queue, {replayed} replayed, "
          f"{rerendered} RenderQueue message(s); "
          f"delivery {delivered:.1f}s, redrive {redriven - started - delivered:.1f}s, "
          f"index catch-up {indexed - redriven:.1f}s")

    # What the final sources imply, rendered afresh.
    from amp_publisher.core.siteoutputs.build import build_site
    from amp_publisher.core.siteoutputs.entries import entry_from_article

    expected: dict[str, bytes] = {}
    entries = []
    owners: dict[str, str] = {}
    live_keys = {}
    pages_of: dict[str, set[str]] = {}
    for index, live in cms.state.items():
        key = source_key(index)
        if live is None:
            continue
        parsed = parse_article(json.loads(article(index, *live)))
        page = render(parsed, site, source_key=key)
        assert validate(page.html).passed
        entries.append(entry_from_article(parsed, site, slug=page.slug, source_key=key,
                                          description=page.description))
        canonical = page_key(page.slug, site.output_prefix)
        expected[canonical] = (page.canonical_html or page.html).encode("utf-8")
        pages_of[key] = {canonical}
        if page_mode == "paired":  # the canonical page above, its AMP twin here
            twin = amp_page_key(page.slug, site.output_prefix)
            expected[twin] = page.html.encode("utf-8")
            pages_of[key].add(twin)
        owners[page.slug] = key
        live_keys[key] = canonical

    outputs = build_site(entries, site, now=dt.datetime.now(dt.UTC))
    listing = s3.list_objects_v2(Bucket=SITE_BUCKET)
    stored_all = sorted(o["Key"] for o in listing.get("Contents", []))
    stored = [k for k in stored_all if k not in outputs]
    from amp_publisher.aws.manifest import ManifestTable

    manifest = ManifestTable(TABLE, healthy["dynamodb"])
    records = {r["source_key"]: r for r in manifest.scan()}
    if stored != sorted(expected):
        wrong = sorted(set(stored) ^ set(expected))
        owners_of = {k: s3.head_object(Bucket=SITE_BUCKET, Key=k)["Metadata"] if k in stored
                     else None for k in wrong}
        keys = {unquote(m["source-key"]) for m in owners_of.values() if m}
        raise AssertionError(f"orphans {sorted(set(stored) - set(expected))}, missing "
                             f"{sorted(set(expected) - set(stored))}; pages {owners_of}; "
                             f"records {[records.get(k) for k in keys]} {where}")
    for key, html in expected.items():
        body = s3.get_object(Bucket=SITE_BUCKET, Key=key)["Body"].read()
        # A page's related list is read from the site index when the page is rendered (README,
        # "as of the page's last render"), so it depends on the order of the edits; the rest
        # of the page is a function of its final source.
        assert _without_related(body) == _without_related(html), \
            f"{key} differs from a fresh render of its final source {where}"

    # The site around them: every index page, sitemap and feed is what a full build of the
    # final sources gives, and nothing else is there.
    missing = sorted(set(outputs) - set(stored_all))
    assert not missing, f"site outputs missing: {missing} {where}"
    for key, output in outputs.items():
        got = s3.get_object(Bucket=SITE_BUCKET, Key=key)
        assert got["Body"].read() == output.body, f"{key} is not what the sources imply {where}"
        assert got["ContentType"] == output.content_type, f"{key} {where}"
        if output.content_type.startswith("text/html"):
            assert validate(output.body.decode()).passed, f"{key} is not valid AMP {where}"
    for key in stored_all:
        target = tmp_path / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(s3.get_object(Bucket=SITE_BUCKET, Key=key)["Body"].read())
    crawled = crawl(tmp_path, site.base_url)
    assert not crawled.broken, f"links to missing pages: {crawled.broken[:10]} {where}"
    assert set(expected) <= set(crawled.visited), f"articles not reachable from / {where}"
    assert index_stats["failed"] and index_stats["duplicates"], f"{index_stats} {where}"
    print(f"site index: {index_stats}; {len(outputs)} site outputs")

    assert manifest.claims() == owners, f"slug claims disagree {where}"
    for key, page in live_keys.items():
        record = records.get(key)
        head = s3.head_object(Bucket=SOURCE_BUCKET, Key=key)
        assert record is not None, f"no manifest record for {key} {where}"
        assert (record["status"], record["page_key"], record["source_version_id"]) == \
            ("published", page, head["VersionId"]), f"{key}: {record} {where}"
        assert set(record["page_keys"]) == pages_of[key], f"{key}: {record} {where}"
        assert record.get("lease_expires_ms", 0) < clock() * 1000, \
            f"{key} left leased {where}"  # an expired lease (a crashed worker's) is harmless
    for key, record in records.items():
        if key not in live_keys:
            assert record.get("status") == "deleted" and not record.get("page_keys"), \
                f"{key}: {record} {where}"
    assert cms.counts["rename"] and cms.counts["delete"] and faults.counts \
        and sum(crashes.values()), \
        f"the run exercised too little {cms.counts} {faults.counts} {crashes} {where}"

    # The edge: every change invalidated after it, one request per invocation, within the limit.
    uncovered = edge.uncovered()
    assert not uncovered, f"{len(uncovered)} writes never invalidated, e.g. {uncovered[:5]} {where}"
    assert not too_many_calls, f"invocations sent {too_many_calls} CreateInvalidation {where}"
    assert all(len(paths) <= MAX_PATHS for _, paths in edge.invalidations), where
    assert any(paths[0].endswith("*") for _, paths in edge.invalidations), \
        f"no batch went over the path limit {where}"
    assert any(k.startswith("cloudfront:") for k in faults.counts), \
        f"CloudFront never failed {faults.counts} {where}"
    pending = {k: r["invalidation_pending"] for k, r in records.items()
               if r.get("invalidation_pending")}
    # Left pending only where an accepted invalidation could not be noted and the source has
    # not changed since; its pages were invalidated all the same (uncovered is empty above).
    unexplained = {k: v for k, v in pending.items() if k not in unrecorded}
    assert not unexplained, f"records still pending invalidation {unexplained} {where}"
    print(f"{len(edge.writes)} site writes, {len(edge.invalidations)} invalidations; "
          f"checks {time.monotonic() - indexed:.1f}s")


def _without_related(page: bytes) -> bytes:
    """The page without its ``<aside class="related">`` list."""
    import re

    return re.sub(rb'<aside class="related">.*?</aside>\n?', b"", page, flags=re.S)
