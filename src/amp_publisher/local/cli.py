"""``amp-render``: the pipeline on the command line.

Subcommands:

* ``render ARTICLE.json [--site SITE.json] [-o OUT] [--report] [--no-transform]`` — render one
  file, no AWS at all, transformed as the function publishes it unless ``--no-transform`` (or
  ``AMP_TRANSFORM=off``); validates the page and exits 1 when it is not valid AMP.
* ``validate FILE...`` — the AMP validator (``FILE: PASS`` or ``FILE:LINE:COL message``).
* ``schema`` — print the JSON Schema of the article contract.
* ``invoke -e EVENT.json`` — run one Lambda event against the embedded backend (our stand-in for
  ``sam local invoke`` where Docker is missing).
* ``demo`` — the main job on the sample articles (``make demo``).
* ``serve [DIR]`` — preview ``build/site/`` on 127.0.0.1 with CloudFront's URL mapping.
* ``status [KEY] [--stale] [--rebuild [--watch]]`` — manifest records, their counts against the
  current render fingerprint (current, stale, failed, deleted), failed events, rebuild progress.
* ``rebuild [--dry-run] [--concurrency N] [--no-wait]`` — re-render every stale page
  (:mod:`amp_publisher.local.rebuild`).

Every command answers a user's mistake (a missing or unreadable path, a malformed event or site
file, a port already in use) and an output pipe closed early (``amp-render schema | head``) with
one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main", "CommandError"]

#: The exit status of a usage or input error (argparse's own, and every bad path or file here).
USAGE_ERROR = 2


class CommandError(Exception):
    """A mistake in what the user asked for: printed as one ``amp-render: ...`` line on stderr,
    and the command exits with status 2."""


def _printable(text: str) -> str:
    """``text`` with control and other non-printable characters escaped, so a field name in an
    article cannot forge lines or terminal colours in our output."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _format_choices() -> list[str]:
    from amp_publisher.core.adapters import format_names

    return [*format_names(), "html-page"]


