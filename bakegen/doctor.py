"""``bakegen doctor``: can this machine do what a build asks, one line per check, with the fix.

``bakegen build`` runs the same checks first and stops with the first failing line, instead of
letting bake fail later with its whole log. Only what the named targets need is checked: the base
images of their suites, the CPython sources they compile, the repositories they push to. Docker is
asked through ``engine``, the network through ``net`` (short, capped probes); nothing is pulled,
built or pushed.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from . import engine, net
from .bake.model import Plan
from .bake.plan import EXTRA_TARGETS, SBOM_IMAGE, base_variable, image_ref, registries, releases_of
from .errors import DataError, EngineError
from .options import BuildSettings
from .project import Project, resolve
from .refs import host_of
from .sums import MirrorTrust
from .untrusted import loads_json

#: buildx 0.13 is the oldest release bakegen is tested with (Debian stable's).
MIN_BUILDX = (0, 13)
#: Free space below which a build is refused, and below which doctor warns. A CPython build's
#: stages (toolchain, source tree, compile, runtime) and its image take a few GiB together.
MIN_FREE_GIB = 4
LOW_FREE_GIB = 10
#: Docker Hub's registry API host, where ``docker.io`` names resolve.
DOCKER_HUB_API = "registry-1.docker.io"


@dataclass(frozen=True)
class Check:
    """One line of the report. ``status`` is ok, warn, FAIL or skip; a FAIL stops a build."""

    name: str
    status: str
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"

    def line(self) -> str:
        fix = f"; fix: {self.fix}" if self.fix and self.status in ("FAIL", "warn") else ""
        return f"{self.status:<4}  {self.name}: {self.detail}{fix}"


@dataclass
class Needs:
    """What the requested action needs, in bake's terms (as ``bakegen build`` would set them)."""

    #: Target platforms; empty: the builder's own.
    platforms: list[str] = field(default_factory=list)
    load: bool = False
    push: bool = False
    builder: str | None = None
    #: Every ``<registry>/<IMAGE_NAME>`` repository a push goes to.
    repositories: list[str] = field(default_factory=list)
    #: Base images, by bake variable, of the targets asked for.
    base_images: dict[str, str] = field(default_factory=dict)
    mirror: str = ""
    #: Source tarballs (paths below the mirror) the targets fetch; "": the mirror itself (custom's
    #: PYTHON_VERSION that versions/ does not list).
    tarballs: list[str] = field(default_factory=list)


def needs_for(
    plan: Plan, targets: Iterable[str], values: Mapping[str, str], *, load: bool, push: bool, builder: str | None
) -> Needs:
    """The needs of building ``targets`` (targets or groups) with these bake variable values."""
    chosen = plan.expand(targets)
    planned = [plan.target(name) for name in chosen if name in plan.names()]
    extra = [name for name in chosen if name in EXTRA_TARGETS]
    # The template's extra targets are all built on the default suite's base image.
    suites = {t.release.debian for t in planned} | ({plan.default_debian} if extra else set())
    base_vars = sorted(base_variable(s, plan.default_debian) for s in suites)
    tarballs = {r.tarball.path for r in releases_of(plan, chosen)}
    if "custom" in extra:
        tarballs.add(_custom_tarball(plan, values.get("PYTHON_VERSION", "")))
    image = values.get("IMAGE_NAME", "python")
    images = sorted({SBOM_IMAGE if name == "sbom-generator" else image for name in chosen})
    return Needs(
        platforms=[p.strip() for p in values.get("PLATFORMS", "").split(",") if p.strip()],
        load=load,
        push=push,
        builder=builder,
        repositories=[image_ref(r, i) for r in registries(values.get("REGISTRY", "")) if r for i in images],
        base_images={v: values[v] for v in base_vars if values.get(v)},
        mirror=values.get("PYTHON_MIRROR", "") if tarballs else "",
        tarballs=sorted(tarballs),
    )


def _custom_tarball(plan: Plan, version: str) -> str:
    """The custom target's tarball where versions/ knows the release; else "" (the mirror itself)."""
    return next((t.path for t in plan.known if t.version == version), "")


@dataclass
class DoctorRequest:
    """What ``bakegen doctor`` was asked about: a build, with the options ``bakegen build`` takes."""

    #: Targets or groups; none: every target.
    targets: list[str]
    settings: BuildSettings = field(default_factory=BuildSettings)
    load: bool = False
    push: bool = False
    builder: str | None = None
    sha256sums: str | None = None
    mirror_trust: MirrorTrust = field(default_factory=MirrorTrust)


def doctor(project: Project, request: DoctorRequest, report: Callable[[str], None]) -> list[Check]:
    """``bakegen doctor``: every check of what ``build`` would need for this request, one line each;
    an EngineError (exit 3) naming the failed ones."""
    r = resolve(
        project, request.targets, request.settings, load=request.load, push=request.push,
        sha256sums=request.sha256sums, trust=request.mirror_trust, everything=True,
    )
    checks = run_checks(needs_for(r.plan, r.targets, r.values, load=r.load, push=request.push,
                                  builder=request.builder))
    for check in checks:
        report(check.line())
    failed = [c for c in checks if c.failed]
    if failed:
        raise EngineError(f"{len(failed)} check(s) failed: {', '.join(c.name for c in failed)}")
    return checks


