"""Measurements that need a process of their own; ``bench/run.py`` starts each one and reads
the JSON it writes (to ``--out``, or stdout). Not imported by the package or the tests.

Probes:

* ``handler``: the Lambda entry point in a fresh process on an already running embedded
  backend (``AWS_ENDPOINT_URL`` in the environment): import, the first event (everything loaded
  or created lazily: settings, boto3 clients, Jinja2 environment, AMP rules), then ``--events``
  warm events, each the full publish of a new version of the article (read, render, validate,
  write, manifest); the upload before each event is not timed.
* ``restore``: a SnapStart container after its restore: the handler primed at import, then the
  after-restore hook and the first event, in CPU time.
* ``warm``: render, and render+validate, of the given articles, ``--iterations`` times each.
* ``rss``: peak RSS (:func:`peak_rss_mb`) of one process that imports the handler and renders and
  validates every sample article (``events/articles`` and the corpus).
* ``validate``: warm validation alone of the given page files, ``--iterations`` times each
  (wall and CPU time; the first, cold call is not counted).
* ``verdict``: warm render+validate CPU of the given articles with the fast verdict and on the
  positioned path alone, interleaved in one process (issue 16 A/B).
* ``bulk``: render and validate a folder of article JSON files into ``slug/index.html`` pages,
  on ``--jobs`` processes; the caller times the whole process (start to exit), like Hugo's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SITE_JSON = REPO / "events" / "site.json"
CORPUS = REPO / "tests" / "corpus" / "raw"


def peak_rss_mb() -> float:
    """Peak resident memory of this process since it started its program, in MiB.

    Linux's ``VmHWM`` (``/proc/self/status``), not ``ru_maxrss``: a process keeps the
    ``ru_maxrss`` of the process it was forked from across ``exec``, so a probe started by a
    bench that had grown to 480 MB reported 480 MB whatever it did itself. ``ru_maxrss`` (KiB on
    Linux) only where ``/proc`` is missing."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _emit(result: dict[str, Any], out: str | None) -> None:
    text = json.dumps(result, indent=1)
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        print(text)


def _site() -> Any:
    from amp_publisher.core.site import SiteConfig

    return SiteConfig.model_validate(json.loads(SITE_JSON.read_text(encoding="utf-8")))


def _source_key(name: str) -> str:
    """The source key a sample article named ``name`` would be uploaded under."""
    key = f"articles/{name.replace('/', '-').replace('#', '-')}"
    return key if key.endswith(".json") else key + ".json"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 3), "p95": round(p95, 3),
            "min": round(ordered[0], 3), "n": len(ordered)}


# --- handler ----------------------------------------------------------------------------------


def edited(article_json: bytes, edit: str) -> bytes:
    """The article with ``edit`` appended to its headline: a new version that must be published
    (the pipeline skips a version it has already published, and stale events)."""
    data = json.loads(article_json)
    data["headline"] = f"{data['headline']} ({edit})"
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _changed_event(template: dict[str, Any], s3: Any, body: bytes) -> dict[str, Any]:
    """Upload ``body`` as a new version of the template event's object; the event S3 sends."""
    import copy

    event = copy.deepcopy(template)
    record = event["Records"][0]["s3"]
    key = record["object"]["key"]  # the test key needs no URL decoding
    response = s3.put_object(Bucket=record["bucket"]["name"], Key=key, Body=body,
                             ContentType="application/json")
    record["object"].update({"size": len(body), "eTag": response["ETag"].strip('"'),
                             "versionId": response.get("VersionId"),
                             "sequencer": f"{time.time_ns():016X}0001"})
    return event


