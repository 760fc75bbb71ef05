"""The capped reader: a server that streams forever or trickles costs a bounded wait and memory."""

from __future__ import annotations

import http.server
import os
import re
import socket
import threading
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from bakegen import files, net
from bakegen.errors import DataError
from tests.kit.upstream import Answer, FakeUpstream, redirect, serving

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
    with pytest.raises(net.FetchError, match="no complete answer within 1 seconds"):
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


# --- The policy: where reads may go, redirects, and a deadline the server cannot stretch ----------


@pytest.fixture
def hostile() -> Iterator[FakeUpstream]:
    with serving() as fake:
        yield fake


def test_a_server_that_drips_its_headers_is_given_up_on_time(hostile: FakeUpstream) -> None:
    hostile.routes["/slow"] = Answer(drip_headers=0.05)
    started = time.monotonic()
    with pytest.raises(net.FetchError, match="^no complete answer within 1 seconds$"):
        net.get(f"{hostile.base}/slow", total=1.0)
    assert time.monotonic() - started < 2


def test_a_server_that_never_answers_is_given_up_on_time() -> None:
    # A listening socket nobody accepts on: the connection is made, no answer ever comes.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        started = time.monotonic()
        with pytest.raises(net.FetchError, match="no complete answer within 0.5 seconds"):
            net.get(f"http://127.0.0.1:{sock.getsockname()[1]}/", total=0.5)
        assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("ftp://127.0.0.1/python/", "redirected to 'ftp://127.0.0.1/python/' is not an https URL"),
        ("file:///etc/passwd", "redirected to 'file:///etc/passwd' is not an https URL"),
        ("data:,hello", "is not an https URL"),
        ("http://mirror.example/python/", "plain http to a host other than this machine"),
    ],
)
def test_a_redirect_goes_only_to_https_or_this_machine(hostile: FakeUpstream, location: str, message: str) -> None:
    hostile.routes["/r"] = redirect(location)
    with pytest.raises(net.FetchError, match=re.escape(message)):
        net.get(f"{hostile.base}/r")
    assert hostile.requests == ["/r"]


def test_a_redirect_on_this_machine_is_followed(hostile: FakeUpstream) -> None:
    hostile.routes.update({"/a": redirect("/b", 301), "/b": redirect(f"{hostile.base}/c", 307), "/c": Answer(b"ok")})
    assert net.get(f"{hostile.base}/a").body == b"ok"
    assert hostile.requests == ["/a", "/b", "/c"]


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ({"/a": redirect("/a")}, "redirect loop: "),
        ({"/a": redirect("/b"), "/b": redirect("/a")}, "redirect loop: "),
        ({"/a": redirect("/r0"), **{f"/r{i}": redirect(f"/r{i + 1}") for i in range(30)}}, "more than 10 redirects"),
    ],
)
def test_redirect_loops_and_chains_end_in_one_line(hostile: FakeUpstream, routes: dict, message: str) -> None:
    hostile.routes.update(routes)
    with pytest.raises(net.FetchError) as caught:
        net.get(f"{hostile.base}/a")
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert len(hostile.requests) <= net.MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/", "http://mirror.example/x", "//x/y"]
)
def test_a_read_outside_the_policy_is_refused_before_connecting(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net, "_get", lambda *args: pytest.fail("connected"))
    with pytest.raises(net.FetchError, match="^not read: "):
        net.get(url)


def test_plain_http_is_read_from_loopback_and_from_an_origin_the_user_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("http://127.0.0.1:8000/x", "http://[::1]/x", "http://localhost/", "https://mirror.example/x"):
        assert net.refusal(url) == "", url
    assert net.refusal("http://mirror.internal/python/SHA256SUMS")
    net.check_url("--mirror", "http://Mirror.Internal/python")
    assert net.refusal("http://mirror.internal/python/SHA256SUMS") == ""
    assert net.refusal("http://mirror.internal:8080/python/")  # another origin
    assert net.refusal("http://elsewhere.internal/python/")


def test_the_reason_phrase_of_an_error_is_one_short_line() -> None:
    exc = urllib.error.HTTPError("u", 500, "Internal\r\nError" + "x" * 200, {}, None)  # type: ignore[arg-type]
    phrase = net._reason_phrase(exc)
    assert "\n" not in phrase and len(phrase) <= 80
