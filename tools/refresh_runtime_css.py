"""Refresh the AMP runtime CSS that transformed pages inline (``make runtime-css``).

Writes ``src/amp_publisher/core/amp/transform/runtime/v0.css`` and ``runtime.json`` (its
runtime version and where it came from). The CSS is the AMP project's (Apache License 2.0, the
text beside it in ``v0.css.LICENSE``).

Two sources:

* the AMP CDN (default): ``https://cdn.ampproject.org/rtv/metadata`` names the current
  production runtime version and its CSS URL, which is then downloaded;
* ``--from DIR``: a runtime built from the AMP project's source (``DIR/v0.css`` and
  ``DIR/version.txt``, the layout of the ``dist`` folder's CDN copy), for machines without the
  CDN or to match the runtime a test serves.

Exit status 0 when written, 1 when the source cannot be read (nothing is changed then).

    .venv/bin/python tools/refresh_runtime_css.py [--from DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "amp_publisher" / "core" / "amp" / "transform" / "runtime"
METADATA_URL = "https://cdn.ampproject.org/rtv/metadata"
#: A runtime version: two digits of release channel, thirteen of build (``012612061822000``).
VERSION = re.compile(r"\d{15}")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (fixed https URL)
        return response.read()


def from_cdn() -> tuple[str, str, str]:
    """(version, css, source) of the CDN's current production runtime."""
    meta = json.loads(_get(METADATA_URL))
    version = meta["ampRuntimeVersion"]
    url = meta.get("ampCssUrl") or f"https://cdn.ampproject.org/rtv/{version}/v0.css"
    return version, _get(url).decode("utf-8"), f"{url} (from {METADATA_URL})"


def from_build(folder: Path) -> tuple[str, str, str]:
    """(version, css, source) of a runtime build: its ``version.txt`` holds the 13-digit
    build number, served as production (channel ``01``)."""
    build = (folder / "version.txt").read_text(encoding="utf-8").strip()
    version = build if len(build) == 15 else "01" + build
    return version, (folder / "v0.css").read_text(encoding="utf-8"), \
        f"v0.css of AMP runtime {version}, built from the AMP project's source"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="folder", type=Path,
                        help="a runtime build's CDN folder (v0.css, version.txt)")
    args = parser.parse_args(argv)
    try:
        version, css, source = from_build(args.folder) if args.folder else from_cdn()
    except (OSError, ValueError, KeyError) as exc:
        print(f"refresh_runtime_css: cannot read the runtime CSS: {exc}", file=sys.stderr)
        return 1
    if not VERSION.fullmatch(version) or ".i-amphtml-layout-size-defined" not in css:
        print(f"refresh_runtime_css: {source} does not look like the runtime's v0.css "
              f"(version {version!r})", file=sys.stderr)
        return 1
    (TARGET / "v0.css").write_text(css, encoding="utf-8")
    meta = {"version": version, "source": source,
            "licence": "Apache License 2.0 (v0.css.LICENSE), The AMP HTML Authors"}
    (TARGET / "runtime.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"runtime CSS {version}: {len(css.encode()):,} bytes from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
