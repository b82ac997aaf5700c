"""Differential test: our validator against the AMP project's own validator engine.

The official engine (``amp-official-validate --head-rules``: the official JavaScript engine
built with the same rule files as ``third_party/amp-spec``) is the oracle. Both validate:

* every official test pair (311);
* every corpus page and the reference article, as the converter and theme render them;
* documents Hypothesis derives from the valid reference page by mutating attributes, URLs,
  srcsets, CSS, layouts and nesting;
* pages the converter makes from Hypothesis-generated bodies.

A verdict disagreement fails unless the pair is listed with a reason in docs/conformance.md;
every page the converter produces must pass the official engine too.

The oracle is not part of the project (it needs node and the built engine). It is found in the
directory named by ``AMP_OFFICIAL_VALIDATOR``, else ``../shared/amp-validator-official`` next to
the repository; without it, or without ``node``, these tests skip and say why. Documents go to
the oracle in batches (one node process per batch), so the whole module takes seconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amp_publisher.core.amp.validator import validate
from conftest import CORPUS, REFERENCE, REPO, load_tool

CONFORMANCE = load_tool("conformance")
TESTDATA = CONFORMANCE.DEFAULT_TESTDATA
DOC = REPO / "docs" / "conformance.md"


def _oracle_dir() -> Path:
    """``AMP_OFFICIAL_VALIDATOR``, else ``amp-validator-official`` in the shared reference folder
    (``AMP_SHARED``, as the README and the other tests name it, else ``../shared``)."""
    env = os.environ.get("AMP_OFFICIAL_VALIDATOR")
    shared = Path(os.environ.get("AMP_SHARED", REPO.parent / "shared"))
    return Path(env) if env else shared / "amp-validator-official"


def _skip_reason() -> str | None:
    script = _oracle_dir() / "amp-official-validate"
    if not script.is_file():
        return (f"official AMP validator not found at {script} "
                "(set AMP_SHARED to the shared reference folder)")
    if shutil.which("node") is None:
        return "node is not installed: the official AMP validator needs it"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))


def official(docs: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Official verdicts (``"PASS"``/``"FAIL"``) of ``{name: html}``, one node run for all."""
    paths = {}
    for i, (name, html) in enumerate(docs.items()):
        path = tmp_path / f"doc{i}.html"
        path.write_text(html, encoding="utf-8")
        paths[str(path)] = name
    out = subprocess.run(
        [str(_oracle_dir() / "amp-official-validate"), "--head-rules", "--json", *paths],
        capture_output=True, text=True, timeout=300, check=False)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"official validator failed ({out.returncode}): {out.stderr[:500]}")
    results = json.loads(out.stdout)
    return {paths[p]: r["status"] for p, r in results.items()}


def known_disagreements() -> dict[str, str]:
    """Pairs and documents whose verdicts may differ, with the reason given in
    docs/conformance.md (the conformance mismatch table and the oracle's own table)."""
    return CONFORMANCE.known_mismatches(DOC)


def _disagreements(docs: dict[str, str], tmp_path: Path) -> list[str]:
    theirs = official(docs, tmp_path)
    known = known_disagreements()
    out = []
    for name, html in docs.items():
        ours = validate(html)
        if ours.status != theirs[name] and name not in known:
            errors = [f"{e.line}:{e.col} {e.message}" for e in ours.errors
                      if e.severity == "ERROR"][:3]
            out.append(f"{name}: official {theirs[name]}, ours {ours.status} {errors}")
    return out


def test_official_pairs_agree_with_the_official_engine(tmp_path):
    docs = {str(p.relative_to(TESTDATA).with_suffix("")): p.read_text(encoding="utf-8")
            for p in CONFORMANCE.find_pairs(TESTDATA)}
    assert len(docs) == 311
    assert _disagreements(docs, tmp_path) == []


# ---------------------------------------------------------------------------------- rendered pages


@pytest.fixture(scope="module")
def render_body():
    """``render_body(body_html, slug) -> page html`` with the reference site and theme."""
    from amp_publisher.core.image_sizes import ProbingImageSizeResolver
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    site = SiteConfig.model_validate(
        json.loads((REPO / "events/site.json").read_text(encoding="utf-8")))
    sizes = ProbingImageSizeResolver(fetchers=[])

    def run(data: dict) -> str:
        article = parse_article(data)
        return render(article, site, source_key=f"articles/{article.slug}.json",
                      image_sizes=sizes).html

    return run


