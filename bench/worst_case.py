"""Worst-case inputs, one fresh process each: what one hostile article may cost (issue 14 item
6, target ≤ 3 s CPU and ≤ 200 MB peak RSS for any input up to the 2 MiB source limit).

``python bench/worst_case.py`` runs every case in its own interpreter and prints a JSON list;
``bench/run.py`` runs it as part of ``make bench`` and puts the table beside the figures measured
before the budgets existed (:data:`BEFORE`). ``python bench/worst_case.py --case NAME`` runs one
case in this process and prints its JSON (what the parent starts).

Cases (all built here, seeded, nothing downloaded):

* ``tiny-elements``: a 1.4 MB ``body_html`` of 180,000 tiny elements (``<i>a</i>``);
* ``deep-nesting``: 100,000 nested ``<div>``;
* ``inline-styles``: 30,000 distinct ``style`` attributes (a Word paste gone wrong);
* ``slow-images``: 64 unsized images on a loopback server that answers each after 2 s (the
  image-size probes' count and time budget, :class:`amp_publisher.core.image_sizes.ProbeBudget`);
* ``whole-page``: a 0.79 MB portal page pasted as the body (extraction of the article,
  just under its size cap).

Each case renders one article with the default site and the real image-size resolver, then
validates the page; CPU seconds are the process's own (user + system), peak RSS is the
process's own (``VmHWM``, :func:`probes.peak_rss_mb`), wall seconds include waiting for image
hosts. An input the renderer refuses with a typed error counts as bounded when the refusal
itself is within the budget (its outcome names the error).
"""

from __future__ import annotations

import argparse
import http.server
import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from probes import peak_rss_mb

REPO = Path(__file__).resolve().parents[1]
SITE_JSON = REPO / "events" / "site.json"
CPU_BUDGET_S = 3.0
RSS_BUDGET_MB = 200.0
SEED = 14

#: Figures measured before the budgets (issue 14, "Cost not bounded"), same inputs.
BEFORE = {"tiny-elements": "12.5 s, 251 MB", "slow-images": "14.5 s wall (≈200 images would "
          "pass the 30 s Lambda timeout)"}

_WORDS = ("harbour", "bridge", "council", "repairs", "engineers", "said", "Tuesday", "traffic",
          "reopened", "schedule", "budget", "residents", "ferry", "minister")

CASES = ("tiny-elements", "deep-nesting", "inline-styles", "slow-images", "whole-page")


def _body(case: str, image_base: str = "") -> str:
    rng = random.Random(SEED)
    if case == "tiny-elements":
        return "<i>a</i>" * 180_000
    if case == "deep-nesting":
        return "<div>" * 100_000 + "deep" + "</div>" * 100_000
    if case == "inline-styles":
        return "".join(f'<p style="color:#{rng.randrange(16**6):06x};margin-left:{i}px">w</p>'
                       for i in range(30_000))
    if case == "slow-images":
        return "".join(f'<p><img src="{image_base}/img{i}.png" alt="photo {i}"></p>'
                       for i in range(64))
    if case == "whole-page":  # just under the extraction cap, under the element budget
        chrome = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(800))
        ads = "".join(f'<div class="ad"><iframe src="https://ad.doubleclick.net/{i}"></iframe>'
                      "</div>" for i in range(300))
        story = "".join(f"<p>Paragraph {i} of the story, with some words to read: "
                        f"{' '.join(rng.choice(_WORDS) for _ in range(14))}.</p>"
                        for i in range(4200))
        return (f"<!doctype html><html><head><title>Portal</title></head><body><nav><ul>{chrome}"
                f"</ul></nav>{ads}<main><article><h1>Story</h1>{story}</article></main>"
                "<footer>Portal Ltd</footer></body></html>")
    raise ValueError(f"unknown case {case!r}; known: {', '.join(CASES)}")


class _SlowImages(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a PNG header after 2 s (a slow image host)."""

    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        time.sleep(2.0)
        png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0"
               b"\x08\x06\x00\x00\x00")
        try:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)
        except OSError:
            pass  # the probe gave up (its budget ran out)

    def log_message(self, *args: Any) -> None:
        pass


def run_case(case: str) -> dict[str, Any]:
    """Render and validate one case in this process; its cost and outcome."""
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.errors import ArticleError
    from amp_publisher.core.image_sizes import HttpRangeFetcher, ProbingImageSizeResolver
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    site = SiteConfig.model_validate(json.loads(SITE_JSON.read_text(encoding="utf-8")))
    server = None
    image_base = ""
    if case == "slow-images":
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowImages)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        image_base = f"http://127.0.0.1:{server.server_address[1]}"
    resolver = ProbingImageSizeResolver([HttpRangeFetcher(allow_private=True)])
    body = _body(case, image_base)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        article = parse_article({"headline": f"Worst case {case}", "slug": case,
                                 "published": "2026-06-25T09:00:00Z", "body_html": body})
        page = render(article, site, source_key=f"articles/{case}.json", image_sizes=resolver)
        outcome = "valid AMP" if validate(page.html).passed else "INVALID AMP"
        budget = sum(1 for e in page.report if e.code == "IMAGE_SIZE_BUDGET")
        if budget:
            outcome += "; image-size budget reached, fallback sizes reported"
        page_bytes = len(page.html.encode())
    except ArticleError as exc:
        outcome, page_bytes = f"refused: {type(exc).__name__}: {str(exc)[:120]}", 0
    cpu_s = time.process_time() - cpu
    wall_s = time.perf_counter() - wall
    if server is not None:
        server.shutdown()
    peak_mb = peak_rss_mb()
    return {"case": case, "input_bytes": len(body.encode()), "cpu_s": round(cpu_s, 2),
            "wall_s": round(wall_s, 2), "peak_rss_mb": round(peak_mb, 1), "outcome": outcome,
            "page_bytes": page_bytes, "before": BEFORE.get(case, ""),
            "within_budget": cpu_s <= CPU_BUDGET_S and peak_mb <= RSS_BUDGET_MB}


def run_all(timeout: float = 300) -> list[dict[str, Any]]:
    """Every case in a fresh interpreter (so each peak RSS is its own)."""
    results = []
    for case in CASES:
        done = subprocess.run([sys.executable, __file__, "--case", case], capture_output=True,
                              text=True, timeout=timeout)
        if done.returncode != 0:
            results.append({"case": case, "outcome": "crashed: " + done.stderr.strip()[-300:],
                            "within_budget": False, "before": BEFORE.get(case, "")})
            continue
        results.append(json.loads(done.stdout))
    return results


def table(results: list[dict[str, Any]]) -> str:
    """The Markdown table ``make bench`` prints."""
    lines = [f"| worst-case input | input | CPU | peak RSS | wall | outcome | before | "
             f"≤ {CPU_BUDGET_S:g} s CPU, ≤ {RSS_BUDGET_MB:g} MB |",
             "|---|---:|---:|---:|---:|---|---|---|"]
    for r in results:
        lines.append(
            f"| {r['case']} | {r.get('input_bytes', 0) / 1e6:.2f} MB | {r.get('cpu_s', '—')} s | "
            f"{r.get('peak_rss_mb', '—')} MB | {r.get('wall_s', '—')} s | {r['outcome']} | "
            f"{r['before'] or '—'} | **{'PASS' if r['within_budget'] else 'FAIL'}** |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=CASES, help="run one case in this process")
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(args.case)))
        return 0
    results = run_all()
    print(table(results))
    return 0 if all(r["within_budget"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