def _read_json(path: Path, what: str):
    """The JSON document in ``path``; :class:`CommandError` naming the file when it cannot be
    read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{what} {path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{what} {path}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{what} {path}: not JSON: {exc.msg} at line {exc.lineno} "
                           f"column {exc.colno}") from None


def _load_site(path: Path | None):
    from amp_publisher.core.site import SiteConfig

    try:
        if path is None:
            return SiteConfig.from_env()
        data = _read_json(path, "site file")
        if not isinstance(data, dict):
            raise CommandError(f"site file {path}: a JSON object is expected")
        return SiteConfig.from_env().merged(data)
    except ValueError as exc:
        # pydantic's text: "N validation error(s) for SiteConfig", then the field, then the
        # message with " [type=..." details: the first field and message make the one line.
        lines = [line.strip() for line in str(exc).splitlines()]
        first = (f"{lines[1]}: {lines[2].split(' [type=')[0]}"
                 if len(lines) >= 3 and "validation error" in lines[0] else lines[0])
        raise CommandError(f"site file {path or '(environment)'}: {_printable(first)}") from None


def _print_report(report, stream) -> None:
    if not report:
        print("conversion report: nothing removed or rewritten", file=stream)
        return
    print(f"conversion report ({len(report)} entr{'y' if len(report) == 1 else 'ies'}):",
          file=stream)
    for entry in report:
        code = getattr(entry, "code", "")
        action = getattr(entry, "action", "")
        element = getattr(entry, "element", "")
        attribute = getattr(entry, "attribute", None)
        detail = getattr(entry, "detail", "")
        removed = getattr(entry, "removed_text", "")
        where = f"<{element}{' ' + attribute if attribute else ''}>"
        line = f"  {code:<24} {action:<9} {where:<22} {detail}"
        if removed:
            line += f" [text removed: {removed[:80]!r}]"
        print(line, file=stream)


def _explain(adapted, path: Path, stream) -> None:
    """``--explain``: which adapter matched and why, per item, and what each left out."""
    from amp_publisher.core.adapters import FORMATS

    fmt = FORMATS.get(adapted.shape)
    label = f" ({fmt.label})" if fmt else ""
    print(f"{path}: format {adapted.shape}{label}: {_printable(adapted.reason)}", file=stream)
    if adapted.collection:
        total = len(adapted.items) + len(adapted.skipped) + len(adapted.failed)
        print(f"  a collection of {total} item(s): {len(adapted.items)} article(s), "
              f"{len(adapted.skipped)} skipped, {len(adapted.failed)} failed", file=stream)
        for item in adapted.items:
            print(f"  {item.path}: {item.format}: {_printable(item.reason)}", file=stream)
    for skipped in adapted.skipped:
        print(f"  {skipped.path}: skipped: {_printable(skipped.reason)}", file=stream)
    for note in adapted.notes:
        print(f"  {note.path}: note: {_printable(note.message)}", file=stream)


def _cmd_render(args: argparse.Namespace) -> int:
    import datetime as dt

    from amp_publisher.aws.config import amp_transform_from_env
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.errors import ArticleError
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render
    from amp_publisher.core.source import adapt_source

    path: Path = args.article
    key = path.as_posix()
    site = _load_site(args.site)
    try:
        transformed = amp_transform_from_env() if args.transform is None else args.transform
    except ValueError as exc:
        print(f"amp-render render: {exc}", file=sys.stderr)
        return 2
    try:
        raw = path.read_bytes()
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        adapted = adapt_source(raw, key=key, format=args.format,
                               fallback_published=modified.replace(microsecond=0).isoformat(),
                               base_url=site.base_url, language_hint=site.language)
    except ArticleError as exc:
        print(f"{path}: {exc.code}: {_printable(str(exc))}", file=sys.stderr)
        return 2
    if args.explain:
        _explain(adapted, path, sys.stderr)
    status = 0
    for failure in adapted.failed:
        print(f"{path}: {failure.path}: {failure.error.code}: {_printable(str(failure.error))}",
              file=sys.stderr)
        status = 2
    articles = []
    for item in adapted.items:
        try:
            articles.append((item.path, parse_article(item.article)))
        except ArticleError as exc:
            where = f"{item.path}: " if adapted.collection else ""
            print(f"{path}: {where}{exc.code}: {_printable(str(exc))}", file=sys.stderr)
            status = 2
    if not articles:
        if status == 0:
            print(f"{path}: no publishable article in this file", file=sys.stderr)
        return 2
    image_sizes = None
    if not args.no_image_probe:
        from amp_publisher.core.image_sizes import ProbingImageSizeResolver

        image_sizes = ProbingImageSizeResolver(base_url=site.base_url)
    for item_path, article in articles:
        try:
            page = render(article, site, source_key=key, image_sizes=image_sizes)
        except ArticleError as exc:
            print(f"{path}: {item_path}: {exc.code}: {_printable(str(exc))}", file=sys.stderr)
            status = 2
            continue
        if transformed:
            import dataclasses

            from amp_publisher.core.amp.transform import transform

            page = dataclasses.replace(page, html=transform(page.html))
        result = validate(page.html)
        label = f"{path}" if not adapted.collection else f"{path}: {item_path} ({page.slug})"
        if args.output is None:
            sys.stdout.write(page.html)
        else:
            target = Path(args.output)
            folder = adapted.collection or target.is_dir() or args.output.endswith(("/", "\\"))
            if folder:
                target = target / page.slug / "index.html"
            documents = [(target, page.html)]
            if folder and page.canonical_html is not None:  # paired mode: both pages
                documents = [(target, page.canonical_html),
                             (target.parent / "amp" / "index.html", page.html)]
            for document, html in documents:
                document.parent.mkdir(parents=True, exist_ok=True)
                document.write_text(html, encoding="utf-8")
                print(f"{label}: wrote {document} ({len(html.encode()):,} bytes)",
                      file=sys.stderr)
        for warning in page.warnings:
            print(f"{label}: warning: unknown field {_printable(warning)} ignored",
                  file=sys.stderr)
        if args.report:
            _print_report(page.report, sys.stderr)
        elif page.report:
            count = len(page.report)
            print(f"{label}: {count} change{'' if count == 1 else 's'} converting the content "
                  f"(removed, rewritten or converted); see --report", file=sys.stderr)
        if result.passed:
            print(f"{label}: AMP validation PASS", file=sys.stderr)
        else:
            status = 1
            print(f"{label}: AMP validation FAIL", file=sys.stderr)
            for error in result.errors:
                print(f"  {error.line}:{error.col} {error.message}", file=sys.stderr)
    return status


def _cmd_schema(args: argparse.Namespace) -> int:
    from amp_publisher.core.models import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


def _cmd_validate(argv: list[str]) -> int:
    from amp_publisher.local.validate import main as validate_main

    return validate_main(argv)


def _cmd_invoke(args: argparse.Namespace) -> int:
    from amp_publisher.local.invoke import invoke_event_file

    event = _read_json(args.event, "event file")
    if not isinstance(event, dict):
        raise CommandError(f"event file {args.event}: a JSON object (a Lambda event) is "
                           "expected")
    articles = args.articles or _DEFAULT_ARTICLES
    if not articles.is_dir():
        hint = ("run it from the repository root, or pass --articles DIR"
                if args.articles is None else "give a folder of article JSON files")
        raise CommandError(f"invoke: no articles folder {articles}/ ({hint}); nothing was "
                           "uploaded")
    if args.site is not None and not args.site.is_file():
        raise CommandError(f"invoke: site file {args.site} does not exist")
    site = args.site or (_DEFAULT_SITE if _DEFAULT_SITE.is_file() else None)
    return invoke_event_file(args.event, articles=articles, site_json=site, out=args.out,
                             event=event)


def _cmd_serve(args: argparse.Namespace) -> int:
    from amp_publisher.local.preview import serve

    return serve(args.root, args.port)


#: The sample data of a checkout (``make demo`` uses the same).
_DEFAULT_ARTICLES = Path("events/articles")
_DEFAULT_SITE = Path("events/site.json")


def _cmd_demo(argv: list[str]) -> int:
    from amp_publisher.local.demo import main as demo_main

    return demo_main(argv)


def _current_fingerprint(function: str | None, manifest) -> str | None:
    """The render fingerprint pages should have now: asked of the deployed function, or
    computed here from the environment and ``config/site.json``; failing both, the latest
    rebuild's; ``None`` when none is known."""
    from amp_publisher.aws.manifest import REBUILD_KEY
    from amp_publisher.local.rebuild import start

    try:
        return start(function=function, dry_run=True)["fingerprint"]
    except Exception:  # noqa: BLE001 - no bucket or no function here: fall back
        latest = manifest.get(REBUILD_KEY)
        return str(latest["fingerprint"]) if latest else None


