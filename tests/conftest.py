"""Shared fixtures: the repo's real inputs and the embedded backend.

The embedded backend (moto's server on loopback) starts once per test process; each test that asks
for ``backend`` gets it reset to empty and re-created with the template's resources.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "events"
ARTICLES = EVENTS / "articles"
CORPUS = REPO / "tests" / "corpus" / "raw"
REFERENCE = ARTICLES / "met-palantir-extension.json"
REFERENCE_HTML = ARTICLES / "met-palantir-extension.body-html.json"
REFERENCE_SLUG = "met-gets-extension-to-palantir-ai-project"


@pytest.fixture
def reference_data() -> dict:
    """The reference article (block body) as decoded JSON."""
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


@pytest.fixture
def site():
    """The reference site configuration (events/site.json)."""
    from amp_publisher.core.site import SiteConfig

    return SiteConfig.model_validate(json.loads((EVENTS / "site.json").read_text()))


@pytest.fixture
def event():
    """Load a sample event from events/ by file stem."""

    def load(name: str) -> dict:
        return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))

    return load


@pytest.fixture(scope="session")
def _backend_server():
    import os

    from amp_publisher.local.backend import EmbeddedBackend

    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    backend = EmbeddedBackend().start()
    yield backend
    backend.stop()


@pytest.fixture
def backend(_backend_server):
    """The embedded backend, emptied and with the template's resources freshly created."""
    _backend_server.reset()
    _backend_server._reset_clients()
    _backend_server.create_resources()
    s3 = _backend_server.client("s3")
    s3.put_object(Bucket=_backend_server.names.source_bucket, Key="config/site.json",
                  Body=(EVENTS / "site.json").read_bytes())
    return _backend_server


def load_tool(name: str):
    """Import ``tools/<name>.py`` (a script, not a package module) for its tests."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module
