"""The package layout is the architecture (DESIGN §2): ``core`` (pure), ``aws`` (the edges),
``local`` (the command line and the embedded backend), imported in one direction only:
local → aws → core.

The check reads every module's imports with :mod:`ast` (including imports deferred inside
functions), so an upward import anywhere fails here, not as a surprise in Lambda.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "amp_publisher"

#: Lower rank may never import higher rank. The package root re-exports the core's public API.
RANK = {"core": 0, "aws": 1, "local": 2}


def _part(module: str) -> str | None:
    """``amp_publisher.aws.handler`` → ``aws``; the package root → ``None`` (allowed everywhere)."""
    parts = module.split(".")
    if parts[0] != "amp_publisher" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in RANK else None


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: use absolute imports"
            base = node.module or ""
            found.append((node.lineno, base))
            # ``from amp_publisher import aws`` names a part through its members
            if base == "amp_publisher":
                found += [(node.lineno, f"amp_publisher.{alias.name}") for alias in node.names]
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_every_module_lives_in_one_of_the_three_parts():
    stray = [p.relative_to(PACKAGE) for p in _modules()
             if p.parent == PACKAGE and p.name != "__init__.py"]
    assert stray == [], f"modules outside core/, aws/ and local/: {stray}"
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} \
        == set(RANK)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_only_downwards(path):
    own = path.relative_to(PACKAGE).parts[0]
    if own not in RANK:
        return  # the package root: lazy re-exports of the core only (checked below)
    upward = [f"line {line}: {module}" for line, module in _imports(path)
              if (part := _part(module)) is not None and RANK[part] > RANK[own]]
    assert upward == [], f"{own}/ may not import from a higher layer: {upward}"


def test_the_package_root_exposes_only_the_core():
    import amp_publisher

    targets = {module for module, _attribute in amp_publisher._LAZY.values()}
    assert targets and all(_part(module) == "core" for module in targets), targets


def test_the_check_catches_an_upward_import(tmp_path):
    """The rule above is not vacuous: a core module importing the AWS edge is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from amp_publisher.aws.storage import client\n")
    assert [(line, m) for line, m in _imports(bad) if _part(m) == "aws"] == \
        [(2, "amp_publisher.aws.storage")]
