"""Article → AMP HTML page: the Jinja2 theme and everything the page says about itself (DESIGN §5).

:func:`render` is the pure core's entry point: no AWS, no network unless an image-size resolver
that does I/O is passed in. The body and the hero image are turned into AMP markup by
:mod:`amp_publisher.core.body` (blocks as plain HTML, then everything through one converter,
:mod:`amp_publisher.core.conversion`, with one report); this module is the theme and the page
context: the theme lays out the page with the required AMP markup, the SEO metadata (title,
description, canonical, NewsArticle JSON-LD, Open Graph, Twitter card) and exactly the extension
scripts the page uses.

The default theme's templates: ``base.html`` (the layout every page type extends, with the
context of :func:`page_chrome`), ``article.html``, and ``partials/`` (site header with the logo,
footer, share buttons, analytics, consent).

One compiled Jinja2 environment per theme and process (a Lambda container renders many events;
:mod:`amp_publisher.core.theme`). Autoescaping is on for every template whatever its file
extension, and undefined variables raise.

Example:
    >>> from amp_publisher.core.models import parse_article
    >>> from amp_publisher.core.site import SiteConfig
    >>> page = render(parse_article({"headline": "Cats & <3 dogs", "published": "2026-06-25",
    ...                              "body": [{"type": "paragraph", "text": "Hi & bye."}]}),
    ...               SiteConfig(name="Example", base_url="https://news.example"),
    ...               source_key="articles/hello.json")
    >>> page.slug, page.html.startswith("<!doctype html>")
    ('hello', True)
    >>> "<h1 class=\\"headline\\">Cats &amp; &lt;3 dogs</h1>" in page.html
    True
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from amp_publisher import __version__
from amp_publisher.core.body import Body, convert_body
from amp_publisher.core.i18n import N_, gettext_for
from amp_publisher.core.image_sizes import ImageSizeResolver
from amp_publisher.core.keys import slug_from_key, stem
from amp_publisher.core.models import Article, Paragraph, unknown_field_paths
from amp_publisher.core.site import SiteConfig
from amp_publisher.core.theme import iso_date, theme_css, theme_environment

__all__ = ["render", "Page", "ImageSizeResolver", "RelatedArticle", "page_chrome", "display_date"]


@dataclass(frozen=True)
class Page:
    """A rendered page.

    Attributes:
        html: the AMP HTML document (UTF-8 when stored).
        slug: URL path segment; the page lives at ``<output_prefix><slug>/index.html``.
        canonical_url: the ``<link rel=canonical>`` target.
        extensions: AMP components the page loads scripts for (``{"amp-youtube"}``).
        report: the converter's report entries for the body (every block) and the hero image,
            in the order made.
        warnings: unknown fields in the article JSON, as JSON paths.
        timings_ms: per-step wall time in milliseconds (``convert``, ``template``).
        description: the meta description the page carries (the article's, or one made from
            its first paragraph), ``None`` when it has none.
        canonical_html: in paired mode (``site.page_mode == "paired"``), the canonical non-AMP
            page stored at ``<output_prefix><slug>/index.html``
            (:func:`amp_publisher.core.canonical.canonical_page`), while :attr:`html`, the AMP
            page, goes to ``<output_prefix><slug>/amp/index.html``; ``None`` in amp mode.
        amp_url: the AMP page's absolute URL (in paired mode its ``/amp/`` address).
    """

    html: str
    slug: str
    canonical_url: str
    extensions: frozenset[str]
    report: tuple[Any, ...] = ()
    warnings: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    description: str | None = None
    canonical_html: str | None = None
    amp_url: str | None = None

    @property
    def size_bytes(self) -> int:
        """Size of the stored page in bytes (UTF-8)."""
        return len(self.html.encode("utf-8"))


@dataclass(frozen=True)
class RelatedArticle:
    """One entry of an article's "Related" list (same section, newest first), from the site's
    index of published articles.

    Attributes:
        headline: the other article's headline.
        url: its page URL (absolute, or a site-relative path).
        published: its publication date, shown in the page's language and the site's time zone.
    """

    headline: str
    url: str
    published: dt.date | None = None


def render(article: Article, site: SiteConfig, *, source_key: str | None = None,
           image_sizes: ImageSizeResolver | None = None,
           related: Iterable[RelatedArticle] = ()) -> Page:
    """Render one article into an AMP page.

    Args:
        article: a validated article (:func:`amp_publisher.core.models.parse_article`).
        site: the site configuration.
        source_key: the S3 key the article came from; gives the default slug (and id) when the
            article has none.
        image_sizes: asked for images without width/height; ``None`` → the fallback ratio.
        related: other articles of the same section, newest first, listed under the article
            (the caller reads them from the site's index; none until it has one).

    Returns:
        The :class:`Page`. Rendering is deterministic: the same inputs give the same bytes. In
        paired mode (DESIGN §9) the page also carries its canonical twin
        (:attr:`Page.canonical_html`); the AMP page is the same either way.

    Raises:
        SchemaError: no slug in the article and none derivable from the key; in paired mode,
            the slug ``amp`` (its page could not be told apart from an AMP twin).
        amp_publisher.core.errors.ConversionError: the body cannot be converted.
    """
    from amp_publisher.core.errors import SchemaError

    if article.slug:
        slug = article.slug
    elif source_key:
        try:
            slug = slug_from_key(source_key)
        except ValueError as exc:
            raise SchemaError(str(exc), path="slug") from None
    else:
        raise SchemaError("the article has no slug and no source key to derive one from",
                          path="slug")
    from amp_publisher.core.site import AMP_TWIN_SEGMENT

    if site.paired and slug == AMP_TWIN_SEGMENT:
        raise SchemaError(f"the slug {slug!r} is reserved in paired mode (an article's AMP page "
                          f"lives at /<slug>/{AMP_TWIN_SEGMENT}/); choose another slug",
                          path="slug")
    started = time.perf_counter()
    if image_sizes is not None and callable(getattr(image_sizes, "for_article", None)):
        image_sizes = image_sizes.for_article()  # one probe budget for the whole page
    from amp_publisher.core.amp.css import utf8_bytes

    # The theme's CSS has priority; the body's gets what is left of AMP's budget.
    body = convert_body(article, site, image_sizes, css_budget=max(
        _css_budget_bytes() - utf8_bytes(_theme_css(site.theme)), 0), hero_sizes=_HERO_SIZES)
    hero = body.hero
    converted = time.perf_counter()
    canonical = article.canonical_url or site.page_url(slug)
    context = _page_context(article, site, slug, canonical, body, hero, source_key,
                            tuple(related))
    html = theme_environment(site.theme).get_template("article.html").render(context)
    done = time.perf_counter()
    canonical_html = None
    timings = {"convert": round((converted - started) * 1000, 3),
               "template": round((done - converted) * 1000, 3)}
    if site.paired:
        from amp_publisher.core.canonical import canonical_page

        canonical_html = canonical_page(html, amp_url=site.amp_page_url(slug), theme=site.theme)
        timings["canonical"] = round((time.perf_counter() - done) * 1000, 3)
    return Page(
        html=html,
        slug=slug,
        canonical_url=canonical,
        extensions=frozenset(body.extensions),
        report=tuple(body.report),
        warnings=tuple(unknown_field_paths(article)),
        timings_ms=timings,
        description=context["description"],
        canonical_html=canonical_html,
        amp_url=site.amp_page_url(slug),
    )


# --- the theme --------------------------------------------------------------------------------


def _theme_css(theme: str) -> str:
    """The article page's stylesheet, ``style.css``."""
    return theme_css(theme)


@functools.cache
def _babel_locale(language: str) -> Any:
    """The Babel locale for a BCP 47 tag (``en-GB`` → ``en_GB``); the base language, then
    English, when Babel has no data for it."""
    from babel import Locale, UnknownLocaleError

    for tag in (language, language.split("-")[0], "en"):
        try:
            return Locale.parse(tag, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    raise AssertionError("unreachable: Babel always knows en")  # pragma: no cover


def display_date(value: dt.date, *, language: str, timezone: str,
                 since: dt.date | None = None) -> dict[str, str] | None:
    """A date for the byline: ``{"iso": <time datetime>, "text": <shown>, "kind": "date" or
    "time"}``.

    The text is formatted for ``language`` with Babel's CLDR data (``format="long"``: "25 June
    2026" in ``en-GB``, "June 25, 2026" in ``en-US``, "25. Juni 2026" in ``de``). A date-time is
    first converted to ``timezone`` (an IANA name). With ``since`` (the published date), the
    result is ``None`` when the value shows the same as ``since`` (an "Updated" on the day of
    publication says nothing), and the time of day (CLDR ``short`` time, ``kind`` ``"time"``)
    when only that differs.

    Args:
        value: a :class:`datetime.date`, or a timezone-aware :class:`datetime.datetime`.
        language: BCP 47 tag of the page.
        timezone: IANA time zone of the site.
        since: the date ``value`` is compared with.
    """
    from zoneinfo import ZoneInfo

    from babel.dates import format_time

    locale = _babel_locale(language)
    zone = ZoneInfo(timezone)

    def local(when: dt.date) -> dt.date:
        if not isinstance(when, dt.datetime):
            return when
        try:
            return when.astimezone(zone)
        except OverflowError:  # year 1 or 9999, stored before the contract refused them
            return when

    shown = local(value)
    day = shown.date() if isinstance(shown, dt.datetime) else shown
    text = _long_date(day, language)
    if since is not None:
        before = local(since)
        before_day = before.date() if isinstance(before, dt.datetime) else before
        if before_day == day:
            if not (isinstance(shown, dt.datetime) and isinstance(before, dt.datetime)
                    and shown.replace(second=0, microsecond=0)
                    != before.replace(second=0, microsecond=0)):
                return None
            return {"iso": iso_date(value),
                    "text": format_time(shown, format="short", locale=locale), "kind": "time"}
    return {"iso": iso_date(value), "text": text, "kind": "date"}


@functools.lru_cache(maxsize=1024)
def _long_date(day: dt.date, language: str) -> str:
    """``day`` (a :class:`datetime.date`, never a date-time: dates compare exactly) in CLDR's
    ``long`` format for ``language``; cached, since every page of a day shows the same text."""
    from babel.dates import format_date

    return format_date(day, format="long", locale=_babel_locale(language))


def _json_ld_date(value: dt.date) -> str:
    """JSON-LD dates carry a time zone (DESIGN §5): a bare date becomes midnight UTC."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).isoformat()


def _json_for_script(data: Any) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` element: ``<``, ``>`` and ``&`` are
    written as ``\\u`` escapes so no value can close the script (``</script>``) or open a
    comment (``<!--``), and the JSON still parses to the same data."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def page_chrome(site: SiteConfig, *, language: str, extensions: Iterable[str] = (),
                body_css: str = "", share: bool = False) -> dict[str, Any]:
    """The context ``base.html`` needs, for every page type of the theme.

    Args:
        site: the site configuration.
        language: BCP 47 tag of the page (``<html lang>``, date formats).
        extensions: AMP components the page's own content uses (``{"amp-carousel"}``); the
            components of the theme's features (analytics, consent, share buttons) are added.
        body_css: the content's own CSS, appended after the theme's while it fits AMP's budget.
        share: whether the page shows share buttons (articles do, index pages do not).

    Returns:
        ``site``, ``language``, ``css`` (``<style amp-custom>`` content), ``extension_scripts``,
        ``logo`` (``{src, width, height}`` or ``None``), ``analytics`` (``{vendor, config}`` or
        ``None``), ``consent`` (``{config, message, accept, reject}`` or ``None``), ``share``
        (the buttons), ``related`` (empty) and ``generator``.
    """
    constant = _site_chrome(site, language, share)
    names = set(extensions) | constant.extensions
    css = constant.css
    if body_css:
        from amp_publisher.core.amp.css import utf8_bytes

        css += _budget_body_css(body_css, budget=_css_budget_bytes() - utf8_bytes(css))
    return {
        "site": site,
        "language": language,
        "css": Markup(css),
        "extension_scripts": [_extension_script(name) for name in sorted(names)],
        "extensions": frozenset(names),
        "logo": None if constant.logo is None else dict(constant.logo),
        "analytics": None if constant.analytics is None else dict(constant.analytics),
        "consent": None if constant.consent is None else dict(constant.consent),
        "share": [dict(button, params=list(button["params"])) for button in constant.share],
        "related": [],
        "generator": _GENERATOR,
    }


_GENERATOR = f"amp-publisher {__version__}"


@dataclass(frozen=True)
class _SiteChrome:
    """What :func:`page_chrome` gives every page of one site in one language, whatever the page:
    the theme's CSS, the logo, the analytics and consent settings, the share buttons and the
    components they need. Made once per (site, language, share) and copied into each page's
    context (the templates and callers may change their copy)."""

    css: str
    extensions: frozenset[str]
    logo: dict[str, Any] | None
    analytics: dict[str, Any] | None
    consent: dict[str, Any] | None
    share: tuple[dict[str, Any], ...]


#: :func:`_site_chrome`'s cache: ``(id(site), language, share)`` -> ``(site, chrome)``. Keyed by
#: identity, not by value: a site with an analytics ``config`` object cannot be hashed. The
#: entry holds the site, so its id is not reused while the entry lives.
_CHROME_CACHE: dict[tuple[int, str, bool], tuple[SiteConfig, _SiteChrome]] = {}
_CHROME_CACHE_SIZE = 64


def _site_chrome(site: SiteConfig, language: str, share: bool) -> _SiteChrome:
    """The per-site part of :func:`page_chrome`, made once per site object, language and page
    kind (a warm container renders many pages with the same frozen site configuration)."""
    key = (id(site), language, share)
    cached = _CHROME_CACHE.get(key)
    if cached is not None and cached[0] is site:
        return cached[1]
    chrome = _make_site_chrome(site, language, share)
    if len(_CHROME_CACHE) >= _CHROME_CACHE_SIZE:
        _CHROME_CACHE.clear()
    _CHROME_CACHE[key] = (site, chrome)
    return chrome


def _make_site_chrome(site: SiteConfig, language: str, share: bool) -> _SiteChrome:
    analytics = site.effective_analytics
    consent = site.consent if site.consent.required and analytics is not None else None
    buttons = _share_buttons(site, language) if share else []
    _ = gettext_for(site.theme, language)
    names = set()
    if analytics is not None:
        names.add("amp-analytics")
    if consent is not None:
        names.add("amp-consent")
    if buttons:
        names.add("amp-social-share")
    return _SiteChrome(
        css=_theme_css(site.theme),
        extensions=frozenset(names),
        logo=_header_logo(site),
        analytics=None if analytics is None else {
            "vendor": analytics.vendor, "config": _json_for_script(analytics.vendor_config())},
        consent=None if consent is None else {
            "config": _json_for_script({"consentInstanceId": "site-consent",
                                        "consentRequired": True, "promptUI": "consent-ui"}),
            # the defaults are translated; a site's own texts have no catalog entry and stay
            "message": _(consent.message), "accept": _(consent.accept),
            "reject": _(consent.reject)},
        share=tuple(buttons),
    )


#: The networks' names on their buttons (brand names stay as they are; the rest is translated).
_SHARE_LABELS = {"email": N_("Email"), "facebook": "Facebook", "linkedin": "LinkedIn",
                 "pinterest": "Pinterest", "tumblr": "Tumblr", "twitter": "X (Twitter)",
                 "whatsapp": "WhatsApp", "line": "LINE", "sms": "SMS", "system": N_("Share")}


def _share_buttons(site: SiteConfig, language: str) -> list[dict[str, Any]]:
    _ = gettext_for(site.theme, language)
    buttons = []
    for network in site.share.networks:
        params = [("app_id", site.share.facebook_app_id)] if network == "facebook" else []
        label = _("Share: %(network)s") % {"network": _(_SHARE_LABELS[network])}
        buttons.append({"type": network, "label": label, "params": params})
    return buttons


def _header_logo(site: SiteConfig) -> dict[str, Any] | None:
    """The publisher logo for the header: its URL made site-relative when it lives under the
    site's own base URL (so a preview or a staging host serves it too), else as configured."""
    logo = site.effective_publisher.logo
    if logo is None:
        return None
    src = logo.src
    if src.startswith(site.base_url + "/"):
        src = src[len(site.base_url):]
    return {"src": src, "width": logo.width, "height": logo.height}


#: The hero's rendered width in the default theme (``sizes`` sets an amp-img's width): below
#: 48rem it bleeds over the column's 1.125rem side padding (the full viewport, at most the 42rem
#: column plus both paddings, 44.25rem); from 48rem it is the column's 42rem.
_HERO_SIZES = "(min-width: 48rem) 42rem, (min-width: 44.25rem) 44.25rem, 100vw"


def _page_context(article: Article, site: SiteConfig, slug: str, canonical: str, body: Body,
                  hero: Markup | None, source_key: str | None,
                  related: tuple[RelatedArticle, ...] = ()) -> dict:
    language = article.language or site.language
    description = article.description or _first_text(article, body)
    publisher = site.effective_publisher
    image_url = _absolute(article.image.src, site) if article.image else None
    authors = [{"name": a.name, "url": a.url} for a in article.authors]
    json_ld: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "headline": article.headline,
    }
    if article.alternative_headline:
        json_ld["alternativeHeadline"] = article.alternative_headline
    if description:
        json_ld["description"] = description
    if image_url:
        json_ld["image"] = [image_url]
    json_ld["datePublished"] = _json_ld_date(article.published)
    json_ld["dateModified"] = _json_ld_date(article.updated or article.published)
    json_ld["author"] = (
        [{"@type": "Person", "name": a["name"], **({"url": a["url"]} if a["url"] else {})}
         for a in authors]
        or [{"@type": "Organization", "name": publisher.name}]
    )
    json_ld["publisher"] = {"@type": "Organization", "name": publisher.name}
    if publisher.logo:
        json_ld["publisher"]["logo"] = {"@type": "ImageObject", "url": publisher.logo.src,
                                        "width": publisher.logo.width,
                                        "height": publisher.logo.height}
    if article.section:
        json_ld["articleSection"] = article.section
    if article.tags:
        json_ld["keywords"] = list(article.tags)
    json_ld["inLanguage"] = language
    chrome = page_chrome(site, language=language, extensions=body.extensions,
                         body_css="".join(body.css), share=True)
    body.extensions.update(chrome["extensions"])
    zone = site.timezone
    dates = {
        "published": display_date(article.published, language=language, timezone=zone),
        "updated": (display_date(article.updated, language=language, timezone=zone,
                                 since=article.published) if article.updated else None),
    }
    return {
        **chrome,
        "article": article,
        "dates": dates,
        "related": [{"headline": r.headline, "url": r.url,
                     "date": (display_date(r.published, language=language, timezone=zone)
                              if r.published else None)} for r in related],
        "slug": slug,
        "language": language,
        "title": f"{article.headline} | {site.name}",
        "description": description,
        "canonical_url": canonical,
        "page_url": site.page_url(slug),
        "image_url": image_url,
        "hero": hero,
        "authors": authors,
        "byline": ", ".join(a["name"] for a in authors) if authors else publisher.name,
        "body": Markup("\n".join(body.parts)),
        "json_ld": _json_for_script(json_ld),
        "source_id": article.id or (stem(source_key) if source_key else slug),
    }


def _css_budget_bytes() -> int:
    """AMP's limit on the bytes of ``<style amp-custom>`` plus all inline ``style`` attributes:
    the rules' ``DocCssSpec.max_bytes``, the validator's own figure
    (:func:`amp_publisher.core.amp.css.css_max_bytes`)."""
    from amp_publisher.core.amp.css import css_max_bytes

    return css_max_bytes()


def _budget_body_css(css: str, *, budget: int) -> str:
    """Body CSS goes after the theme's, and only if it fits the remaining budget (the theme has
    priority); otherwise it is dropped whole, so no rule is half-applied."""
    from amp_publisher.core.amp.css import utf8_bytes

    if "</" in css:
        return ""
    return css if utf8_bytes(css) <= budget else ""


@functools.cache
def _extension_script(name: str) -> Markup:
    """The ``<script async custom-element>`` tag for an AMP component; its URL and version come
    from the rules data (:func:`amp_publisher.core.amp.rules.extension_script_src`)."""
    from amp_publisher.core.amp.rules import extension_script_src

    return Markup(f'<script async custom-element="{escape(name)}" '
                  f'src="{escape(extension_script_src(name))}"></script>')


#: Longest meta description made up from the body (search engines show about this much).
_DESCRIPTION_CHARS = 160


def _first_text(article: Article, body: Body) -> str | None:
    """A description when the article has none: the text of the first non-empty paragraph of
    the rendered body (blocks, HTML or Markdown alike), at most 160 characters, cut at a word."""
    for block in article.body or ():
        if isinstance(block, Paragraph) and block.text:
            return _shorten(block.text)
    if article.body is None and body.parts:
        import lxml.html

        root = lxml.html.fragment_fromstring("".join(body.parts), create_parent="div")
        for paragraph in root.iter("p"):
            text = paragraph.text_content()
            if text.strip():
                return _shorten(text)
    return None


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= _DESCRIPTION_CHARS:
        return text
    return text[:_DESCRIPTION_CHARS - 3].rsplit(" ", 1)[0] + "…"


def _absolute(src: str, site: SiteConfig) -> str:
    return src if src.startswith("https://") else f"{site.base_url}{src}"
