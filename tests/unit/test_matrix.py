"""The CI build matrix derived from the plan (``bakegen matrix``)."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bakegen.bake.data import load_releases, load_variants, load_variants_file
from bakegen.bake.matrix import build_matrix, github_matrix, merge_matrix, split_list
from bakegen.bake.plan import build_plan
from bakegen.cli import app
from bakegen.errors import BakegenError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
runner = CliRunner()


@pytest.fixture
def plan():
    return build_plan(load_releases(FIXTURES / "versions"), load_variants())


def test_one_entry_per_target_and_platform(plan) -> None:
    entries = build_matrix(plan)
    assert [(e.target, e.platform) for e in entries] == [
        (t, p) for t in plan.names() for p in ("linux/amd64", "linux/arm64")
    ]
    e = next(e for e in entries if e.target == "3_13-wee-optimized-lto" and e.platform == "linux/arm64")
    assert (e.line, e.variant, e.version) == ("3.13", "wee-optimized-lto", "3.13.15")
    assert (e.arch, e.runner, e.qemu) == ("arm64", "ubuntu-24.04-arm", False)
    assert e.cache_scope == "3_13-wee-optimized-lto-arm64"
    assert e.artifact == "digests--3_13-wee-optimized-lto--arm64"
    assert {e.runner for e in entries if e.platform == "linux/amd64"} == {"ubuntu-24.04"}


def test_cache_scopes_and_artifacts_are_unique(plan) -> None:
    entries = build_matrix(plan)
    assert len({e.cache_scope for e in entries}) == len(entries)
    assert len({e.artifact for e in entries}) == len(entries)


def test_each_merge_job_downloads_exactly_its_own_digests(plan) -> None:
    # 3_13-wee is a prefix of 3_13-wee-optimized: the globs must still keep them apart.
    entries = build_matrix(plan)
    merges = merge_matrix(entries)
    assert [m.target for m in merges] == plan.names()
    for m in merges:
        assert {e.artifact for e in entries if fnmatchcase(e.artifact, m.artifacts)} == {
            e.artifact for e in entries if e.target == m.target
        }
        assert m.platforms == "linux/amd64,linux/arm64"


def test_filters(plan) -> None:
    entries = build_matrix(plan, lines=["3.13", "2.7"], variants=["wee"])
    assert sorted({e.target for e in entries}) == ["2_7-wee", "3_13-wee"]
    assert {e.target for e in build_matrix(plan, variants=["wee-optimized-lto"])} == {
        "2_7-wee-optimized-lto", "3_13-wee-optimized-lto", "3_16-wee-optimized-lto",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lines": ["3.99"]}, "unknown line '3.99'"),
        ({"lines": ["3_13"]}, "unknown line '3_13'; did you mean 3.13?"),
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


def test_split_list() -> None:
    assert split_list(None) == [] and split_list("") == [] and split_list(["", " "]) == []
    assert split_list(" 3.13 , 3.14,") == ["3.13", "3.14"]
    assert split_list(["3.13,3.14", "2.7"]) == ["3.13", "3.14", "2.7"]


def test_github_matrix_shape(plan) -> None:
    data = github_matrix(build_matrix(plan, lines=["3.16"], variants=["wee"]))
    assert list(data) == ["include"] and len(data["include"]) == 2
    assert set(data["include"][0]) == {
        "target", "line", "variant", "version", "platform", "arch", "runner", "qemu", "cache_scope", "artifact",
    }


# --- CLI ------------------------------------------------------------------------------------------


def invoke(*args: str):
    return runner.invoke(app, list(args), env={}, catch_exceptions=False)


def test_cli_prints_one_line_of_json(project_dir: Path, clean_env) -> None:
    # Empty filters, as workflow inputs are on push and schedule, mean everything.
    result = invoke("matrix", "-C", str(project_dir), "--lines", "", "--variants", "")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1  # one line, fit for $GITHUB_OUTPUT
    data = json.loads(result.stdout)
    # 3 lines x 3 variants, and the free-threaded 3.13t and 3.16t in each variant, for 2 platforms
    assert len(data["include"]) == (9 + 6) * 2


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


def test_a_free_threaded_build_is_a_line_of_its_own() -> None:
    plan = build_plan(load_releases(FIXTURES / "versions"), *load_variants_file())
    entries = build_matrix(plan, lines=["3.13t"], variants=["wee"])
    assert [(e.target, e.line, e.version, e.platform) for e in entries] == [
        ("3_13t-wee", "3.13t", "3.13.15", "linux/amd64"), ("3_13t-wee", "3.13t", "3.13.15", "linux/arm64"),
    ]
    assert {e.target for e in build_matrix(plan, lines=["3.13"])} == {
        "3_13-wee", "3_13-wee-optimized", "3_13-wee-optimized-lto",
    }
    # 3_13-wee's artifact glob must not take 3_13t-wee's digests, nor the other way round
    merges = {m.target: m.artifacts for m in merge_matrix(build_matrix(plan))}
    assert not fnmatchcase("digests--3_13t-wee--amd64", merges["3_13-wee"])
    assert not fnmatchcase("digests--3_13-wee--amd64", merges["3_13t-wee"])
    with pytest.raises(BakegenError, match="unknown line '2.7t'"):
        build_matrix(plan, lines=["2.7t"])
