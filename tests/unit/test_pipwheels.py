"""bakegen/pipwheels.py, the build stage's stand-in for ensurepip, on a wheel made here."""

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bakegen" / "inbuild" / "pipwheels.py"


def make_prefix(tmp_path: Path, version: str, wheels: dict[str, dict[str, str]]) -> Path:
    prefix = tmp_path / "usr" / "local"
    bundled = prefix / "lib" / f"python{version}" / "ensurepip" / "_bundled"
    bundled.mkdir(parents=True)
    (prefix / "bin").mkdir()
    for name, files in wheels.items():
        with zipfile.ZipFile(bundled / name, "w") as whl:
            for path, text in files.items():
                whl.writestr(path, text)
    return prefix


PIP = {
    "pip/__init__.py": "",
    "pip/_internal/__init__.py": "",
    "pip/_internal/cli/__init__.py": "",
    "pip/_internal/cli/main.py": "import sys\ndef main():\n    print('fake pip', sys.argv[0])\n    return 0\n",
    "pip-25.0.dist-info/METADATA": "Name: pip\nVersion: 25.0\n",
    "pip-25.0.dist-info/entry_points.txt": (
        "[console_scripts]\npip = pip._internal.cli.main:main\npip3 = pip._internal.cli.main:main\n"
        "pip3.12 = pip._internal.cli.main:main\n\n[other]\nx = y:z\n"
    ),
    "pip-25.0.dist-info/RECORD": "stale,,\n",
}


def run(prefix: Path, version: str, *extra: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(prefix), version, *map(str, extra)], capture_output=True, text=True
    )


