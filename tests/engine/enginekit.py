"""Helpers of the engine tests: the stack they build against, building, and measurements."""

from __future__ import annotations

import os
import time
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
