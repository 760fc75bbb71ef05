"""Signing and verification without cosign or a registry: bakegen.cosign's binding and the engine's
image inspection are swapped for fakes. The real ones are exercised by tests/engine/test_signing_engine.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from bakegen import cosign, engine, signing
from bakegen.cli import app
from bakegen.errors import BakegenError, EngineError
from tests.kit.fakes import FakeDocker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "provenance"
DIGEST = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64
SOURCE = "https://github.com/example/bakegen"


def payload(digest: str, annotations: dict[str, str] | None = None) -> dict:
    """What ``cosign verify --output json`` prints per verified signature."""
    return {
        "critical": {
            "identity": {"docker-reference": "reg.example/a/python"},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": annotations or None,
    }


class FakeCosign:
    """Answers like cosign 2.5: a bad key password, signatures per digest, and failures on demand."""

    def __init__(self, *, password_ok: bool = True, fail_sign: str = "") -> None:
        self.calls: list[list[str]] = []
        self.password_ok = password_ok
        #: reference -> the annotations of each signature made for it
        self.signed: dict[str, list[dict[str, str]]] = {}
        self.fail_sign = fail_sign
        #: Who signed, for keyless verification: the workflow of the repository the tests clone.
        self.identity = "https://github.com/example/bakegen/.github/workflows/build.yml@refs/heads/main"

    def sign_as(self, reference: str, tag: str = "", version: str = "") -> None:
        """A signature made earlier, for ``tag`` and ``version`` (none: annotations left out)."""
        notes = {k: v for k, v in (("tag", tag), ("python-version", version)) if v}
        self.signed.setdefault(reference, []).append(notes)

    def run(self, args):
        args = list(args)
        self.calls.append(args)
        command, reference = args[0], args[-1]
        if command == "public-key":
            if self.password_ok:
                return cosign.Result(0, "-----BEGIN PUBLIC KEY-----\n", "")
            return cosign.Result(1, "", "Enter password for private key: Error: inappropriate ioctl for device\n"
                                        "error during command execution: inappropriate ioctl for device\n")
        if command == "sign":
            if self.fail_sign and self.fail_sign in reference:
                return cosign.Result(1, "", "Error: signing: PUT https://reg.example/v2/: 401 Unauthorized\n")
            notes = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "-a")
            self.signed.setdefault(reference, []).append(notes)
            return cosign.Result(0, "", "Pushing signature to: reg.example\n")
        if command == "verify":
            if "--certificate-identity" in args and args[args.index("--certificate-identity") + 1] != self.identity:
                return cosign.Result(1, "", "Error: no matching signatures: none of the expected identities matched "
                                            f"what was in the certificate, got subjects [{self.identity}]\n")
            if reference in self.signed:
                digest = reference.split("@")[1]
                return cosign.Result(0, json.dumps([payload(digest, n) for n in self.signed[reference]]), "")
            return cosign.Result(1, "", "Error: no matching signatures: \nmain.go:74: error during command execution\n")
        raise AssertionError(args)


@pytest.fixture
def fake_cosign(monkeypatch: pytest.MonkeyPatch) -> FakeCosign:
    fake = FakeCosign()
    monkeypatch.setattr(cosign, "binding", fake)
    return fake


# --- the cosign binding -------------------------------------------------------------------------------


def test_missing_cosign_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cosign, "binding", cosign.CosignCLI("/nonexistent/bin/cosign"))
    with pytest.raises(EngineError, match=r"^cosign is not installed: install cosign"):
        cosign.check_signing_key("cosign.key")
    with pytest.raises(EngineError, match=r"^cosign is not installed"):
        cosign.verify(f"reg.example/a/python@{DIGEST}", "cosign.pub")


def test_key_password_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cosign, "binding", FakeCosign(password_ok=False))
    with pytest.raises(BakegenError, match="signing key k.key: cannot decrypt it .*set COSIGN_PASSWORD"):
        cosign.check_signing_key("k.key")


def test_sign_and_verify_arguments(fake_cosign: FakeCosign) -> None:
    reference = f"reg.example/a/python@{DIGEST}"
    cosign.sign(reference, "k.key")
    assert fake_cosign.calls[-1] == ["sign", "--key", "k.key", "--tlog-upload=false", "--yes", reference]
    assert cosign.verify(reference, "k.pub") == cosign.Verification(True, "", {DIGEST})
    verify_args = ["verify", "--key", "k.pub", "--insecure-ignore-tlog", "--output", "json", reference]
    assert fake_cosign.calls[-1] == verify_args
    missing = cosign.verify(f"reg.example/a/python@{OTHER}", "k.pub")
    assert not missing.ok and missing.reason == "no matching signatures:"


def test_verify_rejects_output_without_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    class Garbage:
        def run(self, args):
            return cosign.Result(0, "not json", "")

    monkeypatch.setattr(cosign, "binding", Garbage())
    result = cosign.verify(f"reg.example/a/python@{DIGEST}", "k.pub")
    assert not result.ok and "no signature payload" in result.reason


# --- what gets signed ---------------------------------------------------------------------------------


def metadata(**targets: tuple[str, list[str]]) -> dict:
    """bake's metadata file: per target the pushed digest and every name it was pushed as."""
    data: dict = {"buildx.build.warnings": []}
    for target, (digest, names) in targets.items():
        data[target] = {"containerimage.digest": digest, "image.name": ",".join(names), "buildx.build.ref": "x"}
    return data


