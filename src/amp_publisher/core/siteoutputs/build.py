"""Every site output from the full list of entries: the reference the incremental path equals.

:func:`build_site` is what the final manifest implies (the chaos test compares the site bucket
with it, byte for byte); :func:`listing_pages` and :func:`outputs_of_listing` are the pieces the
index function (:mod:`amp_publisher.aws.site_index`) calls with what it read from the manifest.

Example:
    >>> from amp_publisher.core.site import SiteConfig
    >>> import datetime as dt
    >>> e = IndexEntry(source_key="articles/a.json", slug="a", path="/a/", headline="A",
    ...                section="World", published="2026-06-25")
    >>> sorted(build_site([e], SiteConfig(), now=dt.datetime(2026, 6, 26, tzinfo=dt.UTC)))
    ... # doctest: +NORMALIZE_WHITESPACE
    ['atom.xml', 'feed.json', 'feed.xml', 'index.html', 'news-sitemap.xml', 'robots.txt',
     'section/world/atom.xml', 'section/world/feed.json', 'section/world/feed.xml',
     'section/world/index.html', 'sitemap.xml', 'sitemaps/2026-06.xml']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from amp_publisher.core.siteoutputs.entries import HOME, IndexEntry, listings_of
from amp_publisher.core.siteoutputs.feeds import feeds
from amp_publisher.core.siteoutputs.outputs import Output
from amp_publisher.core.siteoutputs.pages import PAGE_SIZE, page_plan, render_listing_page
from amp_publisher.core.siteoutputs.sitemaps import (
    monthly_sitemap,
    news_sitemap,
    robots_txt,
    sitemap_index,
)

__all__ = ["build_site", "listing_pages", "outputs_of_listing", "has_feeds"]


def has_feeds(listing: str) -> bool:
    """Whether a listing has feeds: the site-wide one and sections (DESIGN §9)."""
    return listing == HOME or listing.startswith("section/")


def listing_pages(listing: str, term: str, newest: Sequence[IndexEntry], total: int, *,
                  site: Any, numbers: Collection[int | None] | None = None,
                  size: int = PAGE_SIZE, skip: int = 0) -> list[Output]:
    """Index pages of ``listing`` (``numbers``: which ones, ``None`` in it is the root; default
    all), from ``newest``, its entries newest first after the newest ``skip`` (``newest[0]``
    is the entry at newest-first position ``skip``): enough of them for every requested page
    (down to ``total`` minus the oldest requested page's start).

    Raises:
        ValueError: ``newest`` does not cover a requested page.
    """
    outputs = []
    for slot in page_plan(total, size):
        if numbers is not None and slot.number not in numbers:
            continue
        if skip + len(newest) < total - slot.start or total - slot.stop < skip:
            raise ValueError(f"{listing}: page {slot.number} needs the entries at newest-first "
                             f"positions [{total - slot.stop}, {total - slot.start}), got "
                             f"[{skip}, {skip + len(newest)})")
        chunk = newest[total - slot.stop - skip: total - slot.start - skip]
        outputs.append(render_listing_page(listing, term, slot, chunk, total=total, site=site,
                                           size=size))
    return outputs


def outputs_of_listing(listing: str, term: str, newest: Sequence[IndexEntry], total: int, *,
                       site: Any, size: int = PAGE_SIZE) -> list[Output]:
    """All outputs of one listing given all its entries (newest first): index pages, and feeds
    or a monthly sitemap where the listing has them."""
    if listing.startswith("month/"):
        return [monthly_sitemap(listing.split("/", 1)[1], newest, site=site)]
    outputs = listing_pages(listing, term, newest, total, site=site, size=size)
    if has_feeds(listing):
        outputs.extend(feeds(listing, term, newest, site=site))
    return outputs


def build_site(entries: Iterable[IndexEntry], site: Any, *, now: dt.datetime,
               size: int = PAGE_SIZE) -> dict[str, Output]:
    """Every site output (not the article pages) of a site whose published articles are
    ``entries``, as ``{key: Output}``. ``now`` (aware) decides the news sitemap's window.

    The home page, site feeds, sitemap index, news sitemap and robots.txt always exist; a
    section, tag, author or month exists while it has an article."""
    ordered = sorted(entries, key=lambda e: e.order_key, reverse=True)
    members: dict[str, list[IndexEntry]] = {HOME: []}
    terms: dict[str, str] = {HOME: ""}
    for entry in ordered:
        for name, term in listings_of(entry).items():
            members.setdefault(name, []).append(entry)
            terms.setdefault(name, term)
    outputs: dict[str, Output] = {}
    months: dict[str, str] = {}
    for name, newest in members.items():
        for output in outputs_of_listing(name, terms[name], newest, len(newest), site=site,
                                         size=size):
            outputs[output.key] = output
        if name.startswith("month/"):
            months[name.split("/", 1)[1]] = max(e.modified for e in newest)
    for output in (sitemap_index(months, site=site), news_sitemap(ordered, site=site, now=now),
                   robots_txt(site=site)):
        outputs[output.key] = output
    return outputs
