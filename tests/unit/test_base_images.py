"""Base images pinned by digest (issue 18, item 6): versions/base-images.toml, what `versions update`
measures at a registry (a fake one on 127.0.0.1 here), and what the rendered bake file names."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bakegen import engine
from bakegen.bake import base
from bakegen.bake.data import load_releases
from bakegen.bakefile import render_project, stale_diff
from bakegen.cli import app
from bakegen.errors import DataError
from bakegen.project import Project
from tests.kit.fakes import FakeDocker

REPO = Path(__file__).resolve().parents[2]
UPSTREAM = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"

UNPINNED = """\
# The fixture project's base images.
[trixie]
image = "debian:trixie-slim"
digest = "unpinned"
platforms = ["linux/amd64", "linux/arm64"]
source = "not measured"

[bullseye]
image = "debian:bullseye-slim"
digest = "unpinned"
platforms = ["linux/amd64", "linux/arm64"]
source = "not measured"
"""


def index(*platforms: str) -> bytes:
    """A manifest list as a registry serves it, with an attestation entry as BuildKit adds one."""
    manifests = [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + f"{i}" * 64, "size": 400,
         "platform": dict(zip(("os", "architecture", "variant"), p.split("/"), strict=False))}
        for i, p in enumerate(platforms)
    ]
    manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "e" * 64,
                      "size": 800, "platform": {"os": "unknown", "architecture": "unknown"}})
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": manifests}, indent=2).encode()


class Registry:
    """A registry (and a python.org-layout mirror that is up to date) on 127.0.0.1; with
    ``token``, manifests need a bearer token from /token first, as Docker Hub's do."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes] = {
            "/ftp/python/": (UPSTREAM / "mirror-index-simplehttp.html").read_bytes(),
            "/ftp/python/3.13.15/": (UPSTREAM / "mirror-3.13.15-simplehttp.html").read_bytes(),
            "/ftp/python/2.7.18/": (UPSTREAM / "ftp-2.7.18.html").read_bytes(),
            "/v2/library/debian/manifests/trixie-slim": index("linux/amd64", "linux/arm64/v8"),
            "/v2/library/debian/manifests/bullseye-slim": index("linux/amd64", "linux/arm64/v8", "linux/arm/v7"),
        }
        self.token = False
        self.requests: list[tuple[str, str]] = []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                auth = self.headers.get("Authorization", "")
                registry.requests.append((self.path, auth))
                if self.path.startswith("/token?"):
                    return self.answer(200, b'{"token": "t0ken"}')
                if self.path.startswith("/v2/") and registry.token and auth != "Bearer t0ken":
                    realm = f"http://127.0.0.1:{self.server.server_address[1]}/token"
                    scope = "repository:library/debian:pull"
                    challenge = f'Bearer realm="{realm}",service="reg",scope="{scope}"'
                    return self.answer(401, b"{}", {"WWW-Authenticate": challenge})
                body = registry.routes.get(self.path)
                return self.answer(404, b"not found") if body is None else self.answer(200, body)

            def answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def digest(self, tag: str) -> str:
        return "sha256:" + hashlib.sha256(self.routes[f"/v2/library/debian/manifests/{tag}"]).hexdigest()


@pytest.fixture
def registry() -> Iterator[Registry]:
    fake = Registry()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def project(project_dir: Path, clean_env) -> Path:
    (project_dir / "versions" / "base-images.toml").write_text(UNPINNED)
    render_project(Project(project_dir), lambda line: None)
    return project_dir


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={}, catch_exceptions=False)


def update(project: Path, registry: Registry, *extra: str):
    return invoke("versions", "update", "-C", str(project), "--mirror", f"http://{registry.host}/ftp/python",
                  "--base-registry", f"{registry.host}/library", *extra)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("token", [False, True], ids=["open", "bearer-token"])
def test_versions_update_pins_each_base_by_its_manifest_list(project: Path, registry: Registry, token: bool) -> None:
    registry.token = token
    unpinned = (project / "docker-bake.hcl").read_text()
    assert 'default = "debian:trixie-slim"' in unpinned
    result = update(project, registry)
    assert result.exit_code == 0, result.output
    trixie, bullseye = registry.digest("trixie-slim"), registry.digest("bullseye-slim")
    line = f"base trixie   {registry.host}/library/debian:trixie-slim@{trixie}  (was debian:trixie-slim)"
    assert line in result.stdout
    bases = base.load(project / "versions")
    assert bases["trixie"].reference == f"{registry.host}/library/debian:trixie-slim@{trixie}"
    assert bases["bullseye"].digest == bullseye and bases["bullseye"].platforms == ("linux/amd64", "linux/arm64")
    assert bases["trixie"].source.startswith(f"the manifest list {registry.host}/library/debian:trixie-slim named ")
    text = (project / "docker-bake.hcl").read_text()
    assert f'  default = "{registry.host}/library/debian:trixie-slim@{trixie}"' in text
    assert f'  default = "{registry.host}/library/debian:bullseye-slim@{bullseye}"' in text
    assert text.count("# Pinned by the digest of its manifest list (linux/amd64, linux/arm64)") == 2
    assert stale_diff(Project(project)) == ""  # the committed file is what a render gives
    assert (project / "versions" / "base-images.toml").read_text().startswith("# The fixture project's base images.\n")
    if token:
        assert ("/token?service=reg&scope=repository:library/debian:pull", "") in registry.requests
    again = update(project, registry)
    assert again.exit_code == 0 and "(unchanged)" in again.stdout and "versions/ is up to date" in again.stdout


