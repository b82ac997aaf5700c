"""``amp-render rebuild`` and ``amp-render status --rebuild``: start a rebuild, watch it.

The rebuild itself runs where the pages are rendered (:mod:`amp_publisher.aws.rebuild`); this
module only starts it and shows its progress:

* **start**: the start order goes to the render function itself when ``--function`` names the
  deployed one (so the fingerprint is the deployed renderer's, theme's and configuration's), or
  to the handler in this process otherwise (the embedded backend, or AWS from a machine running
  the same release);
* **concurrency**: ``--concurrency N`` sets the RenderQueue event source mapping's maximum
  concurrency of the deployed function, or, on the embedded backend, runs N local worker
  processes (:class:`~amp_publisher.local.workers.LocalWorkers`);
* **progress**: a live bar (done, failed, remaining, rate, ETA) computed from the manifest every
  few seconds, so it survives this process being closed and reads the same from any machine;
* **exit status** (:func:`exit_status`, both commands): 0 the rebuild is complete, 1 a page
  failed under the current fingerprint, 3 pages still wait, 2 (as for every command) a usage
  error. A script can thus poll ``status --rebuild`` while it answers 3, and tell a finished
  but partly failed rebuild (1) from a finished one (0), as ``terraform plan
  -detailed-exitcode`` and the LSB ``status`` codes (3: not running) keep "not there yet" apart
  from errors.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError

from amp_publisher.aws.manifest import ManifestTable
from amp_publisher.aws.rebuild import Progress, progress

__all__ = ["format_progress", "watch", "start", "run_rebuild", "poll_interval", "exit_status",
           "EXIT_COMPLETE", "EXIT_FAILED", "EXIT_PENDING", "DEFAULT_LOCAL_WORKERS"]

#: Exit status: every record is at the current fingerprint and none failed.
EXIT_COMPLETE = 0
#: Exit status: at least one record failed under the current fingerprint (its old page serves).
EXIT_FAILED = 1
#: Exit status: no failure so far, but records still wait to be rendered (``stale``).
EXIT_PENDING = 3

#: Local worker processes when ``--concurrency`` is not given on the embedded backend.
DEFAULT_LOCAL_WORKERS = 2
#: Records read per second of polling at most: counting pages the whole manifest (one Scan of
#: every record), so a large table is counted less often to keep its read cost bounded.
_RECORDS_PER_POLL_SECOND = 20_000


def poll_interval(total: int, floor: float = 1.0) -> float:
    """Seconds between two progress readings of a manifest of ``total`` records: ``floor``, or
    one second per 20,000 records (a 1,000,000-record site is counted every 50 s)."""
    return max(floor, total / _RECORDS_PER_POLL_SECOND)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else \
        f"{rest // 60:02d}:{rest % 60:02d}"


def _rate(rate: float | None) -> str:
    if not rate:
        return "- pages/s"
    return f"{rate:.1f} pages/s" if rate >= 1 else f"{rate:.2f} pages/s"


def exit_status(p: Progress) -> int:
    """The exit status of ``rebuild`` and ``status --rebuild`` for a reading: a failure wins
    (:data:`EXIT_FAILED`, 1), then records still waiting (:data:`EXIT_PENDING`, 3), else
    :data:`EXIT_COMPLETE` (0)."""
    if p.failed:
        return EXIT_FAILED
    return EXIT_PENDING if p.remaining else EXIT_COMPLETE


def format_progress(p: Progress) -> str:
    """One line: ``done/total, failed, remaining, rate, ETA`` (and the fingerprint), and, once
    the rebuild's finish step ran, ``finished`` (with the records it finished without)."""
    rate = _rate(p.rate)
    line = (f"rebuild {p.fingerprint}: {p.done:,}/{p.total:,} done, {p.failed:,} failed, "
            f"{p.remaining:,} remaining, {rate}, ETA {_duration(p.eta_seconds)}")
    if p.rebuild and p.rebuild.get("fingerprint") == p.fingerprint \
            and p.rebuild.get("finished_at"):
        left = int(p.rebuild.get("stale_left") or 0)
        line += "; finished" + (f" without {left:,} record(s) nothing was left to render"
                                if left else "") + ", index outputs queued for one rebuild"
    return line


def watch(manifest: ManifestTable, fingerprint: str, *, stream: TextIO | None = None,
          interval: float | None = None, keep_going: Callable[[], bool] | None = None
          ) -> Progress:
    """Show the rebuild's progress until it has finished (no record is stale and the index
    outputs are queued for their one rebuild), or ``keep_going`` says stop.

    On a terminal a live bar (``rich``); elsewhere one line per reading that changed.

    Args:
        interval: seconds between readings (default :func:`poll_interval`).
        keep_going: checked after each reading; ``False`` ends the watch (workers gone).

    Returns:
        The last reading.
    """
    from rich.console import Console
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn
    from rich.progress import Progress as Bar

    stream = stream or sys.stdout
    console = Console(file=stream)
    current = progress(manifest, fingerprint)
    wait = interval if interval is not None else poll_interval(current.total)
    live = console.is_terminal
    bar = Bar(TextColumn("rebuild"), BarColumn(), TaskProgressColumn(),
              TextColumn("{task.completed:,.0f}/{task.total:,.0f} done"),
              TextColumn("[red]{task.fields[failed]:,} failed"),
              TextColumn("{task.fields[remaining]:,} remaining"),
              TextColumn("{task.fields[rate]}"), TextColumn("ETA {task.fields[eta]}"),
              console=console, disable=not live)
    last_counts: tuple[int, ...] = ()
    with bar:
        task = bar.add_task("rebuild", total=max(current.total, 1), completed=current.done,
                            failed=current.failed, remaining=current.remaining, rate="-",
                            eta="--:--")
        while True:
            rate = _rate(current.rate)
            bar.update(task, total=max(current.total, 1), completed=current.done,
                       failed=current.failed, remaining=current.remaining, rate=rate,
                       eta=_duration(current.eta_seconds))
            counts = (current.done, current.failed, current.remaining)
            if not live and counts != last_counts:  # a line when a page is done, not per tick
                print(format_progress(current), file=stream, flush=True)
                last_counts = counts
            if _over(current):
                break
            if keep_going is not None and not keep_going():
                break
            time.sleep(wait)
            try:
                current = progress(manifest, fingerprint)
            except BotoCoreError:  # a reading timed out: keep the last one, read again
                continue
    return current


