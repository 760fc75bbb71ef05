"""Signals: to real ``bakegen`` processes, ``render`` in the middle of its fsync and Ctrl-C while
bakegen is still loading; and SIGTERM or SIGHUP in the middle of a build, whose temporary bake file
must go. (``versions update`` has its own in test_releases.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bakegen import engine
from bakegen.cli import run
from bakegen.project import Project
from tests.kit.fakes import FakeDocker

#: Runs ``bakegen`` (its real entry point) with the first fsync of a write held up: stderr says
#: "fsync" when the new docker-bake.hcl is staged, then the process waits there a moment.
SLOW_FSYNC = """
import os, sys, time
real = os.fsync
def slow(fd, _done=[]):
    real(fd)
    if not _done:
        _done.append(1)
        sys.stderr.write("fsync\\n")
        sys.stderr.flush()
        time.sleep(1.5)
os.fsync = slow
sys.argv[0] = "bakegen"
from bakegen.__main__ import main
main()
"""

#: Ctrl-C the moment bakegen's CLI starts loading its dependencies (the first import of typer), in
#: a process started as the installed ``bakegen`` command starts: from its console-script entry point.
CTRL_C_WHILE_LOADING = """
import signal, sys
from importlib.metadata import entry_points
class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "typer":
            signal.raise_signal(signal.SIGINT)
        return None
sys.meta_path.insert(0, CtrlC())
sys.argv[0] = "bakegen"
main = entry_points(group="console_scripts")["bakegen"].load()
sys.exit(main())
"""


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".bak")))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_renders_fsync_leaves_the_old_or_the_new_file(project_dir: Path, signum: int) -> None:
    output = project_dir / "docker-bake.hcl"
    output.write_text("# old\n")
    new = Project(project_dir).render_text()
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_FSYNC, "render", "-C", str(project_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    seen = proc.stderr.readline()
    assert seen == "fsync\n", seen + proc.stderr.read()
    assert leftovers(project_dir), "the signal is to arrive while the new file is staged"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert leftovers(project_dir) == []
    # Held back until the file was replaced, then delivered: the new file, and one line.
    assert output.read_text() == new
    name = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}[signum]
    assert (proc.returncode, err.splitlines()[-1]) == (128 + signum, f"bakegen: error: {name}")


def test_ctrl_c_while_bakegen_loads_is_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CTRL_C_WHILE_LOADING, "list"], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert (proc.returncode, proc.stderr) == (130, "bakegen: error: interrupted\n")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_during_a_build_removes_its_temporary_bake_file(
    signum: int, project_dir: Path, tmp_path: Path, clean_env, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    fake = FakeDocker()
    real_bake = fake.buildx.bake

    def bake_then_signal(targets, **kwargs):
        for line in real_bake(targets, **kwargs):
            assert list(scratch.iterdir()), "the bake file is in a temporary folder while bake runs"
            signal.raise_signal(signum)
            yield line

    monkeypatch.setattr(fake.buildx, "bake", bake_then_signal)
    monkeypatch.setattr(engine, "docker", fake)
    code = run(["build", "3_13-wee", "-C", str(project_dir)])
    name = "terminated" if signum == signal.SIGTERM else "hung up"
    assert (code, capsys.readouterr().err.splitlines()[-1]) == (128 + signum, f"bakegen: error: {name}")
    assert list(scratch.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
