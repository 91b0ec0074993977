"""The "Rollout" pane: a progress bar per rollout and the live, timestamped stream."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, RichLog

from tui.core.state import newest_per_key

from .style import clock_time, style

MAX_LINES = 2000
# kubelet names pods as <name>_<namespace>(<uid>) in its messages: the name is enough on screen.
POD_REFERENCE = re.compile(r"\b([a-z0-9][-a-z0-9.]*)_[a-z0-9][-a-z0-9]*\([0-9a-f]{8}-[0-9a-f-]{27}\)")


@dataclass(frozen=True)
class Progress:
    component: str
    updated: int
    desired: int
    status: str


class RolloutProgress(Horizontal):
    """One rollout: name, a bar of updated/desired, the counts and the status word."""

    DEFAULT_CSS = """
    RolloutProgress {
        height: 1;
        & > .name { width: 20; text-overflow: ellipsis; }
        & > ProgressBar { width: auto; }
        & > ProgressBar > Bar { width: 16; }
        & > .counts { width: 1fr; padding-left: 1; text-overflow: ellipsis; }
    }
    """

    def __init__(self, progress: Progress) -> None:
        super().__init__(id=f"progress-{progress.component}")
        self.progress = progress
        self._bar = ProgressBar(total=max(1, progress.desired), show_eta=False, show_percentage=False)
        self._counts = Label(classes="counts")

    def compose(self) -> ComposeResult:
        yield Label(self.progress.component, classes="name")
        yield self._bar
        yield self._counts

    def on_mount(self) -> None:
        self.update(self.progress)

    def update(self, progress: Progress) -> None:
        self.progress = progress
        self._bar.update(total=max(1, progress.desired), progress=min(progress.updated, progress.desired))
        counts = Text(f"{progress.updated}/{progress.desired} updated  ")
        counts.append(progress.status, style=style(self.app, progress.status, bold=True))
        self._counts.update(counts)


class StreamLog(RichLog):
    """A RichLog that wraps to its own width and wraps again when that width changes."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(max_lines=MAX_LINES, wrap=True, markup=False, min_width=20, **kwargs)
        self._texts: deque = deque(maxlen=MAX_LINES)
        self._width = 0

    def add(self, text) -> None:
        self._texts.append(text)
        width = self.scrollable_content_region.width
        self.write(text, width=width if width > 0 else None)

    def reset(self) -> None:
        self._texts.clear()
        self.clear()

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width > 0 and width != self._width:
            self._width = width
            texts = list(self._texts)
            self.clear()
            for text in texts:
                self.write(text, width=width)


class RolloutStream(Vertical):
    """Progress bars for rollouts under way, then the stream, coloured by severity."""

    DEFAULT_CSS = """
    RolloutStream {
        height: 1fr;
        & > #bars { height: auto; max-height: 4; }
        & > RichLog { height: 1fr; background: transparent; scrollbar-size-vertical: 1; }
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.show_component = True
        self._lines: deque = deque(maxlen=MAX_LINES)  # the LogLines shown

    def compose(self) -> ComposeResult:
        yield Vertical(id="bars")
        yield StreamLog(id="stream")

    @property
    def log(self) -> StreamLog:
        return self.query_one(StreamLog)

    def _render_line(self, line) -> Table:
        """Time, (component,) message: wrapped lines hang under the message, not under the time."""
        row = Table.grid(padding=(0, 1), expand=True)
        row.add_column(no_wrap=True, style="dim")
        cells: list = [clock_time(line.at)]
        if self.show_component:
            row.add_column(no_wrap=True, style=style(self.app, "accent"))
            cells.append(str(line.component) or "console")
        row.add_column(ratio=1)
        message = POD_REFERENCE.sub(r"\1", line.text)
        cells.append(Text(message, style=style(self.app, line.severity, bold=line.severity == "error")))
        row.add_row(*cells)
        return row

    def reset(self, lines: Iterable, show_component: bool) -> None:
        self.show_component = show_component
        self._lines.clear()
        self.log.reset()
        self.append(lines)

    def append(self, lines: Iterable) -> None:
        lines = list(lines)
        repeated = {line.key for line in lines if line.key} & {line.key for line in self._lines if line.key}
        if repeated:  # an event's count went up: its line is replaced (shown once, newest), not added again
            shown = list(self._lines)
            self._lines.clear()
            self.log.reset()
            lines = shown + lines
        for line in newest_per_key(lines):
            self._lines.append(line)
            self.log.add(self._render_line(line))

    @property
    def lines(self) -> list:
        """The log lines shown (LogLine objects), oldest first."""
        return list(self._lines)

    def set_progress(self, rollouts: Iterable[Progress]) -> None:
        bars = self.query_one("#bars", Vertical)
        wanted = {p.component: p for p in rollouts}
        for row in list(bars.query(RolloutProgress)):
            if row.progress.component not in wanted:
                row.remove()
        existing = {row.progress.component: row for row in bars.query(RolloutProgress)}
        for name, progress in wanted.items():
            if name in existing:
                existing[name].update(progress)
            else:
                bars.mount(RolloutProgress(progress))
