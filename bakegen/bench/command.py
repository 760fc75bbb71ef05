"""``bakegen bench``: check every option, run the benchmarks, write the report."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace

from ..options import ca_bundle
from . import runner
from .benchmarks import benchmark_list
from .containers import Backend, DockerBackend
from .report import check_output, format_report, write_report
from .request import BenchRequest


def bench(
    request: BenchRequest,
    report: Callable[[str], None],
    progress: Callable[[str], None],
    *,
    list_benchmarks: bool = False,
    backend: Backend | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Print the benchmark table (``list_benchmarks``), or run: a bad option, an output folder that
    cannot take the report or a missing image fails before the first container starts; ``report``
    gets the report's text, ``progress`` each step as it starts. Without --ca-bundle, CA_BUNDLE."""
    if list_benchmarks:
        report(benchmark_list())
        return
    request = replace(request, ca_bundle=ca_bundle(request.ca_bundle, os.environ if environ is None else environ))
    check_output(request.output)
    results = runner.run(request, backend or DockerBackend(), progress)
    written = write_report(request.output, results)
    report(format_report(results) + f"wrote {' '.join(str(p) for p in written)}\n")
