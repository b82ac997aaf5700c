"""The site around the articles, pure core (DESIGN §9): index pages, sitemaps and feeds built from
index entries validate against their published schemas and parse as readers parse them.

Schemas: the sitemaps.org and Google News XSDs and a JSON Feed 1.1 JSON Schema, copied into
``tests/data/site-spec/`` (origins and terms in its README.md).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from amp_publisher.core.amp.validator import validate
from amp_publisher.core.models import parse_article
from amp_publisher.core.rendering import render
from amp_publisher.core.siteoutputs.build import build_site
from amp_publisher.core.siteoutputs.entries import IndexEntry, entry_from_article
from amp_publisher.core.siteoutputs.outputs import ATOM, HTML, JSON_FEED, RSS, TEXT, XML
from amp_publisher.core.siteoutputs.pages import PAGE_SIZE
from conftest import ARTICLES

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "data" / "site-spec"
OFFICIAL = Path(os.environ.get("AMP_SHARED", ROOT.parent / "shared")) / \
    "amp-validator-official" / "amp-official-validate"
NOW = dt.datetime(2026, 6, 27, 12, 0, tzinfo=dt.UTC)


def _schema(rel: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SPEC / rel)))


def _assert_valid(schema: etree.XMLSchema, body: bytes) -> None:
    if not schema.validate(etree.fromstring(body)):
        raise AssertionError("\n".join(f"{e.line}: {e.message}" for e in schema.error_log))


def _entries(count: int) -> list[IndexEntry]:
    """``count`` articles, one every 6 hours back from NOW, in two sections, with tags and
    authors that need escaping or transliteration."""
    entries = []
    for i in range(count):
        when = NOW - dt.timedelta(hours=6 * i + 1)
        entries.append(IndexEntry(
            source_key=f"articles/a{i}.json", slug=f"story-{i}", path=f"/story-{i}/",
            headline=f"Story {i}: <Cats> & \"dogs\"", description=f"About story {i} & more.",
            section=["World & Politics", "Tech"][i % 2], tags=("Métro", f"t{i % 3}"),
            authors=({"name": "Zoë O'Brien", "url": "https://example.com/zoe"},),
            published=when.isoformat(), updated=(when + dt.timedelta(hours=1)).isoformat()
            if i % 4 == 0 else None, language=["en-GB", "fr"][i % 2],
            image={"src": f"https://img.example/{i}.jpg", "alt": "A picture", "width": 1200,
                   "height": 800} if i % 3 == 0 else None))
    return entries


@pytest.fixture(scope="module")
def built(request):
    from amp_publisher.core.site import SiteConfig

    site = SiteConfig.model_validate(json.loads((ROOT / "events" / "site.json").read_text()))
    return site, build_site(_entries(2 * PAGE_SIZE + 7), site, now=NOW)


def test_sitemaps_validate_against_the_sitemaps_org_and_google_news_xsds(built):
    site, outputs = built
    _assert_valid(_schema("siteindex.xsd"), outputs["sitemap.xml"].body)
    months = [k for k in outputs if k.startswith("sitemaps/")]
    assert months == ["sitemaps/2026-06.xml"]
    _assert_valid(_schema("sitemap.xsd"), outputs[months[0]].body)
    _assert_valid(_schema("ours/sitemap-with-extensions.xsd"), outputs["news-sitemap.xml"].body)
    index = etree.fromstring(outputs["sitemap.xml"].body)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9",
          "n": "http://www.google.com/schemas/sitemap-news/0.9"}
    assert index.xpath("//s:loc/text()", namespaces=ns) == [
        "https://www.wanderstayfinder.example/sitemaps/2026-06.xml"]
    monthly = etree.fromstring(outputs[months[0]].body)
    assert len(monthly.xpath("//s:url", namespaces=ns)) == 2 * PAGE_SIZE + 7
    # The news sitemap: only the last two days (articles every 6 h: 8 of them), titles as
    # written, languages as the XSD wants them (en, not en-GB).
    news = etree.fromstring(outputs["news-sitemap.xml"].body)
    assert len(news.xpath("//s:url", namespaces=ns)) == 8
    assert news.xpath("//n:title/text()", namespaces=ns)[0] == 'Story 0: <Cats> & "dogs"'
    assert set(news.xpath("//n:language/text()", namespaces=ns)) == {"en", "fr"}
    robots = outputs["robots.txt"].body.decode()
    assert "Sitemap: https://www.wanderstayfinder.example/sitemap.xml" in robots
    assert "Sitemap: https://www.wanderstayfinder.example/news-sitemap.xml" in robots


def test_a_sitemap_the_xsd_refuses_is_refused_here_too():
    """The schema copies are live: the invalid examples of the site-spec fail."""
    bad = (SPEC / "examples" / "invalid" / "sitemap-lastmod-without-seconds.xml").read_bytes()
    with pytest.raises(AssertionError):
        _assert_valid(_schema("sitemap.xsd"), bad)


def test_an_entry_dated_before_the_year_1000_still_builds_the_sitemaps_and_feeds(built):
    """The article contract refuses years before 1000, but a listing may hold entries written
    before it did, such as Go's zero time published by a site in UTC: the site's sitemaps,
    feeds and index pages are still built and valid in the site's own time zone (a year is
    written with four digits, as xsd:dateTime wants; a date the time zone cannot hold is shown
    in UTC)."""
    import dataclasses

    import feedparser

    site, _ = built
    assert site.timezone == "Europe/London"  # west of UTC in the year 1 (local mean time)
    entries = _entries(4)
    entries[2] = dataclasses.replace(entries[2], published="0999-06-01T00:00:00+00:00",
                                     updated=None)
    entries[3] = dataclasses.replace(entries[3], published="0001-01-01T00:00:00+00:00",
                                     updated=None)
    outputs = build_site(entries, site, now=NOW)
    _assert_valid(_schema("siteindex.xsd"), outputs["sitemap.xml"].body)
    months = sorted(k for k in outputs if k.startswith("sitemaps/"))
    assert months == ["sitemaps/0001-01.xml", "sitemaps/0999-06.xml", "sitemaps/2026-06.xml"]
    assert "1 January 1" in outputs["index.html"].body.decode()
    for month in months:
        _assert_valid(_schema("sitemap.xsd"), outputs[month].body)
    feed = feedparser.parse(outputs["atom.xml"].body)
    assert not feed.bozo and len(feed.entries) == 4
    assert "<published>0999-06-01T00:00:00+00:00</published>" in outputs["atom.xml"].body.decode()


def test_rss_and_atom_parse_into_the_expected_entries(built):
    import feedparser

    site, outputs = built
    for key in ("feed.xml", "atom.xml"):
        feed = feedparser.parse(outputs[key].body)
        assert not feed.bozo, (key, feed.get("bozo_exception"))
        assert len(feed.entries) == 47  # fewer than the 50 a feed holds
        first = feed.entries[0]
        assert first.title == 'Story 0: <Cats> & "dogs"'
        assert first.link == "https://www.wanderstayfinder.example/story-0/"
        assert first.summary == "About story 0 & more."
    section = feedparser.parse(outputs["section/tech/atom.xml"].body)
    assert not section.bozo
    assert [e.link for e in section.entries][:2] == [
        "https://www.wanderstayfinder.example/story-1/",
        "https://www.wanderstayfinder.example/story-3/"]
    assert section.feed.title == "Tech | WanderStayFinder"


def test_json_feed_validates_against_the_json_feed_1_1_schema(built):
    import jsonschema

    schema = json.loads((SPEC / "jsonfeed" / "schema-v1.1.json").read_text())
    site, outputs = built
    for key in ("feed.json", "section/world-politics/feed.json"):
        document = json.loads(outputs[key].body)
        jsonschema.Draft7Validator(schema).validate(document)
        assert document["version"] == "https://jsonfeed.org/version/1.1"
    items = json.loads(outputs["feed.json"].body)["items"]
    assert items[0]["title"] == 'Story 0: <Cats> & "dogs"'
    assert items[0]["authors"] == [{"name": "Zoë O'Brien", "url": "https://example.com/zoe"}]


def test_index_pages_are_valid_amp_and_paginated_from_the_oldest(built):
    site, outputs = built
    pages = sorted(k for k, o in outputs.items() if o.content_type == HTML)
    assert "index.html" in pages and "page/1/index.html" in pages
    assert "tag/metro/index.html" in pages and "author/zoe-o-brien/index.html" in pages
    for key in pages:
        result = validate(outputs[key].body.decode())
        assert result.passed, (key, result.errors[:3])
    # 47 articles, 20 a page: numbered page 1 holds the 20 oldest; the home page the 27 newest.
    home = etree.HTML(outputs["index.html"].body)
    page1 = etree.HTML(outputs["page/1/index.html"].body)
    home_links = home.xpath("//h2[@class='card-headline']/a/@href")
    page1_links = page1.xpath("//h2[@class='card-headline']/a/@href")
    assert len(home_links) == 27 and len(page1_links) == 20
    assert home_links[0].endswith("/story-0/") and page1_links[-1].endswith("/story-46/")
    assert home.xpath("//nav[@class='pagination']/a/@href") == [
        "https://www.wanderstayfinder.example/page/1/"]
    assert "page/2/index.html" not in outputs


def test_content_types(built):
    site, outputs = built
    assert {k: outputs[k].content_type for k in (
        "index.html", "sitemap.xml", "news-sitemap.xml", "feed.xml", "atom.xml", "feed.json",
        "robots.txt")} == {"index.html": HTML, "sitemap.xml": XML, "news-sitemap.xml": XML,
                           "feed.xml": RSS, "atom.xml": ATOM, "feed.json": JSON_FEED,
                           "robots.txt": TEXT}


def test_entry_from_the_reference_article(site):
    data = json.loads((ARTICLES / "met-palantir-extension.json").read_text())
    article = parse_article(data)
    page = render(article, site, source_key="articles/met-palantir-extension.json")
    entry = entry_from_article(article, site, slug=page.slug,
                               source_key="articles/met-palantir-extension.json",
                               description=page.description)
    assert entry.headline == data["headline"]
    assert entry.path == "/met-gets-extension-to-palantir-ai-project/"
    assert entry.section == data.get("section")
    assert list(entry.tags) == data.get("tags", [])
    assert entry.description and entry.description in page.html


@pytest.mark.skipif(not OFFICIAL.exists(), reason=f"official AMP validator not found at "
                    f"{OFFICIAL} (set AMP_SHARED to the shared reference folder)")
def test_index_pages_pass_the_official_validator(built, tmp_path):
    site, outputs = built
    files = []
    for key in ("index.html", "page/1/index.html", "section/tech/index.html",
                "tag/metro/index.html", "author/zoe-o-brien/index.html"):
        path = tmp_path / key.replace("/", "_")
        path.write_bytes(outputs[key].body)
        files.append(str(path))
    run = subprocess.run([str(OFFICIAL), "--head-rules", *files], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
