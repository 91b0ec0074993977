"""The incident report, in Markdown, written from the replayed audit log alone.

Sections: summary, components (at a glance, then each one's history: its
revision, images and status when the incident opened, just before and after
each action, outside changes, at the close), the timeline, the checklist with its evidence, every command executed with its
result, and what is still open. Times are UTC, as everywhere in the console.
The same text is shown in the report preview (`e`) and printed by
`rollback-console report INCIDENT`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..core import checklist as runbook
from ..core import metrics
from .session import CLOSED, ROLLOUT_DONE, STARTED, Incident, Moment, Snapshot, cancelled
from .session import entry_time as _at

__all__ = ["ROLLOUT_DONE", "render"]


def when(at: float) -> str:
    """2026-11-26 18:53:59"""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at)) if at else "-"


def clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(at)) if at else "-"


def duration(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def cell(text: object) -> str:
    """Safe inside a table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|") or " "


def code(text: str) -> str:
    if not text:
        return " "
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{cell(text)}{pad}{fence}"


def result(ok: bool | None) -> str:
    return {True: "ok", False: "FAILED", None: "-"}[ok]


def images(snap: Snapshot, short: bool = False) -> str:
    """A snapshot's images as code; `short` (the on-screen preview, whose tables are narrow) drops the
    registry and repository path, never the tag: `…/backend:v2.1.0-crashloop`."""
    def shown(image: str) -> str:
        return f"…/{image.rsplit('/', 1)[1]}" if short and "/" in image else image

    return ", ".join(code(shown(image)) for image in snap.images) or "no images"


def _state(snap: Snapshot | None, short: bool = False) -> str:
    """`5: image, image` (revision, then the images of its pod template)."""
    if snap is None:
        return "-"
    return f"{cell(snap.revision or '?')}: {images(snap, short)}"


def outcome(entry: dict) -> str:
    """An entry's result: ok, FAILED, cancelled (nothing was attempted) or -."""
    return "cancelled" if cancelled(entry) else result(entry.get("ok"))


# A component's history table: one row per Moment, one column per (header, value). Append a column here to
# report another fact per moment (what a Snapshot's `extra` holds: error ratio, p95, restarts, alerts).
COLUMNS: list[tuple[str, Callable[[Moment], str]]] = [
    ("Time (UTC)", lambda m: clock(m.at)),
    ("Moment", lambda m: cell(m.label)),
    ("Revision", lambda m: cell(m.snapshot.revision or "?")),
    ("Images", lambda m: images(m.snapshot)),
    ("Status", lambda m: cell(m.snapshot.status or "-")),
]


def figure(name: str, unit: str) -> Callable[[Moment], str]:
    """A Prometheus figure recorded with the moment (error ratio, p95, restarts), or - when none was."""
    def value(moment: Moment) -> str:
        got = moment.snapshot.fact(name)
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return "-"
        return metrics.figure(got, unit)

    return value


# Shown only when some moment of the component recorded them (a console with a Prometheus).
FIGURE_COLUMNS: list[tuple[str, str, Callable[[Moment], str]]] = [
    ("error_ratio", "Error ratio", figure("error_ratio", "ratio")),
    ("p95", "p95", figure("p95", "s")),
    ("restarts", "Restarts", figure("restarts", "")),
]

# Facts about a component as a whole, said above its table: (label, value or "" to leave it out).
FACTS: list[tuple[str, Callable[[Incident, str], str]]] = [
    ("Target revision", lambda incident, name: incident.targets.get(name, "")),
    ("Rolled back", lambda incident, name: "yes" if name in incident.rolled_back() else "no"),
]


def history(incident: Incident, name: str) -> list[Moment]:
    """The component's rows: opened, just before and after each action, outside changes, closed; and the
    last state seen when that is newer than every row."""
    moments = sorted(incident.moments.get(name, []), key=lambda m: (m.at, m.seq))
    last = incident.after.get(name)
    if last is not None and (not moments or (incident.after_at.get(name, 0.0) > moments[-1].at
                             and last != moments[-1].snapshot)):
        moments.append(Moment(incident.after_at.get(name, 0.0), "last seen", last))
    return moments


