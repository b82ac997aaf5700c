"""``make screenshots``: the demo pages in a real browser, as a reader sees them.

Loads every page of the mirrored demo site (``build/site/``, from ``make demo``) in headless
Chromium (Playwright for Python driving the system's ``chromium``) at 412 px (a phone) and
1280 px (a laptop), and the phone once more in dark mode (``prefers-color-scheme: dark``),
takes a full-page screenshot of each, and checks what a reader would notice:

* no horizontal overflow (the page is no wider than the window);
* the logo and the headline are visible (laid out with a size, the logo's picture loaded);
* every image of the page loaded: each ``amp-img`` has a picture whose natural width is above 0,
  or shows its fallback.

AMP pages load their runtime from the AMP CDN, which a test machine may not reach. When the AMP
runtime built from source is available (``amp-runtime/`` of the shared reference folder: the
``AMP_RUNTIME`` variable, else ``AMP_SHARED/amp-runtime``, else ``../shared/amp-runtime`` beside
the repository), a copy of each page pointed at it is served on 127.0.0.1 with the runtime's own
``serve.py`` and ``rewrite_page.py``, so ``amp-img``, carousels and the boilerplate are handled by
the real runtime. Without it the script says so, lifts the boilerplate with a stylesheet and
draws each ``amp-img`` as a plain ``<img>`` stand-in (what the runtime would insert), so the
layout, the logo and the pictures still show and are checked; carousels then show their slides
one under the other.

Exit status: 0 when every check passed, 1 when one failed (each failure printed), 2 when the
browser or the site is missing.

    .venv/bin/python tools/screenshots.py [--site build/site] [--out build/screenshots]
                                          [--docs docs/screenshots]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (412, 1280)
#: The windows: each width in the light scheme, and the phone once more in dark mode.
VIEWS = ((412, "light"), (1280, "light"), (412, "dark"))
#: The phone's height and the laptop's (Chrome DevTools' "Galaxy S20 Ultra"-like and a laptop).
HEIGHTS = {412: 915, 1280: 800}
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: The boilerplate hides the body for up to 8 s until the runtime starts; without a runtime this
#: is what the ``<noscript>`` variant does.
LIFT_BOILERPLATE = "body{-webkit-animation:none;animation:none;visibility:visible}"


@dataclass
class Shot:
    """One page at one width: the screenshot and the checks' failures (empty = all passed)."""

    page: str
    width: int
    path: Path
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    images: int = 0


def runtime_folder() -> Path | None:
    """The AMP runtime built from source, or ``None`` (see the module docstring)."""
    candidates = []
    if os.environ.get("AMP_RUNTIME"):
        candidates.append(Path(os.environ["AMP_RUNTIME"]))
    if os.environ.get("AMP_SHARED"):
        candidates.append(Path(os.environ["AMP_SHARED"]) / "amp-runtime")
    candidates.append(ROOT.parent / "shared" / "amp-runtime")
    for folder in candidates:
        if (folder / "serve.py").is_file() and (folder / "cdn" / "v0.js").is_file():
            return folder
    return None


