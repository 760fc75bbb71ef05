"""``bakegen build``: render a fresh bake file for the request, run doctor's checks of what it
needs, then ``docker buildx bake``; with ``--sign``, sign what it pushed."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import doctor, engine, signing
from .bake.plan import image_ref, registries
from .options import BuildSettings
from .project import Project, Resolved, mirror_sum_notes, resolve
from .sums import MirrorTrust


@dataclass
class BuildRequest:
    """What ``bakegen build`` was asked for."""

    targets: list[str]
    #: The options' settings; the environment supplies what they leave unset.
    settings: BuildSettings = field(default_factory=BuildSettings)
    #: Bake variables set verbatim, over the settings (scripted callers and tests).
    variables: dict[str, str] = field(default_factory=dict)
    load: bool = False
    push: bool = False
    builder: str | None = None
    #: A mirror's SHA256SUMS: build the newest release of each line it holds instead of versions/.
    sha256sums: str | None = None
    #: What ``sha256sums`` may decide beyond versions/ (``sums.MirrorTrust``).
    mirror_trust: MirrorTrust = field(default_factory=MirrorTrust)
    #: Provenance and SBOM attestations; None: ATTEST from the environment, else when pushing.
    attest: bool | None = None
    #: Sign every pushed manifest list with cosign (needs ``push``), with ``sign_key`` or $COSIGN_KEY.
    sign: bool = False
    sign_key: str | None = None
    #: No targets named: build every target (group "default") instead of asking.
    all: bool = False
    #: Run every step afresh (BuildKit's cache mounts, apt's, stay): a rebuild to compare digests with.
    no_cache: bool = False


@dataclass
class Built:
    """What ``build`` did."""

    targets: list[str]
    loaded: bool
    pushed: bool
    #: A tag of the image, where exactly one target was built.
    tag: str = ""
    #: Every image name bake reported, per target (its metadata file's image.name).
    images: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        where = "loaded" if self.loaded else "pushed" if self.pushed else "in the build cache only (--load or --push)"
        run = f"; run it: docker run --rm -it {self.tag}" if self.loaded and self.tag else ""
        return f"built {' '.join(self.targets)}: {where}{run}"


def one_tag(resolved: Resolved) -> str:
    """A tag of the one image built (its X.Y tag), for the closing hint; "" for several."""
    if len(resolved.targets) != 1 or resolved.targets[0] not in resolved.plan.names():
        return ""
    target = resolved.plan.target(resolved.targets[0])
    registry = registries(resolved.values["REGISTRY"])[0]
    return image_ref(registry, resolved.values["IMAGE_NAME"], target.tag_names[1])


def entitlements(variables: Mapping[str, str], environ: Mapping[str, str]) -> tuple[str, ...]:
    """What bake must be allowed to do for these settings: host networking for NETWORK=host."""
    return ("network.host",) if variables.get("NETWORK", environ.get("NETWORK")) == "host" else ()


def build(
    project: Project,
    request: BuildRequest,
    on_line: Callable[[str], None] | None = None,
    report: Callable[[str], None] | None = None,
) -> Built:
    """Render a fresh bake file for this request, check what it needs (``doctor``), then run bake.

    ``on_line`` receives the notes and the build's progress, ``report`` what was signed (with ``sign``).
    """
    r = resolve(
        project, request.targets, request.settings, load=request.load, push=request.push,
        sha256sums=request.sha256sums, trust=request.mirror_trust, attest=request.attest,
        variables=request.variables, everything=request.all,
    )
    say = on_line or (lambda line: None)
    key = signing.signing_key(sign=request.sign, key=request.sign_key, push=request.push, environ=os.environ)
    for note in mirror_sum_notes(r.plan, r.targets):
        say(note)
    needs = doctor.needs_for(r.plan, r.targets, r.values, load=r.load, push=request.push, builder=request.builder)
    doctor.preflight(needs, say)
    variables = dict(r.variables)
    if r.values.get("CA_BUNDLE"):
        # buildx >= 0.19 asks for an fs.read entitlement for a secret file outside the working
        # folder and fails when it cannot prompt; the user named this file, so grant it.
        variables.setdefault("BUILDX_BAKE_ENTITLEMENTS_FS", "0")
    with tempfile.TemporaryDirectory(prefix="bakegen-") as tmp:
        bake_file, metadata = Path(tmp) / "docker-bake.hcl", Path(tmp) / "metadata.json"
        bake_file.write_text(r.text, encoding="utf-8")
        engine.bake_build(
            [bake_file], r.targets, variables, load=r.load, push=request.push, builder=request.builder,
            no_cache=request.no_cache, on_line=on_line, allow=entitlements(variables, os.environ),
            metadata_file=metadata,
        )
        if key:
            signing.sign_pushed(metadata, key, report or say, target_versions(r))
        images = image_names(metadata)
    return Built(r.targets, r.load, request.push, one_tag(r), images)


def target_versions(resolved: Resolved) -> dict[str, str]:
    """Each target's CPython version, for the signatures' annotations; ``custom``'s from PYTHON_VERSION."""
    versions = {t.name: t.release.version for t in resolved.plan.targets}
    return {**versions, "custom": resolved.values.get("PYTHON_VERSION", "")}


def image_names(metadata: Path) -> dict[str, list[str]]:
    """Each target's image names from bake's metadata file; {} where bake wrote none."""
    try:
        data = json.loads(metadata.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    names = {}
    for target, entry in data.items():
        if isinstance(entry, dict) and isinstance(entry.get("image.name"), str):
            names[target] = [n.strip() for n in entry["image.name"].split(",") if n.strip()]
    return names
