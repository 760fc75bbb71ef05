"""The bounded parsers and the one rule for strings (bakegen/untrusted.py), and the readers that use them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bakegen import untrusted
from bakegen.campaign import model as campaign
from bakegen.errors import DataError
from bakegen.untrusted import MAX_DEPTH, check_text, load_toml, loads_json, loads_toml

REPO = Path(__file__).resolve().parents[2]


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + "1" + close * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 100_000])
@pytest.mark.parametrize(("open_", "close"), [("[", "]"), ("{a=", "}")])
def test_toml_deeper_than_the_limit_is_one_data_error(depth: int, open_: str, close: str) -> None:
    with pytest.raises(DataError, match=f"^f.toml: arrays or tables nested more than {MAX_DEPTH} levels deep$"):
        loads_toml(f"x = {nested(depth, open_, close)}\n", "f.toml")


def test_toml_at_the_limit_parses() -> None:
    # The top-level table is one level: MAX_DEPTH - 1 arrays inside it.
    data = loads_toml(f"x = {nested(MAX_DEPTH - 1)}\n", "f.toml")
    assert data["x"][0][0][0] is not None


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
@pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a":', "}")])
def test_json_deeper_than_the_limit_is_one_data_error(depth: int, open_: str, close: str) -> None:
    with pytest.raises(DataError, match="nested more than 32 levels deep"):
        loads_json(nested(depth, open_, close), "https://api.example/x")


def test_the_limit_holds_however_deep_the_caller_already_is() -> None:
    """Called near the recursion limit, the parser's RecursionError is still a DataError."""

    def dive(n: int) -> None:
        if n:
            dive(n - 1)
            return
        with pytest.raises(DataError, match="nested more than"):
            loads_toml(f"x = {nested(40)}\n", "f.toml")
        with pytest.raises(DataError, match="nested more than"):
            loads_json(nested(40), "u")

    dive(sys.getrecursionlimit() - 120)


def test_dotted_keys_and_headers_count_as_nesting() -> None:
    with pytest.raises(DataError, match="nested more than"):
        loads_toml("a" + ".a" * 5000 + " = 1\n", "f.toml")
    with pytest.raises(DataError, match="nested more than"):
        loads_toml("[" + ".".join(["a"] * 100) + "]\n", "f.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = " + "9" * 5000, "f.toml: not valid TOML: Exceeds the limit"),
        ("x = 1979-13-45", "f.toml: not valid TOML"),
        ('x = "\\ud800"', "f.toml: not valid TOML"),
        ("x = [\n", "f.toml: not valid TOML"),
    ],
)
def test_toml_the_parser_refuses_is_one_data_error(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        loads_toml(text, "f.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [("[" + "1" * 5000 + "]", "not valid JSON"), ("{", "not valid JSON"), ("", "not valid JSON")],
)
def test_json_the_parser_refuses_is_one_data_error(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        loads_json(text, "u")


def test_a_data_file_over_the_size_limit_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"# " + b"x" * untrusted.MAX_TOML_BYTES + b"\n")
    with pytest.raises(DataError, match=f"larger than {untrusted.MAX_TOML_BYTES} bytes"):
        load_toml(path)
    with pytest.raises(DataError, match=f"larger than {untrusted.MAX_TOML_BYTES} bytes"):
        loads_toml(path.read_text(), str(path))


@pytest.mark.parametrize(
    ("char", "code"),
    [("\b", "0008"), ("\f", "000C"), ("\n", "000A"), ("\t", "0009"), ("\x7f", "007F"), ("\x85", "0085"),
     ("\u2028", "2028"), ("\u202e", "202E"), ("\u2066", "2066"), ("\ud800", "D800"), ("\x00", "0000")],
)
def test_check_text_refuses_control_characters_on_one_line(char: str, code: str) -> None:
    with pytest.raises(DataError) as caught:
        check_text(f"abc{char}def", "summary")
    assert f"holds U+{code}" in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1


def test_check_text_passes_other_unicode_and_quotes_long_values_short() -> None:
    assert check_text("Café ☕ — ok", "summary") == "Café ☕ — ok"
    with pytest.raises(DataError) as caught:
        check_text("x" * 10_000 + "\n", "summary")
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('a = "ok"\n[[t]]\nb = "x\\by"\n', "f.toml: t[0].b"),
        ('"k\\ny" = 1\n', "f.toml: key 'k\\ny'"),
        ('a = ["ok", "\\u202e"]\n', "f.toml: a[1]"),
        ('a = {b = {"c\\u0000" = 1}}\n', "f.toml: key 'c\\x00' in a.b"),
    ],
)
def test_every_key_and_string_of_a_data_file_is_checked(text: str, where: str) -> None:
    with pytest.raises(DataError) as caught:
        loads_toml(text, "f.toml")
    assert str(caught.value).startswith(where), str(caught.value)


def test_the_first_bad_string_in_document_order_is_named() -> None:
    with pytest.raises(DataError, match="^f.toml: a: "):
        loads_toml('a = "1\\n"\nb = "2\\n"\n', "f.toml")


def test_json_over_the_size_limit_is_refused_unparsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(untrusted, "MAX_JSON_CHARS", 100)
    monkeypatch.setattr(untrusted.json, "loads", lambda text: pytest.fail("parsed"))
    with pytest.raises(DataError, match="^u: larger than 100 characters"):
        loads_json("[" + "1," * 60 + "1]", "u")


def test_json_strings_are_left_to_the_reader() -> None:
    """An API answer may carry free text bakegen never uses; only the values it uses are checked."""
    assert loads_json('[{"notes": "line 1\\nline 2", "name": "Python 3.13.5"}]', "u")[0]["name"] == "Python 3.13.5"


def test_the_project_data_files_pass() -> None:
    for path in [*(REPO / "versions").glob("*.toml"), REPO / "bakegen/bake/variants.toml",
                 REPO / "bakegen/campaign/flagsets.toml"]:
        assert load_toml(path)


def test_campaign_files_are_read_through_the_bounded_parser(tmp_path: Path) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text(f"x = {nested(5000)}\n")
    with pytest.raises(DataError, match="nested more than"):
        campaign.load(path)
    # The campaign's own name pattern ends in $, which takes a trailing newline: the parser does not.
    path.write_text('[[set]]\nname = "fast\\n"\n')
    with pytest.raises(DataError, match="U\\+000A"):
        campaign.load(path)
