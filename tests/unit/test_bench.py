"""``bakegen bench``: statistics, report, chart and files as pure functions, the run with a fake backend."""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import signal
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest
from python_on_whales.exceptions import DockerException
from typer.testing import CliRunner

from bakegen import bench, engine
from bakegen.bench import containers
from bakegen.bench.containers import ImageSize
from bakegen.cli import app
from bakegen.errors import BakegenError, EngineError

# --- statistics ---------------------------------------------------------------------------------


def test_geometric_mean_and_std() -> None:
    assert bench.geometric_mean([2.0, 8.0]) == pytest.approx(4.0)
    assert bench.geometric_mean([1.5]) == pytest.approx(1.5)
    assert bench.geometric_std([1.0, 1.0, 1.0]) == pytest.approx(1.0)
    assert bench.geometric_std([2.0]) == 1.0
    # log-values 0 and log 4: sample stdev log(4)/sqrt(2) -> factor 4 ** (1 / sqrt(2))
    assert bench.geometric_std([1.0, 4.0]) == pytest.approx(4 ** (1 / math.sqrt(2)))
    with pytest.raises(ValueError):
        bench.geometric_mean([])
    with pytest.raises(ValueError):
        bench.geometric_mean([1.0, 0.0])


def test_ratio_is_first_over_other() -> None:
    assert bench.ratio(2.0, 1.0) == 2.0  # the other image takes half the time: twice as fast
    assert bench.ratio(1.0, 2.0) == 0.5


def test_summarize() -> None:
    values = {
        # image 1 takes 2 s, image 2 takes 1 s in round 1 and 2 s in round 2
        "a": [[[2.0, 2.0], [2.0]], [[1.0], [2.0, 2.0]]],
        # image 1 takes 1 s, image 2 takes 0.5 s in both rounds
        "b": [[[1.0], [1.0]], [[0.5], [0.5]]],
    }
    s = bench.summarize(values)
    assert s.times["a"] == [2.0, 1.5]
    assert s.ratios["a"] == [1.0, pytest.approx(4 / 3)]
    assert s.ratios["b"] == [1.0, 2.0]
    first, second = s.images
    assert (first.geomean, first.gsd, first.round_min, first.round_max) == (1.0, 1.0, 1.0, 1.0)
    assert second.geomean == pytest.approx(math.sqrt(4 / 3 * 2))
    assert second.gsd > 1
    # round 1: ratios 2 and 2 -> 2; round 2: ratios 1 and 2 -> sqrt 2
    assert second.round_min == pytest.approx(math.sqrt(2))
    assert second.round_max == pytest.approx(2.0)


def test_parse_pyperf() -> None:
    doc = {
        "version": "1.0",
        "metadata": {"name": "nbody", "unit": "second"},
        "benchmarks": [{"runs": [
            {"metadata": {"calibrate_loops": 1}, "warmups": [[1, 0.2]]},
            {"values": [0.15, 0.16], "warmups": [[1, 0.17]]},
            {"values": [0.14]},
        ]}],
    }
    assert bench.parse_pyperf(json.dumps(doc)) == [0.15, 0.16, 0.14]
    with pytest.raises(EngineError, match="nbody: unreadable"):
        bench.parse_pyperf("{", "nbody")
    with pytest.raises(EngineError, match="without usable values"):
        bench.parse_pyperf(json.dumps({"benchmarks": [{"runs": [{"warmups": []}]}]}))


def test_format_time_and_size() -> None:
    assert bench.format_time(0.148) == "148 ms"
    assert bench.format_time(0.0255) == "25.5 ms"
    assert bench.format_time(1.234) == "1.23 s"
    assert bench.format_time(3.5e-6) == "3.5 us"
    assert bench.format_time(2e-10) == "0.2 ns"
    assert bench.format_time(2000.0) == "2000 s"
    assert bench.format_size(47_873_698) == "47.9 MB"
    assert bench.format_size(12_077_679, signed=True) == "+12.1 MB"
    assert bench.format_size(-1_500_000, signed=True) == "-1.5 MB"
    assert bench.format_size(None) == "unknown"


