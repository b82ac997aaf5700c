"""S3 I/O at the edge: reading source objects and writing/deleting pages (DESIGN §1, §5, §6).

boto3 clients are created lazily, on first use (or by the handler's init, see
:func:`amp_publisher.aws.handler.prime`), never at import, and reused for the life of the
container. All of them come from one boto3 session: a session loads botocore's service models,
endpoints and credentials once, so the second and later clients cost a fraction of the first
(a session per client loaded them again: about 40 ms of CPU per client on a cold start). They use
botocore's ``standard`` retry mode with bounded attempts; errors that are left after the retries
propagate as transient faults (Lambda retries the event). The endpoint comes from boto3's own
``AWS_ENDPOINT_URL`` setting, which the embedded local backend sets.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from amp_publisher.core.errors import ObjectTooLargeError
from amp_publisher.core.siteoutputs.outputs import HTML, content_type_of

__all__ = ["client", "session", "reset_clients", "SourceVersion", "SourceObject", "head_source",
           "read_source_version", "read_source", "read_json_object", "put_page", "head_page",
           "delete_page",
           "PAGE_CONTENT_TYPE", "RETRY_CONFIG"]

#: DESIGN §5: pages are stored as UTF-8 HTML.
PAGE_CONTENT_TYPE = HTML

#: botocore standard retry mode (exponential backoff with jitter, throttling-aware), 4 attempts
#: in all; short connect timeout so a stuck endpoint fails fast and the event is retried.
RETRY_CONFIG = {"retries": {"mode": "standard", "max_attempts": 4},
                "connect_timeout": 3, "read_timeout": 20}


#: The local-only endpoint setting (see :func:`client`).
ENDPOINT_OVERRIDE_ENV = "ENDPOINT_URL_OVERRIDE"
#: Local-only: seconds :func:`client` waits for an answer instead of ``RETRY_CONFIG``'s 20.
#: The embedded backend (moto, in Python) can take longer than that to answer a 1 MB Scan page
#: of a large table on a loaded machine, where DynamoDB answers in milliseconds; the benchmarks
#: set it. Not a template setting.
READ_TIMEOUT_ENV = "AMP_PUBLISHER_READ_TIMEOUT_S"


#: botocore's data loader of the session before :func:`reset_clients`, handed to the next
#: session: it holds only what botocore parsed from its own data files (service models,
#: ``endpoints.json``), nothing of the instance, its credentials or its connections.
_service_data: list[Any] = []


@functools.cache
def _botocore_session() -> Any:
    import botocore.session

    core = botocore.session.get_session()
    if _service_data:
        core.register_component("data_loader", _service_data[0])
    else:
        core.register_component("data_loader", _data_loader(core))
    return core


def _data_loader(core: Any) -> Any:
    """botocore's data loader for the session's search path (``create_loader`` with its
    ``AWS_DATA_PATH``), as :class:`_DataLoader`: its JSON files read into plain dicts instead of
    ``OrderedDict`` objects, and a service's existence checked in that service's folder only.

    Why plain dicts: botocore parses its data with ``object_pairs_hook=OrderedDict``, which makes
    the JSON decoder build every object in Python; for ``endpoints.json`` (1.2 MB) and the models
    of the four clients a publish uses that is 27 ms of CPU, against 13 ms with the decoder's own
    dicts (docs/benchmarks.md, issue 16). A dict keeps insertion order (Python 3.7+), which is all
    botocore relies on (its model classes copy members into their own ``OrderedDict``)."""
    from botocore.loaders import create_loader

    search_paths = create_loader(core.get_config_variable("data_path")).search_paths
    return _data_loader_class()(extra_search_paths=list(search_paths),
                                include_default_search_paths=False)


@functools.cache
def _data_loader_class() -> type:
    """:class:`_DataLoader`, defined on first use: botocore stays out of this module's import."""
    from botocore.loaders import Loader

    class _DataLoader(Loader):
        """botocore's ``Loader`` with :class:`_PlainJSONFileLoader`, whose check that a
        service exists, before a model is loaded, looks in that service's folder alone.

        Why: ``load_service_model`` checks that the service is one of
        ``list_available_services(type_name)``, which lists every service folder of the search
        path (about 450) and looks for the model file in each: about 9 ms of CPU per model type,
        twice per cold start (``service-2``, ``endpoint-rule-set-1``), to find one name. During
        that call only, the list is :class:`_ServiceNames`, whose ``in`` asks whether the name
        is a folder directly in the search path (one listing, kept) and then
        ``list_api_versions``: a version folder in it holds the model file, which is
        botocore's own rule and its next step anyway (``determine_latest_version``; cached).
        Iterated, for the ``UnknownServiceError`` that names the known services, it lists
        them all as botocore does. Everywhere else ``list_available_services`` is botocore's
        own (a list)."""

        FILE_LOADER_CLASS = _PlainJSONFileLoader

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            import threading

            super().__init__(*args, **kwargs)
            self._checking = threading.local()  # inside load_service_model, in this thread
            self._folders: tuple[tuple[str, ...], frozenset[str]] = ((), frozenset())

        def load_service_model(self, service_name: str, type_name: str,
                               api_version: str | None = None) -> Any:
            self._checking.active = True
            try:
                return super().load_service_model(service_name, type_name, api_version)
            finally:
                self._checking.active = False

        def list_available_services(self, type_name: str) -> Any:
            if getattr(self._checking, "active", False):
                return _ServiceNames(self, type_name)
            return super().list_available_services(type_name)

        def every_service(self, type_name: str) -> list[str]:
            """botocore's ``list_available_services``: every service with a ``type_name``
            model, sorted."""
            return super().list_available_services(type_name)

        def folder_names(self) -> frozenset[str]:
            """The names of the folders directly in the search path, as the file system spells
            them; files such as ``endpoints.json`` are not folders (listed again when the search
            path changes)."""
            paths = tuple(self.search_paths)
            if self._folders[0] != paths:
                names = {name for path in paths if os.path.isdir(path)
                         for name in os.listdir(path)
                         if os.path.isdir(os.path.join(path, name))}
                self._folders = (paths, frozenset(names))
            return self._folders[1]

    return _DataLoader


