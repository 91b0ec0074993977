"""The incident's append-only audit log: one JSON object per line, one file per incident.

Durability has two layers, and each entry gets both:
- `kill -9` or a dropped SSH session: the line is handed to the kernel by ONE
  `os.write` of the whole line before `append` returns, so once `append` has
  returned the entry survives the process (the page cache belongs to the kernel).
- power loss or a kernel crash: every entry is fsynced. By default a small
  syncer thread does the fsync right after the write (one fsync covers every
  line written before it), so the UI loop never waits on a slow disk;
  `close()` waits for the last fsync. `sync="inline"` fsyncs inside `append`.

Files live in `$XDG_STATE_HOME/rollback-console/` (default
`~/.local/state/rollback-console/`): directory 0700, files 0600, created so by
`os.open` (never chmod-widened afterwards).

A torn last line (a write cut short by a full disk or a crash of the machine)
is detected when reading, ignored and reported as a notice; it never hides the
entries before it. Repair choice: before the next append we write a newline,
never truncate. The log stays strictly append-only (no byte written is ever
removed, the fragment stays for whoever investigates) and the new entry starts
on a fresh line; readers skip the fragment wherever it is and say so.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ConsoleError

APP_DIR = "rollback-console"
SUFFIX = ".jsonl"
DIR_MODE = 0o700
FILE_MODE = 0o600


def state_dir(environ: dict[str, str] | None = None) -> Path:
    """Where incident logs live: $XDG_STATE_HOME/rollback-console, else ~/.local/state/rollback-console."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME") or ""
    # The XDG spec says a relative path is invalid and must be ignored.
    root = Path(base) if base and os.path.isabs(base) else Path("~/.local/state").expanduser()
    return root / APP_DIR


def ensure_dir(path: Path) -> Path:
    """Create the directory 0700 (parents as the user's umask allows); an existing one is left as it is."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=DIR_MODE, exist_ok=True)
    except OSError as exc:
        raise ConsoleError(f"Cannot create the incident directory {path}: {exc.strerror}; "
                           "set XDG_STATE_HOME to a writable directory.") from None
    return path




@dataclass
class ReadResult:
    entries: list[dict] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # one sentence per damaged line skipped
    torn_tail: bool = False  # the file does not end with a complete line


def read(path: Path) -> ReadResult:
    """Every intact entry, in file order. Damaged lines are skipped with a notice, never fatal."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConsoleError(f"Cannot read the incident log {path}: {exc.strerror}.") from None
    result = ReadResult()
    lines = data.split(b"\n")
    last = lines.pop()  # b"" when the file ends with a newline, else the torn fragment
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        entry = _decode(raw)
        if entry is None:
            result.notices.append(f"{path.name} line {number} is damaged (a write cut short by an earlier "
                                  "crash); it was skipped, the entries around it are intact.")
        else:
            result.entries.append(entry)
    if last:
        result.torn_tail = True
        result.notices.append(f"{path.name} ends with a torn entry (line {len(lines) + 1}, {len(last)} bytes "
                              "written when the console or the machine stopped); it was ignored.")
    return result


def _decode(raw: bytes) -> dict | None:
    try:
        entry = json.loads(raw)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and isinstance(entry.get("seq"), int) else None


