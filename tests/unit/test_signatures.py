"""CPython release signatures (issue 18, item 1): the committed keys, gpgv's verdicts on real and
broken material, the signers file, and the Sigstore check's command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from bakegen import cosign, openpgp
from bakegen.bake.data import load_releases
from bakegen.bake.signers import KEYS_DIR, SIGNERS_FILE, SignatureError, load_signers, verify_files
from bakegen.errors import DataError

REPO = Path(__file__).resolve().parents[2]
#: The offline build stack's copy of python.org's /ftp/python (.ci/run sets it up): 3.13.5 with its .asc.
MIRROR = Path(os.environ.get("BAKEGEN_TEST_PYTHON_MIRROR_DIR", "/var/lib/buildenv/python-mirror"))
WOUTERS = "7169605F62C751356D054A26A821E680E5FA6305"


def gpg_show(key: Path) -> list[str]:
    """The fingerprints gpg computes for a key file (in a throw-away GNUPGHOME)."""
    with tempfile.TemporaryDirectory(prefix="bg-show-") as home:
        out = subprocess.run(
            ["gpg", "--batch", "--with-colons", "--show-keys", str(key)], capture_output=True, text=True,
            env={**os.environ, "GNUPGHOME": home}, check=True,
        ).stdout
    return [line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:")]


def test_every_committed_key_is_the_key_its_fingerprint_names() -> None:
    """The fingerprint is what is trusted; a key file holding another key would verify nothing."""
    committed = 0
    for signer in load_signers().signers:
        if signer.openpgp and signer.key is not None and signer.key.exists():
            assert gpg_show(signer.key)[0] == signer.openpgp, signer.name
            committed += 1
    assert committed >= 1
    assert sorted(p.name for p in KEYS_DIR.glob("*.asc")) == ["thomas-wouters.asc"]


def test_every_line_in_versions_has_a_signer() -> None:
    signers = load_signers()
    for release in load_releases(REPO / "versions"):
        signer = signers.for_line(release.line)
        # PEP 761: python.org stops publishing OpenPGP signatures with 3.14.
        major, minor = map(int, release.line.split("."))
        assert bool(signer.openpgp) == ((major, minor) < (3, 14)), release.line


def mirror_files(tmp_path: Path) -> tuple[Path, Path]:
    tarball, signature = MIRROR / "3.13.5" / "Python-3.13.5.tar.xz", MIRROR / "3.13.5" / "Python-3.13.5.tar.xz.asc"
    if not (tarball.exists() and signature.exists()):
        pytest.skip(f"no offline mirror with CPython 3.13.5 and its signature at {MIRROR}")
    return tarball, signature


def test_the_real_key_verifies_the_real_release(tmp_path: Path) -> None:
    """Thomas Wouters' signature of Python-3.13.5.tar.xz, made 2025-06-11, with the key from Debian;
    the key has expired by now (2026-07-02), but not before the signature was made."""
    tarball, signature = mirror_files(tmp_path)
    assert verify_files(load_signers(), "3.13", tarball, signature, tarball.name) == f"openpgp:{WOUTERS}"


def test_the_real_key_refuses_a_tampered_copy_of_the_real_release(tmp_path: Path) -> None:
    tarball, signature = mirror_files(tmp_path)
    tampered = tmp_path / tarball.name
    shutil.copyfile(tarball, tampered)
    with tampered.open("r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 1]))
    with pytest.raises(SignatureError) as exc:
        verify_files(load_signers(), "3.13", tampered, signature, tarball.name)
    assert str(exc.value) == (
        f"Python-3.13.5.tar.xz: BAD signature by Thomas Wouters's key {WOUTERS}: "
        "the file is not the one that was signed"
    )


def test_the_3_11_key_is_missing_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "t").write_bytes(b"x")
    (tmp_path / "t.asc").write_bytes(b"x")
    with pytest.raises(SignatureError, match=r"missing key: Pablo Galindo Salgado's key A035C8C19219BA821ECEA86B64E6"):
        verify_files(load_signers(), "3.11", tmp_path / "t", tmp_path / "t.asc", "Python-3.11.18.tar.xz")


def test_a_damaged_key_file_is_refused() -> None:
    text = (KEYS_DIR / "thomas-wouters.asc").read_text()
    assert openpgp.dearmor(text, "k")  # the committed file's checksum holds
    lines = text.splitlines()
    body = next(i for i, line in enumerate(lines) if line.startswith("mQINB"))
    damaged = "\n".join([*lines[:body], lines[body][:-1] + ("A" if lines[body][-1] != "A" else "B"), *lines[body + 1:]])
    with pytest.raises(SignatureError, match="checksum does not match: the file is damaged"):
        openpgp.dearmor(damaged, "k")
    with pytest.raises(SignatureError, match="not an ASCII-armored OpenPGP public key"):
        openpgp.dearmor("hello", "k")


# --- the signers file ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[signer]]\nname = "a"\nlines = ["3.13"]\nsource = "s"\n', "give either openpgp and key, or sigstore"),
        ('[[signer]]\nname = "a"\nlines = ["3.13"]\nsource = "s"\nopenpgp = "ABCD"\nkey = "k.asc"\n',
         "'openpgp' must be a 40-digit fingerprint"),
        ('[[signer]]\nname = "a"\nlines = ["3.13"]\nsource = "s"\nopenpgp = "' + "A" * 40 + '"\nkey = "../k.asc"\n',
         "field 'key' must name a file in"),
        ('[[signer]]\nname = "a"\nlines = ["3.13"]\nsource = "s"\nsigstore_identity = "x@y"\n'
         'sigstore_issuer = "http://issuer"\n', "an https:// sigstore_issuer"),
        ('[[signer]]\nname = "a"\nlines = ["3.13"]\nsource = "s"\nsigstore_identity = "x@y"\n'
         'sigstore_issuer = "https://i"\ncolour = "b"\n', "unknown field 'colour'"),
        ('[[signer]]\nname = "a"\nlines = ["three"]\nsource = "s"\nsigstore_identity = "x@y"\n'
         'sigstore_issuer = "https://i"\n', "field 'lines' must list CPython lines"),
        ('[[signer]]\nname = "a"\nlines = ["3.13"]\nsource = "s"\nsigstore_identity = "x@y"\nsigstore_issuer = '
         '"https://i"\n[[signer]]\nname = "b"\nlines = ["3.13"]\nsource = "s"\nsigstore_identity = "x@y"\n'
         'sigstore_issuer = "https://i"\n', "line 3.13 is given to both a and b"),
        ("signer = 1\n", "expected [[signer]] tables"),
    ],
)
def test_the_signers_file_is_parsed_strictly(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "signers.toml"
    path.write_text(text)
    with pytest.raises(DataError) as exc:
        load_signers(path)
    assert message in str(exc.value) and str(path) in str(exc.value) and "\n" not in str(exc.value)


def test_the_shipped_signers_file_loads() -> None:
    signers = load_signers()
    assert signers.origin == str(SIGNERS_FILE)
    assert signers.for_line("3.13").label == f"openpgp:{WOUTERS}"
    assert signers.for_line("3.14").label == "sigstore:hugo@python.org|https://github.com/login/oauth"
    assert signers.for_line("3.14").suffix == ".sigstore" and signers.for_line("2.7").suffix == ".asc"


# --- Sigstore (3.14 and later) ------------------------------------------------------------------


class FakeCosign:
    """cosign verify-blob as cosign 2.5 answers: OK for the expected identity, its error otherwise."""

    def __init__(self, identity: str = "hugo@python.org") -> None:
        self.identity = identity
        self.calls: list[list[str]] = []

    def run(self, args):
        self.calls.append(list(args))
        given = args[args.index("--certificate-identity") + 1]
        if given == self.identity:
            return cosign.Result(0, "", "Verified OK\n")
        return cosign.Result(1, "", f"Error: none of the expected identities matched what was in the certificate, "
                                    f"got subjects [{self.identity}] with issuer https://github.com/login/oauth\n"
                                    "main.go:74: error during command execution\n")


def test_a_sigstore_bundle_is_checked_for_the_release_managers_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeCosign()
    monkeypatch.setattr(cosign, "binding", fake)
    blob, bundle = tmp_path / "Python-3.14.11.tar.xz", tmp_path / "Python-3.14.11.tar.xz.sigstore"
    label = verify_files(load_signers(), "3.14", blob, bundle, blob.name)
    assert label == "sigstore:hugo@python.org|https://github.com/login/oauth"
    assert fake.calls == [[
        "verify-blob", "--new-bundle-format", "--bundle", str(bundle), "--certificate-identity", "hugo@python.org",
        "--certificate-oidc-issuer", "https://github.com/login/oauth", str(blob),
    ]]


def test_a_bundle_signed_by_an_unknown_identity_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cosign, "binding", FakeCosign(identity="mallory@example.com"))
    blob = tmp_path / "Python-3.14.11.tar.xz"
    with pytest.raises(SignatureError) as exc:
        verify_files(load_signers(), "3.14", blob, tmp_path / "b.sigstore", blob.name)
    assert str(exc.value) == (
        "Python-3.14.11.tar.xz: the Sigstore bundle Python-3.14.11.tar.xz.sigstore does not verify for "
        "hugo@python.org (https://github.com/login/oauth): none of the expected identities matched what was in "
        "the certificate, got subjects [mallory@example.com] with issuer https://github.com/login/oauth"
    )


@pytest.mark.skipif(shutil.which("cosign") is None, reason="cosign is not installed (.ci/run installs it)")
@pytest.mark.parametrize(
    "bundle", [b"not a bundle\n", b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}'],
    ids=["garbage", "empty-bundle"],
)
def test_real_cosign_refuses_what_it_cannot_verify(tmp_path: Path, bundle: bytes) -> None:
    """With the real cosign, on this machine (no route to Sigstore's TUF repository): a bundle that is
    not one, or cannot be checked, is refused in one line, never taken as verified."""
    blob, path = tmp_path / "Python-3.14.11.tar.xz", tmp_path / "Python-3.14.11.tar.xz.sigstore"
    blob.write_bytes(b"bakegen fixture Python-3.14.11.tar.xz")
    path.write_bytes(bundle)
    with pytest.raises(SignatureError) as exc:
        verify_files(load_signers(), "3.14", blob, path, blob.name)
    assert str(exc.value).startswith("Python-3.14.11.tar.xz: the Sigstore bundle Python-3.14.11.tar.xz.sigstore "
                                     "does not verify for hugo@python.org (https://github.com/login/oauth): ")
    assert "\n" not in str(exc.value)


def test_versions_update_with_the_real_key_and_release(project_dir: Path, clean_env, tmp_path: Path) -> None:
    """End to end on real material: a mirror (served here on 127.0.0.1) holding the offline stack's
    Python-3.13.5.tar.xz and its .asc, a project pinning 3.13.4, bakegen's own keys."""
    import http.server
    import socket
    import threading
    from functools import partial

    from bakegen.bake.data import load_release
    from bakegen.bakefile import render_project
    from bakegen.project import Project
    from bakegen.versions import VersionsRequest, update_versions

    tarball, signature = mirror_files(tmp_path)
    root = tmp_path / "mirror"
    (root / "3.13.5").mkdir(parents=True)
    for f in (tarball, signature):
        (root / "3.13.5" / f.name).symlink_to(f)
    sha = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
    (root / "SHA256SUMS").write_text(f"{sha}  Python-3.13.5.tar.xz\n")
    text = (project_dir / "versions" / "3.13.toml").read_text()
    pinned = text.split("[[previous]]")[0].replace("3.13.15", "3.13.4").replace(
        "1e66a7945a48390ee4c2a4268a0e4185884059a13c4aab6d148aa208deea4a76", "a" * 64)
    (project_dir / "versions" / "3.13.toml").write_text(pinned)
    render_project(Project(project_dir), lambda line: None)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with socket.socket() as s:  # a release API nobody answers for: the cross-check is noted, not fatal
        s.bind(("127.0.0.1", 0))
        api = f"http://127.0.0.1:{s.getsockname()[1]}"
    try:
        mirror = f"http://127.0.0.1:{server.server_address[1]}"
        update_versions(Project(project_dir), VersionsRequest(mirror=mirror, api=api, lines=["3.13"]))
    finally:
        server.shutdown()
        server.server_close()
    release = load_release(project_dir / "versions" / "3.13.toml")
    assert (release.version, release.tarball.sha256) == ("3.13.5", sha)
    assert release.tarball.verified == f"openpgp:{WOUTERS}"
    assert "not cross-checked: the release API is unreachable" in release.source
