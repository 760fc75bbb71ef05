"""``bakegen bench``: the benchmark table, and the checks of a request that need no engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bakegen.bench.benchmarks import BENCHMARKS, benchmark_list, select_benchmarks
from bakegen.bench.command import bench
from bakegen.bench.report import REPORT_FILES
from bakegen.bench.request import BenchRequest, check, choose_cpus
from bakegen.errors import BakegenError


def test_benchmark_table() -> None:
    names = [b.name for b in BENCHMARKS]
    assert len(set(names)) == len(names)
    # pyperformance keeps each benchmark in data-files/benchmarks/bm_*/ (run_benchmark.py inside)
    assert all(b.directory.startswith("bm_") and b.command[0] == f"{b.directory}/run_benchmark.py" for b in BENCHMARKS)


def test_benchmark_list_shows_every_benchmark_with_its_command() -> None:
    lines = benchmark_list().splitlines()
    assert lines[0].startswith(f"{len(BENCHMARKS)} pyperformance 1.14.0 benchmarks")
    rows = [line.split() for line in lines[1:]]
    assert [r[0] for r in rows] == [b.name for b in BENCHMARKS]
    unpickle = next(r for r in rows if r[0] == "unpickle_pure_python")
    assert unpickle[-3:] == ["bm_pickle/run_benchmark.py", "--pure-python", "unpickle"]


def test_select_benchmarks() -> None:
    assert select_benchmarks(None) == list(BENCHMARKS)
    assert select_benchmarks([" , "]) == list(BENCHMARKS)
    chosen = select_benchmarks(["json_dumps,nbody", "pickle"])
    assert [b.name for b in chosen] == ["nbody", "json_dumps", "pickle"]  # the table's order
    with pytest.raises(BakegenError, match="unknown benchmark 'nbdy'; did you mean nbody"):
        select_benchmarks(["nbdy"])
    with pytest.raises(BakegenError, match="unknown benchmark 'zzz'; see `bakegen bench --list`"):
        select_benchmarks(["nbody,zzz"])


def test_choose_cpus() -> None:
    assert choose_cpus("auto", 8) == (7,)
    assert choose_cpus("AUTO ", 8) == (7,)
    assert choose_cpus("auto", 1) is None
    assert choose_cpus("auto", 0) is None
    assert choose_cpus("none", 8) is None
    assert choose_cpus("2", 8) == (2,)
    assert choose_cpus("5", 0) == (5,)  # the engine does not say: trust the user
    with pytest.raises(BakegenError, match="CPUs 0-1"):
        choose_cpus("2", 2)
    with pytest.raises(BakegenError, match="expected auto, none or a CPU number"):
        choose_cpus("fast", 2)
    with pytest.raises(BakegenError, match="start at 0"):
        choose_cpus("-1", 2)


def test_choose_cpus_for_threads() -> None:
    assert choose_cpus("auto", 2, 2) == (0, 1)  # all of a 2-CPU engine
    assert choose_cpus("auto", 8, 3) == (5, 6, 7)  # the last N, like the last one without --threads
    assert choose_cpus("auto", 0, 2) is None  # the engine does not say: unpinned
    assert choose_cpus("none", 8, 2) is None
    assert choose_cpus("2", 8, 3) == (2, 3, 4)  # --cpu K: the first of N
    assert choose_cpus("1", 0, 4) == (1, 2, 3, 4)
    with pytest.raises(BakegenError, match=r"^--threads 3: the engine has 2 CPUs$"):
        choose_cpus("auto", 2, 3)
    with pytest.raises(BakegenError, match=r"^--threads 2: the engine has 1 CPU$"):
        choose_cpus("none", 1, 2)
    with pytest.raises(BakegenError, match=r"^--cpu 1 --threads 2 \(CPUs 1-2\): the engine has CPUs 0-1$"):
        choose_cpus("1", 2, 2)


def test_check_returns_the_selected_benchmarks(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    chosen = check(BenchRequest(["a"], ["json_loads,float"], ca_bundle=ca, processes=1, values=1, cpu="0"))
    assert [b.name for b in chosen] == ["float", "json_loads"]


BAD = [
    (dict(images=[]), "name at least one image"),
    (dict(images=["a", " "]), "an image name is empty"),
    (dict(rounds=0), "--rounds 0: must be 1 or more"),
    (dict(processes=0), "--processes 0: must be 1 or more"),
    (dict(values=-2), "--values -2: must be 1 or more"),
    (dict(benchmarks=["nbody", "nbdy"]), "unknown benchmark 'nbdy'"),
    (dict(cpu="last"), "--cpu last: expected auto, none or a CPU number"),
    (dict(cpu="-1"), "--cpu -1: CPU numbers start at 0"),
    (dict(ca_bundle=Path("/nonexistent/ca.pem")), "--ca-bundle /nonexistent/ca.pem: no such file"),
    (dict(ca_bundle=Path("/")), "--ca-bundle /: not a regular file"),
    (dict(images=["-v/:/host"]), "image '-v/:/host': starts with '-'"),
    (dict(images=["ok", "--privileged"]), "image '--privileged': starts with '-'"),
    (dict(images=["my image"]), "image 'my image': white space"),
    (dict(images=["img\n-v"]), "white space or control characters"),
    (dict(images=["img\x1b[2J"]), "white space or control characters"),
    (dict(base="-v/:/host"), "--base '-v/:/host': starts with '-'"),
    (dict(base=""), "--base '': an image name is empty"),
    (dict(benchmarks=[""]), "-b/--benchmark '': an empty benchmark name"),
    (dict(benchmarks=[",,"]), "-b/--benchmark ',,': an empty benchmark name"),
    (dict(benchmarks=["nbody", " "]), "an empty benchmark name"),
    (dict(benchmarks=["nbody,,float"]), "an empty benchmark name"),
]


@pytest.mark.parametrize(("fields", "message"), BAD, ids=[m for _, m in BAD])
def test_check_refuses(fields: dict, message: str) -> None:
    request = BenchRequest(**{"images": ["a"], **fields})
    with pytest.raises(BakegenError, match=message):
        check(request)


def test_check_refuses_a_fifo_as_ca_bundle(tmp_path: Path) -> None:
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)  # opening it for reading would hang until a writer came
    with pytest.raises(BakegenError, match="not a regular file"):
        check(BenchRequest(["a"], ca_bundle=fifo))


def quiet(line: str) -> None:
    """Where the report and the progress go in these tests: nowhere."""


class NoEngine:
    """A backend any use of which fails the test: the request was to be refused before the engine."""

    def __getattr__(self, name: str):
        pytest.fail(f"backend.{name} was called before the request was refused")


@pytest.mark.parametrize(("fields", "message"), BAD, ids=[m for _, m in BAD])
def test_a_refused_request_never_reaches_the_engine(fields: dict, message: str, tmp_path: Path) -> None:
    request = BenchRequest(**{"images": ["a"], "output": tmp_path / "out", **fields})
    with pytest.raises(BakegenError, match=message):
        bench(request, report=quiet, progress=quiet, backend=NoEngine(), environ={})  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", REPORT_FILES)
@pytest.mark.parametrize("kind", ["folder", "read-only file"])
def test_an_output_that_cannot_take_a_report_file_is_refused_first(tmp_path: Path, name: str, kind: str) -> None:
    output = tmp_path / "out"
    output.mkdir()
    if kind == "folder":
        (output / name).mkdir()
    else:
        (output / name).write_text("old")
        (output / name).chmod(0o444)
    with pytest.raises(BakegenError, match=f"^--output {output}: cannot write the report there: .*{name}"):
        bench(BenchRequest(["a"], output=output), report=quiet, progress=quiet, backend=NoEngine(), environ={})  # type: ignore[arg-type]
    assert sorted(p.name for p in output.iterdir()) == [name]
