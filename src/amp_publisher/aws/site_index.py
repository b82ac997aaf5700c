"""SiteIndexFunction: rebuilds the index pages, sitemaps and feeds a batch of changes made stale.

Fed by ``SiteIndexQueue`` (SQS, with a batching window). Each message is what the render
function sent after one page change (:meth:`amp_publisher.aws.pipeline.Publisher._sync_listings`):

    {"source_key": "articles/a.json", "dirty": {"home": "<order key>", "section/world": "…"},
     "news": true}

At the end of a site rebuild (:func:`amp_publisher.aws.rebuild.finish_step`) one message says
every output is stale: ``{"rebuild": "<id>", "all": true, "news": true}``; the listings are
then read from the index function's own state items (``pages#<listing>``, kept in the
``listing-index`` GSI under the pseudo-listing :data:`LISTINGS`) and the months', and each is
rebuilt once from its start.

``dirty`` maps each stale listing to the smallest order key the change touched in it. A batch
is **coalesced**: listings are de-duplicated (keeping the smallest key), and each stale output is
rebuilt once, from the manifest's current state (the ``listing-index`` GSI), never from the
messages' content. So duplicated, reordered or stale messages converge on what the manifest
says, and a burst of a thousand uploads costs a few rebuilds per listing.

Per stale listing (see :mod:`amp_publisher.core.siteoutputs.pages` for the stable pagination):

* index pages: the root, the numbered pages from the one holding the first changed position on,
  pages that came into being; pages that no longer exist are deleted. A listing left empty is
  removed (the home page stays, saying there are no articles). A listing with more than
  :data:`PAGES_PER_STEP` numbered pages to write (every page of a long listing after a site
  rebuild) is written in steps, oldest pages first: each step writes that many and sends the
  rest on as a continuation (the first key it did not reach as the listing's changed key); the
  last step writes the root, the feeds and the listing's state;
* feeds (home and sections), when the change is among the newest :data:`FEED_SIZE`;
* ``month/<M>``: the monthly sitemap (deleted when the month is empty), then the sitemap index
  and ``robots.txt``;
* ``news``: the Google News sitemap.

Every index page passes the AMP gate before it is written; a page that does not is a bug in the
theme, logged and counted (``IndexPageInvalid``), and the old page stays.

Freshness at the edge (DESIGN §10): each output is written only when its bytes (with its
``Content-Type`` and ``Cache-Control``) differ from the stored object's, whose
:data:`DIGEST_METADATA` says what it holds; the keys written or deleted are collected in one
:class:`~amp_publisher.aws.cdn.InvalidationBatch` per invocation, sent as one
``CreateInvalidation`` after the last write (a wildcard above ``INVALIDATION_MAX_PATHS``). The
paths are recorded in the manifest (state item ``site#index-invalidation``) *before* each write,
so an invalidation that fails, or an invocation that dies, is not forgotten: the failure fails
the batch's messages (transient), and the next batch invalidates the recorded paths first,
although by then the outputs are unchanged and would not be written again.

Partial batch failure: a listing whose rebuild fails (a transient fault) fails exactly the
messages that named it; they return to the queue (``ReportBatchItemFailures``), after
``maxReceiveCount`` to the dead-letter queue. This is written here rather than with Powertools'
``BatchProcessor``, which processes records one by one: coalescing needs the whole batch.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from amp_publisher.aws import storage
from amp_publisher.aws.cdn import (
    DEFAULT_MAX_PATHS,
    Invalidation,
    InvalidationBatch,
    InvalidationFailedError,
)
from amp_publisher.aws.config import DEFAULT_AMP_TRANSFORM
from amp_publisher.aws.manifest import MONTHS_LISTING, ManifestTable

__all__ = ["SiteIndexer", "RebuildReport", "lambda_handler", "handle_batch", "NEWS",
           "DIGEST_METADATA", "INVALIDATION_STATE", "output_digest"]

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "amp-publisher"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "AmpPublisher"),
                  service=os.environ.get("POWERTOOLS_SERVICE_NAME", "amp-publisher"))

#: The pseudo-listing of the news sitemap.
NEWS = "news"
#: The pseudo-listing of the sitemap index and robots.txt.
SITEMAP_INDEX = "sitemap-index"
#: The pseudo-listing under which the state item of every listing is found (``all``).
LISTINGS = "listings"
#: The outputs every site has (pseudo-listing, key), whatever its articles: created by the
#: first batch that finds them missing.
SITE_WIDE_OUTPUTS = (("home", "index.html"), (NEWS, "news-sitemap.xml"),
                     (SITEMAP_INDEX, "sitemap.xml"))
#: S3 user metadata of every output: :func:`output_digest` of what it holds.
DIGEST_METADATA = "content-sha256"
#: The state item (``site#<name>``) with the paths changed but not yet invalidated.
INVALIDATION_STATE = "index-invalidation"
#: Time an invocation keeps in hand (ms) before starting one more listing, on top of twice the
#: slowest listing it has rebuilt so far: below it, the listings left are sent back to
#: ``SiteIndexQueue`` as one continuation message, so a rebuild of every listing (the end of a
#: site rebuild, thousands of tags) never runs into the function's timeout and starts over.
CONTINUE_MARGIN_MS = 10_000
#: Numbered index pages one invocation writes for one listing (5,000 entries at 20 a page):
#: some 10 s of rendering, gating and writing. A listing with more pages to write continues in
#: a continuation message (see :meth:`SiteIndexer._listing_step`), so the home page of a
#: 100,000-article site (5,000 pages) is rebuilt within the function's timeout, in 20 steps.
PAGES_PER_STEP = 250


def output_digest(body: bytes, content_type: str, cache_control: str) -> str:
    """SHA-256 (hex) of an output's bytes, ``Content-Type`` and ``Cache-Control``: equal digests
    mean the stored object already serves exactly this, so it is neither written again nor
    invalidated."""
    digest = hashlib.sha256()
    for part in (content_type.encode(), cache_control.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass
class RebuildReport:
    """What one batch did.

    Attributes:
        messages: messages in the batch; listings: distinct stale listings.
        named: listing names the messages named, counted once per message (what rebuilding
            per message, without de-duplication, would have rebuilt).
        written / deleted: keys of the site bucket written and deleted (their bytes changed).
        unchanged: outputs rebuilt whose stored object already held the same bytes (not
            written, not invalidated).
        invalidation: the accepted ``CreateInvalidation`` (``None``: nothing changed, or no
            distribution); invalidation_error: why it was refused (every message is retried).
        failed_listings: listings whose rebuild raised (their messages are retried).
        failed_messages: SQS message ids reported in ``batchItemFailures``.
        rejected: invalid index pages not written (key → first error).
        continued: listings left for a continuation message because the invocation's time
            was running out (:data:`CONTINUE_MARGIN_MS`); they were sent back to the queue.
    """

    messages: int = 0
    named: int = 0
    listings: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed_listings: list[str] = field(default_factory=list)
    failed_messages: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    invalidation: Invalidation | None = None
    invalidation_error: str | None = None
    continued: list[str] = field(default_factory=list)


class SiteIndexer:
    """Rebuilds stale site outputs from the manifest.

    Args:
        site_bucket: where outputs are written (``SITE_BUCKET``).
        manifest: the :class:`ManifestTable`.
        site: the :class:`~amp_publisher.core.site.SiteConfig`, or a callable returning the
            current one (``config/site.json`` may change).
        s3: boto3 S3 client (default: the process-wide lazy one).
        validate: the AMP gate, ``html -> result with .passed`` (default: the validator).
        clock: seconds since the epoch (the news sitemap's window).
        distribution_id: the CloudFront distribution (``DISTRIBUTION_ID``); ``None``: nothing
            is invalidated.
        cloudfront: boto3 CloudFront client (default: the process-wide lazy one).
        max_paths: paths per invalidation before it becomes a wildcard
            (``INVALIDATION_MAX_PATHS``).
        amp_transform: publish the index pages transformed (``AMP_TRANSFORM``, default
            :data:`amp_publisher.aws.config.DEFAULT_AMP_TRANSFORM`;
            :mod:`amp_publisher.core.amp.transform`); the gate checks the transformed page.
        queue_url: ``SiteIndexQueue`` (``SITE_INDEX_QUEUE_URL``), where a batch that runs out
            of time sends the listings it has not reached; ``None``: no continuation (the
            batch then finishes whatever its time).
        sqs: boto3 SQS client (default: the process-wide lazy one).
    """

    def __init__(self, site_bucket: str, manifest: ManifestTable, site: Any, *, s3: Any = None,
                 validate: Callable[[str], Any] | None = None,
                 clock: Callable[[], float] = time.time, distribution_id: str | None = None,
                 cloudfront: Any = None, max_paths: int = DEFAULT_MAX_PATHS,
                 amp_transform: bool = DEFAULT_AMP_TRANSFORM, queue_url: str | None = None,
                 sqs: Any = None) -> None:
        self.site_bucket = site_bucket
        self.queue_url = queue_url or None
        self._sqs = sqs
        self.amp_transform = amp_transform
        self.manifest = manifest
        self._site = site
        self._batch_site: Any = None
        self._s3 = s3
        self._validate = validate
        self._clock = clock
        self.distribution_id = distribution_id or None
        self._cloudfront = cloudfront
        self.max_paths = max_paths
        self._batch = InvalidationBatch(None)
        self._recorded: list[str] = []

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = storage.client("s3")
        return self._s3

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = storage.client("sqs")
        return self._sqs

    @property
    def site(self) -> Any:
        return self._site() if callable(self._site) else self._site

    # -- the batch -------------------------------------------------------------------------

    def rebuild(self, messages: Iterable[tuple[str, dict[str, Any]]], *,
                remaining_ms: Callable[[], int] | None = None) -> RebuildReport:
        """Rebuild what ``messages`` (``(message id, decoded body)``) name, each output once.

        Args:
            messages: the batch.
            remaining_ms: the invocation's time left in milliseconds (Lambda's
                ``context.get_remaining_time_in_millis``); ``None``: no limit. Before each
                listing after the first, when less than :data:`CONTINUE_MARGIN_MS` plus twice
                the slowest listing so far is left, the listings not yet rebuilt go back to the
                queue as one message ``{"dirty": {...}, "continued": true}`` and the batch ends
                (its messages succeed: the continuation carries what they asked for).

        Returns:
            The :class:`RebuildReport`; transient faults of one listing are caught and reported
            as that listing's failure (its messages go back to the queue).
        """
        report = RebuildReport()
        dirty: dict[str, str] = {}
        named_by: dict[str, set[str]] = {}
        ids: set[str] = set()
        messages = list(messages)
        try:
            self._begin_invalidations()
        except Exception as exc:  # noqa: BLE001 - without the recorded paths, do nothing
            logger.warning("index invalidation state unreadable; the batch will be retried",
                           extra={"error_type": type(exc).__name__, "error": str(exc)[:500]})
            report.messages = len(messages)
            report.failed_messages = sorted({message_id for message_id, _ in messages})
            return report
        for message_id, body in messages:
            report.messages += 1
            ids.add(message_id)
            dirty_names = body.get("dirty") or {}
            if not (isinstance(dirty_names, dict)
                    and all(isinstance(k, str) and isinstance(v, str)
                            for k, v in dirty_names.items())):
                # Not what the render function or a continuation sends: this message alone
                # fails (kept, and moved to the dead-letter queue after its retries); the rest
                # of the batch goes on.
                logger.error("site index message has no valid 'dirty' object (listing name to "
                             "order key); the message will be retried, then dead-lettered",
                             extra={"message_id": message_id,
                                    "dirty_type": type(dirty_names).__name__})
                metrics.add_metric(name="IndexMessageInvalid", unit=MetricUnit.Count, value=1)
                report.failed_messages.append(message_id)
                continue
            names = dict(dirty_names)
            if body.get("all"):
                names.update(dict.fromkeys(self._every_listing(), ""))
            if body.get("news"):
                names[NEWS] = ""
            report.named += len(names)
            for name, since in names.items():
                dirty[name] = min(dirty.get(name, since), str(since))
                named_by.setdefault(name, set()).add(message_id)
        months = [name for name in dirty if name.startswith("month/")]
        if months:
            dirty.setdefault(SITEMAP_INDEX, "")
            named_by[SITEMAP_INDEX] = {i for name in months for i in named_by[name]}
        # A site-wide output that is not there yet (a new site, or its first rebuild failed):
        # rebuilt now, and named by every message of the batch, so that if it fails again the
        # whole batch comes back and the next attempt looks again.
        for name, key in SITE_WIDE_OUTPUTS:
            if name not in dirty and not self._exists(key):
                dirty[name] = ""
                named_by.setdefault(name, set()).update(ids)
        # Months before the sitemap index (it lists them), the news sitemap last.
        order = sorted(dirty, key=lambda n: (n == SITEMAP_INDEX, n == NEWS, n))
        report.listings = order
        site = self._batch_site = self.site  # read once per batch
        slowest_ms = 0.0
        carried: dict[str, str] = {}  # listings written in part: the key the next step starts at
        for position, name in enumerate(order):
            if (remaining_ms is not None and position and self.queue_url
                    and remaining_ms() < CONTINUE_MARGIN_MS + 2 * slowest_ms):
                report.listings = order[:position]
                self._continue([*carried, *order[position:]], {**dirty, **carried}, named_by,
                               report)
                carried = {}
                break
            started = time.monotonic()
            try:
                if name == NEWS:
                    self._news(site, report)
                elif name == SITEMAP_INDEX:
                    self._sitemap_index(site, report)
                elif name.startswith("month/"):
                    self._month(name, site, report)
                else:
                    left_at = self._listing(name, dirty[name], site, report)
                    if left_at is not None:
                        carried[name] = left_at
            except Exception as exc:  # noqa: BLE001 - one listing's fault fails its messages
                logger.warning("index rebuild failed; its messages will be retried",
                               extra={"listing": name, "error_type": type(exc).__name__,
                                      "error": str(exc)[:500]})
                report.failed_listings.append(name)
                failed = named_by.get(name, set()) - set(report.failed_messages)
                report.failed_messages.extend(sorted(failed))
            slowest_ms = max(slowest_ms, (time.monotonic() - started) * 1000)
        if carried:
            self._continue(list(carried), carried, named_by, report)
        self._flush_invalidations(report, ids)
        return report

    def _continue(self, left: list[str], dirty: dict[str, str],
                  named_by: dict[str, set[str]], report: RebuildReport) -> None:
        """Send the listings ``left`` (with their smallest changed keys) back to the queue as
        one message. If the queue refuses it, the messages that named them fail instead and
        come back whole after their visibility timeout."""
        body = {"dirty": {name: dirty[name] for name in left}, "continued": True}
        try:
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body))
        except Exception as exc:  # noqa: BLE001 - the batch's own messages carry the work then
            logger.warning("continuation not sent; the messages that named the listings left "
                           "will be retried", extra={"listings": len(left),
                                                      "error_type": type(exc).__name__,
                                                      "error": str(exc)[:500]})
            failed = {i for name in left for i in named_by.get(name, ())}
            report.failed_messages = sorted(set(report.failed_messages) | failed)
            return
        logger.info("listings left (time running out, or long listings written in part) "
                    "sent back to the queue", extra={"listings": len(left), "first": left[0]})
        metrics.add_metric(name="IndexRebuildContinued", unit=MetricUnit.Count, value=1)
        report.continued = list(left)

    def _every_listing(self) -> list[str]:
        """Every listing with outputs: those with a state item, the months with a sitemap,
        and the home page and sitemap index, which always exist."""
        names = {str(item["listing_sort"]) for item in self.manifest.newest_in_listing(LISTINGS)}
        names.update(f"month/{item['listing_sort']}"
                     for item in self.manifest.newest_in_listing(MONTHS_LISTING))
        return sorted(names | {"home", SITEMAP_INDEX})

    # -- the edge ------------------------------------------------------------------------------

    def _begin_invalidations(self) -> None:
        """A new batch for this invocation, holding the paths an earlier one recorded but did
        not see invalidated."""
        self._batch = InvalidationBatch(self.distribution_id, cloudfront=self._cloudfront,
                                        max_paths=self.max_paths)
        self._recorded = []
        if self._batch.enabled:
            state = self.manifest.get_state(INVALIDATION_STATE) or {}
            self._recorded = sorted(state.get("paths") or ())
            self._batch.add_paths(self._recorded)

    def _changing(self, key: str) -> None:
        """``key`` is about to be written or deleted: add it to the batch and record the
        batch's paths first (a write only when they changed: past the limit they are one
        wildcard, which stays put)."""
        if not self._batch.enabled:
            return
        self._batch.add((key,))
        paths = self._batch.pending_paths()
        if paths != self._recorded:
            self.manifest.put_state(INVALIDATION_STATE, {"paths": paths})
            self._recorded = paths

    def _flush_invalidations(self, report: RebuildReport, ids: set[str]) -> None:
        """One ``CreateInvalidation`` for every output changed (after the last write). Refused:
        every message of the batch is retried, and the recorded paths with them."""
        if not len(self._batch):
            return
        try:
            report.invalidation = self._batch.flush()
        except InvalidationFailedError as exc:
            logger.warning("index invalidation failed; the batch will be retried",
                           extra={"error": str(exc)[:500]})
            metrics.add_metric(name="InvalidationFailed", unit=MetricUnit.Count, value=1)
            report.invalidation_error = str(exc)
            report.failed_messages = sorted(ids)
            return
        self._recorded = []
        try:
            self.manifest.delete_state(INVALIDATION_STATE)
        except Exception as exc:  # noqa: BLE001 - the next batch invalidates them once more
            logger.warning("index invalidation state not cleared",
                           extra={"error_type": type(exc).__name__, "error": str(exc)[:500]})

    # -- outputs -----------------------------------------------------------------------------

    def _listing(self, name: str, since: str, site: Any, report: RebuildReport) -> str | None:
        """Rebuild listing ``name`` from its entries at or after order key ``since`` on (``""``:
        all of it). Returns ``None`` when done, or the order key a continuation starts at when
        only :data:`PAGES_PER_STEP` of its numbered pages were written (:meth:`_listing_step`).

        Raises:
            _Retry: the listing changed while it was read (its messages are retried).
        """
        from amp_publisher.core.siteoutputs.build import has_feeds
        from amp_publisher.core.siteoutputs.entries import IndexEntry
        from amp_publisher.core.siteoutputs.feeds import FEED_SIZE, feeds
        from amp_publisher.core.siteoutputs.outputs import key_of_path, listing_path
        from amp_publisher.core.siteoutputs.pages import PAGE_SIZE, numbered_pages, page_plan

        total = self.manifest.count_listing(name)
        state = self.manifest.get_state(f"pages#{name}") or {}
        old_pages = int(state.get("pages", 0))
        if total == 0 and name != "home":
            for number in (None, *range(1, old_pages + 1)):
                self._delete(key_of_path(listing_path(name, number)), report)
            if has_feeds(name):
                for output in feeds(name, "", [], site=site):
                    self._delete(output.key, report)
            self.manifest.delete_state(f"pages#{name}")
            return None
        # The entries older than the change: the total less those at or after it, counted
        # over the newest part only (DynamoDB reads the key range asked for, so a change near
        # the top of a long listing does not read the whole listing a second time). A count
        # that moves in between only makes ``before`` smaller: more pages rewritten, and the
        # recount below retries the listing anyway.
        before = max(0, total - self.manifest.count_listing(name, since=since)) if since else 0
        pages = numbered_pages(total, PAGE_SIZE)
        first = before // PAGE_SIZE + 1
        wanted: set[int | None] = {None}
        wanted.update(k for k in range(1, pages + 1) if k >= first or k > old_pages)
        numbered = sorted(k for k in wanted if k is not None)  # contiguous, up to ``pages``
        if len(numbered) > PAGES_PER_STEP:
            return self._listing_step(name, since, before, total, old_pages,
                                      range(numbered[0], numbered[0] + PAGES_PER_STEP),
                                      site, report)
        slots = [s for s in page_plan(total, PAGE_SIZE) if s.number in wanted]
        need = max([total - s.start for s in slots] +
                   [min(FEED_SIZE, total) if has_feeds(name) else 0])
        items = self.manifest.newest_in_listing(name, need)
        # Render functions write listings while this runs: a count that moved means the
        # positions are off; the listing is retried (its messages return to the queue).
        if len(items) < need or self.manifest.count_listing(name) != total:
            raise _Retry(f"{name}: the listing changed while it was read")
        newest = [IndexEntry.from_item({**item, "source_key": item["article_key"]})
                  for item in items]
        term = "" if name == "home" or not items else str(items[0].get("term", ""))
        from amp_publisher.core.siteoutputs.build import listing_pages

        for output in listing_pages(name, term, newest, total, site=site, numbers=wanted,
                                    size=PAGE_SIZE):
            self._write_page(output, report)
        for number in range(pages + 1, old_pages + 1):
            self._delete(key_of_path(listing_path(name, number)), report)
        if has_feeds(name) and (before >= total - FEED_SIZE or not since):
            for output in feeds(name, term, newest, site=site):
                self._write(output, report)
        if pages != old_pages or state.get("listing") != LISTINGS:
            self.manifest.put_state(f"pages#{name}", {"pages": pages, "listing": LISTINGS,
                                                      "listing_sort": name})
        return None

    def _listing_step(self, name: str, since: str, before: int, total: int, old_pages: int,
                      numbers: range, site: Any, report: RebuildReport) -> str:
        """Write numbered pages ``numbers`` (the oldest of those to write) of listing ``name``
        of ``total`` entries, of which ``before`` sort before order key ``since``; return the
        order key of the first entry of the next page, where the continuation starts.

        Reads only the entries those pages show (ascending positions ``[start, stop)``), plus
        the next one: the ``before - start`` just before ``since`` and the rest from ``since``
        on (two queries of ``listing-index`` in key order), not the whole listing. The root,
        the feeds and the listing's state item wait for the last step, so the pages already
        served keep linking to pages that exist. The state item's page count (``old_pages``)
        rises to the last page written, so the next step starts after it.

        Raises:
            _Retry: the listing changed while it was read.
        """
        from amp_publisher.core.siteoutputs.build import listing_pages
        from amp_publisher.core.siteoutputs.entries import IndexEntry
        from amp_publisher.core.siteoutputs.pages import PAGE_SIZE

        start, stop = (numbers[0] - 1) * PAGE_SIZE, numbers[-1] * PAGE_SIZE
        items = self.manifest.listing_around(name, since, older=max(0, before - start),
                                             newer=stop + 1 - before)
        if len(items) != stop + 1 - start or self.manifest.count_listing(name) != total:
            raise _Retry(f"{name}: the listing changed while it was read")
        entries = [IndexEntry.from_item({**item, "source_key": item["article_key"]})
                   for item in items[:-1]]
        term = "" if name == "home" else str(items[0].get("term", ""))
        for output in listing_pages(name, term, entries[::-1], total, site=site,
                                    numbers=set(numbers), size=PAGE_SIZE, skip=total - stop):
            self._write_page(output, report)
        if numbers[-1] > old_pages:
            self.manifest.put_state(f"pages#{name}", {"pages": numbers[-1],
                                                      "listing": LISTINGS, "listing_sort": name})
        return str(items[-1]["listing_sort"])

    def _month(self, name: str, site: Any, report: RebuildReport) -> None:
        from amp_publisher.core.siteoutputs.entries import IndexEntry
        from amp_publisher.core.siteoutputs.sitemaps import month_key, monthly_sitemap

        month = name.split("/", 1)[1]
        entries = [IndexEntry.from_item({**item, "source_key": item["article_key"]})
                   for item in self.manifest.newest_in_listing(name)]
        if not entries:
            self._delete(month_key(month), report)
            self.manifest.delete_state(f"month#{month}")
            return
        self._write(monthly_sitemap(month, entries, site=site), report)
        self.manifest.put_state(f"month#{month}", {
            "listing": MONTHS_LISTING, "listing_sort": month,
            "lastmod": max(e.modified for e in entries)})

    def _sitemap_index(self, site: Any, report: RebuildReport) -> None:
        from amp_publisher.core.siteoutputs.sitemaps import robots_txt, sitemap_index

        months = {item["listing_sort"]: item["lastmod"]
                  for item in self.manifest.newest_in_listing(MONTHS_LISTING)}
        self._write(sitemap_index(months, site=site), report)
        self._write(robots_txt(site=site), report)

    def _news(self, site: Any, report: RebuildReport) -> None:
        from amp_publisher.core.siteoutputs.entries import IndexEntry, utc_iso
        from amp_publisher.core.siteoutputs.sitemaps import (
            MAX_NEWS_URLS,
            NEWS_WINDOW,
            news_sitemap,
        )

        now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        since = utc_iso(now - NEWS_WINDOW)
        entries = [IndexEntry.from_item({**item, "source_key": item["article_key"]})
                   for item in self.manifest.newest_in_listing("home", MAX_NEWS_URLS,
                                                               since=since)]
        self._write(news_sitemap(entries, site=site, now=now), report)

    # -- the bucket ----------------------------------------------------------------------------

    def _gate(self, html: str) -> Any:
        if self._validate is None:
            from amp_publisher.core.amp.validator import validate

            self._validate = validate
        return self._validate(html)

    def _write_page(self, output: Any, report: RebuildReport) -> None:
        if self.amp_transform:
            import dataclasses

            from amp_publisher.core.amp.transform import transform

            output = dataclasses.replace(
                output, body=transform(output.body.decode("utf-8")).encode("utf-8"))
        result = self._gate(output.body.decode("utf-8"))
        if not result.passed:
            errors = [e for e in result.errors if getattr(e, "severity", "ERROR") == "ERROR"]
            first = errors[0] if errors else None
            detail = f"{first.line}:{first.col} {first.message}" if first else "invalid"
            logger.error("index page is not valid AMP; the previous one stays",
                         extra={"page_key": output.key, "error": detail})
            metrics.add_metric(name="IndexPageInvalid", unit=MetricUnit.Count, value=1)
            report.rejected[output.key] = detail
            return
        self._write(output, report)

    def _write(self, output: Any, report: RebuildReport) -> None:
        """Write ``output`` unless the stored object holds the same bytes (its digest)."""
        cache_control = (self._batch_site or self.site).cache_control
        digest = output_digest(output.body, output.content_type, cache_control)
        stored = storage.head_page(self.site_bucket, output.key, s3=self.s3)
        if stored is not None and stored.get(DIGEST_METADATA) == digest:
            report.unchanged.append(output.key)
            return
        self._changing(output.key)
        self.s3.put_object(Bucket=self.site_bucket, Key=output.key, Body=output.body,
                           ContentType=output.content_type, CacheControl=cache_control,
                           Metadata={DIGEST_METADATA: digest})
        report.written.append(output.key)

    def _delete(self, key: str, report: RebuildReport) -> None:
        """Delete ``key`` when it is there (an absent key changes nothing at the edge)."""
        if storage.head_page(self.site_bucket, key, s3=self.s3) is None:
            return
        self._changing(key)
        self.s3.delete_object(Bucket=self.site_bucket, Key=key)
        report.deleted.append(key)

    def _exists(self, key: str) -> bool:
        """Whether ``key`` is in the site bucket; ``False`` when S3 cannot tell right now."""
        try:
            return storage.head_page(self.site_bucket, key, s3=self.s3) is not None
        except Exception:  # noqa: BLE001 - rebuilding what exists is harmless
            return False


class _Retry(Exception):
    """The manifest changed under a rebuild: the listing is retried with its messages."""


def _decode(record: dict[str, Any]) -> dict[str, Any]:
    try:
        body = json.loads(record.get("body") or "{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        logger.error("site index message is not a JSON object; dropped",
                     extra={"message_id": record.get("messageId")})
        return {}
    return body


def handle_batch(event: dict[str, Any], indexer: SiteIndexer | None = None, *,
                 remaining_ms: Callable[[], int] | None = None) -> dict[str, Any]:
    """Rebuild what an SQS batch names. Returns ``{"batchItemFailures": [...]}`` (Lambda's
    partial batch response) plus the :class:`RebuildReport` as ``report`` for local callers.
    ``remaining_ms``: the invocation's time left (see :meth:`SiteIndexer.rebuild`)."""
    indexer = indexer or _indexer()
    records = event.get("Records") or []
    report = indexer.rebuild(((r.get("messageId", ""), _decode(r)) for r in records),
                             remaining_ms=remaining_ms)
    logger.info("site index rebuilt", extra={
        "messages": report.messages, "listings": len(report.listings),
        "written": len(report.written), "deleted": len(report.deleted),
        "unchanged": len(report.unchanged), "failed_listings": report.failed_listings,
        "continued": len(report.continued),
        **({"invalidation_id": report.invalidation.id,
            "paths": list(report.invalidation.paths)} if report.invalidation else {})})
    metrics.add_metric(name="IndexRebuilds", unit=MetricUnit.Count, value=len(report.listings))
    metrics.add_metric(name="IndexObjectsWritten", unit=MetricUnit.Count,
                       value=len(report.written))
    return {"batchItemFailures": [{"itemIdentifier": i} for i in report.failed_messages],
            "report": report}


@functools.cache
def _indexer() -> SiteIndexer:
    """One indexer per container. ``config/site.json`` is read afresh for every batch (one
    GetObject per batch), not cached for a minute as in the render function: a batch that
    follows a site rebuild must render the index pages with the new configuration."""
    from amp_publisher.aws.config import Settings
    from amp_publisher.aws.pipeline import Publisher

    settings = Settings.from_env()
    publisher = Publisher(settings)
    publisher.SITE_CONFIG_TTL_S = 0.0
    source_bucket = os.environ.get("SOURCE_BUCKET", "")

    def site() -> Any:
        return publisher.site_for(source_bucket) if source_bucket else settings.site

    return SiteIndexer(settings.site_bucket, publisher.manifest, site,
                       distribution_id=settings.distribution_id,
                       max_paths=settings.invalidation_max_paths,
                       amp_transform=settings.amp_transform,
                       queue_url=settings.site_index_queue_url)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point of SiteIndexFunction
    (``Handler: amp_publisher.aws.site_index.lambda_handler``); answers the partial batch
    response ``{"batchItemFailures": [...]}``."""
    return {"batchItemFailures": handle_batch(
        event, remaining_ms=context.get_remaining_time_in_millis)["batchItemFailures"]}
