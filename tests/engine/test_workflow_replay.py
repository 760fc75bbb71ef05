"""build.yml replayed against the local registry (marker ``engine``), job by job, from the workflow.

A run of `workflow_dispatch` with lines=3.13 and variants=wee: the matrix job's steps (bakegen
matrix, where the images go, the creation time), one build job per platform (bake with the step's
`set:` lines and bake's metadata file, the digest step, `bakegen test` on the pushed image, the
hand-over of the tested digest, the artifact), then the merge job's shells (bake --print for the
tags, the dry run, `imagetools create` and its checks, signing the digest it hands on). Every `run:`
step is the workflow's own text with its `env:` evaluated (tests/kit/workflow.py), so this
test breaks when the workflow does. Three runs:

- on the default branch with IMAGE_NAME=Python: lowercase tags holding linux/amd64 and the
  cross-compiled linux/arm64 image with their attestations, created and revision set as
  `bakegen build --push` sets them;
- from another branch (the ref guard): everything goes to `<image>-scratch`; the published tags
  and the repository's tag list stay as they were; a re-run of a build job uploads its artifact again.
  Its acceptance step records which image, by digest, and platform it was given, and passes: the
  first run tested the same layers for real, and this run is about where images go;
- on the default branch with `bakegen test` failing: no digest reaches the merge, which stops before
  tagging or signing, and the published tags keep their images.

What differs from GitHub, exactly:

- Push by digest. The docker driver has no push-by-digest exporter (buildx: "push-by-digest is
  currently not implemented for docker driver"), so the bake step's output line loses
  `push-by-digest=true,name-canonical=true` and its untagged repository gets the tag
  `replay-<cache scope>`: each platform's image is pushed under that extra tag instead of untagged.
  Its digest is still read from bake's metadata file by the workflow's own step.
- Cache. `type=gha` needs GitHub's cache service: `type=gha,scope=S` becomes
  `type=registry,ref=localhost:5000/workflow-test/cache:S` with the same options.
- No-cache. A publishing run's bake step has `no-cache: true`. The replay records the evaluated
  input (the tests check it) but does not pass `--no-cache`: the two default-branch runs would each
  compile both platforms again, minutes that a cold CI run does not have. The engine's docker driver
  keeps its own layer cache either way, which a hosted runner's new builder does not have.
- SBOM. BuildKit's default generator (docker/buildkit-syft-scanner) cannot be pulled here:
  `sbom: true` becomes `--sbom generator=` bakegen's own (the `sbom-generator` target, pushed here).
  `provenance: mode=max` becomes `--provenance mode=max`, as bake-action passes it.
- The offline stack. BASE_IMAGE, PYTHON_MIRROR and CA_BUNDLE join every step's environment; the
  workspace's docker-bake.hcl is rendered from versions/ pinned to the mirror's releases (3.13.15,
  with the repository as absolute build context), because the committed one names releases the
  mirror lacks; bake gets `--allow fs.read=` for the CA bundle and for the repository, which buildx
  asks for a secret file and a context outside the working directory.
- Signing. Keyless cosign needs GitHub's OIDC token and Sigstore's public services: the
  cosign-installer step is stood in for by a `cosign` on the merge job's PATH that records what
  it is asked to sign; the test checks that is the manifest list the tags name
  (tests/engine/test_signing_engine.py signs and verifies for real, with a key pair).
- Steps not replayed: checkout (the workspace is the checkout), setup-python and "Install bakegen"
  (this virtualenv's bakegen is on PATH), setup-buildx (the engine's docker driver instead of a
  docker-container builder), setup-qemu (binfmt is installed here), login (the local registry has
  no authentication), `bakegen render --check` (tests/unit; the workspace's file is pinned on
  purpose), and the `ci` job (this test suite is those checks).
- Jobs run one after the other on one amd64 machine: arm64 is cross-compiled instead of built on a
  native runner. Artifacts are folders; an upload to an existing name fails unless `overwrite`, as
  on GitHub.
- `bakegen test` runs only where this bakegen has the command (`bakegen test --help`); otherwise
  that one step is skipped and the skip is reported at the end of the run.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bakegen.project import Project, build_metadata
from tests.kit.engine import REPO, STACK_TRUST, measure
from tests.kit.workflow import JobRun, Replay, Step, StepFailed, interpolate, load_workflow

pytestmark = pytest.mark.engine

NAMESPACE = "workflow-test"
TARGET = "3_13-wee"
VENV_BIN = str(Path(sys.executable).parent)
ACCEPTANCE_STEP = "Acceptance tests on the pushed image"


# --- what stands in for GitHub ---------------------------------------------------------------------


@dataclass
class Local:
    """The local stand-ins: registry, SBOM generator, offline stack, artifact store, workspace, cosign."""

    registry: str
    sbom_generator: str
    stack_env: dict[str, str]
    ca_bundle: str
    workspace: Path
    artifacts: Path
    #: Holds the stand-in `cosign`; what it was asked to sign goes to `signed` (one line per call).
    cosign_dir: Path
    #: The CPython release 3_13-wee builds here (the test_version fixture).
    version: str

    @property
    def namespace(self) -> str:
        return f"{self.registry}/{NAMESPACE}"

    @property
    def signed(self) -> Path:
        return self.cosign_dir / "signed"


def localize(line: str, scope: str, cache_repo: str) -> str:
    """One `set:` line of the bake step, in the nearest form the docker driver can build."""
    key, _, value = line.partition("=")
    if key == "*.output":
        assert "push-by-digest=true," in value and "name-canonical=true," in value, line
        return "*.output=" + value.replace("push-by-digest=true,", "").replace("name-canonical=true,", "")
    if key == "*.tags":
        assert ":" not in value.rsplit("/", 1)[1], f"the workflow now tags per platform: {line}"
        return f"*.tags={value}:replay-{scope}"
    if key in ("*.cache-from", "*.cache-to") and value:
        assert value.startswith("type=gha,scope="), line
        gha_scope, _, options = value.removeprefix("type=gha,scope=").partition(",")
        return f"{key}=type=registry,ref={cache_repo}:{gha_scope}" + (f",{options}" if options else "")
    return line


def bake_action(local: Local):
    def handle(step: Step) -> dict[str, str]:
        w = step.with_
        lines = [line.strip() for line in w["set"].splitlines() if line.strip()]
        step.job.notes["set"] = lines
        step.job.notes["no-cache"] = w.get("no-cache")  # recorded, not passed (see the module's docstring)
        scope = step.job.matrix["cache_scope"]
        cmd = ["docker", "buildx", "bake"]
        for f in str(w["files"]).split():
            cmd += ["--file", f]
        for line in lines:
            cmd += ["--set", localize(line, scope, f"{local.namespace}/cache")]
        metadata = step.job.temp / "bake-metadata.json"
        cmd += ["--metadata-file", str(metadata), "--provenance", str(w["provenance"])]
        if w.get("sbom") is True:
            cmd += ["--sbom", f"generator={local.sbom_generator}"]
        # buildx asks for read access to a secret file and to a context outside the working directory.
        cmd += ["--allow", f"fs.read={local.ca_bundle}", "--allow", f"fs.read={REPO}", *str(w["targets"]).split()]
        proc = subprocess.run(cmd, cwd=local.workspace, env={**os.environ, **step.env},
                              capture_output=True, text=True)
        step.job.log.append(f"bake: {' '.join(cmd)} (exit {proc.returncode})")
        if proc.returncode != 0:
            raise StepFailed(f"bake failed: {proc.stderr[-3000:]}")
        return {"metadata": metadata.read_text()}

    return handle


def upload_artifact(local: Local):
    def handle(step: Step) -> None:
        w = step.with_
        files = sorted(Path("/").glob(str(w["path"]).lstrip("/")))
        if not files and w.get("if-no-files-found") == "error":
            raise StepFailed(f"no files match {w['path']}")
        target = local.artifacts / w["name"]
        if target.exists() and w.get("overwrite") is not True:
            raise StepFailed(f"an artifact with the name {w['name']} already exists")  # GitHub's 409
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for f in files:
            shutil.copy(f, target / f.name)

    return handle


def download_artifact(local: Local):
    def handle(step: Step) -> None:
        w = step.with_
        assert w.get("merge-multiple") is True, "the replay models merge-multiple only"
        dest = Path(w["path"])
        dest.mkdir(parents=True, exist_ok=True)
        for artifact in sorted(local.artifacts.iterdir()):
            if fnmatch.fnmatchcase(artifact.name, w["pattern"]):
                for f in artifact.iterdir():
                    shutil.copy(f, dest / f.name)

    return handle


def stood_in(reason: str):
    def handle(step: Step) -> None:
        step.job.log.append(f"stood in: {step.name}: {reason}")

    return handle


def acceptance_command_missing() -> str | None:
    proc = subprocess.run([f"{VENV_BIN}/bakegen", "test", "--help"], capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    return f"`bakegen test` is not in this bakegen (`bakegen test --help`: {(proc.stderr or proc.stdout).strip()})"


# --- one run of the workflow -----------------------------------------------------------------------


@dataclass
class Run:
    replay: Replay
    matrix: JobRun
    builds: list[JobRun]
    merges: list[JobRun]
    #: What the merge jobs had cosign sign: (reference, annotations), one entry per `cosign sign`.
    signed: list[tuple[str, dict[str, str]]]
    #: What a recording acceptance step was asked to test, one line of arguments per call.
    acceptance_asked: list[str] = field(default_factory=list)

    @property
    def outputs(self) -> dict[str, str]:
        return self.matrix.outputs


def replay_run(local: Local, *, ref: str, sha: str, build_path: tuple[str, ...] = (), rerun: bool = False,
               acceptance_stub: bool = False) -> Run:
    """One dispatch of build.yml on `ref`; `build_path` goes first on the build jobs' PATH."""
    workflow = load_workflow(REPO / ".github" / "workflows" / "build.yml")
    github = {
        "event_name": "workflow_dispatch", "ref": ref, "sha": sha,
        "event": {"repository": {"default_branch": "main"}},
        "repository": "bakegen/bakegen", "repository_owner": "bakegen",
        "server_url": "https://github.com", "actor": "replay",
    }
    skip = {
        "Install bakegen": "this virtualenv's bakegen is on PATH",
        "docker-bake.hcl is up to date": "the workspace's docker-bake.hcl is pinned to the mirror on purpose",
    }
    missing = None if acceptance_stub else acceptance_command_missing()
    if missing:
        skip[ACCEPTANCE_STEP] = missing
        measure(f"workflow replay: step {ACCEPTANCE_STEP!r} skipped: {missing}")
    replay = Replay(
        workflow, local.workspace, github,
        vars={"REGISTRY": local.namespace, "IMAGE_NAME": "Python"},
        inputs={"lines": "3.13", "variants": "wee"},
        actions={
            "actions/checkout": stood_in("the workspace is the checkout"),
            "actions/setup-python": stood_in("this virtualenv's Python"),
            "docker/setup-buildx-action": stood_in("the engine's docker driver"),
            "docker/setup-qemu-action": stood_in("binfmt for arm64 is installed"),
            "docker/login-action": stood_in("the local registry has no authentication"),
            "docker/bake-action": bake_action(local),
            "sigstore/cosign-installer": stood_in("the stand-in cosign is on the merge job's PATH"),
            "actions/upload-artifact": upload_artifact(local),
            "actions/download-artifact": download_artifact(local),
        },
        skip=skip,
        extra_env=local.stack_env,
    )
    replay.needs["ci"] = {"result": "success", "outputs": {}}  # the ci job: this test suite
    path = (VENV_BIN,)
    matrix = replay.run_job("matrix", path_prepend=path)
    assert matrix.result == "success", matrix.failure
    replay.finish("matrix", [matrix])
    entries = replay.matrix_entries("build")
    assert [(e["target"], e["platform"]) for e in entries] == [(TARGET, "linux/amd64"), (TARGET, "linux/arm64")]
    builds = [replay.run_job("build", e, path_prepend=(*build_path, *path)) for e in entries]
    if rerun:  # "Re-run job" of the first build: same artifact name, same run
        builds[0] = replay.run_job("build", entries[0], path_prepend=(*build_path, *path))
    replay.finish("build", builds)
    merges = []
    local.signed.unlink(missing_ok=True)
    if replay.job_condition("merge"):
        merge_path = (str(local.cosign_dir), *path)
        merges = [replay.run_job("merge", e, path_prepend=merge_path) for e in replay.matrix_entries("merge")]
    lines = local.signed.read_text().splitlines() if local.signed.exists() else []
    return Run(replay, matrix, builds, merges, [parse_sign(line) for line in lines])