def test_split_name() -> None:
    assert signing.split_name("localhost:5000/ns/python:3.13-wee") == ("localhost:5000/ns/python", "3.13-wee")
    assert signing.split_name("localhost:5000/ns/python") == ("localhost:5000/ns/python", "")
    assert signing.split_name(f"reg.example/python@{DIGEST}") == ("reg.example/python", "")


def test_every_repository_of_every_target_once() -> None:
    data = metadata(
        **{
            "3_13-wee": (DIGEST, ["r1.example/ns/python:3.13.15-wee", "r1.example/ns/python:3.13-wee",
                                  "r2.example:5000/python:3.13.15-wee", "r2.example:5000/python:3.13-wee"]),
            "3_12-wee": (OTHER, ["r1.example/ns/python:3.12.11-wee"]),
        }
    )
    pushed = signing.pushed_images(data)
    assert [(p.reference, p.tags) for p in pushed] == [
        (f"r1.example/ns/python@{DIGEST}", ("3.13.15-wee", "3.13-wee")),
        (f"r1.example/ns/python@{OTHER}", ("3.12.11-wee",)),
        (f"r2.example:5000/python@{DIGEST}", ("3.13.15-wee", "3.13-wee")),
    ]


def test_a_target_without_digest_or_no_image_is_an_error() -> None:
    data = metadata(**{"3_13-wee": (DIGEST, ["r.example/python:3.13-wee"])})
    data["3_12-wee"] = {"image.name": "r.example/python:3.12-wee"}
    with pytest.raises(EngineError, match="no pushed digest for 3_12-wee"):
        signing.pushed_images(data)
    with pytest.raises(EngineError, match="no pushed image"):
        signing.pushed_images({"buildx.build.warnings": []})


def test_signing_key_checks(fake_cosign: FakeCosign) -> None:
    assert signing.signing_key(sign=False, key=None, push=True, environ={"COSIGN_KEY": "k"}) is None
    with pytest.raises(BakegenError, match="add --sign$"):
        signing.signing_key(sign=False, key="k.key", push=True, environ={})
    with pytest.raises(BakegenError, match="add --push$"):
        signing.signing_key(sign=True, key="k.key", push=False, environ={})
    with pytest.raises(BakegenError, match="--sign-key KEY or COSIGN_KEY"):
        signing.signing_key(sign=True, key=None, push=True, environ={})
    assert fake_cosign.calls == []  # none of these got as far as cosign
    assert signing.signing_key(sign=True, key=None, push=True, environ={"COSIGN_KEY": "env.key"}) == "env.key"
    assert signing.signing_key(sign=True, key="opt.key", push=True, environ={"COSIGN_KEY": "env.key"}) == "opt.key"
    assert [c[:3] for c in fake_cosign.calls] == [
        ["public-key", "--key", "env.key"], ["public-key", "--key", "opt.key"]
    ]