class AuditLog:
    """Appends entries to one incident's log. `append` is thread-safe; `close` flushes to disk."""

    def __init__(self, path: Path, *, sync: str = "thread", clock: Callable[[], float] | None = None,
                 _fd: int | None = None, _next_seq: int = 1, _needs_newline: bool = False) -> None:
        if sync not in ("thread", "inline"):
            raise ValueError(f"sync must be 'thread' or 'inline', not {sync!r}")
        self.path = path
        self.sync = sync
        self._fd = _fd if _fd is not None else _open_append(path, create=False)
        _lock(self._fd, path)
        self._next_seq = _next_seq
        self._needs_newline = _needs_newline
        self._lock = threading.Lock()
        self._written = 0  # appends handed to the kernel
        self._synced = 0  # ... of which fsynced
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self.sync_error = ""  # the last fsync failure, as a sentence
        self._syncer: threading.Thread | None = None
        if sync == "thread":
            self._syncer = threading.Thread(target=self._sync_loop, name=f"fsync {path.name}", daemon=True)
            self._syncer.start()

    # ---- opening -----------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, **options) -> AuditLog:
        """A new log (refused if the file exists); the directory is fsynced so the name survives a crash."""
        ensure_dir(path.parent)
        fd = _open_append(path, create=True)
        _fsync_dir(path.parent)
        return cls(path, _fd=fd, **options)

    @classmethod
    def open(cls, path: Path, **options) -> tuple[AuditLog, ReadResult]:
        """An existing log, to append to it: returns it with what it holds so far."""
        existing = read(path)
        last = max((e["seq"] for e in existing.entries), default=0)
        return cls(path, _next_seq=last + 1, _needs_newline=existing.torn_tail, **options), existing

    # ---- writing -----------------------------------------------------------------------------

    @property
    def next_seq(self) -> int:
        return self._next_seq

    def append(self, entry: dict) -> dict:
        """Write `entry` (its `seq` is set here) as one line; returns it. Raises ConsoleError if not written."""
        with self._lock:
            if self._closed:
                raise ConsoleError(f"The incident log {self.path} is closed; nothing more can be recorded in it.")
            entry = {"seq": self._next_seq, **{k: v for k, v in entry.items() if k != "seq"}}
            line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode()
            if self._needs_newline:
                line = b"\n" + line  # the previous line is torn: start on a fresh one
            self._write_all(line)
            self._needs_newline = False
            self._next_seq += 1
            self._written += 1
            if self.sync == "inline":
                self._fsync()
            else:
                self._wake.notify()
            return entry

    def _write_all(self, line: bytes) -> None:
        written = 0
        try:
            # One os.write of the whole line: appended atomically (O_APPEND) unless the disk is full.
            written = os.write(self._fd, line)
            while written < len(line):  # a short write (disk full): finish it or fail below
                n = os.write(self._fd, line[written:])
                if n <= 0:
                    raise OSError(errno.EIO, "short write")
                written += n
        except OSError as exc:
            if written:
                self._needs_newline = True  # part of the line is in the file: the next entry starts fresh
            raise ConsoleError(f"Could not write to the incident log {self.path}: "
                               f"{exc.strerror or exc}; this entry was not recorded, free some space "
                               "and act again.") from None

    def _fsync(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as exc:
            self.sync_error = (f"Could not flush the incident log {self.path} to disk ({exc.strerror}); "
                               "entries are written but may not survive a crash of the machine.")
        self._synced = self._written

    def _sync_loop(self) -> None:
        with self._lock:
            while True:
                while self._synced == self._written and not self._closed:
                    self._wake.wait()
                if self._synced == self._written and self._closed:
                    return
                target = self._written
                self._lock.release()
                try:
                    try:
                        os.fsync(self._fd)
                        error = ""
                    except OSError as exc:
                        error = (f"Could not flush the incident log {self.path} to disk ({exc.strerror}); "
                                 "entries are written but may not survive a crash of the machine.")
                finally:
                    self._lock.acquire()
                if error:
                    self.sync_error = error
                self._synced = max(self._synced, target)
                self._wake.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every appended entry is fsynced; False if that took longer than `timeout`."""
        with self._lock:
            if self.sync == "inline" or self._syncer is None:
                return True
            return self._wake.wait_for(lambda: self._synced >= self._written, timeout)

    def close(self, timeout: float = 10.0) -> bool:
        """Flush, stop the syncer, close the file. Idempotent."""
        flushed = self.flush(timeout)
        with self._lock:
            if self._closed:
                return flushed
            self._closed = True
            self._wake.notify_all()
        if self._syncer is not None:
            self._syncer.join(timeout)
        os.close(self._fd)
        return flushed


def _open_append(path: Path, create: bool) -> int:
    flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    if create:
        flags |= os.O_CREAT | os.O_EXCL
    try:
        return os.open(path, flags, FILE_MODE)
    except FileExistsError:
        raise ConsoleError(f"An incident log already exists at {path}; choose another incident name.") from None
    except OSError as exc:
        raise ConsoleError(f"Cannot open the incident log {path}: {exc.strerror}.") from None


def _lock(fd: int, path: Path) -> None:
    """One writer per log: a second console on the same incident would reuse seqs. The kernel drops the
    lock when the holder dies (kill -9 included), so a crash never leaves the incident locked."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ConsoleError(f"The incident log {path.name} is being written by another console on this machine; "
                           "quit that one to record here.") from None
    except OSError:
        pass  # a filesystem without locks: one console at a time is then up to the users


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return  # some filesystems cannot open a directory: the file's own fsync still holds the data
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
