"""One source record → the published page matches the source object (DESIGN §1, §6).

Level-triggered: an event only says "this key may have changed". :meth:`Publisher.process`
reads the *current* source object; absent → unpublish (delete its pages, mark the record
deleted); present → load, render, validate (the publish gate), PutObject the page, then commit the
manifest record. Duplicates, retries and out-of-order delivery all converge on the right page.

How concurrent workers are kept from putting an older page back
-----------------------------------------------------------------
The page write (S3) and the manifest write (DynamoDB) are two operations that no transaction
spans, so the ordering is made by a **lease** per source key, held in the manifest record:

1. *Acquire*: a conditional ``UpdateItem`` sets ``lease_token`` when there is no lease or only an
   expired one. A worker that finds a live lease waits briefly, then raises
   :class:`~amp_publisher.core.errors.SourceBusyError` (transient: the event is retried later).
2. *Read*: HEAD the source (strongly consistent), then GET exactly that version. Because the
   lease was taken first, whatever this worker reads is at least as new as any change whose event
   arrived before it: the **last** event for a key is processed by a worker that reads the final
   source version, and no other worker writes that key's pages at the same time.
3. *List, claim, write*: the page key is added to the record's ``page_keys`` (write-ahead,
   conditional on the lease), the slug is claimed (``slug#<slug>`` item, conditional on no other
   owner), then one PutObject writes the page (see :mod:`amp_publisher.aws.manifest` for why this
   order is crash-safe without a transaction).
4. *Clean up*: pages the record lists but no longer needs (a slug change, a crash's leftovers)
   are deleted, their claims given up, then unlisted.
4b. *Listings* (DESIGN §9): the article's items in the listings it belongs to (home, section,
   tags, authors, month) are written and the ones it left deleted (write-ahead in the record's
   ``listings``, like ``page_keys``), then the names of the listings the change made stale are
   sent to ``SiteIndexQueue``. Both happen before the commit, so a crash redoes them; a change
   that leaves the article's entry as it was sends nothing.
5. *Commit and release*: one ``UpdateItem``, conditional on the lease (a worker that lost its
   lease cannot commit), records the page and the source version and removes the lease.

A crash anywhere leaves at worst a page listed in ``page_keys`` and an uncommitted record; the
lease expires (:data:`LEASE_SECONDS`, longer than the function's timeout, so a live Lambda never
loses it) and the retried event, or the next one, or a redrive, redoes the work from the current
source and removes every listed page that is not the current one. Before the one unfenced write,
the PutObject, the worker checks that at least :data:`WRITE_MARGIN_SECONDS` of its lease remain.

Stale work is skipped twice over: a duplicate delivery (an event whose S3 ``sequencer`` is the one
the record last completed) is dropped without reading S3, and a source version equal to the
committed one (ETag, version id, renderer version, site configuration, and the stored page's own
metadata) is not rendered again, whatever event brought it. An event *older* than the last one
completed is still processed (it reads the current source, so it is harmless and cheap): S3's
sequencers are only comparable between real events of one key, and hand-made or sample events
(``sam local invoke -e events/...``) must not be silently dropped.
LastModified is recorded but not used to order versions: it has one-second resolution and
deleting the newest version of an object makes an older one current again, which must publish.

Every page written or deleted is added to the invocation's
:class:`~amp_publisher.aws.cdn.InvalidationBatch` and recorded as ``invalidation_pending`` in the
same manifest write that records the change, so an invalidation that fails is retried with the
event even when the page itself is already current (DESIGN §10).

Permanent input faults (:class:`~amp_publisher.core.errors.ArticleError`) are committed as
``failed``
and returned as a ``failed`` :class:`Outcome`; the last good page stays. Transient faults
propagate so Lambda retries. Logging and metrics are the handler's job: this module only returns
outcomes (with per-step timings).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from amp_publisher import __version__
from amp_publisher.aws import storage
from amp_publisher.aws.cdn import Invalidation, InvalidationBatch, pending_entry
from amp_publisher.aws.config import DEFAULT_AMP_TRANSFORM, Settings
from amp_publisher.aws.events import SourceRecord
from amp_publisher.aws.manifest import (
    CLAIM_PREFIX,
    STATUS_FAILED,
    STATUS_PUBLISHED,
    STATUS_UNPUBLISHED,
    ManifestTable,
    newer_sequencer,
    now_iso,
)
from amp_publisher.core.errors import (
    AmpValidationError,
    ArticleError,
    NotPublishedError,
    RenderCrashError,
    SlugConflictError,
    SourceBusyError,
    TransientError,
    UnsupportedShapeError,
)
from amp_publisher.core.keys import amp_page_key, page_key
from amp_publisher.core.site import SiteConfig

__all__ = ["Publisher", "Outcome", "LEASE_SECONDS", "LEASE_WAIT_SECONDS", "WRITE_MARGIN_SECONDS"]

Action = Literal["published", "unpublished", "unchanged", "skipped", "ignored", "failed"]

#: How long a worker owns a source key (s). Longer than the function's timeout (template.yaml:
#: 30 s) so a Lambda invocation never outlives its lease; short enough that an event retried
#: after a crash (Lambda's second retry comes about 3 minutes later) finds the lease expired.
LEASE_SECONDS = 90.0
#: How long a worker waits for another worker's lease on the same key before giving up with a
#: retryable error (s). A render takes tens of milliseconds, so this covers duplicates in flight.
LEASE_WAIT_SECONDS = 5.0
#: The page PutObject starts only with at least this much lease left (s): the one write the lease
#: cannot fence, so it must not run past the lease.
WRITE_MARGIN_SECONDS = 45.0
#: Lease tokens only need to be unique: a PRNG seeded once from os.urandom (per-call urandom
#: costs a system call per event).
_TOKENS = random.Random()
#: Attempts at reading a source whose HEAD and GET disagree (changed or deleted in between).
_READ_ROUNDS = 3
#: Conversion report lines kept in the manifest (the full report is in the log line).
_REPORT_LINES = 50
#: Related articles listed under a page (same section, newest first): few enough for one small
#: Query of the site index per render, and for the reader to take in below the article.
RELATED_LIMIT = 4


@dataclass
class Outcome:
    """What processing one record did.

    Attributes:
        source_key: the decoded source key.
        action: ``published`` (page written), ``unpublished`` (page deleted: the source is
            gone, or says it is not public, see ``reason``), ``unchanged``
            (nothing to do: the page already matches, or an absent source with no page),
            ``skipped`` (a duplicate of the event last processed), ``ignored`` (not an
            article key), ``failed`` (permanent input error, recorded; the previous page kept).
        page_key: the page written or deleted.
        page_bytes: size of the page written.
        timings_ms: per-step wall time (``read``, ``render``, ``validate``, ``write``, ``total``).
        error: the recorded error, for ``failed``.
        report: conversion report entries.
        warnings: unknown article fields (JSON paths).
        removed_pages: page keys deleted (a slug change, a delete, leftovers of a crash).
        pages: for a collection, or in paired mode, every page written (``page_key`` is the
            first; in paired mode each canonical page is followed by its AMP page).
        item_failures: for a collection, ``(item path, error)`` of each item that failed
            alone (recorded on its item record; the others published).
        reason: why a source that exists was not published (a draft, a private post).
        related_error: why the page went out without its related articles (the site index
            could not be read), or ``None``.
    """

    source_key: str
    action: Action
    page_key: str | None = None
    page_bytes: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)
    error: ArticleError | None = None
    report: tuple[Any, ...] = ()
    warnings: tuple[str, ...] = ()
    removed_pages: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    item_failures: tuple[tuple[str, ArticleError], ...] = ()
    reason: str | None = None
    related_error: str | None = None


def _url_safe(value: str) -> str:
    """S3 user metadata is sent as HTTP headers: keep it ASCII by percent-encoding."""
    return quote(value, safe="/-_.~ ")


def site_fingerprint(site: SiteConfig, *, amp_transform: bool = DEFAULT_AMP_TRANSFORM) -> str:
    """The render fingerprint of pages published with ``site`` (16 hex chars): site
    configuration, theme files, renderer version and rules revision, and whether pages are
    transformed (``amp_transform``, default ``AMP_TRANSFORM``'s;
    :func:`amp_publisher.core.fingerprint.render_fingerprint`). Pages rendered with another
    fingerprint are stale: rendered again even when their source did not change."""
    from amp_publisher.core.fingerprint import render_fingerprint

    return render_fingerprint(site, amp_transform=amp_transform)


class Publisher:
    """Processes source records against one deployment (buckets, table, site).

    Args:
        settings: the deployment settings.
        s3 / dynamodb / cloudfront / sqs: boto3 clients (default: the process-wide lazy ones).
        validate: the publish gate, ``html -> ValidationResult`` (default: the AMP validator).
        image_sizes: image-size resolver passed to the renderer.
        lease_seconds / lease_wait_seconds / write_margin_seconds: see the module constants.
        clock: wall clock in seconds (``time.time``); sleep: ``time.sleep``.
        before_commit: called with the source key after the page PutObject and before the
            manifest commit (fault injection for the chaos test; ``None`` in production).
    """

    def __init__(self, settings: Settings, *, s3: Any = None, dynamodb: Any = None,
                 cloudfront: Any = None, validate: Callable[[str], Any] | None = None,
                 image_sizes: Any = None,
                 lease_seconds: float = LEASE_SECONDS,
                 lease_wait_seconds: float = LEASE_WAIT_SECONDS,
                 write_margin_seconds: float = WRITE_MARGIN_SECONDS,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep,
                 amp_cache: Any = None, scheduler: Any = None,
                 before_commit: Callable[[str], None] | None = None, sqs: Any = None) -> None:
        if not 0 <= write_margin_seconds < lease_seconds:
            raise ValueError("write_margin_seconds must be at least 0 and below lease_seconds")
        self.settings = settings
        self._s3 = s3
        self._cloudfront = cloudfront
        self.manifest = ManifestTable(settings.manifest_table, dynamodb)
        self._validate = validate
        self.image_sizes = image_sizes
        self.lease_seconds = lease_seconds
        self.lease_wait_seconds = lease_wait_seconds
        self.write_margin_seconds = write_margin_seconds
        self._clock = clock
        self._sleep = sleep
        self._before_commit = before_commit
        self._site_cache: dict[str, tuple[float, SiteConfig, str]] = {}
        self._error_page_fingerprint: str | None = None
        self.amp_cache = amp_cache
        self._scheduler = scheduler
        self._amp_cache_key_published = False
        self._base_url = settings.site.base_url
        self._sqs = sqs

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = storage.client("sqs")
        return self._sqs

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = storage.client("s3")
        return self._s3

    def invalidation_batch(self) -> InvalidationBatch:
        """A new batch for one invocation: pass it to :meth:`process` for each record, then
        ``flush()`` it once (the handler does). Accepted invalidations clear the records'
        ``invalidation_pending`` entries and set their ``last_invalidation``."""
        return InvalidationBatch(self.settings.distribution_id, cloudfront=self._cloudfront,
                                 max_paths=self.settings.invalidation_max_paths,
                                 on_flushed=self._invalidated)

    def refresh_amp_caches(self, site_keys: frozenset[str] | set[str]) -> list[Any]:
        """After CloudFront accepted the invalidation of ``site_keys``: ask the AMP caches to
        drop their copies of the AMP pages among them (``<dir>/index.html``), when AMP Cache
        refresh is on. The site's public key is written to the site bucket first (once per
        container), since caches fetch it to check the signature.

        Returns:
            :class:`~amp_publisher.aws.amp_cache.RefreshResult` per request (empty when off).
        """
        if self.amp_cache is None:
            return []
        from amp_publisher.aws.amp_cache import PUBLIC_KEY_KEY
        from amp_publisher.core.siteoutputs.outputs import content_type_of

        # In paired mode a canonical page changes with its AMP twin (``<dir>/amp/index.html``),
        # in the same batch: it is not an AMP page, so no cache holds it.
        urls = [f"{self._base_url}/{key[: -len('index.html')]}" for key in site_keys
                if key.endswith("/index.html") and _twin_of(key) not in site_keys]
        if not urls:
            return []
        if not self._amp_cache_key_published:
            self.s3.put_object(Bucket=self.settings.site_bucket, Key=PUBLIC_KEY_KEY,
                               Body=self.amp_cache.public_key_pem(),
                               ContentType=content_type_of(PUBLIC_KEY_KEY),
                               CacheControl="public, max-age=300")
            self._amp_cache_key_published = True
        return self.amp_cache.refresh(urls)

    def _invalidated(self, source_key: str, entries: set[str],
                     invalidation: Invalidation) -> None:
        self.manifest.invalidated(source_key, entries, invalidation.to_record())

    def _pending(self, token: str, site_keys: set[str] | tuple[str, ...]) -> set[str]:
        """The manifest entries of changes this worker makes (none without a distribution)."""
        if not self.settings.distribution_id:
            return set()
        return {pending_entry(k, token) for k in site_keys}

    #: Seconds a container reuses ``config/site.json`` before reading it again.
    SITE_CONFIG_TTL_S = 60.0

    def site_for(self, bucket: str) -> SiteConfig:
        """The site configuration: environment values overlaid with the source bucket's
        ``config/site.json`` when present (cached for :attr:`SITE_CONFIG_TTL_S`).

        Raises:
            ArticleError: ``config/site.json`` is not valid JSON or not a valid configuration
                (every article fails loudly rather than publishing with the wrong site).
        """
        return self._site(bucket)[0]

    def forget_site(self, bucket: str) -> None:
        """Read ``config/site.json`` again on next use (it was just uploaded or deleted)."""
        self._site_cache.pop(bucket, None)

    def _site(self, bucket: str, *, want: str | None = None) -> tuple[SiteConfig, str]:
        """The site and its render fingerprint; read again before the TTL when the caller
        expects another fingerprint (a rebuild message names the one it was started for)."""
        now = time.monotonic()
        cached = self._site_cache.get(bucket)
        if cached and now - cached[0] < self.SITE_CONFIG_TTL_S \
                and (want is None or want == cached[2]):
            return cached[1], cached[2]
        from amp_publisher.core.source import check_json_depth, decode_json

        key = self.settings.site_config_key
        site = self.settings.site
        raw = storage.read_json_object(bucket, key, s3=self.s3)
        if raw is not None:
            overrides = decode_json(raw, key=key)
            check_json_depth(overrides, key)
            try:
                if not isinstance(overrides, dict):
                    raise ValueError("must be a JSON object")
                site = site.merged(overrides)
            except ValueError as exc:
                raise ArticleError(f"{key}: {exc}", key=key, path="$") from None
        fingerprint = site_fingerprint(site, amp_transform=self.settings.amp_transform)
        self._site_cache[bucket] = (now, site, fingerprint)
        self._base_url = site.base_url
        return site, fingerprint

    # -- the entry point ---------------------------------------------------------------------

    def process(self, record: SourceRecord,
                invalidations: InvalidationBatch | None = None) -> Outcome:
        """Make the published pages match the current source object of ``record.key``.

        Args:
            record: the source record of an event.
            invalidations: the invocation's batch, which the caller flushes once for all its
                records; ``None``: a batch of its own, flushed before returning, and an AWS
                error of the manifest note after CloudFront accepted it
                (:attr:`InvalidationBatch.unrecorded`) is raised, there being no invocation
                to log it (the handler's batches log and count it instead).

        Returns:
            The :class:`Outcome`; permanent input faults are recorded and returned as
            ``failed``, never raised.

        Raises:
            botocore.exceptions.ClientError, TransientError (SourceBusyError, LeaseLostError,
            InvalidationFailedError): transient faults; the event is retried and converges.
        """
        if invalidations is None:
            batch = self.invalidation_batch()
            try:
                outcome = self.process(record, batch)
            finally:
                batch.flush()
            self.refresh_amp_caches(batch.flushed_keys)
            if batch.unrecorded:
                raise batch.unrecorded[0][1]
            return outcome
        key = record.key
        if (not self.settings.is_source(key) or key.startswith(CLAIM_PREFIX)):
            return Outcome(key, "ignored")
        started = time.perf_counter()
        token = f"{_TOKENS.getrandbits(96):024x}"
        current, leased_at = self._acquire(record, token, invalidations)
        if leased_at is None:
            return Outcome(key, "skipped", timings_ms=_since(started, {}))
        try:
            # Every path ends with one request that commits and gives the lease back.
            return self._process_leased(record, token, current, leased_at, started,
                                        invalidations)
        except BaseException:
            self._release_quietly(key, token)
            raise

    def _acquire(self, record: SourceRecord, token: str, invalidations: InvalidationBatch
                 ) -> tuple[dict[str, Any], float | None]:
        """Take the lease: ``(record, the time the lease counts from)`` (taken *before* the
        request, so a slow request shortens the lease, never lengthens it); ``(record as
        another worker's lease holds it, None)`` when the record shows the event is a
        duplicate of one already processed. Waits up to ``lease_wait_seconds`` for a busy key,
        then raises :class:`SourceBusyError`.

        Whatever the outcome, the changes the record lists as not yet invalidated
        (``invalidation_pending``) go into ``invalidations``: an earlier invocation made them
        but could not invalidate them. Also without the lease: the worker holding it may never
        get to them (its own invalidation refused, or its container gone with the lease), and a
        duplicate returns a success here, so nothing else would come back for them. An entry is
        written after its change to the site bucket, and only the entries CloudFront accepted
        are removed (:meth:`ManifestTable.invalidated` needs no lease), so this is safe at any
        time."""
        deadline = self._clock() + self.lease_wait_seconds
        delay = 0.05
        while True:
            asked_at = self._clock()
            taken, current = self.manifest.acquire(record.key, token,
                                                   now_ms=int(asked_at * 1000),
                                                   lease_ms=int(self.lease_seconds * 1000))
            invalidations.carry(record.key, (current or {}).get("invalidation_pending"))
            if taken and current is not None:
                return current, asked_at
            if current is not None and _is_duplicate(record, current):
                return current, None
            if self._clock() + delay > deadline:
                raise SourceBusyError(
                    f"{record.key} is being rendered by another worker; retry later")
            self._sleep(delay)
            delay = min(delay * 2, 0.5)

    def _release(self, key: str, token: str, current: dict[str, Any]) -> None:
        """Give the lease back without committing; a record that holds nothing else (a key
        never published) is deleted instead."""
        empty = not current.get("status") and not current.get("page_keys")
        self.manifest.release(key, token, forget=empty)

    def _release_quietly(self, key: str, token: str) -> None:
        """Best effort after a failure: the original error matters more; an unreleased lease
        only delays the retry until it expires."""
        with contextlib.suppress(Exception):
            self.manifest.release(key, token)  # keeps the record: it may list a page

    def _process_leased(self, record: SourceRecord, token: str, current: dict[str, Any],
                        leased_at: float, started: float,
                        invalidations: InvalidationBatch) -> Outcome:
        key = record.key
        if _is_duplicate(record, current):
            self._release(key, token, current)
            return Outcome(key, "skipped", timings_ms=_since(started, {}))
        sequencer = _max_sequencer(record.sequencer, current.get("sequencer"))
        timings: dict[str, float] = {}
        fingerprint: str | None = None
        for _ in range(_READ_ROUNDS):
            head = storage.head_source(record.bucket, key, s3=self.s3)
            if head is None:
                timings["read"] = _ms(started)
                return self._unpublish(key, token, current, sequencer, started, timings,
                                       invalidations)
            facts = {"source_etag": head.etag, "source_version_id": head.version_id,
                     "source_last_modified": head.last_modified}
            try:
                site, fingerprint = self._site(record.bucket, want=record.fingerprint)
                if record.kind == "rebuild" and _failed_as_before(current, head, fingerprint):
                    # A rebuild does not render again what already failed with this very
                    # source version and fingerprint: the same inputs fail the same way.
                    self._release(key, token, current)
                    timings["read"] = _ms(started)
                    return Outcome(key, "unchanged", page_key=current.get("page_key"),
                                   timings_ms=_since(started, timings))
                if not record.force and self._unchanged(current, head, fingerprint):
                    if sequencer and sequencer != current.get("sequencer"):
                        self.manifest.note_sequencer(key, token, sequencer)
                    else:
                        self._release(key, token, current)
                    timings["read"] = _ms(started)
                    return Outcome(key, "unchanged", page_key=current.get("page_key"),
                                   timings_ms=_since(started, timings))
                source = storage.read_source_version(
                    head, max_bytes=self.settings.max_source_bytes, s3=self.s3)
                if source is None:  # changed or deleted between HEAD and GET: look again
                    continue
                timings["read"] = _ms(started)
                return self._publish(record, token, current, source, site, fingerprint,
                                     sequencer, leased_at, started, timings, invalidations)
            except NotPublishedError as exc:  # a takedown, not a failure
                timings.setdefault("read", _ms(started))
                return self._withdraw(key, token, current, exc.message, facts, sequencer,
                                      started, timings, invalidations)
            except ArticleError as exc:
                exc.with_key(exc.key or key)
                self._fail(key, token, current, exc, {**facts, "fingerprint": fingerprint},
                           sequencer, invalidations)
                return Outcome(key, "failed", error=exc, timings_ms=_since(started, timings))
        raise TransientError(f"{key} kept changing while it was read; retry")

    # -- publish -----------------------------------------------------------------------------

    def _unchanged(self, current: dict[str, Any], head: storage.SourceVersion,
                   fingerprint: str) -> bool:
        """The committed page was rendered from this very version, by this renderer, with this
        site configuration, nothing else is listed, and the stored page says the same."""
        page = current.get("page_key")
        if not (current.get("status") == STATUS_PUBLISHED and page
                and current.get("source_etag") == head.etag
                and current.get("source_version_id") == head.version_id
                and current.get("renderer_version") == __version__
                and current.get("fingerprint") == fingerprint
                and set(current.get("page_keys") or ()) == {page, *filter(None, [
                    current.get("amp_page_key")])}
                and (current.get("listings_synced") or not self.settings.site_index_queue_url)):
            return False
        stored = storage.head_page(self.settings.site_bucket, page, s3=self.s3)
        return stored is not None and stored.get("source-etag") == head.etag \
            and stored.get("source-version-id") == (head.version_id or "") \
            and stored.get("renderer-version") == __version__ \
            and stored.get("fingerprint") == fingerprint

    def _publish(self, record: SourceRecord, token: str, current: dict[str, Any],
                 source: storage.SourceObject, site: SiteConfig, fingerprint: str,
                 sequencer: str | None, leased_at: float, started: float,
                 timings: dict[str, float], invalidations: InvalidationBatch) -> Outcome:
        from amp_publisher.core.models import parse_article
        from amp_publisher.core.source import load_article

        key = record.key
        t0 = time.perf_counter()
        with _core_faults_are_permanent(key):
            try:
                adapted = self._adapt(source, site, key)
            except UnsupportedShapeError:
                adapted = None  # load_article gives the answer (an unfinished draft is one)
        if adapted is not None and adapted.collection:
            return self._publish_collection(record, token, current, source, site, fingerprint,
                                            sequencer, leased_at, started, timings,
                                            invalidations, adapted, t0)
        with _core_faults_are_permanent(key):
            if adapted is not None and adapted.shape == "html-page":
                article = parse_article(adapted.items[0].article)
            else:  # one JSON item: drafts and private posts are takedowns (NotPublishedError)
                article = load_article(source.body, key=key,
                                       fallback_published=source.last_modified,
                                       base_url=site.base_url)
        from amp_publisher.aws.scheduler import embargo_time

        until = embargo_time(article.published)
        if until.timestamp() > self._clock():  # an embargo: nothing public before its time
            return self._hold(record, token, current, until, source, sequencer, started,
                              timings, invalidations)
        self._cancel_embargo(key, current)
        page, timings_render, related_error, related_links = self._render_checked(
            article, site, key)
        timings.update(timings_render)
        self._keep_error_page(site, fingerprint, invalidations)
        documents = _documents(page, site)
        target = documents[0][0]
        keys = tuple(k for k, _ in documents)
        listed = set(current.get("page_keys") or ())
        t0 = time.perf_counter()
        # SlugConflictError is recorded as this source's failure; the owner's page is untouched.
        self.manifest.claim_page(key, token, target, listed=target in listed, slug=page.slug,
                                 twins=tuple(k for k in keys[1:] if k not in listed))
        if self._clock() > leased_at + self.lease_seconds - self.write_margin_seconds:
            raise TransientError(f"too little of the lease on {key} is left to write its page")
        for document_key, html in reversed(documents):  # an AMP twin before what links to it
            storage.put_page(self.settings.site_bucket, document_key, html,
                             cache_control=site.cache_control, s3=self.s3,
                             metadata={"source-key": _url_safe(key),
                                       "source-etag": source.etag,
                                       "source-version-id": source.version_id or "",
                                       "renderer-version": __version__,
                                       "fingerprint": fingerprint})
        written: set[str] = set()
        if not _rebuild_only(record, current, source, keys):
            written = self._pending(token, keys)
            invalidations.add(keys, source_key=key, entries=written)
        # Pages no longer needed (a slug change, a crash's leftovers, the twin of a mode
        # switched back to amp) go before the commit, so the commit can give the lease back in
        # the same request.
        removed = self._remove_pages(key, token, listed - set(keys), invalidations,
                                     keep=set(keys))
        from amp_publisher.core.siteoutputs.entries import entry_from_article

        entry = entry_from_article(article, site, slug=page.slug, source_key=key,
                                   description=page.description)
        listings = self._sync_listings(key, token, current, entry, fingerprint,
                                       rebuild=record.kind == "rebuild",
                                       related_keys=frozenset(related_links))
        self._check_related(key, article.section, related_links)
        if self._before_commit is not None:
            self._before_commit(key)
        report = [_report_line(entry) for entry in page.report]
        self.manifest.commit_published(key, token, {
            "page_key": target,
            "amp_page_key": keys[1] if len(keys) > 1 else None,
            "slug": page.slug,
            "headline": article.headline,
            "section": article.section,
            "published": article.published.isoformat(),
            "updated": article.updated.isoformat() if article.updated else None,
            "source_etag": source.etag,
            "source_version_id": source.version_id,
            "source_last_modified": source.last_modified,
            "sequencer": sequencer,
            "renderer_version": __version__,
            "rendered_at": now_iso(),
            "fingerprint": fingerprint,
            "page_bytes": len(documents[0][1].encode("utf-8")),
            "report": report[:_REPORT_LINES] or None,
            "report_count": len(report),
            **_entry_fields(entry),
            **listings,
            "related_keys": set(related_links) or None,
        }, pending=written)
        timings["write"] = _ms(t0)
        return Outcome(key, "published", page_key=target,
                       page_bytes=len(documents[0][1].encode("utf-8")),
                       timings_ms=_since(started, timings), report=page.report,
                       warnings=page.warnings, removed_pages=removed,
                       pages=keys if len(keys) > 1 else (),
                       related_error=related_error)

    def keep_error_page(self, bucket: str, invalidations: InvalidationBatch) -> None:
        """Render the theme's 404 page again unless the stored one already has the current
        site configuration, theme and renderer (one HEAD); a rebuild calls this at its end, so
        the 404 page follows a configuration change even when no article is rendered again.

        Raises:
            ArticleError: ``config/site.json`` is invalid.
        """
        site, fingerprint = self._site(bucket)
        self._error_page_fingerprint = None
        self._keep_error_page(site, fingerprint, invalidations)

    def _keep_error_page(self, site: SiteConfig, fingerprint: str,
                         invalidations: InvalidationBatch) -> None:
        """Keep the theme's 404 page (``error_page_key``) rendered with the current site
        configuration and renderer: checked once per container and configuration (one HEAD),
        rewritten (and invalidated) when it is missing or stale. A broken custom 404 template
        or an invalid page is not written, and never fails the article."""
        key = self.settings.error_page_key
        if not key or self._error_page_fingerprint == fingerprint:
            return
        stored = storage.head_page(self.settings.site_bucket, key, s3=self.s3)
        if not (stored and stored.get("renderer-version") == __version__
                and stored.get("site-fingerprint") == fingerprint):
            from amp_publisher.core.error_page import render_not_found

            try:
                html = render_not_found(site)
                if self.settings.amp_transform:
                    from amp_publisher.core.amp.transform import transform

                    html = transform(html)
                valid = self._gate(html).passed
            except Exception:  # noqa: BLE001 - a theme fault must not fail the article
                valid = False
            if not valid:
                return
            storage.put_page(self.settings.site_bucket, key, html,
                             cache_control=site.cache_control, s3=self.s3,
                             metadata={"renderer-version": __version__,
                                       "site-fingerprint": fingerprint})
            invalidations.add((key,))
        self._error_page_fingerprint = fingerprint
    def _adapt(self, source: storage.SourceObject, site: SiteConfig, key: str) -> Any:
        """What the source object holds (:func:`amp_publisher.core.source.adapt_source`); the
        object's Last-Modified dates documents that have no date of their own."""
        from amp_publisher.core.source import adapt_source

        return adapt_source(source.body, key=key, fallback_published=source.last_modified,
                            base_url=site.base_url, language_hint=site.language,
                            html_pages=self.settings.accept_html_pages)

    def _related(self, article: Any, site: SiteConfig, key: str
                 ) -> tuple[tuple[Any, ...], str | None, dict[str, str]]:
        """The article's related articles: the newest :data:`RELATED_LIMIT` others of its
        section, read from the site index (one Query of ``listing-index``,
        :meth:`ManifestTable.related_in_listing`), with ``{source key: path}`` of the articles
        listed (the keys are stored as ``related_keys``, so their departure re-renders this
        page, see :meth:`_refresh_referrers`). ``((), None, {})`` without a section or without
        a site
        index (no ``SITE_INDEX_QUEUE_URL``); ``((), reason, {})`` when the index cannot be
        read: the page is published without the list, and the handler logs and counts it."""
        from amp_publisher.core.rendering import RelatedArticle
        from amp_publisher.core.siteoutputs.entries import section_listing

        listing = section_listing(article.section)
        if not (listing and self.settings.site_index_queue_url):
            return (), None, {}
        try:
            items = [item for item in self.manifest.related_in_listing(
                listing, exclude=key, limit=RELATED_LIMIT + 1)
                if item.get("slug") != article.slug][:RELATED_LIMIT]
            related = tuple(
                RelatedArticle(headline=item["headline"], url=item["path"],
                               published=dt.datetime.fromisoformat(item["published"])
                               if "T" in item["published"]
                               else dt.date.fromisoformat(item["published"]))
                for item in items)
        except Exception as exc:  # noqa: BLE001 - an extra: the page goes out without it
            return (), f"{type(exc).__name__}: {str(exc)[:300]}", {}
        return related, None, {i["article_key"]: i["path"] for i in items if i.get("article_key")}

    def _render_checked(self, article: Any, site: SiteConfig, key: str, *,
                        with_related: bool = True
                        ) -> tuple[Any, dict, str | None, dict[str, str]]:
        """Render and gate one article: ``(page, timings, related_error, related_links)`` (see
        :meth:`_related`); ``with_related`` false: no related list.

        Raises:
            AmpValidationError: the page is not valid AMP; ArticleError: rendering refused it.
        """
        from amp_publisher.core.rendering import render

        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        related, related_error, related_links = (self._related(article, site, key)
                                                 if with_related else ((), None, {}))
        timings["related"] = _ms(t0)
        t0 = time.perf_counter()
        with _core_faults_are_permanent(key):
            page = render(article, site, source_key=key, image_sizes=self.image_sizes,
                          related=related)
        timings["render"] = _ms(t0)
        what = "rendered page"
        if self.settings.amp_transform:  # AMP_TRANSFORM=on: the gate checks what is written
            import dataclasses

            from amp_publisher.core.amp.transform import transform

            t0 = time.perf_counter()
            with _core_faults_are_permanent(key):
                page = dataclasses.replace(page, html=transform(page.html))
            timings["transform"] = _ms(t0)
            what = "transformed page"
        t0 = time.perf_counter()
        with _core_faults_are_permanent(key):
            result = self._gate(page.html)
        timings["validate"] = _ms(t0)
        if not result.passed:
            errors = [e for e in result.errors if getattr(e, "severity", "ERROR") == "ERROR"]
            first = errors[0] if errors else None
            detail = f"{first.line}:{first.col} {first.message}" if first else "invalid"
            raise AmpValidationError(
                f"the {what} is not valid AMP ({len(errors)} error(s)); first: {detail}",
                errors=errors, key=key)
        return page, timings, related_error, related_links

    def _publish_collection(self, record: SourceRecord, token: str, current: dict[str, Any],
                            source: storage.SourceObject, site: SiteConfig, fingerprint: str,
                            sequencer: str | None, leased_at: float, started: float,
                            timings: dict[str, float], invalidations: InvalidationBatch,
                            adapted: Any, t0: float) -> Outcome:
        """One source object holding N items publishes N pages, records N item records, and
        removes the pages of items it no longer holds. An item that fails (unreadable,
        invalid, a slug another source owns) fails alone: recorded on its item record, its
        last good page kept; the others publish. Only when no item can be published is the
        whole source failed (:meth:`_fail`, every page kept)."""
        from amp_publisher.core.adapters import ItemFailure
        from amp_publisher.core.models import parse_article

        key = record.key
        failures: list[ItemFailure] = list(adapted.failed)
        related_errors: list[str | None] = []
        ready = []
        for item in adapted.items:
            try:
                with _core_faults_are_permanent(key):
                    article = parse_article(item.article)
                # No related list on a collection item's page: its links would not be
                # refreshed when a listed article leaves (only single-article pages record
                # ``related_keys`` in listing items, where the departure's search finds
                # them), and no page may keep a link to a page that is gone.
                page, _, related_error, _ = self._render_checked(article, site, key,
                                                                 with_related=False)
                related_errors.append(related_error)
                ready.append((item.path, article, page))
            except ArticleError as exc:
                failures.append(ItemFailure(item.path, exc.with_key(exc.key or key)))
        timings["render"] = _ms(t0)
        if not ready:
            if failures:
                raise failures[0].error
            raise UnsupportedShapeError(f"{key} holds no publishable item", path="$", key=key)
        t0 = time.perf_counter()
        listed = set(current.get("page_keys") or ())
        previous: dict[str, str] = dict(current.get("items") or {})
        published: dict[str, tuple[str, Any, Any]] = {}
        written: set[str] = set()
        for path, article, page in ready:
            documents = _documents(page, site)
            target = documents[0][0]
            keys = tuple(k for k, _ in documents)
            try:
                self.manifest.claim_page(key, token, target, listed=target in listed,
                                         slug=page.slug,
                                         twins=tuple(k for k in keys[1:] if k not in listed))
            except SlugConflictError as exc:
                failures.append(ItemFailure(path, exc))
                continue
            listed.update(keys)
            if self._clock() > leased_at + self.lease_seconds - self.write_margin_seconds:
                raise TransientError(f"too little of the lease on {key} is left to write its "
                                     "pages")
            for document_key, html in reversed(documents):
                storage.put_page(self.settings.site_bucket, document_key, html,
                                 cache_control=site.cache_control, s3=self.s3,
                                 metadata={"source-key": _url_safe(key),
                                           "source-item": _url_safe(path),
                                           "source-etag": source.etag,
                                           "source-version-id": source.version_id or "",
                                           "renderer-version": __version__,
                                           "fingerprint": fingerprint})
            if not _rebuild_only(record, current, source, keys):
                pending = self._pending(token, keys)
                invalidations.add(keys, source_key=key, entries=pending)
                written |= pending
            published[path] = (target, article, page)
        # the last good page of a failed item stays; pages of items gone are removed
        kept = _with_twins({previous[f.path] for f in failures if f.path in previous})
        pages_now = _with_twins({target for target, _, _ in published.values()}) | kept
        removed = self._remove_pages(key, token, listed - pages_now, invalidations,
                                     keep=pages_now)
        facts = {"source_etag": source.etag, "source_version_id": source.version_id,
                 "source_last_modified": source.last_modified,
                 "renderer_version": __version__, "fingerprint": fingerprint}
        for path, (target, article, page) in published.items():
            report = [_report_line(entry) for entry in page.report]
            self.manifest.put_item_record(key, path, {
                **facts, "status": STATUS_PUBLISHED, "page_key": target, "slug": page.slug,
                "headline": article.headline, "section": article.section,
                "published": article.published.isoformat(),
                "updated": article.updated.isoformat() if article.updated else None,
                "rendered_at": now_iso(), "page_bytes": page.size_bytes,
                "report": report[:_REPORT_LINES] or None, "report_count": len(report)})
        for failure in failures:
            self.manifest.put_item_record(key, failure.path, {
                **facts, "status": STATUS_FAILED, "failed_at": now_iso(),
                "error": {k: v for k, v in failure.error.to_dict().items() if v is not None},
                "page_key": previous.get(failure.path)})
        still_held = set(published) | {f.path for f in failures}
        for path in set(previous) - still_held:
            self.manifest.delete_item_record(key, path)
        if self._before_commit is not None:
            self._before_commit(key)
        items = {path: target for path, (target, _, _) in published.items()}
        items.update({f.path: previous[f.path] for f in failures if f.path in previous})
        self.manifest.commit_published(key, token, {
            **facts, "items": items, "item_count": len(published),
            "failed_items": len(failures), "format": adapted.shape,
            "page_key": None, "slug": None, "headline": None, "section": None,
            "published": None, "updated": None, "page_bytes": None, "report": None,
            "report_count": None, "sequencer": sequencer, "rendered_at": now_iso(),
        }, pending=written)
        timings["write"] = _ms(t0)
        first = next(iter(published.values()))
        return Outcome(key, "published", page_key=first[0],
                       page_bytes=sum(p.size_bytes for _, _, p in published.values()),
                       timings_ms=_since(started, timings),
                       report=tuple(e for _, _, p in published.values() for e in p.report),
                       warnings=tuple(w for _, _, p in published.values() for w in p.warnings),
                       removed_pages=removed,
                       pages=tuple(k for target, _, page in published.values()
                                   for k, _ in _documents(page, site)),
                       item_failures=tuple((f.path, f.error) for f in failures),
                       related_error=next((e for e in related_errors if e), None))

    def _fail(self, key: str, token: str, current: dict[str, Any], exc: ArticleError,
              facts: dict[str, Any], sequencer: str | None,
              invalidations: InvalidationBatch) -> None:
        """Commit a permanent failure; the committed page stays, other listed pages go."""
        error = {**exc.to_dict(), "source_etag": facts.get("source_etag"),
                 "source_version_id": facts.get("source_version_id"),
                 "renderer_version": __version__, "fingerprint": facts.get("fingerprint")}
        if isinstance(exc, SlugConflictError):  # the claim step listed the page first
            current = self.manifest.get(key) or current
        keep: set[str | None] = set()
        if current.get("status") != "deleted":  # a collection keeps every item's last page
            keep = _with_twins({current.get("page_key"),
                                *(current.get("items") or {}).values()} - {None})
        self._remove_pages(key, token, set(current.get("page_keys") or ()) - keep,
                           invalidations, keep=keep)
        self.manifest.commit_failed(key, token, error, {"sequencer": sequencer})

    def _gate(self, html: str) -> Any:
        if self._validate is None:
            from amp_publisher.core.amp.validator import validate

            self._validate = validate
        return self._validate(html)

    # -- unpublish and clean-up --------------------------------------------------------------

    def _remove_pages(self, key: str, token: str, pages: set[str],
                      invalidations: InvalidationBatch,
                      keep: set[str] | frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Delete pages this source lists but no longer needs, then release their claims and
        record the deletes for invalidation. A page whose slug another source owns is that
        source's page: only unlisted here.

        Pages of one slug (paired mode's canonical page and AMP twin) are deleted one by one,
        each unlisted after its delete, and the slug's claim is given up with the last of them,
        and only when no page in ``keep`` (the pages the source publishes now) has that slug:
        until then the claim keeps covering the pages still listed, so a crash in between
        leaves them to the retry's clean-up."""
        from amp_publisher.aws.manifest import slugs_of_page_key

        if not pages:
            return ()
        owners: dict[str, str | None] = {}

        def owner(slug: str) -> str | None:
            if slug not in owners:
                owners[slug] = self.manifest.owner_of_slug(slug)
            return owners[slug]

        def slug_of(page: str) -> str:
            candidates = slugs_of_page_key(page)
            return next((s for s in candidates if owner(s) == key), candidates[0])

        kept_slugs = {slug_of(page) for page in keep}
        groups: dict[str, list[str]] = {}
        for page in sorted(pages):
            groups.setdefault(slug_of(page), []).append(page)
        removed = []
        for slug, group in sorted(groups.items()):
            owned = owner(slug) == key
            # the canonical page before its AMP twin (``x/index.html``, ``x/amp/index.html``)
            group.sort(key=lambda page: (len(page), page))
            for n, page in enumerate(group, start=1):
                pending: set[str] = set()
                if owned:
                    storage.delete_page(self.settings.site_bucket, page, s3=self.s3)
                    removed.append(page)
                    pending = self._pending(token, (page,))
                    invalidations.add((page,), source_key=key, entries=pending)
                self.manifest.release_page(
                    key, token, page, slug=slug, pending=pending,
                    owned=owned and n == len(group) and slug not in kept_slugs)
        return tuple(removed)

    @property
    def embargo_scheduler(self) -> Any:
        """The :class:`~amp_publisher.aws.scheduler.EmbargoScheduler` of the deployment, or
        ``None`` when its settings are absent."""
        if self._scheduler is None and self.settings.scheduler_group \
                and self.settings.schedule_target_arn and self.settings.scheduler_role_arn:
            from amp_publisher.aws.scheduler import EmbargoScheduler

            self._scheduler = EmbargoScheduler(self.settings.scheduler_group,
                                               self.settings.schedule_target_arn,
                                               self.settings.scheduler_role_arn)
        return self._scheduler

    def use_function_arn(self, arn: str) -> None:
        """The schedule target when ``SCHEDULE_TARGET_ARN`` is not set: the function's own ARN
        as Lambda invoked it (the context's ``invoked_function_arn``, with its alias), which the
        template cannot pass to the function itself without a circular reference."""
        if not self.settings.schedule_target_arn and self._scheduler is None:
            import dataclasses

            self.settings = dataclasses.replace(self.settings, schedule_target_arn=arn)

    def _cancel_embargo(self, key: str, current: dict[str, Any]) -> None:
        """The article is published now, deleted or withdrawn: its schedule has no job left."""
        if current.get("schedule_name") and self.embargo_scheduler is not None:
            self.embargo_scheduler.cancel(key)

    def _hold(self, record: SourceRecord, token: str, current: dict[str, Any],
              until: Any, source: storage.SourceObject, sequencer: str | None,
              started: float, timings: dict[str, float],
              invalidations: InvalidationBatch) -> Outcome:
        """An article whose ``published`` time is ahead: no page before then (one already out
        is taken down and invalidated), and a one-time schedule delivers the key at that time
        (created, or moved when the time changed)."""
        import datetime as dt

        key = record.key
        t0 = time.perf_counter()
        removed = self._remove_pages(key, token, set(current.get("page_keys") or ()),
                                     invalidations)
        self._sync_listings(key, token, current, None)  # not listed before it is out
        when = until.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        name = None
        if self.embargo_scheduler is not None:
            name = self.embargo_scheduler.schedule(record.bucket, key, until)
        self.manifest.commit_scheduled(key, token, when, name, {
            "source_etag": source.etag, "source_version_id": source.version_id,
            "source_last_modified": source.last_modified, "sequencer": sequencer})
        timings["write"] = _ms(t0)
        return Outcome(key, "unpublished" if removed else "unchanged",
                       page_key=removed[0] if removed else None,
                       timings_ms=_since(started, timings), removed_pages=removed,
                       reason=f"embargoed until {when}")

    def _withdraw(self, key: str, token: str, current: dict[str, Any], reason: str,
                  facts: dict[str, Any], sequencer: str | None, started: float,
                  timings: dict[str, float], invalidations: InvalidationBatch) -> Outcome:
        """The source exists but is not public: take every page of it down (and invalidate
        them), record status ``unpublished`` with the reason. Private content must not stay
        online, so this is not a failure that keeps the last good page."""
        t0 = time.perf_counter()
        self._cancel_embargo(key, current)
        removed = self._remove_pages(key, token, set(current.get("page_keys") or ()),
                                     invalidations)
        self._sync_listings(key, token, current, None)
        timings["write"] = _ms(t0)
        if (current.get("status") == STATUS_UNPUBLISHED and not removed
                and current.get("source_etag") == facts.get("source_etag")):
            self._release(key, token, current)
        else:
            self.manifest.commit_unpublished(key, token, reason,
                                             {**facts, "sequencer": sequencer})
        return Outcome(key, "unpublished" if removed else "unchanged",
                       page_key=removed[0] if removed else None,
                       timings_ms=_since(started, timings), removed_pages=removed, reason=reason)

    def _unpublish(self, key: str, token: str, current: dict[str, Any], sequencer: str | None,
                   started: float, timings: dict[str, float],
                   invalidations: InvalidationBatch) -> Outcome:
        listed = set(current.get("page_keys") or ())
        t0 = time.perf_counter()
        self._cancel_embargo(key, current)
        removed = self._remove_pages(key, token, listed, invalidations)
        self._sync_listings(key, token, current, None)
        for path in current.get("items") or {}:  # a collection's item records go with it
            self.manifest.delete_item_record(key, path)
        timings["write"] = _ms(t0)
        if current.get("status") or listed:
            self.manifest.commit_deleted(key, token, {"sequencer": sequencer})
        else:
            self._release(key, token, current)
        action: Action = "unpublished" if removed else "unchanged"
        return Outcome(key, action, page_key=removed[0] if removed else None,
                       timings_ms=_since(started, timings), removed_pages=removed)

    # -- listings (DESIGN §9) ----------------------------------------------------------------

    def _sync_listings(self, key: str, token: str, current: dict[str, Any],
                       entry: Any, fingerprint: str = "", *, rebuild: bool = False,
                       related_keys: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Make the source's listing items hold ``entry`` (``None``: remove them all) and send
        the listings this made stale to ``SiteIndexQueue``. Returns the record fields to commit
        (``listings``, ``listings_synced``); nothing is written or sent when the items already
        hold this entry, or when the deployment has no index queue. A page rendered with
        another ``fingerprint`` (site configuration, theme, renderer) marks all its listings
        stale from their start, so the index pages follow the new site too; except in a
        ``rebuild``, whose end rebuilds every index output once
        (:func:`amp_publisher.aws.rebuild.finish_step`): there only a change of the entry
        itself is sent. The items also hold ``related_keys`` (the source keys the page's
        related list links), and an entry that leaves a section listing or changes its URL
        has the pages listing it re-rendered (:meth:`_refresh_referrers`).

        Raises:
            LeaseLostError, botocore ClientError, TransientError: transient; redone on retry.
        """
        if not self.settings.site_index_queue_url:
            return {}
        from amp_publisher.core.siteoutputs.entries import (
            dirty_listings,
            entry_hash,
            listings_of,
        )

        new_names = listings_of(entry) if entry is not None else {}
        old_names = set(current.get("listings") or ())
        # The related list is part of what the items hold: a new list rewrites them (the
        # entry is unchanged, so no listing is dirty).
        related = ",".join(sorted(related_keys))
        digest = (f"{entry_hash(entry)}{'+' + _hash(related) if related else ''}:{fingerprint}"
                  if entry is not None else None)
        fields = {"listings": set(new_names) or None, "listings_synced": digest}
        synced = current.get("listings_synced") or ""
        if digest and synced == digest and old_names == set(new_names):
            return fields
        if not old_names and not new_names:
            return fields
        if rebuild and digest and synced.split(":")[0] == digest.split(":")[0] \
                and old_names == set(new_names):
            # Only the fingerprint moved: the items already hold this entry and related list,
            # and a rebuild's end rebuilds every index output once. Rewriting them would cost
            # an UpdateItem and a PutItem per listing for each page, changing nothing.
            return fields
        old_entry = _entry_of(current)
        self.manifest.begin_listings(key, token, set(new_names) - old_names)
        if entry is not None:
            self.manifest.put_listing_items(
                key, {**entry.to_item(),
                      **({"related_keys": set(related_keys)} if related_keys else {})},
                new_names)
        self.manifest.delete_listing_items(key, old_names - set(new_names))
        self._refresh_referrers(key, old_entry, old_names, entry, new_names)
        dirty = dirty_listings(old_entry, old_names, entry)
        if digest and synced.split(":")[0] == digest.split(":")[0] and synced != digest \
                and not rebuild:
            dirty = dict.fromkeys(set(old_names) | set(new_names), "")  # a new site: all of it
        if dirty:
            self._notify(key, dirty, [e for e in (old_entry, entry) if e is not None])
        return fields

    def _check_related(self, key: str, section: str | None, links: dict[str, str]) -> None:
        """After this page's listing items hold its related list: are the articles it links
        still in the section, at the linked path (consistent reads of their listing items)?
        When one left meanwhile, its own search for referrers may have run before these
        items were written, so this page is sent to ``RenderQueue`` to be rendered again.
        Of the two writers (the departure, this page) each writes, then reads the other's
        item: at least one of them sees the other.

        Raises:
            botocore ClientError: transient; the event is retried.
        """
        from amp_publisher.core.siteoutputs.entries import section_listing

        listing = section_listing(section) if section else None
        if not (links and listing and self.settings.render_queue_url):
            return
        found = self.manifest.listing_paths(listing, set(links))
        if any(found.get(k) != path for k, path in links.items()):
            self._rerender([key], reason="a related article left the section")

    def _rerender(self, keys: list[str], *, reason: str) -> None:
        """Send ``keys`` to ``RenderQueue`` to be rendered even when current (one
        ``{"rerender": ...}`` message per 100 keys, delayed 2 s: the listing index is
        eventually consistent, and the render must not read it before the change)."""
        import json

        bucket = self.settings.source_bucket or ""
        for start in range(0, len(keys), 100):
            self.sqs.send_message(
                QueueUrl=self.settings.render_queue_url, DelaySeconds=2,
                MessageBody=json.dumps({"rerender": {"bucket": bucket,
                                                     "keys": keys[start:start + 100],
                                                     "reason": reason}}, sort_keys=True))

    def _refresh_referrers(self, key: str, old_entry: Any, old_names: set[str], entry: Any,
                           new_names: dict[str, str]) -> None:
        """Re-render the pages whose related list links ``key`` when its entry leaves a
        section listing (delete, takedown, embargo, section change) or changes its URL (a
        rename), so no page keeps a link to a page that no longer exists. Per such listing,
        one paginated Query of ``listing-index`` with a ``FilterExpression`` on
        ``related_keys`` (:meth:`ManifestTable.referrers_in_listing`); the keys found go to
        ``RenderQueue`` as one ``{"rerender": ...}`` message per 100 keys
        (:func:`amp_publisher.aws.events.parse_event`), which renders them even when they are
        current. Idempotent: a page rendered again lists only what is in the section then.
        Nothing happens without ``RENDER_QUEUE_URL``.

        Raises:
            botocore ClientError: transient; the caller's event is retried and redoes this.
        """
        url = self.settings.render_queue_url
        if not url:
            return
        moved = entry is None or old_entry is None or old_entry.path != entry.path
        gone = [name for name in sorted(old_names) if name.startswith("section/")
                and (moved or name not in new_names)]
        referrers: set[str] = set()
        for name in gone:
            referrers.update(self.manifest.referrers_in_listing(name, key))
        referrers.discard(key)
        if referrers:
            self._rerender(sorted(referrers), reason=f"related link to {key}")

    def _notify(self, key: str, dirty: dict[str, str], entries: list[Any]) -> None:
        """One SQS message naming the stale listings (``{listing: from order key}``) and
        whether the news sitemap is stale (an entry published in its window)."""
        import datetime as dt
        import json

        from amp_publisher.core.siteoutputs.sitemaps import in_news_window

        now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        news = any(in_news_window(e.published, now) for e in entries)
        self.sqs.send_message(QueueUrl=self.settings.site_index_queue_url,
                              MessageBody=json.dumps({"source_key": key, "dirty": dirty,
                                                      "news": news}, sort_keys=True))


def _hash(text: str) -> str:
    """A short stable digest of ``text`` (SHA-256, 16 hex digits)."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _documents(page: Any, site: SiteConfig) -> list[tuple[str, str]]:
    """``(site key, html)`` of what one rendered article publishes (DESIGN §9): in amp mode its
    AMP page at ``<prefix><slug>/index.html``; in paired mode the canonical page there, then
    the AMP page at ``<prefix><slug>/amp/index.html``."""
    target = page_key(page.slug, site.output_prefix)
    if page.canonical_html is None:
        return [(target, page.html)]
    return [(target, page.canonical_html), (amp_page_key(page.slug, site.output_prefix),
                                            page.html)]


def _twin_of(site_key: str) -> str:
    """The key paired mode's AMP twin of the page at ``site_key`` would have."""
    from amp_publisher.core.site import AMP_TWIN_SEGMENT

    return f"{site_key[: -len('index.html')]}{AMP_TWIN_SEGMENT}/index.html"


def _with_twins(keys: set[str]) -> set[str]:
    """``keys`` and the AMP twins their pages may have (a source's pages to keep, whichever
    mode published them)."""
    return keys | {_twin_of(k) for k in keys if k.endswith("/index.html")}


def _entry_fields(entry: Any) -> dict[str, Any]:
    """The index entry's fields as record attributes (``None`` removes an absent one)."""
    item = entry.to_item()
    return {name: item.get(name) for name in ("path", "description", "tags", "authors",
                                              "image", "language")}


def _entry_of(record: dict[str, Any]) -> Any:
    """The index entry a record committed (``None`` before listings existed, or deleted)."""
    if not record.get("path") or record.get("status") == "deleted":
        return None
    from amp_publisher.core.siteoutputs.entries import IndexEntry

    return IndexEntry.from_item(record)


def _rebuild_only(record: SourceRecord, current: dict[str, Any], source: storage.SourceObject,
                  keys: tuple[str, ...]) -> bool:
    """A rebuild renders again, at the same keys (``keys``: the page, then its AMP twin in
    paired mode), the very source version the record committed:
    only the site around the article changed (configuration, theme, renderer). Such a page is
    not invalidated page by page: a rebuild would otherwise send two paths per article (about
    $5,000 at 1,000,000 articles); it reaches readers when its edge copy expires (``s-maxage``
    + ``stale-while-revalidate`` of the site's ``Cache-Control``, docs/deploying.md). A rebuild
    that finds the source changed, renamed or gone invalidates as an event would."""
    target = keys[0]
    return (record.kind == "rebuild" and current.get("status") == STATUS_PUBLISHED
            and set(keys) <= set(current.get("page_keys") or ())
            and (target == current.get("page_key") or target in (current.get("items") or {})
                 .values())
            and current.get("source_etag") == source.etag
            and (current.get("source_version_id") or None) == (source.version_id or None))


def _failed_as_before(current: dict[str, Any], head: storage.SourceVersion,
                      fingerprint: str) -> bool:
    """The record failed permanently with this source version under this fingerprint."""
    error = current.get("error") or {}
    return (current.get("status") == STATUS_FAILED and error.get("fingerprint") == fingerprint
            and error.get("source_etag") == head.etag
            and error.get("source_version_id") == head.version_id)


def _is_duplicate(record: SourceRecord, current: dict[str, Any] | None) -> bool:
    """The record's event is the last one fully processed for its key (S3 delivered it twice)."""
    if not current or not record.sequencer or not current.get("sequencer"):
        return False
    return int(record.sequencer, 16) == int(current["sequencer"], 16)


def _max_sequencer(a: str | None, b: str | None) -> str | None:
    return a if newer_sequencer(a, b) else (b or a or None)


@contextlib.contextmanager
def _core_faults_are_permanent(key: str):
    """Anything but an :class:`ArticleError` out of the pure core (no I/O happens there) is a bug
    triggered by this article: retrying gives the same crash, so it is recorded as a permanent
    :class:`~amp_publisher.core.errors.RenderCrashError` naming the exception, not retried
    forever."""
    try:
        yield
    except (ArticleError, NotPublishedError):
        raise
    except Exception as exc:  # noqa: BLE001 - the point is to catch what nobody expected
        raise RenderCrashError(
            f"rendering {key} failed inside the renderer ({type(exc).__name__}: "
            f"{str(exc)[:300]}); this is a bug, please report it with the article", key=key
        ) from exc


def _report_line(entry: Any) -> str:
    code = getattr(entry, "code", "")
    element = getattr(entry, "element", "")
    detail = getattr(entry, "detail", str(entry))
    return f"{code} <{element}>: {detail}"[:300]


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)


def _since(started: float, timings: dict[str, float]) -> dict[str, float]:
    return {**timings, "total": _ms(started)}
