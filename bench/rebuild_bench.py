"""The rebuild benchmark (issue 13): re-render a whole site on the embedded backend.

1. **Seed** a site of ``count`` generated articles (``bench/articles.py``) on the embedded backend
   (moto on loopback): the sources in the source bucket and, for each, a manifest record of a page
   published with an older fingerprint, written in batches (rendering the site first would only
   measure the same thing twice).
2. **Enumerate** in this process, as the render function does for the order a rebuild starts with
   (:func:`amp_publisher.aws.rebuild.enumerate_step`): its wall time and its peak Python memory
   (``tracemalloc``), which must not grow with the table (one scan page at a time).
3. **Render** with ``workers`` local worker processes consuming RenderQueue (the stand-in for
   Lambda's concurrency), from their start until the manifest says nothing is stale: pages/s,
   objects written to the site bucket, and the workers' CPU time per page.
4. **Project** from the measured per-page cost the wall time and the Lambda cost of 1,000,000
   articles at concurrency 100 and 1,000, beside Hugo's measured full build scaled to the same
   size. These are projections, not measurements: AWS latencies differ from loopback, and Hugo
   does not scale exactly linearly.

Used by ``bench/run.py`` (``make bench``); runs alone too::

    .venv/bin/python bench/rebuild_bench.py --articles 1000
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: AWS prices used by the projection (us-east-1, x86, on demand, published list prices).
LAMBDA_GB_SECOND_USD = 0.0000166667
LAMBDA_REQUEST_USD = 0.20 / 1_000_000
#: RenderFunction's MemorySize in template.yaml (MB).
FUNCTION_MEMORY_MB = 512
S3_PUT_USD = 0.005 / 1000
DYNAMODB_WRITE_USD = 0.625 / 1_000_000
#: DynamoDB writes per re-rendered page, from the pipeline's code path: take the lease, claim the
#: slug, commit (the page is already listed, so no write-ahead write).
DYNAMODB_WRITES_PER_PAGE = 3
#: CloudFront bills invalidation paths beyond 1,000 a month. A rebuild's render of an unchanged
#: source is not invalidated page by page (``amp_publisher.aws.pipeline._rebuild_only``: it
#: reaches readers when its edge copy expires); the index outputs are one wildcard at the end.
INVALIDATION_PATH_USD = 0.005
INVALIDATION_PATHS_PER_PAGE = 0
PROJECTED_ARTICLES = 1_000_000
PROJECTED_CONCURRENCY = (100, 1000)


def _seed(backend: Any, generated: list[dict[str, Any]]) -> None:
    """Sources in S3 and manifest records of pages published with another fingerprint."""
    from boto3.dynamodb.types import TypeSerializer

    from amp_publisher.core.keys import page_key

    s3 = backend.client("s3")
    dynamodb = backend.client("dynamodb")
    serialize = TypeSerializer().serialize
    batch: list[dict[str, Any]] = []
    for article in generated:
        key = f"articles/{article['slug']}.json"
        s3.put_object(Bucket=backend.names.source_bucket, Key=key,
                      Body=json.dumps(article, ensure_ascii=False).encode("utf-8"))
        target = page_key(article["slug"], "")
        record = {"source_key": key, "status": "published", "page_key": target,
                  "slug": article["slug"], "page_keys": {target},
                  "fingerprint": "0000000000000000", "renderer_version": "0.0.0"}
        batch.append({"PutRequest": {"Item": {k: serialize(v) for k, v in record.items()}}})
        if len(batch) == 25:
            dynamodb.batch_write_item(RequestItems={backend.names.manifest_table: batch})
            batch = []
    if batch:
        dynamodb.batch_write_item(RequestItems={backend.names.manifest_table: batch})


def _wait_until_rendered(manifest: Any, sqs: Any, queue_url: str, fingerprint: str, *,
                         alive: Any, log: Any = print, poll_s: float = 2.0,
                         site_index_queue_url: str | None = None) -> Any:
    """Wait until the manifest says no record is stale (or the workers are gone); the last
    :func:`amp_publisher.aws.rebuild.progress` reading.

    The manifest is counted (a full scan) only when RenderQueue has nothing visible or in
    flight: counting while the workers render would put a scan of the whole table on the
    embedded backend every few seconds, competing with them (messages delayed for later, the
    finish step's next look and the sweep, do not hold the count back).

    ``site_index_queue_url``: emptied once a minute. The seeded records have no listing items
    yet (a live site's would, unchanged, and its rebuild would send no listing messages), so
    every first render here sends one; nothing consumes them while the workers render
    (SiteIndexFunction does in AWS), and moto's SQS walks every message of a queue on each
    SendMessage, so 10,000 waiting messages would slow the renders, not the bench's subject.
    The finish step's one ``all`` message rebuilds every index output after the articles."""
    from amp_publisher.aws.rebuild import KEYS_PER_MESSAGE, progress

    started = last_log = last_purge = time.perf_counter()
    while True:
        time.sleep(poll_s)
        if site_index_queue_url and time.perf_counter() - last_purge >= 60:
            sqs.purge_queue(QueueUrl=site_index_queue_url)
            last_purge = time.perf_counter()
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        busy = sum(int(v) for v in attributes["Attributes"].values())
        if busy and alive() > 0:
            if time.perf_counter() - last_log >= 120:  # a trend even if the run is stopped
                last_log = time.perf_counter()
                log(f"rebuild: {busy:,} RenderQueue messages left (of "
                    f"{KEYS_PER_MESSAGE} keys) after {last_log - started:.0f} s, load average "
                    f"{os.getloadavg()[0]:.1f}")
            continue
        stale: list[str] = []
        reading = progress(manifest, fingerprint, stale_keys=stale)
        log(f"rebuild: {reading.done:,} done, {reading.failed:,} failed, "
            f"{reading.remaining:,} remaining")
        if stale and os.environ.get("BENCH_DEBUG"):
            log(f"{manifest.get(stale[0])}")
        finished = bool((reading.rebuild or {}).get("finished_at"))
        if reading.remaining == 0 or finished or alive() == 0:
            return reading


def run(count: int, workers: int = 2, log: Any = print,
        hugo_full_build: tuple[int, float] | None = None) -> dict[str, Any]:
    """Seed, enumerate, render, project. ``hugo_full_build``: ``(pages, seconds)`` of a measured
    Hugo build of the same generated articles, scaled linearly in the projection.

    Returns:
        The ``rebuild`` figures for ``bench/results.json``.
    """
    sys.path.insert(0, str(HERE))
    import articles

    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    # moto may take minutes to answer a 1 MB Scan page of a big table on a loaded machine (the
    # enumerator here, the finish step's count in the workers, which inherit the setting)
    os.environ.setdefault("AMP_PUBLISHER_READ_TIMEOUT_S", "600")
    from amp_publisher.aws import handler, rebuild
    from amp_publisher.aws.manifest import ManifestTable
    from amp_publisher.local.backend import EmbeddedBackend
    from amp_publisher.local.workers import LocalWorkers

    result: dict[str, Any] = {"articles": count, "workers": workers}
    with EmbeddedBackend() as backend:
        backend.client("s3").put_object(Bucket=backend.names.source_bucket,
                                        Key="config/site.json",
                                        Body=(REPO / "events" / "site.json").read_bytes())
        log(f"rebuild: seeding {count:,} articles on the embedded backend")
        started = time.perf_counter()
        _seed(backend, articles.generate(count))
        result["seed_s"] = round(time.perf_counter() - started, 1)

        publisher = handler._publisher()
        begun = rebuild.start_rebuild(publisher, reason="bench")
        sqs = backend.client("sqs")
        (message,) = sqs.receive_message(QueueUrl=backend.render_queue_url)["Messages"]
        sqs.delete_message(QueueUrl=backend.render_queue_url,
                           ReceiptHandle=message["ReceiptHandle"])
        log("rebuild: enumerating the manifest")
        tracemalloc.start()
        started, cpu_started = time.perf_counter(), time.thread_time()
        sent = rebuild.enumerate_step(publisher, json.loads(message["Body"]))
        enumerate_s = time.perf_counter() - started
        # This thread's CPU only: the embedded server answering it runs in other threads.
        enumerate_cpu_s = time.thread_time() - cpu_started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result |= {"enumerate_s": round(enumerate_s, 2), "keys_sent": sent["keys_sent"],
                   "messages_sent": sent["messages"],
                   "enumerate_cpu_ms_per_record": round(enumerate_cpu_s * 1000 / count, 3),
                   "enumerate_records_per_s": round(count / enumerate_s, 1),
                   "enumerator_peak_mib": round(peak / 2**20, 2)}

        log(f"rebuild: rendering with {workers} local worker processes")
        manifest = ManifestTable(backend.names.manifest_table)
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        with LocalWorkers(workers) as pool:
            last = _wait_until_rendered(manifest, sqs, backend.render_queue_url,
                                        begun.fingerprint, alive=pool.alive, log=log,
                                        site_index_queue_url=backend.site_index_queue_url)
            wall = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime
                                                             + cpu_before.ru_stime)
        listing = backend.client("s3").get_paginator("list_objects_v2").paginate(
            Bucket=backend.names.site_bucket)
        written = sum(len(page.get("Contents", [])) for page in listing)
    pages = last.done - last.failed
    per_page_cpu_s = cpu / max(pages, 1)
    result |= {"pages": pages, "failed": last.failed, "remaining": last.remaining,
               "wall_s": round(wall, 1), "pages_per_s": round(pages / wall, 2),
               "objects_written": written,
               "worker_cpu_ms_per_page": round(per_page_cpu_s * 1000, 1),
               # each worker busy the whole time: what a page took on this (shared) machine
               "worker_wall_ms_per_page": round(wall * workers / max(pages, 1) * 1000, 1),
               "load_average": [round(x, 1) for x in os.getloadavg()]}
    result["projection"] = project(per_page_cpu_s, result["enumerate_cpu_ms_per_record"] / 1000,
                                   hugo_full_build)
    return result


def project(per_page_s: float, enumerate_s_per_record: float,
            hugo_full_build: tuple[int, float] | None) -> dict[str, Any]:
    """Wall time and cost of re-rendering :data:`PROJECTED_ARTICLES` from the measured
    per-page cost: the worker processes' CPU time per page (wall time on a shared machine says
    more about the other processes than about ours; S3 and DynamoDB latency in AWS come on
    top, and are not measured here). A projection, not a measurement."""
    n = PROJECTED_ARTICLES
    invocations = n / 10  # rebuild.KEYS_PER_MESSAGE keys per invocation
    compute = n * per_page_s * FUNCTION_MEMORY_MB / 1024 * LAMBDA_GB_SECOND_USD
    requests = invocations * LAMBDA_REQUEST_USD
    storage = n * S3_PUT_USD + n * DYNAMODB_WRITES_PER_PAGE * DYNAMODB_WRITE_USD
    out: dict[str, Any] = {
        "articles": n, "per_page_s": round(per_page_s, 4),
        "enumerate_s": round(n * enumerate_s_per_record, 0),
        "lambda_usd": round(compute + requests, 2),
        "s3_and_dynamodb_usd": round(storage, 2),
        "invalidation_usd": round(max(0, n * INVALIDATION_PATHS_PER_PAGE - 1000)
                                  * INVALIDATION_PATH_USD, 2),
        "wall_s": {str(c): round(max(n * per_page_s / c, n * enumerate_s_per_record), 0)
                   for c in PROJECTED_CONCURRENCY},
    }
    if hugo_full_build:
        pages, seconds = hugo_full_build
        out["hugo_full_build_s"] = round(seconds * n / pages, 0)
        out["hugo_measured"] = {"pages": pages, "seconds": round(seconds, 2)}
    return out


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def table(r: dict[str, Any]) -> str:
    """The rebuild figures and the projection as Markdown."""
    p = r["projection"]
    lines = [f"Rebuild of a {r['articles']:,}-article site on the embedded backend with "
             f"{r['workers']} local workers: **{r['pages_per_s']} pages/s** "
             f"({r['pages']:,} pages in {r['wall_s']} s, {r['failed']} failed; load average "
             f"{r['load_average'][0]} on this shared machine), "
             f"{r['objects_written']:,} objects written, enumerator peak memory "
             f"{r['enumerator_peak_mib']} MiB ({r['enumerate_cpu_ms_per_record']} ms CPU per "
             f"record), {r['worker_cpu_ms_per_page']} ms worker CPU per page "
             f"({r['worker_wall_ms_per_page']} ms of worker wall time).", "",
             f"**Projection** (not a measurement) for {p['articles']:,} articles, every page "
             f"billed at the measured {p['per_page_s'] * 1000:.0f} ms of CPU at "
             f"{FUNCTION_MEMORY_MB} MB (S3 and DynamoDB latency in AWS come on top):", "",
             "| engine | wall time | cost |", "|---|---:|---:|"]
    for concurrency, seconds in p["wall_s"].items():
        lines.append(f"| amp-publisher, Lambda concurrency {concurrency} | "
                     f"{_duration(seconds)} | ${p['lambda_usd']:,.2f} Lambda + "
                     f"${p['s3_and_dynamodb_usd']:,.2f} S3 PUT and DynamoDB + "
                     f"${p['invalidation_usd']:,.2f} CloudFront invalidation paths |")
    if "hugo_full_build_s" in p:
        h = p["hugo_measured"]
        lines.append(f"| Hugo, one machine (its measured {h['pages']:,}-page build, "
                     f"{h['seconds']} s, scaled linearly) | {_duration(p['hugo_full_build_s'])} "
                     "| one machine's time |")
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hugo-articles", type=int, default=0,
                        help="also measure Hugo's full build of this many generated articles")
    args = parser.parse_args()
    hugo_build = None
    if args.hugo_articles:
        sys.path.insert(0, str(HERE))
        import articles
        import hugo_site

        binary = hugo_site.ensure_hugo(print)
        if binary:
            site = hugo_site.write_site(REPO / "build" / "bench" / f"hugo-{args.hugo_articles}",
                                        articles.generate(args.hugo_articles))
            hugo_site.build(binary, site)  # unmeasured: warms the file cache
            seconds, pages = min(hugo_site.build(binary, site) for _ in range(2))
            hugo_build = (pages, seconds)
    figures = run(args.articles, args.workers, hugo_full_build=hugo_build,
                  log=lambda m: print(f"[bench] {m}", file=sys.stderr, flush=True))
    print(json.dumps(figures, indent=2))
    print(table(figures))
