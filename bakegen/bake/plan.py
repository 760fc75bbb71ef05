"""From releases and variants to the plan: targets, their tags, and groups."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from packaging.version import Version

from ..errors import DataError
from ..sums import STRICT, MirrorTrust, preferred
from ..untrusted import quote
from .data import DEFAULT_DEBIAN
from .model import (
    FREETHREADED_ABIFLAG,
    FreeThreading,
    Group,
    Plan,
    Release,
    Tarball,
    Target,
    Variant,
)

#: Targets that build the official recipe (bakegen/compare/Dockerfile) of the reference line's release,
#: and the source they share.
OFFICIAL_RECIPE = ("reference", "reference-modules", "reference-source")
#: Targets built for comparisons only: never pushed.
COMPARISON_TARGETS = ("reference", "reference-modules", "debian-python3")
#: The repository below each registry that the sbom-generator target is tagged in.
SBOM_IMAGE = "bakegen-sbom"
#: Targets the template adds to every plan, with what each is for.
EXTRA_TARGETS = {
    "custom": "any release, from PYTHON_VERSION, OPTIMAL, LTO and FREETHREADED",
    "sbom-generator": "the offline SBOM generator, for SBOM_GENERATOR",
    "reference": "the official python:3.13-slim recipe, for comparisons only (never pushed)",
    "reference-modules": "the same recipe without PGO and LTO, for module sets only (never pushed)",
    "reference-source": "the reference's CPython tarball, checked: the recipe's named build context",
    "debian-python3": "Debian's own python3 from apt on the same base, for comparisons only (never pushed)",
}
#: Bake rejects other characters in target and group names.
BAKE_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]+\Z")
#: Registry tag grammar (distribution/reference): 128 characters at most.
TAG_RE = re.compile(r"^[\w][\w.-]{0,127}\Z", re.ASCII)


def newest_stable_lines(releases: Iterable[Release]) -> set[str]:
    """The newest line of each major version that has a final (non pre-release) release."""
    best: dict[str, Release] = {}
    for r in releases:
        if r.is_prerelease:
            continue
        cur = best.get(r.major)
        if cur is None or Version(r.line) > Version(cur.line):
            best[r.major] = r
    return {r.line for r in best.values()}


def tag_names(release: Release, variant: Variant, *, newest_stable: bool, abiflag: str = "") -> tuple[str, ...]:
    """``3.13.15-wee``, ``3.13-wee`` and, for the newest stable line, ``3-wee``; a free-threaded build
    has its ABI flag after each version (``3.13.15t-wee``, ``3.13t-wee``, ``3t-wee``), as python.org's
    ``python3.13t`` and the ``3.13t`` of uv, pyenv and actions/setup-python."""
    names = [f"{release.version}{abiflag}-{variant.name}", f"{release.line}{abiflag}-{variant.name}"]
    if newest_stable:
        names.append(f"{release.major}{abiflag}-{variant.name}")
    return tuple(names)


def _targets(releases: list[Release], variants: list[Variant], freethreading: FreeThreading | None) -> list[Target]:
    """Each line in each variant, then its free-threaded builds; ``latest`` for the usual build only."""
    newest = newest_stable_lines(releases)
    stable = [r for r in releases if not r.is_prerelease]
    top = max(stable, key=lambda r: Version(r.line)) if stable else None
    ft_releases = [r for r in releases if freethreading and any(freethreading.builds(r, v) for v in variants)]
    ft_newest = newest_stable_lines(ft_releases)
    targets = []
    for r in releases:
        targets += [
            Target(r, v, tag_names(r, v, newest_stable=r.line in newest), latest_alias=v.latest and r is top)
            for v in variants
        ]
        targets += [
            Target(
                r, v, tag_names(r, v, newest_stable=r.line in ft_newest, abiflag=FREETHREADED_ABIFLAG),
                freethreading=freethreading,
            )
            for v in variants
            if freethreading and freethreading.builds(r, v)
        ]
    return targets


def _groups(targets: list[Target], variants: list[Variant]) -> list[Group]:
    """``default``, one group per line (``3_13``, ``3_13t``), one per variant, and ``freethreaded``."""
    lines = {t.line_key: t for t in targets}
    groups = [
        Group("default", tuple(t.name for t in targets), "every line in every variant"),
        *(
            Group(key, tuple(t.name for t in targets if t.line_key == key), f"CPython {first.line}"
                  f"{' (free-threaded)' if first.freethreaded else ''}, every variant")
            for key, first in lines.items()
        ),
        *(
            Group(v.name, tuple(t.name for t in targets if t.variant is v), f"every line as {v.name}")
            for v in variants
        ),
    ]
    freethreaded = tuple(t.name for t in targets if t.freethreaded)
    if freethreaded:
        groups.append(Group("freethreaded", freethreaded, "every free-threaded build (--disable-gil, PEP 703)"))
    return groups


def build_plan(
    releases: list[Release], variants: list[Variant], freethreading: FreeThreading | None = None,
    base_images: tuple = (),
) -> Plan:
    targets = _targets(releases, variants, freethreading)
    groups = _groups(targets, variants)
    known = sorted(
        {t for r in releases for t in (r.tarball, *r.previous)}, key=lambda t: Version(t.version)
    )
    plan = Plan(
        releases=tuple(releases),
        variants=tuple(variants),
        targets=tuple(targets),
        groups=tuple(groups),
        freethreading=freethreading,
        default_debian=DEFAULT_DEBIAN,
        known=tuple(known),
        base_images=tuple(base_images),
    )
    check_plan(plan)
    return plan


#: Group names the plan itself uses; with EXTRA_TARGETS, no variant may be named so.
PLAN_GROUPS = ("default", "freethreaded")
#: A registry takes tags of at most this many characters (TAG_RE).
TAG_MAX = 128


def _check_variant_names(plan: Plan) -> None:
    """Every variant is also a group of its name: it must not take a name bakegen uses itself."""
    reserved = (*PLAN_GROUPS, *EXTRA_TARGETS)
    for v in plan.variants:
        if v.name in reserved:
            raise DataError(
                f"variant '{v.name}': every variant is also a bake group of its name, and '{v.name}' is "
                f"bakegen's own (reserved: {', '.join(reserved)}); rename the variant in variants.toml"
            )


def _check_tag(tag: str, target: Target) -> None:
    if len(tag) > TAG_MAX:
        raise DataError(
            f"target {quote(target.name)}: its tag {quote(tag)} is {len(tag)} characters long, more than the "
            f"{TAG_MAX} an image tag may have; shorten the name of variant {quote(target.variant.name)} "
            f"in variants.toml by {len(tag) - TAG_MAX} characters or more"
        )
    if not TAG_RE.match(tag):
        raise DataError(f"target {quote(target.name)}: {quote(tag)} is not a valid image tag")


def check_plan(plan: Plan) -> None:
    """Names bake accepts, no name used twice, and no tag claimed by two targets. Each of these
    comes from the data: a :class:`DataError`, saying what to change."""
    _check_variant_names(plan)
    names: set[str] = set()
    for name in [*plan.names(), *(g.name for g in plan.groups), *EXTRA_TARGETS]:
        if not BAKE_NAME_RE.match(name):
            raise DataError(f"{quote(name)} is not a valid bake name (letters, digits, '_' and '-' only)")
        if name in names:
            raise DataError(f"the name '{name}' is used twice in the plan; rename the variant or line that makes it")
        names.add(name)
    # "latest" counts as claimed by the target that may carry it (LATEST=1).
    by_name = {t.name: t for t in plan.targets}
    claims = [("latest", t.name) for t in plan.targets if t.latest_alias]
    claims += [(tag, t.name) for t in plan.targets for tag in t.tag_names]
    owners: dict[str, str] = {}
    for tag, name in claims:
        _check_tag(tag, by_name[name])
        if tag in owners:
            raise DataError(f"tag '{tag}' is claimed by both {owners[tag]} and {name}")
        owners[tag] = name


def image_ref(registry: str, image: str, tag: str = "") -> str:
    """``<registry>/<image>:<tag>``: how bakegen names each image it builds, in the bake file's tags
    and wherever it looks for one; without ``tag``, the repository ``<registry>/<image>``."""
    return f"{registry}/{image}:{tag}" if tag else f"{registry}/{image}"


def registries(value: str) -> list[str]:
    """The entries of a REGISTRY value, as the bake file's ``split(",")`` and ``trimspace`` read them."""
    return [r.strip() for r in value.split(",")]


