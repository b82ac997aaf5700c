"""Optional AMP Cache refresh: signed ``update-cache`` requests for changed AMP pages (DESIGN §10).

AMP caches (Google's ``cdn.ampproject.org``, Bing's) keep their own copies of AMP pages and would
go on serving a corrected or deleted article until those copies expire. With ``AMP_CACHE_REFRESH``
on, the function asks each cache to drop its copy of every AMP page it changed or deleted, after
the CloudFront invalidation of the same paths was accepted (so the cache refetches the fresh page,
not the edge's old one).

The request, as the AMP Cache documentation ("Update AMP Content", ``update-cache``) specifies::

    https://<cache subdomain>.<cache suffix>/update-cache/c/s/<host>/<path>?amp_action=flush
        &amp_ts=<unix seconds>&amp_url_signature=<signature>

* ``<cache subdomain>``: the page's host in the AMP Cache URL format (IDNA, each ``-`` doubled,
  each ``.`` made ``-``; :func:`cache_subdomain`);
* ``/c/s/``: a document (``c``) served over https (``s``);
* ``amp_ts``: now, in seconds since the epoch; caches refuse a time more than a minute off;
* ``amp_url_signature``: RSASSA-PKCS1-v1_5 with SHA-256 over the request path and query up to and
  excluding ``&amp_url_signature`` (no host, so one signed path serves every cache), in URL-safe
  base64 without padding (RFC 4648 §5).

Each cache checks the signature with the public key the site serves at
``/.well-known/amphtml/apikey.pub`` (PEM, ``text/plain``); the function writes that object to the
site bucket, derived from the private key, which it reads from SSM Parameter Store
(``AMP_CACHE_KEY_PARAMETER``, a SecureString) or Secrets Manager (``AMP_CACHE_KEY_SECRET``).

Refresh is best effort: a cache that cannot be reached is logged and counted by the handler, and
the page still leaves that cache when its copy expires (the page's ``max-age``). It never fails
the event, since the article itself is published and invalidated by then.

Example:
    >>> cache_subdomain("news.example.com"), cache_subdomain("my-site.example")
    ('news-example-com', 'my--site-example')
    >>> update_cache_path("https://news.example.com/a-story/")
    '/update-cache/c/s/news.example.com/a-story/'
"""

from __future__ import annotations

import base64
import dataclasses
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

__all__ = ["PUBLIC_KEY_KEY", "DEFAULT_CACHE_SUFFIXES", "AmpCacheRefresher", "RefreshResult",
           "cache_subdomain", "update_cache_path", "sign_update_cache", "load_private_key"]

#: Where caches look for the site's public key (AMP Cache documentation, "Generate the RSA key").
PUBLIC_KEY_KEY = ".well-known/amphtml/apikey.pub"
#: ``updateCacheApiDomainSuffix`` of the caches in the AMP project's ``caches.json``: Google's
#: (Bing's cache has none today). ``AMP_CACHE_SUFFIXES`` overrides, comma-separated.
DEFAULT_CACHE_SUFFIXES = ("cdn.ampproject.org",)
#: Seconds to wait for one cache's answer before giving up on it.
REQUEST_TIMEOUT_S = 5.0


def cache_subdomain(host: str) -> str:
    """The host of an AMP page as an AMP Cache subdomain (AMP Cache URL format): IDNA-encode
    it, double every ``-``, then turn every ``.`` into ``-``.

    Raises:
        ValueError: the result is longer than a DNS label (63 characters); such hosts use a
            hashed form this module does not implement.
    """
    ascii_host = host.lower().encode("idna").decode("ascii")
    label = ascii_host.replace("-", "--").replace(".", "-")
    if len(label) > 63:
        raise ValueError(f"{host!r} is too long for an AMP Cache subdomain ({len(label)} > 63)")
    return label


def update_cache_path(page_url: str) -> str:
    """The ``update-cache`` path of an https AMP page URL (no query yet).

    Raises:
        ValueError: ``page_url`` is not an absolute https URL (caches only refresh https pages).
    """
    parts = urlsplit(page_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"AMP caches refresh https pages only, not {page_url!r}")
    return f"/update-cache/c/s/{parts.netloc}{parts.path or '/'}"


