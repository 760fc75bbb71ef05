"""The typed model: what a release, a variant and a bake target are.

Everything here is plain data. Loading and validation (``bake.data``), planning (``bake.plan``) and
rendering (``bake.render``) are separate modules that produce or consume these types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from packaging.version import Version

#: The line whose official slim recipe bakegen/compare/Dockerfile (the "reference" target) reproduces.
REFERENCE_LINE = "3.13"
#: The ABI flag of a free-threaded CPython (``sys.abiflags``). python.org's own names carry it after the
#: version (``python3.13t``, ``lib/python3.13t``, ``cp313t`` wheels), and so do bakegen's target names
#: and tags (``3_13t-wee``, ``3.13.15t-wee``).
FREETHREADED_ABIFLAG = "t"
#: The configure flag of a free-threaded build (PEP 703).
FREETHREADED_FLAG = "--disable-gil"
#: The hardening groups (bakegen/inbuild/flags.sh) every target is compiled with, and its images'
#: io.bakegen.hardening label promises: "all" of them. `bakegen campaign` measured what they cost.
HARDENING = "all"


@dataclass(frozen=True)
class Tarball:
    """One upstream source tarball whose checksum is known."""

    #: The release it holds, e.g. ``3.13.15`` or ``3.15.0a2``.
    version: str
    #: File name as published on python.org, e.g. ``Python-3.13.15.tar.xz`` or ``Python-2.7.18.tgz``.
    name: str
    #: Lower-case hex sha256 of that file, as published upstream.
    sha256: str
    #: Where ``sha256`` was read: the ``versions/`` file that pins it, or a mirror's ``SHA256SUMS``.
    #: Provenance only: two tarballs with the same name and sum are the same tarball.
    sum_origin: str = field(default="", compare=False)
    #: The sum is only a mirror's word: ``versions/`` does not pin this file.
    sum_from_mirror: bool = field(default=False, compare=False)
    #: How the sum was verified (``verified`` in ``versions/``, ``bake.data.VERIFIED_RE``); "" for a mirror's.
    verified: str = field(default="", compare=False)

    @property
    def path(self) -> str:
        """Path below a python.org-layout mirror: pre-releases live in their final release's folder."""
        return f"{Version(self.version).base_version}/{self.name}"


@dataclass(frozen=True)
class Release:
    """One CPython line (``versions/<line>.toml``) and the patch release built for it."""

    #: The minor line, ``3.13``. Equals the data file's stem.
    line: str
    #: The release built for this line; its version is the newest known patch release.
    tarball: Tarball
    #: Debian suite of the base image, e.g. ``trixie``.
    debian: str
    #: Where the version and checksum were taken from (a URL or a named index).
    source: str
    #: Older releases of the line whose checksums are known, so ``custom`` builds them by version alone.
    previous: tuple[Tarball, ...] = ()
    #: Path of the data file it was read from, for error messages.
    origin: str = ""

    @property
    def version(self) -> str:
        return self.tarball.version

    @property
    def is_prerelease(self) -> bool:
        return Version(self.version).is_prerelease

    @property
    def major(self) -> str:
        return self.line.split(".")[0]

    @property
    def key(self) -> str:
        """The line as used in bake names, which may not contain dots: ``3_13``."""
        return self.line.replace(".", "_")


@dataclass(frozen=True)
class Variant:
    """One way of building a release (``bakegen/bake/variants.toml``)."""

    #: Name used in target names and tags, e.g. ``wee-optimized-lto``.
    name: str
    #: One sentence for ``bakegen list`` and the image description.
    summary: str
    #: Profile-guided optimization: passed as ``OPTIMAL=1`` (``--enable-optimizations``).
    optimal: bool
    #: Link-time optimization: passed as ``LTO=1`` (``--with-lto``); needs ``optimal``.
    lto: bool
    #: Foreign platforms are cross-compiled on the builder's own platform instead of under
    #: emulation. Impossible with PGO, whose profiling run executes what it compiled.
    cross_compile: bool = False
    #: With ``LATEST=1``, this variant of the newest stable line is also tagged ``latest``.
    latest: bool = False

    @property
    def configure_flags(self) -> tuple[str, ...]:
        flags = []
        if self.optimal:
            flags.append("--enable-optimizations")
        if self.lto:
            flags.append("--with-lto")
        return tuple(flags)


@dataclass(frozen=True)
class FreeThreading:
    """The free-threaded builds (``[freethreaded]`` in ``bakegen/bake/variants.toml``): beside the
    usual build, each line from ``since`` on is also built with ``--disable-gil``."""

    #: The oldest line built free-threaded, e.g. ``3.13``: the one statement of where CPython's
    #: ``--disable-gil`` starts (https://docs.python.org/3/using/configure.html#cmdoption-disable-gil).
    since: str
    #: One sentence added to the image description.
    summary: str
    #: The variants built free-threaded, by name; empty means every variant.
    variants: tuple[str, ...] = ()
    #: Path of the data file it was read from, for error messages.
    origin: str = ""

    def builds(self, release: Release, variant: Variant) -> bool:
        """Whether ``release`` gets a free-threaded build as ``variant``."""
        if release.major != "3" or Version(release.line) < Version(self.since):
            return False
        return not self.variants or variant.name in self.variants