def parse_sign(line: str) -> tuple[str, dict[str, str]]:
    """One recorded `cosign sign --yes` call: `-a KEY=VALUE` pairs, then the reference."""
    *options, reference = line.split()
    assert len(options) % 2 == 0 and set(options[::2]) <= {"-a"}, line
    return reference, dict(option.split("=", 1) for option in options[1::2])


# --- registry helpers ------------------------------------------------------------------------------


def imagetools_raw(ref: str) -> dict:
    out = subprocess.run(["docker", "buildx", "imagetools", "inspect", "--raw", ref], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def index_digest(ref: str) -> str | None:
    out = subprocess.run(["docker", "buildx", "imagetools", "inspect", ref, "--format", "{{ json .Manifest }}"],
                         capture_output=True, text=True)
    return json.loads(out.stdout)["digest"] if out.returncode == 0 else None


def tag_list(registry: str, repository: str) -> list[str]:
    try:
        with urllib.request.urlopen(f"http://{registry}/v2/{repository}/tags/list", timeout=30) as r:
            return sorted(json.load(r).get("tags") or [])
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise


def platforms_and_attestations(ref: str) -> tuple[set[str], list[dict]]:
    index = imagetools_raw(ref)
    attest = [m for m in index["manifests"]
              if m.get("annotations", {}).get("vnd.docker.reference.type") == "attestation-manifest"]
    images = {f"{m['platform']['os']}/{m['platform']['architecture']}" for m in index["manifests"] if m not in attest}
    return images, attest


def platform_manifest(ref: str, arch: str) -> dict:
    index = imagetools_raw(ref)
    entry = next(m for m in index["manifests"] if m.get("platform", {}).get("architecture") == arch)
    return imagetools_raw(f"{ref.rsplit(':', 1)[0]}@{entry['digest']}")


def image_digests(ref: str) -> dict[str, str]:
    """The platform images of an index by architecture (attestation manifests left out)."""
    return {m["platform"]["architecture"]: m["digest"] for m in imagetools_raw(ref)["manifests"]
            if m.get("platform", {}).get("os") == "linux"}


def image_config(ref: str, arch: str) -> dict:
    manifest = platform_manifest(ref, arch)
    repo = ref.rsplit(":", 1)[0]
    registry, _, path = repo.partition("/")
    with urllib.request.urlopen(f"http://{registry}/v2/{path}/blobs/{manifest['config']['digest']}", timeout=30) as r:
        return json.load(r)


def bakegen_standing_in_for_test(folder: Path, test_body: str) -> Path:
    """A `bakegen` in ``folder`` (returned, for a build job's PATH) whose `test` command runs the
    shell ``test_body`` instead; every other command is this virtualenv's bakegen."""
    stub = folder / "bakegen"
    stub.write_text(f'#!/bin/sh\nif [ "$1" = test ]; then {test_body}; fi\nexec {VENV_BIN}/bakegen "$@"\n')
    stub.chmod(0o755)
    return folder


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local(stack, test_version, registry, sbom_generator, tmp_path_factory) -> Local:
    workspace = tmp_path_factory.mktemp("workspace")
    for entry in REPO.iterdir():
        if entry.name != "docker-bake.hcl":
            (workspace / entry.name).symlink_to(entry)
    project = Project(REPO)
    pinned = project.plan(sha256sums=stack["sums"], trust=STACK_TRUST)
    (workspace / "docker-bake.hcl").write_text(project.render_text(pinned, context=str(REPO)))
    stack_env = {k: stack[k] for k in ("BASE_IMAGE", "PYTHON_MIRROR", "CA_BUNDLE") if stack.get(k)}
    cosign_dir = tmp_path_factory.mktemp("cosign")
    (cosign_dir / "cosign").write_text(
        f'#!/bin/sh\n[ "$1 $2" = "sign --yes" ] || exit 64\nshift 2\necho "$*" >> {cosign_dir / "signed"}\n')
    (cosign_dir / "cosign").chmod(0o755)
    yield Local(registry, sbom_generator, stack_env, stack["CA_BUNDLE"], workspace,
                tmp_path_factory.mktemp("artifacts"), cosign_dir, test_version)
    # The per-platform pushes also land in the local image store (docker driver): remove those tags.
    out = subprocess.run(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}",
                          "--filter", f"reference={registry}/{NAMESPACE}/*:replay-*"], capture_output=True, text=True)
    for ref in out.stdout.split():
        subprocess.run(["docker", "image", "rm", ref], capture_output=True)


