"""The demo's pages show real pictures: every site-relative image and the logo they reference
are in the site bucket (mirrored into the demo's output), at the size the page declares."""

from __future__ import annotations

import imagesize
import lxml.html
import pytest

from conftest import EVENTS


@pytest.mark.slow
def test_every_local_image_of_the_demo_is_served(demo_run):
    _, _, out = demo_run
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
