"""Engine tests for publishing (marker ``engine``): multi-platform push to two repositories with
attestations, the arm64 image under emulation, and registry cache on a builder with an empty cache.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time

import pytest

from bakegen.build import BuildRequest
from bakegen.build import build as build_images
from bakegen.project import Project
from tests.kit.engine import REPO, accept, accepted, bake_variables, isolated_builder, measure, sums_of

pytestmark = pytest.mark.engine


def inspect_raw(ref: str) -> dict:
    out = subprocess.run(["docker", "buildx", "imagetools", "inspect", "--raw", ref], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def inspect_format(ref: str, field: str) -> object:
    out = subprocess.run(
        ["docker", "buildx", "imagetools", "inspect", ref, "--format", "{{ json ." + field + " }}"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def pushed(stack, registry, sbom_generator, test_version) -> list[str]:
    """3_13-wee for amd64 and arm64, pushed to two repositories in one build."""
    repos = [f"{registry}/bakegen-one", f"{registry}/bakegen-two"]
    variables = {
        **bake_variables(stack),
        "PLATFORMS": "linux/amd64,linux/arm64",
        "REGISTRY": ",".join(repos),
        "SBOM_GENERATOR": sbom_generator,
        "SOURCE_URL": "https://example.com/bakegen",
    }
    started = time.monotonic()
    build_images(
        Project(REPO),
        BuildRequest(["3_13-wee"], variables=variables, push=True, **sums_of(stack)),
        on_line=lambda line: None,
    )
    measure(f"3_13-wee amd64+arm64 pushed to 2 repositories in {time.monotonic() - started:.0f}s")
    return [f"{repo}/python:{test_version}-wee" for repo in repos]


def test_manifest_list_in_both_repositories_with_attestations(pushed) -> None:
    for ref in pushed:
        index = inspect_raw(ref)
        platforms = {
            f"{m['platform']['os']}/{m['platform']['architecture']}"
            for m in index["manifests"]
            if m.get("annotations", {}).get("vnd.docker.reference.type") != "attestation-manifest"
        }
        assert platforms == {"linux/amd64", "linux/arm64"}, ref
        attestations = [
            m
            for m in index["manifests"]
            if m.get("annotations", {}).get("vnd.docker.reference.type") == "attestation-manifest"
        ]
        assert len(attestations) == 2, ref  # one per platform
        provenance = inspect_format(ref, "Provenance")
        sbom = inspect_format(ref, "SBOM")
        for arch in ("linux/amd64", "linux/arm64"):
            assert provenance[arch]["SLSA"], arch  # SLSA provenance, whatever its version's layout
            names = {p["name"] for p in sbom[arch]["SPDX"]["packages"]}
            assert {"cpython", "pip", "libssl3t64"} <= names, (arch, sorted(names)[:20])


def test_labels_and_annotations(pushed, test_version) -> None:
    index = inspect_raw(pushed[0])
    amd64 = next(m for m in index["manifests"] if m.get("platform", {}).get("architecture") == "amd64")
    manifest = inspect_raw(f"{pushed[0].rsplit(':', 1)[0]}@{amd64['digest']}")
    annotations = manifest.get("annotations", {})
    assert annotations["org.opencontainers.image.version"] == test_version
    assert annotations["io.bakegen.variant"] == "wee"
    assert annotations["org.opencontainers.image.source"] == "https://example.com/bakegen"
    assert len(annotations["org.opencontainers.image.revision"]) == 40
    assert annotations["org.opencontainers.image.created"].endswith("Z")
    config = inspect_format(pushed[0], "Image")
    labels = config["linux/amd64"]["config"]["Labels"]
    assert labels["io.bakegen.configure-flags"] == ""
    assert labels["org.opencontainers.image.revision"] == annotations["org.opencontainers.image.revision"]


def test_both_platforms_run_under_bakegen_test(stack, registry, pushed, test_version) -> None:
    """The pushed image of each platform, pulled by platform: arm64 runs under emulation here. Named
    by target, as the build tagged it in the second repository. The checks that tell the platforms
    apart only: the whole suite runs on both platforms of the same cross-compiled 3_13-wee in the
    workflow replay's default-branch run (test_workflow_replay.py), and under emulation it takes
    minutes."""
    result = accept(
        stack, "3_13-wee", platform="linux/amd64,linux/arm64", registry=f"{registry}/bakegen-two",
        options=("--pull", "always", "--check", "machine,version,default-cmd,python-imports"),
    )
    accepted(result)
    assert "PASS  machine                  aarch64" in result.stdout
    assert "PASS  machine                  x86_64" in result.stdout
    assert result.stdout.count("PASS  version                  " + test_version) == 2
    assert result.stdout.count("PASS  python-imports") == 2
    assert result.stdout.count(": 4 passed, 0 failed, 0 skipped") == 2


def test_registry_cache_rebuilds_on_a_cold_builder(stack, registry) -> None:
    """A builder with an empty cache that imports the registry cache compiles nothing."""
    variables = {**bake_variables(stack), "CACHE": f"{registry}/bakegen-test/cache"}
    request = BuildRequest(["3_13-wee"], variables=variables, **sums_of(stack))
    build_images(Project(REPO), request, on_line=lambda line: None)  # exports the cache
    log: list[str] = []
    with isolated_builder() as context:
        started = time.monotonic()
        # --load, so the layers are really fetched from the cache, not only found there. bake runs
        # with the environment's variables, so DOCKER_CONTEXT sends this one build to that daemon.
        cold = dataclasses.replace(request, load=True, variables={**variables, "DOCKER_CONTEXT": context})
        build_images(Project(REPO), cold, on_line=log.append)
        measure(f"3_13-wee rebuilt from registry cache on a cold builder in {time.monotonic() - started:.0f}s")
    text = "\n".join(log)
    assert "importing cache manifest" in text
    assert "checking build system type" not in text  # configure never ran: CPython was not recompiled