def _over(p: Progress) -> bool:
    """The rebuild for this fingerprint has finished (its finish step ran: the articles are
    done and the index outputs were queued for their one rebuild), or, without a rebuild for
    this fingerprint, no record is stale."""
    if not p.rebuild or p.rebuild.get("fingerprint") != p.fingerprint:
        return p.finished
    return bool(p.rebuild.get("finished_at"))


def start(*, function: str | None = None, bucket: str | None = None, dry_run: bool = False,
          reason: str = "amp-render rebuild") -> dict[str, Any]:
    """Send the start order to the deployed ``function`` or to the handler in this process.

    Returns:
        The started rebuild: ``{"id", "fingerprint", "bucket", "dry_run"}``.

    Raises:
        RuntimeError: the function failed, or answered without starting a rebuild.
    """
    order = {"rebuild": {"bucket": bucket, "start": {"dry_run": dry_run, "reason": reason}}}
    if function:
        from amp_publisher.aws.redrive import invoke_function

        summary = invoke_function(function)(order)
    else:
        from amp_publisher.aws.handler import handle_event

        summary = handle_event(order)
    started = (summary.get("rebuilds") or [None])[0]
    if not started or "fingerprint" not in started:
        raise RuntimeError(f"the function did not start a rebuild: {json.dumps(summary)[:300]}")
    return started


def set_function_concurrency(function: str, queue_url: str, concurrency: int) -> None:
    """Set the maximum concurrency of ``function``'s event source mapping on ``queue_url``.

    Raises:
        RuntimeError: no such mapping.
    """
    from amp_publisher.aws import storage

    arn = storage.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client = storage.client("lambda")
    mappings = client.list_event_source_mappings(FunctionName=function,
                                                 EventSourceArn=arn)["EventSourceMappings"]
    if not mappings:
        raise RuntimeError(f"{function} has no event source mapping on {arn}")
    client.update_event_source_mapping(UUID=mappings[0]["UUID"],
                                       ScalingConfig={"MaximumConcurrency": concurrency})


def _on_embedded_backend() -> bool:
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    return endpoint.startswith(("http://127.0.0.1", "http://localhost"))


def run_rebuild(*, function: str | None = None, bucket: str | None = None,
                dry_run: bool = False, concurrency: int | None = None, wait: bool = True,
                stream: TextIO | None = None, interval: float | None = None,
                list_limit: int = 20) -> int:
    """``amp-render rebuild``; returns the exit status: :func:`exit_status` of the last reading
    (0 complete, 1 some page failed, 3 pages still wait: the workers stopped early); 0 once
    started with ``wait=False`` (``--no-wait``) and for ``--dry-run``."""
    from amp_publisher.aws.config import Settings

    stream = stream or sys.stdout
    settings = Settings.from_env()
    manifest = ManifestTable(settings.manifest_table)
    started = start(function=function, bucket=bucket, dry_run=True)
    fingerprint = started["fingerprint"]
    if dry_run:
        stale: list[str] = []
        reading = progress(manifest, fingerprint, stale_keys=stale)
        print(f"fingerprint {fingerprint}: {reading.counts['stale']:,} stale record(s) would be "
              f"rendered again; {reading.counts['current']:,} current, "
              f"{reading.counts['failed']:,} failed, {reading.counts['deleted']:,} deleted",
              file=stream)
        for key in stale[:list_limit]:
            print(f"  {key}", file=stream)
        if len(stale) > list_limit:
            print(f"  ... and {len(stale) - list_limit:,} more", file=stream)
        return 0
    local = function is None and _on_embedded_backend()
    if function and concurrency:
        set_function_concurrency(function, settings.render_queue_url or "", concurrency)
    workers = None
    if local and wait:
        from amp_publisher.local.workers import LocalWorkers

        workers = LocalWorkers(concurrency or DEFAULT_LOCAL_WORKERS).start()
    try:
        started = start(function=function, bucket=bucket)
        print(f"rebuild {started['id']} started for fingerprint {started['fingerprint']}"
              + (f" with {workers.count} local worker(s)" if workers else ""), file=stream)
        if not wait:
            print("not waiting: follow it with `amp-render status --rebuild --watch`",
                  file=stream)
            return EXIT_COMPLETE  # started is all that was asked
        last = watch(manifest, started["fingerprint"], stream=stream, interval=interval,
                     keep_going=(lambda: workers.alive() > 0) if workers else None)
    finally:
        if workers is not None:
            workers.stop()
    print(format_progress(last), file=stream)
    if not last.finished:
        print("the rebuild stopped before the end: run `amp-render rebuild` again to finish "
              "it (records already rendered are skipped)", file=stream)
    return exit_status(last)
