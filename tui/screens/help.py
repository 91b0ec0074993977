"""`?`: every key of the console, grouped, on one screen."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from .dialog import Dialog


class HelpScreen(Dialog[None]):
    """`keys`: (group, key, what it does), in the order to show."""

    DEFAULT_CSS = """
    HelpScreen > #dialog { width: 76; }
    """

    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close"),
        Binding("j,down", "scroll_down", "Down", show=False),
        Binding("k,up", "scroll_up", "Up", show=False),
    ]

    def __init__(self, keys: Iterable[tuple[str, str, str]], notes: str = "") -> None:
        super().__init__()
        self.keys = list(keys)
        self.notes = notes

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog") as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "Esc or ? closes"
            yield Static(self._table())

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", style="bold", no_wrap=True)
        table.add_column()
        group = None
        for g, key, what in self.keys:
            if g != group:
                if group is not None:
                    table.add_row("", "")
                table.add_row("", Text(g, style="bold underline"))
                group = g
            table.add_row(key, what)
        if self.notes:
            table.add_row("", "")
            table.add_row("", Text(self.notes, style="dim"))
        return table

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_down(self) -> None:
        self.query_one("#dialog", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#dialog", VerticalScroll).scroll_up()
