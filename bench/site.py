"""Benchmark of the site around the articles (DESIGN §9), on the embedded backend.

1. **Burst**: a site of ``--site`` articles (default 10,000; their listing items and the index
   state written straight into the manifest table, as if the site had been built), then
   ``--uploads`` new articles (default 1,000) uploaded one after another through the Lambda
   entry point. The site-index queue is drained every ``--window`` seconds of upload time (the
   template's batching window) and once at the end. Reported: uploads, index rebuilds (stale
   listings rebuilt, summed over batches), index objects written per upload, and the time from
   the last upload until every output is current (the queue drained).
2. **One article into a big site**: ``--big`` articles (default 100,000) in the manifest, one new
   article published, its batch drained: the objects the site index writes and deletes.

Prints a Markdown table and writes ``bench/site-results.json``. ``make bench`` runs it after
``bench/run.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "site-results.json"
SECTIONS = ["News", "Sport", "Culture", "Business", "Science", "Travel", "Food", "Opinion"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _entry(i: int):
    from amp_publisher.core.siteoutputs.entries import IndexEntry

    # Every seeded article is older than the run (2023-2025), so an upload is the newest, as a
    # newsroom's new article is: at 100,000 articles, dates in the future made it a back-dated one.
    year, month = 2023 + (i // 5000) % 3, 1 + (i // 400) % 12
    return IndexEntry(
        source_key=f"articles/seed-{i:06d}.json", slug=f"seed-{i:06d}", path=f"/seed-{i:06d}/",
        headline=f"Seeded article {i}", description=f"About seeded article {i}.",
        section=SECTIONS[i % len(SECTIONS)], tags=(f"Topic {i % 30}", f"Topic {(i * 7) % 30}"),
        authors=({"name": f"Writer {i % 20}"},),
        published=f"{year}-{month:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+00:00",
        language="en-GB")


def seed(backend, count: int) -> dict[str, int]:
    """Write ``count`` articles' listing items, the index state, and placeholder site outputs
    (a site already built), straight into the table and the bucket."""
    from amp_publisher.aws.manifest import MONTHS_LISTING, ManifestTable
    from amp_publisher.core.siteoutputs.entries import listings_of
    from amp_publisher.core.siteoutputs.pages import numbered_pages

    manifest = ManifestTable(backend.names.manifest_table, backend.client("dynamodb"))
    sizes: dict[str, int] = {}
    months: dict[str, str] = {}

    def items():
        for i in range(count):
            entry = _entry(i)
            listings = listings_of(entry)
            for name in listings:
                sizes[name] = sizes.get(name, 0) + 1
            months[entry.month] = max(months.get(entry.month, ""), entry.modified)
            body = {k: v for k, v in entry.to_item().items() if k != "source_key"}
            for name, term in listings.items():
                yield manifest._values({
                    **body, "source_key": manifest.listing_item_key(name, entry.source_key),
                    "record_type": "listing", "listing": name, "listing_sort": entry.order_key,
                    "term": term, "article_key": entry.source_key})

    # Setup, not measured: straight into moto's table (100,000 articles are ~700,000 items,
    # an hour of BatchWriteItem requests through the embedded server on a loaded machine).
    written = backend.put_items_directly(backend.names.manifest_table, items())
    for name, size in sizes.items():
        if not name.startswith("month/"):
            manifest.put_state(f"pages#{name}", {"pages": numbered_pages(size)})
    for month, lastmod in months.items():
        manifest.put_state(f"month#{month}", {"listing": MONTHS_LISTING, "listing_sort": month,
                                              "lastmod": lastmod})
    s3 = backend.client("s3")
    for key in ("index.html", "sitemap.xml", "news-sitemap.xml", "robots.txt"):
        s3.put_object(Bucket=backend.names.site_bucket, Key=key, Body=b"seeded")
    return {"listing_items": written, "listings": len(sizes)}


def _article(i: int) -> bytes:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return json.dumps({
        "headline": f"Burst article {i}", "slug": f"burst-{i:05d}", "published": now,
        "section": SECTIONS[i % len(SECTIONS)], "tags": [f"Topic {i % 30}"],
        "authors": [{"name": f"Writer {i % 20}"}],
        "body": [{"type": "paragraph", "text": f"Body of burst article {i}."}]}).encode()


def burst(site: int, uploads: int, window: float) -> dict:
    from amp_publisher.local.backend import EmbeddedBackend

    with EmbeddedBackend() as backend:
        backend.client("s3").put_object(Bucket=backend.names.source_bucket,
                                        Key="config/site.json",
                                        Body=(ROOT / "events" / "site.json").read_bytes())
        t0 = time.perf_counter()
        seeded = seed(backend, site)
        log(f"seeded {site:,} articles ({seeded['listing_items']:,} listing items) in "
            f"{time.perf_counter() - t0:.0f} s")
        reports = []
        last_drain = started = time.perf_counter()
        for i in range(uploads):
            backend.invoke(backend.put_source(f"articles/burst-{i:05d}.json", _article(i)))
            if time.perf_counter() - last_drain >= window:
                reports += backend.drain_site_index()
                last_drain = time.perf_counter()
            if (i + 1) % 50 == 0:  # a trend even if the run is stopped
                log(f"burst: {i + 1:,} uploads in {time.perf_counter() - started:.0f} s, "
                    f"{sum(len(r.listings) for r in reports):,} index rebuilds in "
                    f"{len(reports)} batches, load average {os.getloadavg()[0]:.1f}")
        uploaded = time.perf_counter()
        reports += backend.drain_site_index()
        current = time.perf_counter()
    written = sum(len(r.written) for r in reports)
    return {"site_articles": site, "uploads": uploads, "batches": len(reports),
            "messages": sum(r.messages for r in reports),
            "index_rebuilds": sum(len(r.listings) for r in reports),
            "listings_named": sum(r.named for r in reports),
            "index_objects_written": written,
            "index_objects_deleted": sum(len(r.deleted) for r in reports),
            "objects_written_per_upload": round(1 + written / max(uploads, 1), 2),
            "upload_seconds": round(uploaded - started, 1),
            "seconds_until_current_after_last_upload": round(current - uploaded, 1),
            "window_seconds": window}


def one_into_big(big: int) -> dict:
    from amp_publisher.local.backend import EmbeddedBackend

    with EmbeddedBackend() as backend:
        backend.client("s3").put_object(Bucket=backend.names.source_bucket,
                                        Key="config/site.json",
                                        Body=(ROOT / "events" / "site.json").read_bytes())
        t0 = time.perf_counter()
        seeded = seed(backend, big)
        log(f"seeded {big:,} articles ({seeded['listing_items']:,} listing items) in "
            f"{time.perf_counter() - t0:.0f} s")
        backend.invoke(backend.put_source("articles/one.json", _article(0)))
        t1 = time.perf_counter()
        reports = backend.drain_site_index()
        seconds = time.perf_counter() - t1
    return {"site_articles": big, "index_rebuilds": sum(len(r.listings) for r in reports),
            "objects_written": 1 + sum(len(r.written) for r in reports),
            "objects_deleted": sum(len(r.deleted) for r in reports),
            "written": sorted({k for r in reports for k in r.written}),
            "index_seconds": round(seconds, 1)}


def table(r: dict) -> str:
    b, o = r["burst"], r.get("one")
    rows = [
        ("uploads in the burst / articles already in the site",
         f"{b['uploads']:,} / {b['site_articles']:,}", ""),
        ("index rebuild runs (site-index batches) / messages", f"{b['batches']:,} / "
         f"{b['messages']:,}", f"≪ {b['uploads']:,} uploads; one batch per "
         f"{b['window_seconds']:.0f} s window"),
        ("listing rebuilds (stale listings rebuilt, all batches)", f"{b['index_rebuilds']:,}",
         f"{b.get('listings_named', 0):,} listings named by the messages (one rebuild per "
         "message would run them all)"),
        ("objects written per upload (its page + index outputs)",
         f"{b['objects_written_per_upload']}", ""),
        ("time until every output is current, after the last upload",
         f"{b['seconds_until_current_after_last_upload']} s", ""),
    ]
    if o:
        rows.append((f"one article into {o['site_articles']:,}: objects written / deleted",
                     f"{o['objects_written']} / {o['objects_deleted']}", "≤ a few dozen"))
    lines = ["| | measured | reference |", "|---|---:|---|"]
    lines += [f"| {a} | {m} | {ref} |" for a, m, ref in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="site index benchmark (make bench)")
    parser.add_argument("--site", type=int, default=10_000)
    parser.add_argument("--uploads", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=100_000, help="0: skip")
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.setdefault("AMP_PUBLISHER_READ_TIMEOUT_S", "600")  # moto on a loaded machine
    results = {"burst": burst(args.site, args.uploads, args.window)}
    if args.big:
        results["one"] = one_into_big(args.big)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
