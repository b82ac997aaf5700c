"""SiteIndexFunction on the embedded backend (DESIGN §9): page changes name the stale outputs,
the index function rebuilds them coalesced from the manifest, and the site stays coherent through
section and tag changes, renames and deletes.

"What the manifest implies" is :func:`amp_publisher.core.siteoutputs.build.build_site` over the
manifest's published records: a full build, which the incremental rebuilds must equal byte for
byte.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from cfnlint.decode.cfn_yaml import load as load_cfn_yaml

from amp_publisher.core.siteoutputs.outputs import HTML, RSS
from amp_publisher.core.siteoutputs.pages import PAGE_SIZE
from amp_publisher.local.sitecheck import crawl
from conftest import ARTICLES, EVENTS

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://www.wanderstayfinder.example"
#: Objects of the site bucket that the render function writes besides article pages.
NOT_INDEX = {"404.html"}


def _article(i: int, *, section: str = "News", tags: tuple[str, ...] = ("City",),
             slug: str | None = None, day: int | None = None) -> bytes:
    return json.dumps({
        "headline": f"Story {i}", "slug": slug or f"story-{i}",
        "published": f"2026-05-{day or (i % 28) + 1:02d}T{i % 24:02d}:00:00Z",
        "section": section, "tags": list(tags), "authors": [{"name": "Ann Lee"}],
        "body": [{"type": "paragraph", "text": f"Body of story {i}."}]}).encode()


def _publish(backend, key: str, body: bytes | None) -> dict:
    event = backend.put_source(key, body) if body is not None else backend.delete_source(key)
    return backend.invoke(event)["outcomes"][0]


def _site_objects(backend) -> dict[str, dict]:
    s3 = backend.client("s3")
    bucket = backend.names.site_bucket
    objects = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            got = s3.get_object(Bucket=bucket, Key=obj["Key"])
            objects[obj["Key"]] = {"body": got["Body"].read(), "type": got["ContentType"],
                                   "cache": got.get("CacheControl")}
    return objects


def _implied(backend, size: int = PAGE_SIZE) -> dict:
    """Every site output the manifest's published records imply (a full build), its HTML pages
    transformed when the deployment publishes transformed AMP (``AMP_TRANSFORM``, on unless
    the backend's environment says off)."""
    import dataclasses

    from amp_publisher.aws.config import amp_transform_from_env
    from amp_publisher.aws.manifest import ManifestTable
    from amp_publisher.core.amp.transform import transform
    from amp_publisher.core.site import SiteConfig
    from amp_publisher.core.siteoutputs.build import build_site
    from amp_publisher.core.siteoutputs.entries import IndexEntry

    site = SiteConfig().merged(json.loads((EVENTS / "site.json").read_text()))
    records = ManifestTable(backend.names.manifest_table, backend.client("dynamodb")).scan()
    entries = [IndexEntry.from_item(r) for r in records if r.get("status") == "published"]
    pages = {r["page_key"] for r in records if r.get("status") == "published"}
    built = build_site(entries, site, now=dt.datetime.now(dt.UTC), size=size)
    if amp_transform_from_env():
        built = {key: dataclasses.replace(output, body=transform(output.body.decode()).encode())
                 if output.content_type == HTML else output for key, output in built.items()}
    return built, pages


def _assert_site_is_what_the_manifest_implies(backend, size: int = PAGE_SIZE) -> dict:
    objects = _site_objects(backend)
    implied, pages = _implied(backend, size)
    outputs = {k: v for k, v in objects.items() if k not in pages and k not in NOT_INDEX}
    assert sorted(outputs) == sorted(implied)
    for key, output in implied.items():
        assert outputs[key]["body"] == output.body, key
        assert outputs[key]["type"] == output.content_type, key
    return objects


@pytest.mark.parametrize("amp_transform", [None, "off"], ids=["default", "off"])
def test_publishing_the_samples_builds_the_site_and_every_link_resolves(backend, tmp_path,
                                                                        monkeypatch,
                                                                        amp_transform):
    if amp_transform is None:
        monkeypatch.delenv("AMP_TRANSFORM", raising=False)
    else:
        monkeypatch.setenv("AMP_TRANSFORM", amp_transform)
    for path in sorted(ARTICLES.glob("*.json")):
        assert _publish(backend, f"articles/{path.name}", path.read_bytes())["action"] == \
            "published"
    reports = backend.drain_site_index()
    assert sum(r.messages for r in reports) == 3
    objects = _assert_site_is_what_the_manifest_implies(backend)
    assert objects["index.html"]["type"] == HTML
    assert (b'transformed="self;v=1"' in objects["index.html"]["body"]) is (amp_transform is None)
    assert objects["feed.xml"]["type"] == RSS
    # the site's Cache-Control, as on article pages
    assert objects["index.html"]["cache"] == \
        objects["met-gets-extension-to-palantir-ai-project/index.html"]["cache"]
    assert objects["index.html"]["cache"].startswith("public")
    backend.mirror_site(tmp_path)
    result = crawl(tmp_path, BASE)
    assert not result.broken
    # every index output and article page is reachable from /
    assert len(result.visited) == len(set(objects) - NOT_INDEX)


def test_a_burst_is_coalesced_and_duplicates_converge(backend):
    for i in range(12):
        _publish(backend, f"articles/s{i}.json", _article(i))
    # S3 delivers at least once: the same messages again, and out of order.
    sqs = backend.client("sqs")
    url = backend.site_index_queue_url
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    bodies = [m["Body"] for m in got["Messages"]]
    random.Random(7).shuffle(bodies)
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    reports = backend.drain_site_index()
    assert len(reports) == 1 and reports[0].messages == 12 + len(bodies)
    # One rebuild per listing, not per message: home, section, tag, author, month, sitemap index
    # and news.
    assert len(reports[0].listings) == len(set(reports[0].listings)) <= 7
    _assert_site_is_what_the_manifest_implies(backend)


def test_section_tag_change_rename_and_delete_leave_every_output(backend, tmp_path):
    _publish(backend, "articles/a.json", _article(1, section="Sport", tags=("Golf",)))
    _publish(backend, "articles/b.json", _article(2, section="Sport", tags=("Golf",)))
    backend.drain_site_index()
    assert "section/sport/index.html" in _site_objects(backend)
    # a.json moves to Arts and changes its tag; b.json is renamed, then deleted.
    _publish(backend, "articles/a.json", _article(1, section="Arts", tags=("Opera",)))
    _publish(backend, "articles/b.json", _article(2, section="Sport", slug="story-2-renamed"))
    backend.drain_site_index()
    objects = _assert_site_is_what_the_manifest_implies(backend)
    sport_feed = objects["section/sport/feed.xml"]["body"].decode()
    assert "/story-1/" not in sport_feed and "/story-2-renamed/" in sport_feed
    assert "tag/opera/index.html" in objects and "tag/golf/index.html" not in objects
    _publish(backend, "articles/b.json", None)
    backend.drain_site_index()
    objects = _assert_site_is_what_the_manifest_implies(backend)
    assert not any(k.startswith("section/sport/") for k in objects)
    for key in ("sitemaps/2026-05.xml", "feed.xml", "atom.xml", "feed.json", "index.html"):
        assert b"story-2" not in objects[key]["body"], key
    backend.mirror_site(tmp_path)
    assert not crawl(tmp_path, BASE).broken


def test_stable_pagination_rewrites_only_what_changed(backend, monkeypatch):
    from amp_publisher.core.siteoutputs import pages

    size = 3  # pages of 3 entries: a few articles make several pages
    monkeypatch.setattr(pages, "PAGE_SIZE", size)
    count = 3 * size + 1
    for i in range(count):
        _publish(backend, f"articles/p{i:02d}.json", _article(i, section="Long", tags=()))
    backend.drain_site_index()
    objects = _assert_site_is_what_the_manifest_implies(backend, size)
    assert "section/long/page/2/index.html" in objects
    # A new article, newer than all: the roots, feeds and the month change; numbered pages do not.
    _publish(backend, "articles/new.json", _article(99, section="Long", tags=(), day=28))
    (report,) = backend.drain_site_index()
    assert not any("/page/" in k or k.startswith("page/") for k in report.written), \
        report.written
    _assert_site_is_what_the_manifest_implies(backend, size)
    # Deleting the three oldest shifts every page: all are rewritten, and the last numbered
    # page goes when the count drops below a page boundary (11 → 8 entries: 2 → 1 pages).
    for i in range(3):
        _publish(backend, f"articles/p{i:02d}.json", None)
    (report,) = backend.drain_site_index()
    assert "section/long/page/2/index.html" in report.deleted
    _assert_site_is_what_the_manifest_implies(backend, size)


def test_a_long_listing_is_written_in_steps_oldest_pages_first(backend, monkeypatch):
    """A listing with more numbered pages to write than one invocation may write (the home
    page of a big site after a site rebuild) is written a step at a time: each step writes at
    most PAGES_PER_STEP pages and sends the rest on; the root comes last, and the site ends as
    the manifest implies, every link resolving."""
    from amp_publisher.aws import site_index
    from amp_publisher.core.siteoutputs import pages

    size, step = 3, 2
    monkeypatch.setattr(pages, "PAGE_SIZE", size)
    monkeypatch.setattr(site_index, "PAGES_PER_STEP", step)
    for i in range(20):  # 20 entries of 3: 5 numbered pages and a root of 5
        _publish(backend, f"articles/l{i:02d}.json", _article(i, section="Long", tags=()))
    backend.drain_site_index()
    _assert_site_is_what_the_manifest_implies(backend, size)
    # A site rebuild names every listing from its start; the section's pages are gone, so
    # each must be written again (unchanged pages are not rewritten).
    s3, bucket = backend.client("s3"), backend.names.site_bucket
    gone = sorted(k for k in _site_objects(backend) if k.startswith("section/long/"))
    assert len([k for k in gone if "/page/" in k]) == 5
    for key in gone:
        s3.delete_object(Bucket=bucket, Key=key)
    backend.client("sqs").send_message(QueueUrl=backend.site_index_queue_url,
                                       MessageBody=json.dumps({"all": True, "news": True}))
    reports = backend.drain_site_index()
    written = [[k for k in r.written if k.startswith("section/long/")] for r in reports]
    assert [len([k for k in w if "/page/" in k]) for w in written if w] == [2, 2, 1]
    assert "section/long/index.html" in written[-1] or "section/long/index.html" in sum(
        written[2:], [])
    assert not any("section/long/index.html" in w for w in written[:2]), written
    assert reports[0].continued and not reports[-1].continued
    assert not any(r.failed_messages for r in reports)
    objects = _assert_site_is_what_the_manifest_implies(backend, size)
    assert sorted(k for k in objects if k.startswith("section/long/")) == gone
    # Deleting the oldest article shifts every page: written in steps again.
    _publish(backend, "articles/l00.json", None)
    reports = backend.drain_site_index()
    assert len(reports) >= 3
    _assert_site_is_what_the_manifest_implies(backend, size)
    site_index._indexer.cache_clear()


def test_a_failing_listing_fails_only_the_messages_that_named_it(backend, monkeypatch):
    from amp_publisher.aws import site_index
    from amp_publisher.aws.manifest import ManifestTable

    _publish(backend, "articles/a.json", _article(1, section="Arts"))
    _publish(backend, "articles/b.json", _article(2, section="Sport"))
    original = ManifestTable.count_listing
    broken = {"section/sport"}

    def flaky(self, listing, before=None, **kwargs):
        if listing in broken:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}},
                              "Query")
        return original(self, listing, before, **kwargs)

    monkeypatch.setattr(ManifestTable, "count_listing", flaky)
    sqs = backend.client("sqs")
    got = sqs.receive_message(QueueUrl=backend.site_index_queue_url, MaxNumberOfMessages=10,
                              VisibilityTimeout=0)["Messages"]
    event = {"Records": [{"messageId": m["MessageId"], "body": m["Body"],
                          "eventSource": "aws:sqs"} for m in got]}
    result = site_index.handle_batch(event)
    sport = [m["MessageId"] for m in got if "section/sport" in m["Body"]]
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == sport
    assert "section/arts/index.html" in _site_objects(backend)
    broken.clear()
    backend.drain_site_index()
    _assert_site_is_what_the_manifest_implies(backend)


