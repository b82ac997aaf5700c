"""Names of the AWS resources ``template.yaml`` creates, in the one Python place that knows them.

``template.yaml`` gives the buckets, the manifest table and the failed-events queue explicit names
built from the stack name and the account id (and, for buckets, whose names are global, the
region, so one stack name deploys in several regions of one account), and builds every IAM ARN
from the same strings (never from ``!Ref`` of a bucket, which would close the SAM circular
dependency between a bucket's notification, the function and the function's policy). The embedded
local backend creates resources with the names this module gives for stack ``amp-publisher``,
moto's default account and ``us-east-1``, so the sample events in ``events/`` (bucket
``amp-publisher-source-123456789012-us-east-1``) and a deployed stack agree.
``tests/test_resources.py`` parses ``template.yaml`` and checks that the patterns here and there
are the same.

Example:
    >>> names = resource_names()
    >>> names.source_bucket, names.site_bucket
    ('amp-publisher-source-123456789012-us-east-1', 'amp-publisher-site-123456789012-us-east-1')
    >>> names.manifest_table, names.failed_events_queue, names.render_queue
    ('amp-publisher-manifest', 'amp-publisher-failed-events', 'amp-publisher-render')
    >>> resource_names("news", "210987654321", "eu-west-1").site_bucket
    'news-site-210987654321-eu-west-1'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEFAULT_ACCOUNT", "DEFAULT_STACK", "ResourceNames", "resource_names"]

#: The stack name the README's ``sam deploy`` uses and the local backend pretends to be.
DEFAULT_STACK = "amp-publisher"
#: moto's default account id (what ``sts get-caller-identity`` answers on the embedded backend).
DEFAULT_ACCOUNT = "123456789012"
#: The region of the embedded backend and the sample events.
DEFAULT_REGION = "us-east-1"

# CloudFormation stack names: a letter, then letters, digits and hyphens. Bucket names also
# need lower case and at most 63 characters (S3 bucket naming rules), checked on the result.
_STACK_NAME = re.compile(r"[a-z][a-z0-9-]*")
_ACCOUNT_ID = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_MAX_BUCKET_NAME = 63


@dataclass(frozen=True)
class ResourceNames:
    """The physical names of one stack's resources (template.yaml logical id in brackets).

    Attributes:
        source_bucket: ``<stack>-source-<account>-<region>`` (SourceBucket), where articles are
            uploaded.
        site_bucket: ``<stack>-site-<account>-<region>`` (SiteBucket), where pages are written.
        manifest_table: ``<stack>-manifest`` (ManifestTable), DynamoDB, key ``source_key``.
        failed_events_queue: ``<stack>-failed-events`` (FailedEventsQueue), an SQS queue name
            (not its URL).
        site_index_queue: ``<stack>-site-index`` (SiteIndexQueue), the stale site outputs;
            ``""``: none (a deployment without the site around the articles).
        site_index_dlq: ``<stack>-site-index-dlq`` (SiteIndexDeadLetterQueue).
        access_log_bucket: ``<stack>-logs-<account>-<region>`` (AccessLogBucket, only with
            ``AccessLogging``).
        render_queue: ``<stack>-render`` (RenderQueue), the queue a rebuild sends batches of
            source keys to.
        news_sitemap_schedule: ``<stack>-news-sitemap`` (NewsSitemapSchedule), the recurring
            EventBridge Scheduler schedule that sends ``{"news": true}`` to SiteIndexQueue.
    """

    source_bucket: str
    site_bucket: str
    manifest_table: str
    failed_events_queue: str
    site_index_queue: str = ""
    site_index_dlq: str = ""
    render_queue: str = ""
    access_log_bucket: str = ""
    news_sitemap_schedule: str = ""

    def __post_init__(self) -> None:
        if not self.render_queue:  # names built from a custom failed-events queue name (tests)
            base = self.failed_events_queue.removesuffix("-failed-events")
            object.__setattr__(self, "render_queue", f"{base}-render")


def resource_names(stack: str = DEFAULT_STACK, account: str = DEFAULT_ACCOUNT,
                   region: str = DEFAULT_REGION) -> ResourceNames:
    """Return the names ``template.yaml`` gives the resources of stack ``stack`` in ``account``
    and ``region``.

    Args:
        stack: the CloudFormation stack name; lower case, because it is part of bucket names.
        account: the 12-digit AWS account id.
        region: the AWS region (``us-east-1``), part of bucket names.

    Raises:
        ValueError: ``stack`` or ``account`` cannot form valid names (upper case, bad characters,
            or a bucket name longer than 63 characters).
    """
    if not _STACK_NAME.fullmatch(stack):
        raise ValueError(
            f"stack name {stack!r} cannot name S3 buckets: use a lower-case letter followed by "
            "lower-case letters, digits and hyphens"
        )
    if not _ACCOUNT_ID.fullmatch(account):
        raise ValueError(f"account id {account!r} is not 12 digits")
    if not _REGION.fullmatch(region):
        raise ValueError(f"region {region!r} is not an AWS region name such as us-east-1")
    names = ResourceNames(
        source_bucket=f"{stack}-source-{account}-{region}",
        site_bucket=f"{stack}-site-{account}-{region}",
        manifest_table=f"{stack}-manifest",
        failed_events_queue=f"{stack}-failed-events",
        site_index_queue=f"{stack}-site-index",
        site_index_dlq=f"{stack}-site-index-dlq",
        access_log_bucket=f"{stack}-logs-{account}-{region}",
        render_queue=f"{stack}-render",
        news_sitemap_schedule=f"{stack}-news-sitemap",
    )
    if len(names.source_bucket) > _MAX_BUCKET_NAME:
        raise ValueError(
            f"stack name {stack!r} is too long: bucket name {names.source_bucket!r} exceeds "
            f"{_MAX_BUCKET_NAME} characters"
        )
    return names
