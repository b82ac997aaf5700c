"""Image dimensions from the first bytes: data: URIs, ranged HTTP and S3 reads, caching, timeouts.

The images are real: the Kinja article body in the corpus (readability-data-url-images.html)
carries a JPEG, two SVGs and a GIF as data: URIs; the JPEG is also served over a loopback HTTP
server and from a moto S3 bucket. Nothing here touches the internet.
"""

from __future__ import annotations

import base64
import http.server
import re
import socket
import threading
from pathlib import Path

import lxml.html
import pytest

from amp_publisher.core.image_sizes import (
    HEADER_BYTES_FIRST,
    HEADER_BYTES_MAX,
    HttpRangeFetcher,
    ImageSizeCache,
    ProbingImageSizeResolver,
    S3RangeFetcher,
)

CORPUS = Path(__file__).parent / "corpus/raw/messy-html/readability-data-url-images.html"


def _corpus_srcs() -> dict[str, str]:
    """The corpus page's data: URIs keyed by their media type."""
    root = lxml.html.parse(str(CORPUS)).getroot()
    srcs = {}
    for img in root.iter("img"):
        src = img.get("src") or ""
        if src.startswith("data:"):
            kind = src[5:].split(",", 1)[0]
            srcs[kind] = src
    return srcs


SRCS = _corpus_srcs()
JPEG = base64.b64decode(SRCS["image/jpeg;base64"].split(",", 1)[1])


