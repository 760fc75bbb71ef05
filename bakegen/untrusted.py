"""Reading what bakegen did not write: data files (TOML), servers' answers (JSON), and their strings.

Every reader of ``versions/``, ``variants.toml``, campaign files and the release API's JSON goes
through :func:`load_toml`, :func:`loads_toml` or :func:`loads_json`, so that no document, however
large, deep or strange, ends in anything but a one-line :class:`DataError`:

* *size*: a data file holds at most :data:`MAX_TOML_BYTES`; a JSON answer is capped by the network
  reader (``net.MAX_BYTES``) before it gets here;
* *depth*: at most :data:`MAX_DEPTH` levels of nested arrays and tables. Python's TOML and JSON
  parsers recurse, so a deeper document would otherwise end in ``RecursionError``, and a model
  walked recursively later would fail the same way;
* *text*: :func:`check_text` is the one rule for every string that can reach the bake file, an image
  tag or a checksum: no control characters (they end lines, hide text or make HCL that bake
  refuses), no bidirectional overrides, no lone surrogates. Data files are held to it whole: every
  key and every string value.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import DataError
from .files import read_text

#: Deeper than any data file or API answer bakegen reads (versions/ files are 3 levels deep).
MAX_DEPTH = 32
#: A versions/ file is a few hundred bytes, variants.toml a few kilobytes.
MAX_TOML_BYTES = 1024 * 1024

#: C0 and C1 controls (tab, newline, backspace, form feed, escape, ...), DEL, the line and
#: paragraph separators, the bidirectional marks and overrides that make text read otherwise than
#: it is (CVE-2021-42574), and lone surrogates, which have no UTF-8 form.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
#: How much of a bad value an error line quotes.
_QUOTE = 80


def quote(value: object) -> str:
    """``repr`` of a value, cut to a length that fits on one line of an error."""
    text = repr(value)
    return text if len(text) <= _QUOTE else text[: _QUOTE - 3] + "..."


def check_text(value: str, what: str) -> str:
    """``value`` when it holds no forbidden character; else a one-line error naming ``what``."""
    bad = _FORBIDDEN.search(value)
    if bad:
        raise DataError(
            f"{what}: {quote(value)} holds the control character U+{ord(bad.group()):04X}; remove it"
        )
    return value


def _walk(data: Any, path: str) -> Iterator[tuple[str, Any, int]]:
    """Every value below ``data`` with its path (``previous[0].sha256``) and its depth, without recursion."""
    stack = [(path, data, 1)]
    while stack:
        where, value, depth = stack.pop()
        yield where, value, depth
        # Children go on the stack last first, so that values come in the document's order.
        if isinstance(value, dict):
            stack.extend(reversed([(f"{where}.{k}" if where else str(k), v, depth + 1) for k, v in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{where}[{i}]", v, depth + 1) for i, v in enumerate(value)]))


def _too_deep(where: str) -> DataError:
    return DataError(f"{where}: arrays or tables nested more than {MAX_DEPTH} levels deep")


def check_depth(data: Any, where: str) -> None:
    for _, value, depth in _walk(data, ""):
        if depth > MAX_DEPTH and isinstance(value, (dict, list)):
            raise _too_deep(where)


def check_strings(data: Any, where: str) -> None:
    """:func:`check_text` on every key and string value of a parsed document."""
    for path, value, _ in _walk(data, ""):
        if isinstance(value, dict):
            for key in value:
                check_text(key, f"{where}: key {quote(key)}{' in ' + path if path else ''}")
        elif isinstance(value, str):
            check_text(value, f"{where}: {path}")


def loads_toml(text: str, where: str) -> dict[str, Any]:
    """A TOML document from an untrusted source, bounded, every string checked (:func:`check_text`)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TOML_BYTES:
        raise DataError(f"{where}: larger than {MAX_TOML_BYTES} bytes; not a data file")
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise _too_deep(where) from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{where}: not valid TOML: {exc}") from None
    except ValueError as exc:  # an integer too long to convert, which tomllib does not catch
        raise DataError(f"{where}: not valid TOML: {exc}") from None
    check_depth(data, where)
    check_strings(data, where)
    return data


def load_toml(path: Path, text: str | None = None) -> dict[str, Any]:
    """The TOML file at ``path`` (or ``text``, standing in for its content), as :func:`loads_toml`."""
    if text is None:
        text = read_text(path, max_bytes=MAX_TOML_BYTES)
    return loads_toml(text, str(path))


def loads_json(text: str, where: str) -> Any:
    """A JSON document from an untrusted source, bounded in depth.

    Its strings are not checked here: an answer may carry free text (release notes) that bakegen
    never uses; the values it does use are checked where they are read.
    """
    try:
        data = json.loads(text)
    except RecursionError:
        raise _too_deep(where) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: not valid JSON ({exc.msg} at character {exc.pos})") from None
    except ValueError as exc:
        raise DataError(f"{where}: not valid JSON ({exc})") from None
    check_depth(data, where)
    return data
