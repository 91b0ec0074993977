"""The audit log on disk: append and read back, permissions, fsync, torn lines, and kill -9 mid-write."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tui.core.errors import ConsoleError
from tui.core.times import rfc3339
from tui.incident import auditlog
from tui.incident.auditlog import AuditLog

ROOT = Path(__file__).resolve().parents[3]


def entry(n: int, **extra) -> dict:
    return {"time": rfc3339(1_800_000_000 + n, millis=True), "user": "alice", "kind": "note", "component": "",
            "text": f"entry {n}", "command": "", "ok": None, "payload": extra}


def test_state_dir_follows_xdg_and_ignores_a_relative_value(tmp_path):
    assert auditlog.state_dir({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "rollback-console"
    home = Path("~/.local/state/rollback-console").expanduser()
    assert auditlog.state_dir({}) == home
    assert auditlog.state_dir({"XDG_STATE_HOME": "relative/dir"}) == home


@pytest.mark.parametrize("sync", ["thread", "inline"])
def test_append_then_read_back_in_order_with_contiguous_seqs(tmp_path, sync):
    path = tmp_path / "rollback-console" / "INC-1.jsonl"
    log = AuditLog.create(path, sync=sync)
    written = [log.append(entry(n, text="naïve | pipes\nnewline")) for n in range(1, 51)]
    assert log.close()
    assert [e["seq"] for e in written] == list(range(1, 51))
    result = auditlog.read(path)
    assert result.entries == written
    assert not result.notices and not result.torn_tail
    raw = path.read_bytes()
    assert raw.count(b"\n") == 50 and raw.endswith(b"\n")  # one line per entry, the newline inside is escaped


def test_modes_are_0600_and_0700_and_an_existing_directory_is_not_widened(tmp_path):
    directory = tmp_path / "state" / "rollback-console"
    log = AuditLog.create(directory / "a.jsonl")
    log.append(entry(1))
    log.close()
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(directory / "a.jsonl").st_mode) == 0o600
    os.chmod(directory, 0o711)  # the user's own choice for an existing directory: left as is
    AuditLog.create(directory / "c.jsonl").close()
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o711  # never chmod-ed by us
    assert stat.S_IMODE(os.stat(directory / "c.jsonl").st_mode) == 0o600


def test_the_file_mode_holds_under_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        AuditLog.create(tmp_path / "d" / "x.jsonl").close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "d" / "x.jsonl").st_mode) == 0o600


def test_create_refuses_an_existing_log_in_one_sentence(tmp_path):
    AuditLog.create(tmp_path / "x.jsonl").close()
    with pytest.raises(ConsoleError, match=r"already exists at .*x.jsonl; choose another incident name"):
        AuditLog.create(tmp_path / "x.jsonl")


def test_every_entry_is_fsynced_and_close_waits_for_the_last(tmp_path, monkeypatch):
    """Count real fsync calls on the log's descriptor (os.fsync wrapped, still called)."""
    synced: list[int] = []
    real = os.fsync

    def counting(fd):
        real(fd)
        synced.append(fd)

    monkeypatch.setattr(auditlog.os, "fsync", counting)
    log = AuditLog.create(tmp_path / "x.jsonl", sync="inline")
    for n in range(1, 6):
        log.append(entry(n))
    assert synced.count(log._fd) == 5  # inline: one fsync per entry
    log.close()
    synced.clear()
    log, _ = AuditLog.open(tmp_path / "x.jsonl")  # thread: the syncer fsyncs, close waits for it
    fd = log._fd
    for n in range(6, 106):
        log.append(entry(n))
    assert log.close()
    assert 1 <= synced.count(fd) <= 100
    assert log._synced == log._written == 100


def test_a_failing_fsync_is_said_once_and_the_entries_stay(tmp_path, monkeypatch):
    def broken(fd):
        raise OSError(5, "Input/output error")

    log = AuditLog.create(tmp_path / "x.jsonl", sync="inline")
    monkeypatch.setattr(auditlog.os, "fsync", broken)
    log.append(entry(1))
    assert log.sync_error.startswith("Could not flush the incident log")
    assert "Input/output error" in log.sync_error
    monkeypatch.undo()
    log.close()
    assert [e["seq"] for e in auditlog.read(tmp_path / "x.jsonl").entries] == [1]


