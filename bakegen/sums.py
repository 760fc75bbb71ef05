"""Reading ``SHA256SUMS`` files, the checksum lists that python.org-layout mirrors publish."""

from __future__ import annotations

import re

from .bake.data import VERSION_RE
from .bake.model import Tarball
from .errors import DataError


def parse_sha256sums(text: str, origin: str) -> dict[str, Tarball]:
    """Read a mirror's ``SHA256SUMS`` (``<sha256>  Python-<version>.<ext>`` per line), by version.

    Where a release has both a ``.tar.xz`` and a ``.tgz``, the ``.tar.xz`` wins.
    """
    found: dict[str, Tarball] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        m = re.match(r"^Python-(.+?)\.(tar\.xz|tgz)$", parts[-1].lstrip("*./")) if len(parts) >= 2 else None
        if not m or not re.match(r"^[0-9a-f]{64}$", parts[0]) or not VERSION_RE.match(m.group(1)):
            raise DataError(f"{origin}:{n}: not a '<sha256>  Python-<version>.tar.xz' line: {raw!r}")
        tarball = Tarball(version=m.group(1), name=parts[-1].lstrip("*./"), sha256=parts[0])
        if m.group(1) not in found or tarball.name.endswith(".tar.xz"):
            found[m.group(1)] = tarball
    return found
