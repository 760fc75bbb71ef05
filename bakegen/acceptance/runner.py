"""Running the checks of ``checks.CHECKS`` in an image, and reporting them.

Per image and platform, at most four containers: the probe (what Python it is: that selects the
checks), ``override-cmd`` and ``default-cmd`` (each needs a ``docker run`` of its own), and one
batch that runs every other check as a shell script, in table order, each check between two
marker lines that carry its exit status. Under emulation a container start is cheap; the Python
and pip work inside is what costs, and it is the same however it is split.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import engine
from ..errors import BakegenError
from .checks import CHECKS, PROBE_ARGV, Check, FromFacts, OwnContainer, reference_imports_argv
from .model import (
    Evidence,
    Expected,
    Facts,
    ModuleImports,
    Outcome,
    RunResult,
    Status,
    Subject,
    failed,
    skipped,
)

#: Where the --ca-bundle file appears inside the containers.
CA_PATH = "/run/bakegen/ca.pem"
#: pip settings of the official suite (test/tests/run-python-in-container.sh), and quiet root installs.
PIP_ENV = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_PYTHON_VERSION_WARNING": "1", "PIP_ROOT_USER_ACTION": "ignore"}
#: A package index of the host's, passed on to pip in the containers.
PIP_PASSTHROUGH = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST")
#: The longest a container may take (the batch, emulated, takes a few minutes).
TIMEOUT = 1800.0


@dataclass(frozen=True)
class Named:
    """An image to test, as the user named it: a target, or an image reference."""

    name: str
    image: str
    #: What it should be, where the plan says; None: read from the image's labels.
    expected: Expected | None = None


@dataclass(frozen=True)
class Options:
    platforms: Sequence[str]
    ca_bundle: Path | None = None
    reference: Named | None = None
    pull: str = "missing"
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    #: Only the checks of these names run and are reported; empty: every check.
    only: frozenset[str] = frozenset()


@dataclass
class Report:
    """The outcome of every check on one image and platform."""

    subject: Subject
    outcomes: list[tuple[str, Outcome]] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for _, o in self.outcomes if o.status is status)

    @property
    def failed(self) -> list[str]:
        return [name for name, o in self.outcomes if o.status is Status.FAIL]

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(s)} {word}" for s, word in _WORDS)
        return f"{self.subject.name} {self.subject.platform}: {counts} in {self.seconds:.0f}s"


_WORDS = ((Status.PASS, "passed"), (Status.FAIL, "failed"), (Status.SKIP, "skipped"))
NAME_WIDTH = max(len(c.name) for c in CHECKS)


def format_outcome(name: str, outcome: Outcome) -> str:
    """``PASS  name  detail``: one line per check."""
    return f"{outcome.status.value}  {name:<{NAME_WIDTH}}  {outcome.detail}".rstrip()


def header(subject: Subject) -> str:
    shown = subject.name if subject.name == subject.image else f"{subject.name} ({subject.image})"
    return f"== {shown} on {subject.platform}"


class Runner:
    """Runs the checks through bakegen.engine with the options' mounts and environment."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.env = {**PIP_ENV, **{k: options.environ[k] for k in PIP_PASSTHROUGH if options.environ.get(k)}}
        self.volumes: list[tuple[str, str]] = []
        if options.ca_bundle is not None:
            self.volumes.append((str(Path(options.ca_bundle).resolve()), CA_PATH))
            self.env.update(PIP_CERT=CA_PATH, REQUESTS_CA_BUNDLE=CA_PATH, SSL_CERT_FILE=CA_PATH, BAKEGEN_CA=CA_PATH)

    def run(self, image: str, platform: str, argv: Sequence[str], stdin: str | None = None) -> RunResult:
        done = engine.run_container(
            image, argv, platform=platform, pull=self.options.pull, env=self.env, volumes=self.volumes,
            stdin=stdin, timeout=TIMEOUT,
        )
        return RunResult(done.exit_code, done.stdout, done.stderr)

    def reference_imports(self, platform: str) -> ModuleImports:
        ref = self.options.reference
        assert ref is not None
        result = self.run(ref.image, platform, reference_imports_argv())
        found = ModuleImports.parse(result.output)
        if result.exit_code != 0 or found is None:
            why = result.reason()
            raise BakegenError(f"--reference {ref.name}: the stdlib imports did not run on {platform}: {why}")
        return found


