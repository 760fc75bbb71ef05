"""An SBOM generator for BuildKit that works offline, and the image that runs it.

BuildKit's default generator (docker/buildkit-syft-scanner) is pulled from Docker Hub, which an
air-gapped builder cannot reach. This module implements BuildKit's SBOM scanning protocol
(https://github.com/moby/buildkit/blob/master/docs/attestations/sbom-protocol.md) for what
bakegen images hold: the Debian packages (from dpkg's status file), CPython itself and the Python
distributions in its site-packages. The Dockerfile's ``sbom-generator`` stage runs it with the
interpreter bakegen built, so it needs nothing from outside.

It reads only the standard library and the scanned file systems.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SPDX_VERSION = "SPDX-2.3"
PREDICATE_TYPE = "https://spdx.dev/Document"
STATEMENT_TYPE = "https://in-toto.io/Statement/v0.1"
TOOL = "bakegen-sbom"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    #: Package URL (https://github.com/package-url/purl-spec).
    purl: str
    supplier: str = "NOASSERTION"
    license: str = "NOASSERTION"


def _stanzas(text: str) -> Iterator[dict[str, str]]:
    """Paragraphs of a deb822 file (dpkg's status), continuation lines folded in."""
    fields: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, key = {}, None
        elif line[0] in " \t" and key:
            fields[key] += "\n" + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    if fields:
        yield fields


def debian_packages(root: Path) -> list[Package]:
    status = root / "var/lib/dpkg/status"
    if not status.is_file():
        return []
    distro = "debian"
    os_release = root / "etc/os-release"
    if os_release.is_file():
        m = re.search(r"^ID=\"?([a-z0-9._-]+)", os_release.read_text(errors="replace"), re.M)
        distro = m.group(1) if m else distro
    packages = []
    for s in _stanzas(status.read_text(errors="replace")):
        if "install ok installed" not in s.get("Status", ""):
            continue
        name, version, arch = s.get("Package", ""), s.get("Version", ""), s.get("Architecture", "")
        purl = f"pkg:deb/{distro}/{name}@{version}?arch={arch}"
        if s.get("Source"):
            purl += f"&upstream={s['Source'].split()[0]}"
        supplier = f"Organization: {s['Maintainer']}" if s.get("Maintainer") else "NOASSERTION"
        packages.append(Package(name, version, purl, supplier))
    return packages


def python_packages(root: Path) -> list[Package]:
    packages = []
    for lib in sorted((root / "usr/local/lib").glob("python*")):
        # python3.13t: a free-threaded CPython's stdlib carries its ABI flag
        m = re.fullmatch(r"python((\d+\.\d+)t?)", lib.name)
        if not m or not (lib / "os.py").exists():
            continue
        ldversion, version = m.groups()
        if (root / "usr/local/bin" / f"python{ldversion}").exists():
            patch = _cpython_version(root, ldversion) or version
            packages.append(
                Package(
                    "cpython",
                    patch,
                    f"pkg:generic/cpython@{patch}",
                    "Organization: Python Software Foundation",
                    "PSF-2.0",
                )
            )
        for meta in sorted((lib / "site-packages").glob("*.dist-info/METADATA")):
            msg = email.parser.Parser().parsestr(meta.read_text(errors="replace"), headersonly=True)
            name, ver = msg.get("Name", ""), msg.get("Version", "")
            if name and ver:
                normalized = re.sub(r"[-_.]+", "-", name).lower()
                packages.append(
                    Package(
                        name,
                        ver,
                        f"pkg:pypi/{normalized}@{ver}",
                        license=msg.get("License-Expression") or "NOASSERTION",
                    )
                )
    return packages


def _cpython_version(root: Path, ldversion: str) -> str | None:
    """The patch release, read from the sysconfig data CPython installs beside its stdlib
    (``ldversion``: ``3.13``, or ``3.13t`` for a free-threaded build)."""
    for data in (root / f"usr/local/lib/python{ldversion}").glob("_sysconfigdata_*.py"):
        m = re.search(r"'py_version': '([^']+)'", data.read_text(errors="replace"))
        if m:
            return m.group(1)
    header = root / f"usr/local/include/python{ldversion}/patchlevel.h"
    if header.is_file():
        m = re.search(r'#define PY_VERSION\s+"([^"]+)"', header.read_text(errors="replace"))
        if m:
            return m.group(1)
    return None


def _spdx_id(text: str) -> str:
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]+", "-", text)


def document(root: Path, name: str) -> dict:
    """An SPDX 2.3 document for the file system at ``root``."""
    packages = debian_packages(root) + python_packages(root)
    seen: set[str] = set()
    spdx_packages = []
    for p in packages:
        ident = _spdx_id(f"{p.purl}")
        if ident in seen:
            continue
        seen.add(ident)
        spdx_packages.append(
            {
                "SPDXID": ident,
                "name": p.name,
                "versionInfo": p.version,
                "supplier": p.supplier,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": False,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": p.license,
                "copyrightText": "NOASSERTION",
                "externalRefs": [
                    {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p.purl}
                ],
            }
        )
    return {
        "spdxVersion": SPDX_VERSION,
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": f"https://bakegen.invalid/spdx/{name}-{uuid.uuid4()}",
        "creationInfo": {"creators": [f"Tool: {TOOL}"], "created": _created()},
        "packages": spdx_packages,
        "relationships": [
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": p["SPDXID"]}
            for p in spdx_packages
        ],
    }


def _created() -> str:
    import datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        when = datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
    except (OverflowError, OSError, ValueError):
        # A malformed value stops the build, as https://reproducible-builds.org/specs/source-date-epoch/
        # says it should: with one line, not a traceback.
        raise SystemExit(f"bakegen-sbom: SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds") from None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def statement(root: Path, name: str) -> dict:
    """The in-toto statement BuildKit attaches: the SPDX document as predicate."""
    return {"_type": STATEMENT_TYPE, "predicateType": PREDICATE_TYPE, "subject": [], "predicate": document(root, name)}


def scan(environ: dict[str, str]) -> list[Path]:
    """Run one scan as BuildKit asks: the main target and any extras, one file each."""
    destination = Path(environ["BUILDKIT_SCAN_DESTINATION"])
    targets = [Path(environ["BUILDKIT_SCAN_SOURCE"])]
    extras = environ.get("BUILDKIT_SCAN_SOURCE_EXTRAS", "")
    if extras and Path(extras).is_dir():
        targets += sorted(p for p in Path(extras).iterdir() if p.is_dir())
    written = []
    for target in targets:
        out = destination / f"{target.name}.spdx.json"
        out.write_text(json.dumps(statement(target, target.name), indent=1, sort_keys=True))
        written.append(out)
    return written


def main() -> int:
    missing = [v for v in ("BUILDKIT_SCAN_DESTINATION", "BUILDKIT_SCAN_SOURCE") if not os.environ.get(v)]
    if missing:
        print(f"{TOOL}: {', '.join(missing)} not set: this is run by BuildKit as an SBOM generator", file=sys.stderr)
        return 2
    for path in scan(dict(os.environ)):
        print(f"{TOOL}: wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
