"""The report of a run: text (printed and ``bench.txt``), ``bench.json``, and writing the files."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from ..errors import BakegenError
from ..files import check_destinations, replace_files, signals_held
from .benchmarks import PYPERF_VERSION, PYPERFORMANCE_VERSION
from .chart import render_svg
from .results import Results, size_added
from .stats import Summary, round_means
from .text import format_cpus, format_ratio, format_time, sizes_section, table
from .threadreport import format_threads_report, threads_data


def _images(results: Results) -> list[str]:
    rows = [["#", "image", "python", "cpu"]]
    for i, img in enumerate(results.images, 1):
        rows.append([str(i), img.image, img.python, format_cpus(img.cpus)])
    return table(rows, {0})


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
    return table(rows, set(range(1, len(header))))


def format_report(results: Results) -> str:
    """The text report: images, per-benchmark times and ratios, geometric means, sizes."""
    if results.threads:
        return format_threads_report(results)
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
        *sizes_section(results),
        *(f"note: {note}" for note in results.notes),
    ]
    return "\n".join(lines) + "\n"


def to_json(results: Results) -> str:
    """Everything a run measured, raw pyperf values included, with the summary."""
    if results.threads:
        return json.dumps(threads_data(results), indent=2) + "\n"
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
                "cpu": img.cpus[0] if img.cpus else None,
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
    """Fail now, not after the run, when the report could not be written to ``output``: the
    folder, and each report file in it (a folder or a read-only file named bench.txt is refused).

    The folder is created and a file written in it as a probe; both go again, so a run that
    fails later leaves nothing behind, a signal included.
    """
    missing = [p for p in (output, *output.parents) if not p.exists()]
    with signals_held():
        try:
            output.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(prefix=".bench-probe.", dir=output):
                pass
            check_destinations([output / name for name in REPORT_FILES])
        except OSError as exc:
            raise BakegenError(f"--output {output}: cannot write the report there: {exc.strerror or exc}") from None
        except BakegenError as exc:
            reason = str(exc).removesuffix("; nothing was changed")
            raise BakegenError(f"--output {output}: cannot write the report there: {reason}") from None
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
