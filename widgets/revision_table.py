"""The "Revisions" pane: the selected component's history, newest first."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text

from tui.core.state import image_tag
from tui.core.times import human_age

from .key_table import RevisionRows
from .style import style

COLUMNS = (("marker", " "), ("revision", "Rev"), ("cause", "Change-cause"), ("image", "Image"),
           ("age", "Age"), ("pods", "Pods"))
CURRENT = "▶"
KNOWN_BAD = "✗"


class RevisionTable(RevisionRows):
    """Revision, change-cause, image(s), age, pods of that ReplicaSet; ▶ marks the current one, ✗ a known-bad
    one (its first evidence leads the change-cause cell)."""

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

    def _cells(self, view) -> list:
        now = self.clock()
        images = ",".join(image_tag(i) for i in view.images)
        pods = f"{view.ready}/{view.pods}" if view.pods else "-"
        marker = Text(CURRENT, style=style(self.app, "accent", bold=True)) if view.current else Text("")
        cause = Text(view.change_cause) if view.change_cause else Text("<none>", style="dim")
        if view.known_bad:
            marker.append(KNOWN_BAD, style=style(self.app, "error", bold=True))
            cause = Text.assemble((f"known bad: {view.known_bad[0].reason}", style(self.app, "error")), " · ", cause)
        age = human_age(now - view.created) if view.created is not None else "<unknown>"
        revision = Text(str(view.revision), style="bold") if view.current else str(view.revision)
        return [marker, revision, cause, images, age, pods]

    def show(self, component: str | None, views: Iterable) -> None:
        """Show the history of `component`; the cursor stays on the same revision when it still exists."""
        views = list(views)
        keep = None
        if component == self.component and self.selected is not None:
            keep = self.selected.revision
        same_rows = component == self.component and [v.revision for v in views] == [
            v.revision for v in self._revisions]
        self.component = component
        self._revisions = views
        if same_rows:
            for view in views:
                for (key, _), value in zip(COLUMNS, self._cells(view)):
                    self.update_cell(str(view.revision), key, value, update_width=True)
            return
        self.clear()
        for view in views:
            self.add_row(*self._cells(view), key=str(view.revision))
        if keep is not None:
            for n, view in enumerate(views):
                if view.revision == keep:
                    self.move_cursor(row=n)
                    break

