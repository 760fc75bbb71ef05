"""The ``hardening`` check: what an image's ELF files show, against the groups its label promises.

``elfscan.py`` reports each ELF file under /usr/local from inside the image; this module judges the
report. A group is promised by the image's ``io.bakegen.hardening`` label ("all", "none", or group
names), which the bake file sets from the same value the build used (bakegen/inbuild/flags.sh).

What each group leaves in a binary, and so what is checked:

- ``stack-protector``: an import of ``__stack_chk_fail``, in every file that imports a libc function
  at all (a file that calls nothing cannot have a protected frame that fails);
- ``fortify``: a ``__*_chk`` import in every file that imports a function glibc fortifies. With
  _FORTIFY_SOURCE=2 a call whose buffer size is unknown stays unfortified, so plain imports beside
  fortified ones are normal: a file fails only with plain ones alone, as Debian's hardening-check
  (devscripts) judges it;
- ``relro``: a PT_GNU_RELRO segment; ``bindnow``: BIND_NOW in the dynamic section;
- ``branch-protection``: the GNU property note's IBT and SHSTK bits (x86-64), or BTI (AArch64);
- ``pie``: the interpreter is a position-independent executable.

``format`` (-Werror=format-security) and ``stack-clash`` leave nothing that can be read back, and are
reported as such.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: Every group bakegen/inbuild/flags.sh knows, in its order (a unit test holds the two together).
GROUPS = ("stack-protector", "fortify", "format", "stack-clash", "branch-protection", "pie", "relro", "bindnow")
#: Groups a built file shows nothing of.
INVISIBLE = ("format", "stack-clash")
#: GNU_PROPERTY_X86_FEATURE_1_IBT | _SHSTK, and GNU_PROPERTY_AARCH64_FEATURE_1_BTI.
X86_IBT_SHSTK = 0x3
AARCH64_BTI = 0x1

SCANNER = Path(__file__).with_name("elfscan.py")


class PromiseError(ValueError):
    """A hardening label that names no known group."""


def promised(label: str | None) -> tuple[str, ...] | None:
    """The groups a label promises; None without a label (not a bakegen image, or an older one)."""
    if label is None:
        return None
    words = label.replace(",", " ").split()
    if words == ["all"]:
        return GROUPS
    if words in ([], ["none"]):
        return ()
    unknown = [w for w in words if w not in GROUPS]
    if unknown:
        raise PromiseError(f"unknown hardening group {unknown[0]!r} (groups: {', '.join(GROUPS)})")
    return tuple(g for g in GROUPS if g in words)


@dataclass(frozen=True)
class ElfFacts:
    """One line of elfscan.py's report."""

    path: str
    machine: str = ""
    type: str = ""
    interp: bool = False
    relro: bool = False
    bindnow: bool = False
    stack_chk: bool = False
    fortified: tuple[str, ...] = ()
    fortifiable: tuple[str, ...] = ()
    x86_features: int | None = None
    aarch64_features: int | None = None
    error: str = ""

    @classmethod
    def from_json(cls, data: Mapping) -> ElfFacts:
        return cls(
            path=str(data["path"]), machine=str(data.get("machine", "")), type=str(data.get("type", "")),
            interp=bool(data.get("interp")), relro=bool(data.get("relro")), bindnow=bool(data.get("bindnow")),
            stack_chk=bool(data.get("stack_chk")), fortified=tuple(data.get("fortified") or ()),
            fortifiable=tuple(data.get("fortifiable") or ()), x86_features=data.get("x86_features"),
            aarch64_features=data.get("aarch64_features"), error=str(data.get("error") or ""),
        )

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def is_interpreter(self) -> bool:
        """An executable: the interpreter (python3.13, python3.13t), not an extension module."""
        return self.interp or self.type == "exec"


def parse_report(output: str) -> list[ElfFacts]:
    """elfscan.py's JSON lines; anything else (the batch's own lines) is skipped."""
    found = []
    for line in output.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            data = json.loads(line)
            found.append(ElfFacts.from_json(data))
        except (ValueError, TypeError, KeyError):
            continue
    return found


def lacks(f: ElfFacts, group: str) -> bool:
    """Whether file ``f`` lacks what ``group`` leaves in a binary (False where the group shows nothing)."""
    if group == "relro":
        return not f.relro
    if group == "bindnow":
        return not f.bindnow
    if group == "stack-protector":
        return not f.stack_chk
    if group == "fortify":
        return bool(f.fortifiable) and not f.fortified
    if group == "branch-protection":
        if f.machine == "x86_64":
            return (f.x86_features or 0) & X86_IBT_SHSTK != X86_IBT_SHSTK
        if f.machine == "aarch64":
            return not (f.aarch64_features or 0) & AARCH64_BTI
        return False
    if group == "pie":
        return f.is_interpreter and not (f.type == "dyn" and f.interp)
    return False


def judge_files(files: Iterable[ElfFacts], groups: Iterable[str]) -> tuple[bool, str]:
    """(passed, one line): per promised group, the files that lack it."""
    files = list(files)
    groups = [g for g in groups if g not in INVISIBLE]
    broken = [f for f in files if f.error]
    if broken:
        return False, f"{broken[0].name}: not a readable ELF file ({broken[0].error})"
    if not any(f.is_interpreter for f in files):
        return False, "no interpreter among the ELF files under /usr/local"
    problems = []
    for group in groups:
        missing = [f.name for f in files if lacks(f, group)]
        if missing:
            shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            problems.append(f"{group} missing in {len(missing)} of {len(files)} files ({shown})")
    if problems:
        return False, "; ".join(problems)
    checked = ", ".join(groups) if groups else "nothing promised"
    return True, f"{len(files)} ELF files: {checked}"
