"""Index entries: what listings, sitemaps and feeds know about one published article (DESIGN §9).

An :class:`IndexEntry` is built from the article when its page is published
(:func:`entry_from_article`) and stored in the manifest; :func:`listings_of` names every listing
the article belongs to. A listing is a date-ordered list of entries:

==================  =====================================  ===========================
listing name        holds the articles                     outputs
==================  =====================================  ===========================
``home``            all of them                            ``/``, the site's feeds
``section/<s>``     whose ``section`` slugifies to ``<s>``  ``/section/<s>/``, its feeds
``tag/<t>``         with a tag that slugifies to ``<t>``   ``/tag/<t>/``
``author/<a>``      by an author slugifying to ``<a>``     ``/author/<a>/``
``month/<M>``       published in month ``M`` (UTC)         ``/sitemaps/<M>.xml``
==================  =====================================  ===========================

A listing name for section, tag and author is also the URL path of its index page, so names
are URL-safe by construction (python-slugify, the same transliteration as slugs). A term with
nothing left after slugifying (``"!!!"``) gets no listing.

Order: newest first by :func:`order_key`, ``<published, UTC, seconds>#<slug>``; the slug breaks
ties so the order is total and the same everywhere.

Example:
    >>> from amp_publisher.core.models import parse_article
    >>> from amp_publisher.core.site import SiteConfig
    >>> article = parse_article({"headline": "Hi", "published": "2026-06-25T09:30:00+02:00",
    ...     "section": "World News", "tags": ["AI", "Métro"], "authors": [{"name": "Ann Lee"}],
    ...     "body": [{"type": "paragraph", "text": "Hello."}]})
    >>> entry = entry_from_article(article, SiteConfig(), slug="hi",
    ...                            source_key="articles/hi.json", description="Hello.")
    >>> entry.order_key
    '2026-06-25T07:30:00Z#hi'
    >>> sorted(listings_of(entry))
    ['author/ann-lee', 'home', 'month/2026-06', 'section/world-news', 'tag/ai', 'tag/metro']
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["IndexEntry", "entry_from_article", "listings_of", "section_listing", "term_slug",
           "order_key",
           "entry_hash", "dirty_listings",
           "utc_iso", "utc_datetime", "HOME", "LISTING_KINDS"]

#: The site-wide listing.
HOME = "home"
#: Listing kinds with a term (``<kind>/<term>``).
LISTING_KINDS = ("section", "tag", "author", "month")


@functools.lru_cache(maxsize=4096)
def term_slug(term: str) -> str:
    """The URL segment of a section, tag or author name (python-slugify, at most 80 chars);
    ``""`` when nothing is left.

    >>> term_slug("Science & Tech"), term_slug("!!!")
    ('science-tech', '')

    Cached (transliteration is the costly part of building an index page).
    """
    from slugify import slugify

    return slugify(term, max_length=80, lowercase=True)


def utc_datetime(value: dt.date | str) -> dt.datetime:
    """A date or date-time (or its ISO string) as an aware datetime in UTC, in whole seconds:
    the instant :func:`utc_iso` writes (a bare date is midnight UTC).

    >>> utc_datetime("2026-06-25T09:30:12.5+02:00")
    datetime.datetime(2026, 6, 25, 7, 30, 12, tzinfo=datetime.timezone.utc)
    """
    from amp_publisher.core.models import instant

    return instant(value).astimezone(dt.UTC).replace(microsecond=0)


def utc_iso(value: dt.date | str) -> str:
    """A date or date-time (or its ISO string) as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC: whole
    seconds, because ``xsd:dateTime`` (sitemaps) needs the seconds and the order key must sort
    as text.

    >>> utc_iso("2026-06-25"), utc_iso("2026-06-25T09:30:12.5+02:00")
    ('2026-06-25T00:00:00Z', '2026-06-25T07:30:12Z')
    """
    # isoformat, not strftime: glibc's %Y does not pad a year before 1000 to four digits
    return f"{utc_datetime(value).replace(tzinfo=None).isoformat()}Z"


def order_key(published: str, slug: str) -> str:
    """The sort key of an entry in every listing: ``<utc_iso(published)>#<slug>``."""
    return f"{utc_iso(published)}#{slug}"


