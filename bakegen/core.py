"""What the commands do, importable and testable without the CLI.

data (versions/, variants.toml) -> plan -> render -> validate -> bake.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from packaging.version import Version

from . import acceptance, doctor, engine, files, net, signing
from .bake import base
from .bake.data import load_releases, load_variants_file, validate_releases
from .bake.matrix import DEFAULT_PLATFORMS, build_matrix, github_matrix, merge_matrix, split_list
from .bake.model import Plan
from .bake.plan import COMPARISON_TARGETS, EXTRA_TARGETS, build_plan, pin_to_available
from .bake.releases import DEFAULT_API, DEFAULT_MIRROR, LineUpdate, Upstream, check_updates, find_updates
from .bake.render import OUTPUT, render
from .bake.validate import check_text, compare_printed, parse, settings
from .bench import runner as bench_runner
from .bench.containers import Backend, DockerBackend
from .bench.report import check_output, format_report, write_report
from .bench.request import BenchRequest
from .errors import BakegenError, ChecksFailed, DataError, did_you_mean
from .files import replace_files, sigterm_raises
from .options import BuildSettings, check_variables, split_items, to_variables
from .sums import STRICT, MirrorTrust, check_transport, parse_sha256sums

#: Debian stable's buildx, which bakegen also supports; checked when present.
DEBIAN_BUILDX = "/usr/libexec/docker/cli-plugins/docker-buildx"


@dataclass
class Project:
    """A bakegen project folder: versions/, docker-bake.hcl.j2, Dockerfile, docker-bake.hcl."""

    root: Path

    @property
    def output(self) -> Path:
        return self.root / OUTPUT

    def plan(self, *, sha256sums: str | None = None, trust: MirrorTrust = STRICT) -> Plan:
        releases = load_releases(self.root / "versions")
        validate_releases(releases)
        variants, freethreading = load_variants_file()
        if sha256sums:
            text = read_text(sha256sums, trust)
            releases = pin_to_available(releases, parse_sha256sums(text, sha256sums), trust)
        bases = base.for_suites(base.load(self.root / "versions"), (r.debian for r in releases))
        return build_plan(releases, variants, freethreading, bases)

    def render_text(self, plan: Plan | None = None, *, context: str = ".") -> str:
        plan = plan or self.plan()
        text = render(plan, self.root, context=context)
        check_text(text, plan)
        return text


def read_text(location: str, trust: MirrorTrust = STRICT) -> str:
    """A local file or an http(s) URL, read with bakegen's size and time caps (plain http only as
    ``trust`` allows: ``sums.check_transport``)."""
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


def render_project(project: Project) -> bool:
    """Render and write docker-bake.hcl; returns whether its content changed."""
    text = project.render_text()
    if files.existing_text(project.output) == text:
        return False
    files.write_text(project.output, text)
    return True


def check_project(project: Project) -> str:
    """An empty string when docker-bake.hcl is what a render gives today, else a unified diff."""
    text = project.render_text()
    old = files.existing_text(project.output) or ""
    if old == text:
        return ""
    diff = difflib.unified_diff(
        old.splitlines(keepends=True), text.splitlines(keepends=True), f"{OUTPUT} (committed)", f"{OUTPUT} (rendered)"
    )
    return "".join(diff) or f"{OUTPUT} is missing\n"


def require_fresh(project: Project, show_diff: Callable[[str], None]) -> None:
    """Raise when docker-bake.hcl is not what a render gives today, after showing the diff."""
    diff = check_project(project)
    if diff:
        show_diff(diff)
        raise BakegenError(f"{OUTPUT} is stale: run `bakegen render` and commit the result")


def list_lines(
    project: Project, *, groups: bool = False, sha256sums: str | None = None, trust: MirrorTrust = STRICT
) -> list[str]:
    """``bakegen list``: every target ``build`` accepts (or the groups), one line each.

    With ``sha256sums``, the plan a build with that mirror would make; SUM says whether a target's
    sha256 is pinned in versions/ or only the mirror's, and a note names the mirror's file.
    """
    plan = project.plan(sha256sums=sha256sums, trust=trust)
    if groups:
        return [f"{g.name:<20} {' '.join(g.targets)}" for g in plan.groups]
    lines = [f"{'TARGET':<26} {'VERSION':<9} {'SUM':<7} {'BASE':<9} TAGS"]
    lines += [
        f"{t.name:<26} {t.release.version:<9} {'mirror' if t.release.tarball.sum_from_mirror else 'pinned':<7} "
        f"{t.release.debian:<9} {' '.join(t.tag_names)}"
        for t in plan.targets
    ]
    lines += [f"{name:<26} {what}" for name, what in EXTRA_TARGETS.items()]
    return lines + mirror_sum_notes(plan)


@dataclass
class PrintCheck:
    """One buildx's ``--print`` compared with the plan."""

    buildx: str
    version: str
    problems: list[str] = field(default_factory=list)


