"""The benchmark's generated articles (bench/articles.py) are what `make bench` claims they are:
valid contract-v1 articles of realistic shape that render to valid AMP, the same on every run,
and the Hugo site built from them has one page per article with the same AMP components."""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from html import unescape
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import articles  # noqa: E402  (bench/ is a folder of scripts, not a package)


def test_same_seed_gives_the_same_articles_and_article_i_does_not_depend_on_count():
    first = articles.generate(12)
    assert json.dumps(first) == json.dumps(articles.generate(12))
    assert articles.generate(5) == first[:5]
    assert articles.generate_range(5, 12) == first[5:]
    assert articles.generate(3, seed=1) != first[:3]


def test_every_generated_article_is_already_published_on_the_day_of_the_run():
    # one dated later is scheduled: a rebuild bench would count it as nothing to render
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    for data in articles.generate(400):
        published = datetime.fromisoformat(data["published"])
        assert (published if published.tzinfo else published.replace(tzinfo=UTC)) < now


def test_generated_articles_follow_the_contract_with_realistic_bodies():
    from amp_publisher.core.models import parse_article

    generated = articles.generate(60)
    for data in generated:
        parse_article(data)  # raises SchemaError naming the JSON path if not
    block_bodies = [a["body"] for a in generated if "body" in a]
    html_bodies = [a["body_html"] for a in generated if "body_html" in a]
    assert all(20 <= len(body) <= 40 for body in block_bodies)
    assert 10 <= len(html_bodies) <= 35  # about a third, as WordPress/Ghost exports arrive
    kinds = Counter(block["type"] for body in block_bodies for block in body)
    for kind in ("paragraph", "heading", "image", "gallery", "embed", "html", "list", "quote"):
        assert kinds[kind] > 0, kind
    debris = "".join(html_bodies)
    for messy in ("<iframe", "<script", "<font", 'style="'):
        assert messy in debris


def test_generated_articles_render_to_valid_amp():
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.site import SiteConfig

    site = SiteConfig.model_validate(
        json.loads((BENCH.parent / "events" / "site.json").read_text(encoding="utf-8")))
    for data in articles.generate(6):
        page = render(parse_article(data), site, source_key=f"articles/{data['slug']}.json")
        result = validate(page.html)
        assert result.passed, (data["slug"], [e.message for e in result.errors][:3])


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_builds_one_page_per_article_with_the_same_components(tmp_path):
    import hugo_site

    generated = articles.generate(8)
    root = hugo_site.write_site(tmp_path / "site", generated)
    _seconds, pages = hugo_site.build(shutil.which("hugo"), root)
    assert pages == len(generated)
    for data in generated:
        html = (root / "public" / data["slug"] / "index.html").read_text(encoding="utf-8")
        title = html.split("<title>", 1)[1].split("</title>", 1)[0]
        assert unescape(title) == f"{data['headline']} | WanderStayFinder"
        for block in data.get("body", []):
            if block["type"] == "embed":
                assert f'<amp-{block["provider"]} ' in html
                assert f'custom-element="amp-{block["provider"]}"' in html
