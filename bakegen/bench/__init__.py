"""``bakegen bench``: compare the speed and size of Python images with pyperformance benchmarks.

What runs
---------
A fixed set of 20 benchmarks from pyperformance 1.14.0 (``PYPERFORMANCE_VERSION``), each driven
by pyperf 2.11.0. All of them need the standard library only: their ``pyproject.toml`` depends on
``pyperf`` alone and they ship no ``requirements.txt``, so nothing has to be compiled or fetched
beyond pyperf and pyperformance themselves, and any image with a working ``pip`` and Python 3.11+
(pyperf's floor) can run them. They were picked to cover the areas where interpreter builds
differ (PGO and LTO mostly speed up the eval loop, calls and object handling; C accelerators
such as ``_json``, ``_pickle`` and ``_sre`` show what the compiler made of C code):

==========================  ====================================================================
area                        benchmarks
==========================  ====================================================================
interpreter loop            ``unpack_sequence``, ``fannkuch``, ``nbody``, ``spectral_norm``,
                            ``float``
function calls              ``richards``, ``coroutines``, ``generators``
objects                     ``deltablue``, ``go``, ``raytrace``, ``chaos``
regex                       ``regex_v8``, ``regex_effbot``
json, unicode               ``json_dumps`` (non-ASCII strings, escaping), ``json_loads``
pickle                      ``pickle`` (C accelerator), ``unpickle_pure_python`` (pure Python)
startup                     ``python_startup``, ``python_startup_no_site``
==========================  ====================================================================

pyperformance 1.14 has no dedicated unicode benchmark (``bm_unicode`` is gone); str handling is
exercised by ``json_dumps``, ``regex_v8`` and ``regex_effbot`` (str and bytes patterns). Left out
on purpose: benchmarks with third-party dependencies (``2to3``-era apps, ``django_template``,
``sqlalchemy_*``, ``sympy``, ...), the asyncio network ones (``asyncio_tcp``, websockets: sockets
and scheduling noise), and long ones that add little (``hexiom``, ``scimark``).

How it runs
-----------
One long-lived container per image (``sleep infinity``, pinned with ``--cpuset-cpus`` to one
CPU when the engine has two or more: the last one by default, the same for every image), in
which a venv gets ``pyperf`` and ``pyperformance`` once (through the CA bundle given with
``--ca-bundle``, mounted read-only at ``containers.CA_PATH`` for pip). Then, for each round, for
each benchmark, for each image, ``run_benchmark.py`` runs with pyperf and its JSON is read back
with ``docker exec cat``. Interleaving images inside every round spreads slow drifts of the host
(other load, thermal) over all images instead of one. The containers are removed at the end, on
errors and on Ctrl-C.

What it reports
---------------
Per benchmark, each image's time (the mean over rounds of each round's pyperf mean) and its
ratio against the first image: first image's time / this image's time, so above 1 means faster
than the first image. Per image, the geometric mean of those ratios, with two spreads: the
geometric standard deviation of the per-benchmark ratios (how uneven the gain is) and the range
of the per-round geometric means (how repeatable the run was). Sizes come from
``containers.DockerBackend.image_size``, which says how they were measured. Everything (raw
pyperf values included) goes to ``bench.json``, plus ``bench.txt`` (the report) and
``bench.svg`` (a chart), written only at the end, each atomically.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import math
import os
import signal
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from xml.sax.saxutils import escape

from ..errors import BakegenError, EngineError
from ..files import write_atomic
from .containers import CA_PATH, ImageSize

PYPERFORMANCE_VERSION = "1.14.0"
PYPERF_VERSION = "2.11.0"
#: pyperf's own floor.
MIN_PYTHON = (3, 11)
#: Working folder inside the containers; /tmp so that images with a non-root user work too.
WORKDIR = "/tmp/bakegen-bench"
VENV = f"{WORKDIR}/venv"
#: pyperf worker processes per benchmark, and values per process, with --fast (pyperf's defaults:
#: 20 and 3; its own --fast: 10 and 2).
FAST_PROCESSES = 3
FAST_VALUES = 2
#: pip settings passed from the caller's environment into the containers, when set.
PIP_PASSTHROUGH = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST")
REPORT_FILES = ("bench.json", "bench.svg", "bench.txt")


@dataclass(frozen=True)
class Benchmark:
    """One pyperformance benchmark: its ``bm_*`` folder and the arguments its manifest adds."""

    name: str
    directory: str
    args: tuple[str, ...] = ()
    area: str = ""


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("unpack_sequence", "bm_unpack_sequence", area="interpreter loop"),
    Benchmark("fannkuch", "bm_fannkuch", area="interpreter loop"),
    Benchmark("nbody", "bm_nbody", area="interpreter loop"),
    Benchmark("spectral_norm", "bm_spectral_norm", area="interpreter loop"),
    Benchmark("float", "bm_float", area="interpreter loop"),
    Benchmark("richards", "bm_richards", area="function calls"),
    Benchmark("coroutines", "bm_coroutines", area="function calls"),
    Benchmark("generators", "bm_generators", area="function calls"),
    Benchmark("deltablue", "bm_deltablue", area="objects"),
    Benchmark("go", "bm_go", area="objects"),
    Benchmark("raytrace", "bm_raytrace", area="objects"),
    Benchmark("chaos", "bm_chaos", area="objects"),
    Benchmark("regex_v8", "bm_regex_v8", area="regex"),
    Benchmark("regex_effbot", "bm_regex_effbot", area="regex"),
    Benchmark("json_dumps", "bm_json_dumps", area="json, unicode"),
    Benchmark("json_loads", "bm_json_loads", area="json"),
    Benchmark("pickle", "bm_pickle", ("pickle",), area="pickle"),
    Benchmark("unpickle_pure_python", "bm_pickle", ("--pure-python", "unpickle"), area="pickle"),
    Benchmark("python_startup", "bm_python_startup", area="startup"),
    Benchmark("python_startup_no_site", "bm_python_startup", ("--no-site",), area="startup"),
)


def select_benchmarks(names: Sequence[str] | None) -> list[Benchmark]:
    """The named benchmarks in the fixed order (all of them for none); unknown names are errors."""
    if not names:
        return list(BENCHMARKS)
    known = {b.name: b for b in BENCHMARKS}
    wanted = [n.strip() for item in names for n in item.split(",") if n.strip()]
    for name in wanted:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else "; see `bakegen bench --list`"
            raise BakegenError(f"unknown benchmark '{name}'{hint}")
    return [b for b in BENCHMARKS if b.name in wanted]


def benchmark_list() -> str:
    width = max(len(b.name) for b in BENCHMARKS)
    lines = [f"pyperformance {PYPERFORMANCE_VERSION} benchmarks run by `bakegen bench` (standard library only):"]
    for b in BENCHMARKS:
        call = " ".join((f"{b.directory}/run_benchmark.py", *b.args))
        lines.append(f"  {b.name:<{width}}  {b.area:<17} {call}")
    return "\n".join(lines) + "\n"


# --- statistics -------------------------------------------------------------------------------


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    return math.fsum(values) / len(values)


def geometric_mean(values: Sequence[float]) -> float:
    if not values or any(v <= 0 for v in values):
        raise ValueError("geometric mean needs positive values")
    return math.exp(math.fsum(math.log(v) for v in values) / len(values))


def geometric_std(values: Sequence[float]) -> float:
    """The geometric standard deviation (a factor, 1.0 means no spread); 1.0 for fewer than 2 values."""
    if len(values) < 2:
        return 1.0
    return math.exp(statistics.stdev(math.log(v) for v in values))


def ratio(first: float, other: float) -> float:
    """How much faster ``other`` is than ``first``: above 1 when ``other`` takes less time."""
    return first / other


@dataclass
class ImageSummary:
    #: Geometric mean over benchmarks of the ratios against the first image.
    geomean: float
    #: Geometric standard deviation of the per-benchmark ratios.
    gsd: float
    #: The per-round geometric means, lowest and highest.
    round_min: float
    round_max: float


@dataclass
class Summary:
    #: Per benchmark, per image: the mean over rounds of each round's mean, seconds.
    times: dict[str, list[float]]
    #: Per benchmark, per image: first image's time / this image's time.
    ratios: dict[str, list[float]]
    images: list[ImageSummary]


def summarize(values: dict[str, list[list[list[float]]]]) -> Summary:
    """Times, ratios and their geometric means from raw values: ``values[benchmark][image][round]``."""
    if not values:
        raise ValueError("no benchmark results")
    round_means = {b: [[mean(r) for r in per_image] for per_image in v] for b, v in values.items()}
    times = {b: [mean(rounds) for rounds in per_image] for b, per_image in round_means.items()}
    ratios = {b: [ratio(t[0], ti) for ti in t] for b, t in times.items()}
    n_images = len(next(iter(times.values())))
    n_rounds = min(len(rounds) for per_image in round_means.values() for rounds in per_image)
    images = []
    for i in range(n_images):
        per_bench = [ratios[b][i] for b in ratios]
        per_round = [
            geometric_mean([ratio(m[0][r], m[i][r]) for m in round_means.values()]) for r in range(n_rounds)
        ]
        images.append(
            ImageSummary(geometric_mean(per_bench), geometric_std(per_bench), min(per_round), max(per_round))
        )
    return Summary(times, ratios, images)


def parse_pyperf(text: str, name: str = "benchmark") -> list[float]:
    """All values (seconds per loop) of a pyperf JSON result; calibration runs have none."""
    try:
        data = json.loads(text)
        values = [float(v) for bench in data["benchmarks"] for run in bench["runs"] for v in run.get("values", [])]
    except (ValueError, LookupError, TypeError) as exc:
        raise EngineError(f"{name}: unreadable pyperf result ({exc})") from None
    if not values or any(v <= 0 for v in values):
        raise EngineError(f"{name}: pyperf result without usable values")
    return values


# --- formatting -------------------------------------------------------------------------------


def format_time(seconds: float) -> str:
    """3 significant digits in the largest unit that keeps the number at 1 or above: ``148 ms``."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def format_size(size: int | None, *, signed: bool = False) -> str:
    if size is None:
        return "unknown"
    return f"{size / 1e6:+.1f} MB" if signed else f"{size / 1e6:.1f} MB"


