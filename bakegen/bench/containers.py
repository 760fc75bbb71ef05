"""The container backend of ``bakegen bench`` (long-lived containers to run commands in) and image sizes.

:class:`Backend` is what a run needs from a container engine; :class:`DockerBackend` provides it
through the public functions of ``bakegen.engine``, the only module that talks to Docker (unit
tests replace the backend wholesale, or swap ``engine.docker`` for a fake binding).

Image sizes come from ``docker save``, read as a stream (nothing is written to disk):

* *uncompressed*: the sum of the image's layer tars, i.e. what the layers unpack to;
* *compressed*: the sum of the layer blobs as the local image store holds them, when they are
  compressed (the containerd image store keeps the gzip/zstd blobs a push uploads); with the
  classic store, whose ``docker save`` holds plain tars, a gzip -6 estimate of each layer;
  or, with ``registry=True``, the layer sizes in the registry's manifest
  (``docker buildx imagetools inspect``) for the image's platform.

Each :class:`ImageSize` says which method gave its numbers.
"""

from __future__ import annotations

import io
import json
import tarfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

from .. import engine
from ..errors import EngineError

#: Where a CA bundle given with ``--ca-bundle`` appears inside the containers.
CA_PATH = "/etc/ssl/certs/bakegen-ca.pem"
#: Label on every container bakegen bench starts, to find leftovers: ``docker ps -a -f label=...``.
LABEL = "io.bakegen.bench"

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
METHOD_STORE = "compressed layer blobs in the local image store (docker save), as a push uploads them"
METHOD_GZIP = "estimate: gzip -6 of each layer tar from docker save (the local store keeps them uncompressed)"
METHOD_REGISTRY = "layer sizes in the registry manifest (docker buildx imagetools inspect)"
METHOD_TARS = "sum of the layer tars (docker save)"


