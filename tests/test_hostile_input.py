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

from amp_publisher.core.adapters import articles_from_document
from amp_publisher.core.errors import ArticleError, SchemaError
from conftest import replaced

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



LEAVES = [(name, path) for name, doc in DOCS.items() for path in _paths(doc) if path]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leaf=st.sampled_from(LEAVES),
       new=st.sampled_from([1, [], {}, True, "x", None, -1.5, "<script>x</script>"]))
def test_any_field_of_a_cms_document_replaced_by_any_json_value_gives_articles_or_an_article_error(
        leaf, new):
    name, path = leaf
    doc = replaced(DOCS[name], path, new)
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
    from amp_publisher.core.conversion import convert_html
    from amp_publisher.core.conversion.tree import MAX_ELEMENT_DEPTH

    result = convert_html("<div>" * 1000 + "deep text" + "</div>" * 1000 + "<p>after</p>")
    assert "deep text" in result.html and result.html.endswith("<p>after</p>")
    assert result.html.count("<div>") == MAX_ELEMENT_DEPTH
    assert "NESTING_TOO_DEEP" in _codes(result)


def test_deeply_nested_svg_and_unclosed_spans_convert():
    from amp_publisher.core.conversion import convert_html

    for body in ("<svg><g>" * 5000 + "x", "<span>" * 20000 + "tail words"):
        result = convert_html(body)
        assert "NESTING_TOO_DEEP" in _codes(result)
    assert "tail words" in result.html


def test_a_paragraph_of_many_character_references_keeps_every_character():
    from amp_publisher.core.conversion import convert_html

    result = convert_html("<p>" + "&amp;&lt;&#x1F600; x " * 30_000 + "</p>")
    assert result.html.count("&amp;&lt;\U0001F600 x") == 30_000


def test_an_element_with_twenty_thousand_attributes_keeps_the_first_ones_and_reports_the_rest():
    from amp_publisher.core.conversion import convert_html
    from amp_publisher.core.conversion.tree import MAX_ATTRIBUTES_PER_ELEMENT

    body = "<p " + " ".join(f"data-a{i}=1" for i in range(20_000)) + ">text</p>"
    result = convert_html(body)
    assert result.html.count(" data-a") == MAX_ATTRIBUTES_PER_ELEMENT
    assert 'data-a0="1"' in result.html and "data-a19999" not in result.html
    [entry] = [e for e in result.report if e.code == "TOO_MANY_ATTRIBUTES"]
    assert str(20_000 - MAX_ATTRIBUTES_PER_ELEMENT) in entry.detail and entry.element == "p"


def test_nul_and_other_control_characters_in_a_body_are_removed_and_reported():
    from amp_publisher.core.conversion import convert_html

    result = convert_html('<p title="a\x00b">c\x01d\x0be</p>')
    assert result.html == '<p title="ab">cde</p>'
    [entry] = [e for e in result.report if e.code == "INVALID_CHARACTER"]
    assert entry.detail.startswith("3 ")


def test_character_references_to_control_characters_are_removed_and_reported():
    from amp_publisher.core.conversion import convert_html

    result = convert_html('<p title="x&#1;y">a&#14;b&#x1F;c&#12;d&#x0B;e &#128512;</p>')
    assert result.html == '<p title="xy">abc de \U0001F600</p>'
    [entry] = [e for e in result.report if e.code == "INVALID_CHARACTER"]
    assert entry.detail.startswith("4 ")


def test_a_body_of_180000_tiny_elements_is_a_permanent_conversion_error(site):
    from amp_publisher.core.conversion.tree import MAX_ELEMENTS
    from amp_publisher.core.errors import ConversionError
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    body = "<i>a</i>" * 180_000  # 1.4 MB
    article = parse_article({"headline": "Many", "slug": "many", "published": "2026-01-01",
                             "body_html": body})
    with pytest.raises(ConversionError) as caught:
        render(article, site)
    assert "180,000 start tags" in str(caught.value)
    assert f"{MAX_ELEMENTS:,}" in str(caught.value)
    assert caught.value.code == "conversion_error"
    assert caught.value.path == "body_html"  # logged and stored with the error


@pytest.mark.parametrize(("body", "path"), [
    ([{"type": "paragraph", "text": "p"},
      {"type": "embed", "provider": "youtube", "id": "bad id!"}], "body[1].id"),
    ([{"type": "embed", "provider": "iframe", "url": "http://example.com/x"}], "body[0].url"),
    ([{"type": "paragraph", "text": "p"}, {"type": "paragraph", "text": "q"},
      {"type": "html", "html": "<i>a</i>" * 25_000}], "body[2]"),
])
def test_a_block_that_cannot_be_converted_is_named_by_its_index(site, body, path):
    """The converter knows only the block it was given: its errors said ``id`` or nothing,
    which names no field of the article."""
    from amp_publisher.core.errors import ConversionError
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    article = parse_article({"headline": "Blocks", "slug": "blocks", "published": "2026-01-01",
                             "body": body})
    with pytest.raises(ConversionError) as caught:
        render(article, site)
    assert caught.value.path == path


