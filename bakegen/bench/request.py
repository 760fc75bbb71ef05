"""What ``bakegen bench`` is asked for, and the checks that need no engine, made before anything starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BakegenError
from ..untrusted import quote
from .benchmarks import Benchmark, select_benchmarks

DEFAULT_ROUNDS = 3
DEFAULT_OUTPUT = Path("bench-results")
#: --threads: units of work per thread and run, and runs per round. One unit took about 2 ms with
#: 3.13 ``wee`` on a busy 2-CPU machine, so a one-thread run takes about 0.4 s.
DEFAULT_WORK = 200
THREAD_RUNS = 5
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
    #: --threads N: the threaded workload in 1 and N threads instead of pyperformance; None: pyperformance.
    threads: int | None = None
    #: --work: units of work per thread and run with --threads; None: DEFAULT_WORK.
    work: int | None = None


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


def choose_cpus(setting: str, available: int, count: int = 1) -> tuple[int, ...] | None:
    """The ``count`` CPUs to pin every container to, or None; ``available`` is the engine's CPU count (0: unknown).

    ``auto`` takes the engine's last ``count`` CPUs (none when it has fewer than 2); a number is the first
    of ``count`` consecutive CPUs.
    """
    cpu = parse_cpu(setting)
    if count > 1 and available and count > available:
        raise BakegenError(f"--threads {count}: the engine has {available} CPU{'s' if available > 1 else ''}")
    if isinstance(cpu, str):
        return None if cpu == CPU_NONE or available < max(count, 2) else tuple(range(available - count, available))
    if available and cpu + count > available:
        wanted = f"--cpu {cpu}" if count == 1 else f"--cpu {cpu} --threads {count} (CPUs {cpu}-{cpu + count - 1})"
        raise BakegenError(f"{wanted}: the engine has CPUs 0-{available - 1}")
    return tuple(range(cpu, cpu + count))


def check_readable(path: Path, option: str) -> None:
    """``path`` is a regular file this process can read."""
    if not path.is_file():
        raise BakegenError(f"{option} {path}: {'not a regular file' if path.exists() else 'no such file'}")
    try:
        with path.open("rb") as f:
            f.read(1)
    except OSError as exc:
        raise BakegenError(f"{option} {path}: cannot read: {exc.strerror or exc}") from None


#: Options of the pyperformance benchmarks, which mean nothing with --threads.
_PYPERF_ONLY = (("-b/--benchmark", "benchmarks"), ("--fast", "fast"), ("--processes", "processes"),
                ("--values", "values"))


def check_threads(request: BenchRequest) -> None:
    """--threads N and --work, and no pyperformance option beside them."""
    if request.threads is None:
        if request.work is not None:
            raise BakegenError("--work sets the work of --threads: give --threads N too")
        return
    if request.threads < 2:
        raise BakegenError(f"--threads {request.threads}: must be 2 or more (the run compares N threads with one)")
    if request.work is not None and request.work < 1:
        raise BakegenError(f"--work {request.work}: must be 1 or more")
    for option, name in _PYPERF_ONLY:
        if getattr(request, name):
            raise BakegenError(f"{option} is for the pyperformance benchmarks; --threads runs its own workload")


def check_image(image: str, what: str = "image") -> str:
    """A local image reference that docker can only read as one: not empty, no white space or
    control characters, and no leading '-', which docker would take for an option (``-v...``)."""
    if not image.strip():
        raise BakegenError(f"{what} {image!r}: an image name is empty")
    if image.startswith("-"):
        raise BakegenError(f"{what} {quote(image)}: starts with '-', which docker reads as an option; not an image")
    if not image.isprintable() or any(c.isspace() for c in image):
        raise BakegenError(f"{what} {quote(image)}: white space or control characters; not an image")
    return image


def check_benchmark_names(values: list[str]) -> None:
    """Each -b value names benchmarks: an empty one, or one of commas only, is a slip, not "all"."""
    for value in values:
        if any(not name.strip() for name in value.split(",")):
            raise BakegenError(
                f"-b/--benchmark {value!r}: an empty benchmark name; name benchmarks (see --list), "
                "or leave -b out for all of them"
            )


def check(request: BenchRequest) -> list[Benchmark]:
    """Every option that can be checked without the engine; returns the benchmarks selected (none with --threads)."""
    if not request.images:
        raise BakegenError("name at least one image to benchmark")
    for image in request.images:
        check_image(image)
    if request.base is not None:
        check_image(request.base, "--base")
    check_benchmark_names(request.benchmarks)
    for option, value in (("--rounds", request.rounds), ("--processes", request.processes),
                          ("--values", request.values)):
        if value is not None and value < 1:
            raise BakegenError(f"{option} {value}: must be 1 or more")
    check_threads(request)
    parse_cpu(request.cpu)
    if request.ca_bundle is not None:
        check_readable(request.ca_bundle, "--ca-bundle")
    return [] if request.threads else select_benchmarks(request.benchmarks)
