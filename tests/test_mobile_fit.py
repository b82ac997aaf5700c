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

import functools
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


@functools.cache
def _runtime_file(path: str) -> bytes | None:
    """A file of the AMP runtime, read once per run (every page loads the same few)."""
    file = (RUNTIME / path).resolve()
    if file.is_file() and RUNTIME.resolve() in file.parents:
        return file.read_bytes()
    return None


def _serve(route, page_html: str) -> None:
    url = route.request.url
    if url.startswith(PAGE_ORIGIN + "/"):
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page_html)
        return
    if url.startswith("https://cdn.ampproject.org/"):
        path = url.split("?", 1)[0][len("https://cdn.ampproject.org/"):]
        path = re.sub(r"^(?:rtv/\d+/|lts/)", "", path)
        body = _runtime_file(path)
        if body is not None:
            kind = mimetypes.guess_type(path)[0] or "application/javascript"
            route.fulfill(status=200, content_type=kind, body=body,
                          headers={"Access-Control-Allow-Origin": "*"})
            return
    route.fulfill(status=404, body="")


class Viewports:
    """One browser tab per viewport width, kept for the whole module: each page under test is
    loaded afresh (a new document at a new URL) in every tab at once, so the widths lay it out
    side by side instead of one after the other, and no context is created per page.

    ``scroll_widths(page_html)`` returns ``{width: (scrollWidth in px, the outerHTML (first 200
    characters) of the element reaching furthest right, or "")}``.
    """

    #: Components laid out after the first frame (ms).
    SETTLE_MS = 300

    def __init__(self, browser) -> None:
        self.page_html = ""
        self.loads = 0
        self.tabs = {}
        for width in VIEWPORTS:
            context = browser.new_context(viewport={"width": width, "height": 800},
                                          java_script_enabled=True)
            tab = context.new_page()
            tab.route("**/*", lambda route: _serve(route, self.page_html))
            self.tabs[width] = tab

    def scroll_widths(self, page_html: str) -> dict[int, tuple[int, str]]:
        self.page_html = page_html
        self.loads += 1
        url = f"{PAGE_ORIGIN}/{self.loads}/article.html"
        for tab in self.tabs.values():
            tab.goto(url, wait_until="commit")
        for tab in self.tabs.values():
            tab.wait_for_load_state("load")
            # the runtime lifts the boilerplate when it has laid the page out
            tab.wait_for_function("document.documentElement.classList.contains('i-amphtml-"
                                  "singledoc') || document.body.classList.contains('i-amphtml-"
                                  "singledoc')", timeout=10_000)
        next(iter(self.tabs.values())).wait_for_timeout(self.SETTLE_MS)
        widths = {}
        for width, tab in self.tabs.items():
            widest = tab.evaluate("""(vw) => {
                let worst = null, right = vw;
                for (const el of document.body.querySelectorAll('*')) {
                    const r = el.getBoundingClientRect();
                    if (r.right > right + 0.5) { right = r.right; worst = el; }
                }
                return worst ? worst.outerHTML.slice(0, 200) : '';
            }""", width)
            widths[width] = (tab.evaluate("document.documentElement.scrollWidth"), widest)
        return widths


@pytest.fixture(scope="module")
def viewports(browser):
    return Viewports(browser)


_PAGES: dict[str, str | None] = {}


def _page_html(file_name: str, data: dict, site) -> str | None:
    """The rendered page of a corpus case, or None when the article is refused with a typed
    error; rendered once per test process (both tests below lay out or validate the same
    pages)."""
    from amp_publisher.core.errors import ArticleError
    from amp_publisher.core.image_sizes import ProbingImageSizeResolver
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    key = json.dumps([file_name, data], sort_keys=True)
    if key not in _PAGES:
        try:
            _PAGES[key] = render(parse_article(data), site, source_key=f"articles/{file_name}",
                                 image_sizes=ProbingImageSizeResolver(fetchers=[])).html
        except ArticleError:
            _PAGES[key] = None
    return _PAGES[key]


@pytest.mark.slow
@pytest.mark.parametrize(("file_name", "data"), _cases())
def test_no_horizontal_overflow_at_320_and_412_px(file_name, data, viewports, site):
    page_html = _page_html(file_name, data, site)
    if page_html is None:
        pytest.skip(f"{file_name}: the article is refused with a typed error (nothing to lay out)")
    for width, (scroll_width, widest) in viewports.scroll_widths(page_html).items():
        assert scroll_width <= width, (
            f"{file_name}: {scroll_width} px wide at a {width} px viewport; widest: {widest}")


@pytest.mark.slow
def test_the_layout_check_sees_a_page_wider_than_the_viewport(viewports, site):
    """The measurement itself: the reference article with one rule added to its stylesheet that
    makes the body 600 px wide is reported 600 px wide at both widths."""
    from amp_publisher.core.image_sizes import ProbingImageSizeResolver
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    article = parse_article(json.loads(
        (ROOT / "events/articles/met-palantir-extension.json").read_text(encoding="utf-8")))
    page_html = render(article, site, source_key="articles/met-palantir-extension.json",
                       image_sizes=ProbingImageSizeResolver(fetchers=[])).html
    assert "<style amp-custom>" in page_html
    wide = page_html.replace("<style amp-custom>", "<style amp-custom>body{min-width:600px}", 1)
    measured = viewports.scroll_widths(wide)
    assert {width: scroll_width for width, (scroll_width, _) in measured.items()} == \
        {320: 600, 412: 600}


OFFICIAL = SHARED / "amp-validator-official" / "amp-official-validate"


@pytest.mark.slow
def test_every_corpus_page_passes_the_official_validator(site, tmp_path):
    """The same pages, every one, through the AMP project's own validator engine (with its
    head rules), in one run; skipped when the shared reference folder is absent."""
    import subprocess

    if not OFFICIAL.is_file():
        pytest.skip(f"official validator not found at {OFFICIAL} (set AMP_SHARED to the shared "
                    "reference folder)")
    files = []
    for case in _cases():
        file_name, data = case.values
        page_html = _page_html(file_name, data, site)
        if page_html is None:
            continue
        path = tmp_path / f"{len(files):03d}-{case.id.replace(':', '-').replace('/', '-')}.html"
        path.write_text(page_html, encoding="utf-8")
        files.append(str(path))
    assert len(files) > 40
    done = subprocess.run([str(OFFICIAL), "--head-rules", *files], capture_output=True,
                          text=True, timeout=600)
    failing = [line for line in done.stdout.splitlines() if not line.endswith(": PASS")]
    assert done.returncode == 0, "\n".join(failing[:30]) + done.stderr[-500:]
