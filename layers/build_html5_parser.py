"""Build and install html5-parser against the libxml2 that lxml's wheel bundles.

html5-parser (the compiled HTML5 parser the converter uses, ``core/conversion/tree.py``) hands
libxml2 documents to lxml, so both must use one libxml2: html5-parser refuses to import when the
versions differ. It publishes only a source distribution, and building it the ordinary way links
it to the system's libxml2, which differs from the copy inside lxml's manylinux wheel (and the
Lambda platform has no system libxml2 at all). lxml's wheel exports every libxml2 symbol from its
``etree`` extension and ships the libxml2 headers (``lxml/includes``), so this script compiles
html5-parser against those headers and links it to that extension (found at run time next to it,
``$ORIGIN/../lxml``): one libxml2 in the process, whatever machine built it.

The extension needs only a C compiler and the target Python's headers; it uses no glibc symbol
newer than manylinux2014's (glibc 2.17), which the script checks when ``objdump`` is available,
so a build on any current Linux runs on the Lambda python3.12 runtime (Amazon Linux 2023).

Usage::

    layers/build_html5_parser.py --python .venv/bin/python               # into that environment
    layers/build_html5_parser.py --python python3.12 --target build/layer/python   # layer

Exit status 0 when html5-parser imports and parses with the given interpreter; otherwise 1.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Newest glibc symbol version the extension may need: manylinux2014's.
GLIBC_LIMIT = (2, 17)


def _pinned_version() -> str:
    """html5-parser's pin in layers/requirements.txt (one version for dev and Lambda)."""
    for line in (HERE / "requirements.txt").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*html5-parser==([\w.]+)", line)
        if match:
            return match.group(1)
    raise SystemExit("layers/requirements.txt pins no html5-parser")


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, **kwargs)


def _lxml_dir(python: str, target: Path | None) -> Path:
    code = "import lxml, os; print(os.path.dirname(lxml.__file__))"
    env = dict(os.environ)
    if target is not None:
        env["PYTHONPATH"] = str(target)
    out = _run([python, "-c", code], capture_output=True, env=env).stdout.strip()
    return Path(out)


def _glibc_needed(path: str) -> tuple[int, ...] | None:
    if shutil.which("objdump") is None:
        return None
    out = _run(["objdump", "-T", path], capture_output=True).stdout
    versions = [tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_([0-9.]+)", out)]
    return max(versions, default=(0,))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter to build for (default: this one)")
    parser.add_argument("--target", type=Path,
                        help="install into this folder (which already holds lxml) instead of "
                        "the interpreter's environment")
    args = parser.parse_args(argv)
    target = args.target.resolve() if args.target else None
    lxml_dir = _lxml_dir(args.python, target)
    suffix = _run([args.python, "-c", "import sysconfig; print(sysconfig.get_config_var("
                   "'EXT_SUFFIX'))"], capture_output=True).stdout.strip()
    etree_so = lxml_dir / f"etree{suffix}"
    if not etree_so.is_file() or not (lxml_dir / "includes" / "libxml").is_dir():
        print(f"{etree_so} or lxml's libxml2 headers missing: install lxml's wheel first",
              file=sys.stderr)
        return 1
    env = dict(os.environ)
    env.update({
        "LIBXML_INCLUDE_DIRS": str(lxml_dir / "includes"),
        "LIBXML_LIB_DIRS": "",
        "LIBXML_LIBS": "",
        # link to lxml's extension by its file name, found next to html5_parser at run time
        "LDFLAGS": f"-Wl,-rpath,$ORIGIN/../lxml -Wl,--no-as-needed -L{lxml_dir} "
                   f"-l:{etree_so.name}",
    })
    cmd = [args.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--no-deps", "--no-cache-dir", "--no-binary", "html5-parser", "--force-reinstall",
           f"html5-parser=={_pinned_version()}"]
    if target is not None:
        cmd += ["--no-compile", "--target", str(target), "--upgrade"]
    _run(cmd, env=env)
    site = target if target is not None else lxml_dir.parent
    (built,) = glob.glob(str(site / "html5_parser" / f"html_parser{suffix}"))
    needed = _glibc_needed(built)
    if needed is not None and needed > GLIBC_LIMIT:
        print(f"{built} needs glibc {'.'.join(map(str, needed))}, newer than manylinux2014's",
              file=sys.stderr)
        return 1
    check = ("import html5_parser, lxml.etree as e; "
             "r = html5_parser.parse('<p>ok', fragment_context='div'); "
             "assert e.tostring(r[0]) == b'<p>ok</p>', e.tostring(r)")
    check_env = dict(os.environ)
    if target is not None:
        check_env["PYTHONPATH"] = str(target)
    _run([args.python, "-c", check], env=check_env)
    print(f"html5-parser {_pinned_version()} built against lxml's libxml2 ({lxml_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