def test_sign_pushed_stops_and_names_what_is_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeCosign(fail_sign="r2.example")
    monkeypatch.setattr(cosign, "binding", fake)
    file = tmp_path / "metadata.json"
    names = ["r1.example/python:3.13-wee", "r2.example/python:3.13-wee", "r3.example/python:3.13-wee"]
    file.write_text(json.dumps(metadata(**{"3_13-wee": (DIGEST, names)})))
    lines: list[str] = []
    with pytest.raises(EngineError) as raised:
        signing.sign_pushed(file, "k.key", lines.append)
    assert lines == [f"signed r1.example/python@{DIGEST} (3.13-wee)"]
    assert "401 Unauthorized" in str(raised.value)
    assert str(raised.value).endswith(f"pushed but not signed: r2.example/python@{DIGEST}, r3.example/python@{DIGEST}")


# --- build --push --sign through the CLI ---------------------------------------------------------------


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env or {}, catch_exceptions=False, prog_name="bakegen")


def error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("bakegen: error:")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def test_build_push_sign_signs_each_registry_by_digest(
    project_dir: Path, clean_env, monkeypatch: pytest.MonkeyPatch, fake_cosign: FakeCosign
) -> None:
    docker = FakeDocker()
    monkeypatch.setattr(engine, "docker", docker)
    result = invoke(
        "build", "3_13-wee", "--push", "--sign", "-C", str(project_dir),
        "--registry", "r1.example/ns,r2.example:5000", env={"COSIGN_KEY": "env.key"},
    )
    assert result.exit_code == 0, result.output
    assert docker.buildx.calls[0]["push"] is True and docker.buildx.calls[0]["metadata_file"] is not None
    signs = [c for c in fake_cosign.calls if c[0] == "sign"]
    # One signature per tag in each repository, annotated with the tag and the CPython version.
    assert [(c[-1], c[-5:-1]) for c in signs] == [
        (f"{repo}@{DIGEST}", ["-a", "python-version=3.13.15", "-a", f"tag={tag}"])
        for repo in ("r1.example/ns/python", "r2.example:5000/python") for tag in ("3.13.15-wee", "3.13-wee", "3-wee")
    ]
    assert all(c[1:3] == ["--key", "env.key"] for c in signs)
    assert result.stdout.splitlines() == [
        f"signed r1.example/ns/python@{DIGEST} (3.13.15-wee, 3.13-wee, 3-wee)",
        f"signed r2.example:5000/python@{DIGEST} (3.13.15-wee, 3.13-wee, 3-wee)",
        "built 3_13-wee: pushed",
    ]
    assert not Path(docker.buildx.calls[0]["metadata_file"]).exists()  # the temporary folder is gone


def test_build_without_sign_signs_nothing(project_dir: Path, clean_env, monkeypatch, fake_cosign) -> None:
    docker = FakeDocker()
    monkeypatch.setattr(engine, "docker", docker)
    result = invoke("build", "3_13-wee", "--push", "-C", str(project_dir), "--registry", "r1.example")
    assert result.exit_code == 0, result.output
    assert fake_cosign.calls == []


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["--sign", "--sign-key", "k.key"], {}, 1, "--sign signs what --push pushes; add --push"),
        (["--push", "--sign"], {}, 1, "--sign needs a private key"),
        (["--push", "--sign-key", "k.key"], {}, 1, "--sign-key names the key for --sign; add --sign"),
        (["--push", "--sign", "--sign-key", "k.key"], {"FAKE": "no-password"}, 1, "set COSIGN_PASSWORD"),
        (["--push", "--sign", "--sign-key", "k.key"], {"FAKE": "no-cosign"}, 3, "cosign is not installed"),
    ],
)
def test_build_sign_mistakes_fail_before_the_build(
    project_dir: Path, clean_env, monkeypatch: pytest.MonkeyPatch, args, env, code, message
) -> None:
    docker = FakeDocker()
    monkeypatch.setattr(engine, "docker", docker)
    binding = {"no-password": FakeCosign(password_ok=False), "no-cosign": cosign.CosignCLI("/nonexistent/cosign")}
    monkeypatch.setattr(cosign, "binding", binding.get(env.get("FAKE"), FakeCosign()))
    result = invoke("build", "3_13-wee", "-C", str(project_dir), *args)
    assert result.exit_code == code
    assert message in error_line(result)
    assert docker.buildx.calls == []


