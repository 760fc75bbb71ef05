"""The ``bakegen`` command line: signatures, help texts and exit codes only. Each command's body
is one call into its module (``build``, ``doctor``, ``verify``, ``versions``, ``bakefile``,
``acceptance.command``, ``bench.command``); errors become one line and an exit code here.

Each option is declared once, below, with one help text. Typer reads from the environment only
bakegen's own variables (BAKEGEN_PROJECT_DIR, PYTHON_MIRROR_SHA256SUMS); the bake variables an
option overrides (REGISTRY, PLATFORMS, CA_BUNDLE, ...) are read where bake reads them, in
``options.merged``, so each setting is read from the environment once, and the same way by every
command.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from . import __version__, bakefile, options
from .acceptance.command import AcceptanceRequest, check_images
from .bake.matrix import DEFAULT_PLATFORMS
from .bake.releases import DEFAULT_API
from .bench.command import bench as run_bench
from .bench.request import CPU_AUTO, CPU_NONE, DEFAULT_OUTPUT, DEFAULT_ROUNDS, DEFAULT_WORK, THREAD_RUNS, BenchRequest
from .bench.workload import FAST_PROCESSES, FAST_VALUES
from .build import BuildRequest
from .build import build as run_build
from .doctor import DoctorRequest
from .doctor import doctor as run_doctor
from .errors import BakegenError, Terminated
from .files import sigterm_raises
from .options import BuildSettings, Network
from .project import Project
from .sums import MirrorTrust
from .verify import VerifyRequest
from .verify import verify as run_verify
from .versions import VersionsRequest, update_versions

app = typer.Typer(
    help="Render, check and build slim CPython images (wee, wee-optimized, wee-optimized-lto) "
    "with docker buildx bake.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])

ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project-dir", "-C", envvar="BAKEGEN_PROJECT_DIR", file_okay=False,
        help="The project folder holding versions/, docker-bake.hcl.j2 and the Dockerfile.",
    ),
]
Load = Annotated[
    bool, typer.Option("--load", help="Load the images into the local engine (the default without --push/--platform).")
]
Push = Annotated[bool, typer.Option("--push", help="Push the images (and their manifest lists).")]
Platform = Annotated[
    str | None,
    typer.Option(
        "--platform",
        help="Comma-separated platforms, e.g. linux/amd64,linux/arm64 (PLATFORMS); default: the builder's, or for "
        "test the engine's, own. test runs foreign ones under emulation.",
    ),
]
Registry = Annotated[
    list[str] | None,
    typer.Option(
        "--registry",
        help="Registry or registry namespace the images are tagged for (REGISTRY); repeat or comma-separate for "
        "several (test looks in the first).",
    ),
]
ImageName = Annotated[str | None, typer.Option("--image-name", help="Repository name below the registry (IMAGE_NAME).")]
BaseImage = Annotated[
    list[str] | None,
    typer.Option(
        "--base-image",
        help="Base image for the trixie lines, e.g. a private mirror's; SUITE=IMAGE for lines on another "
        "Debian suite (bullseye=registry.example/debian:bullseye-slim). Repeatable.",
    ),
]
Mirror = Annotated[
    str | None,
    typer.Option(
        "--mirror",
        help="CPython mirror in python.org's /ftp/python layout (PYTHON_MIRROR; default: python.org's): the "
        "sources a build fetches, the releases versions update lists.",
    ),
]
MirrorSums = Annotated[
    str | None,
    typer.Option(
        "--mirror-sums", envvar="PYTHON_MIRROR_SHA256SUMS",
        help="A mirror's SHA256SUMS (file or URL): build, per line, the newest release it holds (which also "
        "decides the tags). Sums that versions/ pins are never replaced: a mirror that disagrees stops the "
        "command (exit 2).",
    ),
]
# What a --mirror-sums file may decide beyond versions/ (bakegen/sums.py, MirrorTrust): each is off by default.
AllowOlder = Annotated[
    bool,
    typer.Option(
        "--allow-older",
        help="Let --mirror-sums pick a release that versions/ pins but that is older than the line's newest "
        "(the line's tags, e.g. 3.13-wee, then move back). Refused without it (exit 2).",
    ),
]
AllowUnpinned = Annotated[
    bool,
    typer.Option(
        "--allow-unpinned",
        help="Let --mirror-sums pick a release (or tarball) that versions/ does not pin, checked by the "
        "mirror's own sum. Refused without it (exit 2).",
    ),
]
AllowHttpSums = Annotated[
    bool,
    typer.Option(
        "--allow-http-sums",
        help="Read a --mirror-sums URL over plain http from a host that is not loopback. Refused without "
        "it (exit 2): anyone on the way could rewrite the sums.",
    ),
]
CaBundle = Annotated[
    Path | None,
    typer.Option(
        "--ca-bundle", exists=True, dir_okay=False, readable=True,
        help="CA certificates (PEM) to trust, e.g. a TLS-intercepting proxy's (CA_BUNDLE): apt in a build gets "
        "them as a secret; the containers of test, bench and campaign mount them for pip, Python's ssl and apt.",
    ),
]
Builder = Annotated[
    str | None,
    typer.Option("--builder", help="The buildx builder to use, e.g. a multi-node one with a native arm64 node."),
]
Lines = Annotated[
    list[str] | None,
    typer.Option(
        "--lines", "--line",
        help="Only these CPython lines, comma-separated or repeated (3.13,3.14; 3.13t: the free-threaded "
        "build); default: all.",
    ),
]

# The benchmark's options, which bench and campaign share.
Rounds = Annotated[
    int, typer.Option("--rounds", min=1, help="Rounds; each runs every benchmark on every image in turn.")
]
Fast = Annotated[
    bool,
    typer.Option(
        "--fast",
        help=f"Quick check: {FAST_PROCESSES} pyperf processes x {FAST_VALUES} values (default: pyperf's 20 x 3).",
    ),
]
Benchmarks = Annotated[
    list[str] | None,
    typer.Option(
        "--benchmark", "-b", help="Only these benchmarks (repeat or comma-separate); see `bakegen bench --list`."
    ),
]
Output = Annotated[
    Path,
    typer.Option(
        "--output", "-o", file_okay=False, writable=True,
        help="Folder for the report: bench.json, bench.svg, bench.txt (and a campaign's campaign.json).",
    ),
]


def mirror_trust(allow_older: bool, allow_unpinned: bool, allow_http_sums: bool) -> MirrorTrust:
    return MirrorTrust(allow_http=allow_http_sums, allow_older=allow_older, allow_unpinned=allow_unpinned)


def echo_err(line: str) -> None:
    typer.echo(line, err=True)


def echo_raw(text: str) -> None:
    typer.echo(text, nl=False)


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"bakegen: error: {message}", err=True)
    return typer.Exit(code)


def user_errors(func: F) -> F:
    """Turn the errors a user can fix into one line on stderr and a non-zero exit; SIGTERM and
    SIGHUP end a command as Ctrl-C does, its clean-up (temporary files and folders) done."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with sigterm_raises():
                return func(*args, **kwargs)
        except BakegenError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None
        except Terminated as exc:
            raise fail(str(exc), exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"bakegen {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=show_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Render, check and build slim CPython images (wee, wee-optimized, wee-optimized-lto) with docker buildx bake."""


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
    bakefile.render_project(
        Project(project_dir), typer.echo, check=check, show_diff=lambda diff: typer.echo(diff, err=True, nl=False)
    )


@app.command("list")
@user_errors
def list_targets(
    project_dir: ProjectDir = Path("."),
    groups: Annotated[bool, typer.Option("--groups", help="List the groups instead of the targets.")] = False,
    mirror_sums: MirrorSums = None,
    allow_older: AllowOlder = False,
    allow_unpinned: AllowUnpinned = False,
    allow_http_sums: AllowHttpSums = False,
) -> None:
    """Show every target `bakegen build` accepts, with its release and tags (or, with --groups, the groups).

    SUM says where the sha256 that checks the source tarball comes from: "pinned" (versions/) or
    "mirror" (--mirror-sums, for a tarball versions/ does not pin; a note names the mirror's file).
    """
    trust = mirror_trust(allow_older, allow_unpinned, allow_http_sums)
    typer.echo("\n".join(bakefile.list_lines(Project(project_dir), groups=groups, sha256sums=mirror_sums, trust=trust)))


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
    bakefile.validate(Project(project_dir), engine=engine, report=typer.echo)


@app.command()
@user_errors
def build(
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Targets or groups (see `bakegen list`); none: see --all.", show_default=False),
    ] = None,
    project_dir: ProjectDir = Path("."),
    all_targets: Annotated[
        bool, typer.Option("--all", help='Build every target (group "default"): hours of compiling.')
    ] = False,
    load: Load = False,
    push: Push = False,
    platform: Platform = None,
    registry: Registry = None,
    image_name: ImageName = None,
    base_image: BaseImage = None,
    mirror: Mirror = None,
    mirror_sums: MirrorSums = None,
    allow_older: AllowOlder = False,
    allow_unpinned: AllowUnpinned = False,
    allow_http_sums: AllowHttpSums = False,
    cache: Annotated[
        str | None, typer.Option("--cache", help='Build cache (CACHE): "gha", or a repository for registry cache.')
    ] = None,
    ca_bundle: CaBundle = None,
    proxy: Annotated[
        str | None,
        typer.Option(
            "--proxy", help="HTTP proxy for apt inside the build (PKG_PROXY), e.g. a caching squid; kept out of "
            "the cache key.",
        ),
    ] = None,
    network: Annotated[
        Network | None,
        typer.Option(
            "--network", help='Network of the RUN steps (NETWORK): "host" reaches a proxy on this machine\'s loopback.'
        ),
    ] = None,
    builder: Builder = None,
    attest: Annotated[
        bool | None,
        typer.Option(
            "--attest/--no-attest", help="Attach provenance and SBOM attestations (ATTEST; default: when pushing).",
            show_default=False,
        ),
    ] = None,
    sbom_generator: Annotated[
        str | None,
        typer.Option("--sbom-generator", help="SBOM generator image (SBOM_GENERATOR; see the sbom-generator target)."),
    ] = None,
    latest: Annotated[
        bool, typer.Option("--latest", help="Also tag the newest stable wee-optimized-lto as latest (LATEST=1).")
    ] = False,
    sign: Annotated[
        bool,
        typer.Option(
            "--sign",
            help="Sign every pushed manifest list, by digest and in each registry, with cosign (needs --push).",
        ),
    ] = False,
    sign_key: Annotated[
        str | None,
        typer.Option(
            "--sign-key", show_default=False,
            help="cosign private key (file, or a KMS URI) for --sign; default: $COSIGN_KEY. "
            "An encrypted key's password comes from COSIGN_PASSWORD.",
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Run every build step afresh, e.g. to compare digests with an earlier build."),
    ] = False,
) -> None:
    """Build images with docker buildx bake, showing the build's progress.

    With neither --push nor --platform (PLATFORMS), the images are built for the builder's own
    platform and loaded, ready for `docker run`. With --platform alone they stay in the build
    cache. The checks of `bakegen doctor` that the build needs run first. Options override the
    bake variables of the same name (REGISTRY, PLATFORMS, BASE_IMAGE, PYTHON_MIRROR, CACHE,
    CA_BUNDLE, ...), which are also read from the environment.
    """
    settings = BuildSettings(
        platforms=platform, registries=registry or [], image_name=image_name, base_images=base_image or [],
        mirror=mirror, cache=cache, ca_bundle=ca_bundle, proxy=proxy, network=network,
        sbom_generator=sbom_generator, latest=latest,
    )
    request = BuildRequest(
        targets=list(targets or []), settings=settings, load=load, push=push, builder=builder,
        sha256sums=mirror_sums, attest=attest, sign=sign, sign_key=sign_key, all=all_targets, no_cache=no_cache,
        mirror_trust=mirror_trust(allow_older, allow_unpinned, allow_http_sums),
    )
    typer.echo(run_build(Project(project_dir), request, on_line=echo_err, report=typer.echo).summary())


@app.command()
@user_errors
def doctor(
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Targets or groups the build would make; default: every target.", show_default=False),
    ] = None,
    project_dir: ProjectDir = Path("."),
    load: Load = False,
    push: Push = False,
    platform: Platform = None,
    registry: Registry = None,
    image_name: ImageName = None,
    base_image: BaseImage = None,
    mirror: Mirror = None,
    mirror_sums: MirrorSums = None,
    allow_older: AllowOlder = False,
    allow_unpinned: AllowUnpinned = False,
    allow_http_sums: AllowHttpSums = False,
    builder: Builder = None,
) -> None:
    """Check that this machine can build (and load or push) the images, one line per check.

    Checks the docker CLI, the daemon, buildx (0.13 or newer), the image store (--load of several
    platforms needs the containerd store), emulation for each foreign --platform, and what the
    named targets need: that their base images' registries and the source mirror (for the
    CPython sources they compile) answer, that each --registry accepts a push (with --push;
    nothing is pushed), and the free disk space. The options mean what they mean for
    `bakegen build`, with the same defaults. Exits 3 when something the build needs is missing.
    """
    settings = BuildSettings(
        platforms=platform, registries=registry or [], image_name=image_name, base_images=base_image or [],
        mirror=mirror,
    )
    request = DoctorRequest(
        targets=list(targets or []), settings=settings, load=load, push=push, builder=builder, sha256sums=mirror_sums,
        mirror_trust=mirror_trust(allow_older, allow_unpinned, allow_http_sums),
    )
    run_doctor(Project(project_dir), request, typer.echo)


