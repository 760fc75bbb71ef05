"""The ``bakegen`` command line: signatures, help texts and exit codes only; the work is in ``core``."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from . import core
from .bake.plan import base_variable
from .errors import BakegenError

app = typer.Typer(
    help="Render, check and build slim CPython images (wee, wee-optimized, wee-optimized-lto) "
    "with docker buildx bake.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])

ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project-dir", "-C", envvar="BAKEGEN_PROJECT_DIR", file_okay=False,
        help="The project folder holding versions/, docker-bake.hcl.j2 and the Dockerfile.",
    ),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"bakegen: error: {message}", err=True)
    return typer.Exit(code)


def user_errors(func: F) -> F:
    """Turn the errors a user can fix into one line on stderr and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BakegenError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper  # type: ignore[return-value]


@app.command()
@user_errors
def render(
    project_dir: ProjectDir = Path("."),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 and show a diff if docker-bake.hcl is stale.")
    ] = False,
) -> None:
    """Render docker-bake.hcl from versions/ and docker-bake.hcl.j2 (offline, deterministic).

    The text is checked with python-hcl2 before it is written, and written atomically: on any
    error the old file stays as it was.
    """
    project = core.Project(project_dir)
    if check:
        diff = core.check_project(project)
        if diff:
            sys.stderr.write(diff)
            raise fail("docker-bake.hcl is stale: run `bakegen render` and commit the result")
        typer.echo("docker-bake.hcl is up to date")
        return
    changed = core.render_project(project)
    typer.echo(f"{'wrote' if changed else 'unchanged:'} {project.output}")


@app.command("list")
@user_errors
def list_targets(
    project_dir: ProjectDir = Path("."),
    groups: Annotated[bool, typer.Option("--groups", help="List the groups instead of the targets.")] = False,
) -> None:
    """Show the bake targets (one per line x variant) with their release and tags."""
    plan = core.Project(project_dir).plan()
    if groups:
        for g in plan.groups:
            typer.echo(f"{g.name:<20} {' '.join(g.targets)}")
        return
    typer.echo(f"{'TARGET':<26} {'VERSION':<9} {'BASE':<9} TAGS")
    for t in plan.targets:
        typer.echo(f"{t.name:<26} {t.release.version:<9} {t.release.debian:<9} {' '.join(t.tag_names)}")
    typer.echo(f"{'custom':<26} {'$PYTHON_VERSION':<19} (any release: PYTHON_VERSION, OPTIMAL, LTO)")
    typer.echo(f"{'sbom-generator':<26} {'':<19} (offline SBOM generator for SBOM_GENERATOR)")


@app.command()
@user_errors
def validate(
    project_dir: ProjectDir = Path("."),
    engine: Annotated[
        bool,
        typer.Option(
            "--engine/--no-engine",
            help="Also compare `docker buildx bake --print` with the plan, with every buildx found "
            "(the docker plugin and Debian's standalone one).",
        ),
    ] = True,
) -> None:
    """Check the committed docker-bake.hcl: fresh, well-formed, and read by bake as planned."""
    project = core.Project(project_dir)
    diff = core.check_project(project)
    if diff:
        raise fail("docker-bake.hcl is stale: run `bakegen render`")
    typer.echo("python-hcl2: targets, groups and attributes match the plan")
    if not engine:
        return
    failed = False
    for result in core.check_with_bake(project):
        status = "agrees with the plan" if not result.problems else f"{len(result.problems)} difference(s)"
        typer.echo(f"{result.buildx} {result.version}: bake --print {status}")
        for problem in result.problems:
            typer.echo(f"  {problem}", err=True)
        failed = failed or bool(result.problems)
    if failed:
        raise fail("bake reads docker-bake.hcl differently from the plan")


