"""Engine smoke tests of ``bakegen bench`` (marker ``engine``): 2 benchmarks, 1 round, --fast; and
``--threads 2`` with a tiny amount of work, 1 round (no pip: the workload is copied in).

It compares an image with itself under a second tag: ``$BAKEGEN_BENCH_IMAGE`` when set (it must
be in the local store), else the engine tests' 3_13-wee image, built once per session. pip runs
inside the containers and needs PyPI; behind a TLS-intercepting proxy ``$CA_BUNDLE`` (default:
the host's bundle, when present) is mounted for it. Skipped without the engine, unless
BAKEGEN_REQUIRE_ENGINE=1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bakegen import engine
from bakegen.cli import app
from tests.kit.engine import measure, unavailable

pytestmark = pytest.mark.engine
IMAGE = os.environ.get("BAKEGEN_BENCH_IMAGE", "")
SECOND = "bakegen-bench-smoke/python:second"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


@pytest.fixture
def two_images(request: pytest.FixtureRequest):
    if IMAGE:
        try:
            engine.require_daemon()
        except Exception as exc:
            unavailable(str(exc))
        if not engine.docker.image.exists(IMAGE):
            unavailable(f"{IMAGE} is not in the local image store")
        image = IMAGE
    else:
        image = request.getfixturevalue("wee_image")  # built once per session (conftest)
    engine.docker.image.tag(image, SECOND)
    yield [image, SECOND]
    engine.docker.image.remove(SECOND)  # only the extra tag: the image keeps its own


def test_bench_fast_smoke(two_images: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = os.environ.get("CA_BUNDLE") or (str(HOST_CA) if HOST_CA.exists() else "")
    args = ["bench", *two_images, "--fast", "--rounds", "1", "-b", "nbody,json_dumps", "-o", str(tmp_path)]
    if ca:
        args += ["--ca-bundle", ca]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    measure(f"bakegen bench --fast, 2 benchmarks:\n{result.stdout}")
    data = json.loads((tmp_path / "bench.json").read_text())
    assert [b["name"] for b in data["benchmarks"]] == ["nbody", "json_dumps"]
    for b in data["benchmarks"]:
        assert len(b["values"]) == 2 and all(len(r) == 1 and r[0] for r in b["values"])
    first, second = data["images"]
    assert first["python"] == second["python"] and first["python"].startswith("3.")
    assert first["size"]["compressed"] == second["size"]["compressed"] > 0
    assert first["size"]["uncompressed"] > first["size"]["compressed"]
    assert (tmp_path / "bench.svg").read_text().startswith("<svg")
    # no container is left behind
    assert not engine.docker.container.list(all=True, filters=[("label", "io.bakegen.bench")])


def test_bench_threads_smoke(two_images: list[str], tmp_path: Path) -> None:
    args = ["bench", *two_images, "--threads", "2", "--work", "2", "--rounds", "1", "-o", str(tmp_path)]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    measure(f"bakegen bench --threads 2 --work 2:\n{result.stdout}")
    data = json.loads((tmp_path / "bench.json").read_text())
    assert data["mode"] == "threads"
    section = data["threads"]
    assert (section["threads"], section["work_per_thread"], section["runs_per_round"]) == (2, 2, 5)
    for img, entry in zip(data["images"], section["images"], strict=True):
        assert img["python"].startswith("3.") and entry["image"] == img["image"]
        # 3_13-wee is a GIL build: not free-threaded, and 3.13 says so through both APIs
        assert (img["py_gil_disabled"], img["gil_enabled"], img["free_threaded"]) == (0, True, False)
        assert img["cpus"] == (list(range(engine.cpu_count() - 2, engine.cpu_count())) if engine.cpu_count() >= 2
                               else None)
        assert entry["one_thread"] > 0 and entry["n_threads"] > 0 and entry["scaling"] > 0
        assert [len(r) for r in entry["seconds"]["one_thread"]] == [5]
        assert [len(r) for r in entry["seconds"]["n_threads"]] == [5]
        assert [len(r) for r in entry["cpu_seconds"]["n_threads"]] == [5]
        assert 0 < entry["cpus_busy"]["one_thread"] <= 1.1  # one thread keeps at most one CPU busy
    assert section["images"][0]["ratio"] == 1.0
    assert (tmp_path / "bench.svg").read_text().startswith("<svg")
    assert not engine.docker.container.list(all=True, filters=[("label", "io.bakegen.bench")])