@app.command()
@user_errors
def verify(
    images: Annotated[
        list[str], typer.Argument(help="Images in a registry: REPOSITORY:TAG or REPOSITORY@DIGEST.", show_default=False)
    ],
    key: Annotated[
        str | None,
        typer.Option(
            "--key", show_default=False,
            help="The cosign public key (cosign.pub) the images were signed with (bakegen build --sign). "
            "Without it, the signatures are checked keyless (see --certificate-identity).",
        ),
    ] = None,
    identity: Annotated[
        str | None,
        typer.Option(
            "--certificate-identity", show_default=False,
            help="Keyless: the identity the signing certificate must name. Default: this repository's "
            "publishing workflow on main, https://github.com/OWNER/REPO/.github/workflows/build.yml@refs/heads/main, "
            "with OWNER/REPO read from the git remote 'origin' of --project-dir (a github.com URL; "
            "otherwise give this option).",
        ),
    ] = None,
    identity_regexp: Annotated[
        str | None,
        typer.Option(
            "--certificate-identity-regexp", show_default=False,
            help="Keyless: a regular expression (Go syntax, as cosign reads it) the identity must match, "
            "instead of --certificate-identity.",
        ),
    ] = None,
    issuer: Annotated[
        str | None,
        typer.Option(
            "--certificate-oidc-issuer", show_default=False,
            help="Keyless: the OIDC issuer of the signing certificate. Default: GitHub Actions', "
            "https://token.actions.githubusercontent.com.",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", show_default=False,
            help="The repository the provenance must name (SOURCE_URL); default: the git remote 'origin' of "
            "--project-dir.",
        ),
    ] = None,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Check that each image is signed, for its tag, and has a provenance that names this repository.

    Each image is resolved to the digest its registry serves now; that digest must have a valid
    cosign signature: made with --key, or keyless by the certificate identity and issuer given
    (default: this repository's build.yml on main, as GitHub Actions signs it; checked in Rekor).
    For REPOSITORY:TAG, a verified signature must carry that tag, and the CPython version the tag
    names, as annotations (bakegen build --sign writes them). The SLSA provenance of every platform
    must record the source repository (BuildKit's git source, a git build context, or the
    org.opencontainers.image.source label) and no other. One line per image, OK or FAILED; exit
    status 4 when any image fails.
    """
    request = VerifyRequest(
        images=images, key=key, source=source, project_dir=project_dir, identity=identity,
        identity_regexp=identity_regexp, issuer=issuer,
    )
    run_verify(request, typer.echo)


@app.command("test")
@user_errors
def acceptance_test(
    images: Annotated[
        list[str] | None,
        typer.Argument(
            help="Targets or groups (the image `bakegen build` tagged first), or image references.",
            show_default=False,
        ),
    ] = None,
    project_dir: ProjectDir = Path("."),
    platform: Platform = None,
    registry: Registry = None,
    image_name: ImageName = None,
    mirror_sums: MirrorSums = None,
    allow_older: AllowOlder = False,
    allow_unpinned: AllowUnpinned = False,
    allow_http_sums: AllowHttpSums = False,
    ca_bundle: CaBundle = None,
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference", help="A target or image (e.g. reference-modules) whose stdlib imports each image must match."
        ),
    ] = None,
    pull: Annotated[
        str, typer.Option("--pull", help="Pull the images: missing, always (e.g. freshly pushed ones) or never.")
    ] = "missing",
    check: Annotated[
        list[str] | None,
        typer.Option("--check", help="Only these checks (repeat or comma-separate); see `bakegen test --list`."),
    ] = None,
    list_checks: Annotated[
        bool, typer.Option("--list", help="Print the checks (origin, which images, what they prove) and exit.")
    ] = False,
) -> None:
    """Run acceptance checks inside built images, on each platform.

    The official images' own tests (docker-library/official-images: python-imports, no .pyc,
    pip install requests and an HTTPS request, sqlite3, stack size, UTC, no hard-coded passwords,
    CMD override) and what bakegen's variants promise (version, configure flags, platform, no
    tkinter, free threading, commands, venv with pip, a C-extension wheel, headers,
    apt-get install, module parity with the official image). One line per check (PASS, FAIL or
    SKIP), a summary per image and platform; exit 4 if any check failed.
    """
    request = AcceptanceRequest(
        names=list(images or []), platforms=platform, registries=registry or [], image_name=image_name,
        sha256sums=mirror_sums, ca_bundle=ca_bundle, reference=reference, pull=pull, list_checks=list_checks,
        only=options.split_items(check),
        mirror_trust=mirror_trust(allow_older, allow_unpinned, allow_http_sums),
    )
    check_images(Project(project_dir), request, typer.echo)


@app.command()
@user_errors
def bench(
    images: Annotated[
        list[str] | None,
        typer.Argument(help="Local images to compare; ratios are against the first.", show_default=False),
    ] = None,
    rounds: Rounds = DEFAULT_ROUNDS,
    fast: Fast = False,
    benchmark: Benchmarks = None,
    processes: Annotated[
        int | None, typer.Option("--processes", min=1, help="pyperf worker processes per benchmark.")
    ] = None,
    values: Annotated[int | None, typer.Option("--values", min=1, help="pyperf values per worker process.")] = None,
    cpu: Annotated[
        str,
        typer.Option(
            "--cpu",
            help=f'CPU to pin the containers to: a number, "{CPU_AUTO}" (the last, if 2+) or "{CPU_NONE}"; '
            "with --threads N, the first of N CPUs (auto: the last N).",
        ),
    ] = CPU_AUTO,
    base: Annotated[
        str | None, typer.Option("--base", help="Base image: also report what each image adds on top of it.")
    ] = None,
    ca_bundle: CaBundle = None,
    output: Output = DEFAULT_OUTPUT,
    registry_sizes: Annotated[
        bool,
        typer.Option("--registry-sizes", help="Compressed sizes from the registry's manifests (pushed images)."),
    ] = False,
    list_benchmarks: Annotated[bool, typer.Option("--list", help="Print the benchmarks and exit.")] = False,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            help="Instead of pyperformance: bakegen's CPU-bound pure-Python workload in 1 and in N threads "
            "(N >= 2, at most the engine's CPUs); reports throughput and scaling.",
            show_default=False,
        ),
    ] = None,
    work: Annotated[
        int | None,
        typer.Option(
            "--work",
            help=f"With --threads: units of work per thread and run ({THREAD_RUNS} runs per round) "
            f"[default: {DEFAULT_WORK}].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Compare images' speed on stdlib-only pyperformance benchmarks (see --list), and their sizes.

    One container per image installs pyperf and pyperformance once; then each round runs every
    benchmark on every image in turn. Prints each benchmark's time per image, the ratio against
    the first image (above 1: faster than the first), the geometric mean of the ratios with its
    spread, and the sizes (uncompressed, compressed, and added on top of --base). Writes
    bench.json (all values), bench.svg and bench.txt to --output at the end. Every option, the
    output folder and the images are checked before the first container starts.

    With --threads N, each round runs bakegen's own workload (no pip needed) in 1 thread, then in
    N threads, in containers pinned to N CPUs, and reports throughput, scaling (N threads / 1)
    and each image's N-thread throughput against the first, with each image's GIL state.
    """
    request = BenchRequest(
        images=list(images or []), benchmarks=list(benchmark or []), rounds=rounds, fast=fast,
        processes=processes, values=values, cpu=cpu, base=base, ca_bundle=ca_bundle, output=output,
        registry_sizes=registry_sizes, threads=threads, work=work,
    )
    run_bench(request, echo_raw, echo_err, list_benchmarks=list_benchmarks)


