"""What a run measured: the one input of the report, the chart and the JSON."""

from __future__ import annotations

from dataclasses import dataclass, field

from .benchmarks import Benchmark
from .containers import ImageSize
from .stats import Summary, ThreadImageSummary, Values, summarize, summarize_threads


@dataclass
class ImageRun:
    """One image as benchmarked: its name, Python, where it ran, how big it is."""

    image: str
    python: str = ""
    #: The CPUs its container was pinned to, None when unpinned.
    cpus: tuple[int, ...] | None = None
    size: ImageSize | None = None
    #: With --threads: ``sysconfig.get_config_var("Py_GIL_DISABLED")`` (None before 3.13) and
    #: ``sys._is_gil_enabled()`` (None before 3.13, where the GIL is always on).
    py_gil_disabled: int | None = None
    gil_enabled: bool | None = None

    @property
    def free_threaded(self) -> bool:
        return self.py_gil_disabled == 1

    @property
    def gil(self) -> bool:
        """Whether the GIL was on; builds before 3.13 always have it."""
        return self.gil_enabled is not False


@dataclass(frozen=True)
class ThreadSettings:
    """``bakegen bench --threads``: N threads, units of work per thread and run, runs per round."""

    threads: int
    work: int
    runs: int

    @property
    def one_name(self) -> str:
        """The key of the one-thread runs in :attr:`Results.values`."""
        return "1 thread"

    @property
    def many_name(self) -> str:
        return f"{self.threads} threads"


@dataclass
class Results:
    images: list[ImageRun]
    #: The pyperformance benchmarks; none with --threads.
    benchmarks: list[Benchmark]
    rounds: int
    #: pyperf's values, or with --threads the run times under ``one_name`` and ``many_name``; seconds.
    values: Values
    pyperf_options: list[str] = field(default_factory=list)
    base: ImageSize | None = None
    started: str = ""
    finished: str = ""
    notes: list[str] = field(default_factory=list)
    #: Set in --threads mode.
    threads: ThreadSettings | None = None
    #: With --threads: the process's CPU seconds during each run, in the shape of ``values``.
    cpu_seconds: Values = field(default_factory=dict)

    def summary(self) -> Summary:
        return summarize(self.values)

    def thread_summary(self) -> list[ThreadImageSummary]:
        if self.threads is None:
            raise ValueError("not a --threads run")
        t = self.threads
        cpu = self.cpu_seconds
        both = (cpu[t.one_name], cpu[t.many_name]) if t.one_name in cpu and t.many_name in cpu else None
        return summarize_threads(self.values[t.one_name], self.values[t.many_name], t.threads, t.work, both)


def size_added(size: ImageSize | None, base: ImageSize | None) -> dict[str, int | None] | None:
    """What an image adds on top of the base image (bytes), or None without both sizes."""
    if size is None or base is None:
        return None
    unpacked = None if size.uncompressed is None or base.uncompressed is None else size.uncompressed - base.uncompressed
    return {"uncompressed": unpacked, "compressed": size.compressed - base.compressed}
