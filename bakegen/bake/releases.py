"""Finding the newest upstream release of each line and rewriting ``versions/`` (``bakegen versions update``).

Versions come from a mirror in python.org's ``/ftp/python/`` layout:

* ``<mirror>/`` lists one ``X.Y.Z/`` folder per release, and
* ``<mirror>/X.Y.Z/`` lists that release's files, pre-releases included (``Python-3.15.0a2.tar.xz``
  lives in ``3.15.0/``, so a folder alone does not mean the final release is out).

Checksums come from one of two places, never from downloading and hashing a tarball:

* a ``SHA256SUMS`` file at the mirror's root (``<sha256>  Python-<version>.tar.xz`` per line), which
  air-gapped mirrors publish; or, where the mirror has none (python.org has none),
* python.org's release API (``--api``). ``<api>/release/?is_published=true`` is a JSON list of
  releases, each with ``name`` ("Python 3.13.5"), ``pre_release`` and ``resource_uri``
  (``.../release/<id>/``); ``<api>/release_file/?release=<id>`` is a JSON list of that release's
  files, each with ``url`` and ``sha256_sum`` (serializers in python/pythondotorg
  ``downloads/serializers.py``; ``sha256_sum`` was added by migration
  ``downloads/migrations/0014_releasefile_sha256_sum.py`` and is blank for files published before).

Where the mirror has a ``SHA256SUMS`` and the release API answers too, the two must agree (a mirror
cannot choose the sum alone); an API that cannot be reached is noted in ``source``, not an error.

Every new release's signature is checked before its sum is written (``bake.signers``: gpgv
against the release manager's committed key up to 3.13, the Sigstore bundle from 3.14 on), which
means downloading the tarball and its signature from the mirror: the tarball must carry a good
signature and hash to the published sum. ``verified`` in the data file records the check.

Everything is fetched and checked before anything is written: a network failure, a malformed or
cut-short response, or a signature that does not verify stops with one error and leaves every
file as it was.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version

from .. import net
from ..errors import BakegenError, DataError
from ..files import read_text
from ..sums import parse_sha256sums
from ..untrusted import loads_json, loads_toml, quote
from . import base
from .data import SHA256_RE, VERSION_RE, load_releases, load_variants_file, validate_releases
from .model import Release, Tarball
from .plan import build_plan, check_pinned
from .signers import Signers, load_signers, verify_files

DEFAULT_MIRROR = "https://www.python.org/ftp/python"
DEFAULT_API = "https://www.python.org/api/v2/downloads"
MAX_BYTES = net.MAX_BYTES
TIMEOUT = net.TIMEOUT
#: Source tarballs are about 20-30 MB (Python-3.14.0.tar.xz: 23 MB); a mirror's answer beyond this is not one.
TARBALL_MAX_BYTES = 128 * 1024 * 1024
#: Seconds a tarball download may take in all.
TARBALL_DEADLINE = 900.0
#: Seconds the listings, checksum files and API answers of one ``versions update`` may take in all,
#: however many there are and however slowly the servers answer (tarball downloads have their own).
UPDATE_DEADLINE = 300.0

RELEASE_DIR_RE = re.compile(r"^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\Z", re.ASCII)
TARBALL_RE = re.compile(r"^Python-(.+)\.(tar\.xz|tgz)\Z")
#: Pages of one API list that are followed.
MAX_PAGES = 100
HREF_RE = re.compile(r"""href\s*=\s*["']([^"'#?]+)["']""", re.IGNORECASE)


class UpstreamError(DataError):
    """Upstream release data that could not be fetched or read. Nothing was written."""


class Unreachable(UpstreamError):
    """No server answered at all (name resolution, connection, time-out), as opposed to a bad answer."""


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    text: str


def fetch(url: str, *, timeout: float = TIMEOUT, missing_ok: bool = False, total: float | None = None) -> Response:
    """GET ``url`` as text, with bakegen's size and time caps (``bakegen.net``). A 404 is returned
    (status 404) only when ``missing_ok``; every other failure, and a body shorter than its
    ``Content-Length``, raises :class:`UpstreamError`."""
    try:
        resp = net.get(url, timeout=timeout, max_bytes=MAX_BYTES, total=total)
    except net.FetchError as exc:
        if exc.status == 404 and missing_ok:
            return Response(url, 404, "")
        raise (UpstreamError if exc.status else Unreachable)(f"{url}: {exc}") from None
    try:
        return Response(url, resp.status, resp.body.decode("utf-8"))
    except UnicodeDecodeError:
        raise UpstreamError(f"{url}: the response is not UTF-8 text") from None


def _hrefs(page: Response) -> list[str]:
    if "</html>" not in page.text.lower():
        raise UpstreamError(f"{page.url}: the listing is incomplete (no closing </html>)")
    names = []
    for href in HREF_RE.findall(page.text):
        href = urllib.parse.unquote(href)
        is_dir = href.endswith("/")
        name = href.rstrip("/").rsplit("/", 1)[-1]
        names.append(name + "/" if is_dir else name)
    return names


def release_dirs(index: Response) -> list[str]:
    """The ``X.Y.Z`` folders a ``/ftp/python/`` index lists."""
    dirs = sorted(
        {n[:-1] for n in _hrefs(index) if n.endswith("/") and RELEASE_DIR_RE.match(n[:-1])}, key=Version
    )
    if not dirs:
        raise UpstreamError(f"{index.url}: lists no X.Y.Z/ release folders: not a python.org /ftp/python layout")
    return dirs


def release_tarballs(listing: Response, folder: str) -> dict[str, str]:
    """Source tarballs in one ``X.Y.Z/`` folder, by version (``.tar.xz`` preferred over ``.tgz``)."""
    found: dict[str, str] = {}
    for name in _hrefs(listing):
        m = TARBALL_RE.match(name)
        if not m or not VERSION_RE.match(m.group(1)) or Version(m.group(1)).base_version != folder:
            continue
        if m.group(1) not in found or name.endswith(".tar.xz"):
            found[m.group(1)] = name
    return found


@dataclass
class Found:
    """The newest release of a line that an upstream lists."""

    version: str
    tarball: str


@dataclass
class LineUpdate:
    """What ``versions update`` found for one line, and the file text it would write."""

    line: str
    path: Path
    current: str
    #: The newest release upstream that counts (final only, unless --pre); None when there is none.
    newest: str | None
    note: str
    old_text: str
    new_text: str | None = None
    tarball: Tarball | None = None
    source: str = ""
    #: How the new release's sum was verified (``bake.signers``).
    verified: str = ""

    @property
    def changed(self) -> bool:
        return self.new_text is not None and self.new_text != self.old_text

    def summary(self) -> str:
        if self.changed:
            return f"{self.line:<6} {self.current} -> {self.newest}  ({self.source}; verified: {self.verified})"
        return f"{self.line:<6} {self.current}  {self.note}"

    def diff(self) -> str:
        if not self.changed:
            return ""
        name = f"versions/{self.path.name}"
        return "".join(
            difflib.unified_diff(
                self.old_text.splitlines(keepends=True), (self.new_text or "").splitlines(keepends=True), name, name
            )
        )


@dataclass
class Upstream:
    """A python.org-layout mirror plus where its checksums come from; fetches each URL once."""

    mirror: str = DEFAULT_MIRROR
    api: str = DEFAULT_API
    timeout: float = TIMEOUT
    #: Who signs each line (``bakegen/keys/signers.toml`` unless given).
    signers: Signers | None = None
    #: Seconds all the reads but tarball downloads may take together, from the moment this is made;
    #: None: UPDATE_DEADLINE.
    total: float | None = None
    _deadline: float = 0.0
    _cache: dict[str, Response] = field(default_factory=dict)
    _sums: dict[str, Tarball] | None = None
    _sums_checked: bool = False
    _api_releases: list[dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        self.mirror = net.check_url("--mirror", self.mirror)
        self.api = net.check_url("--api", self.api)
        if self.signers is None:
            self.signers = load_signers()
        self.total = UPDATE_DEADLINE if self.total is None else self.total
        self._deadline = time.monotonic() + self.total

    def get(self, url: str, *, missing_ok: bool = False) -> Response:
        if url not in self._cache:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise UpstreamError(
                    f"{url}: not read: the mirror and the API took more than {self.total:g} seconds in all"
                )
            self._cache[url] = fetch(url, timeout=self.timeout, missing_ok=missing_ok, total=min(left, net.DEADLINE))
        return self._cache[url]

    def newest(self, line: str, *, at_least: str, pre: bool) -> Found | None:
        """The newest release of ``line`` on the mirror (no older than ``at_least``'s folder)."""
        floor = Version(Version(at_least).base_version)
        dirs = [d for d in release_dirs(self.get(f"{self.mirror}/")) if d.rsplit(".", 1)[0] == line]
        for folder in sorted(dirs, key=Version, reverse=True):
            if Version(folder) < floor:
                break
            tarballs = release_tarballs(self.get(f"{self.mirror}/{folder}/"), folder)
            usable = [v for v in tarballs if pre or not Version(v).is_prerelease]
            if usable:
                best = max(usable, key=Version)
                return Found(best, tarballs[best])
        return None

    def lists_line(self, line: str) -> bool:
        return any(d.rsplit(".", 1)[0] == line for d in release_dirs(self.get(f"{self.mirror}/")))

    def sha256sums(self) -> dict[str, Tarball] | None:
        """The mirror's ``SHA256SUMS`` by version, or None when it publishes none (HTTP 404)."""
        if not self._sums_checked:
            url = f"{self.mirror}/SHA256SUMS"
            resp = self.get(url, missing_ok=True)
            self._sums = None if resp.status == 404 else parse_sha256sums(resp.text, url)
            if self._sums is not None and not self._sums and not resp.text.strip():
                raise UpstreamError(f"{url}: the file is empty")
            self._sums_checked = True
        return self._sums

    def checksum(self, found: Found) -> tuple[str, str]:
        """The published sha256 of ``found``'s tarball and where it was read."""
        sums = self.sha256sums()
        if sums is not None:
            url = f"{self.mirror}/SHA256SUMS"
            entry = sums.get(found.tarball)
            if entry is None:
                raise UpstreamError(
                    f"{url} has no checksum for {found.tarball}, which {self.mirror}/ lists: "
                    "fix the mirror, or leave the line out with --line"
                )
            return entry.sha256, f"{url}: {found.tarball}{self._cross_check(found, entry.sha256)}"
        return self._api_checksum(found)

    def _cross_check(self, found: Found, sha256: str) -> str:
        """The mirror's sum against the release API's: a disagreement stops, an API that no server
        answers for is noted (air-gapped mirrors), as is one that publishes no sum for the file."""
        try:
            theirs, where = self._api_checksum(found)
        except Unreachable as exc:
            return f"; not cross-checked: the release API is unreachable ({exc})"
        except UpstreamError as exc:
            return f"; not cross-checked with the release API: {exc}"
        if theirs != sha256:
            raise UpstreamError(
                f"{self.mirror}/SHA256SUMS lists {found.tarball} with sha256 {sha256}, but {where} is "
                f"{theirs}: the mirror and python.org disagree; nothing was written"
            )
        return "; the python.org release API agrees"

    def verify(self, found: Found, line: str, sha256: str, source: str) -> str:
        """Download ``found``'s tarball and signature from the mirror; check the signature (for
        ``line``'s signer) and that the tarball hashes to ``sha256``. Returns the ``verified`` label."""
        assert self.signers is not None
        signer = self.signers.for_line(line)
        url = f"{self.mirror}/{Version(found.version).base_version}/{found.tarball}"
        with tempfile.TemporaryDirectory(prefix="bakegen-release-") as tmp:
            tarball, signature = Path(tmp) / found.tarball, Path(tmp) / (found.tarball + signer.suffix)
            signature.write_bytes(self._download(url + signer.suffix, MAX_BYTES, "its signature"))
            data = self._download(url, TARBALL_MAX_BYTES, "the tarball")
            tarball.write_bytes(data)
            label = verify_files(self.signers, line, tarball, signature, found.tarball)
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise UpstreamError(
                f"{url}: the signed tarball has sha256 {actual}, but {source.split(';')[0]} publishes {sha256}: "
                "the published sum is wrong; nothing was written"
            )
        return label

    def _download(self, url: str, max_bytes: int, what: str) -> bytes:
        try:
            return net.get(url, timeout=self.timeout, max_bytes=max_bytes, total=TARBALL_DEADLINE).body
        except net.FetchError as exc:
            hint = ": python.org publishes one beside every release; the mirror must carry it"
            hint = hint if exc.status == 404 else ""
            raise UpstreamError(f"{url}: cannot fetch {what} ({exc}){hint}") from None

    def check_pinned(self, releases: Sequence[Release]) -> None:
        """Where the mirror's ``SHA256SUMS`` was read, it must agree with every sum ``versions/`` pins."""
        if self._sums:
            check_pinned(releases, self._sums)

    def _json(self, url: str) -> Any:
        resp = self.get(url)
        try:
            return loads_json(resp.text, url)
        except DataError as exc:
            raise UpstreamError(str(exc)) from None

    def _json_list(self, url: str) -> list[dict[str, Any]]:
        """A JSON list of objects; DRF-paginated answers (``results`` + ``next``) are followed, on the
        API's own scheme, host and port only (an answer cannot send bakegen to another server), up to
        MAX_PAGES pages, each once."""
        items: list[dict[str, Any]] = []
        pages: list[str] = []
        next_url: str | None = url
        while next_url is not None:
            if next_url in pages:
                raise UpstreamError(f"{url}: page {quote(next_url)} comes round again: the pages loop")
            if len(pages) == MAX_PAGES:
                raise UpstreamError(f"{url}: more than {MAX_PAGES} pages")
            pages.append(next_url)
            page, next_url = _page(self._json(next_url), url)
            items.extend(page)
        return items

    def _api_checksum(self, found: Found) -> tuple[str, str]:
        files_url = f"{self.api}/release_file/?release={self._api_release_id(found)}"
        sums = {
            _api_sha256(entry)
            for entry in self._json_list(files_url)
            if isinstance(entry.get("url"), str) and entry["url"].rstrip("/").rsplit("/", 1)[-1] == found.tarball
        }
        if not sums:
            raise UpstreamError(f"{files_url}: no file {found.tarball} listed for Python {found.version}")
        if len(sums) > 1:
            listed = ", ".join(repr(s) for s in sorted(sums))
            raise UpstreamError(f"{files_url}: {found.tarball} is listed with different sha256_sum values ({listed})")
        (sha256,) = sums
        if not sha256:
            raise UpstreamError(f"{files_url}: {found.tarball} has no sha256_sum: its checksum is not published")
        if not SHA256_RE.match(sha256):
            raise UpstreamError(f"{files_url}: sha256_sum of {found.tarball} is not 64 hex digits: {sha256!r}")
        return sha256, f"python.org release API {files_url}: sha256_sum of {found.tarball}"

    def _api_release_id(self, found: Found) -> str:
        """The API's id of release ``found``; a name listed twice for two different releases is an error."""
        if self._api_releases is None:
            self._api_releases = self._json_list(f"{self.api}/release/?is_published=true")
        name = f"Python {found.version}"
        uris = {str(r.get("resource_uri", "")) for r in self._api_releases if r.get("name") == name}
        if not uris:
            raise UpstreamError(
                f"{self.api}/release/: no published release named '{name}', which {self.mirror}/ lists"
            )
        if len(uris) > 1:
            raise UpstreamError(
                f"{self.api}/release/: '{name}' is listed {len(uris)} times as different releases "
                f"({', '.join(sorted(uris))}): cannot tell which one's checksums to take"
            )
        m = re.search(r"/(\d+)/?\Z", uris.pop(), re.ASCII)
        if not m:
            raise UpstreamError(f"{self.api}/release/: '{name}' has no resource_uri ending in its id")
        return m.group(1)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _same_origin(first: str, next_url: Any) -> str | None:
    """A page's ``next`` link, resolved against the first page; one on another origin is an error."""
    if next_url is None:
        return None
    if not isinstance(next_url, str):
        raise UpstreamError(f"{first}: 'next' is not a URL: {quote(next_url)}")
    resolved = urllib.parse.urljoin(first, next_url)
    if _origin(resolved) != _origin(first):
        raise UpstreamError(f"{first}: the next page is on another server ({resolved}); not followed there")
    return resolved


def _page(data: Any, url: str) -> tuple[list[dict[str, Any]], str | None]:
    """One answer of a list: the objects it holds, and the next page's URL (None at the last)."""
    page, next_url = (data, None) if isinstance(data, list) else (None, None)
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        page, next_url = data["results"], _same_origin(url, data.get("next") or None)
    if page is None or not all(isinstance(i, dict) for i in page):
        raise UpstreamError(f"{url}: expected a JSON list of objects")
    return page, next_url


def _api_sha256(entry: dict[str, Any]) -> str:
    """An API file entry's ``sha256_sum``, lower-case, or "" where it is blank or missing."""
    value = entry.get("sha256_sum")
    return value.strip().lower() if isinstance(value, str) else ""


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL must be escaped too)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def header_of(text: str) -> list[str]:
    """The leading comment block of a data file (kept as it is on rewrite)."""
    header = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        header.append(line)
    while header and not header[-1].strip():
        header.pop()
    return header


