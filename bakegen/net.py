"""Every network read of bakegen, under one policy, and the reachability probes of ``doctor``.

The policy:

* *size*: reads stop at ``max_bytes``;
* *time*: a read ends at its ``deadline``, counted from the start of the request, whatever the
  server does: one that never answers, drips its headers or its body a byte at a time, or
  redirects without end. The request runs in a worker thread that the caller stops waiting
  for at the deadline; a per-operation socket timeout alone would let a dripping server keep
  a command waiting for ever. Callers that make many reads (``versions update``) pass what is
  left of their own overall deadline as ``total``;
* *where*: https anywhere; plain http only on the loopback interface, or to an origin the user
  named with an option (:func:`check_url`, e.g. an air-gapped ``--mirror http://mirror.internal``).
  Redirects are held to the same rule, so a server cannot send bakegen to ``ftp://``, ``file://``
  or a plain-http host of its choosing. At most :data:`MAX_REDIRECTS` are followed, and a loop is
  one error line.

Tests swap ``probe`` for a fake, as they swap ``engine.docker``.
"""

from __future__ import annotations

import http.client
import ipaddress
import threading
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
#: Seconds a whole read may take, redirects included, however the server paces it.
DEADLINE = 120.0
#: Reachability probes read little and wait briefly: they run before every build.
PROBE_TIMEOUT = 5.0
PROBE_BYTES = 64 * 1024
#: Redirects one read follows (curl's and browsers' limits are of this order).
MAX_REDIRECTS = 10

#: Plain-http origins (scheme, host, port) the user named with an option: reads may go there.
_named_http: set[tuple[str, str, int]] = set()


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


def _origin(parts: urllib.parse.SplitResult) -> tuple[str, str, int]:
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


def check_url(option: str, url: str) -> str:
    """An http(s) URL with a host, without a trailing slash; anything else is a one-line error.

    A plain-http URL named this way is the user's choice: reads may go to its origin.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        parts = None
    bad = parts is None or parts.scheme not in ("http", "https") or not parts.hostname
    if bad or not url.isprintable() or any(c.isspace() for c in url):
        raise BakegenError(f"{option} {url!r}: not an http(s) URL like https://www.python.org/ftp/python")
    assert parts is not None
    if parts.scheme == "http":
        _named_http.add(_origin(parts))
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(url: str) -> str:
    """Why the policy refuses to read ``url``; "" when it may be read."""
    try:
        parts = urllib.parse.urlsplit(url)
        origin = _origin(parts)
    except ValueError:
        return f"{url!r} is not a URL"
    if parts.scheme == "https" and parts.hostname:
        return ""
    if parts.scheme == "http" and parts.hostname and (_loopback(origin[1]) or origin in _named_http):
        return ""
    if parts.scheme == "http":
        return f"{url!r} is plain http to a host other than this machine: only https is read there"
    return f"{url!r} is not an https URL (only https, and http on this machine, are read)"


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only where the policy allows, at most MAX_REDIRECTS times, never in a loop."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        # urllib refuses some schemes itself, in a message of its own: the policy speaks first.
        location = headers.get("location") or headers.get("uri")
        if location:
            why = refusal(urllib.parse.urljoin(req.full_url, location.strip()))
            if why:
                raise FetchError(f"redirected to {why}")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        newurl = urllib.parse.urljoin(req.full_url, newurl)
        why = refusal(newurl)
        if why:
            raise FetchError(f"redirected to {why}")
        if newurl in self.seen or newurl == req.full_url:
            raise FetchError(f"redirect loop: {newurl} redirects back to itself")
        self.seen.append(newurl)
        if len(self.seen) > MAX_REDIRECTS:
            raise FetchError(f"more than {MAX_REDIRECTS} redirects")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


#: Seconds by which the worker's own timeout may beat the caller's wait for the same deadline.
_SLACK = 0.05


class _Late(Exception):
    """The deadline passed while the body was read (the caller words it)."""


def _late(total: float) -> FetchError:
    return FetchError(f"no complete answer within {total:g} seconds")


def _read_body(resp: http.client.HTTPResponse, max_bytes: int, deadline: float, truncate: bool) -> bytes:
    declared = resp.headers.get("Content-Length")
    if declared is not None and not (declared.isascii() and declared.isdigit()):
        declared = None  # not a length: the body's end is what counts
    if not truncate and declared is not None and int(declared) > max_bytes:
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
            raise _Late
        chunks.append(chunk)
    if declared is not None and size != int(declared):
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
    """One HTTP GET under the policy, its body read with the caps (or, with ``truncate``, cut at
    ``max_bytes``); unset caps are the module's TIMEOUT, MAX_BYTES and DEADLINE. Every failure is
    a :class:`FetchError`, on time: ``total`` seconds after the call at the latest.
    """
    timeout = TIMEOUT if timeout is None else timeout
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    total = DEADLINE if total is None else total
    why = refusal(url)
    if why:
        raise FetchError(f"not read: {why}")
    deadline = time.monotonic() + total
    outcome: list[Response | BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            outcome.append(_get(url, min(timeout, max(total, 0.001)), max_bytes, deadline, headers, truncate))
        except _Late:
            outcome.append(_late(total))
        except BaseException as exc:  # handed to the caller's thread, which raises it
            outcome.append(exc)
        finally:
            done.set()

    threading.Thread(target=work, name="bakegen-net", daemon=True).start()
    if not done.wait(max(deadline - time.monotonic(), 0)) or not outcome:
        raise _late(total)
    if isinstance(outcome[0], FetchError) and time.monotonic() >= deadline - _SLACK:
        raise _late(total)  # the socket's own timeout, cut to the deadline, said the same first
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _get(
    url: str, timeout: float, max_bytes: int, deadline: float, headers: dict[str, str] | None, truncate: bool
) -> Response:
    request = urllib.request.Request(url, headers={"User-Agent": f"bakegen/{__version__}", **(headers or {})})
    opener = urllib.request.build_opener(_Redirects())
    try:
        with opener.open(request, timeout=timeout) as resp:
            body = _read_body(resp, max_bytes, deadline, truncate)
            return Response(url, resp.status, body, dict(resp.headers.items()))
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code} {_reason_phrase(exc)}", exc.code, dict(exc.headers.items())) from None
    except http.client.IncompleteRead as exc:
        raise FetchError(f"the response was cut short ({len(exc.partial)} bytes read)") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"cannot fetch: {exc.reason}") from None
    except TimeoutError:
        raise FetchError(f"no answer within {timeout:g} seconds") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise FetchError(f"cannot fetch: {exc or type(exc).__name__}") from None


def _reason_phrase(exc: urllib.error.HTTPError) -> str:
    """The server's reason phrase, on one line and short: it is the server's text."""
    text = " ".join(str(exc.reason).split())
    return text if len(text) <= 80 else text[:77] + "..."


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
