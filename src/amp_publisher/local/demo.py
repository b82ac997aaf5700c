"""``make demo`` / ``amp-render demo``: the main job end to end on the embedded backend.

Starts the embedded backend, puts the demo's logo and images (``events/static/``) in the site
bucket, uploads the site configuration and every sample article under ``articles/``, hands the
Lambda entry point the real-shaped S3 event of each upload, mirrors the site bucket into
``build/site/``, prints a table (source key → page key, bytes, render ms, status) and then deletes
one article to show its page goes away. Last, it renames
the site in ``config/site.json``: the upload starts a rebuild, two local worker processes consume
RenderQueue, and every page is shown re-rendered with the new name.

``PAGE_MODE=paired`` (or ``--page-mode paired``) runs it in paired mode (DESIGN §9): each article
is published as a canonical HTML page at ``<slug>/index.html`` and its AMP page at
``<slug>/amp/index.html``, both listed in the table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from amp_publisher.core.site import SiteConfig
from amp_publisher.local.backend import EmbeddedBackend

__all__ = ["run_demo", "DemoRow"]


@dataclass(frozen=True)
class DemoRow:
    """One line of the demo table."""

    source_key: str
    page_key: str
    page_bytes: int
    render_ms: float  # rendering and validating the page (the handler's own timings), ms
    status: str
    kind: str = "article"  # or "site output" (index page, sitemap, feed)


def _quiet_powertools() -> None:
    """The demo prints a table; the function's JSON log lines go to stdout only for errors."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    import warnings

    warnings.filterwarnings("ignore", message="No application metrics to publish")


def _status(outcome: dict, mode: str = "amp") -> str:
    if outcome["action"] == "failed":
        error = outcome["error"] or {}
        return f"FAILED {error.get('code')}: {error.get('message')}"[:160]
    if outcome["action"] == "published":
        return _page_status(outcome["page_key"] or "", mode)
    return outcome["action"]


def _page_status(key: str, mode: str) -> str:
    """A published page's status: in paired mode ``<slug>/amp/index.html`` is the AMP page and
    ``<slug>/index.html`` the canonical HTML page."""
    if mode == "paired" and not key.endswith("/amp/index.html"):
        return "published, canonical HTML"
    return "published, AMP valid"