def _cmd_status(args: argparse.Namespace) -> int:
    """``status``: exit 0, or 1 when a shown record failed or events wait in the queue;
    ``--rebuild``: :func:`amp_publisher.local.rebuild.exit_status` (0 complete, 1 failed,
    3 pages still wait)."""
    import os

    from amp_publisher.aws.manifest import ManifestTable
    from amp_publisher.aws.status import collect_status, format_status, status_json

    table = args.table or os.environ.get("MANIFEST_TABLE")
    if not table:
        print("amp-render status: give --table or set MANIFEST_TABLE", file=sys.stderr)
        return 2
    manifest = ManifestTable(table)
    fingerprint = _current_fingerprint(args.function, manifest)
    if args.rebuild:
        from amp_publisher.aws.rebuild import progress
        from amp_publisher.local.rebuild import exit_status, format_progress, watch

        if fingerprint is None:
            print("amp-render status --rebuild: no fingerprint known (no rebuild started)",
                  file=sys.stderr)
            return 2
        reading = watch(manifest, fingerprint) if args.watch else progress(manifest, fingerprint)
        print(format_progress(reading))
        return exit_status(reading)
    queue_url = args.queue_url or os.environ.get("FAILED_EVENTS_QUEUE_URL") or None
    report = collect_status(manifest, key=args.key, queue_url=queue_url,
                            fingerprint=fingerprint)
    if args.stale:
        for key in report.stale_keys:
            print(key)
        print(f"{len(report.stale_keys)} stale record(s) against fingerprint {fingerprint}",
              file=sys.stderr)
        return 0
    print(status_json(report) if args.json else format_status(report, detail=bool(args.key)))
    failing = report.counts.get("failed", 0) or bool(report.failed_events)
    return 1 if failing else 0


