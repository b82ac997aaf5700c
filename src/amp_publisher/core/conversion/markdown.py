"""``body_markdown`` → HTML, the first step for Markdown bodies (DESIGN §3, issue 4 item 5).

The article contract lets a body arrive as Markdown. It is rendered here with markdown-it-py, a
CommonMark-compliant parser, using its ``gfm-like`` preset: CommonMark plus GitHub-style tables,
strikethrough and autolinked bare URLs (``linkify``, which needs ``linkify-it-py``). The HTML it
returns is *not* AMP: it goes through the same conversion pipeline as ``body_html``
(``convert_html``), which turns images into ``amp-img``, embeds into AMP components and removes
whatever the AMP rules disallow, reporting each change.

Raw HTML written inside the Markdown (``<iframe …>``, ``<img …>``) is passed through on purpose:
CMSs that store Markdown routinely mix it with embed code, and dropping it here would lose content
silently. The conversion pipeline sanitises it like any other body HTML.

Example:
    >>> print(markdown_to_html("# Title\\n\\nSee https://example.com and *this*."), end="")
    <h1>Title</h1>
    <p>See <a href="https://example.com">https://example.com</a> and <em>this</em>.</p>
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from markdown_it import MarkdownIt

__all__ = ["MARKDOWN_PRESET", "markdown_to_html"]

MARKDOWN_PRESET = "gfm-like"
"""markdown-it-py preset: CommonMark + tables + strikethrough + linkify, raw HTML enabled.

Chosen because it is the dialect most CMS Markdown editors (Ghost, Netlify CMS, GitHub) write.
``typographer`` stays off so that quotes and dashes reach the page exactly as the author typed.
"""


@cache
def _parser() -> MarkdownIt:
    # Deferred import: markdown-it-py is only needed for Markdown bodies, not on every cold start.
    from markdown_it import MarkdownIt

    # xhtmlOut off: the page is HTML5, and "<br />" style output buys nothing.
    return MarkdownIt(MARKDOWN_PRESET, {"xhtmlOut": False})


def markdown_to_html(text: str) -> str:
    """Render a Markdown body to an HTML fragment (not yet AMP).

    Args:
        text: the article's ``body_markdown`` (CommonMark with GitHub tables and autolinks).

    Returns:
        The HTML fragment (``str``), ready for ``convert_html``. Empty input gives ``""``.

    Raises:
        amp_publisher.core.errors.ConversionError: only if the parser exhausts the stack (its
        ``maxNesting`` keeps it from doing so on every input tried); CommonMark defines a
        rendering for every character sequence, so nothing else is raised.

    Example:
        >>> print(markdown_to_html("| a | b |\\n|---|---|\\n| 1 | 2 |"), end="")
        <table>
        <thead>
        <tr>
        <th>a</th>
        <th>b</th>
        </tr>
        </thead>
        <tbody>
        <tr>
        <td>1</td>
        <td>2</td>
        </tr>
        </tbody>
        </table>
    """
    try:
        return _parser().render(text)
    except RecursionError:
        from amp_publisher.core.errors import ConversionError

        raise ConversionError("body_markdown is nested too deeply to render",
                              path="body_markdown") from None
