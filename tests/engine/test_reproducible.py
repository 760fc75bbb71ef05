"""Reproducible digests (marker ``engine``): a rebuild of ``3_13-wee``, and of ``3_13t-wee``, with
every step run afresh gives the same image.

What the test proves: on this commit, ``bakegen build 3_13-wee --load --no-cache`` gives, for this
engine's platform (linux/amd64 in CI), the same image manifest digest, hence the same config and the
same layers, as the same target built on the shared builder, from its cache where earlier builds
(the session's ``wee_image`` among them) left the steps there, under tags of its own. So two runs of every build step,
at different times, write the same bytes, and both images are dated by the commit (bakegen sets
SOURCE_DATE_EPOCH from it), not by the clock. One extra build rather than two, for CI's time.

What it does not prove: that the manifest list is reproducible (it is not: the provenance
attestation buildx attaches by default records when the build started and finished), or that a
rebuild matches once Debian's archive has moved on. Both builds resolve Debian packages when they
run (--no-cache keeps BuildKit's cache mounts, apt's package lists among them); were the archive to
change between the two, the layers that install packages would differ, and the failure names them.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tarfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bakegen.build import BuildRequest
from bakegen.build import build as build_images
from bakegen.project import Project
from tests.kit.engine import REPO, bake_variables, build, measure, sums_of

pytestmark = pytest.mark.engine

#: Indexes, manifests and configs are small; the layers, compared by digest only, are not read.
SMALL_BLOB = 1 << 20


@dataclass
class SavedImage:
    """One platform's image in the local image store, as ``docker save`` writes it (an OCI layout)."""

    manifest: str
    config_digest: str
    config: dict
    layers: list[str]

    def steps(self) -> list[str]:
        """The Dockerfile step behind each layer (the config's history, without the empty ones)."""
        return [h.get("created_by", "?") for h in self.config["history"] if not h.get("empty_layer")]


def read_blobs(tag: str) -> dict[str, bytes]:
    """index.json and the small blobs of ``docker save``, streamed (nothing is written to disk)."""
    proc = subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE)
    blobs: dict[str, bytes] = {}
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        for member in tar:
            wanted = member.name == "index.json" or member.name.startswith("blobs/sha256/")
            if wanted and member.isfile() and member.size < SMALL_BLOB:
                blobs[member.name.removeprefix("blobs/sha256/")] = tar.extractfile(member).read()
    assert proc.wait() == 0, f"docker save {tag} failed"
    return blobs


def saved_image(tag: str) -> SavedImage:
    """The platform image of a loaded tag: the one manifest of its list that is not an attestation."""
    blobs = read_blobs(tag)

    def load(digest: str) -> dict:
        return json.loads(blobs[digest.removeprefix("sha256:")])

    top = json.loads(blobs["index.json"])["manifests"][0]
    index = load(top["digest"])
    # A manifest list holds the image and, by default, buildx's provenance (platform unknown/unknown).
    listed = index.get("manifests", [top])
    images = [m for m in listed if m.get("platform", {}).get("os") != "unknown"] if "manifests" in index else listed
    assert len(images) == 1, f"{tag}: expected one platform image in {index}"
    manifest = load(images[0]["digest"])
    config = manifest["config"]["digest"]
    return SavedImage(images[0]["digest"], config, load(config), [x["digest"] for x in manifest["layers"]])


def build_date() -> str:
    """SOURCE_DATE_EPOCH from the environment, else the commit's time, as an OCI date."""
    git = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%ct"], capture_output=True, text=True)
    epoch = os.environ.get("SOURCE_DATE_EPOCH") or git.stdout
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def layer_files(tag: str, layer: str) -> dict[str, tuple]:
    """Each file of one layer of a loaded image: (type, mode, uid, gid, mtime, size, sha256 of the content)."""
    proc = subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE)
    files: dict[str, tuple] = {}
    with tarfile.open(fileobj=proc.stdout, mode="r|") as outer:
        for member in outer:
            if member.name != f"blobs/sha256/{layer.removeprefix('sha256:')}":
                continue
            with tarfile.open(fileobj=outer.extractfile(member), mode="r|*") as inner:
                for f in inner:
                    data = inner.extractfile(f).read() if f.isfile() else b""
                    files[f.name] = (f.type, f.mode, f.uid, f.gid, f.mtime, f.size, f.linkname,
                                     hashlib.sha256(data).hexdigest())
    proc.wait()
    return files


def differing_files(tag_a: str, layer_a: str, tag_b: str, layer_b: str, limit: int = 10) -> list[str]:
    """What differs between two layers, file by file: the answer to "which file is not reproducible"."""
    a, b = layer_files(tag_a, layer_a), layer_files(tag_b, layer_b)
    names = sorted(set(a) | set(b))
    return [f"{n}: {a.get(n)} != {b.get(n)}" for n in names if a.get(n) != b.get(n)][:limit]


@pytest.mark.parametrize("target", ["3_13-wee", "3_13t-wee"])
def test_a_rebuild_without_cache_gives_the_same_image(stack, wee_image, test_version, target) -> None:
    # Its own tags, taken from the build cache that the session's builds filled: other engine tests
    # build into the session's registry too, and a later build of theirs may own its tags by now.
    session = build(stack, target, registry=f"{stack['REGISTRY']}-repro")
    first = saved_image(session)
    variables = {**bake_variables(stack), "REGISTRY": f"{stack['REGISTRY']}-rebuild"}
    request = BuildRequest(
        [target], variables=variables, load=True, no_cache=True, **sums_of(stack)
    )
    started = time.monotonic()
    build_images(Project(REPO), request, on_line=lambda line: None)
    took = time.monotonic() - started
    abi = "t" if target.startswith("3_13t") else ""
    rebuilt = f"{variables['REGISTRY']}/python:{test_version}{abi}-wee"
    again = saved_image(rebuilt)
    measure(f"{target} rebuilt with --no-cache in {took:.0f}s: image manifest {again.manifest}")

    assert len(again.layers) == len(first.layers), (first.steps(), again.steps())
    steps = first.steps()
    differing = [
        f"{steps[n][:100] if n < len(steps) else f'layer {n}'}: {differing_files(session, a, rebuilt, b)}"
        for n, (a, b) in enumerate(zip(first.layers, again.layers, strict=True))
        if a != b
    ]
    assert differing == [], "layers that differ between the two builds, and their files"
    assert again.config == first.config
    assert (again.config_digest, again.manifest) == (first.config_digest, first.manifest)
    # Dated by the commit (SOURCE_DATE_EPOCH), not by the clock of either build.
    assert first.config["created"] == build_date()