def test_base_image_still_overrides_a_pinned_default(
    project: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert update(project, registry).exit_code == 0
    fake = FakeDocker()
    monkeypatch.setattr(engine, "docker", fake)
    result = invoke("build", "3_13-wee", "--load", "-C", str(project), "--base-image", "mirror.example/debian:x")
    assert result.exit_code == 0, result.output
    assert fake.buildx.calls[0]["variables"]["BASE_IMAGE"] == "mirror.example/debian:x"
    pinned = invoke("build", "3_13-wee", "--load", "-C", str(project))
    assert pinned.exit_code == 0, pinned.output
    assert "BASE_IMAGE" not in fake.buildx.calls[1]["variables"]  # the bake file's default: the digest
    assert f"@{registry.digest('trixie-slim')}" in fake.buildx.calls[1]["file_text"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (index("linux/amd64"), "its manifest list names linux/amd64, not linux/arm64"),
        (json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}).encode(),
         "not a manifest list"),
        (b"<html>", "the registry's answer: not valid JSON"),
    ],
)
def test_a_base_that_cannot_be_pinned_changes_nothing(
    project: Path, registry: Registry, body: bytes, message: str
) -> None:
    registry.routes["/v2/library/debian/manifests/trixie-slim"] = body
    before = snapshot(project)
    result = update(project, registry)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert snapshot(project) == before


def test_no_base_images_leaves_the_file_and_the_registry_alone(project: Path, registry: Registry) -> None:
    before = (project / "versions" / "base-images.toml").read_bytes()
    result = invoke("versions", "update", "-C", str(project), "--mirror", f"http://{registry.host}/ftp/python",
                    "--no-base-images")
    assert result.exit_code == 0, result.output
    assert (project / "versions" / "base-images.toml").read_bytes() == before
    assert not [path for path, _ in registry.requests if path.startswith("/v2/")]
    both = invoke("versions", "update", "-C", str(project), "--no-base-images", "--base-registry", "r.example")
    assert both.exit_code == 1 and "cannot go with --no-base-images" in both.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (UNPINNED.replace('"unpinned"', '"sha256:abc"', 1), "field 'digest' must be sha256:<64 hex digits>"),
        (UNPINNED.replace('"debian:trixie-slim"', '"debian:trixie-slim@sha256:' + "a" * 64 + '"', 1),
         "field 'image' must be an image reference by tag"),
        (UNPINNED.replace('["linux/amd64", "linux/arm64"]', "[]", 1), "field 'platforms' must list platforms"),
        (UNPINNED.replace('source = "not measured"\n', "", 1), "missing field 'source'"),
        (UNPINNED + 'colour = "blue"\n', "unknown field 'colour'"),
        ('[Trixie]\nimage = "x:y"\n', "expected a table per Debian suite"),
    ],
)
def test_the_data_file_is_parsed_strictly(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "base-images.toml").write_text(text)
    with pytest.raises(DataError) as exc:
        base.load(tmp_path)
    assert message in str(exc.value) and "base-images.toml" in str(exc.value) and "\n" not in str(exc.value)


def test_the_committed_data_names_every_suite_and_says_why_it_is_unpinned() -> None:
    """Docker Hub cannot be reached where this data was written: each suite is explicitly unpinned,
    and the rendered defaults name the images by tag, as before."""
    bases = base.load(REPO / "versions")
    suites = {r.debian for r in load_releases(REPO / "versions")}
    assert suites <= set(bases)
    for suite in suites:
        assert not bases[suite].pinned and "unreachable" in bases[suite].source
        assert f'default = "{bases[suite].image}"' in (REPO / "docker-bake.hcl").read_text()


def test_registry_mirror_names() -> None:
    local = "localhost:5000/library/debian:trixie-slim"
    assert base.in_registry("debian:trixie-slim", "localhost:5000/library") == local
    assert base.in_registry("debian:trixie-slim", "mirror.example") == "mirror.example/debian:trixie-slim"
    assert base._api_name("debian:bullseye-slim") == ("docker.io", "library/debian", "bullseye-slim")
    assert base._api_name("ghcr.io/o/debian:t") == ("ghcr.io", "o/debian", "t")
