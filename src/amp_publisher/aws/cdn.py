"""CloudFront invalidation of exactly the changed paths, one request per invocation (DESIGN §10).

Whoever writes or deletes an object in the site bucket (an article page, and later an index page,
a sitemap or a feed) tells an :class:`InvalidationBatch` which *site keys* changed. The handler
creates one batch per Lambda invocation and calls :meth:`InvalidationBatch.flush` once at its end:
one ``CreateInvalidation`` covering every changed path, issued after every write it covers.

The URL forms of a site key (:func:`paths_for_key`): a page stored as ``x/index.html`` is read as
``/x/`` (the CloudFront Function maps it to ``/x/index.html``) and as ``/x/index.html``; both are
invalidated. In paired mode the AMP page ``x/amp/index.html`` is its own site key, so its forms
``/x/amp/`` and ``/x/amp/index.html`` come the same way. Other keys (``sitemap.xml``) are their
own single path.

Cost (CloudFront pricing, "Invalidation requests"): the first 1,000 paths a month are free, then
each path costs $0.005; a wildcard counts as one path whatever it matches. A batch with more than
``max_paths`` paths is sent as one wildcard over their longest common prefix
(:func:`batch_paths`), which keeps a burst's cost at one path, at the price of evicting more
than changed.

Freshness is never claimed before it is had: the pipeline records, in the same manifest write that
records a page change, an ``invalidation_pending`` entry (``<site key>#<lease token>``); the batch
removes exactly those entries, and records ``last_invalidation`` (id, time, paths), only after
CloudFront accepted the invalidation. If the request fails, :class:`InvalidationFailedError`
(transient) makes Lambda retry the event; the retry finds the pending entries on the record and
invalidates them again even when the page itself is already up to date.

Example:
    >>> paths_for_key("news/hello/index.html")
    ('/news/hello/', '/news/hello/index.html')
    >>> paths_for_key("sitemap.xml")
    ('/sitemap.xml',)
    >>> batch_paths(["/b/", "/a/", "/a/"], max_paths=5)
    ['/a/', '/b/']
    >>> batch_paths(["/story-1/", "/story-1/index.html", "/story-2/"], max_paths=2)
    ['/story-*']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from amp_publisher.core.errors import TransientError

__all__ = ["DEFAULT_MAX_PATHS", "Invalidation", "InvalidationBatch", "InvalidationFailedError",
           "paths_for_key", "batch_paths", "pending_entry", "site_key_of_entry"]

#: Paths per CreateInvalidation before the batch becomes one wildcard (``INVALIDATION_MAX_PATHS``).
#: A page change is 2 paths (4 with a slug change, twice that in paired mode), so 30 covers an
#: SQS batch of several articles path by path; past it one wildcard path is cheaper than the
#: paths it replaces. CloudFront allows 3,000 paths in progress (15 wildcards) per distribution.
DEFAULT_MAX_PATHS = 30

#: Characters CloudFront accepts unescaped in an invalidation path (RFC 3986 unreserved and
#: sub-delims plus ``/``); anything else is percent-encoded, as in the URL readers use.
_PATH_SAFE = "/-._~!$&'()*+,;=:@"


class InvalidationFailedError(TransientError):
    """CloudFront did not accept the invalidation (throttled, 5xx, unreachable after botocore's
    retries). Transient: the event is retried and the pending paths are invalidated then."""


@dataclasses.dataclass(frozen=True)
class Invalidation:
    """One accepted ``CreateInvalidation``.

    Attributes:
        id: CloudFront's invalidation id (``I2J0I21PCUYOIK`` style).
        created_at: when it was requested, ISO 8601 UTC with milliseconds.
        paths: the paths sent (a wildcard when the batch was larger than ``max_paths``).
        distribution_id: the distribution it concerns.
    """

    id: str
    created_at: str
    paths: tuple[str, ...]
    distribution_id: str

    def to_record(self) -> dict[str, Any]:
        """The manifest's ``last_invalidation`` map."""
        return {"id": self.id, "created_at": self.created_at, "paths": list(self.paths),
                "distribution_id": self.distribution_id}