def test_formatting_elements_the_parser_recreates_count_against_the_element_budget():
    from amp_publisher.core.conversion import convert_html
    from amp_publisher.core.conversion.tree import MAX_ELEMENTS
    from amp_publisher.core.errors import ConversionError

    # closing each paragraph closes 30 formatting elements, which the parser re-creates in the
    # next one (WHATWG "reconstruct the active formatting elements"): 831 start tags, 24,800
    # elements in the tree
    body = "<p>" + "".join(f"<b class=c{i}>" for i in range(30)) + "x<p>" * 800 + "x"
    assert body.count("<") < MAX_ELEMENTS
    with pytest.raises(ConversionError, match="elements"):
        convert_html(body)


# --------------------------------------------------------------------------- AMP markup in bodies


def test_an_author_amp_iframe_loses_srcdoc_and_never_gets_top_navigation():
    from amp_publisher.core.conversion import convert_html

    result = convert_html(
        '<amp-iframe src="https://evil.example/" width=100 height=100 srcdoc="<script>'
        'alert(document.cookie)</script>" sandbox="allow-scripts allow-same-origin '
        'allow-top-navigation allow-modals"></amp-iframe>')
    assert "srcdoc" not in result.html and "<script" not in result.html
    # an unknown host keeps scripts but runs in an opaque origin (embed policy: other frames)
    assert 'sandbox="allow-scripts"' in result.html
    details = " ".join(e.detail for e in result.report)
    assert "srcdoc removed" in details
    assert "allow-modals allow-same-origin allow-top-navigation removed" in details


def test_an_iframe_sandbox_may_be_stricter_than_the_default_never_looser():
    from amp_publisher.core.conversion import convert_html

    loose = convert_html('<iframe src="https://x.example/" sandbox="allow-top-navigation '
                         'allow-scripts"></iframe>')
    assert 'sandbox="allow-scripts"' in loose.html
    none = convert_html('<iframe src="https://x.example/"></iframe>')
    assert "allow-top-navigation" not in none.html and 'sandbox="allow-scripts ' in none.html


@pytest.mark.parametrize("markup", [
    '<amp-pixel src="https://evil.example/track?x=CLIENT_ID(x)"></amp-pixel>',
    '<amp-analytics type="googleanalytics"><script type="application/json">{}</script>'
    '</amp-analytics>',
    '<amp-state id="s" src="https://evil.example/s.json"></amp-state>',
    '<amp-list src="https://evil.example/l.json" width=10 height=10><template type='
    '"amp-mustache">{{x}}</template></amp-list>',
])
def test_tracking_and_remote_data_components_are_removed_from_bodies(markup):
    from amp_publisher.core.conversion import convert_html

    result = convert_html(f"<p>before</p>{markup}<p>after</p>")
    assert result.html == "<p>before</p><p>after</p>"
    assert "evil" not in result.html and "DISALLOWED_TAG" in _codes(result)


def test_state_bindings_are_removed():
    from amp_publisher.core.conversion import convert_html

    result = convert_html('<p [text]="secret" data-amp-bind-class="x">shown</p>')
    assert result.html == "<p>shown</p>"


def test_an_accordion_with_paragraph_children_is_unwrapped_keeping_its_text(site):
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    article = parse_article({"slug": "acc", "headline": "Accordion", "published": "2026-01-01",
                             "body_html": "<amp-accordion><p>Kept text</p></amp-accordion>"})
    page = render(article, site)
    assert "<p>Kept text</p>" in page.html and "amp-accordion" not in page.html
    assert validate(page.html).status == "PASS"


_COMPONENTS = ["amp-accordion", "amp-carousel", "amp-sidebar", "amp-img", "amp-anim",
               "amp-iframe", "amp-youtube", "amp-vimeo", "amp-twitter", "amp-instagram",
               "amp-facebook", "amp-soundcloud", "amp-video", "amp-audio", "amp-fit-text",
               "amp-social-share", "amp-gist", "amp-brightcove", "amp-lightbox-gallery",
               "amp-pixel", "amp-analytics", "amp-layout", "amp-position-observer"]
_ATTRS = ['layout="responsive"', 'layout="fixed"', 'layout="nodisplay"', 'layout="fill"',
          'width="300"', 'height="200"', 'width="auto"', 'height="50%"',
          'src="https://a.example/x"', 'src="http://a.example/x"', 'data-videoid="dQw4w9WgXcQ"',
          'data-tweetid="1"', 'data-shortcode="abc"', 'type="slides"', 'placeholder', 'fallback',
          'heights="(min-width:1px) 10px"',
          'sandbox="allow-scripts"', 'data-href="https://www.facebook.com/x/posts/1"',
          'alt="x"', 'srcdoc="<p>x</p>"', 'data-trackid="1"']
_CHILDREN = ["text", "<p>para</p>", "<section><h2>h</h2><p>x</p></section>", "<div>d</div>",
             "<span>s</span>", "<nav>n</nav>", "<h3>h</h3>", "<source src=\"https://a.example/v\">"]