def _cmd_rebuild(args: argparse.Namespace) -> int:
    """``rebuild``: see :func:`amp_publisher.local.rebuild.run_rebuild`."""
    from amp_publisher.local.demo import _quiet_powertools
    from amp_publisher.local.rebuild import run_rebuild

    _quiet_powertools()
    if args.concurrency is not None and args.concurrency < 1:
        print("amp-render rebuild: --concurrency must be at least 1", file=sys.stderr)
        return 2
    return run_rebuild(function=args.function, bucket=args.bucket, dry_run=args.dry_run,
                       concurrency=args.concurrency, wait=not args.no_wait)


def _cmd_redrive(args: argparse.Namespace) -> int:
    """``redrive``: exit 0 when every message was replayed (or listed), 1 when some failed."""
    import os

    from amp_publisher.aws.redrive import redrive

    queue_url = args.queue_url or os.environ.get("FAILED_EVENTS_QUEUE_URL")
    if not queue_url:
        print("amp-render redrive: give --queue-url or set FAILED_EVENTS_QUEUE_URL",
              file=sys.stderr)
        return 2
    handle = None
    if args.function:
        from amp_publisher.aws.redrive import invoke_function

        handle = invoke_function(args.function)
    elif not args.dry_run:
        from amp_publisher.local.demo import _quiet_powertools

        _quiet_powertools()
    results = redrive(queue_url, handle=handle, dry_run=args.dry_run, limit=args.limit)
    for result in results:
        keys = ", ".join(result.source_keys) or "-"
        detail = ", ".join(result.actions) if result.status == "replayed" else (
            result.error or result.original_error)
        print(f"{result.status:<10} {result.message_id}  {keys}  {detail}"[:240])
    replayed = sum(r.status == "replayed" for r in results)
    failed = sum(r.status in ("failed", "unreadable") for r in results)
    if args.dry_run:
        print(f"{len(results)} message(s) listed; nothing replayed or deleted", file=sys.stderr)
    else:
        print(f"{len(results)} message(s): {replayed} replayed and deleted, {failed} kept",
              file=sys.stderr)
    return 1 if failed else 0


