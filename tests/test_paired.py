# ruff: noqa: F811 - ``deployment`` is a fixture imported from inprocess.py
"""Paired mode (DESIGN §9, ``PAGE_MODE=paired``): each article is a canonical non-AMP page at
``/<slug>/`` and an AMP page at ``/<slug>/amp/``, from one article, linked both ways; the pair
comes and goes together, and the site around them links the canonical pages.

Most tests run the Lambda entry points on the embedded backend with the functions' environment
set to paired mode, on the sample articles of ``events/articles``; the corpus test renders the
acceptance corpus through the core.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import warnings
from pathlib import Path

import pytest
from lxml import html as lxml_html

from amp_publisher.core.amp.validator import validate
from amp_publisher.local.sitecheck import crawl
from conftest import ARTICLES, CORPUS, EVENTS, REFERENCE, REFERENCE_SLUG
from inprocess import deployment  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://www.wanderstayfinder.example"
OFFICIAL = Path(os.environ.get("AMP_SHARED", ROOT.parent / "shared")) / \
    "amp-validator-official" / "amp-official-validate"
RIVER_SLUG = "river-festival-returns-to-the-old-docks"


@pytest.fixture
def paired(backend, monkeypatch):
    """The embedded backend with both functions' ``PAGE_MODE`` set to ``paired`` (as the
    template's ``PageMode`` parameter sets it)."""
    monkeypatch.setenv("PAGE_MODE", "paired")
    backend._reset_clients()  # the handlers read their settings again
    yield backend
    monkeypatch.undo()
    backend._reset_clients()


def _publish(backend, key: str, body: bytes | None) -> dict:
    event = backend.put_source(key, body) if body is not None else backend.delete_source(key)
    return backend.invoke(event)["outcomes"][0]


def _site_keys(backend) -> set[str]:
    listing = backend.client("s3").list_objects_v2(Bucket=backend.names.site_bucket)
    return {o["Key"] for o in listing.get("Contents", [])}


def _get(backend, key: str) -> str:
    s3 = backend.client("s3")
    return s3.get_object(Bucket=backend.names.site_bucket, Key=key)["Body"].read().decode()


def _links(html: str, rel: str) -> list[str]:
    return [str(v) for v in lxml_html.fromstring(html).xpath(f"//head/link[@rel='{rel}']/@href")]


def _json_ld(html: str) -> str:
    (text,) = lxml_html.fromstring(html).xpath(
        "//script[@type='application/ld+json']/text()")
    return str(text)


def _text(html: str, css_class: str) -> str:
    """The words a reader sees in the element with ``css_class`` (whitespace normalised)."""
    (el,) = lxml_html.fromstring(html).xpath(
        f"//*[contains(concat(' ', @class, ' '), ' {css_class} ')]")
    return " ".join(el.text_content().split())


