# ruff: noqa: F811 - ``deployment`` is a fixture imported from inprocess.py
"""What readers may see (DESIGN §10, issue 12): a source that says its post is no longer public
takes its page down, with an invalidation; it is a takedown, never a recorded failure."""

from __future__ import annotations

import json

import pytest

from amp_publisher.aws.events import parse_event
from conftest import CORPUS
from inprocess import deployment, small_article  # noqa: F401

KEY = "articles/story.json"


def _process(publisher, event):
    (record,) = parse_event(event).records
    return publisher.process(record)


def _wordpress_post(status: str) -> dict:
    post = json.loads((CORPUS / "wordpress" / "wp-post-co-authors.json").read_text())
    return {**post, "status": status}


def _published_then(deployment, first: dict, then: dict):
    publisher = deployment.publisher()
    assert _process(publisher, deployment.put_source(KEY, first)).action == "published"
    (page,) = deployment.pages()
    outcome = _process(publisher, deployment.put_source(KEY, then))
    return page, outcome


def _assert_taken_down(deployment, page, outcome):
    assert outcome.action == "unpublished" and outcome.removed_pages == (page,)
    assert deployment.pages() == []
    record = deployment.manifest().get(KEY)
    assert record["status"] == "unpublished" and "error" not in record
    assert "page_key" not in record and not record.get("page_keys")
    # The last invalidation is the takedown's, and it names the page's URL forms.
    directory = "/" + page[: -len("index.html")]
    last = deployment.invalidations()[-1]
    assert sorted(last["InvalidationBatch"]["Paths"]["Items"]) == [directory, "/" + page]
    assert record["last_invalidation"]["id"] == last["Id"]
    assert deployment.manifest().claims() == {}  # the slug is free again


def test_our_status_draft_takes_the_page_down(deployment):
    article = small_article(slug="story")
    page, outcome = _published_then(deployment, article, {**article, "status": "draft"})
    _assert_taken_down(deployment, page, outcome)
    assert "draft" in outcome.reason


def test_an_unfinished_draft_is_still_a_draft_not_a_schema_error(deployment):
    page, outcome = _published_then(deployment, small_article(slug="story"),
                                    {"status": "draft", "headline": ""})
    _assert_taken_down(deployment, page, outcome)


@pytest.mark.parametrize("status", ["draft", "private", "pending", "trash"])
def test_a_wordpress_post_no_longer_public_takes_its_page_down(deployment, status):
    page, outcome = _published_then(deployment, _wordpress_post("publish"),
                                    _wordpress_post(status))
    _assert_taken_down(deployment, page, outcome)
    assert repr(status) in outcome.reason


def test_a_ghost_post_turned_draft_takes_its_page_down(deployment):
    doc = json.loads((CORPUS / "ghost" / "ghost-content-api-posts-welcome.json").read_text())
    post = doc["posts"][0]
    page, outcome = _published_then(deployment, post, {**post, "status": "draft"})
    _assert_taken_down(deployment, page, outcome)


def test_publishing_again_after_a_takedown_restores_the_page(deployment):
    article = small_article(slug="story")
    publisher = deployment.publisher()
    _process(publisher, deployment.put_source(KEY, article))
    _process(publisher, deployment.put_source(KEY, {**article, "status": "draft"}))
    assert _process(publisher, deployment.put_source(KEY, article)).action == "published"
    assert deployment.pages() == ["story/index.html"]
    assert deployment.manifest().get(KEY)["status"] == "published"


def test_a_new_draft_publishes_nothing_and_is_not_a_failure(deployment):
    publisher = deployment.publisher()
    outcome = _process(publisher, deployment.put_source(KEY, {**small_article(),
                                                              "status": "draft"}))
    assert outcome.action == "unchanged" and deployment.pages() == []
    assert deployment.manifest().get(KEY)["status"] == "unpublished"


def test_an_unknown_status_is_a_schema_error():
    from amp_publisher.core.errors import SchemaError
    from amp_publisher.core.source import load_article

    with pytest.raises(SchemaError) as caught:
        load_article(json.dumps({**small_article(), "status": "hidden"}).encode(),
                     key="articles/x.json")
    assert caught.value.path == "status"
