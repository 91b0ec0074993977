"""`o` on a Rollout: the Rollout view, live. `kubectl argo rollouts get rollout --watch` on one screen, with what the
plugin leaves out: each analysis measurement's value, the condition it was held against, and why the run failed.

Read and watched by the controller (tui/controllers/rollout_view.py) off the UI loop; this screen only repaints
what it is handed. Until the first list it says it is reading; when a watch is down it says since when and why,
and the body is dimmed: a stale picture never looks live. `a` jumps to the analysis, `g` back to the top.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.rollout_view import RolloutViewBody

from ..core import rollout_view as rv

OFFLINE = "The console shows a fixed state (offline): there is no cluster to read the Rollout from."


class RolloutScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    RolloutScreen { align: center middle; background: $background 60%; }
    RolloutScreen > #frame {
        width: 100%; height: 100%;
        border: thick $primary; background: $surface;
    }
    RolloutScreen #where { padding: 0 1; color: $text-muted; height: auto; }
    RolloutScreen #where.-stale { color: $warning; text-style: bold; }
    RolloutScreen #where.-error { color: $error; text-style: bold; }
    """

    BINDINGS = [
        Binding("escape,q,o", "close", "Close"),
        Binding("a", "jump('#ro-analysis')", "Analysis"),
        Binding("g,home", "scroll('home')", "Top"),
        Binding("r", "reread", "Read again"),
        Binding("j,down", "scroll('down')", "Down", show=False),
        Binding("k,up", "scroll('up')", "Up", show=False),
        Binding("pagedown,space", "scroll('page_down')", "Page down", show=False),
        Binding("pageup", "scroll('page_up')", "Page up", show=False),
    ]

    def __init__(self, controller, namespace: str, name: str, clock: Callable[[], float],
                 offline: bool = False) -> None:
        super().__init__()
        self.controller = controller
        self.namespace, self.rollout_name = namespace, name
        self.clock = clock
        self.offline = offline
        self.live: rv.LiveObjects | None = None
        self.view: rv.RolloutView | None = None
        self.error = ""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="frame") as frame:
            frame.border_title = f"Rollout · {self.rollout_name}"
            frame.border_subtitle = "a analysis · g top · r read again · Esc closes"
            yield Static(id="where", markup=False)
            yield RolloutViewBody(id="rollout-body")

    def on_mount(self) -> None:
        self.query_one("#frame", VerticalScroll).focus()
        self.set_interval(1.0, self._tick)
        self.action_reread()

    def on_unmount(self) -> None:
        if not self.offline:
            self.controller.close()

    def action_reread(self) -> None:
        if self.offline:
            self.shown(None, OFFLINE)
            return
        self._where(f"reading rollout {self.rollout_name} in {self.namespace}…")
        self.controller.open(self.namespace, self.rollout_name, self.shown)

    # ---- what the controller hands over (on the UI loop) -----------------------------------------------

    def shown(self, live: rv.LiveObjects | None, error: str) -> None:
        """The live objects after a batch (or the one sentence saying why there are none)."""
        self.live, self.error = live, error
        self._paint()

    def show_objects(self, rollout: dict, replicasets: list[dict], pods: list[dict], analysisruns: list[dict],
                     stale: str = "") -> None:
        """Objects read elsewhere (the offline snapshots, a fixture), shown as a live batch would be."""
        live = rv.LiveObjects(self.namespace, self.rollout_name)
        now = self.clock()
        from ..core.items import Health, Relisted

        live.apply([Relisted(rv.ROLLOUT, (rollout,)), Relisted(rv.REPLICASET, tuple(replicasets)),
                    Relisted(rv.POD, tuple(pods)), Relisted(rv.ANALYSISRUN, tuple(analysisruns))])
        live.apply([Health(kind, not stale, now, stale) for kind in rv.KINDS])
        self.shown(live, "")

    def _paint(self) -> None:
        body = self.query_one(RolloutViewBody)
        if self.error:
            self._where(self.error, "-error")
            body.show(None)
            return
        if self.live is None:
            return
        now = self.clock()
        self.view = self.live.view(now)
        stale = self.live.stale(now)
        missing = self.live.missing()
        if missing:
            self._where(missing, "-error")
        elif stale and stale != "connecting…":
            self._where(f"⚠ {stale}; showing the last known state", "-stale")
        elif stale:
            self._where(f"reading rollout {self.rollout_name} in {self.namespace}…")
        else:
            self._where("live: watching the Rollout, its ReplicaSets, pods and AnalysisRuns")
        body.show(self.view, stale=bool(stale) and stale != "connecting…")

    def _tick(self) -> None:
        """Once a second: ages and the time a watch has been down move on."""
        if self.live is not None and not self.error:
            self._paint()

    def _where(self, text: str, mark: str = "") -> None:
        where = self.query_one("#where", Static)
        where.set_class(mark == "-stale", "-stale")
        where.set_class(mark == "-error", "-error")
        where.update(text)

    # ---- keys ----------------------------------------------------------------------------------------

    def action_jump(self, selector: str) -> None:
        self.query_one("#frame", VerticalScroll).scroll_to_widget(self.query_one(selector), top=True,
                                                                  animate=False)

    def action_scroll(self, how: str) -> None:
        getattr(self.query_one("#frame", VerticalScroll), f"scroll_{how}")(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
