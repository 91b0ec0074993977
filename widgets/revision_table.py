"""The "Revisions" pane: the selected component's history, newest first."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text

from tui.core.fitting import fault_suffix, fit, fit_images, share, split_image
from tui.core.times import human_age

from .key_table import RevisionRows
from .style import style

COLUMNS = (("marker", " "), ("revision", "Rev"), ("cause", "Change-cause"), ("image", "Image"),
           ("age", "Age"), ("pods", "Pods"))
CURRENT = "▶"
KNOWN_BAD = "✗"


class RevisionTable(RevisionRows):
    """Revision, change-cause, image(s), age, pods of that ReplicaSet; ▶ marks the current one."""

    COLUMNS = COLUMNS

    DEFAULT_CSS = """
    RevisionTable {
        height: auto;
        max-height: 14;
    }
    """

    def __init__(self, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(clock, **kwargs)
        self.component: str | None = None
        self._shown_widths: tuple[int, int] | None = None

    def _texts(self, view) -> list[str]:
        age = human_age(self.clock() - view.created) if view.created is not None else "<unknown>"
        pods = f"{view.ready}/{view.pods}" if view.pods else "-"
        marker = (CURRENT if view.current else "") + (KNOWN_BAD if view.known_bad else "")
        return [marker, str(view.revision), _bad(view) + (view.change_cause or "<none>"),
                ",".join(view.images), age, pods]

    def _widths(self) -> tuple[int, int]:
        """Room for Change-cause and Image: the whole of both when they fit, else cut, the longer first."""
        texts = [self._texts(v) for v in self._revisions]
        widest = [max([len(label), *(len(t[n]) for t in texts)]) for n, (_, label) in enumerate(COLUMNS)]
        fixed = sum(w for n, w in enumerate(widest) if n not in (2, 3)) + 2 * len(COLUMNS) + 1
        room = self.size.width - fixed if self.size.width else widest[2] + widest[3]
        cause, image = share(room, [widest[2], widest[3]])
        return cause, image

    def _cells(self, view, widths: tuple[int, int] | None = None) -> list:
        cause_width, image_width = widths or self._widths()
        _, revision, cause, _, age, pods = self._texts(view)
        images = Text(fit_images(view.images, image_width))
        for image in view.images:
            suffix = fault_suffix(split_image(image)[1])
            if suffix:
                images.highlight_words([suffix], style(self.app, "error", bold=True))
        mark = Text(CURRENT if view.current else "", style=style(self.app, "accent", bold=True))
        if view.known_bad:
            mark.append(KNOWN_BAD, style=style(self.app, "error", bold=True))
        cause_text = Text(fit(cause, cause_width), style="" if view.change_cause else "dim")
        cause_text.stylize(style(self.app, "error"), 0, len(_bad(view)))  # the evidence leads, in red
        return [mark, Text(revision, style="bold") if view.current else revision, cause_text, images, age, pods]

    def refresh_ages(self) -> None:
        """Ages move on with the clock: called every second (a new revision says 5s, then 1m, never 0s)."""
        if self._revisions:
            self._paint(self.component, self._revisions, redraw=False)

    def on_resize(self) -> None:
        if self._revisions:
            self.show(self.component, self._revisions, redraw=True)

    def show(self, component: str | None, views: Iterable, redraw: bool = False) -> None:
        """Show the history of `component`; the cursor stays on the same revision when it still exists."""
        views = list(views)
        if component == self.component and views == self._revisions and not redraw \
                and self._widths() == self._shown_widths:
            return  # the same history (an Event about the component): nothing to repaint
        self._paint(component, views, redraw)

    def _paint(self, component: str | None, views: list, redraw: bool) -> None:
        keep = None
        if component == self.component and self.selected is not None:
            keep = self.selected.revision
        same_rows = component == self.component and [v.revision for v in views] == [
            v.revision for v in self._revisions]
        self.component = component
        self._revisions = views
        widths = self._widths()
        if same_rows and not redraw and widths == self._shown_widths:
            for view in views:
                row = str(view.revision)
                for (key, _), value in zip(COLUMNS, self._cells(view, widths)):
                    if self.get_cell(row, key) != value:  # the clock's tick changes an age a minute, not each second
                        self.update_cell(row, key, value, update_width=True)
            return
        self._shown_widths = widths
        self.clear(columns=True)
        for key, label in COLUMNS:
            self.add_column(label, key=key)
        for view in views:
            self.add_row(*self._cells(view, widths), key=str(view.revision))
        if keep is not None:
            for n, view in enumerate(views):
                if view.revision == keep:
                    self.move_cursor(row=n)
                    break


def _bad(view) -> str:
    """A known-bad revision's first evidence, leading its change-cause cell (cut with … when there is no room)."""
    return f"known bad: {view.known_bad[0].reason} · " if view.known_bad else ""
