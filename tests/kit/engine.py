"""Helpers of the engine tests: the stack they build against, building, and measurements."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bakegen import doctor, engine
from bakegen.acceptance.command import AcceptanceRequest, ImageResolver
from bakegen.bake.validate import parse, variable_defaults
from bakegen.bench.containers import DockerBackend
from bakegen.build import BuildRequest
from bakegen.build import build as build_images
from bakegen.cli import app
from bakegen.project import Project
from bakegen.sums import MirrorTrust

REPO = Path(__file__).resolve().parents[2]
#: BAKEGEN_TEST_EXTENDED=1 adds the engine tests CI leaves out for time (a cold `.ci/run` has to
#: stay well inside CI's limit on 2 cores): a third PGO+LTO build (about 10 minutes here), and the
#: slowest checks under emulation.
EXTENDED = os.environ.get("BAKEGEN_TEST_EXTENDED") == "1"
EXTENDED_ONLY = "BAKEGEN_TEST_EXTENDED=1 runs it (left out of CI for time)"
#: What the engine tests measured (build times, sizes), repeated at the end of the run.
MEASURED: list[str] = []
#: Where the offline stack is described unless $BAKEGEN_TEST_ENV says otherwise.
DEFAULT_STACK_FILE = "/var/lib/buildenv/env"
#: The keys a stack file must have, and the ones it may have.
STACK_REQUIRED = (
    "BUILDENV_REGISTRY", "BUILDENV_BASE_IMAGE_TRIXIE", "BUILDENV_PYTHON_MIRROR", "BUILDENV_PYTHON_SHA256SUMS",
)
STACK_OPTIONAL = ("BUILDENV_BASE_IMAGE_BULLSEYE", "BUILDENV_BASE_IMAGE_BOOKWORM", "BUILDENV_CA_BUNDLE",
                  "BUILDENV_PLATFORMS", "BUILDENV_PYTHON_VERSIONS")
_LINE = re.compile(r"^(?:export\s+)?([A-Z][A-Z0-9_]*)=(.*)$")


def measure(line: str) -> None:
    MEASURED.append(line)


# --- engine fixtures --------------------------------------------------------------------------------
# The offline stack is described by an env file of `export BUILDENV_*=` lines ($BAKEGEN_TEST_ENV,
# default /var/lib/buildenv/env): its base image, CPython source mirror and SHA256SUMS become
# bakegen's BASE_IMAGE, PYTHON_MIRROR and --mirror-sums, its registry the one the publish tests
# push to. Without that file the tests build from the public defaults of the bake file.


class StackFileError(Exception):
    """A stack file that exists but cannot be used: the tests stop with this one line."""


def read_stack_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines (``export`` and one level of quotes allowed, ``#`` comments); strict."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StackFileError(f"{path}: cannot read the stack file: {exc}") from None
    values = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise StackFileError(f"{path}:{n}: not an `export BUILDENV_NAME=value` line: {raw!r}")
        values[m.group(1)] = shlex.split(m.group(2))[0] if m.group(2).strip() else ""
    missing = [key for key in STACK_REQUIRED if not values.get(key)]
    if missing:
        raise StackFileError(
            f"{path}: the stack file lacks {', '.join(missing)} (keys: {', '.join(STACK_REQUIRED)}; "
            f"optional: {', '.join(STACK_OPTIONAL)})"
        )
    return values


def stack_from_file(b: dict[str, str], platform: str) -> dict[str, str]:
    """Bake variables for the offline stack, plus the SHA256SUMS and the push registry under their own keys."""
    return {
        "BASE_IMAGE": b["BUILDENV_BASE_IMAGE_TRIXIE"],
        "BASE_IMAGE_BULLSEYE": b.get("BUILDENV_BASE_IMAGE_BULLSEYE", "debian:bullseye-slim"),
        "PYTHON_MIRROR": b["BUILDENV_PYTHON_MIRROR"],
        "REGISTRY": b["BUILDENV_REGISTRY"] + "/bakegen-test",
        "PLATFORMS": platform,
        "sums": b["BUILDENV_PYTHON_SHA256SUMS"],
        "registry": b["BUILDENV_REGISTRY"],
        "CA_BUNDLE": b.get("BUILDENV_CA_BUNDLE", ""),
    }


def public_stack(platform: str) -> dict[str, str]:
    """The bake file's own defaults (Debian's images on Docker Hub, python.org), and no registry:
    images are only loaded, under a local name; the publish tests start a registry of their own."""
    defaults = variable_defaults(parse((REPO / "docker-bake.hcl").read_text()))
    return {
        "BASE_IMAGE": defaults["BASE_IMAGE"],
        "BASE_IMAGE_BULLSEYE": defaults["BASE_IMAGE_BULLSEYE"],
        "PYTHON_MIRROR": defaults["PYTHON_MIRROR"],
        "REGISTRY": "bakegen-test",
        "PLATFORMS": platform,
        "sums": "",
        "registry": "",
        "CA_BUNDLE": "",
    }


#: The offline stack's mirror holds older releases than versions/ names (3.13.15 where versions/3.13.toml
#: pins 3.13.18, 3.11.2 for 3.11.17), each pinned among the line's [[previous]]: building them is a
#: rollback that bakegen refuses unless allowed (--allow-older; bakegen/sums.py, MirrorTrust).
STACK_TRUST = MirrorTrust(allow_older=True)


def sums_of(stack: dict[str, str]) -> dict:
    """``sha256sums`` and ``mirror_trust`` for a BuildRequest or AcceptanceRequest on the stack."""
    return {"sha256sums": stack["sums"] or None, "mirror_trust": STACK_TRUST}


def unreachable_defaults(stack: dict[str, str]) -> str:
    """Which public default cannot be reached from here, as a skip reason; "" when all answer."""
    needs = doctor.Needs(base_images={"BASE_IMAGE": stack["BASE_IMAGE"]}, mirror=stack["PYTHON_MIRROR"], tarballs=[""])
    failed = [c for c in doctor.check_base_images(needs) + doctor.check_mirror(needs) if c.failed]
    return "; ".join(c.detail for c in failed)


def version_of(stack: dict[str, str], target: str) -> str:
    """The release bakegen builds for ``target`` on this stack: versions/, pinned by the stack's SHA256SUMS."""
    return Project(REPO).plan(sha256sums=stack["sums"] or None, trust=STACK_TRUST).target(target).release.version


