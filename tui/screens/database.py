"""`D`: the Database view: Alembic's current revision, heads and history, what each application revision
expects, the verdict for the chosen rollback target, and the downgrade keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from widgets.database_panel import DatabasePanel

from .prompt import PromptScreen


class DatabaseScreen(ModalScreen[None]):
    """Asks the database controller to read; repainted by it after each read and downgrade."""

    DEFAULT_CSS = """
    DatabaseScreen { align: center middle; background: $background 60%; }
    DatabaseScreen > #frame {
        width: 150; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface;
    }
    """

    BINDINGS = [
        Binding("escape,q,D", "close", "Close"),
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("d", "downgrade_for_target", "Downgrade for target"),
        Binding("minus", "downgrade('-1')", "Downgrade -1"),
        Binding("v", "downgrade_to", "Downgrade to…"),
        Binding("B", "downgrade('base')", "Downgrade to base"),
        Binding("r", "reread", "Read again"),
    ]

    def __init__(self, controller) -> None:
        super().__init__()
        self.controller = controller
        self.selected: int | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="frame") as frame:
            frame.border_title = "Database · Alembic"
            frame.border_subtitle = ("↑/↓ target · d downgrade for it · - downgrade -1 · v to a revision · "
                                     "B to base · r read again · Esc closes")
            yield DatabasePanel(id="panel")

    def on_mount(self) -> None:
        self.controller.view = self
        self.repaint()
        if self.controller.configured and self.controller.auto_read:
            self.controller.refresh()
            self.repaint()

    def on_unmount(self) -> None:
        if self.controller.view is self:
            self.controller.view = None

    @property
    def rows(self) -> list:
        return self.controller.app_revisions()

    def repaint(self) -> None:
        from ..controllers.database import NOT_CONFIGURED

        c = self.controller
        rows = self.rows
        if self.selected is None and rows:
            self.selected = c.default_target(rows)
        selected = min(self.selected or 0, len(rows) - 1) if rows else -1
        status = "reading the database…" if c.reading else ""
        error = c.error if c.configured else NOT_CONFIGURED
        self.query_one(DatabasePanel).show(c.schema, rows, selected, [c.verdict(r) for r in rows], error, status,
                                           c.outcome)

    def _row(self):
        rows = self.rows
        if not rows or self.selected is None:
            return None
        return rows[min(self.selected, len(rows) - 1)]

    def action_move(self, delta: int) -> None:
        rows = self.rows
        if rows:
            self.selected = max(0, min(len(rows) - 1, (self.selected or 0) + delta))
            self.repaint()

    def action_downgrade_for_target(self) -> None:
        self.controller.downgrade_for(self._row())

    def action_downgrade(self, step: str) -> None:
        self.controller.downgrade(step)

    def action_downgrade_to(self) -> None:
        def answered(text: str | None) -> None:
            if text:
                self.controller.downgrade(text)

        self.app.push_screen(PromptScreen("Downgrade the database", "To which revision (or -N, or base)? The "
                                          "next dialog shows its SQL before anything runs.", "", "revision"),
                             answered)

    def action_reread(self) -> None:
        self.controller.refresh()
        self.repaint()

    def action_close(self) -> None:
        self.dismiss(None)
