"""Image dimensions from the image's first bytes, cached per URL (issue 4 item 2, DESIGN §5).

AMP needs ``width`` and ``height`` on every ``amp-img`` (AMP spec, "amp-img": layout
``responsive``/``intrinsic``/``fixed`` all require both). When the article JSON does not give
them, the conversion step asks an :class:`ImageSizeResolver`:

1. the caller has already used the JSON/HTML ``width``/``height`` (not this module's business);
2. the **cache** (:class:`ImageSizeCache`): an in-memory LRU per Lambda container, positive
   results kept for the container's life, failures kept for a short TTL; optionally backed by a
   JSON file for the CLI, so a re-render of the same article does no I/O at all;
3. ``data:`` URIs are decoded locally (at most :data:`HEADER_BYTES_MAX` of the payload);
4. images in our own buckets: a ranged ``GetObject`` through :class:`S3RangeFetcher`;
5. anything else ``http(s)``: a ranged GET through :class:`HttpRangeFetcher` (short timeouts,
   a byte cap, only http/https, private/loopback addresses refused unless allowed).

The first request asks for :data:`HEADER_BYTES_FIRST` bytes; when the format is recognised but
the header is not complete in them (a JPEG whose SOF marker sits after a large EXIF block), it
grows once to :data:`HEADER_BYTES_MAX`. Dimensions are parsed with ``imagesize`` (PNG, JPEG, GIF,
WebP, SVG with ``width``/``height``, AVIF/HEIC, TIFF, BMP, …); Pillow would also decode pixels
and costs tens of milliseconds to import, for nothing here.

The resolver never raises for a bad, missing, slow or huge image: it returns ``None`` and the
caller applies the documented fallback (``layout="responsive"`` with a default aspect ratio).

This module imports nothing from boto3: :class:`S3RangeFetcher` takes a client the caller made.

Example:
    >>> resolver = ProbingImageSizeResolver()
    >>> pixel = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
    >>> resolver.size("data:image/gif;base64," + pixel)
    (1, 1)
    >>> resolver.size("file:///C:/Documents/picture.jpg") is None
    True
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import os
import re
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from amp_publisher.core.models import IMAGE_DIMENSION_MAX

__all__ = [
    "HEADER_BYTES_FIRST",
    "HEADER_BYTES_MAX",
    "HTTP_TIMEOUT_S",
    "NEGATIVE_TTL_S",
    "ByteRangeFetcher",
    "HttpRangeFetcher",
    "ImageSizeCache",
    "ImageSizeResolver",
    "ProbingImageSizeResolver",
    "ProbeBudget",
    "ArticleImageSizes",
    "PROBE_MAX_COUNT",
    "PROBE_TOTAL_S",
    "S3RangeFetcher",
    "size_from_bytes",
    "data_uri_size",
]


@runtime_checkable
class ImageSizeResolver(Protocol):
    """What the core asks for an image's natural size; :class:`ProbingImageSizeResolver` is the
    implementation the function and the CLI use, tests pass small fakes.

    ``size(src)`` takes an absolute URL (or a ``data:`` URL) and returns ``(width, height)`` in
    CSS px, or ``None`` when the size cannot be found. It must not raise for unreachable images.

    A resolver may also offer ``sizes(srcs) -> {src: size}`` to look many images up at once
    (concurrently); the image conversion step then asks for all of a body's unsized images in
    one call before converting them, instead of one network round trip after another.
    """

    def size(self, src: str) -> tuple[int, int] | None:  # pragma: no cover - protocol
        ...


_log = logging.getLogger(__name__)

HEADER_BYTES_FIRST = 16 * 1024
"""Bytes asked for first (``Range: bytes=0-16383``). PNG, GIF, WebP and most JPEGs carry their
dimensions in the first few hundred bytes; 16 KiB also covers a JPEG with a typical EXIF block."""

HEADER_BYTES_MAX = 256 * 1024
"""The single retry's range and the hard cap on bytes read per image (also for ``data:`` URIs
and for servers that ignore ``Range``): enough for a JPEG whose EXIF holds a 64 KiB thumbnail
and an XMP packet before the SOF marker."""

HTTP_TIMEOUT_S = 2.0
"""Connect and per-read socket timeout (seconds), and the total budget of one fetch. A render
waits for at most a few slow images; a stuck image host must not eat the Lambda's time."""