class _ServiceNames(Sequence):
    """The sorted names of the services with a ``type_name`` model on ``loader``'s search path
    (botocore's ``list_available_services``), listed only when iterated, indexed or measured.
    ``name in`` it: ``name`` is spelled exactly as a folder of the search path (so ``S3`` is
    not ``s3`` on a case-insensitive disk either) and ``loader.list_api_versions`` finds a
    version of that folder with the model file."""

    def __init__(self, loader: Any, type_name: str) -> None:
        self._loader, self._type_name = loader, type_name

    def __contains__(self, name: object) -> bool:
        from botocore.exceptions import DataNotFoundError

        if not isinstance(name, str) or name not in self._loader.folder_names():
            return False
        try:
            return bool(self._loader.list_api_versions(name, self._type_name))
        except DataNotFoundError:
            return False

    @functools.cached_property
    def _names(self) -> list[str]:
        return self._loader.every_service(self._type_name)

    def __getitem__(self, index: Any) -> Any:
        return self._names[index]

    def __len__(self) -> int:
        return len(self._names)


class _PlainJSONFileLoader:
    """botocore's ``JSONFileLoader`` interface (``exists``, ``load_file`` of a path without its
    extension; ``.json`` then ``.json.gz``, as botocore ships both), decoding to plain dicts."""

    _EXTENSIONS = ((".json", open), (".json.gz", gzip.open))

    def exists(self, file_path: str) -> bool:
        """True when ``file_path`` + ``.json`` or ``.json.gz`` is a file."""
        return any(os.path.isfile(file_path + ext) for ext, _ in self._EXTENSIONS)

    def load_file(self, file_path: str) -> Any:
        """The parsed JSON of ``file_path`` + ``.json`` or ``.json.gz``, the first that is a file
        (as botocore checks); ``None`` when neither is.

        Raises:
            OSError: the file exists but cannot be read (as botocore's loader raises it).
            ValueError: it is not JSON in UTF-8.
        """
        for ext, opener in self._EXTENSIONS:
            if not os.path.isfile(file_path + ext):
                continue
            with opener(file_path + ext, "rb") as fp:
                return json.loads(fp.read().decode("utf-8"))
        return None


