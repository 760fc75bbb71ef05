"""What a run measured: the one input of the report, the chart and the JSON."""

from __future__ import annotations

from dataclasses import dataclass, field

from .benchmarks import Benchmark
from .containers import ImageSize
from .stats import Summary, Values, summarize


@dataclass
class ImageRun:
    """One image as benchmarked: its name, Python, where it ran, how big it is."""

    image: str
    python: str = ""
    #: The CPU its container was pinned to, None when unpinned.
    cpu: int | None = None
    size: ImageSize | None = None


@dataclass
class Results:
    images: list[ImageRun]
    benchmarks: list[Benchmark]
    rounds: int
    #: pyperf's values, seconds.
    values: Values
    pyperf_options: list[str] = field(default_factory=list)
    base: ImageSize | None = None
    started: str = ""
    finished: str = ""
    notes: list[str] = field(default_factory=list)

    def summary(self) -> Summary:
        return summarize(self.values)


def size_added(size: ImageSize | None, base: ImageSize | None) -> dict[str, int | None] | None:
    """What an image adds on top of the base image (bytes), or None without both sizes."""
    if size is None or base is None:
        return None
    unpacked = None if size.uncompressed is None or base.uncompressed is None else size.uncompressed - base.uncompressed
    return {"uncompressed": unpacked, "compressed": size.compressed - base.compressed}
