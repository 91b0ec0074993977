"""Space on a checklist item the console ticked from evidence: ask before unticking it.

The evidence was seen; unticking says it no longer holds. The tick stays in
the timeline, the untick is a new entry after it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from .dialog import Dialog


class UntickScreen(Dialog[bool]):
    """True: untick it; False (n, Escape): keep it ticked."""

    DEFAULT_CSS = """
    UntickScreen > #dialog { width: 64; border: thick $warning; }
    UntickScreen #question { width: 1fr; }
    UntickScreen #buttons { height: auto; align-horizontal: right; margin-top: 1; }
    UntickScreen #buttons > Button { margin-left: 2; }
    """

    BINDINGS = [Binding("escape,n", "keep", "Keep"), Binding("y", "untick", "Untick")]

    def __init__(self, item: str, evidence: str, who: str) -> None:
        super().__init__()
        self.item, self.evidence, self.who = item, evidence, who

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Untick?"
            yield Static(f"{self.item} was ticked from evidence: {self.evidence}{self.who}. Untick it? The "
                         "evidence stays in the timeline, and the console will not tick it again until there "
                         "is new evidence. (y/n)", id="question")
            with Horizontal(id="buttons"):
                yield Button("Keep", variant="primary", id="keep")
                yield Button("Untick", variant="warning", id="untick")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "untick")

    def action_keep(self) -> None:
        self.dismiss(False)

    def action_untick(self) -> None:
        self.dismiss(True)
