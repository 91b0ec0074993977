"""`enter`/`d` on a revision: its pod template against the current one, images highlighted."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.diff_view import DiffView


class DiffScreen(ModalScreen[str | None]):
    """Dismissed with "rollback" when `r` is pressed here (roll back to this revision), else None."""

    DEFAULT_CSS = """
    DiffScreen {
        align: center middle;
        background: $background 60%;
    }
    DiffScreen > #frame {
        width: 110;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
    }
    DiffScreen #title { padding: 0 1; text-style: bold; width: 1fr; }
    """

    BINDINGS = [
        Binding("escape,q,d,enter", "close", "Close"),
        Binding("r", "rollback", "Roll back to this revision"),
        Binding("j,down", "scroll_down", "Down", show=False),
        Binding("k,up", "scroll_up", "Up", show=False),
    ]

    def __init__(self, title: str, diff: str, can_roll_back: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.diff = diff
        self.can_roll_back = can_roll_back

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="frame") as frame:
            frame.border_title = "Diff"
            frame.border_subtitle = ("r rolls back to it · " if self.can_roll_back else "") + "Esc closes"
            yield Static(self.title_text, id="title")
            yield DiffView(self.diff)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_rollback(self) -> None:
        if self.can_roll_back:
            self.dismiss("rollback")

    def action_scroll_down(self) -> None:
        self.query_one("#frame", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#frame", VerticalScroll).scroll_up()
