"""The checks ``bakegen test`` runs inside an image, as one table (``CHECKS``).

Two kinds of promise are checked.

**What the official images promise.** docker-library/official-images runs these tests on every
``python`` image (test/config.sh @ 4085fbb6c5f232f076178222acbf265aa945507e: the global tests
``utc``, ``no-hard-coded-passwords`` and ``override-cmd``, and for ``python`` the tests below). The
checks of the same name here test the same things, written anew:

- ``python-imports``: test/tests/python-imports/container.py, the revision that imports
  ``dbm.ndbm`` and asserts setuptools and wheel exactly below 3.12 (docker-library/python#954; the
  one before it is @ 4393af7ce4789cf2ec43d82552c5638c41d7743b). ``compression.zstd`` (3.14+) is
  bakegen's addition: the images build it (libzstd-dev), and the stored revision predates 3.14.
- ``python-no-pyc``: test/tests/python-no-pyc/container.sh @ fa13be614b629521a9a762a7945b69d8dd48355c.
- ``python-pip-requests-ssl``: test/tests/python-pip-requests-ssl/container.py @
  1d30b1d42baa4b366fabc6f0ce182fa213945f3b, with its pip settings from
  test/tests/run-python-in-container.sh @ e77ba71aa6721dc1ee1c1ebbeea2ba62794251b8. It requests
  ``HTTPS_URL`` instead of https://google.com (see there).
- ``python-sqlite3``: test/tests/python-sqlite3/container.py @ c6029d8e1be6813838d4490b5d1d4568e856bbc8.
- ``python-stack-size``: test/tests/python-stack-size/container.py @ ae289026a3167dfcf94b2768f265734754538794.
- ``utc``: test/tests/utc/run.sh @ 95aa41563a239a4acd4df22a0a6c1162a8324d2e.
- ``no-hard-coded-passwords`` and ``override-cmd``: test/tests/<name>/run.sh @
  4393af7ce4789cf2ec43d82552c5638c41d7743b.

config.sh also lists ``python-hy``, whose container.sh (@ c05dbc4fe1eb0452c278c160e68b68e666efb582)
skips itself on Python 2 and on 3.11 and later: every line bakegen builds. It is not reproduced.

**What bakegen's variants promise** (docs/images.md, "What is inside"): the version and configure flags of
the variant, the platform, no Tk, the commands on PATH, a venv with pip, C-extension wheels, the
headers, apt, and module parity with the official image.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..bake.data import load_variants
from ..bake.model import FREETHREADED_ABIFLAG, FREETHREADED_FLAG
from . import hardening
from .model import Evidence, Facts, Judge, ModuleImports, Outcome, failed, passed, skipped

#: Any HTTPS site proves the TLS stack; the official test asks google.com, which is not reachable
#: everywhere. PyPI is: the same check's `pip install requests` needs it anyway.
HTTPS_URL = "https://pypi.org/"

#: platform.machine() on each platform (the kernel's `uname -m`, also under qemu user emulation).
MACHINES = {
    "linux/amd64": "x86_64",
    "linux/arm64": "aarch64",
    "linux/arm64/v8": "aarch64",
    "linux/arm/v7": "armv7l",
    "linux/ppc64le": "ppc64le",
    "linux/s390x": "s390x",
    "linux/riscv64": "riscv64",
}

# --- module parity ----------------------------------------------------------------------------------
# Module names as sys.stdlib_module_names lists them (top-level names only).

# The official slim images build _tkinter but ship no libtk, so tkinter and turtle fail there too
# (measured on the reference-modules image, 3.13.15); idlelib and turtledemo import there, not here.
_TK = "Tk: bakegen images have no Tcl/Tk; tkinter, IDLE and the turtle modules are left out (docs/images.md)"
_TESTS = (
    "test modules: the test suite and its C helper modules are not shipped; sys.stdlib_module_names "
    "leaves them out (CPython Tools/build/generate_stdlib_module_names.py IGNORE @ "
    "65ea1b54ca612a93dff1b0f8d875c5b2a4421077), so they count only where a release lists one"
)
#: The ONLY modules the official image imports that a bakegen image may fail to import, with why.
ALLOWED_MISSING: dict[str, str] = {
    **dict.fromkeys(("tkinter", "_tkinter", "idlelib", "turtle", "turtledemo"), _TK),
    **dict.fromkeys(
        (
            "test", "_ctypes_test", "_testbuffer", "_testcapi", "_testclinic", "_testclinic_limited",
            "_testconsole", "_testexternalinspection", "_testimportmultiple", "_testinternalcapi",
            "_testlimitedcapi", "_testmultiphase", "_testsinglephase", "_xxtestfuzz", "xxlimited",
            "xxlimited_35", "xxsubtype",
        ),
        _TESTS,
    ),
}

_WINDOWS = "Windows only"
_MACOS = "macOS only"
#: Names in sys.stdlib_module_names that no Linux build of CPython can import, official or not.
NEVER_ON_LINUX: dict[str, str] = {
    **dict.fromkeys(("msvcrt", "nt", "winreg", "winsound", "_winapi", "_overlapped", "_msi", "msilib", "_wmi"),
                    _WINDOWS),
    "_scproxy": _MACOS,
    # Importing it loads the Objective-C runtime, and raises ImportError where there is none.
    "_ios_support": "iOS and macOS only",
}

#: Modules a Linux build can have that the official Debian recipe does not build either.
NOT_BUILT_BY_THE_OFFICIAL_RECIPE: dict[str, str] = {
    # Its build dependencies have no libnsl-dev (docker-library/python 3.11/slim-trixie/Dockerfile
    # @ e93990412af57bb69d4f203ebdf24c20bd09ae2a); nis left the standard library in 3.13.
    "nis": "needs libnsl, which the official recipe does not install",
}


def expected_missing_in_official() -> dict[str, str]:
    """What an official image cannot import either: the expectation when no --reference is given."""
    return {**NEVER_ON_LINUX, **NOT_BUILT_BY_THE_OFFICIAL_RECIPE}


# --- how checks run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InBatch:
    """A shell snippet, run with the image's other batch checks in one container, in table order.

    It runs under ``set -eu`` with ``$PY`` naming the image's interpreter (python3, or python);
    its exit status and output (stdout and stderr) are the check's result.
    """

    script: str

    def render(self, facts: Facts) -> str:
        return self.script


@dataclass(frozen=True)
class ImportsScript:
    """The python-imports snippet, for the modules that apply to the image's version."""

    def render(self, facts: Facts) -> str:
        return imports_script([m for m in OFFICIAL_IMPORTS if facts.matches(m.python)])