def probe_handler(args: argparse.Namespace) -> None:
    event = json.loads(Path(args.event).read_text(encoding="utf-8"))
    source = Path(args.article).read_bytes()
    c0, t0 = time.process_time(), time.perf_counter()
    from amp_publisher.aws import handler

    t1, c1 = time.perf_counter(), time.process_time()
    from amp_publisher.local.backend import LocalContext

    context = LocalContext()
    c2, t2 = time.process_time(), time.perf_counter()
    first = handler.lambda_handler(event, context)
    t3, c3 = time.perf_counter(), time.process_time()
    from amp_publisher.aws import storage

    s3 = storage.client("s3")  # the function's own client, created by the first event
    warm, actions = [], [o["action"] for o in first["outcomes"]]
    for i in range(args.events):
        changed = _changed_event(event, s3, edited(source, f"edit {i}"))
        t = time.perf_counter()
        result = handler.lambda_handler(changed, context)
        warm.append(_ms(time.perf_counter() - t))
        actions.extend(o["action"] for o in result["outcomes"])
    _emit({"import_ms": _ms(t1 - t0), "first_event_ms": _ms(t3 - t2), "warm_ms": warm,
           "import_cpu_ms": _ms(c1 - c0), "first_event_cpu_ms": _ms(c3 - c2),
           "actions": actions, "page_bytes": first["outcomes"][0]["page_bytes"],
           "error": first["outcomes"][0]["error"]}, args.out)


def probe_restore(args: argparse.Namespace) -> None:
    """What a reader waits for on a SnapStart container, as far as it runs in this process:
    the handler primed at import (``AWS_LAMBDA_RUNTIME_API`` set: the init phase Lambda
    snapshots), then, timed, the after-restore hook (new boto3 session and clients, reseeded
    random generators) and the first event. Lambda's own restore of the snapshot's memory is not
    part of it (it cannot be run here)."""
    event = json.loads(Path(args.event).read_text(encoding="utf-8"))
    from amp_publisher.aws import handler
    from amp_publisher.local.backend import LocalContext

    context = LocalContext()
    c0 = time.process_time()
    handler.after_restore()
    c1 = time.process_time()
    first = handler.lambda_handler(event, context)
    c2 = time.process_time()
    _emit({"after_restore_cpu_ms": _ms(c1 - c0), "first_event_cpu_ms": _ms(c2 - c1),
           "actions": [o["action"] for o in first["outcomes"]],
           "error": first["outcomes"][0]["error"]}, args.out)


# --- warm -------------------------------------------------------------------------------------


def probe_warm(args: argparse.Namespace) -> None:
    """Warm render, and render+validate, of each article; and what is published by default
    (``AMP_TRANSFORM=on``): render, transform, validate the transformed page."""
    from amp_publisher.core.amp.transform import transform
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    site = _site()
    samples = dict(sample_articles())
    results = {}
    for name in args.articles:
        key = _source_key(name)
        article = parse_article(samples[name])
        page = render(article, site, source_key=key)  # first call: loads and compiles
        verdict = validate(page.html)
        for _ in range(5):
            validate(render(article, site, source_key=key).html)
        render_ms, both_ms, validate_ms, cpu_ms, render_cpu_ms = [], [], [], [], []
        published_cpu_ms = []
        for _ in range(5):
            validate(transform(render(article, site, source_key=key).html))
        for _ in range(args.iterations):
            c0 = time.process_time()
            t0 = time.perf_counter()
            page = render(article, site, source_key=key)
            t1 = time.perf_counter()
            render_cpu_ms.append(_ms(time.process_time() - c0))
            validate(page.html)
            t2 = time.perf_counter()
            cpu_ms.append(_ms(time.process_time() - c0))
            render_ms.append(_ms(t1 - t0))
            validate_ms.append(_ms(t2 - t1))
            both_ms.append(_ms(t2 - t0))
            c0 = time.process_time()
            validate(transform(render(article, site, source_key=key).html))
            published_cpu_ms.append(_ms(time.process_time() - c0))
        results[name] = {
            "render_ms": _summary(render_ms), "validate_ms": _summary(validate_ms),
            "render_validate_ms": _summary(both_ms), "render_validate_cpu_ms": _summary(cpu_ms),
            "render_cpu_ms": _summary(render_cpu_ms), "page_bytes": page.size_bytes,
            "render_transform_validate_cpu_ms": _summary(published_cpu_ms),
            "valid": bool(verdict.passed), "report_entries": len(page.report),
            "timings_ms": page.timings_ms,
        }
    _emit(results, args.out)


# --- verdict ----------------------------------------------------------------------------------