def chromium_path() -> str | None:
    """The system Chromium (``CHROMIUM`` overrides), or ``None``."""
    for candidate in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def serve_site(site: Path, work: Path, runtime: Path | None) -> Iterator[str]:
    """Serve a copy of ``site`` on 127.0.0.1; yields the base URL. With ``runtime``, the pages
    are rewritten to load it and the runtime's server serves pages and runtime alike."""
    copy = work / "site"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    if runtime is None:
        import threading

        from amp_publisher.local.preview import make_server

        server = make_server(copy, port)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield base
        finally:
            server.shutdown()
            server.server_close()
        return
    for page in copy.rglob("index.html"):
        subprocess.run([sys.executable, str(runtime / "rewrite_page.py"), str(page), str(page),
                        base], check=True)
    process = subprocess.Popen([sys.executable, str(runtime / "serve.py"), str(port),
                                "--bind", "127.0.0.1", "--extra-root", str(copy)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(f"{base}/v0.js")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


# Scrolls through the page so the runtime lays out every element (it loads images near the
# viewport only), then back to the top.
_SCROLL = """async () => {
  const step = Math.max(200, window.innerHeight / 2);
  for (let y = 0; y <= document.documentElement.scrollHeight; y += step) {
    window.scrollTo(0, y);
    await new Promise(r => setTimeout(r, 120));
  }
  window.scrollTo(0, 0);
}"""

# Per amp-img: loaded (its <img> has a natural width), or its fallback is shown.
_IMAGES = """() => Array.from(document.querySelectorAll('amp-img')).map(el => {
  const img = el.querySelector('img');
  const fallback = el.querySelector('[fallback]');
  return {src: el.getAttribute('src'), natural: img ? img.naturalWidth : 0,
          complete: img ? img.complete : false,
          fallback: !!fallback && fallback.getBoundingClientRect().width > 0 &&
                    getComputedStyle(fallback).display !== 'none'};
})"""

_VISIBLE = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return {width: box.width, height: box.height, top: box.top + window.scrollY,
          shown: style.visibility !== 'hidden' && style.display !== 'none' &&
                 Number(style.opacity) > 0};
}"""


# Without the runtime: an <img> inside each amp-img, sized as the runtime sizes it (full width
# of its box, the box no wider than its width attribute for layout=intrinsic).
_STAND_INS = """() => {
  for (const el of document.querySelectorAll('amp-img')) {
    if (el.querySelector('img')) continue;
    const img = document.createElement('img');
    img.src = el.getAttribute('src');
    img.alt = el.getAttribute('alt') || '';
    img.style.cssText = 'display:block;width:100%;height:auto';
    el.style.display = 'block';
    if (el.getAttribute('layout') === 'intrinsic' && el.getAttribute('width'))
      el.style.maxWidth = 'min(100%, ' + el.getAttribute('width') + 'px)';
    el.appendChild(img);
  }
}"""


def check_page(page, url: str, shot: Shot, *, runtime: bool, settle_ms: int = 15000) -> None:
    """Load ``url`` in ``page`` (a Playwright page), screenshot it, record failures."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url, wait_until="load")
    if not runtime:
        page.add_style_tag(content=LIFT_BOILERPLATE)
        page.evaluate(_STAND_INS)
    else:
        page.wait_for_function("() => document.documentElement.classList.contains("
                               "'i-amphtml-singledoc') || !!document.querySelector("
                               "'.i-amphtml-element')", timeout=settle_ms)
    page.evaluate(_SCROLL)
    images = page.evaluate(_IMAGES)
    shot.images = len(images)
    # On a time-out the check below names the images that did not load.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            f"() => ({_IMAGES})().every(i => (i.complete && i.natural > 0) || i.fallback)",
            timeout=settle_ms)
    images = page.evaluate(_IMAGES)
    for image in images:
        if not (image["natural"] > 0 or image["fallback"]):
            shot.failures.append(f"image not loaded and no fallback shown: {image['src']}")
    if images and not runtime:
        shot.notes.append(f"{len(images)} image(s) drawn as <img> stand-ins: no AMP runtime")
    page.wait_for_timeout(300)
    # A phone browser zooms out to fit a page wider than its screen (innerWidth grows with it),
    # so the page's width is compared with the window's own width.
    wide = page.evaluate("() => Math.max(document.documentElement.scrollWidth, "
                         "window.innerWidth)")
    if wide > shot.width:
        shot.failures.append(f"horizontal overflow: the page is {wide} px wide in a "
                             f"{shot.width} px window")
    headline = page.evaluate(_VISIBLE, "h1")
    if not headline or not headline["shown"] or headline["height"] <= 0:
        shot.failures.append("headline not visible")
    logo = page.evaluate(_VISIBLE, ".site-header .logo")
    if logo is None:
        shot.notes.append("no logo configured")
    elif not logo["shown"] or logo["width"] <= 0 or logo["height"] <= 0:
        shot.failures.append("logo not visible")
    elif not page.evaluate(
            "() => (document.querySelector('.site-header .logo img') || {}).naturalWidth > 0"):
        shot.failures.append("logo picture not loaded")
    page.screenshot(path=str(shot.path), full_page=True)


_DISCOVER = object()


