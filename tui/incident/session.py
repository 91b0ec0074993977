"""An incident, rebuilt by replaying its audit log (plain Python, no Textual).

The log is the only truth: `Incident.replay(entries)` folds the entries into
the timeline, the checklist state, the targets per component, the commands
run with their outcomes, and the components' revisions and images before and
after. Resuming after a crash and writing the report both start here.

Entry shape (written by `tui.incident.recorder`): seq, time (RFC 3339 UTC),
user, context, namespace, kind, component, text, command, ok, payload.
Payload keys read here: `snapshot` ({component: {revision, images, status}},
taken when the entry was recorded: on a command, the state just before it),
`items` (checklist items whose state changed: key, text, done, by, at,
evidence, note), `revision` (a target), `path` (an export), `name`
(incident-started), `op` (an operation's id: a command and its own outcome
carry the same), `cancelled` / `state` ("cancelled": nothing was attempted).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ConsoleError
from ..core.times import parse_rfc3339
from . import auditlog

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
STARTED, CLOSED = "incident-started", "incident-closed"
# Entries that ran something against the cluster (or a tool): they carry the equivalent command line.
COMMAND_KINDS = {"action", "plan-step", "helm-rollback", "database-downgrade", "smoke-test", "health-check", "notify"}
# Commands that change a component: the snapshot they carry is its state just before.
METRICS = "metrics"  # the metrics' verdict after a rollback (error ratio, p95 held or breached), with its figures
CHANGE_KINDS = {"action", "plan-step", "helm-rollback"}
# What the console saw happen to a watched component without causing it, and status transitions.
OUTSIDE, STATUS = "outside-change", "status"
ROLLOUT_DONE = "rolled-out"  # a rolled-back component's rollout completed


def cancelled(entry: dict) -> bool:
    """A dialog answered with Escape, or a plan step cancelled before it ran: nothing was attempted."""
    payload = entry.get("payload") or {}
    return bool(payload.get("cancelled")) or payload.get("state") == "cancelled"


def validate_name(name: str) -> str:
    """The name as given if it can be a file name; else ConsoleError saying what is allowed."""
    name = name.strip()
    if not name:
        raise ConsoleError("The incident needs a name, e.g. INC-2041 or checkout-errors.")
    if not NAME.match(name) or ".." in name:
        raise ConsoleError(f"{name[:80]!r} is not a usable incident name: use letters, digits, '.', '_' and "
                           "'-' (up to 80, starting with a letter or digit), e.g. INC-2041.")
    return name


def log_path(directory: Path, name: str) -> Path:
    return directory / f"{validate_name(name)}{auditlog.SUFFIX}"


@dataclass(frozen=True)
class Snapshot:
    revision: str
    images: tuple[str, ...]
    status: str = ""  # the Components status word then (Complete, Degraded, Stalled...)
    extra: tuple[tuple[str, object], ...] = ()  # any other fact recorded with it (figures, alerts), by name

    @classmethod
    def of(cls, data: dict) -> Snapshot:
        extra = tuple(sorted((k, v) for k, v in data.items() if k not in ("revision", "images", "status")))
        return cls(str(data.get("revision", "")), tuple(data.get("images") or ()), str(data.get("status") or ""),
                   extra)

    def fact(self, name: str, default: object = None) -> object:
        return dict(self.extra).get(name, default)


@dataclass(frozen=True)
class Moment:
    """One row of a component's history in the report: when, what (opened, before or after an action, an
    outside change, closed) and the component's state then."""

    at: float
    label: str
    snapshot: Snapshot
    seq: int = 0


@dataclass
class Tick:
    key: str
    text: str
    done: bool
    by: str = ""
    at: float = 0.0
    evidence: str = ""
    note: str = ""
    reopened: str = ""  # why a failure took the tick back


@dataclass
class Command:
    """A command the console ran (its action entry) and what came of it (its outcome entry, if any)."""

    entry: dict
    outcome: dict | None = None

    @property
    def ok(self) -> bool | None:
        if self.outcome is not None:
            return self.outcome.get("ok")
        return self.entry.get("ok")


