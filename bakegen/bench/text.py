"""The pieces of the text reports: times, sizes, ratios, CPUs, tables, and the sizes section."""

from __future__ import annotations

from .results import Results, size_added


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


def table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[c]) for r in rows if c < len(r)) for c in range(max(len(r) for r in rows))]
    out = []
    for row in rows:
        cells = [cell.rjust(widths[c]) if c in right else cell.ljust(widths[c]) for c, cell in enumerate(row)]
        out.append("  ".join(cells).rstrip())
    return out


def sizes_section(results: Results) -> list[str]:
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
    return ["", "sizes", *table(rows, {0, 2, 3})] + [
        line for unc, comp in methods for line in (f"uncompressed: {unc}", f"compressed: {comp}")
    ]




def format_cpus(cpus: tuple[int, ...] | None) -> str:
    """``unpinned``, ``1``, ``0-1`` (consecutive CPUs), or ``0,2``."""
    if not cpus:
        return "unpinned"
    if len(cpus) > 1 and list(cpus) == list(range(cpus[0], cpus[0] + len(cpus))):
        return f"{cpus[0]}-{cpus[-1]}"
    return ",".join(map(str, cpus))


def pinned_to(cpus: tuple[int, ...]) -> str:
    """``CPU 1``, ``CPUs 0-1``."""
    return f"CPU{'s' if len(cpus) > 1 else ''} {format_cpus(cpus)}"
