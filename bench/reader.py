"""What the reader gets: first and largest contentful paint, plain vs transformed pages.

Loads two pages in headless Chromium (the system's ``chromium`` driven by Playwright), each as
published (``AMP_TRANSFORM=off``) and transformed (``AMP_TRANSFORM=on``):

* ``reference``: the reference article (``events/articles/met-palantir-extension.json``), text
  and the logo;
* ``hero``: the every-block sample (``river-festival-every-block.json``): a hero image, a
  carousel, an embed.

The reference page is also loaded a third way, as the baseline did: the plain page with its
boilerplate simply deleted (``no-boilerplate``), with the CDN working and slow. It is what a page
paints like when nothing waits for the runtime, on this machine: the baseline measured it at
332 and 316 ms, so it scales this run's figures to the baseline's machine.

Each load runs as a phone on a slow network, the conditions of issue 16's baseline: a 412×915
viewport, 150 ms round trip, 1.6 Mbps down and 750 kbps up (``Network.emulateNetworkConditions``
over the DevTools protocol), the CPU slowed 4× (``Emulation.setCPUThrottlingRate``), no cache.
Pages, images and the AMP runtime come from a server on 127.0.0.1 that sends text gzipped, as a
CDN would. Three CDN conditions:

* ``cdn``: the runtime (built from the AMP project's source, ``amp-runtime/`` of the shared
  reference folder: ``AMP_RUNTIME``, else ``AMP_SHARED/amp-runtime``, else
  ``../shared/amp-runtime``) served on loopback, the page rewritten to load it there (the
  runtime folder's ``rewrite_page.py``): a reader with a working CDN;
* ``slow-cdn``: the same, with ``v0.js`` answered 1.5 s late;
* ``no-cdn``: the page as published, its ``cdn.ampproject.org`` requests failing at once (this
  machine cannot reach the CDN).

FCP is the ``first-contentful-paint`` paint entry, LCP the last ``largest-contentful-paint``
entry once the page is idle (its network quiet, or 20 s); both in ms from navigation start.
Medians of ``--runs`` loads (7 by default), the runs of the variants interleaved so that the
machine's load shifts them alike. Wall-clock browser timings: on a shared machine they move
with its load, so the table also prints the spread (min–max). It also prints the CPU time of
the transformation itself.

Skips (exit 0, with the reason) when Chromium, Playwright or the runtime is missing.

    .venv/bin/python bench/reader.py [--runs 7] [--json bench/reader_results.json]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.server
import importlib.util
import json
import re
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

PAGES = {"reference": "met-palantir-extension.json", "hero": "river-festival-every-block.json"}
CONDITIONS = ("cdn", "slow-cdn", "no-cdn")
#: The issue's baseline (puppeteer-core, same throttling, medians of 7): FCP in ms of the
#: reference page as published, per CDN condition; and the boilerplate-free page.
BASELINE_FCP = {"cdn": 1068, "slow-cdn": 2360, "no-cdn": 8248}
BASELINE_NO_BOILERPLATE_FCP = {"cdn": 332, "slow-cdn": 316}
BASELINE_HERO_LCP = 3800
GOAL_FCP_MS = 400
GOAL_LCP_MS = 2500
SLOW_V0_S = 1.5
NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
           "uploadThroughput": 750_000 / 8}
CPU_SLOWDOWN = 4
VIEWPORT = {"width": 412, "height": 915}

_OBSERVE = """
window.__paints = {fcp: null, lcp: null};
new PerformanceObserver(list => {
  for (const e of list.getEntries())
    if (e.name === 'first-contentful-paint') window.__paints.fcp = e.startTime;
}).observe({type: 'paint', buffered: true});
new PerformanceObserver(list => {
  const all = list.getEntries();
  if (all.length) window.__paints.lcp = all[all.length - 1].startTime;
}).observe({type: 'largest-contentful-paint', buffered: true});
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Files from the runtime's CDN folder, then the site folder; text gzipped; ``v0.js``
    late when the server is the slow CDN."""

    roots: tuple[Path, ...] = ()
    delay_v0 = 0.0
    _gz: dict[Path, bytes] = {}

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        import re
        import urllib.parse

        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        path = re.sub(r"^/rtv/\d+/", "/", path).lstrip("/")
        if path.endswith("/") or not path:
            path += "index.html"
        found = next((root / path for root in self.roots if (root / path).is_file()), None)
        if found is None:
            self.send_error(404)
            return
        if self.delay_v0 and path == "v0.js":
            time.sleep(self.delay_v0)
        body = found.read_bytes()
        ctype = self.guess_type(str(found))
        if found.suffix in (".js", ".mjs"):
            ctype = "text/javascript"
        gzipped = found.suffix in (".html", ".js", ".mjs", ".css", ".json", ".svg")
        if gzipped:
            if found not in self._gz:
                self._gz[found] = gzip.compress(body, 6)
            body = self._gz[found]
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def _server(roots: tuple[Path, ...], delay_v0: float = 0.0):
    handler = type("Handler", (_Handler,), {"roots": roots, "delay_v0": delay_v0, "_gz": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


#: The AMP boilerplate as the theme writes it (the AMP spec's required markup), then its
#: ``<noscript>`` fallback: what the baseline's boilerplate-free page left out.
_BOILERPLATE = re.compile(r"<style amp-boilerplate>.*?</style>\s*"
                          r"<noscript><style amp-boilerplate>.*?</style></noscript>", re.S)
#: Where the boilerplate-free page is measured (the baseline's two conditions).
NO_BOILERPLATE_CONDITIONS = ("cdn", "slow-cdn")


def without_boilerplate(html: str) -> str:
    """The page with its AMP boilerplate deleted (nothing else changed).

    Raises:
        ValueError: the page does not hold the boilerplate exactly once.
    """
    stripped, found = _BOILERPLATE.subn("", html)
    if found != 1:
        raise ValueError(f"expected the AMP boilerplate once, found it {found} times")
    return stripped


def _variants(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``(output, conditions)`` loaded for sample page ``name``."""
    both = (("plain", CONDITIONS), ("transformed", CONDITIONS))
    if name == "reference":
        return (*both, ("no-boilerplate", NO_BOILERPLATE_CONDITIONS))
    return both


