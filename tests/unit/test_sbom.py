"""The offline SBOM generator, on a small made-up root file system."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bakegen.inbuild import sbom

STATUS = """\
Package: libssl3t64
Status: install ok installed
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Source: openssl
Version: 3.5.1-1
Description: Secure Sockets Layer toolkit
 continued description line

Package: removed-thing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2025b-4
"""


def make_root(root: Path, ldversion: str = "3.13") -> Path:
    """A root file system with one CPython; ``ldversion`` 3.13t lays out a free-threaded one."""
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(STATUS)
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text('PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\n')
    lib = root / f"usr/local/lib/python{ldversion}"
    (lib / "site-packages/pip-26.2.1.dist-info").mkdir(parents=True)
    (lib / "os.py").write_text("")
    abiflags = ldversion.removeprefix("3.13")
    (lib / f"_sysconfigdata_{abiflags}_linux_x86_64-linux-gnu.py").write_text(
        "build_time_vars = {'py_version': '3.13.15'}\n"
    )
    (lib / "site-packages/pip-26.2.1.dist-info/METADATA").write_text(
        "Metadata-Version: 2.1\nName: pip\nVersion: 26.2.1\n"
    )
    (root / "usr/local/bin").mkdir(parents=True)
    (root / f"usr/local/bin/python{ldversion}").write_text("")
    return root


def test_packages(tmp_path: Path) -> None:
    root = make_root(tmp_path / "rootfs")
    debs = sbom.debian_packages(root)
    assert [p.name for p in debs] == ["libssl3t64", "tzdata"]  # removed packages are not listed
    assert debs[0].purl == "pkg:deb/debian/libssl3t64@3.5.1-1?arch=amd64&upstream=openssl"
    py = sbom.python_packages(root)
    assert [(p.name, p.version, p.purl) for p in py] == [
        ("cpython", "3.13.15", "pkg:generic/cpython@3.13.15"),
        ("pip", "26.2.1", "pkg:pypi/pip@26.2.1"),
    ]


def test_free_threaded_cpython_and_its_packages(tmp_path: Path) -> None:
    # lib/python3.13t and bin/python3.13t (Makefile.pre.in's LIBDEST and altbininstall with ABIFLAGS=t)
    root = make_root(tmp_path / "rootfs", "3.13t")
    assert [(p.name, p.version) for p in sbom.python_packages(root)] == [("cpython", "3.13.15"), ("pip", "26.2.1")]


def test_scan_follows_the_buildkit_protocol(tmp_path: Path, monkeypatch) -> None:
    root = make_root(tmp_path / "rootfs")
    extras = tmp_path / "extras"
    make_root(extras / "build-stage")
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    written = sbom.scan(
        {
            "BUILDKIT_SCAN_SOURCE": str(root),
            "BUILDKIT_SCAN_DESTINATION": str(out),
            "BUILDKIT_SCAN_SOURCE_EXTRAS": str(extras),
        }
    )
    assert sorted(p.name for p in written) == ["build-stage.spdx.json", "rootfs.spdx.json"]
    statement = json.loads((out / "rootfs.spdx.json").read_text())
    assert statement["_type"] == "https://in-toto.io/Statement/v0.1"
    assert statement["predicateType"] == "https://spdx.dev/Document"
    doc = statement["predicate"]
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    names = {p["name"] for p in doc["packages"]}
    assert names == {"libssl3t64", "tzdata", "cpython", "pip"}
    assert len(doc["relationships"]) == len(doc["packages"])


def test_main_without_buildkit_says_so(monkeypatch, capsys) -> None:
    monkeypatch.delenv("BUILDKIT_SCAN_SOURCE", raising=False)
    monkeypatch.delenv("BUILDKIT_SCAN_DESTINATION", raising=False)
    assert sbom.main() == 2
    assert "run by BuildKit" in capsys.readouterr().err


@pytest.mark.parametrize("epoch", ["yesterday", "", "1e9", "99999999999999999999"])
def test_a_malformed_source_date_epoch_stops_with_one_line(monkeypatch: pytest.MonkeyPatch, epoch: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    with pytest.raises(SystemExit, match="SOURCE_DATE_EPOCH=.* is not a number of seconds"):
        sbom._created()