def test_build_sign_failure_after_push(project_dir: Path, clean_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "docker", FakeDocker())
    monkeypatch.setattr(cosign, "binding", FakeCosign(fail_sign="r2.example"))
    result = invoke(
        "build", "3_13-wee", "--push", "--sign", "--sign-key", "k.key", "-C", str(project_dir),
        "--registry", "r1.example,r2.example",
    )
    assert result.exit_code == 3
    line = error_line(result)
    assert "cosign could not sign r2.example/python@" in line and line.endswith(f"r2.example/python@{DIGEST}")
    assert result.stdout.splitlines() == [f"signed r1.example/python@{DIGEST} (3.13.15-wee, 3.13-wee, 3-wee)"]


# --- provenance ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/example/bakegen",
        "https://github.com/example/bakegen.git",
        "https://github.com/Example/BakeGen/",
        "https://user:token@github.com/example/bakegen.git",
        "git@github.com:example/bakegen.git",
        "ssh://git@github.com/example/bakegen",
        "https://GitHub.com/example/bakegen.git#refs/heads/main",
    ],
)
def test_same_repository(url: str) -> None:
    assert signing.normalize_source(url) == "github.com/example/bakegen"


@pytest.mark.parametrize(
    "url", ["https://github.com/example/bakegen-fork", "https://gitlab.com/example/bakegen", "/work/bakegen"]
)
def test_other_repository(url: str) -> None:
    assert signing.normalize_source(url) != signing.normalize_source(SOURCE)


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def test_recorded_v02_provenance() -> None:
    (predicate,) = signing.platform_predicates(load("slsa-v0.2-single-platform.json")).values()
    assert signing.recorded_sources(predicate) == {
        "vcs source": "https://github.com/example/bakegen.git",
        "source label": "https://example.com/label",
    }
    assert signing.recorded_revision(predicate) == "5ee4e65e483f880045d55a69b9756cde2cd4b636"
    # Two sources that disagree: the one that is not the repository is named.
    assert signing.provenance_problems(load("slsa-v0.2-single-platform.json"), SOURCE) == [
        f"provenance source label is https://example.com/label, not {SOURCE}"
    ]


def test_v1_provenance_of_two_platforms() -> None:
    provenance = load("slsa-v1-two-platforms.json")
    predicates = signing.platform_predicates(provenance)
    assert list(predicates) == ["linux/amd64", "linux/arm64"]
    assert signing.recorded_sources(predicates["linux/amd64"]) == {
        "vcs source": "git@github.com:example/bakegen.git",
        "source label": "https://github.com/Example/bakegen",
    }
    assert signing.provenance_problems(provenance, SOURCE) == []
    assert signing.provenance_problems(provenance, "https://github.com/someone/bakegen") != []
    # One platform built elsewhere is enough to fail.
    provenance["linux/arm64"]["SLSA"]["runDetails"]["metadata"]["buildkit_metadata"]["vcs"]["source"] = (
        "https://github.com/someone/bakegen"
    )
    assert signing.provenance_problems(provenance, SOURCE) == [
        f"linux/arm64: provenance vcs source is https://github.com/someone/bakegen, not {SOURCE}"
    ]


def test_provenance_without_sources_or_at_all() -> None:
    provenance = load("slsa-v0.2-single-platform.json")
    del provenance["SLSA"]["metadata"][signing.BUILDKIT_METADATA]["vcs"]
    del provenance["SLSA"]["invocation"]["parameters"]["args"]
    assert signing.provenance_problems(provenance, SOURCE) == ["the provenance records no source"]
    assert signing.provenance_problems({}, SOURCE) == ["no SLSA provenance (was it pushed without attestations?)"]
    assert signing.provenance_problems(None, SOURCE) == ["no SLSA provenance (was it pushed without attestations?)"]


def test_git_context_counts_as_a_source() -> None:
    provenance = load("slsa-v0.2-single-platform.json")
    del provenance["SLSA"]["metadata"][signing.BUILDKIT_METADATA]["vcs"]
    del provenance["SLSA"]["invocation"]["parameters"]["args"]
    provenance["SLSA"]["invocation"]["configSource"]["uri"] = "https://github.com/example/bakegen.git#main"
    assert signing.provenance_problems(provenance, SOURCE) == []


# --- verify through the CLI -----------------------------------------------------------------------------


