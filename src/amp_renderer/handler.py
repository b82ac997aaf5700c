"""The Lambda entry point: event → source records → :class:`~amp_renderer.pipeline.Publisher`.

Nothing else lives here. Per record it logs one structured line (with the S3 key) and emits
metrics; permanent input faults are recorded by the pipeline and logged as errors with their code,
key and JSON path, and the invocation succeeds (no retry). Transient faults propagate, so Lambda
retries the event and, after the retries, sends it to the failed-events queue.

Powertools Logger and Metrics are set up at import (cheap); the Tracer is created only when
tracing is on (``POWERTOOLS_TRACE_DISABLED`` not true), because importing the X-Ray SDK costs
hundreds of milliseconds of cold start, and it never captures responses (the page HTML).
"""

from __future__ import annotations

import functools
import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from .config import Settings
from .events import parse_event
from .pipeline import Outcome, Publisher

__all__ = ["lambda_handler", "handle_event"]

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "amp-renderer"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "AmpRenderer"),
                  service=os.environ.get("POWERTOOLS_SERVICE_NAME", "amp-renderer"))


@functools.cache
def _publisher() -> Publisher:
    """One publisher per container: settings read once, clients created on first use."""
    return Publisher(Settings.from_env())


def _tracing_enabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").lower() not in ("1", "true")


def _record_outcome(outcome: Outcome) -> None:
    fields = {"source_key": outcome.source_key, "action": outcome.action,
              "page_key": outcome.page_key, "page_bytes": outcome.page_bytes,
              "timings_ms": outcome.timings_ms}
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
    logger.info(f"article {outcome.action}", extra=fields)
    if outcome.action == "published":
        metrics.add_metric(name="PagePublished", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="PageBytes", unit=MetricUnit.Bytes, value=outcome.page_bytes)
        metrics.add_metric(name="RenderTime", unit=MetricUnit.Milliseconds,
                           value=outcome.timings_ms.get("total", 0.0))
    elif outcome.action == "unpublished":
        metrics.add_metric(name="PageDeleted", unit=MetricUnit.Count, value=1)


def handle_event(event: dict[str, Any], publisher: Publisher | None = None) -> dict[str, Any]:
    """Process every record of ``event``; return a summary (used by the local runner and tests).

    Returns:
        ``{"outcomes": [{"source_key", "action", "page_key", "page_bytes", "error"}...],
        "ignored": [reason...]}``.

    Raises:
        Transient faults (botocore ``ClientError``, timeouts, ``TransientError``).
    """
    publisher = publisher or _publisher()
    parsed = parse_event(event)
    for ignored in parsed.ignored:
        logger.info("event ignored", extra={"reason": ignored.reason, "detail": ignored.detail})
    outcomes = []
    for record in parsed.records:
        logger.append_keys(source_key=record.key)
        try:
            outcome = publisher.process(record)
        finally:
            logger.remove_keys(["source_key"])
        if outcome.action == "ignored":
            logger.info("key outside the article prefix/suffix ignored",
                        extra={"source_key": record.key})
        else:
            _record_outcome(outcome)
        outcomes.append(outcome)
    return {
        "outcomes": [{"source_key": o.source_key, "action": o.action, "page_key": o.page_key,
                      "page_bytes": o.page_bytes,
                      "error": o.error.to_dict() if o.error else None} for o in outcomes],
        "ignored": [i.reason for i in parsed.ignored],
    }


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point (``Handler: amp_renderer.handler.lambda_handler``)."""
    if _tracing_enabled():
        from aws_lambda_powertools import Tracer

        tracer = Tracer(service=logger.service)
        with tracer.provider.in_subsegment("handle_event"):
            return handle_event(event)
    return handle_event(event)
