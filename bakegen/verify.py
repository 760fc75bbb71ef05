"""``bakegen verify``: each image's cosign signature, for its tag, and provenance (the checks are in
``signing``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import signing
from .errors import VerificationFailed
from .options import merged


@dataclass
class VerifyRequest:
    """What ``bakegen verify`` was asked for."""

    #: Images in a registry: REPOSITORY:TAG or REPOSITORY@DIGEST.
    images: list[str]
    #: The cosign public key the images were signed with; None: keyless, by ``identity`` and ``issuer``.
    key: str | None = None
    #: The repository the provenance must name; None: SOURCE_URL, else the git remote of ``project_dir``.
    source: str | None = None
    project_dir: Path = Path(".")
    #: Keyless: the certificate identity (or a regular expression for it) and OIDC issuer; None: the
    #: defaults of ``signing.verifier`` (this repository's build.yml on main, GitHub Actions).
    identity: str | None = None
    identity_regexp: str | None = None
    issuer: str | None = None


def verify(
    request: VerifyRequest, report: Callable[[str], None], environ: Mapping[str, str] | None = None
) -> list[signing.Verdict]:
    """One line per image, OK or FAILED; VerificationFailed (exit 4) when any image fails."""
    trust = signing.verifier(
        request.project_dir, key=request.key, identity=request.identity, identity_regexp=request.identity_regexp,
        issuer=request.issuer,
    )
    given = merged({"SOURCE_URL": ""}, os.environ if environ is None else environ, {"SOURCE_URL": request.source})
    source = given["SOURCE_URL"] or signing.default_source(request.project_dir)
    verdicts = signing.verify_images(request.images, trust, source, report)
    failed = [v for v in verdicts if not v.ok]
    if failed:
        raise VerificationFailed(f"{len(failed)} of {len(verdicts)} image(s) failed verification")
    return verdicts
