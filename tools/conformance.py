"""Run the validator over the official AMP validator test pairs and compare with their ``.out``.

Each pair is ``X.html`` (input) and ``X.out`` (what the reference validator printed). Both
``.out`` formats are read (see third_party/amp-spec/README.md): line 1 is the verdict
(``PASS``/``FAIL``); message lines are ``<file>:<line>:<col> <message> ...``, optionally with
the input echoed as ``|  ...`` lines and ``>>  ^~~~`` markers (newer format) and a trailing
``[CATEGORY]`` (older format).

Compared per pair: the verdict, and the set of error positions (line, col) and kinds. Message
wording and spec URLs changed between validator versions, so the kind of an error is taken as
its message with the quoted parameters and URL removed; the summary counts the verdict
agreement, which is what ``--min-agreement`` guards.

Usage::

    AMP_VALIDATOR_TESTDATA=path/to/tests python tools/conformance.py --min-agreement 0.95
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TESTDATA = ROOT / "third_party" / "amp-spec" / "tests"
_MESSAGE_RE = re.compile(r"^(?P<file>[^\s:]+\.html):(?P<line>\d+):(?P<col>\d+) (?P<msg>.*)$")


@dataclass(frozen=True)
class Expected:
    """What a ``.out`` file says: the verdict and the (line, col, message) of each error."""

    verdict: str
    errors: tuple[tuple[int, int, str], ...]


@dataclass(frozen=True)
class PairResult:
    """The comparison for one pair."""

    name: str
    expected: Expected
    actual_verdict: str
    actual_errors: tuple[tuple[int, int, str], ...]

    @property
    def verdict_agrees(self) -> bool:
        return self.expected.verdict == self.actual_verdict

    @property
    def positions_agree(self) -> bool:
        exp = {(line, col) for line, col, _ in self.expected.errors}
        act = {(line, col) for line, col, _ in self.actual_errors}
        return exp == act


def parse_out(text: str) -> Expected:
    """Read a ``.out`` file in either format.

    >>> parse_out("FAIL\\nx.html:3:2 The tag 'foo' is disallowed. [DISALLOWED_HTML]\\n")
    Expected(verdict='FAIL', errors=((3, 2, "The tag 'foo' is disallowed."),))
    """
    lines = text.splitlines()
    verdict = lines[0].strip() if lines else ""
    errors = []
    for line in lines[1:]:
        if line.startswith("|") or line.startswith(">>"):
            continue
        m = _MESSAGE_RE.match(line)
        if m:
            msg = re.sub(r"\s*\[[A-Z_]+\]\s*$", "", m.group("msg"))
            msg = re.sub(r"\s*\(see [^)]*\)\s*$", "", msg)
            errors.append((int(m.group("line")), int(m.group("col")), msg))
    return Expected(verdict, tuple(errors))


_MISMATCH_ROW = re.compile(r"^\|\s*`(?P<name>[^`]+)`\s*\|\s*(PASS|FAIL)\s*\|\s*(PASS|FAIL)\s*\|"
                           r"\s*(?P<reason>[^|]+?)\s*\|\s*$")


def known_mismatches(doc: Path, section: str | None = None) -> dict[str, str]:
    """The documents listed as known verdict disagreements in ``docs/conformance.md``.

    Rows of the form ``| `name` | PASS | FAIL | reason |``, in the ``## section`` given (up to
    the next ``## `` heading), or anywhere in the file.

    Returns:
        ``{name (a pair relative to the test data, no suffix): reason}``.
    """
    out = {}
    inside = section is None
    for line in doc.read_text(encoding="utf-8").splitlines():
        if line.startswith("## ") and section is not None:
            inside = line[3:].strip() == section
        m = _MISMATCH_ROW.match(line) if inside else None
        if m:
            out[m.group("name")] = m.group("reason")
    return out


def find_pairs(testdata: Path) -> list[Path]:
    """Every ``.html`` with a sibling ``.out`` under ``testdata``, sorted."""
    return sorted(p for p in testdata.rglob("*.html") if p.with_suffix(".out").exists())


def run_pair(html_path: Path, testdata: Path) -> PairResult:
    """Validate one pair's ``.html`` and compare with its ``.out``."""
    from amp_publisher.core.amp.validator import validate

    expected = parse_out(html_path.with_suffix(".out").read_text(encoding="utf-8"))
    result = validate(html_path.read_text(encoding="utf-8"))
    # The reference CLI lists warnings too (the verdict ignores them), so compare all.
    errors = tuple((e.line, e.col, e.message) for e in result.errors)
    name = str(html_path.relative_to(testdata).with_suffix(""))
    return PairResult(name, expected, result.status, errors)


def main(argv: list[str] | None = None) -> int:
    """Run every pair, print per-pair lines and totals; exit 1 below ``--min-agreement``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-agreement", type=float, default=0.0,
                        help="fail when the PASS/FAIL agreement ratio is below this (0..1)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print expected and actual errors of disagreeing pairs")
    args = parser.parse_args(argv)
    testdata = Path(os.environ.get("AMP_VALIDATOR_TESTDATA") or DEFAULT_TESTDATA)
    if not testdata.is_absolute():
        testdata = (Path.cwd() / testdata).resolve()
    pairs = find_pairs(testdata)
    if not pairs:
        print(f"no test pairs under {testdata}", file=sys.stderr)
        return 2
    agree = positions = both_fail = both_fail_positions = 0
    for html_path in pairs:
        r = run_pair(html_path, testdata)
        agree += r.verdict_agrees
        positions += r.positions_agree
        if r.expected.verdict == r.actual_verdict == "FAIL":
            both_fail += 1
            both_fail_positions += r.positions_agree
        mark = "ok  " if r.verdict_agrees else "MISS"
        # where the errors are, not the verdict (an official FAIL whose errors carry no position
        # and our PASS have the same, empty, set of positions)
        pos = ("error positions differ" if not r.positions_agree
               else "same error positions" if r.expected.errors
               else "no error positions on either side")
        print(f"{mark} {r.name}: expected {r.expected.verdict}, got {r.actual_verdict} ({pos})")
        if args.verbose and not (r.verdict_agrees and r.positions_agree):
            for line, col, msg in r.expected.errors:
                print(f"       expected {line}:{col} {msg}")
            for line, col, msg in r.actual_errors:
                print(f"       actual   {line}:{col} {msg}")
    ratio = agree / len(pairs)
    print(f"\nverdict agreement: {agree}/{len(pairs)} ({ratio:.1%}); "
          f"error positions agree: {positions}/{len(pairs)}; "
          f"where both say FAIL, the (line, col) sets agree: {both_fail_positions}/{both_fail}; "
          f"floor {args.min_agreement:.1%}")
    return 0 if ratio >= args.min_agreement else 1


if __name__ == "__main__":
    raise SystemExit(main())