def releases_of(plan: Plan, names: Iterable[str]) -> list[Release]:
    """The releases of the plan that building ``names`` (targets or groups) compiles, oldest line
    first: each target's, and for the official recipe the reference line's. (``custom`` compiles
    PYTHON_VERSION, sbom-generator and debian-python3 no CPython at all.)"""
    chosen = set(plan.expand(names))
    if chosen & set(OFFICIAL_RECIPE) and plan.reference is not None:
        chosen.add(plan.reference.name)
    lines = {t.release.line for t in plan.targets if t.name in chosen}
    return [r for r in plan.releases if r.line in lines]


def base_variable(debian: str, default_debian: str = DEFAULT_DEBIAN) -> str:
    """The bake variable holding the base image for a Debian suite."""
    return "BASE_IMAGE" if debian == default_debian else f"BASE_IMAGE_{debian.upper()}"


def check_pinned(releases: Iterable[Release], sums: Mapping[str, Tarball]) -> None:
    """Stop when a mirror's sums contradict a sha256 that ``versions/`` pins.

    A pinned sum is the one fact a mirror cannot vouch for itself: whoever serves the tarball would
    also serve the sum that checks it. So a disagreement is never settled in the mirror's favour.
    """
    for r in releases:
        for pinned in (r.tarball, *r.previous):
            theirs = sums.get(pinned.name)
            if theirs is not None and theirs.sha256 != pinned.sha256:
                raise DataError(
                    f"CPython {pinned.version}: {pinned.sum_origin or r.origin} pins {pinned.name} to sha256 "
                    f"{pinned.sha256}, but {theirs.sum_origin or 'the mirror'} lists {theirs.sha256}: "
                    "the mirror does not hold the published file, or versions/ is wrong"
                )


