"""A python.org stand-in on 127.0.0.1 for ``versions update``: recorded answers, and hostile ones
(a server that drips, redirects in a loop or elsewhere, or never answers)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

UPSTREAM = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"


@dataclass
class Answer:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    #: A Content-Length larger than the body: the connection closes before the answer is complete.
    declared_length: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds between single bytes of a body that never ends.
    drip: float | None = None
    #: Seconds between single bytes of a status line and headers that never end.
    drip_headers: float | None = None


def recorded(name: str, **kwargs) -> Answer:
    content_type = "application/json" if name.endswith(".json") else "text/plain; charset=utf-8"
    if name.endswith(".html"):
        content_type = "text/html; charset=utf-8"
    return Answer((UPSTREAM / name).read_bytes(), content_type=content_type, **kwargs)


def redirect(location: str, status: int = 302) -> Answer:
    return Answer(b"", status=status, headers={"Location": location})


def listing(*names: str) -> Answer:
    links = "".join(f'<a href="{n}">{n}</a>\n' for n in names)
    return Answer(f"<html><body><pre>{links}</pre></body></html>\n".encode())


@dataclass
class FakeUpstream:
    """A python.org stand-in: /ftp/python/ (the mirror) and /api/v2/downloads/ (the release API)."""

    base: str = ""
    routes: dict[str, Answer] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    @property
    def mirror(self) -> str:
        return f"{self.base}/ftp/python"

    @property
    def api(self) -> str:
        return f"{self.base}/api/v2/downloads"


def _drip(wfile, data: bytes, interval: float) -> None:
    try:
        while True:
            for byte in data:
                wfile.write(bytes([byte]))
                wfile.flush()
                time.sleep(interval)
    except OSError:
        pass


def _handler(upstream: FakeUpstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            upstream.requests.append(self.path)
            answer = upstream.routes.get(self.path, Answer(b"<html>404 Not Found</html>", status=404))
            if answer.drip_headers is not None:
                _drip(self.wfile, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 60000, answer.drip_headers)
                return
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if answer.drip is None:
                self.send_header("Content-Length", str(answer.declared_length or len(answer.body)))
            self.end_headers()
            if answer.drip is not None:
                _drip(self.wfile, answer.body or b"<", answer.drip)
                return
            self.wfile.write(answer.body)
            self.close_connection = True

        def log_message(self, *args) -> None:
            pass

    return Handler


RECORDED = {
    "/ftp/python/": "ftp-index.html",
    "/ftp/python/2.7.18/": "ftp-2.7.18.html",
    "/ftp/python/3.13.17/": "ftp-3.13.17.html",
    "/ftp/python/3.16.0/": "ftp-3.16.0.html",
    "/api/v2/downloads/release/?is_published=true": "api-release.json",
    "/api/v2/downloads/release_file/?release=1017": "api-release_file-1017.json",
    "/api/v2/downloads/release_file/?release=1162": "api-release_file-1162.json",
}


@contextlib.contextmanager
def serving() -> Iterator[FakeUpstream]:
    """The recorded python.org answers (no SHA256SUMS: checksums come from the API), served until the block ends."""
    fake = FakeUpstream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    fake.routes.update({path: recorded(name) for path, name in RECORDED.items()})
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