def paths_for_key(site_key: str) -> tuple[str, ...]:
    """The viewer paths under which CloudFront may have cached the object at ``site_key``.

    ``<dir>/index.html`` → (``/<dir>/``, ``/<dir>/index.html``); ``index.html`` → (``/``,
    ``/index.html``); any other key → its own path. Characters outside RFC 3986's unreserved and
    sub-delimiter sets are percent-encoded as UTF-8 (CloudFront compares encoded paths).
    """
    path = "/" + quote(site_key.lstrip("/"), safe=_PATH_SAFE)
    if path == "/index.html":
        return ("/", path)
    if path.endswith("/index.html"):
        return (path[: -len("index.html")], path)
    return (path,)


def batch_paths(paths: Iterable[str], *, max_paths: int = DEFAULT_MAX_PATHS) -> list[str]:
    """The paths of one CreateInvalidation: ``paths`` deduplicated and sorted, or, when there
    are more than ``max_paths``, one wildcard over their longest common prefix (CloudFront
    accepts ``*`` as the last character of a path; it counts as one path for billing).

    Raises:
        ValueError: ``max_paths`` is below 1.
    """
    if max_paths < 1:
        raise ValueError(f"max_paths must be at least 1, not {max_paths}")
    unique = sorted(set(paths))
    if len(unique) <= max_paths:
        return unique
    prefix = os.path.commonprefix(unique)
    return [(prefix or "/") + "*"]


def pending_entry(site_key: str, token: str) -> str:
    """The manifest's record of one not yet invalidated change: ``<site key>#<lease token>``
    (unique per write, so clearing one entry never clears a later write of the same key)."""
    return f"{site_key}#{token}"


def site_key_of_entry(entry: str) -> str:
    """The site key of a :func:`pending_entry`."""
    return entry.rsplit("#", 1)[0]