def pin_to_available(
    releases: list[Release], available: Mapping[str, Tarball], trust: MirrorTrust = STRICT
) -> list[Release]:
    """Build, for each line, the newest final release that a mirror's ``SHA256SUMS`` lists.

    ``available`` maps file names to the mirror's tarballs (``sums.parse_sha256sums``). The mirror
    must agree with every sum ``versions/`` pins (:func:`check_pinned`), and it may only choose among
    what ``versions/`` pins, no older than the line's newest release: a file ``versions/`` does not
    pin needs ``trust.allow_unpinned`` (it is built with the mirror's sum, and marked so:
    ``Tarball.sum_from_mirror``), a pinned release older than the line's needs ``trust.allow_older``.
    Lines the mirror has nothing for keep the release from ``versions/``.
    """
    check_pinned(releases, available)
    return [_pin_line(r, available, trust) for r in releases]


def _pin_line(release: Release, available: Mapping[str, Tarball], trust: MirrorTrust) -> Release:
    line = Version(release.line).release
    candidates = [
        t
        for t in available.values()
        if not Version(t.version).is_prerelease and Version(t.version).release[:2] == line
    ]
    if not candidates:
        return release
    newest = preferred(candidates)
    # The mirror's files of that release, .tar.xz first; the first one versions/ pins wins.
    listed = sorted((t for t in candidates if t.version == newest.version), key=lambda t: t != newest)
    pinned = {t.name: t for t in (release.tarball, *release.previous)}
    chosen = next((pinned[t.name] for t in listed if t.name in pinned), newest)
    if chosen == release.tarball:
        return release
    _check_choice(release, chosen, trust)
    if chosen.sum_from_mirror:
        source = f"a mirror's SHA256SUMS ({chosen.sum_origin}: {chosen.name}); versions/ does not pin it"
    else:
        source = f"{release.origin} (the newest {release.line} release the mirror holds)"
    return replace(release, tarball=chosen, source=source)


def _check_choice(release: Release, chosen: Tarball, trust: MirrorTrust) -> None:
    """A mirror's choice that ``versions/`` does not back is refused unless the user allowed it."""
    if chosen.sum_from_mirror and not trust.allow_unpinned:
        raise DataError(
            f"CPython {release.line}: the mirror's newest is {chosen.name} ({chosen.sum_origin}), which "
            f"{release.origin} does not pin: add it to versions/ (bakegen versions update), or pass "
            "--allow-unpinned to build it with the mirror's sum"
        )
    if Version(chosen.version) < Version(release.version) and not trust.allow_older:
        raise DataError(
            f"CPython {release.line}: the mirror's newest is {chosen.version}, older than {release.version}, "
            f"which {release.origin} pins: the {release.line} tags would move back; pass --allow-older "
            "to build the older release"
        )
