"""The article contract (DESIGN §3): what is accepted, and errors that name the JSON path."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from amp_publisher.core.errors import SchemaError
from amp_publisher.core.models import json_schema, parse_article, unknown_field_paths
from conftest import REFERENCE, REFERENCE_HTML


def test_both_reference_variants_parse(reference_data):
    blocks = parse_article(reference_data)
    html = parse_article(json.loads(REFERENCE_HTML.read_text()))
    assert len(blocks.body) == 24
    assert blocks.body_html is None and html.body is None and html.body_html
    assert blocks.headline == html.headline
    assert blocks.published == dt.date(2026, 6, 25)
    assert [a.name for a in blocks.authors] == ["Sandra Johnson"]


@pytest.mark.parametrize(
    ("mutate", "path", "needle"),
    [
        (lambda d: d.pop("headline"), "headline", "required"),
        (lambda d: d["body"][3].update(type="marquee"), "body[3].type", "unknown block type"),
        (lambda d: d["body"][0].update(level=9), "body[0].level", "less than or equal to 6"),
        (lambda d: d.update(updated="2020-01-01"), "updated", "not be before published"),
        (lambda d: d.update(published="25/06/2026"), "published", "date"),
        (lambda d: d.update(slug="Not A Slug"), "slug", "pattern"),
        (lambda d: d.update(body_html="<p>x</p>"), "body", "exactly one of"),
        (lambda d: d.update(schema_version=2), "schema_version", "unknown schema_version 2"),
        (lambda d: d.update(image={"src": "http://insecure.example/a.jpg", "alt": ""}),
         "image.src", "https"),
        (lambda d: d["body"][1].pop("text"), "body[1]", "exactly one of text or html"),
        (lambda d: d.update(tags="London"), "tags", "list"),
    ],
)
def test_errors_name_the_json_path(reference_data, mutate, path, needle):
    data = copy.deepcopy(reference_data)
    mutate(data)
    with pytest.raises(SchemaError) as caught:
        parse_article(data)
    assert caught.value.path == path
    assert needle in str(caught.value)
    assert str(caught.value).startswith(path)


def test_date_time_keeps_its_zone_and_naive_means_utc(reference_data):
    data = dict(reference_data, published="2026-06-25T09:30:00+01:00",
                updated="2026-06-25T12:00:00")
    article = parse_article(data)
    assert article.published.utcoffset() == dt.timedelta(hours=1)
    assert article.updated.tzinfo == dt.UTC


def test_unknown_fields_are_kept_aside_as_warnings(reference_data):
    data = copy.deepcopy(reference_data)
    data["colour"] = "red"
    data["body"][2]["emphasis"] = True
    article = parse_article(data)
    assert unknown_field_paths(article) == ["colour", "body[2].emphasis"]


def test_non_object_json_is_a_schema_error():
    with pytest.raises(SchemaError, match="JSON object"):
        parse_article([1, 2])


def test_json_schema_describes_every_block_type():
    schema = json_schema()
    text = json.dumps(schema)
    for block in ("paragraph", "heading", "quote", "list", "image", "gallery", "embed", "video",
                  "audio", "code", "table", "divider", "html"):
        assert f'"const": "{block}"' in text
    assert "headline" in schema["required"] and "published" in schema["required"]
    assert REFERENCE.exists()


def test_headline_is_plain_text_even_when_it_looks_like_markup(reference_data):
    """A WordPress title ``Use &lt;div&gt;`` decodes to ``Use <div>``: that is text, shown
    as written (the theme escapes it), not an error."""
    assert parse_article(dict(reference_data, headline="Use <div> for layout")).headline == \
        "Use <div> for layout"


@pytest.mark.parametrize("value", ["20260101", "2026", 2026, -1, 1767225600, "June 25, 2026",
                                   "2026-06-25T9:30", "٢٠٢٦-٠٦-٢٥", "２０２６-０６-２５"])
def test_dates_must_be_iso_8601_strings(reference_data, value):
    with pytest.raises(SchemaError) as caught:
        parse_article(dict(reference_data, published=value))
    assert caught.value.path == "published"
    assert "ISO 8601" in str(caught.value)


@pytest.mark.parametrize("field, value", [
    ("published", "0001-01-01T00:00:00Z"),  # Go's zero time, .NET's DateTime.MinValue
    ("published", "0999-12-31"), ("published", "9999-12-31T23:59:59Z"),
    ("updated", "9999-12-31"),
    ("published", "1000-01-01T00:00:00+14:00"),  # in UTC, 31 December 999
    ("published", "9999-12-31T23:59:59-05:00"),  # in UTC, year 10,000: beyond datetime
    ("updated", "0001-01-01T00:00:00+05:00")])  # in UTC, year 0: the same
def test_no_date_sentinels_are_refused_naming_the_field(reference_data, field, value):
    """A "no date" value is not a publication date: refused as a schema error naming the
    field, not published (its page could not show it in a time zone west of UTC)."""
    with pytest.raises(SchemaError) as caught:
        parse_article(dict(reference_data, **{field: value}))
    assert caught.value.path == field
    assert "the year must be 1000 to 9998" in str(caught.value)


@pytest.mark.parametrize("value", ["2016-12-31T23:59:60Z", "2026-02-30T09:30:00Z",
                                   "2026-06-25T24:00:00Z", "2026-06-25T09:30:00+24:00"])
def test_a_date_time_that_does_not_exist_is_refused_saying_so(reference_data, value):
    with pytest.raises(SchemaError) as caught:
        parse_article(dict(reference_data, published=value))
    assert caught.value.path == "published"
    assert "is not a date and time that exists" in str(caught.value)


def test_a_lowercase_t_separates_date_and_time_as_rfc_3339_allows(reference_data):
    import datetime as dt

    article = parse_article(dict(reference_data, published="2026-06-25t09:30:00z", updated=None))
    assert article.published == dt.datetime(2026, 6, 25, 9, 30, tzinfo=dt.UTC)


def test_a_naive_date_time_given_from_python_is_utc(reference_data):
    """As for a string without a zone: the library's callers may pass datetime objects."""
    import datetime as dt

    article = parse_article(dict(reference_data, published=dt.datetime(2026, 6, 25, 9, 30),
                                 updated="2026-06-25T10:00:00Z"))
    assert article.published == dt.datetime(2026, 6, 25, 9, 30, tzinfo=dt.UTC)


