"""The ``hardening`` check: what an image's ELF files show, against the groups its label promises.

``elfscan.py`` reports each ELF file under /usr/local from inside the image; this module judges the
report. A group is promised by the image's ``io.bakegen.hardening`` label ("all", "none", or group
names), which the bake file sets from the same value the build used (bakegen/inbuild/flags.sh).

What each group leaves in a binary, and so what is checked. Groups that act per link are checked in
every file; groups that act per function only where the compiler had a reason to act, which a file
may not give (a module without a local array has no frame to protect; with _FORTIFY_SOURCE=2 a copy
into a buffer of unknown size stays a plain memcpy), so for those the interpreter (the bulk of the C
code) must show them, and the extension modules as a whole:

- ``relro``: a PT_GNU_RELRO segment, in every file;
- ``bindnow``: BIND_NOW in the dynamic section, in every file;
- ``branch-protection``: in every file, every exported function begins with a landing pad (ENDBR64
  on x86-64, BTI C or PACIASP on AArch64); the few that no compiler flag reaches (the C runtime's,
  and Python 2.7's bundled libffi assembly: ``UNCOMPILED_FUNCTIONS``) are not counted;
- ``pie``: the interpreter is a position-independent executable;
- ``stack-protector``: the interpreter imports ``__stack_chk_fail``, and so do at least half of the
  extension modules (59 of 62 in a hardened 3.13 wee; Debian's gcc adds none by default);
- ``fortify``: the interpreter imports fortified ``__*_chk`` functions, and at least one extension
  module does (without _FORTIFY_SOURCE no ``__*_chk`` call is ever emitted).

``format`` (-Werror=format-security) and ``stack-clash`` leave nothing that can be read back, and are
reported as such.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .model import Evidence, Outcome, failed, passed, skipped

#: Every group bakegen/inbuild/flags.sh knows, in its order (a unit test holds the two together).
GROUPS = ("stack-protector", "fortify", "format", "stack-clash", "branch-protection", "pie", "relro", "bindnow")
#: Groups a built file shows nothing of.
INVISIBLE = ("format", "stack-clash")
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
    #: Exported functions that do not begin with a landing pad (some of them).
    no_landing_pad: tuple[str, ...] = ()
    error: str = ""

    @classmethod
    def from_json(cls, data: Mapping) -> ElfFacts:
        return cls(
            path=str(data["path"]), machine=str(data.get("machine", "")), type=str(data.get("type", "")),
            interp=bool(data.get("interp")), relro=bool(data.get("relro")), bindnow=bool(data.get("bindnow")),
            stack_chk=bool(data.get("stack_chk")), fortified=tuple(data.get("fortified") or ()),
            fortifiable=tuple(data.get("fortifiable") or ()), x86_features=data.get("x86_features"),
            aarch64_features=data.get("aarch64_features"), no_landing_pad=tuple(data.get("no_landing_pad") or ()),
            error=str(data.get("error") or ""),
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


#: Exported functions that no compiler flag reaches, so they never begin with a landing pad: the C
#: runtime's (Scrt1.o, crti.o, crtn.o, and glibc 2.31's libc_nonshared.a on bullseye), and the
#: hand-written assembly of the libffi copy that Python 2.7 bundles in _ctypes
#: (Modules/_ctypes/libffi/src/x86/unix64.S); Python 3 links Debian's libffi instead.
UNCOMPILED_FUNCTIONS = frozenset({
    "_start", "_init", "_fini", "__libc_csu_init", "__libc_csu_fini", "ffi_call_unix64", "ffi_closure_unix64",
})


def _shown(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _per_file(files: list[ElfFacts], group: str, lacks) -> str | None:
    missing = [f.name for f in files if lacks(f)]
    if missing:
        return f"{group} missing in {len(missing)} of {len(files)} files ({_shown(missing)})"
    return None


def _unpadded(f: ElfFacts) -> bool:
    return f.machine in ("x86_64", "aarch64") and bool(set(f.no_landing_pad) - UNCOMPILED_FUNCTIONS)


def _per_function(interpreters: list[ElfFacts], modules: list[ElfFacts], group: str, has, share: float) -> str | None:
    bare = [f.name for f in interpreters if not has(f)]
    if bare:
        return f"{group} missing in the interpreter ({_shown(bare)})"
    with_it = sum(1 for f in modules if has(f))
    if modules and (with_it == 0 or with_it < share * len(modules)):
        return f"{group} in only {with_it} of {len(modules)} extension modules"
    return None


def check_group(files: list[ElfFacts], group: str) -> str | None:
    """Why ``files`` do not show ``group``, in a few words; None when they do (or it cannot show)."""
    interpreters = [f for f in files if f.is_interpreter]
    modules = [f for f in files if not f.is_interpreter]
    if group == "relro":
        return _per_file(files, group, lambda f: not f.relro)
    if group == "bindnow":
        return _per_file(files, group, lambda f: not f.bindnow)
    if group == "branch-protection":
        return _per_file(files, group + " (functions without a landing pad)", _unpadded)
    if group == "pie":
        return _per_file(interpreters, group, lambda f: not (f.type == "dyn" and f.interp))
    if group == "stack-protector":
        return _per_function(interpreters, modules, group, lambda f: f.stack_chk, 0.5)
    if group == "fortify":
        return _per_function(interpreters, modules, group, lambda f: bool(f.fortified), 0.0)
    return None


def judge_files(files: Iterable[ElfFacts], groups: Iterable[str]) -> tuple[bool, str]:
    """(passed, one line): the promised groups that the files do not show, and where."""
    files = [f for f in files if f.error or f.type in ("exec", "dyn")]
    groups = [g for g in groups if g not in INVISIBLE]
    broken = [f for f in files if f.error]
    if broken:
        return False, f"{broken[0].name}: not a readable ELF file ({broken[0].error})"
    if not any(f.is_interpreter for f in files):
        return False, "no interpreter among the ELF files under /usr/local"
    problems = [p for p in (check_group(files, g) for g in groups) if p]
    if problems:
        return False, "; ".join(problems)
    checked = ", ".join(groups) if groups else "nothing promised"
    return True, f"{len(files)} ELF files show {checked}"


def judge(ev: Evidence) -> Outcome:
    """The ``hardening`` check's judge: elfscan.py's report against the image's promise."""
    try:
        groups = promised(ev.subject.expected.hardening)
    except PromiseError as exc:
        return failed(f"io.bakegen.hardening label: {exc}")
    if groups is None:
        return skipped("no io.bakegen.hardening label: the image promises no hardening")
    if ev.result is None:
        return failed("the ELF scan did not run")
    files = parse_report(ev.result.output)
    if ev.result.exit_code != 0 or not files:
        return failed(f"the ELF scan failed: {ev.result.reason()}")
    ok, line = judge_files(files, groups)
    return passed(line) if ok else failed(line)


def scan_script() -> str:
    """The batch snippet: elfscan.py run by the image's interpreter over /usr/local."""
    source = SCANNER.read_text(encoding="utf-8")
    return f"\"$PY\" - <<'BAKEGEN_PY'\n{source}\nmain(['/usr/local'])\nBAKEGEN_PY"
