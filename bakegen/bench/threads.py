"""The workload of ``bakegen bench --threads N``: CPU-bound pure Python in one thread and in N threads.

pyperformance has little that runs threads, so the work is bakegen's own: ``threadwork.py`` beside
this file (what it does and why: its docstring). It needs nothing but the image's ``python3``
(3.9 or newer, free-threaded builds included): no pip and no network. :meth:`ThreadWork.prepare`
copies the script into the container (as an argument of ``python3 -c``, so no shell or ``docker
cp`` is needed) and asks it about the interpreter: version, ``Py_GIL_DISABLED`` and
``sys._is_gil_enabled()``. :meth:`ThreadWork.measure` runs it once for one thread count: a warm-up
unit per thread, then ``runs`` timed runs; it returns their wall-clock times and keeps the CPU
times the process used meanwhile (:meth:`ThreadWork.cpu_seconds`), which say how many CPUs the
threads kept busy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

from ..errors import DataError, EngineError
from ..untrusted import loads_json
from .containers import Backend
from .results import ImageRun, Results, ThreadSettings
from .stats import Values
from .workload import WORKDIR, python_version

#: A one-thread run never waits (the main thread only joins), so one that kept less of a CPU busy
#: than this was held up by other load.
BUSY_BELOW = 0.9
#: The script's floor: its syntax and standard library.
MIN_PYTHON = (3, 9)
SCRIPT = "threadwork.py"
SCRIPT_PATH = f"{WORKDIR}/{SCRIPT}"
#: Writes argv[2] to the file argv[1], making its folder.
_WRITE = (
    "import os, sys; os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True); "
    "f = open(sys.argv[1], 'w'); f.write(sys.argv[2]); f.close()"
)


def script_source() -> str:
    return resources.files(__package__).joinpath(SCRIPT).read_text(encoding="utf-8")


@dataclass(frozen=True)
class ThreadCount:
    """One thing measured: the workload in this many threads."""

    name: str
    threads: int


def _load(text: str, what: str) -> dict:
    try:
        data = loads_json(text.strip().splitlines()[-1], f"{SCRIPT} {what}")
    except (DataError, IndexError):
        raise EngineError(f"{SCRIPT} {what}: unreadable output {text.strip()[-200:]!r}") from None
    if not isinstance(data, dict):
        raise EngineError(f"{SCRIPT} {what}: unreadable output {text.strip()[-200:]!r}")
    return data


def parse_info(text: str) -> dict:
    """``threadwork.py info``'s answer: python, py_gil_disabled (int or None), gil_enabled (bool or None)."""
    data = _load(text, "info")
    if not isinstance(data.get("python"), str):
        raise EngineError(f"{SCRIPT} info: no Python version in {data}")
    return data


def _times(data: dict, key: str, runs: int, threads: int) -> list[float]:
    times = data.get(key)
    if data.get("threads") != threads or not isinstance(times, list) or len(times) != runs:
        raise EngineError(f"{SCRIPT} run: expected {runs} runs in {threads} threads, got {data!r:.200}")
    try:
        values = [float(s) for s in times]
    except (TypeError, ValueError):
        raise EngineError(f"{SCRIPT} run: unreadable {key} {times!r}") from None
    if any(v < 0 for v in values) or (key == "seconds" and 0 in values):
        raise EngineError(f"{SCRIPT} run: {key} must be positive, got {values!r}")
    return values


def parse_run(text: str, threads: int, runs: int) -> tuple[list[float], list[float]]:
    """``threadwork.py run``'s wall-clock and CPU seconds per run; checks it ran what was asked."""
    data = _load(text, "run")
    return _times(data, "seconds", runs, threads), _times(data, "cpu_seconds", runs, threads)


@dataclass
class ThreadWork:
    """The thread workload: one thread, then N threads, on every image in every round."""

    settings: ThreadSettings
    benchmarks: list[ThreadCount] = field(init=False)
    options: list[str] = field(init=False)
    setup: str = f"copy {SCRIPT} into it"
    #: Per thread count, per container: each round's CPU seconds per run.
    _cpu: dict[str, dict[str, list[list[float]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = self.settings
        self.benchmarks = [ThreadCount(s.one_name, 1), ThreadCount(s.many_name, s.threads)]
        self.options = ["--threads", str(s.threads), "--work", str(s.work), "--runs", str(s.runs)]

    def prepare(self, backend: Backend, container: str, run: ImageRun) -> None:
        python_version(backend, container, run.image, MIN_PYTHON, "the --threads workload")
        try:
            backend.exec(container, ["python3", "-c", _WRITE, SCRIPT_PATH, script_source()])
            info = parse_info(backend.exec(container, ["python3", SCRIPT_PATH, "info"]))
        except EngineError as exc:
            raise EngineError(f"{run.image}: {exc}") from None
        run.python = info["python"]
        disabled, enabled = info.get("py_gil_disabled"), info.get("gil_enabled")
        run.py_gil_disabled = disabled if isinstance(disabled, int) else None
        run.gil_enabled = enabled if isinstance(enabled, bool) else None

    def measure(self, backend: Backend, container: str, benchmark: ThreadCount, round_: int) -> list[float]:
        s = self.settings
        command = ["python3", SCRIPT_PATH, "run", "--threads", str(benchmark.threads), "--work", str(s.work),
                   "--runs", str(s.runs)]
        seconds, cpu = parse_run(backend.exec(container, command), benchmark.threads, s.runs)
        self._cpu.setdefault(benchmark.name, {}).setdefault(container, []).append(cpu)
        return seconds

    def cpu_seconds(self, containers: list[str]) -> Values:
        """The CPU seconds of every run, in the shape of the run times: ``[thread count][image][round]``."""
        return {name: [per_container.get(c, []) for c in containers] for name, per_container in self._cpu.items()}


def busy_notes(results: Results) -> list[str]:
    """A note for each image whose one-thread runs kept less than BUSY_BELOW of a CPU busy: the machine
    was busy, so its throughputs are low and its scaling means little."""
    notes = []
    for img, s in zip(results.images, results.thread_summary(), strict=True):
        if s.cpus_one is not None and s.cpus_one < BUSY_BELOW:
            notes.append(
                f"{img.image}: its 1-thread runs kept only {s.cpus_one:.2f} of a CPU busy (CPU time / wall-clock "
                "time): other load on the machine held them up; throughput and scaling are not reliable"
            )
    return notes
