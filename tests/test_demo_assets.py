"""The demo's pages show real pictures: every site-relative image and the logo they reference
are in the site bucket (mirrored into the demo's output), at the size the page declares."""

from __future__ import annotations

import io
import shutil

import imagesize
import lxml.html

from amp_publisher.local.demo import run_demo
from conftest import ARTICLES, EVENTS


def test_every_local_image_of_the_demo_is_served(tmp_path):
    events = tmp_path / "events"
    shutil.copytree(ARTICLES, events / "articles")
    shutil.copytree(EVENTS / "static", events / "static")
    out = tmp_path / "site"
    run_demo(events / "articles", EVENTS / "site.json", out, delete="no-such-article.json",
             stream=io.StringIO())
    checked = 0
    for page in out.rglob("index.html"):
        doc = lxml.html.document_fromstring(page.read_bytes())
        for image in doc.xpath("//amp-img[starts-with(@src, '/')]"):
            served = out / image.get("src").lstrip("/")
            assert served.read_bytes() == (EVENTS / image.get("src").lstrip("/")).read_bytes()
            width, height = imagesize.get(served)
            # The page's box has the picture's own aspect ratio (no letterboxing, no stretch).
            declared = int(image.get("width")) / int(image.get("height"))
            assert abs(width / height - declared) < 0.01, image.get("src")
            checked += 1
    # Per page the logo; the river festival also has a hero, an inline image and a gallery of 2.
    pages = len(list(out.rglob("index.html")))
    assert checked == pages + 4
