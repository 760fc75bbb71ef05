"""``bakegen bench`` output: the text report, the JSON, the chart, and writing them."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bakegen.bench import containers, report, text
from bakegen.bench.chart import render_svg
from bakegen.errors import BakegenError
from tests.kit.bench import sample_results, size


def test_format_time_and_size() -> None:
    assert text.format_time(0.148) == "148 ms"
    assert text.format_time(0.0255) == "25.5 ms"
    assert text.format_time(1.234) == "1.23 s"
    assert text.format_time(3.5e-6) == "3.5 us"
    assert text.format_time(2e-10) == "0.2 ns"
    assert text.format_time(2000.0) == "2000 s"
    assert text.format_size(47_873_698) == "47.9 MB"
    assert text.format_size(12_077_679, signed=True) == "+12.1 MB"
    assert text.format_size(-1_500_000, signed=True) == "-1.5 MB"
    assert text.format_size(None) == "unknown"


def test_format_report() -> None:
    text = report.format_report(sample_results())
    lines = text.splitlines()
    assert lines[0] == ("bakegen bench: 2 benchmarks x 2 image(s) x 2 round(s), pyperformance 1.14.0, "
                        "pyperf 2.11.0 (--processes 3)")
    assert lines[3].split() == ["1", "reg.example/python:3.13-wee", "3.13.15", "1"]
    nbody = next(line for line in lines if line.startswith("nbody"))
    assert nbody.split() == ["nbody", "150", "ms", "112", "ms", "1.33x"]
    json_dumps = next(line for line in lines if line.startswith("json_dumps"))
    assert json_dumps.split() == ["json_dumps", "20", "ms", "16", "ms", "1.25x"]
    geo = next(line for line in lines if line.startswith("geometric mean"))
    assert geo.split()[-1] == f"{math.sqrt(4 / 3 * 1.25):.2f}x"
    assert any("range over rounds" in line and "1.22-1.37" in line for line in lines)
    # the ratio column lines up under its header
    header = next(line for line in lines if line.startswith("benchmark"))
    assert header.rindex("ratio") + len("ratio") == len(nbody)
    assert "adds on top of base" in text and "+40.0 MB / +12.0 MB" in text and "+50.0 MB / +14.0 MB" in text
    assert "compressed: " + containers.METHOD_STORE in text
    assert "uncompressed: " + containers.METHOD_TARS in text
    no_base = report.format_report(sample_results(base=False))
    assert "adds on top of base" not in no_base and "130.0 MB" in no_base


def test_report_with_one_image_has_no_ratios() -> None:
    r = sample_results()
    r.images = r.images[:1]
    r.values = {k: v[:1] for k, v in r.values.items()}
    text = report.format_report(r)
    header = next(line for line in text.splitlines() if line.startswith("benchmark"))
    assert header.split() == ["benchmark", "#1"]
    assert "geometric mean" not in text


def test_report_notes_and_unknown_sizes() -> None:
    r = sample_results()
    r.images[1].size = size("lto", None, 50e6)  # zstd layers: uncompressed size unknown
    r.notes = ["cannot pin b to CPU 1 (refused); it runs unpinned"]
    text = report.format_report(r)
    assert "unknown / +14.0 MB" in text
    assert text.splitlines()[-1] == "note: cannot pin b to CPU 1 (refused); it runs unpinned"


def test_svg_chart() -> None:
    svg = render_svg(sample_results())
    root = ET.fromstring(svg)  # well-formed, names escaped
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "#2 reg.example/python:3.13-<lto>" in texts
    assert "geometric mean" in texts and "nbody" in texts and "json_dumps" in texts
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(bars) == 2 * 3  # 2 images x (geometric mean + 2 benchmarks)
    # the bars are proportional to the ratios: nbody's second bar is 4/3 of its first
    widths = {r.find(f"{ns}title").text: float(r.get("width")) for r in bars}
    assert widths["#2: 1.333"] / widths["#1: 1.000"] == pytest.approx(4 / 3, rel=1e-2)


def test_json_has_all_raw_values() -> None:
    r = sample_results()
    data = json.loads(report.to_json(r))
    assert data["pyperformance"] == "1.14.0" and data["pyperf_options"] == ["--processes", "3"]
    nbody = next(b for b in data["benchmarks"] if b["name"] == "nbody")
    assert nbody["values"] == r.values["nbody"]
    assert nbody["command"] == ["bm_nbody/run_benchmark.py"]
    assert nbody["round_means"] == [[0.150, 0.150], [0.100, 0.125]]
    assert nbody["ratio"][1] == pytest.approx(4 / 3)
    assert data["images"][1]["adds_on_top_of_base"] == {"uncompressed": 50e6, "compressed": 14e6}
    assert data["images"][0]["size"]["compressed_method"] == containers.METHOD_STORE


def test_write_report(tmp_path: Path) -> None:
    out = tmp_path / "a" / "results"
    written = report.write_report(out, sample_results())
    assert sorted(p.name for p in written) == sorted(report.REPORT_FILES)
    assert sorted(p.name for p in out.iterdir()) == sorted(report.REPORT_FILES)  # no temporary files left
    assert json.loads((out / "bench.json").read_text())["rounds"] == 2
    assert (out / "bench.txt").read_text() == report.format_report(sample_results())


def test_write_report_failure_leaves_old_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report.write_report(tmp_path, sample_results())
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}

    def broken(results):
        raise RuntimeError("chart failed")

    monkeypatch.setitem(report.RENDERERS, "bench.svg", broken)
    with pytest.raises(RuntimeError):
        report.write_report(tmp_path, sample_results(base=False))
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == before


def test_write_report_is_all_or_nothing(tmp_path: Path) -> None:
    report.write_report(tmp_path, sample_results())
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}
    (tmp_path / "bench.svg").unlink()
    (tmp_path / "bench.svg").mkdir()  # one file that cannot be written
    with pytest.raises(BakegenError, match="bench.svg"):
        report.write_report(tmp_path, sample_results(base=False))
    assert (tmp_path / "bench.json").read_text() == before["bench.json"]
    assert (tmp_path / "bench.txt").read_text() == before["bench.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(report.REPORT_FILES)  # no temporary files left


def test_check_output_accepts_a_new_folder_and_leaves_nothing(tmp_path: Path) -> None:
    report.check_output(tmp_path / "new" / "deeper")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "bench.txt").write_text("previous report")
    report.check_output(tmp_path / "old")
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["bench.txt"]


def test_check_output_refuses(tmp_path: Path) -> None:
    with pytest.raises(BakegenError, match="--output /dev/null/x: cannot write the report there: Not a directory"):
        report.check_output(Path("/dev/null/x"))
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(BakegenError, match="cannot write the report there: File exists"):
        report.check_output(a_file)
    with pytest.raises(BakegenError, match="cannot write the report there: Not a directory"):
        report.check_output(a_file / "below")
    with pytest.raises(BakegenError, match="cannot write the report there"):
        report.check_output(Path("/proc/bakegen-bench"))  # a file system that takes no folders