def _pages(work: Path) -> dict[str, dict[str, str]]:
    """``{page: {"plain": html, "transformed": html}}`` of the two sample articles, and the
    reference page's ``"no-boilerplate"`` copy."""
    from amp_publisher.core.amp.transform import transform
    from amp_publisher.core.image_sizes import ProbingImageSizeResolver
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    site = SiteConfig.model_validate(json.loads((ROOT / "events/site.json").read_text()))
    out = {}
    for name, file in PAGES.items():
        data = json.loads((ROOT / "events/articles" / file).read_text(encoding="utf-8"))
        html = render(parse_article(data), site,
                      image_sizes=ProbingImageSizeResolver(fetchers=[])).html
        out[name] = {"plain": html, "transformed": transform(html)}
    out["reference"]["no-boilerplate"] = without_boilerplate(out["reference"]["plain"])
    return out


def transform_cpu_ms(rounds: int = 5, number: int = 20) -> dict[str, float]:
    """CPU time (process time, best of ``rounds``) of transforming each sample page, in ms: what
    ``AMP_TRANSFORM=on`` adds to a publish before the gate."""
    from amp_publisher.core.amp.transform import transform

    out = {}
    for name, outputs in _pages(Path(".")).items():
        html = outputs["plain"]
        best = float("inf")
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(number):
                transform(html)
            best = min(best, (time.process_time() - started) / number)
        out[name] = round(best * 1000, 2)
    return out


def _rewriter(runtime: Path):
    spec = importlib.util.spec_from_file_location("rewrite_page", runtime / "rewrite_page.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.rewrite


def _measure(browser, url: str, loopback: str) -> tuple[float, float | None]:
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, is_mobile=True,
                                  has_touch=True)
    try:
        # Nothing off loopback answers (the CDN, embeds): fail such requests at once.
        context.route(lambda u: not u.startswith(loopback), lambda r: r.abort())
        page = context.new_page()
        page.add_init_script(_OBSERVE)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", NETWORK)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(url, wait_until="load", timeout=60_000)
        page.wait_for_function("() => window.__paints.fcp !== null", timeout=30_000)
        with contextlib.suppress(Exception):
            page.wait_for_load_state("networkidle", timeout=20_000)
        page.wait_for_timeout(500)
        paints = page.evaluate("() => window.__paints")
        return float(paints["fcp"]), (float(paints["lcp"]) if paints["lcp"] else None)
    finally:
        context.close()


def run(runs: int, chromium: str, runtime: Path) -> dict:
    """Every (page, output, condition) ``runs`` times, interleaved; returns the medians."""
    import tempfile

    from playwright.sync_api import sync_playwright

    rewrite = _rewriter(runtime)
    cdn_folder = runtime / "cdn"
    samples: dict[tuple[str, str, str], list[tuple[float, float | None]]] = {}
    with tempfile.TemporaryDirectory(prefix="reader-bench-") as tmp:
        work = Path(tmp)
        pages = _pages(work)
        with _server((cdn_folder, work, ROOT / "events"), 0.0) as cdn, \
                _server((cdn_folder, work, ROOT / "events"), SLOW_V0_S) as slow, \
                sync_playwright() as playwright:
            bases = {"cdn": cdn, "slow-cdn": slow, "no-cdn": cdn}
            for name, outputs in pages.items():
                for output, conditions in _variants(name):
                    html = outputs[output]
                    for condition in conditions:
                        page = html if condition == "no-cdn" else rewrite(html, bases[condition])
                        folder = work / condition / output / name
                        folder.mkdir(parents=True)
                        (folder / "index.html").write_text(page, encoding="utf-8")
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            try:
                for i in range(runs):
                    for name in pages:
                        for output, conditions in _variants(name):
                            for condition in conditions:
                                base = bases[condition]
                                url = f"{base}/{condition}/{output}/{name}/index.html"
                                samples.setdefault((name, output, condition), []).append(
                                    _measure(browser, url, base))
                    print(f"run {i + 1}/{runs} done", file=sys.stderr)
            finally:
                browser.close()
    results = {}
    for (name, output, condition), values in samples.items():
        fcps = [v[0] for v in values]
        lcps = [v[1] for v in values if v[1] is not None]
        results[f"{name}/{output}/{condition}"] = {
            "fcp_ms": round(statistics.median(fcps)), "fcp_range": [round(min(fcps)),
                                                                    round(max(fcps))],
            "lcp_ms": round(statistics.median(lcps)) if lcps else None,
            "lcp_range": [round(min(lcps)), round(max(lcps))] if lcps else None,
            "runs": len(values)}
    return results