def shared_digests(local: Local) -> dict[str, str | None]:
    """The manifest list each published tag of the target names now."""
    return {t: index_digest(f"{local.namespace}/python:{t}") for t in (f"{local.version}-wee", "3.13-wee")}


def fresh_artifacts(local: Local) -> None:
    shutil.rmtree(local.artifacts)
    local.artifacts.mkdir()


@pytest.fixture(scope="module")
def published(local) -> Run:
    fresh_artifacts(local)
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                         check=True).stdout.strip()
    run = replay_run(local, ref="refs/heads/main", sha=sha)
    jobs = [f"{j.job_id} {j.matrix['target']} {j.matrix.get('platform', '')}: {j.result}"
            for j in [*run.builds, *run.merges]]
    measure("workflow replay on the default branch: " + ", ".join(jobs))
    return run


@pytest.fixture(scope="module")
def scratch(local, published, tmp_path_factory) -> tuple[Run, dict[str, Any]]:
    before = {"tags": tag_list(local.registry, f"{NAMESPACE}/python"), "digests": shared_digests(local)}
    fresh_artifacts(local)
    # The acceptance step passes here and records what it was asked to test: the default-branch run
    # tested the same layers for real (only the revision in the config differs), and this run checks
    # where things go, not the image again; the arm64 half under emulation is minutes of a cold CI.
    stub_dir = tmp_path_factory.mktemp("recording-bakegen")
    asked = stub_dir / "asked"
    bakegen_standing_in_for_test(stub_dir, f'shift; echo "$*" >> {asked}; exit 0')
    run = replay_run(local, ref="refs/heads/feature/replay", sha=hashlib.sha1(b"feature/replay").hexdigest(),
                     build_path=(str(stub_dir),), rerun=True, acceptance_stub=True)
    run.acceptance_asked = asked.read_text().splitlines() if asked.exists() else []
    return run, before