# --- the benchmark set ----------------------------------------------------------------------------


def test_benchmark_set_covers_the_areas() -> None:
    names = [b.name for b in bench.BENCHMARKS]
    assert len(names) >= 12 and len(set(names)) == len(names)
    areas = " ".join(b.area for b in bench.BENCHMARKS)
    for area in ("interpreter loop", "function calls", "objects", "regex", "json", "pickle", "unicode", "startup"):
        assert area in areas
    assert all(b.directory.startswith("bm_") for b in bench.BENCHMARKS)
    # the module docstring documents every one of them
    for name in names:
        assert f"``{name}``" in bench.__doc__


def test_select_benchmarks() -> None:
    assert bench.select_benchmarks(None) == list(bench.BENCHMARKS)
    chosen = bench.select_benchmarks(["json_dumps,nbody", "pickle"])
    assert [b.name for b in chosen] == ["nbody", "json_dumps", "pickle"]  # the fixed order
    with pytest.raises(BakegenError, match="unknown benchmark 'nbdy'; did you mean nbody"):
        bench.select_benchmarks(["nbdy"])


def test_pyperf_options_and_cpu() -> None:
    assert bench.pyperf_options(bench.BenchRequest(["i"])) == []
    assert bench.pyperf_options(bench.BenchRequest(["i"], fast=True)) == ["--processes", "3", "--values", "2"]
    assert bench.pyperf_options(bench.BenchRequest(["i"], fast=True, processes=5)) == [
        "--processes", "5", "--values", "2"]
    assert bench.pyperf_options(bench.BenchRequest(["i"], values=4)) == ["--values", "4"]
    assert bench.choose_cpu("auto", 8) == 7
    assert bench.choose_cpu("auto", 1) is None
    assert bench.choose_cpu("auto", 0) is None
    assert bench.choose_cpu("none", 8) is None
    assert bench.choose_cpu("2", 8) == 2
    with pytest.raises(BakegenError, match="CPUs 0-1"):
        bench.choose_cpu("2", 2)
    with pytest.raises(BakegenError, match="expected auto, none or a CPU number"):
        bench.choose_cpu("fast", 2)


# --- report, chart, files ---------------------------------------------------------------------------


def size(image: str, unc: int, comp: int) -> ImageSize:
    return ImageSize(image, unc, containers.METHOD_TARS, comp, containers.METHOD_STORE, 4, "linux/amd64")


def sample_results(base: bool = True) -> bench.Results:
    chosen = bench.select_benchmarks(["nbody", "json_dumps"])
    images = [
        bench.ImageRun("reg.example/python:3.13-wee", "3.13.15", 1, size("reg.example/python:3.13-wee", 130e6, 48e6)),
        bench.ImageRun("reg.example/python:3.13-<lto>", "3.13.15", 1, size("lto", 140e6, 50e6)),
    ]
    values = {
        "nbody": [[[0.150, 0.150], [0.150]], [[0.100], [0.125]]],
        "json_dumps": [[[0.020], [0.020]], [[0.016], [0.016]]],
    }
    return bench.Results(
        images=images, benchmarks=chosen, rounds=2, values=values, pyperf_options=["--processes", "3"],
        base=size("debian:trixie-slim", 90e6, 36e6) if base else None, started="t0", finished="t1",
    )


