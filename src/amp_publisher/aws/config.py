"""The function's settings, read once per container from its environment (template parameters).

One documented object (:class:`Settings`); malformed values raise ``ValueError`` naming the
variable. The site part lives in :class:`amp_publisher.core.site.SiteConfig`.

Example:
    >>> s = Settings.from_env({"SITE_BUCKET": "site", "MANIFEST_TABLE": "manifest"})
    >>> s.source_prefix, s.source_suffix, s.max_source_bytes
    ('articles/', '.json', 2097152)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from amp_publisher.core.site import SiteConfig

__all__ = ["Settings", "DEFAULT_AMP_TRANSFORM", "DEFAULT_MAX_SOURCE_BYTES",
           "amp_transform_from_env"]

#: DESIGN §3: an article object is at most 2 MiB unless configured otherwise.
DEFAULT_MAX_SOURCE_BYTES = 2 * 1024 * 1024

#: ``AMP_TRANSFORM`` when it is unset or empty: pages are published transformed. Measured by
#: ``bench/reader.py`` (README, "What the reader gets"): transformed pages paint 3 to 8 times
#: sooner than the pages as published, whatever the AMP CDN does. The template's ``AmpTransform``
#: parameter, the embedded backend and ``amp-render render`` state the same default.
DEFAULT_AMP_TRANSFORM = True


@dataclass(frozen=True)
class Settings:
    """Everything the handler needs to know about its deployment.

    Attributes:
        site_bucket: ``SITE_BUCKET``, where pages are written (required).
        manifest_table: ``MANIFEST_TABLE``, the DynamoDB manifest (required).
        failed_events_queue_url: ``FAILED_EVENTS_QUEUE_URL``, read by ``amp-render redrive``.
        render_queue_url: ``RENDER_QUEUE_URL``, where a rebuild sends batches of source keys.
        source_bucket: ``SOURCE_BUCKET``, the bucket a rebuild started without an event reads.
        source_prefix / source_suffix: ``SOURCE_PREFIX`` (``articles/``) and ``SOURCE_SUFFIX``
            (``.json``): keys outside them are ignored with a log line.
        site_config_key: ``SITE_CONFIG_KEY`` (``config/site.json``), optional site overrides in
            the source bucket.
        max_source_bytes: ``MAX_SOURCE_BYTES``, larger objects are refused before download.
        site: the site configuration from the environment (before ``config/site.json``).
        site_index_queue_url: ``SITE_INDEX_QUEUE_URL``, where the names of the index pages,
            sitemaps and feeds a page change made stale are sent (DESIGN §9); unset: none are
            sent (a deployment without the site around the articles).
        distribution_id: ``DISTRIBUTION_ID``, the CloudFront distribution whose cached copies
            of changed paths are invalidated (DESIGN §10); empty turns invalidation off.
        invalidation_max_paths: ``INVALIDATION_MAX_PATHS`` (30): paths per invalidation
            before the batch becomes one wildcard (:mod:`amp_publisher.aws.cdn`).
        amp_cache_refresh: ``AMP_CACHE_REFRESH`` (``false``): send signed ``update-cache``
            requests for changed AMP pages (:mod:`amp_publisher.aws.amp_cache`).
        amp_cache_key_parameter / amp_cache_key_secret: ``AMP_CACHE_KEY_PARAMETER`` (an SSM
            SecureString) or ``AMP_CACHE_KEY_SECRET`` (a Secrets Manager secret) holding the
            RSA private key in PEM.
        amp_cache_suffixes: ``AMP_CACHE_SUFFIXES``, comma-separated cache domains
            (``cdn.ampproject.org``).
        amp_cache_endpoint: ``AMP_CACHE_ENDPOINT``, a local stub cache's origin (tests only).
        scheduler_group / schedule_target_arn / scheduler_role_arn: ``SCHEDULER_GROUP``,
            ``SCHEDULE_TARGET_ARN`` (this function) and ``SCHEDULER_ROLE_ARN``: where embargo
            schedules go (:mod:`amp_publisher.aws.scheduler`); without them an embargoed
            article is held back but nothing delivers it at its time.
        error_page_key: ``ERROR_PAGE_KEY`` (template: ``404.html``): where the theme's 404 page
            is kept current in the site bucket; empty: not written.
        accept_html_pages: ``ACCEPT_HTML_PAGES`` (``false``): also read whole HTML pages,
            ``.html``/``.htm`` objects under the source prefix (``docs/input-formats.md``).
        amp_transform: ``AMP_TRANSFORM`` (``on``, :data:`DEFAULT_AMP_TRANSFORM`): publish
            transformed AMP, the pages rendered server-side as the AMP Optimizer does
            (:mod:`amp_publisher.core.amp.transform`, ``docs/transformed-amp.md``); ``on`` or
            ``off`` (the pages as the theme writes them, with the AMP boilerplate).
    """

    site_bucket: str
    manifest_table: str
    failed_events_queue_url: str | None = None
    render_queue_url: str | None = None
    source_bucket: str | None = None
    source_prefix: str = "articles/"
    source_suffix: str = ".json"
    site_config_key: str = "config/site.json"
    max_source_bytes: int = DEFAULT_MAX_SOURCE_BYTES
    site: SiteConfig = SiteConfig()
    site_index_queue_url: str | None = None
    distribution_id: str | None = None
    invalidation_max_paths: int = 30
    error_page_key: str | None = None
    amp_cache_refresh: bool = False
    scheduler_group: str | None = None
    schedule_target_arn: str | None = None
    scheduler_role_arn: str | None = None
    amp_cache_key_parameter: str | None = None
    amp_cache_key_secret: str | None = None
    amp_cache_suffixes: tuple[str, ...] = ("cdn.ampproject.org",)
    amp_cache_endpoint: str | None = None
    accept_html_pages: bool = False
    amp_transform: bool = DEFAULT_AMP_TRANSFORM

    def is_source(self, key: str) -> bool:
        """Whether ``key`` is a source object: under the prefix with the source suffix, or
        an HTML page when :attr:`accept_html_pages`."""
        from amp_publisher.core.keys import is_source_key
        from amp_publisher.core.source import HTML_SUFFIXES

        suffixes = (self.source_suffix, *(HTML_SUFFIXES if self.accept_html_pages else ()))
        return any(is_source_key(key, self.source_prefix, suffix) for suffix in suffixes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (default ``os.environ``).

        Raises:
            ValueError: a required variable is missing or a value is malformed.
        """
        env = os.environ if environ is None else environ
        missing = [name for name in ("SITE_BUCKET", "MANIFEST_TABLE") if not env.get(name)]
        if missing:
            raise ValueError("missing environment variable(s): " + ", ".join(missing))
        raw_max = env.get("MAX_SOURCE_BYTES") or str(DEFAULT_MAX_SOURCE_BYTES)
        try:
            max_bytes = int(raw_max)
        except ValueError:
            raise ValueError(f"MAX_SOURCE_BYTES must be a whole number of bytes, not {raw_max!r}")\
                from None
        if max_bytes <= 0:
            raise ValueError(f"MAX_SOURCE_BYTES must be positive, not {max_bytes}")
        raw_paths = env.get("INVALIDATION_MAX_PATHS") or "30"
        if not raw_paths.isdigit() or int(raw_paths) < 1:
            raise ValueError("INVALIDATION_MAX_PATHS must be a whole number of paths, at least "
                             f"1, not {raw_paths!r}")
        return cls(
            site_bucket=env["SITE_BUCKET"],
            manifest_table=env["MANIFEST_TABLE"],
            failed_events_queue_url=env.get("FAILED_EVENTS_QUEUE_URL") or None,
            render_queue_url=env.get("RENDER_QUEUE_URL") or None,
            source_bucket=env.get("SOURCE_BUCKET") or None,
            source_prefix=env.get("SOURCE_PREFIX") or "articles/",
            source_suffix=env.get("SOURCE_SUFFIX") or ".json",
            site_config_key=env.get("SITE_CONFIG_KEY") or "config/site.json",
            max_source_bytes=max_bytes,
            site=SiteConfig.from_env(env),
            site_index_queue_url=env.get("SITE_INDEX_QUEUE_URL") or None,
            distribution_id=env.get("DISTRIBUTION_ID") or None,
            invalidation_max_paths=int(raw_paths),
            error_page_key=env.get("ERROR_PAGE_KEY") or None,
            amp_cache_refresh=_flag(env, "AMP_CACHE_REFRESH"),
            scheduler_group=env.get("SCHEDULER_GROUP") or None,
            schedule_target_arn=env.get("SCHEDULE_TARGET_ARN") or None,
            scheduler_role_arn=env.get("SCHEDULER_ROLE_ARN") or None,
            amp_cache_key_parameter=env.get("AMP_CACHE_KEY_PARAMETER") or None,
            amp_cache_key_secret=env.get("AMP_CACHE_KEY_SECRET") or None,
            amp_cache_suffixes=tuple(s.strip() for s in (
                env.get("AMP_CACHE_SUFFIXES") or "cdn.ampproject.org").split(",") if s.strip()),
            amp_cache_endpoint=env.get("AMP_CACHE_ENDPOINT") or None,
            accept_html_pages=_flag(env, "ACCEPT_HTML_PAGES"),
            amp_transform=amp_transform_from_env(env),
        )


def _flag(env: Mapping[str, str], name: str) -> bool:
    """A true/false environment variable (unset: false).

    Raises:
        ValueError: any other value, naming the variable.
    """
    value = (env.get(name) or "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1", "yes")


def amp_transform_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether pages are published transformed: ``AMP_TRANSFORM`` in ``environ`` (default
    ``os.environ``), :data:`DEFAULT_AMP_TRANSFORM` when it is unset or empty.

    Raises:
        ValueError: a value other than ``on``/``off`` (or ``true``/``false``), naming the
            variable.
    """
    env = os.environ if environ is None else environ
    return _on_off(env, "AMP_TRANSFORM", default=DEFAULT_AMP_TRANSFORM)


def _on_off(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    """An ``on``/``off`` environment variable (unset or empty: ``default``; ``true``/``false``
    are read too).

    Raises:
        ValueError: any other value, naming the variable.
    """
    value = (env.get(name) or ("on" if default else "off")).strip().lower()
    if value not in ("on", "off", "true", "false"):
        raise ValueError(f"{name} must be on or off, not {value!r}")
    return value in ("on", "true")
