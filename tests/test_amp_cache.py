# ruff: noqa: F811 - ``deployment`` is a fixture imported from inprocess.py
"""AMP Cache refresh (DESIGN §10): signed ``update-cache`` requests, checked by a stub AMP cache
on 127.0.0.1 with the public key the function publishes, exactly as a real cache checks them
(AMP Cache documentation, "Update AMP Content"): RSA-SHA256 over the path and query, amp_ts
within a minute. A tampered request is refused."""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from amp_publisher.aws.amp_cache import (
    PUBLIC_KEY_KEY,
    AmpCacheRefresher,
    load_private_key,
    sign_update_cache,
)
from amp_publisher.aws.events import parse_event
from conftest import EVENTS
from inprocess import deployment, small_article  # noqa: F401

KEY = "articles/story.json"


@pytest.fixture(scope="module")
def private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class StubCache:
    """A stand-in AMP cache on 127.0.0.1: checks each ``update-cache`` request against the
    public key it was given, answers 200 (valid) or 403 (bad signature, stale amp_ts)."""

    def __init__(self) -> None:
        self.public_key = None
        self.requests: list[tuple[str, str, int]] = []  # (Host, path, status)
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                status = stub.check(self.path)
                stub.requests.append((self.headers.get("Host", ""), self.path, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def check(self, path: str) -> int:
        signed, sep, signature = path.partition("&amp_url_signature=")
        query = parse_qs(urlsplit(signed).query)
        if not sep or not urlsplit(signed).path.startswith("/update-cache/c/s/") \
                or query.get("amp_action") != ["flush"]:
            return 400
        if abs(int(query["amp_ts"][0]) - time.time()) > 60:
            return 403
        if self.public_key is None:  # the site's key is not published yet
            return 503
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        try:
            self.public_key.verify(raw, signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return 403
        return 200


@pytest.fixture
def stub_cache():
    stub = StubCache()
    stub.thread.start()
    yield stub
    stub.server.shutdown()
    stub.server.server_close()


def test_a_signed_request_passes_and_a_tampered_one_is_refused(private_key, stub_cache):
    stub_cache.public_key = private_key.public_key()
    path = sign_update_cache("https://news.example.com/story/", private_key, now=time.time())
    assert path.startswith("/update-cache/c/s/news.example.com/story/?amp_action=flush&amp_ts=")
    assert stub_cache.check(path) == 200
    assert stub_cache.check(path.replace("/story/", "/other/")) == 403  # another page
    ts = parse_qs(urlsplit(path).query)["amp_ts"][0]
    assert stub_cache.check(path.replace(ts, str(int(ts) + 1))) == 403  # another time
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert stub_cache.check(sign_update_cache("https://news.example.com/story/", other,
                                              now=time.time())) == 403  # another key
    old = sign_update_cache("https://news.example.com/story/", private_key,
                            now=time.time() - 3600)
    assert stub_cache.check(old) == 403  # replayed an hour later


def test_publish_and_delete_refresh_the_amp_page_in_each_cache(deployment, private_key,
                                                                stub_cache):
    import boto3

    from amp_publisher.aws.pipeline import Publisher

    # The key as an operator stores it: an SSM SecureString holding the PEM.
    ssm = boto3.client("ssm", region_name="us-east-1")
    pem = private_key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    ssm.put_parameter(Name="/amp-publisher/amp-cache-key", Value=pem, Type="SecureString")
    key = load_private_key(parameter="/amp-publisher/amp-cache-key", ssm=ssm)
    refresher = AmpCacheRefresher(key, cache_suffixes=("cdn.ampproject.org", "bing-amp.com"),
                                  endpoint=stub_cache.endpoint)
    publisher = Publisher(deployment.settings, s3=deployment.s3, dynamodb=deployment.dynamodb,
                          cloudfront=deployment.cloudfront, amp_cache=refresher)

    (record,) = parse_event(deployment.put_source(KEY, small_article(slug="story"))).records
    publisher.process(record)
    # The cache checks with the public key the site serves, as a real cache would fetch it.
    published = deployment.s3.get_object(Bucket=deployment.names.site_bucket,
                                         Key=PUBLIC_KEY_KEY)
    assert published["ContentType"].startswith("text/plain")
    stub_cache.public_key = serialization.load_pem_public_key(published["Body"].read())
    # Requests were answered while public_key was unset: send them again, now checked.
    stub_cache.requests.clear()
    (record,) = parse_event(deployment.put_source(KEY, small_article("Fixed", slug="story")))\
        .records
    publisher.process(record)
    (record,) = parse_event(deployment.delete_source(KEY)).records
    publisher.process(record)

    # The site configuration the deployment runs with (config/site.json) names the host.
    site = json.loads((EVENTS / "site.json").read_text())
    host = urlsplit(site["base_url"]).netloc
    assert len(stub_cache.requests) == 4  # update and delete, each to two caches
    for cache_host, path, status in stub_cache.requests:
        assert status == 200, (cache_host, path)
        assert path.startswith(f"/update-cache/c/s/{host}/story/?amp_action=flush")
    expected_host = host.replace("-", "--").replace(".", "-")
    assert sorted({h for h, _, _ in stub_cache.requests}) == [
        f"{expected_host}.bing-amp.com", f"{expected_host}.cdn.ampproject.org"]


def test_a_refused_refresh_is_reported_not_raised(private_key, stub_cache):
    stub_cache.public_key = rsa.generate_private_key(public_exponent=65537,
                                                     key_size=2048).public_key()
    refresher = AmpCacheRefresher(private_key, endpoint=stub_cache.endpoint)
    (result,) = refresher.refresh(["https://news.example.com/story/"])
    assert (result.ok, result.status) == (False, 403)
    (skipped,) = refresher.refresh(["http://news.example.com/story/"])
    assert skipped.status is None and "https" in skipped.error


def test_a_key_that_is_not_rsa_pem_names_where_it_came_from():
    class FakeSsm:
        def get_parameter(self, **_):
            return {"Parameter": {"Value": "not a key"}}

    with pytest.raises(ValueError, match="SSM parameter /k"):
        load_private_key(parameter="/k", ssm=FakeSsm())
    with pytest.raises(ValueError, match="AMP_CACHE_KEY_PARAMETER"):
        load_private_key()
