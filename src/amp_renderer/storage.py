"""S3 I/O at the edge: reading source objects and writing/deleting pages (DESIGN §1, §5, §6).

boto3 clients are created lazily, on first use, never at import, and reused for the life of the
container. They use botocore's ``standard`` retry mode with bounded attempts; errors that are left
after the retries propagate as transient faults (Lambda retries the event). The endpoint comes
from boto3's own ``AWS_ENDPOINT_URL`` setting, which the embedded local backend sets.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from .errors import ObjectTooLargeError

__all__ = ["client", "SourceObject", "read_source", "read_json_object", "put_page", "delete_page",
           "PAGE_CONTENT_TYPE", "RETRY_CONFIG"]

#: DESIGN §5: pages are stored as UTF-8 HTML.
PAGE_CONTENT_TYPE = "text/html; charset=utf-8"

#: botocore standard retry mode (exponential backoff with jitter, throttling-aware), 4 attempts
#: in all; short connect timeout so a stuck endpoint fails fast and the event is retried.
RETRY_CONFIG = {"retries": {"mode": "standard", "max_attempts": 4},
                "connect_timeout": 3, "read_timeout": 20}


@functools.cache
def client(service: str) -> Any:
    """The process-wide boto3 client for ``service`` ("s3", "dynamodb", "sqs")."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(service, config=Config(**RETRY_CONFIG))


@dataclass(frozen=True)
class SourceObject:
    """One source object as read: ``body`` bytes plus the version facts the manifest keeps.

    ``last_modified`` is ISO 8601 UTC; ``version_id`` is ``None`` on an unversioned bucket.
    """

    bucket: str
    key: str
    body: bytes
    etag: str
    version_id: str | None
    last_modified: str
    size: int


def read_source(bucket: str, key: str, *, max_bytes: int, s3: Any = None) -> SourceObject | None:
    """GET the current version of a source object.

    Returns:
        The object, or ``None`` when it does not exist (deleted: the caller unpublishes).

    Raises:
        ObjectTooLargeError: ``ContentLength`` exceeds ``max_bytes``; the body is not read.
        botocore.exceptions.ClientError: anything else (transient: retried).
    """
    s3 = s3 or client("s3")
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except s3.exceptions.NoSuchKey:
        return None
    size = int(response["ContentLength"])
    if size > max_bytes:
        response["Body"].close()
        raise ObjectTooLargeError(
            f"{key} is {size:,} bytes; the limit is {max_bytes:,} (MAX_SOURCE_BYTES)", key=key)
    body = response["Body"].read()
    return SourceObject(
        bucket=bucket,
        key=key,
        body=body,
        etag=response.get("ETag", "").strip('"'),
        version_id=response.get("VersionId"),
        last_modified=response["LastModified"].isoformat() if response.get("LastModified") else "",
        size=size,
    )


def read_json_object(bucket: str, key: str, *, s3: Any = None) -> bytes | None:
    """The bytes of a small object (e.g. ``config/site.json``), or ``None`` when absent."""
    s3 = s3 or client("s3")
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None


def put_page(bucket: str, key: str, html: str, *, cache_control: str,
             metadata: dict[str, str], s3: Any = None) -> str:
    """Write one page in a single PutObject (never half-written). Returns the page's ETag.

    Metadata values must be ASCII (S3 user metadata travels in HTTP headers); callers pass
    keys percent-encoded where needed.
    """
    s3 = s3 or client("s3")
    response = s3.put_object(Bucket=bucket, Key=key, Body=html.encode("utf-8"),
                             ContentType=PAGE_CONTENT_TYPE, CacheControl=cache_control,
                             Metadata=metadata)
    return response.get("ETag", "").strip('"')


def delete_page(bucket: str, key: str, *, s3: Any = None) -> None:
    """Delete a page (idempotent: deleting a missing key succeeds)."""
    (s3 or client("s3")).delete_object(Bucket=bucket, Key=key)
