"""The console: wiring of watchers, state, panes, screens and workers.

Data flows one way: watcher threads -> WatchHub -> a `WatchBatch` message ->
`ClusterState.apply` on the UI loop -> only the panes of the components that
changed are repainted. Actions flow the other way: a key -> a `Request` ->
a planning worker (thread) -> `OperationPlanned` -> the confirmation screen
-> an executing worker (thread) -> `OperationFinished` -> the Rollout stream.
No network call ever runs on the UI loop, and no traceback reaches the screen.
"""

from __future__ import annotations

import gc
import logging
import threading
import sys
import time
import traceback
from collections import deque
from concurrent.futures import Future
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from kubernetes import client
from kubernetes.client.rest import ApiException
from textual import on
from textual.app import App
from textual.css.query import NoMatches
from textual.widgets import DataTable, Input

from widgets.checklist_sidebar import ChecklistSidebar
from widgets.component_table import ComponentTable
from widgets.console_header import ConsoleHeader, TargetInfo
from widgets.messages import (
    ChecklistToggled,
    ComponentHighlighted,
    OperationFinished,
    OperationPlanned,
    WatchBatch,
)
from widgets.messages import HelmDiffRequested, HelmRollbackRequested
from widgets.revision_table import RevisionTable
from widgets.rollout_stream import Progress, RolloutStream

from . import checklist as runbook
from .errors import ConsoleError, one_line
from .appconfig import AppConfig
from .incident.console import IncidentActions
from .incident.keeper import ChecklistKeeper
from .incident.plan_console import PlanController
from .incident.recorder import IncidentSettings
from .helm.controller import HelmController, helm_source
from .kube import deployments
from .kube.config import DEFAULT_PROD_PATTERN, Target
from .kube.watch import Relisted, WatchHub, namespaced_sources
from .screens.confirm import Confirmation, ConfirmScreen
from .screens.console import ConsoleScreen, help_rows
from .screens.diff import DiffScreen
from .screens.help import HelpScreen
from .screens.palette import ActionsProvider
from .screens.prompt import PromptScreen
from .screens.quit import QuitScreen
from .state import ERROR, INFO, SUCCESS, WARNING, ClusterState, LogLine

NARROW = 120  # below this many columns the Checklist starts collapsed
SERVING_LABEL = deployments.SERVING_LABEL

# What each action is called in sentences ("rolling back eli-maor-backend").
DOING = {
    "rollback": "rolling back", "pause": "pausing", "resume": "resuming", "restart": "restarting",
    "scale": "scaling", "divert_traffic": "diverting traffic of", "annotate": "annotating",
}
# What each key is called when read-only mode refuses it.
REFUSED = {
    "rollback_previous": "rolling back", "rollback_revision": "rolling back", "pause_resume": "pausing and resuming",
    "restart": "restarting", "scale": "scaling", "traffic": "diverting traffic", "annotate": "annotating",
}


@dataclass(frozen=True)
class Request:
    """What the user asked for, before it is planned."""

    action: str  # an Operation kind
    component: str
    revision: int = 0  # rollback: 0 = the previous revision
    replicas: int | None = None  # scale
    serving: bool | None = None  # divert_traffic
    change_cause: str = ""  # annotate

    @property
    def doing(self) -> str:
        return f"{DOING[self.action]} {self.component}"


