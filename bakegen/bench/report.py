"""The report of a run: text (printed and ``bench.txt``), ``bench.json``, and writing the files."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from ..errors import BakegenError
from ..files import replace_files
from .benchmarks import PYPERF_VERSION, PYPERFORMANCE_VERSION
from .chart import render_svg
from .results import Results, size_added
from .stats import Summary, round_means


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


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[c]) for r in rows if c < len(r)) for c in range(max(len(r) for r in rows))]
    out = []
    for row in rows:
        cells = [cell.rjust(widths[c]) if c in right else cell.ljust(widths[c]) for c, cell in enumerate(row)]
        out.append("  ".join(cells).rstrip())
    return out


def _images(results: Results) -> list[str]:
    rows = [["#", "image", "python", "cpu"]]
    for i, img in enumerate(results.images, 1):
        rows.append([str(i), img.image, img.python, "unpinned" if img.cpu is None else str(img.cpu)])
    return _table(rows, {0})


def _times(results: Results, summary: Summary) -> list[str]:
    n = len(results.images)
    header = ["benchmark", "#1"] + [col for i in range(2, n + 1) for col in (f"#{i}", "ratio")]
    rows = [header]
    for b in results.benchmarks:
        times, ratios = summary.times[b.name], summary.ratios[b.name]
        rows.append([b.name, format_time(times[0])])
        rows[-1] += [cell for i in range(1, n) for cell in (format_time(times[i]), format_ratio(ratios[i]))]
    if n > 1:
        others = summary.images[1:]
        rows.append([""] * len(header))
        rows.append(["geometric mean", ""] + [c for s in others for c in ("", format_ratio(s.geomean))])
        rows.append(["  spread over benchmarks", ""] + [c for s in others for c in ("", f"x/{s.gsd:.3f}")])
        rows.append(
            ["  range over rounds", ""] + [c for s in others for c in ("", f"{s.round_min:.2f}-{s.round_max:.2f}")]
        )
    return _table(rows, set(range(1, len(header))))


def _sizes(results: Results) -> list[str]:
    sizes = [img.size for img in results.images]
    if not any(sizes):
        return []
    base = results.base
    rows = [["#", "image", "uncompressed", "compressed"]]
    if base:
        rows[0].append("adds on top of base (uncompressed / compressed)")
    for i, img in enumerate(results.images, 1):
        if img.size is None:
            continue
        rows.append([str(i), img.image, format_size(img.size.uncompressed), format_size(img.size.compressed)])
        added = size_added(img.size, base)
        if added:
            rows[-1].append(
                f"{format_size(added['uncompressed'], signed=True)} / {format_size(added['compressed'], signed=True)}"
            )
    if base:
        rows.append(["base", base.image, format_size(base.uncompressed), format_size(base.compressed)])
    methods = sorted({(s.uncompressed_method, s.compressed_method) for s in [*sizes, base] if s})
    return ["", "sizes", *_table(rows, {0, 2, 3})] + [
        line for unc, comp in methods for line in (f"uncompressed: {unc}", f"compressed: {comp}")
    ]


def format_report(results: Results) -> str:
    """The text report: images, per-benchmark times and ratios, geometric means, sizes."""
    summary = results.summary()
    opts = " ".join(results.pyperf_options) or "pyperf defaults"
    lines = [
        f"bakegen bench: {len(results.benchmarks)} benchmarks x {len(results.images)} image(s) x "
        f"{results.rounds} round(s), pyperformance {PYPERFORMANCE_VERSION}, pyperf {PYPERF_VERSION} ({opts})",
        "",
        *_images(results),
        "",
        "time: mean of the rounds' pyperf means; ratio: #1's time / this image's time (above 1: faster than #1)",
        "",
        *_times(results, summary),
        *_sizes(results),
        *(f"note: {note}" for note in results.notes),
    ]
    return "\n".join(lines) + "\n"


def to_json(results: Results) -> str:
    """Everything a run measured, raw pyperf values included, with the summary."""
    summary = results.summary()
    means = round_means(results.values)
    data = {
        "tool": "bakegen bench",
        "pyperformance": PYPERFORMANCE_VERSION,
        "pyperf": PYPERF_VERSION,
        "pyperf_options": results.pyperf_options,
        "rounds": results.rounds,
        "started": results.started,
        "finished": results.finished,
        "notes": results.notes,
        "ratio": "first image's time / this image's time: above 1 is faster than the first image",
        "images": [
            {
                "image": img.image,
                "python": img.python,
                "cpu": img.cpu,
                "size": img.size.as_dict() if img.size else None,
                "adds_on_top_of_base": size_added(img.size, results.base),
                "geomean_ratio": s.geomean,
                "geometric_std": s.gsd,
                "round_geomean_min": s.round_min,
                "round_geomean_max": s.round_max,
            }
            for img, s in zip(results.images, summary.images, strict=True)
        ],
        "base": results.base.as_dict() if results.base else None,
        "benchmarks": [
            {
                "name": b.name,
                "area": b.area,
                "command": b.command,
                "unit": "second",
                "time": summary.times[b.name],
                "ratio": summary.ratios[b.name],
                "round_means": means[b.name],
                "values": results.values[b.name],
            }
            for b in results.benchmarks
        ],
    }
    return json.dumps(data, indent=2) + "\n"


#: The files a report consists of, and what writes each.
RENDERERS = {"bench.json": to_json, "bench.svg": render_svg, "bench.txt": format_report}
REPORT_FILES = tuple(RENDERERS)


def check_output(output: Path) -> None:
    """Fail now, not after the run, when the report could not be written to ``output``.

    The folder is created and a file written in it as a probe; both go again, so a run that
    fails later leaves nothing behind.
    """
    missing = [p for p in (output, *output.parents) if not p.exists()]
    try:
        output.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(prefix=".bench-probe.", dir=output):
            pass
    except OSError as exc:
        raise BakegenError(f"--output {output}: cannot write the report there: {exc.strerror or exc}") from None
    finally:
        for folder in missing:
            with contextlib.suppress(OSError):
                folder.rmdir()


def write_report(output: Path, results: Results) -> list[Path]:
    """Write the report files into ``output``, all of them or none (``files.replace_files``).

    Everything is rendered before the first file is touched, so a failure leaves the folder as it was.
    """
    texts = {output / name: render(results) for name, render in RENDERERS.items()}
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BakegenError(f"--output {output}: cannot create: {exc.strerror or exc}") from None
    return replace_files(texts)
