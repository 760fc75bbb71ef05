"""Rendering the plan into ``docker-bake.hcl``, and writing files without leaving half of one."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import jinja2

from .. import __version__
from ..errors import BakegenError, DataError
from ..files import read_text
from .model import HARDENING, Plan
from .plan import SBOM_IMAGE, base_variable, image_ref

TEMPLATE = "docker-bake.hcl.j2"
OUTPUT = "docker-bake.hcl"


#: Characters written as \uNNNN: C0 and C1 controls, DEL, and the Unicode line and paragraph
#: separators, so that no value can end a line or a comment, or hide text, in the bake file.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: HCL's own escapes (hclsyntax's quoted templates); JSON's \b and \f are not among them.
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_TO_ESCAPE = re.compile('["\\\\]|' + _UNPRINTABLE.pattern)


def _escape(char: str) -> str:
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def hcl_string(value: str) -> str:
    """A quoted HCL string literal: quotes and backslashes escaped, every control character
    escaped (\\n, \\r, \\t or \\uNNNN, which HCL reads), and HCL's template sequences ``${`` and
    ``%{`` escaped as ``$${`` and ``%%{``."""
    escaped = _TO_ESCAPE.sub(lambda m: _escape(m.group()), value)
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'


class _Loaded:
    """The template files read for one render, to find a failure's line among the frames."""

    def __init__(self, template_dir: Path) -> None:
        self.template_dir = template_dir
        self.files: set[str] = set()

    def __call__(self, name: str) -> tuple[str, str, Callable[[], bool]]:
        path = self.template_dir / name
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(name)
        self.files.add(str(path))
        return read_text(path), str(path), lambda: False

    def where(self, exc: BaseException, default: Path) -> str:
        """``file:line`` of the template line that raised ``exc`` (jinja puts the template's lines
        into the traceback); just the file where no frame is the template's."""
        if isinstance(exc, jinja2.TemplateSyntaxError) and exc.lineno:
            return f"{exc.filename or default}:{exc.lineno}"
        found = str(default)
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename in self.files:
                found = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
            tb = tb.tb_next
        return found


def _reason(exc: BaseException) -> str:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"template error: {exc.message}"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"cannot render: it names the template {exc.name!r}, which is not in the project folder"
    if isinstance(exc, jinja2.TemplateError):
        return f"cannot render: {exc.message or type(exc).__name__}"
    return f"cannot render: {type(exc).__name__}: {str(exc).strip() or 'no message'}"


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
    a temporary file elsewhere needs the project's absolute path. The template is data: whatever
    fails while it is read or rendered (a syntax error, an undefined name, a division by zero,
    endless recursion) is a :class:`DataError` naming the template's file and line.
    """
    loaded = _Loaded(template_dir)
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(loaded),
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
    where = template_dir / TEMPLATE
    try:
        return env.get_template(TEMPLATE).render(plan=plan, context=context)
    except jinja2.TemplateNotFound as exc:
        if loaded.files:  # the template itself was read: it names another one
            raise DataError(f"{loaded.where(exc, where)}: {_reason(exc)}") from None
        raise DataError(f"{where}: template not found (run from the project folder, or pass -C)") from None
    except BakegenError:
        raise  # an included template that cannot be read says so itself
    except Exception as exc:  # the template can raise anything Python can
        raise DataError(f"{loaded.where(exc, where)}: {_reason(exc)}") from None
