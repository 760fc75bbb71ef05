"""Every network read of bakegen, with caps on size and time, and the reachability probes of ``doctor``.

Reads stop at ``max_bytes`` and at a total ``deadline`` (not only a per-read socket timeout), so
a server that streams forever, or trickles a byte at a time, costs a bounded wait. Tests swap
``probe`` for a fake, as they swap ``engine.docker``.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from . import __version__
from .errors import BakegenError

#: No listing, checksum file or API answer that bakegen reads comes near this.
MAX_BYTES = 32 * 1024 * 1024
#: Seconds one socket operation may take.
TIMEOUT = 30.0
#: Seconds a whole read may take, however the server paces it.
DEADLINE = 120.0
#: Reachability probes read little and wait briefly: they run before every build.
PROBE_TIMEOUT = 5.0
PROBE_BYTES = 64 * 1024


class FetchError(Exception):
    """A read that failed; ``status`` is the HTTP status when the server answered with an error."""

    def __init__(self, message: str, status: int | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def check_url(option: str, url: str) -> str:
    """An http(s) URL with a host, without a trailing slash; anything else is a one-line error."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        parts = None
    bad = parts is None or parts.scheme not in ("http", "https") or not parts.hostname
    if bad or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise BakegenError(f"{option} {url!r}: not an http(s) URL like https://www.python.org/ftp/python")
    return url.rstrip("/")


def _read_body(resp: http.client.HTTPResponse, max_bytes: int, deadline: float, truncate: bool) -> bytes:
    declared = resp.headers.get("Content-Length")
    if not truncate and declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"the response is larger than {max_bytes} bytes")
    chunks, size = [], 0
    # read1 returns what has arrived instead of waiting for a full buffer, so the deadline is
    # checked between network reads however slowly the server sends.
    while chunk := resp.read1(65536):
        size += len(chunk)
        if size > max_bytes and truncate:
            return b"".join(chunks) + chunk[: max_bytes - size + len(chunk)]
        if size > max_bytes:
            raise FetchError(f"the response is larger than {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise FetchError("the response took longer than the time allowed for it")
        chunks.append(chunk)
    if declared is not None and declared.isdigit() and size != int(declared):
        raise FetchError(f"the response was cut short ({size} of {declared} bytes)")
    return b"".join(chunks)


def get(
    url: str,
    *,
    timeout: float | None = None,
    max_bytes: int | None = None,
    total: float | None = None,
    headers: dict[str, str] | None = None,
    truncate: bool = False,
) -> Response:
    """One HTTP GET, its body read with the caps (or, with ``truncate``, cut at ``max_bytes``);
    unset caps are the module's TIMEOUT, MAX_BYTES and DEADLINE. Every failure is a :class:`FetchError`.
    """
    timeout = TIMEOUT if timeout is None else timeout
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    deadline = time.monotonic() + (DEADLINE if total is None else total)
    request = urllib.request.Request(
        url, headers={"User-Agent": f"bakegen/{__version__}", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            body = _read_body(resp, max_bytes, deadline, truncate)
            return Response(url, resp.status, body, dict(resp.headers.items()))
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code} {exc.reason}", exc.code, dict(exc.headers.items())) from None
    except http.client.IncompleteRead as exc:
        raise FetchError(f"the response was cut short ({len(exc.partial)} bytes read)") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"cannot fetch: {exc.reason}") from None
    except TimeoutError:
        raise FetchError(f"no answer within {timeout:g} seconds") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise FetchError(f"cannot fetch: {exc or type(exc).__name__}") from None


def get_text(url: str, **caps: float) -> str:
    """A text document (UTF-8), with the caps of :func:`get`."""
    body = get(url, **caps).body  # type: ignore[arg-type]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise FetchError("the response is not UTF-8 text") from None


@dataclass(frozen=True)
class Probe:
    """What a reachability probe found: the HTTP status (401 counts as an answer), or why none came."""

    url: str
    status: int | None
    error: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def answered(self) -> bool:
        return self.status is not None


def probe(url: str, headers: dict[str, str] | None = None) -> Probe:
    """GET ``url`` briefly: did a server answer, and with what status and headers."""
    try:
        resp = get(
            url, timeout=PROBE_TIMEOUT, max_bytes=PROBE_BYTES, total=PROBE_TIMEOUT * 2, headers=headers, truncate=True
        )
    except FetchError as exc:
        return Probe(url, exc.status, str(exc), exc.headers)
    return Probe(url, resp.status, headers=resp.headers, body=resp.body)
