"""Sitemaps and robots.txt (DESIGN §9), built with lxml (it does all the XML escaping).

* ``/sitemaps/<YYYY-MM>.xml``: one ``<urlset>`` per publication month (UTC), ``lastmod`` from
  ``updated`` (else ``published``) as ``xsd:dateTime`` with seconds (sitemaps.org protocol 0.9).
  A sitemap holds at most 50,000 URLs and 50 MB (:data:`MAX_URLS`): a month is cut at its
  newest 50,000 (1,600 articles a day; splitting a month further is not implemented).
* ``/sitemap.xml``: the ``<sitemapindex>`` over the monthly sitemaps, ``lastmod`` = the newest
  ``lastmod`` inside each.
* ``/news-sitemap.xml``: Google News, the articles published in the last 2 days
  (:data:`NEWS_WINDOW`), at most 1,000, each with ``news:publication`` (name, language),
  ``news:publication_date`` and ``news:title``, in the order the Google News XSD requires.
* ``/robots.txt``: allows everything and names both sitemaps (RFC 9309; ``Sitemap:`` lines as
  sitemaps.org documents them).

Example:
    >>> news_language("en-GB"), news_language("zh-Hant-TW"), news_language("pt-BR")
    ('en', 'zh-tw', 'pt')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lxml import etree

from amp_publisher.core.siteoutputs.entries import IndexEntry, utc_datetime, utc_iso
from amp_publisher.core.siteoutputs.outputs import Output

__all__ = ["SITEMAP_NS", "NEWS_NS", "MAX_URLS", "MAX_NEWS_URLS", "NEWS_WINDOW",
           "monthly_sitemap", "sitemap_index", "news_sitemap", "robots_txt", "news_language",
           "month_key", "in_news_window"]

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
#: sitemaps.org: at most 50,000 URLs per sitemap and per sitemap index.
MAX_URLS = 50_000
#: Google News sitemaps: at most 1,000 ``news:news`` URLs ...
MAX_NEWS_URLS = 1_000
#: ... of articles published in the last two days.
NEWS_WINDOW = dt.timedelta(days=2)


def month_key(month: str) -> str:
    """The key of a monthly sitemap: ``sitemaps/<YYYY-MM>.xml``."""
    return f"sitemaps/{month}.xml"


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def monthly_sitemap(month: str, entries: Sequence[IndexEntry], *, site: Any) -> Output:
    """The ``<urlset>`` of the articles published in ``month`` (``entries`` newest first)."""
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})
    for entry in entries[:MAX_URLS]:
        url = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = f"{site.base_url}{entry.path}"
        etree.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = entry.modified
    return Output(month_key(month), _xml(root))


def sitemap_index(months: Mapping[str, str], *, site: Any) -> Output:
    """The ``<sitemapindex>``: ``months`` maps ``YYYY-MM`` to the newest ``lastmod`` in it;
    listed newest month first."""
    root = etree.Element(f"{{{SITEMAP_NS}}}sitemapindex", nsmap={None: SITEMAP_NS})
    for month in sorted(months, reverse=True)[:MAX_URLS]:
        item = etree.SubElement(root, f"{{{SITEMAP_NS}}}sitemap")
        etree.SubElement(item, f"{{{SITEMAP_NS}}}loc").text = \
            f"{site.base_url}/{month_key(month)}"
        etree.SubElement(item, f"{{{SITEMAP_NS}}}lastmod").text = months[month]
    return Output("sitemap.xml", _xml(root))


def news_language(tag: str) -> str:
    """The ``news:language`` of a BCP 47 tag: the XSD admits ``zh-cn``, ``zh-tw`` or a 2–3
    letter ISO 639 code (Google News sitemap guidelines), so ``en-GB`` → ``en``."""
    parts = tag.lower().split("-")
    if parts[0] == "zh":
        return "zh-tw" if any(p in ("tw", "hk", "mo", "hant") for p in parts[1:]) else "zh-cn"
    return parts[0]


def in_news_window(published: str, now: dt.datetime) -> bool:
    """Whether an article published at ``published`` (ISO) belongs in the news sitemap at
    ``now`` (aware): published within :data:`NEWS_WINDOW` before ``now``."""
    when = utc_datetime(published)
    return now - NEWS_WINDOW <= when


def news_sitemap(entries: Iterable[IndexEntry], *, site: Any, now: dt.datetime) -> Output:
    """The Google News sitemap over ``entries`` (newest first): those in the window at
    ``now``, at most :data:`MAX_NEWS_URLS`."""
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS, "news": NEWS_NS})
    publisher = site.effective_publisher.name
    for count, entry in enumerate(entries):
        if count == MAX_NEWS_URLS or not in_news_window(entry.published, now):
            break
        url = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = f"{site.base_url}{entry.path}"
        news = etree.SubElement(url, f"{{{NEWS_NS}}}news")
        publication = etree.SubElement(news, f"{{{NEWS_NS}}}publication")
        etree.SubElement(publication, f"{{{NEWS_NS}}}name").text = publisher
        etree.SubElement(publication, f"{{{NEWS_NS}}}language").text = \
            news_language(entry.language)
        etree.SubElement(news, f"{{{NEWS_NS}}}publication_date").text = utc_iso(entry.published)
        etree.SubElement(news, f"{{{NEWS_NS}}}title").text = entry.headline
    return Output("news-sitemap.xml", _xml(root))


def robots_txt(*, site: Any) -> Output:
    """``robots.txt``: everything allowed, both sitemaps named by absolute URL."""
    text = (f"User-agent: *\nAllow: /\n\nSitemap: {site.base_url}/sitemap.xml\n"
            f"Sitemap: {site.base_url}/news-sitemap.xml\n")
    return Output("robots.txt", text.encode("utf-8"))
