"""Target names, tags and groups."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bakegen.bake.data import load_releases, load_variants
from bakegen.bake.model import Tarball, Target
from bakegen.bake.plan import BAKE_NAME_RE, build_plan, check_plan, pin_to_available
from bakegen.errors import BakegenError, DataError
from bakegen.sums import parse_sha256sums

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
    plan = build_plan(load_releases(REPO / "versions"), load_variants())
    tags = [tag for t in plan.targets for tag in t.tag_names]
    assert len(tags) == len(set(tags))
    majors = [t.name for t in plan.targets if t.tag_names[-1].startswith("3-")]
    assert len(majors) == len(plan.variants)


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
    assert sums["3.13.15"].name == "Python-3.13.15.tar.xz"  # .tar.xz preferred over .tgz
    sha = "2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849"
    assert sums["3.11.2"] == Tarball("3.11.2", "Python-3.11.2.tgz", sha)
    releases = load_releases(REPO / "versions")
    pinned = {r.line: r for r in pin_to_available(releases, sums)}
    assert pinned["3.13"].version == "3.13.15"  # newest final release, the rc is skipped
    assert pinned["3.11"].version == "3.11.2"
    original = {r.line: r for r in releases}
    assert pinned["3.14"] == original["3.14"]  # nothing on the mirror: unchanged


def test_sha256sums_rejects_garbage() -> None:
    with pytest.raises(DataError, match=r"SUMS:2: not a"):
        parse_sha256sums(SUMS.splitlines()[0] + "\nhello world\n", "SUMS")


def test_latest_alias_goes_to_the_newest_stable_lto_only(plan) -> None:
    assert [t.name for t in plan.targets if t.latest_alias] == ["3_13-wee-optimized-lto"]  # 3.16 is a pre-release


def test_reference_and_stages(plan) -> None:
    assert plan.reference is not None and plan.reference.release.line == "3.13"
    assert plan.target("2_7-wee").stage == "runtime-python2"
    assert plan.target("3_13-wee").stage == "runtime"