def check_with_bake(
    project: Project, environ: Mapping[str, str] | None = None, binaries: list[str | None] | None = None
) -> list[PrintCheck]:
    """Run ``bake --print`` on the committed file with each buildx and compare with the plan."""
    environ = dict(os.environ if environ is None else environ)
    plan = project.plan()
    text = files.existing_text(project.output) or ""
    parsed = check_text(text, plan)
    values = settings(parsed, environ)
    if binaries is None:
        binaries = [None] + ([DEBIAN_BUILDX] if Path(DEBIAN_BUILDX).exists() else [])
    results = []
    for binary in binaries:
        printed = engine.bake_print([project.output], ["default"], values, binary=binary)
        results.append(
            PrintCheck(binary or "docker buildx", engine.buildx_version(binary), compare_printed(printed, plan, values))
        )
    return results


def validate(project: Project, *, engine: bool, report: Callable[[str], None]) -> None:
    """``bakegen validate``: fresh, well-formed, and (with ``engine``) read by every buildx as planned."""
    if check_project(project):
        raise BakegenError(f"{OUTPUT} is stale: run `bakegen render`")
    report("python-hcl2: targets, groups and attributes match the plan")
    values = settings(parse(files.existing_text(project.output) or ""), os.environ)
    check_variables(values, project.plan())
    report("settings: every variable is well-formed and every tag a valid image reference")
    if not engine:
        return
    failed = False
    for result in check_with_bake(project):
        status = "agrees with the plan" if not result.problems else f"{len(result.problems)} difference(s)"
        report(f"{result.buildx} {result.version}: bake --print {status}")
        for problem in result.problems:
            report(f"  {problem}")
        failed = failed or bool(result.problems)
    if failed:
        raise BakegenError(f"bake reads {OUTPUT} differently from the plan")


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
    #: Provenance and SBOM attestations; None: when pushing.
    attest: bool | None = None
    #: Sign every pushed manifest list with cosign (needs ``push``), with ``sign_key`` or $COSIGN_KEY.
    sign: bool = False
    sign_key: str | None = None
    #: No targets named: build every target (group "default") instead of asking.
    all: bool = False
    #: Run every step afresh (BuildKit's cache mounts, apt's, stay): a rebuild to compare digests with.
    no_cache: bool = False


def resolve_targets(plan: Plan, names: list[str]) -> list[str]:
    """Check requested names against the plan's targets and groups (and ``custom``).

    No name is a question, not "everything": every target is hours of compiling.
    """
    known = set(plan.names()) | {g.name for g in plan.groups} | set(EXTRA_TARGETS)
    for name in names:
        if name not in known:
            raise BakegenError(f"unknown target '{name}'{did_you_mean(name, known, '; see `bakegen list`')}")
    if not names:
        groups = ", ".join(g.name for g in plan.groups if g.name != "default")
        raise BakegenError(
            f"name what to build: a target (bakegen list) or a group ({groups}), e.g. "
            f"`bakegen build {example_target(plan)}`; --all builds every target"
        )
    return names


def example_target(plan: Plan) -> str:
    """The quickest build of the newest stable line: its first variant (wee)."""
    stable = [t for t in plan.targets if not t.release.is_prerelease] or list(plan.targets)
    newest = max((t.release for t in stable), key=lambda r: Version(r.line), default=None)
    return next((t.name for t in stable if t.release is newest), "custom")


