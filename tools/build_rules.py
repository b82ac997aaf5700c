"""Build ``src/amp_publisher/core/amp/rules.json`` from the official AMP validator rule files.

Inputs (all under ``third_party/amp-spec/``, Apache-2.0, see its ``SOURCES.md``):

* ``validator/validator.proto`` - the schema, compiled at build time with ``grpc_tools.protoc``
  into a temporary directory (never committed);
* ``validator/validator-main.protoascii``, ``validator-css.protoascii``,
  ``validator-svg.protoascii`` and ``extensions/*/validator-*.protoascii`` - the rules, parsed with
  ``google.protobuf.text_format`` (no hand-written protoascii parser).

All files come from one upstream commit and parse as they are against its ``validator.proto``
(no renaming). Only what applies to ``html_format: AMP`` is kept: tag specs and CSS
specs naming ``AMP`` in ``html_format``. ``enabled_by`` / ``disabled_by`` stay on the specs that
carry them: the loader (``amp_publisher.core.amp.rules``) applies them per document, so a page with
``<html transformed="self;v=1">`` is checked with the transformed rules.

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
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "third_party" / "amp-spec"
DEFAULT_OUTPUT = ROOT / "src" / "amp_publisher" / "core" / "amp" / "rules.json"
GENERATOR = "tools/build_rules.py"


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
    """Parse every rule file, unchanged, into one ``ValidatorRules`` message.

    Returns:
        ``(pb2_module, rules_message)``.
    Raises:
        google.protobuf.text_format.ParseError: a rule file does not parse (named in the message).
    """
    from google.protobuf import text_format

    with tempfile.TemporaryDirectory(prefix="amp-proto-") as tmp:
        pb2 = compile_proto(spec_dir / "validator" / "validator.proto", Path(tmp))
    merged = pb2.ValidatorRules()
    for path in rule_files(spec_dir):
        part = pb2.ValidatorRules()
        try:
            text_format.Parse(path.read_text(encoding="utf-8"), part)
        except text_format.ParseError as exc:
            raise text_format.ParseError(f"{path.relative_to(spec_dir)}: {exc}") from exc
        merged.MergeFrom(part)
    return pb2, merged


def _applies_to_amp(msg, pb2) -> bool:
    """True when a message with ``html_format`` applies to ``html_format: AMP`` documents.

    ``enabled_by`` / ``disabled_by`` are kept in the output: whether they apply depends on the
    document's ``<html>`` attributes (``transformed``), which the loader decides per document.
    """
    return pb2.HtmlFormat.AMP in list(msg.html_format)


def _to_dict(msg) -> dict:
    from google.protobuf import json_format

    return json_format.MessageToDict(
        msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=False
    )


def convert(pb2, rules) -> dict:
    """Reduce the merged ``ValidatorRules`` to the JSON data the package ships (AMP only).

    Returns:
        ``{"header": {...}, "tags": [...], "attr_lists": {name: [attr spec]}, "css": [...],
        "doc_css": [{...}], "descendant_tag_lists": {name: [tag]}, "declaration_lists": {...},
        "error_formats": {code: format}, "error_specificity": {code: int}, "spec_urls": {...}}``.
    """
    tags = []
    for tag in rules.tags:
        if not _applies_to_amp(tag, pb2):
            continue
        d = _to_dict(tag)
        d.pop("html_format", None)
        tags.append(d)
    doc_css = [_to_dict(c) for c in rules.css if _applies_to_amp(c, pb2)]
    for c in doc_css:
        c.pop("html_format", None)
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
            a.name: _to_dict(a).get("attrs", []) for a in rules.attr_lists
        },
        "descendant_tag_lists": {d.name: list(d.tag) for d in rules.descendant_tag_list},
        "declaration_lists": {
            d.name: [_to_dict(x) for x in d.declaration] for d in rules.declaration_list
        },
        "doc_css": doc_css,
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
