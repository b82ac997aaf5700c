"""The manifest table (DynamoDB): one record per source key, one claim per slug (DESIGN §1, §6).

Two kinds of item share the table (partition key ``source_key``, GSI ``slug-index`` on ``slug``):

**Source record** (``source_key`` = the S3 key, e.g. ``articles/a.json``):

================================  ==============================================================
``page_key``, ``slug``            the page published for it (absent when none)
``amp_page_key``                  in paired mode, the AMP twin of ``page_key``
                                  (``<slug>/amp/index.html``; absent in amp mode)
``headline``, ``section``         from the article
``published``, ``updated``        the article's dates, ISO 8601
``source_etag``,                  the source version the page was rendered from (HEAD facts;
``source_version_id``,            ``source_last_modified`` ISO 8601 UTC)
``source_last_modified``
``sequencer``                     S3's ``sequencer`` of the newest event fully processed (hex)
``renderer_version``,             package version and ISO 8601 UTC time of the render
``rendered_at``
``fingerprint``                   the render fingerprint the page was rendered with: a hash of
                                  the site configuration, the theme's files, the renderer
                                  version and the rules revision
                                  (:mod:`amp_publisher.core.fingerprint`); a page whose
                                  fingerprint is not the current one is stale
``status``                        ``published`` | ``failed`` | ``deleted`` | ``unpublished``
``unpublished_reason``            why an existing source is not public (status ``unpublished``)
``scheduled_for``,                status ``scheduled``: the embargo's end (ISO 8601 UTC) and the
``schedule_name``                 EventBridge Scheduler schedule that delivers the key then
``error``                         the last permanent error: map of code, message, path, the
                                  source version and the ``fingerprint`` it concerns; removed
                                  by a good render
``report``, ``report_count``      conversion report summary (first 50 lines) and entry count
``page_bytes``                    size of the stored page
``page_keys``                     string set: every page of this source that may exist in the
                                  site bucket, written *before* a page is (write-ahead); in
                                  paired mode both the canonical page and its AMP twin
``lease_token``,                  the lease of the worker processing the key right now
``lease_expires_ms``              (epoch milliseconds)
``invalidation_pending``          string set: page writes and deletes not yet covered by an
                                  accepted CloudFront invalidation (``<site key>#<token>``,
                                  :mod:`amp_publisher.aws.cdn`); written with the change itself
``last_invalidation``             map: ``id``, ``created_at`` (ISO 8601 UTC), ``paths``,
                                  ``distribution_id`` of the last invalidation covering it
``path``, ``description``,        the rest of the article's index entry
``tags``, ``authors``, ``image``, (:class:`~amp_publisher.core.siteoutputs.entries.IndexEntry`):
``language``                      what index pages, sitemaps and feeds show
``listings``                      string set: the listings this source has listing items in
                                  (write-ahead, like ``page_keys``)
``listings_synced``               hash of the entry (and related list) the listing items hold;
                                  absent while they are being rewritten (or on records older
                                  than listings)
``related_keys``                  string set: the source keys the page's related list links
                                  (also on its listing items, where a filtered query of the
                                  section finds the pages to render again when one of them
                                  leaves the section, :mod:`amp_publisher.aws.pipeline`)
================================  ==============================================================

**Rebuild progress** (``source_key`` = ``rebuild#latest``, one item): the latest rebuild's
``id``, ``fingerprint``, ``bucket``, ``started_at`` (epoch s), ``done_at_start`` (records found
already at the fingerprint by the enumeration), ``keys_sent``, ``enumerated`` and ``swept``
(bools: the first pass and the sweep are done) and ``reason`` (:mod:`amp_publisher.aws.rebuild`).

**Collection source record**: a source object holding several articles (a JSON Feed, a
Ghost export, a top-level array…, see :mod:`amp_publisher.core.adapters`) has no single
``page_key``/``slug``; instead ``items`` maps each item's JSON path to its page key,
``item_count`` and ``failed_items`` count them, ``format`` names the format read.

**Item record** (``source_key`` = ``<source key>#<item path>``, e.g.
``articles/feed.json#items[3]``, ``record_type`` = ``collection_item``): one per item of a
collection, with ``collection`` (the source key), ``item_path``, ``status`` (``published`` |
``failed``), ``error`` and the page fields of a source record (``page_key``, ``slug``,
``headline``, ``published``…). Written by the worker holding the source's lease, deleted with the
item or the source. Item keys never end in the source suffix, so an event or a redrive can never
take one for a source.

**Slug claim** (``source_key`` = ``slug#<slug>``): ``owner`` (the source key owning the slug),
``page_key``, ``claimed_at``, ``record_type`` = ``slug_claim``. It has no ``slug`` attribute, so
``slug-index`` holds source records only.

**Listing item** (``source_key`` = ``list#<listing>#<source key>``, ``record_type`` =
``listing``): one per listing an article belongs to (``home``, ``section/<s>``, ``tag/<t>``,
``author/<a>``, ``month/<YYYY-MM>``; see :mod:`amp_publisher.core.siteoutputs.entries`), with
``listing``, ``listing_sort`` (the entry's order key, published time then slug), ``term`` (the
section, tag or author as written), ``article_key`` and the entry's fields. The GSI
``listing-index`` (hash ``listing``, range ``listing_sort``, projection ALL) lists any listing in
date order, newest first, with pagination (``ExclusiveStartKey``), and counts it
(``Select=COUNT``).

Why one item per listing rather than GSIs on the source record: a DynamoDB GSI key is one
scalar attribute, and an article has many tags and authors; a GSI on a list attribute is not
possible. One generic GSI over listing items serves the home page, sections, tags, authors and
monthly sitemaps alike (one index to provision and pay for, one query path), and an article's
listing items are written and removed by the render function under its lease, like its page.
Items carry the full entry (projection ALL) so a listing page is one query, never a fetch per
article. The ``home`` partition holds every article: writes to it are one per published
change, far below a partition's 1,000 writes/s.

**Index state** (``source_key`` = ``site#…``): the index function's own bookkeeping: how many
numbered pages each listing had when last written (``site#pages#<listing>``), and one item per
non-empty month (``site#month#<YYYY-MM>``, listing ``months``, so the sitemap index is a query of
``listing-index`` too).

Why a claim item: a DynamoDB condition sees only the item it writes, so "no other record has this
slug" cannot be a condition on the source record (and a GSI query is eventually consistent).
A claim item keyed by the slug makes ownership a single-item condition
(``attribute_not_exists(owner) OR owner = :me``).

Why ordered single-item writes rather than one ``TransactWriteItems``: the order alone keeps the
site safe after a crash at any point, at half a transaction's write cost. A page is

1. listed in its source's ``page_keys`` (write-ahead), then
2. its slug claimed, then
3. written (S3);

and removed in the reverse order (page deleted, claim given up, then unlisted). So a page in the
site bucket is always listed by the source that owns its slug, and the clean-up of a listed page
deletes it only when that source owns the claim; a listed page whose claim is not owned was never
written by this source and is only unlisted. Nothing can be orphaned past the next run for a key.

Example:
    >>> claim_key("hello-world")
    'slug#hello-world'
    >>> slug_of_page_key("amp/hello-world/index.html")
    'hello-world'
    >>> slugs_of_page_key("hello-world/amp/index.html")
    ('hello-world', 'amp')
    >>> newer_sequencer("0A1", "00A0"), newer_sequencer("", "01")
    (True, False)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from amp_publisher.aws import storage
from amp_publisher.core.errors import LeaseLostError, SlugConflictError

__all__ = ["ManifestTable", "SLUG_INDEX", "LISTING_INDEX", "LISTING_PREFIX", "STATE_PREFIX",
           "MONTHS_LISTING", "STATUS_PUBLISHED", "STATUS_FAILED", "STATUS_DELETED",
           "STATUS_UNPUBLISHED", "STATUS_SCHEDULED",
           "CLAIM_PREFIX", "ITEM_SEPARATOR", "REBUILD_KEY", "claim_key",
           "item_key", "slug_of_page_key", "slugs_of_page_key", "newer_sequencer",
           "is_source_record"]

SLUG_INDEX = "slug-index"
#: GSI over listing items: hash ``listing``, range ``listing_sort``.
LISTING_INDEX = "listing-index"
#: Partition-key prefixes of listing items and of the index function's state items.
LISTING_PREFIX = "list#"
STATE_PREFIX = "site#"
#: The listing of month state items (the sitemap index).
MONTHS_LISTING = "months"
STATUS_PUBLISHED = "published"
STATUS_FAILED = "failed"
STATUS_DELETED = "deleted"
#: The source exists but says it is not public (a draft, a private post): its page was taken down.
STATUS_UNPUBLISHED = "unpublished"
#: The article's ``published`` time is ahead: no page until then; a schedule delivers it.
STATUS_SCHEDULED = "scheduled"
#: Attributes of a pending embargo; removed by any other outcome.
_SCHEDULE_FIELDS = ("scheduled_for", "schedule_name")
#: Partition-key prefix of slug claim items. A source key never starts with it (source keys
#: start with ``SOURCE_PREFIX``, ``articles/`` by default).
CLAIM_PREFIX = "slug#"
#: Partition key of the item holding the latest rebuild's progress (not a source key).
REBUILD_KEY = "rebuild#latest"

#: Between a collection's source key and an item's JSON path in an item record's key.
ITEM_SEPARATOR = "#"

#: Attributes that describe the published page; removed when the source is deleted.
_PAGE_FIELDS = ("page_key", "amp_page_key", "slug", "headline", "section", "published", "updated",
                "path", "description", "tags", "authors", "image", "language", "listings",
                "listings_synced",
                "source_etag", "source_version_id", "source_last_modified", "renderer_version",
                "rendered_at", "fingerprint", "page_bytes", "report", "report_count",
                "items", "item_count", "failed_items", "format")


def is_source_record(record: dict[str, Any]) -> bool:
    """Whether a manifest item is a source record (not a slug claim, a collection's item
    record or the rebuild item); ``record`` needs ``source_key`` and ``record_type``."""
    return (not record["source_key"].startswith((CLAIM_PREFIX, LISTING_PREFIX, STATE_PREFIX))
            and record["source_key"] != REBUILD_KEY
            and record.get("record_type") not in ("slug_claim", "collection_item", "listing",
                                                  "index_state"))


def item_key(source_key: str, path: str) -> str:
    """The partition key of the item record of ``path`` in collection ``source_key``.

    >>> item_key("articles/feed.json", "items[3]")
    'articles/feed.json#items[3]'
    """
    return f"{source_key}{ITEM_SEPARATOR}{path}"


def claim_key(slug: str) -> str:
    """The partition key of the claim item for ``slug``."""
    return f"{CLAIM_PREFIX}{slug}"


def slug_of_page_key(page_key: str) -> str:
    """The slug in a page key ``<output_prefix><slug>/index.html`` (slugs hold no ``/``)."""
    return page_key.rsplit("/", 2)[-2]


def slugs_of_page_key(page_key: str) -> tuple[str, ...]:
    """The slugs whose page ``page_key`` may be: for ``<…>/<x>/amp/index.html`` the article
    ``x``'s AMP twin (paired mode) first, then a page whose own slug is ``amp`` under an output
    prefix; for any other key its one slug (:func:`slug_of_page_key`). The caller picks the
    one its source owns."""
    from amp_publisher.core.site import AMP_TWIN_SEGMENT

    parts = page_key.split("/")
    if len(parts) >= 3 and parts[-2] == AMP_TWIN_SEGMENT:
        return (parts[-3], parts[-2])
    return (slug_of_page_key(page_key),)


def newer_sequencer(a: str | None, b: str | None) -> bool:
    """Whether S3 sequencer ``a`` is strictly later than ``b`` (both for one key).

    S3's documentation (event message structure): sequencers of one key may differ in length;
    right-pad the shorter with zeros, then compare lexicographically. An empty sequencer is never
    newer (and nothing is newer than it is known to be older than).

    >>> newer_sequencer("0055AED6DCD90281E6", "0055AED6DCD90281E5")
    True
    >>> newer_sequencer("0055AED6DCD9028200", "0055AED6DCD90281E500")
    True
    """
    if not a:
        return False
    if not b:
        return True
    width = max(len(a), len(b))
    return a.upper().ljust(width, "0") > b.upper().ljust(width, "0")


def now_iso() -> str:
    """Now as ISO 8601 UTC with milliseconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class ManifestTable:
    """Access to the manifest table ``name`` through a boto3 DynamoDB client.

    Every write that a concurrent worker could contest is conditional: on the lease token for a
    source record, on the owner for a slug claim. Reads are strongly consistent.

    Args:
        name: the table name (``MANIFEST_TABLE``).
        dynamodb: a boto3 DynamoDB client (default: the process-wide lazy one).
    """

    name: str
    dynamodb: Any = None

    def __post_init__(self) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    @property
    def _client(self) -> Any:
        if self.dynamodb is None:
            self.dynamodb = storage.client("dynamodb")
        return self.dynamodb

    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: self._ser.serialize(v) for k, v in values.items()}

    def _from_item(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: self._de.deserialize(v) for k, v in item.items()}

    @staticmethod
    def _key(key: str) -> dict[str, Any]:
        return {"source_key": {"S": key}}

    # -- reads -----------------------------------------------------------------------------

    def get(self, source_key: str) -> dict[str, Any] | None:
        """The record of ``source_key`` (strongly consistent read), or ``None``."""
        response = self._client.get_item(TableName=self.name, Key=self._key(source_key),
                                          ConsistentRead=True)
        item = response.get("Item")
        return self._from_item(item) if item else None

    def owner_of_slug(self, slug: str) -> str | None:
        """The source key owning ``slug`` (its claim item, strongly consistent), or ``None``."""
        claim = self.get(claim_key(slug))
        return claim.get("owner") if claim else None

    def scan(self) -> list[dict[str, Any]]:
        """Every source record and collection item record, sorted by key (paginated scan;
        ``amp-render status``, tests). Listing items and the index state are not records."""
        return [r for r in self._scan_all()
                if not r["source_key"].startswith((CLAIM_PREFIX, LISTING_PREFIX, STATE_PREFIX))
                and r["source_key"] != REBUILD_KEY]

    def claims(self) -> dict[str, str]:
        """Every slug claim as ``{slug: owner source key}``."""
        return {r["source_key"][len(CLAIM_PREFIX):]: r["owner"] for r in self._scan_all()
                if r["source_key"].startswith(CLAIM_PREFIX)}

    def _scan_all(self) -> list[dict[str, Any]]:
        paginator = self._client.get_paginator("scan")
        items = [self._from_item(item) for page in paginator.paginate(TableName=self.name,
                                                                       ConsistentRead=True)
                 for item in page.get("Items", [])]
        return sorted(items, key=lambda r: r["source_key"])

    # -- the lease -------------------------------------------------------------------------

    def acquire(self, source_key: str, token: str, *, now_ms: int,
                lease_ms: int) -> tuple[bool, dict[str, Any] | None]:
        """Take the lease on ``source_key`` for ``lease_ms`` (creating the record if needed).

        Condition: no lease, or an expired one (a crashed worker's).

        Returns:
            ``(True, record as it now is)``, or ``(False, record as it is)`` when another worker
            holds a live lease (one request either way: the record comes back with the failed
            condition, ``ReturnValuesOnConditionCheckFailure``).
        """
        try:
            response = self._client.update_item(
                TableName=self.name, Key=self._key(source_key),
                UpdateExpression="SET lease_token = :t, lease_expires_ms = :e",
                ConditionExpression="attribute_not_exists(lease_token) OR lease_expires_ms < :now",
                ExpressionAttributeValues=self._values(
                    {":t": token, ":e": now_ms + lease_ms, ":now": now_ms}),
                ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except self._client.exceptions.ConditionalCheckFailedException as exc:
            item = exc.response.get("Item")
            return False, (self._from_item(item) if item else None)
        return True, self._from_item(response["Attributes"])

    def release(self, source_key: str, token: str, *, forget: bool = False) -> None:
        """Give the lease back. With ``forget`` (the worker committed nothing to a record that
        had nothing), a record left with nothing but its key is deleted instead.

        Raises:
            LeaseLostError: the lease is no longer this worker's (it expired and was taken).
        """
        if forget:
            try:
                self._client.delete_item(
                    TableName=self.name, Key=self._key(source_key),
                    ConditionExpression=("lease_token = :t AND attribute_not_exists(#s) "
                                         "AND attribute_not_exists(page_keys)"),
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues=self._values({":t": token}))
                return
            except self._client.exceptions.ConditionalCheckFailedException:
                pass
        try:
            self._client.update_item(
                TableName=self.name, Key=self._key(source_key),
                UpdateExpression="REMOVE lease_token, lease_expires_ms",
                ConditionExpression="lease_token = :t",
                ExpressionAttributeValues=self._values({":t": token}))
        except self._client.exceptions.ConditionalCheckFailedException:
            raise LeaseLostError(f"the lease on {source_key} expired and was taken over") \
                from None

    # -- slug claims and the write-ahead page set ------------------------------------------

    def claim_page(self, source_key: str, token: str, page_key: str, *, listed: bool,
                   twins: tuple[str, ...] = (), slug: str | None = None) -> None:
        """Before writing ``page_key``: list it in the record's ``page_keys`` (write-ahead,
        unless ``listed`` already), then claim its slug (``attribute_not_exists(owner) OR
        owner = :me``). Two single-item conditional writes, in this order, so a crash between
        them leaves a listed page that was never written and whose slug is not owned, which
        the clean-up only unlists. ``twins`` (paired mode's AMP page of the same slug) are
        listed in the same write; one claim covers them all. ``slug``: the page's slug
        (default: read from ``page_key``).

        Raises:
            SlugConflictError: another source key owns the slug (its page is untouched).
            LeaseLostError: the lease on ``source_key`` is no longer this worker's.
            botocore.exceptions.ClientError: transient faults.
        """
        if not listed or twins:
            self._update(source_key, token, {},
                         add={"page_keys": {*([] if listed else [page_key]), *twins}})
        slug = slug or slug_of_page_key(page_key)
        try:
            self._client.put_item(
                TableName=self.name,
                Item=self._values({"source_key": claim_key(slug), "owner": source_key,
                                   "page_key": page_key, "record_type": "slug_claim",
                                   "claimed_at": now_iso()}),
                ConditionExpression="attribute_not_exists(#o) OR #o = :k",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues=self._values({":k": source_key}),
                ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except self._client.exceptions.ConditionalCheckFailedException as exc:
            owner = self._from_item(exc.response.get("Item") or {}).get("owner")
            raise SlugConflictError(
                f"slug {slug!r} is already published by {owner or 'another source'}; choose "
                "another slug (the other article's page is unchanged)", path="slug",
                key=source_key) from None

    def release_page(self, source_key: str, token: str, page_key: str, *, owned: bool,
                     pending: set[str] | None = None, slug: str | None = None) -> None:
        """After deleting ``page_key`` (when ``owned``: the caller checked the claim is this
        source's, and no other page of the slug stays), give up its slug claim, then unlist it
        from ``page_keys`` and add the ``pending`` invalidation entries of the delete, in the
        same request. ``slug``: the page's slug (default: read from ``page_key``).

        Raises:
            LeaseLostError: the lease on ``source_key`` is no longer this worker's.
        """
        if owned:
            # Already released, or never this source's: nothing to give up.
            with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
                self._client.delete_item(
                    TableName=self.name,
                    Key=self._key(claim_key(slug or slug_of_page_key(page_key))),
                    ConditionExpression="#o = :k", ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues=self._values({":k": source_key}))
        self._update(source_key, token, {}, delete={"page_keys": {page_key}},
                     add={"invalidation_pending": pending} if pending else None)

    # -- commits (all conditional on the lease) --------------------------------------------

    def _update(self, source_key: str, token: str, sets: dict[str, Any],
                removes: tuple[str, ...] = (), *, add: dict[str, Any] | None = None,
                delete: dict[str, Any] | None = None, release: bool = False) -> None:
        """One conditional ``UpdateItem`` on the record (condition: the lease is ``token``);
        with ``release`` it also gives the lease back."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {":lease": token}
        clauses: dict[str, list[str]] = {"SET": [], "REMOVE": [], "ADD": [], "DELETE": []}
        for i, (name, value) in enumerate(sets.items()):
            names[f"#s{i}"] = name
            values[f":s{i}"] = value
            clauses["SET"].append(f"#s{i} = :s{i}")
        drop = [name for name in removes if name not in sets]
        if release:
            drop += ["lease_token", "lease_expires_ms"]
        for j, name in enumerate(drop):
            names[f"#r{j}"] = name
            clauses["REMOVE"].append(f"#r{j}")
        for verb, changes in (("ADD", add), ("DELETE", delete)):
            for k, (name, value) in enumerate((changes or {}).items()):
                names[f"#{verb[0].lower()}{k}"] = name
                values[f":{verb[0].lower()}{k}"] = value
                clauses[verb].append(f"#{verb[0].lower()}{k} :{verb[0].lower()}{k}")
        expression = " ".join(f"{verb} {', '.join(parts)}" for verb, parts in clauses.items()
                              if parts)
        try:
            self._client.update_item(
                TableName=self.name, Key=self._key(source_key), UpdateExpression=expression,
                ConditionExpression="lease_token = :lease",
                ExpressionAttributeNames=names, ExpressionAttributeValues=self._values(values))
        except self._client.exceptions.ConditionalCheckFailedException:
            raise LeaseLostError(f"the lease on {source_key} was lost") from None

    def commit_published(self, source_key: str, token: str, fields: dict[str, Any], *,
                         release: bool = True, pending: set[str] | None = None) -> None:
        """Record a published page (``fields``: page_key, slug, source facts, ...) and, with
        ``release``, give the lease back in the same request. Clears ``error``; ``None``
        values remove the attribute; ``pending`` invalidation entries are added. Conditional
        on the lease."""
        sets = {k: v for k, v in fields.items() if v is not None}
        sets.update(status=STATUS_PUBLISHED, rendered_at=fields.get("rendered_at") or now_iso())
        removes = ("error", "deleted_at", "failed_at", "unpublished_at", "unpublished_reason",
                   *_SCHEDULE_FIELDS,
                   *(k for k, v in fields.items() if v is None))
        self._update(source_key, token, sets, removes, release=release,
                     add={"invalidation_pending": pending} if pending else None)

    def commit_failed(self, source_key: str, token: str, error: dict[str, Any],
                      facts: dict[str, Any], *, release: bool = True) -> None:
        """Record a permanent failure: status ``failed``, ``error`` (code, message, path and the
        source version it concerns). The published page and its facts are kept."""
        sets = {"status": STATUS_FAILED, "failed_at": now_iso(),
                "error": {k: v for k, v in error.items() if v is not None},
                **{k: v for k, v in facts.items() if v is not None}}
        self._update(source_key, token, sets, release=release)

    def commit_deleted(self, source_key: str, token: str, facts: dict[str, Any], *,
                       release: bool = True) -> None:
        """Record that the source is gone and its pages were removed."""
        sets = {"status": STATUS_DELETED, "deleted_at": now_iso(),
                **{k: v for k, v in facts.items() if v is not None}}
        self._update(source_key, token, sets, removes=(*_PAGE_FIELDS, *_SCHEDULE_FIELDS, "error"),
                     release=release)

    def invalidated(self, source_key: str, entries: set[str],
                    invalidation: dict[str, Any]) -> None:
        """After CloudFront accepted an invalidation covering ``entries``: remove exactly those
        ``invalidation_pending`` entries and record ``last_invalidation``. Not conditional on a
        lease (a set removal of entries unique to one write is safe at any time); a record that
        no longer exists is left alone."""
        if not entries:
            return
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.update_item(
                TableName=self.name, Key=self._key(source_key),
                UpdateExpression="SET last_invalidation = :inv DELETE invalidation_pending :e",
                ConditionExpression="attribute_exists(source_key)",
                ExpressionAttributeValues=self._values({":inv": invalidation, ":e": entries}))

    # -- collection items --------------------------------------------------------------------

    def put_item_record(self, source_key: str, path: str, fields: dict[str, Any]) -> None:
        """Write the item record of ``path`` in collection ``source_key`` (whole item
        replaced; ``None`` values left out). Only the worker holding the source's lease calls
        this, so it needs no condition of its own."""
        item = {k: v for k, v in fields.items() if v is not None}
        item.update(source_key=item_key(source_key, path), record_type="collection_item",
                    collection=source_key, item_path=path)
        self._client.put_item(TableName=self.name, Item=self._values(item))

    def delete_item_record(self, source_key: str, path: str) -> None:
        """Remove the item record of ``path`` (an item the collection no longer holds)."""
        self._client.delete_item(TableName=self.name, Key=self._key(item_key(source_key, path)))
    def commit_scheduled(self, source_key: str, token: str, scheduled_for: str,
                         schedule_name: str | None, facts: dict[str, Any], *,
                         release: bool = True) -> None:
        """Record an embargoed article: status ``scheduled``, ``scheduled_for`` (ISO 8601 UTC)
        and the schedule that delivers it; no page is listed as published."""
        sets = {"status": STATUS_SCHEDULED, "scheduled_for": scheduled_for,
                "schedule_name": schedule_name, **facts}
        sets = {k: v for k, v in sets.items() if v is not None}
        self._update(source_key, token, sets,
                     removes=(*_PAGE_FIELDS, "error", "unpublished_reason"), release=release)

    def commit_unpublished(self, source_key: str, token: str, reason: str,
                           facts: dict[str, Any], *, release: bool = True) -> None:
        """Record that the source exists but is not public (a draft, a private post) and its
        pages were taken down: status ``unpublished``, ``unpublished_reason``, the source facts
        it concerns."""
        sets = {"status": STATUS_UNPUBLISHED, "unpublished_at": now_iso(),
                "unpublished_reason": reason, **{k: v for k, v in facts.items() if v is not None}}
        self._update(source_key, token, sets, removes=(*_PAGE_FIELDS, *_SCHEDULE_FIELDS, "error"),
                     release=release)

    def note_sequencer(self, source_key: str, token: str, sequencer: str, *,
                       release: bool = True) -> None:
        """Record that the event with ``sequencer`` was fully processed (nothing else changed)."""
        self._update(source_key, token, {"sequencer": sequencer}, release=release)

    # -- listings (DESIGN §9) ----------------------------------------------------------------

    @staticmethod
    def listing_item_key(listing: str, source_key: str) -> str:
        """The partition key of ``source_key``'s item in ``listing``."""
        return f"{LISTING_PREFIX}{listing}#{source_key}"

    def begin_listings(self, source_key: str, token: str, names: set[str]) -> None:
        """Write-ahead before listing items are written: add ``names`` to the record's
        ``listings`` and drop ``listings_synced`` (so a crash before the commit is redone).
        Conditional on the lease.

        Raises:
            LeaseLostError: the lease on ``source_key`` is no longer this worker's.
        """
        self._update(source_key, token, {}, ("listings_synced",),
                     add={"listings": set(names)} if names else None)

    def put_listing_items(self, source_key: str, entry_item: dict[str, Any],
                          listings: dict[str, str]) -> None:
        """Write ``source_key``'s item in each of ``listings`` (``{name: term}``) holding
        ``entry_item`` (:meth:`IndexEntry.to_item`). Unconditional batch writes: the caller
        holds the source's lease."""
        from amp_publisher.core.siteoutputs.entries import order_key

        sort = order_key(entry_item["published"], entry_item["slug"])
        body = {k: v for k, v in entry_item.items() if k != "source_key"}
        requests = [{"PutRequest": {"Item": self._values({
            **body, "source_key": self.listing_item_key(name, source_key),
            "record_type": "listing", "listing": name, "listing_sort": sort, "term": term,
            "article_key": source_key})}} for name, term in sorted(listings.items())]
        self._batch_write(requests)

    def delete_listing_items(self, source_key: str, names: set[str]) -> None:
        """Delete ``source_key``'s items in ``names`` (idempotent)."""
        self._batch_write([{"DeleteRequest": {"Key": self._key(
            self.listing_item_key(name, source_key))}} for name in sorted(names)])

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        """``BatchWriteItem`` in chunks of 25 (its limit), resending unprocessed items with a
        short exponential backoff (AWS's advice for ``UnprocessedItems``)."""
        import time

        for start in range(0, len(requests), 25):
            pending = {self.name: requests[start:start + 25]}
            delay = 0.05
            for _ in range(8):
                response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            else:
                from amp_publisher.core.errors import TransientError

                raise TransientError("DynamoDB left listing writes unprocessed; retry")

    def count_listing(self, listing: str, before: str | None = None, *,
                      since: str | None = None) -> int:
        """How many entries ``listing`` has: all of them, or with ``before`` those whose order
        key sorts before it, or with ``since`` those whose order key is at least ``since``. A
        ``Select=COUNT`` query of ``listing-index``, paginated; DynamoDB reads (and bills) only
        the entries in that key range, so counting the newest few of a long listing is cheap.

        Raises:
            ValueError: both ``before`` and ``since``.
        """
        if before is not None and since is not None:
            raise ValueError("count_listing takes before or since, not both")
        bound = before if before is not None else since
        condition = "#l = :l" + ("" if bound is None
                                 else " AND #s < :b" if before is not None else " AND #s >= :b")
        values = {":l": listing, **({":b": bound} if bound is not None else {})}
        total = 0
        for page in self._client.get_paginator("query").paginate(
                TableName=self.name, IndexName=LISTING_INDEX, Select="COUNT",
                KeyConditionExpression=condition,
                ExpressionAttributeNames={"#l": "listing",
                                          **({"#s": "listing_sort"} if bound is not None
                                             else {})},
                ExpressionAttributeValues=self._values(values)):
            total += page.get("Count", 0)
        return total

    def newest_in_listing(self, listing: str, limit: int | None = None, *,
                          since: str | None = None) -> list[dict[str, Any]]:
        """The items of ``listing``, newest first: at most ``limit``, and with ``since`` only
        those whose order key is at least ``since``. Paginated queries of ``listing-index``."""
        return self._in_order(listing, ">=" if since is not None else None, since,
                              forward=False, limit=limit)

    def listing_around(self, listing: str, key: str, *, older: int, newer: int
                       ) -> list[dict[str, Any]]:
        """The ``older`` items of ``listing`` just before order key ``key`` and the ``newer``
        from ``key`` on, oldest first (fewer where the listing ends): two paginated queries
        of ``listing-index`` in key order, reading only those items. ``key`` ``""``: from the
        oldest (a key attribute cannot be compared with an empty string)."""
        before = (self._in_order(listing, "<", key, forward=False, limit=older)
                  if older > 0 and key else [])
        after = (self._in_order(listing, ">=" if key else None, key, forward=True, limit=newer)
                 if newer > 0 else [])
        return before[::-1] + after

    def _in_order(self, listing: str, compare: str | None, key: str | None, *, forward: bool,
                  limit: int | None) -> list[dict[str, Any]]:
        """Items of ``listing`` in order key order (``forward``: oldest first), only those
        whose order key ``compare``s (``"<"``, ``">="``) to ``key`` when ``compare`` is given;
        at most ``limit`` (``None``: all). Paginated queries of ``listing-index``, each asking
        for no more than is still wanted."""
        bounded = compare is not None
        kwargs: dict[str, Any] = {
            "TableName": self.name, "IndexName": LISTING_INDEX, "ScanIndexForward": forward,
            "KeyConditionExpression": "#l = :l" + (f" AND #s {compare} :k" if bounded else ""),
            "ExpressionAttributeNames": {"#l": "listing",
                                         **({"#s": "listing_sort"} if bounded else {})},
            "ExpressionAttributeValues": self._values(
                {":l": listing, **({":k": key} if bounded else {})})}
        items: list[dict[str, Any]] = []
        while limit is None or len(items) < limit:
            if limit is not None:
                kwargs["Limit"] = min(limit - len(items), 1000)
            response = self._client.query(**kwargs)
            items.extend(self._from_item(i) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return items

    def related_in_listing(self, listing: str, *, exclude: str, limit: int
                           ) -> list[dict[str, Any]]:
        """At most ``limit`` items of ``listing``, newest first, without the article whose
        source key is ``exclude``: one Query of ``listing-index`` (``Limit`` ``limit + 1``, so
        leaving the article itself out still leaves ``limit``), never paginated. The GSI is
        eventually consistent: an article published a moment ago may be missing.

        Raises:
            botocore ClientError, BotoCoreError: the query failed (the caller decides).
        """
        response = self._client.query(
            TableName=self.name, IndexName=LISTING_INDEX, ScanIndexForward=False,
            KeyConditionExpression="#l = :l", ExpressionAttributeNames={"#l": "listing"},
            ExpressionAttributeValues=self._values({":l": listing}), Limit=limit + 1)
        items = [self._from_item(i) for i in response.get("Items", [])]
        return [i for i in items if i.get("article_key") != exclude][:limit]

    def referrers_in_listing(self, listing: str, article_key: str) -> list[str]:
        """The source keys of the articles in ``listing`` whose page's related list links
        ``article_key`` (their listing item's ``related_keys`` holds it). One Query of
        ``listing-index`` with a ``FilterExpression``, paginated: it reads (and is billed
        for) the whole listing, and returns only the matches.

        Raises:
            botocore ClientError, BotoCoreError: the query failed (transient).
        """
        found: list[str] = []
        for page in self._client.get_paginator("query").paginate(
                TableName=self.name, IndexName=LISTING_INDEX,
                KeyConditionExpression="#l = :l",
                FilterExpression="contains(#r, :k)",
                ProjectionExpression="article_key",
                ExpressionAttributeNames={"#l": "listing", "#r": "related_keys"},
                ExpressionAttributeValues=self._values({":l": listing, ":k": article_key})):
            found.extend(self._from_item(i)["article_key"] for i in page.get("Items", []))
        return found

    def listing_paths(self, listing: str, source_keys: set[str]) -> dict[str, str]:
        """``{source key: path}`` of those of ``source_keys`` that have an item in ``listing``
        now: one strongly consistent ``BatchGetItem`` (at most 100 keys), unprocessed keys
        asked again.

        Raises:
            botocore ClientError: the read failed (transient).
        """
        found: dict[str, str] = {}
        keys = [self._key(self.listing_item_key(listing, k)) for k in sorted(source_keys)]
        request: dict[str, Any] = {self.name: {"Keys": keys, "ConsistentRead": True,
                                               "ProjectionExpression": "article_key, #p",
                                               "ExpressionAttributeNames": {"#p": "path"}}}
        while keys and request:
            response = self._client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self.name, []):
                item = self._from_item(item)
                found[item["article_key"]] = item.get("path", "")
            request = response.get("UnprocessedKeys") or {}
        return found

    def get_state(self, name: str) -> dict[str, Any] | None:
        """The index function's state item ``site#<name>``, or ``None``."""
        return self.get(f"{STATE_PREFIX}{name}")

    def put_state(self, name: str, values: dict[str, Any]) -> None:
        """Write the state item ``site#<name>`` (the index function runs one at a time, see
        template.yaml, so plain writes suffice)."""
        self._client.put_item(TableName=self.name, Item=self._values(
            {**values, "source_key": f"{STATE_PREFIX}{name}", "record_type": "index_state"}))

    def delete_state(self, name: str) -> None:
        """Delete the state item ``site#<name>`` (idempotent)."""
        self._client.delete_item(TableName=self.name, Key=self._key(f"{STATE_PREFIX}{name}"))

    # -- the rebuild item ------------------------------------------------------------------

    def put_rebuild(self, fields: dict[str, Any]) -> None:
        """Replace the rebuild progress item (``rebuild#latest``) with ``fields``."""
        item = {"source_key": REBUILD_KEY, **fields}
        self._client.put_item(TableName=self.name, Item=self._values(
            {k: _number(v) for k, v in item.items()}))

    def note_rebuild(self, rebuild_id: str, *, keys_sent: int = 0, done_at_start: int = 0,
                     enumerated: bool | None = None, swept: bool | None = None) -> None:
        """Add to the counters of rebuild ``rebuild_id`` (and mark its first pass or its sweep
        done); nothing when a newer rebuild replaced it."""
        values = {":sent": keys_sent, ":done": done_at_start, ":id": rebuild_id}
        names = {"#id": "id", "#sent": "keys_sent", "#done": "done_at_start"}
        sets = []
        for name, flag in (("enumerated", enumerated), ("swept", swept)):
            if flag is not None:
                sets.append(f"#{name} = :{name}")
                values[f":{name}"] = flag
                names[f"#{name}"] = name
        expression = (f"SET {', '.join(sets)} " if sets else "") + "ADD #sent :sent, #done :done"
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.update_item(
                TableName=self.name, Key=self._key(REBUILD_KEY), UpdateExpression=expression,
                ConditionExpression="#id = :id", ExpressionAttributeNames=names,
                ExpressionAttributeValues=self._values(values))

    def finish_rebuild(self, rebuild_id: str, fields: dict[str, Any]) -> bool:
        """Mark rebuild ``rebuild_id`` finished (``finished_at`` and ``fields``) unless it
        already is or a newer rebuild replaced it. Returns whether this call marked it."""
        fields = {"finished_at": time.time(), **fields}
        names = {"#id": "id", **{f"#{k}": k for k in fields}}
        values = {":id": rebuild_id, **{f":{k}": _number(v) for k, v in fields.items()}}
        try:
            self._client.update_item(
                TableName=self.name, Key=self._key(REBUILD_KEY),
                UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
                ConditionExpression="#id = :id AND attribute_not_exists(#finished_at)",
                ExpressionAttributeNames=names, ExpressionAttributeValues=self._values(values))
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True


def _number(value: Any) -> Any:
    """Floats as Decimal: the DynamoDB serializer refuses float."""
    from decimal import Decimal

    return Decimal(str(value)) if isinstance(value, float) else value