def mirror_sum_notes(plan: Plan, names: list[str] | None = None) -> list[str]:
    """One line per release (of the named targets or groups; default all) whose sha256 only a mirror vouches for."""
    wanted = set(names or ["default"])
    expanded = wanted | {t for g in plan.groups if g.name in wanted for t in g.targets}
    if wanted & set(COMPARISON_TARGETS) and plan.reference is not None:
        expanded.add(plan.reference.name)
    releases = {t.release.line: t.release for t in plan.targets if t.name in expanded}
    return [
        f"note: {r.tarball.name}: sha256 {r.tarball.sha256} from {r.tarball.sum_origin}, "
        "a mirror's word: versions/ does not pin this file"
        for r in plan.mirror_summed
        if r.line in releases
    ]


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
    if epoch and not epoch.isdigit():
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


def entitlements(variables: Mapping[str, str], environ: Mapping[str, str]) -> tuple[str, ...]:
    """What bake must be allowed to do for these settings: host networking for NETWORK=host."""
    return ("network.host",) if variables.get("NETWORK", environ.get("NETWORK")) == "host" else ()


@dataclass
class Resolved:
    """A request worked out: the plan, the bake file text, the targets, and every bake variable."""

    plan: Plan
    text: str
    targets: list[str]
    #: What bakegen passes to bake (options, metadata, the request's own variables).
    variables: dict[str, str]
    #: Every variable as bake will read it: the file's defaults, the environment, then ``variables``.
    values: dict[str, str]
    load: bool


def resolve(project: Project, request: BuildRequest, *, all_by_default: bool = False) -> Resolved:
    """Plan, render and check a build request, without running anything."""
    if request.load and request.push:
        raise BakegenError("--load and --push exclude each other: load into the local engine, or push")
    comparison = [t for t in request.targets if t in COMPARISON_TARGETS]
    if request.push and comparison:
        raise BakegenError(
            f"the {comparison[0]} target is built for comparisons only; never pushed"
        )
    plan = project.plan(sha256sums=request.sha256sums, trust=request.mirror_trust)
    text = project.render_text(plan, context=str(project.root.resolve()))
    targets = resolve_targets(plan, request.targets or (["default"] if request.all or all_by_default else []))
    suites = sorted({r.debian for r in plan.releases})
    options = to_variables(request.settings, suites, plan.default_debian)
    variables = {**build_metadata(project.root, os.environ), **options, **request.variables}
    variables["ATTEST"] = "1" if (request.push if request.attest is None else request.attest) else "0"
    values = {**settings(parse(text), os.environ), **variables}
    check_variables(values, plan, targets)
    for dockerfile in sorted({t.dockerfile for t in plan.targets} | {"Dockerfile"}):
        files.read_text(project.root / dockerfile)  # a one-line error for a missing or unreadable one
    # Neither a push nor platforms asked for: build for the builder's own platform and load the
    # result, so that the image can be run right away.
    load = request.load or (not request.push and not values.get("PLATFORMS", "").strip())
    return Resolved(plan, text, targets, variables, values, load)


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
    values = resolved.values
    if len(resolved.targets) != 1 or resolved.targets[0] not in resolved.plan.names():
        return ""
    target = resolved.plan.target(resolved.targets[0])
    registry = values.get("REGISTRY", "").split(",")[0].strip()
    return f"{registry}/{values.get('IMAGE_NAME', 'python')}:{target.tag_names[1]}"


