"""Engine test (marker ``engine``): the Python 2.7 wee image, on Debian bullseye, for legacy workloads."""

from __future__ import annotations

import subprocess

import pytest

from tests.kit.engine import accept, accepted, build, version_of

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def py27(stack) -> str:
    return build(stack, "2_7-wee")


def test_python27_passes_bakegen_test(stack, py27) -> None:
    """The checks that apply to Python 2: the official suite's, CMD python, no python3, pip, a cp27mu wheel."""
    result = accept(stack, "2_7-wee")
    accepted(result)
    assert f"PASS  version                  {version_of(stack, '2_7-wee')}" in result.stdout
    assert "PASS  default-cmd              python" in result.stdout


def test_python27_links_openssl_1_1(py27) -> None:
    # Why the 2.7 line is on bullseye: the newest Debian suite with OpenSSL 1.1, which 2.7's ssl needs.
    code = "import ssl; print(ssl.OPENSSL_VERSION)"
    out = subprocess.run(["docker", "run", "--rm", py27, "python", "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("OpenSSL 1.1")
