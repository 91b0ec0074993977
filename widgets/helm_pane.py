"""The "Helm" pane: a release's revisions, newest first, a stuck-release banner, hooks of a revision.

It only renders what the app hands it (`tui.helm.release.Revision` values) and
turns keys on a row into messages; the app decides what they do.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui.core.fitting import fit
from tui.core.times import human_age

from .key_table import RevisionRows
from .messages import HelmDiffRequested, HelmRollbackRequested
from .style import style

COLUMNS = (("revision", "Rev"), ("updated", "Updated"), ("status", "Status"), ("chart", "Chart"),
           ("app", "App"), ("description", "Description"))
STATUS_MEANING = {"deployed": "success", "failed": "error", "pending-install": "warning",
                  "pending-upgrade": "warning", "pending-rollback": "warning"}


class HelmTable(RevisionRows):
    """One row per revision; enter/d diff it against the deployed one, r rolls back to it."""

    COLUMNS = COLUMNS

    DEFAULT_CSS = """
    HelmTable {
        height: auto;
        max-height: 12;
        background: transparent;
        scrollbar-size-vertical: 1;
    }
    """

    BINDINGS = [
        Binding("d", "diff", "Diff"),
        Binding("r", "rollback", "Roll back"),
    ]

    def __init__(self, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(clock, **kwargs)
        self.release = ""

    def _cells(self, r) -> list:
        meaning = STATUS_MEANING.get(r.status)
        if meaning:
            status = Text(r.status, style=style(self.app, meaning, bold=r.status != "deployed"))
        else:
            status = Text(r.status, style="dim")
        updated = human_age(self.clock() - r.updated) if r.updated is not None else "-"
        # The description is the one column that may be long (helm's error): cut with … to the room left.
        description = fit(r.error or r.description, self._description_width())
        description = Text(description, style=style(self.app, "error")) if r.error else description
        revision = Text(str(r.revision), style="bold") if r.status == "deployed" else str(r.revision)
        return [revision, updated, status, r.chart, r.app_version, description]

    def _description_width(self) -> int:
        if not self.size.width:
            return 200
        other = sum(max([len(label), *(len(c) for c in self._columns_of(key))]) + 2
                    for key, label in COLUMNS if key != "description")
        return max(16, self.size.width - other - 3)

    def _columns_of(self, key: str) -> list:
        now = self.clock()
        values = {"revision": lambda r: str(r.revision), "status": lambda r: r.status, "chart": lambda r: r.chart,
                  "app": lambda r: r.app_version,
                  "updated": lambda r: human_age(now - r.updated) if r.updated is not None else "-"}[key]
        return [values(r) for r in self._revisions]

    def refresh_ages(self) -> None:
        """Ages move on with the clock: called every second (a new revision says 5s, then 1m, never 0s)."""
        if self._revisions:
            self.show(self.release, self._revisions)

    def on_resize(self) -> None:
        if self._revisions:
            self.show(self.release, self._revisions, redraw=True)

    def show(self, release: str, revisions: list, redraw: bool = False) -> None:
        """Rows for `revisions` (newest first); the cursor stays on its revision when it still exists."""
        keep = self.selected.revision if self.selected is not None and release == self.release else None
        same_rows = not redraw and release == self.release and [r.revision for r in revisions] == [
            r.revision for r in self._revisions]
        self.release = release
        self._revisions = list(revisions)
        if same_rows:
            for r in self._revisions:
                for (key, _), value in zip(COLUMNS, self._cells(r)):
                    self.update_cell(str(r.revision), key, value, update_width=True)
            return
        self.clear(columns=True)  # columns too: a narrower Description must not keep its old width
        for key, label in COLUMNS:
            self.add_column(label, key=key)
        for r in self._revisions:
            self.add_row(*self._cells(r), key=str(r.revision))
        if keep is not None:
            self.select(keep)

    def select(self, revision: int) -> None:
        for n, r in enumerate(self._revisions):
            if r.revision == revision:
                self.move_cursor(row=n)
                return

    def action_diff(self) -> None:
        if self.selected is not None:
            self.post_message(HelmDiffRequested(self.release, self.selected.revision))

    def action_rollback(self) -> None:
        if self.selected is not None:
            self.post_message(HelmRollbackRequested(self.release, self.selected.revision))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_diff()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        parent = self.parent
        if isinstance(parent, HelmPane):
            parent.show_details()


def hooks_text(app, revision, now: float) -> Text:
    """`hooks of rev N: name (Kind, events) Phase age`, or that it has none."""
    text = Text()
    text.append(f"hooks of {revision.revision}: ", style="dim")
    if not revision.hooks:
        text.append("none", style="dim")
        return text
    for n, hook in enumerate(revision.hooks):
        if n:
            text.append(" · ")
        text.append(hook.name, style="bold")
        text.append(f" ({hook.kind}, {','.join(hook.events)}) ", style="dim")
        meaning = {"Succeeded": "success", "Failed": "error", "Running": "warning"}.get(hook.phase)
        text.append(hook.phase or "never ran", style=style(app, meaning) if meaning else "dim")
        at = hook.completed or hook.started
        if at is not None:
            text.append(f" {human_age(now - at)} ago", style="dim")
    return text


class HelmPane(Vertical):
    """Title "Helm: <release>"; banner (stuck release, or why the pane is read-only); the table; a
    details line (the suggested rollback target and the hooks of the highlighted revision)."""

    DEFAULT_CSS = """
    HelmPane {
        display: none;
        height: auto;
        max-height: 16;
    }
    HelmPane.-shown {
        display: block;
    }
    HelmPane > #helm-banner {
        display: none;
        height: auto;
        padding: 0 1;
        text-style: bold;
    }
    HelmPane > #helm-banner.-visible {
        display: block;
    }
    HelmPane > #helm-details {
        height: auto;
        max-height: 3;
        padding: 0 1;
    }
    """

    def __init__(self, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.release = ""
        self.suggestion = ""
        self.border_title = "Helm"

    def compose(self) -> ComposeResult:
        yield Static(id="helm-banner")
        yield HelmTable(self.clock, id="helm-table")
        yield Static(id="helm-details")

    @property
    def table(self) -> HelmTable:
        return self.query_one(HelmTable)

    def show(self, release: str, revisions: list, *, banner: str = "", banner_meaning: str = "warning",
             suggestion: str = "", subtitle: str = "") -> None:
        self.release = release
        self.border_title = f"Helm: {release}"
        self.border_subtitle = subtitle
        banner_widget = self.query_one("#helm-banner", Static)
        banner_widget.update(Text(banner, style=style(self.app, banner_meaning, bold=True)))
        banner_widget.set_class(bool(banner), "-visible")
        self.suggestion = suggestion
        self.table.show(release, revisions)
        self.show_details()

    def show_details(self) -> None:
        text = Text()
        if self.suggestion:
            text.append(self.suggestion + "\n", style=style(self.app, "accent"))
        selected = self.table.selected
        if selected is not None:
            text.append_text(hooks_text(self.app, selected, self.clock()))
        elif not self.table.row_count:
            text.append("no revisions (yet)", style="dim")
        self.query_one("#helm-details", Static).update(text)


