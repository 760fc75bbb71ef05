"""A ``bakegen bench`` run with a fake container backend: order, clean-up, and checks before any container."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bakegen import cli
from bakegen.bench import command, containers, runner
from bakegen.bench.report import REPORT_FILES
from bakegen.bench.request import BenchRequest
from bakegen.cli import app
from bakegen.errors import BakegenError, EngineError, Terminated
from tests.kit.bench import FakeBackend


def test_the_ca_bundle_comes_from_the_option_else_the_environment(tmp_path: Path) -> None:
    env_ca, option_ca = tmp_path / "env.pem", tmp_path / "option.pem"
    for ca in (env_ca, option_ca):
        ca.write_text("pem")
    for given, mounted in ((None, env_ca), (option_ca, option_ca)):
        backend = FakeBackend()
        request = BenchRequest(["a"], ["nbody"], rounds=1, fast=True, ca_bundle=given, output=tmp_path / "out")
        command.bench(request, print, print, backend=backend, environ={"CA_BUNDLE": str(env_ca)})
        assert {s["ca_bundle"] for s in backend.started} == {str(mounted.resolve())}


def test_run_interleaves_images_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://pypi.internal/simple")
    backend = FakeBackend()
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    lines: list[str] = []
    request = BenchRequest(["a", "b"], ["nbody,json_dumps"], rounds=2, fast=True, ca_bundle=ca)
    results = runner.run(request, backend, progress=lines.append)
    assert backend.runs == [("a", "nbody"), ("b", "nbody"), ("a", "json_dumps"), ("b", "json_dumps")] * 2
    assert [s["cpus"] for s in backend.started] == [(1,), (1,)]  # the last CPU, the same for both
    assert all(s["ca_bundle"] == str(ca.resolve()) for s in backend.started)
    pip_env = backend.envs[0]
    assert pip_env["PIP_CERT"] == containers.CA_PATH and pip_env["PIP_INDEX_URL"] == "http://pypi.internal/simple"
    bench_cmd = next(c for c in backend.commands if c[1].endswith("bm_nbody/run_benchmark.py"))
    assert bench_cmd[2:6] == ["--processes", "3", "--values", "2"]
    assert sorted(backend.removed) == ["id-a-1", "id-b-2"]
    assert results.summary().ratios["nbody"] == [1.0, 2.0]
    assert [img.python for img in results.images] == ["3.13.15", "3.13.15"]
    assert [img.size.compressed for img in results.images] == [40_000_000, 40_000_000]
    assert "round 2/2 json_dumps (2/2) image 2/2: 50 ms" in "\n".join(lines)
    assert any(line.startswith("setup image 1/2 a: container on CPU 1") for line in lines)


def test_run_removes_containers_on_failure_and_ctrl_c() -> None:
    backend = FakeBackend(fail_on="json_dumps")
    request = BenchRequest(["a", "b"], ["nbody,json_dumps"], rounds=1)
    with pytest.raises(EngineError, match="json_dumps failed in a: Traceback"):
        runner.run(request, backend)
    assert sorted(backend.removed) == ["id-a-1", "id-b-2"]
    backend = FakeBackend(interrupt_on="nbody")
    with pytest.raises(KeyboardInterrupt):
        runner.run(request, backend)
    assert sorted(backend.removed) == ["id-a-1", "id-b-2"]


def test_run_removes_containers_on_sigterm_and_finishes_removing_before_ctrl_c() -> None:
    request = BenchRequest(["a", "b"], ["nbody,json_dumps"], rounds=1)
    backend = FakeBackend(signal_on=("json_dumps", signal.SIGTERM))
    with pytest.raises(Terminated):
        runner.run(request, backend)
    assert sorted(backend.removed) == ["id-a-1", "id-b-2"]
    assert backend.runs[-1] == ("a", "json_dumps")  # nothing ran after the signal
    backend = FakeBackend(signal_on_remove=signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        runner.run(request, backend)
    assert sorted(backend.removed) == ["id-a-1", "id-b-2"]  # the removal was not cut short
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_run_refuses_an_old_python_and_removes_its_container() -> None:
    old = FakeBackend(images=["a"], python="3.10.14")
    with pytest.raises(BakegenError, match="Python 3.10.14; the benchmarks need 3.11"):
        runner.run(BenchRequest(["a"]), old)
    assert old.removed == ["id-a-1"]


def test_run_falls_back_to_unpinned() -> None:
    backend = FakeBackend(refuse_cpuset=True)
    lines: list[str] = []
    results = runner.run(BenchRequest(["a"], ["nbody"], rounds=1), backend, lines.append)
    assert backend.started[0]["cpus"] is None and results.images[0].cpus is None
    assert results.notes and "runs unpinned" in results.notes[0]
    assert "note: cannot pin a to CPU 1" in lines[-2]
    with pytest.raises(EngineError, match="cpuset"):
        runner.run(BenchRequest(["a"], cpu="1"), FakeBackend(refuse_cpuset=True))  # asked for: no fallback


# Each of these fails before the first container starts and before any image is measured.
BAD = [
    (dict(images=[]), BakegenError, "name at least one image"),
    (dict(rounds=0), BakegenError, "--rounds 0"),
    (dict(processes=0), BakegenError, "--processes 0"),
    (dict(values=0), BakegenError, "--values 0"),
    (dict(benchmarks=["nbdy"]), BakegenError, "did you mean nbody"),
    (dict(cpu="x"), BakegenError, "--cpu x"),
    (dict(cpu="2"), BakegenError, "the engine has CPUs 0-1"),
    (dict(ca_bundle=Path("/nonexistent.pem")), BakegenError, "--ca-bundle /nonexistent.pem: no such file"),
    (dict(output=Path("/dev/null/x")), BakegenError, "--output /dev/null/x: cannot write the report there"),
    (dict(images=["a", "c"]), BakegenError, "image c is not in the local image store"),
    (dict(base="debian:trixie-slim"), BakegenError, "image debian:trixie-slim is not in the local image store"),
]


@pytest.mark.parametrize(("fields", "error", "message"), BAD, ids=[m for *_, m in BAD])
def test_bench_checks_everything_before_starting(
    tmp_path: Path, fields: dict, error: type, message: str
) -> None:
    backend = FakeBackend()
    request = BenchRequest(**{"images": ["a", "b"], "output": tmp_path / "out", **fields})
    with pytest.raises(error, match=message):
        command.bench(request, print, print, backend=backend, environ={})
    assert backend.started == [] and backend.sized == []
    assert not (tmp_path / "out").exists()


def test_bench_without_a_daemon_starts_nothing(tmp_path: Path) -> None:
    backend = FakeBackend(daemon=False)
    with pytest.raises(EngineError, match="cannot reach the Docker daemon"):
        command.bench(BenchRequest(["a"], output=tmp_path), print, print, backend=backend, environ={})
    assert backend.started == [] and backend.sized == []


def test_core_bench_writes_the_report(tmp_path: Path) -> None:
    backend = FakeBackend()
    out = tmp_path / "new" / "out"
    request = BenchRequest(["a", "b"], ["nbody"], rounds=1, fast=True, base="a", output=out)
    printed: list[str] = []
    command.bench(request, printed.append, lambda line: None, backend=backend, environ={})
    (text,) = printed
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    assert text.startswith((out / "bench.txt").read_text())
    assert text.splitlines()[-1] == "wrote " + " ".join(str(out / name) for name in REPORT_FILES)
    assert backend.sized == ["a", "b", "a"]  # the images, then the base
    assert json.loads((out / "bench.json").read_text())["base"]["image"] == "a"


def test_cli_bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env) -> None:
    backend = FakeBackend()
    monkeypatch.setattr(command, "DockerBackend", lambda: backend)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["bench", "a", "b", "--fast", "--rounds", "1", "-b", "nbody", "-o", str(out), "--base", "a"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    nbody = next(line for line in result.stdout.splitlines() if line.startswith("nbody"))
    assert nbody.split() == ["nbody", "100", "ms", "50", "ms", "2.00x"]
    assert "adds on top of base" in result.stdout
    assert "round 1/1 nbody (1/1) image 2/2" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)


def one_error_line(result) -> str:
    assert "Traceback (most recent call last)" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("bakegen")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_cli_bench_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env) -> None:
    backend = FakeBackend(fail_on="nbody")
    monkeypatch.setattr(command, "DockerBackend", lambda: backend)
    runner_ = CliRunner()
    result = runner_.invoke(app, ["bench", "a", "-b", "nbody", "-o", str(tmp_path / "o")], catch_exceptions=False)
    assert result.exit_code == 3
    assert one_error_line(result) == "bakegen: error: nbody failed in a: Traceback ... ValueError: boom"
    assert not (tmp_path / "o").exists()
    started = len(backend.started)
    result = runner_.invoke(app, ["bench", "a", "-o", "/dev/null/x"])
    assert result.exit_code == 1
    assert one_error_line(result).startswith("bakegen: error: --output /dev/null/x: cannot write the report there")
    result = runner_.invoke(app, ["bench", "a", "--cpu", "x", "-o", str(tmp_path / "o")])
    assert result.exit_code == 1 and "--cpu x" in one_error_line(result)
    assert len(backend.started) == started  # neither bad option started a container


def test_cli_bench_list() -> None:
    listed = CliRunner().invoke(app, ["bench", "--list"])
    assert listed.exit_code == 0
    assert "python_startup_no_site" in listed.stdout and "bm_python_startup/run_benchmark.py --no-site" in listed.stdout


USAGE = [
    (["--rounds", "0"], "Invalid value for '--rounds'"),
    (["--processes", "0"], "Invalid value for '--processes'"),
    (["--values", "x"], "Invalid value for '--values'"),
    (["--ca-bundle", "/nonexistent.pem"], "file '/nonexistent.pem' does not exist"),
    (["--ca-bundle", "/"], "file '/' is a directory"),
    (["--output", "/etc/hostname"], "dir '/etc/hostname' is a file"),
    (["--rounds"], "Option '--rounds' requires an argument"),
]


@pytest.mark.parametrize(("args", "message"), USAGE, ids=[m for _, m in USAGE])
def test_cli_bench_usage_errors_are_one_line(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, clean_env
) -> None:
    backend = FakeBackend()
    monkeypatch.setattr(command, "DockerBackend", lambda: backend)
    assert cli.run(["bench", "a", *args]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("bakegen: error: ") and message in err[0]
    assert backend.started == [] and backend.sized == []
