"""Engine test for signed images (marker ``engine``): ``build --push --sign`` with a throw-away cosign
key pair, ``verify`` of every tag, and what must fail: another key, another source, an unsigned
image, and a signed tag re-pointed at another digest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bakegen import cli, engine
from bakegen.build import BuildRequest
from bakegen.build import build as build_images
from bakegen.project import Project
from tests.kit.engine import REPO, STACK_TRUST, bake_variables, measure, sums_of, unavailable

pytestmark = pytest.mark.engine

PASSWORD = "bakegen-engine-test"


def generate_key_pair(folder: Path) -> tuple[Path, Path]:
    folder.mkdir()
    subprocess.run(
        ["cosign", "generate-key-pair"], cwd=folder, check=True, capture_output=True,
        env={**os.environ, "COSIGN_PASSWORD": PASSWORD},
    )
    return folder / "cosign.key", folder / "cosign.pub"


def origin_or(default: str) -> str:
    """The clone's origin, which buildx records as the provenance's vcs source; else ``default``."""
    proc = subprocess.run(["git", "-C", str(REPO), "remote", "get-url", "origin"], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else default


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    """``bakegen verify`` as a user runs it: its exit status and its stdout lines."""
    capsys.readouterr()
    code = cli.run(["verify", *args])
    return code, capsys.readouterr().out.splitlines()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("cosign") is None:
        unavailable("cosign is not installed (.ci/run installs Debian's)")
    root = tmp_path_factory.mktemp("cosign")
    key, pub = generate_key_pair(root / "ours")
    _, other = generate_key_pair(root / "other")
    return {"key": key, "pub": pub, "other": other}


@pytest.fixture(scope="module")
def signed(stack, registry, sbom_generator, keys, test_version) -> dict:
    """3_13-wee for amd64, pushed to two repositories and signed in one `build --push --sign`."""
    repos = [f"{registry}/bakegen-sign-a", f"{registry}/bakegen-sign-b"]
    source = origin_or("https://example.com/bakegen")
    variables = {
        **bake_variables(stack),
        "REGISTRY": ",".join(repos),
        "SBOM_GENERATOR": sbom_generator,
        "SOURCE_URL": source,
    }
    request = BuildRequest(
        ["3_13-wee"], variables=variables, push=True, sign=True, sign_key=str(keys["key"]),
        **sums_of(stack),
    )
    report: list[str] = []
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COSIGN_PASSWORD", PASSWORD)
        build_images(Project(REPO), request, on_line=lambda line: None, report=report.append)
    measure(f"3_13-wee amd64 pushed to 2 repositories and signed in {time.monotonic() - started:.0f}s")
    plan = Project(REPO).plan(sha256sums=stack["sums"] or None, trust=STACK_TRUST)
    tags = next(t.tag_names for t in plan.targets if t.name == "3_13-wee")
    assert f"{test_version}-wee" in tags
    images = [f"{repo}/python:{tag}" for repo in repos for tag in tags]
    return {"repos": repos, "report": report, "source": source, "tags": tags, "images": images}


def test_each_repository_signed_once_by_digest(signed) -> None:
    digest = engine.image_digest(signed["images"][0])
    tags = ", ".join(signed["tags"])
    assert signed["report"] == [f"signed {repo}/python@{digest} ({tags})" for repo in signed["repos"]]
    assert {engine.image_digest(image) for image in signed["images"]} == {digest}


def test_every_tag_verifies(signed, keys, capsys) -> None:
    started = time.monotonic()
    code, lines = verify(capsys, *signed["images"], "--key", str(keys["pub"]), "--source", signed["source"])
    measure(f"verify of {len(signed['images'])} tags in {time.monotonic() - started:.0f}s")
    assert code == 0, lines
    assert len(lines) == len(signed["images"]) and all(line.startswith("OK ") for line in lines), lines
    assert all(f"provenance names {signed['source']} at " in line for line in lines), lines


def test_another_key_fails(signed, keys, capsys) -> None:
    code, lines = verify(capsys, signed["images"][0], "--key", str(keys["other"]), "--source", signed["source"])
    assert code == 4
    assert lines[0].startswith(f"FAILED {signed['images'][0]} sha256:") and "no signature verifies with" in lines[0]


def test_another_source_fails(signed, keys, capsys) -> None:
    code, lines = verify(
        capsys, signed["images"][0], "--key", str(keys["pub"]), "--source", "https://example.com/someone/else"
    )
    assert code == 4
    # The label SOURCE_URL set; in a clone with an origin remote, buildx's vcs source as well.
    assert lines[0].startswith(f"FAILED {signed['images'][0]} sha256:") and ": signed, but " in lines[0]
    assert f"provenance source label is {signed['source']}, not https://example.com/someone/else" in lines[0]


def test_unsigned_image_fails(signed, sbom_generator, keys, capsys) -> None:
    code, lines = verify(capsys, sbom_generator, "--key", str(keys["pub"]), "--source", signed["source"])
    assert code == 4
    assert lines[0].startswith(f"FAILED {sbom_generator} sha256:") and "no signature verifies with" in lines[0]


def test_retagged_image_fails(signed, stack, keys, capsys) -> None:
    """A signed tag pointed at another digest no longer verifies; the signed digest still does."""
    tag = signed["images"][1]
    repository = tag.rsplit(":", 1)[0]
    original = engine.image_digest(tag)
    other = stack["BASE_IMAGE"]
    retag = ["docker", "buildx", "imagetools", "create", "--tag", tag]
    subprocess.run([*retag, other], check=True, capture_output=True)
    try:
        tampered = engine.image_digest(tag)
        assert tampered != original
        code, lines = verify(capsys, tag, f"{repository}@{original}", "--key", str(keys["pub"]),
                             "--source", signed["source"])
        assert code == 4
        assert lines[0].startswith(f"FAILED {tag} {tampered}: no signature verifies with"), lines
        assert lines[1].startswith(f"OK     {repository}@{original} {original}: signed"), lines
    finally:
        subprocess.run([*retag, f"{repository}@{original}"], check=True, capture_output=True)


def test_a_signed_image_under_another_tag_fails(signed, keys, capsys) -> None:
    """The signatures carry the tags they were made for (bakegen/signing.py): the same signed digest,
    tagged as another line's image, does not verify under that tag."""
    image = signed["images"][0]
    repository = image.rsplit(":", 1)[0]
    digest = engine.image_digest(image)
    moved = f"{repository}:3.0-wee"
    subprocess.run(["docker", "buildx", "imagetools", "create", "--tag", moved, f"{repository}@{digest}"],
                   check=True, capture_output=True)
    code, lines = verify(capsys, moved, "--key", str(keys["pub"]), "--source", signed["source"])
    assert code == 4
    tags = ", ".join(sorted(signed["tags"]))
    assert lines[0] == f"FAILED {moved} {digest}: signed, but not for the tag 3.0-wee (signed for: {tags})"
