"""The workload of ``bakegen bench --threads N``: CPU-bound pure Python in one thread and in N threads.

pyperformance has little that runs threads, so the work is bakegen's own: ``threadwork.py`` beside
this file (what it does and why: its docstring). It needs nothing but the image's ``python3``
(3.9 or newer, free-threaded builds included): no pip and no network. :meth:`ThreadWork.prepare`
copies the script into the container (as an argument of ``python3 -c``, so no shell or ``docker
cp`` is needed) and asks it about the interpreter: version, ``Py_GIL_DISABLED`` and
``sys._is_gil_enabled()``. :meth:`ThreadWork.measure` runs it once for one thread count: a warm-up
unit per thread, then ``runs`` timed runs; it returns their wall-clock times.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources

from ..errors import EngineError
from .containers import Backend
from .results import ImageRun, ThreadSettings
from .workload import WORKDIR, python_version

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
        data = json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
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


def parse_run(text: str, threads: int, runs: int) -> list[float]:
    """``threadwork.py run``'s run times, seconds; checks it ran what was asked."""
    data = _load(text, "run")
    seconds = data.get("seconds")
    if data.get("threads") != threads or not isinstance(seconds, list) or len(seconds) != runs:
        raise EngineError(f"{SCRIPT} run: expected {runs} runs in {threads} threads, got {text.strip()[-200:]!r}")
    try:
        values = [float(s) for s in seconds]
    except (TypeError, ValueError):
        raise EngineError(f"{SCRIPT} run: unreadable times {seconds!r}") from None
    if any(v <= 0 for v in values):
        raise EngineError(f"{SCRIPT} run: times must be positive, got {values!r}")
    return values


@dataclass
class ThreadWork:
    """The thread workload: one thread, then N threads, on every image in every round."""

    settings: ThreadSettings
    benchmarks: list[ThreadCount] = field(init=False)
    options: list[str] = field(init=False)
    setup: str = f"copy {SCRIPT} into it"

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
        return parse_run(backend.exec(container, command), benchmark.threads, s.runs)
