"""``bench.svg``: the ratios against the first image as a bar chart, with no plotting dependency.

With ``--threads N``: the scaling of each image (N-thread / 1-thread throughput) and its N-thread
throughput against the first image's, each bar with its range over rounds.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .results import Results
from .stats import ThreadImageSummary

PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")


def render_svg(results: Results) -> str:
    """A horizontal bar chart of the ratios against the first image, geometric mean on top."""
    if results.threads:
        return render_threads_svg(results)
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



#: Layout of the --threads chart: left edge of the bars, their width at most, one bar's height.
_T_LABEL, _T_PLOT, _T_BAR = 60, 560, 18


Bar = tuple[float, float, float]  # value, lowest round, highest round


def _panel(title: str, bars: list[Bar], references: list[float], y: int) -> tuple[list[str], int]:
    """One panel of the --threads chart: a bar per image (value, lowest and highest round) with a whisker
    for the range, dashed lines at ``references``; returns its SVG elements and the y below it."""
    vmax = max([*references, *(hi for _, _, hi in bars)]) * 1.1
    scale = _T_PLOT / vmax
    out = [f'<text x="10" y="{y + 12}" font-weight="bold">{escape(title)}</text>']
    top = y + 20
    bottom = top + len(bars) * (_T_BAR + 6)
    for ref in references:
        x = _T_LABEL + ref * scale
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="black" '
                   f'stroke-dasharray="4 3"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 12}" text-anchor="middle">{ref:g}x</text>')
    for i, (value, low, high) in enumerate(bars):
        y0 = top + i * (_T_BAR + 6)
        mid = y0 + _T_BAR / 2
        out.append(f'<text x="{_T_LABEL - 6}" y="{mid + 4:.1f}" text-anchor="end">#{i + 1}</text>')
        out.append(f'<rect x="{_T_LABEL}" y="{y0}" width="{value * scale:.1f}" height="{_T_BAR}" '
                   f'fill="{PALETTE[i % len(PALETTE)]}"><title>#{i + 1}: {value:.3f} '
                   f'(rounds {low:.3f}-{high:.3f})</title></rect>')
        out.append(f'<line x1="{_T_LABEL + low * scale:.1f}" y1="{mid:.1f}" x2="{_T_LABEL + high * scale:.1f}" '
                   f'y2="{mid:.1f}" stroke="black" stroke-width="2"/>')
        out.append(f'<text x="{_T_LABEL + max(value, high) * scale + 4:.1f}" y="{mid + 4:.1f}">{value:.2f}x</text>')
    return out, bottom + 24


def _scaling_bars(summary: list[ThreadImageSummary]) -> list[Bar]:
    return [(s.scaling, s.scaling_min, s.scaling_max) for s in summary]


def _ratio_bars(summary: list[ThreadImageSummary]) -> list[Bar]:
    return [(s.ratio, s.ratio_min, s.ratio_max) for s in summary]


def render_threads_svg(results: Results) -> str:
    """The --threads chart: scaling per image (ideal: N), then N-thread throughput against the first image."""
    assert results.threads is not None
    n = results.threads.threads
    summary = results.thread_summary()
    width = _T_LABEL + _T_PLOT + 80
    body = [f'<text x="10" y="16" font-size="13" font-weight="bold">bakegen bench --threads {n}: '
            f"{results.rounds} round(s); bars: mean over rounds, lines: range over rounds</text>"]
    for i, img in enumerate(results.images):
        y = 24 + 16 * i
        kind = "free-threaded" if img.free_threaded else "GIL"
        body.append(f'<rect x="10" y="{y}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        body.append(f'<text x="26" y="{y + 9}">#{i + 1} {escape(img.image)} ({escape(img.python)}, {kind})</text>')
    y = 34 + 16 * len(results.images)
    panel, y = _panel(f"Scaling: {n}-thread throughput / 1-thread throughput ({n}x: every thread as fast as one "
                      "alone)", _scaling_bars(summary), [1.0, float(n)], y)
    body += panel
    if len(summary) > 1:
        panel, y = _panel(f"{n}-thread throughput against #1 (above 1: more work per second than #1)",
                          _ratio_bars(summary), [1.0], y)
        body += panel
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" viewBox="0 0 {width} {y}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{y}" fill="white"/>',
    ]
    return "\n".join([*head, *body, "</svg>"]) + "\n"