def _corpus_articles() -> dict[str, dict]:
    from amp_publisher.core.adapters import articles_from_document

    articles = {"reference": json.loads(REFERENCE.read_text(encoding="utf-8"))}
    for path in sorted((CORPUS / "messy-html").glob("*.html")):
        articles[f"messy-html/{path.stem}"] = {
            "headline": f"Corpus page {path.stem}",
            "slug": re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-"),
            "published": "2026-06-25T09:00:00Z", "body_html": path.read_text(encoding="utf-8")}
    for folder in ("wordpress", "ghost"):
        for path in sorted((CORPUS / folder).glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            for article in articles_from_document(doc):
                if (article.get("body_html") or "").strip() not in ("", "<p></p>"):
                    articles[f"{folder}/{path.stem}:{article['slug']}"] = article
    return articles


def test_every_corpus_page_is_valid_for_both_engines(render_body, tmp_path):
    pages = {name: render_body(data) for name, data in _corpus_articles().items()}
    assert len(pages) > 40
    theirs = official(pages, tmp_path)
    ours = {name: validate(html).status for name, html in pages.items()}
    assert {n for n, s in theirs.items() if s != "PASS"} == set()
    assert {n for n, s in ours.items() if s != "PASS"} == set()


# --------------------------------------------------------------------- mutations of a valid page

#: Values each kind of mutation draws from: valid and invalid forms of what pages carry.
URLS = ["https://example.com/a", "http://exa mple.com/", "http://a..b/", "http://x.example:99999/",
        "\u2028javascript:alert(1)", "\u3000javascript:alert(1)", "javascript:alert(1)", "",
        "//cdn.example/x", "ftp://x.example/f", "mailto:a@example.com", "data:text/html,x",
        "/relative/path", "https://[::1", "https://%zz.example/"]
SRCSETS = ["a.jpg 0w", "a.jpg 1x, b.jpg 1x", "a.jpg 100w, b.jpg 200w",
           "https://res.cloudinary.com/d/image/upload/c_fill,f_auto,q_80/a.jpg 2x",
           "a.jpg 1x 2x", "a.jpg,b.jpg", ",a.jpg", "a.jpg 1.5x, b.jpg 1e3w", ""]
CSS = ["@-webkit-keyframes k{from{opacity:0}}", ".a{color:red!important}",
       ".b{background:url(javascript:x)}", ".c{background:url('x[a];color:red;/*')}",
       "@media screen and (max-width:600px){.d{color:blue}}", ".i-amphtml-x{color:red}",
       "@import url(x.css);", ".e{-o-link:'javascript:x'}", ".f{background:url( x.png )}",
       ".g{width:calc(100% - 2px)}", "@font-face{font-family:x;src:url(https://x.example/f.woff)}",
       ".h{behavior:url(x.htc)}", "@supports (display:grid){.i{display:grid}}", "<!-- -->"]
LAYOUTS = ['layout="fixed"', 'layout="responsive"', 'layout="fill"', 'layout="intrinsic"',
           'layout="nodisplay"', 'layout="container"', 'layout="bogus"', 'width="auto"',
           'width="100%"', 'height="0"', 'width="10px" height="1em"', 'height="-1"',
           'sizes="(min-width: 600px) 50vw, 100vw"', 'heights="(min-width:500px) 200px, 80%"']
ATTRIBUTES = ['onclick="x()"', 'class="i-amphtml-foo"', 'class="a b"', 'style="color:red"',
              'style="color:red!important"', 'data-x="1"', 'aria-label="x"', '[text]="x"',
              'on="tap:x.hide"', 'role="button" tabindex="0" on="tap:x.hide"', 'id="x"',
              'hidden', 'tabindex="-1"', 'dir="rtl"', 'translate="no"']
SNIPPETS = ['<amp-img src="x.jpg" width="1" height="1"></amp-img>',
            '<svg><feImage href="x"/></svg>',
            "<table><tr><td><p>x</p></td></tr></table>",
            '<form method="get" action="https://x.example/"><input type="password"></form>',
            '<amp-youtube data-videoid="x" layout="responsive" width="16" height="9">'
            "</amp-youtube>",
            "<p>\u3000</p>", "<font>x</font>", "<button><div>x</div></button>",
            '<a href="https://x.example/"><amp-img src="y.jpg" width="2" height="1"></amp-img></a>',
            "<iframe src=https://x.example/></iframe>", "<script>alert(1)</script>",
            '<img src="x.jpg" alt="x">', '<img src="x.jpg" alt="x" width="10" height="10">',
            "<noscript><img src=x.jpg></noscript>", "<dialog>x</dialog>", "<main>x</main>"]


def _apply(page: str, kind: str, value: str, at: int) -> str:
    """One mutation of the page: ``at`` picks which occurrence is changed."""
    body = page.index("<body")
    if kind == "url":
        spots = [m for m in re.finditer(r' href="[^"]*"', page) if m.start() > body]
        m = spots[at % len(spots)]
        return page[:m.start()] + f' href="{value}"' + page[m.end():]
    if kind == "css":
        end = page.index("</style>", page.index("<style amp-custom"))
        return page[:end] + value + page[end:]
    if kind in ("srcset", "layout", "attribute"):
        tag = "<amp-img" if kind != "attribute" else "<"
        spots = [m.end() for m in re.finditer(re.escape(tag) + r"[a-z][a-z0-9-]*" * (tag == "<"),
                                              page) if m.start() > body]
        if not spots:
            return page
        i = spots[at % len(spots)]
        attr = f' srcset="{value}"' if kind == "srcset" else f" {value}"
        return page[:i] + attr + page[i:]
    # nesting: a snippet at the start of one of the body's elements
    spots = [m.start() for m in re.finditer(r"<(p|div|figure|h2|ul|amp-img)[\s>]", page)
             if m.start() > body]
    i = spots[at % len(spots)]
    return page[:i] + value + page[i:]


_mutation = st.one_of(
    st.tuples(st.just("url"), st.sampled_from(URLS)),
    st.tuples(st.just("srcset"), st.sampled_from(SRCSETS)),
    st.tuples(st.just("css"), st.sampled_from(CSS)),
    st.tuples(st.just("layout"), st.sampled_from(LAYOUTS)),
    st.tuples(st.just("attribute"), st.sampled_from(ATTRIBUTES)),
    st.tuples(st.just("nesting"), st.sampled_from(SNIPPETS)),
).flatmap(lambda kv: st.tuples(st.just(kv[0]), st.just(kv[1]), st.integers(0, 50)))


@pytest.fixture(scope="module")
def reference_page(render_body) -> str:
    return render_body(json.loads(REFERENCE.read_text(encoding="utf-8")))


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch=st.lists(st.lists(_mutation, min_size=1, max_size=2), min_size=40, max_size=40))
def test_mutated_pages_get_the_official_verdict(reference_page, tmp_path_factory, batch):
    docs = {}
    for mutations in batch:
        page = reference_page
        for kind, value, at in mutations:
            page = _apply(page, kind, value, at)
        docs[" + ".join(f"{k}={v!r}" for k, v, _ in mutations)] = page
    assert _disagreements(docs, tmp_path_factory.mktemp("mutations")) == []