def format_ratio(value: float) -> str:
    return f"{value:.2f}x"


@dataclass
class ImageRun:
    """One image as benchmarked: its name, Python, where it ran, how big it is."""

    image: str
    python: str = ""
    #: The CPU its container was pinned to, None when unpinned.
    cpu: int | None = None
    size: ImageSize | None = None


@dataclass
class Results:
    """Everything a run measured; the report, chart and JSON are made from this alone."""

    images: list[ImageRun]
    benchmarks: list[Benchmark]
    rounds: int
    #: ``values[benchmark][image][round]``: pyperf's values, seconds.
    values: dict[str, list[list[list[float]]]]
    pyperf_options: list[str] = field(default_factory=list)
    base: ImageSize | None = None
    started: str = ""
    finished: str = ""
    notes: list[str] = field(default_factory=list)

    def summary(self) -> Summary:
        return summarize(self.values)

    def to_json(self) -> str:
        summary = self.summary()
        data = {
            "tool": "bakegen bench",
            "pyperformance": PYPERFORMANCE_VERSION,
            "pyperf": PYPERF_VERSION,
            "pyperf_options": self.pyperf_options,
            "rounds": self.rounds,
            "started": self.started,
            "finished": self.finished,
            "notes": self.notes,
            "ratio": "first image's time / this image's time: above 1 is faster than the first image",
            "images": [
                {
                    "image": img.image,
                    "python": img.python,
                    "cpu": img.cpu,
                    "size": img.size.as_dict() if img.size else None,
                    "adds_on_top_of_base": _adds(img.size, self.base),
                    "geomean_ratio": s.geomean,
                    "geometric_std": s.gsd,
                    "round_geomean_min": s.round_min,
                    "round_geomean_max": s.round_max,
                }
                for img, s in zip(self.images, summary.images, strict=True)
            ],
            "base": self.base.as_dict() if self.base else None,
            "benchmarks": [
                {
                    "name": b.name,
                    "area": b.area,
                    "command": [f"{b.directory}/run_benchmark.py", *b.args],
                    "unit": "second",
                    "time": summary.times[b.name],
                    "ratio": summary.ratios[b.name],
                    "round_means": [[mean(r) for r in per_image] for per_image in self.values[b.name]],
                    "values": self.values[b.name],
                }
                for b in self.benchmarks
            ],
        }
        return json.dumps(data, indent=2) + "\n"