def test_one_new_article_reads_a_long_listing_twice_not_three_times(backend):
    """Rebuilding a listing after one new article counts the whole listing (and recounts it to
    catch concurrent writers), but counts the entries older than the change by subtracting the
    newest part's count: DynamoDB bills a Query by the items it reads."""
    for i in range(12):
        _publish(backend, f"articles/s{i:02d}.json", _article(i, section="Long", day=1 + i))
    backend.drain_site_index()
    read: dict[str, int] = {}

    dynamodb = backend.client("dynamodb")
    original = dynamodb.query

    def query(**kwargs):
        response = original(**kwargs)
        if kwargs.get("Select") == "COUNT" and ":l" in kwargs["ExpressionAttributeValues"] \
                and kwargs["ExpressionAttributeValues"][":l"] == {"S": "section/long"}:
            read["section/long"] = read.get("section/long", 0) + response["ScannedCount"]
        return response

    _publish(backend, "articles/new.json", _article(40, section="Long", day=28))
    dynamodb.query = query
    try:
        (report,) = backend.drain_site_index()
    finally:
        del dynamodb.query
    assert "section/long" in report.listings
    # 13 entries: counted, recounted, and the one at or after the change; not 13 + 12 + 13.
    assert read["section/long"] <= 2 * 13 + 1
    _assert_site_is_what_the_manifest_implies(backend)


