"""Reading ``SHA256SUMS`` files, the checksum lists that python.org-layout mirrors publish."""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class MirrorTrust:
    """What a mirror's ``SHA256SUMS`` (``--mirror-sums``) may decide beyond ``versions/``; all off by default.

    The sums file names both the release a line builds and the sum that checks its tarball, so by
    default it may only pick among the releases ``versions/`` pins, never one older than the line's
    newest, and it is read over a channel that nobody on the way can rewrite (a file, https, or
    loopback http). Each flag relaxes one of those, for a mirror that is known to lag behind.
    """

    #: ``--allow-http-sums``: read the sums over plain http from a host that is not loopback.
    allow_http: bool = False
    #: ``--allow-older``: build a pinned release older than the line's newest (a floating tag such
    #: as ``3.13-wee`` then moves back).
    allow_older: bool = False
    #: ``--allow-unpinned``: build a release, or a tarball, that ``versions/`` does not pin, with the
    #: mirror's own sum.
    allow_unpinned: bool = False


#: The default: a mirror chooses nothing that versions/ does not back.
STRICT = MirrorTrust()


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1): traffic that never leaves the machine."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_transport(url: str, trust: MirrorTrust) -> None:
    """Refuse a sums file over plain http from another machine: anyone on the path could rewrite it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "http" and not trust.allow_http and not is_loopback(parts.hostname or ""):
        raise DataError(
            f"--mirror-sums {url}: plain http from {parts.hostname}, which anyone on the way can rewrite: "
            "use https, a local file, or --allow-http-sums to accept it"
        )
