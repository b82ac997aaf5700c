# ruff: noqa: F811 - ``deployment`` is a fixture imported from inprocess.py
"""The manifest table's guarantees: one lease holder per source key, one owner per slug, and every
write that could be contested conditional on them."""

from __future__ import annotations

import pytest

from amp_publisher.aws.manifest import claim_key, newer_sequencer, slug_of_page_key
from amp_publisher.core.errors import LeaseLostError, SlugConflictError
from inprocess import deployment  # noqa: F401

KEY = "articles/a.json"
OTHER = "articles/b.json"
PAGE = "a-story/index.html"


def test_a_live_lease_keeps_a_second_worker_out_and_an_expired_one_does_not(deployment):
    manifest = deployment.manifest()
    taken, record = manifest.acquire(KEY, "first", now_ms=1_000, lease_ms=500)
    assert taken and record["lease_token"] == "first"
    taken, seen = manifest.acquire(KEY, "second", now_ms=1_400, lease_ms=500)
    assert not taken and seen["lease_token"] == "first"  # the holder's record comes back
    taken, record = manifest.acquire(KEY, "second", now_ms=1_501, lease_ms=500)
    assert taken and record["lease_token"] == "second"
    with pytest.raises(LeaseLostError):  # the first worker outlived its lease
        manifest.release(KEY, "first")
    manifest.release(KEY, "second")
    assert "lease_token" not in manifest.get(KEY)


def test_commits_need_the_lease(deployment):
    manifest = deployment.manifest()
    manifest.acquire(KEY, "mine", now_ms=0, lease_ms=10_000)
    with pytest.raises(LeaseLostError):
        manifest.commit_published(KEY, "not-mine", {"page_key": PAGE, "slug": "a-story"})
    manifest.commit_published(KEY, "mine", {"page_key": PAGE, "slug": "a-story",
                                            "sequencer": "0A"})
    record = manifest.get(KEY)
    assert (record["status"], record["page_key"], record["sequencer"]) == ("published", PAGE,
                                                                           "0A")
    assert "lease_token" not in record  # the commit gave the lease back


def test_a_slug_has_one_owner_and_is_free_again_once_released(deployment):
    manifest = deployment.manifest()
    manifest.acquire(KEY, "a", now_ms=0, lease_ms=10_000)
    manifest.acquire(OTHER, "b", now_ms=0, lease_ms=10_000)
    manifest.claim_page(KEY, "a", PAGE, listed=False)
    manifest.claim_page(KEY, "a", PAGE, listed=True)  # idempotent for its owner
    with pytest.raises(SlugConflictError, match=f"already published by {KEY}") as error:
        manifest.claim_page(OTHER, "b", PAGE, listed=False)
    assert error.value.path == "slug" and error.value.key == OTHER
    assert manifest.claims() == {"a-story": KEY}
    assert manifest.get(KEY)["page_keys"] == {PAGE}
    manifest.release_page(KEY, "a", PAGE, owned=True)
    assert manifest.claims() == {} and not manifest.get(KEY).get("page_keys")
    manifest.claim_page(OTHER, "b", PAGE, listed=False)
    assert manifest.claims() == {"a-story": OTHER}


def test_releasing_a_page_never_gives_up_someone_elses_claim(deployment):
    manifest = deployment.manifest()
    manifest.acquire(KEY, "a", now_ms=0, lease_ms=10_000)
    manifest.acquire(OTHER, "b", now_ms=0, lease_ms=10_000)
    manifest.claim_page(OTHER, "b", PAGE, listed=False)
    manifest.release_page(KEY, "a", PAGE, owned=True)  # KEY thinks it owns it: it does not
    assert manifest.claims() == {"a-story": OTHER}


def test_a_record_that_never_held_anything_is_forgotten_on_release(deployment):
    manifest = deployment.manifest()
    manifest.acquire(KEY, "a", now_ms=0, lease_ms=10_000)
    manifest.release(KEY, "a", forget=True)
    assert manifest.get(KEY) is None
    assert manifest.scan() == []


def test_claim_items_stay_out_of_the_records_and_the_slug_index(deployment):
    manifest = deployment.manifest()
    manifest.acquire(KEY, "a", now_ms=0, lease_ms=10_000)
    manifest.claim_page(KEY, "a", PAGE, listed=False)
    manifest.commit_published(KEY, "a", {"page_key": PAGE, "slug": "a-story"})
    assert [r["source_key"] for r in manifest.scan()] == [KEY]
    indexed = deployment.dynamodb.scan(TableName=deployment.names.manifest_table,
                                       IndexName="slug-index")["Items"]
    assert [i["source_key"]["S"] for i in indexed] == [KEY]
    assert manifest.get(claim_key("a-story"))["owner"] == KEY


def test_deleted_records_lose_their_page_facts_but_keep_the_sequencer(deployment):
    manifest = deployment.manifest()
    manifest.acquire(KEY, "a", now_ms=0, lease_ms=10_000)
    manifest.commit_published(KEY, "a", {"page_key": PAGE, "slug": "a-story",
                                         "headline": "H", "sequencer": "01"}, release=False)
    manifest.commit_deleted(KEY, "a", {"sequencer": "02"})
    record = manifest.get(KEY)
    assert record["status"] == "deleted" and record["sequencer"] == "02"
    assert not {"page_key", "slug", "headline"} & set(record)


def test_sequencers_compare_right_padded():
    # S3's event message structure: the shorter sequencer is right-padded with zeros, then the
    # two are compared lexicographically.
    assert newer_sequencer("A0", "0A1")
    assert not newer_sequencer("A0", "A000")
    assert newer_sequencer("0055AED6DCD9028200", "0055AED6DCD90281E500")
    assert newer_sequencer("00685BC0E46F1A2B37", "00685BAF1B7A3C9D42")
    assert not newer_sequencer("", "01") and newer_sequencer("01", None)


def test_slug_of_page_key_ignores_the_output_prefix():
    assert slug_of_page_key("amp/news/a-story/index.html") == "a-story"
    assert slug_of_page_key(PAGE) == "a-story"
