"""Rendering: the golden file, determinism, escaping, atomic writes, and the checks on the text.

Regenerate the golden file after an intended change with:
    BAKEGEN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_render.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bakegen import core
from bakegen.bake.render import hcl_string
from bakegen.bake.validate import ValidationError, check_text, compare_printed, expected, parse, settings
from bakegen.files import write_atomic

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "docker-bake.hcl"
REPO = Path(__file__).resolve().parents[2]


def test_golden(project_dir: Path) -> None:
    text = core.Project(project_dir).render_text()
    if os.environ.get("BAKEGEN_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "rendering changed: see the docstring of this module to regenerate"


def test_rendering_is_deterministic(project_dir: Path) -> None:
    project = core.Project(project_dir)
    assert project.render_text() == project.render_text()


def test_committed_bake_file_is_fresh() -> None:
    assert core.check_project(core.Project(REPO)) == "", "run `bakegen render`"


def test_public_defaults(project_dir: Path) -> None:
    defaults = settings(parse(core.Project(project_dir).render_text()), {})
    assert defaults["BASE_IMAGE"] == "debian:trixie-slim"
    assert defaults["BASE_IMAGE_BULLSEYE"] == "debian:bullseye-slim"
    assert defaults["PYTHON_MIRROR"] == "https://www.python.org/ftp/python"
    assert defaults["PLATFORMS"] == "linux/amd64,linux/arm64"
    assert "localhost" not in core.Project(project_dir).render_text()


def test_header_says_do_not_edit(project_dir: Path) -> None:
    assert "DO NOT EDIT" in core.Project(project_dir).render_text().splitlines()[1]


def test_hcl_string_escapes_templates() -> None:
    assert hcl_string('a "b" ${c} %{d}') == '"a \\"b\\" $${c} %%{d}"'
    parsed = parse(f'variable "X" {{\n  default = {hcl_string("x ${y}")}\n}}\n')
    assert parsed["variable"][0]["X"]["default"] in ("x $${y}", "x ${y}")


def test_write_atomic_replaces_or_leaves_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.hcl"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "newer")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.hcl"]


def test_check_text_finds_what_the_plan_misses(project_dir: Path) -> None:
    project = core.Project(project_dir)
    plan = project.plan()
    text = project.render_text()
    check_text(text, plan)
    with pytest.raises(ValidationError, match="arg PYTHON_SHA256"):
        sha = plan.targets[0].release.tarball.sha256
        check_text(text.replace(f'PYTHON_SHA256  = "{sha}"', f'PYTHON_SHA256  = "{"0" * 64}"', 1), plan)
    dropped = text.replace('  cache-to   = cache_to("3_13-wee")\n', "")
    with pytest.raises(ValidationError, match="target '3_13-wee' lacks 'cache-to'"):
        check_text(dropped, plan)
    with pytest.raises(ValidationError, match="names '3_13-nope', which is not defined"):
        check_text(text.replace('targets = ["3_13-wee", ', 'targets = ["3_13-nope", ', 1), plan)
    with pytest.raises(ValidationError, match="does not parse"):
        check_text(text + "\ntarget {{{\n", plan)


def test_compare_printed(project_dir: Path) -> None:
    project = core.Project(project_dir)
    plan = project.plan()
    values = settings(parse(project.render_text()), {"REGISTRY": "r1/ns, r2", "CACHE": "gha"})
    printed = {"target": {t.name: expected(t, plan, values) for t in plan.targets}}
    assert compare_printed(printed, plan, values) == []
    t = printed["target"]["3_13-wee"]
    assert t["tags"][0] == "r1/ns/python:3.13.15-wee" and t["tags"][-1] == "r2/python:3-wee"
    # New buildx prints cache entries as objects; that is the same thing.
    t["cache-from"] = [{"type": "gha", "scope": "3_13-wee"}]
    assert compare_printed(printed, plan, values) == []
    # A dropped attribute (as bake does with ones it does not know) is a difference.
    del t["labels"]
    printed["target"]["3_13-wee-optimized"]["args"]["LTO"] = "1"
    printed["target"]["extra"] = {}
    problems = compare_printed(printed, plan, values)
    assert any(p.startswith("3_13-wee: labels") for p in problems)
    assert any(p.startswith("3_13-wee-optimized: args") for p in problems)
    assert "extra: printed by bake but not in the plan" in problems
