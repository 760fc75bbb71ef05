"""Rendering the plan into ``docker-bake.hcl``, and writing files without leaving half of one."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import jinja2

from .. import __version__
from ..errors import BakegenError
from ..files import read_text
from .model import HARDENING, Plan
from .plan import SBOM_IMAGE, base_variable, image_ref

TEMPLATE = "docker-bake.hcl.j2"
OUTPUT = "docker-bake.hcl"


#: Characters written as \uNNNN: C0 and C1 controls, DEL, and the Unicode line and paragraph
#: separators, so that no value can end a line or a comment, or hide text, in the bake file.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def hcl_string(value: str) -> str:
    """A quoted HCL string literal: JSON escapes (HCL reads \\uNNNN too), every control character
    escaped, and HCL's template sequences ``${`` and ``%{`` escaped as ``$${`` and ``%%{``."""
    quoted = json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _at_least(n: int) -> str:
    """A regular expression for the decimal numbers n and above (n below 100)."""
    tens, ones = divmod(n, 10)
    parts = [f"{tens or ''}[{ones}-9]"] if tens else [f"[{ones}-9]"]
    if tens < 9:
        parts.append(f"[{tens + 1}-9][0-9]")
    parts.append("[1-9][0-9]{2,}")
    return "|".join(parts)


def version_at_least(version: str) -> str:
    """A regular expression matching CPython versions from ``version`` (X.Y) on, escaped for an HCL string."""
    major, minor = (int(p) for p in version.split(".")[:2])
    return f"^({major}\\\\.({_at_least(minor)})|{_at_least(major + 1)})\\\\."


def render(plan: Plan, template_dir: Path, *, context: str = ".") -> str:
    """The bake file for ``plan``. Offline and deterministic: the same inputs give the same bytes.

    ``context`` is the build context written into every target; the committed file uses ``.``,
    a temporary file elsewhere needs the project's absolute path.
    """
    def load(name: str) -> tuple[str, str, Callable[[], bool]]:
        path = template_dir / name
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(name)
        return read_text(path), str(path), lambda: False

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals["base_variable"] = base_variable
    env.globals["image_ref"] = image_ref
    env.globals["sbom_image"] = SBOM_IMAGE
    env.globals["bakegen_version"] = __version__
    env.globals["hardening"] = HARDENING
    env.globals["version_at_least"] = version_at_least
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
