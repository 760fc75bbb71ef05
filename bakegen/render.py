"""Rendering the plan into ``docker-bake.hcl``, and writing files without leaving half of one."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import jinja2

from . import __version__
from .errors import BakegenError
from .model import Plan
from .plan import base_variable

TEMPLATE = "docker-bake.hcl.j2"
OUTPUT = "docker-bake.hcl"


def hcl_string(value: str) -> str:
    """A quoted HCL string literal: JSON escapes, plus HCL's own template sequences escaped."""
    return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def render(plan: Plan, template_dir: Path, *, context: str = ".") -> str:
    """The bake file for ``plan``. Offline and deterministic: the same inputs give the same bytes.

    ``context`` is the build context written into every target; the committed file uses ``.``,
    a temporary file elsewhere needs the project's absolute path.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals["base_variable"] = base_variable
    env.globals["bakegen_version"] = __version__
    env.filters["hcl"] = hcl_string
    try:
        template = env.get_template(TEMPLATE)
    except jinja2.TemplateNotFound:
        where = template_dir / TEMPLATE
        raise BakegenError(f"{where}: template not found (run from the project folder, or pass -C)") from None
    except jinja2.TemplateSyntaxError as exc:
        raise BakegenError(f"{exc.filename}:{exc.lineno}: template error: {exc.message}") from None
    try:
        return template.render(plan=plan, context=context)
    except jinja2.TemplateError as exc:
        raise BakegenError(f"{template_dir / TEMPLATE}: cannot render: {exc}") from None


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a mix.

    The text goes to a temporary file in the same folder, is flushed to disk and then renamed over
    the target; on any failure the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