def component_section(incident: Incident, name: str, label: str, recent: int = 0) -> list[str]:
    lines = [f"### {label}", ""]
    facts = [(what, value(incident, name)) for what, value in FACTS]
    lines += [f"- {what}: {cell(said)}" for what, said in facts if said]
    moments = history(incident, name)
    if recent and len(moments) > recent + 1:  # the preview: the first row (the start) and the newest
        lines.append(f"- The first and the newest {recent} of {len(moments)} rows; the written report has them "
                     "all.")
        moments = moments[:1] + moments[-recent:]
    if recent:  # the preview: images without their registry, so the narrow table never cuts a tag
        columns = [(h, (lambda m: images(m.snapshot, short=True)) if h == "Images" else v) for h, v in COLUMNS]
    else:
        columns = list(COLUMNS)
    columns += [(header, value) for name, header, value in FIGURE_COLUMNS
                         if any(m.snapshot.fact(name) is not None for m in moments)]
    lines += ["", "| " + " | ".join(header for header, _ in columns) + " |",
              "|" + "---|" * len(columns)]
    for moment in moments:
        lines.append("| " + " | ".join(value(moment) for _, value in columns) + " |")
    lines.append("")
    return lines


def render(incident: Incident, now: float | None = None, checklist: runbook.Checklist | None = None,
           recent: int = 0) -> str:
    """The report. `now` ends the duration of an open incident (default: its last entry).

    `recent` > 0 keeps only that many of the newest timeline rows and commands (the on-screen preview
    of a long incident stays quick); the written report always has them all."""
    checklist = checklist if checklist is not None else runbook.Checklist.runbook()
    end = incident.closed_at if incident.closed else max(now or 0.0, incident.ended)
    lines: list[str] = [f"# Incident report: {incident.name}", ""]

    # ---- summary
    state = f"closed at {when(incident.closed_at)} UTC" if incident.closed else "open"
    lines += [
        f"- Context / namespace: {incident.context} / {incident.namespace}",
        f"- Started: {when(incident.started)} UTC by {incident.who}",
        f"- Duration: {duration(end - incident.started)} ({state})",
        f"- People: {', '.join(incident.users())}",
        f"- Log: {len(incident.entries)} entries in {incident.path.name if incident.path else '-'}",
        "",
    ]

    # ---- components
    names = sorted(set(incident.before) | set(incident.after) | set(incident.targets))
    rolled_back = incident.rolled_back()
    releases = incident.releases()
    lines += ["## Components", ""]
    if names and recent:
        lines += ["Images are shown without their registry here; the written report has them whole.", ""]
    if names:
        # At a glance first; then each component's history (its state just before each action included).
        lines += ["| Component | First seen: revision, images | Target | Last seen: revision, images | "
                  "Rolled back |", "|---|---|---|---|---|"]
        for name in names:
            label = f"{name} (Helm release)" if name in releases else name
            lines.append(f"| {cell(label)} | {_state(incident.before.get(name), bool(recent))} | "
                         f"{cell(incident.targets.get(name, '-'))} | {_state(incident.after.get(name), bool(recent))} | "
                         f"{'yes' if name in rolled_back else 'no'} |")
        lines.append("")
        for name in names:
            if name in incident.moments or name in incident.after:
                lines += component_section(incident, name, name, recent)
    else:
        lines += ["No component was seen.", ""]

    # ---- alerts: each one's pending, firing and resolved, with times (as the console saw them)
    alerts = [e for e in incident.entries if e.get("kind") == "alert"]
    if alerts:
        lines += ["## Alerts (Prometheus)", "", "| Time (UTC) | Alert | Component | Became |", "|---|---|---|---|"]
        for entry in alerts:
            payload = entry.get("payload") or {}
            lines.append(f"| {clock(_at(entry))} | {cell(payload.get('alert', '?'))} | "
                         f"{cell(entry.get('component', '') or '-')} | {cell(payload.get('state', '?'))} |")
        lines.append("")

    # ---- timeline
    lines += ["## Timeline", "", "| # | Time (UTC) | Who | What | Component | Detail | Result |",
              "|---|---|---|---|---|---|---|"]
    shown = incident.entries[-recent:] if recent else incident.entries
    if len(shown) < len(incident.entries):
        lines[-2:-2] = [(f"The newest {len(shown)} of {len(incident.entries)} entries; the written report has "
                         "them all."), ""]
    for entry in shown:
        lines.append(f"| {entry.get('seq', '')} | {clock(_at(entry))} | {cell(entry.get('user', ''))} | "
                     f"{cell(entry.get('kind', ''))} | {cell(entry.get('component', '') or '-')} | "
                     f"{cell(entry.get('text', ''))} | {outcome(entry)} |")
    lines.append("")

    # ---- checklist
    lines += ["## Checklist", ""]
    for section in checklist.sections:
        lines += [f"### {section.title}", ""]
        for item in section.items:
            tick = incident.ticks.get(item.key)
            done = tick.done if tick else False
            how = ""
            if tick and done:
                said = tick.evidence or (f"note: {tick.note}" if tick.note else "by hand")
                how = f": {cell(said)} ({cell(tick.by)}, {clock(tick.at)} UTC)"
            elif tick and tick.reopened:
                how = f": re-opened: {cell(tick.reopened)}"
            elif tick and tick.note:
                how = f": note: {cell(tick.note)}"
            lines.append(f"- [{'x' if done else ' '}] {item.text}{how}")
        lines.append("")

    # ---- commands
    lines += ["## Commands executed", ""]
    if incident.commands:
        lines += ["| Time (UTC) | Who | Component | Command | Result |", "|---|---|---|---|---|"]
        commands = incident.commands[-recent:] if recent else incident.commands
        if len(commands) < len(incident.commands):
            lines[-2:-2] = [(f"The newest {len(commands)} of {len(incident.commands)} commands; the written "
                             "report has them all."), ""]
        for command in commands:
            entry, came = command.entry, command.outcome
            said = came.get("text", "") if came else entry.get("text", "")
            verdict = result(command.ok) if command.ok is not None else "no result recorded"
            lines.append(f"| {clock(_at(entry))} | {cell(entry.get('user', ''))} | "
                         f"{cell(entry.get('component', '') or '-')} | {code(entry.get('command', ''))} | "
                         f"{verdict}: {cell(said)} |")
    else:
        lines.append("No command was executed.")
    lines.append("")

    # ---- still open
    lines += ["## Still open", ""]
    open_items = [item for item in checklist if not (incident.ticks.get(item.key) and
                                                     incident.ticks[item.key].done)]
    failed = [e for e in incident.entries if e.get("kind") not in (STARTED, CLOSED, "tick", "untick")
              and e.get("ok") is False and not cancelled(e)]
    rolled_out = {e.get("component") for e in incident.entries if e.get("kind") == ROLLOUT_DONE}
    not_out = sorted(rolled_back - rolled_out - releases)
    not_rolled = sorted(set(incident.targets) - rolled_back)
    last_alert: dict[tuple[str, str], dict] = {}
    for entry in alerts:
        last_alert[((entry.get("payload") or {}).get("alert", "?"), entry.get("component", ""))] = entry
    still_alerting = [e for e in last_alert.values() if (e.get("payload") or {}).get("state") != "resolved"]
    if open_items:
        lines.append(f"- Checklist items not ticked ({len(open_items)}): "
                     + "; ".join(f"{item.text} ({item.section})" for item in open_items) + ".")
    for entry in failed:
        lines.append(f"- Failed at {clock(_at(entry))} UTC ({cell(entry.get('component', '') or '-')}):"
                     f" {cell(entry.get('text', ''))}")
    for entry in still_alerting:
        payload = entry.get("payload") or {}
        lines.append(f"- Alert {cell(payload.get('alert', '?'))} on {cell(entry.get('component', '') or '-')} "
                     f"was last seen {cell(payload.get('state', '?'))} at {clock(_at(entry))} UTC.")
    for name in not_out:
        lines.append(f"- {name} was rolled back but its rollout was not seen to complete.")
    for name in not_rolled:
        lines.append(f"- {name} has target revision {cell(incident.targets[name])} but was not rolled back.")
    if not (open_items or failed or not_out or not_rolled or still_alerting):
        lines.append("Nothing: every checklist item is ticked and every action succeeded.")
    lines.append("")
    if incident.notices:
        lines += ["## Notes on the log", ""] + [f"- {cell(n)}" for n in incident.notices] + [""]
    return "\n".join(lines)
