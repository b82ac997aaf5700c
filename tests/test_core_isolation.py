"""The rendering core runs without AWS: it imports neither boto3 nor Powertools (STYLE, practice 1).

Run in a fresh interpreter where importing boto3, botocore or aws_lambda_powertools fails, so a
stray import anywhere in the core shows up here rather than as a cold-start cost in Lambda.
"""

from __future__ import annotations

import subprocess
import sys

from conftest import EVENTS, REFERENCE, REFERENCE_HTML

_SCRIPT = f"""
import json, sys
for blocked in ("boto3", "botocore", "aws_lambda_powertools", "moto"):
    sys.modules[blocked] = None  # any import of these now raises ImportError
from amp_publisher import parse_article, render, validate
from amp_publisher.core.site import SiteConfig
site = SiteConfig.model_validate(json.load(open({str(EVENTS / "site.json")!r})))
for path in ({str(REFERENCE)!r}, {str(REFERENCE_HTML)!r}):
    page = render(parse_article(json.load(open(path))), site, source_key="articles/x.json")
    assert validate(page.html).passed, path
print("ok")
"""


def test_render_and_validate_with_aws_libraries_blocked():
    done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
