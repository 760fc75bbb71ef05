"""``bakegen campaign``: the flag-set file, and a campaign run against a fake engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bakegen.bench.request import BenchRequest
from bakegen.campaign import run as campaign_run
from bakegen.campaign.model import load
from bakegen.campaign.run import CampaignRequest, Engine
from bakegen.errors import BakegenError, DataError
from tests.kit.bench import sample_results

CAMPAIGN = """
baseline = "base"
compare = ["reference"]

[[set]]
name = "base"
summary = "the baseline"

[[set]]
name = "clang"
packages = ["clang-21/sid"]
configure = ["CC=clang-21", "BOLT_APPLY_FLAGS=-a -b"]
ldflags = "-fuse-ld=lld"

[[set]]
name = "broken"
cflags = "-fno-such-flag"
"""


def write(tmp_path: Path, text: str = CAMPAIGN) -> Path:
    path = tmp_path / "campaign.toml"
    path.write_text(text)
    return path


class FakeEngine:
    """Builds succeed except for the sets named in ``fail``; records what it was asked."""

    def __init__(self, fail=(), interrupt_at: str | None = None, bench_error: str | None = None) -> None:
        self.fail, self.interrupt_at, self.bench_error = set(fail), interrupt_at, bench_error
        self.built: list[tuple[str, dict[str, str]]] = []
        self.benched: list[str] = []

    def build(self, target: str, variables: dict[str, str], progress) -> str:
        name = variables.get("IMAGE_NAME", target)
        if name == self.interrupt_at:
            raise KeyboardInterrupt
        self.built.append((target, variables))
        if name in self.fail:
            raise BakegenError(f"build failed: step [build 2/6] exited with code 1 ({name})")
        return f"bakegen-campaign/{name}:tag"

    def run(self, image: str, argv: list[str]) -> str:
        return f"-O3 -flags-of-{image.split('/')[1].split(':')[0]}\n"

    def bench(self, request: BenchRequest, progress):
        self.benched = list(request.images)
        if self.bench_error:
            raise BakegenError(self.bench_error)
        return sample_results()

    def default_version(self) -> str:
        return "3.13.15"

    def engine(self) -> Engine:
        return Engine(self.build, self.run, self.bench, self.default_version)


def request(tmp_path: Path, **kw) -> CampaignRequest:
    return CampaignRequest(file=write(tmp_path), bench=BenchRequest(images=[], output=tmp_path / "out"), **kw)


def test_each_set_builds_the_custom_target_with_its_own_variables(tmp_path: Path) -> None:
    fake = FakeEngine()
    campaign_run.run(request(tmp_path), fake.engine(), lambda line: None)
    custom = {v["IMAGE_NAME"]: v for t, v in fake.built if t == "custom"}
    assert set(custom) == {"base", "clang", "broken"}
    clang = custom["clang"]
    assert clang["EXTRA_PACKAGES"] == "clang-21/sid"
    assert clang["EXTRA_CONFIGURE"] == "CC=clang-21 'BOLT_APPLY_FLAGS=-a -b'"
    assert clang["EXTRA_LDFLAGS"] == "-fuse-ld=lld"
    assert (clang["OPTIMAL"], clang["LTO"], clang["HARDENING"], clang["PYTHON_VERSION"]) == ("1", "1", "all", "3.13.15")
    assert [t for t, _ in fake.built if t != "custom"] == ["reference"]
    # The baseline is benchmarked first: every ratio is against it.
    assert fake.benched[0] == "bakegen-campaign/base:tag"


def test_a_failing_set_gets_one_line_and_the_others_are_written(tmp_path: Path) -> None:
    fake = FakeEngine(fail={"broken"})
    lines: list[str] = []
    text = campaign_run.run(request(tmp_path), fake.engine(), lines.append)
    failures = [line for line in lines if "set broken:" in line]
    assert len(failures) == 1 and "\n" not in failures[0]
    assert "bakegen-campaign/broken:tag" not in fake.benched
    assert "broken: FAILED" in text
    data = json.loads((tmp_path / "out" / "campaign.json").read_text())
    by_name = {s["name"]: s for s in data["sets"]}
    assert by_name["broken"]["built"] is False and "exited with code 1" in by_name["broken"]["error"]
    assert by_name["clang"]["core_cflags"] == "-O3 -flags-of-clang"
    for name in ("bench.json", "bench.txt", "bench.svg"):
        assert (tmp_path / "out" / name).stat().st_size > 0


def test_the_baseline_failing_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(BakegenError, match="baseline set base has no image"):
        campaign_run.run(request(tmp_path), FakeEngine(fail={"base"}).engine(), lambda line: None)
    assert not (tmp_path / "out" / "campaign.json").exists()


def test_ctrl_c_leaves_earlier_results_as_they_were(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "campaign.json").write_text("earlier\n")
    with pytest.raises(KeyboardInterrupt):
        campaign_run.run(request(tmp_path), FakeEngine(interrupt_at="clang").engine(), lambda line: None)
    assert (out / "campaign.json").read_text() == "earlier\n"
    assert sorted(p.name for p in out.iterdir()) == ["campaign.json"]


def test_a_failed_benchmark_still_writes_the_builds(tmp_path: Path) -> None:
    campaign_run.run(request(tmp_path), FakeEngine(bench_error="pip failed").engine(), lambda line: None)
    data = json.loads((tmp_path / "out" / "campaign.json").read_text())
    assert data["bench_error"] == "pip failed"
    assert not (tmp_path / "out" / "bench.json").exists()


def test_unknown_set_is_refused_before_anything_builds(tmp_path: Path) -> None:
    fake = FakeEngine()
    with pytest.raises(DataError, match="no flag set named 'gcc-15'"):
        campaign_run.run(request(tmp_path, sets=["gcc-15"]), fake.engine(), lambda line: None)
    assert fake.built == []


def test_unknown_benchmark_is_refused_before_anything_builds(tmp_path: Path) -> None:
    fake = FakeEngine()
    req = request(tmp_path)
    req.bench.benchmarks = ["no_such_benchmark"]
    with pytest.raises(BakegenError):
        campaign_run.run(req, fake.engine(), lambda line: None)
    assert fake.built == []


def test_only_named_sets_build(tmp_path: Path) -> None:
    fake = FakeEngine()
    campaign_run.run(request(tmp_path, sets=["clang"], no_compare=True), fake.engine(), lambda line: None)
    assert [v["IMAGE_NAME"] for _, v in fake.built] == ["clang"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[set]]\nname = "a"\ncolour = "red"\n', "unknown key 'colour'"),
        ('[[set]]\nname = "a"\nlto = "yes"\n', "lto must be a bool"),
        ('[[set]]\nname = "A b"\n', "set name 'A b'"),
        ('[[set]]\nname = "a"\n[[set]]\nname = "a"\n', "used twice"),
        ('[[set]]\nname = "a"\npackages = ["clang 21"]\n', "not a Debian package name"),
        ('[[set]]\nname = "a"\ncflags = "-O2\\b"\n', "control characters"),
        ('[[set]]\nname = "a"\noptimal = false\n', "lto needs optimal"),
        ('baseline = "b"\n[[set]]\nname = "a"\n', "baseline 'b' is not a set"),
        ('compare = ["official"]\n[[set]]\nname = "a"\n', "not a comparison target"),
        ('baseline = "a"\n', "no [[set]]"),
        ('[[set]]\nsummary = "x"\n', "has no name"),
        ("[[set]\n", "not valid TOML"),
    ],
)
def test_bad_campaign_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message.replace("[", r"\[")):
        load(write(tmp_path, text))


def test_bakegens_own_campaign_is_valid() -> None:
    campaign = load(campaign_run.DEFAULT_FILE)
    assert campaign.baseline in [s.name for s in campaign.sets]
    assert all(s.summary for s in campaign.sets)


def test_no_build_benchmarks_the_images_an_earlier_run_left(tmp_path: Path) -> None:
    fake = FakeEngine()
    found: list[str] = []

    def existing(target: str, variables: dict[str, str]) -> str:
        name = variables.get("IMAGE_NAME", target)
        if name == "broken":
            raise BakegenError("custom: no local image bakegen-campaign/broken:tag from an earlier build")
        found.append(name)
        return f"bakegen-campaign/{name}:tag"

    engine = Engine(fake.build, fake.run, fake.bench, fake.default_version, existing)
    lines: list[str] = []
    campaign_run.run(request(tmp_path, no_build=True), engine, lines.append)
    assert fake.built == []
    assert found == ["base", "clang", "reference"]
    assert any("set broken: custom: no local image" in line for line in lines)
    data = json.loads((tmp_path / "out" / "campaign.json").read_text())
    assert data["reused_images"] is True
    assert all(s["build_seconds"] == 0 for s in data["sets"])
