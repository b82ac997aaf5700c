"""``make sam-local``: the function under ``sam local invoke`` publishes and unpublishes through the
embedded backend (docs/sam-local.md).

The end-to-end test needs Docker (a running daemon), root (the stand-in Lambda image is built
with debootstrap where the real one cannot be pulled) and aws-sam-cli in ``.venv-sam``; it skips
and says which is missing. The relay test runs everywhere.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "tools" / "sam_local" / "run.py"
EVENTS = ["events/s3-put-reference.json", "events/s3-delete-reference.json",
          "events/s3-put-encoded-key.json", "events/eventbridge-object-created.json"]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"sam_local_{name}",
                                                  ROOT / "tools" / "sam_local" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _why_not() -> str | None:
    if shutil.which("docker") is None:
        return "docker is not installed (.ci/run installs docker.io as root)"
    if subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode != 0:
        return "the Docker daemon is not running (.ci/run starts dockerd as root)"
    if os.geteuid() != 0:
        return "building the stand-in Lambda image needs root (debootstrap, chroot)"
    if not (ROOT / ".venv-sam" / "bin" / "sam").exists():
        return "aws-sam-cli is not installed in .venv-sam (make lint-template installs it)"
    return None


@pytest.mark.slow
def test_sam_local_invoke_publishes_unpublishes_and_decodes_keys():
    reason = _why_not()
    if reason:
        pytest.skip(f"sam local invoke not tested: {reason}")
    done = subprocess.run([sys.executable, str(RUN), *EVENTS], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    log = done.stderr
    page = "met-gets-extension-to-palantir-ai-project/index.html"
    assert f"OK articles/met-palantir-extension.json → {page}" in log
    assert f"OK articles/met-palantir-extension.json: unpublished, {page} gone; manifest: deleted" \
        in log
    # the key arrives as articles/Caf%C3%A9+Menu%2B2026.json and is decoded exactly once
    assert "OK articles/Café Menu+2026.json → " in log
    assert log.count("→ " + page) == 3  # put, encoded key, EventBridge
    assert "4 event(s)" in log and "all match" in log


def test_run_refuses_a_missing_event_file_with_exit_2():
    done = subprocess.run([sys.executable, str(RUN), "events/no-such-event.json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "no such event file: events/no-such-event.json" in done.stderr


def test_relay_carries_bytes_both_ways_between_a_unix_socket_and_loopback(tmp_path):
    relay = _load("relay")
    upstream = socket.create_server(("127.0.0.1", 0))
    port = upstream.getsockname()[1]

    def echo_upper():
        conn, _ = upstream.accept()
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data.upper())

    threading.Thread(target=echo_upper, daemon=True).start()
    sock = tmp_path / "backend.sock"
    ready = tmp_path / "ready"
    process = subprocess.Popen([sys.executable, relay.__file__, f"unix:{sock}",
                                f"tcp:127.0.0.1:{port}", "--ready-file", str(ready)])
    try:
        for _ in range(250):
            if ready.exists():
                break
            time.sleep(0.02)
        client = socket.socket(socket.AF_UNIX)
        client.connect(str(sock))
        payload = b"x-amz-target: dynamodb " * 5000  # larger than one relay chunk
        client.sendall(payload)
        client.shutdown(socket.SHUT_WR)
        received = b""
        while data := client.recv(65536):
            received += data
        assert received == payload.upper()
    finally:
        process.terminate()
        process.wait(timeout=10)
        upstream.close()


@pytest.mark.parametrize("spec", ["tcp:10.0.0.1:80", "tcp:192.168.1.5:4566", "tcp:0.0.0.0:80",
                                  "udp:127.0.0.1:53", "tcp:127.0.0.1:99999"])
def test_relay_refuses_anything_but_loopback_and_unix_sockets(spec):
    with pytest.raises(ValueError):
        _load("relay").parse_address(spec)