@dataclass(frozen=True)
class CommandsScript:
    """The commands on PATH (or not) for the image's version."""

    def render(self, facts: Facts) -> str:
        return commands_script([c for c in COMMANDS if facts.matches(c.python)])


@dataclass(frozen=True)
class OwnContainer:
    """A container of its own: ``docker run IMAGE ARGV...``, with standard input if given.

    An empty ``argv`` keeps the image's CMD. ``{token}`` in ``argv`` and ``stdin`` becomes a random
    word per run, so the output the judge expects can come from nowhere else.
    """

    argv: tuple[str, ...] = ()
    stdin: str | None = None


@dataclass(frozen=True)
class FromFacts:
    """Judged from the facts the image's interpreter reported; nothing more is run."""


How = InBatch | ImportsScript | CommandsScript | OwnContainer | FromFacts


def python(code: str) -> str:
    """A shell snippet that runs Python code with the image's interpreter."""
    return f"\"$PY\" - <<'BAKEGEN_PY'\n{code.strip()}\nBAKEGEN_PY"


# --- judges -------------------------------------------------------------------------------------------


#: A passing check's last line of output is shown up to this length (SQLite's version, the pip used, ...).
NOTE_LENGTH = 100


def exit_zero(ev: Evidence) -> Outcome:
    """Passed when the command exited 0 (its last line of output, if short, is the note); else that
    line is the reason."""
    if ev.result is None:
        return failed("did not finish (the container stopped before it)")
    if ev.result.exit_code != 0:
        return failed(ev.result.reason())
    last = ev.result.reason() if ev.result.output.strip() else ""
    return passed(last if len(last) <= NOTE_LENGTH else "")


def echoed(ev: Evidence) -> Outcome:
    want = f"bakegen-{ev.token}"
    if ev.result is None:
        return failed("did not run")
    got = ev.result.output.strip()
    if ev.result.exit_code == 0 and got == want:
        return passed()
    return failed(f"`docker run IMAGE echo {want}` printed {got[-120:]!r} (exit code {ev.result.exit_code})")