class InvalidationBatch:
    """The changed site keys of one invocation, sent as one ``CreateInvalidation``.

    Not thread-safe: one batch per invocation (per thread).

    Args:
        distribution_id: the distribution (``DISTRIBUTION_ID``); ``None`` or "" turns the batch
            into a no-op (a deployment without CloudFront, unit tests of the renderer).
        cloudfront: a boto3 CloudFront client (default: the process-wide lazy one).
        max_paths: see :data:`DEFAULT_MAX_PATHS`.
        on_flushed: called after CloudFront accepted the invalidation with
            ``(source_key, pending entries, Invalidation)`` per source that registered entries
            (the pipeline clears them from the manifest there). An AWS error it raises is kept
            in :attr:`unrecorded`, not raised: see :meth:`flush`.

    Attributes:
        unrecorded: after :meth:`flush`, ``(source_key, error)`` for each source whose
            ``on_flushed`` failed with an AWS error (botocore ``ClientError`` or
            ``BotoCoreError``); empty when all were recorded.
    """

    def __init__(self, distribution_id: str | None, *, cloudfront: Any = None,
                 max_paths: int = DEFAULT_MAX_PATHS,
                 on_flushed: Callable[[str, set[str], Invalidation], None] | None = None) -> None:
        if max_paths < 1:
            raise ValueError(f"max_paths must be at least 1, not {max_paths}")
        self.distribution_id = distribution_id or None
        self._cloudfront = cloudfront
        self.max_paths = max_paths
        self._on_flushed = on_flushed
        self._paths: set[str] = set()
        self._keys: set[str] = set()
        self._pending: dict[str, set[str]] = {}
        self.sent: list[Invalidation] = []
        #: The site keys the last accepted invalidation covered (AMP Cache refresh reads them).
        self.flushed_keys: frozenset[str] = frozenset()
        self.unrecorded: list[tuple[str, Exception]] = []

    @property
    def enabled(self) -> bool:
        """Whether there is a distribution to invalidate."""
        return self.distribution_id is not None

    def __len__(self) -> int:
        return len(self._paths)

    def add(self, site_keys: Iterable[str], *, source_key: str | None = None,
            entries: Iterable[str] = ()) -> None:
        """Note that the objects at ``site_keys`` were written or deleted, and (for a source
        record) the manifest ``entries`` to clear once they are invalidated."""
        for key in site_keys:
            self._keys.add(key)
            self._paths.update(paths_for_key(key))
        entries = set(entries)
        if source_key is not None and entries:
            self._pending.setdefault(source_key, set()).update(entries)

    def add_paths(self, paths: Iterable[str]) -> None:
        """Note viewer paths directly (each must start with ``/``).

        Raises:
            ValueError: a path does not start with ``/``.
        """
        for path in paths:
            if not path.startswith("/"):
                raise ValueError(f"invalidation path {path!r} must start with '/'")
            self._paths.add(path)

    def pending_paths(self) -> list[str]:
        """The paths :meth:`flush` would send now (:func:`batch_paths` of what was added): at
        most ``max_paths`` entries, so a caller can record them before the request."""
        return batch_paths(self._paths, max_paths=self.max_paths) if self._paths else []

    def carry(self, source_key: str, entries: Iterable[str] | None) -> None:
        """Re-invalidate changes a previous invocation recorded but could not invalidate
        (the ``invalidation_pending`` entries of a manifest record)."""
        entries = set(entries or ())
        if entries:
            self.add((site_key_of_entry(e) for e in entries), source_key=source_key,
                     entries=entries)

    def flush(self, *, now: Callable[[], dt.datetime] | None = None) -> Invalidation | None:
        """Send one ``CreateInvalidation`` for everything added, then empty the batch.

        Once CloudFront has accepted it, ``on_flushed`` runs for every source that registered
        entries, each on its own: an AWS error there (the manifest could not be updated) goes
        to :attr:`unrecorded` and the others still run. The paths are being invalidated; only
        the record of it is missing, so its entries stay pending in the manifest and the next
        change of that source invalidates them once more (DESIGN §10). Raising would fail the
        invocation, and its retry would render every record of the batch and invalidate all
        their paths again for a note of bookkeeping.

        Returns:
            The accepted :class:`Invalidation`, or ``None`` when nothing changed or there is no
            distribution.

        Raises:
            InvalidationFailedError: CloudFront refused or could not be reached (transient).
        """
        self.flushed_keys = frozenset()
        self.unrecorded = []
        if not self._paths or not self.enabled:
            self._paths.clear()
            self._keys.clear()
            self._pending.clear()
            return None
        from botocore.exceptions import BotoCoreError, ClientError

        paths = batch_paths(self._paths, max_paths=self.max_paths)
        created = (now or (lambda: dt.datetime.now(dt.UTC)))()
        try:
            response = self._client.create_invalidation(
                DistributionId=self.distribution_id,
                InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths},
                                   "CallerReference": uuid.uuid4().hex})
        except (ClientError, BotoCoreError) as exc:
            raise InvalidationFailedError(
                f"CloudFront did not accept the invalidation of {len(paths)} path(s) on "
                f"{self.distribution_id}: {exc}") from exc
        invalidation = Invalidation(
            id=response["Invalidation"]["Id"],
            created_at=created.isoformat(timespec="milliseconds"),
            paths=tuple(paths), distribution_id=self.distribution_id)
        self.sent.append(invalidation)
        pending, self._pending = self._pending, {}
        self.flushed_keys = frozenset(self._keys)
        self._paths.clear()
        self._keys.clear()
        if self._on_flushed is not None:
            for source_key, entries in sorted(pending.items()):
                try:
                    self._on_flushed(source_key, entries, invalidation)
                except (ClientError, BotoCoreError) as exc:
                    self.unrecorded.append((source_key, exc))
        return invalidation

    @property
    def _client(self) -> Any:
        if self._cloudfront is None:
            from amp_publisher.aws import storage

            self._cloudfront = storage.client("cloudfront")
        return self._cloudfront