@dataclass
class Incident:
    name: str = ""
    context: str = ""
    namespace: str = ""
    started: float = 0.0
    who: str = ""
    path: Path | None = None
    entries: list[dict] = field(default_factory=list)
    ticks: dict[str, Tick] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)  # component -> target revision (as said)
    commands: list[Command] = field(default_factory=list)
    before: dict[str, Snapshot] = field(default_factory=dict)
    after: dict[str, Snapshot] = field(default_factory=dict)
    after_at: dict[str, float] = field(default_factory=dict)  # when `after` was seen
    moments: dict[str, list[Moment]] = field(default_factory=dict)  # component -> its states worth a row
    open_ops: dict[str, Command] = field(default_factory=dict)  # operation id -> its command awaiting an outcome
    closed: bool = False
    closed_at: float = 0.0
    notices: list[str] = field(default_factory=list)  # damaged lines skipped while reading

    # ---- building ----------------------------------------------------------------------------

    @classmethod
    def replay(cls, entries: Iterable[dict], path: Path | None = None) -> Incident:
        incident = cls(path=path)
        for entry in entries:
            incident.apply(entry)
        return incident

    @classmethod
    def load(cls, path: Path) -> Incident:
        result = auditlog.read(path)
        incident = cls.replay(result.entries, path)
        incident.notices = result.notices
        if not incident.name:
            incident.name = path.stem
        return incident

    def apply(self, entry: dict) -> None:
        """Fold one entry in (entries arrive in seq order)."""
        self.entries.append(entry)
        kind, component = entry.get("kind", ""), entry.get("component", "")
        payload = entry.get("payload") or {}
        at = entry_time(entry)
        if kind == STARTED:
            self.name = payload.get("name") or self.name
            self.context = entry.get("context", "")
            self.namespace = entry.get("namespace", "")
            self.started = at
            self.who = entry.get("user", "")
        elif kind == CLOSED:
            self.closed, self.closed_at = True, at
        label = self._moment(entry)
        command = self.open_ops.get(payload.get("op") or "")
        unchanged = ((command.entry.get("payload") or {}).get("snapshot") or {}) if command and entry.get("ok") else {}
        for name, data in sorted((payload.get("snapshot") or {}).items()):
            snap = Snapshot.of(data)
            self.before.setdefault(name, snap)
            self.after[name], self.after_at[name] = snap, at
            if label and unchanged.get(name) != data:
                # A success the watch has not shown yet is no row: the rollout's completion (or the last state
                # seen) is its "after", never the old state under an "after" label.
                self.moments.setdefault(name, []).append(Moment(at, label, snap, entry.get("seq", 0)))
        for item in payload.get("items") or ():
            self.ticks[item["key"]] = Tick(item["key"], item.get("text", ""), bool(item.get("done")),
                                           item.get("by", ""), float(item.get("at") or 0.0),
                                           item.get("evidence", ""), item.get("note", ""), item.get("reopened", ""))
        if kind == "target" and component:
            self.targets[component] = str(payload.get("revision", entry.get("text", "")))
        op = payload.get("op")
        if op and op in self.open_ops and kind not in CHANGE_KINDS:
            # Its own outcome: paired by the operation's id, whatever was recorded in between.
            self.open_ops.pop(op).outcome = entry
        elif kind == "outcome" and op:
            if entry.get("command") and not cancelled(entry):
                self.commands.append(Command(entry))  # a command that is its own outcome
            # else: a dialog cancelled (nothing ran) or a refusal: in the timeline, not a command
        elif kind == "outcome":
            # A log written before operation ids: the latest command of this component still waiting for one.
            # A cancel never closes a command: it ran nothing.
            pending = next((c for c in reversed(self.commands) if c.outcome is None and c.entry.get("ok") is None
                            and c.entry.get("component") == component), None)
            if pending is not None and not cancelled(entry):
                pending.outcome = entry
            elif entry.get("command") and not cancelled(entry):
                self.commands.append(Command(entry))
        elif entry.get("command") and (kind in COMMAND_KINDS or kind not in (STARTED, CLOSED, "tick", "untick")):
            command = Command(entry)
            self.commands.append(command)
            if op and entry.get("ok") is None:
                self.open_ops[op] = command

    def _moment(self, entry: dict) -> str:
        """The label of the row this entry adds to its components' history, or "" (not worth a row)."""
        kind, text = entry.get("kind", ""), entry.get("text", "")
        if kind == STARTED:
            return "incident opened"
        if kind == CLOSED:
            return "incident closed"
        if kind in CHANGE_KINDS and entry.get("ok") is None:
            return f"before: {text}"
        payload = entry.get("payload") or {}
        if kind == "outcome" and not cancelled(entry) and (
                payload.get("op") in self.open_ops if payload.get("op")
                else payload.get("action") in ("rollback", "helm-rollback")):  # a log from before operation ids
            return f"after: {text}" if entry.get("ok") else f"after (failed): {text}"
        if kind == ROLLOUT_DONE:
            return "after: rollout complete"
        if kind == OUTSIDE:
            return f"outside change: {text}"
        if kind == METRICS:
            return f"metrics: {text}"
        return ""

    # ---- views -------------------------------------------------------------------------------

    @property
    def ended(self) -> float:
        """When it closed, else the time of its last entry."""
        if self.closed:
            return self.closed_at
        return max((entry_time(e) for e in self.entries), default=self.started)

    @property
    def seq(self) -> int:
        return max((e.get("seq", 0) for e in self.entries), default=0)

    def users(self) -> list[str]:
        seen: dict[str, None] = {}
        for entry in self.entries:
            if entry.get("user"):
                seen.setdefault(entry["user"], None)
        return list(seen)

    def rolled_back(self) -> set[str]:
        """Components (and Helm releases) with a rollback that succeeded."""
        return {c.entry.get("component", "") for c in self.commands
                if c.ok and (c.entry.get("payload") or {}).get("action") in ("rollback", "helm-rollback")}

    def releases(self) -> set[str]:
        """The Helm releases acted on: their rollback ends with helm's outcome, not with a watched rollout."""
        return {c.entry.get("component", "") for c in self.commands
                if (c.entry.get("payload") or {}).get("action") == "helm-rollback"}

    def apply_to(self, checklist) -> int:
        """Restore the ticks on a checklist (H3b's `Checklist.set`); returns how many items were set."""
        restored = 0
        for tick in self.ticks.values():
            if checklist.get(tick.key) is None:
                continue  # an item of another runbook: kept in the log, not shown
            checklist.set(tick.key, tick.done, evidence=tick.evidence, by=tick.by, at=tick.at, note=tick.note)
            if tick.reopened and not tick.done:
                item = checklist.get(tick.key)
                item.reopened, item.status, item.failing = tick.reopened, f"re-opened: {tick.reopened}", True
            restored += 1
        return restored


