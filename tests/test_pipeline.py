# ruff: noqa: F811 - ``deployment`` is a fixture imported from inprocess.py
"""The publish pipeline on a mocked deployment: level-triggered, stale work skipped, slug changes
and deletes leave no orphan, and a crash between the page write and the commit converges."""

from __future__ import annotations

import time

import pytest

from amp_publisher.aws.events import parse_event
from amp_publisher.core.errors import SourceBusyError, TransientError
from inprocess import count_calls, deployment, small_article  # noqa: F401

KEY = "articles/story.json"


def _record(event: dict):
    (record,) = parse_event(event).records
    return record


def _process(publisher, event):
    return publisher.process(_record(event))


def test_a_slug_change_publishes_the_new_page_and_deletes_the_old_one(deployment):
    publisher = deployment.publisher()
    _process(publisher, deployment.put_source(KEY, small_article("One", slug="first-slug")))
    outcome = _process(publisher, deployment.put_source(KEY, small_article("Two",
                                                                           slug="second-slug")))
    assert outcome.action == "published"
    assert outcome.removed_pages == ("first-slug/index.html",)
    assert deployment.pages() == ["second-slug/index.html"]
    assert deployment.manifest().claims() == {"second-slug": KEY}
    record = deployment.manifest().get(KEY)
    assert (record["slug"], record["page_keys"]) == ("second-slug", {"second-slug/index.html"})


def test_a_duplicate_is_skipped_unread_and_a_late_older_event_changes_nothing(deployment):
    publisher = deployment.publisher()
    old = deployment.put_source(KEY, small_article("Old"))
    new = deployment.put_source(KEY, small_article("New"))
    assert _process(publisher, new).action == "published"
    heads = count_calls(deployment.s3, "HeadObject")
    puts = count_calls(deployment.s3, "PutObject")
    assert _process(publisher, new).action == "skipped"  # S3 delivered it twice
    assert heads == []
    assert _process(publisher, old).action == "unchanged"  # reads the current source: "New"
    assert puts == []
    assert b"New: the text." in deployment.page("story/index.html")


def test_the_same_version_is_not_rendered_again_but_a_new_renderer_is(deployment, monkeypatch):
    publisher = deployment.publisher()
    event = deployment.put_source(KEY, small_article("Same"))
    _process(publisher, event)
    puts = count_calls(deployment.s3, "PutObject")
    # The same version, from an event the manifest has not seen (e.g. a redrive of a newer one).
    again = deployment.events.s3_event("ObjectCreated:Put", KEY)
    assert _process(publisher, again).action == "unchanged" and puts == []
    from amp_publisher.aws import pipeline

    monkeypatch.setattr(pipeline, "__version__", "9.9.9")
    newer = deployment.events.s3_event("ObjectCreated:Put", KEY)
    assert _process(publisher, newer).action == "published" and len(puts) == 1
    assert deployment.manifest().get(KEY)["renderer_version"] == "9.9.9"


def test_a_page_overwritten_behind_the_manifests_back_is_rendered_again(deployment):
    publisher = deployment.publisher()
    _process(publisher, deployment.put_source(KEY, small_article("Real")))
    deployment.s3.put_object(Bucket=deployment.names.site_bucket, Key="story/index.html",
                             Body=b"<p>stale</p>")
    outcome = _process(publisher, deployment.events.s3_event("ObjectCreated:Put", KEY))
    assert outcome.action == "published"
    assert b"Real: the text." in deployment.page("story/index.html")


def test_deleting_the_newest_version_publishes_the_older_one_again(deployment):
    """Versions are not ordered by LastModified: the current object is what counts."""
    publisher = deployment.publisher()
    _process(publisher, deployment.put_source(KEY, small_article("Older")))
    newest = deployment.put_source(KEY, small_article("Newer"))
    _process(publisher, newest)
    version = newest["Records"][0]["s3"]["object"]["versionId"]
    deployment.s3.delete_object(Bucket=deployment.names.source_bucket, Key=KEY,
                                VersionId=version)
    event = deployment.events.s3_event("ObjectRemoved:Delete", KEY, version_id=version)
    assert _process(publisher, event).action == "published"
    assert b"Older: the text." in deployment.page("story/index.html")


def test_a_busy_key_makes_the_event_retry_unless_it_was_processed_meanwhile(deployment):
    publisher = deployment.publisher(lease_wait_seconds=0.05)
    first = deployment.put_source(KEY, small_article("First"))
    _process(publisher, first)
    second = deployment.put_source(KEY, small_article("Second"))
    deployment.manifest().acquire(KEY, "another-worker", now_ms=int(publisher._clock() * 1000),
                                  lease_ms=60_000)
    with pytest.raises(SourceBusyError):
        _process(publisher, second)
    deployment.manifest().commit_published(KEY, "another-worker", {"sequencer": second[
        "Records"][0]["s3"]["object"]["sequencer"]}, release=False)
    assert _process(publisher, second).action == "skipped"  # done meanwhile: nothing to wait for


def test_a_worker_short_of_lease_does_not_write_the_page(deployment):
    now = [time.time()]  # today: an article published before it is not under embargo

    def clock() -> float:
        now[0] += 1.1  # every look at the clock costs 1.1 s: the lease runs short mid-way
        return now[0]

    publisher = deployment.publisher(lease_seconds=2.0, write_margin_seconds=1.0, clock=clock)
    with pytest.raises(TransientError, match="too little of the lease"):
        _process(publisher, deployment.put_source(KEY, small_article("Slow")))
    assert deployment.pages() == []
    assert "lease_token" not in deployment.manifest().get(KEY)


def test_a_crash_after_the_page_write_leaves_nothing_behind_once_the_source_is_gone(deployment):
    def crash(key: str) -> None:
        raise RuntimeError("the worker died here")

    crashing = deployment.publisher(before_commit=crash)
    with pytest.raises(RuntimeError):
        _process(crashing, deployment.put_source(KEY, small_article("Lost", slug="lost")))
    assert deployment.pages() == ["lost/index.html"]  # written, never committed
    record = deployment.manifest().get(KEY)
    assert record.get("status") is None and record["page_keys"] == {"lost/index.html"}
    outcome = _process(deployment.publisher(), deployment.delete_source(KEY))
    assert outcome.action == "unpublished" and outcome.removed_pages == ("lost/index.html",)
    assert deployment.pages() == [] and deployment.manifest().claims() == {}


def test_a_crash_then_a_rename_removes_the_uncommitted_page(deployment):
    def crash(key: str) -> None:
        raise RuntimeError("the worker died here")

    _process(deployment.publisher(), deployment.put_source(KEY, small_article("A", slug="a")))
    with pytest.raises(RuntimeError):
        _process(deployment.publisher(before_commit=crash),
                 deployment.put_source(KEY, small_article("B", slug="b")))
    assert deployment.pages() == ["b/index.html"]  # the crash came after removing "a"
    _process(deployment.publisher(), deployment.put_source(KEY, small_article("C", slug="c")))
    assert deployment.pages() == ["c/index.html"]
    assert deployment.manifest().claims() == {"c": KEY}
