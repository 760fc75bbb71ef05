"""``bakegen doctor`` and the defaults of ``bakegen build``, with the fake Docker and network."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from bakegen import doctor, engine, net
from bakegen.build import BuildRequest, Built
from bakegen.build import build as build_images
from bakegen.cli import run
from bakegen.options import BuildSettings
from bakegen.project import Project
from tests.kit.fakes import FakeDocker, FakeNet


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeDocker:
    docker = FakeDocker()
    monkeypatch.setattr(engine, "docker", docker)
    return docker


def test_doctor_reports_one_line_per_check(project_dir: Path, clean_env, fake, capsys) -> None:
    code = run(["doctor", "3_13-wee", "-C", str(project_dir), "--platform", "linux/amd64,linux/arm64"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0, out
    names = [line.split(":", 1)[0].split(None, 1)[1] for line in out]
    assert names == [
        "docker CLI", "daemon", "buildx", "image store", "binfmt linux/arm64", "disk",
        "base image BASE_IMAGE", "source Python-3.13.15.tar.xz", "push",
    ]
    assert all(line.split()[0] in ("ok", "skip") for line in out)


def test_doctor_checks_the_push_only_when_asked(project_dir: Path, clean_env, fake, fake_net, capsys) -> None:
    run(["doctor", "3_13-wee", "-C", str(project_dir), "--registry", "r1.example/a,r2.example/b"])
    assert not any("r1.example" in url for url in fake_net.urls)
    run(["doctor", "3_13-wee", "-C", str(project_dir), "--push", "--registry", "r1.example/a,r2.example/b"])
    assert "https://r1.example/v2/" in fake_net.urls and "https://r2.example/v2/" in fake_net.urls
    assert "ok    push r2.example/b/python: r2.example accepts requests without a login" in capsys.readouterr().out


def test_the_loopback_registry_and_docker_hub_urls() -> None:
    assert doctor.registry_url("localhost:5000") == "http://localhost:5000/v2/"
    assert doctor.registry_url("127.0.0.1:5000") == "http://127.0.0.1:5000/v2/"
    assert doctor.registry_url("docker.io") == "https://registry-1.docker.io/v2/"
    assert doctor.registry_url("ghcr.io") == "https://ghcr.io/v2/"


def token(access: list[dict]) -> bytes:
    payload = base64.urlsafe_b64encode(json.dumps({"access": access}).encode()).decode().rstrip("=")
    return json.dumps({"token": f"e30.{payload}.sig"}).encode()


@pytest.mark.parametrize(
    ("access", "status", "line"),
    [
        ([{"type": "repository", "name": "acme/python", "actions": ["pull", "push"]}], "ok", "grants push"),
        ([{"type": "repository", "name": "acme/python", "actions": ["pull"]}], "FAIL", "may not push to acme/python"),
    ],
)
def test_a_bearer_registry_is_asked_for_a_push_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, access, status, line
) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"reg.example": {"auth": "dTpw"}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    challenge = 'Bearer realm="https://auth.example/token",service="reg.example"'
    asked = []

    def probe(url, headers=None):
        asked.append((url, headers))
        if url.startswith("https://auth.example/token"):
            return net.Probe(url, 200, body=token(access))
        return net.Probe(url, 401, "HTTP 401", {"Www-Authenticate": challenge})

    monkeypatch.setattr(net, "probe", probe)
    check = doctor.check_push_target("reg.example/acme/python")
    assert (check.status, line in check.line()) == (status, True), check.line()
    url, headers = asked[-1]
    assert "scope=repository%3Aacme%2Fpython%3Apush%2Cpull" in url and "service=reg.example" in url
    assert headers == {"Authorization": "Basic dTpw"}


def test_disk_space_thresholds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    server = engine.Server("26", "linux/amd64", "containerd", str(tmp_path))
    for free, status in ((2, "FAIL"), (6, "warn"), (50, "ok")):
        monkeypatch.setattr(doctor.shutil, "disk_usage", lambda _p, f=free: type("U", (), {"free": f * 2**30})())
        assert doctor.check_disk(server).status == status
    monkeypatch.setenv("DOCKER_HOST", "tcp://remote:2376")
    assert doctor.check_disk(server).status == "skip"


# --- what `bakegen build` does by default ------------------------------------------------------------


def build(project_dir: Path, *targets: str, **kwargs) -> Built:
    settings = kwargs.pop("settings", BuildSettings())
    return build_images(Project(project_dir), BuildRequest(list(targets), settings=settings, **kwargs))


def test_without_push_or_platform_the_image_is_loaded_for_this_platform(project_dir: Path, clean_env, fake) -> None:
    built = build(project_dir, "3_13-wee")
    (call,) = fake.buildx.calls
    assert call["load"] is True and "PLATFORMS" not in call["variables"]
    assert built.summary() == (
        "built 3_13-wee: loaded; run it: docker run --rm -it docker.io/bakegen/python:3.13-wee"
    )


def test_with_platforms_alone_the_result_stays_in_the_cache(project_dir: Path, clean_env, fake) -> None:
    built = build(project_dir, "3_13-wee", settings=BuildSettings(platforms="linux/amd64,linux/arm64"))
    assert fake.buildx.calls[0]["load"] is False
    assert built.summary() == "built 3_13-wee: in the build cache only (--load or --push)"


def test_platforms_from_the_environment_count_too(project_dir: Path, clean_env, fake, monkeypatch) -> None:
    monkeypatch.setenv("PLATFORMS", "linux/arm64")
    build(project_dir, "3_13-wee")
    assert fake.buildx.calls[0]["load"] is False


def test_push_is_not_loaded(project_dir: Path, clean_env, fake) -> None:
    assert build(project_dir, "3_13-wee", push=True).summary() == "built 3_13-wee: pushed"
    assert fake.buildx.calls[0]["load"] is False


def test_no_target_asks_and_all_builds_the_default_group(project_dir: Path, clean_env, fake, capsys) -> None:
    assert run(["build", "-C", str(project_dir)]) == 1
    err = capsys.readouterr().err
    assert "groups 2_7" not in err
    assert "(2_7, 3_13, 3_13t, 3_16, 3_16t, wee, wee-optimized, wee-optimized-lto, freethreaded)" in err
    assert "e.g. `bakegen build 3_13-wee`" in err
    assert fake.buildx.calls == []
    assert run(["build", "--all", "-C", str(project_dir)]) == 0
    assert fake.buildx.calls[0]["targets"] == ["default"]


def test_a_failing_check_stops_the_build_before_bake(project_dir: Path, clean_env, monkeypatch, capsys) -> None:
    fake = FakeDocker(platforms=["linux/amd64"])
    monkeypatch.setattr(engine, "docker", fake)
    monkeypatch.setattr(net, "probe", FakeNet({"https://www.python.org": None}))
    code = run(["build", "3_13-wee", "--push", "--platform", "linux/amd64,linux/arm64", "-C", str(project_dir)])
    err = capsys.readouterr().err.splitlines()
    assert code == 3 and fake.buildx.calls == []
    assert err == [
        "bakegen: error: binfmt linux/arm64: the builder cannot run linux/arm64 (it has linux/amd64); fix: register "
        "QEMU for it (docker run --privileged --rm tonistiigi/binfmt --install arm64, or apt-get install "
        "qemu-user-static), or use a builder with a native node (--builder) (and 1 more: bakegen doctor lists them)"
    ]


# --- only what the named targets need ------------------------------------------------------------------


@pytest.mark.parametrize("target", ["sbom-generator", "debian-python3"])
def test_targets_without_cpython_sources_do_not_need_the_mirror(
    target: str, project_dir: Path, clean_env, fake, monkeypatch, capsys
) -> None:
    probes = FakeNet({"https://www.python.org": None})
    monkeypatch.setattr(net, "probe", probes)
    assert run(["doctor", target, "-C", str(project_dir)]) == 0, capsys.readouterr()
    assert not any("python.org" in url for url in probes.urls)
    assert "ok    base image BASE_IMAGE: debian:trixie-slim" in capsys.readouterr().out
    assert run(["build", target, "-C", str(project_dir)]) == 0
    assert fake.buildx.calls[0]["targets"] == [target]


def needs(project_dir: Path, *targets: str, **values: str) -> doctor.Needs:
    plan = Project(project_dir).plan()
    defaults = {"REGISTRY": "r.example/ns", "IMAGE_NAME": "python", "PYTHON_MIRROR": "https://m.example",
                "BASE_IMAGE": "debian:trixie-slim", "BASE_IMAGE_BULLSEYE": "debian:bullseye-slim"}
    return doctor.needs_for(plan, targets, {**defaults, **values}, load=False, push=True, builder=None)


def test_base_images_and_sources_of_the_named_targets_only(project_dir: Path) -> None:
    trixie = needs(project_dir, "3_13-wee")
    assert trixie.base_images == {"BASE_IMAGE": "debian:trixie-slim"}
    assert trixie.tarballs == ["3.13.15/Python-3.13.15.tar.xz"] and trixie.mirror == "https://m.example"
    bullseye = needs(project_dir, "2_7")
    assert bullseye.base_images == {"BASE_IMAGE_BULLSEYE": "debian:bullseye-slim"}
    assert bullseye.tarballs == ["2.7.18/Python-2.7.18.tgz"]
    none = needs(project_dir, "sbom-generator", "debian-python3")
    assert none.tarballs == [] and none.mirror == "" and none.base_images == {"BASE_IMAGE": "debian:trixie-slim"}


def test_the_official_recipe_and_custom_fetch_their_own_sources(project_dir: Path) -> None:
    assert needs(project_dir, "reference-modules").tarballs == ["3.13.15/Python-3.13.15.tar.xz"]
    assert needs(project_dir, "custom", PYTHON_VERSION="3.13.5").tarballs == ["3.13.5/Python-3.13.5.tar.xz"]
    # A release versions/ does not list: the mirror itself is asked.
    assert needs(project_dir, "custom", PYTHON_VERSION="3.99.1").tarballs == [""]


def test_each_target_is_pushed_to_its_own_repository(project_dir: Path) -> None:
    assert needs(project_dir, "3_13-wee").repositories == ["r.example/ns/python"]
    assert needs(project_dir, "sbom-generator").repositories == ["r.example/ns/bakegen-sbom"]
    both = needs(project_dir, "3_13-wee", "sbom-generator", REGISTRY="a.example, b.example")
    assert both.repositories == ["a.example/bakegen-sbom", "a.example/python", "b.example/bakegen-sbom",
                                 "b.example/python"]
