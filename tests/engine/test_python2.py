"""Engine test (marker ``engine``): the Python 2.7 wee image, on Debian bullseye, for legacy workloads."""

from __future__ import annotations

import subprocess
import time

import pytest
from enginekit import REPO, bake_variables, measure, version_of

from bakegen import core

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def py27(stack) -> str:
    started = time.monotonic()
    core.build(
        core.Project(REPO),
        core.BuildRequest(["2_7-wee"], variables=bake_variables(stack), load=True, sha256sums=stack["sums"] or None),
        on_line=lambda line: None,
    )
    measure(f"2_7-wee built in {time.monotonic() - started:.0f}s")
    return f"{stack['REGISTRY']}/python:{version_of(stack, '2_7-wee')}-wee"


def test_python27_runs_with_ssl_sqlite_zlib_and_pip(py27, stack) -> None:
    code = "import ssl, sqlite3, zlib, sys; print('%d.%d.%d' % sys.version_info[:3]); print(ssl.OPENSSL_VERSION)"
    out = subprocess.run(["docker", "run", "--rm", py27, "python", "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    version, openssl = out.stdout.splitlines()
    assert version == version_of(stack, "2_7-wee")
    assert openssl.startswith("OpenSSL 1.1")
    pip = subprocess.run(["docker", "run", "--rm", py27, "pip", "--version"], capture_output=True, text=True)
    assert pip.returncode == 0 and "python 2.7" in pip.stdout, pip.stdout + pip.stderr
    # No Python 3 on a Python 2 image, and the default command is Python 2 itself.
    py3 = subprocess.run(["docker", "run", "--rm", py27, "sh", "-c", "command -v python3"], capture_output=True)
    assert py3.returncode != 0
    default = subprocess.run(
        ["docker", "run", "--rm", "-i", py27], input="import sys; print(sys.version_info[0])\n",
        capture_output=True, text=True,
    )
    assert default.stdout.strip() == "2", default.stderr