def entry_time(entry: dict) -> float:
    return parse_rfc3339(entry.get("time")) or 0.0


@dataclass(frozen=True)
class Summary:
    """One incident log on disk, read only as far as needed to list it."""

    name: str
    path: Path
    context: str
    namespace: str
    started: float
    closed: bool
    entries: int
    mtime: float


def incidents(directory: Path) -> list[Summary]:
    """Every incident log in the directory, newest first (by its last write)."""
    found: list[Summary] = []
    if not directory.is_dir():
        return found
    for path in directory.glob(f"*{auditlog.SUFFIX}"):
        try:
            incident = Incident.load(path)
            mtime = path.stat().st_mtime
        except (ConsoleError, OSError):
            continue  # unreadable: `report` on it says why
        found.append(Summary(incident.name, path, incident.context, incident.namespace, incident.started,
                             incident.closed, len(incident.entries), mtime))
    found.sort(key=lambda s: (s.mtime, s.started, s.name), reverse=True)
    return found


def find_open(directory: Path, context: str, namespace: str) -> Path | None:
    """The newest log of this context and namespace without an incident-closed entry."""
    for summary in incidents(directory):
        if not summary.closed and summary.context == context and summary.namespace == namespace:
            return summary.path
    return None


def find(directory: Path, name: str) -> Path:
    """The log of the incident called `name`; else ConsoleError naming the known ones."""
    try:
        path = log_path(directory, name)
    except ConsoleError:
        path = None
    if path is not None and path.is_file():
        return path
    known = ", ".join(s.name for s in incidents(directory)) or "none yet"
    raise ConsoleError(f"No incident named {name[:80]!r} in {directory} (known: {known}).")
