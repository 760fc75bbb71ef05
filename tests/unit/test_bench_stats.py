"""``bakegen bench`` statistics and the reading of pyperf's results."""

from __future__ import annotations

import json
import math

import pytest

from bakegen.bench import stats
from bakegen.bench.workload import parse_pyperf, pyperf_options
from bakegen.errors import EngineError


def test_geometric_mean_and_std() -> None:
    assert stats.geometric_mean([2.0, 8.0]) == pytest.approx(4.0)
    assert stats.geometric_mean([1.5]) == pytest.approx(1.5)
    assert stats.geometric_std([1.0, 1.0, 1.0]) == pytest.approx(1.0)
    assert stats.geometric_std([2.0]) == 1.0
    # log-values 0 and log 4: sample stdev log(4)/sqrt(2) -> factor 4 ** (1 / sqrt(2))
    assert stats.geometric_std([1.0, 4.0]) == pytest.approx(4 ** (1 / math.sqrt(2)))
    with pytest.raises(ValueError):
        stats.geometric_mean([])
    with pytest.raises(ValueError):
        stats.geometric_mean([1.0, 0.0])


def test_ratio_is_first_over_other() -> None:
    assert stats.ratio(2.0, 1.0) == 2.0  # the other image takes half the time: twice as fast
    assert stats.ratio(1.0, 2.0) == 0.5


def test_summarize() -> None:
    values = {
        # image 1 takes 2 s, image 2 takes 1 s in round 1 and 2 s in round 2
        "a": [[[2.0, 2.0], [2.0]], [[1.0], [2.0, 2.0]]],
        # image 1 takes 1 s, image 2 takes 0.5 s in both rounds
        "b": [[[1.0], [1.0]], [[0.5], [0.5]]],
    }
    s = stats.summarize(values)
    assert s.times["a"] == [2.0, 1.5]
    assert s.ratios["a"] == [1.0, pytest.approx(4 / 3)]
    assert s.ratios["b"] == [1.0, 2.0]
    first, second = s.images
    assert (first.geomean, first.gsd, first.round_min, first.round_max) == (1.0, 1.0, 1.0, 1.0)
    assert second.geomean == pytest.approx(math.sqrt(4 / 3 * 2))
    # per-benchmark ratios 4/3 and 2: sample stdev of their logs is |log(2 / (4/3))| / sqrt(2)
    assert second.gsd == pytest.approx(math.exp(math.log(1.5) / math.sqrt(2)))
    # round 1: ratios 2 and 2 -> 2; round 2: ratios 1 and 2 -> sqrt 2
    assert second.round_min == pytest.approx(math.sqrt(2))
    assert second.round_max == pytest.approx(2.0)
    with pytest.raises(ValueError, match="no benchmark results"):
        stats.summarize({})


def test_parse_pyperf() -> None:
    doc = {
        "version": "1.0",
        "metadata": {"name": "nbody", "unit": "second"},
        "benchmarks": [{"runs": [
            {"metadata": {"calibrate_loops": 1}, "warmups": [[1, 0.2]]},
            {"values": [0.15, 0.16], "warmups": [[1, 0.17]]},
            {"values": [0.14]},
        ]}],
    }
    assert parse_pyperf(json.dumps(doc)) == [0.15, 0.16, 0.14]
    with pytest.raises(EngineError, match="nbody: unreadable"):
        parse_pyperf("{", "nbody")
    with pytest.raises(EngineError, match="without usable values"):
        parse_pyperf(json.dumps({"benchmarks": [{"runs": [{"warmups": []}]}]}))
    with pytest.raises(EngineError, match="without usable values"):
        parse_pyperf(json.dumps({"benchmarks": [{"runs": [{"values": [0.1, -0.1]}]}]}))


def test_pyperf_options() -> None:
    assert pyperf_options(False, None, None) == []
    assert pyperf_options(True, None, None) == ["--processes", "3", "--values", "2"]
    assert pyperf_options(True, 5, None) == ["--processes", "5", "--values", "2"]
    assert pyperf_options(False, None, 4) == ["--values", "4"]