NEGATIVE_TTL_S = 300.0
"""How long (seconds) a failed lookup is remembered, so a broken image URL is not fetched again
on every re-render, yet a host that was briefly down is retried within minutes."""

CACHE_MAX_ENTRIES = 4096
"""LRU size of the in-memory cache; an entry is ~200 bytes, so the cache stays under 1 MB."""

PROBE_MAX_COUNT = 48
"""Network probes one article may start (``sizes`` call); images past it get the fallback size.
48 covers the image-heaviest corpus body but one (197 images), whose sizes mostly come from its
tags; a gallery of hundreds of unsized images must not cost hundreds of requests."""

PROBE_TOTAL_S = 3.0
"""Seconds of wall time one article's probes may take together (concurrently, 8 at a time).
Past it the unfinished images get the fallback size: with the function's 30 s timeout, a render
never waits on image hosts for more than this."""

DIMENSION_MAX = IMAGE_DIMENSION_MAX
"""Dimensions above this (px) are treated as a corrupt header, not as a real image (the
article contract's own limit)."""

Size = tuple[int, int]


# --------------------------------------------------------------------------- parsing


def size_from_bytes(head: bytes) -> Size | None:
    """Parse ``(width, height)`` in CSS px from the first bytes of an image.

    Args:
        head: the image's first bytes (any length; a complete header is needed for a result).

    Returns:
        ``(width, height)`` as positive ``int`` px (EXIF rotation applied, SVG lengths converted
        and rounded), or ``None`` when the format is unknown or the header is incomplete.

    Example:
        >>> png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000002710000019f08060000")
        >>> size_from_bytes(png)
        (625, 415)
        >>> size_from_bytes(b"<!DOCTYPE html><html>") is None
        True
    """
    import imagesize  # deferred: only images without JSON dimensions need it

    stripped = head.lstrip()
    if stripped[:1] == b"<":
        # imagesize recognises SVG only when the file starts with "<?xml" or "<svg"; a leading
        # BOM-less newline or a comment/doctype is common in hand-written SVG.
        head = _svg_from_markup(stripped)
    try:
        width, height = imagesize.get(io.BytesIO(head))
    except Exception:  # imagesize already swallows most errors; a truncated header can escape
        return None
    if width is None or height is None:
        return None
    width, height = round(width), round(height)
    if not (0 < width <= DIMENSION_MAX and 0 < height <= DIMENSION_MAX):
        return _svg_viewbox_size(head)
    return width, height


_SVG_TAG = re.compile(rb"<svg\b[^>]*>", re.IGNORECASE | re.DOTALL)
_VIEWBOX = re.compile(rb"""viewBox\s*=\s*["']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)""")


def _svg_from_markup(head: bytes) -> bytes:
    """Return the bytes from the ``<svg`` start tag on, so imagesize sees it first."""
    match = _SVG_TAG.search(head)
    return head[match.start():] if match else head


def _svg_viewbox_size(head: bytes) -> Size | None:
    # imagesize reads only width/height attributes; an SVG sized by its viewBox alone is common
    # (icons, charts) and the viewBox gives its intrinsic aspect ratio, which is all AMP needs.
    tag = _SVG_TAG.search(head)
    match = _VIEWBOX.search(tag.group(0)) if tag else None
    if not match:
        return None
    try:
        width, height = round(float(match.group(1))), round(float(match.group(2)))
    except ValueError:
        return None
    if 0 < width <= DIMENSION_MAX and 0 < height <= DIMENSION_MAX:
        return width, height
    return None


def data_uri_size(uri: str, limit: int = HEADER_BYTES_MAX) -> Size | None:
    """``(width, height)`` of a ``data:`` image URI, decoding at most ``limit`` bytes of its
    payload (RFC 2397); ``None`` when it is not an image this module can read. No I/O.

    Example:
        >>> gif = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
        >>> data_uri_size("data:image/gif;base64," + gif)
        (1, 1)
    """
    head = _data_uri_head(uri, limit)
    return size_from_bytes(head) if head else None


