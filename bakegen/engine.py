"""The only module that talks to Docker. Tests replace ``docker`` (the client binding) with a fake.

Everything runs through python-on-whales, except the ``--print`` check with a standalone buildx
binary (e.g. Debian stable's 0.13 at /usr/libexec/docker/cli-plugins/docker-buildx), which is
invoked directly so both the plugin and older releases are checked against the same plan, and
the containers of ``bakegen test``, run with the docker CLI (python-on-whales pulls a missing
image for the engine's platform, not the one asked for).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_on_whales import ClientNotFoundError, DockerClient
from python_on_whales.exceptions import DockerException
from python_on_whales.utils import run as run_docker
from python_on_whales.utils import stream_stdout_and_stderr

from .errors import BakegenError, DataError, EngineError
from .files import read_text
from .untrusted import loads_json

docker = DockerClient()


def image_arg(reference: str) -> str:
    """``reference`` where it goes to docker as an image: never as an option (``-v/:/host``), never
    split by white space. Every function here that hands docker an image reference passes it
    through this; python-on-whales puts it after the options with no ``--`` before it."""
    if not reference or reference.startswith("-") or not reference.isprintable() or any(
        c.isspace() for c in reference
    ):
        shown = reference if len(reference) <= 80 else reference[:77] + "..."
        raise BakegenError(f"{shown!r} is not an image reference (empty, a leading '-', or white space)")
    return reference


_FAILED_STEP = re.compile(r'process "(?s:.*)" did not complete successfully: exit code: (\d+)')
_STEP_NAME = re.compile(r"^\s*> \[([^\]]+)\]")


def _reason(exc: DockerException) -> str:
    """The most telling line of a failed docker command, short enough for one line."""
    text = (exc.stderr or exc.stdout or "").strip()
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    step = next((m.group(1) for line in lines if (m := _STEP_NAME.match(line))), None)
    for line in reversed(lines):
        if "ERROR" in line or "error" in line.lower():
            reason = line.removeprefix("ERROR: ")
            failed = _FAILED_STEP.search(reason)
            if failed:
                where = f"step [{step}]" if step else "a build step"
                return f"{where} exited with code {failed.group(1)} (its log is above)"
            return reason
    return lines[-1] if lines else f"exit code {exc.return_code}"


NO_CLIENT = "the docker command was not found on PATH; install the Docker CLI and its buildx plugin"


@contextlib.contextmanager
def _errors(what: str) -> Iterator[None]:
    """Every way a docker command fails, as one EngineError line: ``<what>: <reason>``."""
    try:
        yield
    except DockerException as exc:
        raise EngineError(f"{what}: {_reason(exc)}") from None
    except (ClientNotFoundError, FileNotFoundError):
        raise EngineError(NO_CLIENT) from None
    except OSError as exc:
        raise EngineError(f"{what}: {exc.strerror or exc}") from None


def client() -> str:
    """The docker CLI's path; an EngineError when there is none."""
    try:
        return str(docker.client_config.get_client_call_with_path()[0])
    except ClientNotFoundError:
        raise EngineError(NO_CLIENT) from None


@dataclass(frozen=True)
class Server:
    """What the daemon says about itself."""

    version: str
    platform: str
    #: The image store: "containerd" (the containerd snapshotter) or "classic".
    store: str
    #: Where the daemon keeps its data, for the free-space check (on this machine, if local).
    root: str


def _server_version() -> Any:
    try:
        return docker.version().server
    except DockerException as exc:
        reason = _reason(exc)
        raise EngineError(f"cannot reach the Docker daemon ({reason}); start dockerd or set DOCKER_HOST") from None
    except (ClientNotFoundError, FileNotFoundError):
        raise EngineError(NO_CLIENT) from None


def require_daemon() -> str:
    """The engine's version; raises a one-line EngineError when no daemon answers."""
    return _server_version().version or "unknown"


