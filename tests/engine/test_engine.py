"""Engine tests: real builds and runs with Docker (marker ``engine``; CI runs them).

They build from an offline stack when one is described by an env file of ``export BUILDENV_*=``
lines (``$BAKEGEN_TEST_ENV``, default /var/lib/buildenv/env): its base image, CPython source
mirror and SHA256SUMS become bakegen's BASE_IMAGE, PYTHON_MIRROR and --mirror-sums. Without an
engine they are skipped, unless BAKEGEN_REQUIRE_ENGINE=1 makes that a failure.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bakegen import bakefile
from bakegen.project import Project
from tests.kit.engine import accept, accepted, bake_variables, build, measure, plain_bake

pytestmark = pytest.mark.engine
REPO = Path(__file__).resolve().parents[2]


def py(tag: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "run", "--rm", tag, "python3", "-c", code], capture_output=True, text=True)


@pytest.fixture(scope="module")
def wee(wee_image) -> str:
    return wee_image


@pytest.fixture(scope="module")
def wee_optimized(stack) -> str:
    return build(stack, "3_13-wee-optimized")


@pytest.fixture(scope="module")
def wee_lto(stack) -> str:
    return build(stack, "3_13-wee-optimized-lto")


def test_bake_print_agrees_with_the_plan_on_every_buildx(stack) -> None:
    results = bakefile.check_with_bake(Project(REPO), {**os.environ, **bake_variables(stack)})
    versions = [r.version for r in results]
    if Path(bakefile.DEBIAN_BUILDX).exists():
        assert len(results) == 2, versions
    for r in results:
        assert r.problems == [], f"{r.buildx} {r.version}"
    measure(f"bake --print agrees with the plan on buildx {', '.join(versions)}")


#: The engine tests' image of each 3_13 variant (for the engine's platform), by fixture name.
VARIANTS = {"3_13-wee": "wee", "3_13-wee-optimized": "wee_optimized", "3_13-wee-optimized-lto": "wee_lto"}


@pytest.mark.parametrize("target", VARIANTS)
def test_each_variant_passes_bakegen_test(request, stack, target) -> None:
    """The official images' acceptance tests and the variant's promises (version, configure flags,
    no tkinter, venv with pip, a C-extension wheel, headers, apt-get install, module parity)."""
    request.getfixturevalue(VARIANTS[target])
    accepted(accept(stack, target))


def test_dbm_ndbm_is_berkeley_db(wee) -> None:
    # As in the official image, so ndbm files written by either open in the other.
    assert py(wee, "import dbm.ndbm; print(dbm.ndbm.library)").stdout.strip() == "Berkeley DB"


def test_custom_target_with_the_classic_switches(stack, wee_lto, test_version) -> None:
    # Same args as the 3_13-wee-optimized-lto build above, so the build cache answers.
    proc = plain_bake(stack, "custom", PYTHON_VERSION=test_version, OPTIMAL="1", LTO="1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    tag = f"{stack['REGISTRY']}/python:{test_version}-wee-optimized-lto"
    args = py(tag, "import sysconfig; print(sysconfig.get_config_var('CONFIG_ARGS'))").stdout
    assert "--enable-optimizations" in args and "--with-lto" in args


def test_lto_without_pgo_fails_clearly(stack, test_version) -> None:
    proc = plain_bake(stack, "custom", PYTHON_VERSION=test_version, OPTIMAL="0", LTO="1")
    assert proc.returncode != 0
    assert "LTO=1 needs OPTIMAL=1" in proc.stderr
