"""The report of a ``bakegen bench --threads N`` run: its text and its ``bench.json`` (the chart: ``chart.py``).

Throughput is in units of work per second, a unit being one pass of ``threadwork.py``'s mix;
with N threads, every thread does the same work, so N-thread throughput counts all of it.
"""

from __future__ import annotations

from .results import ImageRun, Results, size_added
from .stats import ThreadImageSummary, Values
from .text import format_cpus, format_ratio, sizes_section, table

UNIT = "units of work per second (one unit: one pass of threadwork.py's mix of float, dict/str and allocation work)"


def format_rate(per_second: float) -> str:
    """Units per second, 3 significant digits without an exponent: ``38.5``, ``412``, ``1234``."""
    return f"{per_second:.3g}" if per_second < 1000 else f"{per_second:.0f}"


def gil_text(img: ImageRun) -> tuple[str, str]:
    """("yes"/"no" free-threaded build, "on"/"off" GIL at run time)."""
    return ("yes" if img.free_threaded else "no"), ("on" if img.gil else "off")


def _images(results: Results) -> list[str]:
    rows = [["#", "image", "python", "free-threaded", "GIL", "cpus"]]
    for i, img in enumerate(results.images, 1):
        rows.append([str(i), img.image, img.python, *gil_text(img), format_cpus(img.cpus)])
    return table(rows, {0})


def _span(low: float, high: float) -> str:
    return f"{low:.2f}-{high:.2f}"


def _busy(s: ThreadImageSummary) -> str:
    if s.cpus_one is None or s.cpus_many is None:
        return "unknown"
    return f"{s.cpus_one:.2f} / {s.cpus_many:.2f}"


def _throughput(results: Results, summary: list[ThreadImageSummary]) -> list[str]:
    n = results.threads.threads if results.threads else 0
    header = ["#", "1 thread", f"{n} threads", "scaling", "range over rounds", f"CPUs busy (1 / {n})"]
    if len(summary) > 1:
        header += [f"{n} threads vs #1", "range over rounds", "1 thread vs #1"]
    rows = [header]
    for i, s in enumerate(summary, 1):
        rows.append([f"#{i}", format_rate(s.one), format_rate(s.many), format_ratio(s.scaling),
                     _span(s.scaling_min, s.scaling_max), _busy(s)])
        if len(summary) > 1:
            rows[-1] += [format_ratio(s.ratio), _span(s.ratio_min, s.ratio_max) if i > 1 else "",
                         format_ratio(s.one_ratio)]
    return table(rows, set(range(1, len(header))))


def format_threads_report(results: Results) -> str:
    """The text report of a --threads run: images (with their GIL), throughputs, scaling, ratios, sizes."""
    t = results.threads
    if t is None:
        raise ValueError("not a --threads run")
    summary = results.thread_summary()
    lines = [
        f"bakegen bench --threads {t.threads}: {len(results.images)} image(s) x {results.rounds} round(s); "
        f"per image and round, {t.runs} runs in 1 thread then {t.runs} in {t.threads}, "
        f"{t.work} units of work per thread and run",
        "",
        *_images(results),
        "",
        f"throughput: {UNIT}, mean over rounds",
        f"scaling: the image's {t.threads}-thread throughput / its 1-thread throughput ({t.threads}.00x: every thread "
        "as fast as one alone)",
        "CPUs busy: the process's CPU time / wall-clock time, with 1 thread and with "
        f"{t.threads} (under a GIL about 1 for both; {t.threads} threads in parallel keep up to {t.threads} busy)",
        *([f"vs #1: this image's throughput / #1's, with {t.threads} threads and with 1 (above 1: more than #1)"]
          if len(results.images) > 1 else []),
        "",
        *_throughput(results, summary),
        *sizes_section(results),
        *(f"note: {note}" for note in results.notes),
    ]
    return "\n".join(lines) + "\n"


def _image_entry(img: ImageRun, results: Results) -> dict:
    return {
        "image": img.image,
        "python": img.python,
        "free_threaded": img.free_threaded,
        "py_gil_disabled": img.py_gil_disabled,
        "gil_enabled": img.gil_enabled,
        "cpus": list(img.cpus) if img.cpus else None,
        "size": img.size.as_dict() if img.size else None,
        "adds_on_top_of_base": size_added(img.size, results.base),
    }


def _image_values(values: Values, name: str, i: int) -> list[list[float]] | None:
    """Image ``i``'s values per round under ``name``, None when there are none."""
    per_image = values.get(name, [])
    return per_image[i] if i < len(per_image) else None


def _thread_entry(i: int, s: ThreadImageSummary, results: Results) -> dict:
    """Image ``i``'s throughputs, scaling and ratios, and its run times (seconds) per round."""
    t = results.threads
    assert t is not None
    cpu = results.cpu_seconds
    return {
        "image": results.images[i].image,
        "one_thread": s.one,
        "n_threads": s.many,
        "scaling": s.scaling,
        "scaling_round_min": s.scaling_min,
        "scaling_round_max": s.scaling_max,
        "ratio": s.ratio,
        "ratio_round_min": s.ratio_min,
        "ratio_round_max": s.ratio_max,
        "one_thread_ratio": s.one_ratio,
        "cpus_busy": {"one_thread": s.cpus_one, "n_threads": s.cpus_many},
        "round_throughput": {"one_thread": s.rounds_one, "n_threads": s.rounds_many},
        "seconds": {"one_thread": results.values[t.one_name][i], "n_threads": results.values[t.many_name][i]},
        "cpu_seconds": {
            "one_thread": _image_values(cpu, t.one_name, i), "n_threads": _image_values(cpu, t.many_name, i)
        },
    }


def threads_data(results: Results) -> dict:
    """``bench.json`` of a --threads run: settings, images (with their GIL), and the threads section."""
    t = results.threads
    if t is None:
        raise ValueError("not a --threads run")
    summary = results.thread_summary()
    section = {
        "threads": t.threads,
        "work_per_thread": t.work,
        "runs_per_round": t.runs,
        "workload": "bakegen/bench/threadwork.py: per unit, float arithmetic (five bodies under gravity), "
                    "dict/str work on pseudo-random words, and allocation of small-object trees; "
                    "no mutable object is shared between threads",
        "unit": UNIT,
        "scaling": "n_threads / one_thread throughput of the same image",
        "ratio": "this image's n_threads throughput / the first image's",
        "one_thread_ratio": "this image's one_thread throughput / the first image's",
        "cpus_busy": "the process's CPU seconds / wall-clock seconds over all runs: CPUs the threads kept busy",
        "images": [_thread_entry(i, s, results) for i, s in enumerate(summary)],
    }
    return {
        "tool": "bakegen bench",
        "mode": "threads",
        "rounds": results.rounds,
        "started": results.started,
        "finished": results.finished,
        "notes": results.notes,
        "images": [_image_entry(img, results) for img in results.images],
        "base": results.base.as_dict() if results.base else None,
        "threads": section,
    }
