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
from enginekit import bake_variables, build, measure

from bakegen import core

pytestmark = pytest.mark.engine
REPO = Path(__file__).resolve().parents[2]
REQUIRED_MODULES = [
    "ssl", "sqlite3", "ctypes", "zlib", "bz2", "lzma", "readline", "uuid", "decimal", "curses", "dbm.gnu", "dbm.ndbm",
]


def py(tag: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "run", "--rm", tag, "python3", "-c", code], capture_output=True, text=True)


@pytest.fixture(scope="module")
def wee(wee_image) -> str:
    return wee_image


@pytest.fixture(scope="module")
def wee_lto(stack) -> str:
    return build(stack, "3_13-wee-optimized-lto")


def test_bake_print_agrees_with_the_plan_on_every_buildx(stack) -> None:
    results = core.check_with_bake(core.Project(REPO), {**os.environ, **bake_variables(stack)})
    versions = [r.version for r in results]
    if Path(core.DEBIAN_BUILDX).exists():
        assert len(results) == 2, versions
    for r in results:
        assert r.problems == [], f"{r.buildx} {r.version}"
    measure(f"bake --print agrees with the plan on buildx {', '.join(versions)}")


def test_wee_reports_its_version_and_has_the_tools(wee, test_version) -> None:
    out = py(wee, "import platform, sys; print(platform.python_version())")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == test_version
    for cmd in (["python", "--version"], ["pip", "--version"], ["pip3", "--version"]):
        run = subprocess.run(["docker", "run", "--rm", wee, *cmd], capture_output=True, text=True)
        assert run.returncode == 0, (cmd, run.stderr)
    default = subprocess.run(
        ["docker", "run", "--rm", "-i", wee], input="print(6 * 7)\n", capture_output=True, text=True
    )
    assert default.stdout.strip() == "42"  # CMD is python3


def test_wee_has_the_stdlib_and_no_tk(wee) -> None:
    out = py(wee, f"import {', '.join(REQUIRED_MODULES)}; print(ssl.OPENSSL_VERSION, sqlite3.sqlite_version)")
    assert out.returncode == 0, out.stderr
    tk = py(wee, "import tkinter")
    assert tk.returncode != 0 and "ModuleNotFoundError" in tk.stderr
    # dbm.ndbm is Berkeley DB's, as in the official image, so their ndbm files are interchangeable
    assert py(wee, "import dbm.ndbm; print(dbm.ndbm.library)").stdout.strip() == "Berkeley DB"
    # 3.12+: no setuptools or wheel, as in the official images (docker-library/python#954)
    found = py(wee, "import importlib.util as u; print([m for m in ('setuptools', 'wheel') if u.find_spec(m)])")
    assert found.stdout.strip() == "[]", found.stderr


def test_config_args_follow_the_variant(wee, wee_lto, test_version) -> None:
    code = "import sysconfig; print(sysconfig.get_config_var('CONFIG_ARGS'))"
    plain = py(wee, code).stdout
    optimized = py(wee_lto, code).stdout
    assert "--enable-optimizations" not in plain and "--with-lto" not in plain
    assert "--enable-optimizations" in optimized and "--with-lto" in optimized
    assert py(wee_lto, "import platform; print(platform.python_version())").stdout.strip() == test_version


def plain_bake(stack: dict[str, str], target: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`docker buildx bake` on the committed file, without bakegen, from environment variables alone."""
    variables = {k: v for k, v in bake_variables(stack).items() if k != "CA_BUNDLE"}
    return subprocess.run(
        ["docker", "buildx", "bake", "--progress", "plain", "--load", target],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, **variables, **env},
    )


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


# What a slim image must still do (issue: size must not cost function). wee-optimized has the same
# runtime stage as these two; CI does not spend the extra PGO build on it.
FUNCTION_CHECK = r"""
set -eu
python -m venv /tmp/venv
/tmp/venv/bin/pip --version
/tmp/venv/bin/pip install --quiet --only-binary :all: --no-cache-dir markupsafe
/tmp/venv/bin/python -c 'from markupsafe import _speedups; print("c-extension", _speedups.__file__)'
python - <<'PY'
import os, sysconfig
inc = sysconfig.get_paths()["include"]
assert all(os.path.exists(os.path.join(inc, h)) for h in ("Python.h", "pyconfig.h")), inc
print("headers", inc)
PY
apt-get update -qq
apt-get install -y -qq --no-install-recommends hello >/dev/null
hello
"""


@pytest.mark.parametrize("variant", ["wee", "wee_lto"])
def test_slim_image_keeps_venv_pip_headers_and_apt(request, stack, variant) -> None:
    tag = request.getfixturevalue(variant)
    ca = stack.get("CA_BUNDLE")
    mounts = ["-v", f"{ca}:/etc/bakegen-test-ca.pem:ro", "-e", "PIP_CERT=/etc/bakegen-test-ca.pem"] if ca else []
    proc = subprocess.run(
        ["docker", "run", "--rm", *mounts, tag, "sh", "-c", FUNCTION_CHECK], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "c-extension /tmp/venv/lib/python3.13/site-packages/markupsafe/_speedups" in proc.stdout
    assert "Hello, world!" in proc.stdout