def build(
    project: Project,
    request: BuildRequest,
    on_line: Callable[[str], None] | None = None,
    report: Callable[[str], None] | None = None,
) -> Built:
    """Render a fresh bake file for this request, check what it needs (``doctor``), then run bake.

    ``on_line`` receives the build's progress, ``report`` what was signed (with ``sign``).
    """
    r = resolve(project, request)
    key = signing.signing_key(sign=request.sign, key=request.sign_key, push=request.push, environ=os.environ)
    for note in mirror_sum_notes(r.plan, r.targets):
        if on_line is not None:
            on_line(note)
    needs = doctor.needs_for(r.plan, r.targets, r.values, load=r.load, push=request.push, builder=request.builder)
    doctor.preflight(needs, on_line)
    variables = dict(r.variables)
    if r.values.get("CA_BUNDLE"):
        # buildx >= 0.19 asks for an fs.read entitlement for a secret file outside the working
        # folder and fails when it cannot prompt; the user named this file, so grant it.
        variables.setdefault("BUILDX_BAKE_ENTITLEMENTS_FS", "0")
    with tempfile.TemporaryDirectory(prefix="bakegen-") as tmp:
        bake_file, metadata = Path(tmp) / "docker-bake.hcl", Path(tmp) / "metadata.json"
        bake_file.write_text(r.text, encoding="utf-8")
        engine.bake_build(
            [bake_file],
            r.targets,
            variables,
            load=r.load,
            push=request.push,
            builder=request.builder,
            no_cache=request.no_cache,
            on_line=on_line,
            allow=entitlements(variables, os.environ),
            metadata_file=metadata,
        )
        if key:
            signing.sign_pushed(metadata, key, report or on_line or (lambda line: None), target_versions(r))
        images = image_names(metadata)
    return Built(r.targets, r.load, request.push, one_tag(r), images)


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


def target_versions(resolved: Resolved) -> dict[str, str]:
    """Each target's CPython version, for the signatures' annotations; ``custom``'s from PYTHON_VERSION."""
    versions = {t.name: t.release.version for t in resolved.plan.targets}
    return {**versions, "custom": resolved.values.get("PYTHON_VERSION", "")}


def doctor_report(project: Project, request: BuildRequest) -> list[doctor.Check]:
    """``bakegen doctor``: every check for what ``build`` would do with this request."""
    r = resolve(project, request, all_by_default=True)
    return doctor.run_checks(
        doctor.needs_for(r.plan, r.targets, r.values, load=r.load, push=request.push, builder=request.builder)
    )


def verify(
    project: Project,
    images: list[str],
    *,
    key: str | None,
    source: str | None,
    report: Callable[[str], None],
    identity: str | None = None,
    identity_regexp: str | None = None,
    issuer: str | None = None,
) -> list[signing.Verdict]:
    """``bakegen verify``: each image's signature, for its tag, and provenance (see bakegen/signing.py)."""
    trust = signing.verifier(project.root, key=key, identity=identity, identity_regexp=identity_regexp, issuer=issuer)
    return signing.verify_images(images, trust, source or signing.default_source(project.root), report)


def matrix(
    project: Project,
    *,
    lines: list[str] | None = None,
    variants: list[str] | None = None,
    platforms: list[str] | None = None,
    per_target: bool = False,
) -> dict[str, list[dict]]:
    """The GitHub Actions matrix for the selected targets: one entry per target x platform, or per
    target with ``per_target`` (for the jobs that merge the per-platform digests)."""
    entries = build_matrix(
        project.plan(), split_list(lines), split_list(variants), split_list(platforms) or list(DEFAULT_PLATFORMS)
    )
    return github_matrix(merge_matrix(entries) if per_target else entries)


@dataclass
class VersionsUpdate:
    """What ``versions update`` found, and what it wrote (nothing on a dry run)."""

    updates: list[LineUpdate]
    #: Whether docker-bake.hcl changes (or, on a dry run, would change).
    bake_changed: bool = False
    written: list[Path] = field(default_factory=list)
    #: One line per base image measured (``bake.base``), and whether versions/base-images.toml changes.
    bases: list[str] = field(default_factory=list)
    bases_changed: bool = False

    def report(self, *, dry_run: bool) -> list[str]:
        """What ``versions update`` prints, each entry ending in a newline."""
        lines = [u.summary() + "\n" for u in self.updates] + [line + "\n" for line in self.bases]
        changed = [u for u in self.updates if u.changed]
        if dry_run:
            lines += [u.diff() for u in changed]
            if changed or self.bake_changed or self.bases_changed:
                bake = f"{OUTPUT} would be re-rendered" if self.bake_changed else f"{OUTPUT} unchanged"
                count = len(changed) + self.bases_changed
                lines.append(f"dry run: nothing written ({count} file(s) would change; {bake})\n")
            return lines
        lines += [f"wrote {path}\n" for path in self.written]
        if not changed and not self.bases_changed:
            lines.append("versions/ is up to date\n")
        return lines