def sign_update_cache(page_url: str, private_key: Any, *, now: float) -> str:
    """The signed path and query of an ``update-cache`` request for ``page_url`` at ``now``
    (seconds since the epoch), without the cache host.

    Args:
        page_url: the AMP page's https URL.
        private_key: a ``cryptography`` RSA private key.
        now: the time to put in ``amp_ts``.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signed = f"{update_cache_path(page_url)}?amp_action=flush&amp_ts={int(now)}"
    signature = private_key.sign(signed.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    encoded = base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")
    return f"{signed}&amp_url_signature={encoded}"


def load_private_key(*, parameter: str | None = None, secret: str | None = None,
                     ssm: Any = None, secretsmanager: Any = None) -> Any:
    """The RSA private key (PEM, PKCS#8 or PKCS#1, unencrypted) from an SSM SecureString
    ``parameter`` or a Secrets Manager ``secret`` (its ``SecretString``).

    Raises:
        ValueError: neither is given, or the value is not an RSA private key in PEM.
        botocore.exceptions.ClientError: the parameter or secret cannot be read.
    """
    from amp_publisher.aws import storage

    if parameter:
        ssm = ssm or storage.client("ssm")
        pem = ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
        where = f"SSM parameter {parameter}"
    elif secret:
        secretsmanager = secretsmanager or storage.client("secretsmanager")
        pem = secretsmanager.get_secret_value(SecretId=secret)["SecretString"]
        where = f"secret {secret}"
    else:
        raise ValueError("AMP Cache refresh needs AMP_CACHE_KEY_PARAMETER or AMP_CACHE_KEY_SECRET")
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise ValueError(f"{where} does not hold an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{where} holds a {type(key).__name__}, not an RSA key")
    return key


@dataclasses.dataclass(frozen=True)
class RefreshResult:
    """One ``update-cache`` request: the page, the cache host, and what happened.

    Attributes:
        page_url: the AMP page.
        cache: the cache host asked (``news-example-com.cdn.ampproject.org``).
        status: the HTTP status, or ``None`` when the cache could not be reached.
        error: why it failed, when it did.
    """

    page_url: str
    cache: str
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class AmpCacheRefresher:
    """Sends signed ``update-cache`` requests for changed AMP pages to each AMP cache.

    Args:
        private_key: a ``cryptography`` RSA private key (:func:`load_private_key`).
        cache_suffixes: the caches' ``updateCacheApiDomainSuffix`` values.
        endpoint: send every request to this origin instead (``http://127.0.0.1:8080``), for a
            local stub cache; ``None`` in production.
        clock: seconds since the epoch (``time.time``).
        opener: ``urllib`` opener (tests may pass their own).
    """

    def __init__(self, private_key: Any, *,
                 cache_suffixes: Iterable[str] = DEFAULT_CACHE_SUFFIXES,
                 endpoint: str | None = None, clock: Callable[[], float] = time.time,
                 opener: Any = None) -> None:
        self.private_key = private_key
        self.cache_suffixes = tuple(cache_suffixes)
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self._clock = clock
        self._opener = opener or urllib.request.build_opener()

    def public_key_pem(self) -> bytes:
        """The public key to publish at :data:`PUBLIC_KEY_KEY` (PEM SubjectPublicKeyInfo)."""
        from cryptography.hazmat.primitives import serialization

        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def refresh(self, page_urls: Iterable[str]) -> list[RefreshResult]:
        """Ask every cache to drop its copy of each page (one GET per page and cache).

        Returns:
            One :class:`RefreshResult` per request, failures included (never raises for a
            cache's answer; pages that are not https are skipped).
        """
        results = []
        for url in sorted(set(page_urls)):
            try:
                path = sign_update_cache(url, self.private_key, now=self._clock())
                host = cache_subdomain(urlsplit(url).hostname or "")
            except ValueError as exc:
                results.append(RefreshResult(url, "", None, str(exc)))
                continue
            for suffix in self.cache_suffixes:
                cache = f"{host}.{suffix}"
                target = f"{self.endpoint or 'https://' + cache}{path}"
                request = urllib.request.Request(target, method="GET",
                                                 headers={"Host": cache} if self.endpoint
                                                 else {})
                try:
                    with self._opener.open(request, timeout=REQUEST_TIMEOUT_S) as response:
                        results.append(RefreshResult(url, cache, response.status))
                except urllib.error.HTTPError as exc:
                    results.append(RefreshResult(url, cache, exc.code, exc.reason))
                except (OSError, ValueError) as exc:
                    results.append(RefreshResult(url, cache, None, str(exc)))
        return results
