"""The CLI through typer's CliRunner, with the Docker binding of bakegen.engine swapped for a fake."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bakegen import engine
from bakegen.acceptance.command import AcceptanceRequest, ImageResolver
from bakegen.cli import app
from bakegen.project import Project
from tests.kit.fakes import FakeDocker

runner = CliRunner()


def invoke(*args: str, env: dict | None = None):
    return runner.invoke(app, list(args), env=env or {}, catch_exceptions=False, prog_name="bakegen")


def one_line_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert lines[0].startswith("bakegen: error: ")
    return lines[0]


def all_commands(group=None, prefix=()) -> list[tuple[str, ...]]:
    """Every command path the CLI has, sub-commands included."""
    group = group or typer.main.get_command(app)
    paths = []
    for name, command in group.commands.items():
        paths.append((*prefix, name))
        if hasattr(command, "commands"):
            paths += all_commands(command, (*prefix, name))
    return paths


def test_help_explains_every_command() -> None:
    commands = all_commands()
    assert {("build",), ("versions",), ("versions", "update")} <= set(commands)
    top = invoke("--help")
    assert top.exit_code == 0
    for path in commands:
        if len(path) == 1:
            assert path[0] in top.stdout
        sub = invoke(*path, "--help")
        assert sub.exit_code == 0, path
        assert "Usage: bakegen " + " ".join(path) in " ".join(sub.stdout.split()), path
        # The summary line is there and not cut off mid-word by the help renderer.
        assert len(sub.stdout) > 200 and "…" not in sub.stdout, path


def test_render_then_check(project_dir: Path, clean_env) -> None:
    out = project_dir / "docker-bake.hcl"
    result = invoke("render", "-C", str(project_dir))
    assert result.exit_code == 0 and out.exists()
    assert invoke("render", "--check", "-C", str(project_dir)).exit_code == 0
    out.write_text(out.read_text().replace("3.13.15", "3.13.14"))
    stale = invoke("render", "--check", "-C", str(project_dir))
    assert stale.exit_code == 1
    assert "stale" in stale.stderr and "-  args" not in stale.stderr and "+    PYTHON_VERSION" in stale.stderr


def test_corrupted_versions_file_leaves_bake_file_alone(project_dir: Path, clean_env) -> None:
    assert invoke("render", "-C", str(project_dir)).exit_code == 0
    before = (project_dir / "docker-bake.hcl").read_text()
    (project_dir / "versions" / "3.13.toml").write_text('version = "3.13.15"\nsha256 = "xyz"\n')
    result = invoke("render", "-C", str(project_dir))
    assert result.exit_code == 2
    assert "3.13.toml" in one_line_error(result)
    assert (project_dir / "docker-bake.hcl").read_text() == before
    left = sorted(p.name for p in project_dir.iterdir())
    assert left == ["Dockerfile", "docker-bake.hcl", "docker-bake.hcl.j2", "versions"]


def test_broken_template_leaves_no_file(project_dir: Path, clean_env) -> None:
    (project_dir / "docker-bake.hcl.j2").write_text("{% for x in %}\n")
    result = invoke("render", "-C", str(project_dir))
    assert result.exit_code != 0
    assert "template" in one_line_error(result)
    assert not (project_dir / "docker-bake.hcl").exists()


def test_list(project_dir: Path, clean_env) -> None:
    result = invoke("list", "-C", str(project_dir))
    assert result.exit_code == 0
    assert "3_13-wee-optimized-lto" in result.stdout and "3.13.15-wee-optimized-lto" in result.stdout
    groups = invoke("list", "--groups", "-C", str(project_dir))
    assert "wee-optimized-lto" in groups.stdout and "default" in groups.stdout
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
    assert "never pushed" in rows["reference"] and "never pushed" in rows["reference-modules"]


def test_failed_build(project_dir: Path, clean_env, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDocker(fail_with="#5 ERROR: process did not complete\nERROR: failed to solve: exit code 2\n")
    monkeypatch.setattr(engine, "docker", fake)
    result = invoke("build", "3_13-wee", "-C", str(project_dir))
    assert result.exit_code == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # The progress streamed so far, then exactly one error line.
    assert lines[0] == "#1 [internal] load local bake definitions"
    assert [line for line in lines if line.startswith("bakegen: error:")] == [lines[-1]]
    assert lines[-1] == "bakegen: error: build failed: failed to solve: exit code 2"
    assert "Traceback" not in result.output
    assert not Path(fake.buildx.calls[0]["files"][0]).exists()


def test_build_maps_options_to_bake(
    project_dir: Path, clean_env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(engine, "docker", fake)
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    sums = tmp_path / "SHA256SUMS"
    sums.write_text("93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640  Python-3.13.5.tar.xz\n")
    result = invoke(
        "build", "3_13-wee", "--load", "-C", str(project_dir),
        "--platform", "linux/amd64", "--registry", "reg.example/a", "--registry", "reg.example/b",
        "--base-image", "mirror.example/debian:trixie-slim", "--mirror", "http://mirror.example/python/",
        "--base-image", "bullseye=mirror.example/debian:bullseye-slim",
        "--proxy", "http://127.0.0.1:3128", "--network", "none",
        "--mirror-sums", str(sums), "--allow-older", "--ca-bundle", str(ca), "--cache", "reg.example/cache",
    )
    assert result.exit_code == 0, result.output
    assert "load local bake definitions" in result.stderr  # progress is shown
    (call,) = fake.buildx.calls
    assert call["targets"] == ["3_13-wee"] and call["load"] is True and call["push"] is False
    assert call["stream_logs"] is True
    created = call["variables"].pop("CREATED")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created)
    assert call["variables"] == {
        "ATTEST": "0",  # loading, not pushing
        "PLATFORMS": "linux/amd64",
        "REGISTRY": "reg.example/a,reg.example/b",
        "BASE_IMAGE": "mirror.example/debian:trixie-slim",
        "BASE_IMAGE_BULLSEYE": "mirror.example/debian:bullseye-slim",
        "PKG_PROXY": "http://127.0.0.1:3128",
        "NETWORK": "none",
        "PYTHON_MIRROR": "http://mirror.example/python",
        "CACHE": "reg.example/cache",
        "CA_BUNDLE": str(ca.resolve()),
        "BUILDX_BAKE_ENTITLEMENTS_FS": "0",
    }
    # The mirror holds 3.13.5 only, so that is what gets built, with its own checksum and tags.
    text = call["file_text"]
    assert 'PYTHON_VERSION = "3.13.5"' in text and '"3.13.5-wee"' in text
    assert f'context    = "{project_dir.resolve()}"' in text
    assert not Path(call["files"][0]).exists()  # the temporary bake file is gone


@pytest.mark.parametrize("target", ["reference", "reference-modules"])
def test_the_official_recipe_is_never_pushed(
    target: str, project_dir: Path, clean_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(engine, "docker", fake)
    result = invoke("build", "3_13-wee", target, "--push", "-C", str(project_dir))
    assert result.exit_code == 1
    assert f"the {target} target is built for comparisons only; never pushed" in one_line_error(result)
    assert fake.buildx.calls == []


def test_python_m_bakegen() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "bakegen", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "render" in proc.stdout


def test_push_attests_and_labels_the_revision(project_dir: Path, clean_env, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(engine, "docker", fake)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("REVISION", "")
    args = ["--push", "--latest", "--sbom-generator", "reg.example/sbom:1", "-C", str(project_dir)]
    result = invoke("build", "3_13", *args)
    assert result.exit_code == 0, result.output
    variables = fake.buildx.calls[0]["variables"]
    assert variables["ATTEST"] == "1" and variables["LATEST"] == "1"
    assert variables["SBOM_GENERATOR"] == "reg.example/sbom:1"
    assert variables["CREATED"] == "2023-11-14T22:13:20Z"  # from SOURCE_DATE_EPOCH
    assert fake.buildx.calls[0]["push"] is True
    no = invoke("build", "3_13", "--push", "--no-attest", "-C", str(project_dir))
    assert no.exit_code == 0 and fake.buildx.calls[1]["variables"]["ATTEST"] == "0"


def commit_project(project_dir: Path, when: int) -> str:
    """Make the project a git repository with one commit dated ``when``; its sha."""
    import subprocess

    env = {**os.environ, "GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "release data"]):
        subprocess.run(["git", "-C", str(project_dir), *args], env=env, check=True, capture_output=True)
    return subprocess.run(["git", "-C", str(project_dir), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_build_dates_the_images_by_the_commit(project_dir: Path, clean_env, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(engine, "docker", fake)
    sha = commit_project(project_dir, 1700000000)
    assert invoke("build", "3_13-wee", "-C", str(project_dir)).exit_code == 0
    variables = fake.buildx.calls[0]["variables"]
    # buildx hands SOURCE_DATE_EPOCH on to BuildKit, which dates the image config by it.
    assert variables["SOURCE_DATE_EPOCH"] == "1700000000"
    assert variables["CREATED"] == "2023-11-14T22:13:20Z"
    assert variables["REVISION"] == sha
    assert fake.buildx.calls[0]["cache"] is True
    # The environment's SOURCE_DATE_EPOCH wins (bake inherits it; bakegen passes no other).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    assert invoke("build", "3_13-wee", "-C", str(project_dir)).exit_code == 0
    variables = fake.buildx.calls[1]["variables"]
    assert "SOURCE_DATE_EPOCH" not in variables and variables["CREATED"] == "2020-09-13T12:26:40Z"


@pytest.mark.parametrize("epoch", ["yesterday", "-5", "1.5"])
def test_a_malformed_source_date_epoch_stops_before_bake(
    epoch: str, project_dir: Path, clean_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(engine, "docker", fake)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    result = invoke("build", "3_13-wee", "-C", str(project_dir))
    assert result.exit_code == 1
    assert "SOURCE_DATE_EPOCH=" in one_line_error(result) and "not a number of seconds" in result.stderr
    assert fake.buildx.calls == []


def test_no_cache_reaches_bake(project_dir: Path, clean_env, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(engine, "docker", fake)
    assert invoke("build", "3_13-wee", "--no-cache", "-C", str(project_dir)).exit_code == 0
    assert fake.buildx.calls[0]["cache"] is False


def test_host_network_needs_an_entitlement() -> None:
    from bakegen.build import entitlements

    assert entitlements({"NETWORK": "host"}, {}) == ("network.host",)
    assert entitlements({}, {"NETWORK": "host"}) == ("network.host",)
    assert entitlements({"NETWORK": "default"}, {"NETWORK": "host"}) == ()


MADE_UP = "f" * 64


@pytest.mark.parametrize("how", ["option", "environment"])
def test_list_shows_where_each_sum_comes_from(project_dir: Path, clean_env, tmp_path: Path, how: str) -> None:
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{'a' * 64}  Python-3.13.99.tar.xz\n")
    args, env = (["--mirror-sums", str(sums)], {}) if how == "option" else ([], {"PYTHON_MIRROR_SHA256SUMS": str(sums)})
    result = invoke("list", "-C", str(project_dir), *args, "--allow-unpinned", env=env)
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert rows["TARGET"][:5] == ["TARGET", "VERSION", "SUM", "BASE", "TAGS"]
    assert rows["3_13-wee"][1:3] == ["3.13.99", "mirror"]
    assert rows["2_7-wee"][1:3] == ["2.7.18", "pinned"]
    assert rows["note:"] == [
        "note:", "Python-3.13.99.tar.xz:", "sha256", "a" * 64, "from", f"{sums},", "a", "mirror's", "word:",
        "versions/", "does", "not", "pin", "this", "file",
    ]
    plain = invoke("list", "-C", str(project_dir))
    assert "mirror" not in plain.stdout and "note:" not in plain.stdout


def test_list_and_build_stop_on_a_tampered_sum(
    project_dir: Path, clean_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(engine, "docker", fake)
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{MADE_UP}  Python-3.13.5.tar.xz\n")  # versions/3.13.toml pins 3.13.5 to 93e583…
    pinned = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
    for command in ("list", "build"):
        result = invoke(command, "-C", str(project_dir), "--mirror-sums", str(sums))
        assert result.exit_code == 2, result.output
        line = one_line_error(result)
        assert line == (
            f"bakegen: error: CPython 3.13.5: {project_dir / 'versions' / '3.13.toml'} pins Python-3.13.5.tar.xz "
            f"to sha256 {pinned}, but {sums} lists {MADE_UP}: the mirror does not hold the published file, "
            "or versions/ is wrong"
        )
    assert fake.buildx.calls == []


def test_build_says_when_a_sum_is_the_mirrors(
    project_dir: Path, clean_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(engine, "docker", fake)
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{'a' * 64}  Python-3.13.99.tar.xz\n{'b' * 64}  Python-2.7.99.tgz\n")
    refused = invoke("build", "3_13-wee", "-C", str(project_dir), "--mirror-sums", str(sums))
    assert refused.exit_code == 2 and "--allow-unpinned" in one_line_error(refused)
    assert fake.buildx.calls == []
    result = invoke("build", "3_13-wee", "-C", str(project_dir), "--mirror-sums", str(sums), "--allow-unpinned")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    # Before the build's progress, and only about the release being built.
    assert lines[0] == (
        f"note: Python-3.13.99.tar.xz: sha256 {'a' * 64} from {sums}, a mirror's word: versions/ does not pin "
        "this file"
    )
    assert lines[1] == "#1 [internal] load local bake definitions"
    assert "2.7.99" not in result.stderr
    assert 'PYTHON_SHA256  = "' + "a" * 64 + '"' in fake.buildx.calls[0]["file_text"]
    both = invoke("build", "wee", "-C", str(project_dir), "--mirror-sums", str(sums), "--allow-unpinned")
    assert [line.split()[1] for line in both.stderr.splitlines() if line.startswith("note:")] == [
        "Python-2.7.99.tgz:", "Python-3.13.99.tar.xz:"
    ]


def test_build_and_test_read_registry_and_image_name_alike(
    project_dir: Path, clean_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "docker", FakeDocker())
    monkeypatch.setenv("REGISTRY", "reg.example/team")
    monkeypatch.setenv("IMAGE_NAME", "cpython")
    built = invoke("build", "3_13-wee", "-C", str(project_dir), env=dict(os.environ))
    assert built.stdout.strip().endswith("docker run --rm -it reg.example/team/cpython:3.13-wee"), built.output
    tested = ImageResolver(Project(project_dir), AcceptanceRequest([]), os.environ).resolve("3_13-wee")
    assert tested.image == "reg.example/team/cpython:3.13.15-wee"
    # An option wins over the environment, in both.
    built = invoke("build", "3_13-wee", "-C", str(project_dir), "--registry", "other.example", env=dict(os.environ))
    assert built.stdout.strip().endswith("other.example/cpython:3.13-wee"), built.output
    request = AcceptanceRequest([], registries=["other.example"])
    assert ImageResolver(Project(project_dir), request, os.environ).resolve("3_13-wee").image.startswith(
        "other.example/cpython:"
    )