@dataclass
class ImageSize:
    """How big an image is, and how that was measured."""

    image: str
    #: Sum of the layer tars, bytes; None when a layer could not be decompressed (zstd).
    uncompressed: int | None
    uncompressed_method: str
    #: Sum of the compressed layers, bytes.
    compressed: int
    compressed_method: str
    layers: int
    platform: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _IterReader(io.RawIOBase):
    """A file object over an iterator of byte chunks (``docker save``'s stream)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        while not self._buf:
            try:
                self._buf = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


@dataclass
class _Blob:
    size: int
    kind: str  # "gzip", "zstd", "tar" or "json"
    #: Bytes after decompression (gzip) or the tar's own size; None for zstd.
    unpacked: int | None
    #: gzip -6 size of an uncompressed tar, else None.
    gzipped: int | None
    #: Content of small blobs (manifests, indexes, configs).
    data: bytes | None


SMALL = 1 << 20


def _measure(member: tarfile.TarInfo, f: io.BufferedReader | None) -> _Blob:
    if f is None:
        return _Blob(member.size, "json", member.size, None, b"")
    head = f.read(4)
    if member.size <= SMALL and head[:1] in (b"{", b"["):
        return _Blob(member.size, "json", member.size, None, head + f.read())
    if head.startswith(GZIP_MAGIC):
        inflate = zlib.decompressobj(47)
        unpacked = len(inflate.decompress(head))
        while chunk := f.read(1 << 20):
            unpacked += len(inflate.decompress(chunk))
        unpacked += len(inflate.flush())
        return _Blob(member.size, "gzip", unpacked, None, None)
    if head == ZSTD_MAGIC:
        return _Blob(member.size, "zstd", None, None, None)
    deflate = zlib.compressobj(6, zlib.DEFLATED, 31)
    gzipped = len(deflate.compress(head))
    while chunk := f.read(1 << 20):
        gzipped += len(deflate.compress(chunk))
    gzipped += len(deflate.flush())
    return _Blob(member.size, "tar", member.size, gzipped, None)


def sizes_from_save(image: str, chunks: Iterable[bytes], platform: str = "") -> ImageSize:
    """Read a ``docker save`` stream (OCI layout or the classic archive) and total its layers.

    Only the layers of ``manifest.json`` (the saved image's own platform) count; attestation
    manifests and configs do not.
    """
    blobs: dict[str, _Blob] = {}
    try:
        with tarfile.open(fileobj=io.BufferedReader(_IterReader(chunks), 1 << 20), mode="r|") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                blobs[str(PurePosixPath(member.name))] = _measure(member, tar.extractfile(member))
    except (tarfile.TarError, zlib.error, OSError) as exc:
        raise EngineError(f"{image}: cannot read docker save's output: {exc}") from None
    manifest = blobs.get("manifest.json")
    try:
        entries = json.loads(manifest.data or b"") if manifest else None
        layer_paths = [str(PurePosixPath(p)) for p in entries[0]["Layers"]]
        layers = [blobs[p] for p in layer_paths]
    except (ValueError, LookupError, TypeError):
        raise EngineError(f"{image}: docker save's output has no usable manifest.json") from None
    kinds = {b.kind for b in layers}
    if kinds <= {"gzip", "zstd"}:
        compressed, method = sum(b.size for b in layers), METHOD_STORE
    else:
        # Plain tars (classic store): estimate; any layer already compressed counts as it is.
        compressed = sum(b.gzipped if b.gzipped is not None else b.size for b in layers)
        method = METHOD_GZIP
    unpacked = [b.unpacked for b in layers]
    uncompressed = None if any(u is None for u in unpacked) else sum(u for u in unpacked if u is not None)
    return ImageSize(
        image=image,
        uncompressed=uncompressed,
        uncompressed_method=METHOD_TARS if uncompressed is not None else "unknown: zstd layers are not decompressed",
        compressed=compressed,
        compressed_method=method,
        layers=len(layers),
        platform=platform,
    )


def split_reference(ref: str) -> str:
    """The repository part of an image reference: no tag, no digest."""
    ref = ref.split("@", 1)[0]
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    return ref[:colon] if colon > slash else ref


def _platform_matches(platform, os_name: str, arch: str, variant: str | None) -> bool:
    if platform is None:
        return False
    if getattr(platform, "os", None) != os_name or getattr(platform, "architecture", None) != arch:
        return False
    return not variant or getattr(platform, "variant", None) in (None, variant)


class Backend(Protocol):
    """What a run needs from a container engine; :class:`DockerBackend` is the real one."""

    def require_daemon(self) -> None: ...
    def image_exists(self, image: str) -> bool: ...
    def cpus(self) -> int: ...
    def start(self, image: str, *, name: str, cpus: tuple[int, ...] | None, ca_bundle: str | None = None) -> str: ...
    def exec(self, container: str, command: list[str], env: dict[str, str] | None = None) -> str: ...
    def read_file(self, container: str, path: str) -> str: ...
    def remove(self, containers: list[str]) -> None: ...
    def image_size(self, image: str, *, registry: bool = False) -> ImageSize: ...


class DockerBackend:
    """:class:`Backend` on the local Docker engine."""

    def require_daemon(self) -> None:
        engine.require_daemon()

    def image_exists(self, image: str) -> bool:
        return engine.image_exists(image)

    def cpus(self) -> int:
        return engine.cpu_count()

    def start(self, image: str, *, name: str, cpus: tuple[int, ...] | None, ca_bundle: str | None = None) -> str:
        """A detached container that sleeps until removed, labelled :data:`LABEL`; returns its id."""
        volumes = [(ca_bundle, CA_PATH, "ro")] if ca_bundle else []
        return engine.start_container(
            image, ["infinity"], name=name, entrypoint="sleep", labels={LABEL: "1"}, cpus=cpus, volumes=volumes
        )

    def exec(self, container: str, command: list[str], env: dict[str, str] | None = None) -> str:
        return engine.exec_in(container, command, env)

    def read_file(self, container: str, path: str) -> str:
        return self.exec(container, ["cat", path])

    def remove(self, containers: list[str]) -> None:
        engine.remove_containers(containers)

    def image_size(self, image: str, *, registry: bool = False) -> ImageSize:
        os_name, arch, variant = engine.image_platform(image)
        platform = "/".join(p for p in (os_name, arch, variant) if p)
        size = sizes_from_save(image, engine.image_save(image), platform)
        if registry:
            size.compressed, size.compressed_method = registry_size(image, os_name, arch, variant)
        return size


def registry_size(image: str, os_name: str, arch: str, variant: str | None) -> tuple[int, str]:
    """The compressed size of the image's layers for this platform, as its registry manifest lists them."""
    manifest = engine.registry_manifest(image)
    if manifest.manifests:
        chosen = next((m for m in manifest.manifests if _platform_matches(m.platform, os_name, arch, variant)), None)
        if chosen is None:
            raise EngineError(f"{image}: the registry has no {os_name}/{arch} manifest")
        manifest = engine.registry_manifest(f"{split_reference(image)}@{chosen.digest}")
    return sum(layer.size or 0 for layer in manifest.layers or []), METHOD_REGISTRY
