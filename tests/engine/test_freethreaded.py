"""Engine tests of the free-threaded images (marker ``engine``): 3_13t-wee for the engine's platform
and, cross-compiled, for linux/arm64 (run under emulation), and 3_13t-wee-optimized-lto.

Each image must behave like a free-threaded CPython (PEP 703): every ``python`` command runs the
interpreter built with ``--disable-gil``, the GIL is off at start-up, and pip, venv, wheels and the
headers follow the ``t`` ABI. One container per image runs :data:`CHECK`, whose lines the test reads.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.kit.engine import EXTENDED, EXTENDED_ONLY, accept, accepted, build, plain_bake, version_of

pytestmark = pytest.mark.engine

#: platform.machine() and the wheel/extension platform tag part of each platform the tests run.
MACHINES = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}
#: A release of a project with a C extension that publishes cp313t wheels for x86_64 and aarch64
#: (manylinux2014): MarkupSafe 3.0.3 (its 3.0.4 has none for 3.13t), per PyPI's JSON API
#: (https://pypi.org/pypi/markupsafe/json, "releases" -> "3.0.3").
CP313T_WHEEL = "markupsafe==3.0.3"

#: A tiny C extension that only compiles against free-threaded headers, and says it needs no GIL
#: (Py_mod_gil, https://docs.python.org/3/howto/free-threading-extensions.html).
TINY_C = r"""
#include <Python.h>
#ifndef Py_GIL_DISABLED
#error "not the free-threaded headers"
#endif
static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static PyModuleDef_Slot slots[] = {{Py_mod_gil, Py_MOD_GIL_NOT_USED}, {0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "tiny", NULL, 0, methods, slots};
PyMODINIT_FUNC PyInit_tiny(void) { return PyModuleDef_Init(&def); }
"""

#: Everything point 2 of the issue asks of a free-threaded image. Each check prints one line
#: starting "ok "; `set -e` stops at the first that fails.
CHECK = r"""
set -eu
X=__MINOR__
cd /usr/local/bin
# make install's altbininstall with ABIFLAGS=t installs python3.Xt; python3.X points to it
test -f "python${X}t" && test ! -L "python${X}t"
echo "ok python${X} $(readlink "python$X")"
for cmd in python python3 "python$X" "python${X}t"; do
  "$cmd" -c 'import sys, sysconfig
assert sysconfig.get_config_var("Py_GIL_DISABLED") == 1, "Py_GIL_DISABLED"
assert sys.abiflags == "t", sys.abiflags
assert not sys._is_gil_enabled(), "the GIL is on at start-up"'
  echo "ok ft:$cmd"
done
python -c 'import sysconfig
print("ok paths", *(sysconfig.get_path(name) for name in ("stdlib", "purelib", "include")))'
echo "ok config $(python3-config --includes)"
echo "ok pip $(pip --version)"
echo "ok pip-shebang $(head -n1 /usr/local/bin/pip)"
cd /tmp
python -m venv /tmp/venv
/tmp/venv/bin/python -c 'import sys; assert not sys._is_gil_enabled(); print("ok venv", sys.prefix, sys.abiflags)'
/tmp/venv/bin/pip install --quiet --only-binary :all: --no-cache-dir __WHEEL__
/tmp/venv/bin/python - <<'PY'
import sys
from importlib.metadata import distribution
from markupsafe import _speedups
tags = [line.split(": ", 1)[1] for line in distribution("markupsafe").read_text("WHEEL").splitlines()
        if line.startswith("Tag: ")]
print("ok wheel", " ".join(tags), _speedups.__file__)
assert not sys._is_gil_enabled(), "importing the wheel's extension turned the GIL on"
PY
apt-get update -qq
apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null
/tmp/venv/bin/python - <<'PY'
import io, os, tarfile
files = {
    "tiny.c": os.environ["TINY_C"],
    "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
    "setup.py": "from setuptools import Extension, setup\n"
                'setup(name="tiny", version="1.0", ext_modules=[Extension("tiny", ["tiny.c"])])\n',
    "PKG-INFO": "Metadata-Version: 2.1\nName: tiny\nVersion: 1.0\n",
}
with tarfile.open("/tmp/tiny-1.0.tar.gz", "w:gz") as sdist:
    for name, text in files.items():
        data = text.encode()
        info = tarfile.TarInfo(f"tiny-1.0/{name}")
        info.size = len(data)
        sdist.addfile(info, io.BytesIO(data))
PY
/tmp/venv/bin/pip install --quiet --no-cache-dir /tmp/tiny-1.0.tar.gz
/tmp/venv/bin/python -c 'import sys, tiny
assert tiny.answer() == 42
assert not sys._is_gil_enabled(), "importing tiny turned the GIL on"
print("ok sdist", tiny.__file__)'
"""


def run_check(stack: dict[str, str], tag: str, platform: str, minor: str) -> dict[str, str]:
    """Run :data:`CHECK` in one container of ``tag``; returns its "ok" lines by their first word."""
    ca = stack.get("CA_BUNDLE")
    mounts = ["-v", f"{ca}:/etc/bakegen-test-ca.pem:ro", "-e", "PIP_CERT=/etc/bakegen-test-ca.pem"] if ca else []
    script = CHECK.replace("__MINOR__", minor).replace("__WHEEL__", CP313T_WHEEL)
    proc = subprocess.run(
        ["docker", "run", "--rm", "--platform", platform, *mounts, "-e", f"TINY_C={TINY_C}", tag, "sh", "-c", script],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = [line.split(" ", 2)[1:] for line in proc.stdout.splitlines() if line.startswith("ok ")]
    return {key: rest[0] if rest else "" for key, *rest in lines}


def check_free_threaded(stack: dict[str, str], tag: str, platform: str, version: str) -> None:
    """What every free-threaded image must show, read from :func:`run_check`'s lines."""
    minor = ".".join(version.split(".")[:2])
    machine = MACHINES[platform]
    results = run_check(stack, tag, platform, minor)
    lib, include = f"/usr/local/lib/python{minor}t", f"/usr/local/include/python{minor}t"
    assert results[f"python{minor}"] == f"python{minor}t", results  # a symlink: one interpreter file
    for cmd in ("python", "python3", f"python{minor}", f"python{minor}t"):
        assert f"ft:{cmd}" in results, (cmd, results)
    assert results["paths"].split() == [lib, f"{lib}/site-packages", include]
    assert results["config"] == f"-I{include} -I{include}"
    assert f"from {lib}/site-packages/pip (python {minor})" in results["pip"]
    assert results["pip-shebang"] == f"#!/usr/local/bin/python{minor}t"
    assert results["venv"] == "/tmp/venv t"
    nodot = minor.replace(".", "")
    tags, speedups = results["wheel"].rsplit(" ", 1)
    assert tags.startswith(f"cp{nodot}-cp{nodot}t-manylinux") and machine in tags, tags
    assert speedups.endswith(f".cpython-{nodot}t-{machine}-linux-gnu.so"), speedups
    assert results["sdist"].endswith(f"/tiny.cpython-{nodot}t-{machine}-linux-gnu.so"), results["sdist"]


@pytest.fixture(scope="module")
def ft_version(stack) -> str:
    """The release the 3.13t targets build here: versions/, pinned by the stack's SHA256SUMS."""
    return version_of(stack, "3_13t-wee")


@pytest.fixture(scope="module")
def ft_wee(stack) -> str:
    return build(stack, "3_13t-wee")


def passes_bakegen_test(stack: dict[str, str], target: str, platform: str | None = None,
                        registry: str | None = None) -> None:
    """`bakegen test` on the target's image: the official suite's checks, the configure flags
    (--disable-gil among them) and the free-threading check, as on every other image."""
    result = accept(stack, target, platform=platform, registry=registry)
    accepted(result)
    assert any(line.startswith("PASS  free-threading") for line in result.stdout.splitlines()), result.stdout


def test_3_13t_wee_is_free_threaded(stack, ft_wee, ft_version) -> None:
    passes_bakegen_test(stack, "3_13t-wee")
    check_free_threaded(stack, ft_wee, stack["PLATFORMS"], ft_version)


@pytest.mark.skipif(not EXTENDED, reason=EXTENDED_ONLY)
def test_3_13t_wee_cross_built_for_arm64_is_free_threaded(stack, ft_version) -> None:
    # A cross build and a `bakegen test` under emulation: a quarter of an hour of CI's time. CI keeps
    # the cross path through test_publish.py (3_13-wee for arm64) and free-threading on amd64.
    registry = f"{stack['REGISTRY']}-arm64"
    tag = build(stack, "3_13t-wee", "linux/arm64", registry)
    passes_bakegen_test(stack, "3_13t-wee", "linux/arm64", registry)
    check_free_threaded(stack, tag, "linux/arm64", ft_version)


@pytest.mark.skipif(not EXTENDED, reason=EXTENDED_ONLY)
def test_3_13t_wee_optimized_lto_is_free_threaded(stack, ft_version) -> None:
    tag = build(stack, "3_13t-wee-optimized-lto")
    passes_bakegen_test(stack, "3_13t-wee-optimized-lto")  # configure-flags: PGO, LTO and --disable-gil
    check_free_threaded(stack, tag, stack["PLATFORMS"], ft_version)


def test_custom_target_builds_free_threaded(stack, ft_wee, ft_version) -> None:
    # The same build args as 3_13t-wee, so the build cache answers.
    proc = plain_bake(stack, "custom", PYTHON_VERSION=ft_version, FREETHREADED="1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    code = "import sys; print(sys.abiflags, sys._is_gil_enabled())"
    out = subprocess.run(["docker", "run", "--rm", ft_wee, "python", "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["t", "False"], out


@pytest.mark.parametrize(
    ("line", "switch", "message"),
    [
        ("3_11", "1", "FREETHREADED=1 needs CPython 3.13 or later (--disable-gil, PEP 703)"),
        ("3_13", "yes", "OPTIMAL, LTO and FREETHREADED take 0 or 1"),
    ],
)
def test_custom_target_refuses_what_cannot_be_free_threaded(stack, line, switch, message) -> None:
    """Plain bake refuses before any build step: the bake file makes the reason the custom target's tag."""
    version = version_of(stack, f"{line}-wee")
    proc = plain_bake(stack, "custom", PYTHON_VERSION=version, FREETHREADED=switch)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "[build " not in proc.stderr  # no step of the build stage ran
