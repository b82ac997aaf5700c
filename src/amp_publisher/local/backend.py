"""The embedded local backend: moto's server on loopback with the resources of ``template.yaml``.

No AWS account and no Docker: :class:`EmbeddedBackend` starts moto's threaded server on
``127.0.0.1`` (a free port), points boto3 at it through ``AWS_ENDPOINT_URL`` with dummy
credentials, and creates what the template creates, with the same names
(:func:`amp_publisher.local.resources.resource_names`): the versioned source bucket, the site
bucket, the manifest table (key ``source_key``, GSIs ``slug-index`` and ``listing-index``), the
failed-events queue, the site-index queue with its dead-letter queue, and the CloudFront
distribution in front of the site bucket (moto's CloudFront), so every page change is invalidated
here as in AWS (``DISTRIBUTION_ID`` is set for the function). SiteIndexFunction is not triggered
by moto: :meth:`EmbeddedBackend.drain_site_index` hands the queue's messages to its entry point
in batches, as Lambda's SQS poller would; it reads the same settings (``DISTRIBUTION_ID``
included), so the index outputs it changes are invalidated on the same distribution.

Example (what ``make demo`` and ``amp-render invoke`` do)::

    with EmbeddedBackend() as backend:
        backend.put_source("articles/a.json", data)     # + the real-shaped S3 event
        backend.invoke(backend.s3_event("ObjectCreated:Put", "articles/a.json"))
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from amp_publisher.local.resources import DEFAULT_ACCOUNT, ResourceNames, resource_names

__all__ = ["EmbeddedBackend", "LocalContext", "REGION", "create_resources", "create_distribution",
           "PortInUseError", "index_moto_dynamodb", "messages_to_come"]

#: The region the local backend pretends to be in (the sample events say the same).
REGION = "us-east-1"


@dataclass(frozen=True)
class LocalContext:
    """The parts of a Lambda context object Powertools reads (``inject_lambda_context``)."""

    function_name: str = "amp-publisher-RenderFunction-local"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = (f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT}:function:"
                                 "amp-publisher-RenderFunction-local")
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/amp-publisher-RenderFunction-local"

    def get_remaining_time_in_millis(self) -> int:
        """Lambda's API; the local runner has no deadline, so it answers the template's 30 s."""
        return 30_000


#: RenderQueue as template.yaml makes it: messages hidden 6 × the function's 30 s timeout while
#: a batch is rendered (AWS's advice for an SQS event source), and moved to the failed-events
#: queue after this many receives. ``tests/test_rebuild.py`` checks the template says the same.
RENDER_QUEUE_VISIBILITY_S = 180
RENDER_QUEUE_MAX_RECEIVES = 5


def create_resources(s3: Any, dynamodb: Any, sqs: Any, names: ResourceNames) -> str:
    """Create what template.yaml creates, with the same shapes: the versioned source bucket, the
    site bucket, the manifest table (key ``source_key``, GSIs ``slug-index`` and
    ``listing-index``, on demand), the failed-events queue, RenderQueue (its dead-letter queue:
    the failed-events queue) and (when ``names`` has one) the site-index queue with its
    dead-letter queue (redrive after 10 receives), through the given boto3 clients (the embedded
    backend's, or moto's in-process mock in tests). Idempotent. Returns the failed-events queue
    URL.

    The site-index queue has no ``DelaySeconds`` here (the template's 2 s wait for the GSI):
    moto's indexes are consistent at once."""
    for bucket in (names.source_bucket, names.site_bucket):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=names.source_bucket,
                             VersioningConfiguration={"Status": "Enabled"})
    if names.manifest_table not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName=names.manifest_table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "source_key", "AttributeType": "S"},
                                  {"AttributeName": "slug", "AttributeType": "S"},
                                  {"AttributeName": "listing", "AttributeType": "S"},
                                  {"AttributeName": "listing_sort", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "source_key", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "slug-index",
                "KeySchema": [{"AttributeName": "slug", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}, {
                "IndexName": "listing-index",
                "KeySchema": [{"AttributeName": "listing", "KeyType": "HASH"},
                              {"AttributeName": "listing_sort", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}}],
        )
    if names.site_index_queue:
        dlq = sqs.create_queue(QueueName=names.site_index_dlq)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sqs.create_queue(QueueName=names.site_index_queue, Attributes={
            "VisibilityTimeout": "360",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                         "maxReceiveCount": 10})})
    failed = sqs.create_queue(QueueName=names.failed_events_queue)["QueueUrl"]
    failed_arn = sqs.get_queue_attributes(QueueUrl=failed, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sqs.create_queue(QueueName=names.render_queue, Attributes={
        "VisibilityTimeout": str(RENDER_QUEUE_VISIBILITY_S),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": failed_arn,
                                     "maxReceiveCount": RENDER_QUEUE_MAX_RECEIVES})})
    return failed


#: The items moto's ``Table.all_items`` hands to the Query or Scan running on this thread
#: (``None``: every item, moto's own behaviour). See :func:`index_moto_dynamodb`.
_CANDIDATES = threading.local()


