"""The statistics of a run: per-benchmark times and ratios, and their geometric means and spreads."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

#: ``values[benchmark][image][round]``: the raw values (seconds) of one run.
Values = dict[str, list[list[list[float]]]]


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    return math.fsum(values) / len(values)


def geometric_mean(values: Sequence[float]) -> float:
    if not values or any(v <= 0 for v in values):
        raise ValueError("geometric mean needs positive values")
    return math.exp(math.fsum(math.log(v) for v in values) / len(values))


def geometric_std(values: Sequence[float]) -> float:
    """The geometric standard deviation (a factor, 1.0 means no spread); 1.0 for fewer than 2 values."""
    if len(values) < 2:
        return 1.0
    return math.exp(statistics.stdev(math.log(v) for v in values))


def ratio(first: float, other: float) -> float:
    """How much faster ``other`` is than ``first``: above 1 when ``other`` takes less time."""
    return first / other


@dataclass
class ImageSummary:
    #: Geometric mean over benchmarks of the ratios against the first image.
    geomean: float
    #: Geometric standard deviation of the per-benchmark ratios.
    gsd: float
    #: The per-round geometric means, lowest and highest.
    round_min: float
    round_max: float


@dataclass
class Summary:
    #: Per benchmark, per image: the mean over rounds of each round's mean, seconds.
    times: dict[str, list[float]]
    #: Per benchmark, per image: first image's time / this image's time.
    ratios: dict[str, list[float]]
    images: list[ImageSummary]


def round_means(values: Values) -> dict[str, list[list[float]]]:
    """``[benchmark][image][round]``: the mean of each round's values."""
    return {b: [[mean(r) for r in per_image] for per_image in v] for b, v in values.items()}


def summarize(values: Values) -> Summary:
    """Times, ratios and their geometric means from raw values."""
    if not values:
        raise ValueError("no benchmark results")
    means = round_means(values)
    times = {b: [mean(rounds) for rounds in per_image] for b, per_image in means.items()}
    ratios = {b: [ratio(t[0], ti) for ti in t] for b, t in times.items()}
    n_images = len(next(iter(times.values())))
    n_rounds = min(len(rounds) for per_image in means.values() for rounds in per_image)
    images = []
    for i in range(n_images):
        per_bench = [r[i] for r in ratios.values()]
        per_round = [geometric_mean([ratio(m[0][r], m[i][r]) for m in means.values()]) for r in range(n_rounds)]
        images.append(
            ImageSummary(geometric_mean(per_bench), geometric_std(per_bench), min(per_round), max(per_round))
        )
    return Summary(times, ratios, images)


# --- bakegen bench --threads ---------------------------------------------------------------------------------


def throughput(seconds: Sequence[float], units: int) -> float:
    """Units of work per second of runs that each did ``units`` units in ``seconds``: all the work over all
    the time, so a slow run weighs as much as it took."""
    return units / mean(seconds)


@dataclass
class ThreadImageSummary:
    """One image's throughput with one thread and with N, in units of work per second."""

    #: Per round: the round's throughput with one thread and with N threads.
    rounds_one: list[float]
    rounds_many: list[float]
    #: Means over the rounds.
    one: float
    many: float
    #: N-thread throughput / one-thread throughput, and its lowest and highest per round.
    scaling: float
    scaling_min: float
    scaling_max: float
    #: This image's N-thread throughput / the first image's, overall and per round (lowest, highest);
    #: and the same with one thread.
    ratio: float
    ratio_min: float
    ratio_max: float
    one_ratio: float
    #: CPUs kept busy (the process's CPU time / wall-clock time, over all runs) with one thread and
    #: with N; None when the CPU times are unknown.
    cpus_one: float | None = None
    cpus_many: float | None = None


def cpus_busy(cpu: list[list[float]], wall: list[list[float]]) -> float | None:
    """How many CPUs runs kept busy on average: all their CPU seconds over all their wall-clock seconds."""
    cpu_total = math.fsum(c for per_round in cpu for c in per_round)
    wall_total = math.fsum(w for per_round in wall for w in per_round)
    return cpu_total / wall_total if cpu and wall_total > 0 else None


def summarize_threads(
    one: list[list[list[float]]], many: list[list[list[float]]], threads: int, work: int,
    cpu: tuple[list[list[list[float]]], list[list[list[float]]]] | None = None,
) -> list[ThreadImageSummary]:
    """From ``[image][round]`` lists of run times (seconds) with one thread and with ``threads`` threads,
    each thread doing ``work`` units per run: per image, throughputs, scaling and ratios to the first image.
    ``cpu``: the runs' CPU seconds in the same shape (one thread, N threads), for the CPUs kept busy."""
    if not one or len(one) != len(many):
        raise ValueError("no thread results, or not as many with one thread as with N")
    rounds_one = [[throughput(r, work) for r in per_image] for per_image in one]
    rounds_many = [[throughput(r, threads * work) for r in per_image] for per_image in many]
    first = rounds_many[0]
    out = []
    for r_one, r_many in zip(rounds_one, rounds_many, strict=True):
        scaling = [m / o for o, m in zip(r_one, r_many, strict=True)]
        ratios = [m / f for f, m in zip(first, r_many, strict=False)]
        out.append(ThreadImageSummary(
            rounds_one=r_one, rounds_many=r_many, one=mean(r_one), many=mean(r_many),
            scaling=mean(r_many) / mean(r_one), scaling_min=min(scaling), scaling_max=max(scaling),
            ratio=mean(r_many) / mean(first), ratio_min=min(ratios), ratio_max=max(ratios),
            one_ratio=mean(r_one) / mean(rounds_one[0]),
        ))
    if cpu:
        for i, s in enumerate(out):
            s.cpus_one = cpus_busy(cpu[0][i], one[i]) if i < len(cpu[0]) else None
            s.cpus_many = cpus_busy(cpu[1][i], many[i]) if i < len(cpu[1]) else None
    return out
