"""``make screenshots``' checks fail where a reader would see a fault: a page wider than the
window, a missing headline, an image that never loads (needs the system's Chromium and
Playwright; skipped without them)."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

from conftest import EVENTS, load_tool

screenshots = load_tool("screenshots")
CHROMIUM = screenshots.chromium_path()
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no system Chromium (apt-get install chromium)"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="Playwright is not installed (make screenshots installs it)"),
    pytest.mark.slow,
]

GOOD = """<!doctype html><html><head><meta name="viewport" content="width=device-width">
<title>ok</title></head><body><header class="site-header"><amp-img class="logo"
src="/logo.png" width="600" height="60" layout="intrinsic" alt="Logo"></amp-img></header>
<h1>Fine</h1>
<p>Short text.</p></body></html>"""

BAD = """<!doctype html><html><head><meta name="viewport" content="width=device-width">
<title>bad</title></head><body><div style="width:2000px;height:10px;background:red"></div>
<amp-img src="/missing.jpg" width="40" height="30" layout="fixed" alt="gone"></amp-img>
<p>No headline here.</p></body></html>"""


def test_checks_pass_a_sound_page_and_fail_a_broken_one(tmp_path):
    site = tmp_path / "site"
    for name, html in (("good", GOOD), ("bad", BAD)):
        (site / name).mkdir(parents=True)
        (site / name / "index.html").write_text(html, encoding="utf-8")
    shutil.copyfile(EVENTS / "static" / "logo-600x60.png", site / "logo.png")
    shots = screenshots.run(site, tmp_path / "out", None, CHROMIUM, runtime=None,
                               settle_ms=3000)
    assert len(shots) == 2 * len(screenshots.VIEWS)
    for shot in shots:
        assert shot.path.stat().st_size > 0
        if shot.page == "good":
            assert shot.failures == []
        else:
            assert "headline not visible" in shot.failures
            assert "image not loaded and no fallback shown: /missing.jpg" in shot.failures
            # 2000 px of content plus the body's default 8 px margin
            assert (f"horizontal overflow: the page is 2008 px wide in a {shot.width} px window"
                    in shot.failures)