def test_format_report() -> None:
    text = bench.format_report(sample_results())
    lines = text.splitlines()
    assert lines[0].startswith("bakegen bench: 2 benchmarks x 2 image(s) x 2 round(s), pyperformance 1.14.0")
    nbody = next(line for line in lines if line.startswith("nbody"))
    assert nbody.split() == ["nbody", "150", "ms", "112", "ms", "1.33x"]
    json_dumps = next(line for line in lines if line.startswith("json_dumps"))
    assert json_dumps.split() == ["json_dumps", "20", "ms", "16", "ms", "1.25x"]
    geo = next(line for line in lines if line.startswith("geometric mean"))
    assert geo.split()[-1] == f"{math.sqrt(4 / 3 * 1.25):.2f}x"
    assert any("range over rounds" in line and "1.22-1.37" in line for line in lines)
    assert "adds on top of base" in text and "+40.0 MB / +12.0 MB" in text and "+50.0 MB / +14.0 MB" in text
    assert "compressed: " + containers.METHOD_STORE in text
    assert "uncompressed: " + containers.METHOD_TARS in text
    no_base = bench.format_report(sample_results(base=False))
    assert "adds on top of base" not in no_base and "130.0 MB" in no_base


def test_report_with_one_image_has_no_ratios() -> None:
    r = sample_results()
    r.images = r.images[:1]
    r.values = {k: v[:1] for k, v in r.values.items()}
    text = bench.format_report(r)
    assert "geometric mean" not in text and "ratio" not in text.split("benchmark", 1)[1].splitlines()[0]


def test_svg_chart() -> None:
    svg = bench.render_svg(sample_results())
    root = ET.fromstring(svg)  # well-formed, names escaped
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "#2 reg.example/python:3.13-<lto>" in texts
    assert "geometric mean" in texts and "nbody" in texts and "json_dumps" in texts
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(bars) == 2 * 3  # 2 images x (geometric mean + 2 benchmarks)
    assert "1.33" in texts


def test_json_has_all_raw_values() -> None:
    r = sample_results()
    data = json.loads(r.to_json())
    assert data["pyperformance"] == bench.PYPERFORMANCE_VERSION
    nbody = next(b for b in data["benchmarks"] if b["name"] == "nbody")
    assert nbody["values"] == r.values["nbody"]
    assert nbody["round_means"] == [[0.150, 0.150], [0.100, 0.125]]
    assert nbody["ratio"][1] == pytest.approx(4 / 3)
    assert data["images"][1]["adds_on_top_of_base"] == {"uncompressed": 50e6, "compressed": 14e6}
    assert data["images"][0]["size"]["compressed_method"] == containers.METHOD_STORE


def test_write_report(tmp_path: Path) -> None:
    out = tmp_path / "a" / "results"
    written = bench.write_report(out, sample_results())
    assert sorted(p.name for p in written) == sorted(bench.REPORT_FILES)
    assert sorted(p.name for p in out.iterdir()) == sorted(bench.REPORT_FILES)  # no temporary files left
    assert json.loads((out / "bench.json").read_text())["rounds"] == 2


def test_write_report_failure_leaves_old_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench.write_report(tmp_path, sample_results())
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}

    def broken(results):
        raise RuntimeError("chart failed")

    monkeypatch.setattr(bench, "render_svg", broken)
    with pytest.raises(RuntimeError):
        bench.write_report(tmp_path, sample_results(base=False))
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == before


