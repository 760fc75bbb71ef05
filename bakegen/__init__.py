"""bakegen: slim, optimized CPython images rendered into docker-bake.hcl and built with buildx bake."""

# Nothing is imported here at start-up: the ``bakegen`` command catches Ctrl-C only once this
# package is imported (bakegen/__main__.py), so the package itself must load in no time.


def __getattr__(name: str) -> str:
    if name != "__version__":
        raise AttributeError(f"module 'bakegen' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        # The installed distribution's version; pyproject.toml is its one source.
        found = version("bakegen")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
