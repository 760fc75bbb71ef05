"""Running one hostile input through the real entry point (``bakegen.cli.run``), and judging it.

Shared by the project's hostile table (test_hostile.py) and the wider corpus (test_hostile_corpus.py).
A case runs on a throw-away project (P), with a scratch folder (T); Docker is the fake binding of
``fakes.py`` (or one that fails on any use); reachability probes answer through ``fakes.FakeNet``;
``versions update`` reads a python.org stand-in on 127.0.0.1 (tests/kit/upstream.py), whose answers a
case may replace ({M}: its mirror, {A}: its API, {U}: its root).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bakegen import engine, net
from bakegen.bake import data
from bakegen.cli import run
from tests.kit.fakes import FakeDocker, FakeNet
from tests.kit.upstream import Answer, FakeUpstream, serving

REPO = Path(__file__).resolve().parents[2]
Setup = Callable[[Path, Path], None]


@dataclass
class Case:
    id: str
    args: list[str]
    code: int
    fragment: str = ""
    env: dict[str, str] = field(default_factory=dict)
    setup: Setup | None = None
    docker: dict = field(default_factory=dict)
    net: dict[str, int | None] = field(default_factory=dict)
    #: The text of bakegen's variants file for this case (instead of bakegen/bake/variants.toml).
    variants: bytes | None = None
    #: Answers of the python.org stand-in that replace the recorded ones, by path.
    upstream: dict[str, Answer] | None = None
    #: Module attributes set for the case: caps made small enough to hit in a test.
    patch: dict[tuple[object, str], object] = field(default_factory=dict)
    #: Docker must not be called at all: the input is refused before the engine.
    no_engine: bool = False
    #: Other exit codes that are right too (a truncated file may still be a valid one: 0).
    also: tuple[int, ...] = ()


# --- what the cases do to the throw-away project (P) and a scratch folder (T) ----------------------


def _target(rel: str, project: Path, tmp: Path) -> Path:
    return tmp / rel[2:] if rel.startswith("T/") else project / rel


def replace(rel: str, content: bytes | None = None, kind: str = "file", to: str = "") -> Setup:
    """Put a file with ``content``, a directory, a FIFO, a symlink to ``to`` or nothing at ``rel``
    (below P, or T for "T/...")."""

    def setup(project: Path, tmp: Path) -> None:
        path = _target(rel, project, tmp)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif os.path.lexists(path):
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "dir":
            path.mkdir()
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "symlink":
            path.symlink_to(to.replace("{P}", str(project)).replace("{T}", str(tmp)))
        elif kind == "file":
            path.write_bytes(content or b"")

    return setup


def edit(rel: str, old: str, new: str) -> Setup:
    def setup(project: Path, tmp: Path) -> None:
        path = project / rel
        path.write_text(path.read_text().replace(old, new))

    return setup


def docker_login(auths: dict) -> Setup:
    def setup(project: Path, tmp: Path) -> None:
        (tmp / "docker").mkdir(exist_ok=True)
        (tmp / "docker" / "config.json").write_text(json.dumps({"auths": auths}))

    return setup


class Untouchable:
    """A docker binding that fails the case on any use: the input was to be refused before the engine."""

    def __getattr__(self, name: str):
        raise AssertionError(f"docker.{name} was used: the input reached the engine")


def run_case(
    case: Case, project_dir: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], repo: Path | None = None,
) -> tuple[int, str]:
    """Run the case through ``bakegen.cli.run``; its exit code and stderr."""
    scratch.mkdir(exist_ok=True)
    if case.setup:
        case.setup(project_dir, scratch)
    if case.variants is not None:
        (scratch / "variants.toml").write_bytes(case.variants)
        monkeypatch.setattr(data, "VARIANTS", scratch / "variants.toml")
    for (obj, name), value in case.patch.items():
        monkeypatch.setattr(obj, name, value)
    monkeypatch.setattr(engine, "docker", Untouchable() if case.no_engine else FakeDocker(**case.docker))
    monkeypatch.setattr(net, "probe", FakeNet(case.net))
    monkeypatch.setenv("DOCKER_CONFIG", str(scratch / "no-docker-config"))
    needs_upstream = case.upstream is not None or any(k in a for a in case.args for k in ("{M}", "{A}", "{U}"))
    with serving() if needs_upstream else contextlib.nullcontext(FakeUpstream()) as upstream:
        for path, answer in (case.upstream or {}).items():
            upstream.routes[path] = dataclasses.replace(answer, body=answer.body.replace(b"{A}", upstream.api.encode()))

        def fill(text: str) -> str:
            for key, value in {"{P}": project_dir, "{T}": scratch, "{R}": repo, "{M}": upstream.mirror,
                               "{A}": upstream.api, "{U}": upstream.base}.items():
                text = text.replace(key, str(value))
            return text

        for name, value in case.env.items():
            monkeypatch.setenv(name, fill(value))
        capsys.readouterr()
        code = run([fill(a) for a in case.args])
    return code, capsys.readouterr().err


def judge(case: Case, code: int, err: str) -> str:
    """Why the outcome is wrong; "" when the input was handled: no traceback, and either the right
    success (exit 0, no error line) or exactly one ``bakegen: error:`` line and the right exit code."""
    lines = [line for line in err.splitlines() if line.strip()]
    if "Traceback" in err:
        return "a traceback"
    if code not in (case.code, *case.also):
        return f"exit {code}, not {case.code}: {lines[-1] if lines else ''}"
    if code == 0:
        return "" if not any(line.startswith("bakegen: error:") for line in lines) else f"exit 0 with {lines}"
    if len(lines) != 1 or not lines[0].startswith("bakegen: error: "):
        return f"{len(lines)} lines on stderr: {lines[:3]}"
    if case.fragment not in lines[0]:
        return f"the line does not say {case.fragment!r}: {lines[0]}"
    return ""
