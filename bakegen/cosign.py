"""The only module that runs cosign (https://github.com/sigstore/cosign). Tests replace ``binding``.

bakegen signs with a key pair and keeps those signatures out of a transparency log: it signs with
``--tlog-upload=false`` and verifies with ``--insecure-ignore-tlog``, so signing works offline and for
private registries, and the public key is the one trust anchor. (The build workflow signs keyless,
with Rekor; those signatures are checked with cosign itself, see docs/publishing.md.)

cosign talks plain HTTP to registries on loopback and private addresses by itself
(go-containerregistry's rule); for any other plain-HTTP registry set COSIGN_ALLOW_HTTP_REGISTRY=true,
which cosign reads like each of its flags from a COSIGN_* variable (sigstore/cosign#2330).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BakegenError, EngineError

INSTALL_HINT = "install cosign 2.5 or later (Debian: apt-get install cosign; https://docs.sigstore.dev/cosign/)"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


class CosignCLI:
    """Runs the cosign binary; never waits on a terminal (stdin closed), so a missing password fails."""

    def __init__(self, binary: str = "cosign") -> None:
        self.binary = binary

    def run(self, args: Sequence[str]) -> Result:
        proc = subprocess.run(
            [self.binary, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


binding = CosignCLI()


@dataclass
class Verification:
    """What ``cosign verify`` said about one image reference."""

    ok: bool
    #: cosign's reason when not ok.
    reason: str = ""
    #: The manifest digests the verified signatures cover.
    digests: set[str] = field(default_factory=set)
    #: Each verified signature's digest and annotations (``cosign sign -a``), in cosign's order.
    signatures: list[tuple[str, dict[str, str]]] = field(default_factory=list, compare=False)

    def annotations(self, digest: str, key: str) -> list[str]:
        """The values of annotation ``key`` among the verified signatures of ``digest``."""
        return [notes[key] for d, notes in self.signatures if d == digest and key in notes]


@dataclass(frozen=True)
class Identity:
    """Who must have signed, keyless: a Fulcio certificate's identity (exact or a regexp) and issuer."""

    issuer: str
    identity: str = ""
    identity_regexp: str = ""

    def args(self) -> list[str]:
        which = ["--certificate-identity", self.identity] if self.identity else [
            "--certificate-identity-regexp", self.identity_regexp]
        return [*which, "--certificate-oidc-issuer", self.issuer]

    def __str__(self) -> str:
        return f"{self.identity or self.identity_regexp} ({self.issuer})"


def _run(args: list[str]) -> Result:
    try:
        return binding.run(args)
    except FileNotFoundError:
        raise EngineError(f"cosign is not installed: {INSTALL_HINT}") from None
    except OSError as exc:
        raise EngineError(f"cannot run cosign: {exc.strerror or exc}") from None


def reason(result: Result) -> str:
    """cosign's error on one line: its ``Error:`` line, else its last line."""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    for line in lines:
        if "Error: " in line:
            return line.split("Error: ", 1)[1]
    return lines[-1] if lines else f"exit code {result.returncode}"


def _key_reason(result: Result) -> str:
    why = reason(result)
    if "ioctl" in why or "decrypt" in why:
        return f"cannot decrypt it ({why}): set COSIGN_PASSWORD to the key's password"
    return why


def check_signing_key(key: str) -> None:
    """Fail before a build when cosign cannot use ``key`` to sign (missing, or the wrong password)."""
    result = _run(["public-key", "--key", key])
    if result.returncode != 0:
        raise BakegenError(f"signing key {key}: {_key_reason(result)}")


def sign(reference: str, key: str, annotations: Mapping[str, str] | None = None) -> None:
    """Sign one image by digest (``repo@sha256:...``); the signature goes to that repository and
    carries ``annotations`` (``-a key=value``), which ``cosign verify`` prints and can require."""
    notes = [arg for k, v in sorted((annotations or {}).items()) for arg in ("-a", f"{k}={v}")]
    result = _run(["sign", "--key", key, "--tlog-upload=false", "--yes", *notes, reference])
    if result.returncode != 0:
        raise EngineError(f"cosign could not sign {reference}: {reason(result)}")


def _annotations(payload: dict) -> dict[str, str]:
    """A signature payload's annotations: cosign prints them as ``optional`` (null without any)."""
    return {str(k): str(v) for k, v in (payload.get("optional") or {}).items()}


def verify(reference: str, key: str | Identity) -> Verification:
    """Check the signatures of one image reference against a public key, or keyless against a
    certificate identity (whose signatures are in Rekor, the transparency log, so it is checked)."""
    trust = key.args() if isinstance(key, Identity) else ["--key", key, "--insecure-ignore-tlog"]
    result = _run(["verify", *trust, "--output", "json", reference])
    if result.returncode != 0:
        return Verification(False, reason(result))
    try:
        payloads = json.loads(result.stdout)
        signatures = [(p["critical"]["image"]["docker-manifest-digest"], _annotations(p)) for p in payloads]
    except (ValueError, KeyError, TypeError, AttributeError):
        return Verification(False, f"cosign verify printed no signature payload: {result.stdout[:200]!r}")
    digests = {digest for digest, _ in signatures}
    return Verification(bool(digests), "" if digests else "no signature", digests, signatures)


@dataclass(frozen=True)
class BlobVerification:
    """What ``cosign verify-blob`` said about a file and its Sigstore bundle."""

    ok: bool
    reason: str = ""


def verify_blob(
    blob: Path, bundle: Path, *, identity: str, issuer: str, trusted_root: str | None = None
) -> BlobVerification:
    """Check a Sigstore bundle (python.org's ``.sigstore``) over ``blob`` for a certificate identity.

    ``--new-bundle-format`` reads the Sigstore bundle format python.org publishes (cosign 2.4+ reads
    it only with this flag). The certificate must name ``identity`` issued by ``issuer``, chain to
    Fulcio, and the signature must be in Rekor: cosign fetches the public-good instance's trusted
    root over TUF, unless ``trusted_root`` names one (a private instance's).
    """
    args = [
        "verify-blob", "--new-bundle-format", "--bundle", str(bundle),
        "--certificate-identity", identity, "--certificate-oidc-issuer", issuer,
    ]
    if trusted_root:
        args += ["--trusted-root", trusted_root]
    result = _run([*args, str(blob)])
    return BlobVerification(result.returncode == 0, "" if result.returncode == 0 else reason(result))
