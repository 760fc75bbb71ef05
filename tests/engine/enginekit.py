"""Helpers of the engine tests: the stack they build against, building, and measurements."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bakegen import core
from bakegen.bench.containers import DockerBackend

REPO = Path(__file__).resolve().parents[2]
TEST_VERSION = "3.13.15"  # on the offline mirror, whatever versions/ names as newest
#: What the engine tests measured (build times, sizes), repeated at the end of the run.
MEASURED: list[str] = []


def measure(line: str) -> None:
    MEASURED.append(line)


# --- engine fixtures --------------------------------------------------------------------------------
# The offline stack is described by an env file of `export BUILDENV_*=` lines ($BAKEGEN_TEST_ENV,
# default /var/lib/buildenv/env): its base image, CPython source mirror and SHA256SUMS become
# bakegen's BASE_IMAGE, PYTHON_MIRROR and --mirror-sums.

def _read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip().removeprefix("export ")
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = value.strip("'\"")
    return values


def unavailable(why: str) -> None:
    """Skip an engine test that cannot run here; with BAKEGEN_REQUIRE_ENGINE=1 (CI) fail it instead."""
    if os.environ.get("BAKEGEN_REQUIRE_ENGINE") == "1":
        pytest.fail(f"engine tests required but {why}")
    pytest.skip(why)


def bake_variables(stack: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in stack.items() if k.isupper()}


def build(stack: dict[str, str], target: str) -> str:
    """Build one target for linux/amd64 with bakegen and load it; returns its version tag."""
    started = time.monotonic()
    core.build(
        core.Project(REPO),
        core.BuildRequest([target], variables=bake_variables(stack), load=True, sha256sums=stack["sums"]),
        on_line=lambda line: None,
    )
    variant = target.split("-", 1)[1]
    tag = f"{stack['REGISTRY']}/python:{TEST_VERSION}-{variant}"
    took = time.monotonic() - started
    size = DockerBackend().image_size(tag)
    measure(
        f"{target}: built in {took:.0f}s; image {size.uncompressed / 1e6:.1f} MB uncompressed, "
        f"{size.compressed / 1e6:.1f} MB compressed ({tag})"
    )
    return tag


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
        shutil.rmtree(root, ignore_errors=True)
