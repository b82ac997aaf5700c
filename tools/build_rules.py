"""Build ``src/amp_publisher/core/amp/rules.json`` from the official AMP validator rule files.

Inputs (all under ``third_party/amp-spec/``, Apache-2.0, see its ``SOURCES.md``):

* ``validator/validator.proto`` - the schema, compiled at build time with ``grpc_tools.protoc``
  into a temporary directory (never committed);
* ``validator/validator-main.protoascii``, ``validator-css.protoascii``,
  ``validator-svg.protoascii`` and ``extensions/*/validator-*.protoascii`` - the rules, parsed with
  ``google.protobuf.text_format`` (no hand-written protoascii parser).

The files come from several upstream commits; :func:`bridge_legacy_syntax` is the one place that
bridges their differences. Only what applies to ``html_format: AMP`` is kept: tag specs and CSS
specs naming ``AMP`` in ``html_format``; anything with ``enabled_by`` is dropped (plain article
pages carry none of the enabling ``<html>`` attributes), ``disabled_by`` rules stay.

Output: one JSON document, keys sorted, one tag spec per line (so a rule change is a one-line
diff), with a header naming this generator and the ``spec_file_revision`` of validator-main.

Usage::

    python tools/build_rules.py                 # write the packaged rules.json
    python tools/build_rules.py -o /tmp/r.json  # write elsewhere (``make rules-check`` diffs it)
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "third_party" / "amp-spec"
DEFAULT_OUTPUT = ROOT / "src" / "amp_publisher" / "core" / "amp" / "rules.json"
GENERATOR = "tools/build_rules.py"

#: Renamed fields: validator-main (rev 1188), amp-audio and amp-brightcove use the names from before
#: ``validator.proto`` renamed them to ``*_condition`` (SOURCES.md caveat 1).
_RENAMED_FIELDS = {
    "satisfies": "satisfies_condition",
    "requires": "requires_condition",
    "excludes": "excludes_condition",
    # Retired ``ExtensionSpec.allowed_versions`` (amp-gist, amp-lightbox-gallery, 2018-19) held
    # what ``ExtensionSpec.version`` holds today (SOURCES.md caveat 2).
    "allowed_versions": "version",
}
_RENAME_RE = re.compile(
    r"^(?P<indent>[ \t]*(?:[A-Za-z_]+[ \t]*\{[ \t]*)*)(?P<name>satisfies|requires|excludes"
    r"|allowed_versions)(?P<colon>[ \t]*:)",
    re.MULTILINE,
)
#: ``html_format: ACTIONS`` was a format value in 2018-20 files (amp-form, amp-analytics,
#: amp-anim); the enum no longer has it and it never meant AMP, so the line is dropped.
_ACTIONS_RE = re.compile(r"^[ \t]*html_format:[ \t]*ACTIONS[ \t]*(#.*)?\n", re.MULTILINE)
#: ``requires_usage: GRANDFATHERED`` (amp-anim, 2019-20) is the old name of ``EXEMPTED`` (found
#: when parsing; not listed in SOURCES.md).
_GRANDFATHERED_RE = re.compile(r"^([ \t]*requires_usage:[ \t]*)GRANDFATHERED\b", re.MULTILINE)


def bridge_legacy_syntax(text: str) -> str:
    """Rewrite older protoascii names and values so the current ``validator.proto`` parses them.

    This is the single bridge between the rule files' upstream commits (SOURCES.md, caveats 1-2):

    * ``satisfies`` / ``requires`` / ``excludes`` -> ``satisfies_condition`` /
      ``requires_condition`` / ``excludes_condition`` (a plain rename);
    * ``extension_spec { allowed_versions: ... }`` -> ``version: ...`` (the retired field's
      successor);
    * ``html_format: ACTIONS`` lines are removed (the value was retired; it is not ``AMP``);
    * ``requires_usage: GRANDFATHERED`` -> ``requires_usage: EXEMPTED`` (renamed enum value).

    Only field names at the start of a line (after indentation or an opening ``name {``) are
    renamed, so ``requires_extension``, ``also_requires_attr`` and text inside strings or
    comments are untouched.

    Args:
        text: protoascii source text.
    Returns:
        The rewritten text (unchanged when it already uses the current names).

    >>> bridge_legacy_syntax('tags {\\n  requires: "x"\\n  requires_extension: "y"\\n}\\n')
    'tags {\\n  requires_condition: "x"\\n  requires_extension: "y"\\n}\\n'
    >>> bridge_legacy_syntax('  html_format: AMP\\n  html_format: ACTIONS\\n')
    '  html_format: AMP\\n'
    """
    text = _ACTIONS_RE.sub("", text)
    text = _GRANDFATHERED_RE.sub(r"\1EXEMPTED", text)
    return _RENAME_RE.sub(
        lambda m: m.group("indent") + _RENAMED_FIELDS[m.group("name")] + m.group("colon"), text
    )


def compile_proto(proto_path: Path, out_dir: Path):
    """Compile ``validator.proto`` with grpc_tools.protoc into ``out_dir`` and import it.

    Returns:
        The generated ``validator_pb2`` module.
    Raises:
        RuntimeError: protoc failed.
    """
    from grpc_tools import protoc

    rc = protoc.main(
        [
            "grpc_tools.protoc",
            f"--proto_path={proto_path.parent}",
            f"--python_out={out_dir}",
            str(proto_path),
        ]
    )
    if rc != 0:
        raise RuntimeError(f"protoc failed on {proto_path.name} (exit {rc})")
    sys.path.insert(0, str(out_dir))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(proto_path.stem + "_pb2")
    finally:
        sys.path.remove(str(out_dir))


def rule_files(spec_dir: Path = SPEC_DIR) -> list[Path]:
    """The protoascii files merged into one rule set, in order: main, css, svg, extensions."""
    validator = spec_dir / "validator"
    files = [validator / f"validator-{n}.protoascii" for n in ("main", "css", "svg")]
    files += sorted((spec_dir / "extensions").glob("*/validator-*.protoascii"))
    return files


def load_rules(spec_dir: Path = SPEC_DIR):
    """Parse every rule file (after :func:`bridge_legacy_syntax`) into one ``ValidatorRules``.

    Returns:
        ``(pb2_module, rules_message)``.
    Raises:
        google.protobuf.text_format.ParseError: a rule file does not parse even after bridging.
    """
    from google.protobuf import text_format

    with tempfile.TemporaryDirectory(prefix="amp-proto-") as tmp:
        pb2 = compile_proto(spec_dir / "validator" / "validator.proto", Path(tmp))
    merged = pb2.ValidatorRules()
    for path in rule_files(spec_dir):
        part = pb2.ValidatorRules()
        try:
            text_format.Parse(bridge_legacy_syntax(path.read_text(encoding="utf-8")), part)
        except text_format.ParseError as exc:
            raise text_format.ParseError(f"{path.relative_to(spec_dir)}: {exc}") from exc
        merged.MergeFrom(part)
    return pb2, merged


def _applies_to_amp(msg, pb2) -> bool:
    """True when a message with ``html_format``/``enabled_by`` applies to a plain AMP page."""
    formats = list(msg.html_format)
    return pb2.HtmlFormat.AMP in formats and not list(msg.enabled_by)


def _to_dict(msg) -> dict:
    from google.protobuf import json_format

    return json_format.MessageToDict(
        msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=False
    )


def _strip_attrs(attrs: list[dict]) -> list[dict]:
    """Drop attr specs switched on by ``enabled_by`` (never on for plain pages)."""
    return [a for a in attrs if not a.get("enabled_by")]


def convert(pb2, rules) -> dict:
    """Reduce the merged ``ValidatorRules`` to the JSON data the package ships (AMP only).

    Returns:
        ``{"header": {...}, "tags": [...], "attr_lists": {name: [attr spec]}, "css": [...],
        "doc_css": {...}, "descendant_tag_lists": {name: [tag]}, "declaration_lists": {...},
        "error_formats": {code: format}, "error_specificity": {code: int}, "spec_urls": {...}}``.
    """
    tags = []
    for tag in rules.tags:
        if not _applies_to_amp(tag, pb2):
            continue
        d = _to_dict(tag)
        d.pop("html_format", None)
        if "attrs" in d:
            d["attrs"] = _strip_attrs(d["attrs"])
        tags.append(d)
    doc_css = [_to_dict(c) for c in rules.css if _applies_to_amp(c, pb2)]
    if len(doc_css) != 1:
        raise ValueError(f"expected one DocCssSpec for AMP, found {len(doc_css)}")
    doc_css[0].pop("html_format", None)
    docs = [_to_dict(d) for d in rules.doc if _applies_to_amp(d, pb2)]
    for d in docs:
        d.pop("html_format", None)
    code_name = pb2.ValidationError.Code.Name
    return {
        "header": {
            "generator": GENERATOR,
            "spec_file_revision": rules.spec_file_revision,
            "min_validator_revision_required": rules.min_validator_revision_required,
            "html_format": "AMP",
            "sources": [str(p.relative_to(ROOT)) for p in rule_files()],
            "note": "Generated from the AMP project's validator rules (Apache-2.0); do not edit.",
        },
        "tags": tags,
        "attr_lists": {
            a.name: _strip_attrs(_to_dict(a).get("attrs", [])) for a in rules.attr_lists
        },
        "descendant_tag_lists": {d.name: list(d.tag) for d in rules.descendant_tag_list},
        "declaration_lists": {
            d.name: [_to_dict(x) for x in d.declaration] for d in rules.declaration_list
        },
        "doc_css": doc_css[0],
        "doc": docs,
        "error_formats": {code_name(f.code): f.format for f in rules.error_formats},
        "error_specificity": {
            code_name(s.code): s.specificity for s in rules.error_specificity
        },
        "spec_urls": {
            "styles": rules.styles_spec_url,
            "script": rules.script_spec_url,
            "template": rules.template_spec_url,
        },
    }


def dumps(data: dict) -> str:
    """Serialise deterministically: sorted keys, one tag spec / list entry per line."""

    def one(v) -> str:
        return json.dumps(v, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    lines = ["{"]
    keys = sorted(data)
    for i, key in enumerate(keys):
        value = data[key]
        end = "," if i < len(keys) - 1 else ""
        if isinstance(value, list) and value:
            lines.append(f"{one(key)}:[")
            lines += [one(v) + ("," if j < len(value) - 1 else "") for j, v in enumerate(value)]
            lines.append("]" + end)
        elif isinstance(value, dict) and value and key != "header":
            lines.append(f"{one(key)}:{{")
            items = sorted(value.items())
            lines += [
                f"{one(k)}:{one(v)}" + ("," if j < len(items) - 1 else "")
                for j, (k, v) in enumerate(items)
            ]
            lines.append("}" + end)
        else:
            lines.append(f"{one(key)}:{one(value)}{end}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Regenerate the rules data file; ``-o`` chooses the output path. Returns an exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    pb2, rules = load_rules()
    data = convert(pb2, rules)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(dumps(data), encoding="utf-8")
    print(
        f"{args.output}: {len(data['tags'])} AMP tag specs, "
        f"spec_file_revision {data['header']['spec_file_revision']}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
