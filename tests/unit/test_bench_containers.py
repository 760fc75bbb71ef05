"""``bakegen bench``'s container backend over a fake ``engine.docker`` binding, and image sizes from ``docker save``."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import tarfile
from types import SimpleNamespace

import pytest

from bakegen import engine
from bakegen.bench import containers
from bakegen.errors import BakegenError, EngineError
from tests.kit.fakes import FakeDocker, chunks, docker_error


def tar_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def containerd_save() -> tuple[bytes, int, int]:
    """A containerd-store ``docker save``: gzip layer blobs, an attestation, an index; and the layers' sizes."""
    layer1 = tar_bytes({"usr/bin/python": os.urandom(5000)})
    layer2 = tar_bytes({"etc/x": b"a" * 20000})
    g1, g2 = gzip.compress(layer1), gzip.compress(layer2)
    saved = tar_bytes({
        "blobs/sha256/l1": g1,
        "blobs/sha256/l2": g2,
        "blobs/sha256/att": b'{"_type": "in-toto"}',
        "index.json": b'{"manifests": []}',
        "manifest.json": json.dumps([{"Config": "blobs/sha256/c", "Layers": ["blobs/sha256/l1",
                                                                           "blobs/sha256/l2"]}]).encode(),
    })
    return saved, len(g1) + len(g2), len(layer1) + len(layer2)


def test_sizes_from_containerd_save() -> None:
    saved, compressed, uncompressed = containerd_save()
    s = containers.sizes_from_save("img", chunks(saved), "linux/amd64")
    assert (s.compressed, s.uncompressed) == (compressed, uncompressed)
    assert s.compressed_method == containers.METHOD_STORE and s.layers == 2


def test_sizes_from_classic_save_are_a_gzip_estimate() -> None:
    layer = tar_bytes({"etc/x": b"a" * 50000})
    saved = tar_bytes({
        "abc/layer.tar": layer,
        "manifest.json": json.dumps([{"Config": "c.json", "Layers": ["abc/layer.tar"]}]).encode(),
    })
    s = containers.sizes_from_save("img", chunks(saved))
    assert s.uncompressed == len(layer)
    assert 0 < s.compressed < len(layer) / 10
    assert s.compressed_method == containers.METHOD_GZIP


def test_sizes_from_zstd_layers_leave_uncompressed_unknown() -> None:
    blob = containers.ZSTD_MAGIC + b"\0" * 100
    saved = tar_bytes({"blobs/l": blob, "manifest.json": json.dumps([{"Layers": ["blobs/l"]}]).encode()})
    s = containers.sizes_from_save("img", chunks(saved))
    assert s.uncompressed is None and s.compressed == len(blob)


def test_sizes_from_broken_save() -> None:
    with pytest.raises(EngineError, match="no usable manifest.json"):
        containers.sizes_from_save("img", [tar_bytes({"index.json": b"{}"})])
    with pytest.raises(EngineError, match="cannot read"):
        containers.sizes_from_save("img", [b"not a tar" * 100])


def test_split_reference() -> None:
    assert containers.split_reference("localhost:5000/a/python:3.13-wee") == "localhost:5000/a/python"
    assert containers.split_reference("localhost:5000/a/python") == "localhost:5000/a/python"
    assert containers.split_reference("python@sha256:abc") == "python"


