"""URL helpers shared by the steps: protocol of a URL as a browser reads it, script URLs,
resolution of relative URLs; ``srcset`` parsing is the engine's
(:func:`amp_publisher.core.amp.urls.parse_srcset`), re-exported here.

Browsers strip ASCII tab and newline from anywhere in a URL and leading/trailing C0 controls and
spaces before reading the scheme (WHATWG URL §4.4 "basic URL parser"), so ``"java\\nscript:"`` is a
``javascript:`` URL; :func:`url_protocol` does the same before it looks at the scheme.

Example:
    >>> url_protocol(" JaVa\\tScript:alert(1)"), url_protocol("/a/b.jpg"), url_protocol("HTTPS://x")
    ('javascript', None, 'https')
    >>> is_script_url("data:text/html;base64,PHN="), is_script_url("data:image/png;base64,AA")
    (True, False)
    >>> resolve_url("../compass1.gif", "https://www.jwz.org/doc/linux.html")
    'https://www.jwz.org/compass1.gif'
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

__all__ = [
    "SCRIPT_PROTOCOLS",
    "url_protocol",
    "is_script_url",
    "resolve_url",
    "parse_srcset",
    "SrcsetCandidate",
]

SCRIPT_PROTOCOLS = frozenset({"javascript", "vbscript", "livescript"})
"""Schemes that run code when followed; never allowed in AMP (every ``value_url`` in the
validator rules lacks them)."""

_SCRIPT_DATA_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml",
                      "image/svg+xml", "text/javascript", "application/javascript")
_STRIP_INSIDE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def _clean(url: str) -> str:
    return _STRIP_INSIDE.sub("", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e"
                                            "\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a"
                                            "\x1b\x1c\x1d\x1e\x1f ")


def url_protocol(url: str) -> str | None:
    """The URL's scheme, lower case, as a browser reads it; ``None`` for relative URLs."""
    match = _SCHEME.match(_clean(url))
    return match.group(1).lower() if match else None


def is_script_url(url: str) -> bool:
    """True for URLs that execute script when navigated to: ``javascript:``/``vbscript:`` and
    ``data:`` URLs of HTML, XML, SVG or script types (an SVG ``data:`` URL is fine in an image
    ``src``, where it cannot run script, and callers that know that do not ask)."""
    protocol = url_protocol(url)
    if protocol in SCRIPT_PROTOCOLS:
        return True
    if protocol == "data":
        media_type = _clean(url)[5:].split(",", 1)[0].split(";", 1)[0].strip().lower()
        return media_type in _SCRIPT_DATA_TYPES
    return False


def resolve_url(url: str, base_url: str | None) -> str:
    """``url`` made absolute against ``base_url`` (RFC 3986 §5); unchanged without a base, for
    absolute URLs, and for fragment-only links (``#notes`` points inside the page itself)."""
    cleaned = url.strip()
    if not base_url or not cleaned or cleaned.startswith("#") or url_protocol(cleaned):
        return url
    return urljoin(base_url, cleaned)


# One srcset parser for the converter and the validator: the engine's (the HTML standard's
# "parse a srcset attribute" as the official validator applies it; URLs may hold commas).
from amp_publisher.core.amp.urls import SrcsetCandidate, parse_srcset  # noqa: E402
