"""Warm AMP validation time of the reference page and of a ~200 KB page (issue 3's budgets).

Until ``make bench`` covers the validator, run::

    python tools/bench_validator.py            # renders events/articles/met-palantir-extension.json
    python tools/bench_validator.py page.html  # or times the given files
    python tools/bench_validator.py --hostile  # deep nesting and huge tags (cost must stay linear)

Prints the median and best of N warm runs in ms (the first, cold run loads the rules, html5lib
and tinycss2 and is reported separately). Targets: reference page <= 5 ms warm.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "events" / "articles" / "met-palantir-extension.json"
SITE = ROOT / "events" / "site.json"


def reference_page() -> str:
    """Render the reference article with the reference site (the same path as amp-render)."""
    from amp_publisher.core.adapters import articles_from_document
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig
    from amp_publisher.core.source import decode_json

    site = SiteConfig.from_env()
    if SITE.exists():
        site = site.merged(json.loads(SITE.read_text(encoding="utf-8")))
    key = f"articles/{REFERENCE.name}"
    docs = articles_from_document(decode_json(REFERENCE.read_bytes(), key=key), source_key=key)
    return render(parse_article(docs[0]), site, source_key=key).html


def grow(html: str, target_bytes: int = 200_000) -> str:
    """The page with its body content repeated until it is about ``target_bytes`` long."""
    start = html.index(">", html.index("<body")) + 1
    end = html.rindex("</body>")
    body = html[start:end]
    copies = max(1, (target_bytes - len(html.encode())) // max(1, len(body.encode())) + 1)
    return html[:end] + body * copies + html[end:]


def hostile_pages(html: str) -> list[tuple[str, str]]:
    """The reference page with hostile-but-plausible bodies: deep nesting (each tag's ancestor
    checks must not walk the open-element stack) and one tag with 20,000 attributes."""
    body = html.index(">", html.index("<body")) + 1

    def inject(fragment: str) -> str:
        return html[:body] + fragment + html[body:]

    attrs = " ".join(f"data-a{i}=1" for i in range(20_000))
    return [
        ("16,000 nested <div> (valid)", inject("<div>" * 16_000 + "x" + "</div>" * 16_000)),
        ("100,000 nested <div> (valid)", inject("<div>" * 100_000 + "x" + "</div>" * 100_000)),
        ("100,000 unclosed <span>", inject("<span>" * 100_000)),
        ("50,000 nested <svg><g>", inject("<svg>" + "<g>" * 50_000 + "</svg>")),
        ("<p> with 20,000 attributes", inject(f"<p {attrs}>x</p>")),
        ("<p> with 40,000 attributes", inject(
            "<p " + " ".join(f"data-a{i}=1" for i in range(40_000)) + ">x</p>")),
    ]


def time_ms(html: str, runs: int) -> tuple[float, float, float, str]:
    """(cold ms, median warm ms, best warm ms, status) for validating ``html``."""
    from amp_publisher.core.amp.validator import validate

    t0 = time.perf_counter()
    status = validate(html).status
    cold = (time.perf_counter() - t0) * 1000
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        validate(html)
        samples.append((time.perf_counter() - t0) * 1000)
    return cold, statistics.median(samples), min(samples), status


def main(argv: list[str] | None = None) -> int:
    """Print one line per page: bytes, status, cold ms, warm median/best ms."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--hostile", action="store_true",
                        help="time deep nesting / huge tags instead (3 warm runs each)")
    args = parser.parse_args(argv)
    pages = [(str(p), p.read_text(encoding="utf-8")) for p in args.files]
    if args.hostile:
        pages = hostile_pages(reference_page())
        args.runs = min(args.runs, 3)
    elif not pages:
        ref = reference_page()
        pages = [("reference page", ref), ("reference page grown to ~200 KB", grow(ref))]
    for name, html in pages:
        cold, median, best, status = time_ms(html, args.runs)
        print(f"{name}: {len(html.encode()):,} bytes, {status}, first run {cold:.1f} ms, "
              f"warm median {median:.2f} ms (best {best:.2f} ms, {args.runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
