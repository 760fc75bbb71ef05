"""Loading the data files into the model.

Two steps, kept apart on purpose:

* *parsing* (``load_*``) is strict about form: TOML syntax, known keys only, the right types, and
  well-formed versions and checksums. Every error names the file and the field.
* *validation* (``validate_*``) checks what only makes sense across fields and files, and says how to
  fix what it finds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.version import Version

from ..errors import DataError, did_you_mean
from ..untrusted import load_toml, quote
from .model import FreeThreading, Release, Tarball, Variant

# Patterns end in \Z, not $ (which lets a trailing newline through), and \d is ASCII only (other
# scripts' digits are no version packaging reads). A version number has at most 9 digits: Python
# refuses to convert integers of thousands of digits, and no release needs more.
_NUMBER = r"(0|[1-9]\d{0,8})"
VERSION_RE = re.compile(rf"^{_NUMBER}\.{_NUMBER}\.{_NUMBER}((a|b|rc)[1-9]\d{{0,8}})?\Z", re.ASCII)
LINE_RE = re.compile(rf"^{_NUMBER}\.{_NUMBER}\Z", re.ASCII)
SHA256_RE = re.compile(r"^[0-9a-f]{64}\Z")
SUITE_RE = re.compile(r"^[a-z]+\Z")
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")
#: A variant name goes into tags (``3.13.15t-<name>``) of at most 128 characters.
NAME_MAX = 64
#: How an entry's sum was verified (bakegen/bake/signers.py): the OpenPGP key's fingerprint, the
#: Sigstore identity and issuer, or "unverified" (only ``source`` vouches for the sum).
VERIFIED_RE = re.compile(r"^(openpgp:[0-9A-F]{40}|sigstore:[^|\s]+\|https://\S+|unverified)\Z")

_TARBALL_KEYS = {"version": str, "tarball": str, "sha256": str, "verified": str}
_RELEASE_KEYS = {**_TARBALL_KEYS, "source": str, "debian": str, "previous": list}
_RELEASE_REQUIRED = ("version", "tarball", "sha256", "source", "verified")
_PREVIOUS_KEYS = {**_TARBALL_KEYS, "source": str}
_VARIANT_KEYS = {"name": str, "summary": str, "optimal": bool, "lto": bool, "cross_compile": bool, "latest": bool}
_VARIANT_REQUIRED = ("name", "summary", "optimal", "lto")
_VARIANTS_FILE_KEYS = {"variant": list, "freethreaded": dict}
_FREETHREADED_KEYS = {"since": str, "summary": str, "variants": list}
_FREETHREADED_REQUIRED = ("since", "summary")

DEFAULT_DEBIAN = "trixie"
#: The variants shipped with bakegen.
VARIANTS = Path(__file__).with_name("variants.toml")


def _check_keys(
    where: str, table: Mapping[str, Any], allowed: Mapping[str, type], required: Iterable[str]
) -> None:
    for key, value in table.items():
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise DataError(f"{where}: unknown field '{key}' (known fields: {known})")
        want = allowed[key]
        if not isinstance(value, want) or (want is not bool and isinstance(value, bool)):
            raise DataError(
                f"{where}: field '{key}' must be a {want.__name__}, not {type(value).__name__}"
            )
    for key in required:
        if key not in table:
            raise DataError(f"{where}: missing field '{key}'")


def _tarball(path: Path, where: str, table: Mapping[str, Any]) -> Tarball:
    version, name, sha256 = table["version"], table["tarball"], table["sha256"]
    if not VERSION_RE.fullmatch(version):
        raise DataError(
            f"{where}: field 'version' is {quote(version)}, not a CPython release like 3.13.5 or 3.15.0a2"
        )
    if not SHA256_RE.fullmatch(sha256):
        raise DataError(f"{where}: field 'sha256' must be 64 lower-case hex digits, got {quote(sha256)}")
    allowed = (f"Python-{version}.tar.xz", f"Python-{version}.tgz")
    if name not in allowed:
        raise DataError(f"{where}: field 'tarball' must be one of {' or '.join(allowed)}, got {quote(name)}")
    verified = table["verified"]
    if not VERIFIED_RE.fullmatch(verified):
        raise DataError(
            f"{where}: field 'verified' is {quote(verified)}, not openpgp:<40-digit fingerprint>, "
            "sigstore:<identity>|<issuer> or unverified (see versions/README.md)"
        )
    return Tarball(version=version, name=name, sha256=sha256, sum_origin=str(path), verified=verified)


def load_release(path: Path, text: str | None = None) -> Release:
    """Parse one ``versions/<line>.toml`` file, or ``text`` as if it were that file's content."""
    data = load_toml(path, text)
    _check_keys(str(path), data, _RELEASE_KEYS, _RELEASE_REQUIRED)
    line = path.stem
    if not LINE_RE.fullmatch(line):
        raise DataError(f"{path}: the file name must be a CPython line such as 3.13.toml")
    tarball = _tarball(path, str(path), data)
    debian = data.get("debian", DEFAULT_DEBIAN)
    if not SUITE_RE.fullmatch(debian):
        raise DataError(f"{path}: field 'debian' must be a Debian suite name such as trixie, got {quote(debian)}")
    previous = []
    for i, entry in enumerate(data.get("previous", [])):
        where = f"{path}: previous[{i}]"
        if not isinstance(entry, dict):
            raise DataError(f"{where}: must be a table ([[previous]])")
        _check_keys(where, entry, _PREVIOUS_KEYS, _RELEASE_REQUIRED)
        previous.append(_tarball(path, where, entry))
    return Release(
        line=line,
        tarball=tarball,
        debian=debian,
        source=data["source"],
        previous=tuple(previous),
        origin=str(path),
    )