@pytest.fixture(scope="module")
def failed_tests(local, scratch, tmp_path_factory) -> tuple[Run, dict[str, str | None]]:
    stub_dir = bakegen_standing_in_for_test(
        tmp_path_factory.mktemp("failing-bakegen"),
        'echo "FAIL python-imports: made to fail by the replay test"; exit 4',
    )
    before = shared_digests(local)
    fresh_artifacts(local)
    # The failing stub stands in for the acceptance step even where `bakegen test` is not there yet.
    run = replay_run(local, ref="refs/heads/main", sha=hashlib.sha1(b"broken").hexdigest(),
                     build_path=(str(stub_dir),), acceptance_stub=True)
    return run, before


# --- the default branch ----------------------------------------------------------------------------


def test_default_branch_publishes_lowercase_tags_with_both_platforms(local, published) -> None:
    assert published.outputs["publish"] == "true"
    assert published.outputs["image"] == f"{local.namespace}/python"  # from IMAGE_NAME=Python
    for build in published.builds:
        assert build.result == "success", build.failure
        scope = build.matrix["cache_scope"]
        # Reads no cache, reuses no layer, writes the cache for runs from other refs.
        assert build.notes["set"][2] == "*.cache-from="
        assert build.notes["no-cache"] is True
        assert build.notes["set"][3] == f"*.cache-to=type=gha,scope={scope},mode=max,ignore-error=true"
    (merge,) = published.merges
    assert merge.result == "success", merge.failure
    digests = set()
    for tag in (f"{local.version}-wee", "3.13-wee"):
        ref = f"{local.namespace}/python:{tag}"
        images, attestations = platforms_and_attestations(ref)
        assert images == {"linux/amd64", "linux/arm64"}, ref
        assert len(attestations) == 2, ref  # provenance and SBOM, one attestation manifest per platform
        digests.add(index_digest(ref))
    assert len(digests) == 1  # both tags name the one manifest list
    # By digest, what the tags name: one signature per tag, annotated with that tag and the version.
    reference = f"{local.namespace}/python@{digests.pop()}"
    by_tag = sorted(published.signed, key=lambda signed: signed[1].get("tag", ""))
    assert by_tag == [(reference, {"tag": tag, "python-version": local.version})
                      for tag in sorted((f"{local.version}-wee", "3.13-wee"))]


