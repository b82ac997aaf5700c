"""Site configuration (DESIGN §4): name, tagline, base URL, language, publisher, badge, theme.

Values come from the function's environment (template parameters, see :meth:`SiteConfig.from_env`)
and may be extended by ``config/site.json`` in the source bucket (:meth:`SiteConfig.merged`).

Example:
    >>> site = SiteConfig.model_validate({"name": "Example News",
    ...                                   "base_url": "https://news.example/"})
    >>> site.base_url, site.language
    ('https://news.example', 'en')
    >>> site.page_url("hello-world")
    'https://news.example/hello-world/'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from amp_publisher.core.i18n import N_

__all__ = ["SiteConfig", "Organization", "Logo", "Analytics", "Consent", "Share",
           "DEFAULT_CACHE_CONTROL", "SHARE_NETWORKS", "PAGE_MODES", "AMP_TWIN_SEGMENT"]

#: The values of :attr:`SiteConfig.page_mode` (``PAGE_MODE``), DESIGN §9: ``amp`` publishes one
#: AMP page per article at ``/<slug>/``; ``paired`` publishes the canonical non-AMP page there
#: and its AMP twin at ``/<slug>/amp/``.
PAGE_MODES = ("amp", "paired")
#: The path segment of an article's AMP twin in paired mode (``/<slug>/amp/``), the URL layout
#: the AMP plugin for WordPress uses for its paired pages.
AMP_TWIN_SEGMENT = "amp"

#: Short, because browser copies cannot be invalidated: a browser keeps a page at most a minute.
#: CloudFront keeps it 5 minutes but is invalidated on every change (DESIGN §10), and may serve
#: the cached copy for a minute more while it refetches (``stale-while-revalidate``), or for a day
#: while the origin fails (``stale-if-error``); a takedown's invalidation removes the copy itself.
DEFAULT_CACHE_CONTROL = ("public, max-age=60, s-maxage=300, stale-while-revalidate=60, "
                         "stale-if-error=86400")


class Logo(BaseModel):
    """The publisher logo for NewsArticle JSON-LD: an absolute https URL and its size in px."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    src: Annotated[str, Field(pattern=r"^https://\S+$")]
    width: Annotated[int, Field(gt=0)]
    height: Annotated[int, Field(gt=0)]


