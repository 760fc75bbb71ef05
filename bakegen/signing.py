"""Signing what ``build --push --sign`` pushed, and ``verify``: a valid signature and a provenance
that names the source repository.

What gets signed: each pushed manifest list by digest, in every repository it was pushed to. The
digests come from bake's metadata file (``containerimage.digest`` per target; ``image.name`` lists
every name it was pushed as), so the signature covers what this build pushed, not whatever a tag
points at by the time it is read back. A digest names one content in every registry, and cosign
stores a signature next to the image (``<repository>:sha256-<digest>.sig``), so each repository
gets its own signature; tags of one repository share it.

What "the provenance names this repository" means: every platform's SLSA provenance records at
least one source URL, and every one it records is the expected repository. BuildKit records up to
three (https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md):
``vcs.source`` in its metadata (buildx sends the git remote of a local build context), the
``configSource.uri`` of a build from a git URL, and the ``org.opencontainers.image.source`` label
among the request's args (SOURCE_URL of the bake file; mode=max). URLs compare by host and path:
scheme, credentials, a ``.git`` suffix, a trailing slash and letter case do not count, and
``git@host:owner/repo`` is ``https://host/owner/repo``. BuildKit does not check these values; the
signature is what vouches for them, since it covers the manifest list, which names the attestation
manifests by digest.

What a signature is for: ``--sign`` signs each (repository, digest) once per tag, each signature
annotated (``cosign sign -a``) with that tag and the image's CPython version (:data:`TAG_ANNOTATION`,
:data:`VERSION_ANNOTATION`). ``verify`` of ``REPOSITORY:TAG`` then requires a verified signature of
the digest the tag names that was made *for that tag*, so a signed image of another line, moved
under this tag, fails; plain cosign checks the same with ``-a tag=TAG``.

Who signed: a public key (``--key``, bakegen's key-pair signatures, kept out of Rekor), or keyless
(the publishing workflow's): a Fulcio certificate for a given identity and OIDC issuer, found in
Rekor. The default identity is this repository's ``build.yml`` on ``main``, which is what the
workflow's merge job signs as.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cosign, engine
from .errors import BakegenError, EngineError

#: The SLSA v0.2 key of BuildKit's own metadata; SLSA v1 calls it ``buildkit_metadata``.
BUILDKIT_METADATA = "https://mobyproject.org/buildkit@v1#metadata"
SOURCE_LABEL = "label:org.opencontainers.image.source"
REVISION_LABEL = "label:org.opencontainers.image.revision"
#: The signature annotations ``--sign`` writes and ``verify`` checks.
TAG_ANNOTATION = "tag"
VERSION_ANNOTATION = "python-version"
#: GitHub Actions' OIDC issuer, in the certificates Fulcio gives a workflow
#: (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect).
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
#: The workflow that publishes, and the branch it publishes from: the certificate's identity is
#: ``https://github.com/<owner>/<repo>/.github/workflows/build.yml@refs/heads/main``.
WORKFLOW = ".github/workflows/build.yml"
DEFAULT_BRANCH_REF = "refs/heads/main"


# --- signing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pushed:
    """One manifest list in one repository, with the tags it was pushed as there."""

    repository: str
    digest: str
    tags: tuple[str, ...]
    #: The CPython release the image holds ("" where unknown, e.g. the sbom-generator).
    version: str = ""

    @property
    def reference(self) -> str:
        return f"{self.repository}@{self.digest}"


def split_name(name: str) -> tuple[str, str]:
    """``registry:5000/ns/python:3.13-wee`` -> (``registry:5000/ns/python``, ``3.13-wee``)."""
    name = name.strip().split("@", 1)[0]
    repository, sep, tag = name.rpartition(":")
    if not sep or "/" in tag:  # no tag, only a registry port
        return name, ""
    return repository, tag


def pushed_images(metadata: Mapping[str, Any], versions: Mapping[str, str] | None = None) -> list[Pushed]:
    """Every (repository, digest) in bake's metadata, with its tags and (from ``versions``, by target)
    its CPython version; a target without a digest is an error."""
    tags: dict[tuple[str, str], list[str]] = {}
    version_of: dict[str, str] = {}
    for target, entry in sorted(metadata.items()):
        if not isinstance(entry, dict) or "image.name" not in entry:
            continue  # not a target (bake also records e.g. buildx.build.warnings)
        digest = entry.get("containerimage.digest", "")
        if not digest.startswith("sha256:"):
            raise EngineError(f"bake reported no pushed digest for {target}; nothing of it is signed")
        version_of[digest] = (versions or {}).get(target, "")
        for name in entry["image.name"].split(","):
            repository, tag = split_name(name)
            tags.setdefault((repository, digest), []).append(tag)
    if not tags:
        raise EngineError("bake reported no pushed image; nothing signed")
    return [
        Pushed(repo, digest, tuple(t for t in names if t), version_of[digest])
        for (repo, digest), names in sorted(tags.items())
    ]


def annotations(image: Pushed, tag: str) -> dict[str, str]:
    """What the signature of ``image`` for ``tag`` carries."""
    notes = {TAG_ANNOTATION: tag} if tag else {}
    return {**notes, VERSION_ANNOTATION: image.version} if image.version else notes


def signing_key(*, sign: bool, key: str | None, push: bool, environ: Mapping[str, str]) -> str | None:
    """The key ``build`` signs with, checked before the build; None when not signing."""
    if not sign:
        if key:
            raise BakegenError("--sign-key names the key for --sign; add --sign")
        return None
    if not push:
        raise BakegenError("--sign signs what --push pushes; add --push")
    key = key or environ.get("COSIGN_KEY")
    if not key:
        raise BakegenError("--sign needs a private key: --sign-key KEY or COSIGN_KEY (see `cosign generate-key-pair`)")
    cosign.check_signing_key(key)
    return key


def sign_pushed(
    metadata_file: Path, key: str, report: Callable[[str], None], versions: Mapping[str, str] | None = None
) -> list[Pushed]:
    """Sign every manifest list a ``--push`` build recorded in ``metadata_file``, by digest, once per
    tag (see the module's docstring); ``versions`` maps target names to their CPython version."""
    try:
        metadata = json.loads(metadata_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EngineError(f"cannot read bake's metadata file {metadata_file}: {exc}") from None
    images = pushed_images(metadata, versions)
    for done, image in enumerate(images):
        try:
            for tag in image.tags or ("",):
                cosign.sign(image.reference, key, annotations(image, tag))
        except EngineError as exc:
            unsigned = ", ".join(i.reference for i in images[done:])
            raise EngineError(f"{exc}; pushed but not signed: {unsigned}") from None
        report(f"signed {image.reference} ({', '.join(image.tags) or 'no tag'})")
    return images


# --- verifying --------------------------------------------------------------------------------------


@dataclass
class Verdict:
    """``verify``'s answer for one image."""

    image: str
    ok: bool
    digest: str = ""
    detail: str = ""

    def line(self) -> str:
        status = "OK    " if self.ok else "FAILED"
        return f"{status} {self.image} {self.digest or '-'}: {self.detail}"


def normalize_source(url: str) -> str:
    """A repository URL reduced to host and path, for comparison (see the module's docstring)."""
    url = url.strip()
    if "://" not in url and ":" in url.split("/", 1)[0]:  # scp-like git@host:owner/repo
        host, _, path = url.partition(":")
        url = f"https://{host.rsplit('@', 1)[-1]}/{path}"
    parts = urllib.parse.urlsplit(url)
    if parts.scheme and parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        url = f"{parts.hostname}{port}/{parts.path.strip('/')}"
    return url.rstrip("/").removesuffix(".git").casefold()


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _first(*values: Any) -> dict:
    return next((v for v in values if isinstance(v, dict)), {})


def recorded_sources(predicate: Mapping[str, Any]) -> dict[str, str]:
    """The source URLs a BuildKit SLSA provenance (v0.2 or v1) records, by where it records them."""
    vcs = _first(_dig(predicate, "metadata", BUILDKIT_METADATA, "vcs"),
                 _dig(predicate, "runDetails", "metadata", "buildkit_metadata", "vcs"))
    args = _first(_dig(predicate, "invocation", "parameters", "args"),
                  _dig(predicate, "buildDefinition", "externalParameters", "request", "args"))
    config = _first(_dig(predicate, "invocation", "configSource"),
                    _dig(predicate, "buildDefinition", "externalParameters", "configSource"))
    found = {"vcs source": vcs.get("source"), "source label": args.get(SOURCE_LABEL), "git context": config.get("uri")}
    return {where: value for where, value in found.items() if isinstance(value, str) and value}


def recorded_revision(predicate: Mapping[str, Any]) -> str:
    vcs = _first(_dig(predicate, "metadata", BUILDKIT_METADATA, "vcs"),
                 _dig(predicate, "runDetails", "metadata", "buildkit_metadata", "vcs"))
    args = _first(_dig(predicate, "invocation", "parameters", "args"),
                  _dig(predicate, "buildDefinition", "externalParameters", "request", "args"))
    return str(vcs.get("revision") or args.get(REVISION_LABEL) or "")


def platform_predicates(provenance: Any) -> dict[str, dict]:
    """platform -> SLSA predicate from ``imagetools inspect --format '{{ json .Provenance }}'``,
    which leaves the platform key out when the image has one platform."""
    if not isinstance(provenance, dict):
        return {}
    if "SLSA" in provenance:
        return {"": provenance["SLSA"]} if isinstance(provenance["SLSA"], dict) else {}
    return {p: v["SLSA"] for p, v in sorted(provenance.items()) if isinstance(_dig(v, "SLSA"), dict)}


def provenance_problems(provenance: Any, source: str) -> list[str]:
    """Why a provenance does not name ``source``; empty when it does."""
    predicates = platform_predicates(provenance)
    if not predicates:
        return ["no SLSA provenance (was it pushed without attestations?)"]
    expected = normalize_source(source)
    problems = []
    for platform, predicate in predicates.items():
        where = f"{platform}: " if platform else ""
        sources = recorded_sources(predicate)
        if not sources:
            problems.append(f"{where}the provenance records no source")
        problems += [
            f"{where}provenance {what} is {value}, not {source}"
            for what, value in sources.items()
            if normalize_source(value) != expected
        ]
    return problems


def _revisions(provenance: Any) -> str:
    revisions = sorted({recorded_revision(p) for p in platform_predicates(provenance).values()} - {""})
    return ", ".join(r[:12] for r in revisions) or "no revision recorded"


def tag_version(tag: str) -> str:
    """The version a tag names (``3.13.18t-wee`` -> ``3.13.18``, ``3-wee`` -> ``3``); "" for others (latest)."""
    m = re.match(r"^(\d+(?:\.\d+){0,2}(?:(?:a|b|rc)\d+)?)t?-", tag)
    return m.group(1) if m else ""


def signed_for(checked: cosign.Verification, digest: str, tag: str) -> str:
    """Why the verified signatures of ``digest`` do not vouch for ``tag`` (and its CPython version); "" if they do."""
    tags = sorted(set(checked.annotations(digest, TAG_ANNOTATION)))
    if tag not in tags:
        return f"signed, but not for the tag {tag} (signed for: {', '.join(tags) or 'no tag'})"
    wanted = tag_version(tag)
    versions = {notes.get(VERSION_ANNOTATION, "") for d, notes in checked.signatures
                if d == digest and notes.get(TAG_ANNOTATION) == tag}
    if wanted and not any(v == wanted or v.startswith(wanted + ".") for v in versions):
        return f"signed for {tag}, but as CPython {', '.join(sorted(versions)) or '(none recorded)'}, not {wanted}"
    return ""


def verify_image(image: str, key: str | cosign.Identity, source: str) -> Verdict:
    """Signature first, then provenance, both of one digest: the one the image resolves to now."""
    try:
        digest = engine.image_digest(image)
    except EngineError as exc:
        return Verdict(image, False, detail=str(exc))
    repository, tag = split_name(image)
    reference = f"{repository}@{digest}"
    checked = cosign.verify(reference, key)
    if not checked.ok or digest not in checked.digests:
        return Verdict(image, False, digest, f"no signature verifies with {key} ({checked.reason or 'other digest'})")
    tag = "" if "@" in image else tag
    problem = signed_for(checked, digest, tag) if tag else ""
    if problem:
        return Verdict(image, False, digest, problem)
    try:
        provenance = engine.image_field(reference, "Provenance")
    except EngineError as exc:
        return Verdict(image, False, digest, f"signed, but {exc}")
    problems = provenance_problems(provenance, source)
    if problems:
        return Verdict(image, False, digest, "signed, but " + "; ".join(problems))
    return Verdict(image, True, digest, f"signed ({key}){_for(checked, digest, tag)}; provenance names {source} at "
                   f"{_revisions(provenance)}")


def _for(checked: cosign.Verification, digest: str, tag: str) -> str:
    """`` for TAG, CPython VERSION`` as the signature records them; "" for an image asked for by digest."""
    if not tag:
        return ""
    versions = sorted({n.get(VERSION_ANNOTATION, "") for d, n in checked.signatures if d == digest
                       and n.get(TAG_ANNOTATION) == tag} - {""})
    return f" for {tag}" + (f", CPython {', '.join(versions)}" if versions else "")


def check_public_key(key: str) -> None:
    """A file key must be a PEM public key; KMS and env:// keys are left to cosign."""
    if "://" in key:
        return
    try:
        text = Path(key).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise BakegenError(f"--key {key}: cannot read it: {exc.strerror or exc}") from None
    if "PRIVATE KEY-----" in text:
        raise BakegenError(f"--key {key} is a private key; verify takes the public one (cosign.pub)")
    if "PUBLIC KEY-----" not in text:
        raise BakegenError(f"--key {key}: not a PEM public key (like the cosign.pub of `cosign generate-key-pair`)")


def default_source(root: Path) -> str:
    """The ``origin`` remote of the project's git clone: the repository a user verifies against."""
    try:
        proc = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"], capture_output=True, text=True)
    except OSError:
        proc = None
    if proc is None or proc.returncode != 0 or not proc.stdout.strip():
        raise BakegenError(f"no --source given, and {root} has no git remote 'origin' to take it from")
    return proc.stdout.strip()


def github_repository(url: str) -> str:
    """``owner/repo`` of a github.com remote URL (https, ssh or scp-like), letter case kept; "" otherwise."""
    url = url.strip()
    m = re.match(r"^(?:https://|ssh://git@|git@)github\.com[/:]([^/\s]+)/([^/\s]+?)(?:\.git)?/?$", url)
    return f"{m.group(1)}/{m.group(2)}" if m else ""


def default_identity(root: Path) -> str:
    """The certificate identity of this repository's publishing workflow on the default branch,
    from the git remote ``origin`` (github.com only)."""
    try:
        origin = default_source(root)
    except BakegenError:
        origin = ""
    repository = github_repository(origin)
    if not repository:
        where = f"its git remote 'origin' ({origin}) is not on github.com" if origin else "it has no remote 'origin'"
        raise BakegenError(
            f"no --key or --certificate-identity given, and {root} cannot name the signing workflow: {where}; "
            f"pass --certificate-identity https://github.com/OWNER/REPO/{WORKFLOW}@{DEFAULT_BRANCH_REF}"
        )
    return f"https://github.com/{repository}/{WORKFLOW}@{DEFAULT_BRANCH_REF}"


def verifier(
    root: Path, *, key: str | None, identity: str | None, identity_regexp: str | None, issuer: str | None
) -> str | cosign.Identity:
    """What ``verify`` checks signatures against: the public key, or a keyless identity (default:
    this repository's build.yml on main, issued by GitHub Actions)."""
    if key:
        if identity or identity_regexp or issuer:
            raise BakegenError("--key and --certificate-identity/-regexp/--certificate-oidc-issuer exclude each other")
        check_public_key(key)
        return key
    if identity and identity_regexp:
        raise BakegenError("--certificate-identity and --certificate-identity-regexp exclude each other; give one")
    if identity_regexp:
        # cosign reads it with Go's regexp syntax; it reports a malformed one itself.
        return cosign.Identity(issuer or GITHUB_ISSUER, identity_regexp=identity_regexp)
    return cosign.Identity(issuer or GITHUB_ISSUER, identity=identity or default_identity(root))


def verify_images(
    images: Iterable[str], key: str | cosign.Identity, source: str, report: Callable[[str], None]
) -> list[Verdict]:
    verdicts = []
    for image in images:
        verdicts.append(verify_image(image, key, source))
        report(verdicts[-1].line())
    return verdicts
