"""What runs inside the benchmark containers: the :class:`Workload` interface and the pyperformance suite.

The other workload, ``bakegen bench --threads``, is in ``threads.py``.

:class:`Pyperformance` installs pyperf and pyperformance into a venv in each container once (pip
gets the caller's ``PIP_*`` settings, and the CA bundle mounted at ``containers.CA_PATH``), then
runs one benchmark's ``run_benchmark.py`` under pyperf at a time and reads its JSON back.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import BakegenError, DataError, EngineError
from ..untrusted import loads_json
from .benchmarks import PYPERF_VERSION, PYPERFORMANCE_VERSION, Benchmark
from .containers import CA_PATH, Backend
from .results import ImageRun

#: pyperf's own floor.
MIN_PYTHON = (3, 11)
#: Working folder inside the containers; /tmp so that images with a non-root user work too.
WORKDIR = "/tmp/bakegen-bench"
VENV = f"{WORKDIR}/venv"
#: pyperf worker processes per benchmark, and values per process, with --fast (pyperf's defaults:
#: 20 and 3; its own --fast: 10 and 2).
FAST_PROCESSES = 3
FAST_VALUES = 2
#: pip settings passed from the caller's environment into the containers, when set.
PIP_PASSTHROUGH = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST")
_VERSION = "import platform, sys; print(platform.python_version(), sys.version_info[:2])"
_BENCHMARKS_DIR = (
    "import os, pyperformance; "
    "print(os.path.join(os.path.dirname(pyperformance.__file__), 'data-files', 'benchmarks'))"
)


class Task(Protocol):
    """One thing a workload measures: a benchmark, or a thread count."""

    @property
    def name(self) -> str: ...


class Workload(Protocol):
    """The work measured in each container: prepared once per container, then run per task and round."""

    #: What is measured on every image in every round, in this order.
    benchmarks: Sequence[Task]
    #: Settings of the measuring tool, reported with the results.
    options: list[str]
    #: What ``prepare`` does, for the progress line.
    setup: str

    def prepare(self, backend: Backend, container: str, run: ImageRun) -> None:
        """Make the container ready; sets what it learns of the image's Python in ``run``."""
        ...

    def measure(self, backend: Backend, container: str, benchmark: Task, round_: int) -> list[float]:
        """One task, once: its values, seconds."""
        ...


def pyperf_options(fast: bool, processes: int | None, values: int | None) -> list[str]:
    """pyperf's worker settings. pyperf's own ``--fast`` would override ``--processes`` (it runs 10
    workers at least), so ``--fast`` here means FAST_PROCESSES workers x FAST_VALUES values."""
    processes = processes or (FAST_PROCESSES if fast else None)
    values = values or (FAST_VALUES if fast else None)
    return [*(["--processes", str(processes)] if processes else []), *(["--values", str(values)] if values else [])]


def parse_pyperf(text: str, name: str = "benchmark") -> list[float]:
    """All values (seconds per loop) of a pyperf JSON result; calibration runs have none."""
    try:
        data = loads_json(text, name)
        values = [float(v) for bench in data["benchmarks"] for run in bench["runs"] for v in run.get("values", [])]
    except (DataError, ValueError, LookupError, TypeError, AttributeError) as exc:
        raise EngineError(f"{name}: unreadable pyperf result ({exc})") from None
    if not values or any(v <= 0 for v in values):
        raise EngineError(f"{name}: pyperf result without usable values")
    return values


def python_version(
    backend: Backend, container: str, image: str, floor: tuple[int, int] = MIN_PYTHON, needs: str = "pyperf"
) -> str:
    """The image's ``python3`` version; an error below ``floor``, which ``needs`` asks for."""
    try:
        out = backend.exec(container, ["python3", "-c", _VERSION]).split()
    except EngineError as exc:
        raise EngineError(f"{image}: cannot run python3 in it: {exc}") from None
    version = out[0] if out else "?"
    try:
        major, minor = (int(p) for p in version.split(".")[:2])
    except ValueError:
        major, minor = 0, 0
    if (major, minor) < floor:
        raise BakegenError(f"{image} has Python {version}; the benchmarks need {'.'.join(map(str, floor))} or newer "
                           f"({needs})")
    return version


@dataclass
class Pyperformance:
    """The pyperformance benchmarks under pyperf."""

    benchmarks: list[Benchmark]
    options: list[str] = field(default_factory=list)
    #: Whether a CA bundle is mounted at CA_PATH for pip.
    ca_bundle: bool = False
    setup: str = "pip install pyperf pyperformance"
    #: Per container: pyperformance's benchmarks folder in it.
    _folders: dict[str, str] = field(default_factory=dict)

    def pip_env(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in PIP_PASSTHROUGH if os.environ.get(k)}
        if self.ca_bundle:
            env.update(PIP_CERT=CA_PATH, SSL_CERT_FILE=CA_PATH, REQUESTS_CA_BUNDLE=CA_PATH)
        return env

    def prepare(self, backend: Backend, container: str, run: ImageRun) -> None:
        image = run.image
        run.python = python_version(backend, container, image)
        pip = [f"{VENV}/bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
               f"pyperf=={PYPERF_VERSION}", f"pyperformance=={PYPERFORMANCE_VERSION}"]
        try:
            backend.exec(container, ["python3", "-m", "venv", VENV])
            backend.exec(container, pip, env=self.pip_env())
        except EngineError as exc:
            hint = ""
            if "CERTIFICATE" in str(exc).upper() and not self.ca_bundle:
                hint = " (behind a TLS-intercepting proxy? pass its CA with --ca-bundle)"
            raise EngineError(f"{image}: installing pyperf and pyperformance failed: {exc}{hint}") from None
        self._folders[container] = backend.exec(container, [f"{VENV}/bin/python", "-c", _BENCHMARKS_DIR]).strip()

    def measure(self, backend: Backend, container: str, benchmark: Benchmark, round_: int) -> list[float]:
        out = f"{WORKDIR}/{benchmark.name}-{round_}.json"
        script, *args = benchmark.command
        command = [f"{VENV}/bin/python", f"{self._folders[container]}/{script}", *args, *self.options]
        backend.exec(container, [*command, "--quiet", "--output", out])
        return parse_pyperf(backend.read_file(container, out), benchmark.name)