# ------------------------------------------------------------------------------ converted bodies


#: Body fragments the converter must turn into valid pages: each value above in its place.
BODY_PARTS = SNIPPETS + [f'<p style="{c}">x</p>' for c in CSS if "{" not in c] + [
    f'<a href="{u}">link</a>' for u in URLS] + [
    f'<img src="a.jpg" srcset="{s}" alt="x">' for s in SRCSETS] + [
    f'<img src="{u}" alt="x">' for u in URLS] + [
    f'<p {a}>x</p>' for a in ATTRIBUTES] + [
    f"<style>{c}</style><p class=a>x</p>" for c in CSS]


def _converted_pages_problems(render_body, tmp_path: Path, bodies: list[str]) -> list[str]:
    pages = {body: render_body({"headline": "Differential", "slug": "differential",
                                "published": "2026-06-25", "body_html": "<p>Lead.</p>" + body})
             for body in bodies}
    theirs = official(pages, tmp_path)
    return [f"official {status}: {body!r}" for body, status in theirs.items()
            if status != "PASS"] + [f"ours FAIL: {body!r}" for body, html in pages.items()
                                    if not validate(html).passed]


def test_every_body_part_converts_to_a_page_both_engines_pass(render_body, tmp_path):
    assert _converted_pages_problems(render_body, tmp_path, BODY_PARTS) == []


@settings(max_examples=2, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch=st.lists(st.lists(st.sampled_from(BODY_PARTS), min_size=2, max_size=5).map("".join),
                      min_size=15, max_size=15))
def test_converted_pages_are_valid_for_the_official_engine(render_body, tmp_path_factory, batch):
    assert _converted_pages_problems(render_body, tmp_path_factory.mktemp("converted"),
                                     batch) == []