def test_default_branch_images_carry_commit_time_and_revision(local, published) -> None:
    ref = f"{local.namespace}/python:3.13-wee"
    epoch = published.outputs["source-date-epoch"]
    created = build_metadata(REPO, {"SOURCE_DATE_EPOCH": epoch})["CREATED"]  # what `bakegen build` would set
    for arch in ("amd64", "arm64"):
        annotations = platform_manifest(ref, arch)["annotations"]
        assert annotations["org.opencontainers.image.created"] == created
        assert annotations["org.opencontainers.image.revision"] == published.replay.github["sha"]
        config = image_config(ref, arch)
        assert config["config"]["Labels"]["org.opencontainers.image.created"] == created
        # buildx handed SOURCE_DATE_EPOCH to the build: the config's own time is the commit's too.
        assert config["created"].startswith(created.removesuffix("Z"))
        assert config["architecture"] == arch


def test_latest_only_from_the_default_branch(local, published, scratch) -> None:
    plan = Project(REPO).plan()
    (latest_target,) = [t.name for t in plan.targets if t.latest_alias]
    for run, expected in ((published, True), (scratch[0], False)):
        env = interpolate(run.replay.job("merge")["env"], run.replay.context())
        out = subprocess.run(["docker", "buildx", "bake", "--file", "docker-bake.hcl", "--print", latest_target],
                             cwd=local.workspace, env={**os.environ, **env}, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        tags = json.loads(out.stdout)["target"][latest_target]["tags"]
        assert (f"{run.outputs['image']}:latest" in tags) is expected, tags


# --- another branch --------------------------------------------------------------------------------


def test_other_branch_publishes_only_to_scratch(local, published, scratch) -> None:
    run, before = scratch
    assert run.outputs["publish"] == "false" and run.outputs["latest"] == "0"
    assert run.outputs["image"] == f"{local.namespace}/python-scratch"
    for build in run.builds:
        assert build.result == "success", build.failure
        assert "*.cache-to=" in build.notes["set"]  # reads the cache, never writes it
        assert f"*.cache-from=type=gha,scope={build.matrix['cache_scope']}" in build.notes["set"]
        assert build.notes["no-cache"] is False
    (merge,) = run.merges
    assert merge.result == "success", merge.failure
    # The published repository: not one tag added, moved or removed.
    assert tag_list(local.registry, f"{NAMESPACE}/python") == before["tags"]
    for tag, digest in before["digests"].items():
        assert index_digest(f"{local.namespace}/python:{tag}") == digest, tag
    # The scratch repository holds this run's images (its revision), both platforms.
    ref = f"{local.namespace}/python-scratch:3.13-wee"
    images, attestations = platforms_and_attestations(ref)
    assert images == {"linux/amd64", "linux/arm64"} and len(attestations) == 2
    revision = platform_manifest(ref, "amd64")["annotations"]["org.opencontainers.image.revision"]
    assert revision == run.replay.github["sha"]
    assert index_digest(ref) != before["digests"]["3.13-wee"]
    assert {reference for reference, _ in run.signed} == {f"{local.namespace}/python-scratch@{index_digest(ref)}"}
    assert "3.13-wee" in {annotations["tag"] for _, annotations in run.signed}
    # Each build job's acceptance step was given the image that job pushed, by digest, on its own
    # platform (three calls: the re-run tests again). bake's digest names the job's own index (its
    # image and attestation manifests); the image in it is the one the merge put under the tag.
    merged = image_digests(ref)
    assert len(run.acceptance_asked) == 3, run.acceptance_asked
    tested = []
    for line in run.acceptance_asked:
        reference, option, platform = line.split()
        assert reference.startswith(f"{local.namespace}/python-scratch@sha256:") and option == "--platform", line
        arch = platform.removeprefix("linux/")
        assert image_digests(reference) == {arch: merged[arch]}, line
        tested.append(arch)
    assert sorted(tested) == ["amd64", "amd64", "arm64"]


def test_rerun_of_a_build_job_uploads_again(scratch) -> None:
    run, _ = scratch
    assert run.builds[0].result == "success", run.builds[0].failure  # the re-run, same artifact name


# --- failed acceptance tests -----------------------------------------------------------------------


def test_failed_acceptance_tests_leave_the_tags_alone(local, failed_tests) -> None:
    run, before = failed_tests
    assert run.outputs["publish"] == "true"
    for build in run.builds:
        assert build.result == "failure"
        assert build.failed_step == ACCEPTANCE_STEP, build.failure
        assert "made to fail by the replay test" in build.failure
    assert not any(local.artifacts.iterdir())  # no digest was handed on
    (merge,) = run.merges
    assert merge.result == "failure"
    assert "0 tested digest(s) for 2 platform(s)" in merge.failure
    assert run.signed == []
    for tag, digest in before.items():
        assert digest is not None and index_digest(f"{local.namespace}/python:{tag}") == digest, tag
