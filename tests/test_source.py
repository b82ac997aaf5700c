"""Source object bytes → article: encodings, JSON errors and CMS shapes, each named by key."""

from __future__ import annotations

import json

import pytest

from amp_publisher.core.errors import (
    InvalidEncodingError,
    InvalidJSONError,
    NotPublishedError,
    SchemaError,
    UnsupportedShapeError,
)
from amp_publisher.core.source import load_article
from conftest import CORPUS, REFERENCE

KEY = "articles/x.json"


def test_reference_article_loads():
    assert load_article(REFERENCE.read_bytes(), key=KEY).slug == \
        "met-gets-extension-to-palantir-ai-project"


def test_utf8_bom_is_tolerated():
    assert load_article(b"\xef\xbb\xbf" + REFERENCE.read_bytes(), key=KEY).headline


@pytest.mark.parametrize(
    ("raw", "error", "needle"),
    [
        (b"\xff\xfe{}", InvalidEncodingError, "byte 0"),
        (b'{"headline": "x",}', InvalidJSONError, "line 1 column 18"),
        (b'{"headline": "x", "published": "2026-01-01"}', SchemaError, "body"),
        (b'{"title": "no shape"}', UnsupportedShapeError, "title"),
    ],
)
def test_errors_carry_the_key_and_say_what_is_wrong(raw, error, needle):
    with pytest.raises(error) as caught:
        load_article(raw, key=KEY)
    assert caught.value.key == KEY
    assert needle in str(caught.value)


def test_one_wordpress_post_is_one_article():
    raw = (CORPUS / "wordpress" / "wp-post-co-authors.json").read_bytes()
    post = json.loads(raw)
    article = load_article(raw, key=KEY)
    assert article.slug == post["slug"]


def test_a_collection_is_refused_with_its_size_and_shape():
    raw = (CORPUS / "wordpress" / "wp-posts-collection-category-7.json").read_bytes()
    count = len(json.loads(raw))
    with pytest.raises(UnsupportedShapeError, match=f"holds {count} articles"):
        load_article(raw, key=KEY)


def test_an_unpublished_post_says_why():
    post = json.loads((CORPUS / "wordpress" / "wp-post-co-authors.json").read_text())
    post["status"] = "draft"
    with pytest.raises(NotPublishedError, match="no public post.*draft"):
        load_article(json.dumps(post).encode(), key=KEY)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"headline": "x", "n": ' + b"1" * 5000 + b"}",  # over Python's int-conversion limit
        b'{"headline": "x", "n": ' + b"[" * 5000 + b"]" * 5000 + b"}",  # nested too deep
    ],
)
def test_pathological_json_is_an_input_error_not_a_crash(raw):
    with pytest.raises(InvalidJSONError) as caught:
        load_article(raw, key=KEY)
    assert caught.value.key == KEY


@pytest.mark.parametrize("depth", [99, 500, 900])  # 99: 101 levels, one too many
def test_json_nested_deeper_than_any_article_is_refused_where_it_nests(depth):
    """A few hundred levels of arrays (a 1 KB object) in an unknown field used to reach the
    contract's recursive walk and end as a RecursionError: a "renderer bug"."""
    raw = (b'{"headline": "x", "published": "2026-01-01", "body_html": "<p>x</p>", '
           b'"extra": {"list": ' + b"[" * depth + b"]" * depth + b"}}")
    with pytest.raises(InvalidJSONError) as caught:
        load_article(raw, key=KEY)
    assert caught.value.key == KEY and caught.value.path.startswith("extra.list[0][0]")
    assert "more than 100 levels deep" in str(caught.value)


def test_a_document_as_deep_as_the_limit_is_read():
    raw = (b'{"headline": "x", "published": "2026-01-01", "body_html": "<p>x</p>", '
           b'"extra": ' + b"[" * 99 + b"]" * 99 + b"}")
    assert load_article(raw, key=KEY).headline == "x"  # 100 levels: the root, then 99 arrays


@pytest.mark.parametrize("headline_key", [None, "headlne"])
def test_a_missing_or_misspelt_headline_is_named(headline_key):
    data = {"published": "2026-01-01", "body_html": "<p>x</p>"}
    if headline_key:
        data[headline_key] = "Typo"
    with pytest.raises(SchemaError) as caught:
        load_article(json.dumps(data).encode(), key=KEY)
    assert caught.value.path == "headline"
