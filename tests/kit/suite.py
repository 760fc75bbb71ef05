"""What the unit and engine tests share besides fixtures (tests/conftest.py): the repository, the
fixture data, the environment bakegen reads."""

from __future__ import annotations

import shutil
from pathlib import Path

from bakegen.bake.validate import parse, variable_defaults

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"

#: Environment variables bakegen reads besides the bake file's own variables.
BAKEGEN_ENVIRONMENT = ("BAKEGEN_PROJECT_DIR", "PYTHON_MIRROR_SHA256SUMS", "SOURCE_DATE_EPOCH", "COSIGN_KEY")


def copy_project(dest: Path, versions: Path) -> Path:
    """A throw-away project: the repo's template and Dockerfile with the given release data."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("docker-bake.hcl.j2", "Dockerfile"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(versions, dest / "versions")
    return dest


def bake_variable_names() -> list[str]:
    """Every variable the committed bake file declares: what bake reads from the environment."""
    return sorted(variable_defaults(parse((REPO / "docker-bake.hcl").read_text())))