@app.command()
@user_errors
def campaign(
    file: Annotated[
        Path | None,
        typer.Argument(help="Campaign file (TOML); default: bakegen's own (bakegen/campaign/flagsets.toml).",
                       show_default=False),
    ] = None,
    project_dir: ProjectDir = Path("."),
    only: Annotated[
        list[str] | None,
        typer.Option("--set", help="Only these flag sets (repeat or comma-separate); default: every set."),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="CPython release every set builds; default: the reference target's.",
                     show_default=False),
    ] = None,
    no_compare: Annotated[
        bool, typer.Option("--no-compare", help="Leave out the file's comparison targets (reference, ...).")
    ] = False,
    no_build: Annotated[
        bool,
        typer.Option("--no-build", help="Build nothing: benchmark the images an earlier run of the campaign "
                     "left (and the comparison targets'); a set without one gets one line."),
    ] = False,
    base_image: BaseImage = None,
    mirror: Mirror = None,
    mirror_sums: MirrorSums = None,
    allow_older: AllowOlder = False,
    allow_unpinned: AllowUnpinned = False,
    allow_http_sums: AllowHttpSums = False,
    ca_bundle: CaBundle = None,
    rounds: Rounds = 2,
    fast: Fast = False,
    benchmark: Benchmarks = None,
    output: Output = Path("campaign-results"),
) -> None:
    """Build one image per flag set, one after another, then benchmark them all in one interleaved run.

    Each [[set]] of the campaign file builds the custom target (PGO+LTO by default) with its own
    hardening groups, toolchain packages, configure arguments, compiler and linker flags, PGO
    training run or make variables, as <set>:<tag> under bakegen-campaign/. A set that fails to
    build gets one line naming it, and the others go on. Then `bakegen bench` runs over every set
    that built and the comparison targets, ratios against the baseline set, and bench.json,
    bench.txt, bench.svg and campaign.json (each set's variables, build time, compile flags) are
    written to --output at the end, all at once.
    """
    from .campaign import run as campaign_run

    ca = options.ca_bundle(ca_bundle, os.environ)
    settings = BuildSettings(base_images=base_image or [], mirror=mirror, ca_bundle=ca)
    bench_request = BenchRequest(images=[], benchmarks=list(benchmark or []), rounds=rounds, fast=fast,
                                 ca_bundle=ca, output=output)
    request = campaign_run.CampaignRequest(
        file=file or campaign_run.DEFAULT_FILE, sets=options.split_items(only), version=version,
        no_compare=no_compare, no_build=no_build, bench=bench_request,
    )
    trust = mirror_trust(allow_older, allow_unpinned, allow_http_sums)
    echo_raw(campaign_run.command(Project(project_dir), request, settings, mirror_sums, trust, echo_err))