def index_moto_dynamodb() -> None:
    """Give moto's DynamoDB tables DynamoDB's cost model for Query and Scan. Idempotent.

    This is the stand-in's performance model, not product logic: results are moto's own. moto's
    ``Table.query`` (moto 5.x, ``moto/dynamodb/models/table.py``) starts every call from
    ``Table.all_items()``, which sorts *every* item of the table, and only then keeps the
    partition asked for; a paged ``Table.scan`` sorts the whole table again for each page and
    walks past every item before ``ExclusiveStartKey``. DynamoDB reads only the partition's
    items in sort order, and a Scan page starts at its key. With a site's listing items in the
    manifest (several per article) every Query then costs time in proportion to the whole
    table, so the site and rebuild benchmarks measured moto, not the publisher.

    The patch narrows what ``all_items()`` returns for the one call that asked, and nothing
    else: for a Query of a secondary index with hash-key conditions, the items whose
    attributes equal those conditions (one pass comparing plain values, no sort); for a Scan of
    the table after ``ExclusiveStartKey``, the items after that key (the table sorted once on
    the keys' plain values: the order moto's ``DynamoType`` comparison gives); and
    ``cast_value`` answers strings, binaries and booleans first. moto then does everything else
    as before (key conditions, sort order, ``Limit``, the 1 MB page, ``LastEvaluatedKey``,
    filters, projection), so a result can only differ if moto's own would.
    ``tests/test_moto_index.py`` compares both on random data.

    At a site's scale (10,000 articles are some 70,000 items) one pass over the table per Query
    still costs more than the publisher's own work, so a hash-key-only table keeps, from its
    first Query of a secondary index, its items grouped by the value of each index's hash key
    (:class:`_Partitions`), kept current by every write moto makes (``Table.put_item``,
    ``Table.delete_item``, and ``update_item``, which changes an item in place), and hands
    moto a partition's items already in index order, so moto's sort of them is one pass.
    Two of moto's costs per item read go too: an item's size (for the 1 MB page) is remembered
    until the item is written again, and a ``Select=COUNT`` Query, which answers only a number,
    counts moto's items without first deep-copying them.
    """
    from moto.dynamodb.models.table import Table

    if getattr(Table.all_items, "_amp_publisher", False):
        return
    moto_all_items, moto_query, moto_scan = Table.all_items, Table.query, Table.scan

    def all_items(self: Any) -> list[Any]:
        narrow = getattr(_CANDIDATES, "narrow", None)
        if narrow is None:
            return moto_all_items(self)
        _CANDIDATES.narrow = None  # one call only: moto calls it once per Query or Scan
        return narrow(self)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[7] if len(args) > 7 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions")
        if not (index_name and conditions):
            return moto_query(self, *args, **kwargs)
        # moto's test is DynamoType equality: same type and same cast value. For strings and
        # binaries the cast value is the value itself, so compare that (no property call).
        wanted = [(name, value.type, value.value if value.type in ("S", "B") else None,
                   value.cast_value) for name, value in conditions]

        def partition(table: Any) -> list[Any]:
            found = []
            grouped = _Partitions.of(table)
            candidates = grouped.candidates(conditions) if grouped else None
            for item in (_every_item(table) if candidates is None else candidates):
                for name, kind, plain, value in wanted:
                    attr = item.attrs.get(name)
                    if (attr is None or attr.type != kind
                            or (attr.value != plain if plain is not None
                                else attr.cast_value != value)):
                        break
                else:
                    found.append(item)
            return _index_order(table, index_name, found)

        return _narrowed(partition, moto_query, self, *args, **kwargs)

    def scan(self: Any, filters: Any, limit: Any, exclusive_start_key: Any, *args: Any,
             **kwargs: Any) -> Any:
        index_name = args[1] if len(args) > 1 else kwargs.get("index_name")
        segments = args[4] if len(args) > 4 else kwargs.get("segments", (None, None))
        if (exclusive_start_key is None or index_name or self.range_key_attr
                or tuple(segments or (None, None)) != (None, None)
                or self.hash_key_attr not in exclusive_start_key):
            return moto_scan(self, filters, limit, exclusive_start_key, *args, **kwargs)
        from moto.dynamodb.models.dynamo_type import DynamoType

        start = DynamoType(exclusive_start_key[self.hash_key_attr]).cast_value

        def after_start(table: Any) -> list[Any]:
            items = sorted(_every_item(table), key=lambda item: item.hash_key.cast_value)
            keys = [item.hash_key.cast_value for item in items]
            return items[bisect.bisect_right(keys, start):]

        return _narrowed(after_start, moto_scan, self, filters, limit, exclusive_start_key,
                         *args, **kwargs)

    from moto.dynamodb.models.dynamo_type import DynamoType

    moto_cast_value = DynamoType.cast_value

    def cast_value(self: Any) -> Any:
        # moto's property tries number, set, list, map and null before it returns the value
        # of a string, binary or boolean as it is; sorting and comparing keys call it for
        # every item, so answer those three first (the same value).
        if self.type in ("S", "B", "BOOL"):
            return self.value
        return moto_cast_value.fget(self)

    from moto.dynamodb.models import DynamoDBBackend

    moto_put_item, moto_delete_item = Table.put_item, Table.delete_item
    moto_update_item = DynamoDBBackend.update_item

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = moto_put_item(self, *args, **kwargs)
        _Partitions.changed(self, item.hash_key)
        return item

    def delete_item(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return moto_delete_item(self, hash_key, *args, **kwargs)
        finally:
            _Partitions.changed(self, hash_key)

    def update_item(self: Any, table_name: str, key: Any, *args: Any, **kwargs: Any) -> Any:
        table = self.tables.get(table_name)
        hash_key = (DynamoType(key[table.hash_key_attr]) if table is not None
                    and isinstance(key, dict) and table.hash_key_attr in key else None)
        if hash_key is not None and not table.range_key_attr:
            old = table.items.get(hash_key)
            if old is not None:  # changed in place: its remembered size goes
                old.__dict__.pop("_amp_size", None)
        try:
            return moto_update_item(self, table_name, key, *args, **kwargs)
        finally:  # in place, or not at all if a condition failed: look at the item again
            if hash_key is not None:
                _Partitions.changed(table, hash_key)

    from moto.dynamodb.models.dynamo_type import Item

    moto_size = Item.size

    def size(self: Any) -> int:
        remembered = self.__dict__.get("_amp_size")
        if remembered is None:
            remembered = self.__dict__["_amp_size"] = moto_size(self)
        return remembered

    from moto.dynamodb import responses as moto_responses
    from moto.dynamodb.models import table as moto_table

    moto_handler_query = moto_responses.DynamoHandler.query

    def handler_query(self: Any) -> Any:
        _CANDIDATES.count_only = self.body.get("Select") == "COUNT"
        try:
            return moto_handler_query(self)
        finally:
            _CANDIDATES.count_only = False


    all_items._amp_publisher = True  # type: ignore[attr-defined]
    #: moto's own methods, for the test that compares the two
    patches = [(Table, "all_items", all_items), (Table, "query", query), (Table, "scan", scan),
               (Table, "put_item", put_item), (Table, "delete_item", delete_item),
               (DynamoDBBackend, "update_item", update_item),
               (DynamoType, "cast_value", property(cast_value)), (Item, "size", size),
               (moto_responses.DynamoHandler, "query", handler_query),
               (moto_table, "copy", _CountOnlyCopy(moto_table.copy))]
    #: (owner, name, moto's own): for the test that compares the two
    all_items.moto = [(owner, name, owner.__dict__[name])  # type: ignore[attr-defined]
                      for owner, name, _ in patches]
    for owner, name, patched in patches:
        setattr(owner, name, patched)


class _CountOnlyCopy:
    """moto's table module's ``copy``, except that ``deepcopy`` hands a ``Select=COUNT``
    Query's results back as they are: moto copies them only to return their attributes, and
    the handler then takes only their number."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if getattr(_CANDIDATES, "count_only", False) and isinstance(value, list):
            return list(value)
        return self._module.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


class _Partitions:
    """A hash-key-only moto table's items grouped by the value of each secondary index's hash
    key: ``{attribute: {DynamoType value: {table hash key: Item}}}``, and what each item was
    filed under. Built by one pass over the table on its first Query, then kept current by
    :meth:`changed` after every write; rebuilt if moto replaced the table's storage."""

    def __init__(self, table: Any) -> None:
        self.storage = table.items
        self.attributes = sorted({key["AttributeName"]
                                  for index in table.indexes + table.global_indexes
                                  for key in index.schema if key["KeyType"] == "HASH"})
        self.groups: dict[str, dict[Any, dict[Any, Any]]] = {a: {} for a in self.attributes}
        self.filed: dict[Any, list[tuple[str, Any]]] = {}
        for item in table.items.values():
            self._file(item.hash_key, item)

    @classmethod
    def of(cls, table: Any) -> _Partitions | None:
        """The table's partitions (built now if need be); ``None`` for a table with a range key
        (the embedded backend's tables have none; moto's own pass serves them)."""
        if table.range_key_attr:
            return None
        grouped = table.__dict__.get("_amp_partitions")
        if grouped is None or grouped.storage is not table.items:
            grouped = table.__dict__["_amp_partitions"] = cls(table)
        return grouped

    @classmethod
    def changed(cls, table: Any, hash_key: Any) -> None:
        """The item under ``hash_key`` was written, updated or deleted: file it again."""
        grouped = table.__dict__.get("_amp_partitions")
        if grouped is None or grouped.storage is not table.items:
            return  # not built yet, or stale: built afresh on the next Query
        for attribute, value in grouped.filed.pop(hash_key, ()):
            group = grouped.groups[attribute].get(value)
            if group is not None:
                group.pop(hash_key, None)
                if not group:
                    del grouped.groups[attribute][value]
        item = table.items.get(hash_key)
        if item is not None:
            grouped._file(hash_key, item)

    def _file(self, hash_key: Any, item: Any) -> None:
        filed = []
        for attribute in self.attributes:
            value = item.attrs.get(attribute)
            if value is None:
                continue
            try:
                self.groups[attribute].setdefault(value, {})[hash_key] = item
            except TypeError:  # a list, map or set: equal to no index key; never a candidate
                continue
            filed.append((attribute, value))
        if filed:
            self.filed[hash_key] = filed

    def candidates(self, conditions: Any) -> list[Any] | None:
        """The items that may meet hash-key ``conditions`` (``[(attribute, DynamoType)]``): the
        smallest group among the conditions' attributes; ``None`` if no condition is on an
        attribute grouped here (every item is a candidate then)."""
        found = None
        for name, value in conditions:
            if name in self.groups:
                try:
                    group = self.groups[name].get(value, {})
                except TypeError:
                    group = {}
                if found is None or len(group) < len(found):
                    found = group
        return None if found is None else list(found.values())


def _index_order(table: Any, index_name: str, items: list[Any]) -> list[Any]:
    """``items`` in the order moto sorts a Query of ``index_name`` by (the index's keys, then
    the table's, compared as moto's ``DynamoType`` compares: by ``cast_value``), so that its own
    sort finds them in order. Unchanged if a key is missing or its values do not compare."""
    index = next((i for i in table.indexes + table.global_indexes if i.name == index_name), None)
    if index is None:
        return items
    hash_attrs = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    range_attrs = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    names = table._generate_attr_to_sort_by([*hash_attrs, table.hash_key_attr],
                                            [*(range_attrs or [None]), table.range_key_attr])
    try:
        return sorted(items, key=lambda item: tuple(item.attrs[n].cast_value for n in names))
    except (KeyError, TypeError):
        return items


def _every_item(table: Any) -> list[Any]:
    """Every item of a moto table, unsorted (its hash-only or hash-and-range storage)."""
    if table.range_key_attr:
        return [item for by_range in table.items.values() for item in by_range.values()]
    return list(table.items.values())


def _narrowed(narrow: Any, call: Any, *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)`` with ``Table.all_items`` answering ``narrow(table)`` once."""
    _CANDIDATES.narrow = narrow
    try:
        return call(*args, **kwargs)
    finally:
        _CANDIDATES.narrow = None


class PortInUseError(OSError):
    """The embedded backend's TCP port on 127.0.0.1 is taken by another process."""


def _check_port(port: int) -> None:
    """Raise :class:`PortInUseError` when 127.0.0.1:``port`` cannot be bound (bound the way
    werkzeug binds it, with ``SO_REUSEADDR``)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise PortInUseError(exc.errno, f"127.0.0.1:{port} is in use by another process "
                                 f"({exc.strerror})") from None


def _moto_server(port: int) -> Any:
    """moto's ``ThreadedMotoServer`` on 127.0.0.1:``port`` whose ``start()`` returns when the
    socket cannot be bound: moto's own waits for a ready signal its thread never sends when
    binding fails (werkzeug exits that thread), so a port taken between :func:`_check_port`
    and the bind would hang the caller forever.

    moto's dispatcher also lists its own package folder, a ``stat`` per entry, on every
    request to tell a service name from a host name (some 3 ms a request); the folder does not
    change while the server runs, so the list is read once."""
    from moto import backends
    from moto.server import ThreadedMotoServer

    if not hasattr(backends.list_of_moto_modules, "cache_info"):
        backends.list_of_moto_modules = functools.cache(  # type: ignore[assignment]
            lambda list_modules=backends.list_of_moto_modules: tuple(list_modules()))

    class _Server(ThreadedMotoServer):
        bind_error: BaseException | None = None

        def _server_entry(self) -> None:
            from moto.moto_server import threaded_moto_server

            class _KeepAlive(threaded_moto_server.MotoRequestHandler):
                # HTTP/1.1: a client's connection serves its next request, as AWS endpoints
                # do; moto's HTTP/1.0 default opened a TCP connection per request.
                protocol_version = "HTTP/1.1"

            threaded_moto_server.MotoRequestHandler = _KeepAlive
            try:
                super()._server_entry()
            except (OSError, SystemExit) as exc:
                if self._server is not None:  # bound, then failed while serving: moto's case
                    raise
                self.bind_error = exc
                self._server_ready_event.set()

    return _Server(ip_address="127.0.0.1", port=port, verbose=False)


class _SerialisedDynamoDB:
    """WSGI middleware around moto's server app: one DynamoDB request at a time.

    DynamoDB is a service: in AWS, concurrent requests to a table never see each other half
    done. moto's DynamoDB keeps each table in plain dicts that a Query or Scan iterates (and
    sorts) while the server's other request threads may write them, so a PutItem arriving in
    the middle made the Query fail with ``RuntimeError: dictionary changed size during
    iteration`` (a 500 the caller sees as ``InternalServerError``). The local rebuild workers
    and the index function query and write the manifest at the same time, so every DynamoDB
    request (the JSON protocol's ``X-Amz-Target: DynamoDB_20120810.*``, Streams included) runs
    under one lock, its response body read inside it; S3, SQS and the rest run concurrently.

    Args:
        app: the WSGI application to wrap (moto's ``DomainDispatcherApplication``).
    """

    def __init__(self, app: Any) -> None:
        import threading

        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self.app(environ, start_response)
        with self.lock:
            response = self.app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                if hasattr(response, "close"):
                    response.close()


def create_distribution(cloudfront: Any, names: ResourceNames) -> str:
    """Create the template's distribution (origin: the site bucket, default root object
    ``index.html``, managed CachingOptimized policy) unless one with this origin exists.
    Idempotent. Returns its id (``DISTRIBUTION_ID``)."""
    origin = f"{names.site_bucket}.s3.{REGION}.amazonaws.com"
    listing = cloudfront.list_distributions().get("DistributionList", {})
    for item in listing.get("Items") or ():
        if any(o["DomainName"] == origin for o in item["Origins"].get("Items", ())):
            return item["Id"]
    response = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": names.site_bucket,
        "Comment": f"{names.site_bucket} AMP pages",
        "Enabled": True,
        "DefaultRootObject": "index.html",
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "SiteBucketOrigin", "DomainName": origin,
            "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "SiteBucketOrigin", "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6", "Compress": True},
    })
    return response["Distribution"]["Id"]


def deliver_due_schedules(embargo_scheduler: Any, now: str,
                          invoke: Any) -> list[dict[str, Any]]:
    """What EventBridge Scheduler does at ``now`` (ISO 8601 UTC, ``...Z``), which moto does not
    do: every embargo schedule due by then is invoked with its event (``invoke(event)``, the
    function's entry point) and deleted (``ActionAfterCompletion: DELETE``). Returns the events
    delivered, in time order."""
    delivered = []
    for scheduled in embargo_scheduler.pending():
        if scheduled.at and scheduled.at <= now:
            invoke(scheduled.event)  # publishing cancels the schedule itself
            embargo_scheduler.cancel_by_name(scheduled.name)
            delivered.append(scheduled.event)
    return delivered


def messages_to_come(sqs: Any, queue_url: str) -> bool:
    """Whether an SQS queue that a receive just found empty still has messages to deliver:
    visible ones or ones still delayed (``DelaySeconds``), by the approximate counts. Visible
    ones count too: a message whose delay ends between the empty receive and this look is
    counted visible, not delayed, and a drain that stopped then would leave it behind."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"])["Attributes"]
    return any(int(v) > 0 for v in attributes.values())


