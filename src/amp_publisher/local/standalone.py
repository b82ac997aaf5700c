"""``amp-render backend``: the embedded backend as a long-running process on a fixed port.

:class:`~amp_publisher.local.backend.EmbeddedBackend` lives inside one process; this command keeps
it up (moto's server on ``127.0.0.1:4566`` by default, with the resources of ``template.yaml``) and
prints the environment to export, so that ``amp-render status``, ``amp-render redrive`` and any
boto3 or AWS CLI command in another shell work against it as against a deployed stack.

With ``--seed`` it first does what a small deployment would have seen: the sample articles and
site configuration uploaded and published through the handler, one article that fails (invalid
JSON, recorded in the manifest), and the sample on-failure destination record
(``events/failed-event-destination-record.json``) waiting in the failed-events queue.
"""

from __future__ import annotations

import json
import shlex
import sys
import threading
from pathlib import Path

from amp_publisher.local.backend import REGION, EmbeddedBackend

__all__ = ["serve", "exports"]

#: The port LocalStack-style tooling expects by default.
DEFAULT_PORT = 4566
#: A source key whose object is not JSON: what a failed article looks like in ``status``.
BROKEN_KEY = "articles/broken-draft.json"
#: The sample article edited (``updated`` set) by the upload whose event failed.
EDITED_SAMPLE = "met-palantir-extension.json"
EDITED_AT = "2026-06-26T09:30:00Z"


def exports(backend: EmbeddedBackend) -> dict[str, str]:
    """The variables a shell needs to reach ``backend`` (endpoint, dummy credentials, the
    function's settings)."""
    return {
        "AWS_ENDPOINT_URL": backend.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "SOURCE_BUCKET": backend.names.source_bucket,
        **{k: v for k, v in backend.function_environment().items() if v},
    }


def _seed(backend: EmbeddedBackend, events_dir: Path, stream) -> None:
    s3 = backend.client("s3")
    backend.upload_static(events_dir / "static")
    site = events_dir / "site.json"
    if site.exists():
        s3.put_object(Bucket=backend.names.source_bucket, Key="config/site.json",
                      Body=site.read_bytes())
    for path in sorted((events_dir / "articles").glob("*.json")):
        key = f"articles/{path.name}"
        result = backend.invoke(backend.put_source(key, path.read_bytes()))
        print(f"seeded {key}: {result['outcomes'][0]['action']}", file=stream)
    result = backend.invoke(backend.put_source(BROKEN_KEY, b'{"headline": "Half a draft", '))
    print(f"seeded {BROKEN_KEY}: {result['outcomes'][0]['action']}", file=stream)
    record = events_dir / "failed-event-destination-record.json"
    reference = events_dir / "articles" / EDITED_SAMPLE
    if record.exists() and reference.exists():
        # An edit whose invocation failed after Lambda's retries: the source changed, the page
        # did not, and the on-failure destination record (the sample's shape and error) waits.
        data = json.loads(reference.read_text(encoding="utf-8"))
        data["updated"] = EDITED_AT
        failed = json.loads(record.read_text(encoding="utf-8"))
        failed["requestPayload"] = backend.put_source(f"articles/{EDITED_SAMPLE}",
                                                      json.dumps(data).encode())
        backend.client("sqs").send_message(QueueUrl=backend.queue_url,
                                           MessageBody=json.dumps(failed))
        print(f"seeded the failed-events queue: an edit of articles/{EDITED_SAMPLE} whose "
              "invocation failed", file=stream)


def serve(port: int = DEFAULT_PORT, *, seed: bool = False, events_dir: Path = Path("events"),
          stream=sys.stdout, stop: threading.Event | None = None) -> int:
    """Start the backend, print ``export`` lines, wait until ``stop`` is set or Ctrl-C."""
    from amp_publisher.local.demo import _quiet_powertools

    _quiet_powertools()  # before the handler module is imported: its Logger reads the level
    stop = stop or threading.Event()
    with EmbeddedBackend(port=port) as backend:
        if seed:
            _seed(backend, events_dir, sys.stderr)
        print("# embedded backend up; in another shell:", file=stream)
        for name, value in exports(backend).items():
            print(f"export {name}={shlex.quote(value)}", file=stream)
        stream.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0
