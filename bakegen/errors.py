"""The one exception type the CLI turns into a one-line message and a non-zero exit."""


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
