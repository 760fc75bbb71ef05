"""bakegen: slim, optimized CPython images rendered into docker-bake.hcl and built with buildx bake."""

from importlib.metadata import PackageNotFoundError, version

try:
    #: The installed distribution's version; pyproject.toml is its one source.
    __version__ = version("bakegen")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
