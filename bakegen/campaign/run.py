"""``bakegen campaign``: build each flag set, one after another, then benchmark them all in one run.

A set that fails to build is reported in one line naming it, and the campaign goes on with the
others. Nothing is written until the end, and then all at once (``files.replace_files``): the
benchmark's bench.json, bench.txt and bench.svg, and campaign.json, which records each set's bake
variables, whether it built, how long the build took, and the compile flags its interpreter
reports. So an interrupted campaign (Ctrl-C) leaves an earlier campaign's results as they were.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..bench.benchmarks import select_benchmarks
from ..bench.report import RENDERERS, check_output, format_report
from ..bench.request import BenchRequest
from ..bench.results import Results
from ..errors import BakegenError
from ..files import replace_files
from .model import Campaign, FlagSet, load

#: bakegen's own campaign.
DEFAULT_FILE = Path(__file__).with_name("flagsets.toml")
#: Where a set's image goes: <CAMPAIGN_REGISTRY>/<set>:<the custom target's tag>.
CAMPAIGN_REGISTRY = "bakegen-campaign"
#: What campaign.json says of itself.
FORMAT = "bakegen-campaign/1"

Progress = Callable[[str], None]


@dataclass
class CampaignRequest:
    """What ``bakegen campaign`` was asked for."""

    file: Path = DEFAULT_FILE
    #: Only these sets (by name); none: every set of the file.
    sets: list[str] = field(default_factory=list)
    #: The CPython release every set builds; None: the release the plan's reference target builds.
    version: str | None = None
    #: Leave out the file's comparison targets.
    no_compare: bool = False
    #: Build nothing: benchmark the images an earlier run of this campaign built (and the comparison
    #: targets' images), as their tags are today.
    no_build: bool = False
    #: The benchmark run over the built images (its ``images`` are filled in here).
    bench: BenchRequest = field(default_factory=lambda: BenchRequest(images=[]))


@dataclass
class SetResult:
    """One set's build."""

    name: str
    summary: str
    variables: dict[str, str]
    image: str = ""
    #: The one-line reason it did not build; "" when it did.
    error: str = ""
    seconds: float = 0.0
    #: sysconfig's PY_CORE_CFLAGS in the built image: the flags the core was compiled with.
    core_cflags: str = ""

    @property
    def built(self) -> bool:
        return not self.error


@dataclass
class Engine:
    """What a campaign needs from the rest of bakegen; tests swap these."""

    #: Builds the custom target with these variables (or a comparison target with none) and
    #: returns the image's tag; raises BakegenError with one line when the build fails.
    build: Callable[[str, dict[str, str], Progress], str]
    #: Runs a command in a local image and returns its standard output.
    run: Callable[[str, list[str]], str]
    #: The benchmark run itself.
    bench: Callable[[BenchRequest, Progress], Results]
    #: The release the reference target builds (the default --version).
    default_version: Callable[[], str]
    #: The local image a build of this target with these variables gives, without building it;
    #: raises BakegenError with one line when there is none.
    existing: Callable[[str, dict[str, str]], str] | None = None


CFLAGS_PROBE = ["python3", "-c", "import sysconfig; print(sysconfig.get_config_var('PY_CORE_CFLAGS') or '')"]


def chosen_sets(campaign: Campaign, names: list[str]) -> list[FlagSet]:
    """The sets asked for, in the file's order; an unknown name is refused, naming the set."""
    for name in names:
        campaign.set(name)
    return [s for s in campaign.sets if not names or s.name in names]


def baseline_of(campaign: Campaign, sets: list[FlagSet]) -> str:
    """The set the ratios are against: the file's baseline if it is among those built, else the first."""
    names = [s.name for s in sets]
    return campaign.baseline if campaign.baseline in names else names[0]


def _image(engine: Engine, target: str, variables: dict[str, str], progress: Progress, reuse: bool) -> str:
    if reuse and engine.existing is not None:
        return engine.existing(target, variables)
    return engine.build(target, variables, progress)


def build_set(engine: Engine, s: FlagSet, version: str, progress: Progress, reuse: bool = False) -> SetResult:
    variables = {**s.variables(version), "REGISTRY": CAMPAIGN_REGISTRY, "IMAGE_NAME": s.name}
    result = SetResult(s.name, s.summary, variables)
    progress(f"campaign: {'finding' if reuse else 'building'} set {s.name} ({s.summary or 'no summary'})")
    started = time.monotonic()
    try:
        result.image = _image(engine, "custom", variables, progress, reuse)
    except BakegenError as exc:
        result.error = str(exc)
        progress(f"campaign: set {s.name}: {result.error}")
    result.seconds = 0.0 if reuse else round(time.monotonic() - started, 1)
    if result.built:
        try:
            result.core_cflags = engine.run(result.image, CFLAGS_PROBE).strip()
        except BakegenError as exc:
            progress(f"campaign: set {s.name}: cannot read its compile flags: {exc}")
    return result


def build_comparison(engine: Engine, target: str, progress: Progress, reuse: bool = False) -> SetResult:
    result = SetResult(target, f"comparison target {target}", {})
    progress(f"campaign: {'finding' if reuse else 'building'} comparison target {target}")
    started = time.monotonic()
    try:
        result.image = _image(engine, target, {}, progress, reuse)
    except BakegenError as exc:
        result.error = str(exc)
        progress(f"campaign: comparison target {target}: {result.error}")
    result.seconds = 0.0 if reuse else round(time.monotonic() - started, 1)
    return result