def update_versions(
    project: Project,
    *,
    mirror: str | None = None,
    api: str | None = None,
    pre: bool = False,
    lines: list[str] | None = None,
    dry_run: bool = False,
    base_images: bool = True,
    base_registry: str | None = None,
) -> VersionsUpdate:
    """Move each line of versions/ to its newest upstream release, then re-render docker-bake.hcl.

    Everything is fetched, the new files are loaded and validated, and the bake file is rendered
    before the first write. The files are then replaced as one transaction (``files.replace_files``):
    after any failure, SIGINT or SIGTERM included, versions/ and docker-bake.hcl are all old or all
    new. A docker-bake.hcl that does not match versions/ (left by an older bakegen, or edited by
    hand) is re-rendered even when versions/ is up to date. With ``base_images``, the digests of
    versions/base-images.toml are measured anew (``bake.base.refresh``; at ``base_registry`` if given).
    """
    if base_registry and not base_images:
        raise BakegenError("--base-registry measures the base images; it cannot go with --no-base-images")
    with sigterm_raises():
        versions_dir = project.root / "versions"
        upstream = Upstream(mirror or DEFAULT_MIRROR, api or DEFAULT_API)
        updates = find_updates(versions_dir, upstream, pre=pre, lines=split_list(lines))
        result = VersionsUpdate(updates)
        base_path = versions_dir / base.FILE
        base_text = base.refresh_file(versions_dir, base_registry, result.bases) if base_images else None
        text = project.render_text(check_updates(versions_dir, updates, base_text))
        old = files.existing_text(project.output)
        result.bake_changed = old != text
        contents = {u.path: u.new_text or "" for u in updates if u.changed}
        if base_text is not None:
            contents[base_path] = base_text
            result.bases_changed = True
        if result.bake_changed:
            contents[project.output] = text
        if not dry_run and contents:
            result.written = replace_files(contents)
        return result


def bench(request: BenchRequest, progress: Callable[[str], None], backend: Backend | None = None) -> str:
    """``bakegen bench``: check every option, run the benchmarks, write the report; returns the text to print.

    A bad option, an output folder that cannot take the report or a missing image fails before
    the first container starts.
    """
    check_output(request.output)
    results = bench_runner.run(request, backend or DockerBackend(), progress)
    written = write_report(request.output, results)
    return format_report(results) + f"wrote {' '.join(str(p) for p in written)}\n"


# --- bakegen test -----------------------------------------------------------------------------------


@dataclass
class AcceptanceRequest:
    """What ``bakegen test`` was asked for."""

    #: Targets, groups or image references.
    names: list[str]
    #: Comma-separated platforms; None: the engine's own.
    platforms: str | None = None
    #: REGISTRY and IMAGE_NAME as ``bakegen build`` takes them: where a target's image is.
    registries: Sequence[str] = ()
    image_name: str | None = None
    #: A mirror's SHA256SUMS, as given to ``bakegen build``: the releases, and so the tags, it pinned.
    sha256sums: str | None = None
    mirror_trust: MirrorTrust = field(default_factory=MirrorTrust)
    ca_bundle: Path | None = None
    #: A target or image to compare the stdlib imports with.
    reference: str | None = None
    #: docker run's --pull: missing, always or never.
    pull: str = "missing"


PULL_POLICIES = ("missing", "always", "never")