def test_unchanged_republish_sends_nothing(backend):
    body = _article(1)
    _publish(backend, "articles/a.json", body)
    backend.drain_site_index()
    # Same content uploaded again (a new version): the page is rendered, the listings are not.
    _publish(backend, "articles/a.json", body)
    assert backend.drain_site_index() == []


class _Edge:
    """What SiteIndexFunction did to the site bucket and CloudFront, in order (botocore hooks on
    the process-wide clients its entry point uses)."""

    def __init__(self, backend) -> None:
        self.log: list[tuple[str, object]] = []
        self.bucket = backend.names.site_bucket

        def remember(params: dict, context: dict, **_) -> None:
            context["edge_params"] = dict(params)

        def written(http_response, model, context: dict, **_) -> None:
            params = context.get("edge_params") or {}
            if params.get("Bucket") == self.bucket and http_response.status_code < 300:
                self.log.append((model.name, params["Key"]))

        def accepted(http_response, parsed: dict, **_) -> None:
            if http_response.status_code < 300:
                batch = parsed["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
                self.log.append(("CreateInvalidation", tuple(batch)))

        s3, cloudfront = backend.client("s3"), backend.client("cloudfront")
        for operation in ("PutObject", "DeleteObject"):
            s3.meta.events.register(f"before-parameter-build.s3.{operation}", remember)
            s3.meta.events.register(f"after-call.s3.{operation}", written)
        cloudfront.meta.events.register("after-call.cloudfront.CreateInvalidation", accepted)

    def take(self) -> list[tuple[str, object]]:
        log, self.log = self.log, []
        return log


def _forms(key: str) -> set[str]:
    """The viewer paths of a stored key: ``/k``, and its folder for ``.../index.html``."""
    return {"/" + key} | ({"/" + key[: -len("index.html")]} if key.endswith("index.html")
                          else set())


def _covered(paths: tuple[str, ...], path: str) -> bool:
    return any(p == path or (p.endswith("*") and path.startswith(p[:-1])) for p in paths)


def test_index_outputs_are_invalidated_once_per_batch_after_their_writes(backend, monkeypatch):
    from amp_publisher.aws import site_index

    monkeypatch.setenv("INVALIDATION_MAX_PATHS", "500")  # path by path: each one is checked
    site_index._indexer.cache_clear()
    for i in range(3):
        _publish(backend, f"articles/s{i}.json", _article(i, section="Arts"))
    edge = _Edge(backend)  # after the article pages: only the index function is logged
    (report,) = backend.drain_site_index()
    log = edge.take()
    changes = [(op, key) for op, key in log if op != "CreateInvalidation"]
    invalidations = [i for i, (op, _) in enumerate(log) if op == "CreateInvalidation"]
    assert len(invalidations) == 1 and invalidations[0] == len(log) - 1, log
    paths = log[-1][1]
    assert {key for _, key in changes} >= {"index.html", "section/arts/index.html", "feed.xml",
                                           "sitemap.xml", "robots.txt"}
    assert set(paths) == {p for _, key in changes for p in _forms(key)}
    assert report.invalidation is not None and report.invalidation.paths == paths
    assert [i["Id"] for i in backend.invalidations()][-1] == report.invalidation.id

    # A change that leaves most outputs as they were: only the changed ones are written and
    # invalidated (a new article in another section leaves section/arts/ alone).
    _publish(backend, "articles/s9.json", _article(9, section="Sport", tags=()))
    edge.take()  # the article page and its own invalidation
    backend.drain_site_index()
    log = edge.take()
    written = {key for op, key in log if op == "PutObject"}
    assert "section/sport/index.html" in written and "index.html" in written
    assert "section/arts/index.html" not in written and "robots.txt" not in written
    assert log[-1][0] == "CreateInvalidation"
    assert set(log[-1][1]) == {p for key in written for p in _forms(key)}
    # Nothing changed: the same messages again write nothing and invalidate nothing.
    sqs = backend.client("sqs")
    sqs.send_message(QueueUrl=backend.site_index_queue_url, MessageBody=json.dumps(
        {"source_key": "articles/s9.json", "dirty": {"home": "", "section/sport": ""},
         "news": True}))
    (report,) = backend.drain_site_index()
    assert edge.take() == [] and report.invalidation is None and report.unchanged


def test_a_refused_index_invalidation_is_retried_with_the_batch(backend, monkeypatch):
    from amp_publisher.aws import site_index
    from inprocess import fail_calls

    site_index._indexer.cache_clear()
    _publish(backend, "articles/a.json", _article(1))
    edge = _Edge(backend)
    left = fail_calls(backend.client("cloudfront"), "CreateInvalidation", code="Throttling",
                      status=400)
    reports = backend.drain_site_index()
    assert left == [0] and len(reports) == 2
    refused, retried = reports
    assert refused.invalidation_error and refused.failed_messages
    assert refused.written and not retried.written  # the retry had nothing left to write...
    log = edge.take()
    (invalidation,) = [paths for op, paths in log if op == "CreateInvalidation"]
    # ...and invalidated what the refused batch had changed, after those writes.
    assert log[-1] == ("CreateInvalidation", invalidation)
    for key in refused.written:
        assert all(_covered(invalidation, form) for form in _forms(key)), key
    from amp_publisher.aws.manifest import ManifestTable

    state = ManifestTable(backend.names.manifest_table).get_state(site_index.INVALIDATION_STATE)
    assert state is None


@pytest.fixture(scope="module")
def resources() -> dict:
    return load_cfn_yaml(str(ROOT / "template.yaml"))["Resources"]


def test_site_index_function_is_fed_by_its_queue_with_a_dead_letter_queue(resources):
    function = resources["SiteIndexFunction"]["Properties"]
    assert function["Handler"] == "amp_publisher.aws.site_index.lambda_handler"
    (event,) = function["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["SiteIndexQueue", "Arn"]}
    assert event["Properties"]["MaximumBatchingWindowInSeconds"] > 0
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert function["ReservedConcurrentExecutions"] == 1
    redrive = resources["SiteIndexQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["SiteIndexDeadLetterQueue", "Arn"]}
    alarm = resources["SiteIndexDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["SiteIndexDeadLetterQueue", "QueueName"]}


def test_site_index_function_has_its_own_least_privilege_role(resources):
    statements = [s for p in resources["SiteIndexFunction"]["Properties"]["Policies"]
                  for s in p["Statement"]]
    for statement in statements:
        resources_ = statement["Resource"]
        actions = statement["Action"] if isinstance(statement["Action"], list) \
            else [statement["Action"]]
        if actions == ["sqs:SendMessage"]:
            # Continuations of a batch short of time, to its own queue only.
            assert resources_ == {"Fn::GetAtt": ["SiteIndexQueue", "Arn"]}, statement
            continue
        targets = [r["Fn::Sub"] for r in (resources_ if isinstance(resources_, list)
                                          else [resources_])]
        assert "*" not in targets
        if any(a.endswith(("PutObject", "DeleteObject")) for a in actions):
            # Index objects of the site bucket only: never an article page, never the source.
            assert all("-site-${AWS::AccountId}-${AWS::Region}/" in t
                       and not t.endswith("/*/index.html")
                       for t in targets), statement
            assert not any(t.endswith("-site-${AWS::AccountId}-${AWS::Region}/*")
                           for t in targets)
    granted = {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list)
                                               else [s["Action"]])}
    assert "dynamodb:UpdateItem" not in granted


def test_index_pages_follow_a_new_site_configuration_at_once(backend):
    """A batch after a change of ``config/site.json`` renders index pages with the new
    configuration, not one the index function read a moment before (its cache)."""
    for path in sorted(ARTICLES.glob("*.json")):
        _publish(backend, f"articles/{path.name}", path.read_bytes())
    backend.drain_site_index()
    site = json.loads((EVENTS / "site.json").read_text(encoding="utf-8"))
    site["name"] = "The Renamed Gazette"
    backend.client("s3").put_object(Bucket=backend.names.source_bucket, Key="config/site.json",
                                    Body=json.dumps(site).encode())
    _publish(backend, "articles/late.json", _article(99))
    backend.drain_site_index()
    home = _site_objects(backend)["index.html"]["body"].decode()
    assert "The Renamed Gazette" in home


def test_serve_answers_with_the_stored_content_types_and_the_sites_404(backend, tmp_path):
    """``amp-render serve`` over the mirrored bucket answers as the distribution would: each
    object with the Content-Type S3 stores it with, a missing path with 404.html, status 404."""
    import threading
    import urllib.error
    import urllib.request

    from amp_publisher.local.preview import make_server

    for path in sorted(ARTICLES.glob("*.json")):
        _publish(backend, f"articles/{path.name}", path.read_bytes())
    backend.drain_site_index()
    backend.upload_static(EVENTS / "static")
    objects = _site_objects(backend)
    assert {"404.html", "feed.xml", "sitemap.xml", "robots.txt"} <= set(objects)
    assert any(k.startswith("static/") for k in objects)
    backend.mirror_site(tmp_path)
    server = make_server(tmp_path, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        for key, stored in objects.items():
            url = base + (key.removesuffix("index.html") if key.endswith("index.html") else key)
            with urllib.request.urlopen(url, timeout=5) as response:
                assert (response.status, response.headers["Content-Type"]) == \
                    (200, stored["type"]), key
                assert response.read() == stored["body"], key
        assert objects["feed.xml"]["type"].startswith("application/rss+xml")
        for missing in ("no-such-page/", "no-such-page", "static/missing.png", "section/"):
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(base + missing, timeout=5)
            assert caught.value.code == 404, missing
            assert caught.value.headers["Content-Type"] == objects["404.html"]["type"]
            assert caught.value.read() == objects["404.html"]["body"], missing
    finally:
        server.shutdown()
        server.server_close()


def test_the_news_sitemap_schedule_takes_an_article_out_after_two_days(backend):
    """NewsSitemapSchedule (template.yaml) sends ``{"news": true}`` to SiteIndexQueue every hour:
    an article leaves /news-sitemap.xml once it is 2 days old although nothing else changed
    (Google News sitemaps list articles of the last two days)."""
    from amp_publisher.aws import site_index

    site_index._indexer.cache_clear()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    body = json.loads(_article(1, slug="harbour-vote"))
    body["published"] = (now - dt.timedelta(hours=47)).isoformat().replace("+00:00", "Z")
    _publish(backend, "articles/harbour.json", json.dumps(body).encode())
    backend.drain_site_index()
    s3 = backend.client("s3")

    def news() -> bytes:
        return s3.get_object(Bucket=backend.names.site_bucket,
                             Key="news-sitemap.xml")["Body"].read()

    assert f"{BASE}/harbour-vote/".encode() in news()
    # Two hours later, no upload: the schedule's message alone rebuilds the news sitemap.
    site_index._indexer()._clock = lambda: (now + dt.timedelta(hours=2)).timestamp()
    edge = _Edge(backend)
    sent = backend.deliver_recurring_schedule(backend.names.news_sitemap_schedule)
    assert sent["news"] is True
    (report,) = backend.drain_site_index()
    assert report.listings == ["news"]
    assert f"{BASE}/harbour-vote/".encode() not in news()
    assert b"<urlset" in news()
    log = edge.take()
    assert ("PutObject", "news-sitemap.xml") in log
    assert log[-1] == ("CreateInvalidation", ("/news-sitemap.xml",))
    # The article itself is still published and in the monthly sitemap.
    assert "harbour-vote/index.html" in _site_objects(backend)
    site_index._indexer.cache_clear()


def test_the_news_sitemap_schedule_is_in_the_template_and_may_only_send_to_its_queue():
    template = load_cfn_yaml(str(ROOT / "template.yaml"))
    resources = template["Resources"]
    schedule = resources["NewsSitemapSchedule"]["Properties"]
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["SiteIndexQueue", "Arn"]}
    assert json.loads(schedule["Target"]["Input"])["news"] is True
    assert schedule["ScheduleExpression"] == {"Ref": "NewsSitemapRefresh"}
    role = resources["NewsSitemapSchedulerRole"]["Properties"]
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == {"Fn::GetAtt": ["SiteIndexQueue", "Arn"]}
    assume = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert assume["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert assume["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_a_batch_short_of_time_sends_the_listings_left_back_to_the_queue(backend):
    """The end of a site rebuild names every listing at once. An invocation that runs short of
    time stops between listings and sends the ones left back to SiteIndexQueue, so each is
    rebuilt once, and the site still ends as the manifest implies."""
    from amp_publisher.aws import site_index

    site_index._indexer.cache_clear()
    sections = ("News", "Sport", "Arts")
    for i in range(6):
        _publish(backend, f"articles/t{i}.json",
                 _article(i, section=sections[i % 3], tags=(f"Tag {i}",)))
    backend.drain_site_index()
    sqs = backend.client("sqs")
    sqs.send_message(QueueUrl=backend.site_index_queue_url,
                     MessageBody=json.dumps({"all": True, "news": True}))

    def invocation():  # each invocation has time for three listings
        clock = iter([60_000, 59_000] + [1_000] * 100)  # asked before the 2nd and 3rd
        return lambda: next(clock)

    reports = backend.drain_site_index(remaining_ms=invocation)
    rebuilt = [name for report in reports for name in report.listings]
    # home, 3 sections, 6 tags, 1 author, 1 month, the sitemap index and the news sitemap
    expected = {"home", "section/news", "section/sport", "section/arts", "author/ann-lee",
                "sitemap-index", "news", *(f"tag/tag-{i}" for i in range(6))}
    assert expected <= set(rebuilt)
    assert len(rebuilt) == len(set(rebuilt)), "a listing was rebuilt twice"
    assert len(reports) >= 4 and all(len(r.listings) <= 3 for r in reports)
    assert all(r.continued for r in reports[:-1]) and not reports[-1].continued
    assert not any(r.failed_messages for r in reports)
    _assert_site_is_what_the_manifest_implies(backend)
    site_index._indexer.cache_clear()


def test_a_continuation_the_queue_refuses_fails_the_messages_instead(backend):
    from amp_publisher.aws import site_index
    from inprocess import fail_calls

    site_index._indexer.cache_clear()
    for i in range(3):
        _publish(backend, f"articles/u{i}.json", _article(i, section=f"S{i}", tags=()))
    backend.drain_site_index()
    indexer = site_index._indexer()
    fail_calls(indexer.sqs, "SendMessage", code="AWS.SimpleQueueService.ServiceUnavailable",
               status=503)
    report = indexer.rebuild([("m1", {"all": True})], remaining_ms=lambda: 1_000)
    assert report.continued == [] and report.failed_messages == ["m1"]
    assert len(report.listings) == 1  # the first listing was rebuilt, then the batch stopped
    site_index._indexer.cache_clear()


def test_a_site_wide_output_whose_first_build_failed_is_built_by_the_retry(backend, monkeypatch):
    """The first batch of a new site creates the news sitemap although no message names it (an
    old article is not news). If that fails, the batch comes back and the retry creates it: no
    site is left without /news-sitemap.xml."""
    from amp_publisher.aws import site_index

    site_index._indexer.cache_clear()
    indexer = site_index._indexer()
    _publish(backend, "articles/old.json", _article(1, day=3))  # May: outside the news window
    real_news = indexer._news
    calls = []

    def flaky_news(site, report):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("injected: the news sitemap's Query timed out")
        return real_news(site, report)

    monkeypatch.setattr(indexer, "_news", flaky_news)
    reports = backend.drain_site_index()
    assert len(calls) == 2 and reports[0].failed_listings == ["news"]
    assert reports[0].failed_messages  # the batch came back...
    assert "news-sitemap.xml" in reports[1].written  # ...and its retry wrote the sitemap
    assert "news-sitemap.xml" in _site_objects(backend)
    _assert_site_is_what_the_manifest_implies(backend)
    site_index._indexer.cache_clear()


@pytest.mark.parametrize("dirty", ["home", ["home"], {"home": 5}, {"home": None}])
def test_a_malformed_message_fails_alone_and_the_batch_goes_on(backend, dirty):
    from amp_publisher.aws import site_index

    site_index._indexer.cache_clear()
    _publish(backend, "articles/a.json", _article(1))
    report = site_index._indexer().rebuild(
        [("bad", {"source_key": "articles/x.json", "dirty": dirty}),
         ("good", {"source_key": "articles/a.json", "dirty": {"home": "", "section/news": ""}})])
    assert report.failed_messages == ["bad"]  # kept for its retries, then the dead-letter queue
    assert {"home", "section/news"} <= set(report.listings)
    assert "index.html" in report.written and "section/news/index.html" in report.written
    site_index._indexer.cache_clear()
