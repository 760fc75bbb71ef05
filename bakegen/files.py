"""Writing user files so that a failure never leaves a mix of old and new.

:func:`replace_files` replaces several files as one transaction: after any failure it notices (an
error, a full disk, a refused permission, Ctrl-C, SIGTERM), every file is either all old or all
new, and no temporary file is left behind. The steps:

1. *Check*: every destination is resolved through symlinks (the link stays, its target is
   written), must lie in a writable directory, and must not be a read-only file. Nothing is
   created before every destination passes.
2. *Stage*: each new text goes to a temporary file next to its destination and is flushed to
   disk; each existing destination gets a hard-link backup (a copy where hard links fail).
3. *Commit*: the temporary files are renamed over their destinations. A failure part-way renames
   the backups back, so the files already replaced are old again.
4. *Clean up*: temporary files and backups are removed, whatever happened.

SIGINT, SIGTERM and SIGHUP are held back for the whole transaction (fsync included) and delivered
when it is over, so an interrupt lands before it (all old) or after it (all new). Only a crash of
the machine or SIGKILL during the commit (a few renames) can leave a mix; that needs a journal,
which this is not.

:func:`read_text` reads a user's text file and turns every way it can be wrong (missing, a
directory, a FIFO, too large, not UTF-8) into one line.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import secrets
import signal
import stat
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from .errors import BakegenError, DataError, Terminated

#: The signals a user, a service manager or a closing terminal sends to stop a command politely.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a mix."""
    replace_files({Path(path): text})


def replace_files(contents: Mapping[Path, str]) -> list[Path]:
    """Write every ``path: text`` of ``contents``, all of them or none. Returns the paths written.

    Raises :class:`BakegenError` (one line, naming the file and the reason) when a file cannot be
    written; the files are then as they were.
    """
    targets = _check(contents)
    staged: list[_Staged] = []
    with signals_held():
        try:
            for dest, text in targets.items():
                staged.append(_Staged(dest))
                try:
                    staged[-1].stage(text)
                except OSError as exc:
                    raise _cannot_write(dest, exc) from None
            _commit(staged)
        finally:
            _clean_up(staged)
    return list(contents)


def _cannot_write(dest: Path, exc: OSError) -> BakegenError:
    return BakegenError(f"{dest}: cannot write: {exc.strerror or exc}; no file was changed")


