"""Takedown latency on the embedded backend: from the DeleteObject of a page to the
CloudFront CreateInvalidation request that covers it (DESIGN §10, docs/deploying.md).

Publishes ``--articles`` small articles, then deletes each source and delivers its S3 event to
the handler, as Lambda would. botocore hooks time the page's DeleteObject (when its response
arrives) and the CreateInvalidation (when its request leaves). Prints the median and the
maximum in milliseconds. Local figures: moto on loopback, no network; in AWS add the S3 event's
delivery (typically under a second) and the round trips of the calls measured here.

    .venv/bin/python bench/takedown.py --articles 20
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    from amp_publisher.local.backend import EmbeddedBackend

    with EmbeddedBackend() as backend:
        s3, cloudfront = backend.client("s3"), backend.client("cloudfront")
        site = backend.names.site_bucket
        marks: dict[str, float] = {}

        def remember(params: dict, context: dict, **_: object) -> None:
            context["bench_key"] = params.get("Key") if params.get("Bucket") == site else None

        def deleted(context: dict, **_: object) -> None:
            if context.get("bench_key"):
                marks["delete"] = time.perf_counter()

        def invalidating(**_: object) -> None:
            marks["invalidate"] = time.perf_counter()

        s3.meta.events.register("before-parameter-build.s3.DeleteObject", remember)
        s3.meta.events.register("after-call.s3.DeleteObject", deleted)
        cloudfront.meta.events.register("before-send.cloudfront.CreateInvalidation",
                                        invalidating)
        latencies = []
        for i in range(args.articles):
            key = f"articles/takedown-{i}.json"
            body = json.dumps({"headline": f"Takedown {i}", "published": "2026-01-01T08:00:00Z",
                               "body": [{"type": "paragraph", "text": "To be removed."}]})
            backend.invoke(backend.put_source(key, body.encode()))
            marks.clear()
            backend.invoke(backend.delete_source(key))
            latencies.append((marks["invalidate"] - marks["delete"]) * 1000)
    print(f"takedown latency, DeleteObject of the page -> CreateInvalidation request, "
          f"{len(latencies)} deletes: median {statistics.median(latencies):.1f} ms, "
          f"max {max(latencies):.1f} ms")


if __name__ == "__main__":
    main()