def load_releases(directory: Path, texts: Mapping[Path, str] | None = None) -> list[Release]:
    """Parse every ``*.toml`` file in ``versions/``, oldest line first.

    ``texts`` stands in for the content of some of those files (new content not yet written).
    """
    if not directory.is_dir():
        raise DataError(f"{directory}: no such directory (run bakegen from the project folder, or pass -C)")
    # base-images.toml is the base images' data (bake.base), not a line's.
    files = sorted(f for f in directory.glob("*.toml") if f.name != "base-images.toml")
    if not files:
        raise DataError(f"{directory}: no release data (*.toml) found")
    releases = [load_release(f, (texts or {}).get(f)) for f in files]
    return sorted(releases, key=lambda r: Version(r.line))


def validate_releases(releases: list[Release]) -> None:
    """Cross-field checks on parsed releases. Raises with a hint on the first problem."""
    seen: dict[str, str] = {}
    for r in releases:
        v = Version(r.version)
        if f"{v.major}.{v.minor}" != r.line:
            raise DataError(
                f"{r.origin}: field 'version' is {r.version}, which is not a {r.line} release: "
                f"fix the version, or move it to versions/{v.major}.{v.minor}.toml"
            )
        for p in r.previous:
            pv = Version(p.version)
            if f"{pv.major}.{pv.minor}" != r.line:
                raise DataError(f"{r.origin}: previous release {p.version} is not a {r.line} release")
            if pv >= v:
                raise DataError(
                    f"{r.origin}: previous release {p.version} is not older than {r.version}: "
                    "the top-level version must be the newest one"
                )
        ordered = [Version(p.version) for p in r.previous]
        if ordered != sorted(ordered, reverse=True):
            raise DataError(f"{r.origin}: keep [[previous]] sorted, newest first")
        for t in (r.tarball, *r.previous):
            if t.version in seen:
                raise DataError(f"{r.origin}: release {t.version} is listed twice (also in {seen[t.version]})")
            seen[t.version] = r.origin


def _variants_file(path: Path | None) -> tuple[str, dict[str, Any]]:
    if path is None:
        path = VARIANTS
    data = load_toml(path)
    _check_keys(str(path), data, _VARIANTS_FILE_KEYS, ("variant",))
    return str(path), data


def load_variants(path: Path | None = None) -> list[Variant]:
    """Parse the variant definitions; by default the ones shipped with bakegen."""
    where, data = _variants_file(path)
    variants = []
    for i, entry in enumerate(data["variant"]):
        at = f"{where}: variant[{i}]"
        if not isinstance(entry, dict):
            raise DataError(f"{at}: must be a table ([[variant]])")
        _check_keys(at, entry, _VARIANT_KEYS, _VARIANT_REQUIRED)
        variants.append(Variant(**entry))
    return variants


def load_freethreading(path: Path | None = None) -> FreeThreading | None:
    """Parse the ``[freethreaded]`` table of the variants file; None where there is none."""
    where, data = _variants_file(path)
    table = data.get("freethreaded")
    if table is None:
        return None
    at = f"{where}: [freethreaded]"
    _check_keys(at, table, _FREETHREADED_KEYS, _FREETHREADED_REQUIRED)
    if not LINE_RE.fullmatch(table["since"]):
        raise DataError(f"{at}: field 'since' must be a CPython line such as 3.13, got {quote(table['since'])}")
    names = table.get("variants", [])
    if not all(isinstance(n, str) for n in names):
        raise DataError(f"{at}: field 'variants' must list variant names, e.g. [\"wee\", \"wee-optimized-lto\"]")
    return FreeThreading(since=table["since"], summary=table["summary"], variants=tuple(names), origin=at)


def validate_freethreading(freethreading: FreeThreading | None, variants: list[Variant]) -> None:
    """Free-threaded builds only of variants that exist."""
    if freethreading is None:
        return
    at = freethreading.origin or "[freethreaded]"
    known = [v.name for v in variants]
    for name in freethreading.variants:
        if name not in known:
            hint = did_you_mean(name, known, f" (known: {', '.join(known)})")
            raise DataError(f"{at}: field 'variants' names '{name}', which is not a variant{hint}")
    if len(set(freethreading.variants)) != len(freethreading.variants):
        raise DataError(f"{at}: field 'variants' names a variant twice")


def validate_variants(variants: list[Variant]) -> None:
    names = set()
    for v in variants:
        if len(v.name) > NAME_MAX:
            raise DataError(
                f"variant {quote(v.name)}: the name is {len(v.name)} characters long; shorten it to {NAME_MAX} "
                "or fewer (it goes into image tags, which may have 128)"
            )
        if not NAME_RE.fullmatch(v.name):
            raise DataError(f"variant {quote(v.name)}: names take lower-case letters, digits and single dashes")
        if v.name in names:
            raise DataError(f"variant '{v.name}' is defined twice")
        names.add(v.name)
        if v.lto and not v.optimal:
            raise DataError(f"variant '{v.name}': lto = true needs optimal = true (LTO is built on PGO)")
        if v.cross_compile and v.optimal:
            raise DataError(
                f"variant '{v.name}': cross_compile = true cannot go with optimal = true "
                "(PGO runs the interpreter it builds); drop one of them"
            )
    if not variants:
        raise DataError("no variants defined")
    latest = [v.name for v in variants if v.latest]
    if len(latest) > 1:
        raise DataError(f"only one variant can set latest = true, not {', '.join(latest)}")


def load_variants_file(path: Path | None = None) -> tuple[list[Variant], FreeThreading | None]:
    """The variants and the free-threaded builds, parsed and validated; by default bakegen's own."""
    variants = load_variants(path)
    validate_variants(variants)
    freethreading = load_freethreading(path)
    validate_freethreading(freethreading, variants)
    return variants, freethreading
