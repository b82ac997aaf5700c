"""``reparses_to_itself``: the converter skips parsing its output again (the idempotence check,
and the tree of the next pass) when the tree holds nothing the HTML parser's error recovery would
rebuild. Whenever it answers yes, parsing the serialization must give the tree back, to the
letter; and it must answer yes for ordinary converted bodies, or the parse it saves is not
saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from amp_publisher.core.conversion import convert_html
from amp_publisher.core.conversion.tree import (
    parse_again,
    parse_fragment,
    reparses_to_itself,
    serialize_children,
)

ROOT = Path(__file__).parent.parent

# Tags the tree builder handles in every way: ordinary, formatting, p-closing, void, list and
# table parts, and the ones with their own recovery (forms, buttons, raw text, ruby...).
SAFE_TAGS = ["p", "div", "span", "a", "b", "i", "em", "strong", "h2", "h3", "ul", "ol", "li",
             "dl", "dt", "dd", "figure", "figcaption", "blockquote", "pre", "img", "br", "hr",
             "table", "caption", "thead", "tbody", "tr", "td", "th", "colgroup", "col",
             "amp-img", "amp-carousel", "code", "small", "section", "cite", "font", "u"]
OTHER_TAGS = ["form", "button", "select", "option", "textarea", "nobr", "ruby", "rt", "source",
              "input", "iframe", "script", "style", "noscript", "template", "image", "svg",
              "listing", "Span", "amp-IMG", "li2"]
TEXT = st.sampled_from(["", "", " ", "x", "a b", "\n", "\nline", "&", "<", "\u00a0", "\r\n",
                        "\t", "é"])
ATTRS = st.dictionaries(st.sampled_from(["class", "href", "data-x", "width", "on", "x.y",
                                         "Data-Up", "_a"]),
                        st.sampled_from(["", "v", 'q"q', "<b>", "a&b"]), max_size=2)


def _node(children):
    return st.tuples(st.one_of(st.sampled_from(SAFE_TAGS), st.sampled_from(SAFE_TAGS),
                               st.sampled_from(SAFE_TAGS), st.sampled_from(OTHER_TAGS)),
                     ATTRS, TEXT, children, TEXT)


TREES = st.lists(st.recursive(_node(st.just([])), lambda kids: _node(st.lists(kids, max_size=3)),
                              max_leaves=12), min_size=1, max_size=3)


def _build(parent, spec):
    tag, attrs, text, children, tail = spec
    el = etree.SubElement(parent, tag)
    for name, value in attrs.items():
        el.set(name, value)
    el.text = text or None
    for child in children:
        _build(el, child)
    el.tail = tail or None


@settings(max_examples=600, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(TREES)
def test_a_tree_it_passes_parses_back_to_itself(specs):
    root = etree.Element("div")
    for spec in specs:
        _build(root, spec)
    html = serialize_children(root).strip(" \t\n\r\f")
    if reparses_to_itself(root, html):
        parsed = parse_fragment(html)
        assert serialize_children(parsed).strip(" \t\n\r\f") == html
        # the next pass then runs on the tree itself, which must be the parse's to the letter
        assert _shape(parse_again(root, html)[0]) == _shape(parsed)


def _shape(root):
    return [(el.tag, list(el.attrib.items()), el.text, el.tail) for el in root.iter()][1:] + [
        root.text]


@pytest.mark.parametrize(("html", "rebuilt"), [
    ("<p>a<div>b</div></p>", True),    # a div closes the paragraph
    ("<p><span><ul><li>x</li></ul></span></p>", True),
    ('<a href="/1">x<a href="/2">y</a></a>', True),
    ("<h2>a<h3>b</h3></h2>", True),    # a heading directly in a heading
    ("<ul><li>a<span><li>b</li></span></li></ul>", True),  # an item in an item closes it
    ("<table><tr><td>x</td></tr></table>", True),  # the parser adds the tbody
    ("<table><tbody>text<tr><td>x</td></tr></tbody></table>", True),  # foster-parented text
    ("<p>a<br/>b</p>", True),          # (its text gets a CR below)
    ("<form><form></form></form>", True),
    # left to the parse although it would give them back: not worth knowing
    ("<li>item</li>", False),
    ("<!--c--><p>x</p>", False),
])
def test_trees_the_parser_would_rebuild_are_parsed_again(html, rebuilt):
    # built as XML: an HTML parse would already have repaired them
    root = etree.fromstring(f"<div>{html}</div>")
    if html == "<p>a<br/>b</p>":
        root[0].text = "a\r"  # CR becomes LF in the HTML input stream
    serialized = serialize_children(root).strip(" \t\n\r\f")
    again = serialize_children(parse_fragment(serialized)).strip(" \t\n\r\f")
    assert (again != serialized) is rebuilt
    assert not reparses_to_itself(root, serialized)


def test_ordinary_converted_bodies_skip_the_parse():
    reference = json.loads((ROOT / "events/articles/met-palantir-extension.body-html.json")
                           .read_text(encoding="utf-8"))["body_html"]
    for html in (reference, "<p>Hi <b>there</b></p><ul><li>one</li></ul>",
                 '<figure><amp-img src="/a.jpg" width="4" height="3" layout="responsive">'
                 '</amp-img><figcaption>c</figcaption></figure>',
                 "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody>"
                 "</table>"):
        converted = convert_html(html).html
        root = parse_fragment(converted)
        assert reparses_to_itself(root, converted), converted[:200]


# --- passes cut short --------------------------------------------------------------------------

SNIPPETS = ["<p>", "</p>", "<div>", "</div>", "text ", "<b>", "</i>", "<font color=red>",
            "<img src=a.gif>", '<img src="https://x.example/i.jpg" width=10 height=5>',
            "<picture>", '<source srcset="b.jpg 100w">', "<iframe src=https://x.example/f>"
            "</iframe>", "<video src=http://v/a.mp4>", "</video>", "<noscript>", "</noscript>",
            "<script>x()</script>", '<p style="color:red">', '<a href="javascript:x()">', "</a>",
            "<table><td>", "<li>", "<ul>", "<h1>", "<h2>", "https://youtu.be/LtOGa5M8AuU",
            '<ul class="gallery" data-amp-carousel><li><figure><img src=/a.jpg width=4 height=3>'
            "</figure></li></ul>", "<figure>", "</figure>", "<o:p></o:p>", "<base href=x>",
            "<blockquote class=twitter-tweet><a href=https://x.com/a/status/1>t</a>",
            "<amp-img src=x.jpg>", "<form action=/s>", "<input name=q>", "<center>", "&nbsp;"]


def _full_passes(monkeypatch):
    """Every pass runs every step: the tree is never reported kept as it is."""
    from amp_publisher.core.conversion import tree

    real = tree.parse_again
    monkeypatch.setattr(tree, "parse_again", lambda root, html: (real(root, html)[0], False))


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(html=st.lists(st.sampled_from(SNIPPETS), max_size=20).map("".join),
       inline=st.booleans())
def test_passes_cut_short_give_what_full_passes_give(monkeypatch, html, inline):
    cut = convert_html(html, inline=inline, base_url="https://news.example/a/")
    with monkeypatch.context() as patch:
        _full_passes(patch)
        full = convert_html(html, inline=inline, base_url="https://news.example/a/")
    assert cut == full


@pytest.mark.parametrize("path", sorted((ROOT / "tests/corpus/raw/messy-html").glob("*.html"))[:6],
                         ids=lambda p: p.name)
def test_corpus_pages_convert_the_same_with_passes_cut_short(path, monkeypatch):
    html = path.read_text(encoding="utf-8", errors="replace")
    cut = convert_html(html, base_url="https://news.example/a/")
    with monkeypatch.context() as patch:
        _full_passes(patch)
        assert convert_html(html, base_url="https://news.example/a/") == cut
