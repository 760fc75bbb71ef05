"""Strict loading of versions/ and variants.toml: every mistake names the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakegen.bake.data import (
    load_release,
    load_releases,
    load_variants,
    load_variants_file,
    validate_releases,
    validate_variants,
)
from bakegen.bake.model import Variant
from bakegen.errors import DataError

REPO = Path(__file__).resolve().parents[2]
GOOD = """\
version = "3.13.15"
tarball = "Python-3.13.15.tar.xz"
sha256 = "1e66a7945a48390ee4c2a4268a0e4185884059a13c4aab6d148aa208deea4a76"
source = "test"
verified = "unverified"
"""


def write(tmp_path: Path, text: str, name: str = "3.13.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_loads_a_release(tmp_path: Path) -> None:
    r = load_release(write(tmp_path, GOOD))
    assert (r.line, r.version, r.debian, r.key, r.major) == ("3.13", "3.13.15", "trixie", "3_13", "3")
    assert r.tarball.path == "3.13.15/Python-3.13.15.tar.xz"
    assert not r.is_prerelease


def test_the_shipped_data_loads_and_validates() -> None:
    releases = load_releases(REPO / "versions")
    validate_releases(releases)
    assert [r.line for r in releases] == sorted((r.line for r in releases), key=lambda s: tuple(map(int, s.split("."))))
    assert {"3.11", "3.12", "3.13", "3.14", "3.15"} <= {r.line for r in releases}
    for r in releases:
        assert r.source, r.line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + 'colour = "blue"\n', "unknown field 'colour'"),
        (GOOD.replace('"3.13.15"', '"3.13"', 1), "field 'version' is '3.13'"),
        (GOOD.replace('"3.13.15"', '"3.13.15-final"', 1), "field 'version'"),
        (GOOD.replace("1e66a7945a", "1E66A7945A"), "field 'sha256' must be 64 lower-case hex digits"),
        (GOOD.replace("1e66a7945a", "1e66"), "field 'sha256'"),
        (GOOD.replace("Python-3.13.15.tar.xz", "Python-3.13.14.tar.xz"), "field 'tarball'"),
        (GOOD.replace('source = "test"\n', ""), "missing field 'source'"),
        (GOOD.replace('"3.13.15"', "3", 1), "field 'version' must be a str, not int"),
        (GOOD + 'debian = "Trixie 13"\n', "field 'debian'"),
        (GOOD + "version = [\n", "not valid TOML"),
        (GOOD + '[[previous]]\nversion = "3.13.5"\n', "previous[0]: missing field"),
        (GOOD.replace('verified = "unverified"\n', ""), "missing field 'verified'"),
        (GOOD.replace('"unverified"', '"yes"'), "field 'verified' is 'yes', not openpgp:"),
        (GOOD.replace('"unverified"', '"openpgp:7169605f62c751356d054a26a821e680e5fa6305"'), "field 'verified'"),
        (GOOD.replace('"unverified"', '"openpgp:A821E680E5FA6305"'), "field 'verified'"),
        (GOOD.replace('"unverified"', '"sigstore:hugo@python.org"'), "field 'verified'"),
        (GOOD.replace('"unverified"', '"sigstore:hugo@python.org|http://issuer"'), "field 'verified'"),
        (GOOD + '[[previous]]\nversion = "3.13.5"\ntarball = "Python-3.13.5.tar.xz"\nsha256 = "' + "a" * 64
         + '"\nsource = "t"\n', "previous[0]: missing field 'verified'"),
    ],
)
def test_bad_data_names_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DataError) as exc:
        load_release(path)
    assert str(path) in str(exc.value)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(
    "verified",
    ["openpgp:7169605F62C751356D054A26A821E680E5FA6305", "sigstore:hugo@python.org|https://github.com/login/oauth",
     "unverified"],
)
def test_each_way_of_verifying_parses(tmp_path: Path, verified: str) -> None:
    release = load_release(write(tmp_path, GOOD.replace('"unverified"', f'"{verified}"')))
    assert release.tarball.verified == verified


def test_file_name_must_be_a_line(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file name must be a CPython line"):
        load_release(write(tmp_path, GOOD, "latest.toml"))


def test_version_of_another_line_is_caught_by_validation(tmp_path: Path) -> None:
    releases = [load_release(write(tmp_path, GOOD, "3.12.toml"))]
    with pytest.raises(DataError, match=r"not a 3\.12 release: fix the version, or move it to versions/3\.13\.toml"):
        validate_releases(releases)


def test_previous_must_be_older_and_sorted(tmp_path: Path) -> None:
    prev = ('[[previous]]\nversion = "{v}"\ntarball = "Python-{v}.tar.xz"\nsha256 = "{s}"\nsource = "t"\n'
            'verified = "unverified"\n')
    newer = GOOD + prev.format(v="3.13.16", s="a" * 64)
    with pytest.raises(DataError, match="not older than 3.13.15"):
        validate_releases([load_release(write(tmp_path, newer))])
    unsorted = GOOD + prev.format(v="3.13.4", s="a" * 64) + prev.format(v="3.13.5", s="b" * 64)
    with pytest.raises(DataError, match="sorted, newest first"):
        validate_releases([load_release(write(tmp_path, unsorted))])


def test_no_directory_or_no_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such directory"):
        load_releases(tmp_path / "missing")
    with pytest.raises(DataError, match="no release data"):
        load_releases(tmp_path)


def test_variants_are_data() -> None:
    variants = load_variants()
    validate_variants(variants)
    by_name = {v.name: v for v in variants}
    assert list(by_name) == ["wee", "wee-optimized", "wee-optimized-lto"]
    assert by_name["wee"].configure_flags == ()
    assert by_name["wee-optimized"].configure_flags == ("--enable-optimizations",)
    assert by_name["wee-optimized-lto"].configure_flags == ("--enable-optimizations", "--with-lto")


def test_lto_without_pgo_is_refused() -> None:
    with pytest.raises(DataError, match="lto = true needs optimal = true"):
        validate_variants([Variant("fast", "x", optimal=False, lto=True)])


def test_cross_compiling_with_pgo_is_refused() -> None:
    with pytest.raises(DataError, match="cross_compile = true cannot go with optimal = true"):
        validate_variants([Variant("odd", "x", optimal=True, lto=False, cross_compile=True)])


def test_unknown_variant_field(tmp_path: Path) -> None:
    path = write(tmp_path, '[[variant]]\nname = "x"\nsummary = "y"\noptimal = true\nlto = false\nflags = 1\n', "v.toml")
    with pytest.raises(DataError, match=r"variant\[0\]: unknown field 'flags'"):
        load_variants(path)


VARIANTS = '[[variant]]\nname = "wee"\nsummary = "plain"\noptimal = false\nlto = false\n'


def test_the_shipped_free_threaded_builds() -> None:
    variants, freethreading = load_variants_file()
    assert freethreading is not None
    assert freethreading.since == "3.13" and freethreading.variants == ()  # every variant
    assert "PEP 703" in freethreading.summary


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('since = "3.13"\n', "[freethreaded]: missing field 'summary'"),
        ('since = "3.13"\nsummary = "x"\nabi = "t"\n', "[freethreaded]: unknown field 'abi'"),
        ('since = 3.13\nsummary = "x"\n', "field 'since' must be a str, not float"),
        ('since = "3.13.1"\nsummary = "x"\n', "field 'since' must be a CPython line such as 3.13, got '3.13.1'"),
        ('since = "3.13"\nsummary = "x"\nvariants = [1]\n', "field 'variants' must list variant names"),
    ],
)
def test_bad_free_threaded_table_names_file_and_field(tmp_path: Path, table: str, message: str) -> None:
    path = write(tmp_path, VARIANTS + "[freethreaded]\n" + table, "variants.toml")
    with pytest.raises(DataError) as exc:
        load_variants_file(path)
    assert str(exc.value).startswith(f"{path}: ") and message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_free_threaded_variants_must_exist(tmp_path: Path) -> None:
    table = '[freethreaded]\nsince = "3.14"\nsummary = "x"\nvariants = ["wee", "we"]\n'
    with pytest.raises(DataError, match="field 'variants' names 'we', which is not a variant; did you mean wee?"):
        load_variants_file(write(tmp_path, VARIANTS + table, "variants.toml"))
    twice = '[freethreaded]\nsince = "3.14"\nsummary = "x"\nvariants = ["wee", "wee"]\n'
    with pytest.raises(DataError, match="names a variant twice"):
        load_variants_file(write(tmp_path, VARIANTS + twice, "variants.toml"))


def test_no_free_threaded_table_no_free_threaded_builds(tmp_path: Path) -> None:
    variants, freethreading = load_variants_file(write(tmp_path, VARIANTS, "variants.toml"))
    assert [v.name for v in variants] == ["wee"] and freethreading is None
