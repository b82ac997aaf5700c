"""AMP index pages: the home page and the section, tag and author pages (DESIGN §9).

Rendered by the theme's ``index.html`` (Jinja2, same environment and CSS as the article page,
overridable by a custom theme) and validated by the same AMP gate as articles before they are
written (the caller's job: :func:`render_listing_page` only renders).

Stable pagination
-----------------
A listing of ``n`` entries (newest first) with ``size`` per page has ``F = n // size`` full
pages counted **from the oldest**: page ``k`` (``…/page/<k>/``, ``1 ≤ k < F``) always holds the
entries at ascending positions ``[(k-1)·size, k·size)``. The root (``/``, ``/section/<s>/``…)
holds the rest, the newest ``size`` to ``2·size-1`` entries. So publishing a new article
changes the root only, plus, once every ``size`` articles, one new numbered page; older pages
never shift. A change at ascending position ``p`` (a deletion, a back-dated article) changes
the pages from ``p // size + 1`` up, and the root. :func:`page_plan` is this arithmetic.

Example:
    >>> [(s.number, s.start, s.stop) for s in page_plan(45, 20)]
    [(None, 20, 45), (1, 0, 20)]
    >>> [(s.number, s.start, s.stop) for s in page_plan(7, 20)]
    [(None, 0, 7)]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from amp_publisher.core.i18n import gettext_for
from amp_publisher.core.siteoutputs.entries import HOME, IndexEntry, listings_of, term_slug
from amp_publisher.core.siteoutputs.outputs import (
    Output,
    feed_paths,
    key_of_path,
    listing_path,
)

__all__ = ["PAGE_SIZE", "PageSlot", "page_plan", "numbered_pages", "render_listing_page",
           "listing_title"]

#: Entries per index page (the root shows up to twice as many, see the module docstring).
PAGE_SIZE = 20


@dataclass(frozen=True)
class PageSlot:
    """One index page of a listing: ``number`` (``None`` for the root) and the ascending
    positions ``[start, stop)`` of the entries it shows."""

    number: int | None
    start: int
    stop: int


def numbered_pages(total: int, size: int = PAGE_SIZE) -> int:
    """How many numbered pages (``…/page/<k>/``) a listing of ``total`` entries has."""
    return max(total // size - 1, 0)


def page_plan(total: int, size: int = PAGE_SIZE) -> list[PageSlot]:
    """The root then the numbered pages, newest first (see the module docstring)."""
    last = numbered_pages(total, size)
    slots = [PageSlot(None, last * size, total)]
    slots.extend(PageSlot(k, (k - 1) * size, k * size) for k in range(last, 0, -1))
    return slots


def listing_title(listing: str, term: str, site: Any) -> str:
    """The heading of a listing's pages: the site's name for ``home``, else the term's
    display name (``Tag: …`` for tags, in the site's language)."""
    if listing == HOME:
        return site.name
    kind = listing.split("/", 1)[0]
    if kind == "tag":
        _ = gettext_for(site.theme, site.language)
        return _("Tag: %(tag)s") % {"tag": term}
    return term


def _card(entry: IndexEntry, site: Any) -> dict[str, Any]:
    section_url = None
    if entry.section and (s := term_slug(entry.section)):
        section_url = f"{site.base_url}{listing_path(f'section/{s}')}"
    from amp_publisher.core.rendering import display_date

    published = (dt.datetime.fromisoformat(entry.published) if "T" in entry.published
                 else dt.date.fromisoformat(entry.published))
    shown = display_date(published, language=site.language, timezone=site.timezone)
    image = entry.image if entry.image and entry.image.get("width") else None
    return {"headline": entry.headline, "url": f"{site.base_url}{entry.path}",
            "description": entry.description, "section": entry.section,
            "section_url": section_url, "published_iso": entry.published,
            "published_text": shown["text"] if shown else entry.published, "image": image,
            "authors": _linked(site, "author", (a["name"] for a in entry.authors)),
            "tags": _linked(site, "tag", entry.tags)}


def _linked(site: Any, kind: str, names: Any) -> list[dict[str, str | None]]:
    """``[{name, url}]``: each term with the URL of its index page (``None`` when the term has
    no page: nothing left after slugifying)."""
    return [{"name": name, "url": f"{site.base_url}{listing_path(f'{kind}/{slug}')}"
             if (slug := term_slug(name)) else None} for name in names]


def render_listing_page(listing: str, term: str, slot: PageSlot, entries: Sequence[IndexEntry],
                        *, total: int, site: Any, size: int = PAGE_SIZE) -> Output:
    """Render one index page of ``listing``.

    Args:
        listing: the listing name (``home``, ``section/world``…).
        term: its display name (the section's, tag's or author's as written in articles).
        slot: which page (:func:`page_plan`).
        entries: exactly the entries of ``slot``, newest first.
        total: the listing's size (for the pagination links).
        site: the :class:`~amp_publisher.core.site.SiteConfig`.

    Returns:
        The :class:`Output` (``text/html; charset=utf-8``) at the page's key.
    """
    from amp_publisher.core.rendering import page_chrome
    from amp_publisher.core.theme import theme_css, theme_environment

    last = numbered_pages(total, size)
    path = listing_path(listing, slot.number)
    if slot.number is None:
        newer = None
        older = listing_path(listing, last) if last else None
    else:
        newer = listing_path(listing, slot.number + 1 if slot.number < last else None)
        older = listing_path(listing, slot.number - 1) if slot.number > 1 else None
    title = listing_title(listing, term, site)
    kind = listing.split("/", 1)[0]
    feeds = feed_paths(listing) if kind in (HOME, "section") else None
    context = page_chrome(site, language=site.language,
                          body_css=theme_css(site.theme, "index.css"))
    context.update({
        "listing": listing, "kind": kind, "heading": title, "page_number": slot.number,
        "title": (title if listing == HOME else f"{title} | {site.name}") +
                 ("" if slot.number is None else " – " + gettext_for(site.theme, site.language)(
                     "page %(number)s") % {"number": slot.number}),
        "canonical_url": f"{site.base_url}{path}",
        "cards": [_card(e, site) for e in entries],
        "newer_url": f"{site.base_url}{newer}" if newer else None,
        "older_url": f"{site.base_url}{older}" if older else None,
        "feeds": {k: f"{site.base_url}{v}" for k, v in feeds.items()} if feeds else None,
    })
    html = theme_environment(site.theme).get_template("index.html").render(context)
    return Output(key_of_path(path), html.encode("utf-8"))


def listing_terms(entries: Sequence[IndexEntry]) -> dict[str, str]:
    """``{listing: display name}`` over ``entries`` (the first spelling met, newest first)."""
    terms: dict[str, str] = {}
    for entry in entries:
        for name, term in listings_of(entry).items():
            terms.setdefault(name, term)
    return terms
