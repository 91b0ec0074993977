"""`y`: the selected component as the server has it now: its YAML (managedFields dropped, as
`kubectl get -o yaml`) or a describe-like summary (replicas, strategy, selector, conditions, events).

k9s's keys are `y` YAML and `d` describe; `d` is the runbook's diff here, so `y` opens this view and, inside it,
`d` and `y` switch between describe and YAML as in k9s. Read on a worker thread; `r` reads it again.
"""

from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..core.workload import Ref

YAML, DESCRIBE = "yaml", "describe"


class DescribeScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DescribeScreen { align: center middle; background: $background 60%; }
    DescribeScreen > #frame {
        width: 100%; height: 100%;
        border: thick $primary; background: $surface;
    }
    DescribeScreen #where { padding: 0 1; color: $text-muted; }
    DescribeScreen #body { padding: 0 1; width: auto; }
    """

    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("y", "show('yaml')", "YAML"),
        Binding("d", "show('describe')", "Describe"),
        Binding("r", "reread", "Read again"),
        Binding("j,down", "scroll('down')", "Down", show=False),
        Binding("k,up", "scroll('up')", "Up", show=False),
        Binding("pagedown,space", "scroll('page_down')", "Page down", show=False),
        Binding("pageup", "scroll('page_up')", "Page up", show=False),
    ]

    def __init__(self, controller, ref: Ref, mode: str = YAML, offline: bool = False) -> None:
        super().__init__()
        self.controller = controller
        self.ref = ref
        self.mode = mode
        self.offline = offline
        self.yaml_text = ""
        self.describe_lines: list[str] = []
        self.error = ""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="frame") as frame:
            frame.border_title = f"{self.ref.kind} · {self.ref.name}"
            frame.border_subtitle = "y YAML · d describe · r read again · Esc closes"
            yield Static(id="where", markup=False)
            yield Static(id="body")

    def on_mount(self) -> None:
        self.query_one("#frame", VerticalScroll).focus()
        self.action_reread()

    def action_reread(self) -> None:
        if self.offline:
            self.show_object("", [], "The console shows a fixed state (offline): there is no server to read "
                                     f"{self.ref.kind.lower()}/{self.ref.name} from.")
            return
        self.query_one("#where", Static).update(f"reading {self.ref.kind.lower()}/{self.ref.name}…")
        self.controller.read(self.ref, self.show_object)

    def show_object(self, yaml_text: str, describe_lines: list[str], error: str) -> None:
        """What the controller read (or the one sentence saying why it could not)."""
        self.yaml_text, self.describe_lines, self.error = yaml_text, describe_lines, error
        self._show_mode()

    def action_show(self, mode: str) -> None:
        self.mode = mode
        self._show_mode()

    def _show_mode(self) -> None:
        where = self.query_one("#where", Static)
        body = self.query_one("#body", Static)
        if self.error:
            where.update(self.error)
            body.update("")
            return
        if self.mode == YAML:
            where.update("YAML of the live object (managedFields dropped) · d describe")
            body.update(Syntax(self.yaml_text, "yaml", theme="ansi_dark", background_color="default",
                               word_wrap=False))
        else:
            where.update("Describe (as kubectl describe) · y YAML")
            body.update(Text("\n".join(self.describe_lines)))

    def action_scroll(self, how: str) -> None:
        frame = self.query_one("#frame", VerticalScroll)
        getattr(frame, f"scroll_{how}")()

    def action_close(self) -> None:
        self.dismiss(None)
