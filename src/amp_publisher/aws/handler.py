"""The Lambda entry point: event → source records → :class:`~amp_publisher.aws.pipeline.Publisher`.

Nothing else lives here. Per record it logs one structured line (with the S3 key) and emits
metrics; permanent input faults are recorded by the pipeline and logged as errors with their
code, key and JSON path, and the invocation succeeds (no retry). Transient faults are logged as
one warning and propagate, so Lambda retries the event and, after the retries, sends it to the
failed-events queue. SQS batches of S3 events get partial batch failure (Powertools
``BatchProcessor``): only the messages that hit a transient fault go back to the queue.

Every invocation collects the site paths its records changed in one
:class:`~amp_publisher.aws.cdn.InvalidationBatch` and sends it as one CloudFront
``CreateInvalidation`` at the end (DESIGN §10); a failed invalidation fails the invocation
(transient), and the retry invalidates the recorded pending paths again.

Powertools Logger and Metrics are set up at import (cheap); the Tracer is created only when
tracing is on (``POWERTOOLS_TRACE_DISABLED`` not true), because importing the X-Ray SDK costs
hundreds of milliseconds of cold start, and it never captures responses (the page HTML).

**Init, not the first event.** In Lambda (``AWS_LAMBDA_RUNTIME_API`` set) the import runs
:func:`prime`: settings, the publisher and its clients (one boto3 session), the models, the
Jinja environment, the AMP rules and the converter are built, and a small built-in article is
rendered and validated, during the init phase, so the first event does only its own work. With
the template's ``SnapStart=on`` Lambda snapshots the primed process once per published version
and restores it for each new container; :func:`after_restore` (a SnapStart runtime hook) then
makes new clients and reseeds the random generators, which must not be shared by the restored
copies. The cyclic garbage collector is off during init and what init built is frozen at its end
(:func:`_init_phase`).
"""

from __future__ import annotations

import gc
import os

#: In Lambda, whose runtime sets ``AWS_LAMBDA_RUNTIME_API``: the import is the init phase.
_IN_LAMBDA = bool(os.environ.get("AWS_LAMBDA_RUNTIME_API"))
if _IN_LAMBDA:
    # The init phase builds about 150,000 objects that live as long as the container (modules,
    # botocore's models, pydantic's validators, the AMP rules). The cyclic garbage collector
    # would walk them again and again as they pile up (about 40 ms of a cold start's CPU): it is
    # off until the end of init, which then moves them to the permanent generation
    # (gc.freeze), out of every later collection's walk. See _init_phase.
    gc.disable()

import functools  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from aws_lambda_powertools import Logger, Metrics  # noqa: E402
from aws_lambda_powertools.metrics import MetricUnit  # noqa: E402

from amp_publisher.aws.events import parse_event  # noqa: E402

if TYPE_CHECKING:  # loaded by the first event: pydantic and the pipeline stay out of the import
    from amp_publisher.aws.cdn import InvalidationBatch
    from amp_publisher.aws.config import Settings
    from amp_publisher.aws.pipeline import Outcome, Publisher

__all__ = ["lambda_handler", "handle_event", "handle_sqs_batch"]

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "amp-publisher"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "AmpPublisher"),
                  service=os.environ.get("POWERTOOLS_SERVICE_NAME", "amp-publisher"))


@functools.cache
def _publisher() -> Publisher:
    """One publisher per container: settings read once, clients created on first use."""
    from amp_publisher.aws.config import Settings
    from amp_publisher.aws.pipeline import Publisher

    settings = Settings.from_env()
    return Publisher(settings, image_sizes=_image_sizes(settings),
                     amp_cache=_amp_cache(settings))


def _amp_cache(settings: Settings) -> Any:
    """The AMP Cache refresher when ``AMP_CACHE_REFRESH`` is on (the key is read once per
    container), else ``None``."""
    if not settings.amp_cache_refresh:
        return None
    from amp_publisher.aws.amp_cache import AmpCacheRefresher, load_private_key

    key = load_private_key(parameter=settings.amp_cache_key_parameter,
                           secret=settings.amp_cache_key_secret)
    return AmpCacheRefresher(key, cache_suffixes=settings.amp_cache_suffixes,
                             endpoint=settings.amp_cache_endpoint)