def at_baseline_speed(results: dict) -> dict[str, float] | None:
    """The transformed reference page's FCP per CDN condition, scaled to the baseline's
    machine: × the baseline's boilerplate-free FCP ÷ this run's (per condition where the
    baseline has one, else the working CDN's factor); ``None`` without those loads."""
    factors = {c: BASELINE_NO_BOILERPLATE_FCP[c] / results[f"reference/no-boilerplate/{c}"]
               ["fcp_ms"] for c in NO_BOILERPLATE_CONDITIONS
               if f"reference/no-boilerplate/{c}" in results}
    if "cdn" not in factors:
        return None
    return {c: round(results[f"reference/transformed/{c}"]["fcp_ms"] *
                     factors.get(c, factors["cdn"])) for c in CONDITIONS}


def table(results: dict) -> str:
    """The Markdown table: medians beside the issue's baseline and goals."""
    lines = ["| page | CDN | FCP plain | FCP transformed | FCP without boilerplate | LCP plain | "
             "LCP transformed | baseline (issue 16) |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for name in PAGES:
        for condition in CONDITIONS:
            plain = results[f"{name}/plain/{condition}"]
            tr = results[f"{name}/transformed/{condition}"]
            if name == "reference":
                base = f"FCP {BASELINE_FCP[condition]:,} ms as published"
                if condition in BASELINE_NO_BOILERPLATE_FCP:
                    base += f", {BASELINE_NO_BOILERPLATE_FCP[condition]} ms without boilerplate"
            else:
                base = f"LCP {BASELINE_HERO_LCP:,} ms (a hero page, boilerplate or not)"

            def ms(entry: dict, key: str) -> str:
                value, spread = entry[f"{key}_ms"], entry[f"{key}_range"]
                return "–" if value is None else f"{value:,} ({spread[0]:,}–{spread[1]:,})"

            bare = results.get(f"{name}/no-boilerplate/{condition}")
            lines.append(f"| {name} | {condition} | {ms(plain, 'fcp')} | {ms(tr, 'fcp')} | "
                         f"{ms(bare, 'fcp') if bare else '–'} | {ms(plain, 'lcp')} | "
                         f"{ms(tr, 'lcp')} | {base} |")
    lines.append(f"\nGoals: FCP ≤ {GOAL_FCP_MS} ms whatever the CDN does; LCP ≤ {GOAL_LCP_MS:,} "
                 "ms for the hero page. Medians in ms, (min–max) of the runs.")
    scaled = at_baseline_speed(results)
    if scaled:
        worst = max(scaled.values())
        lines.append(
            "\nThe transformed reference page's FCP at the baseline's speed (× the baseline's "
            "boilerplate-free FCP ÷ this run's, per CDN condition: " +
            ", ".join(f"{c} {BASELINE_NO_BOILERPLATE_FCP[c]}" for c in NO_BOILERPLATE_CONDITIONS)
            + "; unreachable CDN: the working CDN's factor): " +
            ", ".join(f"{c} {v:,} ms" for c, v in scaled.items()) +
            f"; goal ≤ {GOAL_FCP_MS} ms " + ("met." if worst <= GOAL_FCP_MS else "not met."))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    from screenshots import chromium_path, runtime_folder

    chromium, runtime = chromium_path(), runtime_folder()
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("reader benchmark skipped: Playwright is not installed (pip install -e "
              "'.[screenshots]')")
        return 0
    if chromium is None or runtime is None:
        print("reader benchmark skipped: " + ("no Chromium found (apt-get install chromium, or "
              "set CHROMIUM)" if chromium is None else "the AMP runtime built from source was "
              "not found (set AMP_RUNTIME or AMP_SHARED)"))
        return 0
    cpu = transform_cpu_ms()
    started = time.monotonic()
    results = run(args.runs, chromium, runtime)
    print(table(results))
    results["transform_cpu_ms"] = cpu
    results["transformed_fcp_at_baseline_speed_ms"] = at_baseline_speed(results)
    print("\nTransforming a page (CPU, best of 5 × 20): " +
          ", ".join(f"{name} {ms} ms" for name, ms in cpu.items()))
    variants = sum(len(conditions) for name in PAGES for _, conditions in _variants(name))
    print(f"\n{args.runs} run(s) of each of {variants} variants in "
          f"{time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
