"""moto's in-process mock with the template's resources, for the fast reliability tests.

``deployment`` is a fixture: import it into a test module (``from inprocess import deployment``).
It yields a :class:`Deployment` with boto3 clients on the mock, the resource names, the reference
site configuration uploaded, and helpers that put/delete sources returning real-shaped events.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import pytest

from conftest import EVENTS


@dataclass
class Deployment:
    """One mocked deployment: clients, names, and helpers that act like S3 and Lambda."""

    s3: Any
    dynamodb: Any
    sqs: Any
    names: Any
    queue_url: str
    events: Any  # an EmbeddedBackend used only for its S3 event builder
    cloudfront: Any = None
    distribution_id: str = ""

    @property
    def settings(self):
        from amp_publisher.aws.config import Settings

        return Settings(site_bucket=self.names.site_bucket,
                        manifest_table=self.names.manifest_table,
                        failed_events_queue_url=self.queue_url,
                        distribution_id=self.distribution_id or None)

    def publisher(self, **kwargs: Any):
        """A :class:`Publisher` on this deployment (keyword arguments passed through)."""
        from amp_publisher.aws.pipeline import Publisher

        return Publisher(self.settings, s3=kwargs.pop("s3", self.s3),
                         dynamodb=kwargs.pop("dynamodb", self.dynamodb),
                         cloudfront=kwargs.pop("cloudfront", self.cloudfront), **kwargs)

    def put_source(self, key: str, body: bytes | dict) -> dict:
        """Upload a source; returns the ``ObjectCreated:Put`` event S3 would send."""
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        response = self.s3.put_object(Bucket=self.names.source_bucket, Key=key, Body=body)
        return self.events.s3_event("ObjectCreated:Put", key, size=len(body),
                                    etag=response["ETag"].strip('"'),
                                    version_id=response.get("VersionId"))

    def delete_source(self, key: str) -> dict:
        response = self.s3.delete_object(Bucket=self.names.source_bucket, Key=key)
        return self.events.s3_event("ObjectRemoved:DeleteMarkerCreated", key,
                                    version_id=response.get("VersionId"))

    def pages(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.names.site_bucket)
        return sorted(o["Key"] for o in listing.get("Contents", []))

    def page(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.names.site_bucket, Key=key)["Body"].read()

    def invalidations(self) -> list[dict]:
        """The distribution's invalidations, oldest first (``GetInvalidation`` answers)."""
        listing = self.cloudfront.list_invalidations(DistributionId=self.distribution_id)
        items = listing["InvalidationList"].get("Items") or []
        found = [self.cloudfront.get_invalidation(DistributionId=self.distribution_id,
                                                  Id=i["Id"])["Invalidation"] for i in items]
        return sorted(found, key=lambda i: i["CreateTime"])

    def manifest(self):
        from amp_publisher.aws.manifest import ManifestTable

        return ManifestTable(self.names.manifest_table, self.dynamodb)


@functools.cache
def boto3_session():
    """One ``boto3.session.Session`` per test process for the clients the tests make on moto's
    mock, as the function has one per container (:func:`amp_publisher.aws.storage.session`).

    A new session loads and parses botocore's service models again (S3's and DynamoDB's are
    megabytes of JSON) for every test; the clients made from this one are still new for each
    test, each with its own event hooks, so no test sees another's injected faults.
    """
    import boto3

    return boto3.session.Session()


def use_mocked_aws_environment(monkeypatch) -> None:
    """Point boto3 at moto's in-process mock: no endpoint override, no profile, dummy keys."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def deployment(monkeypatch):
    """A fresh mocked deployment (buckets, manifest table with its GSI, failed-events queue)."""
    from botocore.config import Config
    from moto import mock_aws

    from amp_publisher.aws.storage import RETRY_CONFIG
    from amp_publisher.local.backend import (
        EmbeddedBackend,
        create_distribution,
        create_resources,
        index_moto_dynamodb,
    )

    use_mocked_aws_environment(monkeypatch)
    index_moto_dynamodb()  # as on the embedded backend, whichever test ran first in this process
    with mock_aws():
        session = boto3_session()
        clients = {n: session.client(n, config=Config(**RETRY_CONFIG))
                   for n in ("s3", "dynamodb", "sqs", "cloudfront")}
        events = EmbeddedBackend()
        names = events.names
        queue_url = create_resources(clients["s3"], clients["dynamodb"], clients["sqs"], names)
        clients["s3"].put_object(Bucket=names.source_bucket, Key="config/site.json",
                                 Body=(EVENTS / "site.json").read_bytes())
        distribution_id = create_distribution(clients["cloudfront"], names)
        yield Deployment(clients["s3"], clients["dynamodb"], clients["sqs"], names, queue_url,
                         events, clients["cloudfront"], distribution_id)


def small_article(headline: str = "A small article", **fields: Any) -> dict:
    """A valid article with a one-paragraph body (fields override)."""
    return {"headline": headline, "published": "2026-06-25T08:00:00Z",
            "body": [{"type": "paragraph", "text": f"{headline}: the text."}], **fields}


def count_calls(client: Any, operation: str) -> list[dict]:
    """Record the parameters of every ``operation`` call ``client`` makes (a botocore hook)."""
    calls: list[dict] = []
    service = client.meta.service_model.service_name

    def hook(params: dict, **_: Any) -> None:
        calls.append(dict(params))

    client.meta.events.register(f"provide-client-params.{service}.{operation}", hook)
    return calls


def fail_calls(client: Any, operation: str, code: str = "SlowDown", times: int = 1,
               status: int = 503) -> list[int]:
    """The next ``times`` calls of ``operation`` raise the ClientError botocore raises once its
    retries are spent. Returns a one-item list counting the failures injected."""
    from botocore.exceptions import ClientError

    service = client.meta.service_model.service_name
    left = [times]

    def hook(model: Any, **_: Any) -> None:
        if left[0] > 0:
            left[0] -= 1
            raise ClientError({"Error": {"Code": code, "Message": "injected"},
                               "ResponseMetadata": {"HTTPStatusCode": status}}, model.name)

    client.meta.events.register_first(f"before-call.{service}.{operation}", hook)
    return left
