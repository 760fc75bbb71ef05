"""What ``bakegen bench`` is asked for, and the checks that need no engine, made before anything starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BakegenError
from .benchmarks import Benchmark, select_benchmarks

DEFAULT_ROUNDS = 3
DEFAULT_OUTPUT = Path("bench-results")
#: ``--cpu``: pin to the engine's last CPU when it has two or more.
CPU_AUTO = "auto"
#: ``--cpu``: leave the containers unpinned.
CPU_NONE = "none"


@dataclass
class BenchRequest:
    images: list[str]
    #: Benchmark names, repeated or comma-separated; none: all of them.
    benchmarks: list[str] = field(default_factory=list)
    rounds: int = DEFAULT_ROUNDS
    fast: bool = False
    #: pyperf worker processes and values per process; None: pyperf's defaults, or --fast's.
    processes: int | None = None
    values: int | None = None
    #: CPU_AUTO, CPU_NONE, or a CPU number.
    cpu: str = CPU_AUTO
    base: str | None = None
    ca_bundle: Path | None = None
    registry_sizes: bool = False
    #: The folder the report goes to.
    output: Path = DEFAULT_OUTPUT


def parse_cpu(setting: str) -> int | str:
    """CPU_AUTO, CPU_NONE, or the CPU number asked for."""
    setting = setting.strip().lower()
    if setting in (CPU_AUTO, CPU_NONE):
        return setting
    try:
        cpu = int(setting)
    except ValueError:
        raise BakegenError(f"--cpu {setting}: expected {CPU_AUTO}, {CPU_NONE} or a CPU number") from None
    if cpu < 0:
        raise BakegenError(f"--cpu {cpu}: CPU numbers start at 0")
    return cpu


def choose_cpu(setting: str, available: int) -> int | None:
    """The CPU to pin every container to, or None; ``available`` is the engine's CPU count (0: unknown)."""
    cpu = parse_cpu(setting)
    if isinstance(cpu, str):
        return None if cpu == CPU_NONE or available < 2 else available - 1
    if available and cpu >= available:
        raise BakegenError(f"--cpu {cpu}: the engine has CPUs 0-{available - 1}")
    return cpu


def check_readable(path: Path, option: str) -> None:
    """``path`` is a regular file this process can read."""
    if not path.is_file():
        raise BakegenError(f"{option} {path}: {'not a regular file' if path.exists() else 'no such file'}")
    try:
        with path.open("rb") as f:
            f.read(1)
    except OSError as exc:
        raise BakegenError(f"{option} {path}: cannot read: {exc.strerror or exc}") from None


def check(request: BenchRequest) -> list[Benchmark]:
    """Every option that can be checked without the engine; returns the benchmarks selected."""
    if not request.images:
        raise BakegenError("name at least one image to benchmark")
    if any(not image.strip() for image in request.images):
        raise BakegenError("an image name is empty")
    for option, value in (("--rounds", request.rounds), ("--processes", request.processes),
                          ("--values", request.values)):
        if value is not None and value < 1:
            raise BakegenError(f"{option} {value}: must be 1 or more")
    parse_cpu(request.cpu)
    if request.ca_bundle is not None:
        check_readable(request.ca_bundle, "--ca-bundle")
    return select_benchmarks(request.benchmarks)