@functools.cache
def session() -> Any:
    """The process-wide ``boto3.session.Session`` every client of :func:`client` comes from."""
    import boto3

    made = boto3.session.Session(botocore_session=_botocore_session())
    loader = _botocore_session().get_component("data_loader")
    # boto3 adds its own data folder to the loader's search path: once, on a loader kept
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return made


@functools.cache
def client(service: str) -> Any:
    """The process-wide boto3 client for ``service`` ("s3", "dynamodb", "sqs", "cloudfront"),
    made from :func:`session`.

    The endpoint is boto3's own (``AWS_ENDPOINT_URL`` and its configuration), unless the
    function's ``ENDPOINT_URL_OVERRIDE`` setting is non-empty: ``make sam-local`` sets it to point
    a function under ``sam local invoke`` at the embedded backend (the template declares it empty).
    The read timeout is ``RETRY_CONFIG``'s unless ``AMP_PUBLISHER_READ_TIMEOUT_S`` (seconds,
    local only, :data:`READ_TIMEOUT_ENV`) says otherwise.

    Raises:
        ValueError: ``AMP_PUBLISHER_READ_TIMEOUT_S`` is not a number.
    """
    from botocore.config import Config

    endpoint_url = os.environ.get(ENDPOINT_OVERRIDE_ENV) or None
    read_timeout = float(os.environ.get(READ_TIMEOUT_ENV) or RETRY_CONFIG["read_timeout"])
    return session().client(service, config=Config(**{**RETRY_CONFIG,
                                                      "read_timeout": read_timeout}),
                            endpoint_url=endpoint_url)


def reset_clients() -> None:
    """Forget the session and every client, so the next :func:`client` call makes new ones:
    a new session, which resolves its credentials again, and new clients with their own
    connections. botocore's parsed service data (models, endpoints) goes on to the new session,
    so the new clients cost a fraction of the first ones (about a third of the CPU).

    For a SnapStart restore (:func:`amp_publisher.aws.handler.after_restore`): clients primed
    before the snapshot hold connections and credentials of the instance that took it.
    """
    if _botocore_session.cache_info().currsize:
        _service_data[:] = [_botocore_session().get_component("data_loader")]
    client.cache_clear()
    session.cache_clear()
    _botocore_session.cache_clear()


@dataclass(frozen=True)
class SourceVersion:
    """The facts of the current version of a source object, from a HEAD request (no body).

    Attributes:
        bucket / key: where it is.
        etag: the ETag without quotes.
        version_id: S3 version id, ``None`` on an unversioned bucket.
        last_modified: ISO 8601 UTC (S3 keeps whole seconds).
        size: ``ContentLength`` in bytes.
    """

    bucket: str
    key: str
    etag: str
    version_id: str | None
    last_modified: str
    size: int


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


def _missing(exc: Exception) -> bool:
    """A ClientError meaning "no such object/version" (HEAD answers a bare 404)."""
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code")) in ("404", "NoSuchKey", "NoSuchVersion", "NotFound")


def head_source(bucket: str, key: str, *, s3: Any = None) -> SourceVersion | None:
    """HEAD the current version of a source object: its version facts, never its body.

    Returns:
        The facts, or ``None`` when the key has no current version (deleted: unpublish).

    Raises:
        botocore.exceptions.ClientError: anything but "not found" (transient: retried).
    """
    from botocore.exceptions import ClientError

    s3 = s3 or client("s3")
    try:
        response = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _missing(exc):
            return None
        raise
    return SourceVersion(
        bucket=bucket, key=key,
        etag=response.get("ETag", "").strip('"'),
        version_id=_version(response.get("VersionId")),
        last_modified=_iso(response.get("LastModified")),
        size=int(response["ContentLength"]))