def probe_verdict(args: argparse.Namespace) -> None:
    """Warm render+validate CPU of each article two ways, interleaved in one process so the
    machine's load hits both alike: ``validate`` as published (the verdict from the compiled
    parse, positions only for a failing page) and every page on the positioned path
    (html5lib's tokens, what every page cost before the fast verdict)."""
    from amp_publisher.core.amp.validator import _Validator, validate
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    site = _site()
    samples = dict(sample_articles())
    results = {}
    for name in args.articles:
        key = _source_key(name)
        article = parse_article(samples[name])
        html = render(article, site, source_key=key).html
        for _ in range(3):
            validate(html)
            _Validator(html).run()
        fast, positioned, render_only = [], [], []
        for _ in range(args.iterations):
            c0 = time.process_time()
            html = render(article, site, source_key=key).html
            c1 = time.process_time()
            validate(html)
            c2 = time.process_time()
            _Validator(html).run()
            c3 = time.process_time()
            render_only.append(_ms(c1 - c0))
            fast.append(_ms(c2 - c0))
            positioned.append(_ms(c1 - c0 + c3 - c2))
        results[name] = {"render_cpu_ms": _summary(render_only),
                         "render_validate_cpu_ms": _summary(fast),
                         "render_validate_positioned_cpu_ms": _summary(positioned),
                         "valid": validate(html).passed}
    _emit(results, args.out)


# --- validate ---------------------------------------------------------------------------------


def probe_validate(args: argparse.Namespace) -> None:
    """Warm ``validate`` of each page file: one cold call, five warm-ups, then
    ``--iterations`` timed calls (wall and CPU)."""
    from amp_publisher.core.amp.validator import validate

    results = {}
    for path in args.pages:
        html = Path(path).read_text(encoding="utf-8")
        verdict = validate(html)
        for _ in range(5):
            validate(html)
        wall, cpu = [], []
        for _ in range(args.iterations):
            c0, t0 = time.process_time(), time.perf_counter()
            validate(html)
            wall.append(_ms(time.perf_counter() - t0))
            cpu.append(_ms(time.process_time() - c0))
        results[Path(path).name] = {"bytes": len(html.encode()), "status": verdict.status,
                                    "validate_ms": _summary(wall),
                                    "validate_cpu_ms": _summary(cpu)}
    _emit(results, args.out)


# --- rss --------------------------------------------------------------------------------------


def sample_articles() -> list[tuple[str, dict[str, Any]]]:
    """Every sample article as ``(name, article dict)``: ``events/articles/*.json``, every post
    of the corpus's CMS documents (through the input adapters) and every messy-HTML page as the
    ``body_html`` of an article around it. Documents the adapters refuse are left out."""
    from amp_publisher.core.adapters import articles_from_document
    from amp_publisher.core.errors import ArticleError

    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((REPO / "events" / "articles").glob("*.json")):
        found.append((path.name, json.loads(path.read_text(encoding="utf-8"))))
    for path in sorted(CORPUS.rglob("*.json")):
        try:
            docs = articles_from_document(json.loads(path.read_text(encoding="utf-8")),
                                          source_key=f"articles/{path.name}")
        except ArticleError:
            continue
        found.extend((f"{path.parent.name}/{path.name}#{i}", doc) for i, doc in enumerate(docs))
    messy = []
    for path in sorted(CORPUS.rglob("*.html")):
        messy.append(path.read_text(encoding="utf-8", errors="replace"))
        found.append((f"{path.parent.name}/{path.name}", {
            "headline": path.stem.replace("-", " "), "published": "2026-06-25",
            "slug": path.stem.lower()[:100], "body_html": messy[-1]}))
    found.append((MESSY_200KB, {"headline": "Messy 200 KB", "published": "2026-06-25",
                                "slug": "messy-200kb", "body_html": messy_body(messy)}))
    return found


#: The name of the 200 KB messy body among :func:`sample_articles` (issue 16's 50 ms goal).
MESSY_200KB = "messy-200kb"


def messy_body(pages: list[str], size: int = 200_000) -> str:
    """The corpus's messy HTML pages, largest first, joined until ``size`` characters: the
    Word, font-tag, table and embed debris of real CMS bodies at the size of a long pasted
    document."""
    body = ""
    for page in sorted(pages, key=len, reverse=True):
        if len(body) >= size:
            break
        body += page
    return body[:size]


