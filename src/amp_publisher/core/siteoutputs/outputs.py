"""Site outputs: one stored object each (key, bytes, Content-Type), and where listings live.

Content-Types (stored with every object, so CloudFront and browsers treat them right), all
decided by :func:`content_type_of` from the key: the writers (article pages, the 404 page,
index outputs, the demo's static files) and ``amp-render serve`` use it, so a preview answers
with the type the bucket stores:

* index pages: ``text/html; charset=utf-8``
* sitemaps: ``application/xml`` (sitemaps.org protocol; the XML declaration names UTF-8)
* RSS 2.0: ``application/rss+xml; charset=utf-8``; Atom: ``application/atom+xml; charset=utf-8``
  (RFC 4287); JSON Feed 1.1: ``application/feed+json; charset=utf-8`` (jsonfeed.org)
* ``robots.txt``: ``text/plain; charset=utf-8`` (RFC 9309)
* anything else (the logo and images under ``static/``): Python's :mod:`mimetypes` guess,
  else ``application/octet-stream``

Example:
    >>> listing_path("home"), listing_path("section/world", 3)
    ('/', '/section/world/page/3/')
    >>> key_of_path("/section/world/page/3/")
    'section/world/page/3/index.html'
    >>> content_type_of("section/world/feed.xml"), content_type_of("sitemaps/2026-06.xml")
    ('application/rss+xml; charset=utf-8', 'application/xml')
"""

from __future__ import annotations

import mimetypes
import posixpath
from dataclasses import dataclass

__all__ = ["Output", "HTML", "XML", "RSS", "ATOM", "JSON_FEED", "TEXT", "content_type_of",
           "listing_path", "key_of_path", "feed_paths"]

HTML = "text/html; charset=utf-8"
XML = "application/xml"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

#: Content-Types by file name (the feeds' names, :func:`feed_paths`), then by extension.
_BY_NAME = {"feed.xml": RSS, "atom.xml": ATOM, "feed.json": JSON_FEED}
_BY_EXTENSION = {".html": HTML, ".xml": XML, ".txt": TEXT, ".pub": TEXT}


def content_type_of(key: str) -> str:
    """The ``Content-Type`` an object of the site bucket is stored (and served) with.

    Args:
        key: the S3 key or URL path (``river/index.html``, ``/section/news/feed.xml``).

    Returns:
        The feeds' types by their names (``feed.xml`` RSS 2.0, ``atom.xml`` Atom, RFC 4287;
        ``feed.json`` JSON Feed 1.1), then by extension (``.html`` UTF-8 HTML, ``.xml``
        ``application/xml`` for sitemaps, ``.txt`` and the AMP Cache key ``.pub`` UTF-8 text),
        then :func:`mimetypes.guess_type`, else ``application/octet-stream``.

    >>> content_type_of("index.html"), content_type_of("static/logo-600x60.png")
    ('text/html; charset=utf-8', 'image/png')
    """
    name = posixpath.basename(key)
    known = _BY_NAME.get(name) or _BY_EXTENSION.get(posixpath.splitext(name)[1].lower())
    return known or mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass(frozen=True)
class Output:
    """One object of the site bucket.

    Attributes:
        key: the S3 key (``section/world/index.html``, ``sitemap.xml``).
        body: the bytes to store.
    """

    key: str
    body: bytes

    @property
    def content_type(self) -> str:
        """Its ``Content-Type``: :func:`content_type_of` its key."""
        return content_type_of(self.key)


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
