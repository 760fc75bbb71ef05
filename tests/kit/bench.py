"""Test helpers for ``bakegen bench``: a fake container backend, sizes and a sample run's results."""

from __future__ import annotations

import json
import os

from bakegen.bench import containers
from bakegen.bench.benchmarks import select_benchmarks
from bakegen.bench.containers import ImageSize
from bakegen.bench.results import ImageRun, Results, ThreadSettings
from bakegen.errors import EngineError


def size(image: str, unc: int | None, comp: int) -> ImageSize:
    return ImageSize(image, unc, containers.METHOD_TARS, comp, containers.METHOD_STORE, 4, "linux/amd64")


def sample_results(base: bool = True) -> Results:
    chosen = select_benchmarks(["nbody", "json_dumps"])
    images = [
        ImageRun("reg.example/python:3.13-wee", "3.13.15", (1,), size("reg.example/python:3.13-wee", 130e6, 48e6)),
        ImageRun("reg.example/python:3.13-<lto>", "3.13.15", (1,), size("lto", 140e6, 50e6)),
    ]
    values = {
        "nbody": [[[0.150, 0.150], [0.150]], [[0.100], [0.125]]],
        "json_dumps": [[[0.020], [0.020]], [[0.016], [0.016]]],
    }
    return Results(
        images=images, benchmarks=chosen, rounds=2, values=values, pyperf_options=["--processes", "3"],
        base=size("debian:trixie-slim", 90e6, 36e6) if base else None, started="t0", finished="t1",
    )


def sample_thread_results(base: bool = False) -> Results:
    """A --threads 2 run, 2 rounds of 2 runs, 10 units per thread: "a" has the GIL, "b" is free-threaded.

    Throughputs (units/s) per round: a: 1 thread 100, 100; 2 threads 100, 80.
    b: 1 thread 80, 80; 2 threads 160, 125.
    CPUs busy: a: 1 thread 1.0, 2 threads 1.0; b: 1 thread 1.0, 2 threads 2.0 in round 1, 1.0 in round 2.
    """
    settings = ThreadSettings(threads=2, work=10, runs=2)
    images = [
        ImageRun("reg.example/python:3.13-wee", "3.13.15", (0, 1), size("a", 130e6, 48e6), 0, True),
        ImageRun("reg.example/python:3.13t-<wee>", "3.13.15", (0, 1), size("b", 140e6, 50e6), 1, False),
    ]
    values = {
        "1 thread": [[[0.1, 0.1], [0.1, 0.1]], [[0.125, 0.125], [0.125, 0.125]]],
        "2 threads": [[[0.2, 0.2], [0.25, 0.25]], [[0.125, 0.125], [0.16, 0.16]]],
    }
    cpu = {
        "1 thread": values["1 thread"],
        "2 threads": [values["2 threads"][0], [[0.25, 0.25], [0.16, 0.16]]],
    }
    return Results(
        images=images, benchmarks=[], rounds=2, values=values, threads=settings, cpu_seconds=cpu,
        base=size("debian:trixie-slim", 90e6, 36e6) if base else None, started="t0", finished="t1",
    )


def pyperf_json(value: float) -> str:
    return json.dumps({"benchmarks": [{"runs": [{"values": [value, value]}]}]})


class FakeBackend:
    """A container engine in memory: image "a" runs every benchmark in 0.1 s, any other image in 0.05 s.

    With --threads, image "a" has the GIL (a run of k threads takes 0.1 s x k), any other image is
    free-threaded (0.125 s whatever k); the process keeps one CPU busy per running thread (with
    ``busy``, half as much: other load holds it up).
    """

    def __init__(self, images=("a", "b"), cpus=2, python="3.13.15", fail_on=None, refuse_cpuset=False,
                 interrupt_on=None, daemon=True, signal_on=None, signal_on_remove=None, busy=False) -> None:
        self.images = set(images)
        self.n_cpus = cpus
        self.python = python
        self.fail_on = fail_on
        self.interrupt_on = interrupt_on
        self.refuse_cpuset = refuse_cpuset
        self.daemon = daemon
        self.busy = busy
        #: (benchmark, signal): the signal arrives while that benchmark runs; or while removing containers.
        self.signal_on = signal_on
        self.signal_on_remove = signal_on_remove
        self.started: list[dict] = []
        self.removed: list[str] = []
        self.sized: list[str] = []
        self.runs: list[tuple[str, str]] = []  # (image, benchmark) in order
        self.commands: list[list[str]] = []
        self.envs: list[dict] = []

    def require_daemon(self) -> None:
        if not self.daemon:
            raise EngineError("cannot reach the Docker daemon")

    def image_exists(self, image: str) -> bool:
        return image in self.images

    def cpus(self) -> int:
        return self.n_cpus

    def start(self, image, *, name, cpus, ca_bundle=None):
        if cpus is not None and self.refuse_cpuset:
            raise EngineError("cpuset.cpus: invalid argument")
        self.started.append({"image": image, "name": name, "cpus": cpus, "ca_bundle": ca_bundle})
        return f"id-{image}-{len(self.started)}"

    def _image(self, container: str) -> str:
        return container.split("-")[1]

    def exec(self, container, command, env=None):
        self.commands.append(command)
        if env:
            self.envs.append(env)
        if command[0] == "python3" and command[1] == "-c":
            return f"{self.python} (3, 13)\n"
        if command[-1].startswith("import os, pyperformance"):
            return "/venv/site-packages/pyperformance/data-files/benchmarks\n"
        if command[0] == "python3" and command[1].endswith("/threadwork.py"):
            return self._threadwork(container, command[2:])
        if command[0].endswith("/bin/python") and command[1].endswith("run_benchmark.py"):
            name = command[command.index("--output") + 1].rsplit("/", 1)[1].rsplit("-", 1)[0]
            self.runs.append((self._image(container), name))
            if self.fail_on == name:
                raise EngineError("Traceback ... ValueError: boom")
            if self.interrupt_on == name:
                raise KeyboardInterrupt
            if self.signal_on and self.signal_on[0] == name:
                os.kill(os.getpid(), self.signal_on[1])
        return ""

    def _threadwork(self, container: str, args: list[str]) -> str:
        gil = self._image(container) == "a"
        if args == ["info"]:
            return json.dumps({"python": self.python, "implementation": "CPython",
                               "py_gil_disabled": 0 if gil else 1, "gil_enabled": gil}) + "\n"
        threads, work, runs = (int(args[args.index(opt) + 1]) for opt in ("--threads", "--work", "--runs"))
        name = "1 thread" if threads == 1 else f"{threads} threads"
        self.runs.append((self._image(container), name))
        if self.fail_on == name:
            raise EngineError("Traceback ... threadwork: the threads' checksums differ")
        seconds = 0.1 * threads if gil else 0.125
        cpu = seconds * (1 if gil else threads) * (0.5 if self.busy else 1)
        return json.dumps({"threads": threads, "work": work, "seconds": [seconds] * runs, "cpu_seconds": [cpu] * runs,
                           "checksum": "x"}) + "\n"

    def read_file(self, container, path):
        return pyperf_json(0.1 if self._image(container) == "a" else 0.05)

    def remove(self, ids):
        if self.signal_on_remove:
            os.kill(os.getpid(), self.signal_on_remove)
        self.removed += ids

    def image_size(self, image, *, registry=False):
        self.sized.append(image)
        return size(image, 100_000_000, 40_000_000)
