"""``amp-render serve``: preview the mirrored site (``build/site/``) as CloudFront would serve it.

A loopback HTTP server (stdlib ``http.server``) over the folder ``make demo`` mirrors the site
bucket into, answering as the template's distribution does:

* URLs: the CloudFront Function's mapping (``/x/`` and ``/x`` with no extension serve
  ``/x/index.html``); no folder listings.
* A missing object: status 404 with the site's own ``404.html`` (the distribution's custom error
  response, ``ERROR_PAGE_KEY``), or a bare 404 while the folder has none.
* ``Content-Type``: the one the object is stored with, from the same mapping the writers use
  (:func:`amp_publisher.core.siteoutputs.outputs.content_type_of`): ``feed.xml`` is
  ``application/rss+xml; charset=utf-8``, pages ``text/html; charset=utf-8``.

Example::

    make demo && .venv/bin/amp-render serve
    # open http://127.0.0.1:8000/met-gets-extension-to-palantir-ai-project/
"""

from __future__ import annotations

import functools
import posixpath
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from amp_publisher.core.siteoutputs.outputs import content_type_of

__all__ = ["ERROR_PAGE", "rewrite_uri", "make_server", "serve"]

#: The distribution's custom error response for 403 and 404 (template.yaml
#: ``CustomErrorResponses``, ``ResponsePagePath: /404.html``), written by the render function.
ERROR_PAGE = "404.html"


def rewrite_uri(uri: str) -> str:
    """The CloudFront Function's mapping (template.yaml ``IndexRewriteFunction``).

    >>> rewrite_uri("/slug/"), rewrite_uri("/slug"), rewrite_uri("/robots.txt")
    ('/slug/index.html', '/slug/index.html', '/robots.txt')
    """
    path, _, query = uri.partition("?")
    if path.endswith("/"):
        path += "index.html"
    elif "." not in posixpath.basename(path):
        path += "/index.html"
    return path + (f"?{query}" if query else "")


class _Handler(SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        return super().translate_path(rewrite_uri(path))

    def guess_type(self, path) -> str:
        return content_type_of(str(path))

    def list_directory(self, path):  # CloudFront with OAC and ListBucket: a 404, no listing
        self.send_error(404, "Not Found")
        return None

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """A 404 answers with the site's 404 page, as the distribution's error response does."""
        page = Path(self.directory) / ERROR_PAGE
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404, message)
        self.send_header("Content-Type", content_type_of(ERROR_PAGE))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # one short line per request
        print(f"{self.address_string()} {format % args}")


def make_server(root: Path, port: int = 8000, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A server for ``root`` on ``host:port`` (port 0: a free one); call ``serve_forever()``."""
    handler = functools.partial(_Handler, directory=str(root))
    return ThreadingHTTPServer((host, port), handler)


def serve(root: Path, port: int = 8000) -> int:
    """Serve ``root`` until interrupted; returns the exit status."""
    import errno
    import sys

    if not root.is_dir():
        print(f"amp-render: {root} does not exist: run 'make demo' (or amp-render render -o "
              f"{root}/) first", file=sys.stderr)
        return 2
    try:
        server = make_server(root, port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(f"amp-render: 127.0.0.1:{port} is in use by another process; choose another "
              "with --port", file=sys.stderr)
        return 2
    host, bound = server.server_address[:2]
    pages = sorted(p.parent.relative_to(root).as_posix() for p in root.rglob("index.html"))
    print(f"serving {root}/ at http://{host}:{bound}/ (Ctrl-C to stop)")
    for page in pages:  # the home page's folder is "."
        print(f"  http://{host}:{bound}/" + ("" if page == "." else f"{page}/"))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