def _adds(size: ImageSize | None, base: ImageSize | None) -> dict | None:
    if size is None or base is None:
        return None
    return {
        "uncompressed": None if size.uncompressed is None or base.uncompressed is None
        else size.uncompressed - base.uncompressed,
        "compressed": size.compressed - base.compressed,
    }


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[c]) for r in rows if c < len(r)) for c in range(max(len(r) for r in rows))]
    out = []
    for row in rows:
        cells = [cell.rjust(widths[c]) if c in right else cell.ljust(widths[c]) for c, cell in enumerate(row)]
        out.append("  ".join(cells).rstrip())
    return out


def format_report(results: Results) -> str:
    """The text report: images, per-benchmark times and ratios, geometric means, sizes."""
    summary = results.summary()
    n = len(results.images)
    opts = " ".join(results.pyperf_options) or "pyperf defaults"
    lines = [
        f"bakegen bench: {len(results.benchmarks)} benchmarks x {n} image(s) x {results.rounds} round(s), "
        f"pyperformance {PYPERFORMANCE_VERSION}, pyperf {PYPERF_VERSION} ({opts})",
        "",
    ]
    rows = [["#", "image", "python", "cpu"]]
    for i, img in enumerate(results.images, 1):
        rows.append([str(i), img.image, img.python, "unpinned" if img.cpu is None else str(img.cpu)])
    lines += _table(rows, {0}) + [""]
    lines.append(
        "time: mean of the rounds' pyperf means; ratio: #1's time / this image's time (above 1: faster than #1)"
    )
    lines.append("")
    header = ["benchmark", "#1"]
    for i in range(2, n + 1):
        header += [f"#{i}", "ratio"]
    rows = [header]
    for b in results.benchmarks:
        row = [b.name, format_time(summary.times[b.name][0])]
        for i in range(1, n):
            row += [format_time(summary.times[b.name][i]), format_ratio(summary.ratios[b.name][i])]
        rows.append(row)
    if n > 1:
        rows.append([""] * len(header))
        extra = [["geometric mean"], ["  spread over benchmarks"], ["  range over rounds"]]
        for s in summary.images[1:]:
            extra[0] += ["", format_ratio(s.geomean)]
            extra[1] += ["", f"x/{s.gsd:.3f}"]
            extra[2] += ["", f"{s.round_min:.2f}-{s.round_max:.2f}"]
        rows += [[r[0], "", *r[1:]] for r in extra]
    lines += _table(rows, set(range(1, len(header))))
    sizes = [img.size for img in results.images]
    if any(sizes):
        lines += ["", "sizes"]
        rows = [["#", "image", "uncompressed", "compressed"]]
        if results.base:
            rows[0] += ["adds on top of base (uncompressed / compressed)"]
        for i, img in enumerate(results.images, 1):
            if img.size is None:
                continue
            row = [str(i), img.image, format_size(img.size.uncompressed), format_size(img.size.compressed)]
            adds = _adds(img.size, results.base)
            if adds:
                row.append(
                    f"{format_size(adds['uncompressed'], signed=True)} / {format_size(adds['compressed'], signed=True)}"
                )
            rows.append(row)
        if results.base:
            b = results.base
            rows.append(["base", b.image, format_size(b.uncompressed), format_size(b.compressed)])
        lines += _table(rows, {0, 2, 3})
        methods = {(s.uncompressed_method, s.compressed_method) for s in [*sizes, results.base] if s}
        for unc, comp in sorted(methods):
            lines.append(f"uncompressed: {unc}")
            lines.append(f"compressed: {comp}")
    for note in results.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")


