"""The reader benchmark's boilerplate-free control page (``bench/reader.py``): the reference page
as published with the AMP boilerplate deleted and nothing else, as in issue 16's baseline, and
the transformed page's FCP scaled to the baseline's machine with it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tools"))

import reader  # noqa: E402


@pytest.fixture(scope="module")
def pages():
    return reader._pages(Path("."))


def test_the_control_page_is_the_published_page_without_its_boilerplate_only(pages):
    plain, bare = pages["reference"]["plain"], pages["reference"]["no-boilerplate"]
    assert "amp-boilerplate" in plain and "amp-boilerplate" not in bare
    assert "body{-webkit-animation:-amp-start 8s" in plain
    assert "-amp-start" not in bare  # the rule that hides the page for up to 8 s
    # everything else is kept: the runtime script, the theme's CSS, the article
    start = plain.index("<style amp-boilerplate>")
    end = plain.index("</noscript>", start) + len("</noscript>")
    assert bare == plain[:start] + plain[end:]
    assert '<script async src="https://cdn.ampproject.org/v0.js"></script>' in bare
    assert "<style amp-custom>" in bare
    assert "hero" in pages and "no-boilerplate" not in pages["hero"]


def test_a_page_without_the_boilerplate_is_refused():
    with pytest.raises(ValueError, match="found it 0 times"):
        reader.without_boilerplate("<!doctype html><html amp><head></head></html>")


def test_the_transformed_fcp_is_scaled_by_the_control_pages_ratio_to_the_baseline():
    results = {"reference/no-boilerplate/cdn": {"fcp_ms": 664},      # baseline 332: × 0.5
               "reference/no-boilerplate/slow-cdn": {"fcp_ms": 632},  # baseline 316: × 0.5
               "reference/transformed/cdn": {"fcp_ms": 700},
               "reference/transformed/slow-cdn": {"fcp_ms": 600},
               "reference/transformed/no-cdn": {"fcp_ms": 900}}
    # no-cdn has no control load in the baseline: the working CDN's factor
    assert reader.at_baseline_speed(results) == {"cdn": 350, "slow-cdn": 300, "no-cdn": 450}
    assert reader.at_baseline_speed({"reference/transformed/cdn": {"fcp_ms": 700}}) is None
