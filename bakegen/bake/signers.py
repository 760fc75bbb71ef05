"""Who signs each CPython line's tarballs (``bakegen/keys/signers.toml``), and checking a release's
signature before ``versions update`` writes its sha256 (issue 18, item 1).

Up to 3.13 python.org publishes an OpenPGP signature (``<tarball>.asc``), checked with gpgv against
the key committed in ``bakegen/keys`` (:mod:`bakegen.openpgp`). From 3.14 on it publishes only a
Sigstore bundle (``<tarball>.sigstore``, PEP 761), checked with ``cosign verify-blob`` for the
release manager's certificate identity and OIDC issuer (:func:`bakegen.cosign.verify_blob`).

What a check proves is recorded in each ``versions/*.toml`` entry as ``verified``
(``bake.data.VERIFIED_RE``): ``openpgp:<fingerprint>``, ``sigstore:<identity>|<issuer>``, or
``unverified`` for entries whose signature bakegen never checked (their ``source`` says where the
sum was read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import cosign, openpgp
from ..errors import DataError
from ..untrusted import load_toml
from .data import LINE_RE

KEYS_DIR = Path(__file__).resolve().parents[1] / "keys"
SIGNERS_FILE = KEYS_DIR / "signers.toml"
UNVERIFIED = "unverified"

_FIELDS = {
    "name": str, "lines": list, "source": str, "openpgp": str, "key": str,
    "sigstore_identity": str, "sigstore_issuer": str,
}


#: A release whose signature does not verify, or cannot be checked (exit 2). Nothing was written.
SignatureError = openpgp.SignatureError


@dataclass(frozen=True)
class Signer:
    """One release manager: the lines they sign, and how their signatures are checked."""

    name: str
    lines: tuple[str, ...]
    source: str
    #: OpenPGP: the primary key's fingerprint (40 hex digits, upper case) and its key file.
    openpgp: str = ""
    key: Path | None = None
    #: Sigstore: the certificate identity and OIDC issuer.
    sigstore_identity: str = ""
    sigstore_issuer: str = ""

    @property
    def suffix(self) -> str:
        """The signature file python.org publishes beside each tarball."""
        return ".asc" if self.openpgp else ".sigstore"

    @property
    def label(self) -> str:
        """What ``verified`` records for a release this signer's signature was checked for."""
        if self.openpgp:
            return f"openpgp:{self.openpgp}"
        return f"sigstore:{self.sigstore_identity}|{self.sigstore_issuer}"


@dataclass(frozen=True)
class Signers:
    """The signers file, parsed; :meth:`for_line` answers who signs a line."""

    signers: tuple[Signer, ...]
    origin: str
    #: A Sigstore trusted root (``cosign verify-blob --trusted-root``) instead of the public-good
    #: instance's, which cosign fetches over TUF: for a private Sigstore instance, and for tests.
    trusted_root: str | None = None

    def for_line(self, line: str) -> Signer:
        for signer in self.signers:
            if line in signer.lines:
                return signer
        raise SignatureError(
            f"CPython {line}: {self.origin} names no signer for this line, so its releases cannot be verified: "
            "add the release manager's key or Sigstore identity there"
        )


def _check_fields(where: str, entry: Mapping[str, Any]) -> None:
    for key, value in entry.items():
        if key not in _FIELDS:
            raise DataError(f"{where}: unknown field '{key}' (known fields: {', '.join(sorted(_FIELDS))})")
        if not isinstance(value, _FIELDS[key]):
            raise DataError(f"{where}: field '{key}' must be a {_FIELDS[key].__name__}")
    for key in ("name", "lines", "source"):
        if key not in entry:
            raise DataError(f"{where}: missing field '{key}'")


def _signer(where: str, entry: Mapping[str, Any], keys_dir: Path) -> Signer:
    _check_fields(where, entry)
    lines = entry["lines"]
    if not lines or not all(isinstance(line, str) and LINE_RE.match(line) for line in lines):
        raise DataError(f"{where}: field 'lines' must list CPython lines such as \"3.13\"")
    pgp, sig = "openpgp" in entry, "sigstore_identity" in entry or "sigstore_issuer" in entry
    if pgp == sig:
        raise DataError(f"{where}: give either openpgp and key, or sigstore_identity and sigstore_issuer")
    if pgp:
        fingerprint = entry["openpgp"].replace(" ", "").upper()
        if len(fingerprint) != 40 or any(c not in "0123456789ABCDEF" for c in fingerprint) or "key" not in entry:
            raise DataError(f"{where}: 'openpgp' must be a 40-digit fingerprint, with 'key' naming its key file")
        key = keys_dir / entry["key"]
        if key.parent != keys_dir:
            raise DataError(f"{where}: field 'key' must name a file in {keys_dir}")
        return Signer(entry["name"], tuple(lines), entry["source"], openpgp=fingerprint, key=key)
    identity, issuer = entry.get("sigstore_identity", ""), entry.get("sigstore_issuer", "")
    if not identity or not issuer.startswith("https://") or "|" in identity + issuer:
        raise DataError(f"{where}: sigstore_identity and an https:// sigstore_issuer are both needed")
    return Signer(entry["name"], tuple(lines), entry["source"], sigstore_identity=identity, sigstore_issuer=issuer)


def load_signers(path: Path | None = None, *, trusted_root: str | None = None) -> Signers:
    """Parse a signers file (default: bakegen's own); key files are read only when a check needs them."""
    path = path or SIGNERS_FILE
    data = load_toml(path)
    entries = data.get("signer")
    if set(data) != {"signer"} or not isinstance(entries, list) or not entries:
        raise DataError(f"{path}: expected [[signer]] tables and nothing else")
    signers = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise DataError(f"{path}: signer[{i}] must be a table ([[signer]])")
        signers.append(_signer(f"{path}: signer[{i}]", entry, path.parent))
    seen: dict[str, str] = {}
    for signer in signers:
        for line in signer.lines:
            if line in seen:
                raise DataError(f"{path}: line {line} is given to both {seen[line]} and {signer.name}")
            seen[line] = signer.name
    return Signers(tuple(signers), str(path), trusted_root)


def verify_files(signers: Signers, line: str, tarball: Path, signature: Path, name: str) -> str:
    """Check ``signature`` over ``tarball`` (published as ``name``) for ``line``'s signer; returns
    the ``verified`` label. Raises :class:`SignatureError` (one line) when it does not verify."""
    signer = signers.for_line(line)
    if signer.openpgp:
        assert signer.key is not None
        if not signer.key.is_file():
            raise SignatureError(
                f"{name}: missing key: {signer.name}'s key {signer.openpgp} is not in {signer.key} "
                f"(see {signers.origin}), so the signature cannot be checked"
            )
        key = openpgp.keyring_from([signer.key])
        openpgp.verify_detached(
            signature, tarball, key=key, fingerprint=signer.openpgp, signer=signer.name, what=name,
            signature_name=name + signer.suffix,
        )
        return signer.label
    checked = cosign.verify_blob(
        tarball, signature, identity=signer.sigstore_identity, issuer=signer.sigstore_issuer,
        trusted_root=signers.trusted_root,
    )
    if not checked.ok:
        raise SignatureError(
            f"{name}: the Sigstore bundle {name}{signer.suffix} does not verify for {signer.sigstore_identity} "
            f"({signer.sigstore_issuer}): {checked.reason}"
        )
    return signer.label
