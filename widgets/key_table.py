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

    _widths_rendered: tuple[int, ...] = ()

    def render_lines(self, crop):
        # DataTable measures new rows when idle, and lines it rendered before that (every column at its
        # header's width: "eli-" for a name) stay in its line cache until some cell changes. Columns that
        # changed width since the last render drop those lines.
        widths = tuple(column.get_render_width(self) for column in self.columns.values())
        if widths != self._widths_rendered:
            self._widths_rendered = widths
            self.notify_style_update()
        return super().render_lines(crop)


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
