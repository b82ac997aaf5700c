# ruff: noqa: F811 - ``deployment`` is a fixture imported from inprocess.py
"""One source object holding N articles: N pages, N item records; a broken item fails alone,
removing an item or the object unpublishes what it no longer holds. Real corpus documents."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from amp_publisher.aws.events import parse_event
from amp_publisher.aws.manifest import ManifestTable, item_key
from amp_publisher.local.backend import LocalContext
from inprocess import deployment  # noqa: F401

RAW = Path(__file__).parent / "corpus" / "raw" / "other-cms"
FEED_KEY = "articles/inessential.json"


def _feed() -> dict:
    doc = json.loads((RAW / "jsonfeed-inessential.json").read_text())
    doc["items"] = doc["items"][:4]  # four articles keep the test quick
    return doc


def _process(publisher, event):
    (record,) = parse_event(event).records
    return publisher.process(record)


def _slug(item: dict) -> str:
    return item["url"].rstrip("/").rsplit("/", 1)[-1].replace("_", "-").strip("-")


def test_a_feed_publishes_one_page_and_one_item_record_per_item(deployment):
    feed = _feed()
    outcome = _process(deployment.publisher(), deployment.put_source(FEED_KEY, feed))
    assert outcome.action == "published" and len(outcome.pages) == 4
    assert deployment.pages() == sorted(f"{_slug(i)}/index.html" for i in feed["items"])
    manifest = deployment.manifest()
    records = {r["source_key"]: r for r in manifest.scan()}
    for index, item in enumerate(feed["items"]):
        record = records[item_key(FEED_KEY, f"items[{index}]")]
        assert (record["status"], record["headline"]) == ("published", item["title"])
        assert record["page_key"] == f"{_slug(item)}/index.html"
    source = records[FEED_KEY]
    assert (source["item_count"], source["format"]) == (4, "jsonfeed")
    assert set(manifest.claims().values()) == {FEED_KEY}


def test_a_broken_item_fails_alone_and_keeps_its_last_good_page(deployment):
    publisher = deployment.publisher()
    feed = _feed()
    _process(publisher, deployment.put_source(FEED_KEY, feed))
    broken = copy.deepcopy(feed)
    broken["items"][1]["title"] = {"not": "text"}
    broken["items"][0]["title"] = "A new title for the first item"
    outcome = _process(publisher, deployment.put_source(FEED_KEY, broken))
    assert outcome.action == "published"
    [(path, error)] = outcome.item_failures
    assert (path, error.path, error.code) == ("items[1]", "items[1].title", "schema_error")
    assert len(deployment.pages()) == 4  # the broken item's previous page stays
    assert b"A new title for the first item" in deployment.page(
        f"{_slug(feed['items'][0])}/index.html")
    record = deployment.manifest().get(item_key(FEED_KEY, "items[1]"))
    assert record["status"] == "failed" and record["error"]["path"] == "items[1].title"
    assert record["page_key"] == f"{_slug(feed['items'][1])}/index.html"


def test_removing_an_item_or_the_object_unpublishes_what_it_no_longer_holds(deployment):
    publisher = deployment.publisher()
    feed = _feed()
    _process(publisher, deployment.put_source(FEED_KEY, feed))
    shorter = copy.deepcopy(feed)
    gone = shorter["items"].pop(2)
    outcome = _process(publisher, deployment.put_source(FEED_KEY, shorter))
    assert outcome.removed_pages == (f"{_slug(gone)}/index.html",)
    assert f"{_slug(gone)}/index.html" not in deployment.pages()
    manifest = deployment.manifest()
    assert manifest.get(item_key(FEED_KEY, "items[3]")) is None  # three items now
    assert len([r for r in manifest.scan() if r.get("collection") == FEED_KEY]) == 3
    outcome = _process(publisher, deployment.delete_source(FEED_KEY))
    assert outcome.action == "unpublished" and len(outcome.removed_pages) == 3
    assert deployment.pages() == []
    assert [r["source_key"] for r in deployment.manifest().scan()] == [FEED_KEY]
    assert deployment.manifest().claims() == {}


def test_an_unreadable_collection_keeps_every_page(deployment):
    publisher = deployment.publisher()
    _process(publisher, deployment.put_source(FEED_KEY, _feed()))
    outcome = _process(publisher, deployment.put_source(FEED_KEY, b'{"version": '))
    assert outcome.action == "failed" and outcome.error.code == "invalid_json"
    assert len(deployment.pages()) == 4


def test_the_function_on_the_embedded_backend_publishes_each_collection_format(backend):
    """The Lambda handler, fed S3 events, on the embedded backend: per collection format one
    broken item fails alone and the others publish."""
    from amp_publisher.aws.handler import lambda_handler

    def broken(doc, items_key=None):
        items = doc[items_key] if items_key else doc
        items[1] = {"unexpected": True}
        return doc

    sources = {
        "articles/feed.json": (broken(_feed(), "items"), 3),
        "articles/blogger.json": (broken(json.loads((RAW / "blogger-api-posts.json")
                                                    .read_text())), 2),
        "articles/letterdrop.json": (broken(json.loads((RAW / "letterdrop-api-posts.json")
                                                       .read_text()), "posts"), 1),
        "articles/tinynews.json": (broken(json.loads(
            (RAW / "tinynews-all-embeds-and-formatting.json").read_text())), 2),
    }
    s3 = backend.client("s3")
    records = []
    for key, (doc, _) in sources.items():
        s3.put_object(Bucket=backend.names.source_bucket, Key=key, Body=json.dumps(doc).encode())
        records.append({"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                        "s3": {"bucket": {"name": backend.names.source_bucket},
                               "object": {"key": key}}})
    result = lambda_handler({"Records": records}, LocalContext())
    outcomes = {o["source_key"]: o for o in result["outcomes"]}
    manifest = ManifestTable(backend.names.manifest_table)
    for key, (_, good) in sources.items():
        assert outcomes[key]["action"] == "published"
        assert len(outcomes[key]["pages"]) == good
        assert [f["item"] for f in outcomes[key]["item_failures"]] in (["items[1]"],
                                                                       ["posts[1]"], ["[1]"])
        items = [r for r in manifest.scan() if r.get("collection") == key]
        assert sorted(r["status"] for r in items) == ["failed"] + ["published"] * good
    listing = s3.list_objects_v2(Bucket=backend.names.site_bucket)
    pages = [o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith("index.html")]
    assert len(pages) >= sum(good for _, good in sources.values())


PAGES = Path(__file__).parent / "data" / "pages"


def test_html_pages_are_read_only_when_the_deployment_accepts_them(backend, monkeypatch):
    """A windows-1256 page without any declaration, uploaded as articles/*.html: ignored by
    default; with ACCEPT_HTML_PAGES=true published right-to-left, in Arabic."""
    from amp_publisher.aws import handler

    key = "articles/library.html"
    backend.client("s3").put_object(Bucket=backend.names.source_bucket, Key=key,
                                    Body=(PAGES / "windows-1256-undeclared-ar.html").read_bytes())
    event = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                          "s3": {"bucket": {"name": backend.names.source_bucket},
                                 "object": {"key": key}}}]}
    handler._publisher.cache_clear()
    try:
        [ignored] = handler.lambda_handler(event, LocalContext())["outcomes"]
        assert ignored["action"] == "ignored"
        monkeypatch.setenv("ACCEPT_HTML_PAGES", "true")
        handler._publisher.cache_clear()
        [outcome] = handler.lambda_handler(event, LocalContext())["outcomes"]
    finally:
        handler._publisher.cache_clear()
    assert outcome["action"] == "published"
    page = backend.client("s3").get_object(Bucket=backend.names.site_bucket,
                                           Key=outcome["page_key"])["Body"].read().decode()
    # the root as the theme writes it (a transformed page adds its markers after these)
    assert re.search(r'<html ⚡ lang="ar" dir="rtl"[ >]', page)
    assert "افتتحت البلدية يوم الأحد مكتبة عامة جديدة" in page


def test_a_page_whose_encoding_cannot_be_known_is_a_recorded_permanent_failure(deployment):
    from dataclasses import replace

    deployment_settings = replace(deployment.settings, accept_html_pages=True)
    from amp_publisher.aws.pipeline import Publisher

    publisher = Publisher(deployment_settings, s3=deployment.s3, dynamodb=deployment.dynamodb,
                          cloudfront=deployment.cloudfront)
    key = "articles/noise.html"
    outcome = _process(publisher, deployment.put_source(
        key, (PAGES / "undeterminable-encoding.html").read_bytes()))
    assert outcome.action == "failed" and outcome.error.code == "invalid_encoding"
    assert deployment.manifest().get(key)["error"]["code"] == "invalid_encoding"
    assert deployment.pages() == []
