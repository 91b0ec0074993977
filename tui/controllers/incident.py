"""The console's incidents: `i` starts one (asks its name), `I` closes it, `e` previews the report and writes it.

On start the open incident of this context and namespace is resumed. The
console calls `resume_incident()` when ready, `incident_lines()` with new
Rollout lines, `close_incident_log()` on unmount, and its `record()` delegates
to `record_entry()`. Takes the Console protocol (console.py), never the App.

Writes happen on the UI loop: one os.write of a line is microseconds (the
fsync runs on the log's own thread, see auditlog), and the report is a few
kilobytes to a local disk.
"""

from __future__ import annotations

import os
from pathlib import Path

from widgets.checklist_sidebar import ChecklistSidebar

from ..core import checklist as runbook
from ..core.errors import ConsoleError, one_line
from ..core.state import INFO, LogLine, image_tag
from ..core.workload import Ref
from ..incident import report, session
from ..incident.recorder import IncidentSettings, Recorder
from ..incident.session import entry_time, log_path, validate_name
from ..screens.prompt import PromptScreen
from .console import Console

# Entry kinds worth replaying into the Rollout stream on resume (the timeline as it was).
REPLAYED = {"incident-started", "action", "outcome", "tick", "untick", "target", "export", "note", "plan-step",
            "helm-rollback", report.ROLLOUT_DONE, session.OUTSIDE, session.STATUS}


STATUS_SETTLE = 5.0  # seconds a status must hold to be a transition in the timeline
OURS_GRACE = 10.0  # seconds after our command or outcome during which a new revision is still ours
PREVIEW_ROWS = 40  # timeline rows and commands in the preview: a long table would take seconds to lay out


