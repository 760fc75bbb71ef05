"""The commands about the bake file and the plan: ``render``, ``list``, ``validate`` and ``matrix``."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import engine, files
from .bake.matrix import DEFAULT_PLATFORMS, build_matrix, github_matrix, merge_matrix
from .bake.plan import EXTRA_TARGETS
from .bake.render import OUTPUT
from .bake.validate import check_text, compare_printed
from .errors import BakegenError
from .options import check_variables, split_items
from .project import Project, mirror_sum_notes
from .sums import STRICT, MirrorTrust

#: Debian stable's buildx, which bakegen also supports; checked when present.
DEBIAN_BUILDX = "/usr/libexec/docker/cli-plugins/docker-buildx"


def render_project(
    project: Project,
    report: Callable[[str], None],
    *,
    check: bool = False,
    show_diff: Callable[[str], None] | None = None,
) -> bool:
    """``bakegen render``: write docker-bake.hcl; returns whether it changed. With ``check``, write
    nothing: a stale file is an error, after ``show_diff`` got the diff."""
    if check:
        diff = stale_diff(project)
        if diff:
            (show_diff or report)(diff)
            raise BakegenError(f"{OUTPUT} is stale: run `bakegen render` and commit the result")
        report(f"{OUTPUT} is up to date")
        return False
    text = project.render_text()
    changed = files.existing_text(project.output) != text
    if changed:
        files.write_text(project.output, text)
    report(f"{'wrote' if changed else 'unchanged:'} {project.output}")
    return changed


def stale_diff(project: Project) -> str:
    """An empty string when docker-bake.hcl is what a render gives today, else a unified diff."""
    text = project.render_text()
    old = files.existing_text(project.output) or ""
    if old == text:
        return ""
    diff = difflib.unified_diff(
        old.splitlines(keepends=True), text.splitlines(keepends=True), f"{OUTPUT} (committed)", f"{OUTPUT} (rendered)"
    )
    return "".join(diff) or f"{OUTPUT} is missing\n"


def list_lines(
    project: Project, *, groups: bool = False, sha256sums: str | None = None, trust: MirrorTrust = STRICT
) -> list[str]:
    """``bakegen list``: every target ``build`` accepts (or the groups), one line each.

    With ``sha256sums``, the plan a build with that mirror would make; SUM says whether a target's
    sha256 is pinned in versions/ or only the mirror's, and a note names the mirror's file.
    """
    plan = project.plan(sha256sums=sha256sums, trust=trust)
    if groups:
        return [f"{g.name:<20} {' '.join(g.targets)}" for g in plan.groups]
    lines = [f"{'TARGET':<26} {'VERSION':<9} {'SUM':<7} {'BASE':<9} TAGS"]
    lines += [
        f"{t.name:<26} {t.release.version:<9} {'mirror' if t.release.tarball.sum_from_mirror else 'pinned':<7} "
        f"{t.release.debian:<9} {' '.join(t.tag_names)}"
        for t in plan.targets
    ]
    lines += [f"{name:<26} {what}" for name, what in EXTRA_TARGETS.items()]
    return lines + mirror_sum_notes(plan)


@dataclass
class PrintCheck:
    """One buildx's ``--print`` compared with the plan."""

    buildx: str
    version: str
    problems: list[str] = field(default_factory=list)


def check_with_bake(
    project: Project, environ: Mapping[str, str] | None = None, binaries: list[str | None] | None = None
) -> list[PrintCheck]:
    """Run ``bake --print`` on the committed file with each buildx and compare with the plan."""
    plan = project.plan()
    text = files.existing_text(project.output) or ""
    check_text(text, plan)
    values = project.bake_values(text, environ=environ)
    if binaries is None:
        binaries = [None] + ([DEBIAN_BUILDX] if Path(DEBIAN_BUILDX).exists() else [])
    results = []
    for binary in binaries:
        printed = engine.bake_print([project.output], ["default"], values, binary=binary)
        results.append(
            PrintCheck(binary or "docker buildx", engine.buildx_version(binary), compare_printed(printed, plan, values))
        )
    return results


def validate(project: Project, *, engine: bool, report: Callable[[str], None]) -> None:
    """``bakegen validate``: fresh, well-formed, and (with ``engine``) read by every buildx as planned."""
    if stale_diff(project):
        raise BakegenError(f"{OUTPUT} is stale: run `bakegen render`")
    report("python-hcl2: targets, groups and attributes match the plan")
    check_variables(project.bake_values(files.existing_text(project.output) or ""), project.plan())
    report("settings: every variable is well-formed and every tag a valid image reference")
    if not engine:
        return
    failed = False
    for result in check_with_bake(project):
        status = "agrees with the plan" if not result.problems else f"{len(result.problems)} difference(s)"
        report(f"{result.buildx} {result.version}: bake --print {status}")
        for problem in result.problems:
            report(f"  {problem}")
        failed = failed or bool(result.problems)
    if failed:
        raise BakegenError(f"bake reads {OUTPUT} differently from the plan")


def matrix(
    project: Project,
    *,
    lines: Sequence[str] | None = None,
    variants: Sequence[str] | None = None,
    platforms: Sequence[str] | None = None,
    per_target: bool = False,
) -> dict[str, list[dict]]:
    """The GitHub Actions matrix for the selected targets: one entry per target x platform, or per
    target with ``per_target`` (for the jobs that merge the per-platform digests)."""
    entries = build_matrix(
        project.plan(), split_items(lines), split_items(variants), split_items(platforms) or list(DEFAULT_PLATFORMS)
    )
    return github_matrix(merge_matrix(entries) if per_target else entries)


def matrix_text(
    project: Project,
    *,
    lines: Sequence[str] | None = None,
    variants: Sequence[str] | None = None,
    platforms: Sequence[str] | None = None,
    per_target: bool = False,
    pretty: bool = False,
) -> str:
    """``bakegen matrix``: the matrix as one line of JSON (what ``fromJSON`` takes), or indented."""
    data = matrix(project, lines=lines, variants=variants, platforms=platforms, per_target=per_target)
    return json.dumps(data, indent=2) if pretty else json.dumps(data, separators=(",", ":"))
