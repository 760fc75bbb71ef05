"""Shared fixtures. Engine tests (marker ``engine``) need a Docker daemon; see README "Tests"."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from bakegen import core, engine
from bakegen.containers import DockerBackend

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEST_VERSION = "3.13.15"  # on the offline mirror, whatever versions/ names as newest
#: What the engine tests measured (build times, sizes), repeated at the end of the run.
MEASURED: list[str] = []


def measure(line: str) -> None:
    MEASURED.append(line)


def pytest_terminal_summary(terminalreporter) -> None:
    if MEASURED:
        terminalreporter.section("measured")
        for line in MEASURED:
            terminalreporter.write_line(line)


def copy_project(dest: Path, versions: Path) -> Path:
    """A throw-away project: the repo's template and Dockerfile with the given release data."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("docker-bake.hcl.j2", "Dockerfile"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(versions, dest / "versions")
    return dest


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A project on the fixture release data (2.7 on bullseye, 3.13, a 3.16 pre-release)."""
    return copy_project(tmp_path / "project", FIXTURES / "versions")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: PT004
    """No bake variable leaks in from the caller's environment."""
    for name in ("REGISTRY", "IMAGE_NAME", "PLATFORMS", "BASE_IMAGE", "BASE_IMAGE_BULLSEYE", "PYTHON_MIRROR",
                 "PYTHON_MIRROR_SHA256SUMS", "CACHE", "CA_BUNDLE", "PYTHON_VERSION", "PYTHON_SHA256",
                 "OPTIMAL", "LTO", "BAKEGEN_PROJECT_DIR"):
        monkeypatch.delenv(name, raising=False)


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


@pytest.fixture(scope="session")
def stack() -> dict[str, str]:
    """Bake variables for the offline stack, plus the SHA256SUMS location under its own key."""
    try:
        engine.require_daemon()
    except Exception as exc:  # noqa: BLE001 - any failure means no engine here
        unavailable(str(exc))
    env_file = Path(os.environ.get("BAKEGEN_TEST_ENV", "/var/lib/buildenv/env"))
    if not env_file.exists():
        unavailable(f"{env_file} does not exist (no offline build stack described)")
    b = _read_env_file(env_file)
    return {
        "BASE_IMAGE": b["BUILDENV_BASE_IMAGE_TRIXIE"],
        "BASE_IMAGE_BULLSEYE": b.get("BUILDENV_BASE_IMAGE_BULLSEYE", "debian:bullseye-slim"),
        "PYTHON_MIRROR": b["BUILDENV_PYTHON_MIRROR"],
        "REGISTRY": b["BUILDENV_REGISTRY"] + "/bakegen-test",
        "PLATFORMS": "linux/amd64",
        "sums": b["BUILDENV_PYTHON_SHA256SUMS"],
        "CA_BUNDLE": b.get("BUILDENV_CA_BUNDLE", ""),
    }


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



@pytest.fixture(scope="session")
def wee_image(stack) -> str:
    """3_13-wee for linux/amd64, built once per session (engine tests and the bench smoke test)."""
    return build(stack, "3_13-wee")
