"""What ``pip install .`` gives a user: the wheel carries the licence, the metadata names the
licence, project URLs, classifiers and bounded runtime dependencies, and ``amp-render --version``
reports the package's version."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser

import pytest
from packaging.requirements import Requirement

from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("setuptools")
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the test environment already has setuptools and wheel, and no index
    # is needed.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    (path,) = out.glob("amp_publisher-*.whl")
    return zipfile.ZipFile(path)


def _metadata(wheel: zipfile.ZipFile):
    name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    return Parser().parsestr(wheel.read(name).decode("utf-8"))


@pytest.mark.slow
def test_wheel_carries_the_apache_licence(wheel):
    licence = [n for n in wheel.namelist() if n.endswith("/LICENSE")]
    assert len(licence) == 1 and ".dist-info/licenses/" in licence[0]
    text = wheel.read(licence[0]).decode("utf-8")
    assert text == (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert _metadata(wheel)["License-Expression"] == "Apache-2.0"


@pytest.mark.slow
def test_metadata_urls_classifiers_and_bounded_dependencies(wheel):
    from amp_publisher import __version__

    meta = _metadata(wheel)
    assert meta["Version"] == __version__
    assert {u.split(",")[0] for u in meta.get_all("Project-URL")} >= {"Homepage", "Source",
                                                                       "Issues"}
    classifiers = meta.get_all("Classifier")
    assert "Programming Language :: Python :: 3.12" in classifiers
    runtime = [Requirement(r) for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    unbounded = [str(r) for r in runtime
                 if r.name != "tzdata" and not any(s.operator == "<" for s in r.specifier)]
    assert unbounded == []  # tzdata is data that must stay current (pyproject says why)


@pytest.mark.slow
def test_wheel_ships_the_theme_templates(wheel):
    names = set(wheel.namelist())
    for template in ("base.html", "article.html", "style.css", "partials/site_header.html"):
        assert f"amp_publisher/core/templates/default/{template}" in names
