"""A byte relay between a TCP port on loopback and a Unix socket, for ``make sam-local``.

``sam local invoke`` runs the function in a container on Docker's default bridge, where the host's
``127.0.0.1`` (the embedded backend) cannot be reached, and aws-sam-cli 1.170's
``--docker-network host`` does not give host networking. The one thing the host and the container
share is the function's code folder, mounted at ``/var/task``. So the backend is reached through a
Unix socket in that folder:

    function (boto3 → http://127.0.0.1:P)                        inside the container
      → relay  tcp:127.0.0.1:P  →  unix:/var/task/.sam-local/backend.sock
    host: relay  unix:.aws-sam/build/RenderFunction/.sam-local/backend.sock  →  tcp:127.0.0.1:P
      → the embedded backend (moto)

Every listener is a Unix socket or on a loopback address; nothing else is opened or dialled.
Standard library only (it also runs on the Lambda image's bare Python).

Usage::

    python3 relay.py LISTEN TARGET [--ready-file PATH]

``LISTEN`` and ``TARGET`` are ``tcp:127.0.0.1:PORT`` or ``unix:PATH``. ``--ready-file`` is
created once the listener accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import os
import sys
from pathlib import Path

_CHUNK = 64 * 1024


def parse_address(spec: str) -> tuple[str, str | tuple[str, int]]:
    """``"tcp:127.0.0.1:4566"`` → ``("tcp", ("127.0.0.1", 4566))``; ``"unix:/x.sock"`` →
    ``("unix", "/x.sock")``.

    Raises:
        ValueError: an unknown kind, a bad port, or a TCP host that is not a loopback address
            (this relay exists to avoid opening anything beyond loopback).

    >>> parse_address("tcp:127.0.0.1:4566")
    ('tcp', ('127.0.0.1', 4566))
    >>> parse_address("unix:/var/task/.sam-local/backend.sock")
    ('unix', '/var/task/.sam-local/backend.sock')
    >>> parse_address("tcp:10.0.0.1:80")
    Traceback (most recent call last):
    ValueError: tcp:10.0.0.1:80: only loopback addresses are relayed
    """
    kind, _, rest = spec.partition(":")
    if kind == "unix" and rest:
        return "unix", rest
    if kind == "tcp":
        host, _, port = rest.rpartition(":")
        host = host.strip("[]")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{spec}: expected tcp:HOST:PORT")
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"{spec}: only loopback addresses are relayed")
        return "tcp", (host, int(port))
    raise ValueError(f"{spec}: expected tcp:HOST:PORT or unix:PATH")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


async def _open(target: tuple[str, str | tuple[str, int]]):
    kind, address = target
    if kind == "unix":
        return await asyncio.open_unix_connection(address)
    host, port = address
    return await asyncio.open_connection(host, port)


async def serve(listen: str, target: str, ready_file: str | None = None) -> None:
    """Accept on ``listen`` and copy bytes both ways to a new connection to ``target``, until
    cancelled."""
    listen_at, target_at = parse_address(listen), parse_address(target)

    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await _open(target_at)
        except OSError as exc:
            print(f"relay: cannot reach {target}: {exc}", file=sys.stderr)
            client_writer.close()
            return
        try:
            await asyncio.gather(_pipe(client_reader, upstream_writer),
                                 _pipe(upstream_reader, client_writer))
        finally:
            for writer in (client_writer, upstream_writer):
                with contextlib.suppress(Exception):
                    writer.close()

    kind, address = listen_at
    if kind == "unix":
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)
        Path(address).parent.mkdir(parents=True, exist_ok=True)
        server = await asyncio.start_unix_server(handle, address)
    else:
        server = await asyncio.start_server(handle, *address)
    if ready_file:
        Path(ready_file).touch()
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("listen")
    parser.add_argument("target")
    parser.add_argument("--ready-file")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.listen, args.target, args.ready_file))
    except ValueError as exc:
        print(f"relay: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
