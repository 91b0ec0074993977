"""The console's main screen: header, Components, Revisions, Rollout, Checklist.

It only composes and binds keys; every action it binds is the app's
(`app.<action>`), so modal screens on top of it never inherit these keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input

from widgets.checklist_sidebar import ChecklistSidebar
from widgets.component_table import ComponentTable
from widgets.console_header import ConsoleHeader, TargetInfo
from widgets.flash_line import FlashLine
from widgets.helm_pane import HelmPane
from widgets.key_footer import KeyFooter
from widgets.revision_table import RevisionTable
from widgets.rollout_stream import RolloutStream

from ..workloads.registry import ADAPTERS


@dataclass(frozen=True)
class Key:
    """One key of the console: its binding, its footer label, its line in help and its palette command."""

    key: str
    action: str  # the app's action ("" for keys Textual handles itself)
    footer: str
    show: bool  # in the footer
    group: str
    help: str
    command: str = ""  # name in the command palette ("" = not a command)
    panes: tuple[str, ...] = ()  # the panes (widget ids) whose footer shows it while focused; `show`: always


ACT, MOVE, SHOW = "Act on the selected component", "Move", "Show"
INCIDENT = "Incident"

KEYS: list[Key] = [
    Key("u", "rollback_previous", "Undo", True, ACT, "roll back to the previous revision (kubectl rollout undo)",
        "Roll back to the previous revision"),
    Key("r", "rollback_revision", "Rollback", True, ACT,
        "on a revision row: roll back to that revision (--to-revision)", "Roll back to the selected revision"),
    Key("d", "diff", "Diff", True, ACT,
        "on a revision row: its pod template against the current one (also enter)",
        "Diff the selected revision against the current one"),
    Key("p", "pause_resume", "Pause", True, ACT, "pause or resume the rollout", "Pause or resume the rollout"),
    Key("x", "restart", "Restart", False, ACT, "restart: every pod is replaced", "Restart the component"),
    Key("s", "scale", "Scale", True, ACT, "scale; 0 is the emergency scale-down (asks twice, remembers the count)",
        "Scale the component"),
    Key("t", "traffic", "Traffic", True, ACT, "divert traffic away (serving=false) or back (serving=true)",
        "Divert traffic away from or back to the component"),
    Key("a", "annotate", "Cause", False, ACT, "record a change-cause annotation", "Record a change-cause"),
    Key("S", "smoke_test", "Smoke", False, ACT, "run the component's smoke test (smoke_test in the config file); "
        "output to the Rollout stream, exit 0 ticks \"Run smoke tests\"", "Run the smoke test"),
    Key("A", "rollback_plan", "All", False, ACT, "roll back every component, one at a time in the runbook's "
        "order (a Helm release is one step); t sets a step's target, x executes, c cancels after the running step",
        "Roll back every component"),
    Key("w", "readiness", "Readiness", False, SHOW, "rollback readiness: each component against the runbook's "
        "tables (⚠ in Components)", "Show rollback readiness warnings"),
    Key("tab", "", "", False, MOVE, "next pane (shift+tab: previous)"),
    Key("j/k ↑/↓", "", "", False, MOVE, "move in the list"),
    Key("/", "filter", "Filter", False, MOVE,
        "filter components by name as you type; enter returns to the list, escape clears",
        "Filter components by name"),
    Key("m", "metrics", "Metrics", False, SHOW, "metrics from Prometheus for the selected component: the "
        "runbook's metrics over a window, the rollback marked", "Show the component's metrics"),
    Key("L", "logs", "Logs", False, SHOW, "logs of the component's pods: follow (s), previous run (p), pod ([ ]), "
        "container (c); error lines marked (k9s: l)", "Show the component's pod logs"),
    Key("y", "describe", "YAML", False, SHOW, "the component's live YAML; d inside it: describe (k9s: y, d)",
        "Show the component's YAML and describe"),
    Key("o", "rollout_view", "Rollout", False, SHOW, "on an Argo Rollout: its view, live (steps, ReplicaSets and "
        "pods per revision, each analysis measurement and why it failed; a jumps to the analysis)",
        "Show the Argo Rollout view"),
    Key("l", "toggle_scope", "Stream", False, SHOW, "Rollout stream: the selected component or all of them",
        "Rollout stream: selected component or all"),
    Key("c", "toggle_checklist", "Checklist", True, SHOW, "open or collapse the Checklist; on an item space runs "
        "its check (or ticks it), m ticks or unticks it by hand", "Open or collapse the checklist"),
    Key("H", "toggle_helm", "Helm", False, SHOW, "show or hide the Helm pane (the release's revisions); on a "
        "Helm revision: enter/d diff against the deployed one (m reveals secrets), r roll back with helm",
        "Show or hide the Helm release pane"),
    Key("D", "database", "Database", False, SHOW, "the Database view (Alembic): the database's revision, its "
        "history, which revision expects which migration, the verdict for the rollback target; d/-/v/B "
        "downgrade (SQL shown first, a backup taken)", "Show the database's migrations and compatibility"),
    Key("?", "help", "Help", True, SHOW, "this help", "Help: every key"),
    Key("ctrl+p", "", "", False, SHOW, "command palette: every action by name"),
    Key("q", "quit", "Quit", True, SHOW, "quit (asks first while an operation is in flight)", "Quit"),
    Key("i", "incident", "Incident", False, INCIDENT, "start an incident: asks its name; every action and tick "
        "then goes to its audit log (reopening the console resumes it)", "Start an incident"),
    Key("e", "export_report", "Report", False, INCIDENT, "preview the incident report; w writes it (Markdown)",
        "Export the incident report"),
    Key("I", "close_incident", "Close incident", False, INCIDENT, "close the incident (type its name)",
        "Close the incident"),
]



def kind_keys() -> list[Key]:
    """The kind-specific actions the workload adapters declare (an Argo Rollout's promote, abort, retry)."""
    return [Key(a.key, f"kind_action({a.action!r})", a.verb.capitalize(), False, ACT,
                f"{a.description} ({kind}s only)", a.description)
            for kind, adapter in ADAPTERS.items() for a in adapter.kind_actions]


KEYS += kind_keys()

# The footer says what matters where the focus is (tab moves it): the actions on a component under
# Components, the revision actions under Revisions, the Helm and checklist keys there; c, H, ? and q always.
COMPONENTS, REVISIONS, HELM, CHECKLIST, STREAM = "components", "revisions", "helm-table", "checklist", "stream"
FOOTER = {
    "u": (COMPONENTS, REVISIONS), "p": (COMPONENTS,), "s": (COMPONENTS,), "t": (COMPONENTS,),
    "A": (COMPONENTS,), "/": (COMPONENTS,), "r": (REVISIONS,), "d": (REVISIONS,), "w": (REVISIONS,),
    "L": (STREAM,), "y": (STREAM,),  # Components' footer is full at 80 columns: logs and YAML go with the stream
    "S": (CHECKLIST,), "i": (CHECKLIST, STREAM), "e": (CHECKLIST, STREAM), "l": (STREAM,),
    "m": (REVISIONS,),  # metrics: did the rollback work (the stream's footer is full at 80 columns)
}
ALWAYS = {"c", "H", "?", "q"}
KEYS = [Key(k.key, k.action, k.footer, k.key in ALWAYS, k.group, k.help, k.command, FOOTER.get(k.key, ()))
        for k in KEYS]

BINDING_KEYS = {"?": "question_mark", "/": "slash"}


def help_rows() -> list[tuple[str, str, str]]:
    return [(k.group, k.key, k.help) for k in KEYS]


class ConsoleScreen(Screen):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    BINDINGS = [
        Binding(BINDING_KEYS.get(k.key, k.key), f"app.{k.action}", k.footer, show=k.show) for k in KEYS if k.action
    ] + [
        Binding("escape", "app.escape", "", show=False),
    ]

    def __init__(self, info: TargetInfo, clock: Callable[[], float], checklist) -> None:
        super().__init__(id="console")
        self.info = info
        self.clock = clock
        self.checklist = checklist

    def on_mount(self) -> None:
        """Footer entries per pane: the same actions as the screen's keys, shown while that pane has focus."""
        for key in KEYS:
            for pane in key.panes:
                for widget in self.query(f"#{pane}"):
                    widget._bindings.bind(BINDING_KEYS.get(key.key, key.key), f"app.{key.action}", key.footer)
        self.refresh_bindings()

    def on_key(self, event: events.Key) -> None:
        """Keys are typed on the console: the app routes those that arrive after a dialog opened to it."""
        event.typed_on_console = True  # read by RollbackConsole._on_key

    def compose(self) -> ComposeResult:
        yield ConsoleHeader(self.info, self.clock, id="header")
        with Horizontal(id="body"):
            with Vertical(id="panes"):
                with Vertical(id="components-pane", classes="pane") as pane:
                    pane.border_title = "Components"
                    yield Input(placeholder="filter components by name", id="filter")
                    yield ComponentTable(id="components")
                with Vertical(id="revisions-pane", classes="pane") as pane:
                    pane.border_title = "Revisions"
                    yield RevisionTable(self.clock, id="revisions")
                # Hidden until the app has a Helm release (tui/helm/controller.py shows it).
                yield HelmPane(self.clock, id="helm-pane", classes="pane")
                with Vertical(id="rollout-pane", classes="pane") as pane:
                    pane.border_title = "Rollout"
                    yield RolloutStream(id="rollout")
            sidebar = ChecklistSidebar(self.checklist, id="checklist", classes="pane")
            sidebar.border_title = "Checklist"
            yield sidebar
        yield FlashLine(id="flash")  # under the panes, over the footer: a failure until it is resolved
        yield KeyFooter()
