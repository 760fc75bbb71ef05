"""The exceptions the CLI turns into one ``bakegen: error:`` line and a documented exit code.

Exit codes: 1 a usage mistake (also every command-line usage error), 2 bad data (versions/,
variants, the template, checksums, a mirror's answers), 3 the engine (Docker missing, not running, a failed
build), 4 an image failed a check (``verify``: its signature or provenance; ``test``: an
acceptance check), 130 interrupted.
"""

import difflib
import re
import signal
from collections.abc import Iterable

#: What would break an error line, or make it print otherwise than it reads: controls, DEL, the
#: Unicode line and paragraph separators, bidirectional overrides.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def one_line(message: str) -> str:
    """``message`` with every character that would break or disguise its line written as an escape."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), message)


class BakegenError(Exception):
    """A mistake the user can fix: bad data, an unknown target, no engine, a failed build.

    Its text is always one line: a value quoted from a file, a server or the environment cannot
    break it, whatever it holds.
    """

    #: Process exit code the CLI uses for this error.
    exit_code = 1

    def __str__(self) -> str:
        return one_line(super().__str__())


class DataError(BakegenError):
    """A data file (``versions/*.toml``, ``variants.toml``) that does not load or validate."""

    exit_code = 2


class EngineError(BakegenError):
    """Docker or buildx is missing, not running, or a build failed."""

    exit_code = 3


class VerificationFailed(BakegenError):
    """An image without a valid signature, or whose provenance names another source."""

    exit_code = 4


class ChecksFailed(BakegenError):
    """``bakegen test``: an image failed at least one acceptance check (each is reported above)."""

    exit_code = 4


def did_you_mean(name: str, known: Iterable[str], fallback: str = "") -> str:
    """``"; did you mean X?"`` for the closest known name, else ``fallback``."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {close[0]}?" if close else fallback


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised as an exception (``files.sigterm_raises``) so that clean-up code still runs.

    Not a :class:`BakegenError`: like Ctrl-C, it must not be caught as a user mistake.
    """

    #: The shell's exit code for a process ended by SIGTERM (128 + 15).
    exit_code = 143

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__("hung up" if signum == signal.SIGHUP else "terminated")
        #: The shell's exit code for a process ended by this signal: 128 + its number.
        self.exit_code = 128 + signum
