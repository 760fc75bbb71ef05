"""bakegen: slim, optimized CPython images rendered into docker-bake.hcl and built with buildx bake."""

__version__ = "0.1.0"
