"""``bakegen versions update`` against recorded upstream answers served on 127.0.0.1.

Every test works on a copy of the fixture project (conftest ``project_dir``): the repository's own
versions/ is never touched.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bakegen.bake import signers
from bakegen.bake.data import load_release
from bakegen.bake.model import Tarball
from bakegen.bake.releases import (
    Response,
    Upstream,
    UpstreamError,
    release_dirs,
    release_tarballs,
    render_release_file,
    toml_string,
)
from bakegen.bakefile import render_project, stale_diff
from bakegen.cli import app
from bakegen.errors import BakegenError, Terminated
from bakegen.project import Project
from bakegen.versions import VersionsRequest, VersionsUpdate, update_versions

REPO = Path(__file__).resolve().parents[2]
UPSTREAM = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
runner = CliRunner()


@dataclass
class Answer:
    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    #: A Content-Length larger than the body: the connection closes before the answer is complete.
    declared_length: int | None = None


def recorded(name: str, **kwargs) -> Answer:
    content_type = "application/json" if name.endswith(".json") else "text/plain; charset=utf-8"
    if name.endswith(".html"):
        content_type = "text/html; charset=utf-8"
    return Answer((UPSTREAM / name).read_bytes(), content_type=content_type, **kwargs)


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


def _handler(upstream: FakeUpstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            upstream.requests.append(self.path)
            answer = upstream.routes.get(self.path, Answer(b"<html>404 Not Found</html>", status=404))
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(answer.declared_length or len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
            self.close_connection = True

        def log_message(self, *args) -> None:
            pass

    return Handler


#: The lines of the fixture project whose releases the fixture key signs (tests/kit/sign.py).
SIGNED_LINES = ["2.7", "3.13", "3.14", "3.16"]
#: The tarballs the tests' updates pick, served with their signatures.
PUBLISHED = ["3.13.17/Python-3.13.17.tar.xz", "3.16.0/Python-3.16.0a2.tar.xz"]


@pytest.fixture(scope="module")
def signatures(gpg_keys) -> dict[str, bytes]:
    """The fixture key's signature of each published tarball, made once."""
    return {path: gpg_keys.sign(tarball_bytes(path.rsplit("/", 1)[1])) for path in PUBLISHED}


@pytest.fixture(autouse=True)
def fixture_signers(gpg_keys, tmp_path_factory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """bakegen trusts the fixture key for the fixture lines instead of the real release managers'."""
    path = gpg_keys.signers_file(tmp_path_factory.mktemp("keys"), SIGNED_LINES)
    monkeypatch.setattr(signers, "SIGNERS_FILE", path)
    return path


def tarball_bytes(name: str) -> bytes:
    """What the fake mirror serves as a tarball: the bytes whose sha256 the fixture sums list (fake_sha)."""
    return f"bakegen fixture {name}".encode()


def publish(fake: FakeUpstream, path: str, signature: bytes, suffix: str = ".asc") -> None:
    """Serve a tarball (``X.Y.Z/<name>``) and its signature on the fake mirror."""
    binary = "application/octet-stream"
    fake.routes[f"/ftp/python/{path}"] = Answer(tarball_bytes(path.rsplit("/", 1)[1]), content_type=binary)
    fake.routes[f"/ftp/python/{path}{suffix}"] = Answer(signature, content_type=binary)


@pytest.fixture
def upstream(signatures: dict[str, bytes]) -> Iterator[FakeUpstream]:
    fake = FakeUpstream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    fake.routes.update(
        {
            "/ftp/python/": recorded("ftp-index.html"),
            "/ftp/python/2.7.18/": recorded("ftp-2.7.18.html"),
            "/ftp/python/3.13.17/": recorded("ftp-3.13.17.html"),
            "/ftp/python/3.16.0/": recorded("ftp-3.16.0.html"),
            "/api/v2/downloads/release/?is_published=true": recorded("api-release.json"),
            "/api/v2/downloads/release_file/?release=1017": recorded("api-release_file-1017.json"),
            "/api/v2/downloads/release_file/?release=1162": recorded("api-release_file-1162.json"),
        }
    )
    for path, signature in signatures.items():
        publish(fake, path, signature)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def with_sums(upstream: FakeUpstream) -> FakeUpstream:
    """The mirror publishes a SHA256SUMS file."""
    upstream.routes["/ftp/python/SHA256SUMS"] = recorded("SHA256SUMS")
    return upstream


@pytest.fixture
def project(project_dir: Path, clean_env) -> Path:
    render_project(Project(project_dir), lambda line: None)
    return project_dir


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def update(project: Path, up: FakeUpstream, **kwargs) -> VersionsUpdate:
    return update_versions(Project(project), VersionsRequest(mirror=up.mirror, api=up.api, **kwargs), environ={})


def fake_sha(name: str) -> str:
    import hashlib

    return hashlib.sha256(f"bakegen fixture {name}".encode()).hexdigest()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={}, catch_exceptions=False)


# --- Parsing the listings -------------------------------------------------------------------------


def test_release_folders_from_a_python_org_index() -> None:
    index = Response("u/", 200, (UPSTREAM / "ftp-index.html").read_text())
    assert release_dirs(index) == ["2.7.18", "3.12.0", "3.13.5", "3.13.15", "3.13.16", "3.13.17", "3.16.0"]


