"""`q` while an operation is in flight: ask before leaving it unwatched."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    QuitScreen { align: center middle; background: $background 60%; }
    QuitScreen > #dialog {
        width: 64; max-width: 100%; height: auto;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    QuitScreen #question { width: 1fr; }
    QuitScreen #buttons { height: auto; align-horizontal: right; margin-top: 1; }
    QuitScreen #buttons > Button { margin-left: 2; }
    """

    BINDINGS = [Binding("escape,n", "stay", "Stay"), Binding("y", "leave", "Quit")]

    def __init__(self, in_flight: list[str]) -> None:
        super().__init__()
        self.in_flight = in_flight

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Quit?"
            what = "; ".join(self.in_flight)
            yield Static(f"Still in flight: {what}. It carries on in the cluster, but nobody will watch it "
                         "here. Quit anyway? (y/n)", id="question")
            with Horizontal(id="buttons"):
                yield Button("Stay", variant="primary", id="stay")
                yield Button("Quit", variant="error", id="leave")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "leave")

    def action_stay(self) -> None:
        self.dismiss(False)

    def action_leave(self) -> None:
        self.dismiss(True)
