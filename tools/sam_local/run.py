"""``make sam-local EVENT=events/<name>.json``: run the function with ``sam local invoke`` against
the embedded backend, and check what it did.

Steps, each stopped again on exit:

1. The Lambda base image aws-sam-cli asks for (``public.ecr.aws/lambda/python:3.12-x86_64``):
   pulled where a registry answers; otherwise a local stand-in is built
   (``tools/sam_local/build_image.sh``) and the run says so. Either way a thin layer on top adds the
   backend relay (``image/Dockerfile``), and the invoke uses ``--skip-pull-image``.
2. ``sam build`` (cached), then the embedded backend (moto on ``127.0.0.1``) with the template's
   resources, seeded with ``config/site.json`` and what each event refers to: the article under the
   event's (decoded) key for an upload; for a removal, the article published first in process and
   then deleted, so the event has a page to take down.
3. ``env.json`` for ``--env-vars``: the function's settings for this backend, and
   ``ENDPOINT_URL_OVERRIDE``, the template's local-only endpoint setting (empty when deployed).
4. The host end of the relay: a Unix socket in the built function's folder (which SAM mounts at
   ``/var/task``) forwarding to the backend's loopback port. Nothing listens anywhere but on
   loopback or that socket.
5. ``sam local invoke RenderFunction -e EVENT --env-vars env.json --skip-pull-image`` per event,
   then the site bucket and the manifest are checked against the handler's result.

Exit status: 0 when every event's result matches the bucket and the manifest, 1 when one does not,
2 when something needed is missing (Docker, root, a Python 3.12 for the image), with one line
saying what.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
IMAGE = "public.ecr.aws/lambda/python:3.12-x86_64"
#: The base the relay layer is put on (the pulled image, or the stand-in), kept under its own name
#: so the layer is never stacked twice.
BASE_TAG = "amp-publisher/sam-local-base:3.12-x86_64"
RELAY_LABEL = "org.amp-publisher.sam-local.relay"
FUNCTION = "RenderFunction"
OUT = ROOT / ".aws-sam" / "sam-local"
#: aws-sam-cli needs a region and credentials to build its clients: dummy ones, no profile.
SAM_ENV = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_SESSION_TOKEN": "testing", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
           "SAM_CLI_TELEMETRY": "0", "PYENV_VERSION": "3.12.1"}


class Missing(Exception):
    """Something the run needs is not here (exit 2)."""


def say(message: str) -> None:
    print(f"sam-local: {message}", file=sys.stderr, flush=True)


def _run(args: list[str], *, log: Path | None = None, env: dict[str, str] | None = None,
         timeout: float = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})
    if log is not None:
        log.write_text(done.stdout + done.stderr, encoding="utf-8")
    return done


def _docker_ready() -> None:
    if shutil.which("docker") is None:
        raise Missing("docker is not installed")
    if _run(["docker", "info"], timeout=30).returncode != 0:
        raise Missing("the Docker daemon is not running (start dockerd)")


def _image_labels(name: str) -> dict[str, str] | None:
    done = _run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", name])
    if done.returncode != 0:
        return None
    return json.loads(done.stdout or "null") or {}


def _relay_digest() -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in (HERE / "relay.py", HERE / "image" / "relay-bootstrap",
                 HERE / "image" / "Dockerfile"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_image(*, pull_timeout: float = 60) -> str:
    """Make sure :data:`IMAGE` is a Lambda Python 3.12 base with the relay layer. Returns how the
    base was obtained: ``"pulled"``, ``"stand-in"`` or ``"cached"``."""
    how = "cached"
    if _image_labels(BASE_TAG) is None:
        labels = _image_labels(IMAGE)
        if labels is not None and RELAY_LABEL not in labels:
            _run(["docker", "tag", IMAGE, BASE_TAG])
            how = "cached"
        else:
            say(f"pulling {IMAGE}")
            try:
                pulled = _run(["docker", "pull", IMAGE], timeout=pull_timeout).returncode == 0
            except subprocess.TimeoutExpired:
                pulled = False
            if pulled:
                _run(["docker", "tag", IMAGE, BASE_TAG])
                how = "pulled"
            else:
                say(f"{IMAGE} cannot be pulled here: building a local stand-in "
                    "(Debian + CPython 3.12 + awslambdaric; see docs/sam-local.md)")
                built = subprocess.run([str(HERE / "build_image.sh")], cwd=ROOT,
                                       env={**os.environ, "IMAGE": BASE_TAG})
                if built.returncode != 0:
                    raise Missing("the stand-in Lambda image could not be built (see above)")
                how = "stand-in"
    digest = _relay_digest()
    if (_image_labels(IMAGE) or {}).get(RELAY_LABEL) != digest:
        done = _run(["docker", "build", "-q", "-t", IMAGE, "--build-arg", f"BASE={BASE_TAG}",
                     "--label", f"{RELAY_LABEL}={digest}", "-f", str(HERE / "image" / "Dockerfile"),
                     str(HERE)])
        if done.returncode != 0:
            raise Missing(f"docker build of the relay layer failed: {done.stderr.strip()[-500:]}")
    return how


def _sam() -> Path:
    sam = ROOT / ".venv-sam" / "bin" / "sam"
    if not sam.exists():
        raise Missing(".venv-sam/bin/sam is missing (make sam-local installs it)")
    return sam


def sam_build() -> None:
    done = _run([str(_sam()), "build", "--cached"], env=SAM_ENV, log=OUT / "sam-build.log")
    if done.returncode != 0:
        raise RuntimeError(f"sam build failed; see {OUT / 'sam-build.log'}")


def _article_for(key: str, articles: dict[str, bytes], reference: bytes) -> bytes:
    return articles.get(key, reference)


def seed(backend, events: list[Path]) -> None:
    """Upload ``config/site.json`` and what each event refers to (see the module docstring)."""
    from amp_publisher.aws.events import parse_event

    s3 = backend.client("s3")
    source = backend.names.source_bucket
    s3.put_object(Bucket=source, Key="config/site.json",
                  Body=(ROOT / "events" / "site.json").read_bytes(),
                  ContentType="application/json")
    articles = {f"articles/{p.name}": p.read_bytes()
                for p in sorted((ROOT / "events" / "articles").glob("*.json"))}
    reference = articles["articles/met-palantir-extension.json"]
    for path in events:
        for record in parse_event(json.loads(path.read_text(encoding="utf-8"))).records:
            if record.bucket != source:
                say(f"{path.name}: names bucket {record.bucket}, the backend's is {source}")
                continue
            body = _article_for(record.key, articles, reference)
            if record.kind == "removed":
                outcome = backend.invoke(backend.put_source(record.key, body))["outcomes"][0]
                backend.delete_source(record.key)
                say(f"seeded {record.key}: published in process as {outcome['page_key']}, then "
                    "deleted, so the event has a page to take down")
            else:
                s3.put_object(Bucket=source, Key=record.key, Body=body,
                              ContentType="application/json")
                say(f"seeded {record.key}")


def env_json(backend, path: Path) -> dict[str, dict[str, str]]:
    """Write the ``--env-vars`` file: the function's settings for this backend."""
    site = json.loads((ROOT / "events" / "site.json").read_text(encoding="utf-8"))
    env = {**backend.function_environment(),
           "ENDPOINT_URL_OVERRIDE": backend.endpoint_url,
           "SITE_BASE_URL": site["base_url"],
           "POWERTOOLS_TRACE_DISABLED": "true"}
    document = {FUNCTION: env}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document


