"""Hostile input to the Contentful and Arc XP ANS adapters: a field of the wrong JSON type, a
number JSON cannot hold, content nested hundreds of levels deep.

Each gives a typed error naming the field (in a collection, that entry fails alone and the
others publish), never a bare ``TypeError``, ``AttributeError``, ``OverflowError``,
``ValueError`` or ``RecursionError`` (which the handler reports as a renderer bug,
``render_crashed``). The inputs are the corpus files of
``tests/corpus/raw/other-cms/`` with one field changed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from amp_publisher.core.adapters import adapt_document
from amp_publisher.core.amp.validator import validate
from amp_publisher.core.errors import InvalidJSONError, SchemaError
from amp_publisher.core.models import parse_article
from amp_publisher.core.rendering import render
from amp_publisher.core.source import adapt_source
from conftest import replaced

RAW = Path(__file__).parent / "corpus" / "raw" / "other-cms"
FALLBACK_DATE = "2024-01-01T00:00:00+00:00"

# --------------------------------------------------------------------------- Contentful

#: The rich text document of the corpus; its asset links point at this id.
DOCUMENT = json.loads((RAW / "contentful-rich-text-document.json").read_text())
ASSET_ID = "4j1JCmvF6MqQymaMqi6OSu"
ASSET = {"sys": {"id": ASSET_ID, "type": "Asset"},
         "fields": {"title": "Harbour", "file": {
             "url": "//images.ctfassets.net/x/harbour.jpg",
             "details": {"image": {"width": 1200, "height": 800}}}}}


def entry(entry_id: str, title: str, body: dict) -> dict:
    return {"sys": {"id": entry_id, "type": "Entry", "createdAt": "2024-02-01T10:00:00Z"},
            "fields": {"title": title, "slug": title.lower().replace(" ", "-"), "body": body}}


def collection(*entries: dict, asset: dict = ASSET) -> dict:
    return {"sys": {"type": "Array"}, "items": list(entries), "includes": {"Asset": [asset]}}



def published_and_failed(doc: dict, site) -> tuple[list[str], list[tuple[str, SchemaError]]]:
    """Publish ``doc`` as the function does: the paths of the items rendered to valid pages,
    and ``(path, error)`` of those that failed."""
    result = adapt_source(json.dumps(doc).encode(), key="articles/feed.json",
                          fallback_published=FALLBACK_DATE)
    for item in result.items:
        page = render(parse_article(item.article), site, source_key="articles/feed.json")
        assert validate(page.html).passed, item.path
    return [item.path for item in result.items], [(f.path, f.error) for f in result.failed]


def test_a_contentful_entry_whose_marks_are_a_number_fails_alone_and_the_good_one_publishes(
        site):
    bad_body = replaced(DOCUMENT, ("content", 8, "content", 0, "content", 2, "marks"), 3)
    doc = collection(entry("e1", "Good", DOCUMENT), entry("e2", "Bad", bad_body))
    published, [(path, error)] = published_and_failed(doc, site)
    assert published == ["items[0]"]
    assert path == "items[1]" and isinstance(error, SchemaError)
    assert error.code == "schema_error" and error.key == "articles/feed.json"
    assert error.path == "items[1].fields.body.content[8].content[0].content[2].marks"
    assert "must be a JSON array, not a JSON number" in error.message


@pytest.mark.parametrize(("node", "field", "value"), [
    # a text node with a code mark
    (("content", 8, "content", 0, "content", 2), ("marks", 0, "type"), ["code"]),
    (("content", 2), ("nodeType",), ["paragraph"]),
    # a hyperlink to https://www.example.com/
    (("content", 4, "content", 1), ("data",), ["x"]),
    (("content", 4, "content", 1), ("data", "uri"), 5),
    # an embedded asset block
    (("content", 5, "content", 1, "content", 0), ("data",), [1]),
    (("content", 5, "content", 1, "content", 0), ("data", "target", "sys"), [1]),
], ids=["mark-type-array", "nodeType-array", "hyperlink-data-array", "hyperlink-uri-number",
        "asset-block-data-array", "asset-block-sys-array"])
def test_a_contentful_node_field_of_the_wrong_type_fails_its_entry_naming_the_field(
        node, field, value):
    bad_body = replaced(DOCUMENT, node + field, value)
    doc = collection(entry("e1", "Good", DOCUMENT), entry("e2", "Bad", bad_body))
    result = adapt_document(doc, source_key="articles/feed.json")
    assert [item.path for item in result.items] == ["items[0]"]
    [failure] = result.failed
    expected = "items[1].fields.body" + "".join(
        f"[{k}]" if isinstance(k, int) else f".{k}" for k in node + field)
    assert failure.path == "items[1]" and failure.error.code == "schema_error"
    assert failure.error.path == expected


@pytest.mark.parametrize(("field", "value"), [
    (("fields",), ["x"]),
    (("fields", "file", "details"), "x"),
    (("fields", "file", "details", "image"), [1]),
], ids=["fields-array", "details-string", "image-array"])
def test_an_included_contentful_asset_of_the_wrong_shape_fails_the_entries_showing_it(
        field, value):
    """The asset is shared: the entry that shows it fails, naming the asset's field; an entry
    that does not link to it publishes."""
    text_only = {"nodeType": "document", "data": {}, "content": [DOCUMENT["content"][2]]}
    doc = collection(entry("e1", "Text only", text_only), entry("e2", "With asset", DOCUMENT),
                     asset=replaced(ASSET, field, value))
    result = adapt_document(doc, source_key="articles/feed.json")
    assert [item.path for item in result.items] == ["items[0]"]
    [failure] = result.failed
    assert failure.path == "items[1]" and failure.error.code == "schema_error"
    assert failure.error.path == "includes.Asset[0]." + ".".join(field)


# --------------------------------------------------------------------------- Arc XP ANS

STORY = json.loads((RAW / "arc-ans-story-tiny-house.json").read_text())


def story_with(element: dict, story_id: str = "B") -> dict:
    story = copy.deepcopy(STORY) | {"_id": story_id, "slug": f"story-{story_id.lower()}"}
    story["content_elements"].append(element)
    return story


def test_an_ans_table_row_that_is_not_an_array_fails_its_story_alone():
    table = {"type": "table", "header": [{"type": "text", "content": "Year"}],
             "rows": [5, [{"type": "text", "content": "2024"}]]}
    doc = {"type": "results", "content_elements": [story_with(table), STORY]}
    result = adapt_document(doc, source_key="articles/results.json")
    assert [item.path for item in result.items] == ["content_elements[1]"]
    [failure] = result.failed
    assert failure.path == "content_elements[0]" and failure.error.code == "schema_error"
    assert failure.error.path == "content_elements[0].content_elements[8].rows[0]"
    assert "must be a JSON array, not a JSON number" in failure.error.message


@pytest.mark.parametrize(("element", "field", "number"), [
    ({"type": "header", "level": 7, "content": "Floor plans"}, "level", "1e999"),
    ({"type": "header", "level": 7, "content": "Floor plans"}, "level", "NaN"),
    ({"type": "video", "streams": [{"stream_type": "mp4", "url": "https://v.example/a.mp4",
                                    "width": 7, "height": 720}]}, "streams[0].width", "1e999"),
], ids=["header-level-1e999", "header-level-NaN", "video-width-1e999"])
def test_an_ans_number_json_cannot_hold_is_a_schema_error_naming_the_field(
        element, field, number):
    """Python reads ``1e999`` as infinity and ``NaN`` as not a number; neither is a heading
    level or a video width."""
    raw = json.dumps(story_with(element)).replace(": 7", ": " + number).encode()
    with pytest.raises(SchemaError) as caught:
        adapt_source(raw, key="articles/story.json")
    assert caught.value.path == f"content_elements[8].{field}"
    assert caught.value.key == "articles/story.json"


@pytest.mark.parametrize("bitrate", ["NaN", "1e999", "-1e999"])
def test_an_ans_stream_bitrate_json_cannot_hold_only_ranks_it_last(bitrate):
    """A bitrate only chooses the stream; refusing NaN there failed a story that published
    before, so it ranks as 0 instead and the other stream is used."""
    video = {"type": "video", "streams": [
        {"stream_type": "mp4", "url": "https://v.example/low.mp4", "bitrate": 600,
         "width": 640, "height": 360},
        {"stream_type": "mp4", "url": "https://v.example/odd.mp4", "bitrate": 7,
         "width": 1920, "height": 1080}]}
    raw = json.dumps(story_with(video)).replace('"bitrate": 7', '"bitrate": ' + bitrate)
    [item] = adapt_source(raw.encode(), key="articles/story.json").items
    assert 'src="https://v.example/low.mp4"' in item.article["body_html"]


def _contentful_blockquotes(depth: int) -> dict:
    node = {"nodeType": "paragraph", "data": {}, "content": [
        {"nodeType": "text", "value": "The innermost words.", "marks": [], "data": {}}]}
    for _ in range(depth):
        node = {"nodeType": "blockquote", "data": {}, "content": [node]}
    return {"nodeType": "document", "data": {}, "content": [DOCUMENT["content"][2], node]}


def _ans_quotes(depth: int) -> dict:
    quote = {"type": "text", "content": "The innermost <em>words</em>."}
    for _ in range(depth):
        quote = {"type": "quote", "content_elements": [quote]}
    return story_with(quote)


@pytest.mark.parametrize("doc", [_contentful_blockquotes(330), _ans_quotes(400)],
                         ids=["contentful-330-blockquotes", "ans-400-quotes"])
def test_a_document_nested_hundreds_deep_is_refused_before_any_adapter_reads_it(doc):
    """Handed to the adapters directly (not read from bytes), such a document reached their
    recursive walks and raised RecursionError; it is refused as the bytes would be."""
    with pytest.raises(InvalidJSONError, match="more than 100 levels deep") as caught:
        adapt_document(doc, source_key="articles/deep.json")
    assert caught.value.key == "articles/deep.json"


@pytest.mark.parametrize("doc", [_contentful_blockquotes(45), _ans_quotes(45)],
                         ids=["contentful-45-blockquotes", "ans-45-quotes"])
def test_a_document_nested_as_deep_as_allowed_is_read_to_its_innermost_words(doc, site):
    [item] = adapt_document(doc, fallback_published=FALLBACK_DATE).items
    page = render(parse_article(item.article), site, source_key="articles/deep.json")
    assert "The innermost" in page.html and validate(page.html).passed