def _image_sizes(settings: Settings) -> Any:
    """The container's image-size resolver: images under the site's own URL are read with a
    ranged GET from the site bucket, others over HTTP(S); results are cached per URL for the
    life of the container, so re-renders do no I/O."""
    from amp_publisher.aws import storage
    from amp_publisher.core.image_sizes import (
        HttpRangeFetcher,
        ProbingImageSizeResolver,
        S3RangeFetcher,
    )

    base = settings.site.base_url
    s3 = S3RangeFetcher(storage.client("s3"), [settings.site_bucket],
                        url_prefixes={f"{base}/": settings.site_bucket})
    return ProbingImageSizeResolver([s3, HttpRangeFetcher()], base_url=base)


#: The article :func:`prime` takes through a publish offline: a paragraph, inline markup and an
#: image, so the converter, its CSS and image steps and the validator's rules are all loaded;
#: a section and a tag, so its listing entry has slugs to make.
_PRIME_ARTICLE = {
    "slug": "prime", "headline": "Prime", "published": "2026-01-01", "section": "Prime",
    "tags": ["Prime"],
    "body_html": '<p style="color:red">Prime <b>the</b> converter.</p>'
                 '<img src="https://example.com/a.png" width="4" height="3" alt="">',
}


def prime() -> None:
    """Build everything the first event would otherwise build, without I/O: settings, the
    publisher and its boto3 clients (:func:`_create_clients`), the
    Tracer when tracing is on, and, by taking a small built-in article through a publish's
    own pure steps offline (its JSON read as a source object is, rendered, validated, and its
    listing entry made), the source adapters, the models, the Jinja environment, the
    converter, the AMP rules and the listings' slugs; with ``AMP_TRANSFORM`` on (the default)
    the page is transformed before it is validated, so the transformation and its packaged
    runtime CSS are loaded too.

    Run at import in Lambda (the init phase) and as SnapStart's before-snapshot hook.

    Raises:
        ValueError: the function's settings are invalid (:meth:`Settings.from_env`); init fails
            with it, as the first event would.
    """
    import json

    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.rendering import render
    from amp_publisher.core.siteoutputs.entries import entry_from_article, listings_of
    from amp_publisher.core.source import adapt_source, load_article

    publisher = _publisher()
    _create_clients(publisher)
    if _tracing_enabled():
        _tracer()
    site = publisher.settings.site
    key = "articles/prime.json"
    raw = json.dumps(_PRIME_ARTICLE).encode()
    adapt_source(raw, key=key)  # the shape recognisers every source object goes through
    article = load_article(raw, key=key)
    page = render(article, site, source_key=key)
    listings_of(entry_from_article(article, site, slug=page.slug, source_key=key,
                                   description=page.description))
    html = page.html
    if publisher.settings.amp_transform:
        from amp_publisher.core.amp.transform import transform

        html = transform(html)
    validate(html)


def after_restore() -> None:
    """SnapStart's after-restore hook: new boto3 session and clients (the snapshot's hold the
    connections and credentials of the instance that took it; botocore's parsed service data
    is kept, see :func:`~amp_publisher.aws.storage.reset_clients`) and fresh seeds for the
    random generators (the lease tokens of :mod:`amp_publisher.aws.pipeline`), which every
    restored copy would otherwise share; then the clients are primed again."""
    import random

    from amp_publisher.aws import pipeline, storage

    storage.reset_clients()
    _publisher.cache_clear()
    random.seed()
    pipeline._TOKENS.seed()
    _create_clients(_publisher())


def _create_clients(publisher: Publisher) -> None:
    """Create now the clients a publish uses (the publisher's properties create them on first
    use): S3 and DynamoDB, CloudFront when a distribution is set (the invalidation), SQS when
    the site index queue is (the stale-listings message)."""
    from amp_publisher.aws import storage

    publisher.s3  # noqa: B018
    publisher.manifest._client  # noqa: B018
    if publisher.settings.distribution_id:
        storage.client("cloudfront")
    if publisher.settings.site_index_queue_url:
        publisher.sqs  # noqa: B018


