"""The console: wiring of watchers, state, panes, screens and workers.

Data flows one way: watcher threads -> WatchHub -> a `WatchBatch` message ->
`ClusterState.apply` on the UI loop -> only the panes of the components that
changed are repainted. Actions flow the other way: a key -> the guard -> a
`Request` -> the kind's adapter plans it in a worker (thread) ->
`OperationPlanned` -> the confirmation screen -> the adapter executes it in a
worker -> `OperationFinished` -> the Rollout stream. The ledger holds what is
busy from request to outcome. No network call ever runs on the UI loop, and no
traceback reaches the screen.

The App implements the `Console` protocol (tui/controllers/console.py); the
controllers (Helm, the plan, the checklist, incidents) see only that.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, wait

from textual import events, on
from textual.app import App
from textual.css.query import NoMatches
from textual.widgets import DataTable, Input

from widgets.checklist_sidebar import ChecklistSidebar
from widgets.component_table import ComponentTable
from widgets.console_header import ConsoleHeader, TargetInfo
from widgets.flash_line import FlashLine
from widgets.messages import (
    ChecklistToggled,
    ComponentHighlighted,
    HelmDiffRequested,
    HelmRollbackRequested,
    OperationFinished,
    OperationPlanned,
    WatchBatch,
)
from widgets.revision_table import RevisionTable
from widgets.rollout_stream import Progress, RolloutStream

from .appconfig import AppConfig
from .controllers.checklist import ChecklistKeeper
from .controllers.database import DatabaseController
from .controllers.describe import DescribeController
from .controllers.incident import IncidentController
from .controllers.metrics import MetricsController
from .controllers.operations import OperationsController
from .controllers.plan import PlanController
from .controllers.podlogs import LogsController
from .controllers.rollout_view import RolloutViewController
from .core import checklist as runbook
from .core import flash
from .core.errors import ConsoleError
from .core.guard import Guard
from .core.items import Health, Relisted
from .core.ledger import Ledger
from .core.metrics import by_deployment
from .core.state import ClusterState, LogLine, about
from .core.workload import Ref
from .incident.recorder import IncidentSettings
from .kube.config import DEFAULT_PROD_PATTERN, Target
from .screens.console import ConsoleScreen, help_rows
from .screens.help import HelpScreen
from .screens.palette import ActionsProvider
from .screens.pending import PendingScreen
from .screens.quit import QuitScreen
from .workloads.registry import ADAPTERS, READERS

NARROW = 120  # below this many columns the Checklist starts collapsed


class RollbackConsole(App):
    """The rollback console for one Target (context + namespace).

    `target.offline` means no cluster: a pre-filled `state` is shown and nothing
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
        exited: Callable[[], str] | None = None,
        exit_on_signals: bool = False,
    ) -> None:
        """`exited`: polled each second, a sentence once the process serving the cluster has exited (the demo's
        sandbox child: polling reaps it). `release`: the application's Helm release (shows the Helm pane); `helm`: the binary to run;
        `helm_history`/`helm_binary`: pre-filled, for offline snapshots."""
        super().__init__()
        self.target = target
        self.read_only = read_only
        self.prod_pattern = prod_pattern
        self.production = target.is_production(prod_pattern)
        self.selector = selector
        self._helm_release = release  # read by the thread building the watch sources, started just below
        self.clock = clock
        self.state = state if state is not None else ClusterState(target.namespace, READERS, clock=clock, order=order)
        self.watch_enabled = watch and not target.offline
        self._sources: Future[list] = Future()
        if self.watch_enabled:
            # The client's API classes take hundreds of ms to build: start now, overlapping
            # Textual's own start-up, and never on the UI loop.
            threading.Thread(target=self._build_sources, name="build-sources", daemon=True).start()
        self.checklist = checklist if checklist is not None else runbook.Checklist.runbook()
        self.hub = None  # the WatchHub, made by the startup worker (tui/kube/watch.py is imported there)
        self.info = TargetInfo(target.context, target.namespace, target.server, self.production, read_only)
        self.scope_all = False  # Rollout stream: False = the selected component, True = all
        self.ledger = Ledger()  # what is busy and executing, what was rolled back
        self.guard = Guard(read_only, not target.offline, self.production)
        self._last_line: LogLine | None = None
        self._shown: set[Ref] = set()  # components in the table
        self._rollouts: dict[Ref, Progress] = {}
        self._selected: Ref | None = None
        self._listed_once = False  # the first Deployment list has arrived
        self._listed_kinds: set[str] = set()
        self._workloads_listed: set[str] = set()  # the workload kinds whose first list has arrived
        self._frozen = False
        self._held: list = []  # the first lists, until the workloads' and their revisions' have all come
        self._held_since: float | None = None
        self._width = 0  # the terminal's width at the last resize (0: none yet)
        self.left_in_flight = False  # quit while an operation was in flight (the process ends at once)
        self._typed: list[tuple[str, str | None]] = []  # keys typed for a dialog not ready yet (type_into)
        self._typed_for = None
        self._typed_timer = None
        self.flash = flash.Flash()  # failures said in one line until resolved (tui/core/flash.py)
        self._exited = exited
        self._exit_on_signals = exit_on_signals
        self.notices: deque[str] = deque(maxlen=200)
        self.timeline_entries: list[tuple] = []  # replaced by the incident's audit-logged timeline
        self._muted: list[tuple[logging.Handler, int]] = []
        self.config = config or AppConfig()
        # The controllers: each takes this console as the Console protocol (tui/controllers/).
        self.incident = IncidentController(self, incident)  # the audit log `record` writes to
        self.helm = None  # the Helm pane's behaviour; None without a release
        if release:
            from .controllers.helm import HelmController  # pyhelm3 only when there is a release
            self.helm = HelmController(self, release, helm, helm_history, helm_binary)
        self.evidence = ChecklistKeeper(self, self.config)  # the checklist's evidence
        self.plans = PlanController(self)  # "roll back every component" (A) and rollback readiness (w)
        self.operations = OperationsController(self, settle_timeout)  # u, r, d, p, x, s, t, a
        self.metrics = MetricsController(self)  # alerts on the rows, the Metrics view (m), health evidence
        self.pod_logs, self.describer = LogsController(self), DescribeController(self)  # the L and y views
        self.rollout_view = RolloutViewController(self)  # the o view of an Argo Rollout
        self.database = DatabaseController(self)  # the Database view (D): Alembic, loaded on first use

    def get_system_commands(self, screen):
        """Textual's own commands but its Quit: ours (ActionsProvider) asks first while something is in flight,
        and the palette would otherwise list Quit twice."""
        return (command for command in super().get_system_commands(screen) if command.title != "Quit")

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
    def selected(self) -> Ref | None:
        return self._selected

    # ---- the Console protocol (tui/controllers/console.py) -----------------------------------

    @property
    def incidents(self):
        return self.incident.incidents

    @property
    def watching(self) -> bool:
        return self.watch_enabled

    @property
    def alive(self) -> bool:
        return self._console_alive()

    def run_off_loop(self, work, *, group: str, name: str = "") -> None:
        """A thread for blocking work; a coroutine runs as an async worker (anyio subprocesses)."""
        thread = not inspect.iscoroutine(work)
        if thread:
            work = self._after_client_built(work)
        self.run_worker(work, thread=thread, exit_on_error=False, group=group, name=name)

    def _after_client_built(self, work):
        """Threads wait for the start-up import of the kubernetes client to end (done or failed): the
        client's package imports lazily and is not safe to import from two threads at once (a second
        importer got "cannot import name 'ApiClient'", and the console never listed)."""
        if not self.watch_enabled or self._sources.done():
            return work

        def after() -> None:
            wait([self._sources])
            work()

        return after

    def call_soon(self, callback, *args) -> None:
        self.call_from_thread(callback, *args)

    def ask(self, screen, then=None) -> None:
        self.push_screen(screen, then)

    def type_into(self, screen, keys: list[tuple[str, str | None]]) -> None:
        """Keys typed for `screen` before it could take them: delivered in order once it is on top and has
        focused its field (its on_mount), or dropped if it closes first."""
        if screen is not self._typed_for:
            self._typed_for, self._typed = screen, []
        self._typed.extend(keys)
        self._deliver_typed(40)

    async def _on_key(self, event: events.Key) -> None:
        """A key typed on the console reaches the app (for its bindings) after the keys typed with it were
        queued; when the key before it opened a dialog, it was typed for that dialog: it goes there (or to
        the screen keeping keys until the dialog opens), never lost and never run as the console's key."""
        top = self.screen
        if getattr(event, "typed_on_console", False) and top is not self.console_screen:
            event.prevent_default()  # Textual's own App._on_key (bindings) runs after this one unless prevented
            if isinstance(top, PendingScreen):
                top.keep(event.key, event.character)
            else:
                self.type_into(top, [(event.key, event.character)])

    def _deliver_typed(self, tries: int) -> None:
        screen = self._typed_for
        if screen is None or not self._typed:
            return
        ready = screen.is_mounted and (screen.focused is not None or not screen.focus_chain)
        if self.screen is screen and ready:
            keys, self._typed = self._typed, []
            for key, character in keys:
                self.post_message(events.Key(key, character))
        elif tries and screen in self.screen_stack:  # not ready yet: a moment later
            if self._typed_timer is None:
                def again() -> None:
                    self._typed_timer = None
                    self._deliver_typed(tries - 1)

                self._typed_timer = self.set_timer(0.05, again)
        else:
            self._typed = []  # the dialog is gone: what was typed for it goes with it

    def widget(self, kind):
        return self.console_screen.query_one(kind)

    def every(self, seconds: float, callback) -> None:
        self.set_interval(seconds, callback)

    def show_helm(self, shown: bool) -> None:
        self.console_screen.query_one("#panes").set_class(shown, "-helm")

    def show_all_components(self) -> None:
        if not self.scope_all:
            self.action_toggle_scope()

    def focus_components(self) -> None:
        self.components_table.focus()

    def post(self, message) -> None:
        self.post_message(message)

    def refresh_stream(self) -> None:
        self._reset_stream()

    def on_ready(self) -> None:
        """The console screen is composed: first paint from the state, then start the watchers."""
        if self._exit_on_signals:
            self._exit_on_hangup()
        if self.size.width < NARROW:
            self.sidebar.add_class("-collapsed")
        self._refresh_scope_title()
        self.components_table.follow = self._select
        self.components_table.focus()
        self._repaint_all()
        self.incident.resume_incident()
        self.plans.start()
        if self.helm is not None:
            self.helm.start()
            self._repaint_all()
        self.show_alerts(self.metrics.state)
        if self.watch_enabled:
            self.metrics.start()
            self._mute_terminal_logging()
            self.run_worker(self._start_watching, thread=True, exit_on_error=False, group="startup")
            self.set_interval(1.0, self._tick)
            self.run_off_loop(self._check_namespace, group="startup")

    def _exit_on_hangup(self) -> None:
        """A closed terminal (SIGHUP) or SIGTERM ends the console as q does, so the command's cleanup runs
        (the demo stops its sandbox and removes its kubeconfig); a handler on the loop, never mid-frame."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.exit)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or not POSIX
                pass

    def on_resize(self, event) -> None:
        """Shrinking below NARROW collapses the Checklist, as starting that narrow does (c opens it)."""
        width = event.size.width
        if width < NARROW <= self._width and self._console_alive():
            self.sidebar.add_class("-collapsed")
            if self.sidebar.has_focus_within:
                self.components_table.focus()
        self._width = width

    def on_unmount(self) -> None:
        self.metrics.stop()
        self.incident.close_incident_log()
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
        """Once a second: ages of stale watches, of revisions and Helm revisions; a sandbox that exited."""
        if self.state.stale():
            self.header.show_watches(self.state.watches)
            self._show_health()
        if self._exited is not None and flash.SANDBOX not in self.flash:
            self.fail(flash.SANDBOX, self._exited())
        self.revisions_table.refresh_ages()
        if self.helm is not None:
            self.helm.pane.table.refresh_ages()
        self.evidence.poll()
        self.incident.settle()

    # ---- live data ---------------------------------------------------------------------------

    def _build_sources(self) -> None:
        """On a thread from the start: import the watch module, build the client and its API classes.

        The first frame (layout, header "connecting" to which server) never waits for any of it."""
        try:
            from .kube.watch import namespaced_sources

            sources = namespaced_sources(self.target.api, self.target.namespace, self.selector, ADAPTERS.values())
            if self._helm_release:
                from .controllers.helm import helm_source

                sources.append(helm_source(self.target.api, self.target.namespace, self._helm_release))
            self._sources.set_result(sources)
        except Exception as exc:  # noqa: BLE001 - surfaces in _start_watching
            self._sources.set_exception(exc)

    def _start_watching(self) -> None:
        """In a worker: waits for the API classes built off the UI loop, then starts the watchers."""
        from .kube.watch import WatchHub

        try:
            sources = self._sources.result()
        except ConsoleError as err:  # the context cannot be used: said once, and every watch shown down
            self.call_from_thread(self._cannot_connect, err.message)
            return
        except Exception as exc:  # noqa: BLE001 - never a silent console that lists nothing
            self.call_from_thread(self._cannot_connect, f"The console could not start its watches "
                                  f"({type(exc).__name__}: {exc}); quit and start it again.")
            return
        hub = WatchHub(self.target.server, notify=self._watch_notify, clock=self.clock)
        self.hub = hub
        hub.start(sources)

    def _cannot_connect(self, sentence: str) -> None:
        if not self._console_alive():
            return
        now = self.clock()
        self.fail(flash.CONFIG, sentence)
        self.apply([Health(kind, False, now, sentence) for kind in _watched_kinds()])

    def _check_namespace(self) -> None:
        """In a worker: a namespace that does not exist lists as empty, so say it plainly."""
        from kubernetes.client.rest import ApiException

        from .kube.collection import Collection

        ns, context = self.target.namespace, self.target.context
        try:
            Collection(self.target.api, "/api/v1/namespaces/{namespace}")(ns, _request_timeout=10).read()
        except ApiException as exc:
            if exc.status == 404:
                self.call_from_thread(self.fail, flash.NAMESPACE, f"Namespace {ns} does not exist on context "
                                      f"{context}; restart with -n and an existing namespace.")
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
                self._repaint_all()  # the release's failed revisions and manifest mark revisions and drift
        items = self._hold_first_lists(items)
        if items and self._console_alive():
            self.apply(items)
            self._say_if_nothing_matches(items)
            self._freeze_after_first_lists(items)

    def _hold_first_lists(self, items: list) -> list:
        """The first list of each workload kind and of their revisions (ReplicaSets) wait for each other, for
        at most HOLD_FIRST_LISTS s: one paint of complete rows, not rows then every row again with its revision
        (a second pass over 2,000 rows, 0.4 s), and the first row (the one selected) is the first of all kinds,
        not of the kind that listed first. A watch that is down ends the hold: that is said at once."""
        if self._held_since is None and self._listed_kinds:
            return items  # held once already: from then on everything goes straight through
        held = self._held + items
        first = {*READERS, *(reader.owns for reader in READERS.values())}
        listed = {i.kind for i in held if isinstance(i, Relisted)}
        down = any(isinstance(i, Health) and not i.live and i.error != flash.CONNECTING for i in held)
        now = time.monotonic()
        if self._held_since is None:
            self._held_since = now
            self.set_timer(HOLD_FIRST_LISTS, lambda: self.post_message(WatchBatch()))
        if not down and not listed >= first and now - self._held_since < HOLD_FIRST_LISTS:
            self._held = held
            return []
        self._held, self._held_since = [], None
        self._listed_kinds |= listed or {"*"}  # marks the hold as over, whatever came
        # Workloads, then what their revisions are, then the rest (each kind's items in their order): a pod
        # applied before its ReplicaSet and workload would belong to no component.
        rank = {kind: 0 for kind in READERS} | {reader.owns: 1 for reader in READERS.values()}
        return sorted(held, key=lambda item: rank.get(item.kind, 2))

    def _freeze_after_first_lists(self, items: list) -> None:
        """Once every watch has listed, move what exists to the GC's permanent generation:
        full collections then scan only what changes, not thousands of listed objects. No
        `gc.collect()` first: it is a full collection on the UI loop (50-400 ms), to reclaim little."""
        self._listed_kinds |= {i.kind for i in items if isinstance(i, Relisted)}
        if not self._frozen and self._listed_kinds >= _watched_kinds():
            self._frozen = True
            gc.freeze()

    def _say_if_nothing_matches(self, items: list) -> None:
        # Only once every workload kind has listed: the Rollouts' (empty) list may come before the Deployments'.
        self._workloads_listed |= {i.kind for i in items if isinstance(i, Relisted) and i.kind in READERS}
        if self._listed_once or self._workloads_listed != set(READERS):
            return
        self._listed_once = True
        if not self.state.workloads():
            chosen = f"matching {self.selector} " if self.selector else ""
            self.say(f"No Deployments {chosen}in namespace {self.target.namespace}; check -n and -l "
                      "(or the config file).", "warning")

    def _console_alive(self) -> bool:
        """False while the console is shutting down (its panes are gone; late messages are dropped)."""
        try:
            _ = self.components_table
        except (NoMatches, IndexError):  # IndexError: the screen stack is already gone
            return False
        return True

    def apply(self, items: Iterable) -> set:
        """Apply watch items to the state and repaint what they touched (also used by tests and fixtures)."""
        dirty = self.state.apply(items)
        self._repaint(dirty)
        self.incident.components_changed(dirty)  # outside changes and status transitions to the timeline
        return dirty

    def _repaint_all(self) -> None:
        self._repaint({"*health", *self.state.workloads()})

    def _repaint(self, dirty: set) -> None:
        if "*health" in dirty:
            self.header.show_watches(self.state.watches)
            self._show_health()
        names = {n for n in dirty if isinstance(n, Ref)}
        table = self.components_table
        present = set(self.state.workloads())
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
                self._rollouts[name] = Progress(name.name, view.updated, view.desired, view.status)
            else:
                self._rollouts.pop(name, None)
        if self._selected is None and table.selected is not None:
            self._select(table.selected)
        elif self._selected in names:
            self.revisions_table.show(self._selected, self.state.revisions(self._selected))
        if names:
            self._show_progress()
            if self.helm is not None and names & self.state.charted.keys():
                self.helm.drift_moved()  # someone changed a Deployment of the release: the pane's drift line
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
        shown = [line for line in new if self.scope_all or (self._selected and about(line, self._selected))]
        if shown:
            self.stream.append(shown)
        # After showing them: a tick these lines prove is said below them, never above.
        self._evidence(new)

    def _show_progress(self) -> None:
        rollouts = [p for n, p in self._rollouts.items() if self.scope_all or n == self._selected]
        self.stream.set_progress(rollouts)

    def _select(self, name: Ref | None) -> None:
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
        revisions.border_subtitle = str(self._selected or "")

    # ---- widget events -----------------------------------------------------------------------

    def on_component_highlighted(self, message: ComponentHighlighted) -> None:
        self._select(message.ref)

    @on(DataTable.RowSelected, "#components")
    def _component_chosen(self, event: DataTable.RowSelected) -> None:
        self.revisions_table.focus()

    @on(DataTable.RowSelected, "#revisions")
    def _revision_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_diff()

    def on_checklist_toggled(self, message: ChecklistToggled) -> None:
        # The keeper checks or ticks the item, says it in the stream and records it (with who and when).
        self.evidence.activate(message.key, by_hand=message.by_hand)

    def action_incident(self) -> None:
        self.incident.action_incident()

    def action_close_incident(self) -> None:
        self.incident.action_close_incident()

    def action_export_report(self) -> None:
        self.incident.action_export_report()

    def action_rollback_plan(self) -> None:
        self.plans.open()

    def action_readiness(self) -> None:
        self.plans.open_readiness()

    def action_smoke_test(self) -> None:
        if self._visible_selection() is None:
            return
        self.evidence.run_smoke([self._selected.name])

    def action_metrics(self) -> None:
        ref = self._visible_selection()
        if ref is None:
            return
        from .screens.metrics import MetricsScreen

        self.push_screen(MetricsScreen(self.metrics, self.target.namespace, ref.name))

    def action_database(self) -> None:
        self.database.open()

    def action_logs(self) -> None:
        if (ref := self._visible_selection()) is not None:
            from .screens.logs import LogsScreen
            self.push_screen(LogsScreen(self.pod_logs, ref, self.evidence.pattern, offline=self.target.offline))

    def action_describe(self) -> None:
        if (ref := self._visible_selection()) is not None:
            from .screens.describe import DescribeScreen
            self.push_screen(DescribeScreen(self.describer, ref, offline=self.target.offline))

    def action_rollout_view(self) -> None:
        if (ref := self._visible_selection()) is None:
            return
        if ref.kind != "Rollout":
            self.refuse(f"o opens the Rollout view of an Argo Rollout; {ref.name} is a {ref.kind}.")
            return
        self.open_rollout_view(ref.name)

    def open_rollout_view(self, name: str) -> None:
        """The Rollout view of `name` in the console's namespace (also for tests before Rollouts are rows)."""
        from .screens.rollout import RolloutScreen
        self.push_screen(RolloutScreen(self.rollout_view, self.target.namespace, name, self.clock,
                                       offline=self.target.offline))

    def _visible_selection(self) -> Ref | None:
        """The selected component when it is on screen; else refused in one sentence."""
        if (self._selected is None or self.state.component(self._selected) is None
                or self.components_table.selected != self._selected):  # the filter hides it: not a target
            self.refuse("No component is selected; pick one in Components first.")
            return None
        return self._selected

    def show_alerts(self, alerts) -> None:
        """The metrics controller's AlertsState: each row's alerts, and the header's count of them (a cluster's
        Prometheus has alerts about everything; the header speaks of the watched components only)."""
        names = {v.name for v in self.state.components()}
        rows = {name: mine for name, mine in by_deployment(alerts.alerts, self.target.namespace).items()
                if name in names}
        self.header.show_alerts(alerts, [a for mine in rows.values() for a in mine])
        self.components_table.set_alerts(rows, stale=alerts.stale)

    # ---- filter (/) --------------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.console_screen.query_one("#filter", Input)
        self.console_screen.query_one("#components-pane").add_class("-filtering")
        field.value = self.components_table.filter_text
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._set_filter(event.value.strip())

    def _set_filter(self, text: str) -> None:
        """Filter the table and say so in the pane's title until it is cleared: rows the filter hides
        must never look like rows that do not exist."""
        self.components_table.set_filter(text)
        pane = self.console_screen.query_one("#components-pane")
        pane.border_title = f"Components · filter /{text} (esc clears)" if text else "Components"

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        table = self.components_table
        self._set_filter(event.value.strip())
        self.console_screen.query_one("#components-pane").remove_class("-filtering")
        table.focus()
        if table.row_count:
            table.move_cursor(row=0)
            self._select(table.selected)
        else:
            self.say(f"No component matches {event.value.strip()!r}; press / and escape to clear the filter.",
                      severity="warning")

    def action_escape(self) -> None:
        pane = self.console_screen.query_one("#components-pane")
        if pane.has_class("-filtering") or self.components_table.filter_text:
            pane.remove_class("-filtering")
            self.console_screen.query_one("#filter", Input).value = ""
            self._set_filter("")
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
            self.refuse("No Helm release is configured; start with --release NAME (or release: in the config "
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

    # ---- failures: one persistent line (tui/core/flash.py) -----------------------------------

    def fail(self, key: str, sentence: str) -> None:
        """Say a failure in the flash line until `fail(key, "")` resolves it; kept in `notices` when new."""
        new = key not in self.flash
        if not self.flash.set(key, sentence) or not self._console_alive():
            return
        if new and sentence:
            self.notices.append(sentence)
        self.console_screen.query_one(FlashLine).say(self.flash.line)

    def _show_health(self) -> None:
        """Watches that lost their server: said in the flash line, and the rows dimmed as of when."""
        watches = self.state.watches
        if flash.CONFIG not in self.flash:  # a context that cannot be used says so itself
            self.fail(flash.SERVER, flash.server_failure(watches, self.target.server, self.clock()))
        self.components_table.set_stale(flash.stale_since(watches))

    # ---- actions -----------------------------------------------------------------------------

    def refuse(self, sentence: str) -> None:
        self.bell()
        self.say(sentence, severity="warning")

    def say(self, sentence: str, severity: str = "information", title: str = "") -> None:
        """A notification, kept in `notices` too (newest last): the sentences the console said."""
        self.notices.append(sentence)
        self.notify(sentence, title=title, severity=severity, markup=False)

    # ---- actions on the selected component: tui/controllers/operations.py ---------------------

    def action_rollback_previous(self) -> None:
        self.operations.rollback_previous()

    def action_rollback_revision(self) -> None:
        self.operations.rollback_revision()

    def action_kind_action(self, action: str) -> None:
        self.operations.kind_action(action)

    def action_diff(self) -> None:
        self.operations.diff()

    def action_pause_resume(self) -> None:
        self.operations.pause_resume()

    def action_restart(self) -> None:
        self.operations.restart()

    def action_scale(self) -> None:
        self.operations.scale()

    def action_traffic(self) -> None:
        self.operations.traffic()

    def action_annotate(self) -> None:
        self.operations.annotate()

    def on_operation_planned(self, message: OperationPlanned) -> None:
        self.operations.planned(message.request, message.operation)

    def on_operation_finished(self, message: OperationFinished) -> None:
        self.operations.finished(message)


    def record(self, kind: str, component: str, text: str, command: str = "", ok: bool | None = None, *,
               payload: dict | None = None) -> None:
        """One entry of the incident timeline: an action, a tick, an outcome (with the equivalent command).

        Every mutating action and every checklist tick calls this. With an open incident it is written to the
        audit log before this returns (kept in memory until one starts); see tui/incident/recorder.py."""
        component = str(component)  # the audit log speaks of components (and releases) by name
        self.timeline_entries.append((self.clock(), kind, component, text, command, ok))
        self.incident.record_entry(kind, component, text, command, ok, payload)

    def note(self, component: Ref | str, severity: str, text: str) -> None:
        """A line of our own in the Rollout stream (outcomes, refusals, commands).

        The checklist and the audit log name components; the stream keys lines by (kind, name)."""
        if not isinstance(component, Ref):
            component = self.state.ref_named(component) or Ref("", str(component))
        self.state.log.append(LogLine(self.clock(), component, severity, text))
        self._append_new_lines()

    def _evidence(self, lines: list[LogLine]) -> None:
        """Tick checklist items the stream proves."""
        self.incident.incident_lines(lines)
        self.evidence.lines(lines)

    # ---- quitting ----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        running = self.ledger.in_flight()
        if not running:
            self.exit()
            return
        what = list(dict.fromkeys(b.doing for b in running))  # a plan step busies several keys: said once

        def answered(leave: bool | None) -> None:
            if leave:
                self.leave_in_flight()

        self.push_screen(QuitScreen(what), answered)

    def leave_in_flight(self) -> None:
        """Quit now: what is in flight carries on in the cluster, unwatched, and the audit log says so;
        `left_in_flight` tells the command to end the process at once (tui/cli.py)."""
        for busy in self.ledger.in_flight():
            name = getattr(busy.key, "name", busy.key)
            self.record("note", str(name), f"Quit while {busy.doing} was in flight: it carries on in the cluster, "
                        "unwatched; check its outcome with kubectl rollout status.")
        self.left_in_flight = True
        self.exit()


HOLD_FIRST_LISTS = 1.0  # s: the longest the first lists wait for each other (a down or forbidden watch ends it at once)


def _watched_kinds() -> set[str]:
    """What the watches list: every workload kind, what their revisions are, pods and events."""
    return {*READERS, *(reader.owns for reader in READERS.values()), "Pod", "Event"}


def _in_rollout(view) -> bool:
    if view.status in ("Progressing", "Stalled", "Degraded"):
        return True
    return view.status == "Paused" and view.updated < view.desired