@contextlib.contextmanager
def host_relay(port: int):
    """The host end of the relay: ``.aws-sam/build/RenderFunction/.sam-local/backend.sock`` →
    ``127.0.0.1:port``."""
    sock = ROOT / ".aws-sam" / "build" / FUNCTION / ".sam-local" / "backend.sock"
    ready = OUT / "relay.ready"
    ready.unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, str(HERE / "relay.py"), f"unix:{sock}",
                                f"tcp:127.0.0.1:{port}", "--ready-file", str(ready)])
    try:
        for _ in range(200):
            if ready.exists():
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("the host relay did not start")
        yield sock
    finally:
        process.terminate()
        process.wait(timeout=10)
        sock.unlink(missing_ok=True)


def invoke(event: Path, env_file: Path) -> dict:
    """``sam local invoke``; returns the handler's result (the last JSON line SAM prints)."""
    name = event.stem
    done = _run([str(_sam()), "local", "invoke", FUNCTION, "-e", str(event),
                 "--env-vars", str(env_file), "--skip-pull-image"], env=SAM_ENV,
                log=OUT / f"invoke-{name}.log")
    lines = [line for line in done.stdout.splitlines() if line.strip().startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"sam local invoke -e {event} failed (exit {done.returncode}); "
                           f"see {OUT / f'invoke-{name}.log'}")
    return json.loads(lines[-1])