@st.composite
def _component_markup(draw, depth=0):
    tag = draw(st.sampled_from(_COMPONENTS))
    attrs = " ".join(draw(st.lists(st.sampled_from(_ATTRS), max_size=4, unique=True)))
    parts = draw(st.lists(st.sampled_from(_CHILDREN), max_size=3))
    if depth < 1 and draw(st.booleans()):
        parts.append(draw(_component_markup(depth=depth + 1)))
    return f"<{tag} {attrs}>{''.join(parts)}</{tag}>"


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(body=st.lists(_component_markup(), min_size=1, max_size=3).map("".join))
def test_random_author_supplied_amp_component_markup_gives_a_valid_page(site, body):
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    article = parse_article({"slug": "components", "headline": "Components",
                             "published": "2026-01-01", "body_html": body})
    result = validate(render(article, site).html)
    assert result.status == "PASS", [f"{e.code}: {e.message}" for e in result.errors]


# --------------------------------------------------------------------------- embed blocks


@pytest.mark.parametrize("provider,bad_id", [("youtube", "<x>/?"), ("youtube", "a\x00bcdefg"),
                                             ("instagram", "a\x00b"), ("instagram", "<p>")])
def test_a_youtube_or_instagram_embed_block_with_a_bad_id_is_a_conversion_error_naming_id(
        provider, bad_id):
    from amp_publisher.core.conversion import render_embed
    from amp_publisher.core.errors import ConversionError

    with pytest.raises(ConversionError) as caught:
        render_embed(provider, id=bad_id)
    assert caught.value.path == "id"


def test_a_pasted_youtube_url_with_a_bad_id_stays_a_link():
    from amp_publisher.core.conversion import convert_html

    result = convert_html('<p><a href="https://youtu.be/%3Cx%3E">https://youtu.be/%3Cx%3E</a></p>')
    assert "amp-youtube" not in result.html and "<a href=" in result.html


@settings(max_examples=300, deadline=None)
@given(provider=st.sampled_from(["youtube", "vimeo", "twitter", "instagram", "facebook",
                                 "soundcloud", "iframe", "other"]),
       id=st.one_of(st.none(), st.text(max_size=20)),
       url=st.one_of(st.none(), st.text(max_size=30),
                     st.text(max_size=20).map(lambda t: "https://www.facebook.com/x/posts/" + t),
                     st.text(max_size=20).map(lambda t: "https://x.example/" + t)))
def test_render_embed_raises_only_article_errors(provider, id, url):
    from amp_publisher.core.conversion import render_embed

    try:
        result = render_embed(provider, id=id, url=url)
    except ArticleError:
        return
    assert result.html.startswith("<amp-")


@settings(max_examples=200, deadline=None)
@given(body=st.lists(st.sampled_from(list("<>/=\"' &;#x0a-z") + [
    "<p>", "</p>", "<div>", "<style>", "</style>", "<svg>", "<amp-iframe srcdoc=", "<table>",
    "<td>", "<template>", "url(", "javascript:", "<!--", "\x00", "\ud800", "{", "}", "@media",
    "<amp-accordion>", "<iframe src=https://x.example/>", "<title>"]), max_size=60).map("".join))
def test_convert_html_raises_nothing_for_any_markup(body):
    from amp_publisher.core.conversion import convert_html
    from amp_publisher.core.conversion.markdown import markdown_to_html

    assert isinstance(convert_html(body).html, str)
    assert isinstance(convert_html(markdown_to_html(body)).html, str)


# --------------------------------------------------------------------------- text lost is reported


@pytest.mark.parametrize("body,text", [
    ('<iframe src="https://x.example/" width=600 height=400>Watch the video on x.example'
     '</iframe>', "Watch the video on x.example"),
    ('<iframe src="http://x.example/">Fallback words</iframe>', "Fallback words"),
    ('<iframe src="about:blank">Nothing here</iframe>', "Nothing here"),
    ('<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ">Watch on YouTube</iframe>',
     "Watch on YouTube"),
    ("<title>Pasted title</title>", "Pasted title"),
    ("<noembed>No embed text</noembed>", "No embed text"),
    ("<noframes>No frames text</noframes>", "No frames text"),
])
def test_every_removal_of_text_says_which_text(body, text):
    from amp_publisher.core.conversion import convert_html

    result = convert_html(body)
    assert text in [e.removed_text for e in result.report]


def test_template_without_type_is_unwrapped_and_its_text_kept():
    # <template> is an AMP tag (amp-mustache templates) that needs type="amp-mustache"; without
    # it the element goes and its content stays, reported.
    from amp_publisher.core.conversion import convert_html

    result = convert_html("<template><p>Template text</p></template>")
    assert result.html == "<p>Template text</p>"
    assert [(e.code, e.action, e.element) for e in result.report] == [
        ("MANDATORY_ATTR_MISSING", "unwrapped", "template")]


def test_a_title_inside_svg_is_kept_and_the_page_validates(site):
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    body = '<svg width="10" height="10"><title>Keyboard</title><circle r="1"></circle></svg>'
    article = parse_article({"slug": "svg", "headline": "Svg", "published": "2026-01-01",
                             "body_html": body})
    page = render(article, site)
    assert "<title>Keyboard</title>" in page.html
    assert validate(page.html).status == "PASS"
