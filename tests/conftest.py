"""Fixtures shared by the unit and engine tests: a throw-away project, a clean environment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bakegen.bake.validate import parse, variable_defaults

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def copy_project(dest: Path, versions: Path) -> Path:
    """A throw-away project: the repo's template and Dockerfile with the given release data."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("docker-bake.hcl.j2", "Dockerfile"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(versions, dest / "versions")
    return dest


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A project on the fixture release data (2.7 on bullseye, 3.13, a 3.16 pre-release)."""
    return copy_project(tmp_path / "project", FIXTURES / "versions")


#: Environment variables bakegen reads besides the bake file's own variables.
BAKEGEN_ENVIRONMENT = ("BAKEGEN_PROJECT_DIR", "PYTHON_MIRROR_SHA256SUMS", "SOURCE_DATE_EPOCH", "COSIGN_KEY")


def bake_variable_names() -> list[str]:
    """Every variable the committed bake file declares: what bake reads from the environment."""
    return sorted(variable_defaults(parse((REPO / "docker-bake.hcl").read_text())))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No bake variable (or other bakegen setting) leaks in from the caller's environment."""
    for name in (*bake_variable_names(), *BAKEGEN_ENVIRONMENT):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fake_net(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Outside the engine tests nothing reaches the network: reachability probes answer through
    a fake (tests/unit/fakes.py) that says every server is there, unless a test says otherwise."""
    if request.node.get_closest_marker("engine"):
        return None
    from fakes import FakeNet

    from bakegen import net

    fake = FakeNet()
    monkeypatch.setattr(net, "probe", fake)
    return fake
