"""Engine test of ``bakegen campaign`` and of the hardening check (marker ``engine``).

One small campaign of wee builds: the hardened one (the engine tests' 3_13-wee, from the build cache),
the same without hardening (one more wee compile), and a set whose flag the compiler rejects. The
campaign must report the broken set in one line, build and benchmark the other two, and write its
results. The unhardened image, relabelled as promising every hardening group, must then fail
`bakegen test`'s hardening check, while the hardened one passes it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bakegen.cli import app
from tests.kit.engine import REPO, accept, measure

pytestmark = pytest.mark.engine

CAMPAIGN = """
baseline = "wee"

[[set]]
name = "wee"
summary = "3_13-wee as the engine tests build it"
optimal = false
lto = false

[[set]]
name = "unhardened"
summary = "the same without any hardening flag"
optimal = false
lto = false
hardening = "none"

[[set]]
name = "broken"
summary = "a flag the compiler rejects"
optimal = false
lto = false
cflags = "-fno-such-flag-bakegen"
"""


@pytest.fixture(scope="module")
def campaign(stack, wee_image, tmp_path_factory) -> tuple:
    folder = tmp_path_factory.mktemp("campaign")
    (folder / "campaign.toml").write_text(CAMPAIGN)
    out = folder / "out"
    args = ["campaign", str(folder / "campaign.toml"), "-C", str(REPO), "--base-image", stack["BASE_IMAGE"],
            "--mirror", stack["PYTHON_MIRROR"], "-b", "nbody", "--fast", "--rounds", "1", "-o", str(out)]
    if stack["sums"]:
        args += ["--mirror-sums", stack["sums"], "--allow-older"]
    if stack.get("CA_BUNDLE"):
        args += ["--ca-bundle", stack["CA_BUNDLE"]]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    return result, out


def test_campaign_reports_the_broken_set_and_benchmarks_the_others(campaign) -> None:
    result, out = campaign
    assert result.exit_code == 0, result.output
    broken = [line for line in result.stderr.splitlines() if line.startswith("campaign: set broken:")]
    assert len(broken) == 1, result.stderr
    data = json.loads((out / "campaign.json").read_text())
    built = {s["name"]: s for s in data["sets"]}
    assert (built["wee"]["built"], built["unhardened"]["built"], built["broken"]["built"]) == (True, True, False)
    assert "-fstack-protector-strong" in built["wee"]["core_cflags"]
    assert "-fstack-protector-strong" not in built["unhardened"]["core_cflags"]
    bench = json.loads((out / "bench.json").read_text())
    assert [i["image"] for i in bench["images"]] == [built["wee"]["image"], built["unhardened"]["image"]]
    measure(f"campaign of 3 wee sets: wee built in {built['wee']['build_seconds']:.0f}s, unhardened in "
            f"{built['unhardened']['build_seconds']:.0f}s, broken failed in {built['broken']['build_seconds']:.0f}s")


def test_an_unhardened_image_that_promises_hardening_fails_the_check(stack, campaign) -> None:
    _, out = campaign
    sets = {s["name"]: s for s in json.loads((out / "campaign.json").read_text())["sets"]}
    tag = f"{stack['REGISTRY']}/broken:unhardened"
    proc = subprocess.run(["docker", "build", "--quiet", "--tag", tag, "-"], capture_output=True, text=True,
                          input=f"FROM {sets['unhardened']['image']}\nLABEL io.bakegen.hardening=all\n")
    assert proc.returncode == 0, proc.stderr
    try:
        result = accept(stack, tag)
    finally:
        subprocess.run(["docker", "image", "rm", tag], capture_output=True)
    assert result.exit_code == 4, result.output
    fail = [line for line in result.stdout.splitlines() if line.startswith("FAIL  hardening")]
    assert fail and "stack-protector missing in the interpreter" in fail[0], result.stdout
    assert "relro" not in fail[0]  # Debian's linker adds RELRO by default


def test_the_hardened_image_passes_the_check(stack, campaign) -> None:
    _, out = campaign
    sets = {s["name"]: s for s in json.loads((out / "campaign.json").read_text())["sets"]}
    result = accept(stack, sets["wee"]["image"])
    line = next(line for line in result.stdout.splitlines() if "hardening" in line.split()[1:2])
    assert line.startswith("PASS  hardening"), result.stdout
    assert Path(out / "bench.txt").read_text().strip()
