"""Fixtures shared by the unit and engine tests: a throw-away project, a clean environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kit.suite import BAKEGEN_ENVIRONMENT, FIXTURES, bake_variable_names, copy_project


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A project on the fixture release data (2.7 on bullseye, 3.13, a 3.16 pre-release)."""
    return copy_project(tmp_path / "project", FIXTURES / "versions")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No bake variable (or other bakegen setting) leaks in from the caller's environment."""
    for name in (*bake_variable_names(), *BAKEGEN_ENVIRONMENT):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def no_named_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts as a fresh bakegen process does: no plain-http origin named by an option
    yet (bakegen/net.py reads plain http only from those, and from loopback)."""
    from bakegen import net

    monkeypatch.setattr(net, "_named_http", set())


@pytest.fixture(autouse=True)
def fake_net(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Outside the engine tests nothing reaches the network: reachability probes answer through
    a fake (tests/kit/fakes.py) that says every server is there, unless a test says otherwise."""
    if request.node.get_closest_marker("engine"):
        return None
    from bakegen import net
    from tests.kit.fakes import FakeNet

    fake = FakeNet()
    monkeypatch.setattr(net, "probe", fake)
    return fake
