"""``amp-render invoke -e EVENT.json``: one Lambda event on the embedded backend.

Our stand-in for ``sam local invoke RenderFunction -e EVENT.json`` where Docker is missing. The
backend starts empty, so the objects the event speaks of are put in place first, to make the
event true:

* the site configuration (``events/site.json``) and the sample articles (``events/articles/``)
  are uploaded under ``config/site.json`` and ``articles/<name>``;
* a *created* record whose key is not among them gets the reference article uploaded at that key
  (this is how ``events/s3-put-encoded-key.json`` finds its object);
* a *removed* record's article is first published, then deleted, so the event removes a real page.

Then the event goes to the Lambda entry point unchanged, the handler's result is printed as JSON
and the site bucket is mirrored into ``build/site/``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from amp_publisher.local.backend import EmbeddedBackend
from amp_publisher.local.demo import _quiet_powertools

__all__ = ["invoke_event_file"]

_REFERENCE = "met-palantir-extension.json"


def invoke_event_file(event_path: Path, *, articles: Path, site_json: Path | None,
                      out: Path, event: dict | None = None) -> int:
    """Run the event in ``event_path`` (or ``event``, already read from it).

    Returns:
        0, or 1 when a record failed.

    Raises:
        FileNotFoundError: ``articles`` holds no article JSON file (nothing would be uploaded,
            and the event would speak of objects that do not exist).
    """
    from amp_publisher.aws.events import parse_event

    _quiet_powertools()
    if event is None:
        event = json.loads(event_path.read_text(encoding="utf-8"))
    parsed = parse_event(event)
    samples = {f"articles/{p.name}": p.read_bytes() for p in sorted(articles.glob("*.json"))}
    if not samples:
        raise FileNotFoundError(2, "no article JSON files there; nothing was uploaded",
                                str(articles))
    reference = samples.get(f"articles/{_REFERENCE}") or next(iter(samples.values()), None)
    with EmbeddedBackend() as backend:
        s3 = backend.client("s3")
        backend.upload_static(articles.parent / "static")
        bucket = backend.names.source_bucket
        if site_json is not None and site_json.exists():
            s3.put_object(Bucket=bucket, Key="config/site.json", Body=site_json.read_bytes())
        for key, body in samples.items():
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        for record in parsed.records:
            if record.bucket != bucket:
                print(f"note: the event names bucket {record.bucket}; the embedded backend's "
                      f"source bucket is {bucket}", file=sys.stderr)
                continue
            body = samples.get(record.key, reference)
            if body is None:
                continue
            if record.kind == "removed":
                backend.invoke(backend.put_source(record.key, body))
                s3.delete_object(Bucket=bucket, Key=record.key)
            elif record.key not in samples:
                s3.put_object(Bucket=bucket, Key=record.key, Body=body)
        result = backend.invoke(event)
        backend.mirror_site(out)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    for ignored in parsed.ignored:
        print(f"ignored: {ignored.reason} {ignored.detail}".rstrip(), file=sys.stderr)
    return 1 if any(o["action"] == "failed" for o in result.get("outcomes", [])) else 0