def test_ctrl_c_while_writing_finishes_the_report_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = bench.write_atomic
    calls = []

    def interrupted_write(path, text):
        if not calls:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives during the first file
        calls.append(path.name)
        real(path, text)

    monkeypatch.setattr(bench, "write_atomic", interrupted_write)
    with pytest.raises(KeyboardInterrupt):
        bench.write_report(tmp_path, sample_results())
    assert sorted(calls) == sorted(bench.REPORT_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(bench.REPORT_FILES)
    json.loads((tmp_path / "bench.json").read_text())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# --- a run, with a fake backend ---------------------------------------------------------------------------


def pyperf_json(value: float) -> str:
    return json.dumps({"benchmarks": [{"runs": [{"values": [value, value]}]}]})


class FakeBackend:
    def __init__(self, images=("a", "b"), cpus=2, python="3.13.15", fail_on=None, refuse_cpuset=False,
                 interrupt_on=None) -> None:
        self.images = set(images)
        self.n_cpus = cpus
        self.python = python
        self.fail_on = fail_on
        self.interrupt_on = interrupt_on
        self.refuse_cpuset = refuse_cpuset
        self.started: list[dict] = []
        self.removed: list[str] = []
        self.runs: list[tuple[str, str]] = []  # (image, benchmark) in order
        self.envs: list[dict] = []

    def require_daemon(self) -> None:
        pass

    def image_exists(self, image: str) -> bool:
        return image in self.images

    def cpus(self) -> int:
        return self.n_cpus

    def start(self, image, *, name, cpu, ca_bundle=None):
        if cpu is not None and self.refuse_cpuset:
            raise EngineError("cpuset.cpus: invalid argument")
        self.started.append({"image": image, "name": name, "cpu": cpu, "ca_bundle": ca_bundle})
        return f"id-{image}-{len(self.started)}"

    def _image(self, container: str) -> str:
        return container.split("-")[1]

    def exec(self, container, command, env=None):
        if env:
            self.envs.append(env)
        if command[0] == "python3" and command[1] == "-c":
            return f"{self.python} (3, 13)\n"
        if command[-1].startswith("import os, pyperformance"):
            return "/venv/site-packages/pyperformance/data-files/benchmarks\n"
        if command[0].endswith("/bin/python") and command[1].endswith("run_benchmark.py"):
            name = command[command.index("--output") + 1].rsplit("/", 1)[1].rsplit("-", 1)[0]
            self.runs.append((self._image(container), name))
            if self.fail_on == name:
                raise EngineError("Traceback ... ValueError: boom")
            if self.interrupt_on == name:
                raise KeyboardInterrupt
        return ""

    def read_file(self, container, path):
        return pyperf_json(0.1 if self._image(container) == "a" else 0.05)

    def remove(self, ids):
        self.removed += ids

    def image_size(self, image, *, registry=False):
        return size(image, 100_000_000, 40_000_000)


def test_run_interleaves_images_and_cleans_up(tmp_path: Path) -> None:
    backend = FakeBackend()
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    lines: list[str] = []
    request = bench.BenchRequest(
        ["a", "b"], bench.select_benchmarks(["nbody", "json_dumps"]), rounds=2, fast=True, ca_bundle=ca
    )
    results = bench.run(request, backend, progress=lines.append)
    assert backend.runs == [("a", "nbody"), ("b", "nbody"), ("a", "json_dumps"), ("b", "json_dumps")] * 2
    assert [s["cpu"] for s in backend.started] == [1, 1]  # the last CPU, the same for both
    assert all(s["ca_bundle"] == str(ca.resolve()) for s in backend.started)
    assert backend.envs and backend.envs[0]["PIP_CERT"] == containers.CA_PATH
    assert sorted(backend.removed) == ["id-a-1", "id-b-2"]
    assert results.summary().ratios["nbody"] == [1.0, 2.0]
    assert [img.python for img in results.images] == ["3.13.15", "3.13.15"]
    assert "round 2/2 json_dumps (2/2) image 2/2: 50 ms" in "\n".join(lines)
    assert any(line.startswith("setup image 1/2 a: container on CPU 1") for line in lines)


def test_run_removes_containers_on_failure_and_ctrl_c() -> None:
    backend = FakeBackend(fail_on="json_dumps")
    request = bench.BenchRequest(["a", "b"], bench.select_benchmarks(["nbody", "json_dumps"]), rounds=1)
    with pytest.raises(EngineError, match="json_dumps failed in a: Traceback"):
        bench.run(request, backend)
    assert len(backend.removed) == 2
    backend = FakeBackend(interrupt_on="nbody")
    with pytest.raises(KeyboardInterrupt):
        bench.run(request, backend)
    assert len(backend.removed) == 2


def test_run_checks_before_starting_anything(tmp_path: Path) -> None:
    backend = FakeBackend(images=["a"])
    with pytest.raises(BakegenError, match="image b is not in the local image store"):
        bench.run(bench.BenchRequest(["a", "b"]), backend)
    with pytest.raises(BakegenError, match="no such file"):
        bench.run(bench.BenchRequest(["a"], ca_bundle=tmp_path / "missing.pem"), backend)
    with pytest.raises(BakegenError, match="at least one image"):
        bench.run(bench.BenchRequest([]), backend)
    assert backend.started == []
    old = FakeBackend(images=["a"], python="3.10.14")
    with pytest.raises(BakegenError, match="Python 3.10.14; the benchmarks need 3.11"):
        bench.run(bench.BenchRequest(["a"]), old)
    assert old.removed == ["id-a-1"]


def test_run_falls_back_to_unpinned() -> None:
    backend = FakeBackend(refuse_cpuset=True)
    lines: list[str] = []
    results = bench.run(bench.BenchRequest(["a"], bench.select_benchmarks(["nbody"]), rounds=1), backend, lines.append)
    assert backend.started[0]["cpu"] is None and results.images[0].cpu is None
    assert results.notes and "runs unpinned" in results.notes[0]
    with pytest.raises(EngineError, match="cpuset"):
        bench.run(bench.BenchRequest(["a"], cpu="1"), FakeBackend(refuse_cpuset=True))  # asked for: no fallback


# --- the CLI --------------------------------------------------------------------------------------------


def test_cli_bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env) -> None:
    backend = FakeBackend()
    monkeypatch.setattr(containers, "DockerBackend", lambda: backend)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["bench", "a", "b", "--fast", "--rounds", "1", "-b", "nbody", "-o", str(out), "--base", "a"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "nbody" in result.stdout and "2.00x" in result.stdout and "adds on top of base" in result.stdout
    assert "round 1/1 nbody (1/1) image 2/2" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(bench.REPORT_FILES)


def test_cli_bench_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env) -> None:
    monkeypatch.setattr(containers, "DockerBackend", lambda: FakeBackend(fail_on="nbody"))
    runner = CliRunner()
    result = runner.invoke(app, ["bench", "a", "-b", "nbody", "-o", str(tmp_path / "o")], catch_exceptions=False)
    assert result.exit_code == 3
    lines = [line for line in result.stderr.splitlines() if line.startswith("bakegen")]
    assert lines == ["bakegen: error: nbody failed in a: Traceback ... ValueError: boom"]
    assert not (tmp_path / "o").exists()
    result = runner.invoke(app, ["bench", "a", "--ca-bundle", str(tmp_path / "nope.pem")])
    assert result.exit_code == 1 and "no such file" in result.stderr
    result = runner.invoke(app, ["bench", "a", "--cpu", "x"])
    assert result.exit_code == 1 and "--cpu x" in result.stderr
    assert "Traceback" not in result.output
    listed = runner.invoke(app, ["bench", "--list"])
    assert listed.exit_code == 0 and "python_startup_no_site" in listed.stdout


