"""Throw-away OpenPGP keys for the signature tests, made with gpg in a temporary GNUPGHOME.

Nothing here is a real release manager's key: each test session makes its own keys (ed25519, no
passphrase), signs what the tests serve, and writes a signers file that trusts them, the way
bakegen/keys/signers.toml trusts the real ones. ``--faked-system-time`` dates keys and signatures,
so that a key copy that expired before a signature was made can be built without waiting.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

#: The fixture keys: name -> user id.
USERS = {
    "signer": "Fixture Release Manager <signer@bakegen.invalid>",
    "stranger": "Fixture Stranger <stranger@bakegen.invalid>",
}


class Keys:
    """A GNUPGHOME with the fixture keys; :meth:`close` stops its agent and removes it."""

    def __init__(self) -> None:
        if shutil.which("gpg") is None:
            raise RuntimeError("the signature tests need gpg (Debian: apt-get install gpg)")
        # Short, so that gpg-agent's socket path fits (108 bytes on Linux).
        self.home = Path(tempfile.mkdtemp(prefix="bg-gpg-"))
        os.chmod(self.home, 0o700)
        self.fingerprints: dict[str, str] = {}
        for name, uid in USERS.items():
            self.gpg("--quick-gen-key", uid, "ed25519", "sign", "never")
            self.fingerprints[name] = self.fingerprint(uid)
        self.stale = self._stale_copy()

    def gpg(self, *args: str, faked: str | None = None, data: bytes | None = None) -> bytes:
        time = [f"--faked-system-time={faked}!"] if faked else []
        proc = subprocess.run(
            ["gpg", "--batch", "--quiet", "--yes", "--pinentry-mode", "loopback", "--passphrase", "", *time, *args],
            input=data, capture_output=True, env={**os.environ, "GNUPGHOME": str(self.home)}, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"gpg {' '.join(args)}: {proc.stderr.decode(errors='replace')}")
        return proc.stdout

    def fingerprint(self, uid: str) -> str:
        out = self.gpg("--with-colons", "--list-keys", uid).decode()
        return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))

    def _stale_copy(self) -> bytes:
        """A key whose copy here expired on 2020-01-10, extended later (as release managers do), so
        that it signs on 2020-02-01: the stale copy checks that signature as made after its expiry."""
        uid = "Fixture Extended <extended@bakegen.invalid>"
        self.gpg("--quick-gen-key", uid, "ed25519", "sign", "2020-01-10", faked="20200101T000000")
        self.fingerprints["extended"] = self.fingerprint(uid)
        stale = self.gpg("--armor", "--export", uid)
        self.gpg("--quick-set-expire", self.fingerprints["extended"], "2040-01-01", faked="20200102T000000")
        return stale

    def public(self, name: str) -> bytes:
        """The armored public key (for ``extended``: the stale copy)."""
        return self.stale if name == "extended" else self.gpg("--armor", "--export", USERS[name])

    def sign(self, data: bytes, name: str = "signer", *, faked: str | None = None) -> bytes:
        """An armored detached signature over ``data``."""
        uid = "extended@bakegen.invalid" if name == "extended" else USERS[name]
        return self.gpg("--armor", "--detach-sign", "--local-user", uid, "--output", "-", faked=faked, data=data)

    def signers_file(self, folder: Path, lines: list[str], name: str = "signer") -> Path:
        """A signers file giving ``lines`` to the fixture key ``name``, and its key file beside it."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.asc").write_bytes(self.public(name))
        listed = ", ".join(f'"{line}"' for line in lines)
        path = folder / "signers.toml"
        path.write_text(
            f'[[signer]]\nname = "Fixture {name}"\nlines = [{listed}]\nopenpgp = "{self.fingerprints[name]}"\n'
            f'key = "{name}.asc"\nsource = "tests/kit/sign.py: a throw-away key"\n'
        )
        return path

    def close(self) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": str(self.home)},
                           capture_output=True, check=False)
        shutil.rmtree(self.home, ignore_errors=True)
