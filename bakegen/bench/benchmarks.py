"""The benchmarks ``bakegen bench`` runs: the one table of them, which ``bakegen bench --list`` prints.

Each is a pyperformance benchmark that needs the standard library only (its ``pyproject.toml``
depends on pyperf alone and it ships no ``requirements.txt``), so any image with a working pip
and pyperf's minimum Python runs them. Why these: docs/benchmarking.md, "`bakegen bench`".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import BakegenError, did_you_mean

PYPERFORMANCE_VERSION = "1.14.0"
PYPERF_VERSION = "2.11.0"


@dataclass(frozen=True)
class Benchmark:
    """One pyperformance benchmark: its ``bm_*`` folder and the arguments its manifest adds."""

    name: str
    directory: str
    args: tuple[str, ...] = ()
    #: What it exercises, for the list and the report.
    area: str = ""

    @property
    def command(self) -> list[str]:
        """The script and arguments, relative to pyperformance's benchmarks folder."""
        return [f"{self.directory}/run_benchmark.py", *self.args]


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("unpack_sequence", "bm_unpack_sequence", area="interpreter loop"),
    Benchmark("fannkuch", "bm_fannkuch", area="interpreter loop"),
    Benchmark("nbody", "bm_nbody", area="interpreter loop"),
    Benchmark("spectral_norm", "bm_spectral_norm", area="interpreter loop"),
    Benchmark("float", "bm_float", area="interpreter loop"),
    Benchmark("richards", "bm_richards", area="function calls"),
    Benchmark("coroutines", "bm_coroutines", area="function calls"),
    Benchmark("generators", "bm_generators", area="function calls"),
    Benchmark("deltablue", "bm_deltablue", area="objects"),
    Benchmark("go", "bm_go", area="objects"),
    Benchmark("raytrace", "bm_raytrace", area="objects"),
    Benchmark("chaos", "bm_chaos", area="objects"),
    Benchmark("regex_v8", "bm_regex_v8", area="regex"),
    Benchmark("regex_effbot", "bm_regex_effbot", area="regex"),
    Benchmark("json_dumps", "bm_json_dumps", area="json, unicode (non-ASCII strings)"),
    Benchmark("json_loads", "bm_json_loads", area="json"),
    Benchmark("pickle", "bm_pickle", ("pickle",), area="pickle (C accelerator)"),
    Benchmark("unpickle_pure_python", "bm_pickle", ("--pure-python", "unpickle"), area="pickle (pure Python)"),
    Benchmark("python_startup", "bm_python_startup", area="startup"),
    Benchmark("python_startup_no_site", "bm_python_startup", ("--no-site",), area="startup"),
)


def split_names(names: Sequence[str] | None) -> list[str]:
    """Names as given: repeated, comma-separated, or both."""
    return [n.strip() for item in names or () for n in item.split(",") if n.strip()]


def select_benchmarks(names: Sequence[str] | None) -> list[Benchmark]:
    """The named benchmarks in the table's order (all of them for none); unknown names are errors."""
    wanted = split_names(names)
    if not wanted:
        return list(BENCHMARKS)
    known = [b.name for b in BENCHMARKS]
    for name in wanted:
        if name not in known:
            raise BakegenError(f"unknown benchmark '{name}'{did_you_mean(name, known, '; see `bakegen bench --list`')}")
    return [b for b in BENCHMARKS if b.name in wanted]


def benchmark_list() -> str:
    """The table as ``bakegen bench --list`` prints it: name, area, command."""
    width = max(len(b.name) for b in BENCHMARKS)
    area_width = max(len(b.area) for b in BENCHMARKS)
    lines = [f"{len(BENCHMARKS)} pyperformance {PYPERFORMANCE_VERSION} benchmarks (standard library only):"]
    lines += [f"  {b.name:<{width}}  {b.area:<{area_width}}  {' '.join(b.command)}" for b in BENCHMARKS]
    return "\n".join(lines) + "\n"
