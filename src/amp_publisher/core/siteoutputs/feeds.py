"""Feeds (DESIGN §9): RSS 2.0, Atom (RFC 4287) and JSON Feed 1.1, site-wide and per section.

RSS and Atom are written by feedgen (which writes the XML through lxml: no hand-made escaping);
JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) is a JSON document, written with
:func:`json.dumps`. Each feed holds the latest :data:`FEED_SIZE` entries of its listing, newest
first. Feeds are deterministic: the feed's own date is the newest entry's modification time,
never "now", so the same listing gives the same bytes.

Example:
    >>> from amp_publisher.core.site import SiteConfig
    >>> site = SiteConfig(name="Example", base_url="https://news.example")
    >>> e = IndexEntry(source_key="articles/a.json", slug="a", path="/a/", headline="A & B",
    ...                published="2026-06-25T08:00:00Z")
    >>> [o.key for o in feeds("home", "", [e], site=site)]
    ['feed.xml', 'atom.xml', 'feed.json']
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from amp_publisher.core.siteoutputs.entries import HOME, IndexEntry, utc_datetime, utc_iso
from amp_publisher.core.siteoutputs.outputs import (
    Output,
    feed_paths,
    listing_path,
)

__all__ = ["FEED_SIZE", "feeds", "JSON_FEED_VERSION"]

#: Entries per feed (DESIGN §9: the latest 50).
FEED_SIZE = 50
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
#: The date of a feed without entries (a fixed value keeps the output deterministic).
_EPOCH = "1970-01-01T00:00:00Z"


def feeds(listing: str, term: str, entries: Sequence[IndexEntry], *,
          site: Any) -> list[Output]:
    """The RSS, Atom and JSON feeds of ``home`` or ``section/<s>`` (``term``: the section's
    display name). ``entries``: the listing's newest entries, newest first (only the first
    :data:`FEED_SIZE` are used)."""
    entries = list(entries[:FEED_SIZE])
    paths = feed_paths(listing)
    title = site.name if listing == HOME else f"{term} | {site.name}"
    home_url = f"{site.base_url}{listing_path(listing)}"
    newest = max((e.modified for e in entries), default=_EPOCH)
    return [_rss_or_atom("rss", paths, title, home_url, newest, entries, site),
            _rss_or_atom("atom", paths, title, home_url, newest, entries, site),
            _json_feed(paths, title, home_url, entries, site)]


def _rss_or_atom(kind: str, paths: dict[str, str], title: str, home_url: str, newest: str,
                 entries: list[IndexEntry], site: Any) -> Output:
    from feedgen.feed import FeedGenerator

    from amp_publisher import __version__

    feed = FeedGenerator()
    feed.id(home_url)
    feed.title(title)
    feed.link(href=home_url, rel="alternate")
    feed.link(href=f"{site.base_url}{paths[kind]}", rel="self")
    feed.description(site.tagline or site.name)
    feed.language(site.language)
    feed.generator("amp-publisher", version=__version__)
    feed.updated(utc_datetime(newest))
    feed.lastBuildDate(utc_datetime(newest))
    for entry in entries:
        url = f"{site.base_url}{entry.path}"
        item = feed.add_entry(order="append")
        item.id(url)
        item.guid(url, permalink=True)
        item.title(entry.headline)
        item.link(href=url)
        if entry.description:
            item.description(entry.description)
        item.published(utc_datetime(entry.published))
        item.updated(utc_datetime(entry.updated or entry.published))
        for author in entry.authors:
            item.author({"name": author["name"], **({"uri": author["url"]}
                                                    if author.get("url") else {})})
        if entry.section:
            item.category(term=entry.section)
    if kind == "rss":
        return Output(paths["rss"].lstrip("/"), feed.rss_str(pretty=True))
    return Output(paths["atom"].lstrip("/"), feed.atom_str(pretty=True))


def _json_feed(paths: dict[str, str], title: str, home_url: str, entries: list[IndexEntry],
               site: Any) -> Output:
    items = []
    for entry in entries:
        url = f"{site.base_url}{entry.path}"
        item: dict[str, Any] = {"id": url, "url": url, "title": entry.headline,
                                "content_text": entry.description or entry.headline}
        if entry.description:
            item["summary"] = entry.description
        if entry.image:
            item["image"] = entry.image["src"]
        item["date_published"] = utc_iso(entry.published)
        if entry.updated:
            item["date_modified"] = utc_iso(entry.updated)
        if entry.authors:
            item["authors"] = [{"name": a["name"], **({"url": a["url"]} if a.get("url") else {})}
                               for a in entry.authors]
        if entry.tags:
            item["tags"] = list(entry.tags)
        item["language"] = entry.language
        items.append(item)
    document = {"version": JSON_FEED_VERSION, "title": title, "home_page_url": home_url,
                "feed_url": f"{site.base_url}{paths['json']}",
                "description": site.tagline or site.name, "language": site.language,
                "items": items}
    body = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    return Output(paths["json"].lstrip("/"), body)
