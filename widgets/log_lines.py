"""A pod log as it arrives: bounded, wrapped (nothing cut), error lines marked (a ▌ and bold in the error colour)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

from .style import style


class LogLines(RichLog):
    """Renders (line, is_error) pairs; keeps the last `max_lines` and follows the end unless scrolled up."""

    def __init__(self, max_lines: int, **kwargs) -> None:
        super().__init__(max_lines=max_lines, wrap=True, markup=False, highlight=False, auto_scroll=True, min_width=1,
                         **kwargs)
        self.shown: list[tuple[str, bool]] = []  # what was written, for tests and the line count (bounded too)
        self._limit = max_lines

    def add(self, lines: Iterable[tuple[str, bool]]) -> None:
        for text, error in lines:
            if error:
                line = Text("▌", style=style(self.app, "error"))
                line.append(text, style=style(self.app, "error", bold=True))
            else:
                line = Text(" " + text)
            # Wrapped at the pane's width (RichLog would measure against the app console's, 80 columns headless).
            width = self.scrollable_content_region.width
            self.write(line, width=width if width > 0 else None)
            self.shown.append((text, error))
        del self.shown[:-self._limit]

    def reset(self) -> None:
        self.clear()
        self.shown.clear()
