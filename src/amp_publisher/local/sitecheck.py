"""The site's link invariant, checkable on a mirrored site: no output links to a missing page.

:func:`crawl` starts at ``/`` and at ``/robots.txt`` of a folder laid out like the site bucket
(``build/site/``), maps URLs to files the way CloudFront does (``/x/`` → ``x/index.html``),
and follows every same-site link: relative ones (``/x/``, ``x/``, ``../x/``, resolved against
the linking output's own URL, as a browser does) and absolute ones under the site's base URL:
``<a href>`` and ``<link href>``
(canonical, amphtml, alternate feeds, next/prev; not asset links such as ``preload``) in HTML
pages, ``Sitemap:`` lines in
robots.txt, ``<loc>`` in sitemaps, ``<link>``/``<guid>`` in RSS, ``<link href>`` in Atom and
``url``/``home_page_url``/``feed_url`` in JSON feeds. Links elsewhere (other hosts) are not
followed, nor links inside an article's body (``.article-body``: what authors wrote, which may
point at pages of the site that this function does not publish).

Example::

    result = crawl(Path("build/site"), "https://www.wanderstayfinder.example")
    assert not result.broken, result.broken     # [(from key, missing URL), ...]
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

__all__ = ["crawl", "CrawlResult", "key_for_url", "url_for_key"]


@dataclass
class CrawlResult:
    """What :func:`crawl` found.

    Attributes:
        visited: keys reached (``index.html``, ``sitemap.xml``…), in crawl order.
        broken: ``(key of the linking output, URL it links to)`` for every link to a missing
            object.
    """

    visited: list[str] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)


def url_for_key(key: str, base_url: str) -> str:
    """The URL CloudFront serves ``key`` at (``x/index.html`` → ``<base_url>/x/``): the base
    a relative link in that output resolves against."""
    path = key[: -len("index.html")] if key == "index.html" or key.endswith("/index.html") \
        else key
    return f"{base_url}/{path}"


def key_for_url(url: str, base_url: str) -> str | None:
    """The object key CloudFront serves for ``url`` (``None`` when it is not under
    ``base_url``): ``/x/`` → ``x/index.html``, an extension-less ``/x`` → ``x/index.html``."""
    url = urldefrag(url)[0]
    if not url.startswith(base_url + "/") and url != base_url:
        return None
    path = urlsplit(url).path[len(urlsplit(base_url).path):].lstrip("/")
    if not path or path.endswith("/"):
        return f"{path}index.html"
    if "." not in path.rsplit("/", 1)[-1]:
        return f"{path}/index.html"
    return path


#: ``<link rel>`` values that name another output of the site; the rest (``preload``,
#: ``icon``, ``preconnect``…) name assets or other hosts, which this function does not publish.
_PAGE_RELS = " or ".join(
    f"contains(concat(' ', normalize-space(@rel), ' '), ' {rel} ')"
    for rel in ("canonical", "amphtml", "alternate", "next", "prev"))


def _links(key: str, body: bytes) -> list[str]:
    from lxml import etree, html

    if key.endswith(".html"):
        doc = html.fromstring(body)
        return [str(v) for v in doc.xpath(
            "//a[not(ancestor::*[contains(concat(' ', @class, ' '), ' article-body ')])]/@href"
            " | //link[" + _PAGE_RELS + "]/@href")]
    if key.endswith(".txt"):
        return [line.split(":", 1)[1].strip() for line in body.decode("utf-8").splitlines()
                if line.lower().startswith("sitemap:")]
    if key.endswith(".json"):
        data = json.loads(body)
        urls = [data.get("home_page_url"), data.get("feed_url")]
        urls += [item.get("url") for item in data.get("items", [])]
        return [u for u in urls if u]
    if key.endswith(".xml"):
        root = etree.fromstring(body)
        found = [str(t).strip() for t in root.xpath(
            "//*[local-name()='loc' or local-name()='guid']/text()"
            " | //*[local-name()='link']/text()")]
        return found + [str(v) for v in root.xpath("//*[local-name()='link']/@href")]
    return []


def crawl(root: Path, base_url: str) -> CrawlResult:
    """Crawl the mirrored site in ``root`` from ``/`` and ``/robots.txt`` (see the module)."""
    result = CrawlResult()
    queue = deque(["index.html", "robots.txt"])
    seen = set(queue)
    while queue:
        key = queue.popleft()
        path = root / key
        if not path.is_file():
            continue
        result.visited.append(key)
        here = url_for_key(key, base_url)
        for link in _links(key, path.read_bytes()):
            url = urljoin(here, link.strip())  # relative links are the site's own too
            target = key_for_url(url, base_url)
            if target is None:
                continue
            if not (root / target).is_file():
                result.broken.append((key, url))
            elif target not in seen:
                seen.add(target)
                queue.append(target)
    return result
