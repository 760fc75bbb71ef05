"""Stand-ins for Docker (``bakegen.engine.docker``) and the network (``bakegen.net.probe``).

The fake Docker answers like the python-on-whales binding, with knobs for what a machine may
lack: no docker CLI, no daemon, an old buildx, the classic image store, no emulation.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from python_on_whales import ClientNotFoundError
from python_on_whales.exceptions import DockerException

from bakegen import net


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
            raise ClientNotFoundError("The binary 'docker' could not be found on your PATH.")
        self.calls.append({"targets": targets, **kwargs, "file_text": Path(kwargs["files"][0]).read_text()})

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
            raise ClientNotFoundError("The binary 'docker' could not be found on your PATH.")
        return [Path("/usr/bin/docker")]


class FakeDocker:
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
    ) -> None:
        self.daemon = daemon
        self.client_config = FakeClientConfig(cli)
        self.buildx = FakeBuildx(fail_with, buildx, platforms)
        self.buildx.cli = cli
        self.store = store
        self.root = root

    def version(self):
        if not self.client_config.present:
            raise ClientNotFoundError("The binary 'docker' could not be found on your PATH.")
        if not self.daemon:
            raise DockerException(
                ["docker", "version"], 1,
                stderr=b"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is it running?",
            )
        return SimpleNamespace(server=SimpleNamespace(version="26.1.5", os="linux", arch="amd64"))

    def info(self):
        return SimpleNamespace(driver_status=[["driver-type", self.store]], docker_root_dir=self.root)


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