class Organization(BaseModel):
    """The organisation named as JSON-LD ``publisher`` (schema.org ``Organization``), and the
    default author."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1)]
    logo: Logo | None = None


#: ``amp-social-share`` types the theme offers (the component's documented pre-configured
#: providers, AMP docs "amp-social-share"); ``facebook`` also needs :attr:`Share.facebook_app_id`.
SHARE_NETWORKS = ("email", "facebook", "linkedin", "pinterest", "tumblr", "twitter", "whatsapp",
                  "line", "sms", "system")


class Share(BaseModel):
    """Share buttons under the article (``amp-social-share``).

    Attributes:
        networks: button types in display order (:data:`SHARE_NETWORKS`); empty = no buttons and
            no ``amp-social-share`` script.
        facebook_app_id: the Facebook app id the ``facebook`` button requires
            (``data-param-app_id``).

    Raises (on validation):
        ValueError: an unknown network, or ``facebook`` without ``facebook_app_id``.
    """

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    networks: tuple[str, ...] = ("email", "linkedin", "twitter", "whatsapp")
    facebook_app_id: str | None = None

    @field_validator("networks")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [n for n in value if n not in SHARE_NETWORKS]
        if unknown:
            raise ValueError(f"unknown share network(s) {', '.join(unknown)}; "
                             f"known: {', '.join(SHARE_NETWORKS)}")
        return value

    @model_validator(mode="after")
    def _facebook_needs_app(self) -> Share:
        if "facebook" in self.networks and not self.facebook_app_id:
            raise ValueError("share network facebook needs facebook_app_id")
        return self


class Analytics(BaseModel):
    """``amp-analytics`` for every page (AMP docs "amp-analytics", vendor configurations).

    Attributes:
        vendor: the component's ``type`` (``gtag`` for Google Analytics 4, or any vendor AMP
            ships a configuration for: ``parsely``, ``chartbeat``, ...).
        id: for ``gtag``, the GA4 measurement id (``G-XXXXXXX``).
        config: the vendor configuration object written into the component's JSON (``vars``,
            ``triggers``, ``requests``...); for ``gtag`` it is built from ``id`` when empty.
    """

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    vendor: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")] = "gtag"
    id: str | None = None
    config: dict[str, Any] = {}

    @field_validator("config")
    @classmethod
    def _config_is_text(cls, value: dict[str, Any]) -> dict[str, Any]:
        """A free-form object pydantic does not look into: a lone surrogate (``\\ud800``) in
        it would make every page fail to encode (or to fingerprint), so it is refused here
        with its place named."""
        from amp_publisher.core.models import LONE_SURROGATE

        stack: list[tuple[Any, str]] = [(value, "config")]
        while stack:
            item, path = stack.pop()
            if isinstance(item, str) and LONE_SURROGATE.search(item):
                raise ValueError(f"{path} holds a lone surrogate (\\ud800…): not valid Unicode")
            if isinstance(item, dict):
                stack.extend((k, f"{path} (a key)") for k in item)
                stack.extend((v, f"{path}.{k}") for k, v in item.items())
            elif isinstance(item, list):
                stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
        return value

    @model_validator(mode="after")
    def _gtag_needs_id(self) -> Analytics:
        if self.vendor == "gtag" and not (self.id or self.config):
            raise ValueError("analytics vendor gtag needs id (the GA4 measurement id)")
        return self

    def vendor_config(self) -> dict[str, Any]:
        """The JSON configuration inside ``<amp-analytics>``: :attr:`config`, or for ``gtag``
        without one the GA4 setup ``{"vars": {"gtag_id": id, "config": {id: {"groups":
        "default"}}}}`` (AMP's gtag vendor documentation)."""
        if self.config:
            return dict(self.config)
        if self.vendor == "gtag" and self.id:
            return {"vars": {"gtag_id": self.id, "config": {self.id: {"groups": "default"}}}}
        return {}


class Consent(BaseModel):
    """``amp-consent``: when :attr:`required`, analytics waits for the reader's choice
    (``data-block-on-consent``), asked for in a bottom banner with these texts."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    required: bool = False
    # The defaults are translated into each page's language (core/i18n.py); a site's own texts
    # are shown as written.
    message: str = N_("We use cookies to measure how our pages are read.")
    accept: str = N_("Accept")
    reject: str = N_("Decline")


class SiteConfig(BaseModel):
    """Site-wide settings shared by every page.

    Attributes:
        name: shown in the header and as ``og:site_name``.
        tagline: shown under the name.
        base_url: absolute URL pages live under (no trailing slash).
        language: BCP 47 default for articles without ``language``.
        badge: the small label above the headline ("AMP Article").
        publisher: JSON-LD publisher; defaults to an organisation named like the site.
        output_prefix: prepended to ``<slug>/index.html`` in the site bucket and URL path.
        theme: template directory name; ``default`` ships with the package.
        cache_control: the ``Cache-Control`` stored with every page.
        timezone: IANA time zone the pages' dates are shown in (``Europe/London``).
        analytics: ``amp-analytics`` configuration, or ``None`` for none.
        analytics_id: shorthand for a GA4 measurement id: ``analytics`` of vendor ``gtag``.
        consent: ``amp-consent`` settings; analytics waits for consent when required.
        share: share buttons (``amp-social-share``) under each article.
        extract_whole_pages: when a ``body_html`` is a whole page (a complete document, or a
            fragment with navigation, site header/footer or search form), publish only the
            article found in it (docs/conversion.md, "Whole pages given as a body"); ``false``
            converts such bodies whole.
        page_mode: ``amp`` (default: one AMP page per article at ``/<slug>/``) or ``paired``
            (the canonical non-AMP page at ``/<slug>/``, its AMP twin at ``/<slug>/amp/``,
            linked both ways; DESIGN §9). In paired mode the slug ``amp`` is refused, since
            ``<prefix>amp/index.html`` could not be told apart from an AMP twin.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1)] = "amp-publisher site"
    tagline: str = ""
    base_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")] = "https://example.com"
    language: Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")] = "en"
    badge: str = ""
    publisher: Organization | None = None
    output_prefix: Annotated[str, Field(pattern=r"^([A-Za-z0-9._-]+/)*$")] = ""
    theme: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")] = "default"
    cache_control: str = DEFAULT_CACHE_CONTROL
    timezone: str = "UTC"
    analytics: Analytics | None = None
    analytics_id: str | None = None
    consent: Consent = Consent()
    share: Share = Share()
    extract_whole_pages: bool = True
    page_mode: Literal["amp", "paired"] = "amp"

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as "
                             "Europe/London)") from None
        return value

    @property
    def effective_analytics(self) -> Analytics | None:
        """:attr:`analytics`, or GA4 (vendor ``gtag``) from :attr:`analytics_id`, or ``None``."""
        if self.analytics is not None:
            return self.analytics
        if self.analytics_id:
            return Analytics(vendor="gtag", id=self.analytics_id)
        return None

    @property
    def effective_publisher(self) -> Organization:
        """:attr:`publisher`, or an organisation named like the site when none is set."""
        return self.publisher or Organization(name=self.name)

    def page_path(self, slug: str) -> str:
        """The URL path of a page: ``/<output_prefix><slug>/``."""
        return f"/{self.output_prefix}{slug}/"

    def page_url(self, slug: str) -> str:
        """The absolute URL of a page (its self-canonical URL)."""
        return f"{self.base_url}{self.page_path(slug)}"

    @property
    def paired(self) -> bool:
        """Whether articles are published as a canonical page plus an AMP twin."""
        return self.page_mode == "paired"

    def amp_page_path(self, slug: str) -> str:
        """The URL path of an article's AMP page: ``/<output_prefix><slug>/amp/`` in paired
        mode, the page itself (:meth:`page_path`) in amp mode.

        >>> SiteConfig(page_mode="paired").amp_page_path("hello")
        '/hello/amp/'
        """
        if not self.paired:
            return self.page_path(slug)
        return f"{self.page_path(slug)}{AMP_TWIN_SEGMENT}/"

    def amp_page_url(self, slug: str) -> str:
        """The absolute URL of an article's AMP page (the ``rel=amphtml`` target)."""
        return f"{self.base_url}{self.amp_page_path(slug)}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SiteConfig:
        """Build from the function's environment variables (template parameters).

        Reads ``SITE_NAME``, ``SITE_TAGLINE``, ``SITE_BASE_URL``, ``SITE_LANGUAGE``,
        ``SITE_BADGE``, ``PUBLISHER_NAME``, ``PUBLISHER_LOGO_URL``, ``PUBLISHER_LOGO_WIDTH``,
        ``PUBLISHER_LOGO_HEIGHT``, ``OUTPUT_PREFIX``, ``SITE_THEME``, ``CACHE_CONTROL``,
        ``SITE_TIMEZONE``, ``ANALYTICS_ID`` (a GA4 measurement id), ``PAGE_MODE`` (``amp`` or
        ``paired``);
        unset or empty variables keep the defaults.

        Raises:
            ValueError: a value is malformed (the message names the variable).
        """
        env = os.environ if environ is None else environ
        data: dict[str, Any] = {}
        for field, var in (("name", "SITE_NAME"), ("tagline", "SITE_TAGLINE"),
                           ("base_url", "SITE_BASE_URL"), ("language", "SITE_LANGUAGE"),
                           ("badge", "SITE_BADGE"), ("output_prefix", "OUTPUT_PREFIX"),
                           ("theme", "SITE_THEME"), ("cache_control", "CACHE_CONTROL"),
                           ("timezone", "SITE_TIMEZONE"), ("analytics_id", "ANALYTICS_ID"),
                           ("page_mode", "PAGE_MODE")):
            if env.get(var):
                data[field] = env[var]
        if env.get("PUBLISHER_NAME") or env.get("PUBLISHER_LOGO_URL"):
            publisher: dict[str, Any] = {"name": env.get("PUBLISHER_NAME") or
                                         data.get("name", cls.model_fields["name"].default)}
            if env.get("PUBLISHER_LOGO_URL"):
                publisher["logo"] = {"src": env["PUBLISHER_LOGO_URL"],
                                     "width": env.get("PUBLISHER_LOGO_WIDTH", ""),
                                     "height": env.get("PUBLISHER_LOGO_HEIGHT", "")}
            data["publisher"] = publisher
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ValueError(f"site configuration from the environment: {exc}") from None

    def merged(self, overrides: Mapping[str, Any]) -> SiteConfig:
        """A copy with ``overrides`` (e.g. ``config/site.json``) laid over these values.

        Raises:
            ValueError: the result is not a valid configuration.
        """
        data = self.model_dump(exclude_none=True)
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return type(self).model_validate(data)
        except ValidationError as exc:
            raise ValueError(f"site configuration: {exc}") from None