def _site_origin() -> str:
    """The demo site's own origin (``base_url`` of events/site.json), or "" when unknown."""
    import json
    import urllib.parse

    try:
        base = json.loads((ROOT / "events" / "site.json").read_text(encoding="utf-8"))["base_url"]
    except (OSError, ValueError, KeyError):
        return ""
    parts = urllib.parse.urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _from_site_folder(route, site: Path) -> None:
    """Fulfil a request for the site's own domain with the file of the same path in ``site``;
    abort it when there is none (a missing image then shows as one)."""
    import urllib.parse

    path = urllib.parse.unquote(urllib.parse.urlsplit(route.request.url).path).lstrip("/")
    local = (site / path).resolve()
    if local.is_file() and site.resolve() in local.parents:
        route.fulfill(path=str(local))
    else:
        route.abort()


def run(site: Path, out: Path, docs: Path | None, chromium: str,
        runtime: Path | None | object = _DISCOVER, settle_ms: int = 15000) -> list[Shot]:
    """Screenshot and check every page of ``site`` in each view; returns the shots.

    ``runtime``: the AMP runtime folder, ``None`` for none; by default :func:`runtime_folder`.
    ``settle_ms``: how long a page may take to start the runtime and load its images.
    """
    from playwright.sync_api import sync_playwright

    if runtime is _DISCOVER:
        runtime = runtime_folder()
    if runtime is None:
        print("AMP runtime built from source not found (set AMP_RUNTIME or AMP_SHARED): lifting "
              "the boilerplate instead, with <img> stand-ins for amp-img")
    else:
        print(f"AMP runtime: {runtime} (served on 127.0.0.1)")
    pages = sorted(p.parent.relative_to(site).as_posix() for p in site.rglob("index.html"))
    origin = _site_origin()
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Shot] = []
    with serve_site(site, out, runtime) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            for width, scheme in VIEWS:
                context = browser.new_context(
                    viewport={"width": width, "height": HEIGHTS[width]}, color_scheme=scheme,
                    device_scale_factor=1, is_mobile=width < 600, has_touch=width < 600)
                suffix = f"{width}" if scheme == "light" else f"{width}-{scheme}"
                # Offline, nothing outside loopback answers: fail such requests at once
                # instead of waiting for them (embeds show their placeholder, as documented).
                context.route(lambda url: not url.startswith(base), lambda r: r.abort())
                # Index pages name hero images by the site's own absolute URL (its base_url):
                # answer those from the site folder, as the site's domain would.
                if origin:
                    context.route(lambda url: url.startswith(origin + "/"),
                                  lambda r: _from_site_folder(r, site))
                page = context.new_page()
                for name in pages:
                    label = "home" if name == "." else name.replace("/", "_")
                    shot = Shot(name, width, out / f"{label}-{suffix}.png")
                    # The file itself, not the folder: the AMP runtime's loopback server answers
                    # "/" with a listing of its own, not with the site's home page.
                    path = "index.html" if name == "." else f"{name}/index.html"
                    check_page(page, f"{base}/{path}", shot,
                               runtime=runtime is not None, settle_ms=settle_ms)
                    shots.append(shot)
                context.close()
        finally:
            browser.close()
    for shot in shots:
        status = "PASS" if not shot.failures else "FAIL"
        print(f"{status} {shot.page} @ {shot.width}px: {shot.path.name} "
              f"({shot.images} image(s))")
        for failure in shot.failures:
            print(f"  - {failure}")
        for note in shot.notes:
            print(f"  note: {note}")
    if docs is not None:
        docs.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copyfile(shot.path, docs / shot.path.name)
        print(f"copied {len(shots)} screenshot(s) into {docs}/")
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "screenshots")
    parser.add_argument("--docs", type=Path, help="also copy the screenshots here")
    args = parser.parse_args(argv)
    if not any(args.site.rglob("index.html")):
        print(f"no pages in {args.site}/: run 'make demo' first", file=sys.stderr)
        return 2
    chromium = chromium_path()
    if chromium is None:
        print("no Chromium found (apt-get install chromium, or set CHROMIUM)", file=sys.stderr)
        return 2
    shots = run(args.site, args.out, args.docs, chromium)
    failed = sum(bool(shot.failures) for shot in shots)
    print(f"screenshots: {len(shots) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
