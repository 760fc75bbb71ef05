"""Engine tests of ``bakegen test`` itself (marker ``engine``): it fails an image that breaks a
promise, naming the check; it passes 3.11 from the mirror; and the module parity with the official
recipe, built as the reference-modules target."""

from __future__ import annotations

import subprocess

import pytest

from bakegen.bake.plan import EXTRA_TARGETS
from tests.kit.engine import accept, accepted, build

pytestmark = pytest.mark.engine

#: Each breakage, and the start of the FAIL line it must cause (check name and reason, as printed).
BREAKAGES = {
    "no-dbm": (
        "RUN find /usr/local/lib -name '_dbm*.so' -delete",
        "FAIL  python-imports           dbm.ndbm: No module named '_dbm'",
    ),
    "pyc": (
        "RUN python3 -B -c 'import json, py_compile; py_compile.compile(json.__file__)'",
        "FAIL  python-no-pyc            1 .pyc/.pyo file(s) under /usr/local and /opt, e.g. /usr/local/lib/python3.",
    ),
}


@pytest.fixture
def broken(request, stack, wee_image):
    """The engine tests' 3_13-wee with one breakage on top (one RUN step), removed afterwards."""
    run_step = BREAKAGES[request.param][0]
    tag = f"{stack['REGISTRY']}/broken:{request.param}"
    proc = subprocess.run(
        ["docker", "build", "--quiet", "--tag", tag, "-"], input=f"FROM {wee_image}\n{run_step}\n",
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    yield tag
    subprocess.run(["docker", "image", "rm", tag], capture_output=True)


@pytest.mark.parametrize("broken", BREAKAGES, indirect=True)
def test_a_broken_image_fails_with_a_line_naming_the_check(request, stack, broken) -> None:
    result = accept(stack, broken)
    fail_line = BREAKAGES[request.node.callspec.params["broken"]][1]
    assert result.exit_code == 4, result.output
    assert any(line.startswith(fail_line) for line in result.stdout.splitlines()), result.stdout
    check = fail_line.split()[1]
    assert result.stderr.startswith("bakegen: error: ") and f"{broken} on {stack['PLATFORMS']} (" in result.stderr
    assert check in result.stderr


def test_python311_from_the_mirror_passes_bakegen_test(stack) -> None:
    """3.11 as --mirror-sums pins it (3.11.2): setuptools and wheel are expected below 3.12."""
    build(stack, "3_11-wee")
    result = accept(stack, "3_11-wee")
    accepted(result)
    assert "PASS  version                  3.11.2" in result.stdout


def test_module_parity_with_the_official_recipe(stack, wee_image) -> None:
    """Every stdlib module the official recipe (without PGO and LTO: the same modules) imports, 3_13-wee
    imports too, but the allowed ones."""
    if "reference-modules" not in EXTRA_TARGETS:
        pytest.xfail("the reference-modules target is not in this tree yet")
    build(stack, "reference-modules")
    result = accept(stack, "3_13-wee", options=("--reference", "reference-modules"))
    accepted(result)
    assert any(line.startswith("PASS  module-parity-reference") for line in result.stdout.splitlines())
