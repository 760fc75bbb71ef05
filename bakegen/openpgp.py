"""Checking a detached OpenPGP signature with gpgv against keys bakegen ships, never the user's keyring.

gpgv (GnuPG's verify-only tool; Debian package gpgv) takes a keyring file and trusts every key in
it. bakegen builds that keyring per check, in a temporary folder, from the one key file that
``bakegen/keys/signers.toml`` names for the line, and runs gpgv with ``GNUPGHOME`` pointing at that
folder too, so neither ``~/.gnupg`` nor a ``trustedkeys.kbx`` there takes part.

What counts as verified is read from gpgv's machine-readable status lines (``--status-fd``; the
keywords are GnuPG's doc/DETAILS), not from its exit code alone:

* a ``VALIDSIG`` whose primary-key fingerprint is the expected one: a signature by any other key
  in the file, or by a subkey of another key, does not count;
* no ``BADSIG`` (the file is not what was signed), ``ERRSIG`` (no key to check it: signed by
  another key), ``REVKEYSIG`` (the key is revoked) or ``EXPSIG`` (the signature itself expired);
* ``EXPKEYSIG``, a good signature by a key that has expired *by now*, counts only when the
  signature was made before the key expired (``KEYEXPIRED`` gives the expiry). Release managers
  extend their keys' expiry from time to time; a copy in this repository that is older than a
  release's signature is refused, with a hint to refresh it.
"""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .errors import DataError, EngineError

GPGV = "gpgv"
INSTALL_HINT = "install gpgv (Debian: apt-get install gpgv)"
ARMOR_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
ARMOR_END = "-----END PGP PUBLIC KEY BLOCK-----"
STATUS_PREFIX = "[GNUPG:] "


class SignatureError(DataError):
    """A signature that does not verify, or cannot be checked; nothing was written."""


def crc24(data: bytes) -> int:
    """The OpenPGP armor checksum (RFC 4880, section 6.1)."""
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def dearmor(text: str, where: str) -> bytes:
    """The binary packets of an ASCII-armored public key block, its checksum checked.

    gpgv reads binary keyrings only; decoding here keeps gpg (and its keyring handling) out.
    """
    lines = [line.strip() for line in text.splitlines()]
    try:
        start, end = lines.index(ARMOR_BEGIN), lines.index(ARMOR_END)
    except ValueError:
        raise SignatureError(f"{where}: not an ASCII-armored OpenPGP public key ({ARMOR_BEGIN} ...)") from None
    body = lines[start + 1 : end]
    # Armor headers ("Comment: ...") end at the first blank line.
    if "" in body:
        body = body[body.index("") + 1 :]
    checksum = next((line for line in body if line.startswith("=")), None)
    data_lines = [line for line in body if line and not line.startswith("=")]
    try:
        data = base64.b64decode("".join(data_lines), validate=True)
    except ValueError:
        raise SignatureError(f"{where}: the key block is not valid base64") from None
    if checksum is not None:
        try:
            expected = int.from_bytes(base64.b64decode(checksum[1:], validate=True), "big")
        except ValueError:
            raise SignatureError(f"{where}: the key block's checksum line is not valid base64") from None
        if crc24(data) != expected:
            raise SignatureError(f"{where}: the key block's checksum does not match: the file is damaged")
    if not data:
        raise SignatureError(f"{where}: the key block is empty")
    return data


