"""What a mirror's SHA256SUMS may decide (issue 18, item 2): read over a channel nobody can rewrite,
and no release that versions/ does not back, unless a flag says so."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bakegen.cli import app
from bakegen.errors import DataError
from bakegen.sums import MirrorTrust, check_transport, is_loopback

SUMS = b"1e66a7945a48390ee4c2a4268a0e4185884059a13c4aab6d148aa208deea4a76  Python-3.13.15.tar.xz\n"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("127.0.0.1", True), ("127.8.9.10", True), ("[::1]", True), ("::1", True),
     ("10.0.0.1", False), ("mirror.example", False), ("localhost.example", False), ("", False)],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_plain_http_from_another_host_is_refused_unless_allowed() -> None:
    with pytest.raises(DataError) as exc:
        check_transport("http://mirror.example/python/SHA256SUMS", MirrorTrust())
    assert str(exc.value) == (
        "--mirror-sums http://mirror.example/python/SHA256SUMS: plain http from mirror.example, which anyone "
        "on the way can rewrite: use https, a local file, or --allow-http-sums to accept it"
    )
    check_transport("http://mirror.example/python/SHA256SUMS", MirrorTrust(allow_http=True))
    check_transport("https://mirror.example/python/SHA256SUMS", MirrorTrust())
    check_transport("http://127.0.0.1:8765/SHA256SUMS", MirrorTrust())


class Sums(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(SUMS)))
        self.end_headers()
        self.wfile.write(SUMS)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sums)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={}, catch_exceptions=False)


def test_the_cli_refuses_http_sums_in_one_line_before_any_request(project_dir: Path, clean_env) -> None:
    # mirror.example does not resolve: a request would fail differently ("cannot fetch").
    result = invoke("list", "-C", str(project_dir), "--mirror-sums", "http://mirror.example/SHA256SUMS")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "plain http from mirror.example" in result.stderr
    allowed = invoke("list", "-C", str(project_dir), "--mirror-sums", "http://mirror.example/SHA256SUMS",
                     "--allow-http-sums")
    assert allowed.exit_code == 2 and "cannot fetch" in allowed.stderr


def test_loopback_http_is_read(project_dir: Path, clean_env, server: str) -> None:
    # The fixture project pins 3.13.15 as the newest 3.13, which the served sums list: nothing to allow.
    result = invoke("list", "-C", str(project_dir), "--mirror-sums", f"{server}/SHA256SUMS")
    assert result.exit_code == 0, result.output
    assert any(line.split()[:3] == ["3_13-wee", "3.13.15", "pinned"] for line in result.stdout.splitlines())


def test_a_downgrade_is_refused_in_one_line_and_allowed_with_the_flag(
    project_dir: Path, clean_env, tmp_path: Path
) -> None:
    sums = tmp_path / "SHA256SUMS"
    sums.write_text("93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640  Python-3.13.5.tar.xz\n")
    for command in ("list", "doctor", "build"):
        result = invoke(command, "-C", str(project_dir), "--mirror-sums", str(sums))
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.count("\n") == 1 and "older than 3.13.15" in result.stderr, command
    allowed = invoke("list", "-C", str(project_dir), "--mirror-sums", str(sums), "--allow-older")
    assert allowed.exit_code == 0, allowed.output
    assert any(line.split()[:3] == ["3_13-wee", "3.13.5", "pinned"] for line in allowed.stdout.splitlines())