def test_release_folders_from_an_http_server_mirror() -> None:
    index = Response("u/", 200, (UPSTREAM / "mirror-index-simplehttp.html").read_text())
    assert release_dirs(index) == ["2.7.18", "3.11.2", "3.13.5", "3.13.15"]
    listing = Response("u/3.13.15/", 200, (UPSTREAM / "mirror-3.13.15-simplehttp.html").read_text())
    assert release_tarballs(listing, "3.13.15") == {"3.13.15": "Python-3.13.15.tar.xz"}


def test_tarballs_in_a_folder_include_pre_releases_and_prefer_xz() -> None:
    listing = Response("u/3.16.0/", 200, (UPSTREAM / "ftp-3.16.0.html").read_text())
    assert release_tarballs(listing, "3.16.0") == {
        "3.16.0a1": "Python-3.16.0a1.tar.xz",
        "3.16.0a2": "Python-3.16.0a2.tar.xz",
    }
    # Files of another release in the folder do not count.
    assert release_tarballs(listing, "3.16.1") == {}


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("ftp-index-truncated.html", "incomplete"),
        ("ftp-index-error-page.html", "lists no X.Y.Z/ release folders"),
    ],
)
def test_broken_index(fixture: str, message: str) -> None:
    with pytest.raises(UpstreamError, match=message):
        release_dirs(Response("u/", 200, (UPSTREAM / fixture).read_text()))


# --- Rewriting a data file ------------------------------------------------------------------------


def test_render_release_file_moves_the_old_release_to_previous(tmp_path: Path) -> None:
    path = tmp_path / "3.13.toml"
    old = (Path(__file__).resolve().parents[1] / "fixtures" / "versions" / "3.13.toml").read_text()
    new = Tarball("3.13.17", "Python-3.13.17.tar.xz", "ab" * 32, verified="openpgp:" + "A" * 40)
    path.write_text(render_release_file(old, path, new, 'somewhere "quoted"'))
    text = path.read_text()
    assert text.startswith("# Fixture: the newest stable 3.x line, with a previous release.\nversion = ")
    release = load_release(path)
    assert release.tarball == new and release.source == 'somewhere "quoted"'
    assert release.tarball.verified == "openpgp:" + "A" * 40
    assert [p.verified for p in release.previous] == ["unverified", "unverified"]  # kept as they were
    assert [p.version for p in release.previous] == ["3.13.15", "3.13.5"]
    previous = tomllib.loads(text)["previous"]
    assert previous[0]["source"] == previous[1]["source"] == "test fixture"


def test_render_release_file_keeps_debian(tmp_path: Path) -> None:
    path = tmp_path / "2.7.toml"
    old = (Path(__file__).resolve().parents[1] / "fixtures" / "versions" / "2.7.toml").read_text()
    new = Tarball("2.7.19", "Python-2.7.19.tgz", "cd" * 32, verified="unverified")
    path.write_text(render_release_file(old, path, new, "s"))
    assert load_release(path).debian == "bullseye"


@pytest.mark.parametrize("value", ['a "b" \\c', "tab\there", "line\nbreak", "del\x7f", "ünïcode ✓", "${x}"])
def test_toml_string_round_trips(value: str) -> None:
    assert tomllib.loads(f"v = {toml_string(value)}")["v"] == value


# --- versions update, end to end ------------------------------------------------------------------


def test_update_from_the_mirrors_sha256sums(project: Path, with_sums: FakeUpstream, gpg_keys) -> None:
    before = snapshot(project)
    result = update(project, with_sums)
    by_line = {u.line: u for u in result.updates}
    assert by_line["3.13"].changed and by_line["3.13"].newest == "3.13.17"
    assert not by_line["2.7"].changed and by_line["2.7"].note == "up to date"
    assert not by_line["3.16"].changed and "no final release" in by_line["3.16"].note
    release = load_release(project / "versions" / "3.13.toml")
    assert release.tarball == Tarball("3.13.17", "Python-3.13.17.tar.xz", fake_sha("Python-3.13.17.tar.xz"))
    assert release.source == f"{with_sums.mirror}/SHA256SUMS: Python-3.13.17.tar.xz; the python.org release API agrees"
    assert release.tarball.verified == f"openpgp:{gpg_keys.fingerprints['signer']}"
    assert [p.version for p in release.previous] == ["3.13.15", "3.13.5"]
    # Only 3.13's data file and the bake file changed; the bake file is what a render gives.
    after = snapshot(project)
    assert {k for k in after if after[k] != before.get(k)} == {"versions/3.13.toml", "docker-bake.hcl"}
    assert result.bake_changed and project / "docker-bake.hcl" in result.written
    assert stale_diff(Project(project)) == ""
    assert 'PYTHON_VERSION = "3.13.17"' in after["docker-bake.hcl"].decode()
    # SHA256SUMS answered, and the release API was asked to cross-check it.
    assert "/api/v2/downloads/release_file/?release=1017" in with_sums.requests
    # The tarball and its signature were fetched from the mirror, to check them.
    assert {"/ftp/python/3.13.17/Python-3.13.17.tar.xz", "/ftp/python/3.13.17/Python-3.13.17.tar.xz.asc"} <= set(
        with_sums.requests)
    # Folders older than the current release are never listed.
    assert "/ftp/python/3.13.16/" not in with_sums.requests


