"""``bakegen test`` without Docker: the check table, the batch protocol, the judges, target -> image
resolution, the output and the exit codes. The engine's container functions are swapped for a
fake that answers like an image would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bakegen import engine
from bakegen.acceptance import checks, runner
from bakegen.acceptance.checks import (
    ALLOWED_MISSING,
    CHECKS,
    NEVER_ON_LINUX,
    NOT_BUILT_BY_THE_OFFICIAL_RECIPE,
    OFFICIAL_IMPORTS,
    FromFacts,
    OwnContainer,
)
from bakegen.acceptance.command import AcceptanceRequest, ImageResolver, check_images
from bakegen.acceptance.model import Evidence, Expected, Facts, ModuleImports, RunResult, Status, Subject
from bakegen.cli import app
from bakegen.errors import BakegenError, ChecksFailed, EngineError
from bakegen.project import Project
from bakegen.sums import MirrorTrust

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VERSIONS = ["2.7.18", "3.10.4", "3.11.2", "3.12.0", "3.13.15", "3.14.0", "3.15.0a1"]
WEE_ARGS = "'--build=x86_64-linux-gnu' '--prefix=/usr/local' '--with-ensurepip=no'"
LTO_ARGS = WEE_ARGS + " '--enable-optimizations' '--with-lto'"


def facts(version: str = "3.13.15", machine: str = "x86_64", config_args: str = WEE_ARGS) -> Facts:
    return Facts(version, machine, config_args, "python" if version.startswith("2.") else "python3")


def evidence(result: RunResult | None = None, *, platform: str = "linux/amd64", expected: Expected | None = None,
             reference: ModuleImports | None = None, **fact_args) -> Evidence:
    subject = Subject("3_13-wee", "r/python:3.13.15-wee", platform, expected or Expected())
    return Evidence(subject, facts(**fact_args), result, "t0k3n", reference)


def imports_output(failed: dict[str, str], version: str = "3.13.15", names: tuple[str, ...] = ()) -> str:
    names = tuple(names) or ("os", "sys", *failed)
    return "noise\n" + json.dumps({"version": version, "names": sorted(names), "failed": failed}) + "\n"


# --- the table ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_each_name_reports_once_and_applicable_rows_never_share_a_name(version: str) -> None:
    chosen = runner.selected(facts(version), "wee")
    names = [c.name for c, _ in chosen]
    assert len(names) == len(set(names))
    assert set(names) == {c.name for c in CHECKS}
    applicable = [c.name for c in CHECKS if c.skip_reason(facts(version), "wee") is None]
    assert len(applicable) == len(set(applicable)), applicable


def test_the_official_suite_is_covered_by_name() -> None:
    # test/config.sh @ 4085fbb6: the global tests, and the python ones but python-hy (which skips
    # itself on Python 2 and 3.11+).
    official = {"utc", "no-hard-coded-passwords", "override-cmd", "python-imports", "python-no-pyc",
                "python-pip-requests-ssl", "python-sqlite3", "python-stack-size"}
    assert {c.name for c in CHECKS if c.official} == official


def test_no_pyc_runs_before_any_other_batch_check() -> None:
    batch = [c.name for c in CHECKS if not isinstance(c.how, OwnContainer | FromFacts)]
    assert batch[0] == "python-no-pyc"


def test_python_imports_follows_the_version() -> None:
    def modules(version: str) -> dict[str, bool | None]:
        return {m.name: m.present for m in OFFICIAL_IMPORTS if facts(version).matches(m.python)}

    assert modules("2.7.18") == {"curses": None, "readline": None, "gdbm": None, "bz2": None, "zlib": None}
    assert modules("3.11.2")["setuptools"] is True and modules("3.11.2")["wheel"] is True
    assert modules("3.12.0")["setuptools"] is False and modules("3.12.0")["wheel"] is False
    assert "dbm.ndbm" in modules("3.13.15") and "compression.zstd" not in modules("3.13.15")
    assert "compression.zstd" in modules("3.14.0") and "compression.zstd" in modules("3.15.0a1")


def test_parity_lists_are_disjoint_and_the_allowed_ones_are_tk_and_tests() -> None:
    assert not set(ALLOWED_MISSING) & set(NEVER_ON_LINUX)
    assert not set(ALLOWED_MISSING) & set(NOT_BUILT_BY_THE_OFFICIAL_RECIPE)
    tk = {"tkinter", "_tkinter", "idlelib", "turtle", "turtledemo"}
    assert tk <= set(ALLOWED_MISSING)
    assert all(name in tk or "test" in name or name.startswith("xx") for name in ALLOWED_MISSING)
    assert "_dbm" not in ALLOWED_MISSING and "dbm" not in ALLOWED_MISSING


def test_checks_skip_by_version_and_variant() -> None:
    by_name = {c.name: c for c in CHECKS if c.python != "<3"}
    assert "Python >=3.10" in by_name["module-parity"].skip_reason(facts("2.7.18"), "wee")
    assert by_name["module-parity"].skip_reason(facts("3.10.4"), "wee") is None
    assert "not a bakegen variant" in by_name["configure-flags"].skip_reason(facts(), None)
    assert by_name["configure-flags"].skip_reason(facts(), "wee") is None
    assert by_name["python-imports"].skip_reason(facts(), None) is None


def snippets(version: str) -> list[str]:
    return [c.how.render(facts(version)) for c in CHECKS if not isinstance(c.how, OwnContainer | FromFacts)]


@pytest.mark.parametrize("version", ["2.7.18", "3.11.2", "3.14.0"])
def test_every_python_snippet_compiles(version: str) -> None:
    bodies = [body for s in snippets(version) for body in re.findall(r"<<'BAKEGEN_PY'\n(.*?)\nBAKEGEN_PY", s, re.S)]
    assert len(bodies) >= 6
    for body in bodies:
        compile(body, "<snippet>", "exec")
    compile(checks.PROBE, "<probe>", "exec")


def test_every_shell_snippet_parses() -> None:
    for snippet in snippets("3.13.15") + snippets("2.7.18"):
        proc = subprocess.run(["sh", "-n", "-c", snippet], capture_output=True, text=True)
        assert proc.returncode == 0, (snippet, proc.stderr)


def run_snippet(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", f"PY={sys.executable}\n{script}"], capture_output=True, text=True)


def test_the_stdlib_import_snippet_reports_json_here() -> None:
    proc = run_snippet(checks.STDLIB_IMPORTS)
    assert proc.returncode == 0, proc.stderr
    found = ModuleImports.parse(proc.stdout)
    assert found is not None and "os" in found.names and "os" not in found.failed
    assert set(NEVER_ON_LINUX) - {"_ios_support"} <= set(found.failed) | (set(NEVER_ON_LINUX) - found.names)


def test_the_probe_reports_facts_here() -> None:
    proc = subprocess.run([*checks.PROBE_ARGV[:3], checks.PROBE], capture_output=True, text=True)
    found = Facts.parse(proc.stdout)
    assert found is not None and found.version == ".".join(map(str, sys.version_info[:3]))
    assert found.command in ("python3", "python")


def test_python_imports_names_what_fails() -> None:
    script = checks.imports_script([checks.Module("zlib", roundtrip=True), checks.Module("no_such_module_here")])
    proc = run_snippet(script)
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1] == "no_such_module_here: No module named 'no_such_module_here'"


# --- judges ------------------------------------------------------------------------------------------------


def test_version_and_flags_judges() -> None:
    wee = Expected("3.13.15", "wee", ())
    lto = Expected("3.13.15", "wee-optimized-lto", ("--enable-optimizations", "--with-lto"))
    assert checks.version_as_expected(evidence(expected=wee)).status is Status.PASS
    bad = checks.version_as_expected(evidence(expected=Expected("3.13.16")))
    assert bad.status is Status.FAIL and bad.detail == "Python 3.13.15, expected 3.13.16"
    assert checks.version_as_expected(evidence()).status is Status.SKIP
    assert checks.flags_as_expected(evidence(expected=wee)).status is Status.PASS
    assert checks.flags_as_expected(evidence(expected=lto, config_args=LTO_ARGS)).status is Status.PASS
    extra = checks.flags_as_expected(evidence(expected=wee, config_args=LTO_ARGS))
    assert extra.status is Status.FAIL and "--with-lto present" in extra.detail
    missing = checks.flags_as_expected(evidence(expected=lto))
    assert missing.detail == "CONFIG_ARGS of wee-optimized-lto: --enable-optimizations missing, --with-lto missing"


FT = Expected("3.13.15", "wee", ("--disable-gil",))
FT_LINES = "python 1 0 t\npython3 1 0 t\npython3.13 1 0 t\npython3.13t 1 0 t\n"


@pytest.mark.parametrize(
    ("expected", "output", "status", "detail"),
    [
        (Expected("3.13.15", "wee", ()), "python 0 1 -\npython3 0 1 -\npython3.13 0 1 -\n", Status.PASS, "GIL build"),
        (Expected("3.13.15", "wee", ()), "python3 1 0 t\n", Status.FAIL, "python3: Py_GIL_DISABLED in a GIL build"),
        (FT, FT_LINES, Status.PASS, "python, python3, python3.13, python3.13t: free-threaded, GIL off at start-up"),
        (FT, FT_LINES.replace("python3.13 1 0 t", "python3.13 0 1 -"), Status.FAIL,
         "python3.13: not free-threaded (Py_GIL_DISABLED=0, abiflags -)"),
        (FT, FT_LINES.replace("python3.13t 1 0 t\n", ""), Status.FAIL, "python3.13t: not on PATH"),
        (FT, FT_LINES.replace("python 1 0 t", "python 1 1 t"), Status.FAIL, "python: the GIL is on at start-up"),
        (Expected("3.13.15"), FT_LINES, Status.SKIP, "the variant's configure flags are not known"),
    ],
)
def test_threading_judge(expected: Expected, output: str, status: Status, detail: str) -> None:
    outcome = checks.threading_as_expected(evidence(RunResult(0, output), expected=expected))
    assert (outcome.status, outcome.detail[: len(detail)]) == (status, detail)


def test_flags_judge_sees_a_stray_disable_gil() -> None:
    gil = Expected("3.13.15", "wee", ())
    stray = checks.flags_as_expected(evidence(expected=gil, config_args=WEE_ARGS + " '--disable-gil'"))
    assert stray.status is Status.FAIL and "--disable-gil present" in stray.detail


def test_machine_judge() -> None:
    assert checks.machine_as_expected(evidence(platform="linux/arm64", machine="aarch64")).status is Status.PASS
    wrong = checks.machine_as_expected(evidence(platform="linux/arm64", machine="x86_64"))
    assert wrong.status is Status.FAIL and "expected 'aarch64'" in wrong.detail
    assert checks.machine_as_expected(evidence(platform="linux/mips64le")).status is Status.SKIP


def test_parity_judges() -> None:
    allowed = {"tkinter": "ModuleNotFoundError: No module named '_tkinter'", "msvcrt": "ModuleNotFoundError"}
    ok = checks.parity_with_official(evidence(RunResult(0, imports_output(allowed))))
    assert ok.status is Status.PASS and "allowed: tkinter" in ok.detail
    dbm = {**allowed, "_dbm": "ModuleNotFoundError: No module named '_dbm'"}
    bad = checks.parity_with_official(evidence(RunResult(0, imports_output(dbm))))
    assert bad.status is Status.FAIL and "_dbm (ModuleNotFoundError: No module named '_dbm')" in bad.detail
    assert "msvcrt" not in bad.detail and "tkinter" not in bad.detail
    crashed = checks.parity_with_official(evidence(RunResult(139, "")))
    assert crashed.status is Status.FAIL and crashed.detail == "killed by SIGSEGV"
    assert checks.parity_with_official(evidence(None)).status is Status.FAIL


def test_parity_with_a_reference() -> None:
    ours = RunResult(0, imports_output({"tkinter": "x", "_dbm": "y"}))
    assert checks.parity_with_reference(evidence(ours)).status is Status.SKIP
    ref_without_dbm = ModuleImports("3.13.9", frozenset({"os", "tkinter", "_dbm"}), {"_dbm": "y"})
    same = checks.parity_with_reference(evidence(ours, reference=ref_without_dbm))
    assert same.status is Status.PASS and same.detail == "differs only by the allowed: tkinter"
    ref_full = ModuleImports("3.13.9", frozenset({"os", "tkinter", "_dbm", "nis"}), {"nis": "z"})
    bad = checks.parity_with_reference(evidence(ours, reference=ref_full))
    assert bad.status is Status.FAIL and bad.detail == "the reference imports what this one cannot: _dbm (y)"
    other_line = ModuleImports("3.11.2", frozenset({"os"}), {})
    assert "not comparable" in checks.parity_with_reference(evidence(ours, reference=other_line)).detail


def test_echo_and_default_cmd_judges_want_the_token() -> None:
    assert checks.echoed(evidence(RunResult(0, "bakegen-t0k3n\n"))).status is Status.PASS
    assert checks.echoed(evidence(RunResult(0, "bakegen-other\n"))).status is Status.FAIL
    assert checks.default_cmd_runs_python(evidence(RunResult(0, "bakegen-t0k3n 3.13.15\n"))).status is Status.PASS
    wrong = checks.default_cmd_runs_python(evidence(RunResult(0, "bakegen-t0k3n 2.7.18\n")))
    assert wrong.status is Status.FAIL and "2.7.18" in wrong.detail


def test_expected_from_labels() -> None:
    labels = {"org.opencontainers.image.version": "3.13.15", "io.bakegen.variant": "wee",
              "io.bakegen.configure-flags": ""}
    assert Expected.from_labels(labels) == Expected("3.13.15", "wee", ())
    assert Expected.from_labels({}) == Expected()
    assert Expected.from_labels(None, "3.13.9") == Expected("3.13.9")


# --- the batch protocol, run by a real shell -----------------------------------------------------------------


def test_batch_script_runs_each_step_in_its_own_subshell() -> None:
    steps = [runner.Step("one", "echo first\necho to-stderr >&2"), runner.Step("two", "false\necho never"),
             runner.Step("three", "exit 7"), runner.Step("four", "cat"),
             runner.Step("slow", "sleep 1\necho late\nexit 3", alongside=True)]
    script = runner.batch_script(steps, "python3", "@@m")
    proc = subprocess.run(["sh", "-c", script], capture_output=True, text=True, input="stdin is not for steps")
    results = runner.parse_batch(proc.stdout, "@@m")
    assert results["one"] == RunResult(0, "first\nto-stderr")
    assert results["two"].exit_code == 1 and "never" not in results["two"].output  # set -e
    assert results["three"].exit_code == 7
    assert results["four"] == RunResult(0, "")
    assert results["slow"] == RunResult(3, "late")


def test_a_step_alongside_starts_first_and_reports_last() -> None:
    steps = [runner.Step("a", "echo first"), runner.Step("bg", "echo background", alongside=True),
             runner.Step("b", "echo second")]
    script = runner.batch_script(steps, "python3", "@@m")
    assert script.index("echo background") < script.index("echo first") < script.index("echo second")
    proc = subprocess.run(["sh", "-c", script], capture_output=True, text=True)
    assert list(runner.parse_batch(proc.stdout, "@@m")) == ["a", "b", "bg"]


def test_a_step_the_container_did_not_finish_has_no_result() -> None:
    output = "\n@@m begin one\nok\n\n@@m end one 0\n\n@@m begin two\nhalf"
    assert list(runner.parse_batch(output, "@@m")) == ["one"]


def test_checks_with_the_same_script_share_one_step() -> None:
    applicable = [c for c in CHECKS if c.skip_reason(facts(), "wee") is None]
    steps, source = runner.batch_steps(applicable, facts())
    assert source["module-parity-reference"] == source["module-parity"] == "module-parity"
    assert [step.name for step in steps].count("module-parity") == 1
    assert "module-parity-reference" not in [step.name for step in steps]


# --- the runner with a fake engine -------------------------------------------------------------------------------


#: What elfscan.py reports of a hardened image: an interpreter and one extension module.
HARDENED_SCAN = "\n".join(json.dumps({
    "path": path, "machine": "x86_64", "type": "dyn", "interp": interp, "relro": True, "bindnow": True,
    "stack_chk": True, "fortified": ["__memcpy_chk"], "fortifiable": ["memcpy"], "no_landing_pad": [],
}) for path, interp in (("/usr/local/bin/python3.13", True), ("/usr/local/lib/python3.13/lib-dynload/m.so", False)))


@dataclass
class FakeImage:
    version: str = "3.13.15"
    config_args: str = WEE_ARGS
    labels: dict[str, str] | None = None
    #: step name -> (exit code, output) of the batch; others pass
    steps: dict[str, tuple[int, str]] = field(default_factory=dict)
    imports_failed: dict[str, str] = field(default_factory=lambda: {"tkinter": "ModuleNotFoundError"})


@dataclass
class FakeEngine:
    images: dict[str, FakeImage]
    calls: list[dict] = field(default_factory=list)

    def run_container(self, image, command=(), *, platform=None, pull="missing", env=None, volumes=(), stdin=None,
                      timeout=None):
        self.calls.append({"image": image, "command": list(command), "platform": platform, "env": env,
                           "volumes": list(volumes), "pull": pull})
        if image not in self.images:
            raise EngineError(f"cannot run {image} for {platform}: No such image: {image}")
        img = self.images[image]
        machine = checks.MACHINES[platform]
        if tuple(command) == checks.PROBE_ARGV:
            command_name = "python" if img.version.startswith("2.") else "python3"
            data = {"version": img.version, "machine": machine, "config_args": img.config_args, "command": command_name}
            return engine.ContainerRun(0, json.dumps(data) + "\n", "Status: Image is up to date\n")
        if tuple(command) == checks.reference_imports_argv():
            return engine.ContainerRun(0, imports_output(img.imports_failed, img.version), "")
        if command and command[0] == "echo":
            return engine.ContainerRun(0, " ".join(command[1:]) + "\n", "")
        if stdin is not None:
            token = re.search(r"bakegen-(\w+)", stdin).group(1)
            return engine.ContainerRun(0, f"bakegen-{token} {img.version}\n", "")
        return engine.ContainerRun(0, self.batch(img, command[2]), "")

    def batch(self, img: FakeImage, script: str) -> str:
        out = []
        for marker, name in re.findall(r"printf '\\n%s begin %s\\n' (\S+) (\S+)", script):
            default = {"module-parity": (0, imports_output(img.imports_failed, img.version)),
                       "hardening": (0, HARDENED_SCAN)}.get(name, (0, "ok"))
            code, text = img.steps.get(name, default)
            out += [f"{marker} begin {name}", text, f"{marker} end {name} {code}"]
        return "\n".join(out) + "\n"

    def image_labels(self, image):
        return self.images[image].labels if image in self.images else None


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    def install(images: dict[str, FakeImage]) -> FakeEngine:
        fe = FakeEngine(images)
        monkeypatch.setattr(engine, "run_container", fe.run_container)
        monkeypatch.setattr(engine, "image_labels", fe.image_labels)
        monkeypatch.setattr(engine, "server", lambda: engine.Server("26.1.5", "linux/amd64", "containerd", "/d"))
        return fe

    return install


WEE_LABELS = {"org.opencontainers.image.version": "3.13.15", "io.bakegen.variant": "wee",
              "io.bakegen.configure-flags": "", "io.bakegen.hardening": "all"}


def test_a_passing_image_runs_four_containers_per_platform(fake, tmp_path: Path) -> None:
    fe = fake({"r/py:wee": FakeImage(labels=WEE_LABELS)})
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    lines: list[str] = []
    options = runner.Options(["linux/amd64", "linux/arm64"], ca_bundle=ca, environ={"PIP_INDEX_URL": "http://idx"})
    reports = runner.run([runner.Named("r/py:wee", "r/py:wee")], options, lines.append)
    assert [r.failed for r in reports] == [[], []]
    assert len(fe.calls) == 8 and {c["platform"] for c in fe.calls} == {"linux/amd64", "linux/arm64"}
    assert all(c["volumes"] == [(str(ca.resolve()), runner.CA_PATH)] for c in fe.calls)
    env = fe.calls[0]["env"]
    assert env["PIP_CERT"] == env["SSL_CERT_FILE"] == env["BAKEGEN_CA"] == runner.CA_PATH
    assert env["PIP_INDEX_URL"] == "http://idx"
    assert lines[0] == "== r/py:wee on linux/amd64"
    assert "PASS  configure-flags          no PGO, no LTO" in lines
    assert "PASS  machine                  aarch64" in lines
    assert "SKIP  module-parity-reference  no --reference image given" in lines
    assert re.fullmatch(r"-- r/py:wee linux/arm64: 21 passed, 0 failed, 1 skipped in \d+s", lines[-1])


def test_a_failing_check_is_one_line_that_names_it(fake) -> None:
    dbm = "dbm.ndbm: No module named '_dbm'"
    fake({"r/py:wee": FakeImage(labels=WEE_LABELS, steps={"python-imports": (1, f"Traceback...\n{dbm}\n")})})
    lines: list[str] = []
    reports = runner.run([runner.Named("r/py:wee", "r/py:wee")], runner.Options(["linux/amd64"]), lines.append)
    assert reports[0].failed == ["python-imports"]
    assert f"FAIL  python-imports           {dbm}" in lines
    assert lines[-1].startswith("-- r/py:wee linux/amd64: 20 passed, 1 failed, 1 skipped")


def test_a_python2_image_gets_its_checks(fake) -> None:
    fake({"r/py:2": FakeImage(version="2.7.18", labels={**WEE_LABELS, "org.opencontainers.image.version": "2.7.18"})})
    lines: list[str] = []
    reports = runner.run([runner.Named("r/py:2", "r/py:2")], runner.Options(["linux/amd64"]), lines.append)
    skipped = {name for name, o in reports[0].outcomes if o.status is Status.SKIP}
    assert skipped == {"venv", "free-threading", "module-parity", "module-parity-reference"}
    assert reports[0].failed == []


def test_an_image_without_python_fails_the_probe_and_skips_the_rest(fake, monkeypatch) -> None:
    monkeypatch.setattr(engine, "run_container", lambda *a, **k: engine.ContainerRun(3, "", "no python\n"))
    monkeypatch.setattr(engine, "image_labels", lambda image: {})
    lines: list[str] = []
    reports = runner.run([runner.Named("busybox", "busybox")], runner.Options(["linux/amd64"]), lines.append)
    assert reports[0].failed == ["probe"]
    assert lines[1] == "FAIL  probe                    the image's Python did not report itself: no python"
    assert all(o.status is Status.SKIP for name, o in reports[0].outcomes if name != "probe")


def test_the_reference_is_imported_once_per_platform(fake) -> None:
    fe = fake({"r/py:wee": FakeImage(labels=WEE_LABELS, imports_failed={"tkinter": "x", "_dbm": "y"}),
               "ref": FakeImage(imports_failed={})})
    lines: list[str] = []
    options = runner.Options(["linux/amd64"], reference=runner.Named("reference-modules", "ref"))
    reports = runner.run([runner.Named("a", "r/py:wee"), runner.Named("b", "r/py:wee")], options, lines.append)
    assert sum(1 for c in fe.calls if c["image"] == "ref") == 1
    assert lines[0].startswith("-- reference reference-modules on linux/amd64: Python 3.13.15")
    outcome = dict(reports[0].outcomes)["module-parity-reference"]
    assert outcome.status is Status.FAIL and "_dbm (y)" in outcome.detail


# --- core: targets as bakegen build tags them ---------------------------------------------------------------


def resolver(project_dir: Path, environ: dict | None = None, **request) -> ImageResolver:
    return ImageResolver(Project(project_dir), AcceptanceRequest(names=[], **request), environ or {})


def test_a_target_is_its_first_tag_in_the_first_registry(project_dir: Path, clean_env) -> None:
    r = resolver(project_dir, registries=["localhost:5000/a,ghcr.io/b"], image_name="py")
    named = r.resolve("3_13-wee-optimized-lto")
    assert named.image == "localhost:5000/a/py:3.13.15-wee-optimized-lto"
    assert named.expected == Expected("3.13.15", "wee-optimized-lto", ("--enable-optimizations", "--with-lto"), "all")


def test_registry_and_image_name_come_from_the_environment_then_the_defaults(project_dir: Path, clean_env) -> None:
    assert resolver(project_dir).resolve("3_13-wee").image == "docker.io/bakegen/python:3.13.15-wee"
    env = {"REGISTRY": "reg.example/team", "IMAGE_NAME": "cpython"}
    assert resolver(project_dir, env).resolve("3_13-wee").image == "reg.example/team/cpython:3.13.15-wee"
    options_win = resolver(project_dir, env, registries=["other"]).resolve("2_7-wee").image
    assert options_win == "other/cpython:2.7.18-wee"


def test_mirror_sums_pin_the_tag_as_for_the_build(project_dir: Path, clean_env) -> None:
    sums = str(FIXTURES / "upstream" / "SHA256SUMS")
    trust = MirrorTrust(allow_unpinned=True)  # the fixture SHA256SUMS lists 3.13.17, which versions/ does not pin
    assert resolver(project_dir, sha256sums=sums, mirror_trust=trust).resolve("3_13-wee").image.endswith(
        ":3.13.17-wee")


def test_groups_expand_and_images_pass_through(project_dir: Path, clean_env) -> None:
    r = resolver(project_dir)
    assert r.expand(["3_13", "python:3.13-slim", "busybox"]) == [
        "3_13-wee", "3_13-wee-optimized", "3_13-wee-optimized-lto", "python:3.13-slim", "busybox",
    ]
    assert r.resolve("python:3.13-slim") == runner.Named("python:3.13-slim", "python:3.13-slim")
    with pytest.raises(BakegenError, match="did you mean 3_13-wee-optimized"):
        r.expand(["3_13-wee-optimised"])


def test_outside_a_project_every_name_is_an_image(tmp_path: Path) -> None:
    r = resolver(tmp_path)
    assert r.expand(["python"]) == ["python"]
    assert r.resolve("python").image == "python"


def test_a_target_outside_the_plan_is_read_from_bake_print(project_dir: Path, clean_env, monkeypatch) -> None:
    seen = {}

    def bake_print(files, targets, variables, binary=None):
        seen.update(targets=targets, text=Path(files[0]).read_text(), variables=variables)
        return {"target": {"reference": {"tags": ["bakegen-reference/python:3.13.15-official"],
                                         "args": {"PYTHON_VERSION": "3.13.15"}}}}

    monkeypatch.setattr(engine, "bake_print", bake_print)
    named = resolver(project_dir, registries=["r"]).resolve("reference")
    assert named == runner.Named("reference", "bakegen-reference/python:3.13.15-official", Expected("3.13.15"))
    assert seen["targets"] == ["reference"] and 'target "reference"' in seen["text"]
    assert seen["variables"]["REGISTRY"] == "r"


def test_check_images_raises_checks_failed_naming_image_and_check(fake, project_dir: Path, clean_env) -> None:
    fake({"docker.io/bakegen/python:3.13.15-wee": FakeImage(steps={"utc": (1, "date +%Z gives CET, not UTC")})})
    request = AcceptanceRequest(names=["3_13-wee"])
    lines: list[str] = []
    with pytest.raises(ChecksFailed) as exc:
        check_images(Project(project_dir), request, lines.append, environ={})
    assert exc.value.exit_code == 4
    assert str(exc.value) == "1 check(s) failed: 3_13-wee on linux/amd64 (utc)"
    assert "FAIL  utc                      date +%Z gives CET, not UTC" in lines


def test_platforms_and_ca_bundle_come_from_the_options_else_the_environment(
    fake, project_dir: Path, clean_env, tmp_path: Path
) -> None:
    fe = fake({"docker.io/bakegen/python:3.13.15-wee": FakeImage()})
    env_ca, option_ca = tmp_path / "env.pem", tmp_path / "option.pem"
    for ca in (env_ca, option_ca):
        ca.write_text("-----BEGIN CERTIFICATE-----\n")
    environ = {"CA_BUNDLE": str(env_ca), "PLATFORMS": "linux/arm64"}
    check_images(Project(project_dir), AcceptanceRequest(["3_13-wee"]), lambda line: None, environ=environ)
    assert {(c["platform"], c["volumes"][0][0]) for c in fe.calls} == {("linux/arm64", str(env_ca.resolve()))}
    fe.calls.clear()
    request = AcceptanceRequest(["3_13-wee"], platforms="linux/amd64", ca_bundle=option_ca)
    check_images(Project(project_dir), request, lambda line: None, environ=environ)
    assert {(c["platform"], c["volumes"][0][0]) for c in fe.calls} == {("linux/amd64", str(option_ca.resolve()))}


# --- the CLI ------------------------------------------------------------------------------------------------------

cli = CliRunner()


def test_cli_exit_codes(fake, project_dir: Path, clean_env) -> None:
    fake({"docker.io/bakegen/python:3.13.15-wee": FakeImage(steps={"python-no-pyc": (1, "3 .pyc/.pyo file(s)")})})
    args = ["test", "-C", str(project_dir)]
    failed = cli.invoke(app, [*args, "3_13-wee", "--platform", "linux/amd64"], catch_exceptions=False)
    assert failed.exit_code == 4
    assert "FAIL  python-no-pyc            3 .pyc/.pyo file(s)" in failed.stdout
    assert failed.stderr.strip() == "bakegen: error: 1 check(s) failed: 3_13-wee on linux/amd64 (python-no-pyc)"
    passed = cli.invoke(app, [*args, "docker.io/bakegen/python:3.13.15-wee"], catch_exceptions=False)
    assert passed.exit_code == 4  # the same image by reference, without the plan's expectations
    missing = cli.invoke(app, [*args, "3_13-wee-optimized"], catch_exceptions=False)
    assert missing.exit_code == 3
    assert missing.stderr.startswith("bakegen: error: cannot run docker.io/bakegen/python:3.13.15-wee-optimized ")
    usage = cli.invoke(app, [*args], catch_exceptions=False)
    assert usage.exit_code == 1 and "name a target or an image" in usage.stderr


def test_cli_passes(fake, project_dir: Path, clean_env) -> None:
    fake({"docker.io/bakegen/python:3.13.15-wee": FakeImage()})
    result = cli.invoke(app, ["test", "-C", str(project_dir), "3_13-wee"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("-- 3_13-wee linux/amd64: 21 passed, 0 failed, 1 skipped")


def test_only_the_named_checks_run_and_report(fake) -> None:
    # machine and version come from the probe, override-cmd has a container of its own, utc is in
    # the batch: the batch holds that one step, and nothing else runs or reports.
    fe = fake({"r/py:wee": FakeImage(labels=WEE_LABELS, steps={"utc": (1, "CET")})})
    lines: list[str] = []
    options = runner.Options(["linux/arm64"], only=frozenset({"machine", "version", "override-cmd", "utc"}))
    reports = runner.run([runner.Named("r/py:wee", "r/py:wee")], options, lines.append)
    assert [name for name, _ in reports[0].outcomes] == ["override-cmd", "version", "machine", "utc"]
    assert reports[0].failed == ["utc"]
    assert "PASS  machine                  aarch64" in lines
    batches = [c["command"][2] for c in fe.calls if "@@bakegen-" in " ".join(c["command"])]
    assert len(batches) == 1 and re.findall(r"begin %s\\n' \S+ (\S+)", batches[0]) == ["utc"]
    assert len(fe.calls) == 3  # the probe, override-cmd's container, the batch


def test_check_option_validates_names_before_any_container(fake, project_dir: Path, clean_env) -> None:
    fe = fake({"docker.io/bakegen/python:3.13.15-wee": FakeImage()})
    args = ["test", "-C", str(project_dir), "3_13-wee"]
    typo = cli.invoke(app, [*args, "--check", "machine,versio"], catch_exceptions=False)
    assert typo.exit_code == 1 and fe.calls == []
    assert typo.stderr.strip() == (
        "bakegen: error: --check versio: no such check; did you mean version? (see `bakegen test --list`)"
    )
    passed = cli.invoke(app, [*args, "--check", "machine", "--check", "version"], catch_exceptions=False)
    assert passed.exit_code == 0, passed.output
    assert passed.stdout.splitlines()[-1].startswith("-- 3_13-wee linux/amd64: 2 passed, 0 failed, 0 skipped")


def test_cli_lists_the_checks() -> None:
    result = cli.invoke(app, ["test", "--list"], catch_exceptions=False)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == len(CHECKS)
    assert result.stdout.startswith("override-cmd")


def test_a_hostile_exit_status_in_the_batch_is_a_failure_not_a_crash() -> None:
    output = "@@m begin a\nout\n@@m end a ²\n@@m begin b\n@@m end b 99999999999999999999\n"
    results = runner.parse_batch(output, "@@m")
    assert (results["a"].exit_code, results["b"].exit_code) == (255, 255)
