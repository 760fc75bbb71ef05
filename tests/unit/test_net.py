"""The capped reader: a server that streams forever or trickles costs a bounded wait and memory."""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bakegen import files, net
from bakegen.errors import DataError

#: The conftest swaps net.probe for a fake in every test; this test is about the real one.
REAL_PROBE = net.probe


class Endless(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        delay = 0.05 if self.path == "/trickle" else 0
        try:
            while True:
                self.wfile.write(b"x" * (16 if delay else 65536))
                self.wfile.flush()
                time.sleep(delay)
        except OSError:
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_an_endless_stream_stops_at_the_size_cap(server: str) -> None:
    with pytest.raises(net.FetchError, match="larger than 1000000 bytes"):
        net.get(f"{server}/endless", max_bytes=1_000_000)


def test_a_trickle_stops_at_the_deadline(server: str) -> None:
    started = time.monotonic()
    with pytest.raises(net.FetchError, match="took longer than"):
        net.get(f"{server}/trickle", total=1.0)
    assert time.monotonic() - started < 3


def test_a_probe_reads_a_little_and_reports_the_status(server: str) -> None:
    probe = REAL_PROBE(f"{server}/endless")
    assert probe.status == 200 and len(probe.body) == net.PROBE_BYTES


def test_mirror_sums_url_is_read_with_the_caps(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from bakegen.project import read_location

    monkeypatch.setattr(net, "MAX_BYTES", 100_000)
    with pytest.raises(DataError, match="larger than 100000 bytes"):
        read_location(f"{server}/endless")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(DataError, match="named pipe"):
        files.read_text(fifo)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfeh\x00i\x00", "is UTF-16 text"),
        (b"\xfe\xff\x00h\x00i", "is UTF-16 text"),
        (b"ok\n\xe9t\xe9\n", ":2: not UTF-8 text (byte 0xe9)"),
    ],
)
def test_text_that_is_not_utf8_is_named(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        files.read_text(path)


def test_a_utf8_bom_is_dropped_and_oversize_refused(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"\xef\xbb\xbfname = 1\n")
    assert files.read_text(path) == "name = 1\n"
    with pytest.raises(DataError, match="larger than 4 bytes"):
        files.read_text(path, max_bytes=4)
