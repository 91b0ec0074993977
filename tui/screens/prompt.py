"""A one-field question (a replica count, a change-cause) before an action is planned."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PromptScreen(ModalScreen[str | None]):
    """Returns the text entered (validated), or None on Escape."""

    DEFAULT_CSS = """
    PromptScreen {
        align: center middle;
        background: $background 60%;
    }
    PromptScreen > #dialog {
        width: 72;
        max-width: 100%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    PromptScreen #question { width: 1fr; margin-bottom: 1; }
    PromptScreen #problem { color: $error; text-style: bold; width: 1fr; height: auto; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, question: str, value: str = "", placeholder: str = "",
                 validate: Callable[[str], str | None] | None = None, numeric: bool = False) -> None:
        """`validate` returns a sentence saying what is wrong, or None when the text is acceptable."""
        super().__init__()
        self.title_text = title
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.validate = validate
        self.numeric = numeric

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = self.title_text
            dialog.border_subtitle = "Enter continues · Esc cancels"
            yield Static(self.question, id="question")
            yield Input(self.value, placeholder=self.placeholder, id="answer",
                        type="integer" if self.numeric else "text")
            yield Static("", id="problem")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        problem = self.validate(text) if self.validate else None
        if problem:
            self.query_one("#problem", Static).update(problem)
            self.app.bell()
            return
        self.dismiss(text)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#problem", Static).update("")

    def action_cancel(self) -> None:
        self.dismiss(None)
