"""``bakegen bench --threads``: the workload script, its selection, the checks, the statistics and the report."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bakegen import cli
from bakegen.bench import command, report, runner, stats, threads, threadwork
from bakegen.bench.chart import render_svg
from bakegen.bench.request import DEFAULT_WORK, THREAD_RUNS, BenchRequest, check
from bakegen.bench.results import ThreadSettings
from bakegen.bench.workload import Pyperformance
from bakegen.cli import app
from bakegen.errors import BakegenError, EngineError
from tests.kit.bench import FakeBackend, sample_results, sample_thread_results

SCRIPT = Path(threadwork.__file__)


# --- the script, run by the local interpreter ---------------------------------------------------------------


def run_script(*args: str) -> str:
    done = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_script_runs_and_prints_what_the_runner_reads() -> None:
    seconds, cpu = threads.parse_run(run_script("run", "--threads", "2", "--work", "1", "--runs", "3"), 2, 3)
    assert len(seconds) == 3 and all(0 < s < 60 for s in seconds)
    assert len(cpu) == 3 and all(0 <= c < 120 for c in cpu)
    info = threads.parse_info(run_script("info"))
    assert info["python"] == ".".join(map(str, sys.version_info[:3]))
    # this interpreter's own answers, whichever build runs the tests
    assert info["gil_enabled"] == (sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else None)


def test_the_script_is_what_threads_copies_and_reads_as_python_3_9() -> None:
    source = threads.script_source()
    assert source == SCRIPT.read_text()
    ast.parse(source, feature_version=(3, 9))  # no syntax newer than the images' oldest Python


def test_the_script_refuses_threads_that_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(range(100))
    monkeypatch.setattr(threadwork, "unit", lambda seed: next(answers))  # a different answer in every thread
    with pytest.raises(SystemExit, match="checksums differ"):
        threadwork.timed_run(2, 1)
    monkeypatch.undo()
    seconds, cpu, checksum = threadwork.timed_run(2, 1)
    assert seconds > 0 and cpu >= 0 and checksum == threadwork.unit(12345)


def test_the_script_checks_its_arguments(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        threadwork.main(["run", "--threads", "0", "--work", "1", "--runs", "1"])
    assert "must be 1 or more" in capsys.readouterr().err


def test_parse_run_and_info_refuse_what_they_cannot_use() -> None:
    good = json.dumps({"threads": 2, "work": 5, "seconds": [0.5, 0.25], "cpu_seconds": [0.9, 0.5]})
    assert threads.parse_run(f"noise\n{good}\n", 2, 2) == ([0.5, 0.25], [0.9, 0.5])
    with pytest.raises(EngineError, match="expected 3 runs in 2 threads"):
        threads.parse_run(good, 2, 3)
    with pytest.raises(EngineError, match="expected 2 runs in 4 threads"):
        threads.parse_run(good, 4, 2)
    with pytest.raises(EngineError, match="seconds must be positive"):
        threads.parse_run(json.dumps({"threads": 2, "seconds": [0.5, 0.0], "cpu_seconds": [0.5, 0.0]}), 2, 2)
    with pytest.raises(EngineError, match="expected 2 runs in 2 threads"):  # an older script: no CPU times
        threads.parse_run(json.dumps({"threads": 2, "seconds": [0.5, 0.25]}), 2, 2)
    with pytest.raises(EngineError, match="unreadable cpu_seconds"):
        threads.parse_run(json.dumps({"threads": 2, "seconds": [0.5, 0.25], "cpu_seconds": ["x", 1]}), 2, 2)
    with pytest.raises(EngineError, match="unreadable output"):
        threads.parse_run("Traceback ...", 2, 2)
    with pytest.raises(EngineError, match="unreadable output"):
        threads.parse_info("")
    with pytest.raises(EngineError, match="no Python version"):
        threads.parse_info('{"gil_enabled": false}')


# --- selection and checks -----------------------------------------------------------------------------------


def test_workload_for_picks_the_thread_workload() -> None:
    work = runner.workload_for(BenchRequest(["a"], threads=3), [])
    assert isinstance(work, threads.ThreadWork)
    assert work.settings == ThreadSettings(3, DEFAULT_WORK, THREAD_RUNS)
    assert [(t.name, t.threads) for t in work.benchmarks] == [("1 thread", 1), ("3 threads", 3)]
    assert runner.workload_for(BenchRequest(["a"], threads=2, work=7), []).settings.work == 7
    assert isinstance(runner.workload_for(BenchRequest(["a"]), check(BenchRequest(["a"]))), Pyperformance)


def test_check_selects_no_benchmark_with_threads() -> None:
    assert check(BenchRequest(["a"], threads=2, work=1)) == []


BAD = [
    (dict(threads=1), "--threads 1: must be 2 or more"),
    (dict(threads=0), "--threads 0: must be 2 or more"),
    (dict(threads=2, work=0), "--work 0: must be 1 or more"),
    (dict(work=5), "--work sets the work of --threads: give --threads N too"),
    (dict(threads=2, benchmarks=["nbody"]), "-b/--benchmark is for the pyperformance benchmarks"),
    (dict(threads=2, fast=True), "--fast is for the pyperformance benchmarks"),
    (dict(threads=2, processes=3), "--processes is for the pyperformance benchmarks"),
    (dict(threads=2, values=3), "--values is for the pyperformance benchmarks"),
]


@pytest.mark.parametrize(("fields", "message"), BAD, ids=[m for _, m in BAD])
def test_check_refuses_thread_options(fields: dict, message: str) -> None:
    with pytest.raises(BakegenError, match=message):
        check(BenchRequest(**{"images": ["a"], **fields}))


ENGINE_BAD = [
    (dict(threads=3), "--threads 3: the engine has 2 CPUs"),
    (dict(threads=2, cpu="1"), r"--cpu 1 --threads 2 \(CPUs 1-2\): the engine has CPUs 0-1"),
    (dict(threads=2, cpu="none", images=["a", "c"]), "image c is not in the local image store"),
]


@pytest.mark.parametrize(("fields", "message"), ENGINE_BAD, ids=[m for _, m in ENGINE_BAD])
def test_engine_checks_start_nothing(tmp_path: Path, fields: dict, message: str) -> None:
    backend = FakeBackend(cpus=2)
    request = BenchRequest(**{"images": ["a", "b"], "output": tmp_path / "out", **fields})
    with pytest.raises(BakegenError, match=message):
        command.bench(request, print, print, backend=backend, environ={})
    assert backend.started == [] and backend.sized == []
    assert not (tmp_path / "out").exists()


# --- the run ------------------------------------------------------------------------------------------------


def test_run_copies_the_script_and_interleaves_images() -> None:
    backend = FakeBackend(cpus=2)
    lines: list[str] = []
    results = runner.run(BenchRequest(["a", "b"], threads=2, work=10, rounds=2), backend, lines.append)
    assert backend.runs == [("a", "1 thread"), ("b", "1 thread"), ("a", "2 threads"), ("b", "2 threads")] * 2
    assert [s["cpus"] for s in backend.started] == [(0, 1), (0, 1)]
    assert [c for c in backend.commands if "pip" in c] == []  # no pip in this mode
    writes = [c for c in backend.commands if c[:2] == ["python3", "-c"] and c[-2:] == [
        threads.SCRIPT_PATH, threads.script_source()]]
    assert len(writes) == 2  # once per container
    run_cmd = next(c for c in backend.commands if c[2:3] == ["run"])
    assert run_cmd == ["python3", threads.SCRIPT_PATH, "run", "--threads", "1", "--work", "10", "--runs",
                       str(THREAD_RUNS)]
    assert results.threads == ThreadSettings(2, 10, THREAD_RUNS) and results.benchmarks == []
    assert [(i.python, i.free_threaded, i.gil) for i in results.images] == [("3.13.15", False, True),
                                                                           ("3.13.15", True, False)]
    assert results.values["2 threads"][1] == [[0.125] * THREAD_RUNS] * 2
    assert any(line.startswith("setup image 1/2 a: container on CPUs 0-1, copy threadwork.py") for line in lines)
    assert "round 2/2 2 threads (2/2) image 1/2: 200 ms" in "\n".join(lines)
    assert sorted(backend.removed) == ["id-a-1", "id-b-2"]
    # a (GIL): 2 threads take twice as long, no gain; b (free-threaded): 2 threads in the time of one
    a, b = results.thread_summary()
    assert a.scaling == pytest.approx(1.0) and b.scaling == pytest.approx(2.0)
    assert b.ratio == pytest.approx(1.6)


def test_run_refuses_a_python_below_3_9_and_removes_its_container() -> None:
    old = FakeBackend(images=["a"], python="3.8.18")
    with pytest.raises(BakegenError, match=r"Python 3.8.18; the benchmarks need 3.9 or newer \(the --threads"):
        runner.run(BenchRequest(["a"], threads=2), old)
    assert old.removed == ["id-a-1"]
    # 3.9 is enough here (pyperformance would need 3.11)
    runner.run(BenchRequest(["a"], threads=2, rounds=1), FakeBackend(images=["a"], python="3.9.2"))


def test_run_falls_back_to_unpinned_with_a_note() -> None:
    lines: list[str] = []
    results = runner.run(BenchRequest(["a"], threads=2, rounds=1), FakeBackend(refuse_cpuset=True), lines.append)
    assert results.images[0].cpus is None
    assert results.notes[0].startswith("cannot pin a to CPUs 0-1 (cpuset.cpus: invalid argument)")


def test_run_notes_a_busy_machine() -> None:
    quiet = runner.run(BenchRequest(["a", "b"], threads=2, rounds=1), FakeBackend())
    assert quiet.notes == []
    assert [(s.cpus_one, s.cpus_many) for s in quiet.thread_summary()] == [(1.0, 1.0), (1.0, 2.0)]
    busy = runner.run(BenchRequest(["a", "b"], threads=2, rounds=1), FakeBackend(busy=True))
    assert busy.notes == [
        f"{image}: its 1-thread runs kept only 0.50 of a CPU busy (CPU time / wall-clock time): other load on the "
        "machine held them up; throughput and scaling are not reliable" for image in ("a", "b")]
    assert report.format_report(busy).splitlines()[-1].startswith("note: b: its 1-thread runs kept only 0.50")


def test_run_failure_names_the_thread_count_and_image() -> None:
    backend = FakeBackend(fail_on="2 threads")
    with pytest.raises(EngineError, match="2 threads failed in a: .*checksums differ"):
        runner.run(BenchRequest(["a", "b"], threads=2, rounds=1), backend)
    assert sorted(backend.removed) == ["id-a-1", "id-b-2"]


# --- statistics ---------------------------------------------------------------------------------------------


def test_throughput_is_all_the_work_over_all_the_time() -> None:
    assert stats.throughput([0.1, 0.3], 10) == pytest.approx(50.0)  # 20 units in 0.4 s


def test_summarize_threads() -> None:
    r = sample_thread_results()
    a, b = r.thread_summary()
    assert a.rounds_one == pytest.approx([100, 100]) and a.rounds_many == pytest.approx([100, 80])
    assert (a.one, a.many) == pytest.approx((100, 90))
    assert (a.scaling, a.scaling_min, a.scaling_max) == pytest.approx((0.9, 0.8, 1.0))
    assert (a.ratio, a.ratio_min, a.ratio_max, a.one_ratio) == pytest.approx((1, 1, 1, 1))
    assert (b.one, b.many) == pytest.approx((80, 142.5))
    assert (b.scaling, b.scaling_min, b.scaling_max) == pytest.approx((142.5 / 80, 1.5625, 2.0))
    assert (b.ratio, b.ratio_min, b.ratio_max) == pytest.approx((142.5 / 90, 1.5625, 1.6))
    assert b.one_ratio == pytest.approx(0.8)
    # CPUs busy: all CPU seconds over all wall-clock seconds
    assert (a.cpus_one, a.cpus_many) == pytest.approx((1.0, 1.0))
    assert (b.cpus_one, b.cpus_many) == pytest.approx((1.0, (0.5 + 0.32) / (0.25 + 0.32)))
    r.cpu_seconds = {}
    assert r.thread_summary()[0].cpus_many is None
    assert "unknown" in report.format_report(r)
    with pytest.raises(ValueError):
        stats.summarize_threads([], [], 2, 1)
    with pytest.raises(ValueError, match="not a --threads run"):
        sample_results().thread_summary()


# --- the report ---------------------------------------------------------------------------------------------


def test_text_report_of_threads() -> None:
    text = report.format_report(sample_thread_results(base=True))
    lines = text.splitlines()
    assert lines[0] == ("bakegen bench --threads 2: 2 image(s) x 2 round(s); per image and round, 2 runs in 1 "
                        "thread then 2 in 2, 10 units of work per thread and run")
    assert lines[2].split() == ["#", "image", "python", "free-threaded", "GIL", "cpus"]
    assert lines[3].split() == ["1", "reg.example/python:3.13-wee", "3.13.15", "no", "on", "0-1"]
    assert lines[4].split() == ["2", "reg.example/python:3.13t-<wee>", "3.13.15", "yes", "off", "0-1"]
    header = next(line for line in lines if line.startswith("#") and "scaling" in line)
    assert [c.strip() for c in header.split("  ") if c.strip()] == [
        "#", "1 thread", "2 threads", "scaling", "range over rounds", "CPUs busy (1 / 2)", "2 threads vs #1",
        "range over rounds", "1 thread vs #1"]
    first = next(line for line in lines if line.startswith("#1 "))
    second = next(line for line in lines if line.startswith("#2 "))
    assert first.split() == ["#1", "100", "90", "0.90x", "0.80-1.00", "1.00", "/", "1.00", "1.00x", "1.00x"]
    # b's 2-thread runs: 0.5 CPU s in 0.25 s wall, then 0.32 in 0.32: 0.82 / 0.57
    assert second.split() == ["#2", "80", "142", "1.78x", "1.56-2.00", "1.00", "/", f"{0.82 / 0.57:.2f}", "1.58x",
                              "1.56-1.60", "0.80x"]
    assert header.rindex("1 thread vs #1") + len("1 thread vs #1") == len(second)  # right-aligned under it
    assert "adds on top of base" in text  # the sizes section, as in the normal report
    assert "pyperformance" not in text


def test_json_of_threads() -> None:
    r = sample_thread_results()
    data = json.loads(report.to_json(r))
    assert data["mode"] == "threads" and "benchmarks" not in data and "pyperf_options" not in data
    assert [(i["free_threaded"], i["py_gil_disabled"], i["gil_enabled"], i["cpus"]) for i in data["images"]] == [
        (False, 0, True, [0, 1]), (True, 1, False, [0, 1])]
    section = data["threads"]
    assert (section["threads"], section["work_per_thread"], section["runs_per_round"]) == (2, 10, 2)
    a, b = section["images"]
    assert a["image"] == "reg.example/python:3.13-wee"
    assert (b["one_thread"], b["n_threads"]) == pytest.approx((80, 142.5))
    assert (b["scaling"], b["scaling_round_min"], b["scaling_round_max"]) == pytest.approx((1.78125, 1.5625, 2.0))
    assert (b["ratio"], b["ratio_round_min"], b["ratio_round_max"]) == pytest.approx((142.5 / 90, 1.5625, 1.6))
    assert b["round_throughput"]["n_threads"] == pytest.approx([160, 125])
    assert b["seconds"] == {"one_thread": r.values["1 thread"][1], "n_threads": r.values["2 threads"][1]}
    assert b["cpu_seconds"] == {"one_thread": r.cpu_seconds["1 thread"][1], "n_threads": r.cpu_seconds["2 threads"][1]}
    assert b["cpus_busy"]["one_thread"] == pytest.approx(1.0)
    assert b["cpus_busy"]["n_threads"] == pytest.approx(0.82 / 0.57)


def test_svg_of_threads() -> None:
    svg = render_svg(sample_thread_results())
    root = ET.fromstring(svg)  # well-formed, names escaped
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "#2 reg.example/python:3.13t-<wee> (3.13.15, free-threaded)" in texts
    assert "#1 reg.example/python:3.13-wee (3.13.15, GIL)" in texts
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(bars) == 2 * 2  # 2 images x (scaling, ratio to #1)
    titles = [b.find(f"{ns}title").text for b in bars]
    assert titles[1] == "#2: 1.781 (rounds 1.562-2.000)"
    # in one panel the bars are proportional to the values: scaling 1.78 against 0.9
    assert float(bars[1].get("width")) / float(bars[0].get("width")) == pytest.approx(1.78125 / 0.9, rel=1e-2)


def test_report_of_one_image_has_no_comparison() -> None:
    r = sample_thread_results()
    r.images = r.images[:1]
    r.values = {k: v[:1] for k, v in r.values.items()}
    text = report.format_report(r)
    assert "vs #1" not in text
    root = ET.fromstring(render_svg(r))
    assert len([t for t in root.iter("{http://www.w3.org/2000/svg}title")]) == 1  # the scaling bar only


# --- the command line ---------------------------------------------------------------------------------------


def test_cli_bench_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env) -> None:
    backend = FakeBackend()
    monkeypatch.setattr(command, "DockerBackend", lambda: backend)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["bench", "a", "b", "--threads", "2", "--work", "3", "--rounds", "1", "-o", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("#2 "))
    assert row.split()[3] == "2.00x"  # b doubles its throughput with 2 threads
    assert "round 1/1 2 threads (2/2) image 2/2" in result.stderr
    data = json.loads((out / "bench.json").read_text())
    assert data["threads"]["work_per_thread"] == 3
    assert (out / "bench.svg").read_text().startswith("<svg")


CLI_BAD = [
    (["--threads", "1"], "--threads 1: must be 2 or more"),
    (["--threads", "4"], "--threads 4: the engine has 2 CPUs"),
    (["--threads", "2", "--fast"], "--fast is for the pyperformance benchmarks"),
    (["--work", "10"], "--work sets the work of --threads"),
    (["--threads", "x"], "Invalid value for '--threads'"),
]


@pytest.mark.parametrize(("args", "message"), CLI_BAD, ids=[m for _, m in CLI_BAD])
def test_cli_bench_threads_errors_are_one_line(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture, clean_env,
) -> None:
    backend = FakeBackend()
    monkeypatch.setattr(command, "DockerBackend", lambda: backend)
    assert cli.run(["bench", "a", *args, "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("bakegen: error: ") and message in err[0]
    assert backend.started == [] and backend.sized == []