def asked(only: frozenset[str] = frozenset()) -> list[Check]:
    """The rows of CHECKS named in ``only``; every row when it is empty."""
    return [c for c in CHECKS if not only or c.name in only]


def selected(facts: Facts, variant: str | None, only: frozenset[str] = frozenset()) -> list[tuple[Check, str | None]]:
    """Every check (or those named in ``only``) with the reason it does not apply to this image
    (None: it applies).

    Rows of the same name (one per Python range) report once: the one that applies, else the first.
    """
    chosen: dict[str, tuple[Check, str | None]] = {}
    for check in asked(only):
        reason = check.skip_reason(facts, variant)
        if check.name not in chosen or (reason is None and chosen[check.name][1] is not None):
            chosen[check.name] = (check, reason)
    return list(chosen.values())


@dataclass(frozen=True)
class Step:
    """One shell script of the batch, answering one or more checks."""

    name: str
    script: str
    #: Run in the background from the start, alongside the others (see Check.alongside).
    alongside: bool = False


def batch_steps(checks: Sequence[Check], facts: Facts) -> tuple[list[Step], dict[str, str]]:
    """The batch's steps and which step answers each check.

    Checks with the same script share one step (module-parity and module-parity-reference both
    judge one run of the stdlib imports).
    """
    steps: list[Step] = []
    source: dict[str, str] = {}
    by_script: dict[str, str] = {}
    for check in checks:
        if isinstance(check.how, OwnContainer | FromFacts):
            continue
        script = check.how.render(facts)
        if script not in by_script:
            by_script[script] = check.name
            steps.append(Step(check.name, script, check.alongside))
        source[check.name] = by_script[script]
    return steps, source


def _marked(marker: str, name: str, body: str, status: str) -> list[str]:
    begin = f"printf '\\n%s begin %s\\n' {marker} {name}"
    return [begin, body, f"printf '\\n%s end %s %s\\n' {marker} {name} {status}"]


def batch_script(steps: Sequence[Step], command: str, marker: str) -> str:
    """One POSIX shell script running every step in a subshell of its own, its output between marker lines.

    Steps that run alongside start first, in the background, writing to a file each; the others
    run in order; then each background step is waited for and its output shown.
    """
    parts = [f"PY={command}"]
    background = [s for s in steps if s.alongside]
    for i, step in enumerate(background):
        # mktemp, not a fixed name: two batches sharing a /tmp (the unit tests run this script on the
        # host) would otherwise read each other's output.
        parts.append(f"bakegen_out_{i}=$(mktemp)")
        parts.append(f'(\nset -eu\n{step.script.strip()}\n) </dev/null >"$bakegen_out_{i}" 2>&1 &')
        parts.append(f"bakegen_step_{i}=$!")
    for step in steps:
        if not step.alongside:
            parts += _marked(marker, step.name, f"(\nset -eu\n{step.script.strip()}\n) </dev/null 2>&1", '"$?"')
    for i, step in enumerate(background):
        parts += [f'wait "$bakegen_step_{i}"; status=$?']
        parts += _marked(marker, step.name, f'cat "$bakegen_out_{i}"; rm -f "$bakegen_out_{i}"', '"$status"')
    return "\n".join(parts) + "\n"


