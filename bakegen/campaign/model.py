"""Flag sets: the typed model of a campaign file, strict parsing, and the bake variables of a set.

A campaign file (TOML) names a baseline, comparison targets, and flag sets; each set becomes one
build of the bake file's ``custom`` target. ``bakegen/campaign/flagsets.toml`` is bakegen's own.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from ..untrusted import load_toml

#: A set's name becomes an image tag and a file name: letters, digits, '.', '_' and '-'.
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}\Z")
#: A Debian package, optionally from another suite: clang-21/sid.
PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]*(/[a-z][a-z0-9-]*)?\Z")
#: Bake targets a campaign may compare with.
COMPARABLE = ("reference", "debian-python3")


@dataclass(frozen=True)
class FlagSet:
    """One build of the custom target, and the image the campaign benchmarks."""

    #: Short name: the image tag and the name in the report.
    name: str
    #: One line: what the set changes, and why it is worth measuring.
    summary: str = ""
    #: Profile-guided optimization (--enable-optimizations).
    optimal: bool = True
    #: Link-time optimization (--with-lto); needs ``optimal``.
    lto: bool = True
    #: The free-threaded build (--disable-gil), CPython 3.13 and later.
    freethreaded: bool = False
    #: Hardening groups of bakegen/inbuild/flags.sh: "all", "none", or names separated by spaces.
    hardening: str = "all"
    #: Extra toolchain packages; NAME/SUITE takes one from another Debian suite.
    packages: tuple[str, ...] = ()
    #: Extra configure arguments, NAME=value pairs among them.
    configure: tuple[str, ...] = ()
    #: Added to CFLAGS_NODIST.
    cflags: str = ""
    #: Added to LDFLAGS_NODIST.
    ldflags: str = ""
    #: The PGO training run's arguments to python; "" keeps bakegen's default.
    profile_task: str = ""
    #: make variables (NAME=value).
    make: tuple[str, ...] = ()

    def variables(self, version: str) -> dict[str, str]:
        """The bake variables that build this set as the custom target."""
        return {
            "PYTHON_VERSION": version,
            "OPTIMAL": "1" if self.optimal else "0",
            "LTO": "1" if self.lto else "0",
            "FREETHREADED": "1" if self.freethreaded else "0",
            "HARDENING": self.hardening,
            "EXTRA_PACKAGES": " ".join(self.packages),
            "EXTRA_CONFIGURE": shlex.join(self.configure),
            "EXTRA_CFLAGS": self.cflags,
            "EXTRA_LDFLAGS": self.ldflags,
            "PROFILE_TASK": self.profile_task,
            "EXTRA_MAKE": shlex.join(self.make),
        }


@dataclass(frozen=True)
class Campaign:
    """A campaign file."""

    #: Where it was read from (for messages).
    path: Path
    #: The sets, in build order.
    sets: tuple[FlagSet, ...]
    #: The set the ratios are against; default: the first.
    baseline: str = ""
    #: Comparison targets benchmarked beside the sets.
    compare: tuple[str, ...] = field(default_factory=tuple)

    def set(self, name: str) -> FlagSet:
        for s in self.sets:
            if s.name == name:
                return s
        raise DataError(f"{self.path}: no flag set named {name!r} (sets: {', '.join(s.name for s in self.sets)})")


_SET_KEYS = {
    "name": str, "summary": str, "optimal": bool, "lto": bool, "freethreaded": bool, "hardening": str,
    "packages": list, "configure": list, "cflags": str, "ldflags": str, "profile_task": str, "make": list,
}
_TOP_KEYS = {"baseline": str, "compare": list}


def _typed(where: str, table: dict, keys: dict) -> dict:
    out = {}
    for key, value in table.items():
        if key not in keys:
            raise DataError(f"{where}: unknown key {key!r} (keys: {', '.join(keys)})")
        want = keys[key]
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise DataError(f"{where}: {key} must be a {want.__name__}, not {type(value).__name__}")
        if want is list:
            if not all(isinstance(v, str) for v in value):
                raise DataError(f"{where}: {key} must be a list of strings")
            value = tuple(value)
        out[key] = value
    return out


def parse(path: Path, data: dict) -> Campaign:
    """The campaign in ``data`` (a parsed TOML table), strictly: unknown keys and wrong types refused."""
    data = dict(data)
    tables = data.pop("set", [])
    if not isinstance(tables, list):
        raise DataError(f"{path}: set must be an array of tables ([[set]])")
    top = _typed(str(path), data, _TOP_KEYS)
    sets = []
    for n, table in enumerate(tables, 1):
        where = f"{path}: [[set]] {n}"
        if not isinstance(table, dict):
            raise DataError(f"{where}: must be a table")
        fields = _typed(where, table, _SET_KEYS)
        if "name" not in fields:
            raise DataError(f"{where}: has no name")
        sets.append(FlagSet(**fields))
    return Campaign(path, tuple(sets), top.get("baseline", ""), tuple(top.get("compare", ())))


def _validate_set(where: Path, s: FlagSet) -> None:
    if not NAME_RE.match(s.name):
        raise DataError(f"{where}: set name {s.name!r}: use lower-case letters, digits, '.', '_' and '-' "
                        "(it becomes an image tag)")
    if s.lto and not s.optimal:
        raise DataError(f"{where}: set {s.name}: lto needs optimal (LTO is offered on top of PGO only)")
    for pkg in s.packages:
        if not PACKAGE_RE.match(pkg):
            raise DataError(f"{where}: set {s.name}: {pkg!r} is not a Debian package name (NAME or NAME/SUITE)")
    texts = (s.summary, s.hardening, s.cflags, s.ldflags, s.profile_task, *s.configure, *s.make)
    for text in texts:
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise DataError(f"{where}: set {s.name}: control characters are not allowed ({text!r})")


def validate(campaign: Campaign) -> None:
    """What parsing cannot see: names, packages, references between keys. Each error says how to fix it."""
    where = campaign.path
    if not campaign.sets:
        raise DataError(f"{where}: no [[set]]: add at least one flag set")
    seen: set[str] = set()
    for s in campaign.sets:
        _validate_set(where, s)
        if s.name in seen:
            raise DataError(f"{where}: set name {s.name!r} is used twice: rename one")
        seen.add(s.name)
    if campaign.baseline and campaign.baseline not in seen:
        raise DataError(f"{where}: baseline {campaign.baseline!r} is not a set: name one of {', '.join(sorted(seen))}")
    for target in campaign.compare:
        if target not in COMPARABLE:
            raise DataError(f"{where}: compare: {target!r} is not a comparison target ({', '.join(COMPARABLE)})")


def load(path: Path) -> Campaign:
    campaign = parse(path, load_toml(path))
    validate(campaign)
    return campaign
