"""Every value rendered into the bake file is escaped: a hostile project path or variant summary
reaches bake as the same text, and the file still parses."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bakegen.bake.render import hcl_string, render
from bakegen.bake.validate import check_text, parse, print_escaped
from bakegen.bakefile import DEBIAN_BUILDX
from bakegen.project import Project

HOSTILE = 'dir ${IMAGE_NAME} %{ if true }x%{ endif } "q" \\b\x01\x08\x0c\x1b[31m\x7f\u2028end'


def hostile_plan(project_dir: Path):
    plan = Project(project_dir).plan()
    variants = tuple(dataclasses.replace(v, summary=f"summary\x07 {HOSTILE}") for v in plan.variants)
    targets = tuple(dataclasses.replace(t, variant=variants[plan.variants.index(t.variant)]) for t in plan.targets)
    return dataclasses.replace(plan, variants=variants, targets=targets)


def test_control_characters_are_written_as_escapes() -> None:
    quoted = hcl_string(HOSTILE)
    assert all(c not in quoted for c in "\x01\x08\x0c\x1b\x7f\u2028\n")
    assert "\\u0001" in quoted and "\\u2028" in quoted and "$${IMAGE_NAME}" in quoted
    # HCL has no \b or \f escape (JSON's): bake refuses them as "Invalid escape sequence".
    assert "\\u0008" in quoted and "\\u000c" in quoted and "\\f" not in quoted


def test_a_hostile_context_and_summary_parse_back_verbatim(project_dir: Path) -> None:
    plan = hostile_plan(project_dir)
    text = render(plan, project_dir, context=f"/tmp/{HOSTILE}")
    assert len(text.splitlines()) == len(render(Project(project_dir).plan(), project_dir).splitlines())
    check_text(text, plan)
    target = next(body for block in parse(text)["target"] for name, body in block.items() if name == "3_13-wee")
    # python-hcl2 keeps escapes as written (bake, below, reads them back to the text itself)
    assert target["context"].startswith("/tmp/dir $${IMAGE_NAME} %%{ if true }") and "\\u0001" in target["context"]


def buildx_binaries() -> list[list[str]]:
    found = [["docker", "buildx"]] if shutil.which("docker") else []
    return found + ([[DEBIAN_BUILDX]] if Path(DEBIAN_BUILDX).exists() else [])


@pytest.mark.parametrize("buildx", buildx_binaries() or [pytest.param([], marks=pytest.mark.skip("no buildx"))])
def test_bake_reads_the_hostile_values_verbatim(project_dir: Path, tmp_path: Path, buildx: list[str]) -> None:
    plan = hostile_plan(project_dir)
    bake_file = tmp_path / "docker-bake.hcl"
    bake_file.write_text(render(plan, project_dir, context=f"/tmp/{HOSTILE}"))
    proc = subprocess.run([*buildx, "bake", "--file", str(bake_file), "--print", "3_13-wee"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)["target"]["3_13-wee"]
    assert got["context"] in (f"/tmp/{HOSTILE}", print_escaped(f"/tmp/{HOSTILE}"))
    summary = got["labels"]["org.opencontainers.image.description"]
    assert summary in (f"summary\x07 {HOSTILE}", print_escaped(f"summary\x07 {HOSTILE}"))
