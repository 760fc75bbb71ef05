"""The hardening check on small ELF files that the tests compile with and without each flag group."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bakegen.acceptance import elfscan, hardening
from bakegen.acceptance.hardening import GROUPS, ElfFacts, judge_files, parse_report, promised
from bakegen.acceptance.model import Evidence, Expected, Facts, RunResult, Status, Subject

REPO = Path(__file__).resolve().parents[2]
CC = shutil.which("gcc")
pytestmark = pytest.mark.skipif(CC is None, reason="gcc is needed to build the ELF fixtures")

# A function with a local array (what -fstack-protector-strong protects) and copies into buffers of
# known size (what _FORTIFY_SOURCE turns into __*_chk calls), in a module and an executable.
MODULE = r"""
#include <stdio.h>
#include <string.h>
int PyInit_fixture(const char *name) {
    char buf[64];
    strcpy(buf, name);
    snprintf(buf + 8, sizeof buf - 8, "%s", name);
    return (int)strlen(buf);
}
"""
MAIN = r"""
#include <stdio.h>
#include <string.h>
int Py_Main(int argc, char **argv) {
    char buf[64];
    strcpy(buf, argv[0]);
    printf("%s %d\n", buf, argc);
    return 0;
}
int main(int argc, char **argv) { return Py_Main(argc, argv); }
"""
HARDENED_C = ["-O2", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2", "-fcf-protection"]
HARDENED_LD = ["-Wl,-z,relro", "-Wl,-z,now"]
PLAIN_C = ["-O2", "-fno-stack-protector", "-U_FORTIFY_SOURCE", "-fcf-protection=none"]
PLAIN_LD = ["-Wl,-z,norelro", "-Wl,-z,lazy"]


def compile_elf(tmp: Path, name: str, source: str, flags: list[str]) -> Path:
    src = tmp / f"{name}.c"
    src.write_text(source)
    out = tmp / name
    subprocess.run([CC, *flags, "-o", str(out), str(src)], check=True, capture_output=True)
    return out


def scanned(path: Path) -> ElfFacts:
    data = elfscan.scan(path.read_bytes())
    return ElfFacts.from_json({**data, "path": f"/usr/local/{path.name}"})


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, ElfFacts]:
    tmp = tmp_path_factory.mktemp("elf")
    so = ["-shared", "-fPIC"]
    return {
        "python3.13": scanned(compile_elf(tmp, "python3.13", MAIN, [*HARDENED_C, "-fPIE", "-pie", *HARDENED_LD])),
        "mod.so": scanned(compile_elf(tmp, "mod.so", MODULE, [*HARDENED_C, *so, *HARDENED_LD])),
        "plain-python3.13": scanned(compile_elf(tmp, "plain-python3.13", MAIN, [*PLAIN_C, "-fno-pie", "-no-pie",
                                                                                 *PLAIN_LD])),
        "plain-mod.so": scanned(compile_elf(tmp, "plain-mod.so", MODULE, [*PLAIN_C, *so, *PLAIN_LD])),
        "lazy-mod.so": scanned(compile_elf(tmp, "lazy-mod.so", MODULE, [*HARDENED_C, *so, "-Wl,-z,relro",
                                                                        "-Wl,-z,lazy"])),
        "nocet-mod.so": scanned(compile_elf(tmp, "nocet-mod.so", MODULE, [*HARDENED_C, "-fcf-protection=none", *so,
                                                                          *HARDENED_LD])),
    }


def test_hardened_files_pass_every_group(built) -> None:
    ok, line = judge_files([built["python3.13"], built["mod.so"]], GROUPS)
    assert ok, line
    assert "stack-protector" in line and "bindnow" in line


def test_unhardened_files_fail_every_visible_group(built) -> None:
    ok, line = judge_files([built["plain-python3.13"], built["plain-mod.so"]], GROUPS)
    assert not ok
    for group in ("relro", "bindnow", "branch-protection", "pie", "stack-protector", "fortify"):
        assert group in line


def test_scan_reads_each_property(built) -> None:
    good, plain = built["mod.so"], built["plain-mod.so"]
    assert (good.relro, good.bindnow, good.stack_chk) == (True, True, True)
    assert (plain.relro, plain.bindnow, plain.stack_chk) == (False, False, False)
    assert any(name.startswith("__") and name.endswith("_chk") for name in good.fortified)
    assert plain.fortified == () and "strcpy" in plain.fortifiable
    assert built["python3.13"].type == "dyn" and built["python3.13"].interp
    assert built["plain-python3.13"].type == "exec"


@pytest.mark.parametrize(
    ("module", "group"),
    [("lazy-mod.so", "bindnow"), ("nocet-mod.so", "branch-protection"), ("plain-mod.so", "relro")],
)
def test_one_module_without_a_link_level_group_fails_that_group(built, module: str, group: str) -> None:
    ok, line = judge_files([built["python3.13"], built["mod.so"], built[module]], [group])
    assert not ok
    assert line.startswith(f"{group}") and module in line


def test_a_group_not_promised_is_not_checked(built) -> None:
    files = [built["python3.13"], built["mod.so"], built["lazy-mod.so"]]
    assert judge_files(files, [g for g in GROUPS if g != "bindnow"])[0]


def test_a_non_pie_interpreter_fails_pie_only_when_promised(built) -> None:
    files = [built["plain-python3.13"], built["plain-mod.so"]]
    assert "pie missing" in judge_files(files, ["pie"])[1]
    assert judge_files(files, ["format", "stack-clash"])[0]


def test_stack_protector_needs_half_of_the_modules(built) -> None:
    interpreter = built["python3.13"]
    assert judge_files([interpreter, built["mod.so"], built["plain-mod.so"]], ["stack-protector"])[0]
    ok, line = judge_files([interpreter, built["mod.so"], *[built["plain-mod.so"]] * 2], ["stack-protector"])
    assert not ok and "1 of 3 extension modules" in line


def test_truncated_file_is_a_failure_not_a_crash(tmp_path: Path, built) -> None:
    (tmp_path / "python3.13").write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 20)
    out = subprocess.run([sys.executable, str(hardening.SCANNER), str(tmp_path)], capture_output=True, text=True,
                         check=True).stdout
    files = parse_report(out)
    assert files and files[0].error
    ok, line = judge_files(files, GROUPS)
    assert not ok and "not a readable ELF file" in line


def test_scanner_script_walks_a_folder(tmp_path: Path, built) -> None:
    (tmp_path / "notelf.txt").write_text("hello")
    src = tmp_path / "m.c"
    src.write_text(MODULE)
    subprocess.run([CC, *HARDENED_C, "-shared", "-fPIC", *HARDENED_LD, "-o", str(tmp_path / "m.so"), str(src)],
                   check=True)
    out = subprocess.run([sys.executable, str(hardening.SCANNER), str(tmp_path)], capture_output=True, text=True,
                         check=True).stdout
    lines = [json.loads(line) for line in out.splitlines()]
    assert [Path(line["path"]).name for line in lines] == ["m.so"]


def test_promised_groups() -> None:
    assert promised("all") == GROUPS
    assert promised("none") == ()
    assert promised("relro, bindnow") == ("relro", "bindnow")
    assert promised(None) is None
    with pytest.raises(hardening.PromiseError, match="unknown hardening group 'relr0'"):
        promised("relr0")


def test_groups_are_those_of_flags_sh() -> None:
    out = subprocess.run(["sh", str(REPO / "bakegen/inbuild/flags.sh"), "groups"], capture_output=True, text=True,
                         check=True).stdout
    assert tuple(out.split()) == GROUPS


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_flags_sh_knows_every_group_and_refuses_others(arch: str) -> None:
    flags = REPO / "bakegen/inbuild/flags.sh"
    for group in GROUPS:
        subprocess.run(["sh", str(flags), "cflags", arch, group], check=True, capture_output=True)
    bad = subprocess.run(["sh", str(flags), "cflags", arch, "relr0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown hardening group" in bad.stderr
    everything = subprocess.run(["sh", str(flags), "cflags", arch, "all"], capture_output=True, text=True).stdout
    assert ("-fcf-protection" in everything) == (arch == "amd64")
    assert ("-mbranch-protection=standard" in everything) == (arch == "arm64")


def evidence(label: str | None, output: str, exit_code: int = 0) -> Evidence:
    subject = Subject("img", "img", "linux/amd64", Expected(version="3.13.15", variant="wee", hardening=label))
    facts = Facts("3.13.15", "x86_64", "", "python3")
    return Evidence(subject, facts, RunResult(exit_code, output))


def report_of(*files: ElfFacts) -> str:
    return "\n".join(json.dumps({**f.__dict__, "fortified": list(f.fortified)}) for f in files)


def test_judge_uses_the_label(built) -> None:
    good = report_of(built["python3.13"], built["mod.so"])
    plain = report_of(built["plain-python3.13"], built["plain-mod.so"])
    assert hardening.judge(evidence("all", good)).status is Status.PASS
    assert hardening.judge(evidence("all", plain)).status is Status.FAIL
    assert hardening.judge(evidence("none", plain)).status is Status.PASS
    assert hardening.judge(evidence(None, plain)).status is Status.SKIP
    assert hardening.judge(evidence("bogus", good)).status is Status.FAIL
    assert hardening.judge(evidence("all", "", exit_code=1)).status is Status.FAIL
