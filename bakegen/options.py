"""What a user asks ``bakegen build`` for, as typed settings, turned into checked bake variables.

The command line and the environment are two spellings of the same settings: each option
overrides the bake variable of the same meaning, which the environment may also set. The mapping
and its checks live here, so they are tested without the CLI.
"""

from __future__ import annotations

import enum
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .bake.plan import base_variable
from .errors import BakegenError, did_you_mean


class Network(enum.StrEnum):
    """Network of the build's RUN steps (bake's ``network``)."""

    default = "default"
    #: The builder's own network: reaches a package proxy on its loopback (needs an entitlement).
    host = "host"
    none = "none"


@dataclass
class BuildSettings:
    """The bake variables a build overrides; None or empty leaves the environment's value or the default."""

    #: Target platforms, comma-separated (PLATFORMS).
    platforms: str | None = None
    #: Registries or registry namespaces to tag for; each item may be comma-separated (REGISTRY).
    registries: Sequence[str] = ()
    #: Repository name below each registry (IMAGE_NAME).
    image_name: str | None = None
    #: ``IMAGE`` for the default suite (BASE_IMAGE), or ``SUITE=IMAGE`` (BASE_IMAGE_<SUITE>).
    base_images: Sequence[str] = ()
    #: CPython source mirror in python.org's /ftp/python layout (PYTHON_MIRROR).
    mirror: str | None = None
    #: ``gha`` or an image repository for registry cache (CACHE); "" turns an inherited one off.
    cache: str | None = None
    #: Extra CA certificates (PEM) for apt inside the build (CA_BUNDLE).
    ca_bundle: Path | None = None
    #: HTTP proxy for apt inside the build (PKG_PROXY).
    proxy: str | None = None
    #: Network of the RUN steps (NETWORK).
    network: Network | None = None
    #: SBOM generator image (SBOM_GENERATOR).
    sbom_generator: str | None = None
    #: Also tag the newest stable line's latest-variant as ``latest`` (LATEST=1).
    latest: bool = False


def split_items(values: Iterable[str]) -> list[str]:
    """Repeated and comma-separated values as one list, blanks dropped."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def check_url(option: str, url: str) -> str:
    """An http(s) URL with a host, without a trailing slash; anything else is a one-line error."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise BakegenError(f"{option} {url!r}: not an http(s) URL like https://www.python.org/ftp/python")
    return url.rstrip("/")


def base_image_variables(items: Sequence[str], suites: Sequence[str], default_suite: str) -> dict[str, str]:
    """``--base-image`` values: a plain image is the default suite's base, ``SUITE=IMAGE`` another's."""
    out: dict[str, str] = {}
    for item in items:
        suite, sep, image = item.partition("=")
        if not sep:
            out["BASE_IMAGE"] = item.strip()
            continue
        suite = suite.strip().lower()
        if suite not in suites:
            raise BakegenError(
                f"--base-image {item}: no line builds on Debian '{suite}'{did_you_mean(suite, suites)} "
                f"(suites in versions/: {', '.join(sorted(suites))})"
            )
        out[base_variable(suite, default_suite)] = image.strip()
    return out


def to_variables(settings: BuildSettings, suites: Sequence[str], default_suite: str) -> dict[str, str]:
    """The bake variables these settings set (the environment supplies the rest)."""
    s = settings
    candidates: dict[str, str | None] = {
        "PLATFORMS": ",".join(split_items([s.platforms])) if s.platforms else None,
        "REGISTRY": ",".join(split_items(s.registries)) if s.registries else None,
        "IMAGE_NAME": s.image_name or None,
        "PYTHON_MIRROR": check_url("--mirror", s.mirror) if s.mirror else None,
        "CACHE": s.cache,
        "CA_BUNDLE": str(s.ca_bundle.resolve()) if s.ca_bundle is not None else None,
        "PKG_PROXY": (check_url("--proxy", s.proxy) if s.proxy else "") if s.proxy is not None else None,
        "NETWORK": Network(s.network).value if s.network is not None else None,
        "SBOM_GENERATOR": s.sbom_generator or None,
        "LATEST": "1" if s.latest else None,
    }
    variables = {name: value for name, value in candidates.items() if value is not None}
    variables.update(base_image_variables(s.base_images, suites, default_suite))
    return variables
