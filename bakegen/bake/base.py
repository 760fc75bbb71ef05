"""Base images pinned by digest (issue 18, item 6): ``versions/base-images.toml``.

One table per Debian suite names the image its lines build on (``BASE_IMAGE``, or
``BASE_IMAGE_<SUITE>``) and, where it was measured, the digest of its manifest list: the index
that names one image per platform, checked to cover every platform in ``platforms`` (the
publishing workflow's, ``bake.matrix.DEFAULT_PLATFORMS``). The rendered bake file's default is then
``<image>@<digest>``, so a build takes that exact base whatever the tag points at later;
``--base-image`` (or the variable) still overrides it.

A digest is only recorded where it was read from the registry that serves the image:
``bakegen versions update`` asks the registry the image names (Docker Hub for ``debian:trixie-slim``),
or, with ``--base-registry R``, the image of the same path in ``R`` (a mirror), and then records
*that* image, since a mirror's manifest list need not be byte for byte Docker Hub's (the offline
stack's ``localhost:5000/library/debian:trixie-slim`` is not: its index carries no attestations).
An entry that was never measured says ``digest = "unpinned"`` and ``source`` says why; its image
is rendered by tag, as before.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import net
from ..errors import DataError
from ..files import read_text
from ..refs import REFERENCE_RE, host_of, is_reference
from ..untrusted import load_toml, loads_json
from .matrix import DEFAULT_PLATFORMS

FILE = "base-images.toml"
UNPINNED = "unpinned"
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}\Z")
PLATFORM_RE = re.compile(r"^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?\Z")
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
#: A manifest list is a few kilobytes; Docker Hub's debian index with attestations is under 10.
MAX_INDEX_BYTES = 4 * 1024 * 1024
_KEYS = {"image": str, "digest": str, "platforms": list, "source": str}

HEADER = """\
# Base images by Debian suite: the image each suite's lines build on, and the digest of its
# manifest list (covering every platform listed) where it was measured. `bakegen versions update`
# refreshes the digests; see bakegen/bake/base.py and versions/README.md.
"""


@dataclass(frozen=True)
class BaseImage:
    """One suite's base image, pinned by the digest of its manifest list or not."""

    suite: str
    image: str
    digest: str = UNPINNED
    platforms: tuple[str, ...] = DEFAULT_PLATFORMS
    source: str = ""

    @property
    def pinned(self) -> bool:
        return self.digest != UNPINNED

    @property
    def reference(self) -> str:
        """What the bake file's default names: ``image@digest``, or the image by tag where unpinned."""
        return f"{self.image}@{self.digest}" if self.pinned else self.image


def default_image(suite: str) -> str:
    return f"debian:{suite}-slim"


def _entry(path: Path, suite: str, table: Any) -> BaseImage:
    where = f"{path}: [{suite}]"
    if not re.match(r"^[a-z]+\Z", suite) or not isinstance(table, dict):
        raise DataError(f"{where}: expected a table per Debian suite, e.g. [trixie]")
    for key, value in table.items():
        if key not in _KEYS:
            raise DataError(f"{where}: unknown field '{key}' (known fields: {', '.join(sorted(_KEYS))})")
        if not isinstance(value, _KEYS[key]):
            raise DataError(f"{where}: field '{key}' must be a {_KEYS[key].__name__}")
    missing = [key for key in _KEYS if key not in table]
    if missing:
        raise DataError(f"{where}: missing field '{missing[0]}'")
    image, digest, platforms = table["image"], table["digest"], table["platforms"]
    if "@" in image or not is_reference(image):
        raise DataError(f"{where}: field 'image' must be an image reference by tag, e.g. debian:{suite}-slim")
    if digest != UNPINNED and not DIGEST_RE.match(digest):
        raise DataError(f"{where}: field 'digest' must be sha256:<64 hex digits> or \"{UNPINNED}\", got '{digest}'")
    if not platforms or not all(isinstance(p, str) and PLATFORM_RE.match(p) for p in platforms):
        raise DataError(f"{where}: field 'platforms' must list platforms such as \"linux/amd64\"")
    return BaseImage(suite, image, digest, tuple(platforms), table["source"])


