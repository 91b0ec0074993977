"""DataTables that also move with j and k, as every list in the console does."""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.widgets import DataTable


class KeyTable(DataTable):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]


class RevisionRows(KeyTable):
    """A list of revisions, one row each, with ages from an injected clock; `selected` is under the cursor."""

    COLUMNS: tuple[tuple[str, str], ...] = ()  # (key, label)

    def __init__(self, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.clock = clock
        self._revisions: list = []
        for key, label in self.COLUMNS:
            self.add_column(label, key=key)

    @property
    def selected(self):
        """The revision under the cursor, if any."""
        if not self.row_count or not self._revisions:
            return None
        row = self.cursor_row
        return self._revisions[row] if 0 <= row < len(self._revisions) else None

    @property
    def revisions(self) -> list:
        return list(self._revisions)