# --- sizes from docker save ------------------------------------------------------------------------------


def tar_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def chunks(data: bytes, n: int = 7000):
    return (data[i:i + n] for i in range(0, len(data), n))


def test_sizes_from_containerd_save() -> None:
    layer1 = tar_bytes({"usr/bin/python": os.urandom(5000)})
    layer2 = tar_bytes({"etc/x": b"a" * 20000})
    g1, g2 = gzip.compress(layer1), gzip.compress(layer2)
    saved = tar_bytes({
        "blobs/sha256/l1": g1,
        "blobs/sha256/l2": g2,
        "blobs/sha256/att": b'{"_type": "in-toto"}',
        "index.json": b'{"manifests": []}',
        "manifest.json": json.dumps([{"Config": "blobs/sha256/c", "Layers": ["blobs/sha256/l1",
                                                                           "blobs/sha256/l2"]}]).encode(),
    })
    s = containers.sizes_from_save("img", chunks(saved), "linux/amd64")
    assert s.compressed == len(g1) + len(g2)
    assert s.uncompressed == len(layer1) + len(layer2)
    assert s.compressed_method == containers.METHOD_STORE and s.layers == 2


def test_sizes_from_classic_save_are_a_gzip_estimate() -> None:
    layer = tar_bytes({"etc/x": b"a" * 50000})
    saved = tar_bytes({
        "abc/layer.tar": layer,
        "manifest.json": json.dumps([{"Config": "c.json", "Layers": ["abc/layer.tar"]}]).encode(),
    })
    s = containers.sizes_from_save("img", chunks(saved))
    assert s.uncompressed == len(layer)
    assert 0 < s.compressed < len(layer) / 10
    assert s.compressed_method == containers.METHOD_GZIP


