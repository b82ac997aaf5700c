"""Hostile input: whatever a source document or a body holds, only ``ArticleError``s escape.

The cases come from a hostile-input review of the renderer; each test names the input it shows
and asserts what a publisher sees (a typed error with the field's path, or a valid page with a
report entry), never merely "no crash".
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amp_renderer.adapters import articles_from_document
from amp_renderer.errors import ArticleError, SchemaError

ROOT = Path(__file__).parent.parent
RAW = ROOT / "tests/corpus/raw"
CMS_FILES = sorted((RAW / "wordpress").glob("*.json")) + sorted((RAW / "ghost").glob("*.json"))
DOCS = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in CMS_FILES}


# --------------------------------------------------------------------------- input adapters


def _paths(value, prefix=()):
    """Every path to a value in a JSON document (first three items of each array)."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            yield from _paths(child, (*prefix, index))


def _replaced(doc, path, new):
    if not path:
        return new
    doc = copy.deepcopy(doc)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return doc


LEAVES = [(name, path) for name, doc in DOCS.items() for path in _paths(doc) if path]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leaf=st.sampled_from(LEAVES),
       new=st.sampled_from([1, [], {}, True, "x", None, -1.5, "<script>x</script>"]))
def test_any_field_of_a_cms_document_replaced_by_any_json_value_gives_articles_or_an_article_error(
        leaf, new):
    name, path = leaf
    doc = _replaced(DOCS[name], path, new)
    try:
        articles = articles_from_document(doc, source_key=f"articles/{name}")
    except ArticleError as exc:
        assert exc.key == f"articles/{name}" and exc.message
        return
    assert all(isinstance(a, dict) for a in articles)


def test_a_wordpress_title_that_is_a_number_is_a_schema_error_naming_title_rendered():
    post = {"title": {"rendered": 1}, "content": {"rendered": "<p>x</p>"}, "date": "2026-01-01"}
    with pytest.raises(SchemaError) as caught:
        articles_from_document(post, source_key="articles/wp.json")
    assert caught.value.path == "title.rendered"
    assert "must be a JSON string, not a JSON number" in caught.value.message


def test_a_ghost_author_name_that_is_a_number_is_a_schema_error_naming_the_author():
    post = {"title": "t", "html": "<p>x</p>", "published_at": "2026-01-01T00:00:00Z",
            "authors": [{"name": "Ann"}, {"name": 1}]}
    with pytest.raises(SchemaError) as caught:
        articles_from_document({"posts": [post]})
    assert caught.value.path == "posts[0].authors[1].name"


def test_a_ghost_export_with_a_broken_join_row_names_the_row():
    doc = copy.deepcopy(DOCS["ghost-theme-unit-test-export.json"])
    doc["db"][0]["data"]["posts_tags"][1]["tag_id"] = {"id": 1}
    with pytest.raises(SchemaError) as caught:
        articles_from_document(doc)
    assert caught.value.path == "db[0].data.posts_tags[1].tag_id"


def test_script_in_a_wordpress_title_is_not_part_of_the_headline():
    doc = copy.deepcopy(DOCS["wp-post-bogus-sizes-wp-caption.json"])
    doc["title"]["rendered"] = "<script>alert(1)</script>My <style>b{}</style>Title"
    [article] = articles_from_document(doc)
    assert article["headline"] == "My Title"


def test_control_characters_in_cms_names_do_not_reach_the_article():
    post = {"title": "a\u0000b\u000bc", "html": "<p>x</p>",
            "published_at": "2026-01-01T00:00:00Z", "authors": [{"name": "An\u007fn"}]}
    [article] = articles_from_document(post)
    assert (article["headline"], article["authors"][0]["name"]) == ("abc", "Ann")


# --------------------------------------------------------------------------- body HTML parsing


def _codes(result):
    return [entry.code for entry in result.report]


def test_a_body_nested_a_thousand_divs_deep_keeps_its_text_and_reports_the_flattening():
    from amp_renderer.conversion import convert_html
    from amp_renderer.conversion.tree import MAX_ELEMENT_DEPTH

    result = convert_html("<div>" * 1000 + "deep text" + "</div>" * 1000 + "<p>after</p>")
    assert "deep text" in result.html and result.html.endswith("<p>after</p>")
    assert result.html.count("<div>") == MAX_ELEMENT_DEPTH
    assert "NESTING_TOO_DEEP" in _codes(result)


def test_deeply_nested_svg_and_unclosed_spans_convert():
    from amp_renderer.conversion import convert_html

    for body in ("<svg><g>" * 5000 + "x", "<span>" * 20000 + "tail words"):
        result = convert_html(body)
        assert "NESTING_TOO_DEEP" in _codes(result)
    assert "tail words" in result.html


def test_a_paragraph_of_many_character_references_keeps_every_character():
    from amp_renderer.conversion import convert_html

    result = convert_html("<p>" + "&amp;&lt;&#x1F600; x " * 30_000 + "</p>")
    assert result.html.count("&amp;&lt;\U0001F600 x") == 30_000


def test_an_element_with_twenty_thousand_attributes_keeps_the_first_ones_and_reports_the_rest():
    from amp_renderer.conversion import convert_html
    from amp_renderer.conversion.tree import MAX_ATTRIBUTES_PER_ELEMENT

    body = "<p " + " ".join(f"data-a{i}=1" for i in range(20_000)) + ">text</p>"
    result = convert_html(body)
    assert result.html.count(" data-a") == MAX_ATTRIBUTES_PER_ELEMENT
    assert 'data-a0="1"' in result.html and "data-a19999" not in result.html
    [entry] = [e for e in result.report if e.code == "TOO_MANY_ATTRIBUTES"]
    assert str(20_000 - MAX_ATTRIBUTES_PER_ELEMENT) in entry.detail and entry.element == "p"


def test_nul_and_other_control_characters_in_a_body_are_removed_and_reported():
    from amp_renderer.conversion import convert_html

    result = convert_html('<p title="a\x00b">c\x01d\x0be</p>')
    assert result.html == '<p title="ab">cde</p>'
    [entry] = [e for e in result.report if e.code == "INVALID_CHARACTER"]
    assert entry.detail.startswith("3 ")
