"""Related articles on the embedded backend: the render function reads the newest others of the
article's section from the site index (the manifest's ``listing-index``) and the theme lists
them under the article; when the index cannot be read the page still goes out, without them,
and the failure is logged and counted."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from lxml import html as lxml_html

from amp_publisher import validate
from amp_publisher.aws import handler
from amp_publisher.aws.manifest import ManifestTable
from conftest import ARTICLES, REFERENCE_SLUG


def _story(slug: str, day: int, section: str) -> bytes:
    return json.dumps({
        "headline": f"Headline of {slug}", "slug": slug, "section": section,
        "published": f"2026-05-{day:02d}T09:00:00Z",
        "body": [{"type": "paragraph", "text": f"Body of {slug}."}]}).encode()


def _publish(backend, key: str, body: bytes) -> dict:
    outcome = backend.invoke(backend.put_source(key, body))["outcomes"][0]
    assert outcome["action"] == "published", outcome
    return outcome


def _related_links(backend, slug: str) -> list[tuple[str, str]]:
    page = backend.client("s3").get_object(Bucket=backend.names.site_bucket,
                                           Key=f"{slug}/index.html")["Body"].read()
    tree = lxml_html.fromstring(page)
    return [(a.get("href"), a.text_content()) for a in tree.xpath("//aside[@class='related']//a")]


def test_page_lists_the_newest_others_of_its_section(backend):
    # Six News stories on days 1..6 and a newer Sport story, then one more News story.
    for day in range(1, 7):
        _publish(backend, f"articles/news-{day}.json", _story(f"news-{day}", day, "News"))
    _publish(backend, "articles/sport-1.json", _story("sport-1", 20, "Sport"))
    _publish(backend, "articles/news-latest.json", _story("news-latest", 10, "News"))

    # At most four, newest first, the article itself and the other section left out.
    assert _related_links(backend, "news-latest") == [
        (f"/news-{d}/", f"Headline of news-{d}") for d in (6, 5, 4, 3)]
    # An older article lists the newest others (those published after it too).
    _publish(backend, "articles/news-1.json", _story("news-1", 1, "News").replace(
        b"Body of", b"Edited body of"))
    assert _related_links(backend, "news-1") == [
        ("/news-latest/", "Headline of news-latest")] + [
        (f"/news-{d}/", f"Headline of news-{d}") for d in (6, 5, 4)]
    # Alone in its section: no list at all.
    assert _related_links(backend, "sport-1") == []


def test_reference_page_with_its_related_list_is_valid_amp(backend):
    for path in sorted(ARTICLES.glob("met-palantir-extension*.json")):
        _publish(backend, f"articles/{path.name}", path.read_bytes())
    # Published again: its HTML-body twin (same section) is in the index now.
    _publish(backend, "articles/met-palantir-extension.json",
             (ARTICLES / "met-palantir-extension.json").read_bytes() + b"\n")
    links = _related_links(backend, REFERENCE_SLUG)
    assert links == [(f"/{REFERENCE_SLUG}-html/", links[0][1])] and links[0][1]
    page = backend.client("s3").get_object(Bucket=backend.names.site_bucket,
                                           Key=f"{REFERENCE_SLUG}/index.html")["Body"].read()
    result = validate(page.decode())
    assert result.passed, [str(e) for e in result.errors][:3]


def test_unreadable_index_publishes_without_related_and_counts_it(backend, monkeypatch):
    _publish(backend, "articles/news-1.json", _story("news-1", 1, "News"))
    calls: list[dict] = []

    def failing(self, listing, *, exclude, limit):
        calls.append({"listing": listing, "exclude": exclude, "limit": limit})
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException",
                                     "Message": "slow down"}}, "Query")

    metrics: list[str] = []
    warnings: list[tuple[str, dict]] = []
    monkeypatch.setattr(ManifestTable, "related_in_listing", failing)
    monkeypatch.setattr(handler.metrics, "add_metric",
                        lambda name, unit, value: metrics.append(name))
    monkeypatch.setattr(handler.logger, "warning",
                        lambda message, extra=None, **kw: warnings.append((message, extra)))

    outcome = _publish(backend, "articles/news-2.json", _story("news-2", 2, "News"))
    assert calls == [{"listing": "section/news", "exclude": "articles/news-2.json",
                      "limit": 5}]
    assert "ProvisionedThroughputExceededException" in outcome["related_error"]
    assert _related_links(backend, "news-2") == []
    assert "RelatedArticlesFailed" in metrics and "PagePublished" in metrics
    assert [extra["source_key"] for message, extra in warnings
            if message.startswith("related articles")] == ["articles/news-2.json"]


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")


def _linking(backend, slugs, target: str) -> list[str]:
    return [s for s in slugs if f"/{target}/" in dict(_related_links(backend, s))]


def _crawl_broken(backend, tmp_path) -> list:
    from amp_publisher.local.sitecheck import crawl

    backend.drain_site_index()
    backend.mirror_site(tmp_path)
    page = backend.client("s3").get_object(Bucket=backend.names.site_bucket,
                                           Key="index.html")["Body"].read()
    base = lxml_html.fromstring(page).xpath("//link[@rel='canonical']/@href")[0].rstrip("/")
    return crawl(tmp_path, base).broken


@pytest.mark.parametrize("departure", ["delete", "section change", "rename", "takedown"])
def test_pages_listing_an_article_that_leaves_are_rendered_again(backend, tmp_path, departure):
    slugs = [f"news-{d}" for d in range(1, 5)]
    for day, slug in enumerate(slugs, 1):
        _publish(backend, f"articles/{slug}.json", _story(slug, day, "News"))
    # Rendered again once all four exist: each lists the three others.
    for day, slug in enumerate(slugs, 1):
        _publish(backend, f"articles/{slug}.json", _story(slug, day, "News") + b"\n")
    others = [s for s in slugs if s != "news-2"]
    assert _linking(backend, others, "news-2") == others
    backend.drain_render_queue()  # nothing has left yet: nothing to render again

    key = "articles/news-2.json"
    if departure == "delete":
        backend.invoke(backend.delete_source(key))
    elif departure == "takedown":
        backend.invoke(backend.put_source(key, _story("news-2", 2, "News").replace(
            b'"section"', b'"status": "draft", "section"')))
    elif departure == "section change":
        _publish(backend, key, _story("news-2", 2, "Sport"))
    else:
        _publish(backend, key, _story("news-2", 2, "News").replace(
            b'"slug": "news-2"', b'"slug": "news-2-renamed"'))
    # Before the queue drains the other pages still link the old place: the bug this fixes.
    assert _linking(backend, others, "news-2") == others
    assert backend.drain_render_queue() >= 1
    assert _linking(backend, others, "news-2") == []
    if departure == "rename":  # listed again, at its new URL
        assert _linking(backend, others, "news-2-renamed") == others
    assert _crawl_broken(backend, tmp_path) == []
    # A duplicate delivery re-renders once more and changes nothing.
    before = {s: _related_links(backend, s) for s in others}
    backend.client("sqs").send_message(QueueUrl=backend.render_queue_url, MessageBody=json.dumps(
        {"rerender": {"bucket": backend.names.source_bucket, "keys": [
            f"articles/{s}.json" for s in others], "reason": "duplicate"}}))
    assert backend.drain_render_queue() == 1
    assert {s: _related_links(backend, s) for s in others} == before


def test_a_page_that_read_its_list_just_before_an_article_left_renders_again(backend,
                                                                              monkeypatch):
    for day, slug in enumerate(("news-1", "news-2", "news-3"), 1):
        _publish(backend, f"articles/{slug}.json", _story(slug, day, "News"))
    stale = ManifestTable(backend.names.manifest_table, backend.client("dynamodb")) \
        .related_in_listing("section/news", exclude="articles/news-3.json", limit=5)
    assert [i["slug"] for i in stale] == ["news-2", "news-1"]
    # news-2 leaves while news-3 is being rendered with the list read before that: its own
    # search for referrers does not find news-3 yet.
    backend.invoke(backend.delete_source("articles/news-2.json"))
    backend.drain_render_queue()
    real = ManifestTable.related_in_listing
    monkeypatch.setattr(ManifestTable, "related_in_listing",
                        lambda self, listing, *, exclude, limit: stale)
    _publish(backend, "articles/news-3.json", _story("news-3", 3, "News") + b"\n")
    assert "/news-2/" in dict(_related_links(backend, "news-3"))
    monkeypatch.setattr(ManifestTable, "related_in_listing", real)
    # It saw news-2 gone from the section after writing its own listing items: rendered again.
    assert backend.drain_render_queue() == 1
    assert _related_links(backend, "news-3") == [("/news-1/", "Headline of news-1")]


def test_collection_pages_keep_no_link_to_an_article_that_left(backend, tmp_path):
    """Pages of a collection source (several posts in one object) carry no related list: its
    links could not be refreshed when a listed article leaves, and no page may keep a link to a
    page that is gone. The crawl from / finds nothing broken after the article is deleted."""
    from pathlib import Path

    from amp_publisher.local.sitecheck import crawl

    export = json.loads((Path(__file__).parent / "corpus/raw/ghost"
                         / "ghost-content-api-posts-welcome.json").read_text())
    (post,) = export["posts"]
    section = post["primary_tag"]["name"]
    second = {**post, "id": post["id"] + "2", "uuid": post["uuid"][:-1] + "2",
              "slug": "welcome-again", "title": "Welcome again"}
    export["posts"] = [post, second]
    _publish(backend, "articles/lead.json", _story("lead", 3, section))
    outcome = _publish(backend, "articles/ghost-export.json", json.dumps(export).encode())
    assert len(outcome["pages"]) == 2
    assert _related_links(backend, "welcome-again") == []
    # A single article of the section still lists the others of its section.
    _publish(backend, "articles/next.json", _story("next", 4, section))
    assert ("/lead/", "Headline of lead") in _related_links(backend, "next")
    backend.invoke(backend.delete_source("articles/lead.json"))
    backend.drain_render_queue()
    backend.drain_site_index()
    backend.mirror_site(tmp_path)
    assert not crawl(tmp_path, "https://www.wanderstayfinder.example").broken
