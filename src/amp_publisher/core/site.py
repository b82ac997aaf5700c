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
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["SiteConfig", "Organization", "Logo", "DEFAULT_CACHE_CONTROL"]

#: Browsers revalidate after 5 minutes, CloudFront after an hour: an edited article reaches
#: readers quickly without every view going to the origin.
DEFAULT_CACHE_CONTROL = "public, max-age=300, s-maxage=3600"


class Logo(BaseModel):
    """The publisher logo for NewsArticle JSON-LD: an absolute https URL and its size in px."""

    model_config = ConfigDict(frozen=True)

    src: Annotated[str, Field(pattern=r"^https://\S+$")]
    width: Annotated[int, Field(gt=0)]
    height: Annotated[int, Field(gt=0)]


class Organization(BaseModel):
    """The organisation named as JSON-LD ``publisher`` (schema.org ``Organization``), and the
    default author."""

    model_config = ConfigDict(frozen=True)

    name: Annotated[str, Field(min_length=1)]
    logo: Logo | None = None


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
        analytics_id: reserved for an ``amp-analytics`` configuration (not rendered yet).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: Annotated[str, Field(min_length=1)] = "amp-publisher site"
    tagline: str = ""
    base_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")] = "https://example.com"
    language: Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")] = "en"
    badge: str = ""
    publisher: Organization | None = None
    output_prefix: Annotated[str, Field(pattern=r"^([A-Za-z0-9._-]+/)*$")] = ""
    theme: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")] = "default"
    cache_control: str = DEFAULT_CACHE_CONTROL
    analytics_id: str | None = None

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SiteConfig:
        """Build from the function's environment variables (template parameters).

        Reads ``SITE_NAME``, ``SITE_TAGLINE``, ``SITE_BASE_URL``, ``SITE_LANGUAGE``,
        ``SITE_BADGE``, ``PUBLISHER_NAME``, ``PUBLISHER_LOGO_URL``, ``PUBLISHER_LOGO_WIDTH``,
        ``PUBLISHER_LOGO_HEIGHT``, ``OUTPUT_PREFIX``, ``SITE_THEME``, ``CACHE_CONTROL``;
        unset or empty variables keep the defaults.

        Raises:
            ValueError: a value is malformed (the message names the variable).
        """
        env = os.environ if environ is None else environ
        data: dict[str, Any] = {}
        for field, var in (("name", "SITE_NAME"), ("tagline", "SITE_TAGLINE"),
                           ("base_url", "SITE_BASE_URL"), ("language", "SITE_LANGUAGE"),
                           ("badge", "SITE_BADGE"), ("output_prefix", "OUTPUT_PREFIX"),
                           ("theme", "SITE_THEME"), ("cache_control", "CACHE_CONTROL")):
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
