"""Fault injection for local rebuild workers (imported by the spawned worker processes)."""

from __future__ import annotations

import os


def die_after_commits(count: int) -> None:
    """This worker process dies (``os._exit``, as if killed) right after its ``count``-th
    published page is committed, in the middle of its RenderQueue message: the message is
    neither finished nor deleted."""
    from amp_publisher.aws.pipeline import Publisher

    original = Publisher.process
    done = [0]

    def process(self, record, *args, **kwargs):
        outcome = original(self, record, *args, **kwargs)
        if outcome.action == "published":
            done[0] += 1
            if done[0] >= count:
                os._exit(137)
        return outcome

    Publisher.process = process