def test_update_from_the_release_api(project: Path, upstream: FakeUpstream) -> None:
    result = update(project, upstream)
    assert [u.line for u in result.updates if u.changed] == ["3.13"]
    release = load_release(project / "versions" / "3.13.toml")
    assert release.tarball.sha256 == fake_sha("Python-3.13.17.tar.xz")
    assert release.source == (
        f"python.org release API {upstream.api}/release_file/?release=1017: sha256_sum of Python-3.13.17.tar.xz"
    )
    assert "/ftp/python/SHA256SUMS" in upstream.requests  # looked for first, answered 404
    assert "/api/v2/downloads/release/?is_published=true" in upstream.requests


def test_pre_releases_only_with_pre(project: Path, upstream: FakeUpstream) -> None:
    result = update(project, upstream, pre=True, lines=["3.16"])
    assert [u.line for u in result.updates] == ["3.16"]
    release = load_release(project / "versions" / "3.16.toml")
    # The API's upper-case hex is stored lower-case.
    assert release.tarball == Tarball("3.16.0a2", "Python-3.16.0a2.tar.xz", fake_sha("Python-3.16.0a2.tar.xz"))
    assert [p.version for p in release.previous] == ["3.16.0a1"]
    assert load_release(project / "versions" / "3.13.toml").version == "3.13.15"  # not asked for


def test_second_run_is_a_no_op(project: Path, with_sums: FakeUpstream) -> None:
    update(project, with_sums)
    before = snapshot(project)
    result = update(project, with_sums)
    assert not any(u.changed for u in result.updates) and result.written == []
    assert snapshot(project) == before


def test_dry_run_writes_nothing(project: Path, with_sums: FakeUpstream) -> None:
    before = snapshot(project)
    result = invoke("versions", "update", "-C", str(project), "--mirror", with_sums.mirror, "--api", with_sums.api,
                    "--dry-run")
    assert result.exit_code == 0, result.output
    assert "3.13   3.13.15 -> 3.13.17" in result.stdout
    assert "--- versions/3.13.toml" in result.stdout
    assert '+version = "3.13.17"' in result.stdout and "+[[previous]]" in result.stdout
    assert "dry run: nothing written (1 file(s) would change; docker-bake.hcl would be re-rendered)" in result.stdout
    assert snapshot(project) == before


def test_cli_update(project: Path, with_sums: FakeUpstream) -> None:
    result = invoke("versions", "update", "-C", str(project), "--mirror", with_sums.mirror + "/")
    assert result.exit_code == 0, result.output
    assert f"wrote {project / 'versions' / '3.13.toml'}" in result.stdout
    assert f"wrote {project / 'docker-bake.hcl'}" in result.stdout
    again = invoke("versions", "update", "-C", str(project), "--mirror", with_sums.mirror)
    assert again.exit_code == 0 and "versions/ is up to date" in again.stdout


def test_a_line_the_mirror_does_not_carry(project: Path, with_sums: FakeUpstream) -> None:
    (project / "versions" / "3.14.toml").write_text(
        'version = "3.14.1"\ntarball = "Python-3.14.1.tar.xz"\nsha256 = "' + "e" * 64 + '"\nsource = "test"\n'
        'verified = "unverified"\n'
    )
    render_project(Project(project), lambda line: None)
    by_line = {u.line: u for u in update(project, with_sums).updates}
    assert by_line["3.14"].note == "no release of this line on the mirror" and not by_line["3.14"].changed


def test_unknown_line(project: Path, with_sums: FakeUpstream) -> None:
    result = invoke("versions", "update", "-C", str(project), "--mirror", with_sums.mirror, "--line", "3.99")
    assert result.exit_code == 1
    assert result.stderr.strip() == "bakegen: error: unknown line '3.99' (versions/ has 2.7, 3.13, 3.16)"


def test_mirror_must_be_http(project: Path) -> None:
    with pytest.raises(BakegenError, match="not an http"):
        update_versions(Project(project), VersionsRequest(mirror="/srv/python"))


# --- Failures leave every file as it was ----------------------------------------------------------