def campaign_json(version: str, baseline: str, results: list[SetResult], bench_error: str, reused: bool) -> str:
    data = {
        "format": FORMAT,
        "version": version,
        "baseline": baseline,
        #: True: nothing was built in this run (--no-build); build_seconds are then 0.
        "reused_images": reused,
        "bench_error": bench_error,
        "sets": [
            {"name": r.name, "summary": r.summary, "image": r.image, "built": r.built, "error": r.error,
             "build_seconds": r.seconds, "core_cflags": r.core_cflags, "variables": r.variables}
            for r in results
        ],
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def run(request: CampaignRequest, engine: Engine, progress: Progress) -> str:
    """Build every chosen set and comparison target, benchmark what built, write the results.

    Returns the text to print. Raises BakegenError (one line) when the file or an option is bad, or
    when no set built at all; a set that fails only makes its own line.
    """
    campaign = load(request.file)
    sets = chosen_sets(campaign, request.sets)
    select_benchmarks(request.bench.benchmarks)
    output = request.bench.output
    check_output(output)
    version = request.version or engine.default_version()
    baseline = baseline_of(campaign, sets)
    ordered = sorted(sets, key=lambda s: s.name != baseline)
    results = [build_set(engine, s, version, progress, request.no_build) for s in ordered]
    if not request.no_compare:
        results += [build_comparison(engine, t, progress, request.no_build) for t in campaign.compare]
    built = [r for r in results if r.built]
    if not any(r.built and r.name == baseline for r in results):
        failed = ", ".join(r.name for r in results if not r.built)
        raise BakegenError(f"campaign: the baseline set {baseline} has no image, so nothing was compared "
                           f"(failed: {failed}); nothing written")
    bench_error = ""
    texts: dict[Path, str] = {}
    report = ""
    try:
        bench = engine.bench(replace(request.bench, images=[r.image for r in built]), progress)
        texts.update({output / name: render(bench) for name, render in RENDERERS.items()})
        report = format_report(bench)
    except BakegenError as exc:
        bench_error = str(exc)
        progress(f"campaign: the benchmark run failed: {bench_error}")
    texts[output / "campaign.json"] = campaign_json(version, baseline, results, bench_error, request.no_build)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BakegenError(f"--output {output}: cannot create: {exc.strerror or exc}") from None
    written = replace_files(texts)
    done = "found" if request.no_build else "built"
    lines = [f"{r.name}: {f'{done} ' + r.image if r.built else 'FAILED: ' + r.error} ({r.seconds:.0f} s)"
             for r in results]
    return report + "\n".join(lines) + f"\nwrote {' '.join(str(p) for p in written)}\n"



def docker_engine(project, settings, sha256sums: str | None, trust=None, bench_backend=None) -> Engine:
    """The campaign's engine: ``bakegen build`` (with its doctor checks) and ``bakegen bench`` on Docker."""
    from .. import engine
    from ..bench import runner as bench_runner
    from ..bench.containers import DockerBackend
    from ..build import BuildRequest
    from ..build import build as build_images
    from ..sums import STRICT

    trust = trust or STRICT

    def build(target: str, variables: dict[str, str], progress: Progress) -> str:
        request = BuildRequest([target], settings=settings, variables=variables, load=True,
                               sha256sums=sha256sums, mirror_trust=trust)
        built = build_images(project, request, on_line=progress)
        names = built.images.get(target) or ([built.tag] if built.tag else [])
        if not names:
            raise BakegenError(f"{target}: bake reported no image name")
        return names[0].removeprefix("docker.io/")

    def run_in(image: str, argv: list[str]) -> str:
        done = engine.run_container(image, argv, pull="never", timeout=120)
        if done.exit_code != 0:
            raise BakegenError(f"{image}: {' '.join(argv)} exited with {done.exit_code}")
        return done.stdout

    def bench(request: BenchRequest, progress: Progress) -> Results:
        return bench_runner.run(request, bench_backend or DockerBackend(), progress)

    def existing(target: str, variables: dict[str, str]) -> str:
        plan = project.plan(sha256sums=sha256sums, trust=trust)
        with tempfile.TemporaryDirectory(prefix="bakegen-") as tmp:
            bake_file = Path(tmp) / "docker-bake.hcl"
            bake_file.write_text(project.render_text(plan, context=str(project.root.resolve())), encoding="utf-8")
            printed = engine.bake_print([bake_file], [target], variables)
        tags = printed.get("target", {}).get(target, {}).get("tags") or []
        name = tags[0].removeprefix("docker.io/") if tags else ""
        if not name or engine.image_labels(name) is None:
            raise BakegenError(f"{target}: no local image {name or '(no tag)'} from an earlier build; "
                               "run the campaign without --no-build")
        return name

    def default_version() -> str:
        reference = project.plan(sha256sums=sha256sums, trust=trust).reference
        if reference is None:
            raise BakegenError("the plan has no reference release: pass --version")
        return reference.release.version

    return Engine(build=build, run=run_in, bench=bench, default_version=default_version, existing=existing)


def command(project, request: CampaignRequest, settings, sha256sums: str | None, trust, progress: Progress) -> str:
    """``bakegen campaign``: the run on Docker, with ``bakegen build``'s settings for every build."""
    return run(request, docker_engine(project, settings, sha256sums, trust), progress)
