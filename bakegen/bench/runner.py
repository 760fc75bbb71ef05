"""A run of ``bakegen bench``: check, measure sizes, one container per image, the rounds, clean-up.

Every option and every image is checked before the first container starts. Each container is a
long-lived ``sleep infinity`` (pinned to one CPU, the same for every image, when the engine has
two or more; with ``--threads N`` to N CPUs) in which the workload is prepared once. Then, for
each round, for each benchmark (with ``--threads``: one thread, then N threads), for each image,
the workload is measured once: interleaving the images inside every round
spreads slow drifts of the host (other load, heat) over all of them instead of one. The
containers are removed at the end, on errors, on Ctrl-C and on SIGTERM; Ctrl-C and SIGTERM wait
until they are gone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..errors import BakegenError, EngineError
from ..files import signals_held, sigterm_raises
from .benchmarks import Benchmark
from .containers import Backend, ImageSize
from .request import DEFAULT_WORK, THREAD_RUNS, BenchRequest, check, choose_cpus, parse_cpu
from .results import ImageRun, Results, ThreadSettings
from .stats import Values, mean
from .text import format_time, pinned_to
from .threads import ThreadWork, busy_notes
from .workload import Pyperformance, Workload, pyperf_options

Progress = Callable[[str], None]


def _quiet(line: str) -> None:
    """The default progress: none."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def workload_for(request: BenchRequest, benchmarks: list[Benchmark]) -> Workload:
    """The work this request measures: the thread workload with --threads, else the pyperformance benchmarks."""
    if request.threads:
        return ThreadWork(ThreadSettings(request.threads, request.work or DEFAULT_WORK, THREAD_RUNS))
    return Pyperformance(
        benchmarks,
        pyperf_options(request.fast, request.processes, request.values),
        ca_bundle=request.ca_bundle is not None,
    )


def check_engine(request: BenchRequest, backend: Backend) -> tuple[int, ...] | None:
    """What needs the engine: it answers, has every image, and the CPUs asked for. Returns the CPUs to pin to."""
    backend.require_daemon()
    for image in [*request.images, *([request.base] if request.base else [])]:
        if not backend.image_exists(image):
            raise BakegenError(f"image {image} is not in the local image store: build it with --load or pull it")
    return choose_cpus(request.cpu, backend.cpus(), request.threads or 1)


@dataclass
class _Session:
    """The containers of one run, and how to reach them."""

    request: BenchRequest
    backend: Backend
    workload: Workload
    progress: Progress
    notes: list[str] = field(default_factory=list)
    #: Container ids, in the order of the images.
    ids: list[str] = field(default_factory=list)

    def start(self, run: ImageRun, cpus: tuple[int, ...] | None) -> None:
        """A container for the image, pinned to ``cpus``; unpinned with a note when the engine refuses
        CPUs the user did not ask for."""
        name = f"bakegen-bench-{os.getpid()}-{len(self.ids) + 1}"
        ca = str(self.request.ca_bundle.resolve()) if self.request.ca_bundle else None
        try:
            self.ids.append(self.backend.start(run.image, name=name, cpus=cpus, ca_bundle=ca))
        except EngineError as exc:
            if cpus is None or isinstance(parse_cpu(self.request.cpu), int):
                raise
            note = f"cannot pin {run.image} to {pinned_to(cpus)} ({exc}); it runs unpinned"
            self.progress(f"note: {note}")
            self.notes.append(note)
            cpus = None
            self.ids.append(self.backend.start(run.image, name=name, cpus=None, ca_bundle=ca))
        run.cpus = cpus
        self.workload.prepare(self.backend, self.ids[-1], run)

    def measure(self, runs: list[ImageRun]) -> Values:
        """Every round: every benchmark on every image in turn."""
        rounds, benchmarks = self.request.rounds, self.workload.benchmarks
        values: Values = {b.name: [[] for _ in runs] for b in benchmarks}
        for rnd in range(1, rounds + 1):
            for b_index, b in enumerate(benchmarks, 1):
                for i, (cid, r) in enumerate(zip(self.ids, runs, strict=True)):
                    t0 = time.monotonic()
                    try:
                        got = self.workload.measure(self.backend, cid, b, rnd)
                    except EngineError as exc:
                        raise EngineError(f"{b.name} failed in {r.image}: {exc}") from None
                    values[b.name][i].append(got)
                    self.progress(
                        f"round {rnd}/{rounds} {b.name} ({b_index}/{len(benchmarks)}) image {i + 1}/{len(runs)}: "
                        f"{format_time(mean(got))} ({time.monotonic() - t0:.0f} s)"
                    )
        return values

    def remove(self) -> None:
        if not self.ids:
            return
        with signals_held():
            try:
                self.backend.remove(self.ids)
            except EngineError as exc:
                self.progress(f"warning: {exc}; remove them with: docker rm -f {' '.join(self.ids)}")


def measure_sizes(
    request: BenchRequest, backend: Backend, runs: list[ImageRun], progress: Progress
) -> ImageSize | None:
    """Each image's size, and the base image's (returned) when one is given."""
    for i, r in enumerate(runs, 1):
        progress(f"size image {i}/{len(runs)} {r.image}")
        r.size = backend.image_size(r.image, registry=request.registry_sizes)
    if not request.base:
        return None
    progress(f"size base {request.base}")
    return backend.image_size(request.base, registry=request.registry_sizes)


def run(request: BenchRequest, backend: Backend, progress: Progress = _quiet) -> Results:
    """Check everything, measure the sizes, set up one container per image, run the rounds, remove the containers."""
    workload = workload_for(request, check(request))
    cpus = check_engine(request, backend)
    started = _now()
    runs = [ImageRun(image) for image in request.images]
    base = measure_sizes(request, backend, runs, progress)
    session = _Session(request, backend, workload, progress)
    with sigterm_raises():
        try:
            for i, r in enumerate(runs, 1):
                where = f"on {pinned_to(cpus)}" if cpus else "unpinned"
                progress(f"setup image {i}/{len(runs)} {r.image}: container {where}, {workload.setup}")
                session.start(r, cpus)
            values = session.measure(runs)
        finally:
            session.remove()
    threads = workload.settings if isinstance(workload, ThreadWork) else None
    results = Results(
        images=runs, benchmarks=[] if threads else list(workload.benchmarks), rounds=request.rounds,
        values=values, pyperf_options=[] if threads else workload.options, base=base, started=started,
        finished=_now(), notes=session.notes, threads=threads,
    )
    if isinstance(workload, ThreadWork):
        results.cpu_seconds = workload.cpu_seconds(session.ids)
        results.notes += busy_notes(results)
    return results
