"""The types of ``bakegen test``: what is tested, what it is expected to be, what a check found."""

from __future__ import annotations

import enum
import json
import shlex
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from packaging.specifiers import SpecifierSet
from packaging.version import Version

#: The labels bakegen images carry (see Target.labels): what the image says it is.
VERSION_LABEL = "org.opencontainers.image.version"
VARIANT_LABEL = "io.bakegen.variant"
FLAGS_LABEL = "io.bakegen.configure-flags"
HARDENING_LABEL = "io.bakegen.hardening"


class Status(enum.StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Outcome:
    status: Status
    #: Why it failed or was skipped; for a pass, an optional short note. One line.
    detail: str = ""


def passed(detail: str = "") -> Outcome:
    return Outcome(Status.PASS, detail)


def failed(detail: str) -> Outcome:
    return Outcome(Status.FAIL, detail)


def skipped(detail: str) -> Outcome:
    return Outcome(Status.SKIP, detail)


@dataclass(frozen=True)
class Expected:
    """What an image should be: from the plan (a target) or from its own labels."""

    version: str | None = None
    #: The bakegen variant (wee, wee-optimized, ...); None for an image that is not a bakegen variant.
    variant: str | None = None
    #: The configure flags its variant adds; None when not known.
    configure_flags: tuple[str, ...] | None = None
    #: The hardening groups it promises, as the label says them ("all", "none", or names); None: no label.
    hardening: str | None = None

    @classmethod
    def from_labels(cls, labels: Mapping[str, str] | None, version: str | None = None) -> Expected:
        labels = labels or {}
        variant = labels.get(VARIANT_LABEL) or None
        flags = labels.get(FLAGS_LABEL)
        return cls(
            version=labels.get(VERSION_LABEL) or version,
            variant=variant,
            configure_flags=tuple(flags.split()) if variant and flags is not None else None,
            hardening=labels.get(HARDENING_LABEL) if variant else None,
        )


@dataclass(frozen=True)
class Subject:
    """One image on one platform, as ``bakegen test`` runs it."""

    #: What the user named: a target (3_13-wee) or the image reference itself.
    name: str
    image: str
    platform: str
    expected: Expected = field(default_factory=Expected)


@dataclass(frozen=True)
class Facts:
    """What the image's own interpreter reports (the probe, a container of its own)."""

    #: platform.python_version()
    version: str
    #: platform.machine()
    machine: str
    #: sysconfig's CONFIG_ARGS: the configure command line CPython was built with.
    config_args: str
    #: The command the probe found on PATH: python3, or python where there is no python3.
    command: str

    @classmethod
    def parse(cls, output: str) -> Facts | None:
        """The probe's last line of JSON; None when there is none."""
        lines = [line for line in output.splitlines() if line.strip()]
        try:
            data = json.loads(lines[-1]) if lines else None
            return cls(str(data["version"]), str(data["machine"]), str(data["config_args"]), str(data["command"]))
        except (ValueError, TypeError, KeyError):
            return None

    @property
    def configure_args(self) -> list[str]:
        try:
            return shlex.split(self.config_args)
        except ValueError:
            return self.config_args.split()

    def matches(self, specifier: str) -> bool:
        """Whether this Python's version is in a PEP 440 range such as ">=3.10" ("" is every version)."""
        return SpecifierSet(specifier).contains(Version(self.version), prereleases=True)


@dataclass(frozen=True)
class RunResult:
    """The exit status and output of one check's command."""

    exit_code: int
    #: What the command wrote to stdout (in the batch, stdout and stderr together).
    output: str
    #: Its container's stderr, where it had a container of its own (docker's pull messages land here too).
    errors: str = ""

    def reason(self) -> str:
        """One line: the last line of output, else of stderr, else how the command exited."""
        for text in (self.output, self.errors):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                return lines[-1]
        if self.exit_code > 128:
            try:
                return f"killed by {signal.Signals(self.exit_code - 128).name}"
            except ValueError:
                pass
        return f"exit code {self.exit_code} and no output"


@dataclass(frozen=True)
class ModuleImports:
    """The result of importing every name in sys.stdlib_module_names."""

    version: str
    names: frozenset[str]
    #: name -> the exception it raised
    failed: Mapping[str, str]

    @classmethod
    def parse(cls, output: str) -> ModuleImports | None:
        lines = [line for line in output.splitlines() if line.strip()]
        try:
            data = json.loads(lines[-1]) if lines else None
            return cls(str(data["version"]), frozenset(data["names"]), dict(data["failed"]))
        except (ValueError, TypeError, KeyError):
            return None

    @property
    def line(self) -> str:
        return ".".join(self.version.split(".")[:2])


@dataclass(frozen=True)
class Evidence:
    """Everything a check's judge may look at."""

    subject: Subject
    facts: Facts
    #: The check's own command, where it has one (None: it was not run, or did not finish).
    result: RunResult | None = None
    #: Per-subject random token, so an echo cannot come from anywhere else.
    token: str = ""
    #: The --reference image's imports on the same platform, if one was given.
    reference: ModuleImports | None = None


Judge = Callable[[Evidence], Outcome]