def render_release_file(old_text: str, path: Path, tarball: Tarball, source: str) -> str:
    """``old_text`` with ``tarball`` as the line's release and the old release first in ``[[previous]]``."""
    data = loads_toml(old_text, str(path))
    keys = ("version", "tarball", "sha256", "source", "verified")
    previous = [{k: data[k] for k in keys}, *data.get("previous", [])]
    out = header_of(old_text)
    out += [
        f"version = {toml_string(tarball.version)}",
        f"tarball = {toml_string(tarball.name)}",
        f"sha256 = {toml_string(tarball.sha256)}",
        f"source = {toml_string(source)}",
        f"verified = {toml_string(tarball.verified)}",
    ]
    if "debian" in data:
        out.append(f"debian = {toml_string(data['debian'])}")
    for entry in previous:
        out += ["", "[[previous]]", *(f"{k} = {toml_string(entry[k])}" for k in keys)]
    return "\n".join(out) + "\n"


def find_updates(
    versions_dir: Path, upstream: Upstream, *, pre: bool = False, lines: Sequence[str] = ()
) -> list[LineUpdate]:
    """Look up every line (or the given ones) upstream; nothing is written."""
    releases = load_releases(versions_dir)
    validate_releases(releases)
    known = [r.line for r in releases]
    for line in lines:
        if line not in known:
            raise BakegenError(f"unknown line '{line}' (versions/ has {', '.join(known)})")
    updates = []
    for r in releases:
        if lines and r.line not in lines:
            continue
        path = Path(r.origin)
        old_text = read_text(path)
        found = upstream.newest(r.line, at_least=r.version, pre=pre)
        update = LineUpdate(r.line, path, r.version, found.version if found else None, "", old_text)
        if found is None:
            if not upstream.lists_line(r.line):
                update.note = "no release of this line on the mirror"
            elif r.is_prerelease and not pre:
                update.note = "up to date (no final release yet; --pre takes pre-releases)"
            else:
                update.note = "up to date"
        elif Version(found.version) <= Version(r.version):
            update.note = "up to date" if found.version == r.version else f"up to date (upstream: {found.version})"
        else:
            sha256, source = upstream.checksum(found)
            update.verified = upstream.verify(found, r.line, sha256, source)
            update.tarball = Tarball(version=found.version, name=found.tarball, sha256=sha256, verified=update.verified)
            update.source = source
            update.new_text = render_release_file(old_text, path, update.tarball, source)
        updates.append(update)
    upstream.check_pinned(releases)
    return updates


def check_updates(versions_dir: Path, updates: Sequence[LineUpdate], base_text: str | None = None):
    """Load the would-be ``versions/`` exactly as ``render`` will, from the new texts (``base_text``:
    the new base-images.toml, if it changes). Returns the plan."""
    texts = {u.path: u.new_text or "" for u in updates if u.changed}
    try:
        releases = load_releases(versions_dir, texts)
        validate_releases(releases)
        bases = base.for_suites(base.load(versions_dir, base_text), (r.debian for r in releases))
    except DataError as exc:
        raise UpstreamError(f"the updated release data does not validate: {exc}") from None
    return build_plan(releases, *load_variants_file(), bases)