def run_demo(articles: Path, site_json: Path | None, out: Path, *, delete: str | None = None,
             stream: TextIO | None = None, page_mode: str | None = None) -> list[DemoRow]:
    """Publish every ``articles/*.json`` through the handler on the embedded backend.

    Args:
        articles: folder of article JSON files (``events/articles``).
        site_json: site configuration uploaded as ``config/site.json`` (``events/site.json``).
        out: where the site bucket is mirrored (``build/site``).
        delete: the file name of the article to delete at the end (default: the first one).
        stream: where to print (default stdout).
        page_mode: the functions' ``PAGE_MODE``, ``amp`` or ``paired`` (default: the
            ``PAGE_MODE`` environment variable, else ``amp``).

    Returns:
        The table rows (one per page published, then one per site output).

    Raises:
        ValueError: an unknown page mode.
    """
    import sys

    stream = stream or sys.stdout
    _quiet_powertools()
    files = sorted(articles.glob("*.json"))
    if not files:
        raise FileNotFoundError(2, "no article JSON files there (run from the repository root "
                                "or pass --articles DIR); nothing was uploaded", str(articles))
    rows: list[DemoRow] = []
    mode = page_mode or os.environ.get("PAGE_MODE") or "amp"
    with EmbeddedBackend(page_mode=mode) as backend:
        print(f"embedded backend: moto server at {backend.endpoint_url}", file=stream)
        if mode == "paired":
            print("  PAGE_MODE=paired: canonical HTML pages at <slug>/index.html, their AMP "
                  "pages at <slug>/amp/index.html", file=stream)
        if backend.function_environment()["AMP_TRANSFORM"] == "off":
            print("  AMP_TRANSFORM=off: the pages as the templates write them, with the AMP "
                  "boilerplate", file=stream)
        else:
            print("  AMP_TRANSFORM=on: transformed AMP, rendered server-side "
                  "(docs/transformed-amp.md; AMP_TRANSFORM=off make demo for the plain pages)",
                  file=stream)
        print(f"  buckets {backend.names.source_bucket}, {backend.names.site_bucket}; "
              f"table {backend.names.manifest_table}; queue {backend.names.failed_events_queue}",
              file=stream)
        s3 = backend.client("s3")
        static = backend.upload_static(articles.parent / "static")
        if static:
            print(f"  {len(static)} static file(s) (logo, images) from "
                  f"{articles.parent / 'static'}/ put in the site bucket", file=stream)
        if site_json is not None:
            s3.put_object(Bucket=backend.names.source_bucket, Key="config/site.json",
                          Body=site_json.read_bytes(), ContentType="application/json")
        for path in files:
            key = f"articles/{path.name}"
            event = backend.put_source(key, path.read_bytes())
            result = backend.invoke(event)
            for outcome in result["outcomes"]:
                timings = outcome.get("timings_ms") or {}
                render_ms = timings.get("render", 0.0) + timings.get("validate", 0.0)
                rows.append(DemoRow(outcome["source_key"], outcome["page_key"] or "-",
                                    outcome["page_bytes"], round(render_ms, 1),
                                    _status(outcome, mode)))
                for other in (outcome.get("pages") or [])[1:]:  # a collection's, a twin
                    size = s3.head_object(Bucket=backend.names.site_bucket,
                                          Key=other)["ContentLength"]
                    rows.append(DemoRow("", other, size, 0.0, _page_status(other, mode)))
        # SiteIndexFunction: the queue of stale outputs, drained through its entry point.
        reports = backend.drain_site_index()
        mirrored = backend.mirror_site(out)
        pages = [key for key in mirrored if key.endswith(".html")]
        messages = sum(r.messages for r in reports)
        rebuilds = sum(len(r.listings) for r in reports)
        for n, output in enumerate(sorted({k for r in reports for k in r.written})):
            rows.append(DemoRow("" if n else f"site index: {messages} messages, "
                                f"{rebuilds} listings", output, (out / output).stat().st_size,
                                0.0, _output_status(output), kind="site output"))
        _print_table(rows, stream)
        print(f"\nsite bucket mirrored into {out}/; its {len(pages)} HTML page(s) (the feeds, "
              "sitemaps and images are beside them):", file=stream)
        for page in pages:
            print(f"  {out / page}", file=stream)

        victim = delete or files[0].name
        key = f"articles/{victim}"
        result = backend.invoke(backend.delete_source(key))
        outcome = result["outcomes"][0]
        page_key = outcome["page_key"]
        reports = backend.drain_site_index()
        # The pages whose related list linked it are rendered again, through RenderQueue.
        rerendered = backend.drain_render_queue()
        backend.mirror_site(out)
        removed = [page_key] if page_key else []
        if page_key and mode == "paired":
            removed.append(page_key[: -len("index.html")] + "amp/index.html")
        gone = all(not (out / k).exists() for k in removed)
        still_listed = any(_exists(s3, backend.names.site_bucket, k) for k in removed)
        print(f"\ndeleted {key}: {outcome['action']} {' and '.join(removed)}; "
              f"{'pages' if len(removed) > 1 else 'page'} in bucket: "
              f"{'yes' if still_listed else 'no'}; in {out}/: {'no' if gone else 'yes'}",
              file=stream)
        manifest = backend.client("dynamodb").get_item(
            TableName=backend.names.manifest_table, Key={"source_key": {"S": key}})
        status = manifest.get("Item", {}).get("status", {}).get("S", "-")
        print(f"manifest record for {key}: status {status}; RenderQueue: {rerendered} "
              f"message(s) rendering again the pages whose related list linked it",
              file=stream)
        if page_key:
            slug = page_key.rsplit("/", 2)[-2]
            still = [k for k in ("index.html", "feed.xml", "atom.xml", "feed.json",
                                 "sitemap.xml", *(f"sitemaps/{p.name}"
                                                  for p in sorted((out / "sitemaps").glob("*"))))
                     if (out / k).exists() and f"/{slug}/".encode() in (out / k).read_bytes()]
            rewritten = sorted({k for r in reports for k in r.written})
            print(f"site index rebuilt {len(rewritten)} output(s); outputs still linking "
                  f"{slug}: {', '.join(still) or 'none'}", file=stream)
        from amp_publisher.local.sitecheck import crawl

        base = SiteConfig.model_validate_json(site_json.read_bytes()).base_url if site_json \
            else SiteConfig().base_url
        crawled = crawl(out, base)
        print(f"crawl of {out}/ from /: {len(crawled.visited)} object(s) reached, "
              f"{len(crawled.broken)} broken link(s)", file=stream)
        for source, url in crawled.broken[:10]:
            print(f"  BROKEN {source} -> {url}", file=stream)
        if site_json is not None:
            _rename_and_rebuild(backend, site_json, out, stream)
    return rows