def _cut_short(name: str) -> Answer:
    answer = recorded(name)
    answer.declared_length = len(answer.body) + 500
    answer.body = answer.body[: len(answer.body) // 2]
    return answer


def _json_answer(data) -> Answer:
    return Answer(json.dumps(data).encode(), content_type="application/json")


def _api_release_listed_twice() -> Answer:
    releases = json.loads((UPSTREAM / "api-release.json").read_text())
    (entry,) = [r for r in releases if r["name"] == "Python 3.13.17"]
    return _json_answer([*releases, {**entry, "resource_uri": entry["resource_uri"].replace("1017", "6666")}])


def _api_file_listed_twice(sha256: str) -> Answer:
    files = json.loads((UPSTREAM / "api-release_file-1017.json").read_text())
    (entry,) = [f for f in files if f["url"].endswith("/Python-3.13.17.tar.xz")]
    return _json_answer([{**entry, "sha256_sum": sha256}, *files])


#: What tests/fixtures/versions/3.13.toml pins 3.13.5 to.
PINNED_3_13_5 = b"93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"


def _sums_with(*lines: str) -> Answer:
    return Answer(((UPSTREAM / "SHA256SUMS").read_text() + "".join(f"{line}\n" for line in lines)).encode())


BROKEN = {
    "index cut short": ({"/ftp/python/": _cut_short("ftp-index.html")}, "cut short"),
    "index truncated": ({"/ftp/python/": recorded("ftp-index-truncated.html")}, "listing is incomplete"),
    "index is an error page": ({"/ftp/python/": recorded("ftp-index-error-page.html")}, "no X.Y.Z/ release folders"),
    "index answers 503": ({"/ftp/python/": Answer(b"<html>busy</html>", status=503)}, "HTTP 503"),
    "folder listing cut short": ({"/ftp/python/3.13.17/": _cut_short("ftp-3.13.17.html")}, "cut short"),
    "folder listing missing": ({"/ftp/python/3.13.17/": Answer(b"", status=404)}, "HTTP 404"),
    "SHA256SUMS malformed": ({"/ftp/python/SHA256SUMS": recorded("SHA256SUMS-malformed")}, "SHA256SUMS:6: not a"),
    "SHA256SUMS lacks the release": (
        {"/ftp/python/SHA256SUMS": recorded("SHA256SUMS-without-3.13.17")},
        "has no checksum for Python-3.13.17.tar.xz",
    ),
    "SHA256SUMS cut short": ({"/ftp/python/SHA256SUMS": _cut_short("SHA256SUMS")}, "cut short"),
    "SHA256SUMS empty": ({"/ftp/python/SHA256SUMS": Answer(b"")}, "the file is empty"),
    "API list truncated": (
        {"/api/v2/downloads/release/?is_published=true": recorded("api-release-truncated.json")},
        "not valid JSON",
    ),
    "API throttled": (
        {"/api/v2/downloads/release/?is_published=true": recorded("api-release-throttled.json")},
        "expected a JSON list of objects",
    ),
    "API files without sha256": (
        {"/api/v2/downloads/release_file/?release=1017": recorded("api-release_file-1017-no-sha256.json")},
        "Python-3.13.17.tar.xz has no sha256_sum",
    ),
    "API files cut short": (
        {"/api/v2/downloads/release_file/?release=1017": _cut_short("api-release_file-1017.json")},
        "cut short",
    ),
    "API lacks the release": (
        {"/api/v2/downloads/release/?is_published=true": Answer(b"[]", content_type="application/json")},
        "no published release named 'Python 3.13.17'",
    ),
    "API answers 500": (
        {"/api/v2/downloads/release_file/?release=1017": Answer(b"oops", status=500)},
        "HTTP 500",
    ),
    "not UTF-8": ({"/ftp/python/3.13.17/": Answer(b"<html>\xff\xfe</html>")}, "not UTF-8"),
    "API lists the release twice": (
        {"/api/v2/downloads/release/?is_published=true": _api_release_listed_twice()},
        "'Python 3.13.17' is listed 2 times as different releases (https://www.python.org/api/v2/downloads/"
        "release/1017/, https://www.python.org/api/v2/downloads/release/6666/)",
    ),
    "API lists the file twice with different sums": (
        {"/api/v2/downloads/release_file/?release=1017": _api_file_listed_twice("f" * 64)},
        f"Python-3.13.17.tar.xz is listed with different sha256_sum values ('{fake_sha('Python-3.13.17.tar.xz')}', "
        f"'{'f' * 64}')",
    ),
    "API lists the file twice, once without a sum": (
        {"/api/v2/downloads/release_file/?release=1017": _api_file_listed_twice("")},
        "Python-3.13.17.tar.xz is listed with different sha256_sum values",
    ),
    "SHA256SUMS lists the release twice": (
        {"/ftp/python/SHA256SUMS": _sums_with(f"{'f' * 64}  Python-3.13.17.tar.xz")},
        f"SHA256SUMS:10: Python-3.13.17.tar.xz is listed twice with different sums ({fake_sha('Python-3.13.17.tar.xz')}"
        f" on line 6, {'f' * 64} on line 10)",
    ),
    "SHA256SUMS contradicts a pinned sum": (
        {"/ftp/python/SHA256SUMS": Answer((UPSTREAM / "SHA256SUMS").read_bytes().replace(PINNED_3_13_5, b"f" * 64))},
        f"pins Python-3.13.5.tar.xz to sha256 {PINNED_3_13_5.decode()}, "
        f"but http://127.0.0.1:PORT/ftp/python/SHA256SUMS lists {'f' * 64}",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_upstream_changes_nothing(case: str, project: Path, upstream: FakeUpstream) -> None:
    routes, message = BROKEN[case]
    upstream.routes.update(routes)
    before = snapshot(project)
    result = invoke("versions", "update", "-C", str(project), "--mirror", upstream.mirror, "--api", upstream.api)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("bakegen: error: "), result.stderr
    assert message.replace("http://127.0.0.1:PORT", upstream.base) in lines[0]
    assert "Traceback" not in result.output
    assert snapshot(project) == before  # nothing written, no temporary file left behind


def test_identical_duplicates_upstream_pass(project: Path, upstream: FakeUpstream) -> None:
    # A repeated line or API entry says nothing new: only disagreeing duplicates stop an update.
    line = f"{fake_sha('Python-3.13.17.tar.xz')}  Python-3.13.17.tar.xz"
    upstream.routes["/api/v2/downloads/release_file/?release=1017"] = _api_file_listed_twice(
        fake_sha("Python-3.13.17.tar.xz").upper()
    )
    releases = json.loads((UPSTREAM / "api-release.json").read_text())
    upstream.routes["/api/v2/downloads/release/?is_published=true"] = _json_answer([*releases, *releases])
    from_api = update(project, upstream, dry_run=True).updates[1]
    assert from_api.changed and from_api.tarball is not None
    assert from_api.tarball.sha256 == fake_sha("Python-3.13.17.tar.xz")
    upstream.routes["/ftp/python/SHA256SUMS"] = _sums_with(line)
    result = update(project, upstream)
    assert [u.line for u in result.updates if u.changed] == ["3.13"]
    assert load_release(project / "versions" / "3.13.toml").tarball.sha256 == fake_sha("Python-3.13.17.tar.xz")


def test_network_failure_changes_nothing(project: Path) -> None:
    import socket

    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    before = snapshot(project)
    result = invoke("versions", "update", "-C", str(project), "--mirror", f"http://127.0.0.1:{port}/ftp/python")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"bakegen: error: http://127.0.0.1:{port}/ftp/python/: cannot fetch: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(project) == before


def test_a_render_failure_after_fetching_changes_nothing(project: Path, with_sums: FakeUpstream) -> None:
    # Everything is fetched and 3.13 would move on, but the bake file cannot be rendered.
    template = project / "docker-bake.hcl.j2"
    template.write_text(template.read_text() + "{{ no_such_value }}\n")
    before = snapshot(project)
    with pytest.raises(BakegenError, match="cannot render"):
        update(project, with_sums)
    assert snapshot(project) == before


@pytest.fixture(autouse=True, scope="module")
def repository_versions_untouched() -> Iterator[None]:
    repo_versions = REPO / "versions"
    before = snapshot(repo_versions)
    yield
    assert snapshot(repo_versions) == before


# --- All or nothing: failures and interruptions while writing --------------------------------------
#
# With --pre, 3.13 (-> 3.13.17) and 3.16 (-> 3.16.0a2) both move on, so three files change:
# versions/3.13.toml, versions/3.16.toml and docker-bake.hcl.

CHANGED = {"versions/3.13.toml", "versions/3.16.toml", "docker-bake.hcl"}


@pytest.fixture
def states(project: Path, with_sums: FakeUpstream, tmp_path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The project's files before and after a complete update (made on a copy)."""
    done = tmp_path / "done"
    shutil.copytree(project, done)
    update(done, with_sums, pre=True)
    old, new = snapshot(project), snapshot(done)
    assert {k for k in new if new[k] != old.get(k)} == CHANGED and set(new) == set(old)
    return old, new


def invoke_update(project: Path, up: FakeUpstream):
    return invoke("versions", "update", "-C", str(project), "--mirror", up.mirror, "--api", up.api, "--pre")


@pytest.mark.parametrize(
    ("call", "nth", "error", "message"),
    [
        *[("replace", n, PermissionError(errno.EACCES, "Permission denied"), "Permission denied") for n in (1, 2, 3)],
        *[("write", n, OSError(errno.ENOSPC, "No space left on device"), "No space left") for n in (1, 2, 3)],
        ("fsync", 2, OSError(errno.EIO, "Input/output error"), "Input/output error"),
    ],
)
def test_a_write_failing_part_way_changes_nothing(
    project: Path, with_sums: FakeUpstream, states, monkeypatch: pytest.MonkeyPatch,
    call: str, nth: int, error: OSError, message: str,
) -> None:
    old, _ = states
    real, calls = getattr(os, call), []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == nth:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(os, call, failing)
    result = invoke_update(project, with_sums)
    monkeypatch.undo()
    assert len(calls) >= nth
    assert result.exit_code == 1, result.output
    line = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(line) == 1 and line[0].startswith(f"bakegen: error: {project}"), result.stderr
    assert line[0].endswith(f"{message}; no file was changed") or message in line[0]
    assert snapshot(project) == old  # all old, and no temporary file or backup left behind


@pytest.mark.parametrize("what", ["versions/3.16.toml", "docker-bake.hcl", "versions"])
def test_a_read_only_file_or_folder_changes_nothing(project: Path, with_sums: FakeUpstream, states, what: str) -> None:
    old, _ = states
    path = project / what
    mode = path.stat().st_mode
    path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        result = invoke_update(project, with_sums)
    finally:
        path.chmod(mode)
    assert result.exit_code == 1, result.output
    kind = "folder" if path.is_dir() else "file"
    assert result.stderr.strip() == f"bakegen: error: {path}: the {kind} is read-only; nothing was changed"
    assert snapshot(project) == old


def test_symlinked_files_are_written_through(project: Path, with_sums: FakeUpstream, states) -> None:
    _, new = states
    shared = project.parent / "shared"
    shared.mkdir()
    for name in ("versions/3.13.toml", "docker-bake.hcl"):
        (project / name).rename(shared / Path(name).name)
        (project / name).symlink_to(shared / Path(name).name)
    result = invoke_update(project, with_sums)
    assert result.exit_code == 0, result.output
    for name in ("versions/3.13.toml", "docker-bake.hcl"):
        assert (project / name).is_symlink(), name
        assert (shared / Path(name).name).read_bytes() == new[name]
    assert sorted(p.name for p in shared.iterdir()) == ["3.13.toml", "docker-bake.hcl"]
    assert stale_diff(Project(project)) == ""


def test_a_stale_bake_file_is_re_rendered_when_versions_is_up_to_date(
    project: Path, with_sums: FakeUpstream, states
) -> None:
    # What an older, non-transactional bakegen could leave: versions/ new, docker-bake.hcl old.
    old, new = states
    for name in ("versions/3.13.toml", "versions/3.16.toml"):
        (project / name).write_bytes(new[name])
    dry = invoke("versions", "update", "-C", str(project), "--mirror", with_sums.mirror, "--pre", "--dry-run")
    assert "dry run: nothing written (0 file(s) would change; docker-bake.hcl would be re-rendered)" in dry.stdout
    result = invoke_update(project, with_sums)
    assert result.exit_code == 0, result.output
    assert f"wrote {project / 'docker-bake.hcl'}" in result.stdout and "versions/ is up to date" in result.stdout
    assert snapshot(project) == new


def _signal_at(monkeypatch: pytest.MonkeyPatch, where: str, signum: int) -> None:
    """Arrange for ``signum`` to arrive at one moment of an update, from inside the process.

    ``fetching`` and ``rendering`` come before the files are written; ``CALL#N`` is right after the
    Nth ``os.CALL`` of the writing (staging, committing, cleaning up).
    """
    if where in ("fetching", "rendering"):
        obj, name = (Upstream, "get") if where == "fetching" else (Project, "render_text")
        real = getattr(obj, name)

        def then_signal(*args, **kwargs):
            result = real(*args, **kwargs)
            signal.raise_signal(signum)
            return result

        monkeypatch.setattr(obj, name, then_signal)
        return
    call, nth = where.split("#")
    real_call, real_render, calls = getattr(os, call), Project.render_text, []

    def writing(*args, **kwargs):
        text = real_render(*args, **kwargs)
        calls.append("rendered: the writing starts")
        return text

    def step(*args, **kwargs):
        if calls:
            calls.append(call)
        try:
            return real_call(*args, **kwargs)
        finally:
            if len(calls) == int(nth) + 1:
                signal.raise_signal(signum)

    monkeypatch.setattr(Project, "render_text", writing)
    monkeypatch.setattr(os, call, step)


#: Before the writes, then in each phase of them: staging (its fsyncs too), the renames, cleaning up.
#: (tests/unit/test_files.py sends a signal after every single step of the writing.)
MOMENTS = ["fetching", "rendering", "write#2", "fsync#1", "fsync#3", "replace#1", "replace#2", "replace#3", "unlink#4"]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@pytest.mark.parametrize("where", MOMENTS)
@pytest.mark.parametrize(
    ("signum", "raised"),
    [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, Terminated), (signal.SIGHUP, Terminated)],
)
def test_a_signal_at_any_moment_leaves_all_old_or_all_new(
    project: Path, with_sums: FakeUpstream, states, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    where: str, signum: int, raised: type[BaseException],
) -> None:
    old, new = states
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    _signal_at(monkeypatch, where, signum)
    with pytest.raises(raised):
        update(project, with_sums, pre=True)
    monkeypatch.undo()
    after = snapshot(project)
    assert after == (new if where not in ("fetching", "rendering") else old)
    assert list(scratch.iterdir()) == []  # the scratch copy of versions/ is gone too
    assert signal.getsignal(signal.SIGTERM) is signal.getsignal(signal.SIGHUP) is signal.SIG_DFL


#: Runs ``bakegen`` with every file system step slowed down, so that signals land mid-update;
#: stderr says "update" once the update has begun and "rendered" when the files are about to be written.
SLOW_WRAPPER = """
import os, sys, time
delay = float(os.environ["BAKEGEN_TEST_SLOW"])
for name in ("open", "write", "fsync", "link", "replace", "unlink"):
    def slow(*args, _real=getattr(os, name), **kwargs):
        try:
            return _real(*args, **kwargs)
        finally:
            time.sleep(delay)
    setattr(os, name, slow)
from pathlib import Path
from bakegen.bake import signers
from bakegen.bake.releases import Upstream
from bakegen.project import Project
signers.SIGNERS_FILE = Path(os.environ["BAKEGEN_TEST_SIGNERS"])  # the fixture key, as in-process
def marked(name, real):
    def call(*args, **kwargs):
        result = real(*args, **kwargs)
        sys.stderr.write(name + "\\n")
        sys.stderr.flush()
        return result
    return call
Upstream.newest = marked("update", Upstream.newest)
Project.render_text = marked("rendered", Project.render_text)
from bakegen.cli import main
sys.argv[0] = "bakegen"
main()
"""
SLOW = 0.02


def _run_and_signal(project: Path, up: FakeUpstream, marker: str, delay: float, signum: int, tmp: Path):
    """Start ``bakegen versions update`` slowed down; ``delay`` s after ``marker``, send ``signum``."""
    env = {**os.environ, "BAKEGEN_TEST_SLOW": str(SLOW), "TMPDIR": str(tmp),
           "BAKEGEN_TEST_SIGNERS": str(signers.SIGNERS_FILE)}
    args = ["versions", "update", "-C", str(project), "--mirror", up.mirror, "--api", up.api, "--pre"]
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRAPPER, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    for line in proc.stderr:
        seen.append(line.strip())
        if line.strip() == marker:
            break
    time.sleep(delay)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, "\n".join([*seen, err])


def test_real_signals_at_many_moments(project: Path, with_sums: FakeUpstream, states, tmp_path: Path) -> None:
    """SIGINT, SIGTERM and SIGHUP from outside, to ``bakegen versions update`` processes slowed down.

    The in-process test above hits every step; this one checks the real thing end to end: the
    signal's delivery, the exit code and message, and the files. The runs overlap to save time.
    """
    old, new = states
    # Writing three files makes 25 slowed steps (0.5 s); these moments fall before and in them.
    moments = [("update", 0.0), ("rendered", 0.05), ("rendered", 0.2)]
    runs = [(signum, marker, delay) for signum in STOP_SIGNALS for marker, delay in moments]

    def run(i: int) -> tuple[dict[str, bytes], int, str, list[Path]]:
        signum, marker, delay = runs[i]
        where = tmp_path / f"run{i}"
        shutil.copytree(project, where / "project")
        (where / "tmp").mkdir()
        code, stderr = _run_and_signal(where / "project", with_sums, marker, delay, signum, where / "tmp")
        return snapshot(where / "project"), code, stderr, list((where / "tmp").iterdir())

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(len(runs))))
    for (signum, marker, delay), (after, code, stderr, left) in zip(runs, results, strict=True):
        what = f"{signal.Signals(signum).name} {delay} s after {marker!r}:\n{stderr}"
        assert after in (old, new), f"{what}\na mix of old and new files"
        assert left == [], f"{what}\nleft in TMPDIR: {left}"
        if after == old or code in (130, 143, 129):
            # Interrupted before the writes (or while they were held back): one line, the shell's code.
            name = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}[signum]
            assert (code, stderr.splitlines()[-1]) == (128 + signum, f"bakegen: error: {name}"), what
            assert "Traceback" not in stderr, what
    outcomes = {(signum, results[i][0] == new) for i, (signum, _, _) in enumerate(runs)}
    # Each signal came once before the writes (all old) and once during them (held back: all new).
    assert outcomes == {(s, done) for s in STOP_SIGNALS for done in (False, True)}