def default_cmd_runs_python(ev: Evidence) -> Outcome:
    want = f"bakegen-{ev.token} {ev.facts.version}"
    if ev.result is None:
        return failed("did not run")
    got = ev.result.output.strip()
    if ev.result.exit_code == 0 and got == want:
        return passed(ev.facts.command)
    return failed(f"the default command, given a script on stdin, printed {got[-120:]!r} (exit {ev.result.exit_code})")


def version_as_expected(ev: Evidence) -> Outcome:
    want = ev.subject.expected.version
    if not want:
        return skipped("nothing says which version to expect (not a target; no org.opencontainers.image.version label)")
    if ev.facts.version == want:
        return passed(want)
    return failed(f"Python {ev.facts.version}, expected {want}")


def managed_flags() -> tuple[str, ...]:
    """Every configure flag a variant may add: what the other variants must not have."""
    return tuple(sorted({FREETHREADED_FLAG, *(flag for v in load_variants() for flag in v.configure_flags)}))


def flags_as_expected(ev: Evidence) -> Outcome:
    want = ev.subject.expected.configure_flags
    if want is None:
        return skipped("the variant's configure flags are not known (no io.bakegen.configure-flags label)")
    args = ev.facts.configure_args
    has = {flag for flag in managed_flags() if any(a == flag or a.startswith(flag + "=") for a in args)}
    missing = sorted(set(want) - has)
    extra = sorted(has - set(want))
    if not missing and not extra:
        return passed(" ".join(want) or "no PGO, no LTO")
    problems = [f"{flag} missing" for flag in missing] + [f"{flag} present" for flag in extra]
    return failed(f"CONFIG_ARGS of {ev.subject.expected.variant}: {', '.join(problems)}")


def threading_as_expected(ev: Evidence) -> Outcome:
    """Free-threaded images (PEP 703): every python command runs the free-threaded interpreter, with
    the GIL off at start-up, and python3.Xt exists as upstream installs it; GIL images have no part of it."""
    want = ev.subject.expected.configure_flags
    if want is None:
        return skipped("the variant's configure flags are not known (no io.bakegen.configure-flags label)")
    if ev.result is None or ev.result.exit_code != 0:
        return exit_zero(ev)
    seen = {}
    for line in ev.result.output.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0].startswith("python"):
            seen[parts[0]] = parts[1:]
    minor = ".".join(ev.facts.version.split(".")[:2])
    if FREETHREADED_FLAG not in want:
        gil_free = sorted(cmd for cmd, (disabled, _, _) in seen.items() if disabled != "0")
        return failed(f"{', '.join(gil_free)}: Py_GIL_DISABLED in a GIL build") if gil_free else passed("GIL build")
    expected = ("python", "python3", f"python{minor}", f"python{minor}{FREETHREADED_ABIFLAG}")
    problems = [f"{cmd}: not on PATH" for cmd in expected if cmd not in seen]
    for cmd, (disabled, gil_on, abiflags) in seen.items():
        if disabled != "1" or FREETHREADED_ABIFLAG not in abiflags:
            problems.append(f"{cmd}: not free-threaded (Py_GIL_DISABLED={disabled}, abiflags {abiflags})")
        elif gil_on != "0":
            problems.append(f"{cmd}: the GIL is on at start-up")
    if problems:
        return failed("; ".join(problems))
    return passed(f"{', '.join(expected)}: free-threaded, GIL off at start-up")


def machine_as_expected(ev: Evidence) -> Outcome:
    want = MACHINES.get(ev.subject.platform)
    if want is None:
        return skipped(f"no known platform.machine() for {ev.subject.platform}")
    if ev.facts.machine == want:
        return passed(want)
    return failed(f"platform.machine() is {ev.facts.machine!r} on {ev.subject.platform}, expected {want!r}")


def _imports(ev: Evidence) -> ModuleImports | Outcome:
    if ev.result is None:
        return failed("did not finish (the container stopped before it)")
    found = ModuleImports.parse(ev.result.output)
    if ev.result.exit_code != 0 or found is None:
        return failed(ev.result.reason())
    return found


def _listed(failures: dict[str, str], limit: int = 6) -> str:
    shown = [f"{name} ({why})" for name, why in sorted(failures.items())[:limit]]
    more = f" and {len(failures) - limit} more" if len(failures) > limit else ""
    return ", ".join(shown) + more


