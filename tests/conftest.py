"""Shared fixtures: the repo's real inputs and the embedded backend.

The embedded backend (moto's server on loopback) starts once per test process; each test that asks
for ``backend`` gets it reset to empty and re-created with the template's resources.

Tests marked ``slow`` run first: ``make test`` spreads the suite over the CPUs with pytest-xdist,
which hands tests out in collection order, so a long test collected last would leave one CPU
working alone at the end of the run (see :func:`pytest_collection_modifyitems`).
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


def replaced(doc, path, new):
    """A deep copy of the JSON value ``doc`` with the value at ``path`` (a sequence of keys and
    indexes) replaced by ``new``; ``new`` itself when ``path`` is empty."""
    import copy

    if not path:
        return new
    doc = copy.deepcopy(doc)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return doc


@pytest.fixture(autouse=True)
def _metrics_of_one_invocation():
    """Start each test with the functions' metrics empty, as each Lambda invocation does.

    Tests that call ``handle_event`` directly add metrics that no entry point flushes; Powertools
    keeps them (in one set shared by every ``Metrics`` object) and flushes by itself at 100, so
    an entry point called later could find its set just emptied and warn "No application
    metrics to publish". Only when the function's modules are already imported."""
    import sys

    for name in ("amp_publisher.aws.handler", "amp_publisher.aws.site_index"):
        module = sys.modules.get(name)
        if module is not None:
            module.metrics.clear_metrics()
    yield


def pytest_collection_modifyitems(config, items):
    """Put the tests marked ``slow`` first, in their collection order.

    pytest-xdist hands the first quarter of the tests out to its workers in turn and the rest
    to whichever worker is free, in this order: long tests started first are spread over the
    workers and overlap with the short ones, instead of one of them running alone at the end.
    Without xdist the order changes nothing (the tests do not depend on each other).
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


#: Tests that share a costly session fixture and so run in one worker under ``make test``
#: (``--dist loadgroup``), by node id prefix: the demo run, and the Chromium layout checks (one
#: browser, each page rendered once for them and for the official validator's run).
ONE_WORKER = {
    "tests/test_cli.py::test_demo_publishes_the_samples_then_unpublishes_one": "demo",
    "tests/test_demo_assets.py::": "demo",
    "tests/test_mobile_fit.py::": "mobile_fit",
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` with the groups of :data:`ONE_WORKER`: each group goes to one worker
    as a whole, every other test on its own to whichever worker is free.

    The groups are kept here rather than in ``xdist_group`` marks: pytest-xdist 3.8 tells its
    scheduler a test's mark through the test's node id, which pytest 9.2 no longer lets it
    change, so marked tests are spread over the workers like the others
    (pytest-dev/pytest-xdist#1386).
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class Scheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            if scope == nodeid:
                return next((group for prefix, group in ONE_WORKER.items()
                             if nodeid.startswith(prefix)), nodeid)
            return scope

    return Scheduling(config, log)


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


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """One ``make demo`` run (AMP page mode) shared by the tests that check what it shows and
    writes: the sample articles and their static files copied into a fresh folder, published,
    the reference article's ``body_html`` twin deleted at the end.

    Returns ``(rows, text, out)``: the summary rows, everything the demo printed, and the folder
    the site bucket was mirrored into. It runs with ``AMP_TRANSFORM`` unset, as ``make demo``
    does in a fresh shell: the default applies. A demo run takes long (it starts the embedded
    backend and two worker processes for its rebuild), so it is made once per test process; its
    tests are one of the :data:`ONE_WORKER` groups, so that ``make test`` runs them in the same
    process.
    """
    import io
    import shutil

    from amp_publisher.local.demo import run_demo

    events = tmp_path_factory.mktemp("demo") / "events"
    shutil.copytree(ARTICLES, events / "articles")
    shutil.copytree(EVENTS / "static", events / "static")
    out = events.parent / "site"
    stream = io.StringIO()
    with pytest.MonkeyPatch.context() as env:
        env.delenv("AMP_TRANSFORM", raising=False)
        rows = run_demo(events / "articles", EVENTS / "site.json", out,
                        delete="met-palantir-extension.body-html.json", stream=stream)
    return rows, stream.getvalue(), out


def load_tool(name: str):
    """Import ``tools/<name>.py`` (a script, not a package module) for its tests."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module