def server() -> Server:
    """The daemon's version, platform, image store and data folder; a one-line EngineError without one."""
    client()
    version = _server_version()
    with _errors("docker info failed"):
        info = docker.info()
    drivers = dict((pair[0], pair[1]) for pair in (info.driver_status or []) if len(pair) == 2)
    # The containerd image store shows as this snapshotter in `docker info`'s driver status:
    # https://docs.docker.com/engine/storage/containerd/
    store = "containerd" if drivers.get("driver-type") == "io.containerd.snapshotter.v1" else "classic"
    arch = version.arch or ""
    # The engine reports Go's GOARCH; 32-bit arm engines build arm/v7 by default.
    platform = f"{version.os or 'linux'}/{'arm/v7' if arch == 'arm' else arch}"
    return Server(version.version or "unknown", platform, store, str(info.docker_root_dir or ""))


def builder_platforms(builder: str | None = None) -> list[str]:
    """The platforms the builder's nodes can build for (emulated ones where binfmt is registered)."""
    with _errors(f"docker buildx inspect {builder or ''}".rstrip() + " failed"):
        found = docker.buildx.inspect(builder)
        return [p for node in (found.nodes or []) for p in (node.platforms or [])]


def buildx_plugin_version() -> str:
    """The version of the buildx plugin the docker CLI runs, e.g. ``0.29.1``."""
    with _errors("docker buildx version failed"):
        out = docker.buildx.version()
    parts = out.split()
    return parts[1].lstrip("v") if len(parts) > 1 else out.strip()


def buildx_version(binary: str | None = None) -> str:
    cmd = [binary, "version"] if binary else ["docker", "buildx", "version"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise EngineError(f"cannot run {' '.join(cmd)}: {exc}") from None
    parts = out.split()
    return parts[1] if len(parts) > 1 else out.strip()


def bake_print(
    files: Iterable[Path], targets: list[str], variables: Mapping[str, str], *, binary: str | None = None
) -> dict[str, Any]:
    """``bake --print``: the resolved definition, as bake reads it."""
    files = [str(f) for f in files]
    if binary is None:
        with _errors("docker buildx bake --print failed"):
            return docker.buildx.bake(targets, files=files, print=True, variables=dict(variables))
    cmd = [binary, "bake", "--print", *(a for f in files for a in ("--file", f)), *targets]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **variables})
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        raise EngineError(f"{binary} bake --print failed: {lines[-1] if lines else proc.returncode}")
    return json.loads(proc.stdout)


def bake_build(
    files: Iterable[Path],
    targets: list[str],
    variables: Mapping[str, str],
    *,
    load: bool = False,
    push: bool = False,
    builder: str | None = None,
    no_cache: bool = False,
    on_line: Callable[[str], None] | None = None,
    allow: tuple[str, ...] = (),
    metadata_file: Path | None = None,
) -> None:
    """Run ``docker buildx bake``, handing every progress line to ``on_line`` as it arrives.

    ``allow`` grants bake entitlements (``network.host``), which python-on-whales has no
    parameter for; the command is then assembled here and streamed the same way. ``metadata_file``
    receives bake's build results (per target ``containerimage.digest`` and ``image.name``).
    """
    files = [str(f) for f in files]
    with _errors("build failed"):
        if allow:
            cmd = [*docker.client_config.client_call, "buildx", "bake", "--progress", "plain"]
            cmd += [f"--allow={a}" for a in allow] + [a for f in files for a in ("--file", f)]
            cmd += ["--load"] * load + ["--push"] * push + ["--no-cache"] * no_cache
            cmd += ["--builder", builder] if builder else []
            cmd += ["--metadata-file", str(metadata_file)] if metadata_file else []
            streamed = stream_stdout_and_stderr(cmd + targets, dict(variables))
            logs = (line.decode(errors="replace") for _, line in streamed)
        else:
            logs = docker.buildx.bake(
                targets,
                files=files,
                load=load,
                push=push,
                builder=builder,
                cache=not no_cache,
                progress="plain",
                variables=dict(variables),
                metadata_file=metadata_file,
                stream_logs=True,
            )
        for line in logs:
            if on_line:
                on_line(line.rstrip("\n"))


# --- containers and images, for ``bakegen bench`` ---------------------------------------------------