def _cmd_backend(args: argparse.Namespace) -> int:
    from amp_publisher.local.standalone import serve

    if args.seed and not (args.events / "articles").is_dir():
        raise CommandError(f"backend --seed: no articles folder {args.events / 'articles'}/ "
                           "(run it from the repository root); nothing to seed")

    return serve(args.port, seed=args.seed, events_dir=args.events)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``amp-render`` console script; returns the exit status.

    0 success, 1 a page or record failed (each command says which), 2 a usage or input error
    (bad path, malformed event or site file, port in use) or the output pipe closed early; 130
    interrupted.
    """
    from amp_publisher.local.backend import PortInUseError

    try:
        status = _run(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # a closed pipe shows here, while we can still say so
        return status
    except CommandError as exc:
        print(f"amp-render: {exc}", file=sys.stderr)
    except PortInUseError as exc:
        print(f"amp-render: {exc.strerror or exc}; choose another with --port", file=sys.stderr)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"amp-render: {where}{exc.strerror or exc}", file=sys.stderr)
    except BrokenPipeError:
        _silence_stdout()
        print("amp-render: output closed before the end (broken pipe)", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return USAGE_ERROR


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush of a closed pipe does not
    print a second error (the Python documentation's note on SIGPIPE, module ``signal``)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a file (tests capture it)
        pass


def _run(argv: list[str]) -> int:
    from amp_publisher import __version__

    # Subcommands with their own full parsers take the rest of the line as it is.
    if argv and argv[0] == "validate":
        return _cmd_validate(argv[1:])
    if argv and argv[0] == "demo":
        return _cmd_demo(argv[1:])
    parser = argparse.ArgumentParser(prog="amp-render",
                                     description="Render, validate and publish AMP articles.")
    parser.add_argument("--version", action="version", version=f"amp-render {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("render", help="render one article file: JSON of any supported format, "
                                      "or an HTML page (no AWS)")
    p.add_argument("article", type=Path)
    p.add_argument("--explain", action="store_true",
                   help="say which input format matched and why, item by item, and what the "
                        "adapter left out")
    p.add_argument("--format", choices=_format_choices(), metavar="FORMAT",
                   help="read the file as this format instead of recognising it "
                        "(see docs/input-formats.md)")
    p.add_argument("--site", type=Path, help="site configuration JSON (default: environment)")
    p.add_argument("-o", "--output",
                   help="output file, or folder for <slug>/index.html (and, in paired mode, "
                        "<slug>/amp/index.html; default: stdout, the AMP page)")
    p.add_argument("--report", action="store_true", help="print the conversion report")
    p.add_argument("--no-image-probe", action="store_true",
                   help="do not read images' first bytes over HTTP(S) to learn missing sizes; "
                        "use the fallback aspect ratio")
    p.add_argument("--transform", action=argparse.BooleanOptionalAction, default=None,
                   help="write transformed AMP (docs/transformed-amp.md), or with "
                        "--no-transform the page as the theme writes it; default: as the "
                        "function does, AMP_TRANSFORM from the environment, else on")
    p.set_defaults(func=_cmd_render)

    sub.add_parser("validate", help="validate AMP HTML files (see amp-render validate -h)")
    sub.add_parser("demo", help="the main job on the sample articles, embedded backend")

    p = sub.add_parser("serve", help="preview build/site/ on 127.0.0.1 as CloudFront maps URLs")
    p.add_argument("root", type=Path, nargs="?", default=Path("build/site"))
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("schema", help="print the JSON Schema of the article contract")
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser("invoke", help="run one Lambda event on the embedded backend")
    p.add_argument("-e", "--event", type=Path, required=True)
    p.add_argument("--articles", type=Path,
                   help="sample articles uploaded first (default: events/articles)")
    p.add_argument("--site", type=Path,
                   help="site configuration uploaded first (default: events/site.json if any)")
    p.add_argument("--out", type=Path, default=Path("build/invoke"),
                   help="where the site bucket is mirrored afterwards (default: build/invoke)")
    p.set_defaults(func=_cmd_invoke)

    p = sub.add_parser("status", help="manifest records and failed events (AWS or local)")
    p.add_argument("key", nargs="?", help="one source key, e.g. articles/a.json (all if omitted)")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.add_argument("--table", help="manifest table (default: $MANIFEST_TABLE)")
    p.add_argument("--queue-url", help="failed-events queue (default: $FAILED_EVENTS_QUEUE_URL)")
    p.add_argument("--stale", action="store_true",
                   help="list the source keys whose page is stale (another fingerprint)")
    p.add_argument("--rebuild", action="store_true",
                   help="the rebuild's progress: done, failed, remaining, rate, ETA; exit 0 "
                   "complete, 1 a page failed, 3 pages still wait")
    p.add_argument("--watch", action="store_true",
                   help="with --rebuild: a live progress bar until the rebuild is done")
    p.add_argument("--function", help="ask this deployed function (stack output "
                   "RenderFunctionName) for the current fingerprint")
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("rebuild", help="re-render every stale page (config, theme or renderer "
                       "changed) through RenderQueue")
    p.add_argument("--dry-run", action="store_true",
                   help="show the fingerprint and what would be rendered; change nothing")
    p.add_argument("--concurrency", type=int, help="most renders at once: the deployed "
                   "function's RenderQueue maximum concurrency (with --function, at least 2), "
                   "or local worker processes on the embedded backend (default 2)")
    p.add_argument("--no-wait", action="store_true",
                   help="start it and return at once (follow with status --rebuild --watch)")
    p.add_argument("--function", help="the deployed render function (stack output "
                   "RenderFunctionName): it starts the rebuild with its own fingerprint")
    p.add_argument("--bucket", help="source bucket (default: $SOURCE_BUCKET)")
    p.set_defaults(func=_cmd_rebuild)

    p = sub.add_parser("redrive", help="replay the failed-events queue through the handler")
    p.add_argument("--dry-run", action="store_true", help="list the messages; change nothing")
    p.add_argument("--limit", type=int, help="at most this many messages")
    p.add_argument("--queue-url", help="failed-events queue (default: $FAILED_EVENTS_QUEUE_URL)")
    p.add_argument("--function", help="replay through this deployed function (stack output "
                   "RenderFunctionName) instead of the handler in this process")
    p.set_defaults(func=_cmd_redrive)

    p = sub.add_parser("backend", help="keep the embedded backend up and print its environment")
    p.add_argument("--port", type=int, default=4566, help="port on 127.0.0.1 (default 4566)")
    p.add_argument("--seed", action="store_true",
                   help="publish the sample articles, one broken article and a failed event")
    p.add_argument("--events", type=Path, default=Path("events"), help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_backend)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