def test_docker_backend_start(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(engine, "docker", fake)
    backend = containers.DockerBackend()
    backend.start("img", name="n", cpus=(1,), ca_bundle="/ca.pem")
    (_, image, command, kwargs) = fake.calls[0]
    assert (image, command, kwargs["entrypoint"], kwargs["detach"]) == ("img", ["infinity"], "sleep", True)
    assert kwargs["cpuset_cpus"] == [1] and kwargs["pull"] == "never"
    assert kwargs["labels"] == {containers.LABEL: "1"}
    assert kwargs["volumes"] == [("/ca.pem", containers.CA_PATH, "ro")]
    backend.start("img", name="n", cpus=None)
    assert fake.calls[-1][3]["cpuset_cpus"] is None and fake.calls[-1][3]["volumes"] == []
    backend.start("img", name="n", cpus=(0, 1))  # --threads 2
    assert fake.calls[-1][3]["cpuset_cpus"] == [0, 1]
    refused = FakeDocker(refuse_cpuset=True)
    monkeypatch.setattr(engine, "docker", refused)
    with pytest.raises(EngineError, match="cannot start a container from img: .*cpuset.cpus: invalid argument"):
        backend.start("img", name="n", cpus=(0, 1))
    assert refused.calls[-1][:2] == ("remove", ("n",))  # the created-but-not-started container is gone


def test_docker_backend_exec_and_remove(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(engine, "docker", fake)
    backend = containers.DockerBackend()
    assert backend.exec("c", ["true"], env={"A": "1"}) == ""  # python-on-whales answers None for no output
    assert fake.calls[-1] == ("exec", "c", ["true"], {"A": "1"})
    with pytest.raises(EngineError, match=r"^ValueError: boom$"):
        backend.exec("c", ["false"])
    backend.remove([])
    assert fake.calls[-1][0] == "exec"  # nothing to remove: the engine is not asked
    backend.remove(["c1", "c2"])
    assert fake.calls[-1] == ("remove", (["c1", "c2"],), {"force": True, "volumes": True})


def test_docker_backend_images(monkeypatch: pytest.MonkeyPatch) -> None:
    saved, compressed, _ = containerd_save()
    monkeypatch.setattr(engine, "docker", FakeDocker(saved=saved))
    backend = containers.DockerBackend()
    assert backend.image_exists("img") and not backend.image_exists("other")
    assert backend.cpus() == 0  # the engine does not say
    s = backend.image_size("img")
    assert s.platform == "linux/arm64/v8" and s.compressed == compressed
    monkeypatch.setattr(engine, "docker", FakeDocker(saved=saved, save_fails=True))
    with pytest.raises(EngineError, match="docker save img failed: .*broken pipe"):
        backend.image_size("img")


def test_registry_size_picks_the_image_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    def layers(*sizes):
        return SimpleNamespace(manifests=None, layers=[SimpleNamespace(size=s) for s in sizes])

    index = SimpleNamespace(manifests=[
        SimpleNamespace(digest="sha256:arm", platform=SimpleNamespace(os="linux", architecture="arm64", variant="v8")),
        SimpleNamespace(digest="sha256:amd", platform=SimpleNamespace(os="linux", architecture="amd64", variant=None)),
        SimpleNamespace(digest="sha256:att", platform=SimpleNamespace(os="unknown", architecture="unknown")),
    ], layers=None)
    answers = {"reg:5000/py:3.13": index, "reg:5000/py@sha256:amd": layers(30, 12), "reg:5000/py@sha256:arm": layers(1)}

    def inspect(ref):
        if ref not in answers:
            raise docker_error(b"ERROR: reg:5000/py:gone: not found")
        return answers[ref]

    monkeypatch.setattr(engine, "docker", SimpleNamespace(buildx=SimpleNamespace(imagetools=SimpleNamespace(
        inspect=inspect))))
    assert containers.registry_size("reg:5000/py:3.13", "linux", "amd64", None) == (42, containers.METHOD_REGISTRY)
    assert containers.registry_size("reg:5000/py:3.13", "linux", "arm64", "v8")[0] == 1
    with pytest.raises(EngineError, match="no linux/riscv64 manifest"):
        containers.registry_size("reg:5000/py:3.13", "linux", "riscv64", None)
    with pytest.raises(EngineError, match="reg:5000/py:gone: registry manifest: reg:5000/py:gone: not found"):
        containers.registry_size("reg:5000/py:gone", "linux", "amd64", None)


# --- Image references reach docker as images, never as options ---------------------------------------


@pytest.mark.parametrize("reference", ["-v/:/host", "--privileged", "", "my image", "img\n-v", "img\x00"])
def test_an_image_reference_docker_could_read_otherwise_is_refused(
    reference: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "docker", Untouchable())
    for call in (
        lambda: engine.image_exists(reference),
        lambda: engine.image_platform(reference),
        lambda: list(engine.image_save(reference)),
        lambda: engine.start_container(reference, ["infinity"], name="n"),
        lambda: engine.registry_manifest(reference),
        lambda: engine.image_labels(reference),
        lambda: engine.run_container(reference, ["true"]),
    ):
        with pytest.raises(BakegenError, match="is not an image reference"):
            call()


def test_docker_run_argv_ends_its_options_before_the_image(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_run(args, **kwargs):
        seen.append(args)
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(engine, "docker", FakeDocker())
    monkeypatch.setattr(subprocess, "run", fake_run)
    engine.run_container("python:3.13", ["python", "-V"], env={"A": "1"}, volumes=[("/ca", "/ca")], stdin="")
    args = seen[0]
    assert args[args.index("--") + 1 :] == ["python:3.13", "python", "-V"]
    assert all(a.startswith("--") or a in ("docker", "run") or args[i - 1].startswith("--")
               for i, a in enumerate(args[: args.index("--")]))


class Untouchable:
    def __getattr__(self, name: str):
        pytest.fail(f"docker.{name} was used with a reference that must not reach it")