def load(versions_dir: Path, text: str | None = None) -> dict[str, BaseImage]:
    """The base images by suite; none (every suite by tag) where the project has no such file."""
    path = versions_dir / FILE
    if text is None and not os.path.lexists(path):
        return {}
    data = load_toml(path, text)
    return {suite: _entry(path, suite, table) for suite, table in data.items()}


def for_suites(bases: Mapping[str, BaseImage], suites: Iterable[str]) -> tuple[BaseImage, ...]:
    """One entry per suite the plan uses, unpinned by tag where the file has none."""
    return tuple(bases.get(s) or BaseImage(s, default_image(s), source="not in versions/base-images.toml")
                 for s in sorted(set(suites)))


def render_file(bases: Iterable[BaseImage], old_text: str = "") -> str:
    """The data file for ``bases``; the leading comment block of ``old_text`` is kept."""
    from .releases import header_of, toml_string  # a cycle at import time otherwise (releases uses plans)

    header = "\n".join(header_of(old_text)) if old_text else HEADER.rstrip("\n")
    out = [header]
    for b in bases:
        platforms = ", ".join(toml_string(p) for p in b.platforms)
        out += ["", f"[{b.suite}]", f"image = {toml_string(b.image)}", f"digest = {toml_string(b.digest)}",
                f"platforms = [{platforms}]", f"source = {toml_string(b.source)}"]
    return "\n".join(out) + "\n"


# --- measuring: the registry API (distribution spec, GET /v2/<name>/manifests/<reference>) ---------


def _api_name(image: str) -> tuple[str, str, str]:
    """(registry host, repository path as the API names it, tag) of a reference by tag."""
    m = REFERENCE_RE.match(image)
    if not m or not m.group(3):
        raise DataError(f"{image}: not an image reference by tag")
    host = host_of(image)
    path = m.group(2)
    if m.group(1) and host != m.group(1):  # a first component that is not a registry belongs to the path
        path = f"{m.group(1)}/{path}"
    if host == "docker.io" and "/" not in path:
        path = f"library/{path}"  # Docker Hub's official images (distribution/reference normalize.go)
    return host, path, m.group(3)


def _challenge(header: str) -> dict[str, str]:
    """The parameters of a ``WWW-Authenticate: Bearer realm=...,service=...,scope=...`` challenge."""
    if not header.lower().startswith("bearer "):
        return {}
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def _get(url: str, headers: Mapping[str, str], max_bytes: int) -> net.Response:
    return net.get(url, headers=dict(headers), max_bytes=max_bytes)


def fetch_index(image: str) -> bytes:
    """The manifest list ``image`` names, as its registry serves it (anonymous token where asked)."""
    from ..doctor import registry_url  # doctor's rule: Docker Hub's API host, plain http on loopback

    host, path, tag = _api_name(image)
    url = f"{registry_url(host)}{path}/manifests/{tag}"
    accept = {"Accept": ", ".join(INDEX_TYPES)}
    try:
        try:
            return _get(url, accept, MAX_INDEX_BYTES).body
        except net.FetchError as exc:
            params = _challenge(exc.headers.get("WWW-Authenticate") or exc.headers.get("Www-Authenticate") or "")
            if exc.status != 401 or "realm" not in params:
                raise
        query = "&".join(f"{k}={v}" for k, v in params.items() if k in ("service", "scope"))
        answer = loads_json(_get(f"{params['realm']}?{query}", {}, 64 * 1024).body.decode("utf-8"), params["realm"])
        token = (answer.get("token") or answer.get("access_token")) if isinstance(answer, dict) else None
        if not isinstance(token, str):
            raise DataError(f"{image}: the registry's token service answered without a token")
        return _get(url, {**accept, "Authorization": f"Bearer {token}"}, MAX_INDEX_BYTES).body
    except net.FetchError as exc:
        raise DataError(f"{image}: cannot read its manifest list from {url}: {exc}") from None
    except ValueError:
        raise DataError(f"{image}: the registry's token service did not answer with JSON") from None


