"""Reading ``SHA256SUMS`` files, the checksum lists that python.org-layout mirrors publish."""

from __future__ import annotations

import re
from collections.abc import Iterable

from packaging.version import Version

from .bake.data import VERSION_RE
from .bake.model import Tarball
from .errors import DataError

LINE_RE = re.compile(r"^([0-9a-f]{64})\s+\*?(?:\./)?(Python-(.+?)\.(?:tar\.xz|tgz))\Z")


def parse_sha256sums(text: str, origin: str) -> dict[str, Tarball]:
    """Read a mirror's ``SHA256SUMS`` (``<sha256>  Python-<version>.<ext>`` per line), by file name.

    Every tarball is marked as summed by the mirror (``origin``). A file listed twice with two
    different sums is an error, not "the last line wins": one of them is wrong, and nothing here
    can tell which. The same line repeated is harmless and passes.
    """
    found: dict[str, Tarball] = {}
    seen_at: dict[str, int] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = LINE_RE.match(line)
        if not m or not VERSION_RE.match(m.group(3)):
            raise DataError(f"{origin}:{n}: not a '<sha256>  Python-<version>.tar.xz' line: {raw!r}")
        sha256, name, version = m.groups()
        if name in found and found[name].sha256 != sha256:
            raise DataError(
                f"{origin}:{n}: {name} is listed twice with different sums "
                f"({found[name].sha256} on line {seen_at[name]}, {sha256} on line {n})"
            )
        if name not in found:
            found[name] = Tarball(version, name, sha256, sum_origin=origin, sum_from_mirror=True)
            seen_at[name] = n
    return found


def preferred(tarballs: Iterable[Tarball]) -> Tarball:
    """The newest release among ``tarballs``; its ``.tar.xz`` where a ``.tgz`` is listed too."""
    return max(tarballs, key=lambda t: (Version(t.version), t.name.endswith(".tar.xz")))
