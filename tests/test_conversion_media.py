"""Video and audio: amp-video / amp-audio / amp-brightcove, https sources only."""

from __future__ import annotations

from pathlib import Path

from amp_publisher.core.conversion import convert_html

ROOT = Path(__file__).parent.parent
MESSY = ROOT / "tests/corpus/raw/messy-html"


def test_video_with_sources_becomes_amp_video_with_its_fallback_text():
    result = convert_html('<video controls width="1280" height="720" '
                          'poster="https://cdn.example/p.jpg">'
                          '<source src="https://cdn.example/v.webm" type="video/webm">'
                          '<source src="https://cdn.example/v.mp4" type="video/mp4">'
                          "Your browser cannot play this.</video>")
    assert result.html == (
        '<amp-video poster="https://cdn.example/p.jpg" controls="" layout="responsive" '
        'width="1280" height="720"><source src="https://cdn.example/v.webm" type="video/webm">'
        '<source src="https://cdn.example/v.mp4" type="video/mp4">'
        '<span fallback="">Your browser cannot play this.</span></amp-video>')
    assert result.extensions == {"amp-video"}


def test_http_media_is_upgraded_to_https_and_reported():
    result = convert_html('<audio src="http://cdn.example/a.mp3" controls></audio>')
    assert result.html == ('<amp-audio src="https://cdn.example/a.mp3" controls="" '
                           'layout="fixed-height" height="54"></amp-audio>')
    assert [(e.code, e.action) for e in result.report][0] == ("INVALID_URL_PROTOCOL", "rewritten")
    assert result.extensions == {"amp-audio"}


def test_video_that_can_never_load_is_removed_with_its_text_reported():
    result = convert_html('<video src="blob:https://site.example/1234">Clip of the match</video>')
    assert result.html == ""
    assert [e.removed_text for e in result.report if e.removed_text] == [
        "Clip of the match"]


def test_brightcove_player_with_a_blob_source_becomes_amp_brightcove():
    source = (MESSY / "readability-independent-video-blob.html").read_text(encoding="utf-8")
    result = convert_html(source)
    assert ('<amp-brightcove data-account="624246174001" data-player='
            '"2d3d4a83-ba40-464e-9bfb-2804b076bf67" data-embed="default" '
            'data-video-id="4685984084001" layout="responsive" width="640" height="360">'
            "</amp-brightcove>") in result.html
    assert "blob:" not in result.html
    assert result.extensions == {"amp-brightcove"}


def test_japanese_page_audio_becomes_amp_audio_over_https():
    source = (MESSY / "readability-hukumusume-japanese.html").read_text(encoding="utf-8")
    result = convert_html(source)
    assert "<amp-audio" in result.html and "<audio" not in result.html
    assert 'src="https://' in result.html.split("<amp-audio", 1)[1][:200]