@app.command()
@user_errors
def build(
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Targets or groups (see `bakegen list`); default: every target.", show_default=False),
    ] = None,
    project_dir: ProjectDir = Path("."),
    load: Annotated[bool, typer.Option("--load", help="Load the images into the local engine.")] = False,
    push: Annotated[bool, typer.Option("--push", help="Push the images (and their manifest lists).")] = False,
    platform: Annotated[
        str | None,
        typer.Option("--platform", envvar="PLATFORMS", help="Comma-separated platforms, e.g. linux/amd64,linux/arm64."),
    ] = None,
    registry: Annotated[
        list[str] | None,
        typer.Option(
            "--registry", envvar="REGISTRY",
            help="Registry or registry namespace to tag for; repeat or comma-separate for several.",
        ),
    ] = None,
    image_name: Annotated[
        str | None, typer.Option("--image-name", envvar="IMAGE_NAME", help="Repository name below the registry.")
    ] = None,
    base_image: Annotated[
        list[str] | None,
        typer.Option(
            "--base-image",
            help="Base image for the trixie lines, e.g. a private mirror's; SUITE=IMAGE for lines on another "
            "Debian suite (bullseye=registry.example/debian:bullseye-slim). Repeatable.",
        ),
    ] = None,
    mirror: Annotated[
        str | None,
        typer.Option("--mirror", envvar="PYTHON_MIRROR", help="CPython source mirror (python.org /ftp/python layout)."),
    ] = None,
    mirror_sums: Annotated[
        str | None,
        typer.Option(
            "--mirror-sums", envvar="PYTHON_MIRROR_SHA256SUMS",
            help="A mirror's SHA256SUMS (file or URL): build, per line, the newest release it holds.",
        ),
    ] = None,
    cache: Annotated[
        str | None,
        typer.Option("--cache", envvar="CACHE", help='Build cache: "gha", or a repository for registry cache.'),
    ] = None,
    ca_bundle: Annotated[
        Path | None,
        typer.Option("--ca-bundle", envvar="CA_BUNDLE", dir_okay=False, help="Extra CA certificates (PEM) for apt."),
    ] = None,
    proxy: Annotated[
        str | None,
        typer.Option(
            "--proxy", envvar="PKG_PROXY",
            help="HTTP proxy for apt inside the build (e.g. a caching squid); kept out of the cache key.",
        ),
    ] = None,
    network: Annotated[
        str | None,
        typer.Option(
            "--network", envvar="NETWORK",
            help='Network of the RUN steps: "default", or "host" to reach a proxy on this machine\'s loopback.',
        ),
    ] = None,
    builder: Annotated[
        str | None,
        typer.Option("--builder", help="The buildx builder to use, e.g. a multi-node one with a native arm64 node."),
    ] = None,
    attest: Annotated[
        bool | None,
        typer.Option(
            "--attest/--no-attest", envvar="ATTEST",
            help="Attach provenance and SBOM attestations (default: when pushing).", show_default=False,
        ),
    ] = None,
    sbom_generator: Annotated[
        str | None,
        typer.Option(
            "--sbom-generator", envvar="SBOM_GENERATOR", help="SBOM generator image (see the sbom-generator target)."
        ),
    ] = None,
    latest: Annotated[
        bool,
        typer.Option("--latest", envvar="LATEST", help="Also tag the newest stable wee-optimized-lto as latest."),
    ] = False,
) -> None:
    """Build images with docker buildx bake, showing the build's progress.

    Without --load or --push the result stays in the build cache. Options override the bake
    variables of the same name (REGISTRY, PLATFORMS, BASE_IMAGE, PYTHON_MIRROR, CACHE, CA_BUNDLE),
    which are also read from the environment.
    """
    variables: dict[str, str] = {}
    if platform:
        variables["PLATFORMS"] = platform
    if registry:
        variables["REGISTRY"] = ",".join(r.strip() for item in registry for r in item.split(",") if r.strip())
    if image_name:
        variables["IMAGE_NAME"] = image_name
    for item in base_image or []:
        suite, sep, image = item.partition("=")
        if sep and "/" not in suite and ":" not in suite:
            variables[base_variable(suite.strip().lower())] = image.strip()
        else:
            variables["BASE_IMAGE"] = item
    if mirror:
        variables["PYTHON_MIRROR"] = mirror.rstrip("/")
    if cache is not None:
        variables["CACHE"] = cache
    if ca_bundle is not None:
        if not ca_bundle.is_file():
            raise fail(f"--ca-bundle {ca_bundle}: no such file")
        variables["CA_BUNDLE"] = str(ca_bundle.resolve())
    if proxy is not None:
        variables["PKG_PROXY"] = proxy
    if network is not None:
        if network not in ("default", "host", "none"):
            raise fail(f"--network {network}: use default, host or none")
        variables["NETWORK"] = network
    if sbom_generator:
        variables["SBOM_GENERATOR"] = sbom_generator
    if latest:
        variables["LATEST"] = "1"
    request = core.BuildRequest(
        targets=list(targets or []),
        variables=variables,
        load=load,
        push=push,
        builder=builder,
        sha256sums=mirror_sums,
        attest=attest,
    )
    built = core.build(core.Project(project_dir), request, on_line=lambda line: typer.echo(line, err=True))
    typer.echo(f"built {' '.join(built)}")


