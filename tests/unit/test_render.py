"""Rendering: the golden file, determinism, escaping, atomic writes, and the checks on the text.

Regenerate the golden file after an intended change with:
    BAKEGEN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bakegen import bakefile
from bakegen.bake.render import hcl_string
from bakegen.bake.validate import ValidationError, check_text, compare_printed, parse, print_escaped, variable_defaults
from bakegen.errors import BakegenError
from bakegen.files import write_atomic
from bakegen.options import merged
from bakegen.project import Project

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "docker-bake.hcl"
PRINTED = Path(__file__).resolve().parents[1] / "golden" / "bake-print.json"
REPO = Path(__file__).resolve().parents[2]


def test_golden(project_dir: Path) -> None:
    text = Project(project_dir).render_text()
    if os.environ.get("BAKEGEN_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "rendering changed: see the docstring of this module to regenerate"


RENDER = (
    "import sys; from pathlib import Path; from bakegen.project import Project; "
    "sys.stdout.write(Project(Path(sys.argv[1])).render_text())"
)


def test_rendering_is_deterministic(project_dir: Path) -> None:
    """Separate interpreters with different hash seeds and clocks render the same bytes."""
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": seed, "TZ": f"UTC+{seed}"}
        proc = subprocess.run([sys.executable, "-c", RENDER, str(project_dir)], capture_output=True, env=env)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1] == GOLDEN.read_bytes()


def test_committed_bake_file_is_fresh() -> None:
    assert bakefile.stale_diff(Project(REPO)) == "", "run `bakegen render`"


def dockerfile_stages(path: Path) -> set[str]:
    return set(re.findall(r"^FROM\s.*\sAS\s+(\S+)\s*$", path.read_text(), flags=re.MULTILINE | re.IGNORECASE))


def test_every_target_builds_a_stage_of_its_own_dockerfile() -> None:
    blocks = parse((REPO / "docker-bake.hcl").read_text())["target"]
    targets = {name: body for block in blocks for name, body in block.items()}
    seen = set()
    for name, own in targets.items():
        body = {k: v for parent in own.get("inherits", []) for k, v in targets[parent].items()} | own
        dockerfile = REPO / body["dockerfile"]
        assert dockerfile.is_file(), f"{name}: {body['dockerfile']}"
        # a conditional target (custom) names its stages as quoted words
        stages = re.findall(r'"([a-z0-9-]+)"', body["target"]) if "${" in body["target"] else [body["target"]]
        assert stages and set(stages) <= dockerfile_stages(dockerfile), (name, body["dockerfile"], stages)
        seen.add((name, body["dockerfile"], *stages))
    # the official recipe is kept out of the product's Dockerfile
    assert {("reference", "bakegen/compare/Dockerfile", "reference"),
            ("reference-modules", "bakegen/compare/Dockerfile", "reference")} <= seen
    assert "reference" not in dockerfile_stages(REPO / "Dockerfile")


NASTY = 'quote " backslash \\ ${REGISTRY} %{ if true }x%{ endif } tab\t newline\n unicode \u00e9 end'


def test_hcl_string_escapes_templates() -> None:
    assert hcl_string('a "b" ${c} %{d}') == '"a \\"b\\" $${c} %%{d}"'


def buildx_binaries() -> list[list[str]]:
    found = [["docker", "buildx"]] if shutil.which("docker") else []
    return found + ([[bakefile.DEBIAN_BUILDX]] if Path(bakefile.DEBIAN_BUILDX).exists() else [])


@pytest.mark.parametrize("buildx", buildx_binaries() or [pytest.param([], marks=pytest.mark.skip("no buildx"))])
def test_bake_reads_an_escaped_string_back_verbatim(tmp_path: Path, buildx: list[str]) -> None:
    """What bake evaluates is the original text: no interpolation, no template directive.

    (A real build receives exactly NASTY; newer buildx escape template sequences again when printing.)
    """
    (tmp_path / "docker-bake.hcl").write_text(
        f'variable "REGISTRY" {{\n  default = "oops"\n}}\n'
        f'target "t" {{\n  args = {{\n    X = {hcl_string(NASTY)}\n  }}\n}}\n'
    )
    proc = subprocess.run([*buildx, "bake", "--print", "t"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["target"]["t"]["args"]["X"] in (NASTY, print_escaped(NASTY))


def test_write_atomic_replaces_or_leaves_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.hcl"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(BakegenError, match=f"^{target}: cannot write: disk full; no file was changed$"):
        write_atomic(target, "newer")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.hcl"]


def test_check_text_finds_what_the_plan_misses(project_dir: Path) -> None:
    project = Project(project_dir)
    plan = project.plan()
    text = project.render_text()
    check_text(text, plan)
    with pytest.raises(ValidationError, match="arg PYTHON_SHA256"):
        sha = plan.targets[0].release.tarball.sha256
        check_text(re.sub(f'(PYTHON_SHA256 +)= "{sha}"', f'\\1= "{"0" * 64}"', text, count=1), plan)
    dropped = text.replace('  cache-to   = cache_to("3_13-wee")\n', "")
    with pytest.raises(ValidationError, match="target '3_13-wee' lacks 'cache-to'"):
        check_text(dropped, plan)
    with pytest.raises(ValidationError, match="names '3_13-nope', which is not defined"):
        check_text(text.replace('targets = ["3_13-wee", ', 'targets = ["3_13-nope", ', 1), plan)
    with pytest.raises(ValidationError, match="does not parse"):
        check_text(text + "\ntarget {{{\n", plan)


#: Bake variables the recorded ``bake --print`` fixture was made with: every shared function busy.
#: (CA_BUNDLE is set to a file made at recording time: bake checks that it exists.)
PRINT_ENV = {"REGISTRY": "r1/ns, r2", "CACHE": "gha", "LATEST": "1", "ATTEST": "1",
             "PLATFORMS": "linux/amd64,linux/arm64", "NETWORK": "host"}


def recorded_print(project: Project, tmp_path: Path) -> dict:
    """Real ``docker buildx bake --print`` of the fixture project, recorded in tests/fixtures.

    Regenerated with the golden file (BAKEGEN_UPDATE_GOLDEN=1), which needs docker buildx.
    """
    if os.environ.get("BAKEGEN_UPDATE_GOLDEN") == "1":
        bake_file = tmp_path / "docker-bake.hcl"
        bake_file.write_text(project.render_text())
        (tmp_path / "ca.pem").write_text("")
        proc = subprocess.run(
            ["docker", "buildx", "bake", "--file", str(bake_file), "--print", "default"],
            capture_output=True, text=True, cwd=tmp_path, check=True,
            env={**os.environ, **PRINT_ENV, "CA_BUNDLE": str(tmp_path / "ca.pem")},
        )
        PRINTED.write_text(json.dumps(json.loads(proc.stdout), indent=2, sort_keys=True) + "\n")
    return json.loads(PRINTED.read_text())


def test_compare_printed_accepts_what_bake_printed(project_dir: Path, tmp_path: Path) -> None:
    project = Project(project_dir)
    plan = project.plan()
    printed = recorded_print(project, tmp_path)
    values = merged(variable_defaults(parse(project.render_text())), PRINT_ENV)
    assert compare_printed(printed, plan, values) == []
    t = printed["target"]["3_13-wee"]
    assert t["tags"][0] == "r1/ns/python:3.13.15-wee" and "r2/python:3-wee" in t["tags"]
    # New buildx prints option entries as objects, old buildx as "k=v" strings: the same thing.
    t["cache-from"] = [",".join(f"{k}={v}" for k, v in e.items()) for e in t["cache-from"]]
    assert compare_printed(printed, plan, values) == []


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda p: p["target"]["3_13-wee"].pop("labels"), "3_13-wee: labels is {"),
        (lambda p: p["target"]["3_13-wee"].pop("cache-to"), "3_13-wee: cache-to is missing, unlike"),
        (lambda p: p["target"]["3_13-wee-optimized"]["args"].update(LTO="1"), "3_13-wee-optimized: args is"),
        (lambda p: p["target"]["3_13-wee"].update(dockerfile="Dockerfile.other"), "3_13-wee: dockerfile is"),
        (lambda p: p["target"]["3_13-wee"].pop("network"), "network is 'default', the plan says 'host'"),
        (lambda p: p["target"]["3_13-wee"]["tags"].pop(), "3_13-wee: tag names is"),
        (lambda p: p["target"]["3_13-wee"]["args"].update(BASE_IMAGE="x"), "'BASE_IMAGE': 'x'"),
        (lambda p: p["target"]["3_13-wee"]["annotations"].pop(), "3_13-wee: annotations = labels is False"),
        (lambda p: p["target"]["3_13-wee"]["secret"].clear(), "3_13-wee: secret is"),
        (lambda p: p["target"]["3_13-wee-optimized-lto"]["tags"].remove("r2/python:latest"), "tag names"),
        (lambda p: p["target"].pop("2_7-wee"), "2_7-wee: missing from bake's output"),
        (lambda p: p["target"].update(extra={}), "extra: printed by bake but not in the plan"),
    ],
)
def test_compare_printed_finds_each_difference(project_dir: Path, tmp_path: Path, mutate, problem) -> None:
    project = Project(project_dir)
    printed = recorded_print(project, tmp_path)
    values = merged(variable_defaults(parse(project.render_text())), PRINT_ENV)
    mutate(printed)
    problems = compare_printed(printed, project.plan(), values)
    assert any(problem in p for p in problems), problems
