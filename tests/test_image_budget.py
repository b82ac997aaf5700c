"""Bounded image-size probes (issue 14 item 6): a count and time budget per article, fallback
sizes with a report entry past it, and the probe connects to the address it checked."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from amp_publisher.core.conversion import convert_html
from amp_publisher.core.image_sizes import (
    HttpRangeFetcher,
    ImageSizeCache,
    ProbeBudget,
    ProbingImageSizeResolver,
)


def _png(width: int, height: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(
        ">II", width, height) + b"\x08\x06\x00\x00\x00"


class CountingFetcher:
    """Answers every https URL with a 640x480 PNG header, counting requests."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.urls: list[str] = []
        self.gate = gate
        self.lock = threading.Lock()

    def handles(self, url: str) -> bool:
        return url.startswith("https://")

    def fetch(self, url: str, length: int) -> bytes | None:
        with self.lock:
            self.urls.append(url)
        if self.gate is not None:
            self.gate.wait(5)  # a host that does not answer within the article's budget
            return None
        return _png(640, 480)


def _body(n: int) -> str:
    return "".join(f'<p><img src="https://img{i}.example.com/p.png" alt="photo {i}"></p>'
                   for i in range(n))


def test_images_past_the_count_budget_get_the_fallback_size_and_a_report_entry():
    fetcher = CountingFetcher()
    resolver = ProbingImageSizeResolver([fetcher], budget=ProbeBudget(max_probes=4,
                                                                      total_seconds=30))
    result = convert_html(_body(10), image_sizes=resolver)
    assert len(fetcher.urls) == 4  # no more requests than the budget allows
    assert result.html.count('width="640" height="480"') == 4
    assert result.html.count('width="600" height="400" layout="responsive"') == 6
    assert result.html.count("<amp-img") == 10  # every picture is still shown
    entry = next(e for e in result.report if e.code == "IMAGE_SIZE_BUDGET")
    assert entry.detail.startswith("6 image(s) not measured")


def test_slow_image_hosts_stop_at_the_time_budget():
    gate = threading.Event()
    fetcher = CountingFetcher(gate)
    resolver = ProbingImageSizeResolver([fetcher], budget=ProbeBudget(max_probes=64,
                                                                      total_seconds=0.3))
    try:
        result = convert_html(_body(64), image_sizes=resolver)
    finally:
        gate.set()  # release the stuck probes
    assert result.html.count("<amp-img") == 64
    assert "IMAGE_SIZE_BUDGET" in [e.code for e in result.report]
    assert 'width="640"' not in result.html


def test_cached_and_data_images_do_not_count_against_the_budget():
    cache = ImageSizeCache()
    for i in range(5):
        cache.put(f"https://img{i}.example.com/p.png", (300, 200))
    fetcher = CountingFetcher()
    resolver = ProbingImageSizeResolver([fetcher], cache=cache,
                                        budget=ProbeBudget(max_probes=1, total_seconds=30))
    result = convert_html(_body(6), image_sizes=resolver)
    assert result.html.count('width="300" height="200"') == 5
    assert result.html.count('width="640" height="480"') == 1
    assert "IMAGE_SIZE_BUDGET" not in [e.code for e in result.report]


def test_the_probe_connects_to_the_address_it_checked(monkeypatch):
    # A rebinding name answers "public" to the check and "loopback" to a second lookup; the
    # probe must resolve once and connect to the checked address.
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    lookups: list[str] = []
    connected: list[tuple[str, int]] = []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port or 80))]

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise OSError("test: no network")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    assert HttpRangeFetcher().fetch("http://rebind.example/p.png", 1024) is None
    assert lookups == ["rebind.example"]
    assert connected == [("93.184.216.34", 80)]


def test_a_name_resolving_to_a_private_address_is_never_connected(monkeypatch):
    connected: list = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))])
    monkeypatch.setattr(socket, "create_connection",
                        lambda address, *a, **k: connected.append(address))
    assert HttpRangeFetcher().fetch("https://internal.example/p.png", 1024) is None
    assert connected == []


@pytest.mark.parametrize("allow_private", [True])
def test_allow_private_still_pins_the_connection(monkeypatch, allow_private):
    connected: list = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.9", port))])

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise OSError("test: no network")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    fetcher = HttpRangeFetcher(allow_private=allow_private)
    assert fetcher.fetch("http://localhost.example:8080/p.png", 1024) is None
    assert connected == [("127.0.0.9", 8080)]


def test_one_budget_covers_the_whole_page_hero_and_every_html_block():
    import json
    from pathlib import Path

    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    root = Path(__file__).resolve().parent.parent
    site = SiteConfig.model_validate(json.loads((root / "events/site.json").read_text()))
    fetcher = CountingFetcher()
    resolver = ProbingImageSizeResolver([fetcher], budget=ProbeBudget(max_probes=3,
                                                                      total_seconds=30))
    article = parse_article({
        "headline": "Blocks", "slug": "blocks", "published": "2026-06-25T09:00:00Z",
        "image": {"src": "https://hero.example.com/h.png", "alt": "Hero"},
        "body": [{"type": "paragraph", "html": f'Photo <img src="https://img{i}.example.com/'
                  f'p.png" alt="p{i}">'} for i in range(8)]})
    render(article, site, source_key="articles/blocks.json", image_sizes=resolver)
    assert len(fetcher.urls) == 3  # hero + 8 inline images, one budget of 3 probes