def parity_with_official(ev: Evidence) -> Outcome:
    ours = _imports(ev)
    if isinstance(ours, Outcome):
        return ours
    excused = {**expected_missing_in_official(), **ALLOWED_MISSING}
    unexpected = {name: why for name, why in ours.failed.items() if name not in excused}
    if unexpected:
        return failed(f"the official image imports what this one cannot: {_listed(unexpected)}")
    allowed = sorted(set(ours.failed) & set(ALLOWED_MISSING))
    return passed(f"{len(ours.names) - len(ours.failed)} of {len(ours.names)} import; allowed: {', '.join(allowed)}")


def parity_with_reference(ev: Evidence) -> Outcome:
    if ev.reference is None:
        return skipped("no --reference image given")
    ours = _imports(ev)
    if isinstance(ours, Outcome):
        return ours
    if ours.line != ev.reference.line:
        return failed(f"the reference runs Python {ev.reference.version}, this image {ours.version}: not comparable")
    unexpected = {
        name: why
        for name, why in ours.failed.items()
        if name not in ev.reference.failed and name not in ALLOWED_MISSING
    }
    if unexpected:
        return failed(f"the reference imports what this one cannot: {_listed(unexpected)}")
    allowed = sorted(set(ours.failed) - set(ev.reference.failed))
    extra = sorted(set(ev.reference.failed) - set(ours.failed))
    note = f"differs only by the allowed: {', '.join(allowed) or 'none'}"
    return passed(note + (f"; the reference cannot import {', '.join(extra)}" if extra else ""))


# --- python-imports and the commands, as data --------------------------------------------------------


@dataclass(frozen=True)
class Module:
    """One line of python-imports."""

    name: str
    #: The Python versions it applies to (PEP 440; "" for all).
    python: str = ""
    #: Compress and decompress a payload with it (bz2, zlib, lzma, compression.zstd).
    roundtrip: bool = False
    #: For presence checks (setuptools, wheel): whether it must be installed, found without importing it.
    present: bool | None = None


_SETUPTOOLS = "the official images install setuptools and wheel below 3.12 only (docker-library/python#954)"
OFFICIAL_IMPORTS: tuple[Module, ...] = (
    Module("curses"),
    Module("readline"),
    Module("gdbm", python="<3"),
    Module("dbm.gnu", python=">=3"),
    Module("dbm.ndbm", python=">=3"),
    Module("bz2", roundtrip=True),
    Module("zlib", roundtrip=True),
    Module("lzma", python=">=3", roundtrip=True),
    Module("compression.zstd", python=">=3.14", roundtrip=True),
    Module("setuptools", python=">=3,<3.12", present=True),
    Module("wheel", python=">=3,<3.12", present=True),
    Module("setuptools", python=">=3.12", present=False),
    Module("wheel", python=">=3.12", present=False),
)

_IMPORTS_HEAD = """
import importlib, sys
problems = []
payload = b"bakegen " * 64

def load(name):
    try:
        return importlib.import_module(name)
    except Exception as exc:
        problems.append("%s: %s" % (name, exc))

def roundtrip(name):
    module = load(name)
    if module is not None and module.decompress(module.compress(payload)) != payload:
        problems.append("%s: the compress/decompress round trip differs" % name)

def installed(name, expected, why):
    import importlib.util
    if (importlib.util.find_spec(name) is not None) != expected:
        problems.append("%s: %s (%s)" % (name, "missing" if expected else "installed", why))
"""


def imports_script(modules: list[Module]) -> str:
    lines = [_IMPORTS_HEAD]
    for m in modules:
        if m.present is not None:
            lines.append(f"installed({m.name!r}, {m.present}, {_SETUPTOOLS!r})")
        else:
            lines.append(f"{'roundtrip' if m.roundtrip else 'load'}({m.name!r})")
    lines.append('if problems:\n    print("; ".join(problems))\n    sys.exit(1)')
    said = [m.name if m.present is None else f"{m.name} {'installed' if m.present else 'absent'}" for m in modules]
    lines.append(f"print({', '.join(said)!r})")
    return python("\n".join(lines))


@dataclass(frozen=True)
class Command:
    """A command the image has on PATH (or, present=False, must not have)."""

    name: str
    python: str = ""
    present: bool = True
    #: Arguments that make it print its version and exit 0, where it has such.
    run: tuple[str, ...] = ("--version",)