class RollbackConsole(IncidentActions, App):
    """The rollback console for one Target (context + namespace).

    `target.api` None means offline: a pre-filled `state` is shown and nothing
    can change (snapshots, screenshots). `watch=False` starts no watchers.
    """

    CSS_PATH = "app.tcss"
    TITLE = "rollback-console"
    COMMANDS = App.COMMANDS | {ActionsProvider}
    NOTIFICATION_TIMEOUT = 6

    def __init__(
        self,
        target: Target,
        *,
        read_only: bool = False,
        prod_pattern: str = DEFAULT_PROD_PATTERN,
        selector: str = "",
        order: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
        state: ClusterState | None = None,
        watch: bool = True,
        checklist: runbook.Checklist | None = None,
        settle_timeout: float = 10.0,
        incident: IncidentSettings | None = None,
        release: str = "",
        helm: str = "helm",
        helm_history=None,
        helm_binary=None,
        config: AppConfig | None = None,
    ) -> None:
        """`release`: the application's Helm release (shows the Helm pane); `helm`: the binary to run;
        `helm_history`/`helm_binary`: pre-filled, for offline snapshots."""
        super().__init__()
        self.target = target
        self.read_only = read_only
        self.prod_pattern = prod_pattern
        self.production = target.is_production(prod_pattern)
        self.selector = selector
        self._helm_release = release  # read by the thread building the watch sources, started just below
        self.clock = clock
        self.state = state if state is not None else ClusterState(target.namespace, clock=clock, order=order)
        self.watch_enabled = watch and target.api is not None
        self._sources: Future[list] = Future()
        if self.watch_enabled:
            # The client's API classes take hundreds of ms to build: start now, overlapping
            # Textual's own start-up, and never on the UI loop.
            threading.Thread(target=self._build_sources, name="build-sources", daemon=True).start()
        self.checklist = checklist if checklist is not None else runbook.Checklist.runbook()
        self.settle_timeout = settle_timeout
        self._apps: client.AppsV1Api | None = None  # built on first use, in a worker thread
        self.hub: WatchHub | None = None
        self.info = TargetInfo(target.context, target.namespace, target.server, self.production, read_only)
        self.scope_all = False  # Rollout stream: False = the selected component, True = all
        self.busy: dict[str, Request] = {}  # component -> the operation being planned, confirmed or run
        self.in_flight: set[str] = set()  # components whose operation is executing now
        self.remembered_replicas: dict[str, int] = {}  # component -> replicas before an emergency scale-down
        self.rolled_back: set[str] = set()  # components rolled back in this session (checklist evidence)
        self._last_line: LogLine | None = None
        self._shown: set[str] = set()  # components in the table
        self._rollouts: dict[str, Progress] = {}
        self._selected: str | None = None
        self._listed_once = False  # the first Deployment list has arrived
        self._listed_kinds: set[str] = set()
        self._frozen = False
        self.notices: deque[str] = deque(maxlen=200)
        self.timeline_entries: list[tuple] = []  # replaced by the incident's audit-logged timeline
        self._muted: list[tuple[logging.Handler, int]] = []
        self._incident_init(incident)  # the audit log `record` writes to (tui/incident/console.py)
        # The Helm pane's behaviour lives in tui/helm/controller.py; None without a release.
        self.helm = HelmController(self, release, helm, helm_history, helm_binary) if release else None
        # The checklist's evidence (pod health, endpoints, logs, smoke tests): tui/incident/keeper.py.
        self.config = config or AppConfig()
        self.evidence = ChecklistKeeper(self, self.config)
        # "Roll back every component" (A) and rollback readiness (w): tui/incident/plan_console.py.
        self.plans = PlanController(self)

    # ---- composition -------------------------------------------------------------------------

    def get_default_screen(self) -> ConsoleScreen:
        return ConsoleScreen(self.info, self.clock, self.checklist)

    @property
    def console_screen(self) -> ConsoleScreen:
        return self.screen_stack[0]  # type: ignore[return-value]

    @property
    def components_table(self) -> ComponentTable:
        return self.console_screen.query_one(ComponentTable)

    @property
    def revisions_table(self) -> RevisionTable:
        return self.console_screen.query_one(RevisionTable)

    @property
    def stream(self) -> RolloutStream:
        return self.console_screen.query_one(RolloutStream)

    @property
    def sidebar(self) -> ChecklistSidebar:
        return self.console_screen.query_one(ChecklistSidebar)

    @property
    def header(self) -> ConsoleHeader:
        return self.console_screen.query_one(ConsoleHeader)

    @property
    def selected(self) -> str | None:
        return self._selected

    def on_ready(self) -> None:
        """The console screen is composed: first paint from the state, then start the watchers."""
        if self.size.width < NARROW:
            self.sidebar.add_class("-collapsed")
        self._refresh_scope_title()
        self.components_table.focus()
        self._repaint_all()
        self.resume_incident()
        self.plans.start()
        if self.helm is not None:
            self.helm.start()
        if self.watch_enabled:
            self._mute_terminal_logging()
            self.hub = WatchHub(self.target.server, notify=self._watch_notify, clock=self.clock)
            self.run_worker(self._start_watching, thread=True, exit_on_error=False, group="startup")
            self.set_interval(1.0, self._tick)
            self.run_worker(self._check_namespace, thread=True, exit_on_error=False, group="startup")

    def on_unmount(self) -> None:
        self.close_incident_log()
        if self.hub is not None:
            self.hub.stop()
        if self._frozen:
            gc.unfreeze()  # hand the listed objects back to the collector
        for handler, level in self._muted:
            handler.setLevel(level)
        self._muted = []

    def _mute_terminal_logging(self) -> None:
        """Log handlers writing to the terminal would scribble over the screen (urllib3's retry
        warnings while a watch reconnects, say): silence them while the console runs. The header's
        live/stale indicator is where a lost connection shows."""
        for handler in logging.getLogger().handlers:
            stream = getattr(handler, "stream", None)
            if isinstance(handler, logging.StreamHandler) and stream in (sys.__stderr__, sys.__stdout__):
                self._muted.append((handler, handler.level))
                handler.setLevel(logging.CRITICAL + 1)

    def _watch_notify(self) -> None:
        """Called from a watcher thread: post (thread-safe, never blocks the watcher)."""
        self.post_message(WatchBatch())

    def _tick(self) -> None:
        """Once a second: ages of stale watches; revision ages once a minute."""
        if self.state.stale():
            self.header.show_watches(self.state.watches)
        if int(self.clock()) % 60 == 0 and self._selected:
            self.revisions_table.show(self._selected, self.state.revisions(self._selected))
        self.evidence.poll()

    # ---- live data ---------------------------------------------------------------------------

    @property
    def apps(self) -> client.AppsV1Api:
        # The client builds its models lazily and slowly (hundreds of ms): first use is in a worker.
        if self._apps is None:
            self._apps = client.AppsV1Api(self.target.api)
        return self._apps

    def _build_sources(self) -> None:
        try:
            sources = namespaced_sources(self.target.api, self.target.namespace, self.selector)
            if self._helm_release:
                sources.append(helm_source(self.target.api, self.target.namespace, self._helm_release))
            self._sources.set_result(sources)
        except Exception as exc:  # noqa: BLE001 - surfaces in _start_watching
            self._sources.set_exception(exc)

    def _start_watching(self) -> None:
        """In a worker: waits for the API classes built off the UI loop, then starts the watchers."""
        assert self.hub is not None
        self.hub.start(self._sources.result())

    def _check_namespace(self) -> None:
        """In a worker: a namespace that does not exist lists as empty, so say it plainly."""
        ns, context = self.target.namespace, self.target.context
        try:
            client.CoreV1Api(self.target.api).read_namespace(ns, _request_timeout=10)
        except ApiException as exc:
            if exc.status == 404:
                self.call_from_thread(self._say, f"Namespace {ns} does not exist on context {context}; "
                                      "restart with -n and an existing namespace.", "error")
            # 403 (not allowed to read namespaces) is common and harmless; the watches report the rest.
        except Exception:  # noqa: BLE001 - unreachable servers are reported by the watchers' stale state
            pass

    def on_watch_batch(self, message: WatchBatch) -> None:
        if self.hub is None:
            return
        items = self.hub.drain()
        if self.helm is not None and items and self._console_alive():
            helm_items = [i for i in items if self.helm.is_helm(i)]
            if helm_items:
                items = [i for i in items if not self.helm.is_helm(i)]
                self.helm.apply(helm_items)
        if items and self._console_alive():
            self.apply(items)
            self._say_if_nothing_matches(items)
            self._freeze_after_first_lists(items)

    def _freeze_after_first_lists(self, items: list) -> None:
        """Once every watch has listed, move what exists to the GC's permanent generation:
        full collections then scan only what changes, not thousands of listed objects."""
        self._listed_kinds |= {i.kind for i in items if isinstance(i, Relisted)}
        if not self._frozen and self._listed_kinds >= {"Deployment", "ReplicaSet", "Pod", "Event"}:
            self._frozen = True
            gc.collect()
            gc.freeze()

    def _say_if_nothing_matches(self, items: list) -> None:
        if self._listed_once or not any(isinstance(i, Relisted) and i.kind == "Deployment" for i in items):
            return
        self._listed_once = True
        if not self.state.objects["Deployment"]:
            chosen = f"matching {self.selector} " if self.selector else ""
            self._say(f"No Deployments {chosen}in namespace {self.target.namespace}; check -n and -l "
                      "(or the config file).", "warning")

    def _console_alive(self) -> bool:
        """False while the console is shutting down (its panes are gone; late messages are dropped)."""
        try:
            _ = self.components_table
        except (NoMatches, IndexError):  # IndexError: the screen stack is already gone
            return False
        return True

    def apply(self, items: Iterable) -> set[str]:
        """Apply watch items to the state and repaint what they touched (also used by tests and fixtures)."""
        dirty = self.state.apply(items)
        self._repaint(dirty)
        return dirty

    def _repaint_all(self) -> None:
        self._repaint({"*health", *self.state.objects["Deployment"]})

    def _repaint(self, dirty: set[str]) -> None:
        if "*health" in dirty:
            self.header.show_watches(self.state.watches)
        names = {n for n in dirty if not n.startswith("*")}
        table = self.components_table
        present = set(self.state.objects["Deployment"])
        views = {n: self.state.component(n) for n in names}  # each derived once per repaint
        if present != self._shown:
            self._shown = present
            table.set_components(self.state.components())
            for gone in [n for n in self._rollouts if n not in present]:
                self._rollouts.pop(gone)
        elif views:
            table.update_components([v for v in views.values() if v is not None])
        for name, view in views.items():
            if view is not None and _in_rollout(view):
                self._rollouts[name] = Progress(name, view.updated, view.desired, view.status)
            else:
                self._rollouts.pop(name, None)
        if self._selected is None and table.selected is not None:
            self._select(table.selected)
        elif self._selected in names:
            self.revisions_table.show(self._selected, self.state.revisions(self._selected))
        if names:
            self._show_progress()
        self._append_new_lines()

    def _append_new_lines(self) -> None:
        log = self.state.log
        if not log or log[-1] is self._last_line:
            return
        new: list[LogLine] = []
        for line in reversed(log):
            if line is self._last_line:
                break
            new.append(line)
        new.reverse()
        self._last_line = log[-1]
        self._evidence(new)
        shown = [line for line in new if self.scope_all or line.component == self._selected]
        if shown:
            self.stream.append(shown)

    def _show_progress(self) -> None:
        rollouts = [p for n, p in self._rollouts.items() if self.scope_all or n == self._selected]
        self.stream.set_progress(rollouts)

    def _select(self, name: str | None) -> None:
        if name == self._selected:
            return
        self._selected = name
        self.revisions_table.show(name, self.state.revisions(name) if name else [])
        if not self.scope_all:
            self._reset_stream()
        self._refresh_scope_title()

    def _reset_stream(self) -> None:
        lines = self.state.lines(None if self.scope_all else self._selected) if (
            self.scope_all or self._selected) else []
        self.stream.reset(lines, show_component=self.scope_all)
        self._last_line = self.state.log[-1] if self.state.log else None
        self._show_progress()

    def _refresh_scope_title(self) -> None:
        pane = self.console_screen.query_one("#rollout-pane")
        scope = "all components" if self.scope_all else (self._selected or "no component")
        pane.border_subtitle = f"{scope} · l: {'selected' if self.scope_all else 'all'}"
        revisions = self.console_screen.query_one("#revisions-pane")
        revisions.border_subtitle = self._selected or ""

    # ---- widget events -----------------------------------------------------------------------

    def on_component_highlighted(self, message: ComponentHighlighted) -> None:
        self._select(message.name)

    @on(DataTable.RowSelected, "#components")
    def _component_chosen(self, event: DataTable.RowSelected) -> None:
        self.revisions_table.focus()

    @on(DataTable.RowSelected, "#revisions")
    def _revision_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_diff()

    def on_checklist_toggled(self, message: ChecklistToggled) -> None:
        # The keeper checks or ticks the item, says it in the stream and records it (with who and when).
        self.evidence.activate(message.key, by_hand=message.by_hand)

    def action_rollback_plan(self) -> None:
        self.plans.open()

    def action_readiness(self) -> None:
        self.plans.open_readiness()

    def action_smoke_test(self) -> None:
        if self._selected is None or self.state.component(self._selected) is None:
            self._refuse("No component is selected; pick one in Components first.")
            return
        self.evidence.run_smoke([self._selected])

    # ---- filter (/) --------------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.console_screen.query_one("#filter", Input)
        self.console_screen.query_one("#components-pane").add_class("-filtering")
        field.value = self.components_table.filter_text
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.components_table.set_filter(event.value.strip())

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        table = self.components_table
        table.set_filter(event.value.strip())
        self.console_screen.query_one("#components-pane").remove_class("-filtering")
        table.focus()
        if table.row_count:
            table.move_cursor(row=0)
            self._select(table.selected)
        else:
            self._say(f"No component matches {event.value.strip()!r}; press / and escape to clear the filter.",
                      severity="warning")

    def action_escape(self) -> None:
        pane = self.console_screen.query_one("#components-pane")
        if pane.has_class("-filtering") or self.components_table.filter_text:
            pane.remove_class("-filtering")
            self.console_screen.query_one("#filter", Input).value = ""
            self.components_table.set_filter("")
            self.components_table.select(self._selected)
            self.components_table.focus()

    # ---- view toggles ------------------------------------------------------------------------

    def action_toggle_scope(self) -> None:
        self.scope_all = not self.scope_all
        self._reset_stream()
        self._refresh_scope_title()

    def action_toggle_checklist(self) -> None:
        sidebar = self.sidebar
        if sidebar.has_class("-collapsed"):
            sidebar.remove_class("-collapsed")
            sidebar.focus()
        else:
            if sidebar.has_focus:
                self.components_table.focus()
            sidebar.add_class("-collapsed")

    def action_toggle_helm(self) -> None:
        if self.helm is None:
            self._refuse("No Helm release is configured; start with --release NAME (or release: in the config "
                         "file).")
            return
        self.helm.toggle()

    def on_helm_diff_requested(self, message: HelmDiffRequested) -> None:
        if self.helm is not None:
            self.helm.diff(message.revision)

    def on_helm_rollback_requested(self, message: HelmRollbackRequested) -> None:
        if self.helm is not None:
            self.helm.rollback(message.revision)

    def action_help(self) -> None:
        notes = ("Every action asks for confirmation and shows the kubectl command it equals."
                 + (" Production: type the component's name to confirm." if self.production else "")
                 + (" Read-only: every action is disabled." if self.read_only else ""))
        self.push_screen(HelpScreen(help_rows(), notes))

    # ---- actions -----------------------------------------------------------------------------

    def _component_for(self, action: str) -> str | None:
        """The selected component if the action may start on it; else say why not and return None."""
        if self.read_only:
            self._refuse(f"Read-only mode: {REFUSED.get(action, 'changing anything')} is disabled "
                         "(restart the console without --read-only to act).")
            return None
        name = self._selected
        if name is None or self.state.component(name) is None:
            self._refuse("No component is selected; pick one in Components first.")
            return None
        if self.helm is not None and self.helm.busy is not None:
            self._refuse(f"One operation at a time: {self.helm.busy.doing} is not finished; wait for its outcome.")
            return None
        if name in self.busy:
            self._refuse(f"{name} is busy: {self.busy[name].doing} is not finished; wait for its outcome in "
                         "the Rollout stream.")
            return None
        if self.target.api is None:
            self._refuse("Not connected to a cluster (offline view); nothing can change.")
            return None
        return name

    def _refuse(self, sentence: str) -> None:
        self.bell()
        self._say(sentence, severity="warning")

    def _say(self, sentence: str, severity: str = "information", title: str = "") -> None:
        """A notification, kept in `notices` too (newest last): the sentences the console said."""
        self.notices.append(sentence)
        self.notify(sentence, title=title, severity=severity, markup=False)

    def action_rollback_previous(self) -> None:
        name = self._component_for("rollback_previous")
        if name:
            self._plan(Request("rollback", name, revision=0))

    def action_rollback_revision(self) -> None:
        name = self._component_for("rollback_revision")
        if not name:
            return
        revisions = self.revisions_table
        view = revisions.selected
        if not revisions.has_focus or view is None:
            revisions.focus()
            self._refuse("Choose a revision in Revisions, then press r to roll back to it.")
            return
        if view.current:
            self._refuse(f"Revision {view.revision} is already the current one; choose an older revision.")
            return
        self._plan(Request("rollback", name, revision=view.revision))

    def action_diff(self) -> None:
        name = self._selected
        revisions = self.revisions_table
        view = revisions.selected
        if name is None or view is None:
            self._refuse("No revision is selected; pick a component, then a revision in Revisions.")
            return
        if not revisions.has_focus:
            revisions.focus()
        current = next((r for r in self.state.revisions(name) if r.current), None)
        if current is None:
            self._refuse(f"{name} has no current revision to compare with yet; wait for its ReplicaSets.")
            return
        diff = deployments.pod_template_diff(current.template, view.template,
                                             f"{name} revision {current.revision} (current)",
                                             f"{name} revision {view.revision}")
        title = (f"{name}: revision {view.revision} against the current revision {current.revision}"
                 if not view.current else f"{name}: revision {view.revision} is the current revision")

        def chosen(result: str | None) -> None:
            if result == "rollback":
                name_ok = self._component_for("rollback_revision")
                if name_ok:
                    self._plan(Request("rollback", name_ok, revision=view.revision))

        self.push_screen(DiffScreen(title, diff, can_roll_back=not view.current and not self.read_only), chosen)

    def action_pause_resume(self) -> None:
        name = self._component_for("pause_resume")
        if name:
            view = self.state.component(name)
            self._plan(Request("resume" if view.paused else "pause", name))

    def action_restart(self) -> None:
        name = self._component_for("restart")
        if name:
            self._plan(Request("restart", name))

    def action_scale(self) -> None:
        name = self._component_for("scale")
        if not name:
            return
        view = self.state.component(name)
        remembered = self.remembered_replicas.get(name)
        offer = remembered if view.desired == 0 and remembered else view.desired
        question = f"{name} has {view.desired} replicas. Scale to how many? 0 is the emergency scale-down."
        if view.desired == 0 and remembered:
            question = f"{name} is scaled down; it had {remembered} replicas before. Scale to how many?"

        def valid(text: str) -> str | None:
            if not text.isdigit():
                return "Give a whole number of replicas, 0 or more."
            if int(text) == view.desired:
                return f"{name} already has {view.desired} replicas; give another number or press Escape."
            return None

        def answered(text: str | None) -> None:
            if text is not None:
                self._plan(Request("scale", name, replicas=int(text)))

        self.push_screen(PromptScreen(f"Scale {name}", question, str(offer), "replicas", valid, numeric=True),
                         answered)

    def action_traffic(self) -> None:
        name = self._component_for("traffic")
        if not name:
            return
        pods = self.state.pods_of(name)
        serving_now = any((p["metadata"].get("labels") or {}).get(SERVING_LABEL) == "true" for p in pods)
        self._plan(Request("divert_traffic", name, serving=not serving_now))

    def action_annotate(self) -> None:
        name = self._component_for("annotate")
        if not name:
            return
        d = self.state.objects["Deployment"].get(name) or {}
        current = (d.get("metadata", {}).get("annotations") or {}).get(deployments.CHANGE_CAUSE, "")

        def valid(text: str) -> str | None:
            return None if text else "The change-cause is empty; say what changed and why."

        def answered(text: str | None) -> None:
            if text is not None:
                self._plan(Request("annotate", name, change_cause=text))

        self.push_screen(PromptScreen(f"Change-cause of {name}", f"Record why {name} is as it is now "
                                      f"({deployments.CHANGE_CAUSE}).", current, "what changed and why", valid),
                         answered)

    # ---- planning, confirming, executing -------------------------------------------------------

    def _plan(self, request: Request) -> None:
        self.busy[request.component] = request
        self.run_worker(partial(self._plan_in_thread, request), thread=True, exit_on_error=False,
                        group=f"plan-{request.component}", name=f"plan {request.doing}")

    def _plan_in_thread(self, request: Request) -> None:
        """Worker thread: read the cluster and describe the change; never raises."""
        apps, ns, name = self.apps, self.target.namespace, request.component
        try:
            if request.action == "rollback":
                op = deployments.plan_rollback(apps, ns, name, request.revision)
            elif request.action == "pause":
                op = deployments.plan_pause(apps, ns, name)
            elif request.action == "resume":
                op = deployments.plan_resume(apps, ns, name)
            elif request.action == "restart":
                op = deployments.plan_restart(apps, ns, name)
            elif request.action == "scale":
                op = deployments.plan_scale(apps, ns, name, request.replicas)
            elif request.action == "divert_traffic":
                op = deployments.plan_divert_traffic(apps, ns, name, bool(request.serving))
            elif request.action == "annotate":
                op = deployments.plan_annotate(apps, ns, name, request.change_cause)
            else:
                raise ConsoleError(f"Unknown action {request.action!r}.")
        except ConsoleError as err:
            self.post_message(OperationFinished(request, False, err.message, planning=True))
            return
        except Exception as exc:  # noqa: BLE001 - a bug must not take the console down
            self.post_message(OperationFinished(request, False, _unexpected(request, exc), planning=True))
            return
        self.post_message(OperationPlanned(request, op))

    def on_operation_planned(self, message: OperationPlanned) -> None:
        request, op = message.request, message.operation
        if not self._console_alive():
            return
        if op.noop:
            # kubectl prints this and changes nothing: no confirmation needed.
            self._finish(request, True, op.noop, severity=WARNING)
            return
        guard = request.component if self.production else None

        def confirmed(result: Confirmation | None) -> None:
            if result is None:
                self._finish(request, False, f"Cancelled: {request.doing} (nothing changed).", severity=INFO,
                             quiet=True)
                return
            if op.kind == "rollback":
                self.evidence.target_confirmed(op.component, op.revision)
                self.record("target", op.component, f"target revision {op.revision}",
                            payload={"revision": op.revision})
            if op.kind == "scale" and op.replicas == 0:
                self.push_screen(ConfirmScreen(
                    op, ask_reason=False, confirm_label="Scale to 0",
                    warning=f"Emergency scale-down: every pod of {op.component} stops and it serves nothing "
                            f"until scaled back ({op.previous_replicas} replicas will be remembered). "
                            "Confirm a second time.",
                ), lambda again: self._execute(request, op, result.reason) if again else self._finish(
                    request, False, f"Cancelled: {request.doing} (nothing changed).", severity=INFO, quiet=True))
                return
            self._execute(request, op, result.reason)

        self.push_screen(ConfirmScreen(op, guard=guard), confirmed)

    def _execute(self, request: Request, op, reason: str) -> None:
        self.in_flight.add(request.component)
        if reason:
            self._note(request.component, INFO, f"reason for {request.doing}: {one_line(reason)}")
        self._note(request.component, INFO, f"$ {op.command_line}")
        self.record("action", request.component, request.doing + (f" (reason: {reason})" if reason else ""),
                    op.command_line, payload={"action": op.kind, "revision": op.revision, "reason": reason})
        self.run_worker(partial(self._execute_in_thread, request, op, reason), thread=True, exit_on_error=False,
                        group=f"execute-{request.component}", name=f"execute {request.doing}")

    def _execute_in_thread(self, request: Request, op, reason: str) -> None:
        try:
            if op.kind == "rollback" and reason:
                # The reason becomes the change-cause: plan again with it, and refuse if anything moved.
                again = deployments.plan_rollback(self.apps, op.namespace, op.component, op.revision, reason)
                if again.basis != op.basis or again.revision != op.revision:
                    raise ConsoleError(f"deployment.apps/{op.component} changed since you looked (someone else "
                                       "updated it); re-read and try again.")
                op = again
            outcome = deployments.execute(self.apps, op, settle_timeout=self.settle_timeout)
        except ConsoleError as err:
            self.post_message(OperationFinished(request, False, err.message))
            return
        except Exception as exc:  # noqa: BLE001
            self.post_message(OperationFinished(request, False, _unexpected(request, exc)))
            return
        lines = [outcome.message]
        if op.kind == "divert_traffic":
            for svc in sorted(set(outcome.endpoints_before) | set(outcome.endpoints_after)):
                before = ", ".join(outcome.endpoints_before.get(svc, [])) or "none"
                after = ", ".join(outcome.endpoints_after.get(svc, [])) or "none"
                lines.append(f"service/{svc} ready endpoints: {before} → {after}")
        self.post_message(OperationFinished(request, outcome.ok, "\n".join(lines), operation=op, outcome=outcome))

    def on_operation_finished(self, message: OperationFinished) -> None:
        request, op, outcome = message.request, message.operation, message.outcome
        if not self._console_alive():
            return
        if message.ok and op is not None and op.kind == "scale" and op.replicas == 0:
            before = outcome.previous_replicas if outcome.previous_replicas is not None else op.previous_replicas
            if before:
                self.remembered_replicas[op.component] = before
        if message.ok:
            self._finish(request, True, message.message, severity=SUCCESS)
            if request.action == "rollback":
                self.rolled_back.add(request.component)
                self.evidence.rollback_succeeded(request.component, op.command_line if op is not None else "")
        else:
            prefix = "" if message.planning else "Failed: "
            self._finish(request, False, prefix + message.message, severity=ERROR)

    def _finish(self, request: Request, ok: bool, text: str, severity: str, quiet: bool = False) -> None:
        self.busy.pop(request.component, None)
        self.in_flight.discard(request.component)
        lines = text.splitlines() or [text]
        for line in lines:
            self._note(request.component, severity, line)
        self.record("outcome", request.component, text, ok=ok, payload={
            "action": request.action, "cancelled": not ok and severity == INFO})
        if quiet:
            return
        toast = {SUCCESS: "information", INFO: "information", WARNING: "warning", ERROR: "error"}[severity]
        self._say(lines[0], title=request.component, severity=toast)

    def record(self, kind: str, component: str, text: str, command: str = "", ok: bool | None = None, *,
               payload: dict | None = None) -> None:
        """One entry of the incident timeline: an action, a tick, an outcome (with the equivalent command).

        Every mutating action and every checklist tick calls this. With an open incident it is written to the
        audit log before this returns (kept in memory until one starts); see tui/incident/recorder.py."""
        self.timeline_entries.append((self.clock(), kind, component, text, command, ok))
        self.record_entry(kind, component, text, command, ok, payload)

    def _note(self, component: str, severity: str, text: str) -> None:
        """A line of our own in the Rollout stream (outcomes, refusals, commands)."""
        self.state.log.append(LogLine(self.clock(), component, severity, text))
        self._append_new_lines()

    def _evidence(self, lines: list[LogLine]) -> None:
        """Tick checklist items the stream proves."""
        self.incident_lines(lines)
        self.evidence.lines(lines)

    # ---- quitting ----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        if not self.in_flight:
            self.exit()
            return
        what = [self.busy[c].doing for c in sorted(self.in_flight) if c in self.busy]

        def answered(leave: bool | None) -> None:
            if leave:
                self.exit()

        self.push_screen(QuitScreen(what), answered)


def _in_rollout(view) -> bool:
    if view.status in ("Progressing", "Stalled", "Degraded"):
        return True
    return view.status == "Paused" and view.updated < view.desired


def _unexpected(request: Request, exc: BaseException) -> str:
    """An unforeseen failure, as one sentence (the details go to the log, not the screen)."""
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return (f"{request.doing[0].upper()}{request.doing[1:]} failed unexpectedly ({type(exc).__name__}: "
            f"{one_line(exc, 160)}{at}); the console keeps running, try again or use kubectl.")


def offline_target(context: str, namespace: str, server: str) -> Target:
    """A Target without an API client: the console shows a pre-filled state and changes nothing."""
    return Target(api=None, context=context, namespace=namespace, server=server, kubeconfig=Path())  # type: ignore[arg-type]