def _sof_size(jpeg: bytes) -> tuple[int, int]:
    """Test oracle: walk the JPEG markers to the SOFn segment and read (width, height)."""
    i = 2
    while True:
        marker, length = jpeg[i + 1], int.from_bytes(jpeg[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(jpeg[i + 5:i + 7], "big")
            width = int.from_bytes(jpeg[i + 7:i + 9], "big")
            return width, height
        i += 2 + length


JPEG_SIZE = _sof_size(JPEG)
# The same photo with a 40 KB comment segment after SOI: its SOF marker now lies beyond the
# first range, as in cameras' JPEGs with big EXIF/XMP blocks.
PADDED_JPEG = JPEG[:2] + b"\xff\xfe" + (40_002).to_bytes(2, "big") + b"x" * 40_000 + JPEG[2:]


# --------------------------------------------------------------------------- loopback server


class _Server:
    """A loopback HTTP server that honours ``Range`` (unless told not to) and logs requests."""

    def __init__(self, routes: dict[str, tuple[int, bytes]], honour_range: bool = True):
        self.routes = routes
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                server.requests.append((self.path, self.headers.get("Range")))
                status, body = server.routes.get(self.path, (404, b"not found"))
                match = re.fullmatch(r"bytes=0-(\d+)", self.headers.get("Range") or "")
                if status == 200 and match and honour_range:
                    body = body[: int(match.group(1)) + 1]
                    status = 206
                self.send_response(status)
                if status in (301, 302, 307):  # the route's body is the redirect target
                    self.send_header("Location", body.decode())
                    body = b""
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.closed = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={
            "poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self):
        if not self.closed:
            self.closed = True
            self.httpd.shutdown()
            self.httpd.server_close()


@pytest.fixture
def server():
    srv = _Server({"/photo.jpg": (200, JPEG), "/padded.jpg": (200, PADDED_JPEG),
                   "/page.html": (200, b"<!DOCTYPE html><html><body>hi</body></html>"),
                   "/moved.jpg": (302, b"/photo.jpg"),
                   "/to-file.jpg": (302, b"file:///etc/passwd"),
                   "/to-ftp.jpg": (302, b"ftp://127.0.0.1/photo.jpg")})
    yield srv
    srv.close()


def _loopback_resolver(**kwargs) -> ProbingImageSizeResolver:
    return ProbingImageSizeResolver([HttpRangeFetcher(allow_private=True, timeout=2.0)], **kwargs)


# --------------------------------------------------------------------------- data: URIs


def test_corpus_data_uri_images_are_sized_without_io():
    resolver = ProbingImageSizeResolver(fetchers=[])
    assert resolver.size(SRCS["image/jpeg;base64"]) == JPEG_SIZE == (438, 500)
    # The GIF is Kinja's 1x1 lazy-load placeholder.
    assert resolver.size(SRCS["image/gif;base64"]) == (1, 1)
    # Both SVGs declare viewBox='0 0 24 24' and no width/height.
    assert "viewBox='0 0 24 24'" in SRCS["image/svg+xml;utf8"]
    assert resolver.size(SRCS["image/svg+xml;utf8"]) == (24, 24)
    assert resolver.size(SRCS["image/svg+xml;base64"]) == (24, 24)


def test_truncated_or_garbage_data_uris_give_none():
    resolver = ProbingImageSizeResolver(fetchers=[])
    assert resolver.size(SRCS["image/jpeg;base64"][:60]) is None
    assert resolver.size("data:image/png;base64,!!!not base64!!!") is None
    assert resolver.size("data:text/html,<script>alert(1)</script>") is None
    assert resolver.size("data:") is None


# --------------------------------------------------------------------------- HTTP


def test_http_image_is_read_with_a_ranged_request(server):
    assert _loopback_resolver().size(server.url + "/photo.jpg") == JPEG_SIZE
    assert server.requests == [("/photo.jpg", f"bytes=0-{HEADER_BYTES_FIRST - 1}")]


def test_cache_hit_does_no_io(server):
    cache = ImageSizeCache()
    first = _loopback_resolver(cache=cache)
    assert first.size(server.url + "/photo.jpg") == JPEG_SIZE
    # A re-render (a new resolver sharing the container's cache) asks nobody.
    second = _loopback_resolver(cache=cache)
    assert second.size(server.url + "/photo.jpg") == JPEG_SIZE
    assert first.size(server.url + "/photo.jpg") == JPEG_SIZE
    assert len(server.requests) == 1


def test_header_beyond_the_first_range_grows_the_range_once(server):
    assert _loopback_resolver().size(server.url + "/padded.jpg") == JPEG_SIZE
    assert server.requests == [("/padded.jpg", f"bytes=0-{HEADER_BYTES_FIRST - 1}"),
                               ("/padded.jpg", f"bytes=0-{HEADER_BYTES_MAX - 1}")]


def test_server_ignoring_range_still_works():
    srv = _Server({"/photo.jpg": (200, JPEG)}, honour_range=False)
    try:
        assert _loopback_resolver().size(srv.url + "/photo.jpg") == JPEG_SIZE
    finally:
        srv.close()


def test_not_an_image_gives_none_without_a_second_request(server):
    assert _loopback_resolver().size(server.url + "/page.html") is None
    assert len(server.requests) == 1


def test_missing_image_is_negatively_cached_until_the_ttl_passes(server):
    now = [1000.0]
    cache = ImageSizeCache(negative_ttl=60, clock=lambda: now[0])
    resolver = _loopback_resolver(cache=cache)
    url = server.url + "/gone.jpg"
    assert resolver.size(url) is None
    assert resolver.size(url) is None
    assert len(server.requests) == 1
    now[0] += 61
    assert resolver.size(url) is None
    assert len(server.requests) == 2


def test_server_that_never_answers_gives_none():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the TCP connection, never sends a byte
    try:
        port = silent.getsockname()[1]
        resolver = ProbingImageSizeResolver([HttpRangeFetcher(allow_private=True, timeout=0.2)])
        assert resolver.size(f"http://127.0.0.1:{port}/photo.jpg") is None
    finally:
        silent.close()


def test_redirects_are_followed_only_to_http(server):
    resolver = _loopback_resolver()
    assert resolver.size(server.url + "/moved.jpg") == JPEG_SIZE
    assert resolver.size(server.url + "/to-file.jpg") is None
    assert resolver.size(server.url + "/to-ftp.jpg") is None


def test_redirect_targets_pass_the_same_address_check(server):
    class RefusesPhoto(HttpRangeFetcher):
        def _check_url(self, url):
            if url.endswith("/photo.jpg"):  # stands for "resolves to a private address"
                raise OSError("refused")

    resolver = ProbingImageSizeResolver([RefusesPhoto(allow_private=True)])
    assert resolver.size(server.url + "/moved.jpg") is None
    assert server.requests == [("/moved.jpg", f"bytes=0-{HEADER_BYTES_FIRST - 1}")]


def test_private_addresses_are_refused_by_default(server):
    # Untrusted article HTML must not make the renderer probe its own network.
    assert ProbingImageSizeResolver().size(server.url + "/photo.jpg") is None
    assert server.requests == []


@pytest.mark.parametrize("src", [
    "file:///C:/Documents%20and%20Settings/photo.jpg",   # hukumusume corpus page
    "file:////Users/someone/Library/msohtmlclip/1/clip_image001.png",  # Word paste
    "blob:http://www.independent.co.uk/bc5d4a4d-video",  # Independent corpus page
    "javascript:alert(1)",
    "",
])
def test_unreadable_schemes_give_none_without_a_fetch(src):
    fetched: list[str] = []

    class Recording(HttpRangeFetcher):
        def fetch(self, url, length):
            fetched.append(url)
            return super().fetch(url, length)

    assert ProbingImageSizeResolver([Recording()]).size(src) is None
    assert fetched == []


def test_relative_and_protocol_relative_srcs_resolve_against_the_site(server):
    resolver = _loopback_resolver(base_url=server.url + "/articles/x/")
    assert resolver.size("/photo.jpg") == JPEG_SIZE
    assert resolver.size("../../padded.jpg") == JPEG_SIZE
    assert ProbingImageSizeResolver().size("/photo.jpg") is None  # no base URL: nothing to ask


def test_many_images_resolve_concurrently_and_once_each(server):
    urls = [server.url + "/photo.jpg", server.url + "/padded.jpg", server.url + "/gone.png"]
    sizes = _loopback_resolver().sizes(urls * 3)
    assert sizes == {urls[0]: JPEG_SIZE, urls[1]: JPEG_SIZE, urls[2]: None}


def test_json_file_cache_lets_the_cli_rerender_without_io(server, tmp_path):
    path = tmp_path / "image-sizes.json"
    resolver = _loopback_resolver(cache=ImageSizeCache(path=path))
    assert resolver.size(server.url + "/photo.jpg") == JPEG_SIZE
    assert resolver.size(server.url + "/gone.jpg") is None
    resolver.cache.save()
    server.close()  # the next run has no server at all

    rerun = _loopback_resolver(cache=ImageSizeCache(path=path))
    assert rerun.size(server.url + "/photo.jpg") == JPEG_SIZE
    assert rerun.cache.get(server.url + "/gone.jpg") == (False, None)  # failures not persisted


def test_corrupt_json_cache_file_is_ignored(tmp_path):
    path = tmp_path / "image-sizes.json"
    path.write_text("{not json", encoding="utf-8")
    assert len(ImageSizeCache(path=path)) == 0


# --------------------------------------------------------------------------- S3 (moto)


@pytest.fixture
def s3():
    moto = pytest.importorskip("moto")
    import boto3

    with moto.mock_aws():
        client = boto3.client("s3", region_name="eu-west-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        client.create_bucket(Bucket="site-bucket",
                             CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        client.put_object(Bucket="site-bucket", Key="media/photo 1.jpg", Body=JPEG)
        client.put_object(Bucket="site-bucket", Key="media/padded.jpg", Body=PADDED_JPEG)
        yield client


def _record_ranges(client) -> list[str]:
    ranges: list[str] = []
    client.meta.events.register(
        "before-send.s3.GetObject",
        lambda request, **_: ranges.append(request.headers.get("Range").decode()
                                           if isinstance(request.headers.get("Range"), bytes)
                                           else request.headers.get("Range")))
    return ranges


def test_images_in_our_bucket_are_read_with_ranged_get_object(s3):
    ranges = _record_ranges(s3)
    fetcher = S3RangeFetcher(s3, ["site-bucket"],
                             url_prefixes={"https://www.wanderstayfinder.example/": "site-bucket"})
    http = HttpRangeFetcher()
    resolver = ProbingImageSizeResolver([fetcher, http])
    assert resolver.size("https://www.wanderstayfinder.example/media/photo%201.jpg") == JPEG_SIZE
    assert resolver.size("s3://site-bucket/media/padded.jpg") == JPEG_SIZE
    assert resolver.size(
        "https://site-bucket.s3.eu-west-1.amazonaws.com/media/photo%201.jpg") == JPEG_SIZE
    assert ranges == [f"bytes=0-{HEADER_BYTES_FIRST - 1}",
                      f"bytes=0-{HEADER_BYTES_FIRST - 1}", f"bytes=0-{HEADER_BYTES_MAX - 1}",
                      f"bytes=0-{HEADER_BYTES_FIRST - 1}"]


def test_missing_s3_object_gives_none_and_other_buckets_are_not_ours(s3):
    fetcher = S3RangeFetcher(s3, ["site-bucket"])
    resolver = ProbingImageSizeResolver([fetcher])
    assert resolver.size("s3://site-bucket/media/missing.jpg") is None
    assert not fetcher.handles("https://other-bucket.s3.amazonaws.com/media/photo.jpg")


def test_images_module_works_without_boto3():
    import subprocess
    import sys

    code = ("import sys; sys.modules['boto3'] = sys.modules['botocore'] = None\n"
            "from amp_publisher.core.image_sizes import ProbingImageSizeResolver\n"
            "print(ProbingImageSizeResolver().size('data:image/gif;base64,"
            "R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=='))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(1, 1)"


def test_conversion_uses_discovered_sizes_instead_of_the_fallback(server):
    from amp_publisher.core.conversion import convert_html

    html = f'<p><img src="{server.url}/photo.jpg" alt="Metroid"></p>'
    result = convert_html(html, image_sizes=_loopback_resolver())
    img = lxml.html.fragment_fromstring(result.html, create_parent="div").find(".//amp-img")
    assert (img.get("width"), img.get("height")) == tuple(str(n) for n in JPEG_SIZE)
    assert "amp-unknown-size" not in (img.get("class") or "")  # not the fallback


def test_https_probe_refuses_an_untrusted_certificate_on_every_fetch(tmp_path, monkeypatch):
    """The fetcher's one TLS context, kept for all its probes, still verifies the server's
    certificate: a self-signed one is refused, on the first fetch and on the next, and read
    once the system trusts it."""
    import shutil
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    srv = _Server({"/photo.jpg": (200, JPEG)})
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    srv.httpd.socket = context.wrap_socket(srv.httpd.socket, server_side=True)
    url = srv.url.replace("http://", "https://") + "/photo.jpg"
    try:
        untrusted = HttpRangeFetcher(allow_private=True, timeout=2.0)
        assert untrusted.fetch(url, 1024) is None
        assert untrusted.fetch(url, 1024) is None
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the system trusts it now
        trusted = HttpRangeFetcher(allow_private=True, timeout=2.0)
        assert trusted.fetch(url, 1024) == JPEG[:1024]
        assert trusted.fetch(url, 1024) == JPEG[:1024]
        assert untrusted.fetch(url, 1024) is None  # its context was made before
    finally:
        srv.close()