def _data_uri_head(uri: str, limit: int) -> bytes | None:
    """Decode at most ``limit`` bytes of a ``data:`` URI's payload (RFC 2397)."""
    header, sep, payload = uri[5:].partition(",")
    if not sep:
        return None
    if header.lower().endswith(";base64"):
        chars = re.sub(r"\s+", "", payload[: limit * 4 // 3 + 8])
        chars = chars[: len(chars) // 4 * 4]
        try:
            return base64.b64decode(chars, validate=False)[:limit]
        except (binascii.Error, ValueError):
            return None
    return urllib.parse.unquote_to_bytes(payload[: limit * 3])[:limit]


# --------------------------------------------------------------------------- fetchers


class ByteRangeFetcher(Protocol):
    """Reads the first bytes of an image. Implementations: :class:`S3RangeFetcher`,
    :class:`HttpRangeFetcher`.

    ``handles(url)`` says whether this fetcher is responsible for ``url``; ``fetch(url, length)``
    returns at most ``length`` bytes from offset 0 (fewer when the object is shorter), or
    ``None`` when the image cannot be read. It must not raise.
    """

    def handles(self, url: str) -> bool: ...

    def fetch(self, url: str, length: int) -> bytes | None: ...


class S3RangeFetcher:
    """Ranged ``GetObject`` for images stored in our own buckets.

    Args:
        client: a boto3 S3 client made by the caller (this module never imports boto3).
        buckets: the bucket names that count as ours. URLs recognised for them:
            ``s3://bucket/key``, ``https://bucket.s3.amazonaws.com/key``,
            ``https://bucket.s3.<region>.amazonaws.com/key`` and path-style
            ``https://s3.<region>.amazonaws.com/bucket/key``.
        url_prefixes: optional ``{public URL prefix: bucket}``, e.g. the site's CloudFront base
            ``{"https://www.example.com/": "site-bucket"}``: the rest of the URL is the key.

    Example:
        >>> f = S3RangeFetcher(client=None, buckets=["media"],
        ...                    url_prefixes={"https://cdn.example.com/": "site"})
        >>> f.location("https://media.s3.eu-west-1.amazonaws.com/a/b%20c.jpg")
        ('media', 'a/b c.jpg')
        >>> f.location("https://cdn.example.com/img/x.png")
        ('site', 'img/x.png')
        >>> f.location("https://elsewhere.example.com/x.png") is None
        True
    """

    _VIRTUAL_HOST = re.compile(r"^(?P<bucket>[a-z0-9.-]+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$")
    _PATH_HOST = re.compile(r"^s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$")

    def __init__(self, client: Any, buckets: Iterable[str], *,
                 url_prefixes: Mapping[str, str] | None = None) -> None:
        self.client = client
        self.buckets = frozenset(buckets)
        self.url_prefixes = dict(url_prefixes or {})

    def location(self, url: str) -> tuple[str, str] | None:
        """``(bucket, key)`` for a URL in one of our buckets, else ``None``."""
        for prefix, bucket in self.url_prefixes.items():
            if url.startswith(prefix) and len(url) > len(prefix):
                return bucket, urllib.parse.unquote(url[len(prefix):].split("?", 1)[0])
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        path = urllib.parse.unquote(parts.path)
        if parts.scheme == "s3":
            bucket, key = host, path.lstrip("/")
        elif parts.scheme in ("http", "https") and (m := self._VIRTUAL_HOST.match(host)):
            bucket, key = m.group("bucket"), path.lstrip("/")
        elif parts.scheme in ("http", "https") and self._PATH_HOST.match(host):
            bucket, _, key = path.lstrip("/").partition("/")
        else:
            return None
        return (bucket, key) if bucket in self.buckets and key else None

    def handles(self, url: str) -> bool:
        """True when ``url`` points into one of our buckets."""
        return self.location(url) is not None

    def fetch(self, url: str, length: int) -> bytes | None:
        """``GetObject`` with ``Range: bytes=0-<length-1>``; ``None`` on any client error."""
        location = self.location(url)
        if location is None:
            return None
        bucket, key = location
        try:
            response = self.client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{length - 1}")
            with response["Body"] as body:
                return body.read(length)
        except Exception as exc:  # NoSuchKey, AccessDenied, throttling: the fallback applies
            _log.info("image size: s3://%s/%s unreadable: %s", bucket, key, exc)
            return None


class _RefusedAddress(Exception):
    """The image URL resolves to an address we do not fetch from (loopback, private…)."""


class HttpRangeFetcher:
    """Ranged GET over http/https with short timeouts and a byte cap (stdlib ``urllib``).

    urllib rather than an HTTP library: one GET with a ``Range`` header needs nothing more, and
    it keeps the Lambda package and cold start small.

    Args:
        timeout: connect and per-read socket timeout, and the total time budget, in seconds.
        allow_private: also fetch from loopback, private, link-local and reserved addresses.
            Off by default: article bodies are untrusted, and an ``<img src>`` must not make the
            renderer probe the network it runs in (SSRF). Tests on 127.0.0.1 turn it on.
        user_agent: the ``User-Agent`` header sent.

    **The address checked is the address connected to.** The host name is resolved once per
    connection (:meth:`connect_address`); every address it resolves to must be public, and the
    TCP connection is made to that checked address (TLS still verifies the certificate for the
    host name, sent as SNI). Resolving once to check and again to connect would let a name that
    answers "public" and then "127.0.0.1" reach the internal network (DNS rebinding). Environment
    proxies are not used, for the same reason.

    Redirects are followed (at most 4) only to http/https URLs; each new connection passes the
    same check. A server that ignores ``Range`` and sends the whole image is read only up to the
    cap.
    """

    def __init__(self, *, timeout: float = HTTP_TIMEOUT_S, allow_private: bool = False,
                 user_agent: str = "amp-publisher image-size probe") -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self.user_agent = user_agent

    def handles(self, url: str) -> bool:
        """True for absolute http and https URLs."""
        return urllib.parse.urlsplit(url).scheme in ("http", "https")

    def _check_url(self, url: str) -> None:
        """Refuse (raise) a URL this fetcher must not open; the first URL and every redirect
        target pass here. Addresses are checked when connecting (:meth:`connect_address`)."""
        if not self.handles(url):
            raise _RefusedAddress(f"not http(s): {url[:80]!r}")

    def connect_address(self, host: str, port: int) -> str:
        """The IP address to connect to for ``host``: resolved once; with ``allow_private``
        off, every address it resolves to must be global (not loopback, private, link-local,
        reserved…, :attr:`ipaddress.IPv4Address.is_global`).

        Raises:
            _RefusedAddress: the name does not resolve, or resolves to a non-public address.
        """
        import ipaddress
        import socket

        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise _RefusedAddress(f"cannot resolve {host!r}: {exc}") from exc
        if not infos:
            raise _RefusedAddress(f"{host!r} has no address")
        if not self.allow_private:
            for info in infos:
                address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
                if not address.is_global:
                    raise _RefusedAddress(f"{host!r} resolves to non-public {address}")
        return infos[0][4][0]

    def _opener(self):
        """The opener every fetch of this fetcher uses, built once: with one TLS context,
        since creating one loads the system's CA certificates (some 20 ms of CPU a probe)."""
        opener = self.__dict__.get("_built_opener")
        if opener is None:
            opener = self.__dict__["_built_opener"] = self._build_opener()
        return opener

    def _build_opener(self):
        import http.client
        import socket
        import ssl
        import urllib.request

        fetcher = self
        context = ssl.create_default_context()

        def pinned_socket(connection) -> socket.socket:
            address = fetcher.connect_address(connection.host, connection.port)
            return socket.create_connection((address, connection.port), connection.timeout)

        class _PinnedHTTPConnection(http.client.HTTPConnection):
            def connect(self):
                self.sock = pinned_socket(self)

        class _PinnedHTTPSConnection(http.client.HTTPSConnection):
            def connect(self):
                # the certificate is still checked against the host name (SNI + hostname check)
                self.sock = self._context.wrap_socket(pinned_socket(self),
                                                      server_hostname=self.host)

        class _HTTP(urllib.request.HTTPHandler):
            def http_open(self, req):
                return self.do_open(_PinnedHTTPConnection, req)

        class _HTTPS(urllib.request.HTTPSHandler):
            def https_open(self, req):
                return self.do_open(_PinnedHTTPSConnection, req, context=self._context)

        class _Redirects(urllib.request.HTTPRedirectHandler):
            max_redirections = 4

            def redirect_request(self, req, fp, code, msg, headers, newurl):
                if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
                    return None  # urllib would also follow ftp://; we only read http(s)
                fetcher._check_url(newurl)
                return super().redirect_request(req, fp, code, msg, headers, newurl)

        return urllib.request.build_opener(urllib.request.ProxyHandler({}), _HTTP,
                                           _HTTPS(context=context), _Redirects)

    def fetch(self, url: str, length: int) -> bytes | None:
        """GET ``url`` with ``Range: bytes=0-<length-1>``; ``None`` on any failure or timeout."""
        import urllib.request

        if not self.handles(url):
            return None
        deadline = time.monotonic() + self.timeout
        request = urllib.request.Request(url, headers={
            "Range": f"bytes=0-{length - 1}",
            "User-Agent": self.user_agent,
            "Accept": "image/*,*/*;q=0.5",
        })
        try:
            self._check_url(url)
            with self._opener().open(request, timeout=self.timeout) as response:
                if response.status not in (200, 206):
                    return None
                chunks: list[bytes] = []
                received = 0
                while received < length:
                    if time.monotonic() > deadline:
                        _log.info("image size: %s too slow, gave up after %ss", url, self.timeout)
                        return None
                    chunk = response.read1(min(16 * 1024, length - received))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    received += len(chunk)
                return b"".join(chunks)
        except Exception as exc:  # URLError, HTTPError, timeouts, refused addresses, bad URLs
            _log.info("image size: %s unreadable: %s", url, exc)
            return None


# --------------------------------------------------------------------------- cache


@dataclass(frozen=True)
class _Entry:
    size: Size | None
    expires: float | None  # monotonic seconds; None = never (positive results)


class ImageSizeCache:
    """Per-URL dimensions: an in-memory LRU, failures remembered for a short TTL, optionally
    persisted to a JSON file (the CLI's cache between runs). Thread-safe.

    Args:
        max_entries: LRU capacity (entries).
        negative_ttl: seconds a failed lookup (``None``) is remembered.
        path: optional JSON file ``{"url": [width, height], ...}`` loaded now and written by
            :meth:`save`. Only successes are persisted; a corrupt file is ignored.
        clock: monotonic clock in seconds (injectable for tests).

    Example:
        >>> cache = ImageSizeCache()
        >>> cache.put("https://example.com/a.png", (625, 415))
        >>> cache.get("https://example.com/a.png")
        (True, (625, 415))
        >>> cache.get("https://example.com/other.png")
        (False, None)
    """

    def __init__(self, *, max_entries: int = CACHE_MAX_ENTRIES,
                 negative_ttl: float = NEGATIVE_TTL_S, path: str | os.PathLike | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.negative_ttl = negative_ttl
        self.path = os.fspath(path) if path is not None else None
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        if self.path:
            self._load()

    def get(self, url: str) -> tuple[bool, Size | None]:
        """``(hit, size)``: ``hit`` is False when ``url`` is unknown or its failure expired."""
        with self._lock:
            entry = self._entries.get(url)
            if entry is None:
                return False, None
            if entry.expires is not None and entry.expires <= self._clock():
                del self._entries[url]
                return False, None
            self._entries.move_to_end(url)
            return True, entry.size

    def put(self, url: str, size: Size | None) -> None:
        """Remember ``size`` for ``url`` (``None`` = failed, kept ``negative_ttl`` seconds)."""
        expires = None if size is not None else self._clock() + self.negative_ttl
        with self._lock:
            self._entries[url] = _Entry(size, expires)
            self._entries.move_to_end(url)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            _log.warning("image size cache %s ignored: %s", self.path, exc)
            return
        if not isinstance(data, dict):
            return
        for url, value in data.items():
            if (isinstance(value, list) and len(value) == 2
                    and all(isinstance(v, int) and v > 0 for v in value)):
                self.put(url, (value[0], value[1]))

    def save(self) -> None:
        """Write the successes to :attr:`path` atomically (temp file + rename); no-op without
        a path. Raises ``OSError`` when the directory is not writable."""
        if not self.path:
            return
        import tempfile  # deferred: only the CLI saves, and tempfile costs start-up time

        with self._lock:
            data = {url: list(e.size) for url, e in self._entries.items() if e.size is not None}
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".image-sizes-", suffix=".json", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=0, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            os.unlink(tmp)
            raise


# --------------------------------------------------------------------------- resolver


@dataclass(frozen=True)
class ProbeBudget:
    """What one article's image-size probes may cost (issue 14 item 6).

    Attributes:
        max_probes: network probes started at most (cache hits and ``data:`` URIs are free).
        total_seconds: wall-clock seconds for all of them together.
    """

    max_probes: int = PROBE_MAX_COUNT
    total_seconds: float = PROBE_TOTAL_S


class ProbingImageSizeResolver:
    """The :class:`ImageSizeResolver` the function and the CLI use: an image's intrinsic size (px)
    from its first bytes, with caching.

    Args:
        fetchers: byte-range fetchers tried in order; the first whose ``handles(url)`` is true
            is used. Default: ``[HttpRangeFetcher()]``. Put an :class:`S3RangeFetcher` first so
            images in our buckets are read from S3, not through the CDN.
        cache: the per-URL cache; default a fresh in-memory :class:`ImageSizeCache`. Keep one
            resolver per Lambda container so re-renders hit it.
        base_url: absolute URL that relative ``src`` values are resolved against (the site's
            base URL); without it, relative ``src`` values give ``None``.
        first_bytes, max_bytes: the first range and the single grown range (bytes).
        budget: the cost bound of one :meth:`sizes` call (one article): default
            :class:`ProbeBudget`.

    Example:
        >>> ProbingImageSizeResolver().size("/images/relative.png") is None
        True
    """

    def __init__(self, fetchers: Iterable[ByteRangeFetcher] | None = None, *,
                 cache: ImageSizeCache | None = None, base_url: str | None = None,
                 first_bytes: int = HEADER_BYTES_FIRST, max_bytes: int = HEADER_BYTES_MAX,
                 budget: ProbeBudget | None = None) -> None:
        if not 0 < first_bytes <= max_bytes:
            raise ValueError("need 0 < first_bytes <= max_bytes")
        self.budget = budget if budget is not None else ProbeBudget()
        self.fetchers = list(fetchers) if fetchers is not None else [HttpRangeFetcher()]
        self.cache = cache if cache is not None else ImageSizeCache()
        self.base_url = base_url
        self.first_bytes = first_bytes
        self.max_bytes = max_bytes

    def size(self, src: str) -> Size | None:
        """``(width, height)`` in px of the image at ``src``, or ``None`` (never raises).

        Args:
            src: the image URL as written in the article: absolute http(s), ``s3://``,
                site-relative (needs ``base_url``), protocol-relative (``//host/x.png``, read
                over https) or a ``data:`` URI. Other schemes (``file:``, ``blob:``) give None.
        """
        try:
            return self._size(src)
        except Exception:  # the contract: a bad image never breaks a render
            _log.exception("image size: unexpected failure for %.200s", src)
            return None

    def sizes(self, srcs: Iterable[str], *, max_workers: int = 8) -> dict[str, Size | None]:
        """Resolve one article's images concurrently (threads; I/O bound), within
        :attr:`budget`.

        Returns:
            ``{src: size or None}`` for every src answered; a src **missing** from the result
            was not probed because the budget ran out (more than ``max_probes`` images to fetch,
            or ``total_seconds`` passed before its probe finished): the caller gives it the
            fallback size and says so. Cache hits, ``data:`` URIs and unreadable schemes are
            answered without network and without counting.
        """
        return self._sizes_within(srcs, self.budget.max_probes, self.budget.total_seconds,
                                  max_workers=max_workers)[0]

    def for_article(self) -> ArticleImageSizes:
        """A view of this resolver for one article: every ``size``/``sizes`` call made through
        it (the hero image, each HTML block, the body) shares one :class:`ProbeBudget`, while
        the cache and fetchers stay the resolver's. The renderer takes one per page."""
        return ArticleImageSizes(self)

    def _sizes_within(self, srcs: Iterable[str], max_probes: int, seconds: float, *,
                      max_workers: int = 8) -> tuple[dict[str, Size | None], int]:
        """:meth:`sizes` with an explicit budget; also returns the number of probes started."""
        unique = list(dict.fromkeys(srcs))
        results: dict[str, Size | None] = {}
        to_probe: list[str] = []
        for src in unique:
            local = self._without_network(src)
            if local is not None:
                results[src] = local[0]
            else:
                to_probe.append(src)
        to_probe = to_probe[: max(0, max_probes)]
        if not to_probe or seconds <= 0:
            return results, 0
        from concurrent.futures import ThreadPoolExecutor, wait

        pool = ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(to_probe))))
        try:
            futures = {pool.submit(self.size, src): src for src in to_probe}
            done, _ = wait(futures, timeout=seconds)
            for future in done:
                results[futures[future]] = future.result()
        finally:
            # probes still running end by their own socket timeout; nobody waits for them
            pool.shutdown(wait=False, cancel_futures=True)
        return results, len(to_probe)

    def _without_network(self, src: str) -> tuple[Size | None] | None:
        """``(size,)`` when ``src`` is answered without a request (``data:``, cache, a scheme
        no fetcher reads), else ``None``."""
        src = src.strip()
        if not src or src[:5].lower() == "data:":
            return (self._size(src),)
        url = self._absolute(src)
        if url is None:
            return (None,)
        hit, cached = self.cache.get(url)
        if hit:
            return (cached,)
        if not any(f.handles(url) for f in self.fetchers):
            return (None,)
        return None

    def _size(self, src: str) -> Size | None:
        src = src.strip()
        if not src:
            return None
        if src[:5].lower() == "data:":
            return data_uri_size(src, self.max_bytes)
        url = self._absolute(src)
        if url is None:
            return None
        hit, cached = self.cache.get(url)
        if hit:
            return cached
        fetcher = next((f for f in self.fetchers if f.handles(url)), None)
        if fetcher is None:
            return None  # file:, blob:, about: … can never be read by a browser either
        result = self._probe(fetcher, url)
        self.cache.put(url, result)
        return result

    def _absolute(self, src: str) -> str | None:
        if src.startswith("//"):
            return "https:" + src
        scheme = urllib.parse.urlsplit(src).scheme.lower()
        if scheme:
            return src
        if self.base_url:
            return urllib.parse.urljoin(self.base_url, src)
        return None

    def _probe(self, fetcher: ByteRangeFetcher, url: str) -> Size | None:
        head = fetcher.fetch(url, self.first_bytes)
        if not head:
            return None
        result = size_from_bytes(head)
        if result is None and len(head) >= self.first_bytes and self.max_bytes > self.first_bytes \
                and _known_format(head):
            # Recognised format, header not complete in the first range: grow once.
            head = fetcher.fetch(url, self.max_bytes)
            result = size_from_bytes(head) if head else None
        return result


class ArticleImageSizes:
    """One article's view of a :class:`ProbingImageSizeResolver` (see
    :meth:`ProbingImageSizeResolver.for_article`): all its calls share the resolver's
    :class:`ProbeBudget` — at most ``max_probes`` network probes in all, and none started or
    waited for after ``total_seconds`` from the first one. ``size`` past the budget returns
    ``None`` (the fallback size); ``sizes`` leaves such srcs out of its answer, as the resolver's
    own ``sizes`` does.
    """

    def __init__(self, resolver: ProbingImageSizeResolver) -> None:
        self.resolver = resolver
        self.probes_left = resolver.budget.max_probes
        self._deadline: float | None = None

    def _seconds_left(self) -> float:
        if self._deadline is None:
            self._deadline = time.monotonic() + self.resolver.budget.total_seconds
        return self._deadline - time.monotonic()

    def size(self, src: str) -> Size | None:
        """``(width, height)`` or ``None``; ``None`` without a request once the budget is spent."""
        return self.sizes([src]).get(src)

    def sizes(self, srcs: Iterable[str], *, max_workers: int = 8) -> dict[str, Size | None]:
        """As :meth:`ProbingImageSizeResolver.sizes`, within what is left of the article's
        budget."""
        srcs = list(srcs)
        if not any(self.resolver._without_network(src) is None for src in srcs):
            return self.resolver._sizes_within(srcs, 0, 0)[0]  # all answered locally
        results, started = self.resolver._sizes_within(
            srcs, self.probes_left, self._seconds_left(), max_workers=max_workers)
        self.probes_left -= started
        return results


def _known_format(head: bytes) -> bool:
    """True when ``head`` starts like an image format worth a second, larger read."""
    return (head.startswith((b"\xff\xd8", b"\x89PNG", b"GIF8", b"II*\x00", b"MM\x00*"))
            or head[4:8] == b"ftyp" or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
            or b"<svg" in head[:4096].lower())
