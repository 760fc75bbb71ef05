"""Stand-ins for Docker (``bakegen.engine.docker``) and the network (``bakegen.net.probe``).

The fake Docker answers like the python-on-whales binding, with knobs for what a machine may
lack: no docker CLI, no daemon, an old buildx, the classic image store, no emulation, a failing
build, a refused cpuset, a ``docker save`` cut short. It records what bakegen asked of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from python_on_whales import ClientNotFoundError
from python_on_whales.exceptions import DockerException

from bakegen import net

NO_CLI = "The binary 'docker' could not be found on your PATH."
#: The digest and tags a pushing bake reports in its metadata file, for every target and registry.
PUSHED_DIGEST = "sha256:" + "a" * 64
PUSHED_TAGS = ("3.13.15-wee", "3.13-wee", "3-wee")


def docker_error(message: bytes) -> DockerException:
    return DockerException(["docker"], 1, stderr=message)


def chunks(data: bytes, n: int = 7000):
    return (data[i:i + n] for i in range(0, len(data), n))


class FakeBuildx:
    def __init__(self, fail_with: str | None = None, version: str = "0.29.1", platforms=None) -> None:
        self.calls: list[dict] = []
        self.fail_with = fail_with
        self._version = version
        self.platforms = platforms if platforms is not None else ["linux/amd64", "linux/arm64"]

    #: False: there is no docker CLI, so every call fails as python-on-whales fails then.
    cli = True

    def bake(self, targets, **kwargs):
        if not self.cli:
            raise ClientNotFoundError(NO_CLI)
        self.calls.append({"targets": targets, **kwargs, "file_text": Path(kwargs["files"][0]).read_text()})
        if kwargs.get("metadata_file"):
            registries = kwargs["variables"].get("REGISTRY", "docker.io/bakegen").split(",")
            names = ",".join(f"{r}/python:{t}" for r in registries for t in PUSHED_TAGS)
            written = {t: {"containerimage.digest": PUSHED_DIGEST, "image.name": names} for t in targets}
            written["buildx.build.warnings"] = []
            Path(kwargs["metadata_file"]).write_text(json.dumps(written))

        def lines():
            yield "#1 [internal] load local bake definitions\n"
            if self.fail_with:
                raise DockerException(["docker", "buildx", "bake"], 1, stderr=self.fail_with.encode())
            yield "#9 DONE 1.0s\n"

        return lines()

    def version(self) -> str:
        return f"github.com/docker/buildx v{self._version} 0123abc"

    def inspect(self, builder=None):
        return SimpleNamespace(nodes=[SimpleNamespace(platforms=self.platforms)])


class FakeClientConfig:
    def __init__(self, present: bool) -> None:
        self.present = present
        self.client_call = ["docker"]

    def get_client_call_with_path(self):
        if not self.present:
            raise ClientNotFoundError(NO_CLI)
        return [Path("/usr/bin/docker")]


class FakeDocker:
    """The parts of python-on-whales' DockerClient that bakegen reaches through ``bakegen.engine``."""

    def __init__(
        self,
        daemon: bool = True,
        fail_with: str | None = None,
        *,
        cli: bool = True,
        store: str = "io.containerd.snapshotter.v1",
        buildx: str = "0.29.1",
        platforms=None,
        root: str = "/",
        refuse_cpuset: bool = False,
        saved: bytes = b"",
        save_fails: bool = False,
    ) -> None:
        self.daemon = daemon
        self.client_config = FakeClientConfig(cli)
        self.buildx = FakeBuildx(fail_with, buildx, platforms)
        self.buildx.cli = cli
        self.store = store
        self.root = root
        self.refuse_cpuset = refuse_cpuset
        self.saved, self.save_fails = saved, save_fails
        #: Container calls (run, exec, remove) in order.
        self.calls: list[tuple] = []
        self.container = SimpleNamespace(remove=lambda *a, **k: self.calls.append(("remove", a, k)))
        self.system = SimpleNamespace(info=lambda: SimpleNamespace(n_cpu=None))
        self.image = SimpleNamespace(
            exists=lambda image: image == "img",
            inspect=lambda image: SimpleNamespace(os="linux", architecture="arm64", variant="v8"),
            save=self._save,
        )

    def version(self):
        if not self.client_config.present:
            raise ClientNotFoundError(NO_CLI)
        if not self.daemon:
            raise DockerException(
                ["docker", "version"], 1,
                stderr=b"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is it running?",
            )
        return SimpleNamespace(server=SimpleNamespace(version="26.1.5", os="linux", arch="amd64"))

    def info(self):
        return SimpleNamespace(driver_status=[["driver-type", self.store]], docker_root_dir=self.root)

    def _save(self, image):
        yield from chunks(self.saved[:1000])
        if self.save_fails:
            raise docker_error(b"Error response from daemon: write /dev/stdout: broken pipe")
        yield from chunks(self.saved[1000:])

    def run(self, image, command, **kwargs):
        self.calls.append(("run", image, command, kwargs))
        if self.refuse_cpuset and kwargs.get("cpuset_cpus"):
            raise docker_error(b"docker: Error response from daemon: error: cpuset.cpus: invalid argument.")
        return SimpleNamespace(id="c0ffee")

    def execute(self, container, command, envs):
        self.calls.append(("exec", container, command, envs))
        if command[0] == "false":
            raise docker_error(b"some output\nValueError: boom\n")
        return None


class FakeNet:
    """Answers every probe with 200, except where ``answers`` says otherwise (by URL prefix):
    a status, or None for no answer at all."""

    def __init__(self, answers: dict[str, int | None] | None = None, headers: dict[str, str] | None = None) -> None:
        self.answers = answers or {}
        self.headers = headers or {}
        self.urls: list[str] = []

    def __call__(self, url: str, headers: dict[str, str] | None = None) -> net.Probe:
        self.urls.append(url)
        for prefix, status in self.answers.items():
            if url.startswith(prefix):
                if status is None:
                    return net.Probe(url, None, "cannot fetch: [Errno -2] Name or service not known")
                return net.Probe(url, status, f"HTTP {status}", self.headers)
        return net.Probe(url, 200)
