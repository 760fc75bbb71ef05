"""The CI build matrix, derived from the plan: one build job per target x platform.

``bakegen matrix`` prints what ``.github/workflows/build.yml`` fans out over, so the workflow never
keeps a list of its own. Each platform is built on a runner of its own architecture (no emulation
where GitHub has a native runner), pushed by digest, tested there (``bakegen test``), and merged per
target into one manifest list carrying every tag of the target.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from ..errors import BakegenError, did_you_mean
from .model import Plan

DEFAULT_PLATFORMS = ("linux/amd64", "linux/arm64")

#: GitHub-hosted runners that build a platform natively.
NATIVE_RUNNERS = {
    "linux/amd64": "ubuntu-24.04",
    "linux/arm64": "ubuntu-24.04-arm",
}
#: Where platforms without a native runner are built, under QEMU emulation.
EMULATION_RUNNER = "ubuntu-24.04"

PLATFORM_RE = re.compile(r"^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?\Z")


@dataclass(frozen=True)
class BuildEntry:
    """One build job: one platform of one target."""

    target: str
    line: str
    variant: str
    version: str
    platform: str
    #: The platform without its OS, as a name part: ``amd64``, ``arm64``, ``arm-v7``.
    arch: str
    runner: str
    #: True where the runner cannot run the platform natively (set up QEMU first).
    qemu: bool
    #: GitHub Actions cache scope: ``<target>-<arch>``, so platforms never evict each other.
    cache_scope: str
    #: Name of the artifact holding the pushed digest: ``digests--<target>--<arch>``.
    artifact: str


@dataclass(frozen=True)
class MergeEntry:
    """One merge job: the per-platform digests of one target, tagged as one manifest list."""

    target: str
    line: str
    variant: str
    version: str
    platforms: str
    #: Glob of the digest artifacts of this target (for actions/download-artifact's ``pattern``).
    #: Target names never hold ``--``, so ``3_13-wee``'s glob cannot match ``3_13-wee-optimized``'s.
    artifacts: str


def arch_of(platform: str) -> str:
    return platform.split("/", 1)[1].replace("/", "-")


def _check_known(kind: str, wanted: Sequence[str], known: Sequence[str]) -> None:
    for name in wanted:
        if name not in known:
            hint = did_you_mean(name, known, f" (known: {', '.join(known)})")
            raise BakegenError(f"unknown {kind} '{name}'{hint}")


def select_targets(plan: Plan, lines: Sequence[str] = (), variants: Sequence[str] = ()):
    """The plan's targets on the given lines and variants (all of them where a filter is empty).

    A free-threaded build is a line of its own: ``3.13t`` selects it, ``3.13`` the usual build.
    """
    _check_known("line", lines, list(dict.fromkeys(t.line for t in plan.targets)))
    _check_known("variant", variants, [v.name for v in plan.variants])
    return [
        t
        for t in plan.targets
        if (not lines or t.line in lines) and (not variants or t.variant.name in variants)
    ]


def check_platforms(platforms: Sequence[str]) -> list[str]:
    if not platforms:
        raise BakegenError("--platforms is empty: name at least one, e.g. linux/amd64")
    seen: list[str] = []
    for p in platforms:
        if not PLATFORM_RE.match(p):
            raise BakegenError(f"'{p}' is not a platform like linux/amd64 or linux/arm/v7")
        if p not in seen:
            seen.append(p)
    return seen


def build_matrix(
    plan: Plan,
    lines: Sequence[str] = (),
    variants: Sequence[str] = (),
    platforms: Sequence[str] = DEFAULT_PLATFORMS,
) -> list[BuildEntry]:
    """One entry per selected target x platform, in plan order."""
    platforms = check_platforms(platforms)
    targets = select_targets(plan, lines, variants)
    if not targets:
        raise BakegenError("no target matches the given lines and variants")
    entries = []
    for t in targets:
        if "--" in t.name:  # keeps the artifact globs unambiguous; variant names cannot hold "--"
            raise BakegenError(f"target '{t.name}': names with '--' cannot be matrix entries")
        for p in platforms:
            arch = arch_of(p)
            entries.append(
                BuildEntry(
                    target=t.name,
                    line=t.line,
                    variant=t.variant.name,
                    version=t.release.version,
                    platform=p,
                    arch=arch,
                    runner=NATIVE_RUNNERS.get(p, EMULATION_RUNNER),
                    qemu=p not in NATIVE_RUNNERS,
                    cache_scope=f"{t.name}-{arch}",
                    artifact=f"digests--{t.name}--{arch}",
                )
            )
    return entries


def merge_matrix(entries: Sequence[BuildEntry]) -> list[MergeEntry]:
    """One entry per target of a build matrix."""
    merged: dict[str, MergeEntry] = {}
    for e in entries:
        if e.target in merged:
            m = merged[e.target]
            merged[e.target] = MergeEntry(**{**asdict(m), "platforms": f"{m.platforms},{e.platform}"})
        else:
            merged[e.target] = MergeEntry(
                target=e.target,
                line=e.line,
                variant=e.variant,
                version=e.version,
                platforms=e.platform,
                artifacts=f"digests--{e.target}--*",
            )
    return list(merged.values())


def github_matrix(entries: Sequence[BuildEntry] | Sequence[MergeEntry]) -> dict[str, list[dict]]:
    """The value for ``strategy.matrix`` (through ``fromJSON``)."""
    return {"include": [asdict(e) for e in entries]}