@dataclass(frozen=True)
class Target:
    """One bake target: a release built as a variant, free-threaded or not."""

    release: Release
    variant: Variant
    #: Tag names without the repository, e.g. ``3.13.15-wee``, ``3.13-wee``, ``3-wee``.
    tag_names: tuple[str, ...]
    #: Also tagged ``latest`` when the ``LATEST`` bake variable is 1.
    latest_alias: bool = False
    #: Set for a free-threaded build (``--disable-gil``, PEP 703), whose line, target name and tags
    #: carry the ABI flag ``t``.
    freethreading: FreeThreading | None = None

    @property
    def freethreaded(self) -> bool:
        return self.freethreading is not None

    @property
    def abiflag(self) -> str:
        """``t`` for a free-threaded build, else empty."""
        return FREETHREADED_ABIFLAG if self.freethreaded else ""

    @property
    def line(self) -> str:
        """The line as users name it, with the ABI flag: ``3.13`` or ``3.13t``."""
        return f"{self.release.line}{self.abiflag}"

    @property
    def line_key(self) -> str:
        """The line in bake names, which may not contain dots: ``3_13`` or ``3_13t``."""
        return f"{self.release.key}{self.abiflag}"

    @property
    def name(self) -> str:
        return f"{self.line_key}-{self.variant.name}"

    @property
    def args(self) -> dict[str, str]:
        """Build args that do not depend on bake variables."""
        return {
            "PYTHON_VERSION": self.release.version,
            "PYTHON_SHA256": self.release.tarball.sha256,
            "PYTHON_TARBALL": self.release.tarball.path,
            "OPTIMAL": "1" if self.variant.optimal else "0",
            "LTO": "1" if self.variant.lto else "0",
            "BUILD_ON": "host" if self.cross_compiles else "target",
            "SETUPTOOLS_WHEEL": "1" if self.setuptools_wheel else "0",
            "FREETHREADED": "1" if self.freethreaded else "0",
            "HARDENING": HARDENING,
        }

    @property
    def dockerfile(self) -> str:
        """The Dockerfile that builds it, relative to the build context."""
        return "Dockerfile"

    @property
    def stage(self) -> str:
        """The Dockerfile stage that is the image: Python 2 images start ``python``, not ``python3``."""
        return "runtime-python2" if self.release.major == "2" else "runtime"

    @property
    def setuptools_wheel(self) -> bool:
        """The official images install setuptools and wheel on Python 3 below 3.12 (docker-library/python#954)."""
        return self.release.major == "3" and Version(self.release.line) < Version("3.12")

    @property
    def cross_compiles(self) -> bool:
        # --with-build-python, which a cross build needs, exists from CPython 3.11 on:
        # https://docs.python.org/3/using/configure.html#cmdoption-with-build-python
        return self.variant.cross_compile and Version(self.release.version) >= Version("3.11")

    @property
    def configure_flags(self) -> tuple[str, ...]:
        return (*self.variant.configure_flags, *((FREETHREADED_FLAG,) if self.freethreaded else ()))

    @property
    def title(self) -> str:
        kind = " free-threaded" if self.freethreaded else ""
        return f"CPython {self.release.version}{kind} ({self.variant.name})"

    @property
    def description(self) -> str:
        extra = f" {self.freethreading.summary}" if self.freethreading else ""
        return f"{self.variant.summary}{extra}"

    @property
    def labels(self) -> dict[str, str]:
        """OCI and bakegen labels that do not depend on bake variables."""
        return {
            "org.opencontainers.image.title": self.title,
            "org.opencontainers.image.description": self.description,
            "org.opencontainers.image.version": self.release.version,
            "org.opencontainers.image.licenses": "PSF-2.0",
            "io.bakegen.variant": self.variant.name,
            "io.bakegen.configure-flags": " ".join(self.configure_flags),
            "io.bakegen.hardening": HARDENING,
        }


@dataclass(frozen=True)
class Group:
    """A bake group: a name standing for several targets."""

    name: str
    targets: tuple[str, ...]
    #: Why the group exists, rendered as a comment.
    summary: str = ""


@dataclass(frozen=True)
class Plan:
    """Everything ``docker-bake.hcl`` says, before it is written as HCL."""

    releases: tuple[Release, ...]
    variants: tuple[Variant, ...]
    targets: tuple[Target, ...]
    groups: tuple[Group, ...]
    #: The free-threaded builds, if the data asks for any.
    freethreading: FreeThreading | None = None
    #: The Debian suite whose base image is the ``BASE_IMAGE`` variable; others get ``BASE_IMAGE_<SUITE>``.
    default_debian: str = "trixie"
    #: Checksums known for ``custom``: every release and previous release, by version.
    known: tuple[Tarball, ...] = field(default=())
    #: The base image of each suite the plan uses (``bake.base.BaseImage``), pinned by digest or not.
    base_images: tuple[Any, ...] = field(default=())

    def base_image(self, suite: str) -> Any:
        """The suite's ``bake.base.BaseImage``; None where the plan was made without them."""
        return next((b for b in self.base_images if b.suite == suite), None)

    def base_reference(self, suite: str) -> str:
        """The default of the suite's BASE_IMAGE variable: ``image@digest`` where pinned, else by tag."""
        base = self.base_image(suite)
        return base.reference if base is not None else f"debian:{suite}-slim"

    def target(self, name: str) -> Target:
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def reference(self) -> Target | None:
        """The target whose release the ``reference`` target (the official recipe) builds, if any."""
        for t in self.targets:
            if t.release.line == REFERENCE_LINE and t.release.debian == self.default_debian and not t.freethreaded:
                return t
        return None

    def names(self) -> list[str]:
        return [t.name for t in self.targets]

    def expand(self, names: Iterable[str]) -> list[str]:
        """``names`` with each group replaced by its targets, in order, each name once; any other name
        (a target, ``custom``, an image reference) stays as it is."""
        groups = {g.name: g.targets for g in self.groups}
        return list(dict.fromkeys(t for name in names for t in groups.get(name, (name,))))

    @property
    def mirror_summed(self) -> tuple[Release, ...]:
        """The releases built with a sha256 that only a mirror vouches for (``versions/`` does not pin it)."""
        return tuple(r for r in self.releases if r.tarball.sum_from_mirror)
