"""The README's speed table, generated from a campaign's results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bakegen.campaign import table
from bakegen.errors import DataError

REPO = Path(__file__).resolve().parents[2]


def results(tmp_path: Path) -> Path:
    """Three images over two benchmarks: base, a set 20 % faster on both, and the reference."""
    images = ["bakegen-campaign/base:t", "bakegen-campaign/fast:t", "ref:t", "deb:t"]
    bench = {
        "images": [{"image": i, "size": {"compressed": 40e6 + n * 1e6, "uncompressed": 120e6}}
                   for n, i in enumerate(images)],
        "benchmarks": [
            {"name": "nbody", "time": [1.0, 0.8, 1.2, 1.1]},
            {"name": "json", "time": [2.0, 1.6, 2.0, 2.4]},
        ],
    }
    campaign = {"sets": [
        {"name": "base", "image": images[0], "built": True, "summary": "b", "build_seconds": 500.0},
        {"name": "fast", "image": images[1], "built": True, "summary": "f", "build_seconds": 600.0},
        {"name": "broken", "image": "", "built": False},
        {"name": "reference", "image": images[2], "built": True, "build_seconds": 700.0},
        {"name": "debian-python3", "image": images[3], "built": True, "build_seconds": 20.0},
    ]}
    (tmp_path / "bench.json").write_text(json.dumps(bench))
    (tmp_path / "campaign.json").write_text(json.dumps(campaign))
    return tmp_path


def test_ratios_against_baseline_reference_and_debian(tmp_path: Path) -> None:
    text = table.render_table(results(tmp_path), "RUN")
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert set(rows) >= {"base", "fast", "reference", "debian-python3"}
    # fast: 1.25x the baseline on both; against the reference: 1.2/0.8 and 2.0/1.6 -> sqrt(1.5*1.25)
    assert rows["fast"].split(" | ")[1] == "1.25x"
    assert rows["fast"].split(" | ")[2] == f"{(1.5 * 1.25) ** 0.5:.2f}x"
    # against Debian: 1.1/0.8=1.375 and 2.4/1.6=1.5; the slowest is 1.375
    assert rows["fast"].split(" | ")[3] == f"{(1.375 * 1.5) ** 0.5:.2f}x"
    assert rows["fast"].split(" | ")[4] == "1.38x"
    assert rows["fast"].split(" | ")[5] == "41.0" and rows["fast"].split(" | ")[7] == "600 |"


def test_replace_table_rewrites_between_the_markers(tmp_path: Path) -> None:
    generated = table.render_table(results(tmp_path), "RUN")
    readme = f"intro\n{table.BEGIN.format(folder='OLD')}\nstale\n{table.END}\noutro\n"
    updated = table.replace_table(readme, generated)
    assert updated == f"intro\n{generated}outro\n"
    with pytest.raises(DataError, match="no table markers"):
        table.replace_table("no markers here\n", generated)


def test_a_folder_that_is_not_a_campaigns_results_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bench.json").write_text("{}")
    (tmp_path / "campaign.json").write_text("{}")
    with pytest.raises(DataError, match="not a campaign's results"):
        table.render_table(tmp_path)


def threads_results(folder: Path) -> Path:
    """A --threads 2 run over two images of the campaign above: one with the GIL, one without."""
    (folder / "threads").mkdir()
    images = [{"image": "bakegen-campaign/base:t", "gil_enabled": True},
              {"image": "bakegen-campaign/ft:t", "gil_enabled": False}]
    entries = [
        {"image": "bakegen-campaign/base:t", "one_thread_ratio": 1.0, "ratio": 1.0, "scaling": 1.01,
         "scaling_round_min": 0.99, "scaling_round_max": 1.02},
        {"image": "bakegen-campaign/ft:t", "one_thread_ratio": 0.8, "ratio": 1.55, "scaling": 1.94,
         "scaling_round_min": 1.9, "scaling_round_max": 1.97},
    ]
    data = {"images": images, "threads": {"threads": 2, "images": entries}}
    (folder / "threads" / "bench.json").write_text(json.dumps(data))
    return folder


def test_threads_table_names_images_as_the_campaign_does(tmp_path: Path) -> None:
    text = table.render_threads_table(threads_results(results(tmp_path)), "RUN")
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0][3] == "2 threads vs first"
    assert rows[1][:5] == ["| base", "on", "1.00x", "1.00x", "1.01x"]
    # An image the campaign does not know keeps its reference; the GIL column comes from the run.
    assert rows[2][:5] == ["| bakegen-campaign/ft:t", "off", "0.80x", "1.55x", "1.94x"]
    assert rows[2][5] == "1.90x to 1.97x |"


def test_update_readme_rewrites_both_tables_and_keeps_the_rest(tmp_path: Path) -> None:
    folder = threads_results(results(tmp_path))
    readme = (f"a\n{table.BEGIN.format(folder='X')}\nold\n{table.END}\nb\n"
              f"{table.THREADS_BEGIN.format(folder='X')}\nold\n{table.THREADS_END}\nc\n")
    updated = table.update_readme(readme, folder, "RUN")
    assert updated == (f"a\n{table.render_table(folder, 'RUN')}b\n{table.render_threads_table(folder, 'RUN')}c\n")
    assert table.update_readme(updated, folder, "RUN") == updated


def test_the_readme_tables_are_the_committed_results() -> None:
    """README.md's tables are what the committed campaign results give: edit the data, not the README
    (regenerate: python -m bakegen.campaign.table .github/bench/campaign README.md)."""
    folder = REPO / ".github" / "bench" / "campaign"
    readme = (REPO / "README.md").read_text()
    assert (folder / "bench.json").is_file() and (folder / "threads" / "bench.json").is_file()
    assert table.update_readme(readme, folder, ".github/bench/campaign") == readme
