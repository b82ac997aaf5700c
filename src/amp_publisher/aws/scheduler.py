"""Embargoes: one EventBridge Scheduler schedule per article whose ``published`` time is ahead.

An article is not published before its ``published`` time (DESIGN §10, issue 12). When the
pipeline meets one, it keeps (or takes) its page down and asks :class:`EmbargoScheduler` for a
one-time schedule (``at(...)``, UTC, deleted after it runs) that invokes the render function at
that time with the source key. The schedule's input is an S3 "Object Created" event in
EventBridge's shape (``detail.reason`` ``EmbargoEnded``), which the handler already reads: like
every event it only says "this key may have changed", and the function reads the current source.

* A re-upload with another time moves the schedule (the same name is updated); one with a time
  already past publishes at once and cancels the schedule.
* A delete, or a source turned draft, cancels it.

One schedule per source key, named ``embargo-<sha256 of the key, 32 hex>`` in the group
``SCHEDULER_GROUP`` (schedule names allow only 64 characters of ``[0-9a-zA-Z-_.]``).

Example:
    >>> name = schedule_name("articles/a.json")
    >>> name.startswith("embargo-"), len(name)
    (True, 40)
    >>> at_expression(dt.datetime(2027, 1, 2, 3, 4, 5, 600000, tzinfo=dt.UTC))
    'at(2027-01-02T03:04:06)'
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

__all__ = ["EmbargoScheduler", "Scheduled", "schedule_name", "at_expression", "delivery_event",
           "embargo_time"]

#: ``detail.reason`` of the events schedules deliver (the handler logs it with the event name).
EMBARGO_REASON = "EmbargoEnded"


def schedule_name(source_key: str) -> str:
    """The schedule of ``source_key``: ``embargo-`` and 32 hex digits of its SHA-256."""
    return "embargo-" + hashlib.sha256(source_key.encode("utf-8")).hexdigest()[:32]


def at_expression(when: dt.datetime) -> str:
    """A one-time schedule expression for ``when`` (aware), in UTC, rounded *up* to the second
    (a schedule must never fire before the embargo ends)."""
    utc = when.astimezone(dt.UTC)
    whole = utc.replace(microsecond=0)
    if utc.microsecond:
        whole += dt.timedelta(seconds=math.ceil(utc.microsecond / 1e6))
    return f"at({whole.strftime('%Y-%m-%dT%H:%M:%S')})"


def embargo_time(published: dt.date | dt.datetime) -> dt.datetime:
    """When an article with this ``published`` value may be published, as an aware UTC time:
    a date without a time counts from its start (00:00 UTC)."""
    if isinstance(published, dt.datetime):
        return published if published.tzinfo else published.replace(tzinfo=dt.UTC)
    return dt.datetime(published.year, published.month, published.day, tzinfo=dt.UTC)


def delivery_event(bucket: str, source_key: str, when: dt.datetime) -> dict[str, Any]:
    """The event a schedule hands the function: S3's EventBridge "Object Created" shape, the
    key URL-encoded as S3 encodes it, ``detail.reason`` :data:`EMBARGO_REASON`."""
    return {
        "version": "0", "source": "aws.s3", "detail-type": "Object Created",
        "time": when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "detail": {"version": "0", "bucket": {"name": bucket},
                   "object": {"key": quote_plus(source_key, safe="/")},
                   "reason": EMBARGO_REASON},
    }


@dataclass(frozen=True)
class Scheduled:
    """A pending embargo schedule as ``amp-render status`` lists it.

    Attributes:
        name: the schedule name.
        at: when it fires, ISO 8601 UTC.
        event: the event it delivers (:func:`delivery_event`).
    """

    name: str
    at: str
    event: dict[str, Any]


class EmbargoScheduler:
    """Creates, moves and cancels embargo schedules (EventBridge Scheduler).

    Args:
        group: the schedule group (``SCHEDULER_GROUP``).
        target_arn: the render function's ARN (``SCHEDULE_TARGET_ARN``).
        role_arn: the role the scheduler assumes to invoke it (``SCHEDULER_ROLE_ARN``).
        scheduler: a boto3 ``scheduler`` client (default: the process-wide lazy one).
    """

    def __init__(self, group: str, target_arn: str, role_arn: str, *,
                 scheduler: Any = None) -> None:
        self.group = group
        self.target_arn = target_arn
        self.role_arn = role_arn
        self._scheduler = scheduler

    @property
    def client(self) -> Any:
        if self._scheduler is None:
            from amp_publisher.aws import storage

            self._scheduler = storage.client("scheduler")
        return self._scheduler

    def schedule(self, bucket: str, source_key: str, when: dt.datetime) -> str:
        """Create the schedule of ``source_key`` for ``when``, or move it there. Returns its
        name.

        Raises:
            botocore.exceptions.ClientError: transient faults (the event is retried).
        """
        name = schedule_name(source_key)
        request = {
            "Name": name, "GroupName": self.group,
            "ScheduleExpression": at_expression(when), "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"}, "ActionAfterCompletion": "DELETE",
            "Description": f"publish {source_key[:400]} when its embargo ends",
            "Target": {"Arn": self.target_arn, "RoleArn": self.role_arn,
                       "Input": json.dumps(delivery_event(bucket, source_key, when)),
                       "RetryPolicy": {"MaximumRetryAttempts": 10}},
        }
        try:
            self.client.create_schedule(**request)
        except self.client.exceptions.ConflictException:
            self.client.update_schedule(**request)
        return name

    def cancel(self, source_key: str) -> None:
        """Delete the schedule of ``source_key`` (absent already: nothing to do)."""
        self.cancel_by_name(schedule_name(source_key))

    def cancel_by_name(self, name: str) -> None:
        """Delete the schedule ``name`` of the group, if it still exists."""
        with contextlib.suppress(self.client.exceptions.ResourceNotFoundException):
            self.client.delete_schedule(Name=name, GroupName=self.group)

    def pending(self) -> list[Scheduled]:
        """Every schedule of the group with its time and event, soonest first."""
        found = []
        paginator = self.client.get_paginator("list_schedules")
        for page in paginator.paginate(GroupName=self.group):
            for item in page.get("Schedules", []):
                detail = self.client.get_schedule(Name=item["Name"], GroupName=self.group)
                expression = detail["ScheduleExpression"]
                at = expression[len("at("):-1] + "Z" if expression.startswith("at(") else ""
                found.append(Scheduled(item["Name"], at,
                                       json.loads(detail["Target"].get("Input") or "{}")))
        return sorted(found, key=lambda s: s.at)