@dataclass
class ImageResolver:
    """Turns the names ``bakegen test`` was given into images: targets as ``bakegen build`` tags them."""

    project: Project
    request: AcceptanceRequest
    environ: Mapping[str, str]
    _plan: Plan | None = None
    _values: dict[str, str] | None = None

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            self._plan = self.project.plan(sha256sums=self.request.sha256sums, trust=self.request.mirror_trust)
        return self._plan

    def is_target_name(self, name: str) -> bool:
        """A bare name (no registry, tag or digest) in a project folder may name a target."""
        return not any(c in name for c in ":/@") and (self.project.root / "versions").is_dir()

    def expand(self, names: Sequence[str]) -> list[str]:
        """Groups replaced by their targets; a bare name close to a target's but none is a typo."""
        out: list[str] = []
        for name in names:
            if not self.is_target_name(name):
                out.append(name)
                continue
            groups = {g.name: g.targets for g in self.plan.groups}
            known = [*self.plan.names(), *groups, *EXTRA_TARGETS]
            if name not in known and did_you_mean(name, known):
                raise BakegenError(f"unknown target '{name}'{did_you_mean(name, known)}")
            out.extend(groups.get(name, [name]))
        return out

    def variables(self) -> dict[str, str]:
        """Every bake variable as ``bakegen build`` would set it: options, then environment, then defaults."""
        if self._values is None:
            plan = self.plan
            suites = sorted({r.debian for r in plan.releases})
            settings_ = BuildSettings(registries=self.request.registries, image_name=self.request.image_name)
            options = to_variables(settings_, suites, plan.default_debian)
            parsed = check_text(render(plan, self.project.root), plan)
            self._values = settings(parsed, {**self.environ, **options})
        return self._values

    def resolve(self, name: str) -> acceptance.Named:
        if not self.is_target_name(name):
            return acceptance.Named(name, name)
        if name in self.plan.names():
            target = self.plan.target(name)
            values = self.variables()
            registry = split_items([values["REGISTRY"]])[0]
            image = f"{registry}/{values['IMAGE_NAME']}:{target.tag_names[0]}"
            return acceptance.Named(name, image, acceptance.Expected.from_labels(target.labels))
        if name in EXTRA_TARGETS:
            return self.resolve_printed(name)
        return acceptance.Named(name, name)

    def resolve_printed(self, name: str) -> acceptance.Named:
        """A target outside the plan (reference, custom): its first tag and args as bake prints them."""
        text = self.project.render_text(self.plan, context=str(self.project.root.resolve()))
        fd, tmp = tempfile.mkstemp(prefix="bakegen-", suffix=".hcl")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            printed = engine.bake_print([Path(tmp)], [name], self.variables())
        finally:
            os.unlink(tmp)
        target = printed.get("target", {}).get(name, {})
        if not target.get("tags"):
            raise BakegenError(f"target '{name}' has no tag to test")
        version = (target.get("args") or {}).get("PYTHON_VERSION") or None
        return acceptance.Named(name, target["tags"][0], acceptance.Expected.from_labels(target.get("labels"), version))


def describe_checks() -> list[str]:
    """``bakegen test --list``."""
    return acceptance.checks.describe()


def check_images(
    project: Project,
    request: AcceptanceRequest,
    report: Callable[[str], None],
    environ: Mapping[str, str] | None = None,
) -> list[acceptance.Report]:
    """``bakegen test``: every check on every image and platform; raises ChecksFailed if any failed."""
    environ = dict(os.environ if environ is None else environ)
    if not request.names:
        raise BakegenError("name a target or an image to test (see `bakegen list`)")
    if request.pull not in PULL_POLICIES:
        raise BakegenError(f"--pull {request.pull}: expected one of {', '.join(PULL_POLICIES)}")
    resolver = ImageResolver(project, request, environ)
    images = [resolver.resolve(name) for name in resolver.expand(request.names)]
    reference = resolver.resolve(request.reference) if request.reference else None
    own = engine.server().platform  # also: a missing daemon is one line here, before any container
    platforms = split_items([request.platforms]) if request.platforms else [own]
    options = acceptance.Options(platforms, request.ca_bundle, reference, request.pull, environ)
    reports = acceptance.run(images, options, report)
    bad = [f"{r.subject.name} on {r.subject.platform} ({', '.join(r.failed)})" for r in reports if r.failed]
    if bad:
        raise ChecksFailed(f"{sum(len(r.failed) for r in reports)} check(s) failed: {'; '.join(bad)}")
    return reports