COMMANDS: tuple[Command, ...] = (
    Command("python"),
    Command("pip"),
    Command("python-config", run=("--includes",)),
    Command("python3", python=">=3"),
    Command("pip3", python=">=3"),
    Command("python3-config", python=">=3", run=("--includes",)),
    Command("python2", python="<3"),
    # A Python 2 image is for Python 2 code: `python3` must not silently be something else.
    Command("python3", python="<3", present=False),
)


def commands_script(commands: list[Command]) -> str:
    lines = []
    for c in commands:
        if c.present:
            lines.append(f'command -v {c.name} >/dev/null || {{ echo "{c.name}: not on PATH"; exit 1; }}')
            run = f"{c.name} {' '.join(c.run)}"
            lines.append(f'{run} >/dev/null 2>&1 || {{ echo "{run} failed"; exit 1; }}')
        else:
            lines.append(f'! command -v {c.name} >/dev/null || {{ echo "{c.name}: on PATH, should not be"; exit 1; }}')
    lines.append(f"echo {' '.join(c.name for c in commands if c.present)}")
    return "\n".join(lines)


# --- the snippets -------------------------------------------------------------------------------------

NO_PYC = """
find /usr/local /opt \\( -name '*.pyc' -o -name '*.pyo' \\) -print 2>/dev/null > /tmp/bakegen-pyc || true
if [ -s /tmp/bakegen-pyc ]; then
  echo "$(wc -l < /tmp/bakegen-pyc) .pyc/.pyo file(s) under /usr/local and /opt, e.g. $(head -n 1 /tmp/bakegen-pyc)"
  exit 1
fi
"""

UTC = """
zone="$(date +%Z)"
[ "$zone" = UTC ] || { echo "date +%Z gives $zone, not UTC"; exit 1; }
"""

PASSWORDS = python("""
import sys

def fields(path):
    with open(path) as f:
        return dict(line.split(":")[:2] for line in f.read().splitlines() if ":" in line)

users = fields("/etc/passwd")
try:
    shadow = fields("/etc/shadow") if "x" in users.values() else {}
except IOError as exc:
    print("cannot read /etc/shadow: %s" % exc)
    sys.exit(1)
bad = []
for user, password in sorted(users.items()):
    if password == "x":
        password = shadow.get(user, password)
    if password == "" and user == "root":
        bad.append("root has an empty password")
    elif password.startswith("$"):
        bad.append("%s has a password hash" % user)
if bad:
    print("; ".join(bad))
    sys.exit(1)
print("%d users, none with a usable password" % len(users))
""")

PIP_REQUESTS_SSL = '"$PY" -m pip install --quiet requests\n' + python(f"""
import requests
response = requests.get({HTTPS_URL!r}, timeout=60)
assert response.status_code == 200, "GET {HTTPS_URL}: HTTP %d" % response.status_code
print("GET {HTTPS_URL}: 200 with requests " + requests.__version__)
""")

SQLITE3 = python("""
import sqlite3
db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE t (id INTEGER, text TEXT)")
db.execute("INSERT INTO t VALUES (?, ?)", (42, "bakegen"))
rows = db.execute("SELECT * FROM t").fetchall()
assert rows == [(42, "bakegen")], rows
db.close()
print("SQLite " + sqlite3.sqlite_version)
""")

STACK_SIZE = python("""
import threading
depth = [0]

def dive(n):
    depth[0] = n
    try:
        dive(n + 1)
    except RuntimeError:  # RecursionError (3.5+) is one; a too-small thread stack crashes instead
        pass

thread = threading.Thread(target=dive, args=(1,))
thread.start()
thread.join()
print("recursed %d calls deep in a thread" % depth[0])
""")

NO_TKINTER = python("""
import sys
names = ["_tkinter", "tkinter" if sys.version_info[0] >= 3 else "Tkinter"]
for name in names:
    try:
        module = __import__(name)
    except ImportError:
        continue
    raise SystemExit("%s imports from %s" % (name, getattr(module, "__file__", "(built in)")))
print("neither %s imports" % " nor ".join(names))
""")

