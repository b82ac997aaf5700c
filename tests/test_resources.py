"""The local backend's resource names are the ones template.yaml gives a deployed stack."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cfnlint.decode.cfn_yaml import load as load_cfn_yaml

from amp_publisher.local.resources import ResourceNames, resource_names

ROOT = Path(__file__).resolve().parent.parent

# (field of ResourceNames, logical id in template.yaml, property holding the physical name)
NAMED_RESOURCES = [
    ("source_bucket", "SourceBucket", "BucketName"),
    ("site_bucket", "SiteBucket", "BucketName"),
    ("access_log_bucket", "AccessLogBucket", "BucketName"),
    ("manifest_table", "ManifestTable", "TableName"),
    ("failed_events_queue", "FailedEventsQueue", "QueueName"),
    ("site_index_queue", "SiteIndexQueue", "QueueName"),
    ("site_index_dlq", "SiteIndexDeadLetterQueue", "QueueName"),
]


@pytest.fixture(scope="module")
def template() -> dict:
    return load_cfn_yaml(str(ROOT / "template.yaml"))


def _resolve(sub: str, stack: str, account: str, region: str = "us-east-1") -> str:
    """Evaluate a ``!Sub`` string that uses only the stack name, account id and region."""
    resolved = sub.replace("${AWS::StackName}", stack).replace("${AWS::AccountId}", account)
    resolved = resolved.replace("${AWS::Region}", region)
    assert "${" not in resolved, f"{sub!r} depends on more than the stack name and account"
    return resolved


def _subs(node) -> list[str]:
    """Every ``!Sub`` string anywhere below ``node``."""
    if isinstance(node, dict):
        found = [node["Fn::Sub"]] if isinstance(node.get("Fn::Sub"), str) else []
        return found + [s for value in node.values() for s in _subs(value)]
    if isinstance(node, list):
        return [s for item in node for s in _subs(item)]
    return []


@pytest.mark.parametrize(
    ("stack", "account", "region"),
    [("amp-publisher", "123456789012", "us-east-1"), ("news-amp", "210987654321", "eu-west-1")]
)
def test_template_names_match_resource_names(template, stack, account, region):
    names = resource_names(stack, account, region)
    for field, logical_id, prop in NAMED_RESOURCES:
        sub = template["Resources"][logical_id]["Properties"][prop]["Fn::Sub"]
        assert _resolve(sub, stack, account, region) == getattr(names, field), logical_id


def test_bucket_names_differ_between_regions_of_one_account():
    east, west = resource_names(region="us-east-1"), resource_names(region="eu-west-1")
    for field in ("source_bucket", "site_bucket", "access_log_bucket"):
        assert getattr(east, field) != getattr(west, field)


def test_every_bucket_the_template_mentions_is_one_of_the_two_named_buckets(template):
    """IAM ARNs, bucket policies, the EventBridge rule and SITE_BUCKET spell bucket names out
    (to avoid the SAM cycle); a typo in any of them would grant or watch a bucket that does not
    exist."""
    names = resource_names()
    mentioned = set()
    for sub in _subs(template["Resources"]):
        for match in re.finditer(r"(?:s3:::|^)(\$\{AWS::StackName\}-[a-z]+-\$\{AWS::AccountId\}"
                                 r"-\$\{AWS::Region\})", sub):
            mentioned.add(_resolve(match.group(1), "amp-publisher", "123456789012"))
    assert mentioned == {names.source_bucket, names.site_bucket, names.access_log_bucket}


def test_default_names_are_the_ones_the_sample_events_use():
    names = resource_names()
    assert names == ResourceNames(
        source_bucket="amp-publisher-source-123456789012-us-east-1",
        site_bucket="amp-publisher-site-123456789012-us-east-1",
        manifest_table="amp-publisher-manifest",
        failed_events_queue="amp-publisher-failed-events",
        site_index_queue="amp-publisher-site-index",
        site_index_dlq="amp-publisher-site-index-dlq",
        access_log_bucket="amp-publisher-logs-123456789012-us-east-1",
        news_sitemap_schedule="amp-publisher-news-sitemap",
    )
    event = json.loads((ROOT / "events" / "s3-put-reference.json").read_text(encoding="utf-8"))
    assert event["Records"][0]["s3"]["bucket"]["name"] == names.source_bucket


@pytest.mark.parametrize(
    ("stack", "account"),
    [
        ("AmpPublisher", "123456789012"),  # upper case is not allowed in bucket names
        ("amp_publisher", "123456789012"),
        ("9amp", "123456789012"),
        ("a" * 40, "123456789012"),  # source bucket name would exceed 63 characters
        ("amp-publisher", "12345"),
    ],
)
def test_names_that_aws_would_refuse_raise_value_error(stack, account):
    with pytest.raises(ValueError):
        resource_names(stack, account)