class FakeRegistry:
    """What ``imagetools inspect`` answers: tags, digests, and each digest's provenance."""

    def __init__(self, tags: dict[str, str], provenance: dict[str, object]) -> None:
        self.tags, self.provenance = tags, provenance

    def image_field(self, reference: str, field: str):
        repository, tag = signing.split_name(reference)
        digest = reference.split("@", 1)[1] if "@" in reference else self.tags.get(f"{repository}:{tag}")
        if digest is None:
            raise EngineError(f"cannot inspect {reference}: not found")
        return {"digest": digest} if field == "Manifest" else self.provenance.get(digest)


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> FakeRegistry:
    good = load("slsa-v1-two-platforms.json")
    fake = FakeRegistry(
        tags={"reg.example/a/python:3.13-wee": DIGEST, "reg.example/a/python:3.12-wee": OTHER},
        provenance={DIGEST: good, OTHER: good},
    )
    monkeypatch.setattr(engine, "image_field", fake.image_field)
    return fake


@pytest.fixture
def public_key(tmp_path: Path) -> Path:
    key = tmp_path / "cosign.pub"
    key.write_text("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n")
    return key


def test_verify_lines_and_exit_status(registry, fake_cosign, public_key: Path, clean_env) -> None:
    fake_cosign.sign_as(f"reg.example/a/python@{DIGEST}", "3.13-wee", "3.13.15")
    result = invoke(
        "verify", "reg.example/a/python:3.13-wee", "reg.example/a/python:3.12-wee", "reg.example/a/python:gone",
        "--key", str(public_key), "--source", SOURCE,
    )
    assert result.exit_code == 4
    ok, unsigned, missing = result.stdout.splitlines()
    assert ok == (
        f"OK     reg.example/a/python:3.13-wee {DIGEST}: signed ({public_key}) for 3.13-wee, CPython 3.13.15; "
        f"provenance names {SOURCE} at 0123456789ab"
    )
    assert unsigned.startswith(f"FAILED reg.example/a/python:3.12-wee {OTHER}: no signature verifies with {public_key}")
    assert missing == "FAILED reg.example/a/python:gone -: cannot inspect reg.example/a/python:gone: not found"
    assert error_line(result) == "bakegen: error: 2 of 3 image(s) failed verification"
    # The signature is checked on the digest the tag resolved to, never on the tag.
    assert [c[-1] for c in fake_cosign.calls] == [f"reg.example/a/python@{DIGEST}", f"reg.example/a/python@{OTHER}"]


def test_verify_signed_but_built_elsewhere(registry, fake_cosign, public_key: Path, clean_env) -> None:
    fake_cosign.sign_as(f"reg.example/a/python@{DIGEST}", "3.13-wee", "3.13.15")
    result = invoke("verify", "reg.example/a/python:3.13-wee", "--key", str(public_key), "--source",
                    "https://github.com/someone/bakegen")
    assert result.exit_code == 4
    assert "signed, but linux/amd64: provenance vcs source is git@github.com:example/bakegen.git" in result.stdout
    # Both platforms, both recorded sources: four reasons on the one line.
    assert len(result.stdout.splitlines()) == 1 and result.stdout.count("not https://github.com/someone") == 4


def test_verify_source_from_environment_and_git(
    registry, fake_cosign, public_key: Path, clean_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_cosign.sign_as(f"reg.example/a/python@{DIGEST}", "3.13-wee", "3.13.15")
    image = "reg.example/a/python:3.13-wee"
    assert invoke("verify", image, "--key", str(public_key), env={"SOURCE_URL": SOURCE}).exit_code == 0
    clone = tmp_path / "clone"
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    no_origin = invoke("verify", image, "--key", str(public_key), "-C", str(clone))
    assert no_origin.exit_code == 1
    assert "no --source given, and" in error_line(no_origin) and "has no git remote 'origin'" in no_origin.stderr
    origin = "git@github.com:example/bakegen.git"
    subprocess.run(["git", "-C", str(clone), "remote", "add", "origin", origin], check=True)
    result = invoke("verify", image, "--key", str(public_key), "-C", str(clone))
    assert result.exit_code == 0, result.output
    assert "provenance names git@github.com:example/bakegen.git at" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read it"),
        ("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n", "is a private key; verify takes the public one"),
        ("hello\n", "not a PEM public key"),
    ],
)
def test_verify_key_mistakes(registry, fake_cosign, tmp_path: Path, clean_env, content, message) -> None:
    key = tmp_path / "key"
    if content is not None:
        key.write_text(content)
    result = invoke("verify", "reg.example/a/python:3.13-wee", "--key", str(key), "--source", SOURCE)
    assert result.exit_code == 1
    assert message in error_line(result)
    assert result.stdout == "" and fake_cosign.calls == []