#: One line per python command on PATH: its name, Py_GIL_DISABLED, whether the GIL is on, sys.abiflags.
#: The interpreter says whether it can run without the GIL (a Python without sys._is_gil_enabled has
#: the GIL), so the check holds no list of the versions that have free threading.
THREADING = """
minor="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
for cmd in python python3 "python$minor" "python${minor}t"; do
  command -v "$cmd" >/dev/null 2>&1 || continue
  "$cmd" -c 'import sys, sysconfig
disabled = sysconfig.get_config_var("Py_GIL_DISABLED") or 0
print(sys.argv[1], disabled, int(getattr(sys, "_is_gil_enabled", lambda: True)()), sys.abiflags or "-")' "$cmd"
done
"""

VENV = """
"$PY" -m venv /tmp/bakegen-venv
/tmp/bakegen-venv/bin/pip --version
"""

#: A C-extension wheel from PyPI (MarkupSafe ships manylinux wheels, including cp27mu ones).
C_EXTENSION_VENV = """
/tmp/bakegen-venv/bin/pip install --quiet --only-binary :all: markupsafe
/tmp/bakegen-venv/bin/python -c 'from markupsafe import _speedups; print(_speedups.__file__)'
"""
C_EXTENSION_PY2 = """
"$PY" -m pip install --quiet --only-binary :all: 'markupsafe<2'
"$PY" -c 'from markupsafe import _speedups; print(_speedups.__file__)'
"""

HEADERS = """
include="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
[ -f "$include/Python.h" ] || { echo "no Python.h in $include"; exit 1; }
flags="$("$PY-config" --includes)"
case " $flags " in
  *" -I$include "*) ;;
  *) echo "$PY-config --includes gives '$flags', without -I$include"; exit 1 ;;
esac
echo "$include/Python.h; $PY-config --includes: $flags"
"""

#: apt behind a TLS-intercepting proxy trusts the bundle given with --ca-bundle ($BAKEGEN_CA).
APT_GET_INSTALL = """
ca=; [ -z "${BAKEGEN_CA:-}" ] || ca="-o Acquire::https::CAInfo=$BAKEGEN_CA"
apt-get $ca update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get $ca install -y -qq --no-install-recommends hello >/dev/null
hello
"""

STDLIB_IMPORTS = python("""
import contextlib, io, json, platform, sys, warnings
warnings.simplefilter("ignore")
names = sorted(sys.stdlib_module_names)
failed = {}
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    for name in names:
        try:
            __import__(name)
        except BaseException as exc:  # some raise more than ImportError; none may end the run
            failed[name] = ("%s: %s" % (type(exc).__name__, exc))[:200]
print(json.dumps({"version": platform.python_version(), "names": names, "failed": failed}))
""")

#: What the probe prints: the facts the other checks are selected and judged by. It runs on any
#: Python from 2.7 on; BAKEGEN_PY is the command the probe found.
PROBE = """
import json, os, platform, sysconfig
print(json.dumps({
    "version": platform.python_version(),
    "machine": platform.machine(),
    "config_args": sysconfig.get_config_var("CONFIG_ARGS") or "",
    "command": os.environ["BAKEGEN_PY"],
}))
"""
PROBE_ARGV = (
    "sh", "-c",
    'for py in python3 python; do if command -v "$py" >/dev/null 2>&1; then BAKEGEN_PY="$py" exec "$py" -c "$0"; fi; '
    'done; echo "neither python3 nor python is on PATH"; exit 3',
    PROBE,
)
DEFAULT_CMD_STDIN = 'import platform, sys\nsys.stdout.write("bakegen-{token} " + platform.python_version() + "\\n")\n'


# --- the table ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One acceptance check: what it proves, which images it applies to, how it runs and is judged."""

    name: str
    #: What passing proves, in a few words.
    about: str
    how: How
    judge: Judge = exit_zero
    #: The Python versions it applies to (PEP 440 specifiers on the image's Python; "" for all).
    python: str = ""
    #: Only for bakegen's variants (a target, or an image with the io.bakegen.variant label).
    bakegen_only: bool = False
    #: Reproduces the docker-library/official-images test of the same name.
    official: bool = False
    #: Runs in the background while the other batch checks run (it costs the most under emulation).
    #: Only for a check that writes no bytecode and touches nothing the others use.
    alongside: bool = False

    @property
    def applies_to(self) -> str:
        """Which images it applies to, in words."""
        python = f"Python {self.python}" if self.python else "every Python"
        return python + (", bakegen variants" if self.bakegen_only else "")

    def skip_reason(self, facts: Facts, variant: str | None) -> str | None:
        """Why the check does not apply to this image, or None when it does."""
        if self.bakegen_only and variant is None:
            return "not a bakegen variant (a promise of bakegen's images only)"
        if not facts.matches(self.python):
            return f"applies to Python {self.python}, this is {facts.version}"
        return None