# --- Docker ---------------------------------------------------------------------------------------


def check_cli() -> Check:
    try:
        return Check("docker CLI", "ok", engine.client())
    except EngineError as exc:
        return Check("docker CLI", "FAIL", str(exc), "install Docker: https://docs.docker.com/engine/install/")


def check_daemon() -> tuple[Check, engine.Server | None]:
    try:
        server = engine.server()
    except EngineError as exc:
        return Check("daemon", "FAIL", str(exc), "start dockerd (systemctl start docker), or set DOCKER_HOST"), None
    return Check("daemon", "ok", f"Docker Engine {server.version} on {server.platform}"), server


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text.split("+")[0])[:3])


def check_buildx() -> Check:
    try:
        version = engine.buildx_plugin_version()
    except EngineError as exc:
        return Check("buildx", "FAIL", str(exc), "install the buildx plugin: https://github.com/docker/buildx#installing")
    if version_tuple(version)[:2] < MIN_BUILDX:
        want = ".".join(map(str, MIN_BUILDX))
        return Check("buildx", "FAIL", f"{version} is older than {want}", f"install buildx {want} or newer")
    return Check("buildx", "ok", version)


def check_store(server: engine.Server, needs: Needs) -> Check:
    if server.store == "containerd":
        return Check("image store", "ok", "containerd (loads multi-platform images)")
    if needs.load and len(needs.platforms) > 1:
        return Check(
            "image store", "FAIL", "the classic image store cannot --load several platforms at once",
            "enable the containerd image store (https://docs.docker.com/engine/storage/containerd/), "
            "or --load one --platform at a time, or --push",
        )
    return Check("image store", "ok", "classic (loads one platform at a time)")


def same_platform(a: str, b: str) -> bool:
    """linux/arm64 and linux/arm64/v8 are one platform."""
    return a.removesuffix("/v8") == b.removesuffix("/v8")


def check_platforms(server: engine.Server, needs: Needs) -> list[Check]:
    foreign = [p for p in needs.platforms if not same_platform(p, server.platform)]
    if not foreign:
        return [Check("platforms", "ok", f"{server.platform}, the builder's own")]
    try:
        available = engine.builder_platforms(needs.builder)
    except EngineError as exc:
        return [Check("platforms", "FAIL", str(exc), "docker buildx ls shows the builders; pick one with --builder")]
    checks = []
    for platform in foreign:
        if any(same_platform(platform, p) for p in available):
            checks.append(Check(f"binfmt {platform}", "ok", "the builder runs it (emulated or on a native node)"))
        else:
            arch = platform.split("/")[1]
            checks.append(Check(
                f"binfmt {platform}", "FAIL", f"the builder cannot run {platform} (it has {', '.join(available)})",
                f"register QEMU for it (docker run --privileged --rm tonistiigi/binfmt --install {arch}, or "
                "apt-get install qemu-user-static), or use a builder with a native node (--builder)",
            ))
    return checks


def check_disk(server: engine.Server) -> Check:
    host = os.environ.get("DOCKER_HOST", "")
    if (host and not host.startswith("unix://")) or not server.root or not os.path.isdir(server.root):
        return Check("disk", "skip", f"the daemon's data folder {server.root or '?'} is not on this machine")
    free = shutil.disk_usage(server.root).free / 2**30
    detail = f"{free:.0f} GiB free in {server.root}"
    if free < MIN_FREE_GIB:
        return Check("disk", "FAIL", detail, f"free at least {MIN_FREE_GIB} GiB (docker buildx du shows the cache)")
    if free < LOW_FREE_GIB:
        return Check("disk", "warn", detail, "a few builds fill that: docker buildx prune removes old cache")
    return Check("disk", "ok", detail)


# --- the network ----------------------------------------------------------------------------------


def registry_url(host: str) -> str:
    """The registry API's base URL: Docker Hub's for docker.io; plain http for loopback registries,
    which Docker allows without TLS (https://docs.docker.com/reference/cli/dockerd/#insecure-registries)."""
    if host == "docker.io":
        host = DOCKER_HUB_API
    name = urllib.parse.urlsplit(f"//{host}").hostname or host
    local = name == "localhost" or name.startswith("127.") or name == "::1"
    return f"{'http' if local else 'https'}://{host}/v2/"


def check_base_images(needs: Needs) -> list[Check]:
    checks = []
    for variable, image in needs.base_images.items():
        probe = net.probe(registry_url(host_of(image)))
        name = f"base image {variable}"
        if probe.answered:
            checks.append(Check(name, "ok", f"{image}: its registry answers ({host_of(image)})"))
        else:
            checks.append(Check(
                name, "FAIL", f"{image}: cannot reach its registry {host_of(image)} ({probe.error})",
                f"use a base image from a registry you reach: --base-image or {variable}=",
            ))
    return checks


