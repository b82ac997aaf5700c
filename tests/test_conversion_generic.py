"""The generic tag-and-attribute pass: what the AMP rules disallow is removed or unwrapped."""

from __future__ import annotations

from pathlib import Path

from amp_publisher.core.conversion import convert_html

ROOT = Path(__file__).parent.parent
MESSY = ROOT / "tests/corpus/raw/messy-html"


def test_font_tags_are_unwrapped_and_their_text_kept():
    source = (MESSY / "readability-font-tags.html").read_text(encoding="utf-8")
    result = convert_html(source)
    assert "<font" not in result.html
    fonts = [e for e in result.report if e.element == "font"]
    assert len(fonts) == 5 and {e.action for e in fonts} == {"unwrapped"}
    assert all(e.removed_text == "" for e in fonts)


def test_disallowed_presentational_attributes_are_removed_allowed_ones_kept():
    result = convert_html('<p align="center" bgcolor="#fff">x</p><hr size="2" noshade>'
                          '<table width="90%" bgcolor="#fff"><tr><td colspan="2">y</td></tr>'
                          "</table>")
    assert result.html == ('<p align="center">x</p><hr><div class="table"><table width="90%" '
                           'bgcolor="#fff"><tbody><tr><td colspan="2">y</td></tr></tbody>'
                           "</table></div>")
    assert [(e.code, e.element, e.attribute) for e in result.report] == [
        ("MOBILE_FIT", "table", None),  # the wrapper that scrolls it on a phone
        ("DISALLOWED_ATTR", "p", "bgcolor"), ("DISALLOWED_ATTR", "hr", "size"),
        ("DISALLOWED_ATTR", "hr", "noshade")]


def test_links_with_invalid_protocols_lose_the_href_but_keep_their_text():
    result = convert_html('<a href="file:///C:/Documents%20and%20Settings/x.html">story</a> '
                          '<a href="mailto:jwz@example.org">mail</a> '
                          '<a href="tel:+441234">call</a>')
    assert result.html == ('<a>story</a> <a href="mailto:jwz@example.org">mail</a> '
                           '<a href="tel:+441234">call</a>')
    assert result.report[0].code == "INVALID_URL_PROTOCOL"


def test_script_urls_are_removed_however_they_are_written():
    result = convert_html('<a href=" JaVa&#x09;ScRipt:alert(1)">a</a>'
                          '<a href="data:text/html;base64,PHNjcmlwdD4=">b</a>'
                          '<a href="vbscript:msgbox(1)">c</a>')
    assert result.html == "<a>a</a><a>b</a><a>c</a>"


def test_relative_links_are_resolved_against_the_article_url_when_given():
    html = '<a href="../index.html">home</a> <a href="#notes">notes</a>'
    assert convert_html(html).html == html
    result = convert_html(html, base_url="https://lwn.net/Articles/1/")
    assert result.html == ('<a href="https://lwn.net/Articles/index.html">home</a> '
                           '<a href="#notes">notes</a>')


def test_object_and_embed_are_removed_and_about_blank_iframe_too():
    source = (MESSY / "readability-object-embed-swf.html").read_text(encoding="utf-8")
    result = convert_html(source)
    for tag in ("<object", "<embed", "<param", "<iframe"):
        assert tag not in result.html
    assert "Lorem ipsum dolor sit amet" in result.html


def test_comments_and_page_metadata_are_removed():
    result = convert_html("<!-- hidden --><meta itemprop=name content=x><p>Text</p>")
    assert result.html == "<p>Text</p>"
    assert [e.code for e in result.report] == ["REMOVED_COMMENT", "DISALLOWED_TAG"]


def test_lwn_page_keeps_its_tables_and_loses_center_font_and_scripts():
    source = (MESSY / "readability-lwn-center-font-tables.html").read_text(encoding="utf-8")
    result = convert_html(source, base_url="https://lwn.net/Articles/659245/")
    assert "<table" in result.html and "<center" in result.html  # both are valid AMP
    assert "<font" not in result.html and "<script" not in result.html
    assert 'href="/' not in result.html  # relative links now absolute


def test_svg_inline_icons_keep_their_allowed_markup():
    result = convert_html('<svg width="22" height="22" viewBox="0 0 22 22" onload="x()">'
                          '<path d="M3 20L9 14"></path><foreignObject><p>x</p></foreignObject>'
                          "</svg>")
    assert result.html.startswith('<svg width="22" height="22" viewBox="0 0 22 22">'
                                  '<path d="M3 20L9 14"></path>')
    assert "onload" not in result.html


def test_inline_content_keeps_phrasing_only():
    result = convert_html('<div>Breaking: <b>storm</b></div><ul><li>one</li><li>two</li></ul>'
                          '<a href="https://x.example/">more</a>', inline=True)
    assert result.html == 'Breaking: <b>storm</b> one two <a href="https://x.example/">more</a>'
    assert {e.code for e in result.report} == {"NOT_PHRASING_CONTENT"}


def test_amp_components_pasted_without_a_valid_layout_are_repaired():
    result = convert_html('<amp-img src="https://cdn.example/a.jpg" alt="a"></amp-img>'
                          '<amp-audio src="https://cdn.example/a.mp3" layout="responsive">'
                          "</amp-audio>")
    assert result.html == ('<amp-img src="https://cdn.example/a.jpg" alt="a" layout="responsive" '
                           'width="600" height="400"></amp-img>'
                           '<amp-audio src="https://cdn.example/a.mp3"></amp-audio>')
    assert result.extensions == {"amp-audio"}


def test_boolean_attributes_written_the_xhtml_way_keep_their_meaning():
    result = convert_html('<p hidden="hidden">Spoiler</p>')
    assert result.html == '<p hidden="">Spoiler</p>'