def test_sizes_from_broken_save() -> None:
    with pytest.raises(EngineError, match="no usable manifest.json"):
        containers.sizes_from_save("img", [tar_bytes({"index.json": b"{}"})])
    with pytest.raises(EngineError, match="cannot read"):
        containers.sizes_from_save("img", [b"not a tar" * 100])


def test_split_reference() -> None:
    assert containers.split_reference("localhost:5000/a/python:3.13-wee") == "localhost:5000/a/python"
    assert containers.split_reference("localhost:5000/a/python") == "localhost:5000/a/python"
    assert containers.split_reference("python@sha256:abc") == "python"


class FakeContainerDocker:
    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.calls: list[tuple] = []
        self.container = SimpleNamespace(remove=lambda *a, **k: self.calls.append(("remove", a, k)))

    def run(self, image, command, **kwargs):
        self.calls.append(("run", image, command, kwargs))
        if self.refuse and kwargs.get("cpuset_cpus"):
            raise DockerException(["docker", "run"], 125, stderr=b"docker: Error response from daemon: "
                                  b"error: cpuset.cpus: invalid argument.")
        return SimpleNamespace(id="c0ffee")


def test_docker_backend_start(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeContainerDocker()
    monkeypatch.setattr(engine, "docker", fake)
    backend = containers.DockerBackend()
    assert backend.start("img", name="n", cpu=1, ca_bundle="/ca.pem") == "c0ffee"
    (_, image, command, kwargs) = fake.calls[0]
    assert (image, command, kwargs["entrypoint"], kwargs["detach"]) == ("img", ["infinity"], "sleep", True)
    assert kwargs["cpuset_cpus"] == [1] and kwargs["pull"] == "never"
    assert kwargs["volumes"] == [("/ca.pem", containers.CA_PATH, "ro")]
    refused = FakeContainerDocker(refuse=True)
    monkeypatch.setattr(engine, "docker", refused)
    with pytest.raises(EngineError, match="cpuset.cpus: invalid argument"):
        backend.start("img", name="n", cpu=1)
    assert refused.calls[-1][0] == "remove"  # the created-but-not-started container is gone


def test_registry_size_picks_the_image_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    def layers(*sizes):
        return SimpleNamespace(manifests=None, layers=[SimpleNamespace(size=s) for s in sizes])

    index = SimpleNamespace(manifests=[
        SimpleNamespace(digest="sha256:arm", platform=SimpleNamespace(os="linux", architecture="arm64", variant="v8")),
        SimpleNamespace(digest="sha256:amd", platform=SimpleNamespace(os="linux", architecture="amd64", variant=None)),
        SimpleNamespace(digest="sha256:att", platform=SimpleNamespace(os="unknown", architecture="unknown")),
    ], layers=None)
    answers = {"reg:5000/py:3.13": index, "reg:5000/py@sha256:amd": layers(30, 12), "reg:5000/py@sha256:arm": layers(1)}
    fake = SimpleNamespace(buildx=SimpleNamespace(imagetools=SimpleNamespace(inspect=answers.__getitem__)))
    monkeypatch.setattr(engine, "docker", fake)
    backend = containers.DockerBackend()
    assert backend._registry_size("reg:5000/py:3.13", "linux", "amd64", None) == (42, containers.METHOD_REGISTRY)
    assert backend._registry_size("reg:5000/py:3.13", "linux", "arm64", "v8")[0] == 1
    with pytest.raises(EngineError, match="no linux/riscv64 manifest"):
        backend._registry_size("reg:5000/py:3.13", "linux", "riscv64", None)