@dataclass
class Status:
    """gpgv's status lines, by keyword (each keyword's argument lists, in order)."""

    lines: dict[str, list[list[str]]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Status:
        status = cls()
        for line in text.splitlines():
            if line.startswith(STATUS_PREFIX):
                keyword, *args = line[len(STATUS_PREFIX) :].split()
                status.lines.setdefault(keyword, []).append(args)
        return status

    def get(self, keyword: str) -> list[list[str]]:
        return self.lines.get(keyword, [])


@dataclass(frozen=True)
class Verified:
    """A signature that verified: by which primary key, and when it was made."""

    fingerprint: str
    signed_at: datetime


def _date(timestamp: str) -> str:
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d")


def run_gpgv(keyring: bytes, signature: Path, data: Path) -> tuple[int, str]:
    """gpgv's exit code and status output, with ``keyring`` as the only keyring."""
    with tempfile.TemporaryDirectory(prefix="bakegen-gpgv-") as home:
        ring = Path(home) / "release-keys.gpg"
        ring.write_bytes(keyring)
        os.chmod(home, 0o700)
        try:
            proc = subprocess.run(
                [GPGV, "--status-fd", "1", "--keyring", str(ring), str(signature), str(data)],
                capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
                env={**os.environ, "GNUPGHOME": home, "LC_ALL": "C"},
            )
        except FileNotFoundError:
            raise EngineError(f"gpgv is not installed: {INSTALL_HINT}") from None
        except OSError as exc:
            raise EngineError(f"cannot run gpgv: {exc.strerror or exc}") from None
    return proc.returncode, proc.stdout


def verify_detached(
    signature: Path, data: Path, *, key: bytes, fingerprint: str, signer: str, what: str, signature_name: str = ""
) -> Verified:
    """Check that ``signature`` is a good signature over ``data`` by the primary key ``fingerprint``.

    ``key`` is the signer's public key (binary packets); ``signer`` and ``what`` (the file's name)
    word the one-line error. Raises :class:`SignatureError` for every way the check fails.
    """
    fingerprint = fingerprint.upper()
    _, out = run_gpgv(key, signature, data)
    return judge(Status.parse(out), fingerprint=fingerprint, signer=signer, what=what, signature_name=signature_name)


def judge(
    status: Status, *, fingerprint: str, signer: str, what: str, signature_name: str = ""
) -> Verified:
    """The verdict on gpgv's status lines; see the module's docstring for the rules."""
    who = f"{signer}'s key {fingerprint}"
    if status.get("NODATA") or not status.get("NEWSIG"):
        raise SignatureError(f"{signature_name or what + '.asc'} is not an OpenPGP signature")
    if status.get("BADSIG"):
        raise SignatureError(f"{what}: BAD signature by {who}: the file is not the one that was signed")
    for args in status.get("ERRSIG"):
        # ERRSIG <keyid> <pkalgo> <hashalgo> <sig_class> <time> <rc> [<fpr>]; rc 9: no public key.
        keyid = args[-1] if len(args) > 6 else args[0] if args else "?"
        rc = args[5] if len(args) > 5 else "?"
        reason = "which is not the signer's" if rc == "9" else f"which gpgv cannot check (code {rc})"
        raise SignatureError(f"{what}: signed by key {keyid}, {reason}: not {who}")
    if status.get("REVKEYSIG"):
        raise SignatureError(f"{what}: signed by {who}, which is revoked")
    if status.get("EXPSIG"):
        raise SignatureError(f"{what}: the signature by {who} has expired")
    valid = [args for args in status.get("VALIDSIG") if len(args) >= 10 and args[9].upper() == fingerprint]
    if not valid:
        found = ", ".join(args[9] if len(args) >= 10 else args[0] for args in status.get("VALIDSIG")) or "none"
        raise SignatureError(f"{what}: no valid signature by {who} (valid signatures by: {found})")
    signed_at = int(valid[0][2])
    if status.get("EXPKEYSIG"):
        expiries = [int(args[0]) for args in status.get("KEYEXPIRED") if args and args[0].isdigit()]
        expired = min(expiries) if expiries else 0
        if not expired or signed_at >= expired:
            when = f" on {_date(str(expired))}" if expired else ""
            raise SignatureError(
                f"{what}: signed on {_date(str(signed_at))} by {who}, which expired{when}, before the signature "
                f"was made: refresh the key file in bakegen/keys (a newer copy carries the extended expiry)"
            )
    if not status.get("GOODSIG") and not status.get("EXPKEYSIG"):
        raise SignatureError(f"{what}: gpgv reported no good signature by {who}")
    return Verified(fingerprint, datetime.fromtimestamp(signed_at, UTC))


def keyring_from(files: Sequence[Path]) -> bytes:
    """The binary keyring of armored key files; a missing file is a one-line error naming it."""
    ring = b""
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SignatureError(f"missing key: {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SignatureError(f"{path}: cannot read the key: {exc}") from None
        ring += dearmor(text, str(path))
    return ring
