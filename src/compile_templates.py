"""Compile the packaged themes' Jinja2 templates into the function's build (src/Makefile).

Run with the function's Python (CPython 3.12) and the layer's Jinja2 release on ``PYTHONPATH``,
beside the built package::

    PYTHONPATH=<artifacts>:<jinja2> python3.12 compile_templates.py <artifacts>

Writes ``<artifacts>/amp_publisher/core/compiled_templates/jinja2-<release>-cp312/`` with
:func:`amp_publisher.core.theme.compile_packaged_themes`, which loads every template back from
it before it returns; exits non-zero if any template would compile again at run time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Compile into the package under ``artifacts``; 0 on success, 1 if the package imported is
    not the one under ``artifacts`` (the templates would be compiled from another tree)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", type=Path, help="the folder holding the built amp_publisher")
    args = parser.parse_args(argv)
    from amp_publisher.core import theme

    package = args.artifacts.resolve() / "amp_publisher"
    if not theme.TEMPLATES_DIR.resolve().is_relative_to(package):
        print(f"amp_publisher was imported from {theme.TEMPLATES_DIR.parent.parent}, not from "
              f"{package}: put the artifacts first on PYTHONPATH", file=sys.stderr)
        return 1
    compiled = theme.compile_packaged_themes(theme.COMPILED_TEMPLATES_DIR)
    print(f"compiled {len(compiled)} templates into "
          f"{theme.COMPILED_TEMPLATES_DIR.name}/{theme.cache_tag()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
