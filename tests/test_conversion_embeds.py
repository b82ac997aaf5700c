"""Embeds: pasted embed code and bare URLs become the AMP components (amp.dev component docs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from amp_publisher.core.conversion import convert_html, render_embed
from amp_publisher.core.errors import ConversionError

ROOT = Path(__file__).parent.parent
EMBEDDED_VIDEOS = ROOT / "tests/corpus/raw/messy-html/readability-embedded-videos.html"
VOX_VIDEOS = ROOT / "tests/corpus/raw/messy-html/readability-videos-1-iframes.html"


@pytest.mark.parametrize(("pasted", "expected"), [
    ('<iframe width="560" height="315" src="https://www.youtube.com/embed/LtOGa5M8AuU" '
     'frameborder="0" allowfullscreen></iframe>',
     '<amp-youtube data-videoid="LtOGa5M8AuU" layout="responsive" width="560" height="315">'
     '</amp-youtube>'),
    ('<iframe src="https://www.youtube-nocookie.com/embed/LtOGa5M8AuU?start=30"></iframe>',
     '<amp-youtube data-videoid="LtOGa5M8AuU" layout="responsive" width="480" height="270" '
     'data-param-start="30" credentials="omit"></amp-youtube>'),
    ("<p>https://youtu.be/LtOGa5M8AuU?t=1m30s</p>",
     '<amp-youtube data-videoid="LtOGa5M8AuU" layout="responsive" width="480" height="270" '
     'data-param-start="90"></amp-youtube>'),
    ('<p><a href="https://www.youtube.com/shorts/abcdefghijk">'
     "https://www.youtube.com/shorts/abcdefghijk</a></p>",
     '<amp-youtube data-videoid="abcdefghijk" layout="responsive" width="270" height="480">'
     "</amp-youtube>"),
    ("<p>https://www.youtube.com/watch?v=LtOGa5M8AuU&amp;feature=share#t=42</p>",
     '<amp-youtube data-videoid="LtOGa5M8AuU" layout="responsive" width="480" height="270" '
     'data-param-start="42"></amp-youtube>'),
])
def test_youtube_embeds_become_amp_youtube(pasted, expected):
    result = convert_html(pasted)
    assert result.html == expected
    assert result.extensions == {"amp-youtube"}


def test_vimeo_player_iframe_becomes_amp_vimeo():
    result = convert_html('<iframe src="https://player.vimeo.com/video/32246206?color=ffffff'
                          '&amp;title=0&amp;byline=0" width="500" height="281"></iframe>')
    assert result.html == ('<amp-vimeo data-videoid="32246206" layout="responsive" width="500" '
                           'height="281"></amp-vimeo>')
    assert result.extensions == {"amp-vimeo"}


def test_tweet_blockquote_becomes_amp_twitter_and_keeps_the_quote_as_placeholder():
    pasted = ('<blockquote class="twitter-tweet"><p lang="en">Hello world</p>&mdash; AMP '
              '(@AMPhtml) <a href="https://twitter.com/AMPhtml/status/1095380592435654656">'
              'February 12, 2019</a></blockquote>\n'
              '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8">'
              "</script>")
    result = convert_html(pasted)
    assert result.html == (
        '<amp-twitter data-tweetid="1095380592435654656" layout="responsive" width="375" '
        'height="472"><blockquote class="twitter-tweet" placeholder=""><p lang="en">Hello world'
        '</p>— AMP (@AMPhtml) <a href="https://twitter.com/AMPhtml/status/1095380592435654656">'
        "February 12, 2019</a></blockquote></amp-twitter>")
    assert result.extensions == {"amp-twitter"}
    script_entries = [e for e in result.report if e.element == "script"]
    assert [e.code for e in script_entries] == ["CONVERTED_EMBED"]


def test_instagram_blockquote_becomes_amp_instagram():
    pasted = ('<blockquote class="instagram-media" data-instgrm-captioned '
              'data-instgrm-permalink="https://www.instagram.com/p/BhsgU3jh6xE/?utm_source=ig">'
              '<a href="https://www.instagram.com/p/BhsgU3jh6xE/">A post</a></blockquote>'
              '<script async src="//www.instagram.com/embed.js"></script>')
    result = convert_html(pasted)
    assert result.html.startswith('<amp-instagram data-shortcode="BhsgU3jh6xE" data-captioned="" '
                                  'layout="responsive" width="400" height="400">')
    assert "A post" in result.html and "<script" not in result.html
    assert result.extensions == {"amp-instagram"}


def test_facebook_embeds_become_amp_facebook():
    post = convert_html('<div class="fb-post" data-href="https://www.facebook.com/20531316728/'
                        'posts/10154009990506729/"></div>')
    assert post.html.startswith('<amp-facebook data-href="https://www.facebook.com/20531316728/'
                                'posts/10154009990506729/" layout="responsive" width="552" '
                                'height="310">')
    video = convert_html('<iframe src="https://www.facebook.com/plugins/video.php?href='
                         'https%3A%2F%2Fwww.facebook.com%2Famp%2Fvideos%2F1%2F"></iframe>')
    assert video.html == ('<amp-facebook data-href="https://www.facebook.com/amp/videos/1/" '
                          'data-embed-as="video" layout="responsive" width="552" height="310">'
                          "</amp-facebook>")


def test_soundcloud_player_becomes_amp_soundcloud():
    result = convert_html('<iframe width="100%" height="166" scrolling="no" frameborder="no" '
                          'src="https://w.soundcloud.com/player/?url=https%3A//api.soundcloud.com'
                          '/tracks/89299804&amp;color=ff5500"></iframe>')
    assert result.html == ('<amp-soundcloud data-trackid="89299804" layout="fixed-height" '
                           'height="166"></amp-soundcloud>')
    assert result.extensions == {"amp-soundcloud"}


def test_a_url_inside_a_sentence_stays_a_link():
    html = '<p>Watch <a href="https://youtu.be/LtOGa5M8AuU">this video</a> now.</p>'
    assert convert_html(html).html == html


def test_bare_urls_are_not_embedded_in_inline_content():
    result = convert_html("https://youtu.be/LtOGa5M8AuU", inline=True)
    assert result.html == "https://youtu.be/LtOGa5M8AuU"


def test_embeds_at_root_in_paragraphs_and_in_divs_are_all_converted():
    result = convert_html(EMBEDDED_VIDEOS.read_text(encoding="utf-8"))
    assert result.html.count("<amp-youtube") == 4
    assert result.html.count("<amp-vimeo") == 1
    assert result.html.count('credentials="omit"') == 2  # the two youtube-nocookie iframes


def test_every_vox_youtube_iframe_becomes_amp_youtube_without_dimensions_in_the_source():
    result = convert_html(VOX_VIDEOS.read_text(encoding="utf-8"))
    assert result.html.count("<amp-youtube") == 21
    assert result.html.count('width="480" height="270"') >= 21


@pytest.mark.parametrize(("provider", "kwargs", "expected"), [
    ("youtube", {"id": "LtOGa5M8AuU"},
     '<amp-youtube data-videoid="LtOGa5M8AuU" layout="responsive" width="480" height="270">'
     "</amp-youtube>"),
    ("twitter", {"url": "https://x.com/AMPhtml/status/1095380592435654656"},
     '<amp-twitter data-tweetid="1095380592435654656" layout="responsive" width="375" '
     'height="472"></amp-twitter>'),
    ("soundcloud", {"id": "89299804"},
     '<amp-soundcloud data-trackid="89299804" layout="fixed-height" height="166">'
     "</amp-soundcloud>"),
    ("iframe", {"url": "https://maps.example/embed?q=1"},
     '<amp-iframe src="https://maps.example/embed?q=1" layout="responsive" width="600" '
     'height="400" sandbox="allow-scripts allow-popups '
     'allow-popups-to-escape-sandbox allow-forms"><span placeholder="" '
     'class="amp-iframe-placeholder"></span></amp-iframe>'),
])
def test_render_embed_builds_the_component_for_an_embed_block(provider, kwargs, expected):
    result = render_embed(provider, **kwargs)
    assert result.html == expected
    assert result.extensions == {f"amp-{provider}"}


@pytest.mark.parametrize(("provider", "kwargs"), [
    ("myspace", {"id": "1"}),
    ("youtube", {}),
    ("vimeo", {"url": "https://www.youtube.com/watch?v=LtOGa5M8AuU"}),
    ("iframe", {"url": "http://insecure.example/"}),
    ("twitter", {"id": "not-a-number"}),
])
def test_render_embed_refuses_blocks_it_cannot_render(provider, kwargs):
    with pytest.raises(ConversionError):
        render_embed(provider, **kwargs)


@pytest.mark.parametrize("paragraph", [
    "<p><font color=red>https://youtu.be/LtOGa5M8AuU</font></p>",
    "<p><base href=x>https://youtu.be/LtOGa5M8AuU</p>",
    '<p><a href="https://youtu.be/LtOGa5M8AuU"><b>https://youtu.be/LtOGa5M8AuU</b></a></p>',
])
def test_a_url_alone_in_a_paragraph_is_embedded_whatever_wraps_it(paragraph):
    assert convert_html(paragraph).html == (
        '<amp-youtube data-videoid="LtOGa5M8AuU" layout="responsive" width="480" height="270">'
        "</amp-youtube>")