def unavailable(why: str) -> None:
    """Skip an engine test that cannot run here; with BAKEGEN_REQUIRE_ENGINE=1 (CI) fail it instead."""
    if os.environ.get("BAKEGEN_REQUIRE_ENGINE") == "1":
        pytest.fail(f"engine tests required but {why}")
    pytest.skip(why)


def bake_variables(stack: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in stack.items() if k.isupper()}


def image_of(stack: dict[str, str], target: str, registry: str | None = None) -> str:
    """The image `bakegen build` tags first for a target built with the stack, as `bakegen test` finds it."""
    request = AcceptanceRequest(names=[target], registries=[registry or stack["REGISTRY"]],
                                     **sums_of(stack))
    return ImageResolver(Project(REPO), request, {}).resolve(target).image


def build(stack: dict[str, str], target: str, platform: str | None = None, registry: str | None = None) -> str:
    """Build one target with bakegen and load it; returns its version tag.

    For the engine's own platform, or ``platform``; a platform of its own needs a ``registry`` of its
    own too, or its image would take the tag of the engine's.
    """
    started = time.monotonic()
    project = Project(REPO)
    variables = {**bake_variables(stack), "REGISTRY": registry or stack["REGISTRY"]}
    if platform:
        variables["PLATFORMS"] = platform
    build_images(
        project,
        BuildRequest([target], variables=variables, load=True, **sums_of(stack)),
        on_line=lambda line: None,
    )
    tag = image_of(stack, target, variables["REGISTRY"])
    took = time.monotonic() - started
    size = DockerBackend().image_size(tag)
    measure(
        f"{target} ({variables['PLATFORMS']}): built in {took:.0f}s; image {size.uncompressed / 1e6:.1f} MB "
        f"uncompressed, {size.compressed / 1e6:.1f} MB compressed ({tag})"
    )
    return tag


def accept(
    stack: dict[str, str], *names: str, platform: str | None = None, registry: str | None = None,
    options: tuple[str, ...] = (),
) -> Result:
    """`bakegen test` on targets built with the stack (or on images), through the CLI, on the stack's
    platform unless told; each image's summary line (its check counts and time) is kept for the end of the run."""
    args = ["test", *names, "-C", str(REPO), "--platform", platform or stack["PLATFORMS"]]
    args += ["--registry", registry or stack["REGISTRY"], *options]
    if stack["sums"]:
        args += ["--mirror-sums", stack["sums"], "--allow-older"]
    if stack.get("CA_BUNDLE"):
        args += ["--ca-bundle", stack["CA_BUNDLE"]]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    measure_acceptance(result)
    return result


def measure_acceptance(result: Result) -> None:
    for line in result.stdout.splitlines():
        if line.startswith("-- ") and " passed, " in line:
            measure(f"bakegen test {line.removeprefix('-- ')}")