@contextlib.contextmanager
def signals_held(signums: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """Hold ``signums`` back while the block runs (main thread only), then deliver them as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {s: signal.signal(s, hold) for s in signums}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        for s in dict.fromkeys(received):
            signal.raise_signal(s)


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Terminated` while the block runs, so its ``finally``
    clauses run.

    By default either signal ends the process on the spot, which skips every clean-up. A SIGHUP
    that is ignored (``nohup``) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    wanted = [s for s in (signal.SIGTERM, signal.SIGHUP) if signal.getsignal(s) is not signal.SIG_IGN]
    previous = {s: signal.signal(s, terminate) for s in wanted}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)


def check_destinations(paths: list[Path]) -> None:
    """Refuse, creating nothing, destinations that :func:`replace_files` could not write: a folder
    or other non-file in the way, a read-only file or folder. The reason is one line."""
    _check(dict.fromkeys(paths, ""))


def _check(contents: Mapping[Path, str]) -> dict[Path, str]:
    """Resolve every destination and refuse, before anything is created, what cannot be written."""
    targets: dict[Path, str] = {}
    named: dict[Path, Path] = {}
    for path, text in contents.items():
        dest = Path(os.path.realpath(path))
        if dest in targets and targets[dest] != text:
            raise BakegenError(f"{path} and {named[dest]} are the same file ({dest}); nothing was changed")
        _check_writable(Path(path), dest)
        targets[dest], named[dest] = text, Path(path)
    return targets


def _read_only(path: Path, st: os.stat_result) -> bool:
    # The mode bits count even for root, whom os.access lets write anything: a file or folder
    # nobody may write is meant to stay as it is.
    return not os.access(path, os.W_OK) or not stat.S_IMODE(st.st_mode) & 0o222


def _check_writable(path: Path, dest: Path) -> None:
    via = f" (through the symlink {path})" if dest != Path(os.path.abspath(path)) else ""
    try:
        folder = dest.parent.stat()
    except OSError as exc:
        raise BakegenError(f"{dest.parent}: cannot write there: {exc.strerror}{via}; nothing was changed") from None
    if _read_only(dest.parent, folder) or not os.access(dest.parent, os.X_OK):
        raise BakegenError(f"{dest.parent}: the folder is read-only{via}; nothing was changed")
    try:
        st = dest.stat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise BakegenError(f"{dest}: not a regular file{via}; nothing was changed")
    if _read_only(dest, st):
        raise BakegenError(f"{dest}: the file is read-only{via}; nothing was changed")


@dataclass
class _Staged:
    """One destination in a transaction: its new text in ``tmp``, its old content in ``backup``."""

    dest: Path
    token: str = field(default_factory=lambda: secrets.token_hex(6))
    #: Whether ``backup`` holds the old content (False: ``dest`` did not exist).
    backed_up: bool = False
    committed: bool = False
    #: A backup that could not be put back holds the only old copy: it is kept, not removed.
    keep_backup: bool = False

    # The names are fixed before the files exist, so clean-up never misses one.
    @property
    def tmp(self) -> Path:
        return self.dest.with_name(f".{self.dest.name}.{self.token}.tmp")

    @property
    def backup(self) -> Path:
        return self.dest.with_name(f".{self.dest.name}.{self.token}.bak")

    def stage(self, text: str) -> None:
        old = _stat_or_none(self.dest)
        _write_new(self.tmp, text.encode("utf-8"), old)
        if old is not None:
            _back_up(self.dest, self.backup)
            self.backed_up = True

    def roll_back(self) -> None:
        if self.backed_up:
            os.replace(self.backup, self.dest)
        else:
            os.unlink(self.dest)
        self.committed = False


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def _write_new(path: Path, data: bytes, like: os.stat_result | None) -> None:
    """Create ``path`` holding ``data``, flushed to disk, with the mode (and owner) of ``like``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if like is not None:
            os.fchmod(fd, stat.S_IMODE(like.st_mode))
            if (like.st_uid, like.st_gid) != (os.geteuid(), os.getegid()):
                with contextlib.suppress(OSError):
                    os.fchown(fd, like.st_uid, like.st_gid)
        os.fsync(fd)
    finally:
        os.close(fd)


def _back_up(dest: Path, backup: Path) -> None:
    """``backup`` keeps ``dest``'s current content: a hard link, or a copy where links fail."""
    try:
        os.link(dest, backup)
    except OSError:
        _write_new(backup, dest.read_bytes(), dest.stat())


def _commit(staged: list[_Staged]) -> None:
    for item in staged:
        try:
            os.replace(item.tmp, item.dest)
        except BaseException as exc:
            failure = _cannot_write(item.dest, exc) if isinstance(exc, OSError) else exc
            _roll_back(staged, failure)
            raise failure from None
        item.committed = True
    for folder in {item.dest.parent for item in staged}:
        _fsync_dir(folder)


def _roll_back(staged: list[_Staged], failure: BaseException) -> None:
    """Put back the old content of every destination already replaced."""
    lost = []
    for item in reversed(staged):
        if not item.committed:
            continue
        try:
            item.roll_back()
        except OSError as exc:
            item.keep_backup = True
            kept = f"; its old content is kept in {item.backup}" if item.backed_up else ""
            lost.append(f"{item.dest} could not be restored ({exc.strerror or exc}){kept}")
    if lost:
        raise BakegenError(f"{str(failure).removesuffix('; no file was changed')}; and {'; '.join(lost)}") from None


def _fsync_dir(folder: Path) -> None:
    """Make the renames in ``folder`` durable (where the platform allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _clean_up(staged: list[_Staged]) -> None:
    for item in staged:
        for path in (item.tmp, item.backup):
            if path == item.backup and item.keep_backup:
                continue
            # Nothing better to do on failure here, and the error that got us here matters more.
            with contextlib.suppress(OSError):
                os.unlink(path)


#: No data file, template or checksum list bakegen reads comes near this.
MAX_FILE_BYTES = 32 * 1024 * 1024


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def decode_text(data: bytes, where: str) -> str:
    """UTF-8 text (a UTF-8 byte-order mark is dropped); anything else is a one-line error."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(f"{where}: is UTF-16 text; save it as UTF-8")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"{where}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8") from None


def read_text(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """A user's text file: a regular file (a FIFO would block, a directory cannot be read), at most
    ``max_bytes``, in UTF-8. Every problem is a one-line :class:`DataError` naming the file."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{path}: is {_kind(info.st_mode)}, not a file")
    if info.st_size > max_bytes:
        raise DataError(f"{path}: larger than {max_bytes} bytes; not a data file")
    try:
        # O_NONBLOCK: should the path have become a FIFO since the stat, open does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise DataError(f"{path}: larger than {max_bytes} bytes; not a data file")
    return decode_text(data, str(path))


def existing_text(path: Path) -> str | None:
    """The text of a file bakegen writes (docker-bake.hcl), or None where there is none yet (a
    symlink to a file not made yet included: writing goes through the link)."""
    if not os.path.exists(path) and (not os.path.islink(path) or _dangling(path)):
        return None
    return read_text(path)


def _dangling(path: Path) -> bool:
    """A symlink whose target is missing, in a folder that exists (a loop is no such link)."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


def write_text(path: Path, text: str) -> None:
    """:func:`write_atomic`, with the reasons it can fail as one-line errors."""
    if os.path.isdir(path):
        raise BakegenError(f"{path}: is a directory, not a file; remove it or pass another project folder (-C)")
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise BakegenError(f"{path}: cannot write: {exc.strerror or exc}") from None