def index_platforms(image: str, body: bytes) -> set[str]:
    """The platforms a manifest list names (attestation entries, ``unknown/unknown``, left out)."""
    try:
        index = loads_json(body.decode("utf-8"), f"{image}: the registry's answer")
    except ValueError:
        raise DataError(f"{image}: the registry's answer is not JSON") from None
    if not isinstance(index, dict) or index.get("mediaType") not in INDEX_TYPES or not isinstance(
        index.get("manifests"), list
    ):
        raise DataError(f"{image}: not a manifest list (one image for one platform cannot be pinned per platform list)")
    found = set()
    for entry in index["manifests"]:
        p = entry.get("platform") if isinstance(entry, dict) else None
        if isinstance(p, dict) and p.get("os") not in (None, "unknown"):
            found.add("/".join(str(x) for x in (p.get("os"), p.get("architecture"), p.get("variant")) if x))
    return found


def measure(image: str, platforms: Sequence[str]) -> str:
    """The digest of ``image``'s manifest list, checked to name every platform in ``platforms``."""
    body = fetch_index(image)
    found = index_platforms(image, body)
    # arm64 images are listed as linux/arm64/v8 by Docker Hub's official images.
    missing = [p for p in platforms if p not in found and not any(f.startswith(p + "/") for f in found)]
    if missing:
        raise DataError(f"{image}: its manifest list names {', '.join(sorted(found)) or 'no platform'}, "
                        f"not {', '.join(missing)}")
    return "sha256:" + hashlib.sha256(body).hexdigest()


def in_registry(image: str, registry: str) -> str:
    """The same repository and tag in ``registry`` (a host, or a host and namespace):
    ``debian:trixie-slim`` in ``localhost:5000/library`` is ``localhost:5000/library/debian:trixie-slim``."""
    host, path, tag = _api_name(image)
    if host == "docker.io":
        path = path.removeprefix("library/")
    return f"{registry.rstrip('/')}/{path}:{tag}"


def refresh(bases: Mapping[str, BaseImage], registry: str | None) -> list[BaseImage]:
    """Every entry measured anew: at the registry its image names, or at ``registry`` (then the entry
    names the image there). Raises :class:`DataError` (one line) for the first one that fails."""
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    out = []
    for b in bases.values():
        # --base-registry names a mirror of Docker Hub's official images: the suite's image there.
        image = in_registry(default_image(b.suite), registry) if registry else b.image
        try:
            digest = measure(image, b.platforms)
        except DataError as exc:
            hint = "" if registry else "--base-registry R reads them at a mirror, "
            raise DataError(f"{exc}; {hint}--no-base-images leaves versions/{FILE} as it is") from None
        source = f"the manifest list {image} named when `bakegen versions update` read it on {today}"
        out.append(replace(b, image=image, digest=digest, source=source) if digest != b.digest or image != b.image
                   else b)
    return out


def refresh_file(versions_dir: Path, registry: str | None, report: list[str]) -> str | None:
    """The new text of ``versions/base-images.toml`` with every digest measured anew (:func:`refresh`),
    or None where nothing changes or the project has no such file; ``report`` gets one line per suite."""
    path = versions_dir / FILE
    if not path.exists():
        return None
    old = load(versions_dir)
    new = refresh(old, registry)
    for b in new:
        was = old[b.suite]
        report.append(f"base {b.suite:<8} {b.reference}  ({'unchanged' if b == was else f'was {was.reference}'})")
    if list(old.values()) == new:
        return None
    return render_file(new, read_text(path))
