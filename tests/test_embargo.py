# ruff: noqa: F811 - ``deployment`` is a fixture imported from inprocess.py
"""Embargoes (issue 12): an article whose ``published`` time is ahead is not public before it;
a one-time EventBridge Scheduler schedule delivers its key at that time (simulated here by
invoking what the schedule would invoke, at a faked time); re-uploads move the schedule and a
delete cancels it; ``amp-render status`` lists what is scheduled."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest

from amp_publisher.aws import handler
from amp_publisher.aws.pipeline import Publisher
from amp_publisher.aws.scheduler import EmbargoScheduler
from amp_publisher.local.backend import deliver_due_schedules
from inprocess import deployment, small_article  # noqa: F401

KEY = "articles/embargoed.json"
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
GROUP = "amp-publisher-embargo"


class Clock:
    """The function's wall clock, moved by the test."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now.timestamp()

    def iso(self) -> str:
        return self.now.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def embargo(deployment):
    client = boto3.client("scheduler", region_name="us-east-1")
    client.create_schedule_group(Name=GROUP)
    scheduler = EmbargoScheduler(
        GROUP, "arn:aws:lambda:us-east-1:123456789012:function:amp-publisher-render",
        "arn:aws:iam::123456789012:role/amp-publisher-embargo", scheduler=client)
    clock = Clock(NOW)
    publisher = Publisher(deployment.settings, s3=deployment.s3, dynamodb=deployment.dynamodb,
                          cloudfront=deployment.cloudfront, scheduler=scheduler, clock=clock)
    return deployment, scheduler, clock, publisher


def _invoke(publisher):
    return lambda event: handler.handle_event(event, publisher)


def _article(published: dt.datetime, headline: str = "Embargoed") -> dict:
    return small_article(headline, slug="embargoed",
                         published=published.isoformat().replace("+00:00", "Z"))


def test_an_embargoed_article_is_absent_before_its_time_and_published_by_the_schedule(embargo):
    deployment, scheduler, clock, publisher = embargo
    at = NOW + dt.timedelta(hours=2)
    result = _invoke(publisher)(deployment.put_source(KEY, _article(at)))
    assert result["outcomes"][0]["action"] == "unchanged"
    assert deployment.pages() == []
    record = deployment.manifest().get(KEY)
    assert (record["status"], record["scheduled_for"]) == ("scheduled", "2026-12-01T11:00:00Z")
    (pending,) = scheduler.pending()
    assert pending.at == "2026-12-01T11:00:00Z"
    # An hour later nothing is due yet.
    clock.now = NOW + dt.timedelta(hours=1)
    assert deliver_due_schedules(scheduler, clock.iso(), _invoke(publisher)) == []
    assert deployment.pages() == []
    # At the embargo's end the schedule delivers the key and the page is published.
    clock.now = at
    (event,) = deliver_due_schedules(scheduler, clock.iso(), _invoke(publisher))
    assert event["detail"]["object"]["key"] == KEY
    assert deployment.pages() == ["embargoed/index.html"]
    record = deployment.manifest().get(KEY)
    assert record["status"] == "published" and "scheduled_for" not in record
    assert scheduler.pending() == []
    # ...and its paths are invalidated (a reader may have cached the 404 before).
    last = deployment.invalidations()[-1]
    assert "/embargoed/" in last["InvalidationBatch"]["Paths"]["Items"]


def test_a_reupload_moves_the_schedule_and_a_delete_cancels_it(embargo):
    deployment, scheduler, clock, publisher = embargo
    _invoke(publisher)(deployment.put_source(KEY, _article(NOW + dt.timedelta(hours=2))))
    _invoke(publisher)(deployment.put_source(KEY, _article(NOW + dt.timedelta(days=1))))
    (pending,) = scheduler.pending()
    assert pending.at == "2026-12-02T09:00:00Z"
    assert deployment.manifest().get(KEY)["scheduled_for"] == "2026-12-02T09:00:00Z"
    _invoke(publisher)(deployment.delete_source(KEY))
    assert scheduler.pending() == []
    assert deployment.manifest().get(KEY)["status"] == "deleted"


def test_a_reupload_with_a_past_time_publishes_now_and_cancels_the_schedule(embargo):
    deployment, scheduler, clock, publisher = embargo
    _invoke(publisher)(deployment.put_source(KEY, _article(NOW + dt.timedelta(hours=2))))
    _invoke(publisher)(deployment.put_source(KEY, _article(NOW - dt.timedelta(minutes=5))))
    assert deployment.pages() == ["embargoed/index.html"]
    assert scheduler.pending() == []


def test_a_published_page_moved_into_the_future_is_taken_down_until_then(embargo):
    deployment, scheduler, clock, publisher = embargo
    _invoke(publisher)(deployment.put_source(KEY, _article(NOW - dt.timedelta(hours=1))))
    assert deployment.pages() == ["embargoed/index.html"]
    result = _invoke(publisher)(deployment.put_source(KEY, _article(NOW + dt.timedelta(hours=3))))
    assert result["outcomes"][0]["action"] == "unpublished"
    assert deployment.pages() == []
    assert "/embargoed/" in deployment.invalidations()[-1]["InvalidationBatch"]["Paths"]["Items"]


def test_status_lists_scheduled_articles(embargo, monkeypatch, capsys):
    from amp_publisher.aws import storage
    from amp_publisher.local.cli import main

    deployment, scheduler, clock, publisher = embargo
    _invoke(publisher)(deployment.put_source(KEY, _article(NOW + dt.timedelta(hours=2))))
    monkeypatch.setenv("MANIFEST_TABLE", deployment.names.manifest_table)
    monkeypatch.delenv("FAILED_EVENTS_QUEUE_URL", raising=False)
    storage.client.cache_clear()
    try:
        main(["status"])
        out = capsys.readouterr().out
    finally:
        storage.client.cache_clear()
    assert "1 scheduled" in out
    assert f"  2026-12-01T11:00:00Z  {KEY}" in out.splitlines()
