"""No horizontal overflow on a phone (issue 14 item 3): every corpus page, rendered, is laid out
in Chromium at 320 px and 412 px wide, and ``document.documentElement.scrollWidth`` must not
exceed the viewport.

Chromium is driven with Playwright (its Python package ships the driver; the browser is the
system's ``chromium``, found on PATH or at ``CHROMIUM``). The AMP runtime comes from the shared
reference folder (``../shared/amp-runtime/cdn`` beside the repository, ``AMP_SHARED`` overrides),
served to the page by request interception: offline, without it, no AMP component is laid out.
Other network requests (images, embeds) are answered with an empty 404 so nothing leaves the
machine. Skipped with a message saying what is missing when any of the three is absent.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "tests/corpus/raw"
SHARED = Path(os.environ.get("AMP_SHARED", ROOT.parent / "shared"))
RUNTIME = SHARED / "amp-runtime" / "cdn"
VIEWPORTS = (320, 412)
PAGE_ORIGIN = "https://site.test"


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser") or shutil.which("google-chrome")


def _cases():
    from amp_publisher.core.adapters import articles_from_document
    from amp_publisher.core.errors import ArticleError
    from amp_publisher.core.models import parse_article

    cases = []
    for path in sorted((RAW / "messy-html").glob("*.html")):
        cases.append(pytest.param(path.name, {
            "headline": f"Corpus page {path.stem}",
            "slug": re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-"),
            "published": "2026-06-25T09:00:00Z",
            "body_html": path.read_text(encoding="utf-8")}, id=path.stem))
    for kind in ("wordpress", "ghost", "other-cms"):
        for path in sorted((RAW / kind).glob("*.json")):
            try:
                articles = list(articles_from_document(json.loads(path.read_text("utf-8"))))
            except Exception:  # a shape no adapter reads yet: not a page to measure
                continue
            for article in articles:
                try:
                    parse_article(article)
                except ArticleError:  # refused with a typed error: no page to lay out
                    continue
                cases.append(pytest.param(path.name, article,
                                          id=f"{path.stem}:{article.get('slug')}"))
    return cases


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        pytest.skip("Chromium not found (install the Debian package 'chromium' or set CHROMIUM):"
                    " the no-horizontal-overflow check did not run")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]'): the "
                    "no-horizontal-overflow check did not run")
    if not (RUNTIME / "v0.js").is_file():
        pytest.skip(f"AMP runtime not found at {RUNTIME} (set AMP_SHARED to the shared reference "
                    "folder): the no-horizontal-overflow check did not run")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable,
                                              args=["--no-sandbox", "--disable-gpu"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def site():
    from amp_publisher.core.site import SiteConfig

    return SiteConfig.model_validate(
        json.loads((ROOT / "events/site.json").read_text(encoding="utf-8")))


def _serve(route, page_html: str) -> None:
    url = route.request.url
    if url.startswith(PAGE_ORIGIN + "/"):
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page_html)
        return
    if url.startswith("https://cdn.ampproject.org/"):
        path = url.split("?", 1)[0][len("https://cdn.ampproject.org/"):]
        path = re.sub(r"^(?:rtv/\d+/|lts/)", "", path)
        file = (RUNTIME / path).resolve()
        if file.is_file() and RUNTIME.resolve() in file.parents:
            kind = mimetypes.guess_type(file.name)[0] or "application/javascript"
            route.fulfill(status=200, content_type=kind, body=file.read_bytes(),
                          headers={"Access-Control-Allow-Origin": "*"})
            return
    route.fulfill(status=404, body="")


def _scroll_width(browser, page_html: str, width: int) -> tuple[int, str]:
    context = browser.new_context(viewport={"width": width, "height": 800},
                                  java_script_enabled=True)
    try:
        page = context.new_page()
        page.route("**/*", lambda route: _serve(route, page_html))
        page.goto(PAGE_ORIGIN + "/article.html", wait_until="load")
        # the runtime lifts the boilerplate when it has laid the page out
        page.wait_for_function("document.documentElement.classList.contains('i-amphtml-"
                               "singledoc') || document.body.classList.contains('i-amphtml-"
                               "singledoc')", timeout=10_000)
        page.wait_for_timeout(300)  # components laid out after the first frame
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        widest = page.evaluate("""(vw) => {
            let worst = null, right = vw;
            for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.right > right + 0.5) { right = r.right; worst = el; }
            }
            return worst ? worst.outerHTML.slice(0, 200) : '';
        }""", width)
        return scroll_width, widest
    finally:
        context.close()


@pytest.mark.slow
@pytest.mark.parametrize(("file_name", "data"), _cases())
def test_no_horizontal_overflow_at_320_and_412_px(file_name, data, browser, site):
    from amp_publisher.core.errors import ArticleError
    from amp_publisher.core.image_sizes import ProbingImageSizeResolver
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    article = parse_article(data)
    try:
        page = render(article, site, source_key=f"articles/{file_name}",
                      image_sizes=ProbingImageSizeResolver(fetchers=[]))
    except ArticleError:
        pytest.skip(f"{file_name}: the article is refused with a typed error (nothing to lay out)")
    for width in VIEWPORTS:
        scroll_width, widest = _scroll_width(browser, page.html, width)
        assert scroll_width <= width, (
            f"{file_name}: {scroll_width} px wide at a {width} px viewport; widest: {widest}")


OFFICIAL = SHARED / "amp-validator-official" / "amp-official-validate"


@pytest.mark.slow
def test_every_corpus_page_passes_the_official_validator(site, tmp_path):
    """The same pages, every one, through the AMP project's own validator engine (with its
    head rules), in one run; skipped when the shared reference folder is absent."""
    import subprocess

    from amp_publisher.core.errors import ArticleError
    from amp_publisher.core.image_sizes import ProbingImageSizeResolver
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    if not OFFICIAL.is_file():
        pytest.skip(f"official validator not found at {OFFICIAL} (set AMP_SHARED to the shared "
                    "reference folder)")
    files = []
    for case in _cases():
        file_name, data = case.values
        try:
            page = render(parse_article(data), site, source_key=f"articles/{file_name}",
                          image_sizes=ProbingImageSizeResolver(fetchers=[]))
        except ArticleError:
            continue
        path = tmp_path / f"{len(files):03d}-{case.id.replace(':', '-').replace('/', '-')}.html"
        path.write_text(page.html, encoding="utf-8")
        files.append(str(path))
    assert len(files) > 40
    done = subprocess.run([str(OFFICIAL), "--head-rules", *files], capture_output=True,
                          text=True, timeout=600)
    failing = [line for line in done.stdout.splitlines() if not line.endswith(": PASS")]
    assert done.returncode == 0, "\n".join(failing[:30]) + done.stderr[-500:]
