"""Site outputs: one stored object each (key, bytes, Content-Type), and where listings live.

Content-Types (stored with every object, so CloudFront and browsers treat them right):

* index pages: ``text/html; charset=utf-8``
* sitemaps: ``application/xml`` (sitemaps.org protocol; the XML declaration names UTF-8)
* RSS 2.0: ``application/rss+xml; charset=utf-8``; Atom: ``application/atom+xml; charset=utf-8``
  (RFC 4287); JSON Feed 1.1: ``application/feed+json; charset=utf-8`` (jsonfeed.org)
* ``robots.txt``: ``text/plain; charset=utf-8`` (RFC 9309)

Example:
    >>> listing_path("home"), listing_path("section/world", 3)
    ('/', '/section/world/page/3/')
    >>> key_of_path("/section/world/page/3/")
    'section/world/page/3/index.html'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Output", "HTML", "XML", "RSS", "ATOM", "JSON_FEED", "TEXT", "listing_path",
           "key_of_path", "feed_paths"]

HTML = "text/html; charset=utf-8"
XML = "application/xml"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Output:
    """One object of the site bucket.

    Attributes:
        key: the S3 key (``section/world/index.html``, ``sitemap.xml``).
        body: the bytes to store.
        content_type: its ``Content-Type``.
    """

    key: str
    body: bytes
    content_type: str


def listing_path(listing: str, page: int | None = None) -> str:
    """The URL path of a listing's index page: its root (``page`` ``None``) or numbered page."""
    base = "/" if listing == "home" else f"/{listing}/"
    return base if page is None else f"{base}page/{page}/"


def key_of_path(path: str) -> str:
    """The S3 key CloudFront serves for a URL path (``/x/`` → ``x/index.html``)."""
    path = path.lstrip("/")
    return f"{path}index.html" if path.endswith("/") or not path else path


def feed_paths(listing: str) -> dict[str, str]:
    """The feed URL paths of ``home`` (site-wide) or ``section/<s>``: ``rss``, ``atom``,
    ``json`` → ``/feed.xml``, ``/atom.xml``, ``/feed.json`` under the listing's root."""
    base = listing_path(listing)
    return {"rss": f"{base}feed.xml", "atom": f"{base}atom.xml", "json": f"{base}feed.json"}
