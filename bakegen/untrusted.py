"""Reading what bakegen did not write: data files (TOML), servers' answers (JSON), and their strings.

Every reader of ``versions/`` (``base-images.toml`` too), ``variants.toml``, ``signers.toml`` and
campaign files, and of the JSON of the release API, registries and Docker's config, goes through
:func:`load_toml`, :func:`loads_toml` or :func:`loads_json`, so that no document, however large,
deep or strange, ends in anything but a one-line :class:`DataError`:

* *size*: a data file holds at most :data:`MAX_TOML_BYTES`, a JSON document :data:`MAX_JSON_CHARS`
  (the network reader caps answers at as much before they get here);
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
from pathlib import Path
from typing import Any

from .errors import DataError
from .files import read_text

#: Deeper than any data file or API answer bakegen reads (versions/ files are 3 levels deep).
MAX_DEPTH = 32
#: A versions/ file is a few hundred bytes, variants.toml a few kilobytes.
MAX_TOML_BYTES = 1024 * 1024
#: The release API's longest list is a few hundred kilobytes (as the network reader's own cap).
MAX_JSON_CHARS = 32 * 1024 * 1024

#: C0 and C1 controls (tab, newline, backspace, form feed, escape, ...), DEL, the line and
#: paragraph separators, the bidirectional marks and overrides that make text read otherwise than
#: it is (CVE-2021-42574), and lone surrogates, which have no UTF-8 form.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
#: A key of more than MAX_DEPTH dotted parts (``a.b.c...``, in a line or a table header): as many
#: nested tables. tomllib's bookkeeping for such a key grows with the square of its length, so it
#: is refused before tomllib sees it. (A string value that happens to read like one is refused too;
#: none of bakegen's data has one.)
# Possessive, and only from the start of a word: the search stays linear however long a word is.
_KEY_PART = r"""(?:(?<![A-Za-z0-9_-])[A-Za-z0-9_-]++|"[^"\n]*+"|'[^'\n]*+')"""
_LONG_DOTTED_KEY = re.compile(_KEY_PART + r"(?:[ \t]*\.[ \t]*" + _KEY_PART + "){" + str(MAX_DEPTH) + ",}")
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
            f"{what}: {quote(value)} holds U+{ord(bad.group()):04X}; control characters are not allowed, remove it"
        )
    return value


def _children(value: Any) -> list[tuple[str, Any]]:
    """A table's or an array's members, each with its step of a path (``.key`` or ``[0]``)."""
    if isinstance(value, dict):
        return [(f".{k}", v) for k, v in value.items()]
    if isinstance(value, list):
        return [(f"[{i}]", v) for i, v in enumerate(value)]
    return []


def _too_deep(where: str) -> DataError:
    return DataError(f"{where}: arrays or tables nested more than {MAX_DEPTH} levels deep")


def check_depth(data: Any, where: str) -> None:
    """At most MAX_DEPTH levels of arrays and tables, checked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise _too_deep(where)
            stack.extend((child, depth + 1) for _, child in _children(value))


def check_strings(data: Any, where: str) -> None:
    """:func:`check_text` on every key and string value of a parsed document (no deeper than
    MAX_DEPTH: :func:`check_depth` comes first), the first bad one in the document's order."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            check_text(value, f"{where}: {path.lstrip('.')}")
        if isinstance(value, dict):
            for key in value:
                check_text(key, f"{where}: key {quote(key)}{' in ' + path.lstrip('.') if path else ''}")
        stack.extend(reversed([(path + step, child) for step, child in _children(value)]))


def loads_toml(text: str, where: str) -> dict[str, Any]:
    """A TOML document from an untrusted source, bounded, every string checked (:func:`check_text`)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TOML_BYTES:
        raise DataError(f"{where}: larger than {MAX_TOML_BYTES} bytes; not a data file")
    if _LONG_DOTTED_KEY.search(text):
        raise _too_deep(where)
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
    if len(text) > MAX_JSON_CHARS:
        raise DataError(f"{where}: larger than {MAX_JSON_CHARS} characters; not an answer bakegen reads")
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