def start_container(
    image: str,
    command: list[str],
    *,
    name: str,
    entrypoint: str | None = None,
    labels: Mapping[str, str] | None = None,
    cpus: Iterable[int] | None = None,
    volumes: Iterable[tuple[str, str, str]] = (),
) -> str:
    """Start a detached container from a local image (never pulled), optionally pinned to CPUs; its id."""
    image = image_arg(image)
    try:
        container = docker.run(
            image,
            command,
            entrypoint=entrypoint,
            detach=True,
            name=name,
            labels=dict(labels or {}),
            cpuset_cpus=list(cpus) if cpus is not None else None,
            volumes=list(volumes),
            pull="never",
        )
    except DockerException as exc:
        # A container that was created but refused at start (an invalid cpuset) keeps its name.
        with contextlib.suppress(DockerException):
            docker.container.remove(name, force=True)
        raise EngineError(f"cannot start a container from {image}: {_reason(exc)}") from None
    return getattr(container, "id", str(container))


def exec_in(container: str, command: list[str], env: Mapping[str, str] | None = None) -> str:
    """Run a command in a running container; its stdout. The EngineError carries the command's last error line."""
    try:
        return docker.execute(container, command, envs=dict(env or {})) or ""
    except DockerException as exc:
        raise EngineError(_reason(exc)) from None


def remove_containers(containers: list[str]) -> None:
    """Remove containers, running or not, with their anonymous volumes."""
    if not containers:
        return
    try:
        docker.container.remove(containers, force=True, volumes=True)
    except DockerException as exc:
        raise EngineError(f"cannot remove containers {' '.join(containers)}: {_reason(exc)}") from None


def image_exists(image: str) -> bool:
    """Whether the local image store has the image."""
    image = image_arg(image)
    try:
        return bool(docker.image.exists(image))
    except DockerException as exc:
        raise EngineError(f"cannot inspect {image}: {_reason(exc)}") from None


def image_platform(image: str) -> tuple[str, str, str | None]:
    """A local image's OS, architecture and variant (None when it has none)."""
    image = image_arg(image)
    try:
        info = docker.image.inspect(image)
    except DockerException as exc:
        raise EngineError(f"cannot inspect {image}: {_reason(exc)}") from None
    return info.os or "linux", info.architecture or "", getattr(info, "variant", None) or None


def image_save(image: str) -> Iterator[bytes]:
    """``docker save`` of a local image, as a stream of bytes (nothing is written to disk)."""
    image = image_arg(image)
    try:
        yield from docker.image.save(image)
    except DockerException as exc:
        raise EngineError(f"docker save {image} failed: {_reason(exc)}") from None


def registry_manifest(reference: str) -> Any:
    """``docker buildx imagetools inspect``: the registry's manifest or index (python-on-whales' Manifest)."""
    reference = image_arg(reference)
    try:
        return docker.buildx.imagetools.inspect(reference)
    except DockerException as exc:
        raise EngineError(f"{reference}: registry manifest: {_reason(exc)}") from None


def cpu_count() -> int:
    """How many CPUs the engine has (its containers may use CPUs 0 to n-1); 0 when it does not say."""
    try:
        return int(docker.system.info().n_cpu or 0)
    except (DockerException, TypeError, ValueError):
        return 0


# --- registry images, for ``bakegen verify`` -----------------------------------------------------


def image_field(reference: str, field: str) -> Any:
    """One field of a registry image, as ``docker buildx imagetools inspect --format '{{ json .FIELD }}'``
    shows it (Manifest, Provenance, SBOM, Image)."""
    reference = image_arg(reference)
    cmd = [*docker.client_config.client_call, "buildx", "imagetools", "inspect", reference]
    try:
        return json.loads(run_docker([*cmd, "--format", "{{ json ." + field + " }}"]))
    except DockerException as exc:
        raise EngineError(f"cannot inspect {reference}: {_reason(exc)}") from None
    except ValueError:
        raise EngineError(f"cannot inspect {reference}: imagetools printed no JSON for {field}") from None


def image_digest(reference: str) -> str:
    """The digest a registry serves for ``reference`` now (a tag moves; a digest does not)."""
    manifest = image_field(reference, "Manifest")
    digest = manifest.get("digest", "") if isinstance(manifest, dict) else ""
    if not str(digest).startswith("sha256:"):
        raise EngineError(f"cannot inspect {reference}: the registry named no sha256 digest")
    return digest