def accepted(result: Result) -> None:
    """Every check passed (or did not apply); otherwise the FAIL lines say which and why."""
    fails = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert result.exit_code == 0 and not fails, "\n".join(fails) + "\n" + result.stderr


def plain_bake(stack: dict[str, str], target: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`docker buildx bake` on the committed file, without bakegen, from environment variables alone."""
    variables = {k: v for k, v in bake_variables(stack).items() if k != "CA_BUNDLE"}
    return subprocess.run(
        ["docker", "buildx", "bake", "--progress", "plain", "--load", target],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, **variables, **env},
    )


@contextlib.contextmanager
def isolated_builder(name: str = "bakegen-test-isolated") -> Iterator[str]:
    """A builder with an empty build cache of its own: a second, throw-away Docker daemon, as a
    Docker context (set DOCKER_CONTEXT to the name yielded; buildx refuses a context as --builder).

    Tests that need a cold builder use it instead of pruning the shared one, whose cache other
    builds (and people) rely on. The daemon pulls through the host network, so it reaches the
    registry on loopback. It gets a bridge of its own, without NAT: `--bridge none` would make it
    delete the main daemon's docker0 (dockerd removes the default bridge interface when the bridge
    is disabled).
    """
    root = Path(tempfile.mkdtemp(prefix="bakegen-dockerd-"))
    sock = root / "docker.sock"
    bridge = "bkgtest0"
    subprocess.run(["ip", "link", "delete", bridge], capture_output=True)
    subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], check=True, capture_output=True)
    subprocess.run(["ip", "addr", "add", "172.31.254.1/24", "dev", bridge], check=True, capture_output=True)
    subprocess.run(["ip", "link", "set", bridge, "up"], check=True, capture_output=True)
    cmd = [
        "dockerd", "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
        "--pidfile", str(root / "dockerd.pid"), "--host", f"unix://{sock}",
        "--bridge", bridge, "--iptables=false", "--ip6tables=false",
    ]
    if Path("/etc/docker/daemon.json").exists():  # the same image store as the main daemon
        cmd += ["--config-file", "/etc/docker/daemon.json"]
    with open(root / "dockerd.log", "wb") as log:
        daemon = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            ok = subprocess.run(["docker", "-H", f"unix://{sock}", "version"], capture_output=True)
            if ok.returncode == 0:
                break
            if daemon.poll() is not None:
                raise RuntimeError(f"the isolated dockerd exited: {(root / 'dockerd.log').read_text()[-2000:]}")
            time.sleep(0.5)
        subprocess.run(["docker", "context", "rm", "-f", name], capture_output=True)
        subprocess.run(["docker", "context", "create", name, "--docker", f"host=unix://{sock}"],
                       check=True, capture_output=True)
        yield name
    finally:
        subprocess.run(["docker", "context", "rm", "-f", name], capture_output=True)
        daemon.terminate()
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        subprocess.run(["ip", "link", "delete", bridge], capture_output=True)


REGISTRY_IMAGE = "registry:2"


@contextlib.contextmanager
def throwaway_registry() -> Iterator[tuple[str, str]]:
    """A registry on a free loopback port for the session: Debian's docker-registry binary, else the
    registry:2 image if it is in the local store. Yields (host:port, "") or ("", why there is none).

    Loopback registries need no TLS: the daemon treats 127.0.0.0/8 as insecure registries.
    """
    binary = shutil.which("docker-registry") or shutil.which("registry")
    port = _free_port()
    if binary:
        with _registry_process(binary, port) as address:
            yield address, ""
        return
    if engine.docker.image.exists(REGISTRY_IMAGE):
        container = engine.docker.run(REGISTRY_IMAGE, detach=True, remove=True, publish=[(f"127.0.0.1:{port}", 5000)])
        try:
            _wait_for(port)
            yield f"127.0.0.1:{port}", ""
        finally:
            container.stop()
        return
    yield "", ("the publish tests need a registry: BUILDENV_REGISTRY in the stack file, Debian's docker-registry "
               f"(apt-get install docker-registry), or the {REGISTRY_IMAGE} image in the local store")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int) -> None:
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"no registry answered on 127.0.0.1:{port}")


@contextlib.contextmanager
def _registry_process(binary: str, port: int) -> Iterator[str]:
    root = Path(tempfile.mkdtemp(prefix="bakegen-registry-"))
    # The distribution registry's configuration: https://distribution.github.io/distribution/about/configuration/
    (root / "config.yml").write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
        "log:\n  level: error\n"
    )
    with open(root / "registry.log", "wb") as log:
        proc = subprocess.Popen([binary, "serve", str(root / "config.yml")], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(port)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