def make_wheel(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as whl:
        for name, text in files.items():
            whl.writestr(name, text)
    return path


def dist(name: str, version: str, scripts: str = "") -> dict[str, str]:
    files = {f"{name}/__init__.py": f"VERSION = {version!r}\n", f"{name}-{version}.dist-info/METADATA": ""}
    if scripts:
        files[f"{name}-{version}.dist-info/entry_points.txt"] = f"[console_scripts]\n{scripts}\n"
    return files


def test_extra_wheels_are_installed_in_place_of_the_bundled_ones_of_their_project(tmp_path):
    prefix = make_prefix(tmp_path, "3.11", {
        "pip-25.0-py3-none-any.whl": PIP,
        "setuptools-65.5.0-py3-none-any.whl": dist("setuptools", "65.5.0"),
    })
    extra = [
        make_wheel(tmp_path / "setuptools-65.5.1-py3-none-any.whl", dist("setuptools", "65.5.1")),
        make_wheel(tmp_path / "wheel-0.45.1-py3-none-any.whl", dist("wheel", "0.45.1", "wheel = wheel.cli:main")),
    ]
    result = run(prefix, "3.11", *extra)
    assert result.returncode == 0, result.stderr
    site = prefix / "lib" / "python3.11" / "site-packages"
    assert sorted(p.name for p in site.glob("*.dist-info")) == [
        "pip-25.0.dist-info", "setuptools-65.5.1.dist-info", "wheel-0.45.1.dist-info",
    ]
    assert (site / "setuptools" / "__init__.py").read_text() == "VERSION = '65.5.1'\n"
    assert sorted(p.name for p in (prefix / "bin").iterdir()) == ["pip", "pip3", "pip3.11", "wheel"]


def test_lays_out_pip_as_ensurepip_would(tmp_path):
    prefix = make_prefix(tmp_path, "3.13", {"pip-25.0-py3-none-any.whl": PIP})
    result = run(prefix, "3.13")
    assert result.returncode == 0, result.stderr
    site = prefix / "lib" / "python3.13" / "site-packages"
    assert (site / "pip" / "_internal" / "cli" / "main.py").read_text() == PIP["pip/_internal/cli/main.py"]
    scripts = sorted(p.name for p in (prefix / "bin").iterdir())
    # pip3.12 from the wheel is renamed for the interpreter it is installed into, as pip does.
    assert scripts == ["pip", "pip3", "pip3.13"]
    text = (prefix / "bin" / "pip3").read_text()
    assert text.splitlines()[0] == f"#!{prefix}/bin/python3.13"
    assert "from pip._internal.cli.main import main" in text
    assert (prefix / "bin" / "pip").stat().st_mode & 0o777 == 0o755
    # The script works when its interpreter has the site-packages on its path.
    out = subprocess.run(
        [sys.executable, str(prefix / "bin" / "pip3")], capture_output=True, text=True,
        env={"PYTHONPATH": str(site)},
    )
    assert out.stdout.startswith("fake pip") and out.returncode == 0


def test_free_threaded_layout(tmp_path):
    # A free-threaded CPython keeps its stdlib in lib/python3.13t and runs as bin/python3.13t
    # (Makefile.pre.in's LIBDEST and altbininstall, python/cpython v3.13.15); pip still names its
    # scripts after 3.13 alone.
    prefix = make_prefix(tmp_path, "3.13t", {"pip-25.0-py3-none-any.whl": PIP})
    result = run(prefix, "3.13t")
    assert result.returncode == 0, result.stderr
    assert (prefix / "lib" / "python3.13t" / "site-packages" / "pip-25.0.dist-info" / "RECORD").is_file()
    assert not (prefix / "lib" / "python3.13").exists()
    assert sorted(p.name for p in (prefix / "bin").iterdir()) == ["pip", "pip3", "pip3.13"]
    assert (prefix / "bin" / "pip").read_text().splitlines()[0] == f"#!{prefix}/bin/python3.13t"


@pytest.mark.parametrize("version", ["3", "3.13d", "3.13tt", "t"])
def test_refuses_what_is_not_a_line(tmp_path, version):
    result = run(make_prefix(tmp_path, "3.13", {}), version)
    assert result.returncode != 0 and "usage: pipwheels.py PREFIX X.Y[t]" in result.stderr


def test_record_lists_every_installed_file_with_its_hash(tmp_path):
    prefix = make_prefix(tmp_path, "3.13", {"pip-25.0-py3-none-any.whl": PIP})
    assert run(prefix, "3.13").returncode == 0
    site = prefix / "lib" / "python3.13" / "site-packages"
    info = site / "pip-25.0.dist-info"
    assert (info / "INSTALLER").read_text() == "pip\n"
    rows = [line.split(",") for line in (info / "RECORD").read_text().splitlines()]
    listed = {(site / path).resolve() for path, _, _ in rows}
    on_disk = {p.resolve() for p in site.rglob("*") if p.is_file()}
    on_disk |= {p.resolve() for p in (prefix / "bin").iterdir()}
    assert listed == on_disk
    for path, digest, size in rows:
        if path.endswith("RECORD"):
            assert (digest, size) == ("", "")
            continue
        data = (site / path).read_bytes()
        want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={want}" and int(size) == len(data)


def test_python2_setuptools_scripts(tmp_path):
    setuptools = {
        "setuptools/__init__.py": "",
        "easy_install.py": "",
        "setuptools-41.2.0.dist-info/entry_points.txt": (
            "[console_scripts]\neasy_install = setuptools.command.easy_install:main\n"
            "easy_install-3.6 = setuptools.command.easy_install:main\n"
        ),
    }
    prefix = make_prefix(tmp_path, "2.7", {"setuptools-41.2.0-py2.py3-none-any.whl": setuptools})
    assert run(prefix, "2.7").returncode == 0
    assert sorted(p.name for p in (prefix / "bin").iterdir()) == ["easy_install", "easy_install-2.7"]


@pytest.mark.parametrize(
    "files, message",
    [
        ({"../evil.py": "", "x-1.dist-info/METADATA": ""}, "unsafe path"),
        ({"x/__init__.py": ""}, "not a plain purelib wheel"),
        ({"x-1.data/scripts/x": "", "x-1.dist-info/METADATA": ""}, "not a plain purelib wheel"),
    ],
)
def test_refuses_wheels_it_cannot_lay_out(tmp_path, files, message):
    prefix = make_prefix(tmp_path, "3.13", {"x-1-py3-none-any.whl": files})
    result = run(prefix, "3.13")
    assert result.returncode != 0 and message in result.stderr


def test_no_bundled_wheels_is_an_error(tmp_path):
    prefix = make_prefix(tmp_path, "3.13", {})
    result = run(prefix, "3.13")
    assert result.returncode != 0 and "no wheels" in result.stderr