@dataclass(frozen=True)
class IndexEntry:
    """One published article as the site's listings see it.

    Attributes:
        source_key: the S3 key of the article (``articles/a.json``).
        slug: its slug; ``path`` is the URL path of its page (``/<output_prefix><slug>/``).
        headline, description: plain text (description may be ``""``).
        section: display name or ``None``; tags: display names; authors: ``[{"name", "url"?}]``.
        published, updated: ISO 8601 as in the article (a date, or a date-time with zone);
            ``updated`` may be ``None``.
        image: the hero image ``{"src" (absolute URL), "alt", "width"?, "height"?}`` or ``None``.
        language: BCP 47 tag of the page.
    """

    source_key: str
    slug: str
    path: str
    headline: str
    description: str = ""
    section: str | None = None
    tags: tuple[str, ...] = ()
    authors: tuple[dict[str, str], ...] = ()
    published: str = "1970-01-01"
    updated: str | None = None
    image: dict[str, Any] | None = None
    language: str = "en"

    @property
    def order_key(self) -> str:
        """See :func:`order_key`."""
        return order_key(self.published, self.slug)

    @property
    def month(self) -> str:
        """The publication month in UTC, ``YYYY-MM`` (its monthly sitemap)."""
        return utc_iso(self.published)[:7]

    @property
    def modified(self) -> str:
        """``updated`` or else ``published``, as :func:`utc_iso` (sitemap ``lastmod``)."""
        return utc_iso(self.updated or self.published)

    def to_item(self) -> dict[str, Any]:
        """Plain values for storage (DynamoDB): lists, no ``None`` (absent attributes)."""
        data = asdict(self)
        data["tags"] = list(self.tags)
        data["authors"] = [dict(a) for a in self.authors]
        return {k: v for k, v in data.items() if v not in (None, "", [])}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> IndexEntry:
        """The inverse of :meth:`to_item` (unknown attributes are ignored; DynamoDB numbers
        come back as ``Decimal`` and are made ints)."""
        image = item.get("image")
        if image:
            image = {k: (int(v) if k in ("width", "height") else v) for k, v in image.items()}
        return cls(source_key=item["source_key"], slug=item["slug"], path=item["path"],
                   headline=item["headline"], description=item.get("description", ""),
                   section=item.get("section"), tags=tuple(item.get("tags") or ()),
                   authors=tuple({k: str(v) for k, v in a.items()}
                                 for a in item.get("authors") or ()),
                   published=item["published"], updated=item.get("updated"),
                   image=image or None, language=item.get("language", "en"))


def entry_from_article(article: Any, site: Any, *, slug: str, source_key: str,
                       description: str | None) -> IndexEntry:
    """The entry of an article published at ``slug``.

    Args:
        article: the :class:`~amp_publisher.core.models.Article`.
        site: the :class:`~amp_publisher.core.site.SiteConfig` (URL path, language, publisher).
        slug: the page's slug; source_key: the article's S3 key.
        description: the page's meta description (the article's, or the one made from its body).
    """
    image = None
    if article.image is not None:
        src = article.image.src
        image = {"src": src if src.startswith("https://") else f"{site.base_url}{src}",
                 "alt": article.image.alt}
        if article.image.width and article.image.height:
            image.update(width=article.image.width, height=article.image.height)
    authors = tuple({"name": a.name, **({"url": a.url} if a.url else {})}
                    for a in article.authors)
    return IndexEntry(
        source_key=source_key, slug=slug, path=site.page_path(slug),
        headline=article.headline, description=description or "",
        section=article.section or None, tags=tuple(dict.fromkeys(article.tags)),
        authors=authors, published=article.published.isoformat(),
        updated=article.updated.isoformat() if article.updated else None,
        image=image, language=article.language or site.language)


def section_listing(section: str | None) -> str | None:
    """The listing of a section (``section/<s>``), or ``None`` for no section (or one whose
    name leaves no URL segment).

    >>> section_listing("Science & Tech"), section_listing(None)
    ('section/science-tech', None)
    """
    s = term_slug(section) if section else ""
    return f"section/{s}" if s else None


def listings_of(entry: IndexEntry) -> dict[str, str]:
    """Every listing ``entry`` belongs to, as ``{listing name: display name of its term}``
    (``""`` for ``home``); see the module's table."""
    names = {HOME: "", f"month/{entry.month}": entry.month}
    if (section := section_listing(entry.section)):
        names[section] = entry.section or ""
    for tag in entry.tags:
        if (t := term_slug(tag)):
            names.setdefault(f"tag/{t}", tag)
    for author in entry.authors:
        if (a := term_slug(author["name"])):
            names.setdefault(f"author/{a}", author["name"])
    return names


def entry_hash(entry: IndexEntry) -> str:
    """A short hash (16 hex chars) of everything listing items hold about ``entry``."""
    import hashlib
    import json

    text = json.dumps(entry.to_item(), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def dirty_listings(old: IndexEntry | None, old_names: set[str],
                   new: IndexEntry | None) -> dict[str, str]:
    """The listings a change from ``old`` to ``new`` (either may be ``None``: a first publish,
    an unpublish) makes stale, as ``{listing: from}``: ``from`` is the smallest order key the
    change touches in that listing (``""``: the whole listing, when the old entry is unknown).
    ``old_names``: the listings the old entry's items are in. Listings whose item is unchanged
    are not dirty.

    >>> a = IndexEntry(source_key="k", slug="a", path="/a/", headline="A", section="X",
    ...                published="2026-06-25")
    >>> b = IndexEntry(source_key="k", slug="a", path="/a/", headline="A", section="Y",
    ...                published="2026-06-25")
    >>> sorted(dirty_listings(a, set(listings_of(a)), b))
    ['home', 'month/2026-06', 'section/x', 'section/y']
    """
    new_names = listings_of(new) if new is not None else {}
    old_listed = listings_of(old) if old is not None else {}
    changed_content = old is None or new is None or old.to_item() != new.to_item()
    dirty: dict[str, str] = {}
    for name in set(old_names) | set(new_names):
        keys = []
        if name in old_names:
            keys.append(old.order_key if old is not None and name in old_listed else "")
        if name in new_names:
            keys.append(new.order_key)
        same = (name in old_names and name in new_names and old is not None
                and old_listed.get(name) == new_names[name] and not changed_content)
        if not same:
            dirty[name] = min(keys)
    return dirty
