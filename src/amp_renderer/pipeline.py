"""One source record → the published page matches the source object (DESIGN §1, §6).

Level-triggered: an event only says "this key may have changed". :meth:`Publisher.process` reads
the *current* source object; absent → unpublish (delete the page, mark the record deleted);
present → load, render, validate (the publish gate), PutObject the page, then update the manifest.
So duplicates, retries and out-of-order delivery converge on the right page.

Permanent input faults (:class:`~amp_renderer.errors.ArticleError`) are recorded in the manifest
and returned as a ``failed`` :class:`Outcome`; nothing is written and the last good page stays.
Transient faults propagate so Lambda retries. Logging and metrics are the handler's job: this
module only returns outcomes (with per-step timings).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from . import __version__, storage
from .config import Settings
from .errors import AmpValidationError, ArticleError, SlugConflictError
from .events import SourceRecord
from .keys import is_source_key, page_key
from .manifest import STATUS_PUBLISHED, ManifestTable
from .site import SiteConfig

__all__ = ["Publisher", "Outcome"]

Action = Literal["published", "unpublished", "unchanged", "ignored", "failed"]


@dataclass
class Outcome:
    """What processing one record did.

    Attributes:
        source_key: the decoded source key.
        action: ``published`` (page written), ``unpublished`` (page deleted), ``unchanged``
            (nothing to do: absent source with no page), ``ignored`` (not an article key),
            ``failed`` (permanent input error, recorded; the previous page is kept).
        page_key: the page written or deleted.
        page_bytes: size of the page written.
        timings_ms: per-step wall time (``read``, ``render``, ``validate``, ``write``, ``total``).
        error: the recorded error, for ``failed``.
        report: conversion report entries.
        warnings: unknown article fields (JSON paths).
    """

    source_key: str
    action: Action
    page_key: str | None = None
    page_bytes: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)
    error: ArticleError | None = None
    report: tuple[Any, ...] = ()
    warnings: tuple[str, ...] = ()


def _url_safe(value: str) -> str:
    """S3 user metadata is sent as HTTP headers: keep it ASCII by percent-encoding."""
    return quote(value, safe="/-_.~ ")


class Publisher:
    """Processes source records against one deployment (buckets, table, site).

    Args:
        settings: the deployment settings.
        s3 / dynamodb: boto3 clients (default: the process-wide lazy ones).
        validate: the publish gate, ``html -> ValidationResult`` (default: the AMP validator).
        image_sizes: image-size resolver passed to the renderer.
    """

    def __init__(self, settings: Settings, *, s3: Any = None, dynamodb: Any = None,
                 validate: Callable[[str], Any] | None = None, image_sizes: Any = None) -> None:
        self.settings = settings
        self._s3 = s3
        self.manifest = ManifestTable(settings.manifest_table, dynamodb)
        self._validate = validate
        self.image_sizes = image_sizes
        self._site_cache: dict[str, tuple[float, SiteConfig]] = {}

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = storage.client("s3")
        return self._s3

    #: Seconds a container reuses ``config/site.json`` before reading it again.
    SITE_CONFIG_TTL_S = 60.0

    def site_for(self, bucket: str) -> SiteConfig:
        """The site configuration: environment values overlaid with the source bucket's
        ``config/site.json`` when present (cached for :attr:`SITE_CONFIG_TTL_S`).

        Raises:
            ArticleError: ``config/site.json`` is not valid JSON or not a valid configuration
                (every article fails loudly rather than publishing with the wrong site).
        """
        now = time.monotonic()
        cached = self._site_cache.get(bucket)
        if cached and now - cached[0] < self.SITE_CONFIG_TTL_S:
            return cached[1]
        from .source import decode_json

        key = self.settings.site_config_key
        site = self.settings.site
        raw = storage.read_json_object(bucket, key, s3=self.s3)
        if raw is not None:
            overrides = decode_json(raw, key=key)
            try:
                if not isinstance(overrides, dict):
                    raise ValueError("must be a JSON object")
                site = site.merged(overrides)
            except ValueError as exc:
                raise ArticleError(f"{key}: {exc}", key=key, path="$") from None
        self._site_cache[bucket] = (now, site)
        return site

    def process(self, record: SourceRecord) -> Outcome:
        """Make the published page match the current source object of ``record.key``.

        Raises:
            botocore.exceptions.ClientError, TransientError: transient faults (retry).
        """
        key = record.key
        if not is_source_key(key, self.settings.source_prefix, self.settings.source_suffix):
            return Outcome(key, "ignored")
        started = time.perf_counter()
        try:
            return self._process(record, started)
        except ArticleError as exc:
            exc.with_key(key)
            self.manifest.mark_failed(key, {k: v for k, v in exc.to_dict().items() if v},
                                      source_facts={"renderer_version": __version__})
            return Outcome(key, "failed", error=exc, timings_ms=_since(started, {}))

    def _process(self, record: SourceRecord, started: float) -> Outcome:
        from .rendering import render
        from .source import load_article

        key = record.key
        timings: dict[str, float] = {}
        source = storage.read_source(record.bucket, key,
                                     max_bytes=self.settings.max_source_bytes, s3=self.s3)
        timings["read"] = _ms(started)
        if source is None:
            return self._unpublish(key, started, timings)
        site = self.site_for(record.bucket)
        t0 = time.perf_counter()
        article = load_article(source.body, key=key)
        page = render(article, site, source_key=key, image_sizes=self.image_sizes)
        timings["render"] = _ms(t0)
        t0 = time.perf_counter()
        result = self._gate(page.html)
        timings["validate"] = _ms(t0)
        if not result.passed:
            errors = [e for e in result.errors if getattr(e, "severity", "ERROR") == "ERROR"]
            first = errors[0] if errors else None
            detail = f"{first.line}:{first.col} {first.message}" if first else "invalid"
            raise AmpValidationError(
                f"the rendered page is not valid AMP ({len(errors)} error(s)); first: {detail}",
                errors=errors, key=key)
        new_page_key = page_key(page.slug, site.output_prefix)
        owner = self.manifest.owner_of_slug(page.slug)
        if owner is not None and owner != key:
            raise SlugConflictError(
                f"slug {page.slug!r} is already published by {owner}; choose another slug",
                path="slug", key=key)
        previous = self.manifest.get(key)
        t0 = time.perf_counter()
        storage.put_page(self.settings.site_bucket, new_page_key, page.html,
                         cache_control=site.cache_control, s3=self.s3,
                         metadata={"source-key": _url_safe(key),
                                   "source-etag": source.etag,
                                   "source-version-id": source.version_id or "",
                                   "renderer-version": __version__})
        old_page_key = (previous or {}).get("page_key")
        if old_page_key and old_page_key != new_page_key:
            storage.delete_page(self.settings.site_bucket, old_page_key, s3=self.s3)
        timings["write"] = _ms(t0)
        self.manifest.put({
            "source_key": key,
            "page_key": new_page_key,
            "slug": page.slug,
            "headline": article.headline,
            "section": article.section,
            "published": article.published.isoformat(),
            "updated": article.updated.isoformat() if article.updated else None,
            "source_etag": source.etag,
            "source_version_id": source.version_id,
            "source_last_modified": source.last_modified,
            "sequencer": record.sequencer or None,
            "renderer_version": __version__,
            "status": STATUS_PUBLISHED,
            "page_bytes": page.size_bytes,
            "report": [_report_line(entry) for entry in page.report][:200] or None,
        })
        return Outcome(key, "published", page_key=new_page_key, page_bytes=page.size_bytes,
                       timings_ms=_since(started, timings), report=page.report,
                       warnings=page.warnings)

    def _gate(self, html: str) -> Any:
        if self._validate is None:
            from .amp.validator import validate

            self._validate = validate
        return self._validate(html)

    def _unpublish(self, key: str, started: float, timings: dict[str, float]) -> Outcome:
        previous = self.manifest.get(key)
        old_page_key = (previous or {}).get("page_key")
        if not old_page_key:
            return Outcome(key, "unchanged", timings_ms=_since(started, timings))
        storage.delete_page(self.settings.site_bucket, old_page_key, s3=self.s3)
        self.manifest.mark_deleted(key)
        return Outcome(key, "unpublished", page_key=old_page_key,
                       timings_ms=_since(started, timings))


def _report_line(entry: Any) -> str:
    code = getattr(entry, "code", "")
    element = getattr(entry, "element", "")
    detail = getattr(entry, "detail", str(entry))
    return f"{code} <{element}>: {detail}"[:500]


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)


def _since(started: float, timings: dict[str, float]) -> dict[str, float]:
    return {**timings, "total": _ms(started)}