def parse_batch(output: str, marker: str) -> dict[str, RunResult]:
    """Each finished step's result; a step the container did not finish is absent."""
    results: dict[str, RunResult] = {}
    current: str | None = None
    lines: list[str] = []
    for line in output.splitlines():
        words = line.split()
        if len(words) == 3 and words[:2] == [marker, "begin"]:
            current, lines = words[2], []
        elif len(words) == 4 and words[:2] == [marker, "end"] and words[2] == current:
            if lines and not lines[-1]:
                lines.pop()  # the newline the end marker starts with, so it is on a line of its own
            # ASCII digits only: str.isdigit also takes "²", which int() refuses.
            code = int(words[3]) if words[3].isascii() and words[3].isdigit() and len(words[3]) < 4 else 255
            results[current] = RunResult(code, "\n".join(lines))
            current = None
        elif current is not None:
            lines.append(line)
    return results


def judge_all(
    subject: Subject, facts: Facts, chosen: Sequence[tuple[Check, str | None]], results: Mapping[str, RunResult],
    token: str, reference: ModuleImports | None,
) -> list[tuple[str, Outcome]]:
    outcomes = []
    for check, reason in chosen:
        if reason is not None:
            outcomes.append((check.name, skipped(reason)))
            continue
        evidence = Evidence(subject, facts, results.get(check.name), token, reference)
        outcomes.append((check.name, check.judge(evidence)))
    return outcomes


def probe(runner: Runner, named: Named, platform: str) -> tuple[Facts | None, RunResult]:
    result = runner.run(named.image, platform, PROBE_ARGV)
    return (Facts.parse(result.output) if result.exit_code == 0 else None), result


def check_subject(runner: Runner, named: Named, platform: str, reference: ModuleImports | None) -> Report:
    """Every check on one image and platform."""
    started = time.monotonic()
    facts, probed = probe(runner, named, platform)
    expected = named.expected or Expected.from_labels(engine.image_labels(named.image))
    subject = Subject(named.name, named.image, platform, expected)
    report = Report(subject)
    if facts is None:
        report.outcomes = [("probe", failed(f"the image's Python did not report itself: {probed.reason()}"))]
        names = dict.fromkeys(c.name for c in asked(runner.options.only))
        report.outcomes += [(name, skipped("needs the probe")) for name in names]
    else:
        report.outcomes = run_checks(runner, subject, facts, reference)
    report.seconds = time.monotonic() - started
    return report


def run_checks(runner: Runner, subject: Subject, facts: Facts, reference: ModuleImports | None) -> list:
    token = secrets.token_hex(6)
    chosen = selected(facts, subject.expected.variant, runner.options.only)
    applicable = [c for c, reason in chosen if reason is None]
    results: dict[str, RunResult] = {}
    for check in applicable:
        if isinstance(check.how, OwnContainer):
            argv = [a.replace("{token}", token) for a in check.how.argv]
            stdin = check.how.stdin.replace("{token}", token) if check.how.stdin is not None else None
            results[check.name] = runner.run(subject.image, subject.platform, argv, stdin)
    steps, source = batch_steps(applicable, facts)
    if steps:
        marker = f"@@bakegen-{token}"
        done = runner.run(subject.image, subject.platform, ["sh", "-c", batch_script(steps, facts.command, marker)])
        ran = parse_batch(done.output, marker)
        results.update({name: ran[step] for name, step in source.items() if step in ran})
    return judge_all(subject, facts, chosen, results, token, reference)


def run(images: Sequence[Named], options: Options, report: Callable[[str], None]) -> list[Report]:
    """Test every image on every platform, reporting each line as it is known."""
    runner = Runner(options)
    references: dict[str, ModuleImports] = {}
    if options.reference is not None:
        for platform in options.platforms:
            found = runner.reference_imports(platform)
            references[platform] = found
            report(
                f"-- reference {options.reference.name} on {platform}: Python {found.version}, "
                f"{len(found.names) - len(found.failed)} of {len(found.names)} stdlib modules import"
            )
    reports = []
    for named in images:
        for platform in options.platforms:
            report(header(Subject(named.name, named.image, platform)))
            done = check_subject(runner, named, platform, references.get(platform))
            for name, outcome in done.outcomes:
                report(format_outcome(name, outcome))
            report(f"-- {done.summary()}")
            reports.append(done)
    return reports