# --- Release signatures: a release that does not verify is refused, and nothing is written --------


def _refused(project: Path, up: FakeUpstream, *extra: str) -> str:
    """Run ``versions update``; it must fail with exit 2 and one line, and leave every file as it was."""
    before = snapshot(project)
    result = invoke("versions", "update", "-C", str(project), "--mirror", up.mirror, "--api", up.api, *extra)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("bakegen: error: "), result.stderr
    assert snapshot(project) == before
    return lines[0].removeprefix("bakegen: error: ")


def test_a_tampered_tarball_is_refused(project: Path, with_sums: FakeUpstream) -> None:
    path = "/ftp/python/3.13.17/Python-3.13.17.tar.xz"
    with_sums.routes[path] = Answer(b"bakegen fixture Python-3.13.17.tar.xz, with a backdoor")
    message = _refused(project, with_sums)
    assert message.startswith("Python-3.13.17.tar.xz: BAD signature by Fixture signer's key ")
    assert message.endswith(": the file is not the one that was signed")


def test_a_signature_by_another_key_is_refused(project: Path, with_sums: FakeUpstream, gpg_keys) -> None:
    publish(with_sums, PUBLISHED[0], gpg_keys.sign(tarball_bytes("Python-3.13.17.tar.xz"), "stranger"))
    message = _refused(project, with_sums)
    assert message == (
        f"Python-3.13.17.tar.xz: signed by key {gpg_keys.fingerprints['stranger']}, which is not the signer's: "
        f"not Fixture signer's key {gpg_keys.fingerprints['signer']}"
    )


