"""Forms: GET forms with an https action kept for amp-form; the others unwrapped."""

from __future__ import annotations

from amp_publisher.core.conversion import convert_html


def test_search_form_is_kept_as_an_amp_form_get_form():
    result = convert_html('<form action="https://site.example/search" method="get">'
                          '<input type="search" name="q"><button>Search</button></form>')
    assert result.html == ('<form action="https://site.example/search" method="get" '
                           'target="_top"><input type="search" name="q"><button>Search</button>'
                           "</form>")
    assert result.extensions == {"amp-form"}


def test_relative_get_action_is_resolved_against_the_article_url():
    result = convert_html('<form action="/search"><input name="q"></form>',
                          base_url="https://site.example/2024/story.html")
    assert result.html == ('<form action="https://site.example/search" target="_top">'
                           '<input name="q"></form>')


def test_post_form_is_unwrapped_and_its_controls_removed_with_their_text_reported():
    result = convert_html('<form method="post" action="/subscribe"><p>Get our newsletter</p>'
                          '<input name="email"><button>Subscribe</button></form>')
    assert result.html == "<p>Get our newsletter</p>"
    assert "amp-form" not in result.extensions
    lost = [e.removed_text for e in result.report if e.removed_text]
    assert lost == ["Subscribe"]
