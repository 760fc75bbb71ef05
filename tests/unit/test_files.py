"""``files.replace_files``: several files replaced all together or not at all.

Failures are provoked where they happen in real life: a refused rename, a full disk while writing,
a file system without hard links, and SIGINT/SIGTERM at each step. Tests may run as root, whom
permission bits do not stop; the read-only checks use the bits themselves, so they hold for root too.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bakegen.errors import BakegenError, Terminated
from bakegen.files import replace_files, signals_held, sigterm_raises

OLD = {"a.toml": "old a\n", "sub/b.toml": "old b\n", "c.hcl": "old c\n"}
NEW = {"a.toml": "new a\n", "sub/b.toml": "new b\n", "c.hcl": "new c\n"}


def tree(root: Path) -> dict[str, str]:
    """Every file below ``root`` (temporary and backup files included), by relative path."""
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name, text in OLD.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def new_contents(root: Path) -> dict[Path, str]:
    return {root / name: text for name, text in NEW.items()}


def test_replaces_every_file_and_keeps_modes(root: Path) -> None:
    (root / "a.toml").chmod(0o640)
    contents = {**new_contents(root), root / "fresh.txt": "fresh\n"}
    assert replace_files(contents) == list(contents)
    assert tree(root) == {**NEW, "fresh.txt": "fresh\n"}
    assert stat.S_IMODE((root / "a.toml").stat().st_mode) == 0o640
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((root / "fresh.txt").stat().st_mode) == 0o666 & ~umask


def test_a_symlink_is_written_through_to_its_target(root: Path) -> None:
    (root / "elsewhere").mkdir()
    target = root / "elsewhere" / "real.toml"
    target.write_text("old a\n")
    (root / "a.toml").unlink()
    (root / "a.toml").symlink_to(Path("elsewhere") / "real.toml")
    replace_files(new_contents(root))
    assert (root / "a.toml").is_symlink() and target.read_text() == "new a\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["real.toml"]


def test_two_names_for_one_file_must_agree(root: Path) -> None:
    (root / "link.toml").symlink_to("a.toml")
    with pytest.raises(BakegenError, match="are the same file"):
        replace_files({root / "a.toml": "one\n", root / "link.toml": "two\n"})
    assert tree(root) == {**OLD, "link.toml": "old a\n"}


@pytest.mark.parametrize("what", ["file", "folder", "symlink target"])
def test_read_only_is_refused_before_anything_is_written(root: Path, what: str) -> None:
    if what == "file":
        (root / "c.hcl").chmod(0o444)
    elif what == "folder":
        (root / "sub").chmod(0o555)
    else:
        (root / "ro").mkdir()
        (root / "ro" / "c.hcl").write_text("old c\n")
        (root / "ro" / "c.hcl").chmod(0o444)
        (root / "c.hcl").unlink()
        (root / "c.hcl").symlink_to(Path("ro") / "c.hcl")
    try:
        with pytest.raises(BakegenError, match="is read-only.*; nothing was changed$") as exc:
            replace_files(new_contents(root))
        if what == "symlink target":
            assert str(exc.value) == (
                f"{root / 'ro' / 'c.hcl'}: the file is read-only (through the symlink {root / 'c.hcl'}); "
                "nothing was changed"
            )
        assert tree(root) == ({**OLD, "ro/c.hcl": "old c\n"} if what == "symlink target" else OLD)
    finally:
        (root / "sub").chmod(0o755)


def failing_on(
    monkeypatch: pytest.MonkeyPatch, name: str, nth: int, exc: Callable[[], BaseException]
) -> Callable[[], int]:
    """Make the ``nth`` call of ``os.<name>`` raise ``exc()``; returns a counter of the calls made."""
    real = getattr(os, name)
    calls = 0

    def fake(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == nth:
            raise exc()
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, fake)
    return lambda: calls


@pytest.mark.parametrize("nth", [1, 2, 3])
def test_a_refused_rename_part_way_rolls_back(root: Path, monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    # os.replace is called once per file to commit; a failure at the 2nd or 3rd leaves files
    # already replaced, which must be put back.
    failing_on(monkeypatch, "replace", nth, lambda: PermissionError(errno.EACCES, "Permission denied"))
    with pytest.raises(BakegenError, match=r": cannot write: Permission denied; no file was changed$"):
        replace_files(new_contents(root))
    assert tree(root) == OLD


def no_hard_links(*args, **kwargs):
    raise OSError(errno.EPERM, "Operation not permitted")


@pytest.mark.parametrize("nth", [1, 2, 3, 4, 5, 6])
def test_a_full_disk_changes_nothing(root: Path, monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    # Three new texts, and three backups that are copies (no hard links here): six writes.
    monkeypatch.setattr(os, "link", no_hard_links)
    calls = failing_on(monkeypatch, "write", nth, lambda: OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(BakegenError, match="No space left on device; no file was changed$"):
        replace_files(new_contents(root))
    assert calls() == nth
    assert tree(root) == OLD


def test_without_hard_links_backups_are_copies(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "link", no_hard_links)
    with monkeypatch.context() as m:
        failing_on(m, "replace", 3, lambda: OSError(errno.EIO, "Input/output error"))
        with pytest.raises(BakegenError, match="Input/output error"):
            replace_files(new_contents(root))
    assert tree(root) == OLD
    replace_files(new_contents(root))
    assert tree(root) == NEW


def test_a_failed_roll_back_keeps_the_old_content_and_says_where(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.replace

    def flaky(src, dst):
        if str(src).endswith(".tmp") and Path(dst).name == "c.hcl":
            raise OSError(errno.EIO, "I/O error")
        if str(src).endswith(".bak"):
            raise OSError(errno.EIO, "I/O error, again")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(BakegenError) as exc:
        replace_files(new_contents(root))
    message = str(exc.value)
    assert message.startswith(f"{root / 'c.hcl'}: cannot write: I/O error; and ")
    assert f"{root / 'a.toml'} could not be restored (I/O error, again); its old content is kept in " in message
    left = tree(root)
    kept = [name for name in left if name.endswith(".bak")]
    assert sorted(left[name] for name in kept) == ["old a\n", "old b\n"]
    assert not [name for name in left if name.endswith(".tmp")]


# --- Signals at every step ------------------------------------------------------------------------

#: The os calls a transaction is made of (checks, writes, links, renames, clean-up).
STEPS = ("stat", "access", "open", "write", "fsync", "close", "link", "replace", "unlink")


def counting_steps(monkeypatch: pytest.MonkeyPatch, at: int | None, signum: int) -> list[str]:
    """Count the transaction's os calls; at call number ``at``, the signal arrives."""
    calls: list[str] = []
    for name in STEPS:
        real = getattr(os, name)

        def step(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            try:
                return _real(*args, **kwargs)
            finally:
                if len(calls) == at:
                    signal.raise_signal(signum)

        monkeypatch.setattr(os, name, step)
    return calls


@pytest.fixture
def steps(root: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many os calls one transaction makes here."""
    with monkeypatch.context() as m:
        calls = counting_steps(m, None, 0)
        replace_files(new_contents(root))
    for name, text in OLD.items():
        (root / name).write_text(text)
    assert {"replace", "link", "fsync", "unlink"} <= set(calls)
    return len(calls)


@pytest.mark.parametrize(("signum", "raised"), [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, Terminated)])
def test_a_signal_at_any_step_leaves_all_old_or_all_new(
    root: Path, monkeypatch: pytest.MonkeyPatch, steps: int, signum: int, raised: type[BaseException]
) -> None:
    outcomes = []
    for at in range(1, steps + 1):
        for name, text in OLD.items():
            (root / name).write_text(text)
        with monkeypatch.context() as m:
            counting_steps(m, at, signum)
            with pytest.raises(raised), sigterm_raises():
                replace_files(new_contents(root))
        after = tree(root)
        assert after in (OLD, NEW), f"signal after step {at}: {after}"
        outcomes.append(after == NEW)
    # Only a signal during the first checks comes before the transaction; every later one waits.
    assert outcomes[-1] and not outcomes[0]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_held_signals_are_delivered_once_the_block_is_over() -> None:
    seen: list[str] = []
    with pytest.raises(KeyboardInterrupt), signals_held():
        signal.raise_signal(signal.SIGINT)
        seen.append("block finished")
    assert seen == ["block finished"]


def test_sigterm_raises_only_inside_the_block() -> None:
    with pytest.raises(Terminated), sigterm_raises():
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.fixture(autouse=True)
def default_handlers() -> Iterator[None]:
    yield
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
