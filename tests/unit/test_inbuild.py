"""The build scripts' shared shell functions (bakegen/inbuild/lib.sh), run by a real sh."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[2] / "bakegen" / "inbuild" / "lib.sh"

# What `apt-get -s install` prints: a native package, one of another architecture (with the list
# apt may add after it), an upgrade (its old version in brackets first), and lines to ignore.
SIMULATED = """\
NOTE: This is only a simulation!
Inst libssl3t64 (3.5.1-1+deb13u1 Debian:13.1/stable, Debian-Security:13/stable-security [amd64])
Inst libgcc-s1:arm64 (14.2.0-19 Debian:13.1/stable [arm64]) []
Inst libfoo [1.0-1] (1:2.0-1 Debian:13.1/stable [amd64])
Inst readline-common (8.2-6 Debian:13.1/stable [all])
Conf libssl3t64 (3.5.1-1+deb13u1 Debian:13.1/stable [amd64])
"""
FILES = ["libssl3t64_3.5.1-1+deb13u1_amd64.deb", "libgcc-s1_14.2.0-19_arm64.deb", "libfoo_1%3a2.0-1_amd64.deb",
         "readline-common_8.2-6_all.deb"]


def sh(script: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", f". {LIB}; {script}"], input=stdin, capture_output=True, text=True)


def test_copy_debs_copies_exactly_the_simulated_installs(tmp_path: Path) -> None:
    first, second, out = tmp_path / "a", tmp_path / "b", tmp_path / "out"
    for folder in (first, second, out):
        folder.mkdir()
    for name in FILES[:2]:
        (first / name).write_text(name)
    for name in FILES[2:]:
        (second / name).write_text(name)
    (first / "unrelated_1_amd64.deb").write_text("x")
    done = sh(f"copy_debs {first} {second} {out}", SIMULATED)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)


def test_copy_debs_fails_naming_a_package_that_was_not_downloaded(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    done = sh(f"copy_debs {tmp_path} {tmp_path}/out", SIMULATED)
    assert done.returncode != 0
    assert "libssl3t64_3.5.1-1+deb13u1_amd64.deb was not downloaded" in done.stderr


@pytest.mark.parametrize(("docker", "debian"), [("amd64", "amd64"), ("arm64", "arm64"), ("ppc64le", "ppc64el"),
                                                ("386", "i386"), ("arm", "armhf")])
def test_deb_arch(docker: str, debian: str) -> None:
    assert sh(f"deb_arch {docker}").stdout.strip() == debian