@app.command()
@user_errors
def bench(
    images: Annotated[
        list[str] | None,
        typer.Argument(help="Local images to compare; ratios are against the first.", show_default=False),
    ] = None,
    rounds: Annotated[
        int, typer.Option("--rounds", min=1, help="Rounds; each runs every benchmark on every image in turn.")
    ] = 3,
    fast: Annotated[
        bool, typer.Option("--fast", help="Quick check: 3 pyperf processes x 2 values (default: pyperf's 20 x 3).")
    ] = False,
    benchmark: Annotated[
        list[str] | None,
        typer.Option("--benchmark", "-b", help="Only these benchmarks (repeat or comma-separate); see --list."),
    ] = None,
    processes: Annotated[
        int | None, typer.Option("--processes", min=1, help="pyperf worker processes per benchmark.")
    ] = None,
    values: Annotated[int | None, typer.Option("--values", min=1, help="pyperf values per worker process.")] = None,
    cpu: Annotated[
        str,
        typer.Option("--cpu", help='CPU to pin the containers to: a number, "auto" (the last, if 2+) or "none".'),
    ] = "auto",
    base: Annotated[
        str | None, typer.Option("--base", help="Base image: also report what each image adds on top of it.")
    ] = None,
    ca_bundle: Annotated[
        Path | None,
        typer.Option(
            "--ca-bundle", envvar="CA_BUNDLE", dir_okay=False,
            help="CA certificates (PEM) for pip inside the containers, e.g. a TLS-intercepting proxy's.",
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", file_okay=False, help="Folder for bench.json, bench.svg, bench.txt.")
    ] = Path("bench-results"),
    registry_sizes: Annotated[
        bool,
        typer.Option("--registry-sizes", help="Compressed sizes from the registry's manifests (pushed images)."),
    ] = False,
    list_benchmarks: Annotated[bool, typer.Option("--list", help="Print the benchmarks and exit.")] = False,
) -> None:
    """Compare images' speed on 20 stdlib-only pyperformance benchmarks, and their sizes.

    One container per image installs pyperf and pyperformance once; then each round runs every
    benchmark on every image in turn. Prints each benchmark's time per image, the ratio against
    the first image (above 1: faster than the first), the geometric mean of the ratios with its
    spread, and the sizes (uncompressed, compressed, and added on top of --base). Writes
    bench.json (all values), bench.svg and bench.txt to --output at the end.
    """
    from . import bench as perf
    from .bench import containers

    if list_benchmarks:
        typer.echo(perf.benchmark_list(), nl=False)
        return
    request = perf.BenchRequest(
        images=list(images or []),
        benchmarks=perf.select_benchmarks(benchmark),
        rounds=rounds,
        fast=fast,
        processes=processes,
        values=values,
        cpu=cpu,
        base=base,
        ca_bundle=ca_bundle,
        registry_sizes=registry_sizes,
    )
    results = perf.run(request, containers.DockerBackend(), progress=lambda line: typer.echo(line, err=True))
    written = perf.write_report(output, results)
    typer.echo(perf.format_report(results), nl=False)
    typer.echo(f"wrote {' '.join(str(p) for p in written)}")


@app.command()
@user_errors
def matrix(
    project_dir: ProjectDir = Path("."),
    lines: Annotated[
        list[str] | None,
        typer.Option("--lines", "--line", help="Only these CPython lines, comma-separated (3.13,3.14); empty: all."),
    ] = None,
    variants: Annotated[
        list[str] | None,
        typer.Option("--variants", "--variant", help="Only these variants, comma-separated; empty: all."),
    ] = None,
    platforms: Annotated[
        str, typer.Option("--platforms", help="Comma-separated platforms, one build job each.")
    ] = "linux/amd64,linux/arm64",
    per_target: Annotated[
        bool, typer.Option("--per-target", help="One entry per target (for the jobs merging the digests).")
    ] = False,
    pretty: Annotated[bool, typer.Option("--pretty", help="Indent the JSON.")] = False,
) -> None:
    """Print the GitHub Actions build matrix as JSON: one entry per target x platform.

    Each entry names the target, its line, variant and version, the platform and the runner that
    builds it natively (ubuntu-24.04 for linux/amd64, ubuntu-24.04-arm for linux/arm64; others run
    under QEMU), the GitHub Actions cache scope <target>-<arch> and the digest artifact's name.
    The output is one line of JSON, an object whose "include" lists the entries: what
    strategy.matrix takes through fromJSON.
    """
    data = core.matrix(
        core.Project(project_dir), lines=lines, variants=variants, platforms=[platforms], per_target=per_target
    )
    typer.echo(json.dumps(data, indent=2) if pretty else json.dumps(data, separators=(",", ":")))


versions_app = typer.Typer(help="The release data in versions/.", no_args_is_help=True)
app.add_typer(versions_app, name="versions")


@versions_app.command("update")
@user_errors
def versions_update(
    project_dir: ProjectDir = Path("."),
    mirror: Annotated[
        str, typer.Option("--mirror", help="Where releases are listed: a python.org /ftp/python layout.")
    ] = "https://www.python.org/ftp/python",
    api: Annotated[
        str,
        typer.Option(
            "--api", help="python.org's release API, for checksums when the mirror has no SHA256SUMS."
        ),
    ] = "https://www.python.org/api/v2/downloads",
    pre: Annotated[bool, typer.Option("--pre", help="Take alphas, betas and release candidates too.")] = False,
    lines: Annotated[
        list[str] | None,
        typer.Option("--line", "--lines", help="Only these lines, comma-separated or repeated; default: all."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes; write nothing.")] = False,
) -> None:
    """Move each line in versions/ to its newest upstream patch release, then re-render docker-bake.hcl.

    Releases are read from the mirror's listings (<mirror>/ and <mirror>/X.Y.Z/), checksums from
    <mirror>/SHA256SUMS where the mirror has one, else from python.org's release API. The old
    release is kept as the newest of the line's previous releases. Everything is fetched and
    checked before the first write: a network failure or a malformed answer changes no file.
    """
    result = core.update_versions(
        core.Project(project_dir), mirror=mirror, api=api, pre=pre, lines=lines, dry_run=dry_run
    )
    for update in result.updates:
        typer.echo(update.summary())
    changed = [u for u in result.updates if u.changed]
    if dry_run:
        for update in changed:
            typer.echo(update.diff(), nl=False)
        if changed:
            bake = "docker-bake.hcl would be re-rendered" if result.bake_changed else "docker-bake.hcl unchanged"
            typer.echo(f"dry run: nothing written ({len(changed)} file(s) would change; {bake})")
        return
    for path in result.written:
        typer.echo(f"wrote {path}")
    if not changed:
        typer.echo("versions/ is up to date")


def main() -> None:
    app()
