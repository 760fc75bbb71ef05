"""Engine-test fixtures: the stack to build against, the release it builds, a registry to push
to, and images built once per session. Other engine tests build on these fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bakegen import __version__, engine
from bakegen.build import BuildRequest
from bakegen.build import build as build_images
from bakegen.project import Project
from tests.kit.engine import (
    DEFAULT_STACK_FILE,
    MEASURED,
    REPO,
    StackFileError,
    bake_variables,
    build,
    public_stack,
    read_stack_file,
    stack_from_file,
    throwaway_registry,
    unavailable,
    unreachable_defaults,
    version_of,
)


def pytest_terminal_summary(terminalreporter) -> None:
    if MEASURED:
        terminalreporter.section("measured")
        for line in MEASURED:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def stack() -> dict[str, str]:
    """Bake variables to build with (BASE_IMAGE, PYTHON_MIRROR, REGISTRY, PLATFORMS, ...), plus
    ``sums`` (a SHA256SUMS to pin releases to, or "") and ``registry`` (one to push to, or "").

    From the stack file when there is one; a broken stack file fails the tests with one line.
    Without one, from the bake file's public defaults, when they answer from here.
    """
    try:
        platform = engine.server().platform
    except Exception as exc:
        unavailable(str(exc))
    env_file = Path(os.environ.get("BAKEGEN_TEST_ENV", DEFAULT_STACK_FILE))
    if env_file.exists():
        try:
            return stack_from_file(read_stack_file(env_file), platform)
        except StackFileError as exc:
            pytest.fail(str(exc), pytrace=False)
    public = public_stack(platform)
    unreachable = unreachable_defaults(public)
    if unreachable:
        unavailable(f"no offline stack at {env_file}, and the public defaults do not answer: {unreachable}")
    return public


@pytest.fixture(scope="session")
def test_version(stack) -> str:
    """The CPython release the 3_13 targets build here: versions/, pinned by the stack's SHA256SUMS."""
    return version_of(stack, "3_13-wee")


@pytest.fixture(scope="session")
def push_registry(stack) -> Iterator[str]:
    """A registry the publish tests push to: the stack's, or a throw-away one started here."""
    if stack["registry"]:
        yield stack["registry"]
        return
    with throwaway_registry() as (address, why):
        if not address:
            unavailable(why)
        yield address


@pytest.fixture(scope="session")
def wee_image(stack) -> str:
    """3_13-wee for this engine's platform, built once per session (engine tests and the bench smoke test)."""
    return build(stack, "3_13-wee")


@pytest.fixture(scope="session")
def registry(push_registry) -> str:
    return push_registry


@pytest.fixture(scope="session")
def sbom_generator(stack, registry) -> str:
    """The offline SBOM generator, pushed where the builder can pull it."""
    variables = {**bake_variables(stack), "REGISTRY": f"{registry}/bakegen-test"}
    # The generator itself is pushed without attestations: it is what would generate them.
    request = BuildRequest(["sbom-generator"], variables=variables, push=True, attest=False)
    build_images(Project(REPO), request, on_line=lambda line: None)
    return f"{registry}/bakegen-test/bakegen-sbom:{__version__}"