def check(backend, result: dict) -> list[str]:
    """Compare the handler's result with the site bucket and the manifest. Returns problems."""
    s3 = backend.client("s3")
    table = backend.client("dynamodb")
    problems = []
    outcomes = result.get("outcomes") or []
    if not outcomes:
        problems.append(f"no outcomes in the result: {result}")
    for outcome in outcomes:
        key, action = outcome.get("source_key"), outcome.get("action")
        page = outcome.get("page_key")
        try:
            head = s3.head_object(Bucket=backend.names.site_bucket, Key=page) if page else None
        except s3.exceptions.ClientError:
            head = None
        item = table.get_item(TableName=backend.names.manifest_table,
                              Key={"source_key": {"S": key}}).get("Item", {})
        status = item.get("status", {}).get("S")
        if action == "published":
            if head is None:
                problems.append(f"{key}: published, but s3://…/{page} is missing")
            elif status != "published":
                problems.append(f"{key}: published, but the manifest says {status}")
            else:
                say(f"OK {key} → {page}: {head['ContentLength']:,} bytes, {head['ContentType']}; "
                    "manifest: published")
        elif action in ("deleted", "unpublished"):
            if head is not None:
                problems.append(f"{key}: {action}, but {page} is still in the site bucket")
            elif status != "deleted":
                problems.append(f"{key}: {action}, but the manifest says {status}")
            else:
                say(f"OK {key}: {action}, {page} gone; manifest: deleted")
        else:
            problems.append(f"{key}: unexpected action {action!r} ({outcome.get('error')})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="sam local invoke against the embedded backend")
    parser.add_argument("events", nargs="+", type=Path,
                        help="event files, e.g. events/s3-put-reference.json")
    args = parser.parse_args(argv)
    started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        missing = [str(e) for e in args.events if not e.is_file()]
        if missing:
            raise Missing(f"no such event file: {', '.join(missing)}")
        _docker_ready()
        how = ensure_image()
        say(f"image {IMAGE}: {how} base + backend relay ({time.monotonic() - started:.0f} s)")
        sam_build()
        say(f"sam build done ({time.monotonic() - started:.0f} s)")
    except Missing as exc:
        say(f"cannot run: {exc}")
        return 2

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    from amp_publisher.local.backend import EmbeddedBackend

    problems: list[str] = []
    with EmbeddedBackend() as backend:
        port = int(backend.endpoint_url.rsplit(":", 1)[1])
        env_file = OUT / "env.json"
        with host_relay(port):
            for event in args.events:
                backend.reset()
                backend.create_resources()
                seed(backend, [event])
                env_json(backend, env_file)
                say(f"sam local invoke {FUNCTION} -e {event} --env-vars "
                    f"{env_file.relative_to(ROOT)} --skip-pull-image")
                result = invoke(event, env_file)
                print(json.dumps(result))
                problems += check(backend, result)
    for problem in problems:
        say(f"FAIL {problem}")
    say(f"{len(args.events)} event(s) in {time.monotonic() - started:.0f} s: "
        + ("all match" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