@pytest.mark.parametrize("garbage", [b"not a signature\n", b"", b"-----BEGIN PGP SIGNATURE-----\n\nAAAA\n"])
def test_a_signature_file_that_is_not_a_signature_is_refused(
    project: Path, with_sums: FakeUpstream, garbage: bytes
) -> None:
    publish(with_sums, PUBLISHED[0], garbage)
    assert _refused(project, with_sums) == "Python-3.13.17.tar.xz.asc is not an OpenPGP signature"


def test_a_missing_signature_is_refused(project: Path, with_sums: FakeUpstream) -> None:
    del with_sums.routes["/ftp/python/3.13.17/Python-3.13.17.tar.xz.asc"]
    message = _refused(project, with_sums)
    assert message == (
        f"{with_sums.mirror}/3.13.17/Python-3.13.17.tar.xz.asc: cannot fetch its signature (HTTP 404 Not Found): "
        "python.org publishes one beside every release; the mirror must carry it"
    )


def test_a_missing_key_is_refused(project: Path, with_sums: FakeUpstream, fixture_signers: Path, gpg_keys) -> None:
    (fixture_signers.parent / "signer.asc").unlink()
    message = _refused(project, with_sums)
    assert message == (
        f"Python-3.13.17.tar.xz: missing key: Fixture signer's key {gpg_keys.fingerprints['signer']} is not in "
        f"{fixture_signers.parent / 'signer.asc'} (see {fixture_signers}), so the signature cannot be checked"
    )