def _output_status(key: str) -> str:
    if key.endswith(".html"):
        return "index page, AMP valid"
    kinds = {"feed.xml": "RSS 2.0", "atom.xml": "Atom", "feed.json": "JSON Feed 1.1",
             "robots.txt": "robots.txt", "sitemap.xml": "sitemap index",
             "news-sitemap.xml": "Google News sitemap"}
    name = key.rsplit("/", 1)[-1]
    return kinds.get(name, "monthly sitemap" if key.startswith("sitemaps/") else "")


#: The name the demo gives the site at the end, to show the rebuild.
RENAMED_SITE = "WanderStayFinder Weekly"


def _rename_and_rebuild(backend: EmbeddedBackend, site_json: Path, out: Path,
                        stream: TextIO) -> None:
    """Upload a renamed ``config/site.json``, deliver its S3 event (which starts the rebuild),
    let two local workers render every stale page, and show each page's site name."""
    import json

    from amp_publisher.aws.manifest import ManifestTable
    from amp_publisher.local.rebuild import watch
    from amp_publisher.local.workers import LocalWorkers

    config = json.loads(site_json.read_text(encoding="utf-8"))
    config["name"] = RENAMED_SITE
    body = json.dumps(config, ensure_ascii=False).encode("utf-8")
    backend.client("s3").put_object(Bucket=backend.names.source_bucket, Key="config/site.json",
                                    Body=body, ContentType="application/json")
    print(f"\nconfig/site.json: site renamed to {RENAMED_SITE!r}; its upload starts a rebuild",
          file=stream)
    result = backend.invoke(backend.s3_event("ObjectCreated:Put", "config/site.json",
                                             size=len(body)))
    fingerprint = result["rebuilds"][0]["fingerprint"]
    manifest = ManifestTable(backend.names.manifest_table)
    with LocalWorkers(2) as workers:
        print(f"{workers.count} local worker processes render the stale pages from RenderQueue "
              "(Lambda's concurrency in AWS)", file=stream)
        last = watch(manifest, fingerprint, stream=stream, interval=0.5,
                     keep_going=lambda: workers.alive() > 0)
    backend.drain_site_index()  # the index pages, sitemaps and feeds follow the new name too
    pages = [key for key in backend.mirror_site(out) if key.endswith(".html")]
    print(f"rebuilt {last.done} of {last.total} article(s) ({last.failed} failed) with "
          f"fingerprint {fingerprint}, then the site's index pages; every page now:",
          file=stream)
    for page in pages:
        html = (out / page).read_text(encoding="utf-8")
        marker = 'property="og:site_name" content="'
        if marker in html:
            print(f"  {page}: site name {html.split(marker, 1)[1].split(chr(34), 1)[0]!r}",
                  file=stream)
        elif "<title>" in html:  # the 404 page has no Open Graph tags: its title names the site
            title = html.split("<title>", 1)[1].split("</title>", 1)[0]
            print(f"  {page}: title {title!r}", file=stream)


def _exists(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError:
        return False
    return True


def _print_table(rows: list[DemoRow], stream: TextIO) -> None:
    headers = ("source key", "page key", "bytes", "render ms", "status")
    cells = [(r.source_key, r.page_key, f"{r.page_bytes:,}",
              f"{r.render_ms:.1f}" if r.render_ms else "-", r.status)
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print("\n" + line.rstrip(), file=stream)  # the last column is padded: no trailing spaces
    print("  ".join("-" * w for w in widths), file=stream)
    for c in cells:
        print("  ".join(v.rjust(w) if i in (2, 3) else v.ljust(w)
                        for i, (v, w) in enumerate(zip(c, widths, strict=True))).rstrip(),
              file=stream)


def main(argv: list[str] | None = None) -> int:
    """``amp-render demo [--articles DIR] [--site FILE] [--out DIR]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="amp-render demo", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=Path("events/articles"))
    parser.add_argument("--site", type=Path, default=Path("events/site.json"))
    parser.add_argument("--out", type=Path, default=Path("build/site"))
    parser.add_argument("--delete", help="file name of the article to delete at the end")
    parser.add_argument("--page-mode", choices=("amp", "paired"),
                        help="amp: one AMP page per article; paired: a canonical HTML page and "
                             "its AMP page at <slug>/amp/ (default: $PAGE_MODE, else amp)")
    args = parser.parse_args(argv)
    rows = run_demo(args.articles, args.site if args.site.exists() else None, args.out,
                    delete=args.delete, page_mode=args.page_mode)
    return 1 if any(r.status.startswith("FAILED") for r in rows) else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