def test_an_old_archive_date_is_a_date(reference_data, site):
    """A digitised archive's article from 1851 is published, and its page shows the date."""
    from amp_publisher.core.rendering import render

    article = parse_article(dict(reference_data, published="1851-09-18T06:00:00Z",
                                 updated=None))
    assert article.published.year == 1851
    assert 'datetime="1851-09-18' in render(article, site).html


def test_control_characters_are_dropped_from_text(reference_data):
    data = copy.deepcopy(reference_data)
    data["headline"] = "Met\u0000 gets\u000b extension\u007f"
    data["tags"] = ["Pal\u0001antir"]
    data["body"][1]["text"] = "Line one\nline two\ttabbed\u0008"
    article = parse_article(data)
    assert article.headline == "Met gets extension"
    assert article.tags == ["Palantir"]
    assert article.body[1].text == "Line one\nline two\ttabbed"


def test_schema_version_must_be_a_number_not_true(reference_data):
    with pytest.raises(SchemaError) as caught:
        parse_article(dict(reference_data, schema_version=True))
    assert caught.value.path == "schema_version"


def test_invalid_unicode_is_named(reference_data):
    data = json.loads(json.dumps(reference_data)[:-1] + ', "\\ud800": 1}')
    with pytest.raises(SchemaError, match="not valid Unicode"):
        parse_article(data)


@pytest.mark.parametrize("field", ["text", "language"])
def test_a_lone_surrogate_in_a_code_block_is_named(field):
    """A code block keeps its white space; a lone surrogate in it was let through and crashed
    the renderer when the page was encoded."""
    block = {"type": "code", "text": "print(1)", "language": "python"}
    block[field] = "a\ud800b"
    data = json.loads(json.dumps({"headline": "x", "published": "2026-01-01",
                                  "body": [{"type": "paragraph", "text": "p"}, block]}))
    with pytest.raises(SchemaError, match="not valid Unicode") as caught:
        parse_article(data)
    assert caught.value.path == f"body[1].{field}"
    block[field] = "emoji \U0001f600 and   spaces  "  # a valid pair is kept, spaces too
    assert getattr(parse_article(json.loads(json.dumps(
        {"headline": "x", "published": "2026-01-01", "body": [block]}))).body[0], field) \
        == "emoji \U0001f600 and   spaces  "


@pytest.mark.parametrize(("extra", "path"), [
    ({"canonical_url": 'https://example.com"><b>'}, "canonical_url"),
    ({"canonical_url": "https://example.com:99999/story"}, "canonical_url"),
    ({"authors": [{"name": "A", "url": "https://exa<mple.com/a"}]}, "authors[0].url"),
    ({"body": [{"type": "embed", "provider": "iframe", "url": "https://x<y/"}]}, "body[0].url"),
])
def test_a_url_the_amp_validator_calls_malformed_is_refused_at_its_field(extra, path):
    """Such a URL passed the contract, then failed the page at the publish gate as
    amp_validation_failed, naming no field."""
    data = {"headline": "x", "published": "2026-01-01", "body_html": "<p>x</p>", **extra}
    if "body" in extra:
        del data["body_html"]
    with pytest.raises(SchemaError, match="not a well-formed URL") as caught:
        parse_article(data)
    assert caught.value.path == path


def test_urls_with_characters_escaped_in_the_page_are_kept():
    url = "https://example.com/a<b?q=1&r=\"2\"#f"  # after the host: escaped in href, valid
    article = parse_article({"headline": "x", "published": "2026-01-01",
                             "body_html": "<p>x</p>", "canonical_url": url})
    assert article.canonical_url == url