# --- the engine's inspection ------------------------------------------------------------------------


def fake_docker_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stdout: str, code: int = 0) -> Path:
    """A docker executable that records its arguments and prints ``stdout``."""
    log = tmp_path / "args"
    script = tmp_path / "docker"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {log}\ncat <<'EOF'\n{stdout}\nEOF\nexit {code}\n")
    script.chmod(0o755)
    monkeypatch.setattr(engine, "docker", SimpleNamespace(client_config=SimpleNamespace(client_call=[str(script)])))
    return log


def test_image_digest_asks_imagetools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = fake_docker_cli(tmp_path, monkeypatch, json.dumps({"mediaType": "index", "digest": DIGEST}))
    assert engine.image_digest("reg.example/a/python:3.13-wee") == DIGEST
    assert log.read_text().splitlines() == [
        "buildx", "imagetools", "inspect", "reg.example/a/python:3.13-wee", "--format", "{{ json .Manifest }}"
    ]


def test_image_inspection_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_docker_cli(tmp_path, monkeypatch, "ERROR: reg.example/a/python:x: not found", code=1)
    with pytest.raises(EngineError, match=r"^cannot inspect reg.example/a/python:x: .*not found"):
        engine.image_digest("reg.example/a/python:x")
    fake_docker_cli(tmp_path, monkeypatch, "{}")
    with pytest.raises(EngineError, match="named no sha256 digest"):
        engine.image_digest("reg.example/a/python:x")


# --- verify: the tag a signature was made for, and keyless signatures (issue 18, item 4) -----------


def test_a_signature_for_another_tag_fails(registry, fake_cosign, public_key: Path, clean_env) -> None:
    """A signed 3.12 image moved under the 3.13-wee tag: its signature says 3.12-wee."""
    fake_cosign.sign_as(f"reg.example/a/python@{DIGEST}", "3.12-wee", "3.12.11")
    result = invoke("verify", "reg.example/a/python:3.13-wee", "--key", str(public_key), "--source", SOURCE)
    assert result.exit_code == 4
    assert result.stdout == (
        f"FAILED reg.example/a/python:3.13-wee {DIGEST}: signed, but not for the tag 3.13-wee (signed for: 3.12-wee)\n"
    )
    assert error_line(result) == "bakegen: error: 1 of 1 image(s) failed verification"


def test_a_signature_without_annotations_fails_for_a_tag_but_not_by_digest(
    registry, fake_cosign, public_key: Path, clean_env
) -> None:
    fake_cosign.sign_as(f"reg.example/a/python@{DIGEST}")  # signed before --sign annotated
    by_tag = invoke("verify", "reg.example/a/python:3.13-wee", "--key", str(public_key), "--source", SOURCE)
    assert by_tag.exit_code == 4 and "signed, but not for the tag 3.13-wee (signed for: no tag)" in by_tag.stdout
    by_digest = invoke("verify", f"reg.example/a/python@{DIGEST}", "--key", str(public_key), "--source", SOURCE)
    assert by_digest.exit_code == 0, by_digest.output
    assert by_digest.stdout.startswith(f"OK     reg.example/a/python@{DIGEST} {DIGEST}: signed ({public_key}); ")


def test_a_signature_for_the_tag_but_another_version_fails(registry, fake_cosign, public_key: Path, clean_env) -> None:
    registry.tags["reg.example/a/python:3.13.15-wee"] = DIGEST
    fake_cosign.sign_as(f"reg.example/a/python@{DIGEST}", "3.13.15-wee", "3.12.11")
    result = invoke("verify", "reg.example/a/python:3.13.15-wee", "--key", str(public_key), "--source", SOURCE)
    assert result.exit_code == 4
    assert "signed for 3.13.15-wee, but as CPython 3.12.11, not 3.13.15" in result.stdout