def render_svg(results: Results) -> str:
    """A horizontal bar chart of the ratios against the first image, geometric mean on top."""
    summary = results.summary()
    n = len(results.images)
    rows = [("geometric mean", [s.geomean for s in summary.images])]
    rows += [(b.name, summary.ratios[b.name]) for b in results.benchmarks]
    bar, gap, label_w, plot_w, top = 10, 10, 190, 520, 40 + 16 * n
    group = bar * n + gap
    height = top + group * len(rows) + 40
    width = label_w + plot_w + 70
    vmax = max(1.2, max(v for _, vs in rows for v in vs) * 1.05)
    scale = plot_w / vmax

    def x(v: float) -> float:
        return label_w + v * scale

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="16" font-size="13" font-weight="bold">Speed relative to #1 '
        f"(#1's time / image's time; above 1 is faster), {results.rounds} round(s)</text>",
    ]
    for i, img in enumerate(results.images):
        y = 24 + 16 * i
        colour = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="10" y="{y}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="26" y="{y + 9}">#{i + 1} {escape(img.image)}</text>')
    step = 0.25 if vmax <= 2 else 0.5 if vmax <= 4 else 1.0
    tick = 0.0
    bottom = top + group * len(rows)
    while tick <= vmax + 1e-9:
        out.append(f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{bottom}" stroke="#e0e0e0"/>')
        out.append(f'<text x="{x(tick):.1f}" y="{bottom + 14}" text-anchor="middle">{tick:g}</text>')
        tick += step
    for r, (name, vals) in enumerate(rows):
        y0 = top + group * r
        weight = ' font-weight="bold"' if r == 0 else ""
        out.append(
            f'<text x="{label_w - 6}" y="{y0 + bar * n / 2 + 4:.1f}" text-anchor="end"{weight}>{escape(name)}</text>'
        )
        for i, v in enumerate(vals):
            y = y0 + bar * i
            out.append(
                f'<rect x="{label_w}" y="{y}" width="{v * scale:.1f}" height="{bar - 1}" '
                f'fill="{PALETTE[i % len(PALETTE)]}"><title>#{i + 1}: {v:.3f}</title></rect>'
            )
            out.append(f'<text x="{x(v) + 3:.1f}" y="{y + bar - 2}" font-size="9">{v:.2f}</text>')
    out.append(f'<line x1="{x(1):.1f}" y1="{top - 4}" x2="{x(1):.1f}" y2="{bottom}" stroke="black" '
               f'stroke-dasharray="4 3"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold Ctrl-C back while the block runs (in the main thread), then raise it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
        if received:
            raise KeyboardInterrupt


def write_report(output: Path, results: Results) -> list[Path]:
    """Write bench.json, bench.svg and bench.txt into ``output``, each atomically, Ctrl-C held back.

    Everything is rendered before the first file is touched, so a failure leaves the folder as it was.
    """
    texts = {
        "bench.json": results.to_json(),
        "bench.svg": render_svg(results),
        "bench.txt": format_report(results),
    }
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BakegenError(f"--output {output}: cannot create: {exc.strerror or exc}") from None
    written = []
    with deferred_interrupt():
        for name, text in texts.items():
            try:
                write_atomic(output / name, text)
            except OSError as exc:
                raise BakegenError(f"{output / name}: cannot write: {exc.strerror or exc}") from None
            written.append(output / name)
    return written


# --- running ------------------------------------------------------------------------------------


class Backend(Protocol):
    """What a run needs from a container engine; ``containers.DockerBackend`` is the real one."""

    def require_daemon(self) -> None: ...
    def image_exists(self, image: str) -> bool: ...
    def cpus(self) -> int: ...
    def start(self, image: str, *, name: str, cpu: int | None, ca_bundle: str | None = None) -> str: ...
    def exec(self, container: str, command: list[str], env: dict[str, str] | None = None) -> str: ...
    def read_file(self, container: str, path: str) -> str: ...
    def remove(self, containers: list[str]) -> None: ...
    def image_size(self, image: str, *, registry: bool = False) -> ImageSize: ...


@dataclass
class BenchRequest:
    """What ``bakegen bench`` was asked for."""

    images: list[str]
    benchmarks: list[Benchmark] = field(default_factory=lambda: list(BENCHMARKS))
    rounds: int = 3
    fast: bool = False
    #: pyperf worker processes and values per process; None: pyperf's defaults (or FAST_PROCESSES).
    processes: int | None = None
    values: int | None = None
    #: "auto" (the engine's last CPU when it has 2+), "none", or a CPU number.
    cpu: str = "auto"
    base: str | None = None
    ca_bundle: Path | None = None
    registry_sizes: bool = False
    sizes: bool = True


def pyperf_options(request: BenchRequest) -> list[str]:
    """pyperf's worker settings. pyperf's own ``--fast`` would override ``--processes`` (it runs 10
    workers at least), so ``--fast`` here means FAST_PROCESSES workers x FAST_VALUES values."""
    processes = request.processes or (FAST_PROCESSES if request.fast else None)
    values = request.values or (FAST_VALUES if request.fast else None)
    opts = []
    if processes:
        opts += ["--processes", str(processes)]
    if values:
        opts += ["--values", str(values)]
    return opts


def choose_cpu(setting: str, available: int) -> int | None:
    """The CPU to pin every container to, or None; ``available`` is the engine's CPU count (0: unknown)."""
    setting = (setting or "auto").strip().lower()
    if setting == "none":
        return None
    if setting == "auto":
        return available - 1 if available >= 2 else None
    try:
        cpu = int(setting)
    except ValueError:
        raise BakegenError(f"--cpu {setting}: expected auto, none or a CPU number") from None
    if cpu < 0 or (available and cpu >= available):
        raise BakegenError(f"--cpu {cpu}: the engine has CPUs 0-{available - 1}")
    return cpu


def _check(request: BenchRequest) -> None:
    if not request.images:
        raise BakegenError("name at least one image to benchmark")
    if request.rounds < 1:
        raise BakegenError("--rounds must be 1 or more")
    if not request.benchmarks:
        raise BakegenError("no benchmarks selected")
    if request.ca_bundle is not None and not request.ca_bundle.is_file():
        raise BakegenError(f"--ca-bundle {request.ca_bundle}: no such file")


@dataclass
class _Container:
    id: str
    image: str
    benchmarks_dir: str = ""


def _pip_env(request: BenchRequest) -> dict[str, str]:
    env = {k: os.environ[k] for k in PIP_PASSTHROUGH if os.environ.get(k)}
    if request.ca_bundle is not None:
        env.update(PIP_CERT=CA_PATH, SSL_CERT_FILE=CA_PATH, REQUESTS_CA_BUNDLE=CA_PATH)
    return env


def _prepare(backend: Backend, c: _Container, run: ImageRun, request: BenchRequest) -> None:
    """Check the image's Python, then install pyperf and pyperformance into a venv, once."""
    try:
        out = backend.exec(
            c.id, ["python3", "-c", "import platform, sys; print(platform.python_version(), sys.version_info[:2])"]
        )
    except EngineError as exc:
        raise EngineError(f"{c.image}: cannot run python3 in it: {exc}") from None
    run.python = out.split()[0] if out.split() else "?"
    try:
        major, minor = (int(p) for p in run.python.split(".")[:2])
    except ValueError:
        major, minor = 0, 0
    if (major, minor) < MIN_PYTHON:
        raise BakegenError(f"{c.image} has Python {run.python}; the benchmarks need 3.11 or newer (pyperf)")
    pip = [f"{VENV}/bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
           f"pyperf=={PYPERF_VERSION}", f"pyperformance=={PYPERFORMANCE_VERSION}"]
    try:
        backend.exec(c.id, ["python3", "-m", "venv", VENV])
        backend.exec(c.id, pip, env=_pip_env(request))
    except EngineError as exc:
        hint = ""
        if "CERTIFICATE" in str(exc).upper() and request.ca_bundle is None:
            hint = " (behind a TLS-intercepting proxy? pass its CA with --ca-bundle)"
        raise EngineError(f"{c.image}: installing pyperf and pyperformance failed: {exc}{hint}") from None
    c.benchmarks_dir = backend.exec(
        c.id,
        [f"{VENV}/bin/python", "-c",
         "import os, pyperformance; print(os.path.join(os.path.dirname(pyperformance.__file__), "
         "'data-files', 'benchmarks'))"],
    ).strip()


def _start(
    backend: Backend, image: str, index: int, cpu: int | None, explicit_cpu: bool, request: BenchRequest,
    progress: Callable[[str], None], notes: list[str],
) -> tuple[str, int | None]:
    name = f"bakegen-bench-{os.getpid()}-{index}"
    ca = str(request.ca_bundle.resolve()) if request.ca_bundle else None
    try:
        return backend.start(image, name=name, cpu=cpu, ca_bundle=ca), cpu
    except EngineError as exc:
        if cpu is None or explicit_cpu:
            raise
        note = f"cannot pin {image} to CPU {cpu} ({exc}); it runs unpinned"
        progress(f"note: {note}")
        notes.append(note)
        return backend.start(image, name=name, cpu=None, ca_bundle=ca), None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run(
    request: BenchRequest, backend: Backend, progress: Callable[[str], None] = lambda line: None
) -> Results:
    """Measure sizes, set up one container per image, run the rounds, remove the containers."""
    _check(request)
    backend.require_daemon()
    for image in [*request.images, *([request.base] if request.base else [])]:
        if not backend.image_exists(image):
            raise BakegenError(f"image {image} is not in the local image store: build it with --load or pull it")
    n, total = len(request.images), len(request.benchmarks)
    started = _now()
    runs = [ImageRun(image) for image in request.images]
    notes: list[str] = []
    base = None
    if request.sizes:
        for i, r in enumerate(runs, 1):
            progress(f"size image {i}/{n} {r.image}")
            r.size = backend.image_size(r.image, registry=request.registry_sizes)
        if request.base:
            progress(f"size base {request.base}")
            base = backend.image_size(request.base, registry=request.registry_sizes)
    explicit_cpu = (request.cpu or "auto").strip().lower() not in ("auto", "none")
    cpu = choose_cpu(request.cpu, backend.cpus())
    options = pyperf_options(request)
    values: dict[str, list[list[list[float]]]] = {b.name: [[] for _ in runs] for b in request.benchmarks}
    containers: list[_Container] = []
    try:
        for i, r in enumerate(runs, 1):
            where = "unpinned" if cpu is None else f"on CPU {cpu}"
            progress(f"setup image {i}/{n} {r.image}: container {where}, pip install pyperf pyperformance")
            cid, r.cpu = _start(backend, r.image, i, cpu, explicit_cpu, request, progress, notes)
            containers.append(_Container(cid, r.image))
            _prepare(backend, containers[-1], r, request)
        for rnd in range(1, request.rounds + 1):
            for b_index, b in enumerate(request.benchmarks, 1):
                for i, (c, r) in enumerate(zip(containers, runs, strict=True), 1):
                    out = f"{WORKDIR}/{b.name}-{rnd}.json"
                    script = f"{c.benchmarks_dir}/{b.directory}/run_benchmark.py"
                    t0 = time.monotonic()
                    try:
                        backend.exec(c.id, [f"{VENV}/bin/python", script, *b.args, *options, "--quiet",
                                            "--output", out])
                        got = parse_pyperf(backend.read_file(c.id, out), b.name)
                    except EngineError as exc:
                        raise EngineError(f"{b.name} failed in {r.image}: {exc}") from None
                    values[b.name][i - 1].append(got)
                    progress(
                        f"round {rnd}/{request.rounds} {b.name} ({b_index}/{total}) image {i}/{n}: "
                        f"{format_time(mean(got))} ({time.monotonic() - t0:.0f} s)"
                    )
    finally:
        ids = [c.id for c in containers]
        if ids:
            with deferred_interrupt():
                try:
                    backend.remove(ids)
                except EngineError as exc:
                    progress(f"warning: {exc}; remove them with: docker rm -f {' '.join(ids)}")
    return Results(
        images=runs,
        benchmarks=list(request.benchmarks),
        rounds=request.rounds,
        values=values,
        pyperf_options=options,
        base=base,
        started=started,
        finished=_now(),
        notes=notes,
    )
