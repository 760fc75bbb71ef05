"""The exceptions the CLI turns into one ``bakegen: error:`` line and a documented exit code.

Exit codes: 1 a usage mistake (also every command-line usage error), 2 bad data (versions/,
variants, checksums, a mirror's answers), 3 the engine (Docker missing, not running, a failed
build), 4 an image failed a check (``verify``: its signature or provenance; ``test``: an
acceptance check), 130 interrupted.
"""

import difflib
from collections.abc import Iterable


class BakegenError(Exception):
    """A mistake the user can fix: bad data, an unknown target, no engine, a failed build."""

    #: Process exit code the CLI uses for this error.
    exit_code = 1


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
    """SIGTERM, raised as an exception (``files.sigterm_raises``) so that clean-up code still runs.

    Not a :class:`BakegenError`: like Ctrl-C, it must not be caught as a user mistake.
    """

    #: The shell's exit code for a process ended by SIGTERM (128 + 15).
    exit_code = 143