class EmbeddedBackend:
    """moto's server on loopback plus the template's resources.

    Args:
        stack: stack name the resource names derive from (default ``amp-publisher``).
        port: TCP port on 127.0.0.1 (0 = a free port).
        environ: the environment to point at the backend (default ``os.environ``: the handler
            and the CLI read their settings from it, exactly as in Lambda).
        page_mode: the functions' ``PAGE_MODE`` (the template's ``PageMode``): ``amp`` or
            ``paired`` (DESIGN §9).

    Raises:
        ValueError: an unknown ``page_mode``.
    """

    def __init__(self, stack: str = "amp-publisher", port: int = 0,
                 environ: dict[str, str] | None = None, page_mode: str = "amp") -> None:
        from amp_publisher.core.site import PAGE_MODES

        if page_mode not in PAGE_MODES:
            raise ValueError(f"page_mode must be one of {', '.join(PAGE_MODES)}, not "
                             f"{page_mode!r}")
        self.page_mode = page_mode
        self.names: ResourceNames = resource_names(stack)
        self._port = port
        self._environ = os.environ if environ is None else environ
        self._saved: dict[str, str | None] = {}
        self._server: Any = None
        self._sequence = itertools.count(1)
        self.endpoint_url = ""
        self.distribution_id = ""
        #: The template's EmbargoScheduleGroup (``<stack>-embargo``).
        self.schedule_group = f"{stack}-embargo"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> EmbeddedBackend:
        """Start the server, point boto3 at it, create the resources. Returns ``self``.

        Raises:
            PortInUseError: the fixed port asked for is taken.
        """
        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log lines
        if self._port:
            _check_port(self._port)
        index_moto_dynamodb()
        server = _moto_server(self._port)
        server.start()
        if server.bind_error is not None:
            raise PortInUseError(f"127.0.0.1:{self._port} could not be bound")
        # Before anyone knows the port: werkzeug reads ``server.app`` for every request.
        server._server.app = _SerialisedDynamoDB(server._server.app)
        # Connections kept alive hold their threads: stopping must not wait for clients.
        server._server.daemon_threads, server._server.block_on_close = True, False
        self._server = server
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self.reset()
        self._set_env(self.function_environment() | {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        })
        self._reset_clients()
        self.create_resources()
        return self

    def reset(self) -> None:
        """Empty the backend. moto keeps its state per process, not per server, so a second
        backend in one process (tests, a notebook) would otherwise see the first one's objects."""
        import urllib.request

        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()

    def stop(self) -> None:
        """Stop the server and restore the environment."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        for name, value in self._saved.items():
            if value is None:
                self._environ.pop(name, None)
            else:
                self._environ[name] = value
        self._saved.clear()
        self._reset_clients()

    def __enter__(self) -> EmbeddedBackend:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _set_env(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self._saved.setdefault(name, self._environ.get(name))
            self._environ[name] = value

    @staticmethod
    def _reset_clients() -> None:
        """Forget process-wide clients and publishers made for another endpoint."""
        from amp_publisher.aws import handler, site_index, storage

        storage.client.cache_clear()
        handler._publisher.cache_clear()
        site_index._indexer.cache_clear()

    def client(self, service: str) -> Any:
        """A boto3 client on this backend (the same lazily created one the function uses)."""
        from amp_publisher.aws import storage

        return storage.client(service)

    # -- the template's resources ----------------------------------------------------------

    def function_environment(self) -> dict[str, str]:
        """The function's environment variables as template.yaml sets them, for this backend."""
        from amp_publisher.aws.config import DEFAULT_AMP_TRANSFORM

        return {
            "SITE_BUCKET": self.names.site_bucket,
            "MANIFEST_TABLE": self.names.manifest_table,
            "FAILED_EVENTS_QUEUE_URL": self.queue_url if self._server else "",
            "SITE_INDEX_QUEUE_URL": self.site_index_queue_url if self._server else "",
            "RENDER_QUEUE_URL": self.render_queue_url if self._server else "",
            "SOURCE_BUCKET": self.names.source_bucket,
            "DISTRIBUTION_ID": self.distribution_id,
            "ERROR_PAGE_KEY": "404.html",
            "SCHEDULER_GROUP": self.schedule_group,
            "SCHEDULER_ROLE_ARN": f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/{self.schedule_group}",
            "SCHEDULE_TARGET_ARN": LocalContext.invoked_function_arn,
            "SOURCE_PREFIX": "articles/",
            "SOURCE_SUFFIX": ".json",
            "ACCEPT_HTML_PAGES": "false",
            # the template's AmpTransform parameter: the caller's AMP_TRANSFORM, else its default
            "AMP_TRANSFORM": (self._environ.get("AMP_TRANSFORM")
                              or ("on" if DEFAULT_AMP_TRANSFORM else "off")),
            "SITE_CONFIG_KEY": "config/site.json",
            "PAGE_MODE": self.page_mode,
            "POWERTOOLS_SERVICE_NAME": "amp-publisher",
            "POWERTOOLS_METRICS_NAMESPACE": "AmpPublisher",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "PYDANTIC_DISABLE_PLUGINS": "__all__",
        }

    @property
    def queue_url(self) -> str:
        """The failed-events queue URL on this backend."""
        return (f"{self.endpoint_url}/{DEFAULT_ACCOUNT}/{self.names.failed_events_queue}")

    @property
    def site_index_queue_url(self) -> str:
        """The site-index queue URL on this backend."""
        return f"{self.endpoint_url}/{DEFAULT_ACCOUNT}/{self.names.site_index_queue}"

    @property
    def render_queue_url(self) -> str:
        """RenderQueue's URL on this backend."""
        return f"{self.endpoint_url}/{DEFAULT_ACCOUNT}/{self.names.render_queue}"

    def create_resources(self) -> None:
        """Create the buckets, table, queue and distribution (idempotent)."""
        url = create_resources(self.client("s3"), self.client("dynamodb"), self.client("sqs"),
                               self.names)
        render = self.client("sqs").get_queue_url(QueueName=self.names.render_queue)["QueueUrl"]
        self.distribution_id = create_distribution(self.client("cloudfront"), self.names)
        scheduler = self.client("scheduler")
        groups = {g["Name"] for g in scheduler.list_schedule_groups().get("ScheduleGroups", [])}
        if self.schedule_group not in groups:
            scheduler.create_schedule_group(Name=self.schedule_group)
        if self.names.news_sitemap_schedule and self.names.site_index_queue:
            self._create_news_sitemap_schedule(scheduler)
        self._set_env({"FAILED_EVENTS_QUEUE_URL": url, "RENDER_QUEUE_URL": render,
                       "DISTRIBUTION_ID": self.distribution_id})
        self._reset_clients()  # the handler's publisher reads DISTRIBUTION_ID

    def _create_news_sitemap_schedule(self, scheduler: Any) -> None:
        """The template's NewsSitemapSchedule: every hour (its default ``NewsSitemapRefresh``),
        ``{"news": true}`` to SiteIndexQueue, sent with NewsSitemapSchedulerRole."""
        name = self.names.news_sitemap_schedule
        existing = {s["Name"] for s in scheduler.list_schedules().get("Schedules", [])}
        if name in existing:
            return
        queue_arn = self.client("sqs").get_queue_attributes(
            QueueUrl=self.site_index_queue_url, AttributeNames=["QueueArn"],
        )["Attributes"]["QueueArn"]
        scheduler.create_schedule(
            Name=name, ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": queue_arn, "RoleArn": f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/{name}",
                    "Input": json.dumps({"news": True, "schedule": "news-sitemap"}),
                    "RetryPolicy": {"MaximumRetryAttempts": 3}})

    def deliver_recurring_schedule(self, name: str) -> dict[str, Any]:
        """Send what the recurring schedule ``name`` sends at each of its times, as EventBridge
        Scheduler would (moto keeps schedules but never runs them): its target's ``Input`` as
        one message to the SQS queue its target's ``Arn`` names. Returns the message body.

        Raises:
            ValueError: the schedule's target is not an SQS queue of this backend.
            botocore.exceptions.ClientError: no schedule ``name``.
        """
        target = self.client("scheduler").get_schedule(Name=name)["Target"]
        arn = target["Arn"]
        if not arn.startswith("arn:aws:sqs:"):
            raise ValueError(f"schedule {name!r} targets {arn!r}, not an SQS queue")
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=target["Input"])
        return json.loads(target["Input"])

    def deliver_due_schedules(self, now: str) -> list[dict[str, Any]]:
        """Deliver the embargo schedules due at ``now`` (ISO 8601 UTC ``...Z``) to the function,
        as EventBridge Scheduler would (:func:`deliver_due_schedules`)."""
        from amp_publisher.aws.scheduler import EmbargoScheduler

        scheduler = EmbargoScheduler(self.schedule_group, LocalContext.invoked_function_arn,
                                     f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/{self.schedule_group}",
                                     scheduler=self.client("scheduler"))
        return deliver_due_schedules(scheduler, now, self.invoke)

    def put_items_directly(self, table_name: str, items: Any) -> int:
        """Write DynamoDB items (attribute-value maps, ``{"S": ...}``) straight into the embedded
        table through moto's Python API, without HTTP or request parsing: for seeding a large
        generated table (benchmarks), never for what the functions do. Unconditional, like
        ``BatchWriteItem``. Returns how many were written.

        Raises:
            moto's validation errors: an item without the table's key or with a wrong key type.
        """
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table_name)
        written = 0
        for item in items:
            table.put_item(item)
            written += 1
        return written

    def invalidations(self) -> list[dict[str, Any]]:
        """Every invalidation of the distribution, oldest first: ``Id``, ``CreateTime`` and
        ``InvalidationBatch`` (its ``Paths``), as ``GetInvalidation`` answers."""
        cloudfront = self.client("cloudfront")
        items = cloudfront.list_invalidations(
            DistributionId=self.distribution_id)["InvalidationList"].get("Items") or []
        found = [cloudfront.get_invalidation(DistributionId=self.distribution_id,
                                             Id=item["Id"])["Invalidation"] for item in items]
        return sorted(found, key=lambda i: i["CreateTime"])

    # -- what S3 and Lambda would do -------------------------------------------------------

    def put_source(self, key: str, body: bytes) -> dict[str, Any]:
        """Upload a source object; returns the real-shaped ``ObjectCreated:Put`` S3 event."""
        response = self.client("s3").put_object(Bucket=self.names.source_bucket, Key=key,
                                                Body=body, ContentType="application/json")
        return self.s3_event("ObjectCreated:Put", key, size=len(body),
                             etag=response["ETag"].strip('"'),
                             version_id=response.get("VersionId"))

    def delete_source(self, key: str) -> dict[str, Any]:
        """Delete a source object (a delete marker, the bucket is versioned); returns the
        ``ObjectRemoved:DeleteMarkerCreated`` event S3 sends for it."""
        response = self.client("s3").delete_object(Bucket=self.names.source_bucket, Key=key)
        return self.s3_event("ObjectRemoved:DeleteMarkerCreated", key,
                             version_id=response.get("VersionId"))

    def s3_event(self, event_name: str, key: str, *, size: int | None = None,
                 etag: str | None = None, version_id: str | None = None) -> dict[str, Any]:
        """An S3 event notification with every field S3 sends (the AWS documentation's
        "Event message structure", version 2.1); the key URL-encoded as S3 encodes it, and a
        sequencer that grows with each event of this backend, as S3's does per key."""
        obj: dict[str, Any] = {"key": quote_plus(key, safe="/"),
                               "sequencer": f"{time.time_ns():016X}{next(self._sequence):04X}"}
        if event_name.startswith("ObjectCreated"):
            obj = {"key": obj["key"], "size": size or 0, "eTag": etag or "",
                   **({"versionId": version_id} if version_id else {}),
                   "sequencer": obj["sequencer"]}
        elif version_id:
            obj = {"key": obj["key"], "versionId": version_id, "sequencer": obj["sequencer"]}
        bucket = self.names.source_bucket
        return {"Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": REGION,
            "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "eventName": event_name,
            "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                                 "x-amz-id-2": uuid.uuid4().hex},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "RenderFunctionArticles",
                "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                           "arn": f"arn:aws:s3:::{bucket}"},
                "object": obj,
            },
        }]}

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """Hand ``event`` to the Lambda entry point, as Lambda would (same code path)."""
        from amp_publisher.aws.handler import lambda_handler

        return lambda_handler(event, LocalContext(aws_request_id=str(uuid.uuid4())))

    def drain_site_index(self, *, batch_size: int = 1000,
                         remaining_ms: Any = None) -> list[Any]:
        """Deliver the site-index queue to SiteIndexFunction's entry point until it is empty, as
        Lambda's SQS poller does: batches of up to ``batch_size`` messages (the template's
        ``BatchSize``), messages reported in ``batchItemFailures`` left for a later receive,
        the rest deleted. Returns each batch's
        :class:`~amp_publisher.aws.site_index.RebuildReport`.

        ``remaining_ms``: a factory called once per batch, returning that invocation's
        ``get_remaining_time_in_millis``; ``None``: no deadline (the local runner has none).

        Raises:
            RuntimeError: messages keep failing (20 rounds without emptying the queue).
        """
        from amp_publisher.aws.site_index import handle_batch

        sqs = self.client("sqs")
        url = self.site_index_queue_url
        reports = []
        for _ in range(20):
            messages: list[dict[str, Any]] = []
            while len(messages) < batch_size:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                          VisibilityTimeout=60,
                                          AttributeNames=["All"]).get("Messages", [])
                if not got:
                    break
                messages.extend(got)
            if not messages:
                return reports
            seen = {m["MessageId"]: m for m in messages}
            event = {"Records": [_sqs_record(m, url) for m in seen.values()]}
            result = handle_batch(event, remaining_ms=remaining_ms() if remaining_ms else None)
            failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
            done = [m for i, m in seen.items() if i not in failed]
            for start in range(0, len(done), 10):
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(done[start:start + 10])])
            if failed:  # back to the queue at once (Lambda waits for the visibility timeout)
                for start in range(0, len(failed), 10):
                    sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
                        {"Id": str(n), "ReceiptHandle": seen[i]["ReceiptHandle"],
                         "VisibilityTimeout": 0}
                        for n, i in enumerate(sorted(failed)[start:start + 10])])
            reports.append(result["report"])
        raise RuntimeError("the site-index queue did not empty: messages keep failing")
    def drain_render_queue(self, *, rounds: int = 20) -> int:
        """Deliver RenderQueue to the render function's entry point until it is empty, as
        Lambda's SQS poller does (messages ten at a time; delays are not waited for: every
        message is taken at once). Returns how many messages were handled.

        Raises:
            RuntimeError: the queue did not empty in ``rounds`` rounds (messages keep failing
                or keep causing more).
        """
        sqs = self.client("sqs")
        url = self.render_queue_url
        handled = 0
        for _ in range(rounds):
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                      WaitTimeSeconds=0, AttributeNames=["All"]
                                      ).get("Messages", [])
            if not got and not messages_to_come(sqs, url):
                return handled
            if not got:
                import time

                time.sleep(0.5)  # delayed messages (DelaySeconds) become visible shortly
                continue
            result = self.invoke({"Records": [_sqs_record(m, url) for m in got]})
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            done = [m for m in got if m["MessageId"] not in failed]
            if done:
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(done)])
            for m in got:
                if m["MessageId"] in failed:
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                                  VisibilityTimeout=0)
            handled += len(done)
        raise RuntimeError("RenderQueue did not empty: messages keep failing")

    def upload_static(self, folder: Path) -> list[str]:
        """Put every file under ``folder`` into the site bucket at the same relative key (the
        demo's ``events/static/`` → ``static/...``: the logo and images its pages show), with
        its ``Content-Type`` (:func:`~amp_publisher.core.siteoutputs.outputs.content_type_of`).
        Returns the keys; none when the folder does not exist."""
        from amp_publisher.core.siteoutputs.outputs import content_type_of

        s3 = self.client("s3")
        keys = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else ():
            key = path.relative_to(folder.parent).as_posix()
            s3.put_object(Bucket=self.names.site_bucket, Key=key, Body=path.read_bytes(),
                          ContentType=content_type_of(key))
            keys.append(key)
        return keys

    def mirror_site(self, destination: Path) -> list[str]:
        """Copy the site bucket into ``destination`` (removing pages no longer there).

        Returns the page keys copied.
        """
        s3 = self.client("s3")
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.names.site_bucket):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        destination.mkdir(parents=True, exist_ok=True)
        wanted = {destination / key for key in keys}
        for existing in destination.rglob("*"):
            if existing.is_file() and existing not in wanted:
                existing.unlink()
        for key in keys:
            target = destination / key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=self.names.site_bucket, Key=key)["Body"].read())
        for folder in sorted(destination.rglob("*"), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        return keys


def _sqs_record(message: dict[str, Any], queue_url: str) -> dict[str, Any]:
    """An SQS message as Lambda's SQS event source hands it to the function."""
    name = queue_url.rsplit("/", 1)[-1]
    return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"], "attributes": message.get("Attributes", {}),
            "messageAttributes": {}, "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT}:{name}",
            "awsRegion": REGION}
