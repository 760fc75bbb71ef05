"""``bench.svg``: the ratios against the first image as a bar chart, with no plotting dependency."""

from __future__ import annotations

from xml.sax.saxutils import escape

from .results import Results

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