def test_a_key_that_expired_before_the_signature_is_refused(
    project: Path, with_sums: FakeUpstream, gpg_keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy of the key here expired on 2020-01-10; the release manager extended it and signed later."""
    stale = gpg_keys.signers_file(tmp_path / "stale", SIGNED_LINES, "extended")
    monkeypatch.setattr(signers, "SIGNERS_FILE", stale)
    data = tarball_bytes("Python-3.13.17.tar.xz")
    publish(with_sums, PUBLISHED[0], gpg_keys.sign(data, "extended", faked="20200201T000000"))
    message = _refused(project, with_sums)
    assert message == (
        f"Python-3.13.17.tar.xz: signed on 2020-02-01 by Fixture extended's key {gpg_keys.fingerprints['extended']}, "
        "which expired on 2020-01-10, before the signature was made: refresh the key file in bakegen/keys "
        "(a newer copy carries the extended expiry)"
    )
    # Signed while the key was valid: good, though the key has expired by now (as the real 3.13 key has).
    publish(with_sums, PUBLISHED[0], gpg_keys.sign(data, "extended", faked="20200105T000000"))
    result = update(project, with_sums, lines=["3.13"])
    assert result.updates[0].verified == f"openpgp:{gpg_keys.fingerprints['extended']}"


def test_a_line_without_a_signer_is_refused(project: Path, with_sums: FakeUpstream, gpg_keys, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    only_2_7 = gpg_keys.signers_file(tmp_path / "keys", ["2.7"])
    monkeypatch.setattr(signers, "SIGNERS_FILE", only_2_7)
    assert _refused(project, with_sums) == (
        f"CPython 3.13: {only_2_7} names no signer for this line, so its releases cannot be verified: "
        "add the release manager's key or Sigstore identity there"
    )


def test_a_signed_tarball_with_another_published_sum_is_refused(project: Path, upstream: FakeUpstream) -> None:
    """The signature holds, but the sum the release API publishes is not the tarball's."""
    upstream.routes["/api/v2/downloads/release_file/?release=1017"] = _api_file_listed_twice("e" * 64)
    files = json.loads(upstream.routes["/api/v2/downloads/release_file/?release=1017"].body)
    upstream.routes["/api/v2/downloads/release_file/?release=1017"] = _json_answer(files[:1])
    message = _refused(project, upstream)
    assert message.startswith(f"{upstream.mirror}/3.13.17/Python-3.13.17.tar.xz: the signed tarball has sha256 "
                              f"{fake_sha('Python-3.13.17.tar.xz')}, but python.org release API ")
    assert message.endswith(f"publishes {'e' * 64}: the published sum is wrong; nothing was written")


def test_the_mirror_and_the_release_api_must_agree(project: Path, with_sums: FakeUpstream) -> None:
    files = json.loads((UPSTREAM / "api-release_file-1017.json").read_text())
    for entry in files:
        if entry["url"].endswith("/Python-3.13.17.tar.xz"):
            entry["sha256_sum"] = "d" * 64
    with_sums.routes["/api/v2/downloads/release_file/?release=1017"] = _json_answer(files)
    message = _refused(project, with_sums)
    assert message == (
        f"{with_sums.mirror}/SHA256SUMS lists Python-3.13.17.tar.xz with sha256 {fake_sha('Python-3.13.17.tar.xz')}, "
        f"but python.org release API {with_sums.api}/release_file/?release=1017: sha256_sum of Python-3.13.17.tar.xz "
        f"is {'d' * 64}: the mirror and python.org disagree; nothing was written"
    )


def test_an_unreachable_release_api_is_noted_not_fatal(project: Path, with_sums: FakeUpstream) -> None:
    import socket

    with socket.socket() as s:  # a port with nothing listening: no server answers
        s.bind(("127.0.0.1", 0))
        api = f"http://127.0.0.1:{s.getsockname()[1]}/api/v2/downloads"
    update_versions(Project(project), VersionsRequest(mirror=with_sums.mirror, api=api, lines=["3.13"]))
    release = load_release(project / "versions" / "3.13.toml")
    assert release.source.startswith(f"{with_sums.mirror}/SHA256SUMS: Python-3.13.17.tar.xz; not cross-checked: "
                                      f"the release API is unreachable ({api}/release/?is_published=true: cannot fetch")


@pytest.mark.parametrize(
    ("next_url", "followed"),
    [("/api/v2/downloads/release/?page=2", True), ("http://127.0.0.1:1/api/v2/downloads/release/?page=2", False),
     ("https://evil.example/api/v2/downloads/release/?page=2", False)],
)
def test_pagination_is_followed_on_the_same_server_only(
    project: Path, upstream: FakeUpstream, next_url: str, followed: bool
) -> None:
    releases = json.loads((UPSTREAM / "api-release.json").read_text())
    first = [r for r in releases if r["name"] != "Python 3.13.17"]
    second = [r for r in releases if r["name"] == "Python 3.13.17"]
    # A relative link stays on the API's server; 127.0.0.1:1 is the same host on another port.
    upstream.routes["/api/v2/downloads/release/?is_published=true"] = _json_answer({"results": first, "next": next_url})
    upstream.routes["/api/v2/downloads/release/?page=2"] = _json_answer({"results": second, "next": None})
    if followed:
        assert update(project, upstream, lines=["3.13"]).updates[0].changed
        assert "/api/v2/downloads/release/?page=2" in upstream.requests
        return
    message = _refused(project, upstream)
    assert "the next page is on another server" in message and "not followed there" in message
    assert "/api/v2/downloads/release/?page=2" not in upstream.requests
