"""What turns `app.record(...)` calls into audit-log entries (plain Python, no Textual).

Before an incident is open, entries are kept in memory (up to PENDING_LIMIT,
with the time they happened) and written right after `incident-started` when
one starts: a rollback done in the first panicked minute still belongs to the
incident. They are marked `"before_start": true`.

Every entry carries a snapshot (revision and images) of its component, taken
when recorded (the incident-started and export entries snapshot every
component): the earliest snapshot of a component is its "before", the latest
its "after". Every entry also carries the checklist items whose state changed
since the last entry, whoever ticked them (by hand, or evidence ticked by the
console), so resuming restores exactly what was on screen.
"""

from __future__ import annotations

import getpass
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ConsoleError, one_line
from ..core.times import rfc3339
from . import auditlog
from .session import CLOSED, STARTED, Incident, find_open, log_path, validate_name

PENDING_LIMIT = 1000
REPORT_KEY = "update-incident-report"


def current_user() -> str:
    """The login name; containers without a passwd entry fall back to $USER, then 'unknown'."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


@dataclass(frozen=True)
class IncidentSettings:
    """Where incident logs and reports go, and who is acting (injectable for tests)."""

    state_dir: Path | None = None  # the logs' directory itself; default: $XDG_STATE_HOME/rollback-console
    report_dir: Path | None = None  # default: next to the log
    user: str | None = None  # default: the login name

    def directory(self) -> Path:
        return self.state_dir if self.state_dir is not None else auditlog.state_dir()


class Recorder:
    """The open incident (if any) of one context + namespace, and its log."""

    def __init__(self, settings: IncidentSettings, context: str, namespace: str,
                 clock: Callable[[], float] = time.time,
                 snapshot: Callable[[str | None], dict] | None = None, checklist=None,
                 sync: str = "thread") -> None:
        self.settings = settings
        self.directory = settings.directory()
        self.user = settings.user or current_user()
        self.context = context
        self.namespace = namespace
        self.clock = clock
        self.snapshot = snapshot or (lambda component: {})
        self.checklist = checklist
        self.sync = sync
        self.incident: Incident | None = None
        self.log: auditlog.AuditLog | None = None
        self.pending: list[dict] = []
        self.dropped = 0  # pending entries beyond the limit (said when the incident starts)
        self._seen: dict[str, tuple] = self._checklist_state()  # the checklist as last recorded

    @property
    def open(self) -> bool:
        return self.incident is not None and not self.incident.closed

    # ---- recording ---------------------------------------------------------------------------

    def record(self, kind: str, component: str, text: str, command: str = "", ok: bool | None = None,
               payload: dict | None = None) -> dict:
        """One entry: written now with an open incident, else kept until one starts."""
        entry = self._entry(kind, component, text, command, ok, payload)
        if self.log is None or not self.open:
            if len(self.pending) >= PENDING_LIMIT:
                self.pending.pop(0)
                self.dropped += 1
            self.pending.append(entry)
            return entry
        return self._write(entry)

    def _entry(self, kind: str, component: str, text: str, command: str, ok: bool | None,
               payload: dict | None) -> dict:
        body = dict(payload or {})
        if "snapshot" not in body:
            snap = self.snapshot(component) if component else {}
            if snap:
                body["snapshot"] = snap
        items = self._changed_items()
        if items:
            body["items"] = items
        return {
            "time": rfc3339(self.clock(), millis=True),
            "user": self.user,
            "context": self.context,
            "namespace": self.namespace,
            "kind": kind,
            "component": component,
            "text": one_line(text),
            "command": command,
            "ok": ok,
            "payload": body,
        }

    def _write(self, entry: dict) -> dict:
        written = self.log.append(entry)
        self.incident.apply(written)
        return written

    def _checklist_state(self) -> dict[str, tuple]:
        if self.checklist is None:
            return {}
        return {item.key: (item.done, item.evidence, getattr(item, "note", ""), getattr(item, "reopened", ""))
                for item in self.checklist}

    def _changed_items(self) -> list[dict]:
        """Checklist items whose state differs from what the log last said."""
        now = self._checklist_state()
        changed = []
        for item in self.checklist or ():
            if now[item.key] != self._seen.get(item.key, (False, "", "", "")):
                changed.append({
                    "key": item.key, "text": item.text, "done": item.done,
                    "by": getattr(item, "by", "") or self.user,
                    "at": getattr(item, "at", 0.0) or self.clock(),
                    "evidence": item.evidence, "note": getattr(item, "note", ""),
                    **({"reopened": item.reopened} if getattr(item, "reopened", "") else {}),
                })
        self._seen = now
        return changed

    # ---- starting, resuming, closing ---------------------------------------------------------

    def start(self, name: str) -> Incident:
        """Open a new incident: its log, the incident-started entry, then what happened before."""
        if self.open:
            raise ConsoleError(f"Incident {self.incident.name} is already open; close it (I) before starting "
                               "another.")
        name = validate_name(name)
        path = log_path(auditlog.ensure_dir(self.directory), name)
        log = auditlog.AuditLog.create(path, sync=self.sync)
        self.log, self.incident = log, Incident(path=path)
        pending, self.pending = self.pending, []
        started = self._entry(STARTED, "", f"incident {name} started", "", None,
                              {"name": name, "snapshot": self.snapshot(None)})
        self._write(started)
        for entry in pending:
            entry["payload"] = {**entry.get("payload", {}), "before_start": True}
            self._write(entry)
        if self.dropped:
            self._write(self._entry("note", "", f"{self.dropped} earlier entries were not kept (more than "
                                    f"{PENDING_LIMIT} before the incident started)", "", None, None))
            self.dropped = 0
        return self.incident

    def resume(self) -> Incident | None:
        """Reopen the newest open incident of this context and namespace, if there is one."""
        path = find_open(self.directory, self.context, self.namespace)
        if path is None:
            return None
        log, existing = auditlog.AuditLog.open(path, sync=self.sync)
        incident = Incident.replay(existing.entries, path)
        incident.notices = existing.notices
        self.log, self.incident = log, incident
        return incident

    def restored(self) -> None:
        """The checklist now shows the resumed state: it is the baseline, not a change to record."""
        self._seen = self._checklist_state()

    def close_incident(self, text: str = "") -> Incident:
        if not self.open:
            raise ConsoleError("No incident is open; press i to start one.")
        incident = self.incident
        self._write(self._entry(CLOSED, "", text or f"incident {incident.name} closed", "", None,
                                {"snapshot": self.snapshot(None)}))
        self.close()
        return incident

    def close(self) -> bool:
        """Flush the log to disk and let go of it (on exit); the incident stays open in the log."""
        if self.log is None:
            return True
        log, self.log = self.log, None
        return log.close()

    # ---- reports ---------------------------------------------------------------------------

    def report_path(self) -> Path:
        if self.incident is None:
            raise ConsoleError("No incident is open; press i to start one.")
        folder = self.settings.report_dir or self.directory
        return Path(folder) / f"{self.incident.name}-report.md"