@app.command()
@user_errors
def matrix(
    project_dir: ProjectDir = Path("."),
    lines: Lines = None,
    variants: Annotated[
        list[str] | None,
        typer.Option("--variants", "--variant", help="Only these variants, comma-separated; empty: all."),
    ] = None,
    platforms: Annotated[
        str, typer.Option("--platforms", help="Comma-separated platforms, one build job each.")
    ] = ",".join(DEFAULT_PLATFORMS),
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
    typer.echo(bakefile.matrix_text(
        Project(project_dir), lines=lines, variants=variants, platforms=[platforms], per_target=per_target,
        pretty=pretty,
    ))


versions_app = typer.Typer(help="The release data in versions/.", invoke_without_command=True)
app.add_typer(versions_app, name="versions")


@versions_app.callback()
@user_errors
def versions(ctx: typer.Context) -> None:
    """The release data in versions/."""
    if ctx.invoked_subcommand is None:
        raise BakegenError("missing command: bakegen versions update (see `bakegen versions --help`)")


@versions_app.command("update")
@user_errors
def versions_update(
    project_dir: ProjectDir = Path("."),
    mirror: Mirror = None,
    api: Annotated[
        str,
        typer.Option(
            "--api", help="python.org's release API, for checksums when the mirror has no SHA256SUMS."
        ),
    ] = DEFAULT_API,
    pre: Annotated[bool, typer.Option("--pre", help="Take alphas, betas and release candidates too.")] = False,
    lines: Lines = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes; write nothing.")] = False,
    base_images: Annotated[
        bool,
        typer.Option(
            "--base-images/--no-base-images",
            help="Measure the digest of each base image's manifest list in versions/base-images.toml anew, "
            "at the registry the image names (--no-base-images leaves the file as it is).",
        ),
    ] = True,
    base_registry: Annotated[
        str | None,
        typer.Option(
            "--base-registry", show_default=False,
            help="Measure the base images at this mirror of Docker Hub's official images instead "
            "(e.g. localhost:5000/library: debian:trixie-slim is read as localhost:5000/library/debian:trixie-slim), "
            "and pin the mirror's image, which is what was measured.",
        ),
    ] = None,
) -> None:
    """Move each line in versions/ to its newest upstream patch release, then re-render docker-bake.hcl.

    Releases are read from the mirror's listings (<mirror>/ and <mirror>/X.Y.Z/), checksums from
    <mirror>/SHA256SUMS where the mirror has one, else from python.org's release API. The old
    release is kept as the newest of the line's previous releases. Everything is fetched and
    checked before the first write: a network failure or a malformed answer changes no file. The
    files are then replaced all together or not at all, even on Ctrl-C or SIGTERM; a stale
    docker-bake.hcl is re-rendered even when versions/ is up to date.
    """
    request = VersionsRequest(
        mirror=mirror, api=api, pre=pre, lines=list(lines or []), dry_run=dry_run, base_images=base_images,
        base_registry=base_registry,
    )
    update_versions(Project(project_dir), request, echo_raw)


def run(args: list[str] | None = None) -> int:
    """Run the command line; every usage mistake becomes one ``bakegen: error:`` line and exit 1."""
    try:
        code = app(args=args, prog_name="bakegen", standalone_mode=False)
    except typer.Abort:
        typer.echo("bakegen: error: interrupted", err=True)
        return 130
    except typer.TyperException as exc:  # click's usage errors: unknown option, bad value, missing command
        if type(exc).__name__ == "NoArgsIsHelpError":
            return 0  # bare `bakegen`: the help was asked for, and shown
        typer.echo(f"bakegen: error: {usage_message(exc)}", err=True)
        return 1
    return code if isinstance(code, int) else 0


def usage_message(exc: typer.TyperException) -> str:
    """Click's message on one line, naming the command's --help."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "bakegen"
    return f"{message} (see `{command} --help`)"


def main() -> None:
    sys.exit(run())