def _html5_errors(html: str) -> list:
    import html5lib

    parser = html5lib.HTMLParser(strict=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parser.parse(html)
    return parser.errors


def _assert_plain_html(html: str, label: str) -> None:
    """Not AMP, no script but JSON-LD, no AMP component, and no HTML5 parse error."""
    assert "<html ⚡" not in html and "cdn.ampproject.org" not in html, label
    assert not re.search(r"<amp-[a-z]", html), f"{label}: an AMP component is left"
    scripts = lxml_html.fromstring(html).xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/ld+json"], label
    assert not lxml_html.fromstring(html).xpath("//@*[starts-with(name(), 'on')]"), label
    assert _html5_errors(html) == [], label


def _assert_pair(canonical: str, amp: str, slug: str) -> None:
    url, amp_url = f"{BASE}/{slug}/", f"{BASE}/{slug}/amp/"
    assert _links(canonical, "canonical") == [url]
    assert _links(canonical, "amphtml") == [amp_url]
    assert _links(amp, "canonical") == [url]
    assert _links(amp, "amphtml") == []
    assert amp.startswith("<!doctype html>\n<html ⚡")
    assert validate(amp).passed, f"{slug}: the AMP page is not valid AMP"
    _assert_plain_html(canonical, slug)
    assert _json_ld(canonical) == _json_ld(amp)
    assert json.loads(_json_ld(amp))["mainEntityOfPage"]["@id"] == url
    for part in ("article-header", "article-body"):
        assert _text(canonical, part) == _text(amp, part), f"{slug}: {part} differs"


def test_a_paired_publish_writes_both_pages_linked_to_each_other(paired):
    for path in sorted(ARTICLES.glob("*.json")):
        outcome = _publish(paired, f"articles/{path.name}", path.read_bytes())
        assert outcome["action"] == "published"
        slug = outcome["page_key"][: -len("/index.html")]
        assert outcome["pages"] == [f"{slug}/index.html", f"{slug}/amp/index.html"]
    for slug in (REFERENCE_SLUG, f"{REFERENCE_SLUG}-html", RIVER_SLUG):
        _assert_pair(_get(paired, f"{slug}/index.html"), _get(paired, f"{slug}/amp/index.html"),
                     slug)
    from amp_publisher.aws.manifest import ManifestTable

    record = ManifestTable(paired.names.manifest_table).get(f"articles/{REFERENCE.name}")
    assert record["page_key"] == f"{REFERENCE_SLUG}/index.html"
    assert record["amp_page_key"] == f"{REFERENCE_SLUG}/amp/index.html"
    assert set(record["page_keys"]) == {record["page_key"], record["amp_page_key"]}
    # The river sample has every block type: each AMP component became its HTML element.
    canonical = lxml_html.fromstring(_get(paired, f"{RIVER_SLUG}/index.html"))
    hero = canonical.xpath("//figure[@class='hero-image']/img")[0]
    assert hero.get("loading") is None and hero.get("fetchpriority") == "high"
    body_images = canonical.xpath("//*[@class='article-body']//img")
    assert body_images and all(i.get("loading") == "lazy" and i.get("width") and
                               i.get("height") and i.get("alt") for i in body_images)
    frames = canonical.xpath("//figure[@class='embed']/iframe/@src")
    assert frames == ["https://www.youtube.com/embed/M7lc1UVf-VE"]
    assert canonical.xpath("//div[contains(@class, 'carousel')]/figure/img")
    shares = canonical.xpath("//div[@class='share']/a/@href")
    assert shares and all(f"{BASE}/{RIVER_SLUG}/".replace(":", "%3A").replace("/", "%2F")
                          in href for href in shares)


@pytest.mark.skipif(not OFFICIAL.exists(), reason=f"official AMP validator not found at "
                    f"{OFFICIAL} (set AMP_SHARED to the shared reference folder)")
def test_the_amp_twins_pass_the_official_validator(paired, tmp_path):
    files = []
    for path in sorted(ARTICLES.glob("*.json")):
        outcome = _publish(paired, f"articles/{path.name}", path.read_bytes())
        amp_key = outcome["pages"][1]
        target = tmp_path / amp_key.replace("/", "_")
        target.write_text(_get(paired, amp_key), encoding="utf-8")
        files.append(str(target))
    run = subprocess.run([str(OFFICIAL), *files], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def _paths(invalidation: dict) -> set[str]:
    return set(invalidation["InvalidationBatch"]["Paths"]["Items"])


def _all_forms(slug: str) -> set[str]:
    return {f"/{slug}/", f"/{slug}/index.html", f"/{slug}/amp/", f"/{slug}/amp/index.html"}


def test_a_delete_removes_both_pages_and_invalidates_every_url_form(paired):
    key = f"articles/{REFERENCE.name}"
    _publish(paired, key, REFERENCE.read_bytes())
    outcome = _publish(paired, key, None)
    assert outcome["action"] == "unpublished"
    assert not {k for k in _site_keys(paired) if k.startswith(REFERENCE_SLUG)}
    assert _all_forms(REFERENCE_SLUG) <= _paths(paired.invalidations()[-1])
    from amp_publisher.aws.manifest import ManifestTable

    manifest = ManifestTable(paired.names.manifest_table)
    record = manifest.get(key)
    assert record["status"] == "deleted" and not record.get("page_keys")
    assert "amp_page_key" not in record
    assert manifest.claims() == {}


def test_a_draft_takes_both_pages_down(paired):
    key = "articles/story.json"
    article = json.loads(REFERENCE.read_text())
    _publish(paired, key, json.dumps(article).encode())
    outcome = _publish(paired, key, json.dumps({**article, "status": "draft"}).encode())
    assert outcome["action"] == "unpublished"
    assert not {k for k in _site_keys(paired) if k.startswith(REFERENCE_SLUG)}
    assert _all_forms(REFERENCE_SLUG) <= _paths(paired.invalidations()[-1])


def test_a_slug_change_removes_both_old_pages(paired):
    key = f"articles/{REFERENCE.name}"
    article = json.loads(REFERENCE.read_text())
    _publish(paired, key, json.dumps(article).encode())
    outcome = _publish(paired, key, json.dumps({**article, "slug": "palantir-renamed"}).encode())
    assert outcome["action"] == "published"
    pages = {k for k in _site_keys(paired) if k.endswith("index.html") and "/" in k}
    assert {"palantir-renamed/index.html", "palantir-renamed/amp/index.html"} <= pages
    assert not {k for k in pages if k.startswith(REFERENCE_SLUG)}
    assert _all_forms(REFERENCE_SLUG) <= _paths(paired.invalidations()[-1])
    from amp_publisher.aws.manifest import ManifestTable

    assert ManifestTable(paired.names.manifest_table).claims() == {"palantir-renamed": key}


def test_switching_back_to_amp_mode_removes_the_twins_and_keeps_the_slug(paired, monkeypatch):
    key = f"articles/{REFERENCE.name}"
    _publish(paired, key, REFERENCE.read_bytes())
    monkeypatch.setenv("PAGE_MODE", "amp")
    paired._reset_clients()
    # The mode is part of the render fingerprint: the same source is rendered again.
    outcome = _publish(paired, key, REFERENCE.read_bytes())
    assert outcome["action"] == "published" and "pages" not in outcome
    page = _get(paired, f"{REFERENCE_SLUG}/index.html")
    assert page.startswith("<!doctype html>\n<html ⚡") and _links(page, "amphtml") == []
    assert f"{REFERENCE_SLUG}/amp/index.html" not in _site_keys(paired)
    from amp_publisher.aws.manifest import ManifestTable

    manifest = ManifestTable(paired.names.manifest_table)
    assert manifest.claims() == {REFERENCE_SLUG: key}
    record = manifest.get(key)
    assert set(record["page_keys"]) == {f"{REFERENCE_SLUG}/index.html"}
    assert "amp_page_key" not in record


def test_amp_mode_is_unchanged_one_self_canonical_amp_page(backend):
    outcome = _publish(backend, f"articles/{REFERENCE.name}", REFERENCE.read_bytes())
    assert outcome["page_key"] == f"{REFERENCE_SLUG}/index.html" and "pages" not in outcome
    assert not {k for k in _site_keys(backend) if "/amp/" in k}
    page = _get(backend, f"{REFERENCE_SLUG}/index.html")
    assert page.startswith("<!doctype html>\n<html ⚡") and validate(page).passed
    assert _links(page, "canonical") == [f"{BASE}/{REFERENCE_SLUG}/"]
    assert _links(page, "amphtml") == []


def test_the_site_links_the_canonical_pages_and_no_link_is_broken(paired, tmp_path):
    for path in sorted(ARTICLES.glob("*.json")):
        _publish(paired, f"articles/{path.name}", path.read_bytes())
    _publish(paired, f"articles/{ARTICLES.glob('*.body-html.json').__next__().name}", None)
    paired.drain_site_index()
    paired.drain_render_queue()  # the pages whose related list linked it, rendered again
    paired.mirror_site(tmp_path)
    result = crawl(tmp_path, BASE)
    assert result.broken == []
    # Both pages of every live article are reached from / (the AMP one through rel=amphtml).
    for slug in (REFERENCE_SLUG, RIVER_SLUG):
        assert {f"{slug}/index.html", f"{slug}/amp/index.html"} <= set(result.visited)
    assert not {k for k in result.visited if k.startswith(f"{REFERENCE_SLUG}-html/")}
    # Index pages, sitemaps and feeds name the canonical URL, never the AMP one.
    monthly = [f"sitemaps/{p.name}" for p in (tmp_path / "sitemaps").glob("*")]
    naming = ("index.html", "section/local/index.html", "feed.xml", "atom.xml", "feed.json")
    for key in (*naming, *monthly, "sitemap.xml", "news-sitemap.xml"):
        text = (tmp_path / key).read_text(encoding="utf-8")
        assert "/amp/" not in text, key
        if key in naming:
            assert f"{BASE}/{RIVER_SLUG}/" in text or f'"/{RIVER_SLUG}/"' in text, key
    assert any(f"{BASE}/{RIVER_SLUG}/" in (tmp_path / key).read_text() for key in monthly)


def _corpus_articles() -> list:
    from amp_publisher.core.adapters import articles_from_document

    cases = []
    for path in sorted((CORPUS / "wordpress").glob("*.json")) + \
            sorted((CORPUS / "ghost").glob("*.json")):
        for article in articles_from_document(json.loads(path.read_text(encoding="utf-8"))):
            cases.append(pytest.param(article, id=f"{path.stem}:{article['slug']}"))
    for path in sorted((CORPUS / "messy-html").glob("*.html")):
        cases.append(pytest.param(
            {"headline": path.stem, "published": "2026-01-01",
             "body_html": path.read_text(encoding="utf-8", errors="replace")},
            id=f"messy:{path.stem}"))
    return cases


@pytest.mark.parametrize("data", _corpus_articles())
def test_every_corpus_article_pairs_into_plain_html_with_the_same_text(data):
    from amp_publisher.core.errors import ArticleError
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    site = SiteConfig.model_validate({**json.loads((EVENTS / "site.json").read_text()),
                                      "page_mode": "paired"})
    try:
        page = render(parse_article(data), site, source_key="articles/corpus-item.json")
    except ArticleError:
        pytest.skip("the article itself is refused (its own tests cover why)")
    assert page.canonical_html is not None
    assert validate(page.html).passed
    _assert_plain_html(page.canonical_html, page.slug)
    assert _json_ld(page.canonical_html) == _json_ld(page.html)
    assert _text(page.canonical_html, "article-header") == _text(page.html, "article-header")
    amp_words = _text(page.html, "article-body").split()
    canonical_words = _text(page.canonical_html, "article-body").split()
    # What AMP shows until a frame loads (its placeholder) the canonical page shows too; what
    # AMP shows only to browsers that cannot play media stays inside <video>/<audio>.
    assert canonical_words == amp_words


def test_the_slug_amp_is_refused_in_paired_mode_only():
    from amp_publisher.core.errors import SchemaError
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    article = parse_article({**json.loads(REFERENCE.read_text()), "slug": "amp"})
    assert render(article, SiteConfig()).canonical_html is None
    with pytest.raises(SchemaError) as caught:
        render(article, SiteConfig(page_mode="paired"))
    assert caught.value.path == "slug"


def test_page_mode_is_read_from_the_environment_and_checked():
    from amp_publisher.core.site import SiteConfig

    assert SiteConfig.from_env({"PAGE_MODE": "paired"}).page_mode == "paired"
    assert SiteConfig.from_env({}).page_mode == "amp"
    with pytest.raises(ValueError, match="page_mode"):
        SiteConfig.from_env({"PAGE_MODE": "both"})


@pytest.mark.slow
def test_the_demo_runs_paired_from_the_page_mode_environment(tmp_path, monkeypatch):
    import io
    import shutil

    from amp_publisher.local.demo import run_demo

    monkeypatch.setenv("PAGE_MODE", "paired")  # PAGE_MODE=paired make demo
    articles = tmp_path / "articles"
    shutil.copytree(ARTICLES, articles)
    out = tmp_path / "site"
    stream = io.StringIO()
    rows = run_demo(articles, EVENTS / "site.json", out,
                    delete="met-palantir-extension.body-html.json", stream=stream)
    text = stream.getvalue()
    pages = {r.page_key: r.status for r in rows if r.kind == "article"}
    assert pages[f"{RIVER_SLUG}/index.html"] == "published, canonical HTML"
    assert pages[f"{RIVER_SLUG}/amp/index.html"] == "published, AMP valid"
    _assert_pair((out / RIVER_SLUG / "index.html").read_text(),
                 (out / RIVER_SLUG / "amp" / "index.html").read_text(), RIVER_SLUG)
    assert not (out / f"{REFERENCE_SLUG}-html").exists()
    assert (f"unpublished {REFERENCE_SLUG}-html/index.html and "
            f"{REFERENCE_SLUG}-html/amp/index.html; pages in bucket: no") in text
    assert "0 broken link(s)" in text
    # the rebuild re-rendered both pages of each article with the new site name
    assert f"{RIVER_SLUG}/amp/index.html: site name 'WanderStayFinder Weekly'" in text
    assert f"{RIVER_SLUG}/index.html: site name 'WanderStayFinder Weekly'" in text


def test_amp_render_render_writes_both_pages_into_a_folder(tmp_path, monkeypatch, capsys):
    from amp_publisher.local.cli import main

    monkeypatch.setenv("PAGE_MODE", "paired")
    monkeypatch.setenv("SITE_BASE_URL", BASE)
    assert main(["render", str(REFERENCE), "--no-image-probe", "-o", f"{tmp_path}/"]) == 0
    canonical = (tmp_path / REFERENCE_SLUG / "index.html").read_text()
    amp = (tmp_path / REFERENCE_SLUG / "amp" / "index.html").read_text()
    _assert_pair(canonical, amp, REFERENCE_SLUG)


def test_amp_render_serve_answers_both_url_forms_of_both_pages(tmp_path):
    import threading
    import urllib.request

    from amp_publisher.local.preview import make_server

    for key, body in ((f"{RIVER_SLUG}/index.html", "canonical"),
                      (f"{RIVER_SLUG}/amp/index.html", "amp")):
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_text(body, encoding="utf-8")
    server = make_server(tmp_path, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for path, body in ((f"/{RIVER_SLUG}/", "canonical"),
                           (f"/{RIVER_SLUG}/index.html", "canonical"),
                           (f"/{RIVER_SLUG}/amp/", "amp"), (f"/{RIVER_SLUG}/amp", "amp"),
                           (f"/{RIVER_SLUG}/amp/index.html", "amp")):
            with urllib.request.urlopen(base + path, timeout=5) as response:
                assert response.read().decode() == body, path
    finally:
        server.shutdown()
        server.server_close()


def test_an_articles_own_canonical_url_still_wins_on_both_pages():
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    data = {**json.loads(REFERENCE.read_text()), "canonical_url": "https://cms.example/story"}
    site = SiteConfig.model_validate({**json.loads((EVENTS / "site.json").read_text()),
                                      "page_mode": "paired"})
    page = render(parse_article(data), site)
    assert _links(page.html, "canonical") == ["https://cms.example/story"]
    assert _links(page.canonical_html, "canonical") == ["https://cms.example/story"]
    assert _links(page.canonical_html, "amphtml") == [f"{BASE}/{REFERENCE_SLUG}/amp/"]


def test_the_template_passes_its_page_mode_parameter_to_both_functions():
    from cfnlint.decode.cfn_yaml import load as load_cfn_yaml

    template = load_cfn_yaml(str(ROOT / "template.yaml"))
    parameter = template["Parameters"]["PageMode"]
    assert parameter["Default"] == "amp" and parameter["AllowedValues"] == ["amp", "paired"]
    for function in ("RenderFunction", "SiteIndexFunction"):
        env = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert env["PAGE_MODE"] == {"Ref": "PageMode"}, function
    from amp_publisher.local.backend import EmbeddedBackend

    assert EmbeddedBackend(page_mode="paired").function_environment()["PAGE_MODE"] == "paired"
    with pytest.raises(ValueError, match="page_mode"):
        EmbeddedBackend(page_mode="both")


def test_a_collection_publishes_and_removes_a_pair_per_item(deployment):
    """A JSON Feed of four posts (corpus), paired by its ``config/site.json``: eight pages;
    an item dropped from the feed takes both its pages; the deleted feed takes all."""
    from amp_publisher.aws.events import parse_event

    config = {**json.loads((EVENTS / "site.json").read_text()), "page_mode": "paired"}
    deployment.s3.put_object(Bucket=deployment.names.source_bucket, Key="config/site.json",
                             Body=json.dumps(config).encode())
    feed = json.loads((CORPUS / "other-cms" / "jsonfeed-inessential.json").read_text())
    feed["items"] = feed["items"][:4]
    key = "articles/inessential.json"
    publisher = deployment.publisher()

    def process(event):
        (record,) = parse_event(event).records
        return publisher.process(record)

    outcome = process(deployment.put_source(key, feed))
    assert outcome.action == "published" and len(outcome.pages) == 8
    slugs = sorted({p.split("/")[0] for p in deployment.pages()})
    assert len(slugs) == 4
    assert deployment.pages() == sorted(
        k for s in slugs for k in (f"{s}/index.html", f"{s}/amp/index.html"))
    for slug in slugs:  # each post names its own URL as canonical (it wins on both pages)
        canonical = deployment.page(f"{slug}/index.html").decode()
        amp = deployment.page(f"{slug}/amp/index.html").decode()
        assert _links(canonical, "amphtml") == [f"{BASE}/{slug}/amp/"]
        assert _links(amp, "canonical") == _links(canonical, "canonical")
        assert validate(amp).passed
        _assert_plain_html(canonical, slug)
        assert _json_ld(canonical) == _json_ld(amp)
    kept = {**feed, "items": feed["items"][1:]}
    process(deployment.put_source(key, kept))
    assert len(deployment.pages()) == 6
    gone = {s for s in slugs if f"{s}/index.html" not in deployment.pages()}
    (dropped,) = gone
    assert not [p for p in deployment.pages() if p.startswith(f"{dropped}/")]
    process(deployment.delete_source(key))
    assert deployment.pages() == [] and deployment.manifest().claims() == {}