def check_mirror(needs: Needs) -> list[Check]:
    """The mirror answers, and holds each source tarball the targets fetch (one byte is asked for)."""
    if not needs.mirror:
        return []
    checks = []
    for path in needs.tarballs:
        url = f"{needs.mirror}/{path}"
        probe = net.probe(url, headers={"Range": "bytes=0-0"})
        name = f"source {path.rsplit('/', 1)[-1]}" if path else "source mirror"
        if not probe.answered:
            fix = "--mirror (PYTHON_MIRROR) names one you reach"
            return [*checks, Check("source mirror", "FAIL", f"cannot reach {needs.mirror} ({probe.error})", fix)]
        if probe.status is not None and probe.status >= 400:
            fix = "--mirror-sums with the mirror's SHA256SUMS builds the releases it holds"
            checks.append(Check(name, "FAIL", f"{url}: HTTP {probe.status}", fix))
        else:
            checks.append(Check(name, "ok", f"{url} answers"))
    return checks


def _header(headers: Mapping[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="...",service="..."`` as ("bearer", {"realm": ..., "service": ...})."""
    scheme, _, rest = header.partition(" ")
    return scheme.lower(), dict(re.findall(r'(\w+)="([^"]*)"', rest))


def _token_allows_push(probe: net.Probe, repository: str) -> bool | None:
    """Whether a registry token's access claim names push for the repository; None if unreadable."""
    try:
        answer = loads_json(probe.body.decode("utf-8"), probe.url)
        token = answer.get("token") or answer.get("access_token", "")
        payload = token.split(".")[1]
        claims = loads_json(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8"), "token")
    except (DataError, ValueError, IndexError, AttributeError, TypeError):
        return None
    return any(
        a.get("name") == repository and "push" in a.get("actions", []) for a in claims.get("access") or []
    )


def _bearer_check(name: str, repository: str, params: dict[str, str], auth: str) -> Check:
    path = repository.split("/", 1)[1] if "/" in repository else repository
    query = urllib.parse.urlencode({"service": params.get("service", ""), "scope": f"repository:{path}:push,pull"})
    probe = net.probe(f"{params['realm']}?{query}", headers={"Authorization": f"Basic {auth}"})
    if probe.status != 200:
        return Check(name, "FAIL", f"the registry refused the stored login (HTTP {probe.status or probe.error})",
                     f"docker login {host_of(repository)}")
    if _token_allows_push(probe, path) is False:
        return Check(name, "FAIL", f"the login may not push to {path}", "push to a repository this account owns")
    return Check(name, "ok", "logged in; the registry grants push")


def check_push_target(repository: str) -> Check:
    host = host_of(repository + ":x")
    name = f"push {repository}"
    probe = net.probe(registry_url(host))
    if not probe.answered:
        return Check(name, "FAIL", f"cannot reach {host} ({probe.error})", "check the --registry name and the network")
    if probe.status == 200:
        return Check(name, "ok", f"{host} accepts requests without a login")
    if probe.status != 401:
        return Check(name, "FAIL", f"{host} is not a registry (HTTP {probe.status} at /v2/)", "check --registry")
    auth = engine.registry_login(host)
    if auth is None:
        return Check(name, "FAIL", f"{host} needs a login and none is stored", f"docker login {host}")
    scheme, params = _challenge(_header(probe.headers, "WWW-Authenticate"))
    if not auth:
        return Check(name, "ok", f"{host}: a credential helper holds the login (not checked)")
    if scheme == "bearer" and params.get("realm"):
        return _bearer_check(name, repository, params, auth)
    again = net.probe(registry_url(host), headers={"Authorization": f"Basic {auth}"})
    if again.status == 200:
        return Check(name, "ok", f"{host} accepts the stored login")
    return Check(name, "FAIL", f"{host} refused the stored login (HTTP {again.status})", f"docker login {host}")


# --- the report -----------------------------------------------------------------------------------


def _docker_checks(needs: Needs) -> list[Check]:
    cli = check_cli()
    if cli.failed:
        return [cli, Check("daemon", "skip", "needs the docker CLI")]
    daemon, server = check_daemon()
    checks = [cli, daemon, check_buildx()]
    if server is None:
        return checks
    return [*checks, check_store(server, needs), *check_platforms(server, needs), check_disk(server)]


def run_checks(needs: Needs) -> list[Check]:
    """Every check, in order; the network ones only where the action needs them."""
    checks = _docker_checks(needs) + check_base_images(needs) + check_mirror(needs)
    if needs.push:
        checks += [check_push_target(repo) for repo in needs.repositories]
    else:
        checks.append(Check("push", "skip", "not asked for (--push)"))
    return checks


def preflight(needs: Needs, on_line: Callable[[str], None] | None = None) -> None:
    """Before a build: a one-line EngineError for the first failing check; warnings are passed on."""
    checks = run_checks(needs)
    for check in checks:
        if check.status == "warn" and on_line:
            on_line(check.line())
    failed = [c for c in checks if c.failed]
    if failed:
        raise EngineError(failed[0].line().split("  ", 1)[1] + more(failed))


def more(failed: Sequence[Check]) -> str:
    return f" (and {len(failed) - 1} more: bakegen doctor lists them)" if len(failed) > 1 else ""