#: Every check, in the order it runs. The batch runs in one container, in this order: python-no-pyc
#: first, before any Python (pip, imports) in that container writes bytecode.
CHECKS: tuple[Check, ...] = (
    Check("override-cmd", "docker run IMAGE COMMAND runs the command", OwnContainer(("echo", "bakegen-{token}")),
          judge=echoed, official=True),
    Check("default-cmd", "the default command is the Python interpreter", OwnContainer(stdin=DEFAULT_CMD_STDIN),
          judge=default_cmd_runs_python),
    Check("version", "the Python version the target or label names", FromFacts(), judge=version_as_expected),
    Check("configure-flags", "CONFIG_ARGS has the variant's PGO/LTO flags and no others", FromFacts(),
          judge=flags_as_expected, bakegen_only=True),
    Check("machine", "platform.machine() matches the platform", FromFacts(), judge=machine_as_expected),
    Check("python-no-pyc", "no .pyc or .pyo under /usr/local and /opt", InBatch(NO_PYC), official=True),
    Check("utc", "the time zone is UTC", InBatch(UTC), official=True),
    Check("no-hard-coded-passwords", "no account has a password hash, root no empty password", InBatch(PASSWORDS),
          official=True),
    Check("commands", "python, pip, python-config (and the 3 or 2 forms) on PATH", CommandsScript()),
    Check("python-imports", "curses, readline, dbm, compression modules; setuptools/wheel below 3.12 only",
          ImportsScript(), official=True),
    Check("python-sqlite3", "an in-memory SQLite table round trip", InBatch(SQLITE3), official=True),
    Check("python-stack-size", "deep recursion in a thread ends in RecursionError, not a crash", InBatch(STACK_SIZE),
          official=True),
    Check("no-tkinter", "tkinter is not there (no Tcl/Tk)", InBatch(NO_TKINTER), bakegen_only=True),
    Check("free-threading", "free-threaded images run python, python3, python3.X and python3.Xt without the GIL",
          InBatch(THREADING), judge=threading_as_expected, python=">=3", bakegen_only=True),
    Check("hardening", "the interpreter's and extension modules' ELF files show the hardening the label promises",
          InBatch(hardening.scan_script()), judge=hardening.judge, bakegen_only=True),
    Check("headers", "Python.h is installed and python-config --includes names it", InBatch(HEADERS)),
    Check("python-pip-requests-ssl", f"pip install requests, then GET {HTTPS_URL}", InBatch(PIP_REQUESTS_SSL),
          official=True),
    Check("venv", "python -m venv gives a venv with pip", InBatch(VENV), python=">=3"),
    Check("c-extension-wheel", "pip installs and imports a C-extension wheel (MarkupSafe) in the venv",
          InBatch(C_EXTENSION_VENV), python=">=3"),
    Check("c-extension-wheel", "pip installs and imports a C-extension wheel (MarkupSafe 1.x, cp27mu)",
          InBatch(C_EXTENSION_PY2), python="<3"),
    Check("apt-get-install", "apt-get installs a Debian package (hello) and it runs", InBatch(APT_GET_INSTALL),
          alongside=True),
    Check("module-parity", "every stdlib module the official image imports imports, but the allowed ones",
          InBatch(STDLIB_IMPORTS), judge=parity_with_official, python=">=3.10"),
    Check("module-parity-reference", "every stdlib module the --reference image imports imports, but the allowed "
          "ones", InBatch(STDLIB_IMPORTS), judge=parity_with_reference, python=">=3.10"),
)


def reference_imports_argv() -> tuple[str, ...]:
    """The command that imports every stdlib module in a --reference image."""
    return ("sh", "-c", "PY=python3\n" + STDLIB_IMPORTS)


def describe() -> list[str]:
    """The table in words: name, origin, which images, what passing proves."""
    width = max(len(c.name) for c in CHECKS)
    scope = max(len(c.applies_to) for c in CHECKS)
    return [
        f"{c.name:<{width}}  {'official' if c.official else 'bakegen':<8}  {c.applies_to:<{scope}}  {c.about}"
        for c in CHECKS
    ]
