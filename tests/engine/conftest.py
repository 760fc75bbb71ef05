"""Engine-test fixtures: the stack to build against, and images built once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from enginekit import MEASURED, REPO, _read_env_file, bake_variables, build, unavailable

from bakegen import __version__, core, engine


def pytest_terminal_summary(terminalreporter) -> None:
    if MEASURED:
        terminalreporter.section("measured")
        for line in MEASURED:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def stack() -> dict[str, str]:
    """Bake variables for the offline stack, plus the SHA256SUMS location under its own key."""
    try:
        engine.require_daemon()
    except Exception as exc:
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


@pytest.fixture(scope="session")
def wee_image(stack) -> str:
    """3_13-wee for linux/amd64, built once per session (engine tests and the bench smoke test)."""
    return build(stack, "3_13-wee")


@pytest.fixture(scope="session")
def registry(stack) -> str:
    return stack["REGISTRY"].rsplit("/", 1)[0]


@pytest.fixture(scope="session")
def sbom_generator(stack, registry) -> str:
    """The offline SBOM generator, pushed where the builder can pull it."""
    variables = {**bake_variables(stack), "REGISTRY": f"{registry}/bakegen-test"}
    # The generator itself is pushed without attestations: it is what would generate them.
    request = core.BuildRequest(["sbom-generator"], variables=variables, push=True, attest=False)
    core.build(core.Project(REPO), request, on_line=lambda line: None)
    return f"{registry}/bakegen-test/bakegen-sbom:{__version__}"