class IncidentController:
    def __init__(self, console: Console, settings: IncidentSettings | None) -> None:
        self.console = console
        self.incidents = Recorder(settings or IncidentSettings(), console.target.context, console.target.namespace,
                                  clock=console.clock, snapshot=self.snapshot_components, checklist=console.checklist)
        self._sync_error_said = ""
        self._rollout_recorded: set[str] = set()  # rolled-back components whose completion is in the log
        self._revisions: dict[str, str] = {}  # component -> its revision last seen
        self._status: dict[str, str] = {}  # component -> its status as last recorded (or first seen)
        self._current: dict[str, str] = {}  # component -> its status now
        self._departed: dict[str, float] = {}  # component -> since when its status differs from the recorded
        self._ours_until: dict[str, float] = {}  # component ("": all) -> until when a change is ours

    # ---- what the log needs from the console ---------------------------------------------------

    def snapshot_components(self, component: str | None) -> dict:
        """Revision, images and status of one component (None: every component) as the console sees them now."""
        state = self.console.state
        ref = state.ref_named(component) if component else None
        # A name that is not a component (a Helm release, the application of a plan) covers them all.
        views = [state.component(ref)] if ref is not None else state.components()
        metrics = getattr(self.console, "metrics", None)
        return {v.name: {"revision": v.revision, "images": list(v.images), "status": v.status,
                         # error ratio, p95 and restarts from Prometheus, when configured and fresh
                         **(metrics.figures_for(v.name) if metrics is not None else {})}
                for v in views if v is not None}

    def record_entry(self, kind: str, component: str, text: str, command: str = "", ok: bool | None = None,
                     payload: dict | None = None) -> dict | None:
        if kind == "outcome" and ok and (payload or {}).get("action") == "rollback":
            self._rollout_recorded.discard(component)  # a new rollout to see complete
        if kind in session.CHANGE_KINDS or kind in ("outcome", "plan"):
            # A name that is not a component (a release, the application) changes them all ("").
            name = component if self.console.state.ref_named(component) is not None else ""
            self._ours_until[name] = self.console.clock() + OURS_GRACE
        try:
            entry = self.incidents.record(kind, component, text, command, ok, payload)
        except ConsoleError as err:
            self.console.say(err.message, severity="error")
            return None
        log = self.incidents.log
        if log is not None and log.sync_error and log.sync_error != self._sync_error_said:
            self._sync_error_said = log.sync_error
            self.console.say(log.sync_error, severity="warning")
        return entry

    def components_changed(self, refs) -> None:
        """After a watch batch: a new revision this console did not cause (someone's `kubectl set image`) goes
        to the timeline as it is seen; a status transition once it has held (see `settle`)."""
        state, now = self.console.state, self.console.clock()
        for ref in refs:
            view = state.component(ref) if isinstance(ref, Ref) else None
            if view is None:
                continue
            revision = self._revisions.get(view.name)
            self._revisions[view.name] = view.revision
            if revision is None:  # first sight (the first list, a console resumed): a baseline, not a change
                self._status[view.name] = self._current[view.name] = view.status
                continue
            if view.revision != revision and not self._ours(ref, now):
                tags = ", ".join(image_tag(image) for image in view.images) or "no images"
                self.record_entry(session.OUTSIDE, view.name, f"revision {revision or '?'} → {view.revision} "
                                  f"(not made by this console): {tags}")
            self._current[view.name] = view.status
            if view.status != self._status.get(view.name):
                self._departed.setdefault(view.name, now)
        self.settle()

    def settle(self, force: bool = False) -> None:
        """Record the status transitions that held for STATUS_SETTLE seconds (every second, and before a
        report or the close: `force`). A crash loop flips Degraded and Progressing at each restart; only
        what holds is a transition worth the timeline, said with the time it began."""
        now = self.console.clock()
        for name, since in list(self._departed.items()):
            current, recorded = self._current.get(name, ""), self._status.get(name, "")
            if current == recorded:
                del self._departed[name]  # it came back before settling: a flap, not a transition
            elif force or now - since >= STATUS_SETTLE:
                del self._departed[name]
                self._status[name] = current
                self.record_entry(session.STATUS, name, f"{recorded} → {current} (since {report.clock(since)} UTC)")

    def _ours(self, ref: Ref, now: float) -> bool:
        """A change this console is making, or just made (the watch may bring it after the outcome)."""
        for busy in self.console.ledger.in_flight():
            if busy.exclusive or busy.key == ref:
                return True
        return now < max(self._ours_until.get(ref.name, 0.0), self._ours_until.get("", 0.0))

    def incident_lines(self, lines: list[LogLine]) -> None:
        """A rolled-back component's rollout completed: the timeline says so (with its snapshot)."""
        for line in lines:
            name = str(line.component)
            if (name in self.console.ledger.rolled_back and name not in self._rollout_recorded
                    and line.text.endswith("successfully rolled out")):
                self._rollout_recorded.add(name)
                self.console.record(report.ROLLOUT_DONE, name, line.text, ok=True)

    # ---- i: start -------------------------------------------------------------------------------

    def action_incident(self) -> None:
        if self.incidents.open:
            incident = self.incidents.incident
            self.console.refuse(f"Incident {incident.name} is open (started {report.when(incident.started)} UTC); "
                         "press I to close it before starting another.")
            return
        directory = self.incidents.directory

        def valid(text: str) -> str | None:
            try:
                name = validate_name(text)
            except ConsoleError as err:
                return err.message
            if log_path(directory, name).exists():
                return f"An incident named {name} already exists in {directory}; choose another name."
            return None

        def answered(text: str | None) -> None:
            if text is not None:
                self.start_incident(text)

        self.console.ask(PromptScreen(
            "Start an incident", "Name the incident (e.g. INC-2041). From now on every action, outcome and "
            "checklist tick is written to its audit log.", "", "INC-2041", valid), answered)

    def start_incident(self, name: str) -> bool:
        try:
            incident = self.incidents.start(name)
        except ConsoleError as err:
            self.console.refuse(err.message)
            return False
        self._show_incident()
        self.console.say(f"Incident {incident.name} started; recording to {incident.path}.")
        return True

    # ---- I: close -------------------------------------------------------------------------------

    def action_close_incident(self) -> None:
        if not self.incidents.open:
            self.console.refuse("No incident is open; press i to start one.")
            return
        name = self.incidents.incident.name

        def valid(text: str) -> str | None:
            return None if text == name else f"Type {name} to close it, or press Escape."

        def answered(text: str | None) -> None:
            if text is not None:
                self.close_incident()

        self.console.ask(PromptScreen(f"Close incident {name}", f"Type {name} to close it: the console will "
                                      "no longer resume it; its log and report stay.", "", name, valid), answered)

    def close_incident(self) -> None:
        self.settle(force=True)
        try:
            incident = self.incidents.close_incident()
        except ConsoleError as err:
            self.console.refuse(err.message)
            return
        # The next incident starts from an empty checklist: nothing of this one is claimed for it.
        keeper = getattr(self.console, "evidence", None)
        if keeper is not None:
            keeper.reset()
        else:
            self.console.checklist.clear()
            self.console.widget(ChecklistSidebar).show_items()
        self.console.ledger.rolled_back.clear()
        self._rollout_recorded.clear()
        self.incidents.restored()  # the cleared checklist is the baseline, not changes to record
        self._show_incident()
        self.console.say(f"Incident {incident.name} closed; its log is {incident.path}.")

    # ---- e: report ------------------------------------------------------------------------------

    def action_export_report(self) -> None:
        if not self.incidents.open:
            self.console.refuse("No incident is open; press i to start one, then e exports its report.")
            return
        incident = self.incidents.incident
        path = self.incidents.report_path()
        text = report.render(incident, now=self.console.clock(), checklist=self.console.checklist, recent=PREVIEW_ROWS)

        def answered(write: bool | None) -> None:
            if write:
                self.export_report()

        from ..screens.report import ReportScreen  # rich.markdown: on first use, not at start

        self.console.ask(ReportScreen(incident.name, text, str(path)), answered)

    def export_report(self) -> Path | None:
        """Write the report, record the export, tick "Update incident report", write it again with that."""
        self.settle(force=True)
        incident = self.incidents.incident
        path = self.incidents.report_path()
        try:
            _write_private(path, report.render(incident, now=self.console.clock(), checklist=self.console.checklist))
        except OSError as exc:
            self.console.refuse(f"Could not write the report to {path}: {exc.strerror}; choose a writable --report-dir.")
            return None
        self.record_entry("export", "", f"report written to {path}", payload={
            "path": str(path), "snapshot": self.snapshot_components(None)})
        keeper = getattr(self.console, "evidence", None)  # the checklist controller: ticks, says it, records
        if keeper is not None:
            keeper.tick(runbook.REPORT, "", f"exported to {path}")
        elif self.console.checklist.tick(runbook.REPORT, f"exported to {path}", by=self.incidents.user, at=self.console.clock()):
            self.record_entry("tick", "", f"[x] {self.console.checklist.get(runbook.REPORT).text}: exported to {path}")
            self.console.widget(ChecklistSidebar).show_items()
        try:
            _write_private(path, report.render(incident, now=self.console.clock(), checklist=self.console.checklist))
        except OSError as exc:
            self.console.refuse(f"Could not rewrite the report at {path}: {exc.strerror}.")
            return None
        self.console.say(f"Report of {incident.name} written to {path}")
        return path

    # ---- resuming -------------------------------------------------------------------------------

    def resume_incident(self) -> None:
        """On start: pick up the open incident of this context and namespace, where it was."""
        if self.console.target.offline:
            return  # an offline view (snapshots, screenshots) never touches the user's incidents
        try:
            incident = self.incidents.resume()
        except ConsoleError as err:
            self.console.say(err.message, severity="error")
            return
        if incident is None:
            return
        incident.apply_to(self.console.checklist)
        self.incidents.restored()
        self.console.ledger.rolled_back |= incident.rolled_back()
        self.console.widget(ChecklistSidebar).show_items()
        for entry in incident.entries:
            if entry.get("kind") in REPLAYED:
                name = str(entry.get("component", ""))
                ref = self.console.state.ref_named(name) or Ref("", name)  # kind unknown yet: goes by name
                self.console.state.log.append(LogLine(entry_time(entry), ref, INFO,
                                                      f"(incident) {entry.get('kind')}: {one_line(entry.get('text', ''))}"))
        self.console.refresh_stream()
        self._show_incident()
        self.console.say(f"Resumed incident {incident.name} (started {report.when(incident.started)} UTC, "
                  f"{len(incident.entries)} entries).")
        for notice in incident.notices:
            self.console.say(notice, severity="warning")

    def _show_incident(self) -> None:
        incident = self.incidents.incident
        name = incident.name if self.incidents.open and incident else ""
        self.console.widget(ChecklistSidebar).border_title = f"Checklist · {name}" if name else "Checklist"

    def close_incident_log(self) -> None:
        """On exit: every accepted entry reaches the disk; the incident stays open to be resumed."""
        self.incidents.close()


def _write_private(path: Path, text: str) -> None:
    """Write the report 0600 via a temporary file and a rename, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        data, written = text.encode(), 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
