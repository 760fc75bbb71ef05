"""Rendering the plan into ``docker-bake.hcl``, and writing files without leaving half of one."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from .. import __version__
from ..errors import BakegenError
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
