"""``bakegen versions update``: move each line of versions/ to its newest upstream release, then
re-render docker-bake.hcl, as one transaction."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .bake import base
from .bake.releases import DEFAULT_API, DEFAULT_MIRROR, LineUpdate, Upstream, check_updates, find_updates
from .bake.render import OUTPUT
from .errors import BakegenError
from .files import existing_text, replace_files, sigterm_raises
from .options import merged, split_items
from .project import Project


@dataclass
class VersionsRequest:
    """What ``bakegen versions update`` was asked for."""

    #: Where releases are listed (python.org's /ftp/python layout); None: PYTHON_MIRROR, else python.org.
    mirror: str | None = None
    #: python.org's release API, for checksums where the mirror has no SHA256SUMS.
    api: str = DEFAULT_API
    #: Take alphas, betas and release candidates too.
    pre: bool = False
    #: Only these lines (repeated or comma-separated); empty: all.
    lines: list[str] = field(default_factory=list)
    #: Show the changes, write nothing.
    dry_run: bool = False
    #: Measure the digests of versions/base-images.toml anew (``bake.base.refresh``).
    base_images: bool = True
    #: Measure them at this mirror of Docker Hub's official images instead.
    base_registry: str | None = None


@dataclass
class VersionsUpdate:
    """What ``versions update`` found, and what it wrote (nothing on a dry run)."""

    updates: list[LineUpdate]
    #: Whether docker-bake.hcl changes (or, on a dry run, would change).
    bake_changed: bool = False
    written: list[Path] = field(default_factory=list)
    #: One line per base image measured (``bake.base``), and whether versions/base-images.toml changes.
    bases: list[str] = field(default_factory=list)
    bases_changed: bool = False

    def report(self, *, dry_run: bool) -> list[str]:
        """What ``versions update`` prints, each entry ending in a newline."""
        lines = [u.summary() + "\n" for u in self.updates] + [line + "\n" for line in self.bases]
        changed = [u for u in self.updates if u.changed]
        if dry_run:
            lines += [u.diff() for u in changed]
            if changed or self.bake_changed or self.bases_changed:
                bake = f"{OUTPUT} would be re-rendered" if self.bake_changed else f"{OUTPUT} unchanged"
                count = len(changed) + self.bases_changed
                lines.append(f"dry run: nothing written ({count} file(s) would change; {bake})\n")
            return lines
        lines += [f"wrote {path}\n" for path in self.written]
        if not changed and not self.bases_changed:
            lines.append("versions/ is up to date\n")
        return lines


def update_versions(
    project: Project,
    request: VersionsRequest,
    report: Callable[[str], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> VersionsUpdate:
    """Move each line of versions/ to its newest upstream release, then re-render docker-bake.hcl.

    Everything is fetched, the new files are loaded and validated, and the bake file is rendered
    before the first write. The files are then replaced as one transaction (``files.replace_files``):
    after any failure, SIGINT or SIGTERM included, versions/ and docker-bake.hcl are all old or all
    new. A docker-bake.hcl that does not match versions/ (left by an older bakegen, or edited by
    hand) is re-rendered even when versions/ is up to date. With ``base_images``, the digests of
    versions/base-images.toml are measured anew (``bake.base.refresh``; at ``base_registry`` if given).
    ``report`` gets the report's entries.
    """
    if request.base_registry and not request.base_images:
        raise BakegenError("--base-registry measures the base images; it cannot go with --no-base-images")
    environ = os.environ if environ is None else environ
    mirror = merged({"PYTHON_MIRROR": DEFAULT_MIRROR}, environ, {"PYTHON_MIRROR": request.mirror})["PYTHON_MIRROR"]
    with sigterm_raises():
        versions_dir = project.root / "versions"
        updates = find_updates(versions_dir, Upstream(mirror, request.api), pre=request.pre,
                               lines=split_items(request.lines))
        result = VersionsUpdate(updates)
        base_text = (
            base.refresh_file(versions_dir, request.base_registry, result.bases) if request.base_images else None
        )
        text = project.render_text(check_updates(versions_dir, updates, base_text))
        result.bake_changed = existing_text(project.output) != text
        contents = {u.path: u.new_text or "" for u in updates if u.changed}
        if base_text is not None:
            contents[versions_dir / base.FILE] = base_text
            result.bases_changed = True
        if result.bake_changed:
            contents[project.output] = text
        if not request.dry_run and contents:
            result.written = replace_files(contents)
    if report is not None:
        for entry in result.report(dry_run=request.dry_run):
            report(entry)
    return result