@pytest.mark.parametrize(
    ("tag", "version"),
    [("3.13.18-wee", "3.13.18"), ("3.13t-wee-optimized-lto", "3.13"), ("3t-wee", "3"), ("3.15.0a2-wee", "3.15.0a2"),
     ("2.7-wee", "2.7"), ("latest", ""), ("sha256-abc.sig", "")],
)
def test_tag_version(tag: str, version: str) -> None:
    assert signing.tag_version(tag) == version


@pytest.mark.parametrize(
    ("url", "repository"),
    [("git@github.com:Example/Bakegen.git", "Example/Bakegen"),
     ("https://github.com/example/bakegen", "example/bakegen"),
     ("https://github.com/example/bakegen.git/", "example/bakegen"), ("ssh://git@github.com/o/r.git", "o/r"),
     ("https://gitlab.com/o/r", ""), ("https://github.com.evil.example/o/r", ""), ("/srv/git/bakegen", "")],
)
def test_github_repository(url: str, repository: str) -> None:
    assert signing.github_repository(url) == repository


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone whose origin is example/bakegen on GitHub."""
    path = tmp_path / "clone"
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    origin = "git@github.com:example/bakegen.git"
    subprocess.run(["git", "-C", str(path), "remote", "add", "origin", origin], check=True)
    return path


def test_keyless_by_default_names_this_repositorys_workflow(registry, fake_cosign, clone: Path, clean_env) -> None:
    fake_cosign.sign_as(f"reg.example/a/python@{DIGEST}", "3.13-wee", "3.13.15")
    result = invoke("verify", "reg.example/a/python:3.13-wee", "-C", str(clone), "--source", SOURCE)
    assert result.exit_code == 0, result.output
    identity = "https://github.com/example/bakegen/.github/workflows/build.yml@refs/heads/main"
    assert fake_cosign.calls == [[
        "verify", "--certificate-identity", identity, "--certificate-oidc-issuer",
        "https://token.actions.githubusercontent.com", "--output", "json", f"reg.example/a/python@{DIGEST}",
    ]]  # keyless signatures are looked up in Rekor: no --insecure-ignore-tlog
    assert f"signed ({identity} (https://token.actions.githubusercontent.com)) for 3.13-wee" in result.stdout


def test_keyless_with_another_identity_or_a_regexp(registry, fake_cosign, clone: Path, clean_env) -> None:
    fake_cosign.sign_as(f"reg.example/a/python@{DIGEST}", "3.13-wee", "3.13.15")
    other = invoke("verify", "reg.example/a/python:3.13-wee", "-C", str(clone), "--source", SOURCE,
                   "--certificate-identity", "https://github.com/mallory/bakegen/.github/workflows/build.yml@refs/heads/main")
    assert other.exit_code == 4
    assert "no signature verifies with https://github.com/mallory/bakegen/" in other.stdout
    assert "none of the expected identities matched" in other.stdout
    regexp = invoke("verify", "reg.example/a/python:3.13-wee", "-C", str(clone), "--source", SOURCE,
                    "--certificate-identity-regexp", "^https://github\\.com/example/", "--certificate-oidc-issuer",
                    "https://issuer.example")
    assert regexp.exit_code == 0, regexp.output
    assert fake_cosign.calls[-1][1:5] == [
        "--certificate-identity-regexp", "^https://github\\.com/example/", "--certificate-oidc-issuer",
        "https://issuer.example",
    ]


@pytest.mark.parametrize(
    ("args", "origin", "message"),
    [
        (["--key", "k.pub", "--certificate-identity", "x"], "git@github.com:o/r.git", "exclude each other"),
        (["--certificate-identity", "x", "--certificate-identity-regexp", "y"], "git@github.com:o/r.git",
         "exclude each other; give one"),
        ([], "https://gitlab.example/o/r.git", "its git remote 'origin' (https://gitlab.example/o/r.git) is not on "
         "github.com; pass --certificate-identity https://github.com/OWNER/REPO/.github/workflows/build.yml@refs/heads/main"),
    ],
)
def test_verify_trust_mistakes(
    registry, fake_cosign, tmp_path: Path, clean_env, args: list[str], origin: str, message: str
) -> None:
    path = tmp_path / "clone"
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "remote", "add", "origin", origin], check=True)
    result = invoke("verify", "reg.example/a/python:3.13-wee", "-C", str(path), "--source", SOURCE, *args)
    assert result.exit_code == 1
    assert message in error_line(result)
    assert fake_cosign.calls == []
