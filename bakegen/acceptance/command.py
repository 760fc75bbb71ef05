"""``bakegen test``: the names it is given turned into images (targets as ``bakegen build`` tags
them), then every check (``checks``) on every image and platform (``runner``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import engine
from ..bake.model import Plan
from ..bake.plan import EXTRA_TARGETS, image_ref, registries
from ..errors import BakegenError, ChecksFailed, did_you_mean
from ..options import ca_bundle, check_ca_bundle, check_tags, merged, split_items
from ..project import Project
from ..sums import MirrorTrust
from . import checks
from .model import Expected
from .runner import Named, Options, Report, run

PULL_POLICIES = ("missing", "always", "never")


@dataclass
class AcceptanceRequest:
    """What ``bakegen test`` was asked for."""

    #: Targets, groups or image references.
    names: list[str]
    #: Comma-separated platforms; None: PLATFORMS, else the engine's own.
    platforms: str | None = None
    #: REGISTRY and IMAGE_NAME as ``bakegen build`` takes them: where a target's image is.
    registries: Sequence[str] = ()
    image_name: str | None = None
    #: A mirror's SHA256SUMS, as given to ``bakegen build``: the releases, and so the tags, it pinned.
    sha256sums: str | None = None
    mirror_trust: MirrorTrust = field(default_factory=MirrorTrust)
    #: Mounted into the containers for pip, Python's ssl and apt; None: CA_BUNDLE, if set.
    ca_bundle: Path | None = None
    #: A target or image to compare the stdlib imports with.
    reference: str | None = None
    #: docker run's --pull: missing, always or never.
    pull: str = "missing"
    #: Print the checks instead of running them.
    list_checks: bool = False
    #: Only these checks (names as ``--list`` prints them); empty: every check.
    only: Sequence[str] = ()


@dataclass
class ImageResolver:
    """Turns the names ``bakegen test`` was given into images: targets as ``bakegen build`` tags them."""

    project: Project
    request: AcceptanceRequest
    environ: Mapping[str, str]
    _plan: Plan | None = None
    _values: dict[str, str] | None = None

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            self._plan = self.project.plan(sha256sums=self.request.sha256sums, trust=self.request.mirror_trust)
        return self._plan

    def is_target_name(self, name: str) -> bool:
        """A bare name (no registry, tag or digest) in a project folder may name a target."""
        return not any(c in name for c in ":/@") and (self.project.root / "versions").is_dir()

    def expand(self, names: Sequence[str]) -> list[str]:
        """Groups replaced by their targets; a bare name close to a target's but none is a typo."""
        if not any(self.is_target_name(name) for name in names):
            return list(names)
        known = [*self.plan.names(), *(g.name for g in self.plan.groups), *EXTRA_TARGETS]
        for name in names:
            if self.is_target_name(name) and name not in known and did_you_mean(name, known):
                raise BakegenError(f"unknown target '{name}'{did_you_mean(name, known)}")
        return self.plan.expand(names)

    def variables(self) -> dict[str, str]:
        """Every bake variable as ``bakegen build`` would set it: options, then environment, then defaults."""
        if self._values is None:
            options = {
                "REGISTRY": ",".join(self.request.registries) if self.request.registries else None,
                "IMAGE_NAME": self.request.image_name,
            }
            self._values = self.project.bake_values(self.project.render_text(self.plan), options, self.environ)
            check_tags(self._values, self.plan)
        return self._values

    def resolve(self, name: str) -> Named:
        if not self.is_target_name(name):
            return Named(name, name)
        if name in self.plan.names():
            target = self.plan.target(name)
            values = self.variables()
            image = image_ref(registries(values["REGISTRY"])[0], values["IMAGE_NAME"], target.tag_names[0])
            return Named(name, image, Expected.from_labels(target.labels))
        if name in EXTRA_TARGETS:
            return self.resolve_printed(name)
        return Named(name, name)

    def resolve_printed(self, name: str) -> Named:
        """A target outside the plan (reference, custom): its first tag and args as bake prints them."""
        text = self.project.render_text(self.plan, context=str(self.project.root.resolve()))
        with tempfile.TemporaryDirectory(prefix="bakegen-") as tmp:
            bake_file = Path(tmp) / "docker-bake.hcl"
            bake_file.write_text(text, encoding="utf-8")
            printed = engine.bake_print([bake_file], [name], self.variables())
        target = printed.get("target", {}).get(name, {})
        if not target.get("tags"):
            raise BakegenError(f"target '{name}' has no tag to test")
        version = (target.get("args") or {}).get("PYTHON_VERSION") or None
        return Named(name, target["tags"][0], Expected.from_labels(target.get("labels"), version))


def check_images(
    project: Project,
    request: AcceptanceRequest,
    report: Callable[[str], None],
    environ: Mapping[str, str] | None = None,
) -> list[Report]:
    """``bakegen test``: every check on every image and platform; ChecksFailed (exit 4) if any failed.
    With ``list_checks``, the table of checks instead."""
    if request.list_checks:
        for line in checks.describe():
            report(line)
        return []
    environ = dict(os.environ if environ is None else environ)
    if not request.names:
        raise BakegenError("name a target or an image to test (see `bakegen list`)")
    if request.pull not in PULL_POLICIES:
        raise BakegenError(f"--pull {request.pull}: expected one of {', '.join(PULL_POLICIES)}")
    known = list(dict.fromkeys(c.name for c in checks.CHECKS))
    for name in request.only:
        if name not in known:
            raise BakegenError(f"--check {name}: no such check{did_you_mean(name, known)} (see `bakegen test --list`)")
    platforms = merged({"PLATFORMS": ""}, environ, {"PLATFORMS": request.platforms})["PLATFORMS"]
    ca = ca_bundle(request.ca_bundle, environ)
    if ca is not None:
        check_ca_bundle(ca)
    resolver = ImageResolver(project, request, environ)
    images = [resolver.resolve(name) for name in resolver.expand(request.names)]
    reference = resolver.resolve(request.reference) if request.reference else None
    own = engine.server().platform  # also: a missing daemon is one line here, before any container
    options = Options(split_items([platforms]) or [own], ca, reference, request.pull, environ, frozenset(request.only))
    reports = run(images, options, report)
    bad = [f"{r.subject.name} on {r.subject.platform} ({', '.join(r.failed)})" for r in reports if r.failed]
    if bad:
        raise ChecksFailed(f"{sum(len(r.failed) for r in reports)} check(s) failed: {'; '.join(bad)}")
    return reports
