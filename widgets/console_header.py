"""The header line: where the console points, and whether each watch is live."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from tui.core.times import human_age

from .style import clock_time, style

SHORT = {"Deployment": "deploy", "Rollout": "ro", "ReplicaSet": "rs", "Pod": "pods", "Event": "events"}


@dataclass(frozen=True)
class TargetInfo:
    context: str
    namespace: str
    server: str
    production: bool
    read_only: bool


class ConsoleHeader(Horizontal):
    """PROD / READ-ONLY badges, context, namespace, API server; live/stale per watch."""

    DEFAULT_CSS = """
    ConsoleHeader {
        height: 1;
        dock: top;
        background: $panel;
        & > Label { height: 1; }
        & > #badges { width: auto; }
        & > #target { width: 1fr; text-overflow: ellipsis; text-wrap: nowrap; padding: 0 1; }
        & > #watches { width: auto; padding-right: 1; }
        & > #alerts { width: auto; padding-right: 1; }
        & > .badge { padding: 0 1; text-style: bold; }
    }
    """

    def __init__(self, info: TargetInfo, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.info = info
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield Label(id="badges")
        yield Label(id="target")
        yield Label(id="alerts")
        yield Label(id="watches")

    def on_mount(self) -> None:
        self._show_target()
        self.show_watches({})

    def _show_target(self) -> None:
        badges = Text()
        if self.info.production:
            badges.append(" PROD ", style=style(self.app, "error", bold=True) + Style(reverse=True))
        if self.info.read_only:
            if badges:
                badges.append(" ")
            badges.append(" READ-ONLY ", style=style(self.app, "warning", bold=True) + Style(reverse=True))
        badges_label = self.query_one("#badges", Label)
        badges_label.update(badges)
        badges_label.display = bool(badges)
        target = Text()
        target.append(self.info.context, style="bold")
        target.append(" · ns ")
        target.append(self.info.namespace, style="bold")
        target.append(" · ")
        target.append(self.info.server, style="dim")
        self.query_one("#target", Label).update(target)

    def show_alerts(self, alerts, shown) -> None:
        """`alerts`: the metrics controller's AlertsState; `shown`: its alerts about the watched components,
        firing and pending. Stale when Prometheus stopped answering (the last answer's count, said as such);
        nothing when no Prometheus is configured."""
        label = self.query_one("#alerts", Label)
        label.display = alerts.configured
        if not alerts.configured:
            return
        firing = [a for a in shown if a.state == "firing"]
        pending = [a for a in shown if a.state == "pending"]
        text = Text()
        if alerts.polled_at is None and not alerts.error:
            text.append("alerts …", style="dim")
        elif firing or pending:
            if firing:
                names = ", ".join(sorted({a.name for a in firing}))
                text.append(f"▲ {len(firing)} firing ({names})", style=style(self.app, "error", bold=True))
            if pending:
                text.append(" " if firing else "")
                text.append(f"△ {len(pending)} pending", style=style(self.app, "warning", bold=True))
        else:
            text.append("no alerts", style="dim")
        if alerts.error:
            since = alerts.failing_since or self.clock()
            text.append(f" prom○ since {clock_time(since)}Z", style=style(self.app, "error", bold=True))
        label.update(text)
        label.tooltip = alerts.error or None

    def show_watches(self, watches: Mapping) -> None:
        """`watches`: kind -> WatchState (live, since, error). Stale ones say since when."""
        text = Text()
        if not watches:
            text.append("○ connecting", style=style(self.app, "warning"))
        now = self.clock()
        for n, (kind, state) in enumerate(watches.items()):
            if n:
                text.append(" ")
            name = SHORT.get(kind, kind.lower())
            if state.live:
                text.append(f"{name}", style="dim")
                text.append("●", style=style(self.app, "success"))
            else:
                text.append(f"{name}○", style=style(self.app, "error", bold=True))
        stale = {k: s for k, s in watches.items() if not s.live}
        if stale:
            since = min(s.since for s in stale.values())
            text.append(f" stale since {clock_time(since)}Z ({human_age(now - since)})",
                        style=style(self.app, "error", bold=True))
        elif watches:
            text.append(" live", style=style(self.app, "success"))
        self.query_one("#watches", Label).update(text)
        errors = sorted({s.error for s in stale.values() if s.error})
        self.tooltip = "\n".join(errors) or None
