"""The CI build matrix derived from the plan (``bakegen matrix``).

Its whole output for the fixture project is pinned by golden files; regenerate them with the
others after an intended change: ``BAKEGEN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit``.
"""

from __future__ import annotations

import json
import os
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bakegen.bake.data import load_releases, load_variants_file
from bakegen.bake.matrix import build_matrix, merge_matrix
from bakegen.bake.plan import build_plan
from bakegen.cli import app
from bakegen.errors import BakegenError
from tests.kit.suite import FIXTURES, REPO

GOLDEN = REPO / "tests" / "golden"
runner = CliRunner()


@pytest.fixture
def plan():
    return build_plan(load_releases(FIXTURES / "versions"), *load_variants_file())


def invoke(*args: str):
    return runner.invoke(app, list(args), env={}, catch_exceptions=False)


@pytest.mark.parametrize(("golden", "args"), [("matrix.json", []), ("matrix-per-target.json", ["--per-target"])])
def test_golden(project_dir: Path, clean_env, golden: str, args: list[str]) -> None:
    # Empty filters, as workflow inputs are on push and schedule, mean everything.
    result = invoke("matrix", "-C", str(project_dir), "--lines", "", "--variants", "", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1  # one line, fit for $GITHUB_OUTPUT
    text = json.dumps(json.loads(result.stdout), indent=2) + "\n"
    if os.environ.get("BAKEGEN_UPDATE_GOLDEN") == "1":
        (GOLDEN / golden).write_text(text)
    assert text == (GOLDEN / golden).read_text(), "the matrix changed: see this module's docstring to regenerate"


def test_each_merge_job_downloads_exactly_its_own_digests(plan) -> None:
    # 3_13-wee is a prefix of 3_13-wee-optimized, and 3_13t-wee names another line: the globs must
    # still keep them apart.
    entries = build_matrix(plan)
    assert len({e.cache_scope for e in entries}) == len({e.artifact for e in entries}) == len(entries)
    for m in merge_matrix(entries):
        assert {e.artifact for e in entries if fnmatchcase(e.artifact, m.artifacts)} == {
            e.artifact for e in entries if e.target == m.target
        }


def test_filters(plan) -> None:
    entries = build_matrix(plan, lines=["3.13", "2.7"], variants=["wee"])
    assert sorted({e.target for e in entries}) == ["2_7-wee", "3_13-wee"]
    # A free-threaded build is a line of its own.
    assert {e.target for e in build_matrix(plan, lines=["3.13t"])} == {
        "3_13t-wee", "3_13t-wee-optimized", "3_13t-wee-optimized-lto",
    }
    assert {e.target for e in build_matrix(plan, lines=["3.13"])} == {
        "3_13-wee", "3_13-wee-optimized", "3_13-wee-optimized-lto",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lines": ["3.99"]}, "unknown line '3.99'"),
        ({"lines": ["3_13"]}, "unknown line '3_13'; did you mean 3.13?"),
        ({"lines": ["2.7t"]}, "unknown line '2.7t'"),
        ({"variants": ["wee-optimised"]}, "unknown variant 'wee-optimised'; did you mean wee-optimized?"),
        ({"platforms": []}, "--platforms is empty"),
        ({"platforms": ["amd64"]}, "'amd64' is not a platform"),
    ],
)
def test_bad_filters(plan, kwargs, message) -> None:
    with pytest.raises(BakegenError, match=message.replace("?", r"\?")):
        build_matrix(plan, **kwargs)


def test_platforms_without_a_native_runner_run_under_qemu(plan) -> None:
    platforms = ["linux/arm/v7", "linux/amd64", "linux/amd64"]
    entries = build_matrix(plan, lines=["3.13"], variants=["wee"], platforms=platforms)
    assert [(e.platform, e.arch, e.runner, e.qemu) for e in entries] == [
        ("linux/arm/v7", "arm-v7", "ubuntu-24.04", True),
        ("linux/amd64", "amd64", "ubuntu-24.04", False),
    ]
    assert entries[0].cache_scope == "3_13-wee-arm-v7"


def test_cli_filters_and_per_target(project_dir: Path, clean_env) -> None:
    result = invoke(
        "matrix", "-C", str(project_dir), "--lines", "3.13,3.16", "--variants", "wee", "--per-target", "--pretty"
    )
    assert result.exit_code == 0, result.output
    assert [m["target"] for m in json.loads(result.stdout)["include"]] == ["3_13-wee", "3_16-wee"]
    platforms = invoke("matrix", "-C", str(project_dir), "--line", "3.13", "--variant", "wee",
                       "--platforms", "linux/amd64")
    assert [e["platform"] for e in json.loads(platforms.stdout)["include"]] == ["linux/amd64"]


def test_cli_unknown_line_is_one_error_line(project_dir: Path, clean_env) -> None:
    result = invoke("matrix", "-C", str(project_dir), "--lines", "3.13,3.99")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "bakegen: error: unknown line '3.99' (known: 2.7, 3.13, 3.13t, 3.16, 3.16t)"
