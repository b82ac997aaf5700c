"""``amp-render validate FILE... [--format text|json]``: the AMP validator on the command line.

Output follows the official validator CLI: ``FILE: PASS``, or ``FILE: FAIL`` followed by one
``FILE:LINE:COL message (see URL)`` line per error (warnings are printed with ``[WARNING]``).
``--format json`` prints one JSON object ``{FILE: {"status": ..., "errors": [...]}}``.
Exit status: 0 when every file passes, 1 when any fails, 2 on a usage or read error.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.html"
    >>> _ = p.write_text("<p>hi</p>")
    >>> main([str(p)]) == 1  # doctest: +ELLIPSIS
    /...x.html: FAIL
    ...
    True
"""

from __future__ import annotations

import argparse
import json
import re
import sys

__all__ = ["main"]


#: What a message may carry from the page (attribute values, CSS) that must not reach a terminal
#: raw: control characters (a newline would forge a result line, ESC drives the terminal),
#: line/paragraph separators, and lone surrogates (which cannot be printed as UTF-8).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(text: str) -> str:
    """``text`` with :data:`_UNPRINTABLE` characters as ``\\xNN`` / ``\\uNNNN`` escapes."""
    return _UNPRINTABLE.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
        else f"\\u{ord(m.group()):04x}",
        text,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amp-render validate", description="Validate AMP HTML files (html_format AMP)."
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="HTML file, or - for stdin")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def main(argv: list[str]) -> int:
    """Run ``amp-render validate`` with ``argv`` (the arguments after ``validate``).

    Returns:
        0 all PASS, 1 any FAIL, 2 a file could not be read (or bad arguments).
    """
    from amp_publisher.core.amp.validator import validate

    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and 2
    status = 0
    report: dict[str, dict] = {}
    for name in args.files:
        try:
            if name == "-":
                html = sys.stdin.read()
            else:
                with open(name, encoding="utf-8") as fh:
                    html = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{name}: cannot read: {exc}", file=sys.stderr)
            status = 2
            continue
        result = validate(html)
        if not result.passed and status == 0:
            status = 1
        if args.format == "json":
            report[name] = {
                "status": result.status,
                "errors": [e.to_dict() for e in result.errors],
            }
            continue
        print(f"{name}: {result.status}")
        for e in result.errors:
            see = f" (see {e.spec_url})" if e.spec_url else ""
            warn = " [WARNING]" if e.severity == "WARNING" else ""
            print(_escape(f"{name}:{e.line}:{e.col} {e.message}{see}{warn}"))
    if args.format == "json":
        # JSON escapes controls itself; only lone surrogates need the \\u form by hand.
        text = json.dumps(report, indent=2, ensure_ascii=False)
        print(re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text))
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