def read_source_version(version: SourceVersion, *, max_bytes: int,
                        s3: Any = None) -> SourceObject | None:
    """GET exactly the version a HEAD described (by version id, or ``If-Match`` its ETag on an
    unversioned bucket), refusing an oversize object before any byte of it is requested.

    Returns:
        The object, or ``None`` when it disappeared since the HEAD (the NoSuchKey race: the
        caller looks again) or changed since (412 on an unversioned bucket: likewise).

    Raises:
        ObjectTooLargeError: ``version.size`` exceeds ``max_bytes`` (DESIGN §6); no GET is made.
        botocore.exceptions.ClientError: anything else (transient: retried).
    """
    from botocore.exceptions import ClientError

    if version.size > max_bytes:
        raise ObjectTooLargeError(
            f"{version.key} is {version.size:,} bytes; the limit is {max_bytes:,} "
            "(MAX_SOURCE_BYTES)", key=version.key)
    s3 = s3 or client("s3")
    which = ({"VersionId": version.version_id} if version.version_id
             else {"IfMatch": f'"{version.etag}"'})
    try:
        response = s3.get_object(Bucket=version.bucket, Key=version.key, **which)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code"))
        if _missing(exc) or code in ("PreconditionFailed", "412"):
            return None
        raise
    body = response["Body"].read()
    return SourceObject(
        bucket=version.bucket, key=version.key, body=body,
        etag=response.get("ETag", "").strip('"'),
        version_id=_version(response.get("VersionId")),
        last_modified=_iso(response.get("LastModified")),
        size=len(body))


def read_source(bucket: str, key: str, *, max_bytes: int, s3: Any = None) -> SourceObject | None:
    """HEAD then GET the current version of a source object (:func:`head_source` +
    :func:`read_source_version`).

    Returns:
        The object, or ``None`` when it does not exist (deleted: the caller unpublishes).

    Raises:
        ObjectTooLargeError: the object exceeds ``max_bytes``; its body is never requested.
        botocore.exceptions.ClientError: anything else (transient: retried).
    """
    version = head_source(bucket, key, s3=s3)
    return None if version is None else read_source_version(version, max_bytes=max_bytes, s3=s3)


def _version(value: str | None) -> str | None:
    """S3 answers ``"null"`` for objects written while versioning was off."""
    return None if value in (None, "", "null") else value


def _iso(value: Any) -> str:
    return value.astimezone(dt.UTC).isoformat() if value is not None else ""


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
    keys percent-encoded where needed. The Content-Type is :func:`content_type_of` the key.
    """
    s3 = s3 or client("s3")
    response = s3.put_object(Bucket=bucket, Key=key, Body=html.encode("utf-8"),
                             ContentType=content_type_of(key), CacheControl=cache_control,
                             Metadata=metadata)
    return response.get("ETag", "").strip('"')


def head_page(bucket: str, key: str, *, s3: Any = None) -> dict[str, str] | None:
    """The user metadata of a stored page (``source-etag``, ``renderer-version``...), or
    ``None`` when there is no such page or it cannot be read (without ``s3:ListBucket`` S3
    answers 403 for a missing key: the caller then simply renders again)."""
    from botocore.exceptions import ClientError

    s3 = s3 or client("s3")
    try:
        return dict(s3.head_object(Bucket=bucket, Key=key).get("Metadata") or {})
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code"))
        if _missing(exc) or code in ("403", "AccessDenied", "Forbidden"):
            return None
        raise


def delete_page(bucket: str, key: str, *, s3: Any = None) -> None:
    """Delete a page (idempotent: deleting a missing key succeeds)."""
    (s3 or client("s3")).delete_object(Bucket=bucket, Key=key)