def test_a_torn_last_line_is_ignored_said_and_the_next_append_starts_a_fresh_line(tmp_path):
    path = tmp_path / "x.jsonl"
    log = AuditLog.create(path)
    for n in range(1, 4):
        log.append(entry(n))
    log.close()
    with open(path, "ab") as f:
        f.write(b'{"seq":4,"time":"2027-01-15T08:00:04.000Z","text":"cut sh')  # the machine died here
    result = auditlog.read(path)
    assert [e["seq"] for e in result.entries] == [1, 2, 3]
    assert result.torn_tail
    assert result.notices == [("x.jsonl ends with a torn entry (line 4, 57 bytes written when the console or the "
                               "machine stopped); it was ignored.")]

    log, existing = AuditLog.open(path)
    assert existing.torn_tail and log.next_seq == 4  # the torn entry was never confirmed: its seq is reused
    log.append(entry(4))
    log.append(entry(5))
    log.close()
    lines = path.read_bytes().split(b"\n")
    assert lines[3].startswith(b'{"seq":4,"time":"2027-01-15T08:00:04.000Z","text":"cut sh')  # kept, not truncated
    assert json.loads(lines[4])["seq"] == 4 and json.loads(lines[5])["seq"] == 5
    again = auditlog.read(path)
    assert [e["seq"] for e in again.entries] == [1, 2, 3, 4, 5]
    assert not again.torn_tail
    assert again.notices == [("x.jsonl line 4 is damaged (a write cut short by an earlier crash); it was skipped, "
                              "the entries around it are intact.")]


def test_a_short_write_is_finished_and_a_failed_one_said_in_one_sentence(tmp_path, monkeypatch):
    path = tmp_path / "x.jsonl"
    log = AuditLog.create(path, sync="inline")
    real = os.write
    calls = []

    def halves(fd, data):
        calls.append(len(data))
        return real(fd, data[: max(1, len(data) // 2)]) if len(calls) == 1 else real(fd, data)

    monkeypatch.setattr(auditlog.os, "write", halves)
    log.append(entry(1))
    assert len(calls) == 2  # the rest of the short write was written
    calls.clear()

    def full(fd, data):
        if not calls:
            calls.append(1)
            return real(fd, data[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(auditlog.os, "write", full)
    with pytest.raises(ConsoleError, match="No space left on device; this entry was not recorded"):
        log.append(entry(2))
    monkeypatch.setattr(auditlog.os, "write", real)
    log.append(entry(2))  # starts on a fresh line after the fragment
    log.close()
    result = auditlog.read(path)
    assert [e["seq"] for e in result.entries] == [1, 2]
    assert len(result.notices) == 1 and "line 2 is damaged" in result.notices[0]


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from tui.core.times import rfc3339
    from tui.incident.auditlog import AuditLog
    log = AuditLog.create(Path(sys.argv[1]), sync=sys.argv[2])
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        log.append({"time": rfc3339(1.8e9 + n, millis=True), "user": "alice", "kind": "note", "component": "backend",
                    "text": "x" * (n % 700), "command": "kubectl rollout undo deployment/backend", "ok": True,
                    "payload": {"n": n}})
""")


@pytest.mark.parametrize("sync", ["thread", "inline"])
def test_kill_9_in_the_middle_of_writing_loses_nothing_written_and_tears_at_most_the_last(tmp_path, sync):
    rng = random.Random(20261126)
    for attempt in range(4):
        path = tmp_path / f"kill-{sync}-{attempt}.jsonl"
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), sync], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
            time.sleep(rng.uniform(0.05, 0.4))
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait(10)
        assert writer.returncode == -signal.SIGKILL
        result = auditlog.read(path)
        seqs = [e["seq"] for e in result.entries]
        assert len(seqs) > 10, "the writer barely wrote anything"
        assert seqs == list(range(1, len(seqs) + 1))  # contiguous from 1: nothing lost, nothing reordered
        assert all(e["payload"]["n"] == e["seq"] for e in result.entries)
        assert len(result.notices) <= 1 and (not result.notices or result.torn_tail)  # at most the last, torn
        # and the log can be resumed cleanly right after
        log, _ = AuditLog.open(path)
        log.append({"kind": "note", "text": "resumed"})
        log.close()
        after = auditlog.read(path)
        assert [e["seq"] for e in after.entries] == seqs + [len(seqs) + 1]
        assert not after.torn_tail


def test_a_second_writer_on_the_same_log_is_refused_until_the_first_lets_go(tmp_path):
    path = tmp_path / "x.jsonl"
    first = AuditLog.create(path)
    first.append(entry(1))
    with pytest.raises(ConsoleError, match=r"x.jsonl is being written by another console on this machine"):
        AuditLog.open(path)
    first.close()
    second, _ = AuditLog.open(path)
    assert second.append(entry(2))["seq"] == 2
    second.close()