def probe_rss(args: argparse.Namespace) -> None:
    import amp_publisher.aws.handler  # noqa: F401  (the function process has it loaded)
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.errors import ArticleError
    from amp_publisher.core.models import parse_article
    from amp_publisher.core.rendering import render

    site = _site()
    rendered, failed, invalid, largest = 0, [], 0, (0, "")
    for name, data in sample_articles():
        try:
            page = render(parse_article(data), site,
                          source_key=f"articles/{name.replace('/', '-').replace('#', '-')}.json")
        except (ArticleError, ImportError) as exc:
            failed.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
            continue
        rendered += 1
        invalid += not validate(page.html).passed
        largest = max(largest, (len(json.dumps(data)), name))
    _emit({"peak_rss_mb": round(peak_rss_mb(), 1), "rendered": rendered, "invalid": invalid,
           "failed": failed, "largest_input": largest[1]}, args.out)


# --- bulk -------------------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _bulk_init(out_dir: str) -> None:
    from amp_publisher.core.amp.validator import validate
    from amp_publisher.core.rendering import render
    from amp_publisher.core.source import load_article

    _STATE.update(render=render, validate=validate, load=load_article, site=_site(),
                  out=Path(out_dir))


def _bulk_one(path: str) -> tuple[str, str | None]:
    """Read, parse, render, validate and write one page; ``(name, error or None)``."""
    source = Path(path)
    key = f"articles/{source.name}"
    try:
        article = _STATE["load"](source.read_bytes(), key=key)
        page = _STATE["render"](article, _STATE["site"], source_key=key)
        verdict = _STATE["validate"](page.html)
    except Exception as exc:  # reported per article, like the handler's failed outcome
        return source.name, f"{type(exc).__name__}: {exc}"[:300]
    if not verdict.passed:
        first = verdict.errors[0] if verdict.errors else None
        return source.name, f"invalid AMP: {getattr(first, 'message', first)}"[:300]
    target = _STATE["out"] / page.slug / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page.html, encoding="utf-8")
    return source.name, None


def probe_bulk(args: argparse.Namespace) -> None:
    paths = sorted(str(p) for p in Path(args.src).glob("*.json"))
    started = time.perf_counter()
    _bulk_init(args.dest)
    if args.jobs == 1:
        results = [_bulk_one(p) for p in paths]
    else:
        import multiprocessing

        # Workers forked after the first page inherit the loaded modules, the compiled theme and
        # the parsed rules, as a warm Lambda container has them; each writes its share.
        results = [_bulk_one(paths[0])]
        ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        with ctx.Pool(args.jobs, initializer=_bulk_init, initargs=(args.dest,)) as pool:
            results += pool.map(_bulk_one, paths[1:],
                                chunksize=max(1, len(paths) // (args.jobs * 8)))
    elapsed = time.perf_counter() - started
    errors = [f"{name}: {error}" for name, error in results if error]
    _emit({"articles": len(paths), "pages": len(paths) - len(errors), "inner_s": round(elapsed, 3),
           "errors": len(errors), "first_errors": errors[:5]}, args.out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="probe", required=True)
    for name in ("handler", "restore", "warm", "rss", "bulk", "validate", "verdict"):
        p = sub.add_parser(name)
        p.add_argument("--out")
    sub.choices["handler"].add_argument("--event", required=True)
    sub.choices["handler"].add_argument("--article", required=True)
    sub.choices["handler"].add_argument("--events", type=int, default=30)
    sub.choices["restore"].add_argument("--event", required=True)
    sub.choices["warm"].add_argument("--iterations", type=int, default=200)
    sub.choices["warm"].add_argument("articles", nargs="+")
    sub.choices["verdict"].add_argument("--iterations", type=int, default=100)
    sub.choices["verdict"].add_argument("articles", nargs="+")
    sub.choices["validate"].add_argument("--iterations", type=int, default=200)
    sub.choices["validate"].add_argument("pages", nargs="+")
    sub.choices["bulk"].add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    sub.choices["bulk"].add_argument("--src", required=True)
    sub.choices["bulk"].add_argument("--dest", required=True)
    args = parser.parse_args(argv)
    {"handler": probe_handler, "restore": probe_restore, "warm": probe_warm, "rss": probe_rss,
     "bulk": probe_bulk, "validate": probe_validate, "verdict": probe_verdict}[args.probe](args)


if __name__ == "__main__":
    main()
