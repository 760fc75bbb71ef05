"""Target names, tags and groups."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bakegen.bake.data import load_releases, load_variants, load_variants_file
from bakegen.bake.model import Tarball, Target, Variant
from bakegen.bake.plan import BAKE_NAME_RE, build_plan, check_plan, pin_to_available
from bakegen.errors import BakegenError, DataError
from bakegen.sums import MirrorTrust, parse_sha256sums

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def plan():
    return build_plan(load_releases(FIXTURES / "versions"), load_variants())


def test_one_target_per_line_and_variant(plan) -> None:
    assert plan.names() == [
        "2_7-wee", "2_7-wee-optimized", "2_7-wee-optimized-lto",
        "3_13-wee", "3_13-wee-optimized", "3_13-wee-optimized-lto",
        "3_16-wee", "3_16-wee-optimized", "3_16-wee-optimized-lto",
    ]
    assert all(BAKE_NAME_RE.match(n) for n in plan.names())


def test_tags(plan) -> None:
    assert plan.target("3_13-wee-optimized-lto").tag_names == (
        "3.13.15-wee-optimized-lto", "3.13-wee-optimized-lto", "3-wee-optimized-lto",
    )
    # A pre-release line never takes the major tag from the newest stable line.
    assert plan.target("3_16-wee").tag_names == ("3.16.0a1-wee", "3.16-wee")
    # Python 2 gets Python 2 tags only.
    assert plan.target("2_7-wee").tag_names == ("2.7.18-wee", "2.7-wee", "2-wee")
    assert not [t for t in plan.target("2_7-wee").tag_names if t.startswith("3")]


def test_no_two_targets_claim_a_tag_in_the_shipped_data() -> None:
    plan = build_plan(load_releases(REPO / "versions"), *load_variants_file())
    tags = [tag for t in plan.targets for tag in t.tag_names]
    assert len(tags) == len(set(tags))
    majors = [t.name for t in plan.targets if t.tag_names[-1].startswith("3-")]
    assert len(majors) == len(plan.variants)
    # 3t-<variant>: the newest stable line's free-threaded build, in every variant
    free = [t.name for t in plan.targets if t.tag_names[-1].startswith("3t-")]
    assert free == [name.replace("-", "t-", 1) for name in majors]


@pytest.mark.parametrize("name", ["default", "freethreaded", "custom", "reference", "reference-modules",
                                  "sbom-generator", "debian-python3"])
def test_a_variant_named_as_bakegen_names_its_own_is_bad_data_with_the_fix(name: str) -> None:
    variants = [Variant(name=name, summary="x", optimal=False, lto=False)]
    with pytest.raises(DataError, match=f"^variant '{name}': every variant is also a bake group .* rename the variant"):
        build_plan(load_releases(FIXTURES / "versions"), variants)


def test_a_tag_longer_than_a_registry_takes_is_bad_data_with_the_fix(plan) -> None:
    """Variant names are capped (data.NAME_MAX) so that tags fit; the plan checks the tags themselves too."""
    t = plan.targets[0]
    long = Target(t.release, replace(t.variant, name="w" * 130), (f"{t.release.version}-{'w' * 130}",))
    with pytest.raises(DataError, match=r"is 137 characters long, more than the 128 .* shorten the name of variant"):
        check_plan(replace(plan, targets=(long,)))


def test_check_plan_catches_a_shared_tag(plan) -> None:
    t = plan.targets[0]
    clash = Target(t.release, replace(t.variant, name="wee-again"), ("only-mine", t.tag_names[0]))
    with pytest.raises(BakegenError, match=f"tag '{t.tag_names[0]}' is claimed by both {t.name} and 2_7-wee-again"):
        check_plan(replace(plan, targets=(*plan.targets, clash)))


def test_groups(plan) -> None:
    groups = {g.name: g.targets for g in plan.groups}
    assert groups["default"] == tuple(plan.names())
    assert groups["3_13"] == ("3_13-wee", "3_13-wee-optimized", "3_13-wee-optimized-lto")
    assert groups["wee-optimized-lto"] == ("2_7-wee-optimized-lto", "3_13-wee-optimized-lto", "3_16-wee-optimized-lto")


def test_args(plan) -> None:
    assert plan.target("3_13-wee-optimized").args == {
        "PYTHON_VERSION": "3.13.15",
        "PYTHON_SHA256": "1e66a7945a48390ee4c2a4268a0e4185884059a13c4aab6d148aa208deea4a76",
        "PYTHON_TARBALL": "3.13.15/Python-3.13.15.tar.xz",
        "OPTIMAL": "1",
        "LTO": "0",
        "BUILD_ON": "target",
        "SETUPTOOLS_WHEEL": "0",
        "FREETHREADED": "0",
        "HARDENING": "all",
    }
    assert plan.target("3_13-wee").args["BUILD_ON"] == "host"  # cross-compiles foreign platforms
    assert plan.target("2_7-wee").args["BUILD_ON"] == "target"  # no --with-build-python before 3.11
    assert plan.target("3_16-wee").args["PYTHON_TARBALL"] == "3.16.0/Python-3.16.0a1.tar.xz"
    assert plan.target("2_7-wee").args["PYTHON_TARBALL"] == "2.7.18/Python-2.7.18.tgz"


SUMS = """\
1e66a7945a48390ee4c2a4268a0e4185884059a13c4aab6d148aa208deea4a76  Python-3.13.15.tar.xz
c28d9d213c09b5b5ab2c29812950e12f746999e099b82894231be954b26baed9  Python-3.13.15.tgz
93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640  Python-3.13.5.tar.xz
2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849  Python-3.11.2.tgz
%s  Python-3.13.99rc1.tar.xz
""" % ("f" * 64)


def test_sha256sums_and_pinning() -> None:
    sums = parse_sha256sums(SUMS, "SHA256SUMS")
    sha = "2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849"
    assert sums["Python-3.11.2.tgz"] == Tarball("3.11.2", "Python-3.11.2.tgz", sha)
    assert sums["Python-3.11.2.tgz"].sum_from_mirror and sums["Python-3.11.2.tgz"].sum_origin == "SHA256SUMS"
    releases = load_releases(REPO / "versions")
    # The mirror lags behind versions/: its releases are pinned, but older than each line's newest.
    with pytest.raises(DataError, match=r"CPython 3\.11: the mirror's newest is 3\.11\.2, older than 3\.11\.17"):
        pin_to_available(releases, sums)
    pinned = {r.line: r for r in pin_to_available(releases, sums, MirrorTrust(allow_older=True))}
    assert pinned["3.13"].version == "3.13.15"  # newest final release, the rc is skipped
    assert pinned["3.13"].tarball.name == "Python-3.13.15.tar.xz"  # .tar.xz preferred over .tgz
    assert pinned["3.11"].version == "3.11.2"
    original = {r.line: r for r in releases}
    assert pinned["3.14"] == original["3.14"]  # nothing on the mirror: unchanged
    # versions/ pins both, so both keep the pinned tarball, and say so.
    for line in ("3.13", "3.11"):
        assert not pinned[line].tarball.sum_from_mirror
        assert pinned[line].tarball.sum_origin == str(REPO / "versions" / f"{line}.toml")


def test_sha256sums_rejects_garbage() -> None:
    with pytest.raises(DataError, match=r"SUMS:2: not a"):
        parse_sha256sums(SUMS.splitlines()[0] + "\nhello world\n", "SUMS")


def test_sha256sums_rejects_a_file_listed_twice_with_different_sums() -> None:
    first = SUMS.splitlines()[0]
    other = "0" * 64 + "  *Python-3.13.15.tar.xz"  # sha256sum's binary-mode mark: the same file
    with pytest.raises(DataError) as exc:
        parse_sha256sums(f"{first}\n# comment\n{other}\n", "SUMS")
    message = str(exc.value)
    assert message.startswith("SUMS:3: Python-3.13.15.tar.xz is listed twice with different sums")
    assert f"{first.split()[0]} on line 1" in message and f"{'0' * 64} on line 3" in message
    # The same line twice says nothing new and passes.
    assert parse_sha256sums(f"{first}\n{first}\n", "SUMS") == parse_sha256sums(first, "SUMS")


FIXTURE_313 = FIXTURES / "versions" / "3.13.toml"
MADE_UP = "f" * 64


@pytest.mark.parametrize(
    ("listed", "why"),
    [
        (f"{MADE_UP}  Python-3.13.5.tar.xz", "a pinned previous release, which the mirror would build"),
        (f"{MADE_UP}  Python-3.13.15.tar.xz", "the line's pinned release"),
        (
            f"{MADE_UP}  Python-3.13.5.tar.xz\n" + "a" * 64 + "  Python-3.13.99.tar.xz",
            "a pinned release the mirror would not even build",
        ),
    ],
)
def test_a_mirror_never_replaces_a_pinned_sum(listed: str, why: str) -> None:
    releases = load_releases(FIXTURES / "versions")
    with pytest.raises(DataError) as exc:
        pin_to_available(releases, parse_sha256sums(listed, "/srv/mirror/SHA256SUMS"))
    message = str(exc.value)
    pinned = {t.version: t for r in releases for t in (r.tarball, *r.previous)}
    version = listed.split("Python-")[1].split(".tar")[0]
    assert message.startswith(f"CPython {version}: {FIXTURE_313} pins Python-{version}.tar.xz"), why
    assert f"sha256 {pinned[version].sha256}, but /srv/mirror/SHA256SUMS lists {MADE_UP}" in message, why
    assert "\n" not in message


def test_a_release_versions_does_not_pin_is_refused_by_default() -> None:
    sums = parse_sha256sums("a" * 64 + "  Python-3.13.99.tar.xz\n", "http://mirror/SHA256SUMS")
    with pytest.raises(DataError) as exc:
        pin_to_available(load_releases(FIXTURES / "versions"), sums)
    assert str(exc.value) == (
        "CPython 3.13: the mirror's newest is Python-3.13.99.tar.xz (http://mirror/SHA256SUMS), which "
        f"{FIXTURE_313} does not pin: add it to versions/ (bakegen versions update), or pass --allow-unpinned "
        "to build it with the mirror's sum"
    )
    # --allow-older does not stand in for --allow-unpinned.
    with pytest.raises(DataError, match="--allow-unpinned"):
        pin_to_available(load_releases(FIXTURES / "versions"), sums, MirrorTrust(allow_older=True))


def test_an_older_pinned_release_is_refused_by_default() -> None:
    """The rollback of a floating tag: versions/ pins 3.13.15 as newest and 3.13.5 as previous."""
    sums = parse_sha256sums("93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640  "
                            "Python-3.13.5.tar.xz\n", "SUMS")
    releases = load_releases(FIXTURES / "versions")
    with pytest.raises(DataError) as exc:
        pin_to_available(releases, sums)
    assert str(exc.value) == (
        f"CPython 3.13: the mirror's newest is 3.13.5, older than 3.13.15, which {FIXTURE_313} pins: "
        "the 3.13 tags would move back; pass --allow-older to build the older release"
    )
    pinned = {r.line: r for r in pin_to_available(releases, sums, MirrorTrust(allow_older=True))}
    assert pinned["3.13"].version == "3.13.5" and not pinned["3.13"].tarball.sum_from_mirror
    # An older release that is not pinned either needs both flags.
    older = parse_sha256sums("b" * 64 + "  Python-3.13.4.tar.xz\n", "SUMS")
    with pytest.raises(DataError, match="--allow-unpinned"):
        pin_to_available(releases, older, MirrorTrust(allow_older=True))
    with pytest.raises(DataError, match="--allow-older"):
        pin_to_available(releases, older, MirrorTrust(allow_unpinned=True))
    both = MirrorTrust(allow_older=True, allow_unpinned=True)
    assert {r.line: r for r in pin_to_available(releases, older, both)}["3.13"].version == "3.13.4"


def test_a_release_versions_does_not_pin_takes_the_mirrors_sum_and_says_so() -> None:
    sums = parse_sha256sums("a" * 64 + "  Python-3.13.99.tar.xz\n", "http://mirror/SHA256SUMS")
    releases = pin_to_available(load_releases(FIXTURES / "versions"), sums, MirrorTrust(allow_unpinned=True))
    plan = build_plan(releases, load_variants())
    (release,) = plan.mirror_summed
    assert release.version == "3.13.99" and release.tarball.sha256 == "a" * 64
    assert release.tarball.sum_origin == "http://mirror/SHA256SUMS" and release.tarball.sum_from_mirror
    assert "versions/ does not pin it" in release.source
    assert plan.target("3_13-wee").args["PYTHON_SHA256"] == "a" * 64
    # The lines the mirror does not carry stay pinned.
    assert not plan.target("2_7-wee").release.tarball.sum_from_mirror


def test_without_a_mirror_every_sum_is_pinned(plan) -> None:
    assert plan.mirror_summed == ()
    assert {t.release.tarball.sum_origin for t in plan.targets} == {
        str(FIXTURES / "versions" / f"{line}.toml") for line in ("2.7", "3.13", "3.16")
    }


def test_latest_alias_goes_to_the_newest_stable_lto_only(plan) -> None:
    assert [t.name for t in plan.targets if t.latest_alias] == ["3_13-wee-optimized-lto"]  # 3.16 is a pre-release


def test_reference_and_stages(plan) -> None:
    assert plan.reference is not None and plan.reference.release.line == "3.13"
    assert plan.target("2_7-wee").stage == "runtime-python2"
    assert plan.target("3_13-wee").stage == "runtime"


def test_a_pinned_release_keeps_its_pinned_file() -> None:
    # The mirror lists 2.7.18 as .tar.xz and as .tgz; versions/ pins the .tgz, so that is built.
    sums = parse_sha256sums((FIXTURES / "upstream" / "SHA256SUMS").read_text(), "SHA256SUMS")
    trust = MirrorTrust(allow_unpinned=True)
    pinned = {r.line: r for r in pin_to_available(load_releases(FIXTURES / "versions"), sums, trust)}
    assert pinned["2.7"].tarball.name == "Python-2.7.18.tgz" and not pinned["2.7"].tarball.sum_from_mirror
    assert pinned["3.13"].version == "3.13.17" and pinned["3.13"].tarball.sum_from_mirror
    assert pinned["3.16"].version == "3.16.0a1"  # pre-releases on the mirror are not taken


def test_another_file_of_a_pinned_release_is_the_mirrors_word() -> None:
    # versions/ pins 2.7.18 as .tgz; a mirror holding only the .tar.xz cannot be checked against it.
    sums = parse_sha256sums("b" * 64 + "  Python-2.7.18.tar.xz\n", "SUMS")
    with pytest.raises(DataError, match="CPython 2.7: .* does not pin: .*--allow-unpinned"):
        pin_to_available(load_releases(FIXTURES / "versions"), sums)
    (release, *_) = pin_to_available(load_releases(FIXTURES / "versions"), sums, MirrorTrust(allow_unpinned=True))
    assert release.tarball == Tarball("2.7.18", "Python-2.7.18.tar.xz", "b" * 64)
    assert release.tarball.sum_from_mirror and release.tarball.sum_origin == "SUMS"


def test_setuptools_and_wheel_below_3_12_only(plan) -> None:
    # as the official images (docker-library/python#954); 2.7's pip comes from its ensurepip alone
    wee = plan.target("3_13-wee")

    def on(line: str) -> str:
        return replace(wee, release=replace(wee.release, line=line)).args["SETUPTOOLS_WHEEL"]

    assert [on("3.10"), on("3.11"), on("3.12"), on("3.13")] == ["1", "1", "0", "0"]
    assert plan.target("2_7-wee").args["SETUPTOOLS_WHEEL"] == "0"


@pytest.fixture
def ft_plan():
    """The fixture lines (2.7, 3.13, a 3.16 pre-release) with the shipped free-threaded builds."""
    return build_plan(load_releases(FIXTURES / "versions"), *load_variants_file())


def test_free_threaded_targets_follow_each_line_from_3_13(ft_plan) -> None:
    assert ft_plan.names() == [
        "2_7-wee", "2_7-wee-optimized", "2_7-wee-optimized-lto",
        "3_13-wee", "3_13-wee-optimized", "3_13-wee-optimized-lto",
        "3_13t-wee", "3_13t-wee-optimized", "3_13t-wee-optimized-lto",
        "3_16-wee", "3_16-wee-optimized", "3_16-wee-optimized-lto",
        "3_16t-wee", "3_16t-wee-optimized", "3_16t-wee-optimized-lto",
    ]
    t = ft_plan.target("3_13t-wee-optimized-lto")
    assert (t.line, t.line_key, t.freethreaded) == ("3.13t", "3_13t", True)
    assert t.args["FREETHREADED"] == "1" and ft_plan.target("3_13-wee").args["FREETHREADED"] == "0"
    assert t.args["OPTIMAL"] == "1" and t.args["LTO"] == "1" and t.args["BUILD_ON"] == "target"
    assert ft_plan.target("3_13t-wee").args["BUILD_ON"] == "host"  # cross-compiled like the GIL build
    assert t.labels["io.bakegen.configure-flags"] == "--enable-optimizations --with-lto --disable-gil"
    assert t.labels["org.opencontainers.image.title"] == "CPython 3.13.15 free-threaded (wee-optimized-lto)"
    assert "PEP 703" in t.labels["org.opencontainers.image.description"]


def test_free_threaded_tags_carry_the_abi_flag(ft_plan) -> None:
    assert ft_plan.target("3_13t-wee").tag_names == ("3.13.15t-wee", "3.13t-wee", "3t-wee")
    assert ft_plan.target("3_16t-wee").tag_names == ("3.16.0a1t-wee", "3.16t-wee")  # a pre-release: no 3t
    # latest stays with the GIL build; no tag is claimed twice (build_plan checks it, and so here)
    assert [t.name for t in ft_plan.targets if t.latest_alias] == ["3_13-wee-optimized-lto"]
    tags = [tag for t in ft_plan.targets for tag in t.tag_names]
    assert len(tags) == len(set(tags))


def test_free_threaded_groups(ft_plan) -> None:
    groups = {g.name: g.targets for g in ft_plan.groups}
    assert groups["3_13t"] == ("3_13t-wee", "3_13t-wee-optimized", "3_13t-wee-optimized-lto")
    assert groups["3_13"] == ("3_13-wee", "3_13-wee-optimized", "3_13-wee-optimized-lto")
    assert groups["wee"] == ("2_7-wee", "3_13-wee", "3_13t-wee", "3_16-wee", "3_16t-wee")
    assert groups["freethreaded"] == tuple(n for n in ft_plan.names() if "t-" in n.split("_", 1)[1])
    assert groups["default"] == tuple(ft_plan.names())
    assert "2_7t" not in groups and ft_plan.reference.name == "3_13-wee"


def test_free_threaded_builds_of_some_variants_and_lines(ft_plan) -> None:
    releases = load_releases(FIXTURES / "versions")
    some = replace(ft_plan.freethreading, since="3.16", variants=("wee", "wee-optimized-lto"))
    plan = build_plan(releases, load_variants(), some)
    assert [t.name for t in plan.targets if t.freethreaded] == ["3_16t-wee", "3_16t-wee-optimized-lto"]
    assert "3_13t" not in {g.name for g in plan.groups}


def test_since_alone_decides_which_lines_are_built_free_threaded(ft_plan) -> None:
    wee = ft_plan.variants[0]
    assert not ft_plan.freethreading.builds(ft_plan.target("2_7-wee").release, wee)
    assert ft_plan.freethreading.builds(ft_plan.target("3_13-wee").release, wee)
    later = replace(ft_plan.freethreading, since="3.14")
    assert not later.builds(ft_plan.target("3_13-wee").release, wee)
    # Python 2 is never built free-threaded, whatever the data says.
    assert not replace(ft_plan.freethreading, since="2.7").builds(ft_plan.target("2_7-wee").release, wee)


def test_no_free_threaded_build_without_the_data() -> None:
    plan = build_plan(load_releases(FIXTURES / "versions"), load_variants())
    assert not [t for t in plan.targets if t.freethreaded] and "freethreaded" not in {g.name for g in plan.groups}
