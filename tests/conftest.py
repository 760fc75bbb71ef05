"""Fixtures shared by the unit and engine tests: a throw-away project, a clean environment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: PT004
    """No bake variable leaks in from the caller's environment."""
    for name in ("REGISTRY", "IMAGE_NAME", "PLATFORMS", "BASE_IMAGE", "BASE_IMAGE_BULLSEYE", "PYTHON_MIRROR",
                 "PYTHON_MIRROR_SHA256SUMS", "CACHE", "CA_BUNDLE", "PYTHON_VERSION", "PYTHON_SHA256",
                 "OPTIMAL", "LTO", "BAKEGEN_PROJECT_DIR"):
        monkeypatch.delenv(name, raising=False)
