"""Settings: what the options ask for, turned into bake variables, merged with the environment and
the bake file's defaults (``merged``, the one place bakegen reads a bake variable from the
environment), and checked before anything runs.

The command line and the environment are two spellings of the same settings: each option
overrides the bake variable of the same meaning, which the environment may also set, as bake
itself reads it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from .bake.data import SHA256_RE, VERSION_RE
from .bake.model import Plan
from .bake.plan import base_variable, image_ref, registries
from .errors import BakegenError, DataError, did_you_mean
from .files import read_text
from .net import check_url
from .refs import check_reference


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


def split_items(values: Iterable[str] | None) -> list[str]:
    """Repeated and comma-separated values as one list, blanks dropped."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def merged(
    defaults: Mapping[str, str], environ: Mapping[str, str], options: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """Each setting as a command uses it: the option, else the environment variable of its name,
    else the default. Bake reads its variables the same way (a variable it declares, from the
    environment over its default), and bakegen hands it the options as variables, so that this
    is also what bake sees. Only names in ``defaults`` are read from the environment."""
    values = dict(defaults)
    values.update((name, environ[name]) for name in defaults if name in environ)
    values.update((name, value) for name, value in (options or {}).items() if value is not None)
    return values


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
        "PLATFORMS": s.platforms,  # as written: check_variables names a malformed entry
        # As written: an empty entry ("a.io,,b.io") is a mistake for check_tags to report, not to drop.
        "REGISTRY": ",".join(s.registries) if s.registries else None,
        "IMAGE_NAME": s.image_name,
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


# --- the settings as bake will see them, whoever set them ------------------------------------------

#: os/arch[/variant], as BuildKit's platforms are written (containerd's platforms.Parse).
PLATFORM_RE = re.compile(r"^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?\Z")
SWITCHES = ("ATTEST", "LATEST", "OPTIMAL", "LTO", "FREETHREADED")


def check_tags(values: Mapping[str, str], plan: Plan) -> None:
    """Every reference bake will compose, ``<registry>/<IMAGE_NAME>:<tag>``, against the grammar."""
    value = values.get("REGISTRY", "")
    items = registries(value)
    if not value.strip() or "" in items:
        raise BakegenError(
            f"REGISTRY {value!r}: "
            + ("is empty" if not value.strip() else "has an empty entry between commas")
            + "; name registries or registry namespaces, e.g. ghcr.io/acme (--registry, repeatable)"
        )
    image = values.get("IMAGE_NAME", "")
    names = [name for t in plan.targets for name in t.tag_names] or ["latest"]
    for registry in items:
        where = f"REGISTRY {registry!r} with IMAGE_NAME {image!r}"
        for name in names:
            check_reference(image_ref(registry, image, name), where)


def _check_images(values: Mapping[str, str]) -> None:
    for name, value in values.items():
        if name == "BASE_IMAGE" or name.startswith("BASE_IMAGE_"):
            check_reference(value, name)
    if values.get("SBOM_GENERATOR"):
        check_reference(values["SBOM_GENERATOR"], "SBOM_GENERATOR")
    cache = values.get("CACHE", "")
    if cache not in ("", "gha"):
        check_reference(f"{cache}:cache-scope", "CACHE (a repository for registry cache, or gha)")


def _check_platforms(value: str) -> None:
    if not value.strip():
        return  # the builder's own platform
    for item in value.split(","):
        if not PLATFORM_RE.match(item.strip()):
            raise BakegenError(f"PLATFORMS {value!r}: {item.strip()!r} is not a platform like linux/arm64")


def _check_plain(values: Mapping[str, str]) -> None:
    for name in SWITCHES:
        if values.get(name, "0") not in ("0", "1"):
            raise BakegenError(f"{name}={values[name]!r}: must be 0 or 1")
    if values.get("NETWORK", "default") not in [n.value for n in Network]:
        raise BakegenError(f"NETWORK={values['NETWORK']!r}: must be one of {', '.join(n.value for n in Network)}")
    check_url("PYTHON_MIRROR", values.get("PYTHON_MIRROR", ""))
    if values.get("PKG_PROXY"):
        check_url("PKG_PROXY", values["PKG_PROXY"])
    if values.get("CA_BUNDLE"):
        check_ca_bundle(Path(values["CA_BUNDLE"]))


def check_ca_bundle(path: Path) -> None:
    """A readable PEM file; bake hands it to the build as a secret, ``test`` and ``bench`` mount it."""
    if not path.exists() or path.is_dir():
        raise BakegenError(f"CA_BUNDLE {str(path)!r}: {'is a directory' if path.exists() else 'does not exist'}")
    if "-----BEGIN" not in read_text(path):
        raise DataError(f"{path}: not a PEM file of CA certificates (no -----BEGIN line)")


def ca_bundle(option: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The CA certificates the containers of ``test``, ``bench`` and ``campaign`` trust: --ca-bundle,
    else CA_BUNDLE, else None. (Each command checks the file before its first container starts.)"""
    value = merged({"CA_BUNDLE": ""}, environ, {"CA_BUNDLE": str(option) if option else None})["CA_BUNDLE"]
    return Path(value) if value else None


def check_custom(values: Mapping[str, str], plan: Plan) -> None:
    """The custom target's switches: a release version, and a checksum bakegen or the user knows."""
    version = values.get("PYTHON_VERSION", "")
    if not version:
        raise BakegenError("the custom target needs PYTHON_VERSION, e.g. PYTHON_VERSION=3.13.5 bakegen build custom")
    if not VERSION_RE.match(version):
        raise BakegenError(f"PYTHON_VERSION={version!r}: not a CPython release like 3.13.5 or 3.15.0a2")
    sha = values.get("PYTHON_SHA256", "")
    if sha and not SHA256_RE.match(sha):
        raise BakegenError(f"PYTHON_SHA256={sha!r}: must be 64 lower-case hex digits")
    if not sha and version not in {t.version for t in plan.known}:
        raise BakegenError(f"PYTHON_VERSION={version} is not in versions/: set PYTHON_SHA256 to its tarball's sha256")
    if values.get("LTO") == "1" and values.get("OPTIMAL") != "1":
        raise BakegenError("LTO=1 needs OPTIMAL=1: link-time optimization is offered on top of PGO only")
    since = plan.freethreading.since if plan.freethreading else None
    if values.get("FREETHREADED") == "1" and (since is None or Version(version) < Version(since)):
        needs = f"CPython {since} or later" if since else "a [freethreaded] table in bakegen/bake/variants.toml"
        raise BakegenError(f"FREETHREADED=1 needs {needs} (--disable-gil, PEP 703), not PYTHON_VERSION={version}")


def check_variables(values: Mapping[str, str], plan: Plan, targets: Sequence[str] = ()) -> None:
    """Every bake variable as bake will read it (defaults, environment, options), checked before a build.

    Each mistake is one line naming the variable; the option of the same meaning sets it too.
    """
    check_tags(values, plan)
    _check_images(values)
    _check_platforms(values.get("PLATFORMS", ""))
    _check_plain(values)
    if "custom" in targets:
        check_custom(values, plan)
