"""Transformed AMP output (``AMP_TRANSFORM``, on by default): our real pages, transformed, as
readers get them.

Every page the sample articles and the acceptance corpus render is transformed and must pass our
validator's transformed rules, and the official engine when it is available
(``../shared/amp-validator-official``, ``AMP_SHARED`` overrides; skipped with a message without
it). The function publishes transformed pages on the embedded backend unless the setting is
``off``, which publishes the pages as the theme writes them; a site published before the default
changed is stale, and rendered again transformed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from amp_publisher.core.amp.transform import packaged_runtime_styles, transform

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "events" / "articles"
CORPUS = ROOT / "tests" / "corpus" / "raw"
OFFICIAL = Path(os.environ.get("AMP_SHARED", ROOT.parent / "shared")) / \
    "amp-validator-official" / "amp-official-validate"


@pytest.fixture(scope="module")
def site():
    from amp_publisher.core.site import SiteConfig

    return SiteConfig.model_validate(json.loads((ROOT / "events/site.json").read_text()))


def _render(site, data: dict):
    from amp_publisher.core.image_sizes import ProbingImageSizeResolver
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    return render(parse_article(data), site, image_sizes=ProbingImageSizeResolver(fetchers=[]))


def _tree(html: str):
    from html5_parser import parse

    return parse(html, sanitize_names=False)


def _all_articles() -> list[tuple[str, dict]]:
    from amp_publisher.core.adapters import articles_from_document

    out = []
    for path in [*sorted(ARTICLES.glob("*.json")), *sorted(CORPUS.rglob("*.json"))]:
        for data in articles_from_document(json.loads(path.read_text(encoding="utf-8"))):
            out.append((f"{path.stem}:{data.get('slug', '')}", data))
    for path in sorted((CORPUS / "messy-html").glob("*.html")):
        out.append((path.stem, {"headline": path.stem, "published": "2026-06-25T09:00:00Z",
                                "slug": re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-"),
                                "body_html": path.read_text(encoding="utf-8")}))
    return out


def test_reference_page_transformed_shows_without_the_runtime(site):
    data = json.loads((ARTICLES / "met-palantir-extension.json").read_text())
    plain = _render(site, data).html
    page = transform(plain)
    root = _tree(page)
    html = root
    assert html.get("transformed") == "self;v=1"
    assert html.get("i-amphtml-layout") == "" and html.get("i-amphtml-no-boilerplate") == ""
    head = root.find("head")
    # the boilerplate that hides the page for up to 8 s is gone; the plain page had it
    assert "amp-boilerplate" in plain
    assert not root.xpath("//style[@amp-boilerplate]") and not head.findall("noscript")
    # the runtime CSS is inline, from the packaged copy, with its version
    styles = packaged_runtime_styles()
    [runtime] = root.xpath("//style[@amp-runtime]")
    assert runtime.get("i-amphtml-version") == styles.version
    assert runtime.text == styles.css and ".i-amphtml-layout-size-defined" in runtime.text
    # head order: charset, viewport, ..., runtime CSS before the runtime script, before amp-custom
    names = [(el.tag, el.get("name") or el.get("rel") or "") for el in head]
    assert names[:2] == [("meta", ""), ("meta", "viewport")]
    order = [el for el in head if el.tag in ("style", "script")]
    assert order[0] is runtime and order[1].get("src") == "https://cdn.ampproject.org/v0.js"
    # the logo (intrinsic) and the share buttons (fixed) are laid out in CSS already
    [logo] = root.xpath("//amp-img[contains(@class, 'logo')]")
    assert logo.get("i-amphtml-layout") == "intrinsic"
    assert "i-amphtml-layout-size-defined" in logo.get("class").split()
    assert logo[0].tag == "i-amphtml-sizer" and logo[0][0].get("class") == \
        "i-amphtml-intrinsic-sizer"
    shares = root.xpath("//amp-social-share")
    assert shares and all(s.get("style") == "width:40px;height:40px;" for s in shares)


def test_the_hero_image_is_an_img_in_the_html_and_preloaded_first(site):
    data = json.loads((ARTICLES / "river-festival-every-block.json").read_text())
    root = _tree(transform(_render(site, data).html))
    [hero] = root.xpath("//figure[@class='hero-image']/amp-img")
    src = hero.get("src")
    [img] = hero.findall("img")
    assert img.get("src") == src and img.get("loading") is None  # marked data-hero: eager
    assert hero.get("i-amphtml-ssr") == ""
    head = list(root.find("head"))
    [preload] = [el for el in head if el.tag == "link" and el.get("rel") == "preload"]
    assert preload.get("href") == src and preload.get("as") == "image"
    assert head.index(preload) < min(head.index(el) for el in head if el.tag in ("script",
                                                                                  "style"))
    # the theme's sizes (no srcset) keep sizing the hero, now as CSS on its id
    assert hero.get("sizes") is None
    css = root.xpath("//style[@amp-custom]")[0].text
    assert f"@media (min-width: 48rem){{#{hero.get('id')}{{width:42rem}}}}" in css
    # the other images are not heroes: laid out, not rendered
    others = root.xpath("//amp-img[not(@data-hero)][@i-amphtml-ssr]")
    assert others == []


def test_transforming_twice_changes_nothing(site):
    data = json.loads((ARTICLES / "river-festival-every-block.json").read_text())
    once = transform(_render(site, data).html)
    assert transform(once) == once


def test_every_sample_and_corpus_page_transformed_is_valid_amp(site, tmp_path):
    """The proof the setting rests on: every page we can render, transformed, passes our
    validator (the transformed rules) and the official engine."""
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.errors import ArticleError

    written = []
    for label, data in _all_articles():
        try:
            plain = _render(site, data).html
        except ArticleError:
            continue  # a refused article has no page to transform (test_corpus covers it)
        page = transform(plain)
        result = validate(page)
        errors = [f"{e.line}:{e.col} {e.message}" for e in result.errors if e.severity == "ERROR"]
        assert result.passed, f"{label}: " + "; ".join(errors[:5])
        assert 'i-amphtml-no-boilerplate' in page, label
        path = tmp_path / f"{len(written):03d}.html"
        path.write_text(page, encoding="utf-8")
        written.append(path)
    assert len(written) >= 80
    if not OFFICIAL.exists():
        pytest.skip(f"official validator not found at {OFFICIAL} (set AMP_SHARED to the shared "
                    "reference folder); our validator passed every page")
    run = subprocess.run([str(OFFICIAL), "--head-rules", *map(str, written)],
                         capture_output=True, text=True, timeout=600)
    failures = [line for line in run.stdout.splitlines() if not line.endswith(": PASS")]
    assert run.returncode == 0 and not failures, "\n".join(failures[:20])


def test_the_setting_is_on_unless_it_says_off():
    from amp_publisher.aws.config import Settings

    base = {"SITE_BUCKET": "site", "MANIFEST_TABLE": "manifest"}
    assert Settings.from_env(base).amp_transform is True  # unset: the default
    assert Settings.from_env({**base, "AMP_TRANSFORM": ""}).amp_transform is True
    assert Settings(site_bucket="site", manifest_table="manifest").amp_transform is True
    assert Settings.from_env({**base, "AMP_TRANSFORM": "on"}).amp_transform is True
    assert Settings.from_env({**base, "AMP_TRANSFORM": "off"}).amp_transform is False
    assert Settings.from_env({**base, "AMP_TRANSFORM": " OFF "}).amp_transform is False
    assert Settings.from_env({**base, "AMP_TRANSFORM": "false"}).amp_transform is False
    with pytest.raises(ValueError, match="AMP_TRANSFORM"):
        Settings.from_env({**base, "AMP_TRANSFORM": "sometimes"})


def test_the_embedded_backend_states_the_templates_default_and_passes_off_on():
    from amp_publisher.local.backend import EmbeddedBackend

    assert EmbeddedBackend(environ={}).function_environment()["AMP_TRANSFORM"] == "on"
    off = EmbeddedBackend(environ={"AMP_TRANSFORM": "off"}).function_environment()
    assert off["AMP_TRANSFORM"] == "off"


def test_transformed_pages_have_their_own_fingerprint(site):
    from amp_publisher.core.fingerprint import render_fingerprint

    assert render_fingerprint(site, amp_transform=True) != render_fingerprint(site)
    assert render_fingerprint(site, amp_transform=False) == render_fingerprint(site)


def test_a_site_published_plain_is_stale_under_the_default_and_rendered_again_transformed(
        backend, monkeypatch, capsys):
    """The upgrade path: pages published with ``AMP_TRANSFORM=off`` (the default before it
    changed) are counted stale by ``amp-render status`` once the setting is back to its
    default, and the same source is then rendered again, transformed."""
    from amp_publisher.aws import handler
    from amp_publisher.local.backend import LocalContext
    from amp_publisher.local.cli import main

    key = "articles/met-palantir-extension.json"
    s3 = backend.client("s3")
    s3.put_object(Bucket=backend.names.source_bucket, Key=key,
                  Body=(ARTICLES / "met-palantir-extension.json").read_bytes())
    event = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                          "s3": {"bucket": {"name": backend.names.source_bucket},
                                 "object": {"key": key}}}]}

    def publish() -> str:
        # the same source twice: the second render happens only because the setting's
        # default changed the render fingerprint (the page was current under the old one)
        handler._publisher.cache_clear()
        [outcome] = handler.lambda_handler(event, LocalContext())["outcomes"]
        assert outcome["action"] == "published", outcome
        page = s3.get_object(Bucket=backend.names.site_bucket, Key=outcome["page_key"])
        return page["Body"].read().decode("utf-8")

    def stale() -> list[str]:
        handler._publisher.cache_clear()  # a new process: the settings read afresh
        capsys.readouterr()
        assert main(["status", "--stale"]) == 0
        return capsys.readouterr().out.split()

    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
    try:
        monkeypatch.setenv("AMP_TRANSFORM", "off")
        plain = publish()
        assert stale() == []
        monkeypatch.delenv("AMP_TRANSFORM")  # the upgrade: the setting left to its default
        assert stale() == [key]
        transformed = publish()
        assert stale() == []
    finally:
        handler._publisher.cache_clear()
    assert "transformed=" not in plain and "amp-boilerplate" in plain
    root = _tree(transformed)
    assert root.get("transformed") == "self;v=1" and "amp-boilerplate" not in transformed
    assert etree.tostring(root.xpath("//h1")[0], method="text", encoding="unicode") == \
        etree.tostring(_tree(plain).xpath("//h1")[0], method="text", encoding="unicode")


@pytest.mark.parametrize("setting", [None, "off"], ids=["default", "off"])
def test_every_page_of_the_site_is_published_as_the_setting_says_and_valid(
        backend, monkeypatch, tmp_path, setting):
    """Article pages, index pages and the 404 page: with the default all transformed, with
    ``AMP_TRANSFORM=off`` all as the theme writes them (the boilerplate kept); all valid, links
    intact."""
    from amp_publisher.aws import handler, site_index
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.local.sitecheck import crawl

    if setting is None:
        monkeypatch.delenv("AMP_TRANSFORM", raising=False)
    else:
        monkeypatch.setenv("AMP_TRANSFORM", setting)
    handler._publisher.cache_clear()
    site_index._indexer.cache_clear()
    try:
        for path in sorted(ARTICLES.glob("*.json")):
            event = backend.put_source(f"articles/{path.name}", path.read_bytes())
            assert backend.invoke(event)["outcomes"][0]["action"] == "published"
        backend.drain_site_index()
    finally:
        handler._publisher.cache_clear()
        site_index._indexer.cache_clear()
    s3 = backend.client("s3")
    bucket = backend.names.site_bucket
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", []) if o["Key"].endswith(".html")]
    assert "404.html" in keys and "index.html" in keys and len(keys) >= 10
    for key in keys:
        page = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        if setting == "off":
            assert "transformed=" not in page and "<style amp-boilerplate>" in page, key
        else:
            assert 'transformed="self;v=1"' in page and "amp-boilerplate" not in page, key
        assert validate(page).passed, key
    backend.mirror_site(tmp_path)
    assert not crawl(tmp_path, "https://www.wanderstayfinder.example").broken
    if OFFICIAL.exists():  # index pages and the 404 page are other templates: ask it too
        pages = [str(tmp_path / key) for key in keys]
        run = subprocess.run([str(OFFICIAL), "--head-rules", *pages], capture_output=True,
                             text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-2000:]


@pytest.mark.parametrize("flags, setting, transformed", [
    ([], None, True), (["--transform"], "off", True), ([], "on", True),
    (["--no-transform"], None, False), (["--no-transform"], "on", False), ([], "off", False)],
    ids=["default", "flag-over-off", "setting-on", "no-flag", "no-flag-over-on", "setting-off"])
def test_amp_render_render_follows_the_function_s_transform_setting(
        tmp_path, monkeypatch, flags, setting, transformed):
    """``amp-render render`` writes what the function would: transformed AMP unless
    ``--no-transform`` or ``AMP_TRANSFORM=off`` (``--transform`` wins over the setting)."""
    from amp_publisher.local.cli import main

    if setting is None:
        monkeypatch.delenv("AMP_TRANSFORM", raising=False)
    else:
        monkeypatch.setenv("AMP_TRANSFORM", setting)
    code = main(["render", str(ARTICLES / "river-festival-every-block.json"), "--site",
                 str(ROOT / "events/site.json"), "--no-image-probe", *flags,
                 "-o", f"{tmp_path}/"])
    assert code == 0
    [page] = tmp_path.glob("*/index.html")
    html = page.read_text(encoding="utf-8")
    root = _tree(html)
    if transformed:
        assert root.get("transformed") == "self;v=1"
        assert root.xpath("//amp-img[@data-hero]/img")
    else:
        assert root.get("transformed") is None and "<style amp-boilerplate>" in html
        assert root.xpath("//amp-img[@data-hero]") and not root.xpath("//amp-img/img")


def test_amp_render_render_names_a_bad_setting(monkeypatch, capsys):
    from amp_publisher.local.cli import main

    monkeypatch.setenv("AMP_TRANSFORM", "sometimes")
    assert main(["render", str(ARTICLES / "met-palantir-extension.json"),
                 "--no-image-probe"]) == 2
    assert "AMP_TRANSFORM must be on or off, not 'sometimes'" in capsys.readouterr().err


def test_a_guessed_hero_is_rendered_lazily_and_not_preloaded():
    """Without data-hero the first large image is a guess: its <img> waits for layout
    (loading=lazy) and nothing preloads it, so a wrong guess costs the reader nothing."""
    page = transform(
        '<!doctype html><html amp><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width"></head><body>'
        '<amp-img src="/big.jpg" width="1200" height="800" layout="responsive"></amp-img>'
        '<amp-img src="/second.jpg" width="1200" height="800" layout="responsive"></amp-img>'
        '</body></html>')
    root = _tree(page)
    [first, second] = root.xpath("//amp-img")
    assert first.find("img").get("loading") == "lazy"
    assert second.find("img") is None
    assert not root.xpath("//link[@rel='preload']")