def _cli_config() -> dict[str, Any]:
    folder = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    try:
        data = loads_json(read_text(folder / "config.json"), str(folder / "config.json"))
    except DataError:
        return {}
    return data if isinstance(data, dict) else {}


def registry_login(host: str) -> str | None:
    """The login ``docker login HOST`` stored: base64 ``user:password``; "" when a credential helper
    holds it (not read here: helpers may prompt); None when there is none."""
    config = _cli_config()
    # Docker Hub's logins are stored under its old index URL.
    keys = ["https://index.docker.io/v1/"] if host == "docker.io" else [host, f"https://{host}", f"http://{host}"]
    # A hand-edited config may hold anything: what is not the shape docker writes counts as absent.
    auths = config.get("auths") if isinstance(config.get("auths"), dict) else {}
    for key in keys:
        entry = auths.get(key)
        if isinstance(entry, dict) and entry.get("auth"):
            return str(entry["auth"])
    helpers = config.get("credHelpers") if isinstance(config.get("credHelpers"), dict) else {}
    # With a credential store, `docker login` leaves an empty entry under auths.
    if any(key in helpers for key in keys) or (config.get("credsStore") and any(key in auths for key in keys)):
        return ""
    return None


# --- containers for `bakegen test` ------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerRun:
    """A finished throw-away container: its exit code and what it wrote."""

    exit_code: int
    stdout: str
    stderr: str


#: `docker run` exits 125 when Docker itself failed (no such image, a pull that failed, a bad
#: option); 126 and 127 when the command could not be run in the container.
DOCKER_RUN_FAILED = 125


def _run_args(
    image: str, command: Sequence[str], *, name: str, platform: str | None, pull: str,
    env: Mapping[str, str], volumes: Sequence[tuple[str, str]], interactive: bool,
) -> list[str]:
    args = [*docker.client_config.client_call, "run", "--rm", "--name", name, "--pull", pull]
    args += ["--platform", platform] if platform else []
    args += [a for key, value in env.items() for a in ("--env", f"{key}={value}")]
    args += [a for source, target in volumes for a in ("--volume", f"{source}:{target}:ro")]
    args += ["--interactive"] * interactive
    return [*args, "--", image, *command]


def run_container(
    image: str,
    command: Sequence[str] = (),
    *,
    platform: str | None = None,
    pull: str = "missing",
    env: Mapping[str, str] | None = None,
    volumes: Sequence[tuple[str, str]] = (),
    stdin: str | None = None,
    timeout: float | None = None,
) -> ContainerRun:
    """Run a throw-away container to its end and return its exit code and output.

    A command that fails inside the container is a result, not an error; Docker failing to start
    it (no such image for that platform, a pull that failed) raises a one-line EngineError.
    ``volumes`` are bind-mounted read-only. The container is removed on a timeout or Ctrl-C too.
    """
    image = image_arg(image)
    name = f"bakegen-test-{uuid.uuid4().hex[:12]}"
    args = _run_args(
        image, command, name=name, platform=platform, pull=pull, env=env or {}, volumes=volumes,
        interactive=stdin is not None,
    )
    try:
        proc = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout, errors="replace")
    except FileNotFoundError:
        raise EngineError("the docker command was not found; install the Docker CLI") from None
    except (subprocess.TimeoutExpired, KeyboardInterrupt) as exc:
        subprocess.run([*docker.client_config.client_call, "rm", "--force", name], capture_output=True)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise EngineError(f"{image} on {platform or 'the default platform'}: no result after {timeout:.0f}s") from None
    if proc.returncode == DOCKER_RUN_FAILED:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        said = [line.removeprefix("docker: ") for line in lines if line.startswith("docker: ")]
        reason = (said or lines or ["docker run failed"])[-1].removeprefix("Error response from daemon: ")
        raise EngineError(f"cannot run {image} for {platform or 'the default platform'}: {reason}")
    return ContainerRun(proc.returncode, proc.stdout, proc.stderr)


def image_labels(image: str) -> dict[str, str] | None:
    """The labels of a local image; None when the local store does not have it."""
    image = image_arg(image)
    try:
        return dict(docker.image.inspect(image).config.labels or {})
    except DockerException:
        return None
