"""A bakegen project folder (versions/, docker-bake.hcl.j2, the Dockerfiles, docker-bake.hcl) and
what the commands that build from it share: the plan, the rendered bake file, the settings bake
will see, and the git facts a build is dated and labelled by.

data (versions/, variants.toml) -> plan -> render -> validate -> bake.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from packaging.version import Version

from . import files, net
from .bake import base
from .bake.data import load_releases, load_variants_file, validate_releases
from .bake.model import Plan
from .bake.plan import COMPARISON_TARGETS, EXTRA_TARGETS, build_plan, pin_to_available, releases_of
from .bake.render import OUTPUT, render
from .bake.validate import check_text, parse, variable_defaults
from .errors import BakegenError, DataError, did_you_mean
from .options import BuildSettings, check_variables, merged, to_variables
from .sums import STRICT, MirrorTrust, check_transport, parse_sha256sums


@dataclass
class Project:
    """A bakegen project folder."""

    root: Path

    @property
    def output(self) -> Path:
        return self.root / OUTPUT

    def plan(self, *, sha256sums: str | None = None, trust: MirrorTrust = STRICT) -> Plan:
        """The plan of versions/, or with ``sha256sums`` (a mirror's SHA256SUMS) of the newest
        release of each line that the mirror holds, as far as ``trust`` lets it decide."""
        releases = load_releases(self.root / "versions")
        validate_releases(releases)
        variants, freethreading = load_variants_file()
        if sha256sums:
            text = read_location(sha256sums, trust)
            releases = pin_to_available(releases, parse_sha256sums(text, sha256sums), trust)
        bases = base.for_suites(base.load(self.root / "versions"), (r.debian for r in releases))
        return build_plan(releases, variants, freethreading, bases)

    def render_text(self, plan: Plan | None = None, *, context: str = ".") -> str:
        """The bake file for ``plan`` (default: versions/), checked against it."""
        plan = plan or self.plan()
        text = render(plan, self.root, context=context)
        check_text(text, plan)
        return text

    def bake_values(
        self, text: str, options: Mapping[str, str | None] | None = None, environ: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """Every variable of the bake file ``text`` as bake will read it, ``options`` on top."""
        return merged(variable_defaults(parse(text)), os.environ if environ is None else environ, options)


def read_location(location: str, trust: MirrorTrust = STRICT) -> str:
    """``--mirror-sums``: a local file or an http(s) URL, read with bakegen's size and time caps (plain
    http only as ``trust`` allows: ``sums.check_transport``)."""
    if location.startswith(("http://", "https://")):
        url = net.check_url("--mirror-sums", location)
        check_transport(url, trust)
        try:
            return net.get_text(url)
        except net.FetchError as exc:
            raise DataError(f"{location}: {exc}") from None
    if "://" in location:
        raise BakegenError(f"--mirror-sums {location!r}: not a file or an http(s) URL")
    return files.read_text(Path(location))


def check_names(plan: Plan, names: Sequence[str], *, everything: bool = False) -> list[str]:
    """The targets and groups to build, each known to the plan (or a template's extra target).

    No name is a question, not "everything" (``everything`` says so): each target is hours of compiling.
    """
    known = set(plan.names()) | {g.name for g in plan.groups} | set(EXTRA_TARGETS)
    for name in names:
        if name not in known:
            raise BakegenError(f"unknown target '{name}'{did_you_mean(name, known, '; see `bakegen list`')}")
    if names:
        return list(names)
    if everything:
        return ["default"]
    groups = ", ".join(g.name for g in plan.groups if g.name != "default")
    raise BakegenError(
        f"name what to build: a target (bakegen list) or a group ({groups}), e.g. "
        f"`bakegen build {example_target(plan)}`; --all builds every target"
    )


def example_target(plan: Plan) -> str:
    """The quickest build of the newest stable line: its first variant (wee)."""
    stable = [t for t in plan.targets if not t.release.is_prerelease] or list(plan.targets)
    newest = max((t.release for t in stable), key=lambda r: Version(r.line), default=None)
    return next((t.name for t in stable if t.release is newest), "custom")


def mirror_sum_notes(plan: Plan, names: Sequence[str] = ("default",)) -> list[str]:
    """One line per release the named targets or groups compile whose sha256 only a mirror vouches for."""
    built = {r.line for r in releases_of(plan, names)}
    return [
        f"note: {r.tarball.name}: sha256 {r.tarball.sha256} from {r.tarball.sum_origin}, "
        "a mirror's word: versions/ does not pin this file"
        for r in plan.mirror_summed
        if r.line in built
    ]


@dataclass
class Resolved:
    """A build worked out without running anything: the plan, the bake file, the targets, the settings."""

    plan: Plan
    text: str
    targets: list[str]
    #: What bakegen passes to bake: the options, the git facts, ATTEST and a caller's own variables.
    variables: dict[str, str]
    #: Every variable as bake will read it: the file's defaults, the environment, then ``variables``.
    values: dict[str, str]
    load: bool


def resolve(
    project: Project,
    names: Sequence[str],
    settings: BuildSettings,
    *,
    load: bool = False,
    push: bool = False,
    sha256sums: str | None = None,
    trust: MirrorTrust = STRICT,
    attest: bool | None = None,
    variables: Mapping[str, str] | None = None,
    everything: bool = False,
) -> Resolved:
    """Plan, render and check a build of ``names`` with these settings; a one-line error for any mistake."""
    if load and push:
        raise BakegenError("--load and --push exclude each other: load into the local engine, or push")
    comparison = [n for n in names if n in COMPARISON_TARGETS]
    if push and comparison:
        raise BakegenError(f"the {comparison[0]} target is built for comparisons only; never pushed")
    plan = project.plan(sha256sums=sha256sums, trust=trust)
    text = project.render_text(plan, context=str(project.root.resolve()))
    targets = check_names(plan, names, everything=everything)
    suites = sorted({r.debian for r in plan.releases})
    # Pushing attests by default; ATTEST in the environment and --attest/--no-attest say otherwise.
    defaults = {**variable_defaults(parse(text)), "ATTEST": "1" if push else "0"}
    options = {
        **build_metadata(project.root, os.environ),
        **to_variables(settings, suites, plan.default_debian),
        "ATTEST": None if attest is None else "1" if attest else "0",
        **(variables or {}),
    }
    values = merged(defaults, os.environ, options)
    check_variables(values, plan, targets)
    for dockerfile in sorted({t.dockerfile for t in plan.targets} | {"Dockerfile"}):
        files.read_text(project.root / dockerfile)  # a one-line error for a missing or unreadable one
    passed = {name: value for name, value in options.items() if value is not None}
    passed["ATTEST"] = values["ATTEST"]
    # Neither a push nor platforms asked for: build for the builder's own platform and load the
    # result, so that the image can be run right away.
    load = load or (not push and not values.get("PLATFORMS", "").strip())
    return Resolved(plan, text, targets, passed, values, load)


def _git(root: Path, *args: str) -> str:
    """One line of git's output about the project, or "" where git or the repository is missing."""
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    except OSError:
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def source_date_epoch(root: Path, environ: Mapping[str, str]) -> str:
    """The build's SOURCE_DATE_EPOCH: the environment's, else the commit's time; "" outside git.

    buildx (0.10 and newer) passes it on to BuildKit as a build arg, which dates the image config and
    its history by it (https://github.com/moby/buildkit/blob/v0.12/docs/build-repro.md), so that two
    builds of one commit give the same image.
    """
    epoch = environ.get("SOURCE_DATE_EPOCH", "")
    if epoch and not (epoch.isascii() and epoch.isdigit() and len(epoch) <= 11):  # 11 digits: up to year 5138
        raise BakegenError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970-01-01 UTC")
    return epoch or _git(root, "log", "-1", "--format=%ct")


def build_metadata(root: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """REVISION, SOURCE_DATE_EPOCH and CREATED for the build, unless the environment sets them.

    CREATED (the org.opencontainers.image.created label) follows SOURCE_DATE_EPOCH, as the image
    config's date does; the clock only outside git.
    """
    values: dict[str, str] = {}
    revision = "" if environ.get("REVISION") else _git(root, "rev-parse", "HEAD")
    if revision:
        values["REVISION"] = revision
    epoch = source_date_epoch(root, environ)
    if epoch and not environ.get("SOURCE_DATE_EPOCH"):
        values["SOURCE_DATE_EPOCH"] = epoch
    if not environ.get("CREATED"):
        when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
        values["CREATED"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return values
