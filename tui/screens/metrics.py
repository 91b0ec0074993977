"""`m`: the selected component's metrics from Prometheus, over a window (1-4), the rollback's moment marked."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.metrics_panel import MetricsPanel
from widgets.style import clock_time

from ..core import metrics as m


class MetricsScreen(ModalScreen[None]):
    """Asks the metrics controller for its component and window; renders each answer as it comes."""

    DEFAULT_CSS = """
    MetricsScreen { align: center middle; background: $background 60%; }
    MetricsScreen > #frame {
        width: 150; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface;
    }
    MetricsScreen #where { padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape,q,m", "close", "Close"),
        *[Binding(str(n), f"window({n - 1})", label, show=True) for n, (label, _) in enumerate(m.WINDOWS, 1)],
    ]

    def __init__(self, controller, namespace: str, component: str, window: int = 0) -> None:
        super().__init__()
        self.controller = controller
        self.namespace = namespace
        self.component = component
        self.window = window  # index into m.WINDOWS
        self.answered_at: float | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="frame") as frame:
            frame.border_title = f"Metrics · {self.component}"
            frame.border_subtitle = "1 5m · 2 15m · 3 1h · 4 6h · Esc closes"
            yield Static(id="where", markup=False)
            yield MetricsPanel(id="panel")

    def on_mount(self) -> None:
        from ..controllers.metrics import HOW_TO_GET

        self.controller.view = self
        if not self.controller.state.configured:
            self.query_one("#where", Static).update(HOW_TO_GET)
            return
        self._where("asking…")
        self._ask()

    def on_unmount(self) -> None:
        if self.controller.view is self:
            self.controller.view = None
            self.controller.ask(None)

    def _ask(self) -> None:
        from ..controllers.metrics import MetricsRequest

        self.controller.ask(MetricsRequest(self.namespace, self.component, m.WINDOWS[self.window][1]))

    def _where(self, status: str) -> None:
        label = m.WINDOWS[self.window][0]
        self.query_one("#where", Static).update(
            f"last {label} · {self.controller.where or 'Prometheus'} · {status}")

    def action_window(self, index: int) -> None:
        if 0 <= index < len(m.WINDOWS) and index != self.window:
            self.window = index
            self._where("asking…")
            self._ask()

    def action_close(self) -> None:
        self.dismiss(None)

    def show(self, answer) -> None:
        """A MetricsAnswer for this component and window (older answers are ignored)."""
        request = answer.request
        if request.deployment != self.component or request.window != m.WINDOWS[self.window][1]:
            return
        self.answered_at = answer.end
        failing = self.controller.state.error
        status = f"as of {clock_time(answer.end)}Z" + (f" · stale: {failing}" if failing else "")
        self._where(status)
        self.query_one(MetricsPanel).show(answer.start, answer.end, answer.series, answer.errors,
                                          self.controller.rollbacks.get(self.component),
                                          self.controller.alerts_for(self.component))
