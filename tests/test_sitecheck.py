"""The site crawler follows every same-site link, relative ones included, and reports the
ones that lead nowhere."""

from __future__ import annotations

from pathlib import Path

from amp_publisher.local.sitecheck import crawl, key_for_url, url_for_key

BASE = "https://news.example"


def _site(root: Path, files: dict[str, str]) -> Path:
    for key, body in files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return root


def _page(*hrefs: str, body_links: tuple[str, ...] = ()) -> str:
    links = "".join(f'<a href="{h}">x</a>' for h in hrefs)
    inside = "".join(f'<a href="{h}">y</a>' for h in body_links)
    return f'<html><body>{links}<div class="article-body">{inside}</div></body></html>'


def test_relative_links_are_followed_and_a_missing_target_is_reported(tmp_path):
    root = _site(tmp_path, {
        "index.html": _page("/a/", "b/", "mailto:desk@news.example", "https://other.example/x/"),
        "a/index.html": _page("../b/", "/gone/"),            # root-relative, missing
        "b/index.html": _page("c/", "../a/#top", "x/"),     # document-relative, missing
        "b/c/index.html": _page("/"),
        "robots.txt": "User-agent: *\n",
    })
    result = crawl(root, BASE)
    assert set(result.visited) == {"index.html", "robots.txt", "a/index.html", "b/index.html",
                                   "b/c/index.html"}
    assert sorted(result.broken) == [("a/index.html", f"{BASE}/gone/"),
                                     ("b/index.html", f"{BASE}/b/x/")]


def test_canonical_and_amphtml_links_are_followed(tmp_path):
    root = _site(tmp_path, {
        "index.html": _page("/story/"),
        "story/index.html": '<html><head><link rel="amphtml" href="amp/">'
                            '<link rel="canonical" href="/story/"></head><body></body></html>',
    })
    result = crawl(root, BASE)
    assert result.broken == [("story/index.html", f"{BASE}/story/amp/")]


def test_links_in_an_article_body_are_not_checked(tmp_path):
    root = _site(tmp_path, {"index.html": _page(body_links=("/not-ours/", "elsewhere/"))})
    assert crawl(root, BASE).broken == []


def test_urls_map_to_keys_the_way_the_cdn_serves_them():
    assert url_for_key("index.html", BASE) == f"{BASE}/"
    assert url_for_key("x/amp/index.html", BASE) == f"{BASE}/x/amp/"
    assert url_for_key("sitemaps/2026-05.xml", BASE) == f"{BASE}/sitemaps/2026-05.xml"
    assert key_for_url(f"{BASE}/x/amp/", BASE) == "x/amp/index.html"
    assert key_for_url(f"{BASE}/x", BASE) == "x/index.html"
    assert key_for_url("https://other.example/x/", BASE) is None


def test_asset_links_are_not_taken_for_pages(tmp_path):
    root = _site(tmp_path, {"index.html": '<html><head>'
                            '<link rel="preload" as="image" href="/static/hero.jpg">'
                            '<link rel="icon" href="favicon.ico"></head><body></body></html>'})
    assert crawl(root, BASE).broken == []