def _register_snapstart_hooks() -> bool:
    """Register :func:`prime` and :func:`after_restore` with Lambda's SnapStart runtime hooks
    (``snapshot_restore_py``, part of the Lambda Python runtime); False where it is absent."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:  # not in Lambda's Python runtime
        return False
    register_before_snapshot(prime)
    register_after_restore(after_restore)
    return True


def _tracing_enabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").lower() not in ("1", "true")


@functools.cache
def _tracer() -> Any:
    """The container's Tracer, created on the first traced event (the X-Ray SDK import is the
    costly part of a cold start, so it is paid only when tracing is on, and only once)."""
    from aws_lambda_powertools import Tracer

    return Tracer(service=logger.service)


def _record_outcome(outcome: Outcome) -> None:
    fields = {"source_key": outcome.source_key, "action": outcome.action,
              "page_key": outcome.page_key, "page_bytes": outcome.page_bytes,
              "timings_ms": outcome.timings_ms}
    if outcome.reason:
        fields["reason"] = outcome.reason
    if outcome.action == "failed" and outcome.error is not None:
        error = outcome.error
        logger.error("article failed", extra={**fields, "error_code": error.code,
                                               "error": error.message, "path": error.path})
        metrics.add_metric(name="ArticleFailed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name=f"ArticleFailed.{error.code}", unit=MetricUnit.Count, value=1)
        return
    if outcome.report:
        fields["conversion_report"] = [
            {k: getattr(entry, k, None) for k in ("code", "action", "element", "attribute",
                                                   "detail", "removed_text")}
            for entry in outcome.report]
    if outcome.warnings:
        fields["unknown_fields"] = list(outcome.warnings)
    if outcome.pages:
        fields["pages"] = list(outcome.pages)
    for path, error in outcome.item_failures:  # an item of a collection that failed alone
        logger.error("article failed", extra={**fields, "item": path, "error_code": error.code,
                                               "error": error.message, "path": error.path})
        metrics.add_metric(name="ArticleFailed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name=f"ArticleFailed.{error.code}", unit=MetricUnit.Count, value=1)
    if outcome.related_error:  # published all the same, without its related articles
        logger.warning("related articles left out: the site index could not be read",
                       extra={**fields, "error": outcome.related_error})
        metrics.add_metric(name="RelatedArticlesFailed", unit=MetricUnit.Count, value=1)
    logger.info(f"article {outcome.action}", extra=fields)
    if outcome.action == "published":
        metrics.add_metric(name="PagePublished", unit=MetricUnit.Count,
                           value=len(outcome.pages) or 1)
        metrics.add_metric(name="PageBytes", unit=MetricUnit.Bytes, value=outcome.page_bytes)
        metrics.add_metric(name="RenderTime", unit=MetricUnit.Milliseconds,
                           value=outcome.timings_ms.get("total", 0.0))
    elif outcome.action == "unpublished":
        metrics.add_metric(name="PageDeleted", unit=MetricUnit.Count, value=1)
    elif outcome.action == "unchanged":  # the source (and site) as already published
        metrics.add_metric(name="ArticleUnchanged", unit=MetricUnit.Count, value=1)
    elif outcome.action == "skipped":  # an S3 event already processed (a redelivery)
        metrics.add_metric(name="DuplicateEvent", unit=MetricUnit.Count, value=1)


def _process(record: Any, publisher: Publisher, invalidations: InvalidationBatch) -> Outcome:
    """Process one source record with its key on every log line; transient faults are logged
    (one warning with the key) and re-raised for a retry."""
    logger.append_keys(source_key=record.key)
    try:
        outcome = publisher.process(record, invalidations)
    except Exception as exc:
        logger.warning("transient failure, the event will be retried",
                       extra={"error_type": type(exc).__name__, "error": str(exc)[:500]})
        metrics.add_metric(name="TransientFailure", unit=MetricUnit.Count, value=1)
        raise
    finally:
        logger.remove_keys(["source_key"])
    if outcome.action == "ignored":
        logger.info("key outside the article prefix/suffix ignored",
                    extra={"source_key": record.key})
        metrics.add_metric(name="EventIgnored", unit=MetricUnit.Count, value=1)
    else:
        _record_outcome(outcome)
    return outcome


def _flush(invalidations: InvalidationBatch, *, failing: bool,
           publisher: Publisher | None = None) -> None:
    """Send the invocation's one invalidation and log it. When the invocation is already
    failing, an invalidation error is logged and the original error wins (the retry invalidates
    the pending paths again)."""
    try:
        invalidation = invalidations.flush()
    except Exception as exc:
        metrics.add_metric(name="InvalidationFailed", unit=MetricUnit.Count, value=1)
        logger.warning("invalidation failed, the event will be retried",
                       extra={"error_type": type(exc).__name__, "error": str(exc)[:500]})
        if failing:
            return
        raise
    if invalidation is not None:
        logger.info("invalidation created", extra={
            "invalidation_id": invalidation.id, "distribution_id": invalidation.distribution_id,
            "paths": list(invalidation.paths), "created_at": invalidation.created_at})
        metrics.add_metric(name="InvalidationPaths", unit=MetricUnit.Count,
                           value=len(invalidation.paths))
        for source_key, error in invalidations.unrecorded:
            logger.warning("invalidation not recorded in the manifest; its entries stay "
                           "pending and go out again with the next change of the source",
                           extra={"source_key": source_key, "invalidation_id": invalidation.id,
                                  "error_type": type(error).__name__, "error": str(error)[:500]})
            metrics.add_metric(name="InvalidationNotRecorded", unit=MetricUnit.Count, value=1)
        if publisher is not None:
            _refresh_amp_caches(publisher, invalidations.flushed_keys)


def _refresh_amp_caches(publisher: Publisher, site_keys: frozenset[str]) -> None:
    """Best effort (DESIGN §10): a cache that refuses or cannot be reached is logged and
    counted; the invocation still succeeds (the copy leaves that cache with its max-age)."""
    try:
        results = publisher.refresh_amp_caches(site_keys)
    except Exception as exc:  # noqa: BLE001 - e.g. the public key could not be written
        logger.warning("AMP Cache refresh skipped", extra={"error_type": type(exc).__name__,
                                                            "error": str(exc)[:500]})
        metrics.add_metric(name="AmpCacheRefreshFailed", unit=MetricUnit.Count, value=1)
        return
    for result in results:
        if result.ok:
            logger.info("AMP Cache refreshed", extra={"page_url": result.page_url,
                                                      "cache": result.cache})
        else:
            logger.warning("AMP Cache refresh failed", extra={
                "page_url": result.page_url, "cache": result.cache, "status": result.status,
                "error": result.error})
            metrics.add_metric(name="AmpCacheRefreshFailed", unit=MetricUnit.Count, value=1)


#: A rebuild batch stops taking keys when the invocation has less than this left (ms): a render
#: is bounded at 3 s CPU (DESIGN §8), so the key in hand always finishes before the timeout.
REBUILD_MARGIN_MS = 5_000


def _time_left(context: Any) -> Any:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return getter if callable(getter) else None


def _dispatch(parsed: Any, publisher: Publisher, context: Any, invalidations: InvalidationBatch,
              outcomes: list[Outcome], rebuilds: list[dict[str, Any]]) -> None:
    """Process the records and rebuild orders of one parsed event or message.

    * an upload or deletion of ``config/site.json`` starts a rebuild;
    * rebuild orders (``start``, ``enumerate``, ``finish``) run
      :mod:`amp_publisher.aws.rebuild`;
    * every other record, rebuild batches included, goes through the publisher; a rebuild batch
      gives the rest of its keys back (a transient error: the message returns to the queue)
      when the invocation is running out of time.
    """
    from amp_publisher.aws import rebuild

    time_left = _time_left(context)
    for order in parsed.rebuild_orders:
        body = order["rebuild"]
        if "finish" in body:
            done = rebuild.finish_step(publisher, order, invalidations, time_left_ms=time_left)
            logger.info("rebuild finish", extra={"rebuild_id": body.get("id"), **done})
            if done.get("finished") and not done.get("already"):
                metrics.add_metric(name="RebuildFinished", unit=MetricUnit.Count, value=1)
            rebuilds.append({"id": body.get("id"), "finish": done})
        elif "enumerate" in body:
            done = rebuild.enumerate_step(publisher, order, time_left_ms=time_left)
            logger.info("rebuild enumeration", extra={"rebuild_id": body.get("id"), **done})
            rebuilds.append({"id": body.get("id"), "enumerate": done})
        else:
            start = body.get("start") or {}
            started = rebuild.start_rebuild(publisher, body.get("bucket"),
                                            dry_run=bool(start.get("dry_run")),
                                            reason=str(start.get("reason") or "requested"))
            if not started.dry_run:
                logger.info("rebuild started", extra=started.to_dict())
            rebuilds.append(started.to_dict())
    for record in parsed.records:
        if record.kind != "rebuild" and record.key == publisher.settings.site_config_key:
            from amp_publisher.core.errors import ArticleError

            try:
                started = rebuild.start_rebuild(publisher, record.bucket,
                                                reason=f"{record.key} {record.event_name}")
            except ArticleError as exc:  # permanent: a retry reads the same broken file
                logger.error("site configuration invalid: no rebuild, every page keeps serving",
                             extra={"source_key": record.key, "error_code": exc.code,
                                    "error": exc.message, "path": exc.path})
                metrics.add_metric(name="SiteConfigInvalid", unit=MetricUnit.Count, value=1)
                rebuilds.append({"error": exc.to_dict()})
                continue
            logger.info("site configuration changed: rebuild started",
                        extra=started.to_dict())
            metrics.add_metric(name="RebuildStarted", unit=MetricUnit.Count, value=1)
            rebuilds.append(started.to_dict())
            continue
        if record.kind == "rebuild" and time_left is not None \
                and time_left() < REBUILD_MARGIN_MS:
            from amp_publisher.core.errors import TransientError

            raise TransientError(f"out of time before {record.key}; the batch comes back")
        outcomes.append(_process(record, publisher, invalidations))


def _process_all(parsed: Any, publisher: Publisher, context: Any,
                 rebuilds: list[dict[str, Any]]) -> list[Outcome]:
    """Process ``parsed`` with one invalidation batch, flushed once at the end, also when a
    record fails (the pages already changed are invalidated without waiting for the retry)."""
    invalidations = publisher.invalidation_batch()
    outcomes: list[Outcome] = []
    failing = True
    try:
        _dispatch(parsed, publisher, context, invalidations, outcomes, rebuilds)
        failing = False
    finally:
        _flush(invalidations, failing=failing, publisher=publisher)
    return outcomes


def _summary(outcomes: list[Outcome], ignored: list[Any],
             rebuilds: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    summary = {
        "outcomes": [{"source_key": o.source_key, "action": o.action, "page_key": o.page_key,
                      "page_bytes": o.page_bytes, "timings_ms": o.timings_ms,
                      "error": o.error.to_dict() if o.error else None,
                      **({"pages": list(o.pages)} if o.pages else {}),
                      **({"related_error": o.related_error} if o.related_error else {}),
                      **({"item_failures": [{"item": path, **error.to_dict()}
                                            for path, error in o.item_failures]}
                         if o.item_failures else {})} for o in outcomes],
        "ignored": [i.reason for i in ignored],
    }
    if rebuilds:
        summary["rebuilds"] = rebuilds
    return summary


def _log_ignored(notes: list[Any], **extra: Any) -> None:
    """One ``event ignored`` log line and one ``EventIgnored`` count per note of what
    :func:`parse_event` left out (a test event, an event type or record it does not handle)."""
    for note in notes:
        logger.info("event ignored", extra={"reason": note.reason, "detail": note.detail,
                                            **extra})
        metrics.add_metric(name="EventIgnored", unit=MetricUnit.Count, value=1)


def _is_sqs_batch(event: Any) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    return bool(records) and all(r.get("eventSource") == "aws:sqs" for r in records)


def handle_sqs_batch(event: dict[str, Any], publisher: Publisher | None = None,
                     context: Any = None) -> dict[str, Any]:
    """An SQS batch of S3 events (S3 → SQS → Lambda): each message is processed on its own and
    the ones that hit a transient fault are reported in ``batchItemFailures`` (Powertools
    ``BatchProcessor``, ``ReportBatchItemFailures``) so only they return to the queue.

    Returns:
        ``{"batchItemFailures": [{"itemIdentifier": message_id}...]}`` and, for the local
        runner, ``outcomes`` and ``ignored`` as :func:`handle_event` gives them (Lambda reads
        only ``batchItemFailures``; see :func:`lambda_handler`).
    """
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    publisher = publisher or _publisher()
    outcomes: list[Outcome] = []
    ignored: list[Any] = []
    rebuilds: list[dict[str, Any]] = []
    invalidations = publisher.invalidation_batch()

    def record_handler(record: Any) -> None:  # Powertools passes the SQSRecord as record=
        message = record
        parsed = parse_event({"Records": [message.raw_event]})
        _log_ignored(parsed.ignored, message_id=message.message_id)
        ignored.extend(parsed.ignored)
        _dispatch(parsed, publisher, context, invalidations, outcomes, rebuilds)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(event=event, record_handler=record_handler,
                                        processor=processor, context=context)
    # One invalidation for the whole batch; if it fails, the whole batch is retried (every
    # message converges; their pending paths are invalidated then).
    _flush(invalidations, failing=False, publisher=publisher)
    return {**response, **_summary(outcomes, ignored, rebuilds)}


def handle_event(event: dict[str, Any], publisher: Publisher | None = None,
                 context: Any = None) -> dict[str, Any]:
    """Process every record of ``event``; return a summary (used by the local runner and tests).

    Accepts S3 notifications, EventBridge "Object Created"/"Object Deleted" events, on-failure
    destination records (redrive), SQS batches of S3 events and of RenderQueue messages
    (:func:`handle_sqs_batch`), and bare rebuild messages (:mod:`amp_publisher.aws.rebuild`).
    An upload or deletion of ``config/site.json`` starts a rebuild (``rebuilds`` in the
    summary).

    Returns:
        ``{"outcomes": [{"source_key", "action", "page_key", "page_bytes", "error"}...],
        "ignored": [reason...]}`` (plus ``batchItemFailures`` for an SQS batch); an outcome
        published without its related articles carries ``related_error``.

    Raises:
        Transient faults (botocore ``ClientError``, timeouts, ``TransientError``), except in an
        SQS batch, where they become ``batchItemFailures``.
    """
    if _is_sqs_batch(event):
        return handle_sqs_batch(event, publisher, context)
    publisher = publisher or _publisher()
    parsed = parse_event(event)
    _log_ignored(parsed.ignored)
    rebuilds: list[dict[str, Any]] = []
    outcomes = _process_all(parsed, publisher, context, rebuilds)
    return _summary(outcomes, parsed.ignored, rebuilds)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point (``Handler: amp_publisher.aws.handler.lambda_handler``).

    For an SQS batch the response is exactly ``{"batchItemFailures": [...]}`` (the partial
    batch response Lambda parses); otherwise the :func:`handle_event` summary.
    """
    arn = getattr(context, "invoked_function_arn", None)
    if arn:  # where embargo schedules deliver (aws/scheduler.py)
        _publisher().use_function_arn(arn)
    if _tracing_enabled():
        with _tracer().provider.in_subsegment("handle_event"):
            result = handle_event(event, context=context)
    else:
        result = handle_event(event, context=context)
    if "batchItemFailures" in result:
        return {"batchItemFailures": result["batchItemFailures"]}
    return result


def _init_phase() -> None:
    """Lambda's init phase: the SnapStart hooks registered, then :func:`prime`; the garbage
    collector, off since the top of this module, is turned back on whatever happens, after
    ``gc.freeze()`` has moved everything init built to the permanent generation (Python's
    ``gc`` docs: frozen objects are ignored by every later collection; a container's warm
    events then walk only their own objects). The cycles init left as garbage stay frozen
    instead of being collected: about 800 objects, some 200 KB once per container, against the
    60 ms of CPU a full collection before the freeze would take."""
    try:
        _register_snapstart_hooks()
        prime()
    finally:
        gc.freeze()
        gc.enable()


if _IN_LAMBDA:  # build it all during init
    _init_phase()
