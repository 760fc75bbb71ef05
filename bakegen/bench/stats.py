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
